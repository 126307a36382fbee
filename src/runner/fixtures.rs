//! Fixtures: records created, looked up or pinned before a scenario's steps, properties set
//! for its duration, and the teardown that puts everything back in reverse order, whatever
//! happened.

use serde_json::{Map, Value};

use super::checks;
use super::phase::Restore;
use super::shared::{Made, SharedRecord};
use super::state::{TrialState, Undo};
use super::RunContext;
use crate::spec::scope::Scope;
use crate::spec::template::{self, Vars};
use crate::spec::{Fixture, Scenario};

impl RunContext {
    /// Creates, finds or reads `fixture` (at creation `level` of its scenario) and binds its
    /// fields as `{{id.field}}`.
    pub(super) async fn set_up(
        &self,
        scenario: &Scenario,
        fixture: &Fixture,
        level: usize,
        state: &mut TrialState,
    ) -> Result<(), String> {
        let at = |line: usize| {
            format!(
                "{}: fixture",
                crate::source::assets::location(&scenario.file, line)
            )
        };
        match fixture {
            Fixture::Create {
                id,
                table,
                fields,
                line,
                sharing,
            } => {
                let at = format!("{} `{id}`", at(*line));
                if let Some(pin) = self.target.pin_for(id, table) {
                    let record = if sharing.scope == Scope::Run {
                        // Read once for the run, like any record no step changes.
                        let cell = self.shared.cell(&format!("pin {table} {pin}"));
                        let mut fork = state.fork();
                        let got = cell
                            .get_or_try_init(|| async {
                                self.read_pinned(id, table, pin, &at, &mut fork)
                                    .await
                                    .map(|record| SharedRecord { record })
                            })
                            .await
                            .map(|r| r.record.clone());
                        state.exchanges.append(&mut fork.exchanges);
                        got?
                    } else {
                        self.read_pinned(id, table, pin, &at, state).await?
                    };
                    bind_record(&mut state.vars, id, &record);
                    return Ok(());
                }
                let mut key = sharing.key.clone();
                if sharing.per_variant {
                    key.push_str(&state.variant);
                }
                let record = match sharing.scope {
                    Scope::Run => {
                        let cell = self.shared.cell(&key);
                        let mut fork = state.fork();
                        // Its own unknown_id: a name made unique by it stays unique.
                        fork.vars
                            .insert("unknown_id".into(), crate::platform::sys_id::fresh());
                        let got = cell
                            .get_or_try_init(|| async {
                                let body = render_fields(fields, &fork.vars, &at)?;
                                self.insert(
                                    &New {
                                        id,
                                        table,
                                        level,
                                        shared: true,
                                    },
                                    body,
                                    &at,
                                    &mut fork,
                                )
                                .await
                                .map(|record| SharedRecord { record })
                            })
                            .await
                            .map(|r| r.record.clone());
                        state.exchanges.append(&mut fork.exchanges);
                        got?
                    }
                    Scope::Lease => {
                        let lent = match self.shared.lease(&key) {
                            Some(lent) => lent,
                            None => {
                                let mut vars = state.vars.clone();
                                vars.insert("unknown_id".into(), crate::platform::sys_id::fresh());
                                let body = render_fields(fields, &vars, &at)?;
                                let record = self
                                    .insert(
                                        &New {
                                            id,
                                            table,
                                            level,
                                            shared: true,
                                        },
                                        body,
                                        &at,
                                        state,
                                    )
                                    .await?;
                                SharedRecord { record }
                            }
                        };
                        let record = lent.record.clone();
                        state.leases.push((key, lent));
                        record
                    }
                    Scope::Trial => {
                        let body = render_fields(fields, &state.vars, &at)?;
                        self.insert(
                            &New {
                                id,
                                table,
                                level,
                                shared: false,
                            },
                            body,
                            &at,
                            state,
                        )
                        .await?
                    }
                };
                bind_record(&mut state.vars, id, &record);
                Ok(())
            }
            Fixture::Lookup {
                id,
                table,
                query,
                line,
            } => {
                let query = template::render(query, &state.vars)
                    .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                let record = self
                    .find_one(table, &query, &format!("fixture `{id}`"), state)
                    .await
                    .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                bind_record(&mut state.vars, id, &record);
                Ok(())
            }
            // Applied once for every trial that needs it, by the trial's phase.
            Fixture::Property { .. } => Ok(()),
        }
    }

    /// Changes the scenario's settings (its property fixtures) for its phase. What to put
    /// back goes into the ledger and onto `restores` before each change is sent, so that a
    /// change whose answer is lost is still put back.
    pub(super) async fn apply_settings(
        &self,
        scenario: &Scenario,
        restores: &mut Vec<Restore>,
        state: &mut TrialState,
    ) -> Result<(), String> {
        for fixture in &scenario.fixtures {
            let Fixture::Property { name, value, line } = fixture else {
                continue;
            };
            let at = format!(
                "{}: fixture {name}",
                crate::source::assets::location(&scenario.file, *line)
            );
            let during = format!("property {name}");
            let record = self
                .find_one("sys_properties", &format!("name={name}"), &during, state)
                .await
                .map_err(|e| format!("{at}: {e}"))?;
            let text = |field: &str| {
                record
                    .get(field)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let (sys_id, old) = (text("sys_id"), text("value"));
            self.ledger
                .changed(&sys_id, name, &old, value, &state.trial)
                .map_err(|e| format!("{at}: {e}"))?;
            restores.push(Restore {
                sys_id: sys_id.clone(),
                name: name.clone(),
                value: old,
            });
            let status = self
                .set_property(&sys_id, value, &during, state)
                .await
                .map_err(|e| format!("{at}: {e}"))?;
            if status != 200 {
                return Err(format!("{at}: setting it answered {status}"));
            }
        }
        Ok(())
    }

    /// Reads the pinned record that stands in for fixture `id`.
    async fn read_pinned(
        &self,
        id: &str,
        table: &str,
        sys_id: &str,
        at: &str,
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, String> {
        let answer = self
            .table_request(
                "GET",
                table,
                Some(sys_id),
                None,
                &format!("fixture `{id}` (pinned)"),
                state,
            )
            .await
            .map_err(|e| format!("{at}: {e}"))?;
        match (answer.status, answer.result().and_then(Value::as_object)) {
            (200, Some(record)) => Ok(record.clone()),
            _ => Err(format!(
                "{at}: the pinned {table} record {sys_id} answered {} ({})",
                answer.status,
                checks::snippet(&answer.text)
            )),
        }
    }

    /// Inserts a fixture's record and returns it as answered. The run chooses the sys_id
    /// (the Table API honours one given on insert) and writes it to the ledger first, so no
    /// record can exist that the ledger misses; the record is the trial's to delete, or, with
    /// `shared`, the run's (deleted at its end, by level).
    async fn insert(
        &self,
        new: &New<'_>,
        mut body: Map<String, Value>,
        at: &str,
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, String> {
        let New {
            id,
            table,
            level,
            shared,
        } = *new;
        let what = if shared {
            format!("shared fixture `{id}`")
        } else {
            format!("fixture `{id}`")
        };
        let owe = |state: &mut TrialState, sys_id: &str| match shared {
            true => self.shared.made(Made {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
                what: what.clone(),
                level,
            }),
            false => state.undo.push(Undo {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
                what: what.clone(),
                level,
            }),
        };
        let chosen = crate::platform::sys_id::fresh();
        body.insert("sys_id".into(), Value::String(chosen.clone()));
        self.ledger
            .created(table, &chosen, &state.trial)
            .map_err(|e| format!("{at}: {e}"))?;
        owe(state, &chosen);
        self.set_uncertain(table, &chosen, true);
        let answer = match self
            .table_request("POST", table, None, Some(&body), &what, state)
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                // Never sent: the record does not exist; nobody deletes it, and the ledger
                // says it is gone.
                if e == super::requests::NOT_SENT {
                    self.set_uncertain(table, &chosen, false);
                    if shared {
                        self.shared.forget(table, &chosen);
                    } else {
                        state
                            .undo
                            .retain(|u| !(u.table == table && u.sys_id == chosen));
                    }
                    let _ = self.ledger.deleted(table, &chosen);
                }
                return Err(format!("{at}: {e}"));
            }
        };
        self.set_uncertain(table, &chosen, false);
        let record = answer.result().and_then(Value::as_object);
        // Only a real sys_id goes into the ledger and later URLs.
        let sys_id = record
            .and_then(|r| r.get("sys_id"))
            .and_then(Value::as_str)
            .filter(|id| crate::platform::sys_id::is_sys_id(id));
        let (Some(record), Some(sys_id), 200..=299) = (record, sys_id, answer.status) else {
            return Err(format!(
                "{at}: creating a {table} record answered {} ({})",
                answer.status,
                checks::snippet(&answer.text)
            ));
        };
        // An instance that chose its own sys_id: that record is the one to delete.
        if sys_id != chosen {
            self.ledger
                .created(table, sys_id, &state.trial)
                .map_err(|e| format!("{at}: {e}"))?;
            owe(state, sys_id);
        }
        Ok(record.clone())
    }

    /// Deletes every record the trial made: the records of one level at the same time, those
    /// the steps created first, then fixtures from the highest level down, so that no record
    /// is deleted before one that refers to it. Problems become warnings.
    pub(super) async fn teardown(&self, state: &mut TrialState) {
        state.tearing_down = true;
        let deletes: Vec<(usize, String, String, String)> = std::mem::take(&mut state.undo)
            .into_iter()
            .map(|u| (u.level, u.table, u.sys_id, u.what))
            .collect();
        let mut levels: Vec<usize> = deletes.iter().map(|d| d.0).collect();
        levels.sort_unstable();
        levels.dedup();
        for level in levels.into_iter().rev() {
            let wave: Vec<_> = deletes.iter().filter(|d| d.0 == level).collect();
            if let [(_, table, sys_id, what)] = wave.as_slice() {
                let problem = self.delete(table, sys_id, what, state).await;
                state.warnings.extend(problem);
                continue;
            }
            let mut forks: Vec<TrialState> = wave.iter().map(|_| state.fork()).collect();
            let problems =
                futures_util::future::join_all(wave.iter().zip(forks.iter_mut()).map(
                    |((_, table, sys_id, what), fork)| self.delete(table, sys_id, what, fork),
                ))
                .await;
            for fork in forks {
                state.absorb(fork);
            }
            state.warnings.extend(problems.into_iter().flatten());
        }
    }

    /// Deletes one record the run made; what went wrong, if anything. A record whose insert
    /// got no answer before a stop signal is left to the ledger.
    pub(super) async fn delete(
        &self,
        table: &str,
        sys_id: &str,
        what: &str,
        state: &mut TrialState,
    ) -> Option<String> {
        if self.cancel.is_cancelled() && self.is_uncertain(table, sys_id) {
            return Some(format!(
                "cleanup: {what} ({table}/{sys_id}) may exist (its insert got no answer before the stop); the ledger keeps it for `sn-conform cleanup`"
            ));
        }
        let mut problems = Vec::new();
        match self
            .delete_record(
                table,
                sys_id,
                &format!("cleanup of {what}"),
                state,
                &mut problems,
            )
            .await
        {
            Ok(_) => problems.pop(),
            Err(how) => Some(format!("cleanup: deleting {what} ({table}/{sys_id}){how}")),
        }
    }

    /// Puts a property back to `value`; what went wrong, if anything.
    pub(super) async fn restore(
        &self,
        sys_id: &str,
        name: &str,
        value: &str,
        state: &mut TrialState,
    ) -> Option<String> {
        let mut problems = Vec::new();
        match self
            .restore_setting(sys_id, name, value, state, &mut problems)
            .await
        {
            Ok(()) => problems.pop(),
            Err(how) => Some(format!(
                "cleanup: restoring {name}={value}{how}: restore it by hand"
            )),
        }
    }

    /// Deletes the records the run shared, at its end: by level, highest first, the records
    /// of one level at the same time. What it could not delete stays in the ledger for the
    /// sweep that follows.
    pub(super) async fn delete_shared(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for wave in self.shared.take_by_level() {
            let mut forks: Vec<TrialState> = wave
                .iter()
                .map(|_| TrialState::new("cleanup", crate::spec::Format::Json, true))
                .collect();
            let found = futures_util::future::join_all(
                wave.iter()
                    .zip(forks.iter_mut())
                    .map(|(m, fork)| self.delete(&m.table, &m.sys_id, &m.what, fork)),
            )
            .await;
            problems.extend(found.into_iter().flatten());
        }
        problems
    }
}

/// A record a fixture is about to create: its fixture id, table and creation level, and
/// whether the run (rather than the trial) deletes it.
#[derive(Clone, Copy)]
struct New<'a> {
    id: &'a str,
    table: &'a str,
    level: usize,
    shared: bool,
}

/// A create fixture's fields with every template filled in.
fn render_fields(
    fields: &Map<String, Value>,
    vars: &Vars,
    at: &str,
) -> Result<Map<String, Value>, String> {
    let rendered = template::render_value(&Value::Object(fields.clone()), vars)
        .map_err(|e| format!("{at}: {e}"))?;
    Ok(rendered.as_object().cloned().unwrap_or_default())
}

/// Makes `{{id.field}}` available for every string field of a fixture's record.
fn bind_record(vars: &mut Vars, id: &str, record: &Map<String, Value>) {
    for (field, value) in record {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Object(o) => o
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            other => other.to_string(),
        };
        vars.insert(format!("{id}.{field}"), text);
    }
}
