//! `sn-conform diff BASELINE.json CURRENT.json`: the morning question of a nightly run, what
//! broke since the last good run, what got fixed, what is flaky, how the answers drifted.
//! Both files are checked against `report.schema.json`, then read into the result model;
//! the comparison itself is [`crate::report::diff`].

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use super::{DiffArgs, DiffFormat, JudgeArgs};
use crate::assets;
use crate::report::diff::Diff;
use crate::report::RunReport;
use crate::schema_set::SchemaSet;

pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let schemas = SchemaSet::compile(&assets::schemas(None)?).map_err(|e| super::all_errors(&e))?;
    let baseline = read_report(&args.baseline, &schemas)?;
    let current = read_report(&args.current, &schemas)?;
    let diff = Diff::between(&baseline, &current, args.judge.options());
    super::emit(&render(&diff, args.format, &args.judge)?);
    Ok(exit_code(&diff, &args.judge))
}

/// The diff in `format`, ending in a newline.
pub fn render(diff: &Diff, format: DiffFormat, judge: &JudgeArgs) -> anyhow::Result<String> {
    Ok(match format {
        DiffFormat::Text => diff.text(),
        DiffFormat::Markdown => diff.markdown(),
        DiffFormat::Json => {
            let mut json = serde_json::to_value(diff)?;
            if let Some(map) = json.as_object_mut() {
                map.insert("headline".into(), diff.headline().into());
                map.insert("fails".into(), diff.fails(judge.fail_on).into());
            }
            format!("{}\n", serde_json::to_string_pretty(&json)?)
        }
    })
}

pub fn exit_code(diff: &Diff, judge: &JudgeArgs) -> ExitCode {
    if diff.fails(judge.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// A `report.json` read into the result model, after checking it against its schema (in
/// `schemas`) so that a wrong file is named with what is wrong with it.
pub fn read_report(path: &Path, schemas: &SchemaSet) -> anyhow::Result<RunReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let violations = schemas.check("report.schema.json", &value);
    if !violations.is_empty() {
        bail!(
            "{} is not an sn-conform report.json:\n  {}",
            path.display(),
            violations.join("\n  ")
        );
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} does not read as a report", path.display()))
}
