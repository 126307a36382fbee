//! The corpus of malformed inputs in tests/bad/ (spec, schema, catalogue and target-profile
//! files, one mistake each, listed with the message each must give in tests/bad/EXPECTED.tsv),
//! plus three generated ones too big to keep in the repository. Each is refused by `lint` with
//! exit 2, its file, line and cause, in bounded time and without a panic.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BAD: &str = "tests/bad";

/// A workspace: the repository's schemas, its catalogue (or the bad one), and the bad file.
fn workspace(kind: &str, source: &Path) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    crate::common::copy_dir(Path::new("schemas"), &dir.path().join("schemas"));
    std::fs::copy("specs/catalogue.yaml", specs.join("catalogue.yaml")).unwrap();
    let name = source.file_name().unwrap().to_str().unwrap().to_string();
    let args = match kind {
        "specs" => {
            std::fs::copy(source, specs.join(&name)).unwrap();
            vec!["lint".into(), format!("specs/{name}")]
        }
        "schemas" => {
            std::fs::copy(source, dir.path().join("schemas").join(&name)).unwrap();
            vec!["lint".into(), "specs/catalogue.yaml".into()]
        }
        "catalogue" => {
            // The whole suite with this catalogue, so that coverage is checked too.
            crate::common::copy_dir(Path::new("specs"), &specs);
            std::fs::copy(source, specs.join("catalogue.yaml")).unwrap();
            vec!["lint".into()]
        }
        "targets" => {
            crate::common::copy_dir(Path::new("specs"), &specs);
            vec![
                "lint".into(),
                "--target".into(),
                source.canonicalize().unwrap().display().to_string(),
            ]
        }
        other => panic!("unknown kind {other}"),
    };
    (dir, args)
}

/// The files too big (or too deep) to commit, written into `dir`.
fn generated(dir: &Path, relative: &str) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = if relative.ends_with("ten_megabytes.yaml") {
        let mut t = String::from("api: awa_inbox_actions\n# ");
        t.push_str(&"x".repeat(10 * 1024 * 1024 - t.len()));
        t
    } else if relative.ends_with(".yaml") {
        format!("api: {}1{}\n", "[".repeat(10_000), "]".repeat(10_000))
    } else {
        format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000))
    };
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_malformed_input_is_refused_with_file_line_and_cause() {
    let expected = std::fs::read_to_string(Path::new(BAD).join("EXPECTED.tsv")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut listed = 0;
    let mut failures = Vec::new();
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (relative, fragment) = line.split_once('\t').expect("file<TAB>fragment");
        let (source, kind) = match relative.strip_prefix("generated/") {
            Some(rest) => (
                generated(scratch.path(), rest),
                rest.split('/').next().unwrap(),
            ),
            None => (
                Path::new(BAD).join(relative),
                relative.split('/').next().unwrap(),
            ),
        };
        assert!(source.is_file(), "{relative} is listed but missing");
        listed += 1;
        let (dir, args) = workspace(kind, &source);
        let started = Instant::now();
        let out = Command::new(crate::common::process::BIN)
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2) {
            failures.push(format!("{relative}: exit {:?}\n{text}", out.status.code()));
        } else if !text.contains(fragment) {
            failures.push(format!("{relative}: expected {fragment:?} in\n{text}"));
        } else if text.contains("panicked") {
            failures.push(format!("{relative}: panicked\n{text}"));
        } else if started.elapsed() > Duration::from_secs(20) {
            failures.push(format!("{relative}: took {:?}", started.elapsed()));
        }
    }
    assert!(listed >= 40, "only {listed} malformed inputs");
    // Every file of the corpus is listed, so none is silently skipped.
    for kind in ["specs", "schemas", "catalogue", "targets"] {
        for entry in std::fs::read_dir(Path::new(BAD).join(kind)).unwrap() {
            let name = format!("{kind}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(
                expected
                    .lines()
                    .any(|l| l.starts_with(&format!("{name}\t"))),
                "{name} is not in EXPECTED.tsv"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
