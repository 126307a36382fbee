//! The one result model of a run. Every reporter (terminal summary, JSON, JUnit, Markdown,
//! HTML) reads only this.

use serde::{Deserialize, Serialize};

/// How one trial ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every `must` check held (and every `should` check, under `--strict`).
    Passed,
    /// The instance answered, and the answer deviated from the documents.
    Failed,
    /// The harness could not ask: connection refused, timeout, unreadable body, fixture setup.
    Error,
    /// Not run, with the reason (a requirement the target cannot meet, or an interruption).
    Ignored,
    /// Failed or broke, then passed when retried (`--retries`); the attempts are kept.
    Flaky,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Error => "error",
            Outcome::Ignored => "ignored",
            Outcome::Flaky => "flaky",
        }
    }

    /// Failed or broke: the outcomes that fail a run.
    pub fn is_bad(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Error)
    }
}

/// One HTTP request and its answer, with credentials redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExchangeRecord {
    /// The step or fixture that sent it.
    pub during: String,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// Which credentials it carried (`default`, `none`, `wrong_password`, `norole`,
    /// `wrong_token`, `expired_token`): never the credentials themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// Absent when no answer came (see `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the request left, in milliseconds since the Unix epoch: with `duration_ms`, enough
    /// to see from a report which exchanges overlapped.
    pub started_at_ms: f64,
    pub duration_ms: f64,
    /// The answer body's shape: each field path (`result.sys_id`, `result[].name`) and its
    /// JSON type, for drift between runs; absent when the body was not JSON (or XML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<std::collections::BTreeMap<String, String>>,
    /// For a step's answer: the JSON Schema it was checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Field paths of the answer that schema does not name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undocumented: Vec<String>,
}

impl ExchangeRecord {
    /// Whether a scenario's step sent it (rather than a fixture, a cleanup or the doctor).
    pub fn is_step(&self) -> bool {
        self.during.starts_with("step ")
    }

    /// The answer's `Content-Type`, if it had one.
    pub fn content_type(&self) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str())
    }
}

/// One earlier attempt of a retried trial that did not pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub outcome: Outcome,
    pub duration_ms: f64,
    pub failures: Vec<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub exchanges: Vec<ExchangeRecord>,
}

/// The result of one trial: one scenario in one variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialResult {
    pub name: String,
    pub api: String,
    pub operation: String,
    pub scenario: String,
    pub variant: String,
    pub file: String,
    pub line: usize,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: f64,
    /// `must` checks that failed, or what broke for an error.
    pub failures: Vec<String>,
    /// `should` checks that failed, and cleanup problems.
    pub warnings: Vec<String>,
    pub exchanges: Vec<ExchangeRecord>,
    /// Earlier attempts that failed or broke, when the trial was retried (`--retries`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
}

/// Counts per outcome, and the target they were measured on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub error: usize,
    pub ignored: usize,
    pub total: usize,
    /// The target's base URL, repeated here so the summary stands on its own.
    pub base_url: String,
    /// Trials with `should` warnings, whatever their outcome.
    #[serde(default)]
    pub warned: usize,
    /// Trials that failed and then passed when retried.
    #[serde(default)]
    pub flaky: usize,
}

impl Summary {
    pub fn of<'a>(trials: impl IntoIterator<Item = &'a TrialResult>) -> Self {
        let mut s = Summary::default();
        for t in trials {
            s.total += 1;
            if !t.warnings.is_empty() {
                s.warned += 1;
            }
            match t.outcome {
                Outcome::Passed => s.passed += 1,
                Outcome::Failed => s.failed += 1,
                Outcome::Error => s.error += 1,
                Outcome::Ignored => s.ignored += 1,
                Outcome::Flaky => s.flaky += 1,
            }
        }
        s
    }
}

/// What the run created on the instance and what it left there (0 on a normal run).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Records {
    /// Records created (fixtures, and records the operations created).
    pub created: usize,
    /// Records still there when the run ended: `sn-conform cleanup` on the ledger deletes them.
    pub left: usize,
    /// Settings changed (and restored after).
    pub settings_changed: usize,
    /// Settings not restored.
    pub settings_left: usize,
    /// The ledger file that lists them, when the run kept one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
}

/// How many requests the run kept in flight, and how it adapted to the target's answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Concurrency {
    /// Trials run at the same time (`--test-threads`).
    #[serde(default)]
    pub threads: usize,
    /// The limit on requests in flight at the start, its cap (`--max-in-flight`), where it
    /// ended, and the lowest and highest it reached.
    pub start: usize,
    pub cap: usize,
    pub settled: usize,
    pub lowest: usize,
    pub highest: usize,
    /// The most requests that were in flight at once.
    pub peak_in_flight: usize,
    /// Requests sent in all (each attempt of a rate-limited request counts).
    pub requests: usize,
    /// Answers `429 Too Many Requests`, answers much slower than the quickest of their kind,
    /// and the times the limit was lowered for them.
    pub rate_limited: usize,
    pub slowed: usize,
    pub decreases: usize,
}

impl Concurrency {
    /// One line for the end of a run.
    ///
    /// ```text
    /// in flight: settled at 15 (started at 8, cap 32, range 12-17; 2 answers 429, 31 slowed); 1092 requests, 3.5 per trial, 32 trials at once
    /// ```
    pub fn describe(&self, trials: usize) -> String {
        let per_trial = if trials == 0 {
            String::new()
        } else {
            format!(", {:.1} per trial", self.requests as f64 / trials as f64)
        };
        format!(
            "in flight: settled at {} (started at {}, cap {}, range {}-{}; {} answer(s) 429, {} slowed); {} requests{per_trial}, {} trials at once",
            self.settled,
            self.start,
            self.cap,
            self.lowest,
            self.highest,
            self.rate_limited,
            self.slowed,
            self.requests,
            self.threads
        )
    }
}

/// `2026-11-24T06:59:08Z` for seconds since the Unix epoch.
pub fn iso8601(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The failed and broken trials of one scenario, variants folded.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureGroup {
    /// `api/operation::scenario`.
    pub scenario: String,
    /// `failed` when any variant failed, else `error`.
    pub outcome: Outcome,
    /// The variants that did not pass (empty label for a scenario without variants).
    pub variants: Vec<String>,
    /// How many variants the scenario has in this run.
    pub of: usize,
    /// The first message of the first of them.
    pub first_message: String,
}

impl FailureGroup {
    /// `4 variants` / `default json` / ``, for one line.
    pub fn variants_text(&self) -> String {
        match self.variants.as_slice() {
            [] => String::new(),
            [one] if one.is_empty() => String::new(),
            [one] => one.clone(),
            many if many.len() == self.of => format!("all {} variants", many.len()),
            many => format!("{} variants: {}", many.len(), many.join(", ")),
        }
    }
}

/// Which trials a run selected (libtest's filter, `--skip`, `--exact`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Selection {
    /// Whether a filter or `--skip` left trials out: the reports cover part of the suite.
    pub filtered: bool,
    pub trials_selected: usize,
    pub trials_in_suite: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
}

impl Selection {
    /// `the reports cover 4 of 309 trials (filter `accept`)`, for a filtered run.
    pub fn describe(&self) -> Option<String> {
        self.filtered.then(|| {
            let mut how = Vec::new();
            if let Some(f) = &self.filter {
                how.push(format!("filter `{f}`"));
            }
            for s in &self.skip {
                how.push(format!("--skip `{s}`"));
            }
            format!(
                "a filtered run: the reports cover {} of the suite's {} trials ({})",
                self.trials_selected,
                self.trials_in_suite,
                how.join(", ")
            )
        })
    }
}

/// A whole run: the target and every trial that ran, in trial-name order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub tool: String,
    pub base_url: String,
    /// The embedded mock, or an instance given with `--base-url`.
    pub target_kind: String,
    /// Seconds since the Unix epoch when the run started.
    pub started_at: u64,
    /// The same instant in ISO 8601, UTC.
    #[serde(default)]
    pub date: String,
    pub duration_ms: f64,
    pub strict: bool,
    pub summary: Summary,
    pub trials: Vec<TrialResult>,
    /// The documented cases and how their trials ended in this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<super::Matrix>,
    /// What the run created and left on the instance.
    #[serde(default)]
    pub records: Records,
    /// Which trials the run selected.
    #[serde(default)]
    pub selection: Selection,
    /// What the doctor found before the trials, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doctor: Option<crate::report::doctor::Diagnosis>,
    /// How many requests the run kept in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
}

impl RunReport {
    pub fn new(
        base_url: String,
        target_kind: &str,
        started_at: u64,
        duration_ms: f64,
        strict: bool,
        mut trials: Vec<TrialResult>,
    ) -> Self {
        trials.sort_by(|a, b| a.name.cmp(&b.name));
        let summary = Summary {
            base_url: base_url.clone(),
            ..Summary::of(&trials)
        };
        Self {
            tool: format!("sn-conform {}", env!("CARGO_PKG_VERSION")),
            base_url,
            target_kind: target_kind.to_string(),
            started_at,
            date: iso8601(started_at),
            duration_ms,
            strict,
            summary,
            trials,
            coverage: None,
            records: Records::default(),
            selection: Selection::default(),
            doctor: None,
            concurrency: None,
        }
    }

    /// The report with the coverage matrix of its run.
    pub fn with_coverage(mut self, coverage: super::Matrix) -> Self {
        self.coverage = Some(coverage);
        self
    }

    /// Why trials were left out (ignored), most common first: each reason and its count.
    pub fn left_out(&self) -> Vec<(String, usize)> {
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for t in &self.trials {
            if t.outcome == Outcome::Ignored {
                *counts
                    .entry(t.reason.as_deref().unwrap_or("no reason given"))
                    .or_default() += 1;
            }
        }
        let mut out: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(r, n)| (r.to_string(), n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// `PASSED` when no trial failed or broke, else `FAILED`.
    pub fn verdict(&self) -> &'static str {
        if self.summary.failed + self.summary.error > 0 {
            "FAILED"
        } else {
            "PASSED"
        }
    }

    /// The failed and broken trials, one group per scenario in trial order.
    pub fn failure_groups(&self) -> Vec<FailureGroup> {
        let mut groups: Vec<FailureGroup> = Vec::new();
        for t in &self.trials {
            let scenario = format!("{}/{}::{}", t.api, t.operation, t.scenario);
            if matches!(t.outcome, Outcome::Failed | Outcome::Error) {
                match groups.iter_mut().find(|g| g.scenario == scenario) {
                    Some(g) => {
                        g.variants.push(t.variant.clone());
                        if t.outcome == Outcome::Failed {
                            g.outcome = Outcome::Failed;
                        }
                    }
                    None => groups.push(FailureGroup {
                        scenario,
                        outcome: t.outcome,
                        variants: vec![t.variant.clone()],
                        of: 0,
                        first_message: t.failures.first().cloned().unwrap_or_default(),
                    }),
                }
            }
        }
        for g in &mut groups {
            g.of = self
                .trials
                .iter()
                .filter(|t| format!("{}/{}::{}", t.api, t.operation, t.scenario) == g.scenario)
                .count();
        }
        groups
    }

    /// Per operation (`api/operation`), the median time its own requests took: the step
    /// exchanges of its trials that went to the operation, not to the Table API (fixtures,
    /// side-effect reads). For history and drift.
    pub fn median_latency_by_operation(&self) -> std::collections::BTreeMap<String, f64> {
        self.operation_latencies()
            .into_iter()
            .map(|(op, mut list)| {
                list.sort_by(f64::total_cmp);
                let mid = list.len() / 2;
                let median = if list.len() % 2 == 0 {
                    (list[mid - 1] + list[mid]) / 2.0
                } else {
                    list[mid]
                };
                (op, median)
            })
            .collect()
    }

    /// Per operation (`api/operation`), the durations in milliseconds of its own requests:
    /// the answered step exchanges of its trials that went to the operation, not to the Table
    /// API (fixtures, side-effect reads).
    pub fn operation_latencies(&self) -> std::collections::BTreeMap<String, Vec<f64>> {
        let mut times: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for t in &self.trials {
            for x in &t.exchanges {
                if x.is_step() && x.status.is_some() && !x.url.contains("/table/") {
                    times
                        .entry(format!("{}/{}", t.api, t.operation))
                        .or_default()
                        .push(x.duration_ms);
                }
            }
        }
        times
    }

    /// Each documented case (`api/operation::case`) and its verdict in this run (`not run`
    /// when its trials were filtered out), from the coverage matrix.
    pub fn case_verdicts(&self) -> std::collections::BTreeMap<String, String> {
        self.coverage
            .iter()
            .flat_map(|m| &m.operations)
            .flat_map(|op| {
                op.cases.iter().filter_map(move |c| {
                    let verdict = c.run.as_ref()?.verdict.clone();
                    Some((format!("{}::{}", op.operation, c.id), verdict))
                })
            })
            .collect()
    }

    /// Each trial name and the documented cases (`api/operation::case`) it serves.
    pub fn cases_by_trial(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for op in self.coverage.iter().flat_map(|m| &m.operations) {
            for case in &op.cases {
                for trial in &case.trials {
                    out.entry(trial.clone())
                        .or_default()
                        .push(format!("{}::{}", op.operation, case.id));
                }
            }
        }
        out
    }

    /// Trials grouped by API, in order.
    pub fn by_api(&self) -> Vec<(&str, Vec<&TrialResult>)> {
        let mut out: Vec<(&str, Vec<&TrialResult>)> = Vec::new();
        for t in &self.trials {
            match out.last_mut() {
                Some((api, list)) if *api == t.api => list.push(t),
                _ => out.push((&t.api, vec![t])),
            }
        }
        out
    }
}
