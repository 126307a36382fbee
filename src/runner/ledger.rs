//! The clean-up ledger: every record a run creates and every setting it changes, appended to
//! `<report-dir>/ledger.jsonl` as it happens and written through to the file before the next
//! request, so that a run killed at any point (SIGKILL, power loss) can be cleaned up
//! afterwards by `sn-conform cleanup LEDGER`.
//!
//! A fixture's entry is written *before* its insert, with the sys_id the run chose for it
//! (the Table API honours a given `sys_id`), so no record can exist that the ledger does not
//! name. Records an operation creates are written the moment their answer names them.
//!
//! ```text
//! {"event":"run","base_url":"https://dev1.service-now.com","run_id":"4f0c2d9a1b","tool":"sn-conform 0.1.0","at":"1764000000.125"}
//! {"event":"created","table":"awa_service_channel","sys_id":"…","scenario":"awa_inbox_actions/accept::no credentials","trial":"awa_inbox_actions/accept::no credentials[v1 json]","at":"…"}
//! {"event":"changed","table":"sys_properties","sys_id":"…","name":"glide.awa.enabled","old_value":"true","new_value":"false","trial":"…","at":"…"}
//! {"event":"deleted","table":"awa_service_channel","sys_id":"…","at":"…"}
//! {"event":"restored","sys_id":"…","name":"glide.awa.enabled","at":"…"}
//! ```

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::report::Records;

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    /// The first line: which instance the records are on.
    Run {
        base_url: String,
        run_id: String,
        tool: String,
        at: String,
        /// The run was against the built-in mock it started: its records died with it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        built_in_mock: bool,
    },
    /// A record that exists (or is about to) because of the run.
    Created {
        table: String,
        sys_id: String,
        /// `api/operation::name` of the scenario (empty for the doctor's own records).
        #[serde(default)]
        scenario: String,
        trial: String,
        at: String,
        /// Made by the instance itself (a business rule) when the run inserted a record.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        by_instance: bool,
    },
    /// A record the run deleted (or found already gone).
    Deleted {
        table: String,
        sys_id: String,
        at: String,
    },
    /// A `sys_properties` value the run changed (or is about to).
    Changed {
        table: String,
        sys_id: String,
        name: String,
        old_value: String,
        new_value: String,
        trial: String,
        at: String,
    },
    /// A setting put back.
    Restored {
        sys_id: String,
        name: String,
        at: String,
    },
}

/// What a ledger still holds: records to delete and settings to restore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outstanding {
    /// (table, sys_id, trial), in creation order.
    pub records: Vec<(String, String, String)>,
    /// (sys_id, name, value to restore), in change order.
    pub settings: Vec<(String, String, String)>,
}

impl Outstanding {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.settings.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot write the ledger {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the ledger {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a ledger entry: {message}")]
    Entry {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path} is empty: it names no instance")]
    Empty { path: PathBuf },
}

/// An open ledger, appended to by every trial of a run.
pub struct Ledger {
    path: PathBuf,
    /// The file (none for a ledger kept in memory only) and every entry so far (for the
    /// run's own end-of-run sweep and counts).
    inner: Mutex<(Option<File>, Vec<Entry>)>,
    /// Write through to the disk (not only to the OS) after every entry.
    sync: bool,
    /// Records whose insert was sent but never answered: they may or may not exist. After a
    /// stop signal nobody waits on them; the ledger keeps them for `cleanup`.
    uncertain: Mutex<HashSet<(String, String)>>,
}

impl Ledger {
    /// Starts a new ledger at `path` for a run on `base_url` (`built_in_mock`: the mock the
    /// run starts). A ledger already there that still lists records on an instance is kept
    /// (renamed beside it, and the new name returned) rather than overwritten: it is the only
    /// list of what an earlier run left behind. (A run asks [`left_behind`] first, and stops.)
    pub fn create(
        path: &Path,
        base_url: &str,
        run_id: &str,
        built_in_mock: bool,
    ) -> Result<(Self, Option<PathBuf>), LedgerError> {
        let mut kept = None;
        if path.exists() {
            if let Ok((_, entries)) = read(path) {
                if !outstanding(&entries).is_empty() && !of_built_in_mock(&entries) {
                    let aside =
                        path.with_file_name(format!("ledger-{}.jsonl", now().replace('.', "-")));
                    std::fs::rename(path, &aside).map_err(|source| LedgerError::Write {
                        path: aside.clone(),
                        source,
                    })?;
                    kept = Some(aside);
                }
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LedgerError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let file = File::create(path).map_err(|source| LedgerError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        // A mock's records die with it; a real instance's ledger is written through to the
        // disk, so that it survives a power loss too.
        let ledger = Self {
            path: path.to_path_buf(),
            inner: Mutex::new((Some(file), Vec::new())),
            sync: !built_in_mock,
            uncertain: Mutex::default(),
        };
        ledger.append(Entry::Run {
            base_url: base_url.to_string(),
            run_id: run_id.to_string(),
            tool: format!("sn-conform {}", crate::VERSION),
            at: now(),
            built_in_mock,
        })?;
        Ok((ledger, kept))
    }

    /// Opens an existing ledger to append to (for `cleanup`), with its entries.
    pub fn open(path: &Path) -> Result<(Self, Vec<Entry>), LedgerError> {
        let (_, entries) = read(path)?;
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|source| LedgerError::Write {
                path: path.to_path_buf(),
                source,
            })?;
        Ok((
            Self {
                path: path.to_path_buf(),
                inner: Mutex::new((Some(file), entries.clone())),
                sync: true,
                uncertain: Mutex::default(),
            },
            entries,
        ))
    }

    /// A ledger kept in memory only: the run still sweeps what its trials left and counts
    /// what they created, but nothing survives the process (tests, embedding).
    pub fn in_memory(base_url: &str, run_id: &str) -> Self {
        let ledger = Self {
            path: PathBuf::new(),
            inner: Mutex::new((None, Vec::new())),
            sync: false,
            uncertain: Mutex::default(),
        };
        let _ = ledger.append(Entry::Run {
            base_url: base_url.to_string(),
            run_id: run_id.to_string(),
            tool: format!("sn-conform {}", crate::VERSION),
            at: now(),
            built_in_mock: false,
        });
        ledger
    }

    /// The file, unless the ledger is kept in memory.
    pub fn file(&self) -> Option<&Path> {
        (!self.path.as_os_str().is_empty()).then_some(self.path.as_path())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entry` and writes it through before returning.
    pub fn append(&self, entry: Entry) -> Result<(), LedgerError> {
        let mut line = serde_json::to_string(&entry).unwrap_or_default();
        line.push('\n');
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (file, entries) = &mut *inner;
        if let Some(file) = file {
            let written = file.write_all(line.as_bytes()).and_then(|()| {
                if self.sync {
                    file.sync_data()
                } else {
                    Ok(())
                }
            });
            written.map_err(|source| LedgerError::Write {
                path: self.path.clone(),
                source,
            })?;
        }
        entries.push(entry);
        Ok(())
    }

    /// `trial` is the trial's name (`api/operation::scenario[variant]`); the scenario is
    /// recorded apart from it.
    pub fn created(&self, table: &str, sys_id: &str, trial: &str) -> Result<(), LedgerError> {
        self.append(created(table, sys_id, trial, false))
    }

    /// A record the instance made itself when the run inserted one (see
    /// [`super::instance_made`]): deleted with it, counted apart.
    pub fn made_by_instance(
        &self,
        table: &str,
        sys_id: &str,
        trial: &str,
    ) -> Result<(), LedgerError> {
        self.append(created(table, sys_id, trial, true))
    }

    /// Whether the ledger names the record as created by this run.
    pub fn knows(&self, table: &str, sys_id: &str) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.1.iter().any(|e| {
            matches!(e, Entry::Created { table: t, sys_id: s, .. } if t == table && s == sys_id)
        })
    }

    pub fn deleted(&self, table: &str, sys_id: &str) -> Result<(), LedgerError> {
        self.append(Entry::Deleted {
            table: table.into(),
            sys_id: sys_id.into(),
            at: now(),
        })
    }

    pub fn changed(
        &self,
        sys_id: &str,
        name: &str,
        old_value: &str,
        new_value: &str,
        trial: &str,
    ) -> Result<(), LedgerError> {
        self.append(Entry::Changed {
            table: "sys_properties".into(),
            sys_id: sys_id.into(),
            name: name.into(),
            old_value: old_value.into(),
            new_value: new_value.into(),
            trial: trial.into(),
            at: now(),
        })
    }

    pub fn restored(&self, sys_id: &str, name: &str) -> Result<(), LedgerError> {
        self.append(Entry::Restored {
            sys_id: sys_id.into(),
            name: name.into(),
            at: now(),
        })
    }

    /// Marks a record whose insert is about to be sent (`true`) or was answered (`false`).
    pub fn set_uncertain(&self, table: &str, sys_id: &str, uncertain: bool) {
        let mut set = self.uncertain.lock().unwrap_or_else(|p| p.into_inner());
        let key = (table.to_string(), sys_id.to_string());
        if uncertain {
            set.insert(key);
        } else {
            set.remove(&key);
        }
    }

    /// Whether a record's insert was sent and never answered.
    pub fn is_uncertain(&self, table: &str, sys_id: &str) -> bool {
        self.uncertain
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&(table.to_string(), sys_id.to_string()))
    }

    /// What the ledger still holds.
    pub fn outstanding(&self) -> Outstanding {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        outstanding(&inner.1)
    }

    /// Records created and left, settings changed and left.
    pub fn counts(&self) -> Records {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entries = &inner.1;
        let left = outstanding(entries);
        let mut created: Vec<(&str, &str)> = Vec::new();
        let mut by_instance = 0;
        let mut changed = 0;
        for e in entries {
            match e {
                Entry::Created {
                    table,
                    sys_id,
                    by_instance: made,
                    ..
                } if !created.contains(&(table.as_str(), sys_id.as_str())) => {
                    created.push((table, sys_id));
                    by_instance += usize::from(*made);
                }
                Entry::Changed { .. } => changed += 1,
                _ => {}
            }
        }
        Records {
            created: created.len(),
            by_instance,
            left: left.records.len(),
            settings_changed: changed,
            settings_left: left.settings.len(),
            ledger: self.file().map(|p| p.display().to_string()),
        }
    }
}

/// The base URL a ledger names, and its entries. Lines are read in order; a line that is not
/// an entry is an error naming it (a ledger is never guessed at).
pub fn read(path: &Path) -> Result<(String, Vec<Entry>), LedgerError> {
    let file = File::open(path).map_err(|source| LedgerError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut entries = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| LedgerError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(&line) {
            Ok(entry) => entries.push(entry),
            // A run killed mid-write leaves at most its last line cut short: nothing it names
            // was sent yet, so it is skipped.
            Err(_) if !line.ends_with('}') => {}
            Err(e) => {
                return Err(LedgerError::Entry {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: e.to_string(),
                })
            }
        }
    }
    let base_url = entries
        .iter()
        .find_map(|e| match e {
            Entry::Run { base_url, .. } => Some(base_url.clone()),
            _ => None,
        })
        .ok_or_else(|| LedgerError::Empty {
            path: path.to_path_buf(),
        })?;
    Ok((base_url, entries))
}

/// The entry of a record created because of `trial` (`api/operation::name[variant]`; the
/// scenario is recorded apart from it).
fn created(table: &str, sys_id: &str, trial: &str, by_instance: bool) -> Entry {
    let scenario = trial.split('[').next().unwrap_or("").to_string();
    Entry::Created {
        table: table.into(),
        sys_id: sys_id.into(),
        scenario: if scenario.contains("::") {
            scenario
        } else {
            String::new()
        },
        trial: trial.into(),
        at: now(),
        by_instance,
    }
}

/// Whether the ledger's run was against the built-in mock it started.
fn of_built_in_mock(entries: &[Entry]) -> bool {
    entries.iter().any(|e| {
        matches!(
            e,
            Entry::Run {
                built_in_mock: true,
                ..
            }
        )
    })
}

/// What an earlier run's ledger says it left on an instance: records not deleted, settings
/// not put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftBehind {
    pub path: PathBuf,
    pub base_url: String,
    pub records: usize,
    /// The names of the settings not restored (`glide.awa.enabled`).
    pub settings: Vec<String>,
}

impl std::fmt::Display for LeftBehind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut what = Vec::new();
        if self.records > 0 {
            what.push(format!("{} record(s) not deleted", self.records));
        }
        for name in &self.settings {
            what.push(format!("{name} not put back"));
        }
        write!(
            f,
            "the ledger of an earlier run that was stopped ({}) lists what it left on {}: {}; run `sn-conform cleanup {}` first",
            self.path.display(),
            self.base_url,
            what.join(", "),
            self.path.display()
        )
    }
}

/// What the ledger at `path` says an earlier run left on an instance; `None` when there is
/// no ledger there, it lists nothing outstanding, or its run was against the built-in mock.
/// A ledger that does not read is left to `cleanup` to report.
pub fn left_behind(path: &Path) -> Option<LeftBehind> {
    let (base_url, entries) = read(path).ok()?;
    let left = outstanding(&entries);
    if left.is_empty() || of_built_in_mock(&entries) {
        return None;
    }
    let mut settings: Vec<String> = left.settings.iter().map(|(_, n, _)| n.clone()).collect();
    settings.dedup();
    Some(LeftBehind {
        path: path.to_path_buf(),
        base_url,
        records: left.records.len(),
        settings,
    })
}

/// Records created and not deleted; settings changed and not restored (each restored to the
/// value it had before the run's first change).
pub fn outstanding(entries: &[Entry]) -> Outstanding {
    let mut out = Outstanding::default();
    for entry in entries {
        match entry {
            Entry::Created {
                table,
                sys_id,
                trial,
                ..
            } => {
                if !out
                    .records
                    .iter()
                    .any(|(t, s, _)| t == table && s == sys_id)
                {
                    out.records
                        .push((table.clone(), sys_id.clone(), trial.clone()));
                }
            }
            Entry::Deleted { table, sys_id, .. } => {
                out.records.retain(|(t, s, _)| !(t == table && s == sys_id));
            }
            Entry::Changed {
                sys_id,
                name,
                old_value,
                ..
            } => {
                if !out.settings.iter().any(|(s, _, _)| s == sys_id) {
                    out.settings
                        .push((sys_id.clone(), name.clone(), old_value.clone()));
                }
            }
            Entry::Restored { sys_id, .. } => {
                out.settings.retain(|(s, _, _)| s != sys_id);
            }
            Entry::Run { .. } => {}
        }
    }
    out
}

/// Seconds since the Unix epoch, with milliseconds.
fn now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:03}", since.as_secs(), since.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_created_and_not_deleted_is_outstanding_and_survives_a_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let (ledger, kept) = Ledger::create(&path, "http://x", "r1", false).unwrap();
        assert!(kept.is_none());
        ledger.created("t", "a", "trial 1").unwrap();
        ledger.created("t", "b", "trial 1").unwrap();
        ledger
            .changed("p", "glide.awa.enabled", "true", "false", "trial 2")
            .unwrap();
        ledger.deleted("t", "a").unwrap();
        drop(ledger);
        // A run killed while writing leaves half a line.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"event\":\"deleted\",\"tab");
        std::fs::write(&path, text).unwrap();
        let (base, entries) = read(&path).unwrap();
        assert_eq!(base, "http://x");
        let left = outstanding(&entries);
        assert_eq!(
            left.records,
            vec![("t".into(), "b".into(), "trial 1".into())]
        );
        assert_eq!(
            left.settings,
            vec![("p".into(), "glide.awa.enabled".into(), "true".into())]
        );
        // A new run is told what the ledger lists, with the command to run first.
        let said = left_behind(&path).expect("left behind").to_string();
        assert!(
            said.contains("1 record(s) not deleted, glide.awa.enabled not put back"),
            "{said}"
        );
        assert!(
            said.ends_with(&format!(
                "run `sn-conform cleanup {}` first",
                path.display()
            )),
            "{said}"
        );
        // A new run does not overwrite a ledger that still lists records.
        let (_, kept) = Ledger::create(&path, "http://x", "r2", false).unwrap();
        let kept = kept.expect("kept aside");
        assert_eq!(outstanding(&read(&kept).unwrap().1), left);
        assert!(
            left_behind(&path).is_none(),
            "the new ledger lists nothing yet"
        );
    }

    #[test]
    fn a_built_in_mocks_ledger_left_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let (ledger, _) = Ledger::create(&path, "http://127.0.0.1:1", "r1", true).unwrap();
        ledger.created("t", "a", "trial 1").unwrap();
        drop(ledger);
        assert!(left_behind(&path).is_none());
        let (_, kept) = Ledger::create(&path, "http://127.0.0.1:2", "r2", true).unwrap();
        assert!(
            kept.is_none(),
            "overwritten: its records died with the mock"
        );
    }
}
