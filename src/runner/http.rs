//! Sending one request and recording the exchange for the reports, credentials redacted.

use std::time::Instant;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

use super::error::{ExchangeFailure, RequestError};
use super::redact;
use super::secrets::Secrets;
use crate::report::{ExchangeRecord, Origin};
use crate::spec::{Auth, Format};

/// What every request goes out through: the client (the run's, or the trial thread's own: see
/// [`super::trial_loop`]), the secrets to redact, and the limit on requests in flight.
#[derive(Clone)]
pub struct Link<'a> {
    pub client: reqwest::Client,
    pub secrets: &'a Secrets,
    pub limiter: &'a super::limiter::Limiter,
}

/// A request ready to send: everything rendered, credentials resolved.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// What sends it.
    pub origin: Origin,
    pub method: String,
    pub url: String,
    /// The `Accept` header, unless `headers` sets one.
    pub accept: &'static str,
    pub headers: Vec<(String, String)>,
    /// The `Authorization` value, when it is known before sending.
    pub authorization: Option<String>,
    /// Which credentials the request carries; the main account's OAuth token and the expired
    /// token are filled in just before sending.
    pub auth: Auth,
    pub body: Option<String>,
    /// The largest answer body to read (the target's `--max-body`).
    pub max_body: usize,
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

/// Sends `outgoing`; the record of the exchange is pushed whatever happens. `Err` says what
/// broke (connection refused, timeout, unreadable body). Every secret the run knows is
/// replaced in the answer before anyone reads it: checks quote bodies shortened, and a cut
/// through a secret would leave a piece no redaction could match.
pub async fn send(
    link: Link<'_>,
    outgoing: Outgoing,
    log: &mut Vec<ExchangeRecord>,
) -> Result<Answer, RequestError> {
    let secrets = link.secrets;
    let answer = send_keeping_secrets(link, outgoing, log).await?;
    Ok(redact_answer(answer, secrets))
}

/// Like [`send`], the answer as it came (the exchange record is still redacted): for the
/// token endpoint, whose answer holds the tokens the run must read.
pub async fn send_keeping_secrets(
    link: Link<'_>,
    outgoing: Outgoing,
    log: &mut Vec<ExchangeRecord>,
) -> Result<Answer, RequestError> {
    // An instance's rate limit (429) is not a deviation of the API under test: wait as it
    // asks and try again, a few times, recording every attempt.
    let mut attempt = 1;
    loop {
        let result = send_once(link.clone(), &outgoing, log).await;
        let wait = match &result {
            Ok(answer) if answer.status == 429 && attempt < RATE_LIMIT_ATTEMPTS => {
                retry_after(answer)
            }
            _ => return result,
        };
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// How many times a rate-limited request is sent at most.
const RATE_LIMIT_ATTEMPTS: u32 = 4;

/// The wait a 429 asks for (`Retry-After` in seconds), between 1 and 30 seconds.
fn retry_after(answer: &Answer) -> std::time::Duration {
    let seconds = answer
        .headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    std::time::Duration::from_secs(seconds.clamp(1, 30))
}

async fn send_once(
    link: Link<'_>,
    outgoing: &Outgoing,
    log: &mut Vec<ExchangeRecord>,
) -> Result<Answer, RequestError> {
    let Link {
        client,
        secrets,
        limiter,
    } = link;
    // The wait for a permit is not the exchange's: its time starts when it may go.
    let permit = limiter
        .acquire(super::limiter::kind_of(
            &outgoing.method,
            &outgoing.url,
            outgoing.body.as_deref(),
        ))
        .await;
    let started = Instant::now();
    let mut record = ExchangeRecord {
        origin: outgoing.origin.clone(),
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
        auth: Some(outgoing.auth.name().to_string()),
        status: None,
        response_headers: Vec::new(),
        response_body: None,
        error: None,
        started_at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        duration_ms: 0.0,
        shape: None,
        schema: None,
        undocumented: Vec::new(),
        batch: None,
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
    let result = exchange(&client, outgoing).await;
    record.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    permit.answered(
        result.as_ref().ok().map(|a| a.status),
        result
            .as_ref()
            .ok()
            .and_then(|a| super::limiter::pause_asked(a.status, &a.headers)),
    );
    match &result {
        Ok(answer) => record_answer(&mut record, answer),
        Err(e) => record.error = Some(e.to_string()),
    }
    log.push(redact_record(record, secrets));
    result.map_err(|e| e.redacted(secrets))
}

/// Writes `answer` into `record`: status, headers and body with secret names redacted, and
/// for a step the body's shape.
fn record_answer(record: &mut ExchangeRecord, answer: &Answer) {
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
    // A JSON answer was parsed already: its fields are checked for secret names without
    // parsing it again.
    record.response_body = Some(match (&answer.json, answer.format) {
        (Some(json), Format::Json) => redact::body_parsed(&answer.text, json),
        _ => redact::body(&answer.text),
    });
    // Shapes are compared between runs for the steps' answers only (drift).
    if matches!(record.origin, Origin::Step { .. }) {
        record.shape = answer.json.as_ref().map(crate::report::shape::shape_of);
    }
}

/// The record of one item of a Batch API request that `wire` (the batch's own record)
/// carried: the item's method, URL and headers, its answer (`answer`, as the batch decoded
/// it, with every secret of the run already replaced), the batch's timing and credentials,
/// and which batch it went in.
pub(super) fn item_record(
    wire: &ExchangeRecord,
    batch_id: &str,
    item: &Outgoing,
    answer: &Answer,
    secrets: &Secrets,
) -> ExchangeRecord {
    let mut record = ExchangeRecord {
        origin: item.origin.clone(),
        method: item.method.clone(),
        url: item.url.clone(),
        request_headers: vec![("accept".into(), item.accept.into())],
        request_body: item.body.as_deref().map(redact::body),
        auth: wire.auth.clone(),
        status: None,
        response_headers: Vec::new(),
        response_body: None,
        error: None,
        started_at_ms: wire.started_at_ms,
        duration_ms: wire.duration_ms,
        shape: None,
        schema: None,
        undocumented: Vec::new(),
        batch: Some(format!("{}#{batch_id}", wire.url)),
    };
    record_answer(&mut record, answer);
    redact_record(record, secrets)
}

/// The answer with every known secret replaced in its text and in every string of its body.
pub(super) fn redact_answer(mut answer: Answer, secrets: &Secrets) -> Answer {
    if secrets.is_empty() {
        return answer;
    }
    answer.text = secrets.redact(&answer.text);
    if let Some(json) = &mut answer.json {
        redact_strings(json, secrets);
    }
    answer
}

fn redact_strings(value: &mut Value, secrets: &Secrets) {
    match value {
        Value::String(s) => *s = secrets.redact(s),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_strings(v, secrets)),
        _ => {}
    }
}

/// The record with every known secret replaced, wherever it appears.
fn redact_record(mut record: ExchangeRecord, secrets: &Secrets) -> ExchangeRecord {
    if secrets.is_empty() {
        return record;
    }
    let text = |t: &mut String| *t = secrets.redact(t);
    text(&mut record.url);
    for (_, value) in record
        .request_headers
        .iter_mut()
        .chain(record.response_headers.iter_mut())
    {
        text(value);
    }
    for body in [
        &mut record.request_body,
        &mut record.response_body,
        &mut record.error,
    ]
    .into_iter()
    .flatten()
    {
        text(body);
    }
    record
}

async fn exchange(client: &reqwest::Client, outgoing: &Outgoing) -> Result<Answer, RequestError> {
    let method = reqwest::Method::from_bytes(outgoing.method.as_bytes())
        .map_err(|_| RequestError::NotAMethod(outgoing.method.clone()))?;
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
    let failed = |failure| RequestError::Exchange {
        method: outgoing.method.clone(),
        url: outgoing.url.clone(),
        failure,
    };
    let response = request.send().await.map_err(|e| failed(describe(&e)))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = read_body(response, outgoing.max_body)
        .await
        .map_err(failed)?;
    let is_xml = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("xml"));
    let (json, format) = if is_xml {
        (
            crate::platform::xml::parse(&text).ok().map(Value::Object),
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

/// The answer's body as text, read chunk by chunk and never past `max` bytes (`--max-body`):
/// a runaway answer costs at most the limit in memory. Text that is not UTF-8 is refused
/// with where it breaks (the platform answers UTF-8), rather than mended into something that
/// may pass.
async fn read_body(mut response: reqwest::Response, max: usize) -> Result<String, ExchangeFailure> {
    if let Some(declared) = response.content_length().filter(|n| *n > max as u64) {
        return Err(ExchangeFailure::DeclaredTooLarge { declared, max });
    }
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ExchangeFailure::BodyRead(root_cause(&e)))?
    {
        if bytes.len() + chunk.len() > max {
            return Err(ExchangeFailure::TooLarge { max });
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|e| ExchangeFailure::NotUtf8(e.utf8_error().valid_up_to()))
}

/// The innermost error of a chain, where the cause is named.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    chain.join(": ")
}

/// What failed, by its root: an untrusted certificate, a host name that does not resolve,
/// a timeout, a refused connection, else reqwest's chain without its first link (which only
/// repeats the URL).
fn describe(error: &reqwest::Error) -> ExchangeFailure {
    let mut chain = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        chain.push(s.to_string());
        source = s.source();
    }
    let innermost = chain.last().cloned().unwrap_or_else(|| error.to_string());
    if chain.iter().any(|c| c.contains("certificate")) {
        ExchangeFailure::Tls(innermost)
    } else if chain.iter().any(|c| c.starts_with("dns error")) {
        ExchangeFailure::Dns(innermost)
    } else if error.is_timeout() {
        ExchangeFailure::TimedOut
    } else if error.is_connect() {
        ExchangeFailure::Connect(innermost)
    } else if chain.is_empty() {
        ExchangeFailure::Other(error.to_string())
    } else {
        ExchangeFailure::Other(chain.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server that answers each connection with the next canned response.
    async fn canned(responses: Vec<&'static str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        tokio::spawn(async move {
            for response in responses {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn a_rate_limited_request_is_sent_again_after_the_wait() {
        let url = canned(vec![
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\nconnection: close\r\n\r\n{\"result\":1}",
        ])
        .await;
        let outgoing = Outgoing {
            origin: Origin::PreRun,
            method: "GET".into(),
            url,
            accept: "application/json",
            headers: Vec::new(),
            authorization: Some("Basic c2VjcmV0".into()),
            auth: Auth::Default,
            body: None,
            max_body: crate::target::DEFAULT_MAX_BODY,
        };
        let mut log = Vec::new();
        let limiter = crate::runner::Limiter::new(4, 4);
        let link = Link {
            client: reqwest::Client::new(),
            secrets: &Secrets::default(),
            limiter: &limiter,
        };
        let answer = send(link, outgoing, &mut log).await.unwrap();
        assert_eq!(answer.status, 200);
        // The 429 counts against the limit: halved, once.
        let report = limiter.report();
        assert_eq!(
            (report.rate_limited, report.settled, report.requests),
            (1, 2, 2)
        );
        assert_eq!(answer.result(), Some(&serde_json::json!(1)));
        assert_eq!(
            log.iter().map(|r| r.status).collect::<Vec<_>>(),
            vec![Some(429), Some(200)]
        );
        // The credential never reaches the record.
        assert!(log[0]
            .request_headers
            .iter()
            .all(|(_, v)| !v.contains("c2VjcmV0")));
    }
}
