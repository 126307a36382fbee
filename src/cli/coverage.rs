//! `sn-conform coverage`: which documented cases the scenarios exercise, and the gaps.

use std::process::ExitCode;

use colored::Colorize;

use super::{CoverageArgs, Format};
use crate::report::coverage::Matrix;

pub fn coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let loaded = match args.inputs.load() {
        Ok(loaded) => loaded,
        Err(errors) => {
            for line in &errors.0 {
                eprintln!("{} {line}", "error:".red());
            }
            return Ok(ExitCode::from(super::EXIT_INVALID));
        }
    };
    let matrix = Matrix::build(&loaded.catalogue, &loaded.suite, None);
    match args.format {
        Format::Text => super::emit(&matrix.text()),
        Format::Markdown => super::emit(&matrix.markdown()),
        Format::Json => super::emit(&format!("{}\n", serde_json::to_string_pretty(&matrix)?)),
    }
    let gaps = matrix.gaps();
    if gaps.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for gap in &gaps {
            eprintln!("{} no scenario covers {gap}", "gap:".red());
        }
        Ok(ExitCode::from(1))
    }
}
