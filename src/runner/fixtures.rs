//! Fixtures: records created, looked up or pinned before a scenario's steps, properties set
//! for its duration, and the teardown that puts everything back in reverse order, whatever
//! happened.

use serde_json::{Map, Value};

use super::checks;
use super::cleanup::Janitor;
use super::client::{Client, Mode};
use super::error::{Broken, Place, RequestError, TrialError};
use super::phase::Restore;
use super::services::Services;
use super::shared::{Made, SharedRecord};
use super::state::{TrialState, Undo};
use crate::report::Origin;
use crate::spec::scope::Scope;
use crate::spec::template::{self, TemplateError, Vars};
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
    ) -> Result<(), Broken> {
        let file = &self.scenario.file;
        let place = |id: &str, line: usize| Place::Fixture {
            file: file.clone(),
            line,
            id: id.to_string(),
        };
        match fixture {
            Fixture::Create {
                id, table, line, ..
            } => {
                let record = match self.client().target.pin_for(id, table) {
                    Some(pin) => self.pinned(fixture, pin, state).await,
                    None => self.create(fixture, level, state).await,
                }
                .map_err(|e| Broken::at(&place(id, *line), e))?;
                bind_record(&mut state.vars, id, &record);
                Ok(())
            }
            Fixture::Lookup {
                id,
                table,
                query,
                line,
            } => {
                let found = async {
                    let query = template::render(query, &state.vars)?;
                    self.client()
                        .find_one(
                            table,
                            &query,
                            Origin::Fixture {
                                id: id.to_string(),
                                shared: false,
                                pinned: false,
                            },
                            &mut state.journal,
                        )
                        .await
                }
                .await
                .map_err(|e| Broken::at(&place(id, *line), e))?;
                bind_record(&mut state.vars, id, &found);
                Ok(())
            }
            // Applied once for every trial that needs it, by the trial's phase.
            Fixture::Property { .. } => Ok(()),
        }
    }

    /// The pinned record that stands in for a create fixture: read once for the run when no
    /// step changes it, like any record no step changes, else by each trial.
    async fn pinned(
        &self,
        fixture: &Fixture,
        pin: &str,
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, TrialError> {
        let Fixture::Create {
            id, table, sharing, ..
        } = fixture
        else {
            return Ok(Map::new());
        };
        if sharing.scope != Scope::Run {
            return self.read_pinned(id, table, pin, state).await;
        }
        let cell = self.services.shared.cell(&format!("pin {table} {pin}"));
        let mut fork = state.fork();
        let got = cell
            .get_or_try_init(|| async {
                self.read_pinned(id, table, pin, &mut fork)
                    .await
                    .map(|record| SharedRecord { record })
            })
            .await
            .map(|r| r.record.clone());
        state.journal.exchanges.append(&mut fork.journal.exchanges);
        got
    }

    /// A create fixture's record: created once for the run, leased to one trial at a time, or
    /// created for this trial alone, as its sharing says (see [`crate::spec::scope`]).
    async fn create(
        &self,
        fixture: &Fixture,
        level: usize,
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, TrialError> {
        let Fixture::Create {
            id,
            table,
            fields,
            sharing,
            ..
        } = fixture
        else {
            return Ok(Map::new());
        };
        let new = |shared| New {
            id,
            table,
            level,
            shared,
        };
        let mut key = sharing.key.clone();
        if sharing.per_variant {
            key.push_str(&state.variant);
        }
        match sharing.scope {
            Scope::Run => {
                let cell = self.services.shared.cell(&key);
                let mut fork = state.fork();
                // Its own unknown_id: a name made unique by it stays unique.
                fork.vars
                    .insert("unknown_id".into(), crate::platform::sys_id::fresh());
                let got = cell
                    .get_or_try_init(|| async {
                        let body = render_fields(fields, &fork.vars)?;
                        self.insert(&new(true), body, &mut fork)
                            .await
                            .map(|record| SharedRecord { record })
                    })
                    .await
                    .map(|r| r.record.clone());
                state.journal.exchanges.append(&mut fork.journal.exchanges);
                got
            }
            Scope::Lease => {
                let lent = match self.services.shared.lease(&key) {
                    Some(lent) => lent,
                    None => {
                        let mut vars = state.vars.clone();
                        vars.insert("unknown_id".into(), crate::platform::sys_id::fresh());
                        let body = render_fields(fields, &vars)?;
                        let record = self.insert(&new(true), body, state).await?;
                        SharedRecord { record }
                    }
                };
                let record = lent.record.clone();
                state.leases.push((key, lent));
                Ok(record)
            }
            Scope::Trial => {
                let body = render_fields(fields, &state.vars)?;
                self.insert(&new(false), body, state).await
            }
        }
    }

    /// Changes the scenario's settings (its property fixtures) for its phase. What to put
    /// back goes into the ledger and onto `restores` before each change is sent, so that a
    /// change whose answer is lost is still put back.
    pub(super) async fn apply_settings(
        &self,
        restores: &mut Vec<Restore>,
        state: &mut TrialState,
    ) -> Result<(), Broken> {
        for fixture in &self.scenario.fixtures {
            let Fixture::Property { name, value, line } = fixture else {
                continue;
            };
            let at = Place::Setting {
                file: self.scenario.file.clone(),
                line: *line,
                name: name.clone(),
            };
            self.apply_setting(name, value, restores, state)
                .await
                .map_err(|e| Broken::at(&at, e))?;
        }
        Ok(())
    }

    /// Changes one setting; see [`Setup::apply_settings`].
    async fn apply_setting(
        &self,
        name: &str,
        value: &str,
        restores: &mut Vec<Restore>,
        state: &mut TrialState,
    ) -> Result<(), TrialError> {
        let origin = Origin::Setting {
            name: name.to_string(),
        };
        let record = self
            .client()
            .find_one(
                "sys_properties",
                &format!("name={name}"),
                origin.clone(),
                &mut state.journal,
            )
            .await?;
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
            .changed(&sys_id, name, &old, value, &state.trial)?;
        restores.push(Restore {
            sys_id: sys_id.clone(),
            name: name.to_string(),
            value: old,
        });
        let status = self
            .client()
            .set_property(&sys_id, value, origin, &mut state.journal)
            .await?;
        if status != 200 {
            return Err(TrialError::SettingRefused { status });
        }
        Ok(())
    }

    /// Reads the pinned record that stands in for fixture `id`.
    async fn read_pinned(
        &self,
        id: &str,
        table: &str,
        sys_id: &str,
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, TrialError> {
        let answer = self
            .client()
            .table_request(
                "GET",
                table,
                Some(sys_id),
                None,
                Origin::Fixture {
                    id: id.to_string(),
                    shared: false,
                    pinned: true,
                },
                &mut state.journal,
            )
            .await?;
        match (answer.status, answer.result().and_then(Value::as_object)) {
            (200, Some(record)) => Ok(record.clone()),
            _ => Err(TrialError::PinnedUnreadable {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
                status: answer.status,
                body: checks::snippet(&answer.text),
            }),
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
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, TrialError> {
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
        let owe = |state: &mut TrialState, table: &str, sys_id: &str, what: String| match shared {
            true => self.services.shared.made(Made {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
                what,
                level,
            }),
            false => state.undo.push(Undo {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
                what,
                level,
            }),
        };
        let chosen = crate::platform::sys_id::fresh();
        body.insert("sys_id".into(), Value::String(chosen.clone()));
        self.services.ledger.created(table, &chosen, &state.trial)?;
        owe(state, table, &chosen, what.clone());
        self.services.ledger.set_uncertain(table, &chosen, true);
        let answer = match self
            .client()
            .table_request(
                "POST",
                table,
                None,
                Some(&body),
                Origin::Fixture {
                    id: id.to_string(),
                    shared,
                    pinned: false,
                },
                &mut state.journal,
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                // Never sent: the record does not exist; nobody deletes it, and the ledger
                // says it is gone.
                if matches!(e, RequestError::NeverSent) {
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
                return Err(e.into());
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
            return Err(TrialError::NotCreated {
                table: table.to_string(),
                status: answer.status,
                body: checks::snippet(&answer.text),
            });
        };
        // An instance that chose its own sys_id: that record is the one to delete.
        if sys_id != chosen {
            self.services.ledger.created(table, sys_id, &state.trial)?;
            owe(state, table, sys_id, what.clone());
        }
        // What the instance made with it (an interaction's context and channel metadata) is
        // ledgered now and deleted with it.
        for m in self.made_with(new, record, &body, state).await? {
            let made = format!("{} made with {what}", m.table);
            owe(state, &m.table, &m.sys_id, made);
        }
        Ok(record.clone())
    }

    /// The records the instance made with the fixture's record `new` just inserted with
    /// `body`, already in the ledger (see [`super::instance_made`]).
    async fn made_with(
        &self,
        new: &New<'_>,
        record: &Map<String, Value>,
        body: &Map<String, Value>,
        state: &mut TrialState,
    ) -> Result<Vec<super::instance_made::Made>, TrialError> {
        let origin = Origin::Fixture {
            id: new.id.to_string(),
            shared: new.shared,
            pinned: false,
        };
        Ok(super::instance_made::learn(
            self.client(),
            &self.services.ledger,
            record,
            body,
            &state.trial,
            &origin,
            &mut state.journal,
        )
        .await?)
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
            let wave: Vec<(&str, &str, &str)> = deletes
                .iter()
                .filter(|d| d.0 == level)
                .map(|(_, table, sys_id, what)| (table.as_str(), sys_id.as_str(), what.as_str()))
                .collect();
            let problems = self
                .janitor()
                .delete_together(&wave, &mut state.journal)
                .await;
            state.cleanup.extend(problems.into_iter().flatten());
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
) -> Result<Map<String, Value>, TemplateError> {
    let rendered = template::render_value(&Value::Object(fields.clone()), vars)?;
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
