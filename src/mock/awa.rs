//! AWA Inbox Actions API: list a service channel's reject reasons, and accept or reject a work
//! item in `pending_accept` on behalf of its agent. Every operation needs the
//! `awa_integration_user` role and `glide.awa.enabled=true`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::auth::ROLE_AWA_INTEGRATION;
use super::envelope::{ApiError, Reply, Success};
use super::fault::Fault;
use super::store::{field_str, Record, Tables};
use super::{body_str, json_text, Mock};

pub const AWA_ENABLED_PROPERTY: &str = "glide.awa.enabled";
const WORK_ITEM: &str = "awa_work_item";
const REJECT_REASON: &str = "awa_reject_reason";
const PENDING_ACCEPT: &str = "pending_accept";

/// The headers are read from the request itself: a `HeaderMap` extractor would copy them.
pub async fn reject_reasons(
    State(mock): State<Mock>,
    Path(channel_id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    mock.respond(list_reject_reasons(&mock, &channel_id, request.headers()))
}

pub async fn accept(State(mock): State<Mock>, headers: HeaderMap, body: Bytes) -> Response {
    mock.respond(accept_work_item(&mock, &headers, &body))
}

pub async fn reject(State(mock): State<Mock>, headers: HeaderMap, body: Bytes) -> Response {
    mock.respond(reject_work_item(&mock, &headers, &body))
}

/// The checks every AWA operation starts with: 401, 403 for the role, 403 when AWA is off.
fn gate(mock: &Mock, headers: &HeaderMap) -> Result<(), ApiError> {
    mock.store().read(|t| gate_in(mock, t, headers))
}

/// [`gate`] on tables already read.
fn gate_in(mock: &Mock, t: &Tables, headers: &HeaderMap) -> Result<(), ApiError> {
    mock.permit_in(t, headers, ROLE_AWA_INTEGRATION)?;
    let enabled = t
        .matching("sys_properties", &[("name", AWA_ENABLED_PROPERTY)])
        .next()
        .is_none_or(|p| field_str(p, "value") == "true");
    if enabled || mock.has(Fault::AwaDisabledIgnored) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Advanced Work Assignment is not enabled",
            format!("The {AWA_ENABLED_PROPERTY} property is not true"),
        ))
    }
}

fn list_reject_reasons(mock: &Mock, channel_id: &str, headers: &HeaderMap) -> Reply {
    let as_string = mock.has(Fault::RejectReasonsOrderAsString);
    // The checks, then each reason of the channel, borrowed from the stored records and written
    // as JSON, all under one read of the tables: nothing is copied first.
    mock.store().read(|t| {
        gate_in(mock, t, headers)?;
        if t.get("awa_service_channel", channel_id).is_none() {
            return Err(ApiError::no_record(
                StatusCode::NOT_FOUND,
                "awa_service_channel",
                channel_id,
            ));
        }
        let of_channel = [("service_channel", channel_id)];
        let mut reasons: Vec<(i64, &Record)> = t
            .matching(REJECT_REASON, &of_channel)
            .map(|r| (order_of(r), r))
            .collect();
        if mock.has(Fault::RejectReasonsOrderedAsText) {
            // The stored text compared as text: "10" before "9".
            reasons.sort_by(|(_, a), (_, b)| field_str(a, "order").cmp(field_str(b, "order")));
        } else if !mock.has(Fault::RejectReasonsUnsorted) {
            // A stable sort: reasons of the same order stay in creation order.
            reasons.sort_by_key(|(order, _)| *order);
        }
        Ok(Success::writing(StatusCode::OK, |out| {
            out.push(b'[');
            for (i, (order, reason)) in reasons.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // The document's fields, in its order.
                out.extend_from_slice(br#"{"order":"#);
                if as_string {
                    json_text::string(out, &order.to_string());
                } else {
                    json_text::integer(out, *order);
                }
                out.extend_from_slice(br#","value":"#);
                json_text::string(out, field_str(reason, "reason"));
                out.extend_from_slice(br#","display_value":"#);
                json_text::string(out, field_str(reason, "reason"));
                out.extend_from_slice(br#","sys_id":"#);
                json_text::string(out, field_str(reason, "sys_id"));
                out.push(b'}');
            }
            out.push(b']');
        }))
    })
}

fn order_of(reason: &Record) -> i64 {
    field_str(reason, "order").trim().parse().unwrap_or(0)
}

/// The required ids of an accept or reject body, in the order the documents list them.
fn required<'a>(
    body: &'a Map<String, Value>,
    fields: &[(&str, &str)],
) -> Result<Vec<&'a str>, ApiError> {
    fields
        .iter()
        .map(|(name, missing)| body_str(body, name).ok_or_else(|| invalid(missing)))
        .collect()
}

fn invalid(detail: &str) -> ApiError {
    ApiError::bad_request("Invalid request", detail)
}

/// The documented 400s about the work item's agent and state.
fn check_assignment(work_item: &Record, agent_id: &str) -> Result<(), ApiError> {
    if field_str(work_item, "assigned_to") != agent_id {
        return Err(invalid("Work item is assigned to a different agent"));
    }
    if field_str(work_item, "state") != PENDING_ACCEPT {
        return Err(invalid("Work item is not in pending accept state"));
    }
    Ok(())
}

fn accept_work_item(mock: &Mock, headers: &HeaderMap, body: &Bytes) -> Reply {
    if mock.fail_this_accept() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "the instance is busy (fault first-accept-fails)",
        ));
    }
    gate(mock, headers)?;
    let body = mock.body_fields(headers, body)?;
    let ids = required(
        &body,
        &[
            ("agent_id", "Missing agent ID"),
            ("work_item_id", "Missing work item ID"),
        ],
    )?;
    let (agent_id, work_item_id) = (ids[0], ids[1]);
    let work_item = mock.store().with(|t| -> Result<Record, ApiError> {
        let item = t
            .get(WORK_ITEM, work_item_id)
            .cloned()
            .ok_or_else(|| invalid("Wrong work item ID"))?;
        check_assignment(&item, agent_id)?;
        if !mock.has(Fault::AcceptSkipsState) {
            t.set(WORK_ITEM, work_item_id, "state", "accepted");
        }
        if mock.has(Fault::AcceptClearsAssignee) {
            t.set(WORK_ITEM, work_item_id, "assigned_to", "");
        }
        Ok(item)
    })?;
    let mut result = json!({
        "documentSysId": field_str(&work_item, "document_id"),
        "documentTable": field_str(&work_item, "document_table"),
    });
    if mock.has(Fault::AcceptMissingDocumentTable) {
        if let Some(map) = result.as_object_mut() {
            map.remove("documentTable");
        }
    }
    let status = if mock.has(Fault::AcceptWrongStatus) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(Success::with_status(status, result))
}

fn reject_work_item(mock: &Mock, headers: &HeaderMap, body: &Bytes) -> Reply {
    gate(mock, headers)?;
    let body = mock.body_fields(headers, body)?;
    let ids = required(
        &body,
        &[
            ("agent_id", "Missing agent ID"),
            ("work_item_id", "Missing work item ID"),
            ("reject_reason_id", "Missing reject reason item ID"),
        ],
    )?;
    let (agent_id, work_item_id, reason_id) = (ids[0], ids[1], ids[2]);
    let unknown_agent_status = if mock.has(Fault::RejectUnknownAgent400) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::NOT_FOUND
    };
    mock.store().with(|t| -> Result<(), ApiError> {
        if t.get("sys_user", agent_id).is_none() {
            return Err(ApiError::no_record(
                unknown_agent_status,
                "sys_user",
                agent_id,
            ));
        }
        if t.get(REJECT_REASON, reason_id).is_none() {
            return Err(ApiError::no_record(
                StatusCode::NOT_FOUND,
                REJECT_REASON,
                reason_id,
            ));
        }
        let item = t
            .get(WORK_ITEM, work_item_id)
            .ok_or_else(|| ApiError::no_record(StatusCode::NOT_FOUND, WORK_ITEM, work_item_id))?;
        check_assignment(item, agent_id)?;
        if !mock.has(Fault::RejectKeepsAssignee) {
            t.set(WORK_ITEM, work_item_id, "assigned_to", "");
        }
        t.set(WORK_ITEM, work_item_id, "rejected", "true");
        Ok(())
    })?;
    Ok(Success::ok(json!({
        "work_item_id": work_item_id,
        "reject_reason_id": reason_id,
        "agent_id": agent_id,
    })))
}
