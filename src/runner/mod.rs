//! The runner: one tokio runtime, one HTTP client and one collector for the whole run, and a
//! libtest-mimic trial per scenario and variant.

mod cancel;
mod checks;
mod context;
mod execute;
mod fixtures;
mod http;
mod redact;
mod requests;
mod run;
mod state;
mod target;
mod trials;

pub use cancel::Cancel;
pub use context::{ClientError, RunContext};
pub use run::{Notice, Plan, PrepareError, Run};
pub use target::{Credentials, Target};
