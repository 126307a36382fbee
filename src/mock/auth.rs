//! Who is calling: Basic credentials or a bearer token, mapped to a built-in account.
//!
//! The three built-in accounts are `admin` (role `admin`, which passes every role check),
//! `awa.integration` (role `awa_integration_user`) and `no.role` (no role). Each one's
//! password is its user name unless the mock was started with other passwords.

use axum::http::{header, HeaderMap};
use base64::Engine;

use super::envelope::ApiError;
use super::fault::Fault;
use super::Mock;

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_AWA_INTEGRATION: &str = "awa_integration_user";

/// A built-in account of the mock.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_name: String,
    pub password: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub roles: Vec<&'static str>,
}

impl Account {
    /// The three built-in accounts, each with its user name as password.
    pub fn built_in() -> Vec<Account> {
        vec![
            Account::new("admin", "System", "Administrator", vec![ROLE_ADMIN]),
            Account::new(
                "awa.integration",
                "AWA",
                "Integration",
                vec![ROLE_AWA_INTEGRATION],
            ),
            Account::new("no.role", "No", "Role", vec![]),
        ]
    }

    fn new(
        user_name: &str,
        first_name: &'static str,
        last_name: &'static str,
        roles: Vec<&'static str>,
    ) -> Self {
        Self {
            user_name: user_name.to_string(),
            password: user_name.to_string(),
            first_name,
            last_name,
            roles,
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_name: String,
    pub sys_id: String,
    pub roles: Vec<&'static str>,
}

impl Caller {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| *r == role || *r == ROLE_ADMIN)
    }
}

impl Mock {
    /// The caller named by the `Authorization` header, or the platform's 401.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let user_name = match value {
            Some(v) if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") => {
                self.check_basic(&v[6..])
            }
            Some(v) if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") => {
                self.store().with(|t| t.token_user(v[7..].trim()))
            }
            None if self.faults().has(Fault::AnonymousAllowed) => Some("admin".to_string()),
            _ => None,
        };
        user_name
            .and_then(|name| self.caller(&name))
            .ok_or_else(ApiError::not_authenticated)
    }

    /// Like [`Mock::authenticate`], then the role check: 403 without `role` (admin passes).
    pub fn authorize(&self, headers: &HeaderMap, role: &str) -> Result<Caller, ApiError> {
        let caller = self.authenticate(headers)?;
        if caller.has_role(role) || self.faults().has(Fault::RoleNotEnforced) {
            Ok(caller)
        } else {
            Err(ApiError::not_authorized())
        }
    }

    /// The user name whose password matches, for a Basic credential.
    pub fn check_password(&self, user_name: &str, password: &str) -> bool {
        self.accounts()
            .iter()
            .any(|a| a.user_name == user_name && a.password == password)
    }

    fn check_basic(&self, encoded: &str) -> Option<String> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        self.check_password(user, password)
            .then(|| user.to_string())
    }

    fn caller(&self, user_name: &str) -> Option<Caller> {
        let account = self.accounts().iter().find(|a| a.user_name == user_name)?;
        let sys_id = self.store().read(|t| {
            t.matching("sys_user", &[("user_name", user_name)])
                .next()
                .map(|r| super::store::field_str(r, "sys_id").to_string())
        })?;
        Some(Caller {
            user_name: account.user_name.clone(),
            sys_id,
            roles: account.roles.clone(),
        })
    }
}
