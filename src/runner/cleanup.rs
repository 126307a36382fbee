//! Putting an instance back: deleting a record the run made and restoring a setting it
//! changed, each written to the ledger; a trial's teardown, the records the run shared
//! (deleted at its end, dependents first), and the sweep of whatever a ledger still lists,
//! at the end of every run (a trial's own teardown normally leaves nothing to do) and by
//! `sn-conform cleanup` after a killed run. Idempotent: a record already gone counts as gone,
//! and the ledger records what was done.

use std::path::Path;

use serde_json::{Map, Value};

use super::client::{Client, ClientError, Journal, Mode};
use super::error::NotPutBack;
use super::error::RequestError;
use super::http::Answer;
use super::ledger::{self, Ledger, LedgerError, Outstanding};
use super::shared::SharedFixtures;
use crate::report::{CleanupProblem, ExchangeRecord, Origin, PutBack};
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

/// Deletes and restores through the run's client, writing each to its ledger.
pub(super) struct Janitor<'a> {
    pub(super) client: &'a Client,
    pub(super) ledger: &'a Ledger,
}

impl Janitor<'_> {
    /// Deletes and restores everything `outstanding` lists, newest first. Its requests are
    /// never abandoned on Ctrl-C: they put the instance back. The records go
    /// [`super::batch::MAX_ITEMS`] at a time: read together, what the instance made with
    /// them learnt, then deleted in order (each record before the ones the instance made
    /// with it, newer records before older ones), one Batch API request for each step when
    /// the target takes it.
    pub(super) async fn sweep(&self, outstanding: &Outstanding) -> Sweep {
        let mut journal = Journal::new(Mode::PuttingBack);
        let mut sweep = Sweep::default();
        let newest_first: Vec<&(String, String, String)> =
            outstanding.records.iter().rev().collect();
        for listed in newest_first.chunks(super::batch::MAX_ITEMS) {
            let doomed = self
                .with_what_they_made(listed, &mut journal, &mut sweep)
                .await;
            let deletes = doomed
                .iter()
                .map(|(table, sys_id, origin)| {
                    self.client
                        .table_outgoing("DELETE", table, Some(sys_id), origin.clone())
                })
                .collect();
            let answers = self.client.send_in_order(deletes, &mut journal).await;
            for ((table, sys_id, _), answer) in doomed.into_iter().zip(answers) {
                let what = format!("{table}/{sys_id}");
                match self.note_deleted(&table, &sys_id, answer, &mut sweep.problems) {
                    Ok(true) => sweep.deleted.push(what),
                    Ok(false) => sweep.gone.push(what),
                    Err(e) => sweep.problems.push(format!("deleting {what}{}", e.how())),
                }
            }
        }
        for (sys_id, name, value) in outstanding.settings.iter().rev() {
            match self
                .restore_setting(sys_id, name, value, &mut journal, &mut sweep.problems)
                .await
            {
                Ok(()) => sweep.restored.push(format!("{name}={value}")),
                Err(e) => sweep.problems.push(format!(
                    "restoring {name}={value}{}: restore it by hand",
                    e.how()
                )),
            }
        }
        sweep.exchanges = journal.exchanges;
        sweep
    }

    /// `listed` (table, sys_id, trial) and, after each, the records the instance made with
    /// it, each with the origin of its deletion. A run killed between an insert and learning
    /// what the instance made with it left those records unlisted: the listed records are
    /// read (together) and what they point at is learnt now, for all of them at once.
    async fn with_what_they_made(
        &self,
        listed: &[&(String, String, String)],
        journal: &mut Journal,
        sweep: &mut Sweep,
    ) -> Vec<(String, String, Origin)> {
        let origin = |table: &str, sys_id: &str, trial: &str| Origin::CleanUp {
            record: format!("{table}/{sys_id}"),
            trial: trial.to_string(),
        };
        let reads = listed
            .iter()
            .map(|(table, sys_id, trial)| {
                self.client
                    .table_outgoing("GET", table, Some(sys_id), origin(table, sys_id, trial))
            })
            .collect();
        let answers = self.client.send_together(reads, journal).await;
        let mode = journal.mode;
        // What each record points at is learnt at the same time (the reads of one record go
        // together), each into a journal of its own, kept in the listed order.
        let learnt = futures_util::future::join_all(listed.iter().zip(answers).map(
            |(&(table, sys_id, trial), answer)| async move {
                let from = origin(table, sys_id, trial);
                let mut own = Journal::new(mode);
                let record =
                    answer
                        .ok()
                        .filter(|a| a.status == 200)
                        .and_then(|a| match a.result() {
                            Some(Value::Object(record)) => Some(record.clone()),
                            _ => None,
                        });
                let made = match record {
                    Some(record) => {
                        super::instance_made::learn(
                            self.client,
                            self.ledger,
                            &record,
                            &Map::new(),
                            trial,
                            &from,
                            &mut own,
                        )
                        .await
                    }
                    None => Ok(Vec::new()),
                };
                ((table, sys_id, from), made, own)
            },
        ))
        .await;
        let mut doomed = Vec::new();
        for ((table, sys_id, from), made, own) in learnt {
            journal.exchanges.extend(own.exchanges);
            let made = made.unwrap_or_else(|e| {
                sweep.problems.push(e.to_string());
                Vec::new()
            });
            doomed.push((table.clone(), sys_id.clone(), from.clone()));
            doomed.extend(made.into_iter().map(|m| (m.table, m.sys_id, from.clone())));
        }
        doomed
    }

    /// What the answer to a delete of `table/sys_id` says, written to the ledger when the
    /// record is gone (a ledger that cannot be written is pushed onto `problems`): `Ok(true)`
    /// when it was there, `Ok(false)` when it was already gone; `Err` when the request failed
    /// or the instance refused. The one way every part of a run reads a delete's answer.
    fn note_deleted(
        &self,
        table: &str,
        sys_id: &str,
        answer: Result<Answer, RequestError>,
        problems: &mut Vec<String>,
    ) -> Result<bool, NotPutBack> {
        let answer = answer.map_err(NotPutBack::Request)?;
        if !matches!(answer.status, 200 | 204 | 404) {
            return Err(NotPutBack::Answered(answer.status));
        }
        if let Err(e) = self.ledger.deleted(table, sys_id) {
            problems.push(e.to_string());
        }
        Ok(answer.status != 404)
    }

    /// Puts the property `name` (record `sys_id`) back to `value` and writes that to the
    /// ledger, as [`Janitor::note_deleted`] does for records.
    pub(super) async fn restore_setting(
        &self,
        sys_id: &str,
        name: &str,
        value: &str,
        journal: &mut Journal,
        problems: &mut Vec<String>,
    ) -> Result<(), NotPutBack> {
        let status = self
            .client
            .set_property(
                sys_id,
                value,
                Origin::Restore {
                    name: name.to_string(),
                },
                journal,
            )
            .await
            .map_err(NotPutBack::Request)?;
        if status != 200 {
            return Err(NotPutBack::Answered(status));
        }
        if let Err(e) = self.ledger.restored(sys_id, name) {
            problems.push(e.to_string());
        }
        Ok(())
    }

    /// Deletes records a trial (or the run) made that nothing else refers to, together (one
    /// Batch API request when the target takes it, see [`Client::send_together`]); for each,
    /// in order, what went wrong, if anything, as a warning. A record whose insert got no
    /// answer before a stop signal is left to the ledger.
    pub(super) async fn delete_together(
        &self,
        records: &[(&str, &str, &str)],
        journal: &mut Journal,
    ) -> Vec<Option<CleanupProblem>> {
        let problem = |table: &str, sys_id: &str, message: String| CleanupProblem {
            subject: PutBack::Record {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
            },
            message,
        };
        let mut found: Vec<Option<CleanupProblem>> = records.iter().map(|_| None).collect();
        let mut sending = Vec::new();
        for (i, &(table, sys_id, what)) in records.iter().enumerate() {
            if self.client.cancel.is_cancelled() && self.ledger.is_uncertain(table, sys_id) {
                found[i] = Some(problem(table, sys_id, format!(
                    "cleanup: {what} ({table}/{sys_id}) may exist (its insert got no answer before the stop); the ledger keeps it for `sn-conform cleanup`"
                )));
            } else {
                sending.push(i);
            }
        }
        let items = sending
            .iter()
            .map(|&i| {
                let (table, sys_id, what) = records[i];
                let origin = Origin::Teardown {
                    what: what.to_string(),
                };
                self.client
                    .table_outgoing("DELETE", table, Some(sys_id), origin)
            })
            .collect();
        let answers = self.client.send_together(items, journal).await;
        for (&i, answer) in sending.iter().zip(answers) {
            let (table, sys_id, what) = records[i];
            let mut problems = Vec::new();
            found[i] = match self.note_deleted(table, sys_id, answer, &mut problems) {
                Ok(_) => problems.pop().map(ledger_problem),
                Err(e) => Some(problem(
                    table,
                    sys_id,
                    format!("cleanup: deleting {what} ({table}/{sys_id}){}", e.how()),
                )),
            };
        }
        found
    }

    /// Puts a property back to `value`; what went wrong, if anything, as a warning.
    pub(super) async fn restore(
        &self,
        sys_id: &str,
        name: &str,
        value: &str,
        journal: &mut Journal,
    ) -> Option<CleanupProblem> {
        let mut problems = Vec::new();
        match self
            .restore_setting(sys_id, name, value, journal, &mut problems)
            .await
        {
            Ok(()) => problems.pop().map(ledger_problem),
            Err(e) => Some(CleanupProblem {
                subject: PutBack::Setting {
                    name: name.to_string(),
                },
                message: format!(
                    "cleanup: restoring {name}={value}{}: restore it by hand",
                    e.how()
                ),
            }),
        }
    }

    /// Deletes the records the run shared, at its end: by level, highest first, the records
    /// of one level at the same time. What it could not delete stays in the ledger for the
    /// sweep that follows.
    pub(super) async fn delete_shared(&self, shared: &SharedFixtures) -> Vec<CleanupProblem> {
        let mut problems = Vec::new();
        for wave in shared.take_by_level() {
            let records: Vec<(&str, &str, &str)> = wave
                .iter()
                .map(|m| (m.table.as_str(), m.sys_id.as_str(), m.what.as_str()))
                .collect();
            let mut journal = Journal::new(Mode::PuttingBack);
            problems.extend(
                self.delete_together(&records, &mut journal)
                    .await
                    .into_iter()
                    .flatten(),
            );
        }
        problems
    }
}

/// A ledger that could not be written while putting something back.
fn ledger_problem(message: String) -> CleanupProblem {
    CleanupProblem {
        subject: PutBack::Ledger,
        message,
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
pub fn cleanup(target: Target, path: &Path) -> Result<(Sweep, Outstanding), CleanupError> {
    let (ledger, _) = Ledger::open(path)?;
    let outstanding = ledger.outstanding();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CleanupError::Runtime)?;
    let client = Client::new(target, runtime.handle().clone(), "cleanup")?;
    let janitor = Janitor {
        client: &client,
        ledger: &ledger,
    };
    let sweep = runtime.block_on(janitor.sweep(&outstanding));
    Ok((sweep, outstanding))
}
