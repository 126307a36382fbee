//! What one trial carries from step to step: its variables, the exchanges so far, its
//! findings, and the list of things to put back after it.

use crate::report::ExchangeRecord;
use crate::spec::template::Vars;
use crate::spec::Format;

/// What a trial has done so far, and what it must undo.
pub(super) struct TrialState {
    pub(super) vars: Vars,
    pub(super) exchanges: Vec<ExchangeRecord>,
    pub(super) failures: Vec<String>,
    pub(super) warnings: Vec<String>,
    /// The first thing that kept the harness from asking: makes the trial an error.
    pub(super) broken: Option<String>,
    pub(super) undo: Vec<Undo>,
    /// Teardown's requests are never abandoned on Ctrl-C: they put the instance back.
    pub(super) tearing_down: bool,
    /// The body format of the variant's request steps.
    pub(super) format: Format,
    /// The trial's name, for the ledger.
    pub(super) trial: String,
}

/// Something to put back after the steps, in reverse order.
pub(super) enum Undo {
    Delete {
        table: String,
        sys_id: String,
        what: String,
    },
    Restore {
        sys_id: String,
        name: String,
        value: String,
    },
}

impl TrialState {
    /// A fresh state for `trial`: no variables, no exchanges, nothing to undo.
    pub(super) fn new(trial: &str, format: Format, tearing_down: bool) -> Self {
        Self {
            vars: Vars::default(),
            exchanges: Vec::new(),
            failures: Vec::new(),
            warnings: Vec::new(),
            broken: None,
            undo: Vec::new(),
            tearing_down,
            format,
            trial: trial.to_string(),
        }
    }
}
