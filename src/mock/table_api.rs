//! The Table API subset the suite uses to set up fixtures and read side effects back:
//! `/api/now/table/{table}` (also under `v1` and `v2`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::envelope::{no_content, ApiError, Success};
use super::store::{is_known_table, reference_target, Record};
use super::Mock;

type Params = Query<HashMap<String, String>>;

pub async fn list(
    State(mock): State<Mock>,
    Path(table): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let reply = (|| {
        mock.authenticate(&headers)?;
        known(&table)?;
        let conditions = parse_query(params.get("sysparm_query").map(String::as_str))?;
        let records = mock.store().with(|t| t.find(&table, &conditions));
        let total = records.len();
        let offset = number_param(&params, "sysparm_offset")?.unwrap_or(0);
        let limit = number_param(&params, "sysparm_limit")?.unwrap_or(10_000);
        let view = View::new(&params, &headers);
        let page: Vec<Value> = records
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| view.render(&table, r))
            .collect();
        Ok(Success::ok(Value::Array(page))
            .header(HeaderName::from_static("x-total-count"), total.to_string()))
    })();
    mock.respond(reply)
}

pub async fn create(
    State(mock): State<Mock>,
    Path(table): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = (|| {
        mock.authenticate(&headers)?;
        known(&table)?;
        let fields = mock.body_fields(&headers, &body)?;
        let record = mock.store().with(|t| t.insert(&table, &fields));
        let view = View::new(&params, &headers);
        let location = format!("{}/api/now/table/{table}/{}", view.base, sys_id(&record));
        Ok(
            Success::with_status(StatusCode::CREATED, view.render(&table, &record))
                .header(header::LOCATION, location),
        )
    })();
    mock.respond(reply)
}

pub async fn read(
    State(mock): State<Mock>,
    Path((table, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    let reply = (|| {
        mock.authenticate(&headers)?;
        known(&table)?;
        let record = mock
            .store()
            .with(|t| t.get(&table, &id).cloned())
            .ok_or_else(no_record)?;
        Ok(Success::ok(
            View::new(&params, &headers).render(&table, &record),
        ))
    })();
    mock.respond(reply)
}

pub async fn update(
    State(mock): State<Mock>,
    Path((table, id)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = (|| {
        mock.authenticate(&headers)?;
        known(&table)?;
        let fields = mock.body_fields(&headers, &body)?;
        let record = mock
            .store()
            .with(|t| t.update(&table, &id, &fields))
            .ok_or_else(no_record)?;
        Ok(Success::ok(
            View::new(&params, &headers).render(&table, &record),
        ))
    })();
    mock.respond(reply)
}

pub async fn delete(
    State(mock): State<Mock>,
    Path((table, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let reply = (|| {
        mock.authenticate(&headers)?;
        known(&table)?;
        if mock.store().with(|t| t.delete(&table, &id)) {
            Ok(())
        } else {
            Err(no_record())
        }
    })();
    match reply {
        Ok(()) => no_content(),
        Err(e) => mock.respond(Err(e)),
    }
}

fn known(table: &str) -> Result<(), ApiError> {
    if is_known_table(table) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("Invalid table {table}"), ""))
    }
}

fn no_record() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "No Record found",
        "Record doesn't exist or ACL restricts the record retrieval",
    )
}

fn sys_id(record: &Record) -> &str {
    super::store::field_str(record, "sys_id")
}

/// `field=value` conditions joined by `^`; other operators are outside the subset.
fn parse_query(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(Vec::new());
    };
    query
        .split('^')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.split_once('=')
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "Invalid query",
                        format!("The mock supports only field=value conditions, not `{part}`"),
                    )
                })
        })
        .collect()
}

fn number_param(params: &HashMap<String, String>, name: &str) -> Result<Option<usize>, ApiError> {
    params
        .get(name)
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::bad_request(
                    format!("Invalid value for {name}"),
                    format!("`{v}` is not a number"),
                )
            })
        })
        .transpose()
}

/// How records are rendered: which fields, and references as links or bare ids.
struct View {
    base: String,
    fields: Option<Vec<String>>,
    reference_links: bool,
}

impl View {
    fn new(params: &HashMap<String, String>, headers: &HeaderMap) -> Self {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        Self {
            base: format!("http://{host}"),
            fields: params
                .get("sysparm_fields")
                .filter(|f| !f.is_empty())
                .map(|f| f.split(',').map(|s| s.trim().to_string()).collect()),
            reference_links: params
                .get("sysparm_exclude_reference_link")
                .is_none_or(|v| v != "true"),
        }
    }

    fn render(&self, table: &str, record: &Record) -> Value {
        let mut out = Map::new();
        let names: Vec<&String> = match &self.fields {
            Some(fields) => fields.iter().collect(),
            None => record.keys().collect(),
        };
        for name in names {
            let value = super::store::field_str(record, name);
            let rendered = match reference_target(table, name) {
                Some(target) if self.reference_links && !value.is_empty() => json!({
                    "link": format!("{}/api/now/table/{target}/{value}", self.base),
                    "value": value,
                }),
                _ => Value::String(value.to_string()),
            };
            out.insert(name.clone(), rendered);
        }
        Value::Object(out)
    }
}
