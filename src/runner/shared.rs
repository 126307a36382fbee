//! Records the run creates once and shares between trials (see [`crate::spec::scope`]):
//! the first trial that needs one creates it, trials that need it at the same time wait for
//! that creation, and every later trial binds the same record. Leased records are lent to
//! one trial at a time: a trial takes a free one (or creates one) and gives it back after its
//! teardown. They are in the ledger from
//! before their insert, like every fixture, and are deleted at the end of the run, dependents
//! first, the records of one level at the same time; what that misses (a stop signal, a
//! failed delete) the ledger's sweep and `sn-conform cleanup` still find.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::OnceCell;

/// A record created for the run.
#[derive(Debug, Clone)]
pub(super) struct SharedRecord {
    /// The record as the insert answered it, for `{{id.field}}`.
    pub(super) record: Map<String, Value>,
}

/// A record to delete at the end of the run, with its creation level.
#[derive(Debug, Clone)]
pub(super) struct Made {
    pub(super) table: String,
    pub(super) sys_id: String,
    pub(super) what: String,
    pub(super) level: usize,
}

/// Every record shared by the run, by sharing key.
///
/// A `std::sync::Mutex` guards the maps: it is never held across an `.await` (a creation
/// waits on its own cell, outside the lock).
#[derive(Default)]
pub(super) struct SharedFixtures {
    cells: Mutex<HashMap<String, Arc<OnceCell<SharedRecord>>>>,
    /// Leased records nobody holds now, by key.
    free: Mutex<HashMap<String, Vec<SharedRecord>>>,
    made: Mutex<Vec<Made>>,
}

impl SharedFixtures {
    /// The cell of the record with `key`, created empty on first use.
    pub(super) fn cell(&self, key: &str) -> Arc<OnceCell<SharedRecord>> {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(cells.entry(key.to_string()).or_default())
    }

    /// A free leased record with `key`, if there is one; the caller creates one otherwise.
    pub(super) fn lease(&self, key: &str) -> Option<SharedRecord> {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(key)
            .and_then(Vec::pop)
    }

    /// Gives leased records back for the next trial. Only after a clean teardown: a record
    /// whose lessee could not delete its own records is not lent again (it is deleted at the
    /// end of the run like the others).
    pub(super) fn give_back(&self, leases: Vec<(String, SharedRecord)>) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        for (key, record) in leases {
            free.entry(key).or_default().push(record);
        }
    }

    /// Notes a record to delete at the end of the run (before its insert is sent).
    pub(super) fn made(&self, made: Made) {
        self.made
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(made);
    }

    /// Drops a record from those to delete: its insert was never sent.
    pub(super) fn forget(&self, table: &str, sys_id: &str) {
        self.made
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|m| !(m.table == table && m.sys_id == sys_id));
    }

    /// Takes every record to delete, grouped by level, highest level first (a record is
    /// deleted before the records it refers to).
    pub(super) fn take_by_level(&self) -> Vec<Vec<Made>> {
        let made = std::mem::take(&mut *self.made.lock().unwrap_or_else(|p| p.into_inner()));
        let top = made.iter().map(|m| m.level).max().unwrap_or(0);
        let mut levels: Vec<Vec<Made>> = vec![Vec::new(); top + 1];
        for m in made {
            levels[top - m.level].push(m);
        }
        levels.retain(|l| !l.is_empty());
        levels
    }
}
