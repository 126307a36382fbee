//! The one result model of a run ([`RunReport`]: trials, their findings and exchanges, the
//! doctor's diagnosis, the coverage matrix) and everything that reads it: the reports written
//! from it (`report.json`, `junit.xml`, `summary.md`, `report.html`, and the end of a run on
//! the terminal), and what reads reports back (diff, compare, history).

pub mod compare;
pub mod coverage;
pub mod diff;
pub mod doctor;
mod exchange;
mod finding;
pub mod history;
mod html;
mod json;
mod junit;
mod markdown;
mod model;
pub mod shape;
pub mod terminal;
mod verdict;

use std::path::{Path, PathBuf};

pub use coverage::{CaseCoverage, CaseRun, Matrix, OperationCoverage, StatusCoverage};
pub use exchange::{ExchangeRecord, Origin};
pub use finding::{
    Broken, Cause, Checked, CleanupProblem, Finding, Found, Item, Level, Place, PutBack, TokenStep,
};
pub use html::Extras;
pub use model::{
    iso8601, Attempt, Concurrency, FailureGroup, Records, RunReport, Selection, Summary,
    TargetKind, TokenNote, TrialResult, REPORT_FORMAT,
};
pub use verdict::{or_absent, Verdict};

/// The files a run writes into its report directory.
pub const FILES: [&str; 4] = ["report.json", "junit.xml", "summary.md", "report.html"];

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot render junit.xml: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    #[error("cannot write the report directory {path}: {source}; choose another with --report-dir (nothing was sent)")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path} is not an sn-conform report.json:\n  {}", .violations.join("\n  "))]
    NotAReport {
        path: PathBuf,
        violations: Vec<String>,
    },
    #[error("{path} was written by a newer sn-conform (report format {found}); this one reads formats up to {REPORT_FORMAT}: upgrade it to read the file")]
    TooNew { path: PathBuf, found: u64 },
    #[error("{path} does not read as a report: {source}")]
    Unreadable {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// How a report read back (a diff, a comparison, a history, the coverage) is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text for the terminal.
    Text,
    /// Markdown, for a CI job's comment or summary.
    Markdown,
    /// JSON, for tools.
    Json,
}

/// Creates the report directory `dir` and writes a probe file in it, so that a directory that
/// cannot be written is found before anything is sent.
pub fn check_dir(dir: &Path) -> Result<(), ReportError> {
    let probe = dir.join(".sn-conform-probe");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|source| ReportError::Directory {
            path: dir.to_path_buf(),
            source,
        })
}

/// Writes the four reports into `dir` (created if needed); returns their paths.
pub fn write_all(report: &RunReport, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    write_all_redacted(report, dir, &Extras::default(), |text| text.to_string())
}

/// Like [`write_all`], every file's text passed through `redact` on its way to disk: the
/// last net that keeps a run's secrets out of its reports whatever a renderer shows. The HTML
/// page also shows `extras` (the diff with a baseline, the history).
pub fn write_all_redacted(
    report: &RunReport,
    dir: &Path,
    extras: &Extras<'_>,
    redact: impl Fn(&str) -> String + Sync,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    // The page and the JSON are the two big ones: each is rendered and written on a thread of
    // its own (the small two beside the page), as every run ends waiting for them.
    let write = |name: &str, text: String| -> Result<PathBuf, ReportError> {
        let path = dir.join(name);
        std::fs::write(&path, redact(&text)).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    let (json, rest) = std::thread::scope(|scope| {
        let json = scope.spawn(|| write(FILES[0], json::render(report)));
        let rest = (|| -> Result<_, ReportError> {
            let junit = write(FILES[1], junit::render(report)?)?;
            let markdown = write(FILES[2], markdown::render(report))?;
            let page = write(FILES[3], html::render(report, extras))?;
            Ok([junit, markdown, page])
        })();
        (
            json.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            rest,
        )
    });
    let [junit, markdown, page] = rest?;
    Ok(vec![json?, junit, markdown, page])
}

/// The JSON report as text, for tests and tools that validate it.
pub fn to_json(report: &RunReport) -> String {
    json::render(report)
}

/// A `report.json` read back into the result model (for `diff`, `run --baseline`,
/// `compare`), after checking it against `report.schema.json` of `schemas`, so that a wrong
/// file is named with what is wrong with it.
pub fn read(path: &Path, schemas: &crate::schemas::SchemaSet) -> Result<RunReport, ReportError> {
    json::read(path, schemas)
}
