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
//! that is not base64) is listed by id in `unserviced_requests`.
//!
//! The requests go to whatever `serve` the router hands in (the whole mock, middleware and
//! all), so this module does not depend on the router that routes to it.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};
use std::future::Future;

use super::envelope::{bare_json, ApiError};
use super::Mock;

/// The most requests one batch may carry.
const MAX_REQUESTS: usize = 100;

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
    for item in requests {
        // The platform answers ids as text, whatever type they came in.
        let id = text_of(&item["id"]);
        let started = std::time::Instant::now();
        let response = match one(item, authorization.clone()) {
            Some(request) => Some(serve(request).await),
            None => None,
        };
        match response {
            Some(response) if !id.is_empty() => {
                let status = response.status();
                let exclude = item["exclude_response_headers"].as_bool().unwrap_or(false);
                let answer_headers: Vec<Value> = if exclude {
                    Vec::new()
                } else {
                    response
                        .headers()
                        .iter()
                        .map(
                            |(k, v)| json!({"name": k.as_str(), "value": v.to_str().unwrap_or("")}),
                        )
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
            _ => unserviced.push(Value::String(id)),
        }
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

/// One request of a batch as the router takes it; `None` when it cannot be made.
fn one(item: &Value, authorization: Option<axum::http::HeaderValue>) -> Option<Request<Body>> {
    let method = axum::http::Method::from_bytes(item["method"].as_str()?.as_bytes()).ok()?;
    let url = item["url"].as_str()?;
    if !url.starts_with('/') {
        return None;
    }
    let body = match item["body"].as_str() {
        Some(encoded) if !encoded.is_empty() => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?,
        _ => Vec::new(),
    };
    let mut request = Request::builder().method(method).uri(url);
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
    request.body(Body::from(body)).ok()
}
