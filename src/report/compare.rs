//! Two instances side by side (`sn-conform compare --a … --b …`): every documented case where
//! the two answered differently, by outcome, status, content type or body shape, read from the
//! two runs' reports. Its first use is keeping a mock honest against a real instance.
//!
//! Built on [`super::diff`]: the same pairing of trials and exchanges, without latency (two
//! instances differ in speed by nature, not by behaviour).

use std::collections::BTreeMap;

use serde::Serialize;

use super::diff::{Change, Diff, DiffOptions, DriftKind};
use super::{or_absent, RunReport, Verdict};

/// One documented case where the two instances differ.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDifference {
    /// `api/operation::case`.
    pub case: String,
    /// The case's verdict on each side (`passed`, `failed`, …; `absent` when the side has
    /// no such case).
    #[serde(with = "super::or_absent")]
    pub a: Option<Verdict>,
    #[serde(with = "super::or_absent")]
    pub b: Option<Verdict>,
    /// What differed, one line each: outcomes of trials, statuses, fields.
    pub differences: Vec<String>,
}

/// Every difference between the two runs.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub cases: Vec<CaseDifference>,
    /// Differences of trials no documented case names (should be none).
    pub other: Vec<String>,
}

/// What a drift is about, read from neither side: a diff says a field "gone" since the
/// baseline, a comparison has no before and after, only a and b.
fn side_label(kind: DriftKind) -> &'static str {
    match kind {
        DriftKind::FieldMissing => "documented field",
        DriftKind::FieldRetyped => "documented field's type:",
        DriftKind::FieldUndocumented => "undocumented field",
        DriftKind::StatusChanged => "status:",
        DriftKind::ContentTypeChanged => "content type:",
        DriftKind::Slower => "median latency:",
    }
}

/// One side's value of a drift: a field is "present (its type)" or "absent".
fn side_value(kind: DriftKind, value: &str) -> String {
    match kind {
        DriftKind::FieldMissing | DriftKind::FieldUndocumented if value != "absent" => {
            format!("present ({value})")
        }
        _ => value.to_string(),
    }
}

impl Comparison {
    pub fn between(a: &RunReport, b: &RunReport) -> Self {
        let diff = Diff::between(
            a,
            b,
            DiffOptions {
                latency_threshold: f64::INFINITY,
                ..DiffOptions::default()
            },
        );
        let (va, vb) = (a.case_verdicts(), b.case_verdicts());
        // Which cases each trial serves (from either side's matrix).
        let mut cases_of = a.cases_by_trial();
        for (trial, cases) in b.cases_by_trial() {
            let list = cases_of.entry(trial).or_default();
            for case in cases {
                if !list.contains(&case) {
                    list.push(case);
                }
            }
        }
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut other = Vec::new();
        for entry in &diff.trials {
            if entry.change == Change::Unchanged {
                continue;
            }
            let line = format!(
                "trial {}: {} on a, {} on b",
                entry.name,
                or_absent::text(entry.before),
                or_absent::text(entry.now)
            );
            match cases_of.get(&entry.name) {
                Some(cases) => {
                    for c in cases {
                        found.entry(c.clone()).or_default().push(line.clone());
                    }
                }
                None => other.push(line),
            }
        }
        for drift in &diff.drift {
            let place = if drift.path.is_empty() {
                drift.step.clone()
            } else {
                format!("{} in {}", drift.path, drift.step)
            };
            let line = format!(
                "{} {}: {} on a, {} on b",
                side_label(drift.kind),
                place,
                side_value(drift.kind, &drift.before),
                side_value(drift.kind, &drift.now)
            );
            if drift.cases.is_empty() {
                other.push(format!("{}: {line}", drift.operation));
            }
            for c in &drift.cases {
                found.entry(c.clone()).or_default().push(line.clone());
            }
        }
        // A case whose verdict differs is listed even when no trial pairs up (absent on a side).
        for (case, v) in &vb {
            if va.get(case) != Some(v) {
                found.entry(case.clone()).or_default();
            }
        }
        for case in va.keys() {
            if !vb.contains_key(case) {
                found.entry(case.clone()).or_default();
            }
        }
        let cases = found
            .into_iter()
            .map(|(case, differences)| CaseDifference {
                a: va.get(&case).copied(),
                b: vb.get(&case).copied(),
                case,
                differences,
            })
            .collect();
        Self {
            a: a.base_url.clone(),
            b: b.base_url.clone(),
            cases,
            other,
        }
    }

    pub fn differs(&self) -> bool {
        !self.cases.is_empty() || !self.other.is_empty()
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "sn-conform compare: {} documented case(s) differ\n  a: {}\n  b: {}\n",
            self.cases.len(),
            self.a,
            self.b
        );
        for c in &self.cases {
            out.push_str(&format!(
                "\n{}: {} on a, {} on b\n",
                c.case,
                or_absent::text(c.a),
                or_absent::text(c.b)
            ));
            for d in &c.differences {
                out.push_str(&format!("  {d}\n"));
            }
        }
        if !self.other.is_empty() {
            out.push_str("\nnot tied to a documented case:\n");
            for o in &self.other {
                out.push_str(&format!("  {o}\n"));
            }
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## sn-conform compare: {} documented case(s) differ\n\n- a: `{}`\n- b: `{}`\n\n",
            self.cases.len(),
            self.a,
            self.b
        );
        if !self.cases.is_empty() {
            out.push_str("| documented case | a | b | what differs |\n|---|---|---|---|\n");
            for c in &self.cases {
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    c.case,
                    or_absent::text(c.a),
                    or_absent::text(c.b),
                    c.differences.join("<br>").replace('|', "\\|")
                ));
            }
        }
        for o in &self.other {
            out.push_str(&format!("- {o}\n"));
        }
        out
    }
}
