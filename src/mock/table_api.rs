//! The Table API: `/api/now/table/{table}` (also under `v1` and `v2`), as clients written
//! for the platform use it.
//!
//! Lists take `sysparm_query` in the encoded query language ([`super::query`]), in creation
//! order unless it says `ORDERBY`; `sysparm_fields` (dot-walked names too),
//! `sysparm_display_value` (`false`, `true`, `all`), `sysparm_exclude_reference_link`,
//! `sysparm_limit` and `sysparm_offset`, answered with `X-Total-Count` and, for a paged list, a
//! `Link` header (`first`, `prev`, `next`, `last`) unless
//! `sysparm_suppress_pagination_header=true`. An insert keeps a given `sys_id`, ignores fields
//! the table does not define and, like an update, refuses an empty body; a `sysparm_fields`
//! name the table lacks is left out; every record carries the system fields
//! (`sys_created_on`, `sys_created_by`, `sys_updated_on`, `sys_updated_by`, `sys_mod_count`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::dictionary::Dictionary;
use super::envelope::{no_content, ApiError, Success};
use super::query;
use super::store::{field_str, Record, Tables};
use super::Mock;

type Params = Query<HashMap<String, String>>;

/// The most records one list answers, as on the platform.
const DEFAULT_LIMIT: usize = 10_000;

/// The table of attachments' metadata: its records link to their files, and the Attachment
/// API (`super::attachment`) reads it through this module.
pub const ATTACHMENT_TABLE: &str = "sys_attachment";

pub async fn list(
    State(mock): State<Mock>,
    Path(table): Path<String>,
    Query(params): Params,
    // The headers of the request itself (a `HeaderMap` extractor would copy them).
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers();
    let reply = (|| {
        let caller = mock.authenticate(headers)?;
        known(&mock, &table)?;
        let text = params.get("sysparm_query").map_or("", String::as_str);
        let invalid_query = |e: query::QueryError| {
            ApiError::bad_request("Invalid query", format!("sysparm_query term {e}"))
        };
        let mut parsed = query::parse(text).map_err(invalid_query)?;
        // `javascript:` values stand for the caller or a date, evaluated once for the query.
        let context = super::script::ScriptContext::now(caller.sys_id, caller.user_name);
        parsed
            .map_values(&|value| super::script::evaluate(value, &context))
            .map_err(invalid_query)?;
        // A term naming a field the table lacks is dropped and the rest decides, as on the
        // platform; with glide.invalid_query.returns_no_rows=true such a query finds nothing.
        let dictionary = std::sync::Arc::clone(&mock.options().dictionary);
        let invalid = parsed.drop_unknown(&|field| dictionary.has_field(&table, field));
        let no_rows = invalid && property_is_true(&mock, INVALID_QUERY_RETURNS_NO_ROWS);
        let offset = number_param(&params, "sysparm_offset")?.unwrap_or(0);
        let limit = number_param(&params, "sysparm_limit")?.unwrap_or(DEFAULT_LIMIT);
        let view = View::new(&params, headers, mock.options().https)?;
        let pairs = name_value_pairs(&mock, &table, &params);
        let (total, page) = mock.store().read(|t| {
            let mut records: Vec<Record> = t
                .find(&table, &[])
                .into_iter()
                .filter(|r| parsed.matches(&|f: &str| t.walk(&table, r, f)))
                .filter(|r| pairs.iter().all(|(f, v)| pair_matches(t, &table, r, f, v)))
                .filter(|_| !no_rows)
                .collect();
            // A stable sort, so that equal keys keep the creation order.
            records.sort_by(|a, b| {
                parsed
                    .order
                    .iter()
                    .map(|(field, desc)| {
                        let o =
                            query::compare(&t.walk(&table, a, field), &t.walk(&table, b, field));
                        if *desc {
                            o.reverse()
                        } else {
                            o
                        }
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            let page: Vec<Value> = records
                .iter()
                .skip(offset)
                .take(limit)
                .map(|r| view.render(&table, r, t))
                .collect();
            (records.len(), page)
        });
        // Version 1 of the endpoint answers a query that matches nothing with 404; version 2
        // (and the unversioned URL, the latest) with 200 and [] (the Table API page, api_version).
        if total == 0 && request.uri().path().starts_with("/api/now/v1/") {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "No Record found",
                "Records matching query not found. Check query parameter or offset parameter",
            ));
        }
        let mut success = Success::ok(Value::Array(page));
        // sysparm_no_count=true: no count is made, so none is said.
        let no_count = params
            .get("sysparm_no_count")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !no_count {
            success = success.header(HeaderName::from_static("x-total-count"), total.to_string());
        }
        let suppressed = params
            .get("sysparm_suppress_pagination_header")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if params.contains_key("sysparm_limit") && !suppressed {
            success = success.header(
                header::LINK,
                link_header(&view.base, &table, &params, offset, limit, total),
            );
        }
        Ok(success)
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
        let caller = mock.authenticate(&headers)?;
        known(&mock, &table)?;
        require_body(&body, "insert")?;
        mock.has_room(&table, 1)?;
        let fields = table_fields(&mock, &headers, &body)?;
        let view = View::new(&params, &headers, mock.options().https)?;
        let (record, rendered) = mock.store().with(|t| {
            let record = t.insert_as(&table, &fields, &caller.user_name);
            let sys_id = field_str(&record, "sys_id").to_string();
            super::interaction::after_insert(t, &table, &sys_id, &caller.user_name);
            let record = t.get(&table, &sys_id).cloned().unwrap_or(record);
            let rendered = view.render(&table, &record, t);
            (record, rendered)
        });
        let location = format!(
            "{}/api/now/table/{table}/{}",
            view.base,
            field_str(&record, "sys_id")
        );
        Ok(Success::with_status(StatusCode::CREATED, rendered).header(header::LOCATION, location))
    })();
    mock.respond(reply)
}

pub async fn read(
    State(mock): State<Mock>,
    Path((table, id)): Path<(String, String)>,
    Query(params): Params,
    // The headers of the request itself (a `HeaderMap` extractor would copy them).
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers();
    let reply = (|| {
        mock.authenticate(headers)?;
        known(&mock, &table)?;
        let view = View::new(&params, headers, mock.options().https)?;
        let rendered = mock
            .store()
            .with(|t| t.get(&table, &id).map(|r| view.render(&table, r, t)))
            .ok_or_else(no_record)?;
        Ok(Success::ok(rendered))
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
        let caller = mock.authenticate(&headers)?;
        known(&mock, &table)?;
        require_body(&body, "update")?;
        let fields = table_fields(&mock, &headers, &body)?;
        let view = View::new(&params, &headers, mock.options().https)?;
        let rendered = mock
            .store()
            .with(|t| {
                t.update_as(&table, &id, &fields, &caller.user_name)
                    .map(|r| view.render(&table, &r, t))
            })
            .ok_or_else(no_record)?;
        Ok(Success::ok(rendered))
    })();
    mock.respond(reply)
}

pub async fn delete(
    State(mock): State<Mock>,
    Path((table, id)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers();
    let reply = (|| {
        mock.authenticate(headers)?;
        known(&mock, &table)?;
        // The built-in accounts' users stay: their credentials are fixed for the mock's life.
        if table == "sys_user" {
            let name = mock.store().read(|t| {
                t.get(&table, &id)
                    .map(|r| field_str(r, "user_name").to_string())
            });
            if let Some(name) = name.filter(|n| mock.accounts().iter().any(|a| &a.user_name == n)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "Operation Failed",
                    format!("The built-in account {name} cannot be deleted"),
                ));
            }
        }
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

/// A Table API body's fields. A JSON array inserts (or updates with) its first record, as the
/// platform does (KB0534905; the Table API page: one record per request); anything else is
/// read as every API's body is.
fn table_fields(
    mock: &super::Mock,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    if let Ok(Value::Array(records)) = serde_json::from_slice::<Value>(body) {
        return match records.into_iter().next() {
            Some(Value::Object(first)) => Ok(first),
            _ => Err(ApiError::malformed_body()),
        };
    }
    mock.body_fields(headers, body)
}

/// The property that makes a query with an invalid part find nothing instead of dropping the
/// part (ServiceNowDocs, GlideRecord API).
const INVALID_QUERY_RETURNS_NO_ROWS: &str = "glide.invalid_query.returns_no_rows";

/// Whether the `sys_properties` record `name` holds `true`.
fn property_is_true(mock: &super::Mock, name: &str) -> bool {
    mock.store().read(|t| {
        t.matching("sys_properties", &[("name", name)])
            .any(|r| field_str(r, "value").eq_ignore_ascii_case("true"))
    })
}

/// The name-value pairs of a list request (`?active=true&user_name=admin`): every parameter
/// that is not a `sysparm_` one and names a field of the table. The Table API page calls them
/// mutually exclusive with `sysparm_query`, so with a query they are not applied; a name the
/// table lacks is ignored, as an unknown field in a query is.
fn name_value_pairs(
    mock: &super::Mock,
    table: &str,
    params: &std::collections::HashMap<String, String>,
) -> Vec<(String, String)> {
    if params.get("sysparm_query").is_some_and(|q| !q.is_empty()) {
        return Vec::new();
    }
    let dictionary = &mock.options().dictionary;
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| !name.starts_with("sysparm_") && dictionary.has_field(table, name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    pairs.sort();
    pairs
}

/// Whether `record`'s `field` holds `value`, its stored value or (the page's `&state=closed`)
/// its display value: a choice's label, a referenced record's display field.
fn pair_matches(t: &Tables, table: &str, record: &Record, field: &str, value: &str) -> bool {
    let stored = t.walk(table, record, field);
    if stored == value {
        return true;
    }
    let dictionary = t.dictionary();
    let (owner, last) = match field.rsplit_once('.') {
        Some((path, last)) => (walk_table(dictionary, table, path), last),
        None => (Some(table.to_string()), field),
    };
    let Some(owner) = owner else {
        return false;
    };
    if let Some(column) = dictionary.column(&owner, last) {
        if column
            .choices
            .iter()
            .any(|c| c.value == stored && c.label.eq_ignore_ascii_case(value))
        {
            return true;
        }
        if let Some(target) = column.reference.as_deref() {
            return t
                .get(target, &stored)
                .is_some_and(|r| field_str(r, dictionary.display_field(target)) == value);
        }
    }
    false
}

fn known(mock: &super::Mock, table: &str) -> Result<(), ApiError> {
    if mock.options().dictionary.is_known_table(table) {
        Ok(())
    } else {
        // `detail: null`, as an instance answers and clients quote it.
        Err(ApiError::bad_request(format!("Invalid table {table}"), "").with_null_detail())
    }
}

/// An insert or update without a body is refused, as the platform refuses it; `{}` is a body.
fn require_body(body: &Bytes, action: &str) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "Exception while reading request",
            format!("The request body is empty: nothing to {action}"),
        ));
    }
    Ok(())
}

fn no_record() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "No Record found",
        "Record doesn't exist or ACL restricts the record retrieval",
    )
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

/// `<url>;rel="first",<url>;rel="prev",<url>;rel="next",<url>;rel="last"`: `prev` only after
/// the first page, `next` only before the last.
fn link_header(
    base: &str,
    table: &str,
    params: &HashMap<String, String>,
    offset: usize,
    limit: usize,
    total: usize,
) -> String {
    let url = |at: usize| {
        let mut pairs: Vec<(&str, String)> = params
            .iter()
            .filter(|(k, _)| k.as_str() != "sysparm_offset")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("sysparm_offset", at.to_string()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("<{base}/api/now/table/{table}?{query}>")
    };
    let limit = limit.max(1);
    let last = total.saturating_sub(1) / limit * limit;
    let mut links = vec![format!("{};rel=\"first\"", url(0))];
    if offset > 0 {
        links.push(format!(
            "{};rel=\"prev\"",
            url(offset.saturating_sub(limit))
        ));
    }
    if offset + limit < total {
        links.push(format!("{};rel=\"next\"", url(offset + limit)));
    }
    links.push(format!("{};rel=\"last\"", url(last)));
    links.join(",")
}

/// `sysparm_display_value`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Display {
    Value,
    Shown,
    Both,
}

/// How records are rendered: which fields, values or display values, references as links.
struct View {
    base: String,
    fields: Option<Vec<String>>,
    display: Display,
    reference_links: bool,
}

impl View {
    fn new(
        params: &HashMap<String, String>,
        headers: &HeaderMap,
        https: bool,
    ) -> Result<Self, ApiError> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        // Clients write booleans as they please (pysnow sends `False`).
        let flag = |name: &str| params.get(name).map(|v| v.to_ascii_lowercase());
        let display = match flag("sysparm_display_value").as_deref() {
            None | Some("false") | Some("") => Display::Value,
            Some("true") => Display::Shown,
            Some("all") => Display::Both,
            Some(other) => {
                return Err(ApiError::bad_request(
                    "Invalid value for sysparm_display_value",
                    format!("`{other}` is not one of true, false, all"),
                ))
            }
        };
        Ok(Self {
            base: format!("{}://{host}", if https { "https" } else { "http" }),
            fields: params
                .get("sysparm_fields")
                .filter(|f| !f.is_empty())
                .map(|f| f.split(',').map(|s| s.trim().to_string()).collect()),
            display,
            reference_links: flag("sysparm_exclude_reference_link").is_none_or(|v| v != "true"),
        })
    }

    fn render(&self, table: &str, record: &Record, tables: &Tables) -> Value {
        let dictionary = tables.dictionary();
        let mut out = Map::new();
        // Every column of the table asked for (a child's record read through its parent shows
        // the parent's columns, as on the platform), or the fields asked for.
        let names: Vec<String> = match (&self.fields, dictionary.fields_of(table)) {
            (Some(fields), _) => fields.clone(),
            (None, Some(columns)) => columns
                .into_iter()
                .filter(|c| record.contains_key(*c))
                .map(str::to_string)
                .collect(),
            (None, None) => record.keys().cloned().collect(),
        };
        for name in names {
            // The platform leaves out a requested name the table does not have (a wrong name
            // gives `{}`, not an empty value): NOTES 56.
            if self.fields.is_some() && !dictionary.has_field(table, &name) {
                continue;
            }
            // A dot-walked name reads through the references to the field at its end.
            let (owner, field) = match name.rsplit_once('.') {
                Some((path, last)) => (walk_table(dictionary, table, path), last.to_string()),
                None => (Some(table.to_string()), name.clone()),
            };
            let value = tables.walk(table, record, &name);
            let target = owner
                .as_deref()
                .and_then(|t| dictionary.reference_target(t, &field));
            let rendered = match target {
                Some(target) if !value.is_empty() => {
                    let shown = tables
                        .get(target, &value)
                        .map(|r| field_str(r, dictionary.display_field(target)).to_string())
                        .unwrap_or_default();
                    let link = format!("{}/api/now/table/{target}/{value}", self.base);
                    match self.display {
                        Display::Value if self.reference_links => {
                            json!({"link": link, "value": value})
                        }
                        Display::Value => json!(value),
                        // The label, and the link unless links are excluded (the platform's
                        // shape under sysparm_display_value=true).
                        Display::Shown if self.reference_links => {
                            json!({"display_value": shown, "link": link})
                        }
                        Display::Shown => json!(shown),
                        Display::Both if self.reference_links => {
                            json!({"display_value": shown, "link": link, "value": value})
                        }
                        Display::Both => json!({"display_value": shown, "value": value}),
                    }
                }
                _ => {
                    // A choice shows its label (`1` shows as `New`).
                    let shown = owner
                        .as_deref()
                        .and_then(|t| dictionary.column(t, &field))
                        .and_then(|c| c.choices.iter().find(|ch| ch.value == value))
                        .map_or_else(|| value.clone(), |ch| ch.label.clone());
                    match self.display {
                        Display::Both => json!({"display_value": shown, "value": value}),
                        Display::Shown => json!(shown),
                        Display::Value => json!(value),
                    }
                }
            };
            out.insert(name, rendered);
        }
        // An attachment's metadata links to its file (the Attachment API page).
        if table == ATTACHMENT_TABLE
            && self
                .fields
                .as_ref()
                .is_none_or(|f| f.iter().any(|n| n == "download_link"))
        {
            let id = field_str(record, "sys_id");
            out.insert(
                "download_link".into(),
                json!(format!("{}/api/now/attachment/{id}/file", self.base)),
            );
        }
        Value::Object(out)
    }
}

/// The table a dot-walked path (`assigned_to.department`) leads to from `table`.
fn walk_table(dictionary: &Dictionary, table: &str, path: &str) -> Option<String> {
    let mut current = table.to_string();
    for segment in path.split('.') {
        current = dictionary.reference_target(&current, segment)?.to_string();
    }
    Some(current)
}
