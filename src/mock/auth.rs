//! Who is calling: Basic credentials or a bearer token, mapped to a built-in account.
//!
//! The three built-in accounts are `admin` (role `admin`, which passes every role check),
//! `awa.integration` (role `awa_integration_user`) and `no.role` (no role). Each one's
//! password is its user name unless the mock was started with other passwords.

use axum::http::{header, HeaderMap};
use base64::Engine;

use super::envelope::ApiError;
use super::fault::Fault;
use super::store::{field_str, Record, Tables};
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
        grants(&self.roles, role)
    }
}

/// Whether `roles` pass a check for `role` (admin passes every one).
fn grants(roles: &[&str], role: &str) -> bool {
    roles.iter().any(|r| *r == role || *r == ROLE_ADMIN)
}

impl Mock {
    /// The caller named by the `Authorization` header, or the platform's 401.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        self.store().read(|t| {
            let account = self.account_in(t, headers)?;
            Ok(Caller {
                user_name: account.user_name.clone(),
                sys_id: self
                    .user_sys_id(t, account)
                    .ok_or_else(ApiError::not_authenticated)?
                    .to_string(),
                roles: account.roles.clone(),
            })
        })
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

    /// The checks of [`Mock::authorize`] on tables already read, for a handler that reads them
    /// anyway (one lock per request rather than one per check) and needs no `Caller`.
    pub fn permit_in(&self, t: &Tables, headers: &HeaderMap, role: &str) -> Result<(), ApiError> {
        let account = self.account_in(t, headers)?;
        if grants(&account.roles, role) || self.faults().has(Fault::RoleNotEnforced) {
            Ok(())
        } else {
            Err(ApiError::not_authorized())
        }
    }

    /// The account the `Authorization` header names, while its `sys_user` record exists; the
    /// platform's 401 otherwise.
    fn account_in(&self, t: &Tables, headers: &HeaderMap) -> Result<&Account, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let account = match value {
            Some(v) if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") => {
                self.basic_account(&v[6..])
            }
            Some(v) if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") => t
                .token_user(v[7..].trim())
                .and_then(|name| self.account(&name)),
            None if self.faults().has(Fault::AnonymousAllowed) => self.account("admin"),
            _ => None,
        };
        account
            .filter(|account| self.user_sys_id(t, account).is_some())
            .ok_or_else(ApiError::not_authenticated)
    }

    /// The user name whose password matches, for a Basic credential.
    pub fn check_password(&self, user_name: &str, password: &str) -> bool {
        self.accounts()
            .iter()
            .any(|a| a.user_name == user_name && a.password == password)
    }

    /// The account a Basic credential names, when its password matches.
    fn basic_account(&self, encoded: &str) -> Option<&Account> {
        let encoded = encoded.trim();
        // Most requests carry exactly the encoding made at start for one of the accounts: that
        // one is found without decoding anything.
        if let Some(account) = self
            .accounts()
            .iter()
            .zip(self.basic_credentials())
            .find_map(|(account, known)| (known == encoded).then_some(account))
        {
            return Some(account);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        self.accounts()
            .iter()
            .find(|a| a.user_name == user && a.password == password)
    }

    /// The sys_id of an account's `sys_user` record, if it has one: the record it was made
    /// with when that still names the account, else the first that does.
    fn user_sys_id<'t>(&self, t: &'t Tables, account: &Account) -> Option<&'t str> {
        let names = |r: &&Record| field_str(r, "user_name") == account.user_name;
        let made = self
            .accounts()
            .iter()
            .position(|a| std::ptr::eq(a, account))
            .and_then(|i| self.user_ids().get(i))
            .and_then(|id| t.get("sys_user", id))
            .filter(names);
        made.or_else(|| {
            t.matching("sys_user", &[("user_name", account.user_name.as_str())])
                .next()
        })
        .map(|r| field_str(r, "sys_id"))
    }

    fn account(&self, user_name: &str) -> Option<&Account> {
        self.accounts().iter().find(|a| a.user_name == user_name)
    }
}

/// The Basic credential (`user:password` in base64) each account sends, in account order.
pub fn basic_credentials(accounts: &[Account]) -> Vec<String> {
    accounts
        .iter()
        .map(|a| {
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", a.user_name, a.password))
        })
        .collect()
}
