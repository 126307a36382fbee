//! A run as one object: prepared against a target (an instance, or the embedded mock it
//! starts), then its trials run with or without libtest's printer, then finished into the one
//! result model. `sn-conform run`, the tests and any later driver (a differential run against
//! two targets) use this object; none of them reaches into the runner's parts.
//!
//! ```no_run
//! # use sn_conform::runner::{Plan, Run};
//! # use sn_conform::target::Target;
//! # fn demo(inputs: sn_conform::inputs::Inputs, target: Target) -> anyhow::Result<()> {
//! let run = Run::prepare(inputs, Plan::instance(target))?;
//! run.run_quietly(4);
//! let report = run.finish();
//! println!("{} passed", report.summary.passed);
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::cleanup::Janitor;
use super::client::{Client, ClientError};
use super::doctor::Doctor;
use super::ledger::{Ledger, LedgerError};
use super::services::Services;
use super::trials;
use super::trials::Observer;
use crate::inputs::Inputs;
use crate::mock::{Mock, RunningMock};
use crate::report::{Matrix, RunReport};
use crate::spec::catalogue::Catalogue;
use crate::spec::Suite;
use crate::target::resolve::Resolved;
use crate::target::Target;

/// The longest the preflight request waits.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);

/// Token lifetime of the built-in mock a run starts: short, so that the run's own tokens are
/// refreshed on the way. (The expired-token scenario does not wait it out: the mock marks
/// that token expired at once, see [`Plan::expire_in_tables`].)
pub const EMBEDDED_TOKEN_LIFETIME: Duration = Duration::from_millis(60);

/// Token lifetime of a built-in mock slowed to stand in for a remote instance: its requests
/// take a tenth of a second and more, so a token must outlive a few of them.
const REMOTE_STAND_IN_TOKEN_LIFETIME: Duration = Duration::from_secs(2);

/// How the built-in mock a run starts is shaped: faults switched on (testing the harness
/// itself) and how it stands in for a remote instance. Meaningless for an instance.
#[derive(Debug, Clone, Default)]
pub struct BuiltInMock {
    pub faults: Vec<crate::mock::Fault>,
    pub latency: Option<crate::mock::Latency>,
    pub max_concurrent: Option<usize>,
    pub rate_limit: Option<u32>,
}

impl BuiltInMock {
    /// Whether it asks for anything beyond the plain mock.
    fn is_plain(&self) -> bool {
        self.faults.is_empty()
            && self.latency.is_none()
            && self.max_concurrent.is_none()
            && self.rate_limit.is_none()
    }

    /// Whether it stands in for a remote instance (slowed or limited on purpose).
    pub fn is_remote(&self) -> bool {
        self.latency.is_some() || self.max_concurrent.is_some() || self.rate_limit.is_some()
    }

    fn mock(self) -> Mock {
        let token_lifetime = if self.is_remote() {
            REMOTE_STAND_IN_TOKEN_LIFETIME
        } else {
            EMBEDDED_TOKEN_LIFETIME
        };
        Mock::new(crate::mock::MockOptions {
            faults: self.faults.into_iter().collect(),
            latency: self.latency,
            max_concurrent: self.max_concurrent,
            rate_limit: self.rate_limit,
            token_lifetime,
            ..crate::mock::MockOptions::default()
        })
    }
}

/// Why no plan could be made of what the options resolved to.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the --mock-* options apply only to the built-in mock, not to an instance")]
    MockOptionsForInstance,
}

/// What to run against and how.
pub struct Plan {
    /// The target; with `embedded`, its base URL and accounts are those of the mock started.
    pub target: Target,
    /// Serve this mock in-process on a loopback port and run against it (the caller may keep
    /// a clone of the handle to look at its tables).
    pub embedded: Option<Mock>,
    /// Where the clean-up ledger is written; `None` keeps it in memory only. When the ledger
    /// already there lists what an earlier run left on an instance, the run does not start.
    pub ledger: Option<PathBuf>,
    /// Where an earlier run's ledger may be, for a plan that writes none (`doctor`): what it
    /// lists is said, and names the command that puts it back.
    pub earlier_ledger: Option<PathBuf>,
    /// Check the instance's assumptions first (`sn-conform doctor`); failed checks make
    /// the trials that depend on them ignored.
    pub doctor: bool,
    /// Runs a failed or broken trial again, with fresh fixtures, up to this many times; one
    /// that then passes is `flaky`.
    pub retries: usize,
    /// With `embedded`: the expired-token scenario's token is marked expired in the mock's
    /// tables the moment it is issued, instead of the run waiting its lifetime out (the
    /// built-in mock a run starts on its own; a mock standing in for a remote instance, or
    /// one a test made, keeps the real wait).
    pub expire_in_tables: bool,
}

impl Plan {
    /// A run against an instance that is already there.
    pub fn instance(target: Target) -> Self {
        Self {
            target,
            embedded: None,
            ledger: None,
            earlier_ledger: None,
            doctor: false,
            retries: 0,
            expire_in_tables: false,
        }
    }

    /// The plan with up to `retries` more attempts at a trial that failed or broke.
    pub fn with_retries(mut self, retries: usize) -> Self {
        self.retries = retries;
        self
    }

    /// The plan with the doctor's checks before the trials (or without them).
    pub fn with_doctor(mut self, doctor: bool) -> Self {
        self.doctor = doctor;
        self
    }

    /// The plan with its ledger written to `path`.
    pub fn with_ledger(mut self, path: PathBuf) -> Self {
        self.ledger = Some(path);
        self
    }

    /// Looks at the ledger at `path` an earlier run may have left, without writing one.
    pub fn with_earlier_ledger(mut self, path: PathBuf) -> Self {
        self.earlier_ledger = Some(path);
        self
    }

    /// The plan for the target the options and profile resolved to: the built-in mock (shaped
    /// by `mock`), or the instance they name. The one place `run`, `compare` and `doctor`
    /// choose between the two.
    pub fn resolved(resolved: Resolved, mock: BuiltInMock) -> Result<Self, PlanError> {
        if resolved.embedded {
            let expire_in_tables = !mock.is_remote();
            Ok(Self {
                expire_in_tables,
                ..Self::embedded(resolved.target, mock.mock())
            })
        } else if mock.is_plain() {
            Ok(Self::instance(resolved.target))
        } else {
            Err(PlanError::MockOptionsForInstance)
        }
    }

    /// A run against `mock`, served for the run; `target` (usually [`Target::mock`]) gives the
    /// accounts and settings and is pointed at the mock's address.
    pub fn embedded(target: Target, mock: Mock) -> Self {
        Self {
            target,
            embedded: Some(mock),
            ledger: None,
            earlier_ledger: None,
            doctor: false,
            retries: 0,
            expire_in_tables: false,
        }
    }
}

/// Why a run could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the built-in mock on 127.0.0.1: {0}")]
    Mock(std::io::Error),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An earlier run's ledger at the path this run would write lists what it left.
    #[error("{0}")]
    LeftBehind(super::ledger::LeftBehind),
}

/// Something the preparation found that the user should read before the trials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Warning(String),
    Info(String),
}

/// One prepared run. Dropping it stops the embedded mock.
pub struct Run {
    runtime: tokio::runtime::Runtime,
    services: Arc<Services>,
    suite: Suite,
    catalogue: Catalogue,
    embedded: Option<RunningMock>,
    /// What the pre-run check saw when the target's answer was not the platform's.
    foreign: Option<super::foreign::Foreign>,
    started_at: u64,
    clock: Instant,
    notices: Vec<Notice>,
    /// The signal that stopped the run, 0 for none.
    signal: Arc<std::sync::atomic::AtomicU8>,
    /// Which trials libtest's arguments selected (all, without the printer).
    selection: std::sync::Mutex<crate::report::Selection>,
    /// How many trials ran at once, for the report.
    threads: std::sync::atomic::AtomicUsize,
    /// Told of each trial as it finishes ([`Run::on_trial_done`]).
    observer: std::sync::Mutex<Option<Observer>>,
}

impl Run {
    /// Starts the runtime (and the embedded mock), checks the target with one request, and
    /// builds the shared context of the trials. Nothing is created on the target.
    pub fn prepare(inputs: Inputs, plan: Plan) -> Result<Self, PrepareError> {
        // Before anything else: what a stopped run left must be put back first (its ledger
        // would be overwritten, and a setting it left changed would fail this run's trials).
        if let Some(left) = plan.ledger.as_deref().and_then(super::ledger::left_behind) {
            return Err(PrepareError::LeftBehind(left));
        }
        let earlier = plan
            .earlier_ledger
            .as_deref()
            .and_then(super::ledger::left_behind);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(PrepareError::Runtime)?;
        let mut target = plan.target;
        let mut notices = Vec::new();
        let mut foreign = None;
        // The mock whose tables end the expired-token scenario's token, when the plan says so.
        let expiring = plan.embedded.clone().filter(|_| plan.expire_in_tables);
        let embedded = match plan.embedded {
            Some(mock) => {
                let running = runtime
                    .block_on(RunningMock::start(mock))
                    .map_err(PrepareError::Mock)?;
                target.base_url = running.base_url.clone();
                Some(running)
            }
            None => {
                (notices, foreign) = runtime.block_on(preflight(&mut target));
                // The doctor says the same about reachability and credentials, in one line.
                if plan.doctor {
                    notices.retain(|n| matches!(n, Notice::Info(_)));
                }
                None
            }
        };
        if let Some(left) = &earlier {
            notices.push(Notice::Warning(left.to_string()));
        }
        let run_id = crate::platform::sys_id::fresh()[..10].to_string();
        let ledger = match &plan.ledger {
            Some(path) => {
                let (ledger, kept) =
                    Ledger::create(path, &target.base_url, &run_id, embedded.is_some())?;
                if let Some(kept) = kept {
                    notices.push(Notice::Warning(format!(
                        "the previous ledger still lists records an earlier run left behind; it is kept as {}: run `sn-conform cleanup {}`",
                        kept.display(),
                        kept.display()
                    )));
                }
                ledger
            }
            None => Ledger::in_memory(&target.base_url, &run_id),
        };
        let mut client = Client::new(target, runtime.handle().clone(), &run_id)?;
        if let (Some(tokens), Some(mock)) = (&mut client.tokens, expiring) {
            tokens.expire_in(mock);
        }
        // An answer that is not the platform's stops the run here: the doctor would only
        // examine whatever stands in front of the instance.
        let diagnosis = (plan.doctor && foreign.is_none()).then(|| {
            let doctor = Doctor {
                client: &client,
                ledger: &ledger,
                run_id: &run_id,
                lost: Default::default(),
                cleanup: plan.ledger.as_deref().or(plan.earlier_ledger.as_deref()),
                left: earlier.as_ref(),
            };
            runtime.block_on(doctor.diagnose(&inputs.suite))
        });
        let services = Services::new(
            client,
            ledger,
            inputs.schemas,
            diagnosis,
            plan.retries,
            run_id,
        );
        Ok(Self {
            runtime,
            services: Arc::new(services),
            suite: inputs.suite,
            catalogue: inputs.catalogue,
            embedded,
            started_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            clock: Instant::now(),
            notices,
            foreign,
            signal: Arc::default(),
            selection: Default::default(),
            threads: Default::default(),
            observer: Default::default(),
        })
    }

    /// A run prepared without contacting the target, to list its trials.
    pub fn for_listing(inputs: Inputs, target: Target) -> Result<Self, PrepareError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(PrepareError::Runtime)?;
        let ledger = Ledger::in_memory(&target.base_url, "list");
        let client = Client::new(target, runtime.handle().clone(), "list")?;
        let services = Services::new(client, ledger, inputs.schemas, None, 0, "list".into());
        Ok(Self {
            runtime,
            services: Arc::new(services),
            suite: inputs.suite,
            catalogue: inputs.catalogue,
            embedded: None,
            started_at: 0,
            clock: Instant::now(),
            notices: Vec::new(),
            foreign: None,
            signal: Arc::default(),
            selection: Default::default(),
            threads: Default::default(),
            observer: Default::default(),
        })
    }

    /// Every secret the run knows, to redact anything written or printed outside it.
    pub fn secrets(&self) -> Arc<super::Secrets> {
        Arc::clone(&self.services.client.secrets)
    }

    /// What the doctor found, when the plan asked for it.
    pub fn diagnosis(&self) -> Option<&crate::report::doctor::Diagnosis> {
        self.services.diagnosis.as_ref()
    }

    /// Why the target cannot be used at all, as one sentence that ends with what to do: its
    /// answer is not the platform's (a hibernating instance's page, a proxy's login page), or
    /// the doctor failed a check that makes every trial pointless (unreachable, credentials
    /// refused). Nothing was written to the target when this is said.
    pub fn unusable(&self) -> Option<String> {
        if let Some(foreign) = &self.foreign {
            return Some(foreign.to_string());
        }
        let blocking = self.diagnosis()?.blocking()?;
        Some(format!(
            "{}; {}",
            blocking.detail,
            blocking.advice.as_deref().unwrap_or("check the target")
        ))
    }

    /// What preparing the run found, for the caller to print.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    pub fn target(&self) -> &Target {
        &self.services.client.target
    }

    pub fn suite(&self) -> &Suite {
        &self.suite
    }

    /// One libtest-mimic trial per scenario and variant, sorted by name.
    pub fn trials(&self) -> Vec<libtest_mimic::Trial> {
        trials::trials(&self.services, &self.suite, self.observer())
    }

    /// Runs the trials `args` select with libtest's printer on stdout. `None` when the printer
    /// gave up because stdout closed (`sn-conform | head`): its worker threads are scoped, so
    /// every trial still finished and cleaned up, and the results are collected as usual.
    pub fn run_with_printer(
        &self,
        args: &libtest_mimic::Arguments,
    ) -> Option<libtest_mimic::Conclusion> {
        let mut trials = self.trials();
        let selected = self.select(args, &trials);
        let threads = args
            .test_threads
            .or_else(|| std::thread::available_parallelism().ok().map(Into::into))
            .unwrap_or(1);
        self.threads
            .store(threads, std::sync::atomic::Ordering::Relaxed);
        if !args.list {
            let runs = |t: &libtest_mimic::Trial| !args.is_ignored(t);
            let running: std::collections::HashSet<String> = trials
                .iter()
                .filter(|t| selected.contains(t.name()) && runs(t))
                .map(|t| t.name().to_string())
                .collect();
            let places =
                trials::arm_phases(&self.services, &self.suite, |name| running.contains(name));
            trials::run_order(&mut trials, &places, &self.suite);
            self.start_expiring_token(&running);
        }
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            libtest_mimic::run(args, trials)
        }))
        .ok()
    }

    /// Fetches the expired-token scenario's token now, in the background, when a trial that
    /// will run needs it: its wait (the token's lifetime) then passes beside the other trials
    /// instead of holding one trial thread. The trial still awaits the same token.
    fn start_expiring_token(&self, running: &std::collections::HashSet<String>) {
        let needed = trials::waits_for_expired_token(&self.suite)
            .iter()
            .any(|name| running.contains(name));
        if !needed || self.services.client.tokens.is_none() {
            return;
        }
        let services = Arc::clone(&self.services);
        self.runtime.spawn(async move {
            if let Some(tokens) = &services.client.tokens {
                // The outcome is the trial's to report: it awaits the same token.
                let _ = tokens
                    .expired(services.client.link(), &mut Vec::new())
                    .await;
            }
        });
    }

    /// Records which trials `args` select (libtest's filter, `--skip`, `--exact`); returns
    /// their names.
    fn select(
        &self,
        args: &libtest_mimic::Arguments,
        trials: &[libtest_mimic::Trial],
    ) -> std::collections::HashSet<String> {
        let selected: std::collections::HashSet<String> = trials
            .iter()
            .filter(|t| !args.is_filtered_out(t))
            .map(|t| t.name().to_string())
            .collect();
        *self.selection.lock().unwrap_or_else(|p| p.into_inner()) = crate::report::Selection {
            filtered: selected.len() < trials.len(),
            trials_selected: selected.len(),
            trials_in_suite: trials.len(),
            filter: args.filter.clone(),
            skip: args.skip.clone(),
        };
        selected
    }

    /// Runs the trials `args` select on `threads` threads without libtest's printer; each
    /// finished trial goes to the observer given to [`Run::on_trial_done`].
    pub fn run_selected(&self, args: &libtest_mimic::Arguments, threads: usize) {
        self.threads
            .store(threads, std::sync::atomic::Ordering::Relaxed);
        let selected = self.select(args, &self.trials());
        let observer = self.observer();
        trials::run_all(
            &self.services,
            &self.suite,
            threads,
            |name| selected.contains(name),
            observer.as_ref(),
        );
    }

    /// Runs every trial on `threads` threads without printing.
    pub fn run_quietly(&self, threads: usize) {
        self.threads
            .store(threads, std::sync::atomic::Ordering::Relaxed);
        let total = self.trials().len();
        *self.selection.lock().unwrap_or_else(|p| p.into_inner()) = crate::report::Selection {
            trials_selected: total,
            trials_in_suite: total,
            ..Default::default()
        };
        let observer = self.observer();
        trials::run_all(
            &self.services,
            &self.suite,
            threads,
            |_| true,
            observer.as_ref(),
        );
    }

    /// Has `observe` told of each trial as it finishes (after its retries and cleanup).
    pub fn on_trial_done(
        &self,
        observe: impl Fn(&crate::report::TrialResult) + Send + Sync + 'static,
    ) {
        *self.observer.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(observe));
    }

    fn observer(&self) -> Option<Observer> {
        self.observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops the trials when the process gets Ctrl-C or SIGTERM: those not started are
    /// ignored, running ones stop sending and clean up, and [`Run::finish`] deletes what the
    /// ledger still holds. A second signal exits at once with `exit_code` (for Ctrl-C).
    pub fn stop_on_signals(&self, exit_code: i32) {
        let cancel = Arc::clone(&self.services.client.cancel);
        let signal = Arc::clone(&self.signal);
        self.runtime.spawn(async move {
            let first = next_signal().await;
            signal.store(first, std::sync::atomic::Ordering::SeqCst);
            eprintln!("\ninterrupted: stopping the running trials and deleting what they created (again to quit at once)");
            cancel.cancel();
            next_signal().await;
            eprintln!("interrupted twice: quitting without cleaning up; the ledger lists what is left");
            std::process::exit(exit_code);
        });
    }

    /// The signal that stopped the run (2 for Ctrl-C, 15 for SIGTERM), if one did.
    pub fn stopped_by(&self) -> Option<u8> {
        match self.signal.load(std::sync::atomic::Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Stops the embedded mock and turns the collected results into the one result model,
    /// with the coverage matrix of the run.
    /// The target's own dictionary for `tables` (and the tables they extend), read with GET
    /// requests through the run's client: the file `sn-conform mock --dictionary` serves.
    /// `plugins` are the plugins whose state it records.
    pub fn snapshot(
        &self,
        tables: &[String],
        plugins: &[crate::mock::dictionary::PluginDef],
    ) -> Result<super::Snapshot, super::SnapshotError> {
        let target = &self.services.client.target;
        let source = format!(
            "snapshot of {} on {}",
            target.base_url,
            crate::report::iso8601(self.started_at)
        );
        self.runtime.block_on(super::snapshot::read(
            &self.services.client,
            tables,
            plugins,
            &source,
        ))
    }

    pub fn finish(mut self) -> RunReport {
        // The records the trials shared go first, dependents before what they refer to.
        let services = Arc::clone(&self.services);
        let janitor = Janitor {
            client: &services.client,
            ledger: &services.ledger,
        };
        for problem in self
            .runtime
            .block_on(janitor.delete_shared(&services.shared))
        {
            eprintln!("warning: {problem}");
        }
        // Whatever the trials' teardowns could not delete (or never reached, when a signal
        // stopped them) is deleted now, from the ledger.
        let mut outstanding = services.ledger.outstanding();
        // After a stop signal nobody waits on records whose insert never got an answer: the
        // ledger keeps them for `sn-conform cleanup`.
        if services.client.cancel.is_cancelled() {
            outstanding
                .records
                .retain(|(table, sys_id, _)| !services.ledger.is_uncertain(table, sys_id));
        }
        if !outstanding.is_empty() {
            let sweep = self.runtime.block_on(janitor.sweep(&outstanding));
            for problem in &sweep.problems {
                eprintln!("warning: cleanup: {problem}");
            }
        }
        let records = services.ledger.counts();
        let duration_ms = self.clock.elapsed().as_secs_f64() * 1000.0;
        if let Some(mock) = self.embedded.take() {
            self.runtime.block_on(mock.stop());
        }
        let results = services.results.take();
        let coverage = Matrix::build(&self.catalogue, &self.suite, Some(&results));
        let target = &services.client.target;
        let report = RunReport::new(
            target.base_url.clone(),
            target.kind,
            self.started_at,
            duration_ms,
            target.strict,
            results,
        )
        .with_coverage(coverage);
        let selection =
            std::mem::take(&mut *self.selection.lock().unwrap_or_else(|p| p.into_inner()));
        let (batches, batch_items, batch_refused) = services.client.batch_counts();
        let concurrency = crate::report::Concurrency {
            threads: self.threads.load(std::sync::atomic::Ordering::Relaxed),
            batches,
            batch_items,
            batch_refused,
            ..services.client.limiter.report()
        };
        let report = RunReport {
            records,
            selection,
            doctor: services.diagnosis.clone(),
            concurrency: Some(concurrency),
            tokens: services
                .client
                .tokens
                .as_ref()
                .map(super::oauth::TokenSource::notes)
                .unwrap_or_default(),
            ..report
        };
        let runtime = self.runtime;
        runtime.shutdown_timeout(Duration::from_secs(1));
        // What the run held (the compiled schemas above all, a few milliseconds of small
        // frees) is freed on a thread of its own: a process that ends next does not wait for
        // it, and one that goes on frees it all the same. The ledger is written as it goes,
        // so nothing waits on this.
        drop(services);
        let held = (self.services, self.suite, self.catalogue);
        // (When no thread can be started, the closure, and what it holds, is dropped here.)
        let _ = std::thread::Builder::new().spawn(move || drop(held));
        report
    }
}

/// The next Ctrl-C (2) or SIGTERM (15).
async fn next_signal() -> u8 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => 2,
                _ = term.recv() => 15,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    2
}

/// One request before the trials: says early when the instance cannot be reached or refuses
/// the credentials, recognises an sn-conform mock (its `Server` header), whose instance-wide
/// settings may change without `--allow-config-changes`, and returns what the answer shows
/// when it is not the platform's (a hibernating instance's page, a proxy's login page).
async fn preflight(target: &mut Target) -> (Vec<Notice>, Option<super::foreign::Foreign>) {
    let url = format!(
        "{}/api/now/table/sys_properties?sysparm_query=name%3Dglide.awa.enabled&sysparm_fields=name,value&sysparm_limit=1",
        target.base_url
    );
    // A warning is all the preflight gives, so it waits less than the trials do.
    let client = target
        .client_builder()
        .timeout(target.timeout.min(PREFLIGHT_TIMEOUT))
        .build();
    let mut request = match client {
        Ok(client) => client.get(&url).header("accept", "application/json"),
        Err(_) => return (Vec::new(), None),
    };
    if let Some(auth) = target.authorization(crate::spec::Auth::Default) {
        request = request.header("authorization", auth);
    }
    let mut notices = Vec::new();
    let mut foreign = None;
    match request.send().await {
        Err(e) => notices.push(Notice::Warning(format!(
            "cannot reach {}: {e}; every trial will report the error",
            target.base_url
        ))),
        Ok(answer) => {
            let status = answer.status().as_u16();
            if status == 401 {
                notices.push(Notice::Warning(format!(
                    "{} refuses the main account's credentials (401)",
                    target.base_url
                )));
            }
            let server = answer
                .headers()
                .get(reqwest::header::SERVER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let content_type = answer
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = first_bytes(answer, PREFLIGHT_BODY_LIMIT).await;
            foreign = super::foreign::not_the_platform(status, content_type.as_deref(), &body);
            if server.starts_with("sn-conform-mock/") {
                if !target.allow_config_changes {
                    notices.push(Notice::Info(format!("the target is an sn-conform mock ({server}); running the scenarios that change its settings too")));
                    target.allow_config_changes = true;
                }
                // Its OAuth client is documented, so the bearer-token scenarios can use it.
                if target.oauth_client.is_none() {
                    target.oauth_client = Some((
                        crate::mock::BUILT_IN_OAUTH_CLIENT.to_string(),
                        crate::mock::BUILT_IN_OAUTH_CLIENT.to_string(),
                    ));
                }
            }
        }
    }
    (notices, foreign)
}

/// How much of the pre-run check's answer is read to tell the platform's JSON from a page.
const PREFLIGHT_BODY_LIMIT: usize = 64 * 1024;

/// The start of an answer's body (at most `limit` bytes, as text); what a broken read left.
async fn first_bytes(mut answer: reqwest::Response, limit: usize) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match answer.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(limit);
    String::from_utf8_lossy(&bytes).into_owned()
}
