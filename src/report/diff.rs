//! What changed between two runs, read from their two reports: each trial and each documented
//! case classified (regression, fixed, still failing, flaky, newly run, no longer run, added,
//! removed), and the drift of the answers even where every trial still passes (a documented
//! field gone or retyped, an undocumented field new, a status or `Content-Type` changed, an
//! operation slower beyond a threshold).
//!
//! Everything here reads the result model ([`RunReport`]); nothing reaches into a run.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{ExchangeRecord, RunReport, Verdict};

/// How a trial (or a documented case) changed from the baseline to the current run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Passed (or was flaky) before; fails or breaks now.
    Regression,
    /// Failed or broke before; passes now.
    Fixed,
    /// Failed or broke in both runs.
    StillFailing,
    /// Failed, then passed when retried, in the current run.
    Flaky,
    /// Ignored before; run now (whatever its outcome).
    NewlyRun,
    /// Run before; ignored now.
    NoLongerRun,
    /// Only in the current run.
    Added,
    /// Only in the baseline.
    Removed,
    /// Same outcome (passed or ignored) in both.
    Unchanged,
}

impl Change {
    /// Every category a reader is shown, in the order they are shown.
    pub const SHOWN: [Change; 8] = [
        Change::Regression,
        Change::Fixed,
        Change::StillFailing,
        Change::Flaky,
        Change::NewlyRun,
        Change::NoLongerRun,
        Change::Added,
        Change::Removed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Change::Regression => "regression",
            Change::Fixed => "fixed",
            Change::StillFailing => "still_failing",
            Change::Flaky => "flaky",
            Change::NewlyRun => "newly_run",
            Change::NoLongerRun => "no_longer_run",
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Unchanged => "unchanged",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Change::Regression => "regressions: passed before, fail now",
            Change::Fixed => "fixed: failed before, pass now",
            Change::StillFailing => "still failing: failed in both runs",
            Change::Flaky => "flaky: failed, then passed when retried",
            Change::NewlyRun => "newly run: ignored before, run now",
            Change::NoLongerRun => "no longer run: run before, ignored now",
            Change::Added => "added: only in the current run",
            Change::Removed => "removed: only in the baseline",
            Change::Unchanged => "unchanged",
        }
    }

    /// Classifies one verdict pair, of a trial or of a documented case; `None` means absent
    /// from that run (a case `not run` is taken as absent by the caller).
    pub fn of(before: Option<Verdict>, now: Option<Verdict>) -> Change {
        match (before, now) {
            (None, None) => Change::Unchanged,
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(_), Some(Verdict::Flaky)) => Change::Flaky,
            (Some(b), Some(n)) if b.is_good() && n.is_bad() => Change::Regression,
            (Some(b), Some(Verdict::Passed)) if b.is_bad() => Change::Fixed,
            (Some(b), Some(n)) if b.is_bad() && n.is_bad() => Change::StillFailing,
            (Some(Verdict::Ignored), Some(n)) if n != Verdict::Ignored => Change::NewlyRun,
            (Some(b), Some(Verdict::Ignored)) if b != Verdict::Ignored => Change::NoLongerRun,
            _ => Change::Unchanged,
        }
    }
}

/// One trial or case and how it changed.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub name: String,
    pub change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<Verdict>,
    /// The first failure message of the current run, for a regression or a still failing one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What drifted in the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A documented field the baseline's answer had is gone.
    FieldMissing,
    /// A documented field has another JSON type.
    FieldRetyped,
    /// A field the documents do not name appeared.
    FieldUndocumented,
    StatusChanged,
    ContentTypeChanged,
    /// The operation's median latency grew beyond the threshold.
    Slower,
}

impl DriftKind {
    pub fn label(self) -> &'static str {
        match self {
            DriftKind::FieldMissing => "documented field gone",
            DriftKind::FieldRetyped => "documented field changed type",
            DriftKind::FieldUndocumented => "undocumented field appeared",
            DriftKind::StatusChanged => "status changed",
            DriftKind::ContentTypeChanged => "content-type changed",
            DriftKind::Slower => "slower",
        }
    }
}

/// One drift, folded over the trials that show it.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// `api/operation`.
    pub operation: String,
    /// The documented cases whose trials show it (from the current run's coverage matrix).
    pub cases: Vec<String>,
    pub kind: DriftKind,
    /// The step that sent the request (`step "accept"`); empty for latency.
    pub step: String,
    /// The field path, for field drift.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    pub before: String,
    pub now: String,
    /// How many trials show it.
    pub trials: usize,
}

impl Drift {
    pub fn text(&self) -> String {
        let place = match (self.path.is_empty(), self.step.is_empty()) {
            (false, _) => format!(" {} in {}", self.path, self.step),
            (true, false) => format!(" in {}", self.step),
            (true, true) => String::new(),
        };
        format!(
            "{}: {}{place}: {} -> {} ({} trial{})",
            self.operation,
            self.kind.label(),
            self.before,
            self.now,
            self.trials,
            if self.trials == 1 { "" } else { "s" }
        )
    }
}

/// Options of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct DiffOptions {
    /// An operation is `slower` when its median latency is more than this factor of the
    /// baseline's.
    pub latency_threshold: f64,
    /// ... and more than this many milliseconds slower: on a fast target, a 2x change of a 1 ms
    /// median is noise.
    pub latency_floor_ms: f64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            latency_threshold: 2.0,
            latency_floor_ms: 50.0,
        }
    }
}

/// Two runs compared.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub baseline: RunSide,
    pub current: RunSide,
    /// Set when the two runs selected different trials (a filter, `--skip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every trial whose change is not `unchanged`, by category then name.
    pub trials: Vec<Entry>,
    /// Every documented case whose verdict changed, by category then name.
    pub cases: Vec<Entry>,
    pub drift: Vec<Drift>,
}

/// Which run one side is.
#[derive(Debug, Clone, Serialize)]
pub struct RunSide {
    pub date: String,
    pub base_url: String,
    pub tool: String,
}

impl RunSide {
    fn of(report: &RunReport) -> Self {
        Self {
            date: report.date.clone(),
            base_url: report.base_url.clone(),
            tool: report.tool.clone(),
        }
    }
}

/// When a comparison fails the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Never.
    None,
    /// When a trial regressed (passed before, fails now).
    Regression,
    /// When a trial regressed or was flaky.
    Flaky,
    /// When anything is not clean: a regression, a flaky or still failing trial, a newly run
    /// trial that fails, or drift.
    Any,
}

impl Diff {
    pub fn between(baseline: &RunReport, current: &RunReport, options: DiffOptions) -> Self {
        let mut trials = Vec::new();
        let before: BTreeMap<&str, &super::TrialResult> = baseline
            .trials
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        let now: BTreeMap<&str, &super::TrialResult> = current
            .trials
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        let names: BTreeSet<&str> = before.keys().chain(now.keys()).copied().collect();
        for name in names {
            let b = before.get(name).map(|t| t.outcome);
            let n = now.get(name).map(|t| t.outcome);
            let change = Change::of(b, n);
            if change == Change::Unchanged {
                continue;
            }
            trials.push(Entry {
                name: name.to_string(),
                change,
                before: b,
                now: n,
                message: now
                    .get(name)
                    .filter(|t| t.outcome.is_bad())
                    .and_then(|t| t.found.first_failure()),
            });
        }
        trials.sort_by(|a, b| a.change.cmp(&b.change).then_with(|| a.name.cmp(&b.name)));

        // A case not run (filtered out) counts as absent from that run.
        let verdicts = |r: &RunReport| -> BTreeMap<String, Verdict> {
            let mut all = r.case_verdicts();
            all.retain(|_, v| *v != Verdict::NotRun);
            all
        };
        let (case_before, case_now) = (verdicts(baseline), verdicts(current));
        let case_names: BTreeSet<&String> = case_before.keys().chain(case_now.keys()).collect();
        let mut cases: Vec<Entry> = case_names
            .into_iter()
            .filter_map(|name| {
                let b = case_before.get(name).copied();
                let n = case_now.get(name).copied();
                let change = Change::of(b, n);
                (change != Change::Unchanged).then(|| Entry {
                    name: name.clone(),
                    change,
                    before: b,
                    now: n,
                    message: None,
                })
            })
            .collect();
        cases.sort_by(|a, b| a.change.cmp(&b.change).then_with(|| a.name.cmp(&b.name)));

        let note = (baseline.selection.trials_selected != current.selection.trials_selected
            || baseline.selection.filter != current.selection.filter
            || baseline.selection.skip != current.selection.skip)
            .then(|| {
                format!(
                    "the two reports did not run the same selection: the baseline ran {}, the current run {}",
                    selection_text(baseline),
                    selection_text(current)
                )
            });
        Self {
            baseline: RunSide::of(baseline),
            current: RunSide::of(current),
            note,
            trials,
            cases,
            drift: drift(baseline, current, options),
        }
    }

    /// The trial entries of one category.
    pub fn trials_in(&self, change: Change) -> Vec<&Entry> {
        self.trials.iter().filter(|e| e.change == change).collect()
    }

    pub fn cases_in(&self, change: Change) -> Vec<&Entry> {
        self.cases.iter().filter(|e| e.change == change).collect()
    }

    /// Whether the comparison fails under `fail_on`.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        let has = |c: Change| self.trials.iter().any(|e| e.change == c);
        match fail_on {
            FailOn::None => false,
            FailOn::Regression => has(Change::Regression),
            FailOn::Flaky => has(Change::Regression) || has(Change::Flaky),
            FailOn::Any => {
                has(Change::Regression)
                    || has(Change::Flaky)
                    || has(Change::StillFailing)
                    || self.trials.iter().any(|e| {
                        matches!(e.change, Change::NewlyRun | Change::Added)
                            && e.now.is_some_and(Verdict::is_bad)
                    })
                    || !self.drift.is_empty()
            }
        }
    }

    /// `3 regressions, 1 fixed, 2 drifts`: the headline.
    pub fn headline(&self) -> String {
        let mut parts: Vec<String> = Change::SHOWN
            .iter()
            .filter_map(|c| {
                let n = self.trials_in(*c).len();
                (n > 0).then(|| {
                    let plural = if *c == Change::Regression && n != 1 {
                        "s"
                    } else {
                        ""
                    };
                    format!("{n} {}{plural}", c.key().replace('_', " "))
                })
            })
            .collect();
        if !self.drift.is_empty() {
            parts.push(format!("{} drift", self.drift.len()));
        }
        if parts.is_empty() {
            "no change".to_string()
        } else {
            parts.join(", ")
        }
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "sn-conform diff: {}\nbaseline {} ({}), current {} ({})\n",
            self.headline(),
            self.baseline.date,
            self.baseline.base_url,
            self.current.date,
            self.current.base_url
        );
        if let Some(note) = &self.note {
            out.push_str(&format!("note: {note}\n"));
        }
        for change in Change::SHOWN {
            let trials = self.trials_in(change);
            let cases = self.cases_in(change);
            if trials.is_empty() && cases.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n{} ({} trial{}, {} documented case{})\n",
                change.title(),
                trials.len(),
                if trials.len() == 1 { "" } else { "s" },
                cases.len(),
                if cases.len() == 1 { "" } else { "s" },
            ));
            for c in &cases {
                out.push_str(&format!("  case  {}{}\n", c.name, outcomes(c)));
            }
            for t in &trials {
                out.push_str(&format!("  trial {}{}\n", t.name, outcomes(t)));
                if let Some(m) = &t.message {
                    out.push_str(&format!("        {m}\n"));
                }
            }
        }
        if !self.drift.is_empty() {
            out.push_str(&format!(
                "\ndrift ({}): the answers changed\n",
                self.drift.len()
            ));
            for d in &self.drift {
                out.push_str(&format!("  {}\n", d.text()));
            }
        }
        out
    }

    /// The diff in `format`, ending in a newline; the JSON carries the headline and whether
    /// the comparison fails under `fail_on`.
    pub fn render(&self, format: super::Format, fail_on: FailOn) -> String {
        match format {
            super::Format::Text => self.text(),
            super::Format::Markdown => self.markdown(),
            super::Format::Json => {
                let mut json = serde_json::to_value(self).unwrap_or_default();
                if let Some(map) = json.as_object_mut() {
                    map.insert("headline".into(), self.headline().into());
                    map.insert("fails".into(), self.fails(fail_on).into());
                }
                // A tree of strings, numbers and booleans always serializes.
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                )
            }
        }
    }

    /// The Markdown a CI job posts: headline, then a section per non-empty category.
    pub fn markdown(&self) -> String {
        let mut out = format!("## sn-conform diff: {}\n\n", self.headline());
        out.push_str(&format!(
            "Baseline {} against `{}`; current {} against `{}`.\n\n",
            self.baseline.date, self.baseline.base_url, self.current.date, self.current.base_url
        ));
        if let Some(note) = &self.note {
            out.push_str(&format!("> **Note:** {note}\n\n"));
        }
        for change in Change::SHOWN {
            let trials = self.trials_in(change);
            let cases = self.cases_in(change);
            if trials.is_empty() && cases.is_empty() {
                continue;
            }
            out.push_str(&format!("### {}\n\n", change.title()));
            if !cases.is_empty() {
                out.push_str("| documented case | before | now |\n|---|---|---|\n");
                for c in &cases {
                    out.push_str(&format!(
                        "| `{}` | {} | {} |\n",
                        c.name,
                        c.before.map_or("-", Verdict::as_str),
                        c.now.map_or("-", Verdict::as_str)
                    ));
                }
                out.push('\n');
            }
            out.push_str("| trial | before | now | first failure |\n|---|---|---|---|\n");
            for t in &trials {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    md_cell(&t.name),
                    t.before.map_or("-", Verdict::as_str),
                    t.now.map_or("-", Verdict::as_str),
                    md_cell(t.message.as_deref().unwrap_or(""))
                ));
            }
            out.push('\n');
        }
        if !self.drift.is_empty() {
            out.push_str("### drift: the answers changed\n\n");
            out.push_str(
                "| operation | what | where | before | now | trials |\n|---|---|---|---|---|---|\n",
            );
            for d in &self.drift {
                let place = if d.path.is_empty() {
                    d.step.clone()
                } else {
                    format!("`{}` in {}", d.path, d.step)
                };
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} | {} |\n",
                    d.operation,
                    d.kind.label(),
                    md_cell(&place),
                    md_cell(&d.before),
                    md_cell(&d.now),
                    d.trials
                ));
            }
            out.push('\n');
        }
        out
    }
}

/// `12 trials (filter `accept`) (--skip `xml`)`.
fn selection_text(report: &RunReport) -> String {
    let mut text = format!("{} trials", report.trials.len());
    if let Some(f) = &report.selection.filter {
        text.push_str(&format!(" (filter `{f}`)"));
    }
    for s in &report.selection.skip {
        text.push_str(&format!(" (--skip `{s}`)"));
    }
    text
}

fn outcomes(e: &Entry) -> String {
    format!(
        ": {} -> {}",
        super::or_absent::text(e.before),
        super::or_absent::text(e.now)
    )
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The media type of a `Content-Type`, without parameters, lower case.
fn media_type(value: Option<&str>) -> String {
    value
        .unwrap_or("none")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether `path` is one of `undocumented` or lies under one.
fn under_any(path: &str, undocumented: &[String]) -> bool {
    undocumented.iter().any(|u| {
        path == u || path.starts_with(&format!("{u}.")) || path.starts_with(&format!("{u}[]"))
    })
}

/// Key of one drift before folding: (operation, kind, step, path, before, now).
type DriftKey = (String, DriftKind, String, String, String, String);

fn drift(baseline: &RunReport, current: &RunReport, options: DiffOptions) -> Vec<Drift> {
    let before: BTreeMap<&str, &super::TrialResult> = baseline
        .trials
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    // Which documented cases each trial of the current run serves.
    let cases_of = current.cases_by_trial();
    let mut found: BTreeMap<DriftKey, (usize, BTreeSet<String>)> = BTreeMap::new();
    for now in &current.trials {
        let Some(then) = before.get(now.name.as_str()) else {
            continue;
        };
        let operation = format!("{}/{}", now.api, now.operation);
        for (b, n) in paired_steps(&then.exchanges, &now.exchanges) {
            let mut seen = Vec::new();
            compare_exchange(b, n, &mut seen);
            for (kind, path, was, is) in seen {
                let entry = found
                    .entry((operation.clone(), kind, n.origin.to_string(), path, was, is))
                    .or_default();
                entry.0 += 1;
                entry.1.extend(
                    cases_of
                        .get(now.name.as_str())
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
        }
    }
    let mut out: Vec<Drift> = found
        .into_iter()
        .map(
            |((operation, kind, step, path, before, now), (trials, cases))| Drift {
                operation,
                cases: cases.into_iter().collect(),
                kind,
                step,
                path,
                before,
                now,
                trials,
            },
        )
        .collect();
    let medians_before = baseline.median_latency_by_operation();
    for (operation, now) in current.median_latency_by_operation() {
        if let Some(then) = medians_before.get(&operation) {
            if now > then * options.latency_threshold && now - then > options.latency_floor_ms {
                out.push(Drift {
                    operation,
                    cases: Vec::new(),
                    kind: DriftKind::Slower,
                    step: String::new(),
                    path: String::new(),
                    before: format!("{then:.0} ms median"),
                    now: format!("{now:.0} ms median"),
                    trials: 0,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (
            a.operation.as_str(),
            a.kind,
            a.step.as_str(),
            a.path.as_str(),
        )
            .cmp(&(
                b.operation.as_str(),
                b.kind,
                b.step.as_str(),
                b.path.as_str(),
            ))
    });
    out
}

/// The step exchanges of two attempts at one trial, paired by step and order within it.
fn paired_steps<'a>(
    before: &'a [ExchangeRecord],
    now: &'a [ExchangeRecord],
) -> Vec<(&'a ExchangeRecord, &'a ExchangeRecord)> {
    let group = |list: &'a [ExchangeRecord]| {
        let mut map: BTreeMap<String, Vec<&'a ExchangeRecord>> = BTreeMap::new();
        for x in list.iter().filter(|x| x.is_step()) {
            map.entry(x.origin.to_string()).or_default().push(x);
        }
        map
    };
    let (b, n) = (group(before), group(now));
    let mut out = Vec::new();
    for (step, list) in &n {
        if let Some(then) = b.get(step) {
            out.extend(then.iter().copied().zip(list.iter().copied()));
        }
    }
    out
}

/// The drift between two answers to the same request: (kind, path, before, now).
fn compare_exchange(
    before: &ExchangeRecord,
    now: &ExchangeRecord,
    out: &mut Vec<(DriftKind, String, String, String)>,
) {
    let (Some(bs), Some(ns)) = (before.status, now.status) else {
        return;
    };
    if bs != ns {
        // Another status answers with another body: the status is the drift.
        out.push((
            DriftKind::StatusChanged,
            String::new(),
            bs.to_string(),
            ns.to_string(),
        ));
        return;
    }
    let (bt, nt) = (
        media_type(before.content_type()),
        media_type(now.content_type()),
    );
    if bt != nt {
        out.push((DriftKind::ContentTypeChanged, String::new(), bt, nt));
        return;
    }
    let (Some(b_shape), Some(n_shape)) = (&before.shape, &now.shape) else {
        return;
    };
    for (path, was) in b_shape {
        if under_any(path, &before.undocumented) {
            continue;
        }
        match n_shape.get(path) {
            None => out.push((
                DriftKind::FieldMissing,
                path.clone(),
                was.clone(),
                "absent".into(),
            )),
            Some(is) if is != was => out.push((
                DriftKind::FieldRetyped,
                path.clone(),
                was.clone(),
                is.clone(),
            )),
            Some(_) => {}
        }
    }
    for path in &now.undocumented {
        if !before.undocumented.contains(path) {
            let is = n_shape.get(path).cloned().unwrap_or_default();
            out.push((
                DriftKind::FieldUndocumented,
                path.clone(),
                "absent".into(),
                is,
            ));
        }
    }
}
