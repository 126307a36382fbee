//! `sn-conform lint`: validate spec and schema files without sending anything.

use std::path::Path;
use std::process::ExitCode;

use colored::Colorize;

use super::LintArgs;
use crate::assets::{self, AssetDir};
use crate::schema_set::SchemaSet;
use crate::spec;

pub fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    let mut problems: Vec<String> = Vec::new();
    let schema_dir = assets::schemas(args.schemas.as_deref())?;
    let schemas = match SchemaSet::compile(&schema_dir) {
        Ok(set) => Some(set),
        Err(errors) => {
            problems.extend(errors.iter().map(ToString::to_string));
            None
        }
    };
    let names = schemas.as_ref().map(SchemaSet::names).unwrap_or_default();
    let spec_dirs: Vec<AssetDir> = if args.paths.is_empty() {
        vec![assets::specs(args.specs.as_deref())?]
    } else {
        args.paths
            .iter()
            .map(|p| one_path(p))
            .collect::<Result<_, _>>()?
    };
    let mut scenarios = 0;
    let mut files = 0;
    for dir in &spec_dirs {
        files += dir.files.len();
        match spec::load_suite(dir, &names) {
            Ok(suite) => scenarios += suite.scenarios.len(),
            Err(errors) => problems.extend(errors.iter().map(ToString::to_string)),
        }
    }
    if problems.is_empty() {
        println!(
            "{} {scenarios} scenarios in {files} spec file(s), {} schema(s) from {}",
            "ok:".green(),
            names.len(),
            schema_dir.origin
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            eprintln!("{} {p}", "error:".red());
        }
        eprintln!("{} mistake(s) found", problems.len());
        Ok(ExitCode::from(super::EXIT_INVALID))
    }
}

/// A directory of specs, or one spec file as a directory of one.
fn one_path(path: &Path) -> Result<AssetDir, assets::AssetError> {
    if path.is_dir() {
        assets::read_dir_tree(path, &["yaml", "yml"])
    } else {
        let root = path.parent().unwrap_or(Path::new("."));
        let mut file = assets::read_file(root, path)?;
        file.display = path.display().to_string();
        Ok(AssetDir {
            origin: path.display().to_string(),
            files: vec![file],
        })
    }
}
