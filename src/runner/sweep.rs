//! Putting an instance back from a ledger: every record it still lists is deleted and every
//! setting restored to its value before the run. Used at the end of every run (a trial's own
//! teardown normally leaves nothing to do) and by `sn-conform cleanup` after a killed run.
//! Idempotent: a record already gone counts as gone, and the ledger records what was done.

use std::path::Path;

use serde_json::{Map, Value};

use super::context::{ClientError, RunContext};
use super::ledger::{self, Ledger, LedgerError, Outstanding};
use super::state::TrialState;
use crate::report::ExchangeRecord;
use crate::schemas::SchemaSet;
use crate::spec::Format;
use crate::target::Target;

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
            let during = format!("cleanup of {what} (from {trial})");
            match self
                .delete_record(table, sys_id, &during, &mut state, &mut sweep.problems)
                .await
            {
                Ok(true) => sweep.deleted.push(what),
                Ok(false) => sweep.gone.push(what),
                Err(how) => sweep.problems.push(format!("deleting {what}{how}")),
            }
        }
        for (sys_id, name, value) in outstanding.settings.iter().rev() {
            match self
                .restore_setting(sys_id, name, value, &mut state, &mut sweep.problems)
                .await
            {
                Ok(()) => sweep.restored.push(format!("{name}={value}")),
                Err(how) => sweep
                    .problems
                    .push(format!("restoring {name}={value}{how}: restore it by hand")),
            }
        }
        sweep.exchanges = state.exchanges;
        sweep
    }
}

impl RunContext {
    /// Deletes one record the run made and writes that to the ledger (a ledger that cannot be
    /// written is pushed onto `problems`): `Ok(true)` when it was there, `Ok(false)` when it was
    /// already gone. `Err` says how the request failed, to follow the record's name in a
    /// message (` answered 500`, `: timed out`). The one way every part of a run deletes.
    pub(super) async fn delete_record(
        &self,
        table: &str,
        sys_id: &str,
        during: &str,
        state: &mut TrialState,
        problems: &mut Vec<String>,
    ) -> Result<bool, String> {
        let answer = self
            .table_request("DELETE", table, Some(sys_id), None, during, state)
            .await
            .map_err(|e| format!(": {e}"))?;
        if !matches!(answer.status, 200 | 204 | 404) {
            return Err(format!(" answered {}", answer.status));
        }
        if let Err(e) = self.ledger.deleted(table, sys_id) {
            problems.push(e.to_string());
        }
        Ok(answer.status != 404)
    }

    /// Puts the property `name` (record `sys_id`) back to `value` and writes that to the
    /// ledger, as [`RunContext::delete_record`] does for records.
    pub(super) async fn restore_setting(
        &self,
        sys_id: &str,
        name: &str,
        value: &str,
        state: &mut TrialState,
        problems: &mut Vec<String>,
    ) -> Result<(), String> {
        let status = self
            .set_property(sys_id, value, &format!("restore of {name}"), state)
            .await
            .map_err(|e| format!(": {e}"))?;
        if status != 200 {
            return Err(format!(" answered {status}"));
        }
        if let Err(e) = self.ledger.restored(sys_id, name) {
            problems.push(e.to_string());
        }
        Ok(())
    }

    /// Sets the property record `sys_id` to `value` (a setting applied or put back); the
    /// answer's status.
    pub(super) async fn set_property(
        &self,
        sys_id: &str,
        value: &str,
        during: &str,
        state: &mut TrialState,
    ) -> Result<u16, String> {
        let mut body = Map::new();
        body.insert("value".into(), Value::String(value.to_string()));
        self.table_request(
            "PATCH",
            "sys_properties",
            Some(sys_id),
            Some(&body),
            during,
            state,
        )
        .await
        .map(|answer| answer.status)
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
