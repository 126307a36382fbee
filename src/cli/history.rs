//! `sn-conform history FILE`: the trend per documented case over the last runs of a history
//! file, as text, Markdown or JSON. Lines that do not read are skipped with a warning.

use std::process::ExitCode;

use anyhow::bail;
use colored::Colorize;

use super::{Format, HistoryArgs};
use crate::report::history;

pub fn history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    if !args.file.exists() {
        bail!(
            "{} does not exist; `sn-conform run --history {}` writes it",
            args.file.display(),
            args.file.display()
        );
    }
    let read = history::read(&args.file)?;
    for warning in &read.warnings {
        eprintln!("{} {warning}", "warning:".yellow());
    }
    let trends = history::trends(&read, args.last);
    let text = match args.format {
        Format::Text => history::text(&read, &trends),
        Format::Markdown => history::markdown(&read, &trends),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "runs": read.entries.len(),
                "skipped_lines": read.warnings,
                "cases": trends,
                "latest": read.entries.last(),
            }))?
        ),
    };
    super::emit(&text);
    Ok(ExitCode::SUCCESS)
}
