//! `sn-conform snapshot`: an instance's dictionary written as a file the mock serves. GET
//! requests only, through the run's client (its limits, retries on 429, redaction); the
//! target's doctor is not run and nothing is created. Exit 0 with the file written, 3 when the
//! target is not the platform's API, 2 on options or a file that cannot be written.

use std::process::ExitCode;

use anyhow::Context;

use super::SnapshotArgs;
use crate::mock::Dictionary;
use crate::runner::{BuiltInMock, Plan, Run, SnapshotError};

pub fn snapshot(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let inputs = args.inputs.load().map_err(|e| anyhow::anyhow!("{e}"))?;
    let resolved = args.target.resolve(&inputs.schemas, &inputs.suite, false)?;
    let run = Run::prepare(inputs, Plan::resolved(resolved, BuiltInMock::default())?)?;
    if let Some(reason) = run.unusable() {
        eprintln!("error: {}", run.secrets().redact(&reason));
        return Ok(ExitCode::from(super::EXIT_UNUSABLE));
    }
    let built_in = Dictionary::built_in();
    let tables: Vec<String> = if args.tables.is_empty() {
        built_in
            .table_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    } else {
        args.tables.clone()
    };
    let base_url = run.target().base_url.clone();
    let read = run.snapshot(&tables, &built_in.file().plugins);
    // Nothing was created, but the embedded mock (when there is one) is stopped cleanly.
    let _ = run.finish();
    let snapshot = match read {
        Ok(snapshot) => snapshot,
        Err(e @ (SnapshotError::Foreign(_) | SnapshotError::NoTables(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(super::EXIT_UNUSABLE));
        }
        // No answer at all (refused, timed out, a certificate not trusted): one line, exit 3.
        Err(SnapshotError::Request(e)) => {
            eprintln!(
                "error: {base_url} could not be read: {}; nothing was written",
                e.cause()
            );
            return Ok(ExitCode::from(super::EXIT_UNUSABLE));
        }
        Err(e) => return Err(e.into()),
    };
    let body = serde_yaml::to_string(&snapshot.file).context("cannot write the dictionary")?;
    let text = format!(
        "# The dictionary of {base_url}, read by `sn-conform snapshot` ({} tables).\n\
         # Serve it with `sn-conform mock --dictionary {}`.\n{body}",
        snapshot.file.tables.len(),
        args.out.display()
    );
    std::fs::write(&args.out, text)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    for note in &snapshot.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "sn-conform snapshot: {} table(s) of {base_url} written to {}",
        snapshot.file.tables.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
