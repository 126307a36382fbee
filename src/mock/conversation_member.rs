//! Conversation Member API: drop an agent from a conversation, or raise an agent's member type
//! to `public_fulfiller`. Both answer PUT (the documents' headings) and POST (their samples).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::auth::ROLE_AWA_INTEGRATION;
use super::envelope::{ApiError, Reply, Success};
use super::fault::Fault;
use super::store::{field_str, Record, Tables};
use super::{body_str, Mock};

pub const INSUFFICIENT_INPUT: &str = "Invalid request. Insufficient input";
pub const NO_CONVERSATION: &str = "Conversation for corresponding interaction could not be found";
pub const NOT_A_MEMBER: &str = "Invalid request. User is not a member of the interaction provided";
pub const BAD_MEMBER_TYPE: &str = "Invalid request. Member type must be one of [public_fulfiller]";
const PUBLIC_FULFILLER: &str = "public_fulfiller";

pub async fn drop(
    State(mock): State<Mock>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.respond(drop_member(&mock, &user_id, &headers, &body))
}

pub async fn update(
    State(mock): State<Mock>,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    mock.respond(update_member(&mock, &user_id, &headers, &body))
}

fn drop_member(mock: &Mock, user_id: &str, headers: &HeaderMap, body: &Bytes) -> Reply {
    mock.authorize(headers, ROLE_AWA_INTEGRATION)?;
    let body = mock.body_fields(headers, body)?;
    let interaction_id = body_str(&body, "interaction_id")
        .ok_or_else(|| invalid(INSUFFICIENT_INPUT, "interaction_id is required"))?;
    // Looking the member up and changing it happen under one lock, so two concurrent drops
    // of the same member cannot both succeed.
    let member = mock.store().with(|t| -> Result<Record, ApiError> {
        let member = find_member(t, interaction_id, user_id)?;
        if mock.has(Fault::DropDeactivatesEveryone) {
            let everyone = t.find(
                MEMBER_TABLE,
                &[("conversation".into(), interaction_id.into())],
            );
            for m in everyone {
                t.set(MEMBER_TABLE, field_str(&m, "sys_id"), "active", "false");
            }
        } else if !mock.has(Fault::DropKeepsActive) {
            t.set(
                MEMBER_TABLE,
                field_str(&member, "sys_id"),
                "active",
                "false",
            );
        }
        Ok(member)
    })?;
    let active = if mock.has(Fault::DropActiveAsString) {
        json!("false")
    } else {
        json!(false)
    };
    Ok(Success::ok(json!({
        "conversation_member": {
            "active": active,
            "memberType": field_str(&member, "member_type"),
            "conversation_id": interaction_id,
        },
        "success": true,
        "message": "Request to drop agent processed successfully.",
    })))
}

fn update_member(mock: &Mock, user_id: &str, headers: &HeaderMap, body: &Bytes) -> Reply {
    mock.authorize(headers, ROLE_AWA_INTEGRATION)?;
    let body = mock.body_fields(headers, body)?;
    let interaction_id = body_str(&body, "interaction_id");
    let member_type = body_str(&body, "member_type");
    let (Some(interaction_id), Some(member_type)) = (interaction_id, member_type) else {
        return Err(invalid(
            INSUFFICIENT_INPUT,
            "interaction_id and member_type are required",
        ));
    };
    if member_type != PUBLIC_FULFILLER && !mock.has(Fault::UpdateAcceptsAnyType) {
        return Err(invalid(
            BAD_MEMBER_TYPE,
            format!("member_type `{member_type}` is not supported"),
        ));
    }
    mock.store().with(|t| -> Result<(), ApiError> {
        let member = find_member(t, interaction_id, user_id)?;
        if field_str(&member, "member_type") == PUBLIC_FULFILLER
            && !mock.has(Fault::UpdateRepeatSucceeds)
        {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Unable to update member type",
                "The agent is already a public_fulfiller in this conversation",
            ));
        }
        t.set(
            MEMBER_TABLE,
            field_str(&member, "sys_id"),
            "member_type",
            member_type,
        );
        Ok(())
    })?;
    Ok(Success::ok(json!({
        "conversation_member": {
            "active": true,
            "memberType": member_type,
            "conversation_id": interaction_id,
        },
        "success": true,
        "message": "Request to update agent member type processed successfully.",
    })))
}

const MEMBER_TABLE: &str = "sys_cs_conversation_member";

/// The active member record of `user_id` in the interaction's conversation, or the documented
/// 400 for an unknown interaction or a user who is not (or no longer) a member.
fn find_member(t: &Tables, interaction_id: &str, user_id: &str) -> Result<Record, ApiError> {
    if t.get("interaction", interaction_id).is_none() {
        return Err(invalid(
            NO_CONVERSATION,
            format!("There is no interaction with sys_id {interaction_id}"),
        ));
    }
    t.find(
        MEMBER_TABLE,
        &[
            ("conversation".into(), interaction_id.into()),
            ("member".into(), user_id.into()),
            ("active".into(), "true".into()),
        ],
    )
    .into_iter()
    .next()
    .ok_or_else(|| {
        invalid(
            NOT_A_MEMBER,
            format!("User {user_id} is not an active member of the conversation"),
        )
    })
}

fn invalid(message: &str, detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(message, detail)
}
