//! A peer: the same requests, with their statuses and content types as assertions, run by
//! Hurl (`cargo install hurl`, with Debian's libcurl and libxml2 development packages), timed
//! against sn-conform running the suite itself, one request at a time both.
//!
//! The Hurl file is made from a run of the suite at one thread: every request in the order
//! it was sent, with its credentials (the built-in mock's accounts), headers and body; each
//! answer asserted on its status, its content type and its envelope (`$.result` or
//! `$.error`); ids the mock chose (an interaction the API created) captured and used by
//! later requests, as the harness does. sn-conform checks more on the same answers (schemas,
//! expected bodies, side effects); Hurl's file checks less, which favours Hurl.
//!
//! `cargo bench --bench hurl` (`SN_BENCH_ROUNDS`, default 3; medians reported). Without
//! `hurl` on the PATH it says so and measures nothing.
//! Target: sn-conform faster than Hurl.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use sn_conform::mock::{Mock, MockOptions, RunningMock};
use sn_conform::report::ExchangeRecord;

mod support;

/// The trial left out of both: it waits for a token to expire, which is no request.
const LEFT_OUT: &str = "an expired bearer token";

fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Every 32-hex id in `text`, in order.
fn ids(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 32 <= bytes.len() {
        let candidate = &text[i..i + 32];
        let bounded = (i == 0 || !bytes[i - 1].is_ascii_hexdigit())
            && (i + 32 == bytes.len() || !bytes[i + 32].is_ascii_hexdigit());
        if bounded && is_id(candidate) {
            out.push(candidate);
            i += 32;
        } else {
            i += 1;
        }
    }
    out
}

/// `text` as a literal inside a Hurl regex literal (`/.../`).
fn escape_regex(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The Hurl file for `exchanges` against `base`.
fn hurl_file(exchanges: &[ExchangeRecord], base: &str) -> String {
    let mut out = String::new();
    // Ids sent by the harness (it chose them) and ids the mock made, by variable.
    let mut sent: std::collections::HashSet<String> = Default::default();
    let mut made: HashMap<String, String> = HashMap::new();
    for (n, x) in exchanges.iter().enumerate() {
        let path = x.url.splitn(4, '/').nth(3).unwrap_or("");
        let mut request = format!("{} {base}/{path}\n", x.method);
        let auth = match x.auth.as_deref() {
            Some("none") => None,
            Some("wrong_password") => Some("Basic YWRtaW46d3Jvbmc="),
            Some("norole") => Some("Basic bm8ucm9sZTpuby5yb2xl"),
            Some("wrong_token") => Some("Bearer 0000000000000000000000000000000000000000"),
            _ => Some("Basic YWRtaW46YWRtaW4="),
        };
        if let Some(auth) = auth {
            let _ = writeln!(request, "Authorization: {auth}");
        }
        for (k, v) in &x.request_headers {
            if !k.eq_ignore_ascii_case("authorization") {
                let _ = writeln!(request, "{k}: {v}");
            }
        }
        if let Some(body) = &x.request_body {
            let _ = writeln!(request, "```\n{body}\n```");
        }
        for id in ids(&request.clone()) {
            if let Some(var) = made.get(id) {
                request = request.replace(id, &format!("{{{{{var}}}}}"));
            } else {
                sent.insert(id.to_string());
            }
        }
        out.push_str(&request);
        let Some(status) = x.status else { continue };
        let _ = writeln!(out, "HTTP {status}");
        let body = x.response_body.clone().unwrap_or_default();
        let mut captures = String::new();
        for id in ids(&body) {
            if sent.contains(id) || made.contains_key(id) {
                continue;
            }
            let var = format!("made_{n}_{}", made.len());
            let at = body.find(id).unwrap_or(0);
            let context = &body[at.saturating_sub(12)..at];
            let _ = writeln!(
                captures,
                "{var}: regex /{}([0-9a-f]{{32}})/",
                escape_regex(context)
            );
            made.insert(id.to_string(), var);
        }
        if !captures.is_empty() {
            let _ = write!(out, "[Captures]\n{captures}");
        }
        let mut asserts = String::new();
        if let Some(kind) = x.content_type() {
            let media = kind.split(';').next().unwrap_or(kind);
            let _ = writeln!(asserts, "header \"Content-Type\" contains \"{media}\"");
            if media == "application/json" && !body.is_empty() {
                let top = if body.contains("\"error\"") {
                    "error"
                } else {
                    "result"
                };
                let _ = writeln!(asserts, "jsonpath \"$.{top}\" exists");
            }
        }
        if !asserts.is_empty() {
            let _ = write!(out, "[Asserts]\n{asserts}");
        }
        out.push('\n');
    }
    out
}

/// One run of the suite at one thread, its exchanges in the order they were sent.
fn recorded() -> Vec<ExchangeRecord> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (_, report) = support::run_cli(
        &[
            "run",
            "--test-threads",
            "1",
            "--no-doctor",
            "--skip",
            LEFT_OUT,
        ],
        dir.path(),
    );
    let report: sn_conform::report::RunReport =
        serde_json::from_value(report).expect("the report reads back");
    let mut exchanges: Vec<ExchangeRecord> = report
        .trials
        .into_iter()
        .flat_map(|t| t.exchanges)
        .collect();
    exchanges.sort_by(|a, b| a.started_at_ms.total_cmp(&b.started_at_ms));
    exchanges
}

fn main() {
    if !support::have("hurl") {
        println!("hurl: skipped: hurl is not installed (cargo install hurl, with libcurl and libxml2 development packages)");
        return;
    }
    let rounds = support::rounds(3);
    let exchanges = recorded();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut failed_asserts = 0;
    for round in 0..rounds {
        // sn-conform: the suite, its own mock, one trial at a time.
        let dir = tempfile::tempdir().expect("a temp dir");
        let (took, _) = support::run_cli(
            &[
                "run",
                "--test-threads",
                "1",
                "--no-doctor",
                "--skip",
                LEFT_OUT,
            ],
            dir.path(),
        );
        let ours_s = took.as_secs_f64();
        // Hurl: the same requests against a fresh mock of the same kind.
        let mock = runtime
            .block_on(RunningMock::start(Mock::new(MockOptions::default())))
            .expect("the mock starts");
        let file = dir.path().join("suite.hurl");
        std::fs::write(&file, hurl_file(&exchanges, &mock.base_url)).expect("the Hurl file");
        let started = Instant::now();
        let out = Command::new("hurl")
            .args(["--test", "--continue-on-error", "--no-color"])
            .arg(&file)
            .output()
            .expect("hurl runs");
        let theirs_s = started.elapsed().as_secs_f64();
        let text = String::from_utf8_lossy(&out.stderr);
        failed_asserts = text.matches("error: ").count();
        if let Ok(keep) = std::env::var("SN_HURL_KEEP") {
            let _ = std::fs::copy(&file, keep);
        }
        assert!(
            !text.contains("error: Parsing"),
            "Hurl could not read the file:\n{}",
            text.lines().take(20).collect::<Vec<_>>().join("\n")
        );
        runtime.block_on(mock.stop());
        println!(
            "round {round}: sn-conform {ours_s:.3} s, hurl {theirs_s:.3} s for {} requests ({failed_asserts} error(s) in Hurl's run, exit {:?}; {})",
            exchanges.len(),
            out.status.code(),
            text.lines().filter(|l| l.contains("files")).collect::<Vec<_>>().join("; ")
        );
        ours.push(ours_s);
        theirs.push(theirs_s);
    }
    let (o, t) = (support::median(ours), support::median(theirs));
    println!(
        "peer: Hurl on the same {} requests, median of {rounds} rounds:",
        exchanges.len()
    );
    println!(
        "  hurl / sn-conform   {:5.2}x   target > 1x (sn-conform faster)   {}",
        t / o,
        support::verdict(t > o)
    );
    if failed_asserts > 0 {
        println!("  note: Hurl reported {failed_asserts} error(s) (a request whose answer depends on a record the replay could not name); its time still counts every request");
    }
}
