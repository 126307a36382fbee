//! `sn-conform compare --a TARGET --b TARGET`: the suite against two targets at once, two
//! runs of the same [`Run`] object `run` uses, then every documented case where the two
//! answered differently ([`crate::report::compare`]).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use colored::Colorize;

use super::{CompareArgs, Format, TargetArgs};
use crate::mock::Fault;
use crate::report::compare::Comparison;
use crate::report::{self, RunReport};
use crate::runner::{BuiltInMock, Plan, Run};

pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let sides = [
        ("a", &args.a, &args.mock_faults_a),
        ("b", &args.b, &args.mock_faults_b),
    ];
    let mut runs = Vec::new();
    for (name, spec, faults) in sides {
        let dir = args.report_dir.join(name);
        report::check_dir(&dir)?;
        let run = prepare(&args, spec, faults, &dir).with_context(|| format!("--{name} {spec}"))?;
        if let Some(blocking) = run.diagnosis().and_then(|d| d.blocking()) {
            anyhow::bail!(
                "--{name} {spec}: {}; {}",
                run.secrets().redact(&blocking.detail),
                blocking.advice.as_deref().unwrap_or("check the target")
            );
        }
        eprintln!(
            "sn-conform compare: {name} = {} ({})",
            run.target().base_url,
            run.target().kind
        );
        runs.push((name, run, dir));
    }
    // Both sides at once: two instances answer in parallel.
    std::thread::scope(|scope| {
        for (_, run, _) in &runs {
            scope.spawn(|| run.run_quietly(args.threads));
        }
    });
    let mut reports: Vec<RunReport> = Vec::new();
    for (name, run, dir) in runs {
        let secrets = run.secrets();
        let report = run.finish();
        report::write_all_redacted(&report, &dir, &report::Extras::default(), |t| {
            secrets.redact(t)
        })?;
        eprintln!(
            "sn-conform compare: {name}: {} passed, {} failed, {} errors, {} ignored; reports in {}",
            report.summary.passed,
            report.summary.failed,
            report.summary.error,
            report.summary.ignored,
            dir.display()
        );
        reports.push(report);
    }
    let comparison = Comparison::between(&reports[0], &reports[1]);
    write(&args.report_dir.join("compare.md"), &comparison.markdown())?;
    write(
        &args.report_dir.join("compare.json"),
        &serde_json::to_string_pretty(&comparison)?,
    )?;
    let text = match args.format {
        Format::Text => comparison.text(),
        Format::Markdown => comparison.markdown(),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&comparison)?),
    };
    super::emit(&text);
    Ok(if comparison.differs() {
        eprintln!("{} the two targets differ", "compare:".red());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One side's run: a profile, a base URL or `mock`.
fn prepare(args: &CompareArgs, spec: &str, faults: &[Fault], dir: &Path) -> anyhow::Result<Run> {
    let inputs = args
        .inputs
        .load()
        .map_err(|e| anyhow::anyhow!("{}", e.0.join("\n")))?;
    let mut target_args: TargetArgs = args.target.clone();
    target_args.profile = None;
    target_args.base_url = None;
    let looks_like_file =
        spec.ends_with(".yaml") || spec.ends_with(".yml") || Path::new(spec).is_file();
    if spec == "mock" {
        // Neither: the built-in mock.
    } else if looks_like_file {
        target_args.profile = Some(spec.into());
    } else {
        target_args.base_url = Some(spec.to_string());
    }
    let resolved = target_args.resolve(&inputs.schemas, &inputs.suite, false)?;
    let mock = BuiltInMock {
        faults: faults.to_vec(),
        ..BuiltInMock::default()
    };
    let plan = Plan::resolved(resolved, mock)?
        .with_ledger(dir.join("ledger.jsonl"))
        .with_doctor(!args.no_doctor);
    Ok(Run::prepare(inputs, plan)?)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
