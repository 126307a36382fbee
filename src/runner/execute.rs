//! Running one trial: requirements, fixtures, steps, and teardown whatever happened.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use serde_json::Value;

use super::checks::{self, Finding};
use super::http::{Answer, Outgoing};
use super::oauth::NoExpiredToken;
use super::state::{TrialState, Undo};
use super::RunContext;
use crate::report::{Outcome, TrialResult};
use crate::spec::template::{self, Vars};
use crate::spec::{Action, Auth, Body, Format, Level, Request, Scenario, Step, Variant};

/// Why a trial that would write is left out of a read-only run.
pub const READ_ONLY_REASON: &str = "writes to the instance (read-only run)";

/// Why a step stopped the scenario.
enum Stop {
    Failed,
    Broken,
}

impl RunContext {
    /// Runs `scenario` in `variant` and returns its result; never panics on a bad instance.
    /// A trial of an exclusive `phase` joins it (the first to join changes the settings).
    pub(super) fn execute(
        &self,
        scenario: &Scenario,
        variant: &Variant,
        phase: Option<usize>,
    ) -> TrialResult {
        let started = Instant::now();
        let mut result = TrialResult {
            name: scenario.trial_name(variant),
            api: scenario.api.clone(),
            operation: scenario.operation.clone(),
            scenario: scenario.name.clone(),
            variant: variant.label.clone(),
            file: scenario.file.clone(),
            line: scenario.line,
            outcome: Outcome::Passed,
            reason: None,
            duration_ms: 0.0,
            failures: Vec::new(),
            warnings: Vec::new(),
            exchanges: Vec::new(),
            attempts: Vec::new(),
        };
        if let Some(reason) = self
            .diagnosis
            .get()
            .and_then(|d| d.ignore_reason(&scenario.key()))
        {
            result.outcome = Outcome::Ignored;
            result.reason = Some(reason);
            return result;
        }
        if let Some(reason) = self.target.skip_reason(scenario) {
            result.outcome = Outcome::Ignored;
            result.reason = Some(reason);
            return result;
        }
        if self.target.read_only
            && scenario
                .first_write(variant, |id, table| {
                    self.target.pin_for(id, table).is_some()
                })
                .is_some()
        {
            result.outcome = Outcome::Ignored;
            result.reason = Some(READ_ONLY_REASON.into());
            return result;
        }
        if let Some(missing) = scenario
            .requirements
            .iter()
            .find(|r| !self.target.provides(**r))
        {
            result.outcome = Outcome::Ignored;
            result.reason = Some(missing.missing_reason().to_string());
            return result;
        }

        // The expired token is awaited before the trial starts: an instance whose tokens live
        // too long to wait for makes it an ignored trial, not a broken one.
        if let (true, Some(tokens)) = (scenario.uses_auth(Auth::ExpiredToken), &self.tokens) {
            let mut log = Vec::new();
            let got = self.block_on(tokens.expired(self.link(), &mut log));
            if let Err(NoExpiredToken::TooLong(reason)) = got {
                result.outcome = Outcome::Ignored;
                result.reason = Some(reason);
                return result;
            }
        }
        if self.cancel.is_cancelled() {
            result.outcome = Outcome::Ignored;
            result.reason = Some("interrupted before it started (Ctrl-C)".into());
            return result;
        }

        let mut state = TrialState::new(&result.name, variant.format, false);
        state.vars = self.initial_vars(variant);
        state.variant = variant.label.clone();
        if let Some(phase) = phase {
            let mut fork = state.fork();
            let applied = self.phases.enter(phase, |restores| {
                self.block_on(self.apply_settings(scenario, restores, &mut fork))
            });
            state.absorb(fork);
            if let Err(e) = applied {
                state.broken = Some(e);
            }
        }
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if state.broken.is_none() {
                self.block_on(self.run_scenario(scenario, &mut state));
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
                .get_or_insert(format!("the harness panicked: {text}"));
        }
        let warned = state.warnings.len();
        self.block_on(self.teardown(&mut state));
        // The trial's own records are gone: what it leased may serve the next trial.
        if state.warnings.len() == warned {
            self.shared.give_back(std::mem::take(&mut state.leases));
        }

        result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        result.exchanges = state.exchanges;
        result.warnings = state.warnings;
        if let Some(broken) = state.broken {
            result.outcome = Outcome::Error;
            result.failures = vec![broken];
            result.failures.append(&mut state.failures);
        } else if !state.failures.is_empty() {
            result.outcome = Outcome::Failed;
            result.failures = state.failures;
        } else if self.target.strict && !result.warnings.is_empty() {
            result.outcome = Outcome::Failed;
            result.failures = result.warnings.clone();
        }
        result
    }

    fn initial_vars(&self, variant: &Variant) -> Vars {
        let mut vars = variant.vars.clone();
        vars.insert("run_id".into(), self.run_id.clone());
        vars.insert("unknown_id".into(), crate::platform::sys_id::fresh());
        vars.insert("base_url".into(), self.target.base_url.clone());
        if let Some(user) = self.target.user_name() {
            vars.insert("user_name".into(), user.to_string());
        }
        vars
    }

    async fn run_scenario(&self, scenario: &Scenario, state: &mut TrialState) {
        // Level by level; the fixtures of one level do not refer to each other, so they are
        // created at the same time, each table's in a fork of the trial's state. A table's
        // own records are created in the order written: a list answers in creation order, so
        // that order is something a scenario may rely on (reasons created out of order).
        let levels = crate::spec::scope::levels(&scenario.fixtures);
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
                    if let Err(e) = self.set_up(scenario, fixture, level, state).await {
                        state.broken.get_or_insert(e);
                        return;
                    }
                }
                continue;
            }
            let mut forks: Vec<TrialState> = by_table.iter().map(|_| state.fork()).collect();
            let done = futures_util::future::join_all(by_table.iter().zip(forks.iter_mut()).map(
                |((_, fixtures), fork)| async move {
                    for fixture in fixtures {
                        self.set_up(scenario, fixture, level, fork).await?;
                    }
                    Ok::<(), String>(())
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
            if self.cancel.is_cancelled() {
                state.broken = Some("interrupted (Ctrl-C)".into());
                return;
            }
            if self.run_step(scenario, step, state).await.is_err() {
                return;
            }
        }
    }

    async fn run_step(
        &self,
        scenario: &Scenario,
        step: &Step,
        state: &mut TrialState,
    ) -> Result<(), Stop> {
        let at = format!(
            "{}: step \"{}\"",
            crate::source::assets::location(&scenario.file, step.line),
            step.name
        );
        let findings = match &step.action {
            Action::Request {
                request,
                expect,
                captures,
                cleanup,
            } => {
                let outgoing =
                    match self.render_request(request, &step.name, &state.vars, state.format) {
                        Ok(o) => o,
                        Err(e) => return Err(self.broken(state, format!("{at}: {e}"))),
                    };
                let answer = match self.send(outgoing, state).await {
                    Ok(a) => a,
                    Err(e) => return Err(self.broken(state, format!("{at}: {e}"))),
                };
                // For drift between runs: which schema the answer was held to, and what in it
                // that schema does not name.
                if let (Some(schema), Some(body), Some(record)) =
                    (&expect.schema, &answer.json, state.exchanges.last_mut())
                {
                    record.schema = Some(schema.clone());
                    record.undocumented = self.schemas.undocumented(schema, body);
                }
                let findings = match checks::response(
                    expect,
                    &answer,
                    state.format,
                    &state.vars,
                    &self.schemas,
                ) {
                    Ok(f) => f,
                    Err(e) => return Err(self.broken(state, format!("{at}: {e}"))),
                };
                // Captures and cleanups run even after a failed check: an answer that deviates
                // may still have created records, and those must not be left behind.
                let must_failed = findings.iter().any(|f| f.level == Level::Must);
                self.capture(&at, captures, &answer, state, !must_failed);
                for (table, pointer) in cleanup {
                    let id = answer
                        .json
                        .as_ref()
                        .and_then(|j| j.pointer(pointer))
                        .and_then(Value::as_str);
                    if let Some(id) = id.filter(|id| crate::platform::sys_id::is_sys_id(id)) {
                        // Into the ledger before the next request, so a run killed now can
                        // still be cleaned up.
                        if let Err(e) = self.ledger.created(table, id, &state.trial) {
                            state.broken.get_or_insert(format!("{at}: {e}"));
                        }
                        state.undo.push(Undo {
                            table: table.clone(),
                            sys_id: id.to_string(),
                            what: format!("record the step \"{}\" created", step.name),
                            level: super::state::STEP_LEVEL,
                        });
                    }
                }
                findings
            }
            Action::Record(check) => {
                let sys_id = template::render(&check.sys_id, &state.vars).unwrap_or_default();
                let answer = match self
                    .table_request(
                        "GET",
                        &check.table,
                        Some(&sys_id),
                        None,
                        &format!("step \"{}\"", step.name),
                        state,
                    )
                    .await
                {
                    Ok(a) => a,
                    Err(e) => return Err(self.broken(state, format!("{at}: {e}"))),
                };
                let record = answer.result();
                match record {
                    Some(record) if answer.status == 200 => {
                        match checks::record(
                            &Value::Object(check.fields.clone()),
                            record,
                            &state.vars,
                        ) {
                            Ok(f) => f
                                .into_iter()
                                .map(|f| Finding {
                                    level: f.level,
                                    message: format!(
                                        "record {}/{sys_id}: {}",
                                        check.table, f.message
                                    ),
                                })
                                .collect(),
                            Err(e) => return Err(self.broken(state, format!("{at}: {e}"))),
                        }
                    }
                    _ => vec![Finding {
                        level: Level::Must,
                        message: format!(
                            "record {}/{sys_id}: reading it back answered {} ({})",
                            check.table,
                            answer.status,
                            checks::snippet(&answer.text)
                        ),
                    }],
                }
            }
        };
        let mut failed = false;
        for finding in findings {
            let line = format!("{at}: {}", finding.message);
            match finding.level.max(scenario.level) {
                Level::Must => {
                    failed = true;
                    state.failures.push(line);
                }
                Level::Should => state.warnings.push(line),
            }
        }
        if failed || !state.failures.is_empty() {
            Err(Stop::Failed)
        } else {
            Ok(())
        }
    }

    fn broken(&self, state: &mut TrialState, message: String) -> Stop {
        state.broken.get_or_insert(message);
        Stop::Broken
    }

    /// Binds each capture; a missing one is a failure only when `report_missing` (after a
    /// failed check, the answer's shape is already known to be wrong).
    fn capture(
        &self,
        at: &str,
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
                None if report_missing => state.failures.push(format!(
                    "{at}: capture {name}: the body has nothing at {pointer}"
                )),
                None => {}
            }
        }
    }

    fn render_request(
        &self,
        request: &Request,
        step: &str,
        vars: &Vars,
        format: Format,
    ) -> Result<Outgoing, String> {
        let path = template::render(&request.path, vars)?;
        let mut url = format!("{}{}", self.target.base_url, path);
        if !request.query.is_empty() {
            let pairs: Vec<(String, String)> = request
                .query
                .iter()
                .map(|(k, v)| Ok((k.clone(), template::render(v, vars)?)))
                .collect::<Result<_, String>>()?;
            let encoded = serde_urlencoded::to_string(&pairs).map_err(|e| e.to_string())?;
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encoded);
        }
        let mut headers: Vec<(String, String)> = request
            .headers
            .iter()
            .map(|(k, v)| Ok((k.clone(), template::render(v, vars)?)))
            .collect::<Result<_, String>>()?;
        let body = match &request.body {
            Body::None => None,
            Body::Json(value) => {
                let value = template::render_value(value, vars)?;
                Some(match format {
                    Format::Json => value.to_string(),
                    Format::Xml => crate::platform::xml::render("request", &value),
                })
            }
            Body::Raw(text) => Some(template::render(text, vars)?),
        };
        if body.is_some()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("content-type".into(), format.media_type().into()));
        }
        Ok(Outgoing {
            during: format!("step \"{step}\""),
            method: template::render(&request.method, vars)?,
            url,
            accept: format.media_type(),
            headers,
            authorization: self.target.authorization(request.auth),
            auth: request.auth,
            body,
            max_body: self.target.max_body,
        })
    }
}
