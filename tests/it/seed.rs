//! Seed data and reset: `sn-conform mock --seed FILE` serves a team's own records through the
//! Table API and the three APIs; `POST /sn-conform/reset` (admin only) puts the mock back;
//! the built-in accounts cannot be deleted; a broken seed file is refused with its line.

use std::process::Command;

use crate::common::process::{MockProcess, BIN};
use serde_json::Value;

const CHANNEL: &str = "0123456789abcdef0123456789abcdef";

fn blocking<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

async fn call(method: reqwest::Method, url: &str, user: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .request(method, url)
        .basic_auth(user, Some(user))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[test]
fn a_seeded_mock_serves_the_records_and_reset_puts_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        format!("awa_service_channel:\n  - {{sys_id: {CHANNEL}, name: Chat}}\nawa_reject_reason:\n  - {{reason: Busy, order: 2, service_channel: {CHANNEL}}}\n  - {{reason: Lunch, order: 1, service_channel: {CHANNEL}}}\n"),
    )
    .unwrap();
    let mock = MockProcess::start(&["--seed", seed.to_str().unwrap()]);
    let base = mock.url.clone();
    blocking(async move {
        // The API answers from the seed.
        let (status, body) = call(
            reqwest::Method::GET,
            &format!("{base}/api/now/awa/inbox/actions/reject_reasons/{CHANNEL}"),
            "admin",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let reasons: Vec<&str> = body["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"].as_str().unwrap())
            .collect();
        assert_eq!(reasons, ["Lunch", "Busy"]);
        // A careless client deletes a seeded record and cannot delete a built-in account.
        let (status, _) = call(
            reqwest::Method::DELETE,
            &format!("{base}/api/now/table/awa_service_channel/{CHANNEL}"),
            "admin",
        )
        .await;
        assert_eq!(status, 204);
        let (_, users) = call(
            reqwest::Method::GET,
            &format!("{base}/api/now/table/sys_user?sysparm_query=user_name%3Dadmin"),
            "admin",
        )
        .await;
        let admin_id = users["result"][0]["sys_id"].as_str().unwrap().to_string();
        let (status, body) = call(
            reqwest::Method::DELETE,
            &format!("{base}/api/now/table/sys_user/{admin_id}"),
            "admin",
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["status"], "failure");
        // Reset: admin only; the seeded record is back.
        let (status, _) = call(
            reqwest::Method::POST,
            &format!("{base}/sn-conform/reset"),
            "no.role",
        )
        .await;
        assert_eq!(status, 403);
        let (status, body) = call(
            reqwest::Method::POST,
            &format!("{base}/sn-conform/reset"),
            "admin",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result"]["reset"], true);
        let (status, _) = call(
            reqwest::Method::GET,
            &format!("{base}/api/now/table/awa_service_channel/{CHANNEL}"),
            "admin",
        )
        .await;
        assert_eq!(status, 200);
    });
}

#[test]
fn a_broken_seed_file_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "awa_service_channel:\n  - {name: Chat}\n  - {nmae: Email}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["mock", "--port", "0", "--seed", seed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("seed.yaml:3:") && err.contains("no field `nmae` (did you mean `name`?)"),
        "{err}"
    );
}
