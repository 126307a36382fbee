//! `sn-conform coverage`: every documented case is covered on this repository, and removing
//! one scenario makes coverage fail and name the case.

use std::path::Path;
use std::process::Command;

fn coverage(specs: &Path, format: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args([
            "coverage",
            "--format",
            format,
            "--schemas",
            "schemas",
            "--specs",
        ])
        .arg(specs)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_documented_case_is_covered() {
    let (code, out, err) = coverage(Path::new("specs"), "json");
    assert_eq!(code, 0, "{out}{err}");
    let matrix: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(matrix["cases_total"], matrix["cases_covered"]);
    assert_eq!(matrix["operations"].as_array().unwrap().len(), 7);
    // Documented statuses no input can provoke are listed with their reason.
    let reject_reasons = &matrix["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operation"] == "awa_inbox_actions/reject_reasons")
        .unwrap()["statuses"];
    let s500 = reject_reasons
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == 500)
        .unwrap();
    assert_eq!(s500["provokable"], false);
    assert!(s500["reason"].as_str().is_some_and(|r| !r.is_empty()));
}

#[test]
fn removing_a_scenario_makes_coverage_fail_and_name_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    crate::common::copy_dir(Path::new("specs"), &specs);
    let file = specs.join("awa_inbox_actions/reject_reasons.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let start = text
        .find("  - name: unknown channel\n")
        .expect("the scenario exists");
    let end = start + text[start + 1..].find("\n  - name: ").unwrap() + 1;
    std::fs::write(&file, format!("{}{}", &text[..start], &text[end..])).unwrap();

    let (code, out, err) = coverage(&specs, "text");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("no scenario covers awa_inbox_actions/reject_reasons unknown_channel (404)"),
        "{err}"
    );
    assert!(
        out.contains("unknown_channel") && out.contains("NOT COVERED"),
        "{out}"
    );
    assert!(out.contains("70 of 71 documented cases covered"), "{out}");

    let (code, out, _) = coverage(&specs, "markdown");
    assert_eq!(code, 1);
    assert!(
        out.contains("| 404 | unknown_channel | document | **not covered** |"),
        "{out}"
    );
}
