//! `sn-conform lint`: validate spec, schema and target profile files without sending anything.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use colored::Colorize;

use super::LintArgs;
use crate::schemas::SchemaSet;
use crate::source::assets::{self, AssetDir};
use crate::spec;
use crate::spec::catalogue::{Catalogue, CATALOGUE_FILE};
use crate::target::profile;

pub fn lint(args: LintArgs) -> anyhow::Result<ExitCode> {
    let mut problems: Vec<String> = Vec::new();
    let schema_dir = assets::schemas(args.inputs.schemas.as_deref())?;
    let schemas = SchemaSet::compile(&schema_dir)
        .map_err(|errors| problems.extend(errors.iter().map(ToString::to_string)))
        .ok();
    let default_specs = assets::specs(args.inputs.specs.as_deref())?;
    let catalogue = Catalogue::from_dir(&default_specs)
        .map_err(|errors| problems.extend(errors.iter().map(ToString::to_string)))
        .ok();
    let spec_dirs: Vec<AssetDir> = if args.paths.is_empty() {
        vec![default_specs]
    } else {
        args.paths
            .iter()
            .map(|p| one_path(p))
            .collect::<Result<_, _>>()?
    };
    let mut scenarios = 0;
    let mut files = 0;
    let mut suites = Vec::new();
    if let (Some(openapi), Some(catalogue)) =
        (assets::openapi(args.inputs.schemas.as_deref())?, &catalogue)
    {
        problems.extend(crate::inputs::openapi::check(
            &openapi,
            &schema_dir,
            catalogue,
        ));
    }
    if let (Some(schemas), Some(catalogue)) = (&schemas, &catalogue) {
        for dir in &spec_dirs {
            files += dir
                .files
                .iter()
                .filter(|f| f.relative != CATALOGUE_FILE)
                .count();
            match spec::load_suite(dir, schemas, catalogue) {
                Ok(suite) => {
                    scenarios += suite.scenarios.len();
                    // The whole suite must cover every case the catalogue documents.
                    if args.paths.is_empty() {
                        problems.extend(uncovered(dir, catalogue, &suite));
                    }
                    suites.push(suite);
                }
                Err(errors) => problems.extend(errors.iter().map(ToString::to_string)),
            }
        }
    }
    let profiles = if args.targets.is_empty() && args.paths.is_empty() {
        default_profiles()
    } else {
        args.targets.clone()
    };
    if let Some(schemas) = &schemas {
        for path in &profiles {
            if let Err(errors) = profile::load(path, schemas, suites.first()) {
                problems.extend(errors.iter().map(ToString::to_string));
            }
        }
    }
    if problems.is_empty() {
        if args.explain {
            for suite in &suites {
                print!("{}", explain(suite));
            }
        }
        println!(
            "{} {scenarios} scenarios in {files} spec file(s), {} schema(s) from {}{}",
            "ok:".green(),
            schemas.map_or(0, |s| s.names().len()),
            schema_dir.origin,
            if profiles.is_empty() {
                String::new()
            } else {
                format!(", {} target profile(s)", profiles.len())
            }
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

/// Every scenario's fixtures: shared by the run or each trial's own, and why; then the
/// totals.
///
/// ```text
/// specs/awa_inbox_actions/accept.yaml:36: accepts a pending work item (4 trials)
///   agent      shared    no step changes it and no record check reads it back
///   work_item  per trial the step "the work item is accepted" (line 55) reads it back
/// ```
fn explain(suite: &spec::Suite) -> String {
    use spec::scope::Scope;
    let mut out = String::new();
    let (mut shared, mut leased, mut own) = (0, 0, 0);
    let mut keys = std::collections::HashSet::new();
    for scenario in &suite.scenarios {
        let created: Vec<_> = scenario
            .fixtures
            .iter()
            .filter_map(|f| match f {
                spec::Fixture::Create { id, sharing, .. } => Some((id, sharing)),
                _ => None,
            })
            .collect();
        if created.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{}: {} ({} trial(s))\n",
            assets::location(&scenario.file, scenario.line),
            scenario.name,
            scenario.variants.len()
        ));
        let width = created.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
        for (id, sharing) in created {
            let scope = match sharing.scope {
                Scope::Run => {
                    shared += scenario.variants.len();
                    if sharing.per_variant {
                        for v in &scenario.variants {
                            keys.insert(format!("{}{}", sharing.key, v.label));
                        }
                    } else {
                        keys.insert(sharing.key.clone());
                    }
                    "shared   "
                }
                Scope::Lease => {
                    leased += scenario.variants.len();
                    "leased   "
                }
                Scope::Trial => {
                    own += scenario.variants.len();
                    "per trial"
                }
            };
            out.push_str(&format!("  {id:width$}  {scope}  {}\n", sharing.why));
        }
    }
    out.push_str(&format!(
        "fixtures of all trials: {own} created by their trial, {shared} served by {} record(s) the run shares, {leased} leased (one trial at a time)\n",
        keys.len()
    ));
    out
}

/// `targets/*.yaml` of the current directory, sorted.
/// Each documented case no scenario names in `covers`, at its line of the catalogue.
fn uncovered(dir: &AssetDir, catalogue: &Catalogue, suite: &spec::Suite) -> Vec<String> {
    let Some(file) = dir.files.iter().find(|f| f.relative == CATALOGUE_FILE) else {
        return Vec::new();
    };
    let lines = crate::source::lines::LineIndex::new(&file.text);
    let matrix = crate::report::Matrix::build(catalogue, suite, None);
    let mut out = Vec::new();
    for (i, (op, covered)) in catalogue
        .operations
        .iter()
        .zip(&matrix.operations)
        .enumerate()
    {
        for (j, (case, coverage)) in op.cases.iter().zip(&covered.cases).enumerate() {
            if coverage.scenarios.is_empty() {
                out.push(format!(
                    "{}: case `{}` of {} ({}) has no scenario: name it in a scenario's `covers`",
                    assets::location(
                        &file.display,
                        lines.line(&format!("operations[{i}].cases[{j}]"))
                    ),
                    case.id,
                    op.id(),
                    case.status
                ));
            }
        }
    }
    out
}

fn default_profiles() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("targets")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    found.sort();
    found
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
