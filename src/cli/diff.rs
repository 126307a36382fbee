//! `sn-conform diff BASELINE.json CURRENT.json`: what changed between two runs, for nightly
//! regression tracking. Both files are checked against `report.schema.json` first.
//!
//! ```text
//! regressions (1): passed before, not now
//!   awa_inbox_actions/accept::accepts a pending work item[v1]: failed
//! fixes (0)
//! ...
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::{DiffArgs, DiffFormat};
use crate::assets;
use crate::schema_set::SchemaSet;

/// Trial name to outcome.
type Outcomes = BTreeMap<String, String>;

/// (trial name, outcome) pairs of one kind of change.
type Entries = Vec<(String, String)>;

/// A kind of change: its key, what it means, and its entries.
type Section<'a> = (&'static str, &'static str, &'a Entries);

pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let schemas = SchemaSet::compile(&assets::schemas(None)?).map_err(|e| super::all_errors(&e))?;
    let (baseline, baseline_selection) = read(&args.baseline, &schemas)?;
    let (current, current_selection) = read(&args.current, &schemas)?;
    let changes = Changes::between(&baseline, &current);
    // Two runs of different selections differ in what they ran, not only in how it went.
    let note = (baseline_selection != current_selection).then(|| {
        format!(
            "the two reports did not run the same selection: the baseline ran {}, the current run {}",
            selection_text(&baseline_selection),
            selection_text(&current_selection)
        )
    });
    let text = match args.format {
        DiffFormat::Text => match &note {
            Some(note) => format!("note: {note}\n{}", changes.text()),
            None => changes.text(),
        },
        DiffFormat::Markdown => match &note {
            Some(note) => format!("> **Note:** {note}\n\n{}", changes.markdown()),
            None => changes.markdown(),
        },
        DiffFormat::Json => {
            let mut json = changes.json();
            if let Some(map) = json.as_object_mut() {
                map.insert("same_selection".into(), Value::Bool(note.is_none()));
            }
            serde_json::to_string_pretty(&json)?
        }
    };
    super::emit(&format!("{text}\n"));
    Ok(if changes.regressions.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What a report says it selected: (trials selected, filter, skips); reports written before
/// the selection was recorded read as the whole suite.
fn selection_of(report: &Value) -> (Option<u64>, Option<String>, Vec<String>) {
    let s = &report["selection"];
    (
        s["trials_selected"]
            .as_u64()
            .or_else(|| report["trials"].as_array().map(|t| t.len() as u64)),
        s["filter"].as_str().map(str::to_string),
        s["skip"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

fn selection_text(selection: &(Option<u64>, Option<String>, Vec<String>)) -> String {
    let (count, filter, skip) = selection;
    let mut text = format!("{} trials", count.unwrap_or(0));
    if let Some(f) = filter {
        text.push_str(&format!(" (filter `{f}`)"));
    }
    for s in skip {
        text.push_str(&format!(" (--skip `{s}`)"));
    }
    text
}

type SelectionKey = (Option<u64>, Option<String>, Vec<String>);

fn read(path: &Path, schemas: &SchemaSet) -> anyhow::Result<(Outcomes, SelectionKey)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let violations = schemas.check("report.schema.json", &value);
    if !violations.is_empty() {
        bail!(
            "{} is not an sn-conform report.json:\n  {}",
            path.display(),
            violations.join("\n  ")
        );
    }
    let outcomes = value["trials"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Ok((outcomes, selection_of(&value)))
}

fn is_bad(outcome: &str) -> bool {
    matches!(outcome, "failed" | "error")
}

struct Changes {
    /// (name, current outcome)
    regressions: Entries,
    fixes: Entries,
    still_failing: Entries,
    no_longer_run: Entries,
    added: Entries,
    removed: Entries,
}

impl Changes {
    fn between(baseline: &Outcomes, current: &Outcomes) -> Self {
        let mut c = Changes {
            regressions: Vec::new(),
            fixes: Vec::new(),
            still_failing: Vec::new(),
            no_longer_run: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
        };
        for (name, now) in current {
            let entry = (name.clone(), now.clone());
            match baseline.get(name).map(String::as_str) {
                None => c.added.push(entry),
                Some("passed") if is_bad(now) => c.regressions.push(entry),
                Some("passed") if now == "ignored" => c.no_longer_run.push(entry),
                Some(before) if is_bad(before) && now == "passed" => c.fixes.push(entry),
                Some(before) if is_bad(before) && is_bad(now) => c.still_failing.push(entry),
                _ => {}
            }
        }
        for (name, before) in baseline {
            if !current.contains_key(name) {
                c.removed.push((name.clone(), before.clone()));
            }
        }
        c
    }

    fn sections(&self) -> [Section<'_>; 6] {
        [
            ("regressions", "passed before, not now", &self.regressions),
            ("fixes", "failed before, pass now", &self.fixes),
            ("still_failing", "failed in both runs", &self.still_failing),
            (
                "no_longer_run",
                "passed before, ignored now",
                &self.no_longer_run,
            ),
            ("added", "only in the current run", &self.added),
            (
                "removed",
                "only in the baseline (outcome then)",
                &self.removed,
            ),
        ]
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for (key, what, list) in self.sections() {
            out.push_str(&format!(
                "{} ({}): {what}\n",
                key.replace('_', " "),
                list.len()
            ));
            for (name, outcome) in list {
                out.push_str(&format!("  {name}: {outcome}\n"));
            }
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::from("# sn-conform diff\n\n");
        for (key, what, list) in self.sections() {
            out.push_str(&format!(
                "## {} ({})\n\n{what}\n\n",
                key.replace('_', " "),
                list.len()
            ));
            for (name, outcome) in list {
                out.push_str(&format!("- `{name}`: {outcome}\n"));
            }
            out.push('\n');
        }
        out
    }

    fn json(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (key, _, list) in self.sections() {
            let items: Vec<Value> = list
                .iter()
                .map(|(n, o)| json!({"name": n, "outcome": o}))
                .collect();
            map.insert(key.to_string(), Value::Array(items));
        }
        Value::Object(map)
    }
}
