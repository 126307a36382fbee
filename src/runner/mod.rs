//! The runner: one tokio runtime, one HTTP client and one collector for the whole run (each
//! trial thread also drives its requests on a loop and client of its own: [`trial_loop`]),
//! and a libtest-mimic trial per scenario and variant.

mod cancel;
mod checks;
mod context;
mod doctor;
mod execute;
mod fixtures;
mod http;
mod ledger;
mod limiter;
mod oauth;
mod phase;
mod redact;
mod requests;
mod run;
mod secrets;
mod shared;
mod state;
mod sweep;
mod trial_loop;
mod trials;

pub use cancel::Cancel;
pub use context::{ClientError, RunContext};
pub use execute::READ_ONLY_REASON;
pub use ledger::{Entry, Ledger, LedgerError, Outstanding};
pub use limiter::Limiter;
pub use oauth::EXPIRY_WAIT_LIMIT;
pub use run::{BuiltInMock, Notice, Plan, PlanError, PrepareError, Run, EMBEDDED_TOKEN_LIFETIME};
pub use secrets::Secrets;
pub use sweep::{cleanup, ledger_base_url, CleanupError, Sweep};
