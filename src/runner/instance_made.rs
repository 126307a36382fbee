//! Records the instance makes itself when the run inserts one. The platform's business rules
//! answer an insert with records of their own: the Interaction Management page says every
//! interaction has, by default, a new context record in `interaction_json_blob` and a new
//! channel metadata record in `live_group_profile`, whether or not the caller asked. A run
//! that deleted only what it inserted would leave those behind.
//!
//! After each insert the run looks at the new record for the platform's document pointers
//! (a `X_table` field beside `X_document` or `X_id`: `context_table`/`context_document` on an
//! interaction, as ServiceNowDocs' AWA and CTI script examples use them) that the insert did
//! not set. A record they point at is the instance's doing, and the run's to delete, only on
//! evidence: it exists, the ledger does not already name it, the same account created it
//! (`sys_created_by` equal to the new record's) and at the same moment (`sys_created_on`
//! within [`SAME_MOMENT`] of the new record's). It goes into the ledger before anything else
//! happens and is deleted with the record.

use serde_json::{Map, Value};

use super::client::{Client, Journal, Mode};
use super::ledger::{Ledger, LedgerError};
use crate::report::Origin;

/// How far apart two records' `sys_created_on` may be and still be made by one insert: the
/// platform stamps whole seconds, and a rule may run either side of a second's edge.
const SAME_MOMENT: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// A record the instance made: its table and sys_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Made {
    pub table: String,
    pub sys_id: String,
}

/// The records `record` (just inserted with `body`) points at that the instance made with
/// it, each ledgered for `trial` before this returns. Reads go out with `origin`, and still
/// go after a stop signal: they are part of putting the instance back.
pub(super) async fn learn(
    client: &Client,
    ledger: &Ledger,
    record: &Map<String, Value>,
    body: &Map<String, Value>,
    trial: &str,
    origin: &Origin,
    journal: &mut Journal,
) -> Result<Vec<Made>, LedgerError> {
    let mut own = Journal::new(Mode::PuttingBack);
    let made = pointed_at(client, ledger, record, body, trial, origin, &mut own).await;
    journal.exchanges.append(&mut own.exchanges);
    made
}

/// The records `record` points at that the instance made with it, ledgered; reads go into
/// `journal`.
async fn pointed_at(
    client: &Client,
    ledger: &Ledger,
    record: &Map<String, Value>,
    body: &Map<String, Value>,
    trial: &str,
    origin: &Origin,
    journal: &mut Journal,
) -> Result<Vec<Made>, LedgerError> {
    let (Some(by), Some(on)) = (text(record, "sys_created_by"), created_on(record)) else {
        // Without the new record's own stamps there is no evidence to go on.
        return Ok(Vec::new());
    };
    // The records pointed at are read together (one Batch API request when the target takes
    // it, else at the same time), in the pointers' order.
    let unknown: Vec<(String, String)> = pointers(record, body)
        .into_iter()
        .filter(|(table, sys_id)| !ledger.knows(table, sys_id))
        .collect();
    let reads = unknown
        .iter()
        .map(|(table, sys_id)| client.table_outgoing("GET", table, Some(sys_id), origin.clone()))
        .collect();
    let answers = client.send_together(reads, journal).await;
    let mut made = Vec::new();
    for ((table, sys_id), answer) in unknown.into_iter().zip(answers) {
        let Ok(answer) = answer else {
            continue;
        };
        let Some(pointed) = answer
            .result()
            .and_then(Value::as_object)
            .filter(|_| answer.status == 200)
        else {
            continue;
        };
        let same_account = text(pointed, "sys_created_by") == Some(by);
        let same_moment = created_on(pointed).is_some_and(|at| (at - on).abs() <= SAME_MOMENT);
        if same_account && same_moment {
            ledger.made_by_instance(&table, &sys_id, trial)?;
            made.push(Made { table, sys_id });
        }
    }
    Ok(made)
}

/// The (table, sys_id) pairs of the platform's document pointers in `record` that `body`
/// did not set: `X_table` beside `X_document` (or `X_id`) holding a sys_id.
fn pointers(record: &Map<String, Value>, body: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (field, value) in record {
        let (Some(prefix), Some(table)) = (field.strip_suffix("_table"), value.as_str()) else {
            continue;
        };
        if table.is_empty() || body.contains_key(field) {
            continue;
        }
        for document in [format!("{prefix}_document"), format!("{prefix}_id")] {
            if body.contains_key(&document) {
                continue;
            }
            if let Some(id) =
                text(record, &document).filter(|id| crate::platform::sys_id::is_sys_id(id))
            {
                out.push((table.to_string(), id.to_string()));
            }
        }
    }
    out
}

/// A field as text: a plain string, or the `value` of a reference as the Table API shows it
/// with links.
fn text<'a>(record: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    match record.get(field)? {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// `sys_created_on` as the Table API gives it (`YYYY-MM-DD HH:MM:SS`, UTC by default).
fn created_on(record: &Map<String, Value>) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(text(record, "sys_created_on")?, "%Y-%m-%d %H:%M:%S").ok()
}

#[cfg(test)]
mod tests {
    use super::pointers;
    use serde_json::json;

    #[test]
    fn only_the_pointers_the_insert_did_not_set_are_candidates() {
        let record = json!({
            "sys_id": "0123456789abcdef0123456789abcdef",
            "context_table": "interaction_json_blob",
            "context_document": "11111111111111111111111111111111",
            "channel_metadata_table": "live_group_profile",
            "channel_metadata_document": "22222222222222222222222222222222",
            "document_table": "incident",
            "document_id": "33333333333333333333333333333333",
            "state_table": "",
        });
        let body = json!({"document_table": "incident", "document_id": "33333333333333333333333333333333"});
        let mut found = pointers(record.as_object().unwrap(), body.as_object().unwrap());
        found.sort();
        assert_eq!(
            found,
            vec![
                (
                    "interaction_json_blob".to_string(),
                    "11111111111111111111111111111111".to_string()
                ),
                (
                    "live_group_profile".to_string(),
                    "22222222222222222222222222222222".to_string()
                ),
            ]
        );
    }
}
