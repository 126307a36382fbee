//! The target options every subcommand that talks to an instance takes (`run`, `doctor`,
//! `cleanup`, `compare`), declared and resolved in this one place: a target profile
//! (`--target FILE`) first, then the command-line options (and their environment variables),
//! which override it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Args;

use super::profile::{self, Profile};
use super::{Credentials, Target};
use crate::schemas::SchemaSet;
use crate::spec::Suite;

/// Seconds each request waits when neither the options nor the profile say.
pub(crate) const DEFAULT_TIMEOUT: u64 = 30;

#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// A target profile (YAML): base URL, the environment variables holding the credentials,
    /// pinned fixtures, skips and settings. See targets/example.yaml. Options given here
    /// override it.
    #[arg(long = "target", env = "SN_TARGET", value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Instance to test, e.g. `https://dev12345.service-now.com`. Absent (and no profile): the
    /// built-in mock, started in-process on 127.0.0.1 with a free port.
    #[arg(long, env = "SN_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// User of the main account (Basic auth). It must hold awa_integration_user and may
    /// write the fixture tables.
    #[arg(long, env = "SN_USER", value_name = "USER")]
    pub user: Option<String>,

    /// Password of the main account. Never printed or stored.
    #[arg(
        long,
        env = "SN_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Bearer token for the main account, instead of --user/--password.
    #[arg(long, env = "SN_TOKEN", value_name = "TOKEN", hide_env_values = true, conflicts_with_all = ["user", "password"])]
    pub token: Option<String>,

    /// OAuth client id: with --user and --password, bearer tokens are fetched from
    /// /oauth_token.do (password grant) and refreshed when they expire.
    #[arg(
        long,
        env = "SN_OAUTH_CLIENT_ID",
        value_name = "ID",
        requires = "oauth_client_secret"
    )]
    pub oauth_client_id: Option<String>,

    /// OAuth client secret. Never printed or stored.
    #[arg(
        long,
        env = "SN_OAUTH_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        requires = "oauth_client_id"
    )]
    pub oauth_client_secret: Option<String>,

    /// An account without awa_integration_user, for the 403 cases. Absent: those scenarios are
    /// ignored with that reason.
    #[arg(long, env = "SN_NOROLE_USER", value_name = "USER")]
    pub norole_user: Option<String>,

    /// Password of the no-role account.
    #[arg(
        long,
        env = "SN_NOROLE_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub norole_password: Option<String>,

    /// Run scenarios that change instance-wide settings (glide.awa.enabled) and restore them
    /// after. Always on for the built-in mock.
    #[arg(long, env = "SN_ALLOW_CONFIG_CHANGES")]
    pub allow_config_changes: bool,

    /// Send nothing but GET requests (and the OAuth token request): only scenarios that write
    /// nothing run; the others are ignored with that reason.
    #[arg(long, env = "SN_READ_ONLY")]
    pub read_only: bool,

    /// A CA certificate (PEM) to trust besides the system's, for an instance behind a
    /// private CA or a mock started with --tls. Certificates are always checked.
    #[arg(long, env = "SN_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Seconds to wait for each request before it counts as an error (default 30).
    #[arg(long, env = "SN_TIMEOUT", value_name = "SECS")]
    pub timeout: Option<u64>,

    /// The largest answer body read, in bytes (default 10485760, 10 MiB). A larger answer is
    /// an error of its trial and is not read further.
    #[arg(long, env = "SN_MAX_BODY", value_name = "BYTES")]
    pub max_body: Option<usize>,

    /// Redirects followed at most (default 3); more is an error of the trial.
    #[arg(long, env = "SN_MAX_REDIRECTS", value_name = "N")]
    pub max_redirects: Option<usize>,

    /// Requests in flight at most (default 32). The run starts at 8 and adapts: it halves the
    /// requests in flight on a 429, lowers them when answers slow down (the instance queues),
    /// and raises them by one per round of quick answers; the report says where it settled.
    #[arg(long, env = "SN_MAX_IN_FLIGHT", value_name = "N")]
    pub max_in_flight: Option<usize>,

    /// Use an existing record instead of creating one for every fixture of TABLE (repeatable,
    /// or comma-separated in SN_PIN). Pinned records are never changed or deleted. A profile
    /// can also pin single fixtures by id.
    #[arg(
        long = "pin",
        env = "SN_PIN",
        value_name = "TABLE=SYS_ID",
        value_delimiter = ','
    )]
    pub pins: Vec<String>,
}

/// The target the options and profile describe.
pub struct Resolved {
    pub target: Target,
    /// No base URL anywhere: run against the built-in mock.
    pub embedded: bool,
    /// Trials at once, from the profile (libtest's `--test-threads` wins).
    pub test_threads: Option<usize>,
}

impl TargetArgs {
    /// The profile, if one is named, checked against `suite` when given. Mistakes are
    /// `file:line: cause` lines.
    pub fn profile(
        &self,
        schemas: &SchemaSet,
        suite: Option<&Suite>,
    ) -> anyhow::Result<Option<Profile>> {
        let Some(path) = &self.profile else {
            return Ok(None);
        };
        profile::load(path, schemas, suite)
            .map(Some)
            .map_err(|errors| {
                anyhow!(
                    "{}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
    }

    /// The target: profile first, options over it. Every mistake is an error (exit 2), before
    /// anything is sent.
    pub fn resolve(
        &self,
        schemas: &SchemaSet,
        suite: &Suite,
        strict: bool,
    ) -> anyhow::Result<Resolved> {
        let profile = self.profile(schemas, Some(suite))?.unwrap_or_default();
        let timeout = self.timeout.or(profile.timeout).unwrap_or(DEFAULT_TIMEOUT);
        if timeout == 0 {
            bail!("--timeout must be at least 1 second");
        }
        let mut pins = parse_pins(&self.pins)?;
        for (table, sys_id) in &profile.table_pins {
            pins.entry(table.clone()).or_insert_with(|| sys_id.clone());
        }
        let base_url = self.base_url.clone().or(profile.base_url.clone());
        let mut target = match &base_url {
            None => Target::mock("http://127.0.0.1:0", Duration::from_secs(timeout), strict),
            Some(url) => {
                check_base_url(url)?;
                let (main, norole) = self.credentials(&profile)?;
                Target {
                    base_url: url.trim_end_matches('/').to_string(),
                    main,
                    norole,
                    allow_config_changes: false,
                    timeout: Duration::from_secs(timeout),
                    strict,
                    kind: super::TargetKind::Instance,
                    pins: BTreeMap::new(),
                    fixture_pins: BTreeMap::new(),
                    skips: Vec::new(),
                    read_only: false,
                    oauth_client: None,
                    public_credentials: false,
                    ca_cert: None,
                    max_body: super::DEFAULT_MAX_BODY,
                    max_redirects: super::DEFAULT_MAX_REDIRECTS,
                    max_in_flight: super::DEFAULT_MAX_IN_FLIGHT,
                }
            }
        };
        target.allow_config_changes = target.allow_config_changes
            || self.allow_config_changes
            || profile.allow_config_changes.unwrap_or(false);
        target.read_only = self.read_only || profile.read_only.unwrap_or(false);
        if let Some(bytes) = self.max_body {
            if bytes == 0 {
                bail!("--max-body must be at least 1 byte");
            }
            target.max_body = bytes;
        }
        if let Some(redirects) = self.max_redirects {
            target.max_redirects = redirects;
        }
        if let Some(n) = self.max_in_flight {
            if n == 0 {
                bail!("--max-in-flight must be at least 1");
            }
            target.max_in_flight = n;
        }
        target.pins = pins;
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| anyhow!("cannot read --ca-cert {}: {e}", path.display()))?;
            reqwest::Certificate::from_pem(&pem).map_err(|e| {
                anyhow!("--ca-cert {} is not a PEM certificate: {e}", path.display())
            })?;
            target.ca_cert = Some(pem);
        }
        target.fixture_pins = profile.fixture_pins.clone();
        target.skips = profile.skips.clone();
        Ok(Resolved {
            target,
            embedded: base_url.is_none(),
            test_threads: profile.test_threads,
        })
    }

    /// The main and no-role credentials: an option's value, else the environment variable the
    /// profile names for it.
    fn credentials(&self, profile: &Profile) -> anyhow::Result<(Credentials, Option<Credentials>)> {
        let vars = &profile.credentials;
        let pick = |given: &Option<String>, var: &Option<String>, key: &str| {
            from_env(given, var, key, profile)
        };
        let user = pick(&self.user, &vars.user_env, "user_env")?;
        let password = pick(&self.password, &vars.password_env, "password_env")?;
        let token = pick(&self.token, &vars.token_env, "token_env")?;
        let client_id = pick(
            &self.oauth_client_id,
            &vars.oauth_client_id_env,
            "oauth_client_id_env",
        )?;
        let client_secret = pick(
            &self.oauth_client_secret,
            &vars.oauth_client_secret_env,
            "oauth_client_secret_env",
        )?;
        let main = match (token, user, password, client_id, client_secret) {
            (Some(token), None, None, None, None) => Credentials::Bearer(token),
            (Some(_), ..) => bail!("a bearer token replaces --user, --password and OAuth: give one or the other"),
            (None, Some(user), Some(password), Some(client_id), Some(client_secret)) => {
                Credentials::OAuth {
                    user,
                    password,
                    client_id,
                    client_secret,
                }
            }
            (None, Some(_), Some(_), Some(_), None) | (None, Some(_), Some(_), None, Some(_)) => {
                bail!("OAuth needs both the client id and the client secret")
            }
            (None, Some(user), Some(password), None, None) => {
                Credentials::Basic { user, password }
            }
            (None, Some(_), None, ..) => bail!("--user needs --password (or SN_PASSWORD)"),
            (None, None, ..) => bail!(
                "an instance needs credentials: --user and --password (optionally with OAuth), or --token"
            ),
        };
        let norole = self.norole(profile)?;
        Ok((main, norole))
    }

    /// The no-role account: both halves or neither. A profile's `norole_*_env` names where to
    /// look, not a promise that the variable is set: with neither set, the 403 scenarios are
    /// ignored with their reason, as without the keys. With one half, the message names the
    /// missing half the same way whichever it is.
    fn norole(&self, profile: &Profile) -> anyhow::Result<Option<Credentials>> {
        let vars = &profile.credentials;
        let user = self
            .norole_user
            .clone()
            .or_else(|| env_value(&vars.norole_user_env));
        let password = self
            .norole_password
            .clone()
            .or_else(|| env_value(&vars.norole_password_env));
        let missing = |option: &str, var: &Option<String>, key: &str| {
            let named = match var {
                Some(var) => format!(
                    "{var} (named by {})",
                    profile.at(&format!("credentials.{key}"))
                ),
                None if option == "--norole-user" => "SN_NOROLE_USER".to_string(),
                None => "SN_NOROLE_PASSWORD".to_string(),
            };
            anyhow::anyhow!(
                "the no-role account needs a user and a password: {option} is not given and \
                 {named} is not set; set both, or neither to ignore the 403 scenarios"
            )
        };
        match (user, password) {
            (Some(user), Some(password)) => Ok(Some(Credentials::Basic { user, password })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(missing(
                "--norole-password",
                &vars.norole_password_env,
                "norole_password_env",
            )),
            (None, Some(_)) => Err(missing(
                "--norole-user",
                &vars.norole_user_env,
                "norole_user_env",
            )),
        }
    }
}

/// The value of the environment variable a profile names, when it is set and not empty.
fn env_value(var: &Option<String>) -> Option<String> {
    var.as_deref()
        .and_then(|var| std::env::var(var).ok())
        .filter(|value| !value.is_empty())
}

/// An option's value, else the value of the environment variable the profile names (which
/// must then be set).
fn from_env(
    given: &Option<String>,
    var: &Option<String>,
    key: &str,
    profile: &Profile,
) -> anyhow::Result<Option<String>> {
    if given.is_some() {
        return Ok(given.clone());
    }
    let Some(var) = var else { return Ok(None) };
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Some(value)),
        _ => bail!(
            "{}: `{key}` names the environment variable {var}, which is not set",
            profile.at(&format!("credentials.{key}"))
        ),
    }
}

/// A base URL must be an http(s) URL with a host and no credentials in it.
pub fn check_base_url(url: &str) -> anyhow::Result<()> {
    if !url.contains("://") {
        bail!("base URL `{url}` has no scheme: add https:// (or http:// for a local mock): https://{url}");
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| anyhow!("base URL `{url}` is not a URL: {e}"))?;
    let path = parsed.path().trim_end_matches('/');
    if path.contains("/api/") || path.ends_with("/api") {
        let mut root = parsed.clone();
        root.set_path("");
        bail!(
            "base URL `{url}` is not the instance's root: drop {path} from --base-url ({})",
            root.as_str().trim_end_matches('/')
        );
    }
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        bail!("base URL `{url}` must be an http:// or https:// URL with a host");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        bail!("the base URL carries credentials: give them with --user and --password (or the profile's variables) instead");
    }
    Ok(())
}

/// `TABLE=SYS_ID` pairs, each a table name and a sys_id.
fn parse_pins(pins: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pin in pins {
        let Some((table, sys_id)) = pin.split_once('=') else {
            bail!("--pin `{pin}` must be TABLE=SYS_ID");
        };
        let table_ok = !table.is_empty()
            && table
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !table_ok || !crate::platform::sys_id::is_sys_id(sys_id) {
            bail!("--pin `{pin}`: expected a table name and a 32-character lowercase hex sys_id");
        }
        if out.insert(table.to_string(), sys_id.to_string()).is_some() {
            bail!("--pin names table `{table}` twice");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        target: TargetArgs,
    }

    fn profile(text: &str) -> Profile {
        let dir = crate::source::assets::schemas(Some("schemas".as_ref())).unwrap();
        let schemas = SchemaSet::compile(&dir).unwrap();
        profile::parse("p.yaml", text, &schemas, None).unwrap()
    }

    /// Names no test machine sets, so the profile's variables read as unset.
    const PROFILE: &str = "credentials:\n  norole_user_env: SN_CONFORM_TEST_UNSET_NOROLE_USER\n  norole_password_env: SN_CONFORM_TEST_UNSET_NOROLE_PASSWORD\n";

    #[test]
    fn a_missing_half_of_the_no_role_account_is_named_the_same_way_either_side() {
        let profile = profile(PROFILE);
        let only_user = Cli::parse_from(["x", "--norole-user", "plain"]).target;
        let message = only_user.norole(&profile).unwrap_err().to_string();
        assert!(
            message.contains("--norole-password is not given and SN_CONFORM_TEST_UNSET_NOROLE_PASSWORD (named by p.yaml:3) is not set"),
            "{message}"
        );
        let only_password = Cli::parse_from(["x", "--norole-password", "pw"]).target;
        let message = only_password.norole(&profile).unwrap_err().to_string();
        assert!(
            message.contains("--norole-user is not given and SN_CONFORM_TEST_UNSET_NOROLE_USER (named by p.yaml:2) is not set"),
            "{message}"
        );
        assert!(!message.contains("pw"), "{message}");
    }

    #[test]
    fn without_either_half_the_no_role_account_is_absent_not_an_error() {
        let neither = Cli::parse_from(["x"]).target;
        assert!(neither.norole(&profile(PROFILE)).unwrap().is_none());
        let both = Cli::parse_from(["x", "--norole-user", "u", "--norole-password", "p"]).target;
        assert!(both.norole(&profile(PROFILE)).unwrap().is_some());
    }
}
