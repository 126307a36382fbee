//! `sn-conform doctor`: the instance's assumptions checked before a run, as a table on the
//! terminal or JSON (`--format json`). Exit 0 when no check fails, 1 otherwise (a check that
//! could not be made is not a failure), 3 when the target's answer is not the platform's (a
//! hibernating instance's page, a proxy's login page). With no target, it checks the built-in mock.

use std::process::ExitCode;

use super::{DoctorArgs, DoctorFormat};
use crate::runner::{BuiltInMock, Notice, Plan, Run};

pub fn doctor(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let inputs = args.inputs.load().map_err(|e| anyhow::anyhow!("{e}"))?;
    let resolved = args.target.resolve(&inputs.schemas, &inputs.suite, false)?;
    let plan = Plan::resolved(resolved, BuiltInMock::default())?
        .with_doctor(true)
        .with_earlier_ledger(args.report_dir.join("ledger.jsonl"));
    let run = Run::prepare(inputs, plan)?;
    for notice in run.notices() {
        if let Notice::Warning(text) = notice {
            eprintln!("warning: {text}");
        }
    }
    // An answer that is not the platform's leaves nothing to examine: one line, exit 3.
    if let (None, Some(reason)) = (run.diagnosis(), run.unusable()) {
        eprintln!("error: {}", run.secrets().redact(&reason));
        return Ok(ExitCode::from(super::EXIT_UNUSABLE));
    }
    let diagnosis = run.diagnosis().cloned().unwrap_or_default();
    // The doctor's own test records are swept (normally there are none left).
    let _ = run.finish();
    match args.format {
        DoctorFormat::Json => super::emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&diagnosis).unwrap_or_default()
        )),
        DoctorFormat::Text => super::emit(&format!(
            "sn-conform doctor: {}\n{}",
            diagnosis.base_url,
            diagnosis.text(true)
        )),
    }
    Ok(if diagnosis.has_failures() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
