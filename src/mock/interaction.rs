//! Interaction Management API: create an interaction (state `queued` with a queue, else `new`)
//! and close one (state `closed_complete`, `closed_by` the caller).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::envelope::{ApiError, Reply, Success};
use super::fault::Fault;
use super::store::{field_str, Record, Tables};
use super::{body_str, Mock};

const TABLE: &str = "interaction";
const CONTEXT_TABLE: &str = "interaction_json_blob";
const CHANNEL_METADATA_TABLE: &str = "live_group_profile";

pub async fn create(State(mock): State<Mock>, headers: HeaderMap, body: Bytes) -> Response {
    mock.respond(create_interaction(&mock, &headers, &body))
}

pub async fn close(
    State(mock): State<Mock>,
    Path(interaction_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    mock.respond(close_interaction(&mock, &interaction_id, &headers))
}

/// The documents every interaction points at and the default table of each: the Interaction
/// Management page says an interaction has, by default, a new record in
/// `interaction_json_blob` for its context and one in `live_group_profile` for its channel
/// metadata. The field names are the platform's (`context_document`, `context_table`,
/// `channel_metadata_document`, `channel_metadata_table`: ServiceNowDocs' AWA and CTI
/// script examples read and write them).
const DOCUMENTS: [(&str, &str, &str); 2] = [
    ("context_table", "context_document", CONTEXT_TABLE),
    (
        "channel_metadata_table",
        "channel_metadata_document",
        CHANNEL_METADATA_TABLE,
    ),
];

/// What the platform's business rules do after an insert through the Table API: an
/// interaction inserted without its documents gets a new record for each, made by the same
/// user, and points at them (as the Interaction API's create does).
pub(super) fn after_insert(tables: &mut Tables, table: &str, sys_id: &str, user: &str) {
    if table != TABLE {
        return;
    }
    for (table_field, document_field, default_table) in DOCUMENTS {
        let Some(record) = tables.get(TABLE, sys_id) else {
            return;
        };
        if !field_str(record, document_field).is_empty() {
            continue;
        }
        let document = tables.insert_as(default_table, &Map::new(), user);
        let id = field_str(&document, "sys_id").to_string();
        tables.set(TABLE, sys_id, table_field, default_table);
        tables.set(TABLE, sys_id, document_field, &id);
    }
}

fn create_interaction(mock: &Mock, headers: &HeaderMap, body: &Bytes) -> Reply {
    let caller = mock.authenticate(headers)?;
    let body = mock.body_fields(headers, body)?;
    check_types(&body)?;
    // An interaction, and a record each for its context and channel metadata.
    mock.has_room(TABLE, 1)?;
    let channel = body_str(&body, "channel").ok_or_else(|| {
        ApiError::bad_request(
            "Mandatory parameter missing",
            "channel is required to create an interaction",
        )
    })?;
    let mut context = document_pair(
        &body,
        "context",
        "context_table",
        "context_id",
        CONTEXT_TABLE,
    )?;
    if let (true, Document::New { content, .. }) =
        (mock.has(Fault::ContextMapNotStored), &mut context)
    {
        *content = None;
    }
    let metadata = document_pair(
        &body,
        "channel_metadata",
        "channel_metadata_table",
        "channel_metadata_id",
        CHANNEL_METADATA_TABLE,
    )?;
    let queue = body_str(&body, "queue").unwrap_or("");
    let state = if queue.is_empty() || mock.has(Fault::InteractionIgnoresQueue) {
        "new"
    } else {
        "queued"
    };
    let record = mock.store().with(|t| {
        let (context_table, context_document) = context.resolve(t, &caller.user_name);
        let (metadata_table, metadata_document) = metadata.resolve(t, &caller.user_name);
        let mut fields = Map::new();
        for (name, value) in [
            ("channel", channel),
            ("queue", queue),
            ("state", state),
            ("context_table", context_table.as_str()),
            ("context_document", context_document.as_str()),
            ("channel_metadata_table", metadata_table.as_str()),
            ("channel_metadata_document", metadata_document.as_str()),
            ("assigned_to", ""),
            ("closed_by", ""),
            ("opened_for", ""),
        ] {
            fields.insert(name.into(), json!(value));
        }
        t.insert_as(TABLE, &fields, &caller.user_name)
    });
    let mut result = render(mock, &record);
    if mock.has(Fault::InteractionNumberMissing) {
        if let Some(map) = result.as_object_mut() {
            map.remove("number");
        }
    }
    Ok(Success::with_status(StatusCode::CREATED, result))
}

fn close_interaction(mock: &Mock, interaction_id: &str, headers: &HeaderMap) -> Reply {
    let caller = mock.authenticate(headers)?;
    let closed_by = if mock.has(Fault::CloseWithoutClosedBy) {
        String::new()
    } else {
        caller.sys_id
    };
    let record = mock.store().with(|t| {
        t.get(TABLE, interaction_id)?;
        t.set(TABLE, interaction_id, "state", "closed_complete")?;
        t.set(TABLE, interaction_id, "closed_by", &closed_by)?;
        t.get(TABLE, interaction_id).cloned()
    });
    // The document lists no status for an unknown interaction other than 500.
    let record = record.ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Unable to close interaction",
            format!("There is no record for interaction : {interaction_id}"),
        )
    })?;
    Ok(Success::ok(render(mock, &record)))
}

/// The body's fields that hold text, and those that hold a map or its JSON text.
const TEXT_FIELDS: &[&str] = &[
    "channel",
    "queue",
    "context_table",
    "context_id",
    "channel_metadata_table",
    "channel_metadata_id",
];
const MAP_FIELDS: &[&str] = &["context", "channel_metadata"];

/// A field of the wrong JSON type is refused with its name rather than read as absent, so a
/// client that sends `{"queue": 5}` learns why its interaction has no queue; so is a document
/// id that is not a sys_id (NOTES 57).
fn check_types(body: &Map<String, Value>) -> Result<(), ApiError> {
    let wrong = |name: &&str, ok: fn(&Value) -> bool| body.get(*name).is_some_and(|v| !ok(v));
    if let Some(name) = TEXT_FIELDS.iter().find(|n| wrong(n, Value::is_string)) {
        return Err(ApiError::bad_request(
            "Invalid request",
            format!("{name} must be a string"),
        ));
    }
    if let Some(name) = MAP_FIELDS
        .iter()
        .find(|n| wrong(n, |v| v.is_object() || v.is_string()))
    {
        return Err(ApiError::bad_request(
            "Invalid request",
            format!("{name} must be an object or a string"),
        ));
    }
    // The documents describe these as a queue's sys_id and a record's document id.
    for name in ["queue", "context_id", "channel_metadata_id"] {
        if let Some(id) = body_str(body, name).filter(|id| !crate::platform::sys_id::is_sys_id(id))
        {
            return Err(ApiError::bad_request(
                "Invalid request",
                format!("{name} `{id}` is not a sys_id"),
            ));
        }
    }
    Ok(())
}

/// Where an interaction's context (or channel metadata) lives: a given table/id pair, or a new
/// record of the default table holding the given map.
enum Document {
    Existing {
        table: String,
        id: String,
    },
    New {
        table: &'static str,
        content: Option<Value>,
    },
}

impl Document {
    /// The table and sys_id of the document, creating it (on behalf of `user`) when new.
    fn resolve(&self, tables: &mut Tables, user: &str) -> (String, String) {
        match self {
            Document::Existing { table, id } => (table.clone(), id.clone()),
            Document::New { table, content } => {
                let mut fields = Map::new();
                if let Some(content) = content {
                    let text = match content {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    // The blob's JSON lives in `value` (ServiceNowDocs' AWA context
                    // examples parse `getValue('value')`).
                    fields.insert("value".into(), Value::String(text));
                }
                let record = tables.insert_as(table, &fields, user);
                (table.to_string(), field_str(&record, "sys_id").to_string())
            }
        }
    }
}

fn document_pair(
    body: &Map<String, Value>,
    inline: &str,
    table_field: &str,
    id_field: &str,
    default_table: &'static str,
) -> Result<Document, ApiError> {
    match (body_str(body, table_field), body_str(body, id_field)) {
        (Some(table), Some(id)) => Ok(Document::Existing {
            table: table.to_string(),
            id: id.to_string(),
        }),
        (None, None) => Ok(Document::New {
            table: default_table,
            content: body.get(inline).cloned(),
        }),
        _ => Err(ApiError::bad_request(
            "Mandatory parameter missing",
            format!("{table_field} and {id_field} must be given together"),
        )),
    }
}

/// The API's view of an interaction record, as in the documents' samples.
fn render(mock: &Mock, record: &Record) -> Value {
    let mut view = view_of(record);
    if mock.has(Fault::InteractionDrifts) {
        if let Some(map) = view.as_object_mut() {
            map.insert("context".into(), json!("present"));
            map.insert("x_trace_id".into(), json!(crate::platform::sys_id::fresh()));
        }
    }
    view
}

fn view_of(record: &Record) -> Value {
    let f = |name: &str| field_str(record, name);
    json!({
        "channel": f("channel"),
        "context": {"present": true},
        "queue": f("queue"),
        "state": f("state"),
        "number": f("number"),
        "contextDocument": f("context_document"),
        "contextTable": f("context_table"),
        "channelMetadataDocument": f("channel_metadata_document"),
        "channelMetadataTable": f("channel_metadata_table"),
        "channel_metadata": {"present": true},
        "sys_id": f("sys_id"),
        "assigned_to": f("assigned_to"),
        "closed_by": f("closed_by"),
        "opened_for": f("opened_for"),
    })
}
