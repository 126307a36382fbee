//! What one trial carries from step to step: its variables, the exchanges so far, its
//! findings, and the list of things to put back after it.

use super::client::{Journal, Mode};
use super::error::Broken;
use super::shared::SharedRecord;
use crate::report::{CleanupProblem, Finding, Level};
use crate::spec::template::Vars;
use crate::spec::Format;

/// What a trial has done so far, and what it must undo.
pub(super) struct TrialState {
    pub(super) vars: Vars,
    /// Its exchanges, and whether a stop signal abandons its requests (never in teardown:
    /// those put the instance back).
    pub(super) journal: Journal,
    /// The checks that did not hold, placed at their steps, at their effective level.
    pub(super) findings: Vec<Finding>,
    /// What its teardown could not put back.
    pub(super) cleanup: Vec<CleanupProblem>,
    /// The first thing that kept the harness from asking: makes the trial an error.
    pub(super) broken: Option<Broken>,
    pub(super) undo: Vec<Undo>,
    /// The body format of the variant's request steps.
    pub(super) format: Format,
    /// The trial's name, for the ledger.
    pub(super) trial: String,
    /// The variant's label: records shared by the run that depend on it are one per variant.
    pub(super) variant: String,
    /// Records lent to the trial, by sharing key, to give back after its teardown.
    pub(super) leases: Vec<(String, SharedRecord)>,
}

/// The level of a record an operation created: deleted before every fixture.
pub(super) const STEP_LEVEL: usize = usize::MAX;

/// A record to delete after the steps.
pub(super) struct Undo {
    pub(super) table: String,
    pub(super) sys_id: String,
    pub(super) what: String,
    /// The fixture's creation level ([`crate::spec::scope::levels`]), or [`STEP_LEVEL`] for a
    /// record a step created: higher levels are deleted first.
    pub(super) level: usize,
}

impl TrialState {
    /// A fresh state for `trial`: no variables, no exchanges, nothing to undo.
    pub(super) fn new(trial: &str, format: Format, mode: Mode) -> Self {
        Self {
            vars: Vars::default(),
            journal: Journal::new(mode),
            findings: Vec::new(),
            cleanup: Vec::new(),
            broken: None,
            undo: Vec::new(),
            format,
            trial: trial.to_string(),
            variant: String::new(),
            leases: Vec::new(),
        }
    }

    /// A state for work done beside this one (a fixture created at the same time as
    /// others): the same variables and settings, nothing done yet. [`TrialState::absorb`]
    /// takes its work back.
    pub(super) fn fork(&self) -> Self {
        Self {
            vars: self.vars.clone(),
            variant: self.variant.clone(),
            ..Self::new(&self.trial, self.format, self.journal.mode)
        }
    }

    /// Whether a `must` check has failed.
    pub(super) fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Must)
    }

    /// Takes back what a fork did: its exchanges, findings, variables and what it must undo.
    pub(super) fn absorb(&mut self, fork: Self) {
        self.journal.exchanges.extend(fork.journal.exchanges);
        self.findings.extend(fork.findings);
        self.cleanup.extend(fork.cleanup);
        self.undo.extend(fork.undo);
        for (name, value) in fork.vars {
            // Most of a fork's variables are its parent's, unchanged.
            if self.vars.get(&name) != Some(&value) {
                self.vars.insert(name, value);
            }
        }
        self.leases.extend(fork.leases);
        if let Some(broken) = fork.broken {
            self.broken.get_or_insert(broken);
        }
    }
}
