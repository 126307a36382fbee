//! The history of nightly runs: one JSON line per run appended to a file (`run --history`),
//! and the trend per documented case read back from it (`sn-conform history`, and the
//! history section of `report.html`).
//!
//! A line that does not read (a run killed mid-write, a hand edit) is skipped with a warning
//! that names it; the file itself is only ever appended to, never rewritten.

use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{or_absent, RunReport, Summary, TargetKind, Verdict};

/// The format of a history line this release writes: 2 adds `format` itself (the lines are
/// otherwise as before); a line without it is format 1 and reads the same.
pub const HISTORY_FORMAT: u32 = 2;

/// One run, as the history keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The line's format ([`HISTORY_FORMAT`] when written; 1 when absent).
    #[serde(default = "format_one")]
    pub format: u32,
    pub date: String,
    pub started_at: u64,
    pub base_url: String,
    pub target_kind: TargetKind,
    pub tool: String,
    pub duration_ms: f64,
    pub summary: Summary,
    /// Each documented case (`api/operation::case`) and its verdict in this run.
    pub cases: BTreeMap<String, Verdict>,
    /// The passed cases whose passing trials all warned (a `should` did not hold): shown
    /// `w`, apart from the clean passes. Absent in lines written before it existed.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub warned: std::collections::BTreeSet<String>,
    /// Each operation's median latency in milliseconds.
    pub latency_ms: BTreeMap<String, f64>,
}

fn format_one() -> u32 {
    1
}

impl HistoryEntry {
    pub fn of(report: &RunReport) -> Self {
        let cases = report.case_verdicts();
        let warned = report.warned_cases();
        Self {
            format: HISTORY_FORMAT,
            date: report.date.clone(),
            started_at: report.started_at,
            base_url: report.base_url.clone(),
            target_kind: report.target_kind,
            tool: report.tool.clone(),
            duration_ms: report.duration_ms,
            summary: report.summary.clone(),
            cases,
            warned,
            latency_ms: report.median_latency_by_operation(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read the history {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot append to the history {path}: {source}")]
    Append {
        path: String,
        source: std::io::Error,
    },
}

/// Appends `entry` as one line, flushed to disk before returning.
pub fn append(path: &Path, entry: &HistoryEntry) -> Result<(), HistoryError> {
    let error = |source| HistoryError::Append {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    let mut line = serde_json::to_string(entry)
        .map_err(|e| error(std::io::Error::other(e)))?
        .into_bytes();
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    // A file whose last line lacks its newline (a run killed mid-write) gets one first, so
    // that the damage stays on that line. Only the last byte is read.
    if file.metadata().map_err(error)?.len() > 0 {
        let mut last = [0u8; 1];
        file.seek(std::io::SeekFrom::End(-1)).map_err(error)?;
        file.read_exact(&mut last).map_err(error)?;
        if last[0] != b'\n' {
            file.write_all(b"\n").map_err(error)?;
        }
    }
    file.write_all(&line).map_err(error)?;
    file.sync_all().map_err(error)
}

/// A history as read: its runs in file order, and a warning per line that did not read.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub entries: Vec<HistoryEntry>,
    pub warnings: Vec<String>,
}

/// Reads the history at `path`; a missing file is an empty history.
pub fn read(path: &Path) -> Result<History, HistoryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(source) => {
            return Err(HistoryError::Read {
                path: path.display().to_string(),
                source,
            })
        }
    };
    let mut history = History::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryEntry>(line) {
            Ok(entry) => history.entries.push(entry),
            Err(e) => history.warnings.push(format!(
                "{}:{}: skipped a line that is not a history entry ({e})",
                path.display(),
                i + 1
            )),
        }
    }
    Ok(history)
}

/// The trend of one documented case over the last runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseTrend {
    pub case: String,
    /// One mark per run, oldest first: `.` passed, `F` failed, `E` error, `~` flaky, `-` not
    /// run (ignored, filtered out, or not in the suite then).
    pub marks: String,
    /// The verdict of the latest run (`absent` when the case was not in it).
    #[serde(with = "or_absent")]
    pub latest: Option<Verdict>,
    /// When the case has been failing since (the first run of the current failing streak).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// Flaky runs over the runs where the case ran.
    pub flake_rate: f64,
}

/// The trends of every case seen in the last `last` runs, failing cases first.
pub fn trends(history: &History, last: usize) -> Vec<CaseTrend> {
    let start = history.entries.len().saturating_sub(last.max(1));
    let runs = &history.entries[start..];
    let mut names: Vec<&String> = runs.iter().flat_map(|r| r.cases.keys()).collect();
    names.sort();
    names.dedup();
    let mut out: Vec<CaseTrend> = names
        .into_iter()
        .map(|case| {
            let verdicts: Vec<Option<Verdict>> =
                runs.iter().map(|r| r.cases.get(case).copied()).collect();
            let marks: String = runs
                .iter()
                .zip(&verdicts)
                .map(|(run, v)| {
                    if *v == Some(Verdict::Passed) && run.warned.contains(case) {
                        'w'
                    } else {
                        Verdict::mark(*v)
                    }
                })
                .collect();
            let ran = verdicts.iter().flatten().filter(|v| v.ran()).count();
            let flaky = verdicts
                .iter()
                .filter(|v| **v == Some(Verdict::Flaky))
                .count();
            // Walk back from the latest run over the failing streak.
            let mut since = None;
            for (run, verdict) in runs.iter().zip(&verdicts).rev() {
                if verdict.is_some_and(Verdict::is_bad) {
                    since = Some(run.date.clone());
                } else {
                    break;
                }
            }
            CaseTrend {
                case: case.clone(),
                marks,
                latest: verdicts.last().copied().flatten(),
                failing_since: since,
                flake_rate: if ran == 0 {
                    0.0
                } else {
                    flaky as f64 / ran as f64
                },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.failing_since.is_none(), a.flake_rate == 0.0, &a.case).cmp(&(
            b.failing_since.is_none(),
            b.flake_rate == 0.0,
            &b.case,
        ))
    });
    out
}

/// The trends as text: a header, then one line per case.
pub fn text(history: &History, trends: &[CaseTrend]) -> String {
    let mut out = String::new();
    let runs = history.entries.len();
    let shown = trends.first().map_or(0, |t| t.marks.chars().count());
    out.push_str(&format!(
        "{runs} run(s) in the history; the last {shown}, oldest first (. passed, w passed with warnings, F failed, E error, ~ flaky, - not run)\n"
    ));
    if let Some(last) = history.entries.last() {
        out.push_str(&format!(
            "latest: {} against {}: {} passed ({} warned), {} failed, {} errors, {} flaky, {} ignored\n",
            last.date,
            last.base_url,
            last.summary.passed,
            last.summary.warned,
            last.summary.failed,
            last.summary.error,
            last.summary.flaky,
            last.summary.ignored
        ));
    }
    let width = trends.iter().map(|t| t.case.len()).max().unwrap_or(0);
    for t in trends {
        let line = format!("  {:<width$}  {}  {}", t.case, t.marks, note(t));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The trends as Markdown.
pub fn markdown(history: &History, trends: &[CaseTrend]) -> String {
    let mut out = format!(
        "## sn-conform history: {} run(s)\n\nOldest first: `.` passed, `w` passed with warnings, `F` failed, `E` error, `~` flaky, `-` not run.\n\n| documented case | runs | latest | note |\n|---|---|---|---|\n",
        history.entries.len()
    );
    for t in trends {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            t.case,
            t.marks,
            or_absent::text(t.latest),
            note(t)
        ));
    }
    out
}

fn note(t: &CaseTrend) -> String {
    let mut parts = Vec::new();
    if let Some(since) = &t.failing_since {
        parts.push(format!("failing since {since}"));
    }
    if t.flake_rate > 0.0 {
        parts.push(format!("flaky in {:.0}% of runs", t.flake_rate * 100.0));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(date: &str, cases: &[(&str, Verdict)]) -> HistoryEntry {
        HistoryEntry {
            format: HISTORY_FORMAT,
            date: date.into(),
            started_at: 0,
            base_url: "http://x".into(),
            target_kind: TargetKind::EmbeddedMock,
            tool: "sn-conform".into(),
            duration_ms: 1.0,
            summary: Summary::default(),
            cases: cases.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
            warned: Default::default(),
            latency_ms: BTreeMap::new(),
        }
    }

    #[test]
    fn a_case_that_passed_with_warnings_is_marked_apart_from_clean_passes() {
        let mut warned = entry(
            "d2",
            &[("a::x", Verdict::Passed), ("a::y", Verdict::Passed)],
        );
        warned.warned.insert("a::x".into());
        let history = History {
            entries: vec![entry("d1", &[("a::x", Verdict::Passed)]), warned],
            warnings: Vec::new(),
        };
        let trends = trends(&history, 10);
        let x = trends.iter().find(|t| t.case == "a::x").unwrap();
        assert_eq!(x.marks, ".w");
        let y = trends.iter().find(|t| t.case == "a::y").unwrap();
        assert_eq!(y.marks, "-.");
        assert!(text(&history, &trends).contains("w passed with warnings"));
        // A line without the field (written before it) reads as no warned case.
        let line = serde_json::to_string(&entry("d3", &[])).unwrap();
        assert!(!line.contains("\"warned\":["), "{line}");
        let back: HistoryEntry = serde_json::from_str(&line).unwrap();
        assert!(back.warned.is_empty());
    }

    #[test]
    fn marks_streaks_and_flake_rates() {
        let history = History {
            entries: vec![
                entry(
                    "d1",
                    &[
                        ("a", Verdict::Passed),
                        ("b", Verdict::Failed),
                        ("c", Verdict::Passed),
                    ],
                ),
                entry(
                    "d2",
                    &[
                        ("a", Verdict::Failed),
                        ("b", Verdict::Passed),
                        ("c", Verdict::Flaky),
                    ],
                ),
                entry(
                    "d3",
                    &[
                        ("a", Verdict::Error),
                        ("b", Verdict::Passed),
                        ("c", Verdict::Passed),
                    ],
                ),
            ],
            warnings: Vec::new(),
        };
        let trends = trends(&history, 10);
        let a = trends.iter().find(|t| t.case == "a").unwrap();
        assert_eq!(a.marks, ".FE");
        assert_eq!(a.failing_since.as_deref(), Some("d2"));
        let b = trends.iter().find(|t| t.case == "b").unwrap();
        assert_eq!(b.marks, "F..");
        assert_eq!(b.failing_since, None);
        let c = trends.iter().find(|t| t.case == "c").unwrap();
        assert!((c.flake_rate - 1.0 / 3.0).abs() < 1e-9);
        // Failing first, then flaky, then the rest.
        assert_eq!(trends[0].case, "a");
        assert_eq!(trends[1].case, "c");
        // The last N runs only.
        assert_eq!(super::trends(&history, 2)[0].marks, "FE");
    }
}
