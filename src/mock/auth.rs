//! The mock's accounts and what a caller is: the built-in accounts, their roles and their
//! Basic credentials. The handle (`state.rs`) maps a request's Basic credentials or bearer
//! token to one of them.
//!
//! The three built-in accounts are `admin` (role `admin`, which passes every role check),
//! `awa.integration` (role `awa_integration_user`) and `no.role` (no role). Each one's
//! password is its user name unless the mock was started with other passwords.

use base64::Engine;

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
pub(super) fn grants(roles: &[&str], role: &str) -> bool {
    roles.iter().any(|r| *r == role || *r == ROLE_ADMIN)
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
