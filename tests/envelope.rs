//! Every answer of the mock is in the platform's envelope, including the ones the framework
//! makes on its own: a method the resource does not support (405 with `Allow`), an undecodable
//! path segment, a bad query parameter, a body over the limit (413), an `Accept` the mock
//! cannot answer (406) and a body it cannot read (415).

use serde_json::Value;
use sn_conform::mock::{Mock, MockOptions, RunningMock};

#[test]
fn every_rejection_is_an_error_envelope_with_its_status() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions {
            max_body: 1000,
            ..MockOptions::default()
        }))
        .await
        .unwrap();
        let base = mock.base_url.clone();
        let client = reqwest::Client::new();
        let table = format!("{base}/api/now/table/sys_user");
        let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
            (
                client.request(reqwest::Method::TRACE, &table),
                405,
                "Method not Supported",
            ),
            (client.delete(&table), 405, "Method not Supported"),
            (
                client.get(format!("{table}/%FF%FE")),
                400,
                "Exception while reading request",
            ),
            (
                client.get(format!("{table}?sysparm_limit=ten")),
                400,
                "Invalid value for sysparm_limit",
            ),
            (
                client.get(&table).header("accept", "text/html"),
                406,
                "Not Acceptable",
            ),
            (
                client
                    .post(&table)
                    .header("content-type", "text/plain")
                    .body("user_name=x"),
                415,
                "Unsupported Media Type",
            ),
            (
                client
                    .post(&table)
                    .header("content-type", "application/json")
                    .body(format!("{{\"user_name\":\"{}\"}}", "x".repeat(2000))),
                413,
                "Request entity too large",
            ),
            (
                client.get(format!("{base}/api/now/nothing/here")),
                400,
                "Requested URI does not represent any resource",
            ),
        ];
        for (request, status, message) in cases {
            let response = request
                .basic_auth("admin", Some("admin"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), status, "{message}");
            let headers = response.headers().clone();
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json"),
                "{message}: {headers:?}"
            );
            if status == 405 {
                let allow = headers["allow"].to_str().unwrap();
                assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
            }
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], "failure", "{body}");
            assert_eq!(body["error"]["message"], message, "{body}");
            assert!(body["error"]["detail"].is_string(), "{body}");
        }
        // Nothing was inserted by the refused requests.
        let users: Value = client
            .get(&table)
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(users["result"].as_array().unwrap().len(), 3);
        mock.stop().await;
    });
}

#[test]
fn the_mock_limits_are_enforced_in_the_envelope() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let instance = sn_conform::mock::Mock::new(sn_conform::mock::MockOptions {
            max_header_bytes: 2_000,
            max_uri_bytes: 1_000,
            max_records: 3,
            max_body: 500,
            ..Default::default()
        });
        let mock = sn_conform::mock::RunningMock::start(instance.clone())
            .await
            .unwrap();
        let client = reqwest::Client::new();
        let table = format!("{}/api/now/table/awa_queue", mock.base_url);
        let envelope = |status: u16, body: &serde_json::Value| {
            assert_eq!(body["status"], "failure", "{status}: {body}");
            assert!(body["error"]["message"].is_string(), "{body}");
        };
        // URI: just under passes, over is 414.
        let long = format!("{table}?sysparm_query=name={}", "x".repeat(1_000));
        let r = client
            .get(&long)
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 414);
        envelope(414, &r.json().await.unwrap());
        // Headers.
        let r = client
            .get(&table)
            .basic_auth("admin", Some("admin"))
            .header("x-padding", "y".repeat(2_000))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 431);
        envelope(431, &r.json().await.unwrap());
        // Body.
        let r = client
            .post(&table)
            .basic_auth("admin", Some("admin"))
            .json(&serde_json::json!({"name": "z".repeat(600)}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 413);
        envelope(413, &r.json().await.unwrap());
        // Records per table: three fit, the fourth is refused, nothing is added.
        for i in 0..3 {
            let r = client
                .post(&table)
                .basic_auth("admin", Some("admin"))
                .json(&serde_json::json!({"name": format!("q{i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
        }
        let r = client
            .post(&table)
            .basic_auth("admin", Some("admin"))
            .json(&serde_json::json!({"name": "q3"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        let body: serde_json::Value = r.json().await.unwrap();
        envelope(403, &body);
        assert!(
            body["error"]["detail"]
                .as_str()
                .unwrap()
                .contains("--max-records"),
            "{body}"
        );
        assert_eq!(instance.store().with(|t| t.count("awa_queue")), 3);
        mock.stop().await;
    });
}
