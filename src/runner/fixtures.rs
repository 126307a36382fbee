//! Fixtures: records created, looked up or pinned before a scenario's steps, properties set
//! for its duration, and the teardown that puts everything back in reverse order, whatever
//! happened.

use serde_json::{Map, Value};

use super::checks;
use super::cleanup::Janitor;
use super::client::{Client, Journal, Mode};
use super::phase::Restore;
use super::services::Services;
use super::shared::{Made, SharedRecord};
use super::state::{TrialState, Undo};
use crate::spec::scope::Scope;
use crate::spec::template::{self, Vars};
use crate::spec::{Fixture, Scenario};

/// The fixtures of one scenario, set up against the run's services and torn down again.
pub(super) struct Setup<'a> {
    pub(super) services: &'a Services,
    pub(super) scenario: &'a Scenario,
}

impl Setup<'_> {
    fn client(&self) -> &Client {
        &self.services.client
    }

    fn janitor(&self) -> Janitor<'_> {
        Janitor {
            client: &self.services.client,
            ledger: &self.services.ledger,
        }
    }

    /// Creates, finds or reads `fixture` (at creation `level` of its scenario) and binds its
    /// fields as `{{id.field}}`.
    pub(super) async fn set_up(
        &self,
        fixture: &Fixture,
        level: usize,
        state: &mut TrialState,
    ) -> Result<(), String> {
        let at = |line: usize| {
            format!(
                "{}: fixture",
                crate::source::assets::location(&self.scenario.file, line)
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
                if let Some(pin) = self.client().target.pin_for(id, table) {
                    let record = if sharing.scope == Scope::Run {
                        // Read once for the run, like any record no step changes.
                        let cell = self.services.shared.cell(&format!("pin {table} {pin}"));
                        let mut fork = state.fork();
                        let got = cell
                            .get_or_try_init(|| async {
                                self.read_pinned(id, table, pin, &at, &mut fork)
                                    .await
                                    .map(|record| SharedRecord { record })
                            })
                            .await
                            .map(|r| r.record.clone());
                        state.journal.exchanges.append(&mut fork.journal.exchanges);
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
                        let cell = self.services.shared.cell(&key);
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
                        state.journal.exchanges.append(&mut fork.journal.exchanges);
                        got?
                    }
                    Scope::Lease => {
                        let lent = match self.services.shared.lease(&key) {
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
                    .client()
                    .find_one(
                        table,
                        &query,
                        &format!("fixture `{id}`"),
                        &mut state.journal,
                    )
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
        restores: &mut Vec<Restore>,
        state: &mut TrialState,
    ) -> Result<(), String> {
        for fixture in &self.scenario.fixtures {
            let Fixture::Property { name, value, line } = fixture else {
                continue;
            };
            let at = format!(
                "{}: fixture {name}",
                crate::source::assets::location(&self.scenario.file, *line)
            );
            let during = format!("property {name}");
            let record = self
                .client()
                .find_one(
                    "sys_properties",
                    &format!("name={name}"),
                    &during,
                    &mut state.journal,
                )
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
            self.services
                .ledger
                .changed(&sys_id, name, &old, value, &state.trial)
                .map_err(|e| format!("{at}: {e}"))?;
            restores.push(Restore {
                sys_id: sys_id.clone(),
                name: name.clone(),
                value: old,
            });
            let status = self
                .client()
                .set_property(&sys_id, value, &during, &mut state.journal)
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
            .client()
            .table_request(
                "GET",
                table,
                Some(sys_id),
                None,
                &format!("fixture `{id}` (pinned)"),
                &mut state.journal,
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
            true => self.services.shared.made(Made {
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
        self.services
            .ledger
            .created(table, &chosen, &state.trial)
            .map_err(|e| format!("{at}: {e}"))?;
        owe(state, &chosen);
        self.services.ledger.set_uncertain(table, &chosen, true);
        let answer = match self
            .client()
            .table_request("POST", table, None, Some(&body), &what, &mut state.journal)
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                // Never sent: the record does not exist; nobody deletes it, and the ledger
                // says it is gone.
                if e == super::client::NOT_SENT {
                    self.services.ledger.set_uncertain(table, &chosen, false);
                    if shared {
                        self.services.shared.forget(table, &chosen);
                    } else {
                        state
                            .undo
                            .retain(|u| !(u.table == table && u.sys_id == chosen));
                    }
                    let _ = self.services.ledger.deleted(table, &chosen);
                }
                return Err(format!("{at}: {e}"));
            }
        };
        self.services.ledger.set_uncertain(table, &chosen, false);
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
            self.services
                .ledger
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
        state.journal.mode = Mode::PuttingBack;
        let deletes: Vec<(usize, String, String, String)> = std::mem::take(&mut state.undo)
            .into_iter()
            .map(|u| (u.level, u.table, u.sys_id, u.what))
            .collect();
        let mut levels: Vec<usize> = deletes.iter().map(|d| d.0).collect();
        levels.sort_unstable();
        levels.dedup();
        for level in levels.into_iter().rev() {
            let wave: Vec<_> = deletes.iter().filter(|d| d.0 == level).collect();
            let janitor = self.janitor();
            if let [(_, table, sys_id, what)] = wave.as_slice() {
                let problem = janitor
                    .delete(table, sys_id, what, &mut state.journal)
                    .await;
                state.warnings.extend(problem);
                continue;
            }
            let mut journals: Vec<Journal> = wave
                .iter()
                .map(|_| Journal::new(Mode::PuttingBack))
                .collect();
            let problems =
                futures_util::future::join_all(wave.iter().zip(journals.iter_mut()).map(
                    |((_, table, sys_id, what), journal)| {
                        janitor.delete(table, sys_id, what, journal)
                    },
                ))
                .await;
            for journal in journals {
                state.journal.exchanges.extend(journal.exchanges);
            }
            state.warnings.extend(problems.into_iter().flatten());
        }
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
