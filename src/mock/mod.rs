//! The mock instance: a faithful, stateful stand-in for the three APIs and the platform pieces
//! the suite uses (Basic and bearer auth, the Table API subset, `sys_properties`).
//!
//! [`app`] builds the router over a [`Mock`] handle; [`serve`] runs it on a listener until the
//! shutdown future completes, so tests bind `127.0.0.1:0` and stop it cleanly.

mod attachment;
mod auth;
mod awa;
mod batch;
mod conversation_member;
pub mod dictionary;
mod envelope;
mod fault;
mod interaction;
mod json_text;
mod metadata;
mod oauth;
pub mod query;
mod router;
mod schema;
mod script;
pub mod seed;
mod server;
mod state;
mod store;
mod table_api;
pub mod tls;

pub use auth::Account;
pub use dictionary::{Dictionary, DictionaryError};
pub use envelope::{ApiError, Reply, Success, RATE_LIMIT_RULE, SERVER};
pub use fault::{Fault, FaultSet};
pub use oauth::BUILT_IN_OAUTH_CLIENT;
pub use router::app;
pub use schema::{FAULT_MISSING_FIELD, SYSTEM_FIELDS};
pub use server::{serve, RunningMock};
pub use state::{
    body_str, parse_latency, parse_rate, Latency, Mock, MockOptions, RateDecision,
    DEFAULT_MAX_BODY, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_RECORDS, DEFAULT_MAX_URI_BYTES,
};
pub use store::Store;
