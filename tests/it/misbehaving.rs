//! The harness against an instance that misbehaves: a loopback server that serves the mock
//! faithfully (so fixtures work) except on the reject_reasons route, where it misbehaves in one
//! of eleven ways. Against each, a run ends within its timeouts with exit 1, names the cause in
//! each trial, never panics, writes every report, and stays within its memory limit.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sn_conform::mock::{Mock, RunningMock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Faithful everywhere (the baseline).
    Faithful,
    SlowPastTimeout,
    ResetMidBody,
    NotJson,
    /// 50 MB, chunked, so only reading tells its size.
    Huge,
    RedirectLoop,
    NoContentWithBody,
    InvalidUtf8,
    TruncatedChunked,
    Status999,
    NeverAnswers,
    EchoHeaders,
}

const PASSWORD: &str = "pw-misbehaving-5521";

/// Reads one request: its head and its body (by content-length).
pub(crate) async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            let mut body = data[end + 4..].to_vec();
            while body.len() < length {
                let n = stream.read(&mut buf).await.ok()?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
            }
            return Some((head, body));
        }
    }
}

pub(crate) async fn forward(mock: &str, head: &str, body: Vec<u8>) -> Vec<u8> {
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("GET");
    let path = parts.next().unwrap_or("/");
    let client = reqwest::Client::new();
    let mut request = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{mock}{path}"),
    );
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if ["authorization", "content-type", "accept"].contains(&k.as_str()) {
                request = request.header(k, v.trim());
            }
        }
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    let bytes = response.bytes().await.unwrap();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("OK"),
        bytes.len()
    )
    .into_bytes();
    out.extend_from_slice(&bytes);
    out
}

async fn misbehave(mode: Mode, mut stream: TcpStream, head: &str) {
    let json = "content-type: application/json;charset=UTF-8";
    match mode {
        Mode::Faithful => unreachable!(),
        Mode::SlowPastTimeout => {
            tokio::time::sleep(Duration::from_secs(4)).await;
            let _ = stream
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\n{json}\r\ncontent-length: 13\r\n\r\n{{\"result\":[]}}"
                    )
                    .as_bytes(),
                )
                .await;
        }
        Mode::ResetMidBody => {
            let _ = stream
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\n{json}\r\ncontent-length: 1000\r\n\r\n{{\"result\":["
                    )
                    .as_bytes(),
                )
                .await;
            // Dropped here: the connection closes 990 bytes short of what it announced.
            drop(stream);
        }
        Mode::NotJson => {
            let body = "<html><body>Instance is hibernating</body></html>";
            let _ = stream
                .write_all(format!("HTTP/1.1 404 Not Found\r\n{json}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
        Mode::Huge => {
            let _ = stream
                .write_all(
                    format!(
                        "HTTP/1.1 404 Not Found\r\n{json}\r\ntransfer-encoding: chunked\r\n\r\n"
                    )
                    .as_bytes(),
                )
                .await;
            let chunk = vec![b' '; 64 * 1024];
            let framed = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk,
                b"\r\n".to_vec(),
            ]
            .concat();
            for _ in 0..(50 * 16) {
                if stream.write_all(&framed).await.is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
        }
        Mode::RedirectLoop => {
            let path = head.split(' ').nth(1).unwrap_or("/");
            let _ = stream
                .write_all(format!("HTTP/1.1 302 Found\r\nlocation: {path}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
                .await;
        }
        Mode::NoContentWithBody => {
            let _ = stream
                .write_all(format!("HTTP/1.1 204 No Content\r\n{json}\r\nconnection: close\r\n\r\n{{\"result\":[]}}").as_bytes())
                .await;
        }
        Mode::InvalidUtf8 => {
            let mut body = b"{\"error\":{\"message\":\"".to_vec();
            body.extend_from_slice(&[0xff, 0xfe, 0xfd]);
            body.extend_from_slice(b"\",\"detail\":\"\"},\"status\":\"failure\"}");
            let mut out = format!("HTTP/1.1 404 Not Found\r\n{json}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len()).into_bytes();
            out.extend_from_slice(&body);
            let _ = stream.write_all(&out).await;
        }
        Mode::TruncatedChunked => {
            let _ = stream
                .write_all(format!("HTTP/1.1 404 Not Found\r\n{json}\r\ntransfer-encoding: chunked\r\n\r\n40\r\n{{\"error\":{{\"message\":\"No Record").as_bytes())
                .await;
        }
        Mode::Status999 => {
            let body = "{\"result\":[]}";
            let _ = stream
                .write_all(format!("HTTP/1.1 999 Whatever\r\n{json}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
        Mode::NeverAnswers => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Mode::EchoHeaders => {
            let headers: Vec<String> = head.lines().skip(1).map(str::to_string).collect();
            let body = serde_json::json!({"error": {"message": headers.join("; "), "detail": PASSWORD}, "status": "failure"}).to_string();
            let _ = stream
                .write_all(format!("HTTP/1.1 200 OK\r\n{json}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
    }
}

/// A whole HTTP answer that closes its connection.
pub(crate) fn response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A loopback server in front of `mock` (both on a thread of their own): each request's
/// head and body go to `handle` with the mock's base URL and the connection, to answer
/// (often by [`forward`]ing it) or not. Returns the server's base URL.
pub(crate) fn in_front_of<H, F>(mock: Mock, handle: H) -> String
where
    H: Fn(String, String, Vec<u8>, TcpStream) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = crate::common::runtime(2);
        runtime.block_on(async move {
            let mock = RunningMock::start(mock).await.unwrap();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            let handle = std::sync::Arc::new(handle);
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let (base, handle) = (mock.base_url.clone(), std::sync::Arc::clone(&handle));
                tokio::spawn(async move {
                    if let Some((head, body)) = read_request(&mut stream).await {
                        handle(base, head, body, stream).await;
                    }
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// Starts the misbehaving server on a thread of its own; returns its base URL.
fn serve(mode: Mode) -> String {
    let mock = Mock::new(crate::common::admin_password(PASSWORD));
    in_front_of(mock, move |base, head, body, mut stream| async move {
        if mode != Mode::Faithful && head.contains("/reject_reasons/") {
            misbehave(mode, stream, &head).await;
        } else {
            let out = forward(&base, &head, body).await;
            let _ = stream.write_all(&out).await;
        }
    })
}

struct Verdict {
    code: Option<i32>,
    elapsed: Duration,
    stderr: String,
    report: serde_json::Value,
    dir: tempfile::TempDir,
    peak_rss_kb: u64,
}

/// `sn-conform run` of the reject_reasons trials against `url`, its peak memory sampled.
fn run_against(url: &str) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut child = Command::new(crate::common::process::BIN)
        .args([
            "run",
            "--base-url",
            url,
            "--user",
            "admin",
            "--no-doctor",
            "--timeout",
            "2",
            "--max-body",
            "1048576",
            "--report-dir",
        ])
        .arg(dir.path())
        .arg("reject_reasons::unknown channel")
        .env("SN_PASSWORD", PASSWORD)
        .env_remove("SN_TARGET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run against {url} did not end"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let report = std::fs::read_to_string(dir.path().join("report.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(serde_json::Value::Null);
    Verdict {
        code: status.code(),
        elapsed: started.elapsed(),
        stderr,
        report,
        dir,
        peak_rss_kb: peak,
    }
}

#[test]
fn every_misbehaviour_ends_in_bounded_time_as_named_errors_with_every_report() {
    let baseline = run_against(&serve(Mode::Faithful));
    assert_eq!(baseline.code, Some(0), "{}", baseline.stderr);
    // (mode, outcome each trial must have, a fragment its message must contain)
    let cases: Vec<(Mode, &str, &str)> = vec![
        (Mode::SlowPastTimeout, "error", "timed out"),
        (Mode::ResetMidBody, "error", "reading the body failed"),
        (Mode::NotJson, "error", "body is not JSON"),
        (
            Mode::Huge,
            "error",
            "larger than --max-body (1048576 bytes)",
        ),
        (Mode::RedirectLoop, "error", "too many redirects"),
        (Mode::NoContentWithBody, "failed", "expected 404, got 204"),
        (Mode::InvalidUtf8, "error", "not valid UTF-8"),
        (Mode::TruncatedChunked, "error", "reading the body failed"),
        (Mode::Status999, "failed", "expected 404, got 999"),
        (Mode::NeverAnswers, "error", "timed out"),
        (Mode::EchoHeaders, "failed", "expected 404, got 200"),
    ];
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(mode, outcome, fragment)| {
            std::thread::spawn(move || (mode, outcome, fragment, run_against(&serve(mode))))
        })
        .collect();
    for handle in handles {
        let (mode, outcome, fragment, run) = handle.join().unwrap();
        let context = format!("{mode:?}: {}", run.stderr);
        assert_eq!(run.code, Some(1), "{context}");
        assert!(!run.stderr.contains("panicked"), "{context}");
        // Each request waits at most the timeout (2 s); four trials, a few requests each.
        assert!(
            run.elapsed < Duration::from_secs(40),
            "{mode:?} took {:?}",
            run.elapsed
        );
        for name in sn_conform::report::FILES {
            assert!(run.dir.path().join(name).is_file(), "{mode:?}: no {name}");
        }
        let trials = run.report["trials"].as_array().unwrap();
        assert_eq!(trials.len(), 4, "{context}");
        for t in trials {
            assert_eq!(t["outcome"], outcome, "{mode:?}: {t}");
            let message = t["failures"][0].as_str().unwrap_or_default();
            assert!(message.contains(fragment), "{mode:?}: {message}");
        }
        // Nothing the run created stays behind, even when every operation misbehaved.
        assert_eq!(run.report["records"]["left"], 0, "{mode:?}");
        // Nothing secret reaches a report, even when the instance echoes it back.
        for name in sn_conform::report::FILES {
            let text = std::fs::read_to_string(run.dir.path().join(name)).unwrap();
            assert!(
                !text.contains(PASSWORD),
                "{mode:?}: the password is in {name}"
            );
        }
        if mode == Mode::Huge {
            // 50 MB offered, 1 MiB read: the run stays within a few MB of a normal one.
            let over = run.peak_rss_kb.saturating_sub(baseline.peak_rss_kb);
            assert!(
                over < 8 * 1024,
                "peak memory {} kB against {} kB for a faithful instance",
                run.peak_rss_kb,
                baseline.peak_rss_kb
            );
        }
    }
}
