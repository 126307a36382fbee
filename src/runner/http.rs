//! Sending one request and recording the exchange for the reports, credentials redacted.

use std::time::Instant;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

use super::redact;
use crate::report::ExchangeRecord;
use crate::spec::Format;

/// A request ready to send: everything rendered, credentials resolved.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub during: String,
    pub method: String,
    pub url: String,
    /// The `Accept` header, unless `headers` sets one.
    pub accept: &'static str,
    pub headers: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub body: Option<String>,
}

/// An answer: status, headers, and the body as text and (when it is JSON, or XML read into
/// the same shape) as a value.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Option<Value>,
    /// The format the body was read as, from its `Content-Type`.
    pub format: Format,
}

impl Answer {
    /// The value under `result` of the body, if it has one.
    pub fn result(&self) -> Option<&Value> {
        self.json.as_ref().and_then(|j| j.get("result"))
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }
}

/// Sends `outgoing`; the record of the exchange is pushed whatever happens. `Err` names what
/// broke (connection refused, timeout, unreadable body).
pub async fn send(
    client: &reqwest::Client,
    outgoing: Outgoing,
    log: &mut Vec<ExchangeRecord>,
) -> Result<Answer, String> {
    let started = Instant::now();
    let mut record = ExchangeRecord {
        during: outgoing.during.clone(),
        method: outgoing.method.clone(),
        url: outgoing.url.clone(),
        request_headers: outgoing
            .headers
            .iter()
            .map(|(k, v)| {
                let v = if redact::is_secret_name(k) {
                    redact::REDACTED
                } else {
                    v.as_str()
                };
                (k.clone(), v.to_string())
            })
            .collect(),
        request_body: outgoing.body.as_deref().map(redact::body),
        status: None,
        response_headers: Vec::new(),
        response_body: None,
        error: None,
        duration_ms: 0.0,
    };
    if !outgoing
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
    {
        record
            .request_headers
            .push(("accept".into(), outgoing.accept.into()));
    }
    if outgoing.authorization.is_some() {
        record
            .request_headers
            .push(("authorization".into(), redact::REDACTED.into()));
    }
    let result = exchange(client, &outgoing).await;
    record.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(answer) => {
            record.status = Some(answer.status);
            record.response_headers = answer
                .headers
                .iter()
                .map(|(k, v)| {
                    let value = if redact::is_secret_name(k.as_str()) {
                        redact::REDACTED.to_string()
                    } else {
                        v.to_str().unwrap_or("<not text>").to_string()
                    };
                    (k.to_string(), value)
                })
                .collect();
            record.response_body = Some(redact::body(&answer.text));
        }
        Err(e) => record.error = Some(e.clone()),
    }
    log.push(record);
    result
}

async fn exchange(client: &reqwest::Client, outgoing: &Outgoing) -> Result<Answer, String> {
    let method = reqwest::Method::from_bytes(outgoing.method.as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", outgoing.method))?;
    let mut request = client.request(method, &outgoing.url);
    if !outgoing
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
    {
        request = request.header("accept", outgoing.accept);
    }
    for (name, value) in &outgoing.headers {
        request = request.header(name, value);
    }
    if let Some(auth) = &outgoing.authorization {
        request = request.header("authorization", auth);
    }
    if let Some(body) = &outgoing.body {
        if !outgoing
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        request = request.body(body.clone());
    }
    let response = request
        .send()
        .await
        .map_err(|e| describe(&e, &outgoing.method, &outgoing.url))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.map_err(|e| {
        format!(
            "{} {}: reading the body failed: {e}",
            outgoing.method, outgoing.url
        )
    })?;
    let is_xml = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("xml"));
    let (json, format) = if is_xml {
        (
            crate::xml::parse(&text).ok().map(Value::Object),
            Format::Xml,
        )
    } else {
        (serde_json::from_str(&text).ok(), Format::Json)
    };
    Ok(Answer {
        status,
        headers,
        text,
        json,
        format,
    })
}

fn describe(error: &reqwest::Error, method: &str, url: &str) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    // reqwest's own message names the cause chain; the URL never carries credentials here.
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        cause.push_str(&format!(": {s}"));
        source = s.source();
    }
    format!("{method} {url} {what}: {cause}")
}
