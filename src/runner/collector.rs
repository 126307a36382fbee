//! Every finished trial's result, collected for the reports: trials push theirs as they
//! finish (on any thread), the run takes them all at its end, sorted by name.

use std::sync::Mutex;

use crate::report::TrialResult;

/// The results of a run's finished trials.
///
/// A `std::sync::Mutex`: a trial pushes its result once, from its own thread, outside any
/// `.await`.
#[derive(Default)]
pub(super) struct Collector {
    results: Mutex<Vec<TrialResult>>,
}

impl Collector {
    /// Keeps a finished trial's result (exchanges and all, not copied).
    pub(super) fn push(&self, result: TrialResult) {
        self.results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(result);
    }

    /// The collected results, sorted by trial name.
    pub(super) fn take(&self) -> Vec<TrialResult> {
        let mut results =
            std::mem::take(&mut *self.results.lock().unwrap_or_else(|p| p.into_inner()));
        results.sort_by(|a, b| a.name.cmp(&b.name));
        results
    }
}
