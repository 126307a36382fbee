//! Every kind of spec mistake is refused with the file, the line and the cause, and both
//! `lint` and `run` exit 2 before any request is sent.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const GOOD: &str = r#"api: awa_inbox_actions
operation: accept
variants:
  url: [default, v1]
scenarios:
  - name: accepts
    covers: [accepted]
    fixtures:
      - id: agent
        create: sys_user
        fields: {user_name: "x.{{run_id}}"}
    steps:
      - name: accept
        request:
          method: POST
          path: "{{api}}/awa/inbox/actions/accept"
          json: {agent_id: "{{agent.sys_id}}"}
        expect:
          status: 200
          schema: error.schema.json
"#;

/// A copy of the repository's schemas and one spec file with `text`.
fn workspace(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::File::create(specs.join("accept.yaml"))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    std::fs::copy("specs/catalogue.yaml", specs.join("catalogue.yaml")).unwrap();
    crate::common::copy_dir(Path::new("schemas"), &dir.path().join("schemas"));
    dir
}

fn lint(dir: &Path) -> (i32, String) {
    // The spec directory named: its one file covers one case, so the whole-suite coverage
    // check (which a bare `lint` makes) does not apply.
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args(["lint", "specs"])
        .current_dir(dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// Lints `text` with `from` replaced by `to`; asserts exit 2 and `expected` in the output,
/// which must name the file and `line`.
fn assert_refused(from: &str, to: &str, line: usize, expected: &str) {
    assert!(GOOD.contains(from), "the test's base spec lacks {from:?}");
    let dir = workspace(&GOOD.replacen(from, to, 1));
    let (code, text) = lint(dir.path());
    assert_eq!(code, 2, "lint should refuse {to:?}:\n{text}");
    let location = format!("accept.yaml:{line}:");
    assert!(text.contains(&location), "expected {location} in:\n{text}");
    assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
}

#[test]
fn the_base_spec_is_valid() {
    let dir = workspace(GOOD);
    let (code, text) = lint(dir.path());
    assert_eq!(code, 0, "{text}");
}

#[test]
fn yaml_syntax_error() {
    assert_refused(
        "  - name: accepts\n",
        "  - name: [accepts\n",
        7,
        "did not find expected",
    );
}

#[test]
fn unknown_key() {
    assert_refused(
        "          status: 200\n",
        "          status: 200\n          statsu: 201\n",
        20,
        "unknown key `statsu` (did you mean `status`?)",
    );
}

#[test]
fn wrong_type() {
    assert_refused(
        "status: 200",
        "status: ok",
        19,
        "is not of type \"integer\"",
    );
}

#[test]
fn unknown_schema_file() {
    assert_refused(
        "schema: error.schema.json",
        "schema: eror.schema.json",
        20,
        "unknown schema `eror.schema.json`",
    );
}

#[test]
fn undefined_variable() {
    assert_refused(
        "{{agent.sys_id}}",
        "{{agnet.sys_id}}",
        17,
        "undefined variable `{{agnet.sys_id}}`",
    );
}

#[test]
fn duplicate_scenario_name() {
    let dup = format!("{GOOD}{}", &GOOD[GOOD.find("  - name: accepts").unwrap()..]);
    let dir = workspace(&dup);
    let (code, text) = lint(dir.path());
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("accept.yaml:21:") && text.contains("duplicate scenario name `accepts`"),
        "{text}"
    );
}

#[test]
fn malformed_matcher_and_regex() {
    assert_refused(
        "status: 200\n",
        "status: 200\n          body: {result: {$match: sysid}}\n",
        20,
        "unknown `$match` kind",
    );
    assert_refused(
        "status: 200\n",
        "status: 200\n          body: {result: {$regex: \"(\"}}\n",
        20,
        "invalid `$regex` pattern",
    );
}

#[test]
fn norole_auth_without_the_requirement() {
    assert_refused(
        "          method: POST\n",
        "          method: POST\n          auth: norole\n",
        16,
        "requires: [norole_account]",
    );
}

#[test]
fn run_refuses_a_broken_spec_before_sending_anything() {
    let dir = workspace(&GOOD.replacen("{{agent.sys_id}}", "{{nobody}}", 1));
    // A listener that would see any request the run sent.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args(["run", "--base-url", &url, "--user", "u", "--password", "p"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("accept.yaml:17:") && text.contains("nobody"),
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        listener.accept().is_err(),
        "the run connected to the instance"
    );
}

#[test]
fn a_broken_schema_file_is_refused_with_its_line() {
    let dir = workspace(GOOD);
    std::fs::write(
        dir.path().join("schemas/error.schema.json"),
        "{\n  \"type\": \"object\",\n  oops\n}\n",
    )
    .unwrap();
    let (code, text) = lint(dir.path());
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("error.schema.json:3"), "{text}");
}

#[test]
fn a_scenario_must_name_known_catalogue_cases() {
    assert_refused(
        "    covers: [accepted]\n",
        "",
        6,
        "\"covers\" is a required property",
    );
    assert_refused(
        "covers: [accepted]",
        "covers: [acepted]",
        7,
        "the catalogue has no case `acepted` for awa_inbox_actions/accept",
    );
}

#[test]
fn a_spec_of_an_operation_the_catalogue_lacks_is_refused() {
    assert_refused(
        "operation: accept",
        "operation: acept",
        2,
        "awa_inbox_actions/acept is not an operation of the catalogue",
    );
}

/// Lints `text` with `from` replaced by `to`: exactly one mistake, its message `expected`.
fn assert_one_message(from: &str, to: &str, expected: &str) {
    assert!(GOOD.contains(from), "the test's base spec lacks {from:?}");
    let dir = workspace(&GOOD.replacen(from, to, 1));
    let (code, text) = lint(dir.path());
    assert_eq!(code, 2, "{text}");
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one mistake, one message:\n{text}");
    assert!(
        errors[0].contains(expected),
        "expected {expected:?} in:\n{text}"
    );
    assert!(!errors[0].contains("{\""), "no dump of the node:\n{text}");
}

#[test]
fn one_mistake_one_message_with_did_you_mean() {
    assert_one_message(
        "        expect:\n",
        "        expcet:\n",
        "unknown key `expcet` (did you mean `expect`?)",
    );
    assert_one_message(
        "status: 200\n",
        "status: 200\n          headers: {x-a: {$mtach: any}}\n",
        "unknown matcher `$mtach` (did you mean `$match`?); expected `$match` or `$regex`",
    );
    assert_one_message(
        "status: 200\n",
        "status: 200\n          body: {result: {$match: sysid}}\n",
        "unknown `$match` kind \"sysid\" (did you mean `sys_id`?); expected one of any, absent",
    );
    assert_one_message(
        "covers: [accepted]",
        "covers: [acepted]",
        "the catalogue has no case `acepted` for awa_inbox_actions/accept (did you mean `accepted`?); known: accepted,",
    );
    assert_one_message(
        "{{agent.sys_id}}",
        "{{agnet.sys_id}}",
        "undefined variable `{{agnet.sys_id}}` (did you mean `agent.sys_id`?); defined here: agent.FIELD, api, base_url, run_id, unknown_id, user_name",
    );
}

#[test]
fn a_built_in_spec_is_named_path_line_first_then_built_in() {
    // Run where there is no specs/ directory: the built-in copies are used.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args(["run", "--mock-fault", "accept-wrong-status", "--no-doctor"])
        .args([
            "--exact",
            "awa_inbox_actions/accept::accepts a pending work item[v1 json]",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let re = regex::Regex::new(r#"specs/awa_inbox_actions/accept\.yaml:\d+ \(built-in\): step "accept the work item": status: expected 200, got 201"#).unwrap();
    assert!(re.is_match(&text), "{text}");
}
