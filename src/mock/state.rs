//! The mock's handle: its tables, accounts and faults, shared by every handler, and the one
//! reader of request bodies.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Map, Value};

use super::auth::{grants, Account, Caller};
use super::awa;
use super::envelope::{ApiError, Reply};
use super::fault::{Fault, FaultSet};
use super::store::{field_str, Record, Store, Tables};

/// How a mock is set up: its accounts, its OAuth client and token lifetime, and the faults
/// switched on.
#[derive(Debug, Clone)]
pub struct MockOptions {
    pub accounts: Vec<Account>,
    pub faults: FaultSet,
    /// How long an access token is accepted after it is issued.
    pub token_lifetime: std::time::Duration,
    /// The secret of the OAuth client `sn-conform`.
    pub oauth_client_secret: String,
    /// Delay added to every answer.
    pub latency: Option<Latency>,
    /// The largest request body accepted, in bytes; a larger one is answered 413.
    pub max_body: usize,
    /// Records loaded at start, after the built-in ones (`--seed FILE`).
    pub seed: super::seed::Seed,
    /// Served over https: the links the Table API writes say so.
    pub https: bool,
    /// The largest request head (every header name and value), in bytes; more is 431.
    pub max_header_bytes: usize,
    /// The longest request URI (path and query), in bytes; longer is 414.
    pub max_uri_bytes: usize,
    /// The most records a table holds; an insert past it is 403, so that a runaway client
    /// meets a clear refusal rather than a mock out of memory.
    pub max_records: usize,
    /// Requests served at once at most; the others wait their turn, as behind the platform's
    /// API semaphore (`--max-concurrent`).
    pub max_concurrent: Option<usize>,
    /// Requests accepted per second; past it, 429 with `Retry-After` (`--rate-limit`).
    pub rate_limit: Option<u32>,
    /// The tables, their columns and the plugins (`--dictionary FILE`; the built-in one by
    /// default).
    pub dictionary: std::sync::Arc<super::dictionary::Dictionary>,
}

/// The default of [`MockOptions::max_body`]: 2 MiB.
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024;
/// The default of [`MockOptions::max_header_bytes`]: 32 KiB (the platform's front end allows
/// less than hyper's own buffer, so this is the limit a client meets first).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 32 * 1024;
/// The default of [`MockOptions::max_uri_bytes`]: 16 KiB, room for long encoded queries.
pub const DEFAULT_MAX_URI_BYTES: usize = 16 * 1024;
/// The default of [`MockOptions::max_records`]: 100,000 per table.
pub const DEFAULT_MAX_RECORDS: usize = 100_000;

/// A delay and its jitter (the delay varies by up to that much either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub delay: std::time::Duration,
    pub jitter: std::time::Duration,
}

impl Latency {
    /// One delay: `delay` plus or minus up to `jitter`, never below zero.
    pub fn sample(&self) -> std::time::Duration {
        let jitter = self.jitter.as_millis() as i64;
        if jitter == 0 {
            return self.delay;
        }
        // The low bits of a fresh sys_id are random enough for jitter.
        let random =
            u64::from_str_radix(&crate::platform::sys_id::fresh()[..8], 16).unwrap_or(0) as i64;
        let offset = random % (2 * jitter + 1) - jitter;
        let ms = (self.delay.as_millis() as i64 + offset).max(0) as u64;
        std::time::Duration::from_millis(ms)
    }
}

/// `MS` or `MS±JITTER` (also `MS+-JITTER`), in milliseconds.
pub fn parse_latency(text: &str) -> Result<Latency, String> {
    let (delay, jitter) = match text.split_once('±').or_else(|| text.split_once("+-")) {
        Some((d, j)) => (d, j),
        None => (text, "0"),
    };
    let ms = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map(std::time::Duration::from_millis)
            .map_err(|_| format!("`{text}` is not MS or MS±JITTER (milliseconds)"))
    };
    Ok(Latency {
        delay: ms(delay)?,
        jitter: ms(jitter)?,
    })
}

impl Default for MockOptions {
    fn default() -> Self {
        Self {
            accounts: Account::built_in(),
            faults: FaultSet::default(),
            token_lifetime: std::time::Duration::from_secs(1800),
            oauth_client_secret: super::oauth::BUILT_IN_OAUTH_CLIENT.to_string(),
            latency: None,
            max_body: DEFAULT_MAX_BODY,
            seed: Vec::new(),
            https: false,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_uri_bytes: DEFAULT_MAX_URI_BYTES,
            max_records: DEFAULT_MAX_RECORDS,
            max_concurrent: None,
            rate_limit: None,
            dictionary: super::dictionary::Dictionary::built_in(),
        }
    }
}

/// Handle to one mock instance; clones share its tables.
///
/// One `Arc` for everything the instance holds: the router clones the handle for every
/// request (its state, the middleware's, each handler's), so a clone is one reference count,
/// not one per field.
#[derive(Clone)]
pub struct Mock {
    inner: Arc<Instance>,
}

/// What a [`Mock`] handle shares.
struct Instance {
    store: Store,
    options: MockOptions,
    /// Requests served, per HTTP method.
    requests: RequestCounts,
    /// The Basic credential of each account, encoded once (see [`super::auth`]).
    basic_credentials: Vec<String>,
    /// The sys_id each account's `sys_user` record was made with (checked before use: a
    /// client may delete or change the record).
    user_ids: Vec<String>,
    /// The tables as they were at start (built-in records and seed), for `/sn-conform/reset`.
    initial: super::store::Tables,
    /// Whether the fault `first-accept-fails` has answered its one failure.
    first_accept_failed: std::sync::atomic::AtomicBool,
    /// Requests counted by the fault `rate-limit-without-retry-after`.
    fault_counted: std::sync::atomic::AtomicU64,
    /// The turns of `--max-concurrent`.
    turns: Option<Arc<tokio::sync::Semaphore>>,
    /// `--rate-limit`'s window: when it started and how many requests it has taken.
    window: std::sync::Mutex<(std::time::Instant, u32)>,
    /// Requests being served now, and the most ever at once.
    in_flight: (
        std::sync::atomic::AtomicUsize,
        std::sync::atomic::AtomicUsize,
    ),
}

/// One request in this many is refused with the fault `rate-limit-without-retry-after`: late
/// enough that the doctor's checks have passed, often enough that a run meets it in its trials.
pub const FAULT_RATE_LIMIT_EVERY: u64 = 250;

/// What `--rate-limit` says of one request.
pub enum RateDecision {
    /// Served; this many more fit in the current second.
    Allowed {
        limit: u32,
        remaining: u32,
        reset: u64,
    },
    /// Refused; the window ends in `retry_after` seconds.
    Refused {
        limit: u32,
        retry_after: u64,
        reset: u64,
    },
}

impl Mock {
    /// A mock with its built-in accounts as `sys_user` records and `glide.awa.enabled=true`.
    pub fn new(options: MockOptions) -> Self {
        let store = Store::new(std::sync::Arc::clone(&options.dictionary));
        let mut user_ids = Vec::new();
        store.with(|tables| {
            for account in &options.accounts {
                let mut fields = Map::new();
                fields.insert("user_name".into(), json!(account.user_name));
                fields.insert("first_name".into(), json!(account.first_name));
                fields.insert("last_name".into(), json!(account.last_name));
                let record = tables.insert("sys_user", &fields);
                user_ids.push(super::store::field_str(&record, "sys_id").to_string());
            }
            let mut property = Map::new();
            property.insert("name".into(), json!(awa::AWA_ENABLED_PROPERTY));
            property.insert("value".into(), json!("true"));
            tables.insert("sys_properties", &property);
            super::metadata::describe(tables, &options.accounts, &options.faults);
            for (table, fields) in &options.seed {
                tables.insert(table, fields);
            }
        });
        let initial = store.with(|t| t.clone());
        let turns = options
            .max_concurrent
            .map(|n| Arc::new(tokio::sync::Semaphore::new(n.max(1))));
        let basic_credentials = super::auth::basic_credentials(&options.accounts);
        Self {
            inner: Arc::new(Instance {
                store,
                options,
                requests: RequestCounts::default(),
                basic_credentials,
                user_ids,
                initial,
                first_accept_failed: std::sync::atomic::AtomicBool::default(),
                fault_counted: std::sync::atomic::AtomicU64::default(),
                turns,
                window: std::sync::Mutex::new((std::time::Instant::now(), 0)),
                in_flight: Default::default(),
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Ends an access token's life now: the next request that carries it is refused as one
    /// with an expired token would be.
    pub fn expire_token(&self, token: &str) {
        self.inner.store.with(|t| t.expire_token(token));
    }

    /// Puts the tables back as they were at start; answers how many records they hold.
    pub fn reset(&self) -> usize {
        self.inner.store.with(|t| {
            t.reset_to(&self.inner.initial);
            t.record_count()
        })
    }

    /// Counts one request of `method`.
    pub fn count_request(&self, method: &str) {
        self.inner.requests.count(method);
    }

    /// How many requests of each method the mock has served.
    pub fn requests_by_method(&self) -> std::collections::BTreeMap<String, u64> {
        self.inner.requests.all()
    }

    pub fn options(&self) -> &MockOptions {
        &self.inner.options
    }

    pub fn faults(&self) -> &FaultSet {
        &self.inner.options.faults
    }

    pub fn accounts(&self) -> &[Account] {
        &self.inner.options.accounts
    }

    /// The sys_id each account's `sys_user` record was made with, in the order of
    /// [`Mock::accounts`].
    pub(super) fn user_ids(&self) -> &[String] {
        &self.inner.user_ids
    }

    /// The Basic credential each account sends, in the order of [`Mock::accounts`].
    pub(super) fn basic_credentials(&self) -> &[String] {
        &self.inner.basic_credentials
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.inner.options.faults.has(fault)
    }

    /// Waits for a turn under `--max-concurrent` (at once without it); the turn lasts as long
    /// as the returned guard.
    pub async fn turn(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        match &self.inner.turns {
            Some(turns) => Arc::clone(turns).acquire_owned().await.ok(),
            None => None,
        }
    }

    /// Counts a request in flight until the guard drops; keeps the peak. Only a mock shaped
    /// like a remote instance (`--latency` or `--max-concurrent`) counts: the counters are
    /// shared by every worker, and at full speed their cache line moving between cores costs
    /// more than the rest of a small request.
    pub fn in_flight(&self) -> Option<InFlight<'_>> {
        use std::sync::atomic::Ordering;
        let options = &self.inner.options;
        if options.latency.is_none() && options.max_concurrent.is_none() {
            return None;
        }
        let now = self.inner.in_flight.0.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.in_flight.1.fetch_max(now, Ordering::SeqCst);
        Some(InFlight(&self.inner.in_flight))
    }

    /// The most requests ever served at once, by a mock with `--latency` or
    /// `--max-concurrent` (0 without either).
    pub fn peak_in_flight(&self) -> usize {
        self.inner
            .in_flight
            .1
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// With the fault `rate-limit-without-retry-after`, whether this request is the one in
    /// [`FAULT_RATE_LIMIT_EVERY`] refused as over a rate limit.
    pub fn fault_rate_limited(&self) -> bool {
        self.has(super::Fault::RateLimitWithoutRetryAfter)
            && (self
                .inner
                .fault_counted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1)
                % FAULT_RATE_LIMIT_EVERY
                == 0
    }

    /// `--rate-limit`'s verdict on one more request (a window of one second from its first).
    pub fn rate(&self) -> Option<RateDecision> {
        let limit = self.inner.options.rate_limit?;
        let mut window = self.inner.window.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        if now.duration_since(window.0) >= std::time::Duration::from_secs(1) {
            *window = (now, 0);
        }
        let left = std::time::Duration::from_secs(1).saturating_sub(now.duration_since(window.0));
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| (d + left).as_secs() + 1);
        if window.1 >= limit {
            return Some(RateDecision::Refused {
                limit,
                retry_after: left.as_secs_f64().ceil().max(1.0) as u64,
                reset,
            });
        }
        window.1 += 1;
        Some(RateDecision::Allowed {
            limit,
            remaining: limit - window.1,
            reset,
        })
    }

    /// Refuses an insert into `table` once it holds `--max-records` records.
    pub fn has_room(&self, table: &str, adding: usize) -> Result<(), ApiError> {
        let held = self.inner.store.read(|t| t.count(table));
        if held + adding > self.inner.options.max_records {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "Insert refused",
                format!(
                    "table {table} holds {held} records, the mock's limit is {} (--max-records)",
                    self.inner.options.max_records
                ),
            ));
        }
        Ok(())
    }

    /// Under `first-accept-fails`: true for the first accept request only.
    pub fn fail_this_accept(&self) -> bool {
        self.has(Fault::FirstAcceptFails)
            && !self
                .inner
                .first_accept_failed
                .swap(true, std::sync::atomic::Ordering::SeqCst)
    }

    /// Renders a handler's reply; errors pass through the faults that change every envelope.
    pub fn respond(&self, reply: Reply) -> Response {
        let mut response = match reply {
            Ok(success) => success.into_response(),
            Err(error) => error.with_faults(self.faults()).into_response(),
        };
        if self.has(Fault::JsonCharsetLatin1) {
            let headers = response.headers_mut();
            let json = headers
                .get(axum::http::header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
            if json {
                headers.insert(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json;charset=ISO-8859-1"),
                );
            }
        }
        response
    }

    /// A request body as an object of fields, from JSON or (with an XML `Content-Type`) from
    /// XML. An empty body reads as `{}`; anything else that is not an object is the platform's
    /// malformed-payload error.
    pub fn body_fields(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Map<String, Value>, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        let is_xml = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("xml"));
        if is_xml {
            let text = std::str::from_utf8(body).map_err(|_| ApiError::malformed_xml())?;
            return crate::platform::xml::parse(text).map_err(|_| ApiError::malformed_xml());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            _ if self.has(Fault::MalformedJsonCrashes) => Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
                "unexpected character in request body",
            )),
            _ => Err(ApiError::malformed_body()),
        }
    }
}

/// A string field of a request body; absent, null and empty all count as missing.
pub fn body_str<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `--rate-limit N` or `N/s`: requests per second, at least 1.
pub fn parse_rate(text: &str) -> Result<u32, String> {
    let number = text.trim().strip_suffix("/s").unwrap_or(text.trim());
    match number.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "`{text}` is not a rate: write requests per second, e.g. 50 or 50/s"
        )),
    }
}

/// A request in flight; counted down when dropped.
pub struct InFlight<'a>(
    &'a (
        std::sync::atomic::AtomicUsize,
        std::sync::atomic::AtomicUsize,
    ),
);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Requests served per method: a counter each for the methods clients send (two workers add
/// to them at once, without a lock), and a map under a mutex for any other.
#[derive(Default)]
struct RequestCounts {
    common: [std::sync::atomic::AtomicU64; COMMON_METHODS.len()],
    other: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

/// The methods counted without a lock; token requests are counted apart from other POSTs.
const COMMON_METHODS: [&str; 6] = [
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "POST /oauth_token.do",
];

impl RequestCounts {
    fn count(&self, method: &str) {
        if let Some(i) = COMMON_METHODS.iter().position(|m| *m == method) {
            self.common[i].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        let mut other = self.other.lock().unwrap_or_else(|p| p.into_inner());
        match other.get_mut(method) {
            Some(count) => *count += 1,
            None => {
                other.insert(method.to_string(), 1);
            }
        }
    }

    /// Every method served at least once, with its count.
    fn all(&self) -> std::collections::BTreeMap<String, u64> {
        let mut all = self.other.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (method, count) in COMMON_METHODS.iter().zip(&self.common) {
            let count = count.load(std::sync::atomic::Ordering::Relaxed);
            if count > 0 {
                all.insert(method.to_string(), count);
            }
        }
        all
    }
}

// Who is calling (the accounts are `auth`'s; the handle answers for them here, so that the
// handle's methods live in one file).
impl Mock {
    /// The caller named by the `Authorization` header, or the platform's 401.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        self.store().read(|t| {
            let account = self.account_in(t, headers)?;
            Ok(Caller {
                user_name: account.user_name.clone(),
                sys_id: self
                    .user_sys_id(t, account)
                    .ok_or_else(ApiError::not_authenticated)?
                    .to_string(),
                roles: account.roles.clone(),
            })
        })
    }

    /// Like [`Mock::authenticate`], then the role check: 403 without `role` (admin passes).
    pub fn authorize(&self, headers: &HeaderMap, role: &str) -> Result<Caller, ApiError> {
        let caller = self.authenticate(headers)?;
        if caller.has_role(role) || self.faults().has(Fault::RoleNotEnforced) {
            Ok(caller)
        } else {
            Err(ApiError::not_authorized())
        }
    }

    /// The checks of [`Mock::authorize`] on tables already read, for a handler that reads them
    /// anyway (one lock per request rather than one per check) and needs no `Caller`.
    pub fn permit_in(&self, t: &Tables, headers: &HeaderMap, role: &str) -> Result<(), ApiError> {
        let account = self.account_in(t, headers)?;
        if grants(&account.roles, role) || self.faults().has(Fault::RoleNotEnforced) {
            Ok(())
        } else {
            Err(ApiError::not_authorized())
        }
    }

    /// The account the `Authorization` header names, while its `sys_user` record exists; the
    /// platform's 401 otherwise.
    fn account_in(&self, t: &Tables, headers: &HeaderMap) -> Result<&Account, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let account = match value {
            Some(v) if v.len() > 6 && v[..6].eq_ignore_ascii_case("basic ") => {
                self.basic_account(&v[6..])
            }
            Some(v) if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") => t
                .token_user(v[7..].trim())
                .and_then(|name| self.account(&name)),
            None if self.faults().has(Fault::AnonymousAllowed) => self.account("admin"),
            _ => None,
        };
        account
            .filter(|account| self.user_sys_id(t, account).is_some())
            .ok_or_else(ApiError::not_authenticated)
    }

    /// The user name whose password matches, for a Basic credential.
    pub fn check_password(&self, user_name: &str, password: &str) -> bool {
        self.accounts()
            .iter()
            .any(|a| a.user_name == user_name && a.password == password)
    }

    /// The account a Basic credential names, when its password matches.
    fn basic_account(&self, encoded: &str) -> Option<&Account> {
        let encoded = encoded.trim();
        // Most requests carry exactly the encoding made at start for one of the accounts: that
        // one is found without decoding anything.
        if let Some(account) = self
            .accounts()
            .iter()
            .zip(self.basic_credentials())
            .find_map(|(account, known)| (known == encoded).then_some(account))
        {
            return Some(account);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        self.accounts()
            .iter()
            .find(|a| a.user_name == user && a.password == password)
    }

    /// The sys_id of an account's `sys_user` record, if it has one: the record it was made
    /// with when that still names the account, else the first that does.
    fn user_sys_id<'t>(&self, t: &'t Tables, account: &Account) -> Option<&'t str> {
        let names = |r: &&Record| field_str(r, "user_name") == account.user_name;
        let made = self
            .accounts()
            .iter()
            .position(|a| std::ptr::eq(a, account))
            .and_then(|i| self.user_ids().get(i))
            .and_then(|id| t.get("sys_user", id))
            .filter(names);
        made.or_else(|| {
            t.matching("sys_user", &[("user_name", account.user_name.as_str())])
                .next()
        })
        .map(|r| field_str(r, "sys_id"))
    }

    fn account(&self, user_name: &str) -> Option<&Account> {
        self.accounts().iter().find(|a| a.user_name == user_name)
    }
}
