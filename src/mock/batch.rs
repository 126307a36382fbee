//! The platform's Batch API, `POST /api/now/v1/batch`: several REST requests in one, each
//! executed against the mock's own routes with the caller's credentials, in order.
//!
//! ```json
//! {"batch_request_id": "1", "rest_requests": [
//!   {"id": "a", "method": "POST", "url": "/api/now/table/awa_queue",
//!    "headers": [{"name": "Content-Type", "value": "application/json"}],
//!    "body": "eyJuYW1lIjoiQ2hhdCJ9"}]}
//! ```
//! answers
//! ```json
//! {"batch_request_id": "1", "serviced_requests": [
//!   {"id": "a", "status_code": 201, "status_text": "Created", "body": "<base64>",
//!    "headers": [{"name": "Content-Type", "value": "application/json;charset=UTF-8"}],
//!    "execution_time": 1}],
//!  "unserviced_requests": []}
//! ```
//! A request that cannot be made (no id, an unknown method, a URL outside the mock, a body
//! that is not base64) is answered in `serviced_requests` with 400 and the error envelope
//! naming what is wrong. `unserviced_requests` is kept for what the Batch API page reserves it
//! for: the requests left when the batch reached a limit, here an item over 5 MB (URL and
//! body; the page's default `glide.rest.batch.max.inputSize`). An item's URL is held to that
//! limit, not to the mock's URI limit for single requests.
//!
//! The requests go to whatever `serve` the router hands in (the whole mock, middleware and
//! all), so this module does not depend on the router that routes to it.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};
use std::future::Future;

use super::envelope::{bare_json, ApiError, BatchItem};
use super::Mock;

/// The most requests one batch may carry.
const MAX_REQUESTS: usize = 100;

/// The largest item of a batch (its URL and body), the Batch API page's default.
pub const MAX_ITEM_BYTES: usize = 5 * 1024 * 1024;

/// The largest batch body the mock reads: room for one item past the item limit, so that
/// the limit is met inside the batch, as the page describes, not as a refused request.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Answers one batch request; each of its requests is sent through `serve`.
pub async fn batch<S, F>(mock: Mock, headers: HeaderMap, body: Bytes, serve: S) -> Response
where
    S: Fn(Request<Body>) -> F,
    F: Future<Output = Response>,
{
    if let Err(e) = mock.authenticate(&headers) {
        return mock.respond(Err(e));
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return mock.respond(Err(ApiError::malformed_body())),
    };
    let Some(requests) = request["rest_requests"].as_array() else {
        return mock.respond(Err(ApiError::bad_request(
            "Invalid batch request",
            "rest_requests must be a list of requests",
        )));
    };
    if requests.len() > MAX_REQUESTS {
        return mock.respond(Err(ApiError::bad_request(
            "Invalid batch request",
            format!("a batch carries at most {MAX_REQUESTS} requests"),
        )));
    }
    let authorization = headers.get(header::AUTHORIZATION).cloned();
    let mut serviced = Vec::new();
    let mut unserviced = Vec::new();
    let mut limit_reached = false;
    for item in requests {
        // The platform answers ids as text, whatever type they came in.
        let id = text_of(&item["id"]);
        // Past a limit the transaction ends: this item and the rest are unserviced.
        limit_reached |= item_bytes(item) > MAX_ITEM_BYTES;
        if limit_reached {
            unserviced.push(Value::String(id));
            continue;
        }
        let started = std::time::Instant::now();
        let response = match one(item, authorization.clone()) {
            Ok(request) => serve(request).await,
            Err(why) => mock.respond(Err(ApiError::bad_request(
                "Invalid batch request item",
                why,
            ))),
        };
        let status = response.status();
        let exclude = item["exclude_response_headers"].as_bool().unwrap_or(false);
        let answer_headers: Vec<Value> = if exclude {
            Vec::new()
        } else {
            response
                .headers()
                .iter()
                .map(|(k, v)| json!({"name": k.as_str(), "value": v.to_str().unwrap_or("")}))
                .collect()
        };
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        serviced.push(json!({
            "id": id,
            "status_code": status.as_u16(),
            "status_text": status.canonical_reason().unwrap_or(""),
            "headers": answer_headers,
            "body": base64::engine::general_purpose::STANDARD.encode(&bytes),
            "execution_time": started.elapsed().as_millis() as u64,
        }));
    }
    bare_json(
        StatusCode::OK,
        &json!({
            "batch_request_id": text_of(&request["batch_request_id"]),
            "serviced_requests": serviced,
            "unserviced_requests": unserviced,
        }),
    )
}

/// A string as it is, a number as its text, anything else as nothing.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// An item's size as the batch limit counts it: its URL and its (encoded) body.
fn item_bytes(item: &Value) -> usize {
    item["url"].as_str().map_or(0, str::len) + item["body"].as_str().map_or(0, str::len) * 3 / 4
}

/// One request of a batch as the router takes it; `Err` says why it cannot be made.
fn one(
    item: &Value,
    authorization: Option<axum::http::HeaderValue>,
) -> Result<Request<Body>, String> {
    if text_of(&item["id"]).is_empty() {
        return Err("the request has no id".into());
    }
    let method = item["method"]
        .as_str()
        .and_then(|m| axum::http::Method::from_bytes(m.as_bytes()).ok())
        .ok_or("the request has no method, or not an HTTP one")?;
    let url = item["url"]
        .as_str()
        .filter(|u| u.starts_with('/'))
        .ok_or("the request's url must be a path of the instance (/api/...)")?;
    let body = match item["body"].as_str() {
        Some(encoded) if !encoded.is_empty() => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| "the request's body is not base64".to_string())?,
        _ => Vec::new(),
    };
    let mut request = Request::builder()
        .method(method)
        .uri(url)
        .extension(BatchItem);
    for h in item["headers"].as_array().into_iter().flatten() {
        if let (Some(name), Some(value)) = (h["name"].as_str(), h["value"].as_str()) {
            // The batch's own caller stands for every request in it.
            if !name.eq_ignore_ascii_case("authorization") {
                request = request.header(name, value);
            }
        }
    }
    if let Some(auth) = authorization {
        request = request.header(header::AUTHORIZATION, auth);
    }
    request
        .body(Body::from(body))
        .map_err(|e| format!("the request cannot be made: {e}"))
}
