//! The runner: a run ([`Run`]) made of services and trials.
//!
//! The run's services, each a value with one job, live in `services.rs`: the link to the
//! target (`client.rs`: HTTP, the limit on requests in flight, secrets, OAuth tokens, the stop
//! switch), the ledger, the records shared by trials, the exclusive phases, the results. A
//! trial (`trial.rs`) goes from its start to its result against them; its fixtures are set up
//! and torn down by `fixtures.rs`; checks are pure evaluators (`checks.rs`); putting the
//! instance back is `cleanup.rs`'s; the doctor's checks are `doctor.rs`'s; an answer that is not the platform's
//! (a hibernating instance's page, a proxy's login page) is recognised by `foreign.rs`; the
//! records the instance makes itself when the run inserts one are learnt by `instance_made.rs`;
//! the run's own reads and deletes that go together are sent as one Batch API request
//! (`batch.rs`).
//!
//! One tokio runtime and one HTTP client serve the run's own work; each trial thread drives
//! its requests on a loop and client of its own (`trial_loop.rs`).

mod batch;
mod cancel;
mod checks;
mod cleanup;
mod client;
mod collector;
mod doctor;
mod error;
mod fixtures;
mod foreign;
mod http;
mod instance_made;
mod ledger;
mod limiter;
mod oauth;
mod phase;
mod redact;
mod run;
mod secrets;
mod services;
mod shared;
mod snapshot;
mod state;
mod trial;
mod trial_loop;
mod trials;

pub use cancel::Cancel;
pub use cleanup::{cleanup, ledger_base_url, CleanupError, Sweep};
pub use client::ClientError;
pub use error::{Broken, ExchangeFailure, Place, RequestError, TokenError, TrialError};
pub use foreign::{not_the_platform, Foreign};
pub use ledger::{read as read_ledger, Entry, Ledger, LedgerError, Outstanding};
pub use limiter::Limiter;
pub use oauth::EXPIRY_WAIT_LIMIT;
pub use run::{BuiltInMock, Notice, Plan, PlanError, PrepareError, Run, EMBEDDED_TOKEN_LIFETIME};
pub use secrets::Secrets;
pub use snapshot::{Snapshot, SnapshotError};
pub use trial::READ_ONLY_REASON;
