//! One trial from its start to its result: whether it runs at all (the doctor, the profile,
//! a read-only run, the target's accounts), its phase (when it changes instance-wide
//! settings), its fixtures ([`super::fixtures`]), its steps and their checks, its teardown
//! whatever happened, and its retries.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use serde_json::Value;

use super::checks;
use super::cleanup::Janitor;
use super::client::{Client, Journal, Mode};
use super::error::{Broken, Place, RequestError, TokenError, TrialError};
use super::fixtures::Setup;
use super::http::{Answer, Outgoing};
use super::services::Services;
use super::state::{TrialState, Undo};
use crate::report::{Attempt, Checked, Finding, Found, Origin, TrialResult, Verdict};
use crate::spec::template::{TemplateError, Vars};
use crate::spec::{
    Action, Auth, Body, Format, Level, RecordCheck, Request, Scenario, Step, Variant,
};

/// Why a trial that would write is left out of a read-only run.
pub const READ_ONLY_REASON: &str = "writes to the instance (read-only run)";

/// Why a step stopped the scenario.
enum Stop {
    Failed,
    Broken,
}

/// One scenario in one variant, run against the run's services.
pub(super) struct Trial<'a> {
    services: &'a Services,
    scenario: &'a Scenario,
    variant: &'a Variant,
}

impl<'a> Trial<'a> {
    pub(super) fn new(
        services: &'a Services,
        scenario: &'a Scenario,
        variant: &'a Variant,
    ) -> Self {
        Self {
            services,
            scenario,
            variant,
        }
    }

    fn client(&self) -> &'a Client {
        &self.services.client
    }

    fn setup(&self) -> Setup<'a> {
        Setup {
            services: self.services,
            scenario: self.scenario,
        }
    }

    /// Runs the trial (in its phase, when it changes instance-wide settings; after every
    /// phase otherwise) with its retries, and returns its result. Each attempt is a whole
    /// trial: fresh fixtures, its own teardown.
    pub(super) fn run(&self) -> TrialResult {
        let services = self.services;
        let phase = self
            .scenario
            .exclusive
            .then(|| services.phases.phase_for(&self.scenario.settings()));
        services.phases.wait_turn(phase);
        self.client().enter_trial_thread();
        let mut attempts = Vec::new();
        let mut result = self.redact(self.attempt(phase));
        while result.outcome.is_bad()
            && attempts.len() < services.retries
            && !self.client().cancel.is_cancelled()
        {
            attempts.push(Attempt {
                outcome: result.outcome,
                duration_ms: result.duration_ms,
                found: std::mem::take(&mut result.found),
                exchanges: std::mem::take(&mut result.exchanges),
            });
            result = self.redact(self.attempt(phase));
        }
        if let Some(phase) = phase {
            self.leave_phase(phase, &mut result);
        }
        if !attempts.is_empty() {
            if result.outcome == Verdict::Passed {
                result.outcome = Verdict::Flaky;
            }
            result.duration_ms += attempts.iter().map(|a| a.duration_ms).sum::<f64>();
            result.attempts = attempts;
        }
        result
    }

    /// The last trial of a phase puts its settings back, once, before any later trial starts;
    /// those requests are never abandoned on Ctrl-C.
    fn leave_phase(&self, phase: usize, result: &mut TrialResult) {
        let phases = &self.services.phases;
        let Some(restores) = phases.leave(phase) else {
            return;
        };
        let janitor = Janitor {
            client: self.client(),
            ledger: &self.services.ledger,
        };
        let mut journal = Journal::new(Mode::PuttingBack);
        for r in &restores {
            let problem =
                self.client()
                    .block_on(janitor.restore(&r.sys_id, &r.name, &r.value, &mut journal));
            result.found.cleanup.extend(problem);
        }
        result.exchanges.append(&mut journal.exchanges);
        phases.close(phase);
    }

    /// The result with every known secret replaced, wherever it appears.
    fn redact(&self, mut result: TrialResult) -> TrialResult {
        let secrets = &self.client().secrets;
        result.found.map_text(&|t| secrets.redact(t));
        if let Some(reason) = &mut result.reason {
            *reason = secrets.redact(reason);
        }
        result
    }

    /// Why the trial does not run here, if it does not.
    fn left_out(&self) -> Option<String> {
        let (scenario, variant) = (self.scenario, self.variant);
        let target = &self.client().target;
        if let Some(reason) = self
            .services
            .diagnosis
            .as_ref()
            .and_then(|d| d.ignore_reason(&scenario.key()))
        {
            return Some(reason);
        }
        if let Some(reason) = target.skip_reason(scenario) {
            return Some(reason);
        }
        let pinned = |id: &str, table: &str| target.pin_for(id, table).is_some();
        if target.read_only && scenario.first_write(variant, pinned).is_some() {
            return Some(READ_ONLY_REASON.into());
        }
        if let Some(missing) = scenario.requirements.iter().find(|r| !target.provides(**r)) {
            return Some(missing.missing_reason().to_string());
        }
        // The expired token is awaited before the trial starts: an instance whose tokens live
        // too long to wait for makes it an ignored trial, not a broken one.
        if let (true, Some(tokens)) = (
            scenario.uses_auth(Auth::ExpiredToken),
            &self.client().tokens,
        ) {
            let mut log = Vec::new();
            let got = self
                .client()
                .block_on(tokens.expired(self.client().link(), &mut log));
            if let Err(e @ RequestError::Token(TokenError::LivesTooLong { .. })) = got {
                return Some(e.to_string());
            }
        }
        if self.client().cancel.is_cancelled() {
            return Some("interrupted before it started (Ctrl-C)".into());
        }
        None
    }

    /// One attempt: requirements, the phase's settings, fixtures, steps, and teardown
    /// whatever happened; never panics on a bad instance.
    fn attempt(&self, phase: Option<usize>) -> TrialResult {
        let started = Instant::now();
        let (scenario, variant) = (self.scenario, self.variant);
        let mut result = TrialResult {
            name: scenario.trial_name(variant),
            api: scenario.api.clone(),
            operation: scenario.operation.clone(),
            scenario: scenario.name.clone(),
            variant: variant.label.clone(),
            file: scenario.file.clone(),
            line: scenario.line,
            outcome: Verdict::Passed,
            reason: None,
            duration_ms: 0.0,
            found: Found::default(),
            exchanges: Vec::new(),
            attempts: Vec::new(),
        };
        if let Some(reason) = self.left_out() {
            result.outcome = Verdict::Ignored;
            result.reason = Some(reason);
            return result;
        }
        let mut state = TrialState::new(&result.name, variant.format, Mode::Abandonable);
        state.vars = self.initial_vars();
        state.variant = variant.label.clone();
        if let Some(phase) = phase {
            let mut fork = state.fork();
            let applied = self.services.phases.enter(phase, |restores| {
                self.client()
                    .block_on(self.setup().apply_settings(restores, &mut fork))
            });
            state.absorb(fork);
            if let Err(e) = applied {
                state.broken = Some(e);
            }
        }
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if state.broken.is_none() {
                self.client().block_on(self.fixtures_and_steps(&mut state));
            }
        }));
        if let Err(panic) = ran {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            state
                .broken
                .get_or_insert(Broken::nowhere(TrialError::Panicked(text)));
        }
        let warned = state.cleanup.len();
        self.client().block_on(self.setup().teardown(&mut state));
        // The trial's own records are gone: what it leased may serve the next trial.
        if state.cleanup.len() == warned {
            self.services
                .shared
                .give_back(std::mem::take(&mut state.leases));
        }
        // A rate limit met anywhere in the trial (its fixtures, steps, teardown) must have
        // said when to try again.
        if let Some((finding, origin)) = checks::rate_limit_answers(&state.journal.exchanges) {
            let place = place_of(scenario, origin);
            state.findings.push(finding.placed(&place));
        }
        result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let strict = self.client().target.strict;
        let warned = !state.findings.is_empty() || !state.cleanup.is_empty();
        result.outcome = if state.broken.is_some() {
            Verdict::Error
        } else if state.failed() || (strict && warned) {
            Verdict::Failed
        } else {
            Verdict::Passed
        };
        result.exchanges = state.journal.exchanges;
        result.found = Found {
            broken: state.broken.as_ref().map(Broken::to_report),
            findings: state.findings,
            cleanup: state.cleanup,
            strict,
        };
        result
    }

    fn initial_vars(&self) -> Vars {
        let target = &self.client().target;
        let mut vars = self.variant.vars.clone();
        vars.insert("run_id".into(), self.services.run_id.clone());
        vars.insert("unknown_id".into(), crate::platform::sys_id::fresh());
        vars.insert("base_url".into(), target.base_url.clone());
        if let Some(user) = target.user_name() {
            vars.insert("user_name".into(), user.to_string());
        }
        vars
    }

    /// The fixtures, level by level, then the steps in order, until one stops the scenario.
    async fn fixtures_and_steps(&self, state: &mut TrialState) {
        let scenario = self.scenario;
        // Level by level; the fixtures of one level do not refer to each other, so they are
        // created at the same time, each table's in a fork of the trial's state. A table's
        // own records are created in the order written: a list answers in creation order, so
        // that order is something a scenario may rely on (reasons created out of order).
        let levels = crate::spec::scope::levels(&scenario.fixtures);
        let setup = self.setup();
        for level in 0..=levels.iter().copied().max().unwrap_or(0) {
            let mut by_table: Vec<(&str, Vec<&crate::spec::Fixture>)> = Vec::new();
            for (fixture, _) in scenario
                .fixtures
                .iter()
                .zip(&levels)
                .filter(|(_, l)| **l == level)
            {
                let table = match fixture {
                    crate::spec::Fixture::Create { table, .. }
                    | crate::spec::Fixture::Lookup { table, .. } => table.as_str(),
                    crate::spec::Fixture::Property { .. } => "sys_properties",
                };
                match by_table.iter_mut().find(|(t, _)| *t == table) {
                    Some((_, list)) => list.push(fixture),
                    None => by_table.push((table, vec![fixture])),
                }
            }
            // One table: no fork needed.
            if let [(_, fixtures)] = by_table.as_slice() {
                for fixture in fixtures {
                    if let Err(e) = setup.set_up(fixture, level, state).await {
                        state.broken.get_or_insert(e);
                        return;
                    }
                }
                continue;
            }
            let mut forks: Vec<TrialState> = by_table.iter().map(|_| state.fork()).collect();
            let done = futures_util::future::join_all(by_table.iter().zip(forks.iter_mut()).map(
                |((_, fixtures), fork)| {
                    let setup = &setup;
                    async move {
                        for fixture in fixtures {
                            setup.set_up(fixture, level, fork).await?;
                        }
                        Ok::<(), Broken>(())
                    }
                },
            ))
            .await;
            for fork in forks {
                state.absorb(fork);
            }
            if let Some(e) = done.into_iter().find_map(Result::err) {
                state.broken.get_or_insert(e);
                return;
            }
        }
        for step in &scenario.steps {
            if self.client().cancel.is_cancelled() {
                state.broken = Some(Broken::nowhere(TrialError::Interrupted));
                return;
            }
            if self.step(step, state).await.is_err() {
                return;
            }
        }
    }

    /// One step: its request (or its read of a record) and the checks of the answer, placed
    /// at the step and weighed by level. `Err` when the scenario stops here.
    async fn step(&self, step: &Step, state: &mut TrialState) -> Result<(), Stop> {
        let place = Place::Step {
            file: self.scenario.file.clone(),
            line: step.line,
            name: step.name.clone(),
        };
        let findings = match &step.action {
            Action::Request {
                request,
                expect,
                captures,
                cleanup,
            } => {
                let ask = Ask {
                    step,
                    request,
                    expect,
                    captures,
                    cleanup,
                };
                self.request_step(&ask, &place, state).await
            }
            Action::Record(check) => self.record_step(step, check, state).await,
        }
        .map_err(|e| broken(state, Broken::at(&place, e)))?;
        for finding in findings {
            let level = finding.level.max(self.scenario.level);
            state.findings.push(Finding {
                level,
                ..finding.placed(&place)
            });
        }
        if state.failed() {
            Err(Stop::Failed)
        } else {
            Ok(())
        }
    }

    /// A request step: sends the request, checks the answer, binds its captures and notes the
    /// records it made, whatever the checks found.
    async fn request_step(
        &self,
        ask: &Ask<'_>,
        place: &Place,
        state: &mut TrialState,
    ) -> Result<Vec<Finding>, TrialError> {
        let Ask {
            step,
            request,
            expect,
            captures,
            cleanup,
        } = *ask;
        let mut outgoing = self.render_request(request, &step.name, &state.vars, state.format)?;
        // A token of the run's own (expired, refreshed) is part of the step: what its answers
        // lacked is found here, and without a token there is nothing to send.
        let mut found = Vec::new();
        if let Some(issued) = self
            .client()
            .own_token(outgoing.auth, &mut state.journal)
            .await?
        {
            found = issued.findings;
            match issued.token {
                Some(token) => outgoing.authorization = Some(format!("Bearer {token}")),
                None => return Ok(found),
            }
        }
        let answer = self.client().send(outgoing, &mut state.journal).await?;
        // For drift between runs: which schema the answer was held to, and what in it that
        // schema does not name.
        if let (Some(schema), Some(body), Some(record)) = (
            &expect.schema,
            &answer.json,
            state.journal.exchanges.last_mut(),
        ) {
            record.schema = Some(schema.clone());
            record.undocumented = self.services.schemas.undocumented(schema, body);
        }
        found.extend(checks::response(
            expect,
            &answer,
            state.format,
            &state.vars,
            &self.services.schemas,
        )?);
        let findings = found;
        // Captures and cleanups run even after a failed check: an answer that deviates may
        // still have created records, and those must not be left behind.
        let must_failed = findings.iter().any(|f| f.level == Level::Must);
        capture(place, captures, &answer, state, !must_failed);
        for (table, pointer) in cleanup {
            let id = answer
                .json
                .as_ref()
                .and_then(|j| j.pointer(pointer))
                .and_then(Value::as_str);
            if let Some(id) = id.filter(|id| crate::platform::sys_id::is_sys_id(id)) {
                // Into the ledger before the next request, so a run killed now can still be
                // cleaned up.
                if let Err(e) = self.services.ledger.created(table, id, &state.trial) {
                    state.broken.get_or_insert(Broken::at(place, e));
                }
                state.undo.push(Undo {
                    table: table.clone(),
                    sys_id: id.to_string(),
                    what: format!("record the step \"{}\" created", step.name),
                    level: super::state::STEP_LEVEL,
                });
            }
        }
        Ok(findings)
    }

    /// A record step: reads the record back and checks its fields.
    async fn record_step(
        &self,
        step: &Step,
        check: &RecordCheck,
        state: &mut TrialState,
    ) -> Result<Vec<Finding>, TrialError> {
        // A record named by a capture the run does not have is not read at all.
        let sys_id = check.sys_id.render(&state.vars)?;
        let origin = Origin::Step {
            name: step.name.clone(),
        };
        let answer = self
            .client()
            .table_request(
                "GET",
                &check.table,
                Some(&sys_id),
                None,
                origin,
                &mut state.journal,
            )
            .await?;
        Ok(match answer.result() {
            Some(record) if answer.status == 200 => {
                let mut found =
                    checks::record(&check.table, &sys_id, &check.fields, record, &state.vars)?;
                found.extend(
                    check
                        .holds
                        .as_ref()
                        .and_then(|map| checks::holds(&check.table, &sys_id, map, record)),
                );
                found
            }
            _ => vec![Finding::new(
                Checked::ReadBack {
                    table: check.table.clone(),
                    sys_id: sys_id.clone(),
                },
                Level::Must,
                "200",
                answer.status.to_string(),
            )
            .with_context(checks::snippet(&answer.text))],
        })
    }

    fn render_request(
        &self,
        request: &Request,
        step: &str,
        vars: &Vars,
        format: Format,
    ) -> Result<Outgoing, TemplateError> {
        let target = &self.client().target;
        let path = request.path.render(vars)?;
        let mut url = format!("{}{}", target.base_url, path);
        if !request.query.is_empty() {
            let pairs: Vec<(String, String)> = request
                .query
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.render(vars)?)))
                .collect::<Result<_, TemplateError>>()?;
            // Pairs of strings always encode.
            let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encoded);
        }
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.render(vars)?)))
            .collect::<Result<_, TemplateError>>()?;
        let body = match &request.body {
            Body::None => None,
            Body::Json(value) => {
                let value = value.render(vars)?;
                Some(match format {
                    Format::Json => value.to_string(),
                    Format::Xml => crate::platform::xml::render("request", &value),
                })
            }
            Body::Raw(text) => Some(text.render(vars)?),
        };
        if body.is_some()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("content-type".into(), format.media_type().into()));
        }
        Ok(Outgoing {
            origin: Origin::Step {
                name: step.to_string(),
            },
            method: request.method.render(vars)?,
            url,
            accept: format.media_type(),
            headers,
            authorization: target.authorization(request.auth),
            auth: request.auth,
            body,
            max_body: target.max_body,
        })
    }
}

/// A request step's parts.
#[derive(Clone, Copy)]
struct Ask<'a> {
    step: &'a Step,
    request: &'a Request,
    expect: &'a crate::spec::Expectation,
    captures: &'a [(String, String)],
    cleanup: &'a [(String, String)],
}

/// Where in `scenario` an exchange of `origin` was sent from: its step or its fixture; else
/// (a teardown, a setting, a token) the scenario itself, at its first line.
fn place_of(scenario: &Scenario, origin: &crate::report::Origin) -> Place {
    use crate::report::Origin;
    let file = scenario.file.clone();
    match origin {
        Origin::Step { name } => {
            if let Some(step) = scenario.steps.iter().find(|s| &s.name == name) {
                return Place::Step {
                    file,
                    line: step.line,
                    name: name.clone(),
                };
            }
        }
        Origin::Fixture { id, .. } => {
            let line = scenario.fixtures.iter().find_map(|f| match f {
                crate::spec::Fixture::Create { id: i, line, .. }
                | crate::spec::Fixture::Lookup { id: i, line, .. }
                    if i == id =>
                {
                    Some(*line)
                }
                _ => None,
            });
            if let Some(line) = line {
                return Place::Fixture {
                    file,
                    line,
                    id: id.clone(),
                };
            }
        }
        _ => {}
    }
    Place::Step {
        file,
        line: scenario.line,
        name: origin.to_string(),
    }
}

fn broken(state: &mut TrialState, broken: Broken) -> Stop {
    state.broken.get_or_insert(broken);
    Stop::Broken
}

/// Binds each capture; a missing one is a failure only when `report_missing` (after a
/// failed check, the answer's shape is already known to be wrong).
fn capture(
    at: &Place,
    captures: &[(String, String)],
    answer: &Answer,
    state: &mut TrialState,
    report_missing: bool,
) {
    for (name, pointer) in captures {
        let value = answer.json.as_ref().and_then(|j| j.pointer(pointer));
        match value {
            Some(Value::String(s)) => {
                state.vars.insert(name.clone(), s.clone());
            }
            Some(Value::Object(o)) if o.get("value").is_some_and(Value::is_string) => {
                let id = o["value"].as_str().unwrap_or_default().to_string();
                state.vars.insert(name.clone(), id);
            }
            Some(other) => {
                state.vars.insert(name.clone(), other.to_string());
            }
            None if report_missing => state.findings.push(
                Finding::new(
                    Checked::Capture {
                        name: name.clone(),
                        pointer: pointer.clone(),
                    },
                    Level::Must,
                    "a value",
                    "absent",
                )
                .placed(at),
            ),
            None => {}
        }
    }
}
