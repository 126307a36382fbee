//! Every answer of the mock is in the platform's envelope, including the ones the framework
//! makes on its own: a method the resource does not support (405 with `Allow`), an undecodable
//! path segment, a bad query parameter, a body over the limit (413), an `Accept` the mock
//! cannot answer (406) and a body it cannot read (415).

use serde_json::Value;
use sn_conform::mock::{Mock, MockOptions, RunningMock};

#[test]
fn every_rejection_is_an_error_envelope_with_its_status() {
    let runtime = crate::common::runtime(2);
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

#[test]
fn max_concurrent_makes_requests_wait_their_turn_and_rate_limit_answers_429() {
    let runtime = crate::common::runtime(4);
    runtime.block_on(async {
        let peak = |max_concurrent: Option<usize>| async move {
            let instance = sn_conform::mock::Mock::new(sn_conform::mock::MockOptions {
                max_concurrent,
                latency: Some(sn_conform::mock::parse_latency("50").unwrap()),
                ..Default::default()
            });
            let mock = sn_conform::mock::RunningMock::start(instance.clone())
                .await
                .unwrap();
            let client = reqwest::Client::new();
            let url = format!("{}/api/now/table/sys_user?sysparm_limit=1", mock.base_url);
            let tasks: Vec<_> = (0..12)
                .map(|_| {
                    let (client, url) = (client.clone(), url.clone());
                    tokio::spawn(async move {
                        client
                            .get(url)
                            .basic_auth("admin", Some("admin"))
                            .send()
                            .await
                            .unwrap()
                            .status()
                            .as_u16()
                    })
                })
                .collect();
            for task in tasks {
                assert_eq!(task.await.unwrap(), 200);
            }
            mock.stop().await;
            instance.peak_in_flight()
        };
        // Twelve at once: without a limit they overlap; with one, never more than it.
        assert!(peak(None).await > 2);
        assert_eq!(peak(Some(2)).await, 2);

        let instance = sn_conform::mock::Mock::new(sn_conform::mock::MockOptions {
            rate_limit: Some(sn_conform::mock::parse_rate("5/s").unwrap()),
            ..Default::default()
        });
        let mock = sn_conform::mock::RunningMock::start(instance)
            .await
            .unwrap();
        let client = reqwest::Client::new();
        let url = format!("{}/api/now/table/sys_user?sysparm_limit=1", mock.base_url);
        let mut statuses = Vec::new();
        let mut refused = None;
        for _ in 0..10 {
            let r = client
                .get(&url)
                .basic_auth("admin", Some("admin"))
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
            if r.status() == 429 && refused.is_none() {
                refused = Some(r);
            } else if r.status() == 200 {
                assert_eq!(r.headers()["x-ratelimit-limit"], "5");
            }
        }
        // The first five pass, then 429: the window is one second from the first request.
        let first_refusal = statuses.iter().position(|s| *s == 429).expect("a 429");
        assert_eq!(first_refusal, 5, "{statuses:?}");
        let refused = refused.unwrap();
        let retry: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=1).contains(&retry));
        // The documented headers and body (inbound-REST-API-rate-limiting.md).
        assert!(refused.headers().get("x-ratelimit-remaining").is_none());
        assert!(refused.headers().contains_key("x-ratelimit-reset"));
        assert_eq!(
            refused.headers()["x-ratelimit-rule"],
            sn_conform::mock::RATE_LIMIT_RULE
        );
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["status"], "failure");
        assert_eq!(body["error"]["message"], "Rate limit exceeded");
        assert_eq!(
            body["error"]["detail"],
            "Rate limit of 5 requests per second for Table API exceeded"
        );
        assert!(sn_conform::mock::parse_rate("0").is_err());
        assert!(sn_conform::mock::parse_rate("fast").is_err());
        mock.stop().await;
    });
}
