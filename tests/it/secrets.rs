//! Secrets redacted by value: against an instance that echoes the `Authorization` header, the
//! password and the OAuth tokens back in its headers and bodies, no output of the run (the
//! terminal, every report file, the ledger) holds any secret in plain, Basic-encoded,
//! URL-encoded or JSON-escaped form.

use std::process::Command;

use crate::common::process::BIN;
use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use base64::Engine;

const USER: &str = "svc.integration";
const PASSWORD: &str = "Pa55/w0rd&\"echo\"";
const NOROLE_PASSWORD: &str = "n0-r0le-pa55word";
const CLIENT_SECRET: &str = "cl1ent-s3cret-value";
const ACCESS_TOKEN: &str = "tok3n-access-0123456789abcdef";
const REFRESH_TOKEN: &str = "tok3n-refresh-fedcba9876543210";

/// Answers everything with 200 and a body that repeats the credentials it was sent.
async fn echo(uri: Uri, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    if uri.path() == "/oauth_token.do" {
        let body = serde_json::json!({
            "access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
            "token_type": "Bearer", "expires_in": 1800, "echo": String::from_utf8_lossy(&body),
        });
        return ([("content-type", "application/json")], body.to_string()).into_response();
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = serde_json::json!({
        "result": {
            "sys_id": "0123456789abcdef0123456789abcdef",
            "authorization": auth,
            "note": format!("you sent {auth} and your password is {PASSWORD} ({NOROLE_PASSWORD})"),
            "request": String::from_utf8_lossy(&body),
        }
    });
    (
        [
            ("content-type", "application/json"),
            ("x-echo-authorization", auth.as_str()),
        ],
        body.to_string(),
    )
        .into_response()
}

#[test]
fn no_output_holds_a_secret_the_instance_echoed() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        let app = axum::Router::new().fallback(echo);
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["run", "--base-url", &url, "--user", USER, "--timeout", "5"])
        .args(["--norole-user", "plain.user", "--allow-config-changes"])
        .args(["--report-dir", dir.path().to_str().unwrap()])
        .env("SN_PASSWORD", PASSWORD)
        .env("SN_NOROLE_PASSWORD", NOROLE_PASSWORD)
        .env("SN_OAUTH_CLIENT_ID", "client")
        .env("SN_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap();
    let code = out.status.code();
    let mut outputs = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        outputs.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    assert_eq!(
        code,
        Some(1),
        "the echoing instance must fail the suite: {:?}",
        outputs[1]
    );
    assert!(
        outputs.len() >= 2 + 5,
        "{:?}",
        outputs.iter().map(|o| &o.0).collect::<Vec<_>>()
    );

    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut forms = Vec::new();
    for secret in [
        PASSWORD,
        NOROLE_PASSWORD,
        CLIENT_SECRET,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
    ] {
        forms.push(secret.to_string());
        forms.push(
            serde_json::to_string(secret)
                .unwrap()
                .trim_matches('"')
                .to_string(),
        );
        forms.push(serde_urlencoded::to_string([("x", secret)]).unwrap()["x=".len()..].to_string());
    }
    forms.push(b64(&format!("{USER}:{PASSWORD}")));
    forms.push(b64(&format!("plain.user:{NOROLE_PASSWORD}")));
    forms.push(b64(&format!("{USER}:{PASSWORD}-wrong-sn-conform")));
    for (name, text) in &outputs {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "{name} holds a secret ({form})"
            );
        }
    }
    // The echoed values were there to leak: the reports show where they were withheld.
    let report = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let at = report
        .find("you sent")
        .map(|i| &report[i..(i + 80).min(report.len())]);
    assert!(
        report.contains("you sent Bearer [redacted]")
            && report.contains("you sent Basic [redacted]"),
        "the echo never reached the report: {at:?}"
    );
    assert!(report.contains("your password is [redacted]"));
}
