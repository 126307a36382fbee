//! What every trial of a run shares: the target, the run's HTTP client (trial threads have
//! their own as well: see [`super::trial_loop`]), the compiled schemas, the runtime handle,
//! the exclusive phases, the shared fixtures, the results collector and the Ctrl-C switch.

use std::sync::{Arc, Mutex};

use super::cancel::Cancel;
use super::ledger::Ledger;
use super::oauth::TokenSource;
use super::secrets::Secrets;
use super::state::TrialState;
use crate::report::TrialResult;
use crate::schemas::SchemaSet;
use crate::spec::{Scenario, Variant};
use crate::target::Target;

/// What every trial of a run shares.
pub struct RunContext {
    pub target: Target,
    pub client: reqwest::Client,
    pub schemas: SchemaSet,
    pub runtime: tokio::runtime::Handle,
    /// The exclusive phases: trials that change instance-wide settings run together and
    /// alone.
    pub(super) phases: super::phase::Phases,
    /// Every finished trial's result, for the reports.
    pub results: Mutex<Vec<TrialResult>>,
    /// Part of every fixture name, so runs never collide.
    pub run_id: String,
    /// Set by Ctrl-C: trials not yet started are ignored, running ones stop and clean up.
    pub cancel: Arc<Cancel>,
    /// Every secret of the run, redacted by value in everything recorded.
    pub secrets: Arc<Secrets>,
    /// Tokens of the run's own, when it has OAuth client credentials.
    pub tokens: Option<TokenSource>,
    /// Every record created and setting changed, written through as it happens.
    pub ledger: Ledger,
    /// Records whose insert was sent but never answered: they may or may not exist. After a
    /// stop signal nobody waits on them; the ledger keeps them for `cleanup`.
    pub uncertain: Mutex<std::collections::HashSet<(String, String)>>,
    /// What the doctor found before the trials, when it ran: failed checks make the trials
    /// that depend on them ignored, with the doctor's reason.
    pub diagnosis: std::sync::OnceLock<crate::report::doctor::Diagnosis>,
    /// How many more attempts a failed or broken trial gets (`--retries`).
    pub retries: std::sync::atomic::AtomicUsize,
    /// Told of every finished trial (progress on the terminal).
    pub on_trial: std::sync::OnceLock<TrialObserver>,
    /// Records created once for the run and shared by the trials that need them.
    pub(super) shared: super::shared::SharedFixtures,
    /// The limit on requests in flight, adapted to the target's answers.
    pub limiter: super::limiter::Limiter,
}

/// Something told of each trial as it finishes.
pub type TrialObserver = Box<dyn Fn(&TrialResult) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl RunContext {
    /// The context of a run on `target`; `ledger` is where it records what it creates (see
    /// [`Ledger::in_memory`] for a run that keeps no file).
    pub fn new(
        target: Target,
        schemas: SchemaSet,
        runtime: tokio::runtime::Handle,
        run_id: String,
        ledger: Ledger,
    ) -> Result<Self, ClientError> {
        let client = target.client_builder().build()?;
        let target_max_in_flight = target.max_in_flight;
        let secrets = Arc::new(Secrets::default());
        secrets.add_target(&target);
        let tokens = target
            .oauth_login()
            .map(|login| TokenSource::new(&target.base_url, login));
        Ok(Self {
            secrets,
            tokens,
            target,
            client,
            schemas,
            runtime,
            phases: Default::default(),
            results: Mutex::new(Vec::new()),
            run_id,
            ledger,
            uncertain: Mutex::default(),
            diagnosis: std::sync::OnceLock::new(),
            cancel: Arc::new(Cancel::default()),
            retries: std::sync::atomic::AtomicUsize::new(0),
            on_trial: std::sync::OnceLock::new(),
            shared: Default::default(),
            limiter: super::limiter::Limiter::new(
                crate::target::START_IN_FLIGHT,
                target_max_in_flight,
            ),
        })
    }

    /// Runs one trial (in its phase, when it changes instance-wide settings; after every
    /// phase otherwise) and keeps its result; returns its verdict (outcome, reason, failures
    /// and warnings, without its exchanges).
    pub fn run_trial(&self, scenario: &Scenario, variant: &Variant) -> TrialResult {
        let phase = scenario
            .exclusive
            .then(|| self.phases.phase_for(&scenario.settings()));
        self.phases.wait_turn(phase);
        // This thread drives its own requests (see `trial_loop`).
        super::trial_loop::ensure(&self.run_id, &self.target);
        let retries = self.retries.load(std::sync::atomic::Ordering::Relaxed);
        let mut attempts = Vec::new();
        let mut result = self.redact(self.execute(scenario, variant, phase));
        // Each attempt is a whole trial: fresh fixtures, its own cleanup.
        while result.outcome.is_bad() && attempts.len() < retries && !self.cancel.is_cancelled() {
            attempts.push(crate::report::Attempt {
                outcome: result.outcome,
                duration_ms: result.duration_ms,
                failures: std::mem::take(&mut result.failures),
                warnings: std::mem::take(&mut result.warnings),
                exchanges: std::mem::take(&mut result.exchanges),
            });
            result = self.redact(self.execute(scenario, variant, phase));
        }
        if let Some(phase) = phase {
            // The last trial of the phase puts the settings back, once, before any later
            // trial starts; its requests are never abandoned on Ctrl-C.
            if let Some(restores) = self.phases.leave(phase) {
                let mut state = TrialState::new(&result.name, crate::spec::Format::Json, true);
                for r in &restores {
                    let problem =
                        self.block_on(self.restore(&r.sys_id, &r.name, &r.value, &mut state));
                    result.warnings.extend(problem);
                }
                result.exchanges.append(&mut state.exchanges);
                self.phases.close(phase);
            }
        }
        if !attempts.is_empty() {
            if result.outcome == crate::report::Outcome::Passed {
                result.outcome = crate::report::Outcome::Flaky;
            }
            result.duration_ms += attempts.iter().map(|a| a.duration_ms).sum::<f64>();
            result.attempts = attempts;
        }
        if let Some(observe) = self.on_trial.get() {
            observe(&result);
        }
        // The caller needs the verdict; the result itself (exchanges and all) goes to the
        // collector, not copied.
        let verdict = crate::report::TrialResult {
            exchanges: Vec::new(),
            attempts: Vec::new(),
            failures: result.failures.clone(),
            warnings: result.warnings.clone(),
            reason: result.reason.clone(),
            name: String::new(),
            api: String::new(),
            operation: String::new(),
            scenario: String::new(),
            variant: String::new(),
            file: String::new(),
            ..result
        };
        self.results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(result);
        verdict
    }

    /// Runs `future` to completion on this thread: on its own loop when it is a trial
    /// thread ([`super::trial_loop`]), on the run's runtime otherwise.
    pub(super) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        super::trial_loop::block_on(&self.runtime, future)
    }

    /// What the run's requests go out through: the trial thread's own client inside its
    /// loop, the run's client anywhere else.
    pub(super) fn link(&self) -> super::http::Link<'_> {
        super::http::Link {
            client: super::trial_loop::client().unwrap_or_else(|| self.client.clone()),
            secrets: &self.secrets,
            limiter: &self.limiter,
        }
    }

    /// Marks a record whose insert is about to be sent (`true`) or was answered (`false`).
    pub(super) fn set_uncertain(&self, table: &str, sys_id: &str, uncertain: bool) {
        let mut set = self.uncertain.lock().unwrap_or_else(|p| p.into_inner());
        let key = (table.to_string(), sys_id.to_string());
        if uncertain {
            set.insert(key);
        } else {
            set.remove(&key);
        }
    }

    /// Whether a record's insert was sent and never answered.
    pub(super) fn is_uncertain(&self, table: &str, sys_id: &str) -> bool {
        self.uncertain
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&(table.to_string(), sys_id.to_string()))
    }

    /// The result with every known secret replaced, wherever it appears.
    fn redact(&self, mut result: TrialResult) -> TrialResult {
        let text = |t: &mut String| *t = self.secrets.redact(t);
        result
            .failures
            .iter_mut()
            .chain(result.warnings.iter_mut())
            .for_each(text);
        if let Some(reason) = &mut result.reason {
            text(reason);
        }
        result
    }

    /// The collected results, sorted by trial name.
    pub fn take_results(&self) -> Vec<TrialResult> {
        let mut results =
            std::mem::take(&mut *self.results.lock().unwrap_or_else(|p| p.into_inner()));
        results.sort_by(|a, b| a.name.cmp(&b.name));
        results
    }
}
