//! `sn-conform coverage`: which documented cases the scenarios exercise, and the gaps.

use std::process::ExitCode;

use colored::Colorize;

use super::{CoverageArgs, CoverageFormat};
use crate::coverage::Matrix;
use crate::inputs;

pub fn coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let loaded = match inputs::load(args.specs.as_deref(), args.schemas.as_deref()) {
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
        CoverageFormat::Text => super::emit(&matrix.text()),
        CoverageFormat::Markdown => super::emit(&matrix.markdown()),
        CoverageFormat::Json => {
            super::emit(&format!("{}\n", serde_json::to_string_pretty(&matrix)?))
        }
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
