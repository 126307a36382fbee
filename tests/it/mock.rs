//! The mock's platform conventions, seen over HTTP: Table API rendering, the envelope of
//! unknown paths, bearer tokens, and state under concurrent requests.

use serde_json::{json, Value};
use sn_conform::mock::{Mock, MockOptions, RunningMock};
use sn_conform::report::Verdict;
use sn_conform::target::Credentials;

fn with_mock<F: std::future::Future<Output = ()>>(test: impl FnOnce(String, reqwest::Client) -> F) {
    let runtime = crate::common::runtime(2);
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions::default()))
            .await
            .unwrap();
        test(mock.base_url.clone(), reqwest::Client::new()).await;
        mock.stop().await;
    });
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = client
        .request(method, url)
        .basic_auth("admin", Some("admin"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[test]
fn table_api_renders_references_and_pages() {
    with_mock(|base, client| async move {
        use reqwest::Method;
        let (status, headers, user) = call(
            &client,
            Method::POST,
            &format!("{base}/api/now/table/sys_user"),
            Some(json!({"user_name": "t.agent"})),
        )
        .await;
        assert_eq!(status, 201);
        let user_id = user["result"]["sys_id"].as_str().unwrap().to_string();
        assert!(headers["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/api/now/table/sys_user/{user_id}")));
        let (status, _, item) = call(
            &client,
            Method::POST,
            &format!("{base}/api/now/v2/table/awa_work_item"),
            Some(json!({"assigned_to": user_id, "state": "pending_accept"})),
        )
        .await;
        assert_eq!(status, 201);
        let item_id = item["result"]["sys_id"].as_str().unwrap();
        assert_eq!(item["result"]["assigned_to"]["value"], user_id.as_str());
        assert!(item["result"]["assigned_to"]["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/now/table/sys_user/{user_id}")));
        // Every value is a string, defaults included.
        assert_eq!(item["result"]["rejected"], "false");

        let url = format!("{base}/api/now/table/awa_work_item/{item_id}?sysparm_exclude_reference_link=true&sysparm_fields=assigned_to,state");
        let (_, _, plain) = call(&client, Method::GET, &url, None).await;
        assert_eq!(
            plain["result"],
            json!({"assigned_to": user_id, "state": "pending_accept"})
        );

        let url = format!("{base}/api/now/table/sys_user?sysparm_query=user_name=t.agent^active=true&sysparm_limit=1");
        let (status, headers, list) = call(&client, Method::GET, &url, None).await;
        assert_eq!(status, 200);
        assert_eq!(headers["x-total-count"], "1");
        assert_eq!(list["result"][0]["sys_id"], user_id.as_str());

        let (status, _, _) = call(
            &client,
            Method::DELETE,
            &format!("{base}/api/now/table/awa_work_item/{item_id}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (status, _, gone) = call(
            &client,
            Method::GET,
            &format!("{base}/api/now/table/awa_work_item/{item_id}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(
            gone,
            json!({"error": {"message": "No Record found", "detail": "Record doesn't exist or ACL restricts the record retrieval"}, "status": "failure"})
        );
    });
}

#[test]
fn unknown_paths_and_401s_use_the_platform_envelope() {
    with_mock(|base, client| async move {
        let (status, headers, body) = call(
            &client,
            reqwest::Method::GET,
            &format!("{base}/api/now/nothing/here"),
            None,
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(headers["content-type"], "application/json;charset=UTF-8");
        assert_eq!(
            body["error"]["message"],
            "Requested URI does not represent any resource"
        );
        assert_eq!(body["status"], "failure");

        let response = client
            .post(format!("{base}/api/now/awa/inbox/actions/accept"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            r#"BASIC realm="Service-now""#
        );
    });
}

#[test]
fn concurrent_creates_get_distinct_numbers_and_ids() {
    with_mock(|base, client| async move {
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let client = client.clone();
            let url = format!("{base}/api/now/interaction");
            tasks.push(tokio::spawn(async move {
                call(
                    &client,
                    reqwest::Method::POST,
                    &url,
                    Some(json!({"channel": "c"})),
                )
                .await
                .2
            }));
        }
        let mut numbers = std::collections::BTreeSet::new();
        let mut ids = std::collections::BTreeSet::new();
        for task in tasks {
            let body = task.await.unwrap();
            numbers.insert(body["result"]["number"].as_str().unwrap().to_string());
            ids.insert(body["result"]["sys_id"].as_str().unwrap().to_string());
        }
        assert_eq!((numbers.len(), ids.len()), (40, 40));
    });
}

#[test]
fn the_suite_runs_with_a_bearer_token() {
    let mock = Mock::new(MockOptions::default());
    let runtime = crate::common::runtime(2);
    // The token is issued by the mock's own endpoint; the run then serves the same tables.
    let running = runtime.block_on(RunningMock::start(mock.clone())).unwrap();
    let token = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}/oauth_token.do", running.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=password&client_id=sn-conform&client_secret=sn-conform&username=admin&password=admin")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        body["access_token"].as_str().unwrap().to_string()
    });
    runtime.block_on(running.stop());
    let results = crate::common::run_on(mock, |target| target.main = Credentials::Bearer(token));
    let not_passed: Vec<_> = results
        .iter()
        .filter(|r| r.outcome != Verdict::Passed)
        .collect();
    // Only the scenario that must know the caller's user name, and the one that needs tokens
    // of the run's own, are left out, each with its reason.
    assert!(!not_passed.is_empty());
    for r in not_passed {
        assert_eq!(
            r.outcome,
            Verdict::Ignored,
            "{}: {:?}",
            r.name,
            r.failures()
        );
        let reason = r.reason.as_deref().unwrap();
        if r.name.contains("an expired bearer token")
            || r.name.contains("renewed with the refresh grant")
        {
            assert!(reason.contains("--oauth-client-id"), "{reason}");
        } else {
            assert!(
                r.name
                    .starts_with("interaction/close::closes an open interaction"),
                "{}",
                r.name
            );
            assert!(reason.contains("--user"), "{reason}");
        }
    }
}

#[test]
fn concurrent_accepts_of_one_work_item_succeed_once() {
    with_mock(|base, client| async move {
        use reqwest::Method;
        let table = |t: &str| format!("{base}/api/now/table/{t}");
        let agent = call(
            &client,
            Method::POST,
            &table("sys_user"),
            Some(json!({"user_name": "race.agent"})),
        )
        .await
        .2;
        let agent_id = agent["result"]["sys_id"].as_str().unwrap().to_string();
        let item = call(&client, Method::POST, &table("awa_work_item"), Some(json!({"assigned_to": agent_id, "state": "pending_accept", "document_table": "incident", "document_id": "d"}))).await.2;
        let item_id = item["result"]["sys_id"].as_str().unwrap().to_string();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (client, url) = (
                client.clone(),
                format!("{base}/api/now/awa/inbox/actions/accept"),
            );
            let body = json!({"agent_id": agent_id, "work_item_id": item_id});
            tasks.push(tokio::spawn(async move {
                call(&client, Method::POST, &url, Some(body)).await.0
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 400).count(),
            19,
            "{statuses:?}"
        );
    });
}

#[test]
fn an_interaction_body_with_a_wrongly_typed_field_or_a_bad_id_is_refused_by_name() {
    with_mock(|base, client| async move {
        let url = format!("{base}/api/now/interaction");
        let channel = "0123456789abcdef0123456789abcdef";
        for (body, named) in [
            (
                json!({"channel": channel, "queue": 5}),
                "queue must be a string",
            ),
            (json!({"channel": 7}), "channel must be a string"),
            (
                json!({"channel": channel, "context": [1]}),
                "context must be an object or a string",
            ),
            (
                json!({"channel": channel, "queue": "not-a-queue"}),
                "queue `not-a-queue` is not a sys_id",
            ),
            (
                json!({"channel": channel, "context_table": "incident", "context_id": "INC1"}),
                "context_id `INC1` is not a sys_id",
            ),
        ] {
            let (status, _, answer) =
                call(&client, reqwest::Method::POST, &url, Some(body.clone())).await;
            assert_eq!(status, 400, "{body}: {answer}");
            assert_eq!(answer["error"]["detail"], named, "{body}: {answer}");
        }
        // Blank text counts as absent, as before.
        let (status, _, answer) = call(
            &client,
            reqwest::Method::POST,
            &url,
            Some(json!({"channel": channel, "queue": " ", "context_id": ""})),
        )
        .await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["result"]["state"], "new");
    });
}
