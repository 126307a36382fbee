//! The one place that builds every response of the mock.
//!
//! Success bodies are `{"result": ...}`; errors are
//! `{"error": {"message": "...", "detail": "..."}, "status": "failure"}` with the HTTP status only
//! in the status line; both carry `Content-Type: application/json;charset=UTF-8`. A request
//! whose `Accept` asks for XML gets the same body as
//! `<?xml ...?><response><result>...</result></response>` with
//! `Content-Type: application/xml;charset=UTF-8` ([`negotiate_format`]).
//!
//! ```text
//! HTTP/1.1 400 Bad Request
//! content-type: application/json;charset=UTF-8
//!
//! {"error":{"message":"Invalid request","detail":"Missing agent ID"},"status":"failure"}
//! ```

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::fault::Fault;

/// Marks a request made from a batch item (`super::batch` sets it): its limits are the
/// batch's, not a request's of its own.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem;

pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";
pub const XML_CONTENT_TYPE: &str = "application/xml;charset=UTF-8";

/// The `Server` header of every answer, so a run can tell it is talking to this mock.
pub const SERVER: &str = concat!("sn-conform-mock/", env!("CARGO_PKG_VERSION"));

/// A successful answer: status, the value under `result` (already written as JSON), and
/// extra headers.
#[derive(Debug)]
pub struct Success {
    pub status: StatusCode,
    /// The JSON text of the value under `result`: written once, straight from whatever the
    /// handler had (records borrowed from the store need not become a `Value` first).
    result: Vec<u8>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Success {
    pub fn ok(result: impl serde::Serialize) -> Self {
        Self::with_status(StatusCode::OK, result)
    }

    pub fn with_status(status: StatusCode, result: impl serde::Serialize) -> Self {
        Self::writing(status, |out| {
            let start = out.len();
            // Serialising a `Value` or a struct of strings and numbers cannot fail; should a
            // handler's type ever refuse, the answer says so rather than a half-written body.
            if serde_json::to_writer(&mut *out, &result).is_err() {
                out.truncate(start);
                out.extend_from_slice(b"null");
            }
        })
    }

    /// A success whose `result` `write` puts down as JSON text (see `json_text`).
    pub fn writing(status: StatusCode, write: impl FnOnce(&mut Vec<u8>)) -> Self {
        let mut body = Vec::with_capacity(512);
        body.extend_from_slice(br#"{"result":"#);
        write(&mut body);
        body.push(b'}');
        Self {
            status,
            result: body,
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// An error answer in the platform's envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub detail: String,
    pub headers: Vec<(HeaderName, String)>,
    /// Set by the broken-envelope fault: drop `"status": "failure"`.
    pub omit_status_field: bool,
    /// The platform answers some errors with `"detail": null` (an unknown table), not `""`.
    pub null_detail: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            detail: detail.into(),
            headers: Vec::new(),
            omit_status_field: false,
            null_detail: false,
        }
    }

    /// The error with `"detail": null`, as the platform answers it for an unknown table.
    pub fn with_null_detail(mut self) -> Self {
        self.null_detail = true;
        self
    }

    pub fn bad_request(message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, detail)
    }

    pub fn not_authenticated() -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "User Not Authenticated",
            "Required to provide Auth information",
        );
        e.headers.push((
            header::WWW_AUTHENTICATE,
            r#"BASIC realm="Service-now""#.to_string(),
        ));
        e
    }

    pub fn not_authorized() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "User Not Authorized",
            "Failed API level ACL Validation",
        )
    }

    /// `There is no record for <table> : <id>`, the AWA document's wording.
    pub fn no_record(status: StatusCode, table: &str, id: &str) -> Self {
        Self::new(
            status,
            "Record not found",
            format!("There is no record for {table} : {id}"),
        )
    }

    pub fn malformed_body() -> Self {
        Self::bad_request(
            "Exception while reading request",
            "The payload is not valid JSON.",
        )
    }

    pub fn malformed_xml() -> Self {
        Self::bad_request(
            "Exception while reading request",
            "The payload is not valid XML.",
        )
    }

    pub fn unknown_resource() -> Self {
        Self::bad_request(
            "Requested URI does not represent any resource",
            "Please check the URI and the HTTP method of the request",
        )
    }

    /// Applies the faults that change every error envelope.
    pub fn with_faults(mut self, faults: &super::fault::FaultSet) -> Self {
        if faults.has(Fault::ErrorEnvelopeWithoutStatus) {
            self.omit_status_field = true;
        }
        if faults.has(Fault::MessagesReworded) {
            self.message = format!("Error: {}", self.message.to_lowercase());
            self.detail = format!("({})", self.detail);
        }
        if faults.has(Fault::UnauthenticatedWithoutChallenge) {
            self.headers
                .retain(|(name, _)| name != header::WWW_AUTHENTICATE);
        }
        self
    }
}

impl IntoResponse for Success {
    fn into_response(self) -> Response {
        respond_bytes(self.status, self.result, &self.headers)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = if self.null_detail {
            Value::Null
        } else {
            Value::String(self.detail)
        };
        let mut body = json!({
            "error": { "message": self.message, "detail": detail },
            "status": "failure",
        });
        if self.omit_status_field {
            if let Some(map) = body.as_object_mut() {
                map.remove("status");
            }
        }
        respond(self.status, &body, &self.headers)
    }
}

/// A response with no body (the Table API's `DELETE`).
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A raw JSON body that is not wrapped in `result` (the OAuth token endpoint).
pub fn bare_json(status: StatusCode, body: &Value) -> Response {
    respond(status, body, &[])
}

fn respond(status: StatusCode, body: &Value, headers: &[(HeaderName, String)]) -> Response {
    respond_bytes(status, body.to_string().into_bytes(), headers)
}

fn respond_bytes(status: StatusCode, body: Vec<u8>, headers: &[(HeaderName, String)]) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    let map = response.headers_mut();
    map.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            map.insert(name.clone(), value);
        }
    }
    response
}

/// What every handler returns: a success or an error, both rendered here.
pub type Reply = Result<Success, ApiError>;

/// The `X-RateLimit-*` headers the platform's rate limit rules add to an answer.
/// The sys_id the mock's one rate limit rule answers in `X-RateLimit-Rule`, as an instance
/// names the `sys_rate_limit_rules` record it enforces.
pub const RATE_LIMIT_RULE: &str = "5f2c4e1ad7a1311045b0e2b9bc6103a1";

/// The headers "Inbound REST API rate limiting" (ServiceNowDocs,
/// `api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md`) lists on every answer
/// a rule applies to: the limit, the reset time and the rule. No `X-RateLimit-Remaining`: the
/// page does not list it.
fn rate_headers(limit: u32, reset: u64) -> Vec<(HeaderName, String)> {
    vec![
        (
            HeaderName::from_static("x-ratelimit-limit"),
            limit.to_string(),
        ),
        (
            HeaderName::from_static("x-ratelimit-reset"),
            reset.to_string(),
        ),
        (
            HeaderName::from_static("x-ratelimit-rule"),
            RATE_LIMIT_RULE.to_string(),
        ),
    ]
}

/// Where `needle` (lowercase ASCII) first occurs in `hay`, ignoring ASCII case. Every request
/// asks this of its `Accept` and `Content-Type`; it allocates nothing.
fn find_ignoring_case(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// Whether an `Accept` header prefers XML to JSON: the first of the two it names.
pub fn wants_xml(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    if accept.eq_ignore_ascii_case("application/json") {
        return false;
    }
    let xml = find_ignoring_case(accept, "application/xml")
        .or_else(|| find_ignoring_case(accept, "text/xml"));
    let json = find_ignoring_case(accept, "application/json");
    match (xml, json) {
        (Some(x), Some(j)) => x < j,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Whether an `Accept` header admits an answer the mock can give (JSON or XML).
fn accepts_json_or_xml(accept: &str) -> bool {
    accept.eq_ignore_ascii_case("application/json")
        || accept.trim().is_empty()
        || [
            "application/json",
            "application/xml",
            "text/xml",
            "*/*",
            "application/*",
        ]
        .iter()
        .any(|t| find_ignoring_case(accept, t).is_some())
}

/// Whether a request `Content-Type` names a body the mock can read (JSON, XML, or the form of
/// the token endpoint).
fn readable_content_type(content_type: &str, path: &str) -> bool {
    find_ignoring_case(content_type, "json").is_some()
        || find_ignoring_case(content_type, "xml").is_some()
        || (path == "/oauth_token.do"
            && find_ignoring_case(content_type, "application/x-www-form-urlencoded") == Some(0))
}

/// The platform's wording for a status the framework answered on its own.
fn message_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "Method not Supported",
        StatusCode::PAYLOAD_TOO_LARGE => "Request entity too large",
        StatusCode::URI_TOO_LONG => "Requested URI is too long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported Media Type",
        StatusCode::NOT_ACCEPTABLE => "Not Acceptable",
        s if s.is_server_error() => "Internal server error",
        _ => "Exception while reading request",
    }
}

/// The middleware of [`negotiate_format`] as a tower service around the mock's router:
/// written out rather than `axum::middleware::from_fn`, which boxes the inner service into a
/// `Next` for every request.
#[derive(Clone)]
pub struct Envelope<S> {
    mock: super::Mock,
    inner: S,
}

impl<S> Envelope<S> {
    pub fn new(mock: super::Mock, inner: S) -> Self {
        Self { mock, inner }
    }
}

impl<S> tower::Service<axum::extract::Request> for Envelope<S>
where
    S: tower::Service<
            axum::extract::Request,
            Response = Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response, std::convert::Infallible>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        // The service that was polled ready answers this request; its clone waits for the next.
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        let mock = self.mock.clone();
        Box::pin(async move {
            use tower::ServiceExt;
            let answer = negotiate_format(mock, request, |request| async move {
                inner
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {})
            });
            Ok(answer.await)
        })
    }
}

/// Middleware: the one place every answer passes. Before the handler: a request whose
/// `Accept` admits neither JSON nor XML is answered 406, a body in a format the mock cannot
/// read 415. After it: an answer the framework made on its own (a plain-text rejection: an
/// undecodable path segment, a body over the limit, a bad query string, a method the resource
/// does not support) becomes the platform's error envelope with the same status (and `Allow`
/// kept); and a JSON answer becomes XML when `Accept` asks for it, so no handler knows about
/// formats.
async fn negotiate_format<F, Fut>(
    mock: super::Mock,
    request: axum::extract::Request,
    next: F,
) -> Response
where
    F: FnOnce(axum::extract::Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let xml = wants_xml(accept) && !mock.has(Fault::XmlIgnored);
    // Token requests are counted apart: a read-only run may send them, and nothing else but GET.
    if request.uri().path() == "/oauth_token.do" {
        mock.count_request("POST /oauth_token.do");
    } else {
        mock.count_request(request.method().as_str());
    }
    // `--max-concurrent`: wait for a turn, held until the answer is made (latency included).
    // A Batch API item runs inside its batch's turn and round trip: it waits for neither
    // again (a batch holding every turn would otherwise wait on its own items for ever).
    let batch_item = request.extensions().get::<BatchItem>().is_some();
    let _turn = match batch_item {
        false => mock.turn().await,
        true => None,
    };
    let _serving = mock.in_flight().filter(|_| !batch_item);
    let rate = mock.rate();
    if let Some(latency) = mock.options().latency.filter(|_| !batch_item) {
        tokio::time::sleep(latency.sample()).await;
    }
    // Cheap clones (shared bytes), kept for the 405 an answer of the framework's may become.
    let (uri, method) = (request.uri().clone(), request.method().clone());
    let mut response = match refusal(&mock, &request, rate.as_ref()) {
        Some(error) => mock.respond(Err(error)),
        None => next(request).await,
    };
    let framework_made = response.status().is_client_error() || response.status().is_server_error();
    if framework_made && !is_json(&response) {
        response = in_envelope(&mock, response, uri.path(), &method).await;
    }
    response
        .headers_mut()
        .insert(header::SERVER, HeaderValue::from_static(SERVER));
    if let Some(super::RateDecision::Allowed { limit, reset, .. }) = rate {
        for (name, value) in rate_headers(limit, reset) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    if !xml || !is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The mock's own bodies are small and already in memory; no limit is needed.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return (parts.status, bytes).into_response();
    };
    if mock.has(Fault::XmlErrorWithoutStatus) && parts.status.as_u16() >= 400 {
        if let Some(map) = value.as_object_mut() {
            map.remove("status");
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(XML_CONTENT_TYPE),
    );
    Response::from_parts(
        parts,
        axum::body::Body::from(crate::platform::xml::render("response", &value)),
    )
}

/// Whether an answer declares a JSON body.
fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

/// What the middleware refuses before any handler sees the request: past the rate limit
/// (429), a URI or head over the limits (414, 431, NOTES 59), an `Accept` that admits neither
/// JSON nor XML (406), a body in a format the mock cannot read (415).
fn refusal(
    mock: &super::Mock,
    request: &axum::extract::Request,
    rate: Option<&super::RateDecision>,
) -> Option<ApiError> {
    if mock.fault_rate_limited() {
        return Some(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded",
            "over the rate limit (the fault rate-limit-without-retry-after: no Retry-After)",
        ));
    }
    if let Some(super::RateDecision::Refused {
        limit,
        retry_after,
        reset,
    }) = rate
    {
        // The page's body; its rules count per hour, the mock's (a test aid) per second.
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded",
            format!("Rate limit of {limit} requests per second for Table API exceeded"),
        );
        error.headers.extend(rate_headers(*limit, *reset));
        error
            .headers
            .push((header::RETRY_AFTER, retry_after.to_string()));
        return Some(error);
    }
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len())
        + request.uri().authority().map_or(0, |a| a.as_str().len());
    // A Batch API item is limited by the batch's own item size instead (super::batch).
    let batch_item = request.extensions().get::<BatchItem>().is_some();
    if uri_bytes > mock.options().max_uri_bytes && !batch_item {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "Request URI too long",
            format!(
                "the URI has {uri_bytes} bytes, more than the {} allowed",
                mock.options().max_uri_bytes
            ),
        ));
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > mock.options().max_header_bytes {
        return Some(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request header fields too large",
            format!(
                "the headers have {header_bytes} bytes, more than the {} allowed",
                mock.options().max_header_bytes
            ),
        ));
    }
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !accepts_json_or_xml(accept) && !mock.has(Fault::AcceptIgnored) {
        if mock.has(Fault::MediaErrorsAs500) {
            return Some(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                message_for(StatusCode::INTERNAL_SERVER_ERROR),
                "Unexpected Accept",
            ));
        }
        return Some(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            message_for(StatusCode::NOT_ACCEPTABLE),
            format!("The answer can be application/json or application/xml, not `{accept}`"),
        ));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match content_type {
        Some(ct)
            if matches!(request.method().as_str(), "POST" | "PUT" | "PATCH")
                && !readable_content_type(ct, request.uri().path())
                && !mock.has(Fault::ContentTypeIgnored) =>
        {
            if mock.has(Fault::MediaErrorsAs500) {
                return Some(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    message_for(StatusCode::INTERNAL_SERVER_ERROR),
                    "Unexpected Content-Type",
                ));
            }
            Some(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message_for(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                format!("A request body can be application/json or application/xml, not `{ct}`"),
            ))
        }
        _ => None,
    }
}

/// An answer the framework made on its own (plain text: an undecodable path segment, a body
/// over the limit, a bad query string, a method the resource does not support), as the
/// platform's error envelope with the same status (and `Allow` kept).
async fn in_envelope(
    mock: &super::Mock,
    response: Response,
    path: &str,
    method: &axum::http::Method,
) -> Response {
    let status = response.status();
    let allow = response.headers().get(header::ALLOW).cloned();
    let (_, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("The resource {path} does not support {method}")
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("").to_string(),
        _ => text,
    };
    let mut error = ApiError::new(status, message_for(status), detail);
    let allow = allow.filter(|_| !mock.has(Fault::MethodNotAllowedWithoutAllow));
    if let Some(allow) = allow.and_then(|a| a.to_str().ok().map(str::to_string)) {
        error.headers.push((header::ALLOW, allow));
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && mock.has(Fault::MethodNotAllowedWithoutStatus) {
        error.omit_status_field = true;
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && mock.has(Fault::MethodNotAllowedAs400) {
        error = ApiError::unknown_resource();
    }
    mock.respond(Err(error))
}
