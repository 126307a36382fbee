//! The loaders fuzzed: real spec, catalogue, profile and schema files mutated at random
//! (bytes flipped, lines dropped, repeated or swapped, YAML punctuation and big numbers
//! inserted, the text cut short) must be refused with messages, never panic. Each message
//! names its file.
//!
//! `cargo test` runs a few hundred cases. A long run, as recorded in the README:
//! `SN_FUZZ_CASES=1000000 cargo test --release --test fuzz_loader -- --nocapture` (it stops
//! after `SN_FUZZ_SECONDS`, 600 by default, and prints how many inputs it tried).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use sn_conform::schemas::SchemaSet;
use sn_conform::source::assets::{AssetDir, AssetFile};
use sn_conform::spec::catalogue::Catalogue;

/// One way to damage a text.
#[derive(Debug, Clone)]
enum Mutation {
    FlipByte(usize, u8),
    DropLine(usize),
    RepeatLine(usize),
    SwapLines(usize, usize),
    Insert(usize, &'static str),
    Truncate(usize),
}

const TOKENS: &[&str] = &[
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "\t",
    "\"",
    "'",
    "#",
    "{{",
    "}}",
    "$regex",
    "$match",
    "99999999999999999999",
    "-1",
    "null",
    "~",
    "\n  - ",
    "\u{feff}",
    "\u{0}",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "? ",
    "|\n",
    ">\n",
    "1e999",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::RepeatLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for m in mutations {
        let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
        let n = lines.len().max(1);
        match m {
            Mutation::FlipByte(i, b) if !bytes.is_empty() => {
                let at = i % bytes.len();
                bytes[at] = *b;
                continue;
            }
            Mutation::DropLine(i) => {
                lines.remove(i % n.min(lines.len()).max(1));
            }
            Mutation::RepeatLine(i) => {
                let line = lines[i % lines.len()].clone();
                lines.insert(i % lines.len(), line);
            }
            Mutation::SwapLines(a, b) => {
                let (a, b) = (a % lines.len(), b % lines.len());
                lines.swap(a, b);
            }
            Mutation::Insert(i, token) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, token.bytes());
                continue;
            }
            Mutation::Truncate(i) => {
                bytes.truncate(i % (bytes.len() + 1));
                continue;
            }
            _ => continue,
        }
        bytes = lines.join(&b'\n');
    }
    // The loaders take text: what is not UTF-8 is refused before them (tests/it/bad_inputs.rs).
    String::from_utf8_lossy(&bytes).into_owned()
}

fn file(relative: &str, text: String) -> AssetFile {
    AssetFile {
        relative: relative.to_string(),
        display: format!("specs/{relative}"),
        text,
    }
}

#[test]
fn mutated_inputs_are_refused_with_messages_never_a_panic() {
    let cases: u32 = std::env::var("SN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let budget = Duration::from_secs(
        std::env::var("SN_FUZZ_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(600),
    );
    let schema_dir = sn_conform::source::assets::schemas(Some("schemas".as_ref())).unwrap();
    let schemas = SchemaSet::compile(&schema_dir).unwrap();
    let specs = sn_conform::source::assets::specs(Some("specs".as_ref())).unwrap();
    let catalogue = Catalogue::from_dir(&specs).unwrap();
    let spec_files: Vec<AssetFile> = specs
        .files
        .iter()
        .filter(|f| f.relative.ends_with(".yaml"))
        .cloned()
        .collect();
    let profile_text = std::fs::read_to_string("targets/example.yaml").unwrap();
    let started = Instant::now();
    let tried = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..spec_files.len() + schema_dir.files.len() + 1,
        prop::collection::vec(mutation(), 1..6),
    );
    // One input: Err when a loader answered wrongly; a panic is caught below.
    let check = |which: usize, mutations: &[Mutation]| -> Result<(), String> {
        if which < spec_files.len() {
            let original = &spec_files[which];
            let text = apply(&original.text, mutations);
            if original.relative == "catalogue.yaml" {
                let dir = AssetDir {
                    origin: "specs".into(),
                    files: vec![file("catalogue.yaml", text)],
                };
                if let Err(errors) = Catalogue::from_dir(&dir) {
                    if let Some(e) = errors
                        .iter()
                        .find(|e| !e.to_string().contains("catalogue.yaml"))
                    {
                        return Err(format!("a message without its file: {e}"));
                    }
                }
            } else {
                let dir = AssetDir {
                    origin: "specs".into(),
                    files: vec![file(&original.relative, text)],
                };
                if let Err(errors) = sn_conform::spec::load_suite(&dir, &schemas, &catalogue) {
                    if errors.is_empty() {
                        return Err("refused without a message".into());
                    }
                    if let Some(e) = errors
                        .iter()
                        .find(|e| !e.to_string().contains(&original.relative))
                    {
                        return Err(format!("a message without its file: {e}"));
                    }
                }
            }
        } else if which < spec_files.len() + schema_dir.files.len() {
            let index = which - spec_files.len();
            let mut dir = schema_dir.clone();
            dir.files[index].text = apply(&dir.files[index].text, mutations);
            let _ = SchemaSet::compile(&dir);
        } else {
            let text = apply(&profile_text, mutations);
            if let Err(errors) =
                sn_conform::target::profile::parse("targets/x.yaml", &text, &schemas, None)
            {
                if let Some(e) = errors
                    .iter()
                    .find(|e| !e.to_string().contains("targets/x.yaml"))
                {
                    return Err(format!("a message without its file: {e}"));
                }
            }
        }
        Ok(())
    };
    // Inputs until the count or the time is spent, each a fresh draw of proptest's strategy.
    let mut failure = None;
    while (tried.load(Ordering::Relaxed) as u64) < u64::from(cases) && started.elapsed() < budget {
        let (which, mutations) = strategy
            .new_tree(&mut runner)
            .expect("the strategy draws")
            .current();
        tried.fetch_add(1, Ordering::Relaxed);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(which, &mutations)));
        let problem = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(problem)) => problem,
            Err(panic) => format!(
                "panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        };
        failure = Some(format!("input {which} with {mutations:?}: {problem}"));
        break;
    }
    println!(
        "fuzz_loader: {} mutated inputs in {:.0?}",
        tried.load(Ordering::Relaxed),
        started.elapsed()
    );
    if let Some(failure) = failure {
        panic!("{failure}");
    }
}
