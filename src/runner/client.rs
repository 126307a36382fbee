//! The run's link to its target: the HTTP client and its limit on requests in flight, the
//! secrets redacted from everything recorded, the run's OAuth tokens, and the stop switch.
//! Every request of a run goes out through here (a scenario's steps and fixtures, the
//! doctor, the clean-up): one request (abandoned on a stop signal unless it puts the instance
//! back), a Table API call with the main account, a lookup of one record by query.
//!
//! Each trial thread drives its requests on a loop and client of its own
//! ([`super::trial_loop`]); the run's own runtime and client serve the main thread (the
//! doctor, the clean-up at the end).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::cancel::Cancel;
use super::checks;
use super::error::{RequestError, TrialError};
use super::http::{self, Answer, Link, Outgoing};
use super::limiter::Limiter;
use super::oauth::TokenSource;
use super::secrets::Secrets;
use crate::report::{ExchangeRecord, Origin};
use crate::spec::{Auth, Format};
use crate::target::{Target, START_IN_FLIGHT};

/// How long a request in flight may still take after a stop signal.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether a stop signal abandons a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A scenario's own work: nothing new goes out after a stop signal, and a request in
    /// flight gets a moment to answer.
    Abandonable,
    /// Putting the instance back (teardown, restoring a setting, the clean-up): never
    /// abandoned.
    PuttingBack,
}

/// The exchanges a sequence of requests recorded (a trial's, the doctor's, the clean-up's),
/// and whether a stop signal abandons its requests.
#[derive(Debug)]
pub(super) struct Journal {
    pub(super) exchanges: Vec<ExchangeRecord>,
    pub(super) mode: Mode,
}

impl Journal {
    pub(super) fn new(mode: Mode) -> Self {
        Self {
            exchanges: Vec::new(),
            mode,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// The link to the target every part of a run sends its requests through.
pub(super) struct Client {
    pub(super) target: Target,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    /// The limit on requests in flight, adapted to the target's answers.
    pub(super) limiter: Limiter,
    /// Every secret of the run, redacted by value in everything recorded.
    pub(super) secrets: Arc<Secrets>,
    /// Tokens of the run's own, when it has OAuth client credentials.
    pub(super) tokens: Option<TokenSource>,
    /// Set by Ctrl-C or SIGTERM: nothing new goes out, running trials stop and clean up.
    pub(super) cancel: Arc<Cancel>,
    /// The run this client serves: a trial thread's loop is made once per run.
    run_id: String,
    /// Set when the target refused a Batch API request: the rest of the run sends one by one.
    batch_refused: AtomicBool,
    /// The id of the next batch.
    batch_ids: AtomicU64,
    /// Batches answered as batches, and the items they carried.
    batches: (AtomicUsize, AtomicUsize),
}

impl Client {
    /// The link to `target` for run `run_id`; the run's own requests go out on `runtime`.
    pub(super) fn new(
        target: Target,
        runtime: tokio::runtime::Handle,
        run_id: &str,
    ) -> Result<Self, ClientError> {
        let http = target.client_builder().build()?;
        let secrets = Arc::new(Secrets::default());
        secrets.add_target(&target);
        let tokens = target
            .oauth_login()
            .map(|login| TokenSource::new(&target.base_url, login));
        Ok(Self {
            limiter: Limiter::new(START_IN_FLIGHT, target.max_in_flight),
            secrets,
            tokens,
            http,
            runtime,
            cancel: Arc::new(Cancel::default()),
            run_id: run_id.to_string(),
            target,
            batch_refused: AtomicBool::new(false),
            batch_ids: AtomicU64::new(1),
            batches: (AtomicUsize::new(0), AtomicUsize::new(0)),
        })
    }

    /// Gives this thread a loop and client of its own for the run (see
    /// [`super::trial_loop`]), the first time a trial of the run runs on it.
    pub(super) fn enter_trial_thread(&self) {
        super::trial_loop::ensure(&self.run_id, &self.target);
    }

    /// Runs `future` to completion on this thread: on its own loop when it is a trial
    /// thread ([`super::trial_loop`]), on the run's runtime otherwise.
    pub(super) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        super::trial_loop::block_on(&self.runtime, future)
    }

    /// What the run's requests go out through: the trial thread's own client inside its
    /// loop, the run's client anywhere else.
    pub(super) fn link(&self) -> Link<'_> {
        Link {
            client: super::trial_loop::client().unwrap_or_else(|| self.http.clone()),
            secrets: &self.secrets,
            limiter: &self.limiter,
        }
    }

    /// Sends one request, abandoned on a stop signal unless the journal puts the instance
    /// back; the exchange is appended to the journal. The main account's OAuth token (and the expired
    /// token) is filled in here; a 401 to the main account's OAuth token gets one new token
    /// and one more try, then it stands.
    pub(super) async fn send(
        &self,
        outgoing: Outgoing,
        journal: &mut Journal,
    ) -> Result<Answer, RequestError> {
        let log = &mut journal.exchanges;
        if journal.mode == Mode::PuttingBack {
            return self.send_with_token(outgoing, log).await;
        }
        // After a stop signal nothing new goes out (a trial waiting on a shared record that
        // another trial failed to create would otherwise try again, and wait again).
        if self.cancel.is_cancelled() {
            return Err(RequestError::NeverSent);
        }
        let cancel = Arc::clone(&self.cancel);
        let exchange = self.send_with_token(outgoing, log);
        tokio::pin!(exchange);
        tokio::select! {
            answer = &mut exchange => answer,
            () = cancel.cancelled() => {
                // A request already sent may be creating a record: give its answer a moment,
                // so that the record is known and deleted rather than left uncertain.
                match tokio::time::timeout(STOP_GRACE, &mut exchange).await {
                    Ok(answer) => answer,
                    Err(_) => Err(RequestError::Abandoned),
                }
            }
        }
    }

    async fn send_with_token(
        &self,
        mut outgoing: Outgoing,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Answer, RequestError> {
        // A scenario's own token (expired, refreshed) is the step's to fetch and check: it
        // comes here in `authorization` already.
        let oauth = match (&self.tokens, outgoing.auth) {
            (Some(tokens), Auth::Default) if self.target.main_uses_oauth() => Some(tokens),
            _ => None,
        };
        let Some(tokens) = oauth else {
            return http::send(self.link(), outgoing, log).await;
        };
        let token = tokens.bearer(self.link(), log).await?;
        outgoing.authorization = Some(format!("Bearer {token}"));
        let answer = http::send(self.link(), outgoing.clone(), log).await?;
        if answer.status != 401 {
            return Ok(answer);
        }
        let token = tokens.after_rejection(&token, self.link(), log).await?;
        outgoing.authorization = Some(format!("Bearer {token}"));
        http::send(self.link(), outgoing, log).await
    }

    /// The token of the run's own a step's `auth` asks for (expired, refreshed), with what
    /// the token answers lacked; none for any other `auth`, or without OAuth client
    /// credentials (such a scenario is left out before it runs).
    pub(super) async fn own_token(
        &self,
        auth: Auth,
        journal: &mut Journal,
    ) -> Result<Option<super::oauth::Issued>, RequestError> {
        match &self.tokens {
            Some(tokens) if auth.is_own_token() => {
                tokens.own(auth, self.link(), &mut journal.exchanges).await
            }
            _ => Ok(None),
        }
    }

    /// A request with the main account for the run's own purposes (not a step's): JSON, no
    /// headers of its own.
    pub(super) fn outgoing(
        &self,
        method: &str,
        url: String,
        origin: Origin,
        auth: Auth,
    ) -> Outgoing {
        Outgoing {
            origin,
            method: method.to_string(),
            url,
            accept: Format::Json.media_type(),
            headers: Vec::new(),
            authorization: self.target.authorization(auth),
            auth,
            body: None,
            max_body: self.target.max_body,
        }
    }

    /// A Table API request with the main account; references come back as bare sys_ids.
    pub(super) async fn table_request(
        &self,
        method: &str,
        table: &str,
        sys_id: Option<&str>,
        body: Option<&Map<String, Value>>,
        origin: Origin,
        journal: &mut Journal,
    ) -> Result<Answer, RequestError> {
        let outgoing = Outgoing {
            body: body.map(|b| Value::Object(b.clone()).to_string()),
            ..self.table_outgoing(method, table, sys_id, origin)
        };
        self.send(outgoing, journal).await
    }

    /// A Table API request with the main account and no body, ready to send (alone or in a
    /// batch): references come back as bare sys_ids.
    pub(super) fn table_outgoing(
        &self,
        method: &str,
        table: &str,
        sys_id: Option<&str>,
        origin: Origin,
    ) -> Outgoing {
        let mut url = format!("{}/api/now/table/{table}", self.target.base_url);
        if let Some(id) = sys_id {
            url.push('/');
            url.push_str(id);
        }
        if method != "DELETE" {
            url.push_str("?sysparm_exclude_reference_link=true");
        }
        self.outgoing(method, url, origin, Auth::Default)
    }

    /// Sends `items` (requests with the main account, each on one record) together: in Batch
    /// API requests of up to [`super::batch::MAX_ITEMS`] when there are two or more and the
    /// target has not refused a batch, the batches at the same time; whatever a batch did not
    /// answer goes out on its own, at the same time as the rest. The answers come back in the
    /// order of `items`, and each item's exchange is recorded in that order (see
    /// [`super::batch`]).
    pub(super) async fn send_together(
        &self,
        items: Vec<Outgoing>,
        journal: &mut Journal,
    ) -> Vec<Result<Answer, RequestError>> {
        self.send_grouped(items, journal, true).await
    }

    /// Like [`Client::send_together`], but every request goes after the one before it has
    /// its answer: the batches one after another (their items run in order on the instance),
    /// and what goes alone one by one. For deletes whose order matters (a record before the
    /// records it refers to).
    pub(super) async fn send_in_order(
        &self,
        items: Vec<Outgoing>,
        journal: &mut Journal,
    ) -> Vec<Result<Answer, RequestError>> {
        // One batch's worth at a time: what a batch left undone (the tail a limit cut off)
        // goes before the next batch.
        let mut answers = Vec::with_capacity(items.len());
        for chunk in items.chunks(super::batch::MAX_ITEMS) {
            answers.extend(self.send_grouped(chunk.to_vec(), journal, false).await);
        }
        answers
    }

    async fn send_grouped(
        &self,
        items: Vec<Outgoing>,
        journal: &mut Journal,
        at_once: bool,
    ) -> Vec<Result<Answer, RequestError>> {
        let mut answers: Vec<Option<Answer>> = items.iter().map(|_| None).collect();
        let mut records: Vec<Vec<crate::report::ExchangeRecord>> =
            items.iter().map(|_| Vec::new()).collect();
        if items.len() >= 2 && !self.batch_refused.load(Ordering::Relaxed) {
            let chunks: Vec<(usize, &[Outgoing])> = items
                .chunks(super::batch::MAX_ITEMS)
                .enumerate()
                .map(|(i, chunk)| (i * super::batch::MAX_ITEMS, chunk))
                .collect();
            let mode = journal.mode;
            let batches = all(
                chunks.iter().map(|(_, chunk)| async move {
                    let mut own = Journal::new(mode);
                    let answered = self.batch(chunk, &mut own).await;
                    (answered, own)
                }),
                at_once,
            )
            .await;
            for ((first, _), (answered, own)) in chunks.iter().zip(batches) {
                match answered {
                    Some(found) => {
                        for (i, (answer, record)) in found.into_iter().enumerate() {
                            answers[first + i] = answer;
                            records[first + i].extend(record);
                        }
                        // What else the batch recorded (a token fetched for it) comes first.
                        journal.exchanges.extend(own.exchanges);
                    }
                    // A refused batch stays in the record, before its items sent alone.
                    None => journal.exchanges.extend(own.exchanges),
                }
            }
        }
        let alone: Vec<usize> = (0..items.len()).filter(|&i| answers[i].is_none()).collect();
        let mode = journal.mode;
        let sent = all(
            alone.iter().map(|&i| {
                let item = items[i].clone();
                async move {
                    let mut own = Journal::new(mode);
                    let answer = self.send(item, &mut own).await;
                    (answer, own)
                }
            }),
            at_once,
        )
        .await;
        let mut results: Vec<Option<Result<Answer, RequestError>>> =
            answers.into_iter().map(|a| a.map(Ok)).collect();
        for (&i, (answer, own)) in alone.iter().zip(sent) {
            results[i] = Some(answer);
            records[i].extend(own.exchanges);
        }
        journal.exchanges.extend(records.into_iter().flatten());
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(RequestError::NeverSent)))
            .collect()
    }

    /// Batches answered as batches, the items they carried, and whether the target refused
    /// one, for the report.
    pub(super) fn batch_counts(&self) -> (usize, usize, bool) {
        (
            self.batches.0.load(Ordering::Relaxed),
            self.batches.1.load(Ordering::Relaxed),
            self.batch_refused.load(Ordering::Relaxed),
        )
    }

    /// Sends `items` as one Batch API request: each item's answer and record, by index
    /// (`None` for an item the batch did not service); `None` when the batch itself got no
    /// batch's answer (when it was refused, the target is not asked for another in this
    /// run), or the target refused one before.
    async fn batch(
        &self,
        items: &[Outgoing],
        journal: &mut Journal,
    ) -> Option<Vec<(Option<Answer>, Option<crate::report::ExchangeRecord>)>> {
        let id = self.batch_ids.fetch_add(1, Ordering::Relaxed).to_string();
        let base = &self.target.base_url;
        let url = format!("{base}{}", super::batch::PATH);
        let origin = items.first()?.origin.clone();
        let outgoing = Outgoing {
            body: Some(super::batch::body(&id, items, base)),
            ..self.outgoing("POST", url.clone(), origin, Auth::Default)
        };
        if self.batch_refused.load(Ordering::Relaxed) {
            return None;
        }
        let answer = self.send(outgoing, journal).await.ok()?;
        let Some(found) = super::batch::answers(&answer, items.len()) else {
            // A refusal ends batching for the run; a busy or failing instance (429 after its
            // retries, 5xx) only this batch's.
            if super::batch::is_refusal(answer.status) {
                self.batch_refused.store(true, Ordering::Relaxed);
            }
            return None;
        };
        self.batches.0.fetch_add(1, Ordering::Relaxed);
        self.batches.1.fetch_add(items.len(), Ordering::Relaxed);
        // The batch's own record gives way to its items' (its bodies are base64).
        let wire = match journal.exchanges.last() {
            Some(last) if last.url == url && last.method == "POST" => journal.exchanges.pop(),
            _ => None,
        }?;
        Some(
            found
                .into_iter()
                .zip(items)
                .map(|(answer, item)| {
                    let answer = answer.map(|a| super::http::redact_answer(a, &self.secrets));
                    let record = answer
                        .as_ref()
                        .map(|a| super::http::item_record(&wire, &id, item, a, &self.secrets));
                    (answer, record)
                })
                .collect(),
        )
    }

    /// The first record of `table` that `query` (an encoded query) finds.
    pub(super) async fn find_one(
        &self,
        table: &str,
        query: &str,
        origin: Origin,
        journal: &mut Journal,
    ) -> Result<Map<String, Value>, TrialError> {
        // Pairs of strings always encode.
        let encoded = serde_urlencoded::to_string([
            ("sysparm_query", query),
            ("sysparm_limit", "1"),
            ("sysparm_exclude_reference_link", "true"),
        ])
        .unwrap_or_default();
        let url = format!("{}/api/now/table/{table}?{encoded}", self.target.base_url);
        let answer = self
            .send(self.outgoing("GET", url, origin, Auth::Default), journal)
            .await?;
        answer
            .result()
            .and_then(Value::as_array)
            .and_then(|list| list.first())
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| TrialError::NoMatch {
                table: table.to_string(),
                query: query.to_string(),
                status: answer.status,
                body: checks::snippet(&answer.text),
            })
    }

    /// Sets the property record `sys_id` to `value` (a setting applied or put back); the
    /// answer's status.
    pub(super) async fn set_property(
        &self,
        sys_id: &str,
        value: &str,
        origin: Origin,
        journal: &mut Journal,
    ) -> Result<u16, RequestError> {
        let mut body = Map::new();
        body.insert("value".into(), Value::String(value.to_string()));
        self.table_request(
            "PATCH",
            "sys_properties",
            Some(sys_id),
            Some(&body),
            origin,
            journal,
        )
        .await
        .map(|answer| answer.status)
    }
}

/// The outputs of `futures` in their order: run at the same time, or one after another.
async fn all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
    at_once: bool,
) -> Vec<F::Output> {
    if at_once {
        return futures_util::future::join_all(futures).await;
    }
    let mut out = Vec::new();
    for future in futures {
        out.push(future.await);
    }
    out
}
