//! `report.html`: one self-contained page (inline CSS and JS, no network) rendered by
//! minijinja from a view of the result model: the verdict first, then (given a baseline or a
//! history) what changed, the failures, the coverage matrix coloured by outcome, every trial
//! (failures first, filterable by outcome, API and text without a server, expected and actual
//! side by side, the exchanges collapsed), and the timings per operation.
//!
//! Every value goes through the template's HTML auto-escaping; nothing here builds markup.

use minijinja::{Environment, Value};
use serde::Serialize;

use super::diff::{Change, Diff};
use super::history::{self, History};
use super::{ExchangeRecord, Found, Item, RunReport, TrialResult, Verdict};

const TEMPLATE: &str = include_str!("report.html.j2");

/// Longest body shown for a trial that passed: the page stays small (a full suite's report
/// stays under 2 MB); report.json holds every body whole.
const PASSED_BODY_LIMIT: usize = 600;

/// What the page may show beside the run itself.
#[derive(Default)]
pub struct Extras<'a> {
    /// The comparison with a baseline (`run --baseline`).
    pub diff: Option<&'a Diff>,
    /// The history including this run (`run --history`).
    pub history: Option<&'a History>,
}

pub fn render(report: &RunReport, extras: &Extras<'_>) -> String {
    let mut env = Environment::new();
    // Block tags leave no blank lines behind: the page is smaller and its source readable.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // Named .html, so every value is HTML-escaped.
    if let Err(e) = env.add_template("report.html", TEMPLATE) {
        return format!("template error: {e}");
    }
    let page = page(report, extras);
    env.get_template("report.html")
        .and_then(|t| t.render(Value::from(minijinja::value::Serde(&page))))
        .unwrap_or_else(|e| format!("template error: {e:#}"))
}

#[derive(Serialize)]
struct Page {
    tool: String,
    date: String,
    base_url: String,
    target_kind: &'static str,
    duration: String,
    verdict: String,
    /// Why the run stopped before the suite, when it did.
    stopped: Option<String>,
    summary: super::Summary,
    note: Option<String>,
    records: super::Records,
    doctor: Option<String>,
    doctor_problems: Vec<(String, String)>,
    left_out: Vec<(String, usize)>,
    diff: Option<DiffView>,
    history: Option<HistoryView>,
    failures: Vec<FailureRow>,
    matrix: Vec<MatrixRow>,
    cases_covered: usize,
    cases_total: usize,
    apis: Vec<String>,
    outcomes: Vec<(&'static str, usize)>,
    trials: Vec<TrialView>,
    timings: Vec<Timing>,
}

#[derive(Serialize)]
struct FailureRow {
    scenario: String,
    outcome: &'static str,
    variants: String,
    message: String,
}

#[derive(Serialize)]
struct DiffView {
    headline: String,
    baseline: String,
    note: Option<String>,
    sections: Vec<DiffSection>,
    drift: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct DiffSection {
    key: &'static str,
    title: &'static str,
    cases: Vec<(String, String, String)>,
    trials: Vec<(String, String, String, String)>,
}

#[derive(Serialize)]
struct HistoryView {
    runs: usize,
    /// Cases that failed, were flaky or did not run in some of the runs shown.
    notable: Vec<history::CaseTrend>,
    /// The others: passed in every run shown.
    steady: Vec<history::CaseTrend>,
}

#[derive(Serialize)]
struct MatrixRow {
    operation: String,
    cases: Vec<MatrixCell>,
}

#[derive(Serialize)]
struct MatrixCell {
    id: String,
    status: u16,
    verdict: String,
    summary: String,
}

#[derive(Serialize)]
struct TrialView {
    name: String,
    api: String,
    outcome: &'static str,
    reason: Option<String>,
    location: String,
    duration: String,
    failures: Vec<FailureView>,
    warnings: Vec<String>,
    attempts: Vec<AttemptView>,
    exchanges: Vec<ExchangeView>,
    /// Lower-case text the filter box searches.
    search: String,
}

#[derive(Serialize)]
struct FailureView {
    /// Where and what: `specs/x.yaml:12: step "accept": status`.
    subject: String,
    expected: Option<String>,
    actual: Option<String>,
    /// The whole message, when it is not an expected/actual pair.
    text: String,
}

#[derive(Serialize)]
struct AttemptView {
    outcome: &'static str,
    failures: Vec<FailureView>,
    exchanges: Vec<ExchangeView>,
}

#[derive(Serialize)]
struct ExchangeView {
    during: String,
    method: String,
    url: String,
    status: String,
    class: &'static str,
    duration: String,
    request_headers: Vec<(String, String)>,
    request_body: Option<String>,
    response_headers: Vec<(String, String)>,
    response_body: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct Timing {
    operation: String,
    median: String,
    max: String,
    requests: usize,
    /// Bars of an inline SVG, one per request in order of duration: (x, height).
    bars: Vec<(usize, f64)>,
    width: usize,
}

fn page(report: &RunReport, extras: &Extras<'_>) -> Page {
    let mut trials: Vec<&TrialResult> = report.trials.iter().collect();
    // Failures first: a reader opens the page for them.
    trials.sort_by_key(|t| (rank(t.outcome), t.name.clone()));
    let mut apis: Vec<String> = report.trials.iter().map(|t| t.api.clone()).collect();
    apis.dedup();
    apis.sort();
    apis.dedup();
    let outcomes = [
        Verdict::Failed.as_str(),
        Verdict::Error.as_str(),
        Verdict::Flaky.as_str(),
        WARNED,
        Verdict::Passed.as_str(),
        Verdict::Ignored.as_str(),
    ]
    .into_iter()
    .map(|o| {
        (
            o,
            report
                .trials
                .iter()
                .filter(|t| shown_outcome(t) == o)
                .count(),
        )
    })
    .collect();
    let (matrix, cases_covered, cases_total) = matrix(report);
    Page {
        tool: report.tool.clone(),
        date: report.date.clone(),
        base_url: report.base_url.clone(),
        target_kind: report.target_kind.as_str(),
        duration: seconds(report.duration_ms),
        verdict: report.headline().to_string(),
        stopped: report.stopped.clone(),
        summary: report.summary.clone(),
        note: report.selection.describe(),
        records: report.records.clone(),
        doctor: report.doctor.as_ref().map(|d| d.counts_line()),
        doctor_problems: report
            .doctor
            .iter()
            .flat_map(|d| &d.checks)
            .filter(|c| c.status != crate::report::doctor::CheckStatus::Passed)
            .map(|c| (c.title.clone(), c.detail.clone()))
            .collect(),
        left_out: report.left_out(),
        diff: extras.diff.map(diff_view),
        history: extras.history.map(|h| {
            let (steady, notable) = history::trends(h, 14)
                .into_iter()
                .partition(|t| t.marks.chars().all(|c| c == '.'));
            HistoryView {
                runs: h.entries.len(),
                notable,
                steady,
            }
        }),
        failures: report
            .failure_groups()
            .into_iter()
            .map(|g| FailureRow {
                variants: g.variants_text(),
                outcome: g.outcome.as_str(),
                scenario: g.scenario,
                message: g.first_message,
            })
            .collect(),
        matrix,
        cases_covered,
        cases_total,
        apis,
        outcomes,
        trials: trials.into_iter().map(trial_view).collect(),
        timings: timings(report),
    }
}

/// The coverage matrix coloured by verdict: a row per operation, a cell per documented case;
/// and how many cases are covered, of how many.
fn matrix(report: &RunReport) -> (Vec<MatrixRow>, usize, usize) {
    match &report.coverage {
        Some(m) => (
            m.operations
                .iter()
                .map(|op| MatrixRow {
                    operation: op.operation.clone(),
                    cases: op
                        .cases
                        .iter()
                        .map(|c| MatrixCell {
                            id: c.id.clone(),
                            status: c.status,
                            verdict: if c.scenarios.is_empty() {
                                "not covered".into()
                            } else {
                                c.run.as_ref().map_or("not run".into(), |r| r.shown())
                            },
                            summary: c.summary.clone(),
                        })
                        .collect(),
                })
                .collect(),
            m.cases_covered,
            m.cases_total,
        ),
        None => (Vec::new(), 0, 0),
    }
}

fn rank(outcome: Verdict) -> u8 {
    match outcome {
        Verdict::Failed => 0,
        Verdict::Error => 1,
        Verdict::Flaky => 2,
        Verdict::Passed => 3,
        Verdict::Ignored | Verdict::NotRun => 4,
    }
}

fn seconds(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

fn diff_view(diff: &Diff) -> DiffView {
    let sections = Change::SHOWN
        .iter()
        .filter_map(|change| {
            let cases: Vec<_> = diff
                .cases_in(*change)
                .into_iter()
                .map(|e| (e.name.clone(), side(&e.before), side(&e.now)))
                .collect();
            let trials: Vec<_> = diff
                .trials_in(*change)
                .into_iter()
                .map(|e| {
                    (
                        e.name.clone(),
                        side(&e.before),
                        side(&e.now),
                        e.message.clone().unwrap_or_default(),
                    )
                })
                .collect();
            (!cases.is_empty() || !trials.is_empty()).then(|| DiffSection {
                key: change.key(),
                title: change.title(),
                cases,
                trials,
            })
        })
        .collect();
    DiffView {
        headline: diff.headline(),
        baseline: format!("{} against {}", diff.baseline.date, diff.baseline.base_url),
        note: diff.note.clone(),
        sections,
        drift: diff
            .drift
            .iter()
            .map(|d| {
                vec![
                    d.operation.clone(),
                    d.kind.label().to_string(),
                    if d.path.is_empty() {
                        d.step.clone()
                    } else {
                        format!("{} in {}", d.path, d.step)
                    },
                    d.before.clone(),
                    d.now.clone(),
                ]
            })
            .collect(),
    }
}

fn side(value: &Option<Verdict>) -> String {
    super::or_absent::text(*value).to_string()
}

/// The outcome the page shows: a passed trial with warnings is "warned", counted, badged and
/// filtered apart from the clean passes (it still passes the run).
fn shown_outcome(t: &TrialResult) -> &'static str {
    if t.outcome == Verdict::Passed && !t.found.warnings().is_empty() {
        WARNED
    } else {
        t.outcome.as_str()
    }
}

/// The page's word for a passed trial with warnings.
const WARNED: &str = "warned";

fn trial_view(t: &TrialResult) -> TrialView {
    let limit = (t.outcome == Verdict::Passed || t.outcome == Verdict::Ignored)
        .then_some(PASSED_BODY_LIMIT);
    let full_headers = limit.is_none();
    let failures = failure_views(&t.found);
    let warnings = t.warnings();
    let mut search = format!("{} {}", t.name, t.reason.as_deref().unwrap_or(""));
    for f in t.failures().iter().chain(&warnings) {
        search.push(' ');
        search.push_str(f);
    }
    for a in &t.attempts {
        for f in a.found.failures() {
            search.push(' ');
            search.push_str(&f);
        }
    }
    TrialView {
        name: t.name.clone(),
        api: t.api.clone(),
        outcome: shown_outcome(t),
        reason: t.reason.clone(),
        location: crate::source::assets::location(&t.file, t.line),
        duration: seconds(t.duration_ms),
        failures,
        warnings,
        attempts: t
            .attempts
            .iter()
            .map(|a| AttemptView {
                outcome: a.outcome.as_str(),
                failures: failure_views(&a.found),
                exchanges: a
                    .exchanges
                    .iter()
                    .map(|x| exchange_view(x, None, true))
                    .collect(),
            })
            .collect(),
        exchanges: t
            .exchanges
            .iter()
            .map(|x| exchange_view(x, limit, full_headers))
            .collect(),
        search: search.to_lowercase(),
    }
}

/// What fails a trial, each as what and where, expected and actual when it is a comparison;
/// anything else whole.
fn failure_views(found: &Found) -> Vec<FailureView> {
    found
        .failing()
        .into_iter()
        .map(|item| match item {
            Item::Finding(f) if f.is_comparison() => {
                let subject = match &f.at {
                    Some(at) => format!("{at}: {}", f.subject()),
                    None => f.subject(),
                };
                let actual = if f.context.is_empty() {
                    f.actual.clone()
                } else {
                    format!("{} (body: {})", f.actual, f.context)
                };
                FailureView {
                    subject,
                    expected: Some(f.expected.clone()),
                    actual: Some(actual),
                    text: f.to_string(),
                }
            }
            other => failure_view(&other.to_string()),
        })
        .collect()
}

/// A message read from an earlier release's report, split into what and where, expected and
/// actual: its checks worded every comparison as `<where>: expected <e>, got <a>`; any other
/// message is shown whole.
fn failure_view(message: &str) -> FailureView {
    if let Some((subject, rest)) = message.rsplit_once(": expected ") {
        if let Some((expected, actual)) = rest.split_once(", got ") {
            return FailureView {
                subject: subject.to_string(),
                expected: Some(expected.to_string()),
                actual: Some(actual.to_string()),
                text: message.to_string(),
            };
        }
    }
    FailureView {
        subject: String::new(),
        expected: None,
        actual: None,
        text: message.to_string(),
    }
}

fn exchange_view(x: &ExchangeRecord, limit: Option<usize>, headers: bool) -> ExchangeView {
    // For a trial that passed, a fixture's or a cleanup's bodies add nothing a reader needs
    // (report.json has them); the steps' bodies stay.
    let shown = headers || x.is_step();
    let body = |b: &Option<String>| b.as_deref().filter(|_| shown).map(|b| pretty(b, limit));
    ExchangeView {
        // An item of a Batch API request: its time is the whole batch's.
        during: match &x.batch {
            Some(_) => format!("{}, in a batch", x.origin),
            None => x.origin.to_string(),
        },
        method: x.method.clone(),
        url: x.url.clone(),
        status: x
            .status
            .map_or_else(|| "no answer".into(), |s| s.to_string()),
        class: match x.status {
            Some(200..=299) => "ok",
            Some(_) => "notok",
            None => "broken",
        },
        duration: seconds(x.duration_ms),
        request_headers: if headers {
            x.request_headers.clone()
        } else {
            Vec::new()
        },
        request_body: body(&x.request_body),
        response_headers: if headers {
            x.response_headers.clone()
        } else {
            Vec::new()
        },
        response_body: body(&x.response_body),
        error: x.error.clone(),
    }
}

/// A JSON body indented (any other body as it came), cut at `limit` characters.
fn pretty(body: &str, limit: Option<usize>) -> String {
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string());
    match limit {
        Some(limit) if text.chars().count() > limit => {
            let kept: String = text.chars().take(limit).collect();
            format!(
                "{kept}\n… {} more characters in report.json",
                text.chars().count() - limit
            )
        }
        _ => text,
    }
}

/// Per operation, the durations of its own requests (see
/// [`RunReport::median_latency_by_operation`]) as bars of a small chart.
fn timings(report: &RunReport) -> Vec<Timing> {
    let times = report.operation_latencies();
    let medians = report.median_latency_by_operation();
    let overall_max = times
        .values()
        .flatten()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(1.0);
    times
        .into_iter()
        .map(|(operation, mut list)| {
            list.sort_by(f64::total_cmp);
            let max = list.last().copied().unwrap_or(0.0);
            // At most 60 bars: every n-th request of a long sorted list.
            let step = list.len().div_ceil(60).max(1);
            let bars: Vec<(usize, f64)> = list
                .iter()
                .step_by(step)
                .enumerate()
                .map(|(i, d)| (i * 4, (d / overall_max * 30.0).max(1.0)))
                .collect();
            Timing {
                median: seconds(medians.get(&operation).copied().unwrap_or(0.0)),
                max: seconds(max),
                requests: list.len(),
                width: bars.len() * 4,
                bars,
                operation,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comparison_message_splits_into_expected_and_actual() {
        let f = failure_view(
            "specs/a.yaml:3: step \"x\": status: expected 200, got 201 (body: {\"a\": 1})",
        );
        assert_eq!(f.subject, "specs/a.yaml:3: step \"x\": status");
        assert_eq!(f.expected.as_deref(), Some("200"));
        assert_eq!(f.actual.as_deref(), Some("201 (body: {\"a\": 1})"));
        let other = failure_view("the instance did not answer");
        assert!(other.expected.is_none());
        assert_eq!(other.text, "the instance did not answer");
    }

    #[test]
    fn bodies_of_passed_trials_are_cut_and_json_is_indented() {
        assert_eq!(pretty("{\"a\":1}", None), "{\n  \"a\": 1\n}");
        let long = "x".repeat(50);
        assert!(pretty(&long, Some(10)).ends_with("40 more characters in report.json"));
    }
}
