//! The one result model of a run. Every reporter (terminal summary, JSON, JUnit, Markdown,
//! HTML) reads only this; `diff`, `compare`, `history` and `run --baseline` read it back from
//! `report.json`, whatever release wrote it (see [`REPORT_FORMAT`]).

use serde::{Deserialize, Serialize, Serializer};

use super::exchange::ExchangeRecord;
use super::finding::{Broken, CleanupProblem, Finding, Found};
use super::verdict::Verdict;

/// The format of `report.json` this release writes: 2 adds the typed findings (`findings`,
/// `broken`, `cleanup`), where each exchange came from (`origin`) and the format itself. A
/// report without `format` is format 1 (the releases before), and reads back with its
/// messages as findings recorded by an earlier release. See CHANGELOG.md.
pub const REPORT_FORMAT: u32 = 2;

/// What the run talked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetKind {
    /// The mock the run started in-process.
    #[serde(rename = "embedded mock")]
    EmbeddedMock,
    /// An instance (or a mock served on its own) given by its base URL.
    #[serde(rename = "instance")]
    Instance,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::EmbeddedMock => "embedded mock",
            TargetKind::Instance => "instance",
        }
    }
}

impl std::fmt::Display for TargetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One earlier attempt of a retried trial that did not pass.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "AttemptIn")]
pub struct Attempt {
    pub outcome: Verdict,
    pub duration_ms: f64,
    pub found: Found,
    pub exchanges: Vec<ExchangeRecord>,
}

/// The result of one trial: one scenario in one variant.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "TrialIn")]
pub struct TrialResult {
    pub name: String,
    pub api: String,
    pub operation: String,
    pub scenario: String,
    pub variant: String,
    pub file: String,
    pub line: usize,
    pub outcome: Verdict,
    /// Why an ignored trial was left out.
    pub reason: Option<String>,
    pub duration_ms: f64,
    /// What it found: why it broke, the checks that did not hold, what was not put back.
    pub found: Found,
    pub exchanges: Vec<ExchangeRecord>,
    /// Earlier attempts that failed or broke, when the trial was retried (`--retries`).
    pub attempts: Vec<Attempt>,
}

impl Attempt {
    /// What failed the attempt, as messages (what broke first).
    pub fn failures(&self) -> Vec<String> {
        self.found.failures()
    }

    /// What warned.
    pub fn warnings(&self) -> Vec<String> {
        self.found.warnings()
    }
}

impl TrialResult {
    /// What fails the trial, as messages (what broke first).
    pub fn failures(&self) -> Vec<String> {
        self.found.failures()
    }

    /// What warns: `should` findings and what could not be put back.
    pub fn warnings(&self) -> Vec<String> {
        self.found.warnings()
    }

    /// `api/operation::scenario`.
    pub fn scenario_key(&self) -> String {
        format!("{}/{}::{}", self.api, self.operation, self.scenario)
    }
}

/// What one attempt found, as `report.json` holds it: the messages as every release wrote
/// them, and the values they were made from.
#[derive(Serialize)]
struct FoundOut<'a> {
    failures: Vec<String>,
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broken: &'a Option<Broken>,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[CleanupProblem]>::is_empty")]
    cleanup: &'a [CleanupProblem],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    strict: bool,
}

impl<'a> FoundOut<'a> {
    fn of(found: &'a Found) -> Self {
        Self {
            failures: found.failures(),
            warnings: found.warnings(),
            broken: &found.broken,
            findings: &found.findings,
            cleanup: &found.cleanup,
            strict: found.strict,
        }
    }
}

/// What one attempt found, as any release's `report.json` holds it.
#[derive(Deserialize)]
struct FoundIn {
    #[serde(default)]
    failures: Vec<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    broken: Option<Broken>,
    /// Absent in a report of format 1.
    #[serde(default)]
    findings: Option<Vec<Finding>>,
    #[serde(default)]
    cleanup: Vec<CleanupProblem>,
    #[serde(default)]
    strict: bool,
}

impl FoundIn {
    fn into_found(self, outcome: Verdict) -> Found {
        match self.findings {
            Some(findings) => Found {
                broken: self.broken,
                findings,
                cleanup: self.cleanup,
                strict: self.strict,
            },
            None => Found::recorded(outcome == Verdict::Error, self.failures, self.warnings),
        }
    }
}

#[derive(Serialize)]
struct TrialOut<'a> {
    name: &'a str,
    api: &'a str,
    operation: &'a str,
    scenario: &'a str,
    variant: &'a str,
    file: &'a str,
    line: usize,
    outcome: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: &'a Option<String>,
    duration_ms: f64,
    #[serde(flatten)]
    found: FoundOut<'a>,
    exchanges: &'a [ExchangeRecord],
    #[serde(skip_serializing_if = "<[Attempt]>::is_empty")]
    attempts: &'a [Attempt],
}

impl Serialize for TrialResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TrialOut {
            name: &self.name,
            api: &self.api,
            operation: &self.operation,
            scenario: &self.scenario,
            variant: &self.variant,
            file: &self.file,
            line: self.line,
            outcome: self.outcome,
            reason: &self.reason,
            duration_ms: self.duration_ms,
            found: FoundOut::of(&self.found),
            exchanges: &self.exchanges,
            attempts: &self.attempts,
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
struct TrialIn {
    name: String,
    api: String,
    operation: String,
    scenario: String,
    variant: String,
    file: String,
    line: usize,
    outcome: Verdict,
    #[serde(default)]
    reason: Option<String>,
    duration_ms: f64,
    #[serde(flatten)]
    found: FoundIn,
    #[serde(default)]
    exchanges: Vec<ExchangeRecord>,
    #[serde(default)]
    attempts: Vec<Attempt>,
}

impl From<TrialIn> for TrialResult {
    fn from(t: TrialIn) -> Self {
        Self {
            found: t.found.into_found(t.outcome),
            name: t.name,
            api: t.api,
            operation: t.operation,
            scenario: t.scenario,
            variant: t.variant,
            file: t.file,
            line: t.line,
            outcome: t.outcome,
            reason: t.reason,
            duration_ms: t.duration_ms,
            exchanges: t.exchanges,
            attempts: t.attempts,
        }
    }
}

#[derive(Serialize)]
struct AttemptOut<'a> {
    outcome: Verdict,
    duration_ms: f64,
    #[serde(flatten)]
    found: FoundOut<'a>,
    exchanges: &'a [ExchangeRecord],
}

impl Serialize for Attempt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AttemptOut {
            outcome: self.outcome,
            duration_ms: self.duration_ms,
            found: FoundOut::of(&self.found),
            exchanges: &self.exchanges,
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
struct AttemptIn {
    outcome: Verdict,
    duration_ms: f64,
    #[serde(flatten)]
    found: FoundIn,
    #[serde(default)]
    exchanges: Vec<ExchangeRecord>,
}

impl From<AttemptIn> for Attempt {
    fn from(a: AttemptIn) -> Self {
        Self {
            found: a.found.into_found(a.outcome),
            outcome: a.outcome,
            duration_ms: a.duration_ms,
            exchanges: a.exchanges,
        }
    }
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
            if t.found.has_warnings() {
                s.warned += 1;
            }
            match t.outcome {
                Verdict::Passed => s.passed += 1,
                Verdict::Failed => s.failed += 1,
                Verdict::Error => s.error += 1,
                Verdict::Ignored | Verdict::NotRun => s.ignored += 1,
                Verdict::Flaky => s.flaky += 1,
            }
        }
        s
    }
}

/// What the run created on the instance and what it left there (0 on a normal run).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Records {
    /// Records created (fixtures, records the operations created, and records the instance
    /// made itself when the run inserted one).
    pub created: usize,
    /// Of `created`, the records the instance made itself (its business rules), learnt from
    /// the record the run inserted.
    #[serde(default)]
    pub by_instance: usize,
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
    /// Of `requests`, the Batch API requests answered as batches, and the run's own reads
    /// and deletes they carried (see `runner/batch.rs`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub batches: usize,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub batch_items: usize,
    /// The instance refused a Batch API request; the run went one by one from then on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub batch_refused: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
        let batches = match (self.batches, self.batch_refused) {
            (0, false) => String::new(),
            (n, false) => format!(" ({n} of them batches of {} reads and deletes)", self.batch_items),
            (n, true) => format!(
                " ({n} of them batches of {} reads and deletes; the instance refused a batch, the rest went one by one)",
                self.batch_items
            ),
        };
        format!(
            "in flight: settled at {} (started at {}, cap {}, range {}-{}; {} answer(s) 429, {} slowed); {} requests{batches}{per_trial}, {} trials at once",
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
    pub outcome: Verdict,
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
    /// The format the file was read in (1 when absent); always written as [`REPORT_FORMAT`],
    /// the format this release writes.
    #[serde(default = "format_one", serialize_with = "current_format")]
    pub format: u32,
    pub tool: String,
    pub base_url: String,
    /// The embedded mock, or an instance given with `--base-url`.
    pub target_kind: TargetKind,
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
    /// Why the run stopped before the suite (an option, a spec, or a target it could not
    /// use); such a report holds no trials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Where the run's own OAuth tokens did not live as documented, and what the run did
    /// instead of stopping (a fallback is reported, never silent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenNote>,
}

/// A step of the run's own token life that deviated from the documents, and what the run did
/// instead to keep going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenNote {
    pub step: super::finding::TokenStep,
    /// What deviated (`expires_in: expected ..., got nothing`).
    pub problem: String,
    /// What the run did instead.
    pub instead: String,
}

impl std::fmt::Display for TokenNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}; {}", self.step, self.problem, self.instead)
    }
}

fn format_one() -> u32 {
    1
}

fn current_format<S: Serializer>(_: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(REPORT_FORMAT)
}

impl RunReport {
    pub fn new(
        base_url: String,
        target_kind: TargetKind,
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
            format: REPORT_FORMAT,
            tool: format!("sn-conform {}", crate::VERSION),
            base_url,
            target_kind,
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
            stopped: None,
            tokens: Vec::new(),
        }
    }

    /// The report of a run that stopped before the suite, for `reason`: no trials, so that a
    /// CI dashboard still shows why the job is red.
    pub fn stopped_before_suite(
        base_url: String,
        target_kind: TargetKind,
        started_at: u64,
        strict: bool,
        reason: String,
    ) -> Self {
        Self {
            stopped: Some(reason),
            ..Self::new(base_url, target_kind, started_at, 0.0, strict, Vec::new())
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
            if t.outcome == Verdict::Ignored {
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

    /// Passed when no trial failed or broke; failed when one did, or when the doctor failed a
    /// check (whose trials were then left out); error when the run stopped before the suite.
    /// The headline and the exit status agree.
    pub fn verdict(&self) -> Verdict {
        if self.stopped.is_some() {
            return Verdict::Error;
        }
        let doctor_failed = self
            .doctor
            .as_ref()
            .is_some_and(|d| d.count(crate::report::doctor::CheckStatus::Failed) > 0);
        if self.summary.failed + self.summary.error > 0 || doctor_failed {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }

    /// The word a report's first line starts with: PASSED, FAILED, or STOPPED (before the
    /// suite).
    pub fn headline(&self) -> &'static str {
        match (self.stopped.is_some(), self.verdict()) {
            (true, _) => "STOPPED",
            (false, Verdict::Passed) => "PASSED",
            (false, _) => "FAILED",
        }
    }

    /// The failed and broken trials, one group per scenario in trial order.
    pub fn failure_groups(&self) -> Vec<FailureGroup> {
        let mut groups: Vec<FailureGroup> = Vec::new();
        for t in &self.trials {
            let scenario = t.scenario_key();
            if t.outcome.is_bad() {
                match groups.iter_mut().find(|g| g.scenario == scenario) {
                    Some(g) => {
                        g.variants.push(t.variant.clone());
                        if t.outcome == Verdict::Failed {
                            g.outcome = Verdict::Failed;
                        }
                    }
                    None => groups.push(FailureGroup {
                        scenario,
                        outcome: t.outcome,
                        variants: vec![t.variant.clone()],
                        of: 0,
                        first_message: t.found.first_failure().unwrap_or_default(),
                    }),
                }
            }
        }
        for g in &mut groups {
            g.of = self
                .trials
                .iter()
                .filter(|t| t.scenario_key() == g.scenario)
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
    pub fn case_verdicts(&self) -> std::collections::BTreeMap<String, Verdict> {
        self.coverage
            .iter()
            .flat_map(|m| &m.operations)
            .flat_map(|op| {
                op.cases.iter().filter_map(move |c| {
                    let verdict = c.run.as_ref()?.verdict;
                    Some((format!("{}::{}", op.operation, c.id), verdict))
                })
            })
            .collect()
    }

    /// The documented cases (`api/operation::case`) that passed with every passing trial
    /// warned: "warned" in the matrix and the history rather than "passed".
    pub fn warned_cases(&self) -> std::collections::BTreeSet<String> {
        self.coverage
            .iter()
            .flat_map(|m| &m.operations)
            .flat_map(|op| {
                op.cases.iter().filter_map(move |c| {
                    let run = c.run.as_ref()?;
                    (run.shown() == "warned").then(|| format!("{}::{}", op.operation, c.id))
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
