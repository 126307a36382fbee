//! Fixtures: records created, looked up or pinned before a scenario's steps, properties set
//! for its duration, and the teardown that puts everything back in reverse order, whatever
//! happened.

use serde_json::{Map, Value};

use super::checks;
use super::state::{TrialState, Undo};
use super::RunContext;
use crate::spec::template::{self, Vars};
use crate::spec::{Fixture, Scenario};

impl RunContext {
    pub(super) async fn set_up(
        &self,
        scenario: &Scenario,
        fixture: &Fixture,
        state: &mut TrialState,
    ) -> Result<(), String> {
        let at =
            |line: usize| format!("{}: fixture", crate::assets::location(&scenario.file, line));
        match fixture {
            Fixture::Create {
                id, table, line, ..
            } if self.target.pin_for(id, table).is_some() => {
                let sys_id = self.target.pin_for(id, table).unwrap_or_default();
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
                    .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                let record = answer.result().and_then(Value::as_object);
                match (answer.status, record) {
                    (200, Some(record)) => {
                        bind_record(&mut state.vars, id, record);
                        Ok(())
                    }
                    _ => Err(format!(
                        "{} `{id}`: the pinned {table} record {sys_id} answered {} ({})",
                        at(*line),
                        answer.status,
                        checks::snippet(&answer.text)
                    )),
                }
            }
            Fixture::Create {
                id,
                table,
                fields,
                line,
            } => {
                let rendered = template::render_value(&Value::Object(fields.clone()), &state.vars)
                    .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                let mut body = rendered.as_object().cloned().unwrap_or_default();
                // The run chooses the sys_id (the Table API honours one given on insert) and
                // writes it to the ledger first: no record can exist that the ledger misses.
                let chosen = crate::sys_id::fresh();
                body.insert("sys_id".into(), Value::String(chosen.clone()));
                self.ledger
                    .created(table, &chosen, &state.trial)
                    .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                state.undo.push(Undo::Delete {
                    table: table.clone(),
                    sys_id: chosen.clone(),
                    what: format!("fixture `{id}`"),
                });
                self.set_uncertain(table, &chosen, true);
                let answer = self
                    .table_request(
                        "POST",
                        table,
                        None,
                        Some(&body),
                        &format!("fixture `{id}`"),
                        state,
                    )
                    .await
                    .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                self.set_uncertain(table, &chosen, false);
                let record = answer.result().and_then(Value::as_object);
                // Only a real sys_id goes into the ledger and later URLs.
                let sys_id = record
                    .and_then(|r| r.get("sys_id"))
                    .and_then(Value::as_str)
                    .filter(|id| crate::sys_id::is_sys_id(id));
                let (Some(record), Some(sys_id), 200..=299) = (record, sys_id, answer.status)
                else {
                    return Err(format!(
                        "{} `{id}`: creating a {table} record answered {} ({})",
                        at(*line),
                        answer.status,
                        checks::snippet(&answer.text)
                    ));
                };
                // An instance that chose its own sys_id: that record is the one to delete.
                if sys_id != chosen {
                    self.ledger
                        .created(table, sys_id, &state.trial)
                        .map_err(|e| format!("{} `{id}`: {e}", at(*line)))?;
                    state.undo.push(Undo::Delete {
                        table: table.clone(),
                        sys_id: sys_id.to_string(),
                        what: format!("fixture `{id}`"),
                    });
                }
                bind_record(&mut state.vars, id, record);
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
            Fixture::Property { name, value, line } => {
                let during = format!("property {name}");
                let record = self
                    .find_one("sys_properties", &format!("name={name}"), &during, state)
                    .await
                    .map_err(|e| format!("{} {name}: {e}", at(*line)))?;
                let sys_id = record
                    .get("sys_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let old = record
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let mut body = Map::new();
                body.insert("value".into(), Value::String(value.clone()));
                // Ledger and undo list first: whatever happens to the request, the old value
                // is known and put back.
                self.ledger
                    .changed(&sys_id, name, &old, value, &state.trial)
                    .map_err(|e| format!("{} {name}: {e}", at(*line)))?;
                state.undo.push(Undo::Restore {
                    sys_id: sys_id.clone(),
                    name: name.clone(),
                    value: old,
                });
                let answer = self
                    .table_request(
                        "PATCH",
                        "sys_properties",
                        Some(&sys_id),
                        Some(&body),
                        &during,
                        state,
                    )
                    .await
                    .map_err(|e| format!("{} {name}: {e}", at(*line)))?;
                if answer.status != 200 {
                    return Err(format!(
                        "{} {name}: setting it answered {}",
                        at(*line),
                        answer.status
                    ));
                }
                Ok(())
            }
        }
    }

    pub(super) async fn teardown(&self, state: &mut TrialState) {
        state.tearing_down = true;
        while let Some(undo) = state.undo.pop() {
            let problem = match &undo {
                Undo::Delete {
                    table,
                    sys_id,
                    what,
                } if self.cancel.is_cancelled() && self.is_uncertain(table, sys_id) => Some(format!(
                    "cleanup: {what} ({table}/{sys_id}) may exist (its insert got no answer before the stop); the ledger keeps it for `sn-conform cleanup`"
                )),
                Undo::Delete {
                    table,
                    sys_id,
                    what,
                } => {
                    match self
                        .table_request(
                            "DELETE",
                            table,
                            Some(sys_id),
                            None,
                            &format!("cleanup of {what}"),
                            state,
                        )
                        .await
                    {
                        Ok(a) if a.status == 204 || a.status == 200 || a.status == 404 => self
                            .ledger
                            .deleted(table, sys_id)
                            .err()
                            .map(|e| e.to_string()),
                        Ok(a) => Some(format!(
                            "cleanup: deleting {what} ({table}/{sys_id}) answered {}",
                            a.status
                        )),
                        Err(e) => Some(format!("cleanup: deleting {what} ({table}/{sys_id}): {e}")),
                    }
                }
                Undo::Restore {
                    sys_id,
                    name,
                    value,
                } => {
                    let mut body = Map::new();
                    body.insert("value".into(), Value::String(value.clone()));
                    match self
                        .table_request(
                            "PATCH",
                            "sys_properties",
                            Some(sys_id),
                            Some(&body),
                            &format!("restore of {name}"),
                            state,
                        )
                        .await
                    {
                        Ok(a) if a.status == 200 => self
                            .ledger
                            .restored(sys_id, name)
                            .err()
                            .map(|e| e.to_string()),
                        Ok(a) => Some(format!(
                            "cleanup: restoring {name}={value} answered {}: restore it by hand",
                            a.status
                        )),
                        Err(e) => Some(format!(
                            "cleanup: restoring {name}={value}: {e}: restore it by hand"
                        )),
                    }
                }
            };
            if let Some(problem) = problem {
                state.warnings.push(problem);
            }
        }
    }
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
