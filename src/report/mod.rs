//! Reports of a run, all written from one [`RunReport`]: `report.json`, `junit.xml`,
//! `summary.md` and `report.html`.

pub mod compare;
pub mod diff;
pub mod history;
mod html;
mod json;
mod junit;
mod markdown;
mod matrix;
mod model;
pub mod shape;

use std::path::{Path, PathBuf};

pub use html::Extras;
pub use matrix::{CaseCoverage, CaseRun, Matrix, OperationCoverage, StatusCoverage};
pub use model::{
    iso8601, Attempt, Concurrency, ExchangeRecord, FailureGroup, Outcome, Records, RunReport,
    Selection, Summary, TrialResult,
};

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
    redact: impl Fn(&str) -> String,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let contents = [
        json::render(report),
        junit::render(report)?,
        markdown::render(report),
        html::render(report, extras),
    ];
    let mut written = Vec::new();
    for (name, text) in FILES.iter().zip(contents) {
        let path = dir.join(name);
        std::fs::write(&path, redact(&text)).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The JSON report as text, for tests and tools that validate it.
pub fn to_json(report: &RunReport) -> String {
    json::render(report)
}
