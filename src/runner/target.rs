//! The instance a run talks to, and what it can provide.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::spec::{Auth, Requirement};

/// How the main account proves who it is.
#[derive(Clone)]
pub enum Credentials {
    Basic { user: String, password: String },
    Bearer(String),
}

// Hand-written so that no `{:?}` anywhere can print a password or token.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic({user}, [redacted])"),
            Credentials::Bearer(_) => f.write_str("Bearer([redacted])"),
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
    pub kind: &'static str,
    /// Table name to the sys_id of an existing record used instead of creating fixtures.
    pub pins: BTreeMap<String, String>,
}

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
            kind: "embedded mock",
            pins: BTreeMap::new(),
        }
    }

    /// Whether the target can meet `requirement`.
    pub fn provides(&self, requirement: Requirement) -> bool {
        match requirement {
            Requirement::NoroleAccount => self.norole.is_some(),
            Requirement::ConfigChanges => self.allow_config_changes,
            Requirement::UserName => self.user_name().is_some(),
        }
    }

    pub fn user_name(&self) -> Option<&str> {
        match &self.main {
            Credentials::Basic { user, .. } => Some(user),
            Credentials::Bearer(_) => None,
        }
    }

    /// The `Authorization` header value for `auth`, or none.
    pub fn authorization(&self, auth: Auth) -> Option<String> {
        let header = |c: &Credentials| match c {
            Credentials::Basic { user, password } => basic(user, password),
            Credentials::Bearer(token) => format!("Bearer {token}"),
        };
        match auth {
            Auth::Default => Some(header(&self.main)),
            Auth::None => None,
            Auth::WrongPassword => Some(match &self.main {
                Credentials::Basic { user, password } => {
                    basic(user, &format!("{password}-wrong-sn-conform"))
                }
                Credentials::Bearer(_) => "Bearer sn-conform-invalid-token".to_string(),
            }),
            Auth::Norole => self.norole.as_ref().map(header),
        }
    }
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}
