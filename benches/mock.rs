//! The mock's throughput under wrk (Debian's package) on loopback, against a bare axum
//! handler that answers the same bytes (status, content type, body) without doing anything,
//! served the same way in the same process and run: reject_reasons (a GET of a channel with
//! three reasons) and interaction create (a POST that inserts a record).
//!
//! `cargo bench --bench mock` (`SN_BENCH_SECONDS` per wrk run, default 5;
//! `SN_BENCH_ROUNDS`, default 3; the median is reported). Needs wrk (`apt-get install wrk`);
//! without it the benchmark says so and measures nothing.
//! Target: reject_reasons at least 0.8x the bare handler's requests per second.

use std::process::Command;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use sn_conform::mock::{Mock, MockOptions, RunningMock};

mod support;

/// A request as wrk sends it: method, path, body.
struct Load {
    name: &'static str,
    method: &'static str,
    path: String,
    body: Option<String>,
}

/// Requests per second wrk measured against `url` for `load`.
fn wrk(url: &str, load: &Load, seconds: u64, dir: &std::path::Path) -> f64 {
    let script = dir.join(format!("{}.lua", load.name));
    let body = load.body.clone().unwrap_or_default().replace('"', "\\\"");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"{}\"\nwrk.path = \"{}\"\nwrk.body = \"{body}\"\nwrk.headers[\"Authorization\"] = \"Basic YWRtaW46YWRtaW4=\"\nwrk.headers[\"Accept\"] = \"application/json\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
            load.method, load.path
        ),
    )
    .expect("the wrk script is written");
    let out = Command::new("wrk")
        .args(["-t", "1", "-c", "16", "-d", &format!("{seconds}s")])
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "{} against {url}: errors\n{text}",
        load.name
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("wrk printed no rate:\n{text}"))
}

/// A bare axum server answering every request with `status`, JSON and `body`.
async fn bare(status: u16, body: String) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let status = StatusCode::from_u16(status).expect("a status");
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move {
            (
                status,
                [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
                body,
            )
                .into_response()
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (url, stop)
}

fn main() {
    if !support::have("wrk") {
        println!("mock: skipped: wrk is not installed (apt-get install wrk)");
        return;
    }
    let seconds: u64 = std::env::var("SN_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let rounds = support::rounds(3);
    let dir = tempfile::tempdir().expect("a temp dir");
    // The same runtime for both servers: two workers, as `sn-conform mock` has on this
    // machine's two cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mock = runtime
        // Interaction create adds a record per request, a few hundred thousand in a run.
        .block_on(RunningMock::start(Mock::new(MockOptions {
            max_records: usize::MAX,
            ..MockOptions::default()
        })))
        .expect("the mock starts");
    let base = mock.base_url.clone();
    // A channel with three reasons, and the answers to copy.
    let client = reqwest::Client::new();
    let call = |method: &str, url: String, body: Option<String>| -> (u16, String) {
        runtime.block_on(async {
            let mut request = client
                .request(method.parse().expect("a method"), url)
                .basic_auth("admin", Some("admin"))
                .header("content-type", "application/json");
            if let Some(body) = body {
                request = request.body(body);
            }
            let answer = request.send().await.expect("the mock answers");
            let status = answer.status().as_u16();
            (status, answer.text().await.expect("a body"))
        })
    };
    let post = |table: &str, body: serde_json::Value| -> serde_json::Value {
        let (_, text) = call(
            "POST",
            format!("{base}/api/now/table/{table}"),
            Some(body.to_string()),
        );
        serde_json::from_str(&text).expect("JSON")
    };
    let channel = post(
        "awa_service_channel",
        serde_json::json!({"name": "bench", "active": "true"}),
    )["result"]["sys_id"]
        .as_str()
        .expect("a sys_id")
        .to_string();
    for (order, reason) in [(1, "Busy"), (2, "Not my expertise"), (3, "Lunch")] {
        post(
            "awa_reject_reason",
            serde_json::json!({"reason": reason, "order": order.to_string(), "service_channel": channel}),
        );
    }
    let loads = [
        Load {
            name: "reject_reasons",
            method: "GET",
            path: format!("/api/now/awa/inbox/actions/reject_reasons/{channel}"),
            body: None,
        },
        Load {
            name: "interaction_create",
            method: "POST",
            path: "/api/now/interaction".into(),
            body: Some(format!("{{\"channel\": \"{channel}\"}}")),
        },
    ];
    let mut ratios = Vec::new();
    for load in &loads {
        // The bare handler answers exactly what the mock answers.
        let (status, body) = call(
            load.method,
            format!("{base}{}", load.path),
            load.body.clone(),
        );
        let (bare_url, stop) = runtime.block_on(bare(status, body));
        let (mut mock_rates, mut bare_rates) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let m = wrk(&base, load, seconds, dir.path());
            let b = wrk(&bare_url, load, seconds, dir.path());
            println!(
                "round {round}: {}: mock {m:.0} requests/s, bare handler {b:.0} requests/s ({:.2}x)",
                load.name,
                m / b
            );
            mock_rates.push(m);
            bare_rates.push(b);
        }
        let _ = stop.send(());
        let (m, b) = (support::median(mock_rates), support::median(bare_rates));
        ratios.push((load.name, m, b));
    }
    println!("mock under wrk (1 thread, 16 connections, {seconds} s), median of {rounds} rounds:");
    for (name, m, b) in ratios {
        let target = if name == "reject_reasons" {
            format!("target >= 0.8x   {}", support::verdict(m / b >= 0.8))
        } else {
            "(no target)".to_string()
        };
        println!(
            "  {name:18} mock {m:8.0}/s  bare {b:8.0}/s  {:5.2}x   {target}",
            m / b
        );
    }
    runtime.block_on(mock.stop());
}
