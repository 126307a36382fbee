//! Putting an instance back from a ledger: every record it still lists is deleted and every
//! setting restored to its value before the run. Used at the end of every run (a trial's own
//! teardown normally leaves nothing to do) and by `sn-conform cleanup` after a killed run.
//! Idempotent: a record already gone counts as gone, and the ledger records what was done.

use std::path::Path;

use serde_json::{Map, Value};

use super::context::{ClientError, RunContext};
use super::ledger::{self, Ledger, LedgerError, Outstanding};
use super::state::TrialState;
use super::target::Target;
use crate::report::ExchangeRecord;
use crate::schema_set::SchemaSet;
use crate::spec::Format;

/// What a sweep did.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    /// `table/sys_id` deleted now.
    pub deleted: Vec<String>,
    /// `table/sys_id` already gone (404).
    pub gone: Vec<String>,
    /// `name=value` restored.
    pub restored: Vec<String>,
    /// What could not be put back, and why.
    pub problems: Vec<String>,
    pub exchanges: Vec<ExchangeRecord>,
}

impl RunContext {
    /// Deletes and restores everything `outstanding` lists, newest first. Its requests are
    /// never abandoned on Ctrl-C: they put the instance back.
    pub async fn sweep(&self, outstanding: &Outstanding) -> Sweep {
        let mut state = TrialState::new("cleanup", Format::Json, true);
        let mut sweep = Sweep::default();
        for (table, sys_id, trial) in outstanding.records.iter().rev() {
            let what = format!("{table}/{sys_id}");
            let answer = self
                .table_request(
                    "DELETE",
                    table,
                    Some(sys_id),
                    None,
                    &format!("cleanup of {what} (from {trial})"),
                    &mut state,
                )
                .await;
            match answer {
                Ok(a) if a.status == 200 || a.status == 204 || a.status == 404 => {
                    if let Err(e) = self.ledger.deleted(table, sys_id) {
                        sweep.problems.push(e.to_string());
                    }
                    if a.status == 404 {
                        sweep.gone.push(what);
                    } else {
                        sweep.deleted.push(what);
                    }
                }
                Ok(a) => sweep
                    .problems
                    .push(format!("deleting {what} answered {}", a.status)),
                Err(e) => sweep.problems.push(format!("deleting {what}: {e}")),
            }
        }
        for (sys_id, name, value) in outstanding.settings.iter().rev() {
            let mut body = Map::new();
            body.insert("value".into(), Value::String(value.clone()));
            let answer = self
                .table_request(
                    "PATCH",
                    "sys_properties",
                    Some(sys_id),
                    Some(&body),
                    &format!("restore of {name}"),
                    &mut state,
                )
                .await;
            match answer {
                Ok(a) if a.status == 200 => {
                    if let Err(e) = self.ledger.restored(sys_id, name) {
                        sweep.problems.push(e.to_string());
                    }
                    sweep.restored.push(format!("{name}={value}"));
                }
                Ok(a) => sweep.problems.push(format!(
                    "restoring {name}={value} answered {}: restore it by hand",
                    a.status
                )),
                Err(e) => sweep
                    .problems
                    .push(format!("restoring {name}={value}: {e}: restore it by hand")),
            }
        }
        sweep.exchanges = state.exchanges;
        sweep
    }
}

/// Why a ledger could not be swept at all.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(std::io::Error),
}

/// The base URL a ledger names (the default target of `cleanup`).
pub fn ledger_base_url(path: &Path) -> Result<String, LedgerError> {
    ledger::read(path).map(|(base_url, _)| base_url)
}

/// Deletes and restores what the ledger at `path` still lists, on `target`, recording each
/// deletion and restoration in the same ledger. Returns what it did and how many records the
/// ledger had listed in all.
pub fn cleanup(
    target: Target,
    schemas: SchemaSet,
    path: &Path,
) -> Result<(Sweep, Outstanding), CleanupError> {
    let (ledger, _) = Ledger::open(path)?;
    let outstanding = ledger.outstanding();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CleanupError::Runtime)?;
    let ctx = RunContext::new(
        target,
        schemas,
        runtime.handle().clone(),
        "cleanup".into(),
        ledger,
    )?;
    let sweep = runtime.block_on(ctx.sweep(&outstanding));
    Ok((sweep, outstanding))
}
