//! The README's full scenario example stays valid: it is linted like any spec file.

use std::path::Path;

use sn_conform::schemas::SchemaSet;
use sn_conform::source::assets::read_dir_tree;
use sn_conform::spec::catalogue::Catalogue;
use sn_conform::spec::load_suite;

#[test]
fn the_readme_example_passes_lint() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("A complete file:\n\n```yaml\n")
        .expect("the README shows a full example");
    let body = &readme[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let example = &body[..body.find("```").unwrap()];

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accept.yaml"), example).unwrap();
    let schemas = SchemaSet::compile(&read_dir_tree(Path::new("schemas"), &["json"]).unwrap())
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let specs = read_dir_tree(dir.path(), &["yaml"]).unwrap();
    let catalogue = Catalogue::from_dir(&read_dir_tree(Path::new("specs"), &["yaml"]).unwrap())
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let suite = load_suite(&specs, &schemas, &catalogue).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(suite.scenarios.len(), 2);
}

/// The README's example failure lines are what the tool prints today: each, with `…` standing
/// for any text, matches a message of a run against the mock with the faults they show.
#[test]
fn the_readme_example_failure_lines_match_what_the_tool_prints() {
    use sn_conform::mock::Fault;
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start = readme
        .find("what came back:\n\n```\n")
        .expect("the README shows example failure lines");
    let block = &readme[start..];
    let block = &block[block.find("```\n").unwrap() + 4..];
    let block = &block[..block.find("```").unwrap()];
    let examples: Vec<&str> = block.lines().filter(|l| !l.is_empty()).collect();
    assert!(examples.len() >= 2);

    let results =
        crate::common::run_with(&[Fault::AcceptWrongStatus, Fault::DropKeepsActive], |_| {});
    let messages: Vec<String> = results.iter().flat_map(|r| r.failures()).collect();
    for example in examples {
        let pattern = example
            .split('…')
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(".*");
        let re = regex::Regex::new(&format!("^{pattern}$")).unwrap();
        assert!(
            messages.iter().any(|m| re.is_match(m)),
            "the README's line is not what the tool prints:\n{example}\nmessages:\n{}",
            messages
                .iter()
                .take(6)
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// No file of the repository points outside it: the documents are cited by title, the design
/// notes a reader needs live in README.md and specs/NOTES.md.
#[test]
fn no_file_points_outside_the_repository() {
    let mut files = vec![std::path::PathBuf::from("README.md")];
    for dir in ["specs", "schemas", "src", "targets", "tests", "benches"] {
        let mut pending = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    files.push(path);
                }
            }
        }
    }
    // Spelled in pieces, so that this file does not trip itself.
    let outside = [
        format!("{}/{}", "..", "shared"),
        format!("{}{}", "seeds", "/"),
        format!("{}.{}", "DESIGN", "md"),
        format!("{}.{}", "STYLE", "md"),
    ];
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for needle in &outside {
            assert!(
                !text.contains(needle.as_str()),
                "{} points outside the repository ({needle})",
                file.display()
            );
        }
    }
}
