//! `sn-conform diff BASELINE.json CURRENT.json`: the morning question of a nightly run, what
//! broke since the last good run, what got fixed, what is flaky, how the answers drifted.
//! Both files are checked against `report.schema.json`, then read into the result model;
//! the comparison itself is [`crate::report::diff`].

use std::process::ExitCode;

use super::DiffArgs;
use crate::report::{self, diff::Diff};
use crate::schemas::SchemaSet;
use crate::source::assets;

pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let schemas = SchemaSet::compile(&assets::schemas(None)?).map_err(|e| super::all_errors(&e))?;
    let baseline = report::read(&args.baseline, &schemas)?;
    let current = report::read(&args.current, &schemas)?;
    let diff = Diff::between(&baseline, &current, args.judge.options());
    super::emit(&diff.render(args.format, args.judge.fail_on));
    Ok(if diff.fails(args.judge.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
