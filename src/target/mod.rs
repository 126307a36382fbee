//! The target a run talks to (an instance, or the built-in mock) and what it can provide: its
//! base URL, the accounts and how they authenticate, and the settings a profile or the
//! command line gives it. [`profile`] reads a target profile (`--target FILE`); [`resolve`]
//! turns the profile and the options into a [`Target`].

pub mod profile;
pub mod resolve;

use std::collections::BTreeMap;
use std::time::Duration;

pub use crate::report::TargetKind;
use crate::spec::{Auth, Requirement};
use profile::Skip;

/// The password grant's inputs: the main account and the OAuth client.
#[derive(Clone)]
pub struct OAuthLogin {
    pub user: String,
    pub password: String,
    pub client_id: String,
    pub client_secret: String,
}

/// How the main account proves who it is.
#[derive(Clone)]
pub enum Credentials {
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    /// The main account's user and password exchanged for bearer tokens at
    /// `/oauth_token.do` (password grant), refreshed when they expire.
    OAuth {
        user: String,
        password: String,
        client_id: String,
        client_secret: String,
    },
}

// Hand-written so that no `{:?}` anywhere can print a password or token.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic({user}, [redacted])"),
            Credentials::Bearer(_) => f.write_str("Bearer([redacted])"),
            Credentials::OAuth {
                user, client_id, ..
            } => write!(f, "OAuth({user}, client {client_id}, [redacted])"),
        }
    }
}

/// The instance and the accounts and permissions the run has on it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Without a trailing `/`.
    pub base_url: String,
    pub main: Credentials,
    pub norole: Option<Credentials>,
    pub allow_config_changes: bool,
    pub timeout: Duration,
    /// `should` checks fail the trial instead of warning.
    pub strict: bool,
    /// "embedded mock" or "instance", for reports.
    pub kind: TargetKind,
    /// Table name to the sys_id of an existing record used instead of creating fixtures.
    pub pins: BTreeMap<String, String>,
    /// Fixture id to the sys_id of an existing record; wins over a table pin.
    pub fixture_pins: BTreeMap<String, String>,
    /// Scenarios not to run here, each with its reason (from the target profile).
    pub skips: Vec<Skip>,
    /// Send nothing but GET: scenarios that would write are ignored.
    pub read_only: bool,
    /// An OAuth client (id, secret) for tokens of the run's own when the main account uses
    /// Basic auth (the built-in mock's client); with OAuth credentials, theirs is used.
    pub oauth_client: Option<(String, String)>,
    /// The credentials are the built-in mock's documented defaults, not secrets (tokens it
    /// issues still are).
    pub public_credentials: bool,
    /// A CA certificate (PEM) trusted besides the system's (`--ca-cert`).
    pub ca_cert: Option<Vec<u8>>,
    /// The largest answer body read, in bytes (`--max-body`); a larger one is an error and is
    /// not read further, so a runaway answer cannot exhaust memory.
    pub max_body: usize,
    /// Redirects followed at most (`--max-redirects`); a loop ends as an error.
    pub max_redirects: usize,
    /// Requests in flight at most (`--max-in-flight`); the run adapts below it.
    pub max_in_flight: usize,
}

/// Default of `--max-body`: ten times the largest answer the suite expects.
pub const DEFAULT_MAX_BODY: usize = 10 * 1024 * 1024;
/// Default of `--max-redirects`: the platform's REST APIs do not redirect.
pub const DEFAULT_MAX_REDIRECTS: usize = 3;
/// Default of `--max-in-flight`: twice the requests an instance node usually serves at once
/// (its REST semaphore), so that its queue is used but the limiter's latency signal decides.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 32;
/// Requests in flight at the start of a run, before the target's answers raise the limit.
pub const START_IN_FLIGHT: usize = 8;

impl Target {
    /// A mock instance at `base_url` with its built-in accounts (`admin` and `no.role`, each
    /// with its user name as password) and every permission.
    pub fn mock(base_url: &str, timeout: Duration, strict: bool) -> Self {
        let account = |name: &str| Credentials::Basic {
            user: name.to_string(),
            password: name.to_string(),
        };
        Target {
            base_url: base_url.to_string(),
            main: account("admin"),
            norole: Some(account("no.role")),
            allow_config_changes: true,
            timeout,
            strict,
            kind: TargetKind::EmbeddedMock,
            pins: BTreeMap::new(),
            fixture_pins: BTreeMap::new(),
            skips: Vec::new(),
            read_only: false,
            oauth_client: Some((
                crate::mock::BUILT_IN_OAUTH_CLIENT.to_string(),
                crate::mock::BUILT_IN_OAUTH_CLIENT.to_string(),
            )),
            public_credentials: true,
            ca_cert: None,
            max_body: DEFAULT_MAX_BODY,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }

    /// An HTTP client builder for this target: its timeout, and its CA certificate trusted
    /// besides the system's. Certificates are always checked.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("sn-conform/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(self.max_redirects));
        if let Some(certificate) = self
            .ca_cert
            .as_deref()
            .and_then(|pem| reqwest::Certificate::from_pem(pem).ok())
        {
            builder = builder.add_root_certificate(certificate);
        }
        builder
    }

    /// Whether the main account's requests carry OAuth tokens.
    pub fn main_uses_oauth(&self) -> bool {
        matches!(self.main, Credentials::OAuth { .. })
    }

    /// The password grant's inputs, when the run can get tokens of its own.
    pub fn oauth_login(&self) -> Option<OAuthLogin> {
        match (&self.main, &self.oauth_client) {
            (
                Credentials::OAuth {
                    user,
                    password,
                    client_id,
                    client_secret,
                },
                _,
            ) => Some(OAuthLogin {
                user: user.clone(),
                password: password.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            }),
            (Credentials::Basic { user, password }, Some((client_id, client_secret))) => {
                Some(OAuthLogin {
                    user: user.clone(),
                    password: password.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                })
            }
            _ => None,
        }
    }

    /// The existing record a fixture uses instead of creating one, if it is pinned.
    pub fn pin_for(&self, fixture_id: &str, table: &str) -> Option<&str> {
        self.fixture_pins
            .get(fixture_id)
            .or_else(|| self.pins.get(table))
            .map(String::as_str)
    }

    /// Why the target profile says not to run `scenario`, if it does.
    pub fn skip_reason(&self, scenario: &crate::spec::Scenario) -> Option<String> {
        self.skips
            .iter()
            .find(|s| s.selector.matches(scenario))
            .map(|s| format!("skipped by the target profile ({}): {}", s.at, s.reason))
    }

    /// Whether the target can meet `requirement`.
    pub fn provides(&self, requirement: Requirement) -> bool {
        match requirement {
            Requirement::NoroleAccount => self.norole.is_some(),
            Requirement::ConfigChanges => self.allow_config_changes,
            Requirement::UserName => self.user_name().is_some(),
            Requirement::OAuth => self.oauth_login().is_some(),
        }
    }

    pub fn user_name(&self) -> Option<&str> {
        match &self.main {
            Credentials::Basic { user, .. } | Credentials::OAuth { user, .. } => Some(user),
            Credentials::Bearer(_) => None,
        }
    }

    /// The `Authorization` header value for `auth`, or none.
    pub fn authorization(&self, auth: Auth) -> Option<String> {
        // An OAuth token is filled in when the request is sent.
        let header = |c: &Credentials| match c {
            Credentials::Basic { user, password } => Some(basic(user, password)),
            Credentials::Bearer(token) => Some(format!("Bearer {token}")),
            Credentials::OAuth { .. } => None,
        };
        match auth {
            Auth::Default => header(&self.main),
            Auth::None | Auth::ExpiredToken | Auth::RefreshedToken => None,
            Auth::WrongPassword => Some(match &self.main {
                Credentials::Basic { user, password }
                | Credentials::OAuth { user, password, .. } => basic(user, &wrong(password)),
                Credentials::Bearer(_) => "Bearer sn-conform-invalid-token".to_string(),
            }),
            Auth::WrongToken => Some(format!(
                "Bearer {}{}",
                crate::platform::sys_id::fresh(),
                crate::platform::sys_id::fresh()
            )),
            Auth::Norole => self.norole.as_ref().and_then(header),
        }
    }
}

/// The wrong password of the `wrong_password` scenarios: the right one changed.
pub fn wrong(password: &str) -> String {
    format!("{password}-wrong-sn-conform")
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}
