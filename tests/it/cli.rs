//! The binary end to end: the default run, `--list`, a run against `sn-conform mock` over
//! loopback, and runs against instances that refuse connections or never answer.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::process::{MockProcess, BIN};

fn run(args: &[&str], dir: &std::path::Path) -> (i32, String, String) {
    run_env(args, dir, &[])
}

/// Like [`run`], with extra environment variables (and none of the caller's SN_*).
fn run_env(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("SN_")) {
        command.env_remove(name);
    }
    let out = command
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A loopback "instance" that accepts up to `connections` connections and never answers, for
/// 30 seconds; its URL.
fn silent_instance(connections: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(connections).collect();
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(held);
    });
    url
}

#[test]
fn the_default_run_uses_the_built_in_specs_and_writes_four_reports() {
    // An empty directory: no specs/ or schemas/, so the copies in the binary are used.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["-q"], dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("test result: ok"), "{out}");
    for name in ["report.json", "junit.xml", "summary.md", "report.html"] {
        assert!(
            dir.path().join("reports").join(name).is_file(),
            "{name} missing"
        );
    }
    let json = report(&dir.path().join("reports"));
    assert_eq!(json["summary"]["failed"], 0);
    assert_eq!(json["summary"]["ignored"], 0);
    assert_eq!(json["target_kind"], "embedded mock");
    let junit = std::fs::read_to_string(dir.path().join("reports/junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"awa_inbox_actions\""),
        "{junit}"
    );
}

#[test]
fn list_names_a_trial_for_every_documented_case() {
    let (code, out, _) = run(&["--list"], std::path::Path::new("."));
    assert_eq!(code, 0);
    // One entry per case of DESIGN section 6: the operation and a scenario name.
    let catalogue = [
        (
            "conversation_member/drop",
            &[
                "drops an active member",
                "missing interaction_id",
                "member not in the conversation",
                "unknown interaction",
                "no credentials",
                "caller without awa_integration_user",
            ][..],
        ),
        (
            "conversation_member/update",
            &[
                "observer becomes public_fulfiller",
                "private_fulfiller becomes public_fulfiller",
                "missing interaction_id",
                "missing member_type",
                "member_type other than public_fulfiller",
                "no credentials",
                "caller without awa_integration_user",
                "already public_fulfiller",
            ][..],
        ),
        (
            "interaction/create",
            &[
                "with a queue the interaction is queued",
                "without a queue the interaction is new",
                "with context and channel metadata",
                "missing channel",
                "no credentials",
            ][..],
        ),
        (
            "interaction/close",
            &[
                "closes an open interaction",
                "no credentials",
                "unknown interaction",
            ][..],
        ),
        (
            "awa_inbox_actions/reject_reasons",
            &[
                "lists the channel's reasons by order",
                "no credentials",
                "caller without awa_integration_user",
                "AWA disabled",
                "unknown channel",
            ][..],
        ),
        (
            "awa_inbox_actions/accept",
            &[
                "accepts a pending work item",
                "missing agent_id",
                "missing work_item_id",
                "assigned to a different agent",
                "work item not pending accept",
                "unknown work item",
                "no credentials",
                "caller without awa_integration_user",
                "AWA disabled",
            ][..],
        ),
        (
            "awa_inbox_actions/reject",
            &[
                "rejects a pending work item",
                "missing agent_id",
                "missing work_item_id",
                "missing reject_reason_id",
                "assigned to a different agent",
                "work item not pending accept",
                "no credentials",
                "caller without awa_integration_user",
                "AWA disabled",
                "unknown agent",
                "unknown reject reason",
                "unknown work item",
            ][..],
        ),
    ];
    for (operation, cases) in catalogue {
        for case in cases {
            let prefix = format!("{operation}::{case}");
            assert!(
                out.lines().any(|l| l.starts_with(&prefix)),
                "no trial for {prefix}"
            );
        }
    }
    // Sorted by name.
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn a_run_against_the_mock_command_passes_like_the_embedded_run() {
    let mock = MockProcess::start(&["--admin-password", "pw-not-in-reports-7"]);
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("r");
    let (code, out, err) = run(
        &[
            "run",
            "-q",
            "--base-url",
            &mock.url,
            "--user",
            "admin",
            "--password",
            "pw-not-in-reports-7",
            "--norole-user",
            "no.role",
            "--norole-password",
            "no.role",
            "--allow-config-changes",
            "--report-dir",
            reports.to_str().unwrap(),
        ],
        std::path::Path::new("."),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let json = report(&reports);
    assert_eq!(json["summary"]["failed"], 0);
    assert_eq!(json["summary"]["ignored"], 0);
    assert_eq!(json["base_url"], mock.url.as_str());
    for name in ["report.json", "junit.xml", "summary.md", "report.html"] {
        let text = std::fs::read_to_string(reports.join(name)).unwrap();
        assert!(
            !text.contains("pw-not-in-reports-7"),
            "the password leaked into {name}"
        );
    }
    assert!(!out.contains("pw-not-in-reports-7") && !err.contains("pw-not-in-reports-7"));
}

#[test]
fn against_the_mock_command_without_norole_those_trials_are_ignored_with_the_reason() {
    let mock = MockProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        &[
            "run",
            "--base-url",
            &mock.url,
            "--user",
            "admin",
            "--password",
            "admin",
            "--report-dir",
            dir.path().to_str().unwrap(),
        ],
        Path::new("."),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let line = |name: &str| {
        out.lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("accept::caller without awa_integration_user[default json]")
            .contains("ignored (needs an account without awa_integration_user"),
        "{out}"
    );
    // The mock names itself, so its settings may change without --allow-config-changes.
    assert!(err.contains("the target is an sn-conform mock"), "{err}");
    assert!(
        line("reject::AWA disabled[v1 xml]").ends_with("ok"),
        "{out}"
    );
    let json = report(dir.path());
    let ignored: Vec<&serde_json::Value> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == "ignored")
        .collect();
    assert_eq!(ignored.len(), 24);
    for t in ignored {
        assert!(
            t["reason"]
                .as_str()
                .is_some_and(|r| r.contains("--norole-user")),
            "{t}"
        );
    }
}

#[test]
fn a_refused_connection_is_an_error_not_a_panic() {
    // Bind then drop: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let (code, out, err) = run(
        &[
            "run",
            "--base-url",
            &url,
            "--user",
            "u",
            "--password",
            "p",
            "--report-dir",
            dir.path().to_str().unwrap(),
            // The trials' own error path; the doctor would stop the run first (exit 3).
            "--no-doctor",
            "reject_reasons::unknown channel",
        ],
        std::path::Path::new("."),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.contains("could not connect"), "{out}");
    let json = report(dir.path());
    assert_eq!(json["summary"]["error"], 4);
    assert_eq!(json["summary"]["failed"], 0);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("<error") && !junit.contains("<failure"),
        "{junit}"
    );
}

#[test]
fn an_instance_that_never_answers_times_out_as_an_error() {
    let url = silent_instance(8);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        &[
            "run",
            "--base-url",
            &url,
            "--user",
            "u",
            "--password",
            "p",
            "--timeout",
            "1",
            "--report-dir",
            dir.path().to_str().unwrap(),
            "--no-doctor",
            "--exact",
            "awa_inbox_actions/reject_reasons::unknown channel[v1 xml]",
        ],
        std::path::Path::new("."),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("timed out"), "{out}");
    assert_eq!(report(dir.path())["summary"]["error"], 1);
}

#[test]
fn bad_options_exit_2() {
    let (code, _, err) = run(
        &[
            "run",
            "--base-url",
            "ftp://x",
            "--user",
            "u",
            "--password",
            "p",
        ],
        std::path::Path::new("."),
    );
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(
        &["run", "--base-url", "http://127.0.0.1:9"],
        std::path::Path::new("."),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs credentials"), "{err}");
}

#[test]
fn diff_names_regressions_and_fixes_between_two_reports() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    let (code, ..) = run(
        &["-q", "--report-dir", good.to_str().unwrap()],
        Path::new("."),
    );
    assert_eq!(code, 0);
    let (code, ..) = run(
        &[
            "-q",
            "--mock-fault",
            "accept-wrong-status",
            "--report-dir",
            bad.to_str().unwrap(),
        ],
        Path::new("."),
    );
    assert_eq!(code, 1);
    let junit = std::fs::read_to_string(bad.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<failure") && !junit.contains("<error"),
        "{junit}"
    );
    let html = std::fs::read_to_string(bad.join("report.html")).unwrap();
    assert!(
        html.contains("data-name=\"awa_inbox_actions&#x2f;accept::accepts a pending work item[v1 xml]\" data-outcome=\"failed\""),
        "{html}"
    );
    assert!(
        html.contains("step &quot;accept the work item&quot;: status</div>"),
        "{html}"
    );
    assert!(
        html.contains("<pre class=\"exp\">expected: 200</pre>"),
        "{html}"
    );
    let summary = std::fs::read_to_string(bad.join("summary.md")).unwrap();
    assert!(summary.contains("| accept::accepts a pending work item[v1 xml] | failed | specs/awa_inbox_actions/accept.yaml:"), "{summary}");
    let good_json = good.join("report.json");
    let bad_json = bad.join("report.json");

    let (code, out, err) = run(
        &[
            "diff",
            good_json.to_str().unwrap(),
            bad_json.to_str().unwrap(),
        ],
        Path::new("."),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("regressions: passed before, fail now (4 trials"),
        "{out}"
    );
    assert!(
        out.contains(
            "trial awa_inbox_actions/accept::accepts a pending work item[v1 xml]: passed -> failed"
        ),
        "{out}"
    );

    let (code, out, _) = run(
        &[
            "diff",
            bad_json.to_str().unwrap(),
            good_json.to_str().unwrap(),
            "--format",
            "json",
        ],
        Path::new("."),
    );
    assert_eq!(code, 0);
    let changes: serde_json::Value = serde_json::from_str(&out).unwrap();
    let trials = changes["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 4, "{changes}");
    assert!(trials.iter().all(|t| t["change"] == "fixed"), "{changes}");
    assert_eq!(changes["fails"], false);

    let (code, _, err) = run(
        &[
            "diff",
            good.join("summary.md").to_str().unwrap(),
            good_json.to_str().unwrap(),
        ],
        Path::new("."),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("summary.md"), "{err}");
}

#[test]
fn a_pinned_table_uses_the_existing_record_and_leaves_it() {
    let mock = MockProcess::start(&[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let created = crate::common::insert(
        &runtime,
        &mock.url,
        "incident",
        serde_json::json!({"short_description": "pinned"}),
    );
    let incident = created["result"]["sys_id"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let pin = format!("incident={incident}");
    let (code, out, err) = run(
        &[
            "run",
            "--base-url",
            &mock.url,
            "--user",
            "admin",
            "--password",
            "admin",
            "--pin",
            &pin,
            "--report-dir",
            dir.path().to_str().unwrap(),
            "accept::accepts a pending work item",
        ],
        Path::new("."),
    );
    assert_eq!(code, 0, "{out}{err}");
    let json = report(dir.path());
    assert_eq!(json["summary"]["passed"], 4);
    let exchanges: Vec<&serde_json::Value> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["exchanges"].as_array().unwrap())
        .collect();
    assert!(
        exchanges
            .iter()
            .all(|x| !(x["url"].as_str().unwrap().contains("/table/incident")
                && x["method"] != "GET")),
        "a pinned record was written or deleted"
    );
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/api/now/table/incident/{incident}", mock.url))
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 200, "the pinned record was deleted");

    let (code, _, err) = run(
        &[
            "run",
            "--base-url",
            &mock.url,
            "--user",
            "a",
            "--password",
            "b",
            "--pin",
            "incident",
        ],
        Path::new("."),
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn ctrl_c_stops_the_run_writes_the_reports_and_exits_130() {
    let url = silent_instance(16);
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "run",
            "--base-url",
            &url,
            "--user",
            "u",
            "--password",
            "p",
            "--timeout",
            "20",
            "--no-doctor",
        ])
        .args(["--report-dir", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("running against") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the run ended early"
        );
    }
    // Trials are now waiting on the silent instance.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed().as_secs() < 10,
        "Ctrl-C did not stop the waiting trials"
    );
    let json = report(dir.path());
    let reasons: Vec<&str> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["reason"].as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("interrupted")),
        "{reasons:?}"
    );
}

#[test]
fn a_closed_stdout_ends_the_run_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--report-dir", dir.path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the run prints anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(err.contains("output closed after"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(dir.path().join("report.json").is_file());
}

#[test]
fn a_profile_with_a_literal_secret_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("prod.yaml");
    // The instance counts connections: none may arrive.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::fs::write(
        &profile,
        format!(
            "base_url: {url}\ncredentials:\n  user_env: SN_TEST_USER\n  password: Hunter2-secret\n"
        ),
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    for sub in ["run", "lint"] {
        let (code, out, err) = run(&[sub, "--target", profile.to_str().unwrap()], &cwd);
        assert_eq!(code, 2, "{sub}: {out}{err}");
        assert!(err.contains("prod.yaml:4:"), "{sub}: {err}");
        assert!(err.contains("password_env"), "{sub}: {err}");
        assert!(
            !format!("{out}{err}").contains("Hunter2"),
            "{sub} repeated the secret"
        );
    }
    assert!(listener.accept().is_err(), "a request was sent");
}

#[test]
fn a_profile_names_the_target_its_variables_and_skips_and_options_override_it() {
    let mock = MockProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("mock.yaml");
    std::fs::write(
        &profile,
        "base_url: http://127.0.0.1:9\ncredentials:\n  user_env: SN_TEST_USER\n  password_env: SN_TEST_PASSWORD\nskip:\n  - operation: conversation_member/update\n    reason: member types are managed by a workflow here\n  - tag: config\n    reason: shared setting\ntimeout: 5\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let cwd = std::env::current_dir().unwrap();
    // A variable the profile names must be set.
    let (code, _, err) = run_env(
        &["run", "--target", profile.to_str().unwrap()],
        &cwd,
        &[("SN_TEST_USER", "admin")],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("mock.yaml:4:") && err.contains("SN_TEST_PASSWORD"),
        "{err}"
    );
    // --base-url overrides the profile's (port 9 answers nothing); the rest comes from it.
    let (code, out, err) = run_env(
        &[
            "run",
            "--target",
            profile.to_str().unwrap(),
            "--base-url",
            &mock.url,
            "--report-dir",
            reports.to_str().unwrap(),
        ],
        &cwd,
        &[("SN_TEST_USER", "admin"), ("SN_TEST_PASSWORD", "admin")],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let line = out
        .lines()
        .find(|l| l.contains("update::drops nothing") || l.contains("conversation_member/update::"))
        .unwrap_or_default();
    assert!(
        line.contains("ignored (skipped by the target profile (")
            && line.contains("managed by a workflow here"),
        "{line}"
    );
    assert!(out.contains("left out: "), "{out}");
    let json = report(&reports);
    let skipped = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["reason"]
                .as_str()
                .is_some_and(|r| r.contains("skipped by the target profile"))
        })
        .count();
    let updates = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["operation"] == "update")
        .count();
    let config = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().contains("AWA disabled"))
        .count();
    assert_eq!(skipped, updates + config, "{skipped} {updates} {config}");
    assert_eq!(json["summary"]["failed"], 0);
}

/// `--version` names the commit and date the binary was built from (issue 23), and the
/// reports record the same.
#[test]
fn the_version_names_the_commit_and_the_reports_record_it() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .arg("--version")
        .output()
        .unwrap();
    let line = String::from_utf8(out.stdout).unwrap();
    let line = line.trim();
    let version = line.strip_prefix("sn-conform ").expect(line);
    assert_eq!(version, sn_conform::VERSION);
    assert!(version.starts_with(env!("CARGO_PKG_VERSION")), "{version}");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    // Built from this checkout: its HEAD, and that commit's date.
    if let (Some(commit), Some(date)) = (
        git(&["rev-parse", "--short=7", "HEAD"]),
        git(&["log", "-1", "--format=%cd", "--date=short"]),
    ) {
        assert_eq!(
            version,
            format!("{} ({commit} {date})", env!("CARGO_PKG_VERSION"))
        );
    }
    let report = sn_conform::report::RunReport::new(
        "http://127.0.0.1:1".into(),
        sn_conform::report::TargetKind::EmbeddedMock,
        0,
        0.0,
        false,
        Vec::new(),
    );
    assert_eq!(report.tool, format!("sn-conform {version}"));
}

/// Completions for each shell name every subcommand; the man page of `run` names every option
/// of `run` (issue 23). Both are generated from the definition `--help` prints.
#[test]
fn completions_and_man_pages_cover_every_subcommand_and_option() {
    let bin = env!("CARGO_BIN_EXE_sn-conform");
    let command = sn_conform::cli::command();
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(subcommands.len() >= 12, "{subcommands:?}");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = std::process::Command::new(bin)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        for name in &subcommands {
            assert!(script.contains(name.as_str()), "{shell}: no `{name}`");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .args(["man", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("sn-conform-run.1"))
        .unwrap()
        .replace("\\-", "-");
    let run = command.find_subcommand("run").expect("a run subcommand");
    let longs: Vec<&str> = run
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .collect();
    assert!(longs.len() > 20, "{longs:?}");
    for long in longs {
        assert!(
            page.contains(&format!("--{long}")),
            "the run page lacks --{long}"
        );
    }
    assert!(dir.path().join("sn-conform.1").exists());
}
