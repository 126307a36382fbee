//! How many requests the run keeps in flight, adapted to the target as it answers
//! (additive increase, multiplicative decrease, as TCP does with its window).
//!
//! Every request takes a permit before it is sent and gives it back with what happened:
//! - `429 Too Many Requests`: the limit is halved;
//! - an answer much slower than the quickest answer seen for the same kind of request (the
//!   instance queues what it cannot serve at once: its latency grows before it refuses): the
//!   limit shrinks by a fifth;
//! - any other answer: the limit grows by one per limit's worth of answers.
//!
//! A decrease takes effect once per round trip, so that one burst of slow or refused answers
//! counts once. The limit never exceeds `--max-in-flight`, nor goes below one.
//!
//! A limit on requests in flight does not limit requests per second when answers are quick,
//! so the instance's own word on its rate limit is kept too: after a 429 no request goes out
//! before its `Retry-After`, and after an answer saying `X-RateLimit-Remaining: 0` none goes
//! out before its `X-RateLimit-Reset` (both at most 30 s ahead).
//!
//! A `std::sync::Mutex` guards the counters (held only to read and add, never across an
//! `.await`); requests waiting for a permit wait on a `Notify`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::report::Concurrency;

/// A latency counts as grown when it is this many times the quickest of its kind...
const GROWN_RATIO: f64 = 2.0;
/// ...and at least this much slower (loopback answers vary by more than 2x in microseconds).
const GROWN_SLACK: Duration = Duration::from_millis(25);
/// The longest an instance's rate limit may hold every request back.
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// The quickest latency of a kind is forgotten after this many answers of the kind, so that
/// an instance that got slower for good sets a new floor.
const FLOOR_WINDOW: u32 = 200;

/// The run's limit on requests in flight.
pub struct Limiter {
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    limit: f64,
    cap: usize,
    in_flight: usize,
    /// Per kind of request (method and path without ids): the quickest latency seen lately.
    floors: HashMap<String, Floor>,
    /// No further decrease before this instant (one round trip after the last one).
    calm_until: Option<Instant>,
    /// No request before this instant: the instance's rate limit is spent until then.
    not_before: Option<Instant>,
    report: Concurrency,
}

#[derive(Debug, Clone, Copy)]
struct Floor {
    quickest: Duration,
    next: Duration,
    seen: u32,
}

/// A request's right to be in flight; give it back with [`Permit::answered`] (dropping it
/// gives it back without a verdict).
pub struct Permit<'a> {
    limiter: &'a Limiter,
    started: Instant,
    kind: String,
    open: bool,
}

impl Limiter {
    /// Starts at `start` requests in flight (at most `cap`).
    pub fn new(start: usize, cap: usize) -> Self {
        let cap = cap.max(1);
        let start = start.clamp(1, cap);
        Self {
            state: Mutex::new(State {
                limit: start as f64,
                cap,
                in_flight: 0,
                floors: HashMap::new(),
                calm_until: None,
                not_before: None,
                report: Concurrency {
                    start,
                    cap,
                    settled: start,
                    lowest: start,
                    highest: start,
                    ..Concurrency::default()
                },
            }),
            freed: Notify::new(),
        }
    }

    /// Waits until one more request may be in flight.
    pub async fn acquire(&self, kind: String) -> Permit<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a permit given back in between still wakes us.
            freed.as_mut().enable();
            let paused = self.lock().not_before.filter(|t| *t > Instant::now());
            if let Some(until) = paused {
                tokio::time::sleep_until(until.into()).await;
                continue;
            }
            {
                let mut state = self.lock();
                if (state.in_flight as f64) < state.limit.floor().max(1.0) {
                    state.in_flight += 1;
                    state.report.requests += 1;
                    state.report.peak_in_flight = state.report.peak_in_flight.max(state.in_flight);
                    return Permit {
                        limiter: self,
                        started: Instant::now(),
                        kind,
                        open: true,
                    };
                }
            }
            freed.await;
        }
    }

    /// What the limit did over the run.
    pub fn report(&self) -> Concurrency {
        let state = self.lock();
        let mut report = state.report.clone();
        report.settled = state.limit.floor() as usize;
        report
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn release(&self, answer: Option<(u16, Duration, &str)>, pause: Option<Duration>) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some((status, latency, kind)) = answer {
            state.observe(status, latency, kind);
        }
        if let Some(pause) = pause.map(|p| p.min(MAX_PAUSE)) {
            let until = Instant::now() + pause;
            state.not_before = Some(state.not_before.map_or(until, |t| t.max(until)));
        }
        drop(state);
        self.freed.notify_waiters();
    }
}

impl State {
    fn observe(&mut self, status: u16, latency: Duration, kind: &str) {
        let now = Instant::now();
        let floor = self.floors.entry(kind.to_string()).or_insert(Floor {
            quickest: latency,
            next: latency,
            seen: 0,
        });
        floor.quickest = floor.quickest.min(latency);
        floor.next = floor.next.min(latency);
        floor.seen += 1;
        if floor.seen >= FLOOR_WINDOW {
            floor.quickest = floor.next;
            floor.next = latency;
            floor.seen = 0;
        }
        let quickest = floor.quickest;
        let grown = latency.as_secs_f64() > quickest.as_secs_f64() * GROWN_RATIO
            && latency > quickest + GROWN_SLACK;
        let calm = self.calm_until.is_none_or(|until| now >= until);
        if status == 429 {
            self.report.rate_limited += 1;
            if calm {
                self.decrease(0.5, now + latency.max(quickest));
            }
        } else if grown {
            self.report.slowed += 1;
            if calm {
                self.decrease(0.8, now + latency);
            }
        } else {
            self.limit = (self.limit + 1.0 / self.limit).min(self.cap as f64);
            let limit = self.limit.floor() as usize;
            self.report.highest = self.report.highest.max(limit);
        }
    }

    fn decrease(&mut self, factor: f64, calm_until: Instant) {
        self.limit = (self.limit * factor).max(1.0);
        self.calm_until = Some(calm_until);
        self.report.decreases += 1;
        let limit = self.limit.floor() as usize;
        self.report.lowest = self.report.lowest.min(limit);
    }
}

impl Permit<'_> {
    /// Gives the permit back with the answer's status (`None`: no answer came) and how long
    /// the instance asked every request to wait, if it did (see [`pause_asked`]).
    pub fn answered(mut self, status: Option<u16>, pause: Option<Duration>) {
        self.open = false;
        let latency = self.started.elapsed();
        self.limiter
            .release(status.map(|s| (s, latency, self.kind.as_str())), pause);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.open {
            self.limiter.release(None, None);
        }
    }
}

/// How long an answer asks every request to wait: a 429's `Retry-After` (seconds, at least
/// one), or, once `X-RateLimit-Remaining` is 0, until `X-RateLimit-Reset` (seconds since the
/// Unix epoch).
pub fn pause_asked(status: u16, headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if status == 429 {
        return Some(Duration::from_secs(
            number("retry-after").unwrap_or(1).max(1),
        ));
    }
    if number("x-ratelimit-remaining") != Some(0) {
        return None;
    }
    let reset = number("x-ratelimit-reset")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Duration::from_secs(reset).checked_sub(now)
}

/// The kind of a request for latency comparisons: its method and path, sys_ids left out
/// (`POST /api/now/table/awa_work_item`, `GET /api/now/table/awa_work_item/*`). A Batch API
/// request's kind also says how many items it carries (`POST /api/now/v1/batch (3)`): the
/// instance runs them one after another, so a batch of twenty is not a slow batch of two.
pub fn kind_of(method: &str, url: &str, body: Option<&str>) -> String {
    let kind = kind(method, url);
    if !kind.ends_with("/batch") {
        return kind;
    }
    let items = body
        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .and_then(|b| {
            b.get("rest_requests")
                .and_then(|r| r.as_array())
                .map(Vec::len)
        })
        .unwrap_or(0);
    format!("{kind} ({items})")
}

/// [`kind_of`] without the body.
pub fn kind(method: &str, url: &str) -> String {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    let path = path.split('?').next().unwrap_or("");
    let shape: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if crate::platform::sys_id::is_sys_id(segment) {
                "*"
            } else {
                segment
            }
        })
        .collect();
    format!("{method} {}", shape.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn quick_answers_raise_the_limit_up_to_the_cap() {
        let limiter = Limiter::new(2, 6);
        run(async {
            for _ in 0..200 {
                limiter
                    .acquire("GET /x".into())
                    .await
                    .answered(Some(200), None);
            }
        });
        let report = limiter.report();
        assert_eq!(report.settled, 6);
        assert_eq!(report.highest, 6);
        assert_eq!(report.decreases, 0);
    }

    #[test]
    fn a_429_halves_the_limit_once_per_round_trip() {
        let limiter = Limiter::new(8, 8);
        run(async {
            // A burst of refusals answered together counts once.
            let permits: Vec<_> =
                futures_util::future::join_all((0..4).map(|_| limiter.acquire("POST /x".into())))
                    .await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            for p in permits {
                p.answered(Some(429), None);
            }
        });
        let report = limiter.report();
        assert_eq!(report.settled, 4);
        assert_eq!(report.rate_limited, 4);
        assert_eq!(report.decreases, 1);
        assert_eq!(report.lowest, 4);
    }

    #[test]
    fn a_grown_latency_lowers_the_limit() {
        let limiter = Limiter::new(10, 10);
        run(async {
            limiter
                .acquire("GET /x".into())
                .await
                .answered(Some(200), None);
            let slow = limiter.acquire("GET /x".into()).await;
            tokio::time::sleep(Duration::from_millis(60)).await;
            slow.answered(Some(200), None);
        });
        let report = limiter.report();
        assert_eq!(report.slowed, 1);
        assert_eq!(report.settled, 8);
    }

    #[test]
    fn no_more_than_the_limit_is_in_flight() {
        let limiter = Limiter::new(3, 3);
        let peak = std::sync::atomic::AtomicUsize::new(0);
        let now = std::sync::atomic::AtomicUsize::new(0);
        run(async {
            futures_util::future::join_all((0..20).map(|_| async {
                let permit = limiter.acquire("GET /x".into()).await;
                let n = now.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                peak.fetch_max(n, std::sync::atomic::Ordering::SeqCst);
                tokio::task::yield_now().await;
                now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                drop(permit);
            }))
            .await;
        });
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert_eq!(limiter.report().peak_in_flight, 3);
    }

    #[test]
    fn an_instance_that_says_its_rate_is_spent_holds_every_request_back() {
        let limiter = Limiter::new(4, 4);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "1".parse().unwrap());
        assert_eq!(pause_asked(429, &headers), Some(Duration::from_secs(1)));
        let mut spent = reqwest::header::HeaderMap::new();
        spent.insert("x-ratelimit-remaining", "0".parse().unwrap());
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 2;
        spent.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        assert!(pause_asked(200, &spent).is_some_and(|p| p > Duration::from_millis(900)));
        assert_eq!(pause_asked(200, &reqwest::header::HeaderMap::new()), None);
        run(async {
            let permit = limiter.acquire("GET /x".into()).await;
            permit.answered(Some(429), Some(Duration::from_millis(300)));
            let asked = Instant::now();
            let _next = limiter.acquire("GET /x".into()).await;
            assert!(asked.elapsed() >= Duration::from_millis(250));
        });
    }

    #[test]
    fn a_batch_is_of_the_kind_of_batches_of_its_size() {
        let body = r#"{"batch_request_id":"1","rest_requests":[{"id":"0"},{"id":"1"},{"id":"2"}]}"#;
        assert_eq!(
            kind_of("POST", "https://x.example/api/now/v1/batch", Some(body)),
            "POST /api/now/v1/batch (3)"
        );
        assert_eq!(
            kind_of(
                "POST",
                "https://x.example/api/now/table/incident",
                Some(body)
            ),
            "POST /api/now/table/incident"
        );
    }

    #[test]
    fn kinds_leave_ids_out() {
        assert_eq!(
            kind(
                "GET",
                "http://127.0.0.1:9/api/now/table/awa_work_item/0123456789abcdef0123456789abcdef?x=1"
            ),
            "GET /api/now/table/awa_work_item/*"
        );
    }
}
