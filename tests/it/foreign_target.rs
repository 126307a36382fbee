//! A target that is not a ServiceNow API (a hibernating developer instance's page, a proxy's
//! login page, a gateway's status HTTP does not define, JSON without the platform's
//! envelope): the run stops with exit 3 and one line that says what it saw and what to do,
//! before any write, and still writes report.json, junit.xml and summary.md that say why.
//! A run stopped by a wrong option (exit 2) reports the same way.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::common::process::BIN;
use crate::misbehaving::response;

/// Serves `answer` (a whole HTTP response) to every request on a loopback port; returns the
/// base URL and the request lines seen.
fn serve(answer: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match stream.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            log.lock().unwrap().push(line);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, seen)
}

const HIBERNATING: &str = "<!DOCTYPE html><html><head><title>Instance Hibernating page</title></head><body><div class=\"instance-hibernating-page\"><h1>Your instance is hibernating</h1><p class=\"information\">Sign in to the site to wake your instance</p></div></body></html>";

const LOGIN: &str = "<html><head><title>Sign in</title></head><body><form method=\"post\" action=\"/login\"><input name=\"user\"><input type=\"password\" name=\"pw\"></form></body></html>";

/// Runs `sn-conform run` against `url`; exit code, stderr, and the report directory.
fn run_against(url: &str, extra: &[&str]) -> (Option<i32>, String, tempfile::TempDir) {
    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["run", "--base-url", url, "--user", "admin"])
        .args(["--password", "pw-foreign-4417", "--report-dir"])
        .arg(reports.path())
        .args(extra)
        .env_remove("SN_BASE_URL")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        reports,
    )
}

/// The three reports a CI dashboard reads say the run stopped, and why.
fn assert_stopped_reports(dir: &std::path::Path, reason: &str) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let stopped = json["stopped"]
        .as_str()
        .expect("report.json names the stop");
    assert!(stopped.contains(reason), "{stopped}");
    assert_eq!(json["trials"].as_array().map(Vec::len), Some(0));
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<error"), "{junit}");
    assert!(
        junit.contains("the run stopped before the suite"),
        "{junit}"
    );
    assert!(junit.contains(&reason.replace('\'', "&apos;")), "{junit}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(summary.starts_with("# sn-conform: STOPPED"), "{summary}");
    assert!(summary.contains(reason), "{summary}");
    let everything = [json.to_string(), junit, summary].concat();
    assert!(!everything.contains("pw-foreign-4417"));
}

#[test]
fn an_answer_that_is_not_the_platforms_stops_the_run_before_any_write() {
    let cases = [
        (
            response("200 OK", "text/html; charset=utf-8", HIBERNATING),
            "the instance answered an HTML page: it looks hibernating; wake it and run again",
        ),
        (
            response("200 OK", "text/html", LOGIN),
            "the instance answered an HTML login page",
        ),
        (
            response("999 Whatever", "application/json", "{\"result\":[]}"),
            "status 999, which HTTP does not define",
        ),
        (
            response("200 OK", "application/json", "{\"ok\":true}"),
            "not the platform's envelope",
        ),
    ];
    for (answer, line) in cases {
        let (url, seen) = serve(answer);
        let (code, stderr, reports) = run_against(&url, &[]);
        assert_eq!(code, Some(3), "{line}: {stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{line}: one line, got:\n{stderr}");
        assert!(lines[0].contains(line), "{stderr}");
        assert!(
            lines[0].ends_with("nothing was created or changed on the target"),
            "{stderr}"
        );
        let seen = seen.lock().unwrap().clone();
        assert!(!seen.is_empty());
        assert!(
            seen.iter().all(|l| l.starts_with("GET ")),
            "{line}: only reads before the stop, got {seen:?}"
        );
        assert_stopped_reports(reports.path(), line);
    }
}

#[test]
fn the_doctor_names_the_page_too() {
    let (url, _) = serve(response("200 OK", "text/html", HIBERNATING));
    let out = Command::new(BIN)
        .args(["doctor", "--base-url", &url, "--user", "admin"])
        .args(["--password", "pw-foreign-4417"])
        .env_remove("SN_BASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("it looks hibernating"), "{stderr}");
}

#[test]
fn a_run_stopped_by_a_wrong_option_or_an_unreachable_target_still_reports_why() {
    // Exit 2: an option that is wrong.
    let (code, stderr, reports) = run_against("http://127.0.0.1:9", &["--timeout", "0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_stopped_reports(reports.path(), "--timeout must be at least 1 second");
    // Exit 3: nothing listens there.
    let (code, stderr, reports) = run_against("http://127.0.0.1:9", &[]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_stopped_reports(reports.path(), "could not connect");
}

/// A proxy in front of a mock that passes the first `passed` requests and then drops every
/// connection unanswered; returns its base URL and the request lines it saw.
fn cut_after(passed: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let mock = sn_conform::mock::Mock::new(crate::common::admin_password("pw-foreign-4417"));
    let url = crate::misbehaving::in_front_of(mock, move |base, head, body, mut stream| {
        let n = {
            let mut log = log.lock().unwrap();
            log.push(head.lines().next().unwrap_or("").to_string());
            log.len()
        };
        async move {
            if n <= passed {
                let out = crate::misbehaving::forward(&base, &head, body).await;
                let _ = tokio::io::AsyncWriteExt::write_all(&mut stream, &out).await;
            }
            // Past that, the connection closes without an answer.
        }
    });
    (url, seen)
}

#[test]
fn a_doctor_check_that_loses_the_connection_stops_the_run_before_any_write() {
    // The pre-run check and the doctor's connection check pass; every check after fails on
    // the connection.
    let (url, seen) = cut_after(2);
    let (code, stderr, reports) = run_against(&url, &[]);
    assert_eq!(code, Some(3), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got:\n{stderr}");
    assert!(
        lines[0].contains("a check's request failed on the connection"),
        "{stderr}"
    );
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|l| l.starts_with("GET ")),
        "no write after the connection failed: {seen:?}"
    );
    assert_stopped_reports(reports.path(), "failed on the connection");
}
