//! The mock's Table API as clients written for the platform use it: the encoded query
//! language, display values, dot-walked fields, pagination headers, and the rules of insert.

use reqwest::Method;
use serde_json::{json, Value};
use sn_conform::mock::{Mock, MockOptions, RunningMock};

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
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

    async fn list(&self, query: &str) -> (u16, reqwest::header::HeaderMap, Value) {
        self.call(
            Method::GET,
            &format!("/api/now/table/awa_queue?{query}"),
            None,
        )
        .await
    }

    async fn names(&self, query: &str) -> Vec<String> {
        let (status, _, body) = self
            .list(&format!(
                "sysparm_fields=name&sysparm_query={}",
                urlencode(query)
            ))
            .await;
        assert_eq!(status, 200, "{query}: {body}");
        body["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    }
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("q", text)]).unwrap()[2..].to_string()
}

fn with_api<F: std::future::Future<Output = ()>>(test: impl FnOnce(Api) -> F) {
    let runtime = crate::common::runtime(2);
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions::default()))
            .await
            .unwrap();
        test(Api {
            base: mock.base_url.clone(),
            client: reqwest::Client::new(),
        })
        .await;
        mock.stop().await;
    });
}

#[test]
fn queries_in_the_encoded_query_language() {
    with_api(|api| async move {
        for (name, active) in [
            ("alpha", "true"),
            ("beta", "false"),
            ("gamma", "true"),
            ("delta", ""),
        ] {
            let (status, _, _) = api
                .call(
                    Method::POST,
                    "/api/now/table/awa_queue",
                    Some(json!({"name": name, "active": active})),
                )
                .await;
            assert_eq!(status, 201);
        }
        // An empty field is not "not true" (KB0715430): delta's empty active is left out.
        assert_eq!(api.names("active!=true").await, ["beta"]);
        // A term naming a field the table lacks is dropped, and the rest decides; with
        // glide.invalid_query.returns_no_rows=true the query finds nothing.
        assert_eq!(api.names("name=gamma^colour=red").await, ["gamma"]);
        let (status, _, _) = api
            .call(
                Method::POST,
                "/api/now/table/sys_properties",
                Some(json!({"name": "glide.invalid_query.returns_no_rows", "value": "true"})),
            )
            .await;
        assert_eq!(status, 201);
        assert!(api.names("name=gamma^colour=red").await.is_empty());
        assert_eq!(api.names("name=gamma").await, ["gamma"]);
        assert_eq!(api.names("name=alpha^ORname=beta").await, ["alpha", "beta"]);
        assert_eq!(api.names("active=true^name!=alpha").await, ["gamma"]);
        assert_eq!(api.names("name=beta^NQname=delta").await, ["beta", "delta"]);
        assert_eq!(api.names("nameINalpha,delta").await, ["alpha", "delta"]);
        assert_eq!(api.names("nameNOT INalpha,delta").await, ["beta", "gamma"]);
        assert_eq!(api.names("nameSTARTSWITHg").await, ["gamma"]);
        assert_eq!(api.names("nameENDSWITHta").await, ["beta", "delta"]);
        assert_eq!(api.names("nameLIKEMM").await, ["gamma"]);
        assert_eq!(api.names("nameNOT LIKEa").await, Vec::<String>::new());
        assert_eq!(api.names("activeISEMPTY").await, ["delta"]);
        assert_eq!(
            api.names("activeISNOTEMPTY^ORDERBYDESCname").await,
            ["gamma", "beta", "alpha"]
        );
        assert_eq!(api.names("nameBETWEENb@d").await, ["beta"]);
        assert_eq!(api.names("name>c^name<=gamma").await, ["gamma", "delta"]);
        // pysnc appends ORDERBYsys_id to every query; creation order is the default.
        assert_eq!(api.names("active=true^ORDERBYsys_id").await.len(), 2);
        assert_eq!(api.names("").await, ["alpha", "beta", "gamma", "delta"]);
        // What the parser does not know (an operator, a dangling ^OR) is a 400 that names the
        // term, never an empty list.
        for bad in ["nameMATCHESx", "^ORname=x"] {
            let (status, _, body) = api.list(&format!("sysparm_query={}", urlencode(bad))).await;
            assert_eq!(status, 400, "{bad}: {body}");
            assert_eq!(body["status"], "failure");
            let detail = body["error"]["detail"].as_str().unwrap();
            assert!(
                detail.contains(
                    bad.trim_start_matches('^')
                        .split('=')
                        .next()
                        .unwrap()
                        .trim_start_matches("OR")
                ),
                "{bad}: {detail}"
            );
        }
    });
}

#[test]
fn references_display_values_dot_walks_and_pages() {
    with_api(|api| async move {
        let (_, _, admin) = api
            .call(
                Method::GET,
                "/api/now/table/sys_user?sysparm_query=user_name%3Dadmin",
                None,
            )
            .await;
        let admin_id = admin["result"][0]["sys_id"].as_str().unwrap().to_string();
        for state in ["queued", "pending_accept", "accepted"] {
            api.call(
                Method::POST,
                "/api/now/table/awa_work_item",
                Some(json!({"assigned_to": admin_id, "state": state})),
            )
            .await;
        }
        // A dot-walked condition, and a dot-walked field.
        let (status, headers, body) = api
            .call(Method::GET, "/api/now/table/awa_work_item?sysparm_query=assigned_to.user_name%3Dadmin&sysparm_fields=state,assigned_to.user_name,assigned_to&sysparm_limit=2", None)
            .await;
        assert_eq!(status, 200, "{body}");
        let first = &body["result"][0];
        assert_eq!(first["assigned_to.user_name"], "admin");
        assert_eq!(first["assigned_to"]["value"], admin_id.as_str());
        assert!(first["assigned_to"]["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/now/table/sys_user/{admin_id}")));
        assert_eq!(headers["x-total-count"], "3");
        let link = headers["link"].to_str().unwrap();
        assert!(link.contains("sysparm_offset=0>;rel=\"first\""), "{link}");
        assert!(link.contains("sysparm_offset=2>;rel=\"next\""), "{link}");
        assert!(link.contains("sysparm_offset=2>;rel=\"last\""), "{link}");
        assert!(!link.contains("rel=\"prev\""), "{link}");
        // The second page has a prev and no next.
        let (_, headers, _) = api
            .call(
                Method::GET,
                "/api/now/table/awa_work_item?sysparm_limit=2&sysparm_offset=2",
                None,
            )
            .await;
        let link = headers["link"].to_str().unwrap();
        assert!(
            link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
            "{link}"
        );
        let (_, headers, _) = api.call(Method::GET, "/api/now/table/awa_work_item?sysparm_limit=2&sysparm_suppress_pagination_header=true", None).await;
        assert!(headers.get("link").is_none());
        // Display values: the referenced record's display field (a user's name); `all` gives
        // both.
        let (_, _, shown) = api
            .call(
                Method::GET,
                "/api/now/table/awa_work_item?sysparm_display_value=true&sysparm_limit=1",
                None,
            )
            .await;
        assert_eq!(
            shown["result"][0]["assigned_to"]["display_value"],
            "System Administrator"
        );
        assert_eq!(shown["result"][0]["state"], "queued");
        let (_, _, both) = api
            .call(
                Method::GET,
                "/api/now/table/awa_work_item?sysparm_display_value=all&sysparm_limit=1",
                None,
            )
            .await;
        let assigned = &both["result"][0]["assigned_to"];
        assert_eq!(assigned["display_value"], "System Administrator");
        assert_eq!(assigned["value"], admin_id.as_str());
        assert!(assigned["link"].is_string());
        assert_eq!(
            both["result"][0]["state"],
            json!({"display_value": "queued", "value": "queued"})
        );
        let (status, _, _) = api
            .call(
                Method::GET,
                "/api/now/table/awa_work_item?sysparm_display_value=maybe",
                None,
            )
            .await;
        assert_eq!(status, 400);
    });
}

#[test]
fn insert_keeps_a_given_sys_id_ignores_unknown_fields_and_refuses_an_empty_body() {
    with_api(|api| async move {
        let sys_id = "0123456789abcdef0123456789abcdef";
        let (status, headers, body) = api
            .call(
                Method::POST,
                "/api/now/table/awa_queue",
                Some(json!({"sys_id": sys_id, "name": "q", "no_such_field": "x"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let record = &body["result"];
        assert_eq!(record["sys_id"], sys_id);
        assert!(record.get("no_such_field").is_none(), "{record}");
        assert!(headers["location"].to_str().unwrap().ends_with(sys_id));
        assert_eq!(record["sys_created_by"], "admin");
        assert_eq!(record["sys_mod_count"], "0");
        let created = record["sys_created_on"].as_str().unwrap().to_string();
        assert!(regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
            .unwrap()
            .is_match(&created));
        let (_, _, updated) = api
            .call(
                Method::PATCH,
                &format!("/api/now/table/awa_queue/{sys_id}"),
                Some(json!({"name": "q2", "sys_mod_count": "99"})),
            )
            .await;
        assert_eq!(updated["result"]["sys_mod_count"], "1");
        assert_eq!(updated["result"]["sys_updated_by"], "admin");
        assert_eq!(updated["result"]["sys_created_on"], created.as_str());
        // An empty body inserts nothing.
        let response = api
            .client
            .post(format!("{}/api/now/table/awa_queue", api.base))
            .basic_auth("admin", Some("admin"))
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "failure");
        let (_, headers, _) = api.list("").await;
        assert_eq!(headers["x-total-count"], "1");
        // Nor does an update change anything without a body.
        for method in [Method::PATCH, Method::PUT] {
            let response = api
                .client
                .request(
                    method,
                    format!("{}/api/now/table/awa_queue/{sys_id}", api.base),
                )
                .basic_auth("admin", Some("admin"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 400);
        }
        let (_, _, record) = api
            .call(
                Method::GET,
                &format!("/api/now/table/awa_queue/{sys_id}"),
                None,
            )
            .await;
        assert_eq!(record["result"]["sys_mod_count"], "1", "{record}");
    });
}

#[test]
fn a_requested_field_the_table_lacks_is_left_out() {
    with_api(|api| async move {
        let (status, _, _) = api
            .call(
                Method::POST,
                "/api/now/table/awa_queue",
                Some(json!({"name": "q"})),
            )
            .await;
        assert_eq!(status, 201);
        let (_, _, body) = api
            .list("sysparm_fields=name,no_such_field,service_channel.nope,name.name")
            .await;
        assert_eq!(body["result"], json!([{"name": "q"}]), "{body}");
        let (_, _, body) = api.list("sysparm_fields=no_such_field").await;
        assert_eq!(body["result"], json!([{}]), "{body}");
    });
}

#[test]
fn the_batch_api_runs_each_request_against_the_mock_as_the_caller() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    with_api(|api| async move {
        let batch = json!({
            "batch_request_id": "7",
            "rest_requests": [
                {"id": "create", "method": "POST", "url": "/api/now/table/awa_queue",
                 "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "Accept", "value": "application/json"}],
                 "body": b64(r#"{"name":"Batched"}"#)},
                {"id": "list", "method": "GET", "url": "/api/now/table/awa_queue?sysparm_query=name%3DBatched&sysparm_fields=name",
                 "headers": [], "exclude_response_headers": true},
                {"id": "missing", "method": "GET", "url": "/api/now/table/awa_queue/0123456789abcdef0123456789abcdef", "headers": []},
                {"id": "broken", "method": "NOT A METHOD", "url": "/api/now/table/awa_queue", "headers": []},
                {"id": "elsewhere", "method": "GET", "url": "https://example.invalid/x", "headers": []}
            ]
        });
        let (status, _, body) = api
            .call(Method::POST, "/api/now/v1/batch", Some(batch))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["batch_request_id"], "7");
        let serviced = body["serviced_requests"].as_array().unwrap();
        let by_id = |id: &str| {
            serviced
                .iter()
                .find(|r| r["id"] == id)
                .unwrap_or_else(|| panic!("{id}: {body}"))
        };
        let decode = |r: &Value| -> Value {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(r["body"].as_str().unwrap())
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        assert_eq!(by_id("create")["status_code"], 201);
        assert_eq!(by_id("create")["status_text"], "Created");
        assert_eq!(decode(by_id("create"))["result"]["name"], "Batched");
        assert_eq!(decode(by_id("create"))["result"]["sys_created_by"], "admin");
        assert!(by_id("create")["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "location"));
        assert_eq!(
            decode(by_id("list"))["result"],
            json!([{"name": "Batched"}])
        );
        assert_eq!(by_id("list")["headers"], json!([]));
        assert_eq!(by_id("missing")["status_code"], 404);
        // A request that cannot be made is answered 400 naming why; unserviced_requests is
        // for what a limit left (the Batch API page).
        for (id, why) in [("broken", "method"), ("elsewhere", "url")] {
            assert_eq!(by_id(id)["status_code"], 400, "{body}");
            let detail = decode(by_id(id))["error"]["detail"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(detail.contains(why), "{id}: {detail}");
        }
        assert_eq!(body["unserviced_requests"], json!([]));
        // A long query (pysnc sends them through the Batch API) is served: an item is held to
        // 5 MB, not to a single request's URI limit; an item over 5 MB ends the batch there.
        let long = format!(
            "/api/now/table/awa_queue?sysparm_fields=name&sysparm_query=name%3DBatched%5Ename!%3D{}",
            "x".repeat(20_000)
        );
        let big = "A".repeat(7 * 1024 * 1024);
        let batch = json!({"batch_request_id": "8", "rest_requests": [
            {"id": "long", "method": "GET", "url": long, "headers": []},
            {"id": "big", "method": "POST", "url": "/api/now/table/awa_queue", "headers": [], "body": big},
            {"id": "after", "method": "GET", "url": "/api/now/table/awa_queue", "headers": []}
        ]});
        let (status, _, body) = api
            .call(Method::POST, "/api/now/v1/batch", Some(batch))
            .await;
        assert_eq!(status, 200, "{body}");
        let served = body["serviced_requests"].as_array().unwrap();
        assert_eq!(served.len(), 1, "{body}");
        assert_eq!(served[0]["id"], "long");
        assert_eq!(served[0]["status_code"], 200);
        assert_eq!(body["unserviced_requests"], json!(["big", "after"]));
        // Without credentials, the batch itself is refused.
        let response = api
            .client
            .post(format!("{}/api/now/v1/batch", api.base))
            .json(&json!({"rest_requests": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
    });
}

#[test]
fn a_batch_is_one_turn_and_one_round_trip_of_a_mock_shaped_like_a_remote_instance() {
    // With one request served at a time, a batch whose items waited for a turn of their own
    // would wait for ever on the turn it holds; each item waiting the latency again would
    // make three items cost four round trips.
    let runtime = crate::common::runtime(2);
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions {
            max_concurrent: Some(1),
            latency: Some(sn_conform::mock::parse_latency("500").unwrap()),
            ..MockOptions::default()
        }))
        .await
        .unwrap();
        let items: Vec<Value> = (0..3)
            .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/api/now/table/awa_queue?sysparm_limit=1", "headers": []}))
            .collect();
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            reqwest::Client::new()
                .post(format!("{}/api/now/v1/batch", mock.base_url))
                .basic_auth("admin", Some("admin"))
                .json(&json!({"batch_request_id": "1", "rest_requests": items}))
                .send(),
        )
        .await
        .expect("the batch waited on its own items")
        .unwrap();
        let took = started.elapsed();
        let body: Value = answer.json().await.unwrap();
        let serviced = body["serviced_requests"].as_array().unwrap();
        assert_eq!(serviced.len(), 3, "{body}");
        assert!(serviced.iter().all(|r| r["status_code"] == 200), "{body}");
        assert!(
            took < std::time::Duration::from_millis(1_500),
            "a batch of 3 took {took:?}: its items waited the latency again"
        );
        mock.stop().await;
    });
}

/// What follows from the dictionary (issue 22): every column in every answer, numbering, a
/// user's name as its display value, choice labels, references inherited from the parent
/// table, and child tables visible in their parent.
#[test]
fn records_follow_the_dictionary() {
    with_api(|api| async move {
        let (status, _, caller) = api
            .call(
                Method::POST,
                "/api/now/table/sys_user",
                Some(
                    json!({"user_name": "abel.tuter", "first_name": "Abel", "last_name": "Tuter"}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{caller}");
        let caller_id = caller["result"]["sys_id"].as_str().unwrap().to_string();
        assert_eq!(caller["result"]["name"], "Abel Tuter");
        assert_eq!(
            caller["result"]["email"], "",
            "an empty column is there, empty"
        );

        let (status, _, created) = api
            .call(
                Method::POST,
                "/api/now/table/incident",
                Some(json!({"short_description": "mail is down", "caller_id": caller_id})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let incident = &created["result"];
        let number = incident["number"].as_str().unwrap();
        assert!(number.starts_with("INC001000"), "{number}");
        assert_eq!(incident["state"], "1", "its default");
        assert_eq!(incident["description"], "", "an inherited column, empty");
        assert_eq!(incident["sys_class_name"], "incident");
        assert_eq!(
            incident["caller_id"]["link"].as_str().unwrap(),
            format!("{}/api/now/table/sys_user/{caller_id}", api.base)
        );
        let id = incident["sys_id"].as_str().unwrap().to_string();

        let (_, _, shown) = api
            .call(
                Method::GET,
                &format!("/api/now/table/incident/{id}?sysparm_display_value=true&sysparm_fields=state,impact,caller_id,caller_id.name"),
                None,
            )
            .await;
        assert_eq!(shown["result"]["state"], "New", "{shown}");
        assert_eq!(shown["result"]["impact"], "3 - Low");
        assert_eq!(shown["result"]["caller_id"]["display_value"], "Abel Tuter");
        assert_eq!(shown["result"]["caller_id.name"], "Abel Tuter");

        // An incident is a task: read, listed and deleted through task.
        let (status, _, as_task) = api
            .call(Method::GET, &format!("/api/now/table/task/{id}"), None)
            .await;
        assert_eq!(status, 200, "{as_task}");
        assert_eq!(as_task["result"]["number"], number);
        assert!(
            as_task["result"].get("caller_id").is_none(),
            "read through task, an incident shows task's columns: {as_task}"
        );
        let (_, _, listed) = api
            .call(
                Method::GET,
                &format!("/api/now/table/task?sysparm_query=number={number}"),
                None,
            )
            .await;
        assert_eq!(listed["result"].as_array().unwrap().len(), 1, "{listed}");
        let (status, _, _) = api
            .call(Method::DELETE, &format!("/api/now/table/task/{id}"), None)
            .await;
        assert_eq!(status, 204);
        let (status, _, _) = api
            .call(Method::GET, &format!("/api/now/table/incident/{id}"), None)
            .await;
        assert_eq!(status, 404);
    });
}

/// The Table API page's list parameters: name-value pairs filter (by value, or by a choice's
/// label and a reference's display value), version 1 answers 404 where version 2 answers [],
/// and sysparm_no_count leaves the count out.
#[test]
fn name_value_pairs_versions_and_the_count() {
    with_api(|api| async move {
        let (_, _, admin) = api
            .call(Method::GET, "/api/now/table/sys_user?user_name=admin", None)
            .await;
        let found = admin["result"].as_array().unwrap();
        assert_eq!(found.len(), 1, "one user is admin: {admin}");
        assert_eq!(found[0]["user_name"], "admin");
        let (_, _, none) = api
            .call(
                Method::GET,
                "/api/now/table/sys_user?user_name=nobody",
                None,
            )
            .await;
        assert_eq!(none["result"], json!([]));
        // A name the table lacks is ignored; with sysparm_query the pairs are not applied.
        let (_, _, all) = api
            .call(Method::GET, "/api/now/table/sys_user?colour=red", None)
            .await;
        assert!(all["result"].as_array().unwrap().len() > 1, "{all}");
        let (_, _, by_query) = api
            .call(
                Method::GET,
                "/api/now/table/sys_user?sysparm_query=user_name%3Dadmin&user_name=nobody",
                None,
            )
            .await;
        assert_eq!(by_query["result"].as_array().unwrap().len(), 1);
        // A choice by its label, a reference by its display value.
        let (_, _, created) = api
            .call(
                Method::POST,
                "/api/now/table/incident",
                Some(json!({"short_description": "pairs", "state": "2"})),
            )
            .await;
        let admin_id = found[0]["sys_id"].as_str().unwrap();
        let id = created["result"]["sys_id"].as_str().unwrap();
        let (status, _, _) = api
            .call(
                Method::PATCH,
                &format!("/api/now/table/incident/{id}"),
                Some(json!({"assigned_to": admin_id})),
            )
            .await;
        assert_eq!(status, 200);
        for query in [
            "state=In%20Progress",
            "state=2",
            "assigned_to=System%20Administrator",
            "assigned_to.user_name=admin",
        ] {
            let (_, _, listed) = api
                .call(
                    Method::GET,
                    &format!("/api/now/table/incident?short_description=pairs&{query}"),
                    None,
                )
                .await;
            assert_eq!(
                listed["result"].as_array().unwrap().len(),
                1,
                "{query}: {listed}"
            );
        }
        // Version 1: 404 for no match; version 2 and the unversioned URL: 200 and [].
        let (status, _, body) = api
            .call(
                Method::GET,
                "/api/now/v1/table/sys_user?user_name=nobody",
                None,
            )
            .await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["status"], "failure");
        for prefix in ["/api/now/v2/table", "/api/now/table"] {
            let (status, _, body) = api
                .call(
                    Method::GET,
                    &format!("{prefix}/sys_user?user_name=nobody"),
                    None,
                )
                .await;
            assert_eq!(
                (status, body["result"].clone()),
                (200, json!([])),
                "{prefix}"
            );
        }
        // A JSON array inserts its first record only (KB0534905).
        let (status, _, first) = api
            .call(
                Method::POST,
                "/api/now/table/awa_queue",
                Some(json!([{"name": "array first"}, {"name": "array second"}])),
            )
            .await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["result"]["name"], "array first");
        let (_, _, second) = api
            .call(
                Method::GET,
                "/api/now/table/awa_queue?name=array%20second",
                None,
            )
            .await;
        assert_eq!(second["result"], json!([]));
        // javascript: values the platform's clients send: the caller, today.
        for query in [
            "assigned_to=javascript:gs.getUserID()",
            "sys_created_on>=javascript:gs.beginningOfToday()^short_description=pairs",
            "sys_created_onBETWEENjavascript:gs.daysAgoStart(1)@javascript:gs.endOfToday()^short_description=pairs",
        ] {
            let (status, _, listed) = api
                .call(
                    Method::GET,
                    &format!("/api/now/table/incident?sysparm_query={}", urlencode(query)),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{query}: {listed}");
            assert_eq!(listed["result"].as_array().unwrap().len(), 1, "{query}: {listed}");
        }
        let (status, _, refused) = api
            .call(
                Method::GET,
                &format!(
                    "/api/now/table/incident?sysparm_query={}",
                    urlencode("opened_at>javascript:gs.beginningOfLast15Minutes()")
                ),
                None,
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            refused["error"]["detail"]
                .as_str()
                .unwrap()
                .contains("gs.beginningOfLast15Minutes()"),
            "{refused}"
        );
        // An unknown table: 400, the detail null as an instance answers it.
        let (status, _, body) = api
            .call(Method::GET, "/api/now/table/u_no_such_table", None)
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["message"], "Invalid table u_no_such_table");
        assert!(body["error"]["detail"].is_null(), "{body}");
        let (_, counted, _) = api.call(Method::GET, "/api/now/table/sys_user", None).await;
        assert!(counted.contains_key("x-total-count"));
        let (_, uncounted, _) = api
            .call(
                Method::GET,
                "/api/now/table/sys_user?sysparm_no_count=true",
                None,
            )
            .await;
        assert!(!uncounted.contains_key("x-total-count"));
    });
}

/// The Attachment API's reads over the metadata the mock stores: the list by name-value pairs
/// (as ansible's servicenow.itsm reads an incident's attachments), one record with its
/// download link, delete; the file and the uploads refused in the envelope.
#[test]
fn attachment_metadata_is_listed_read_and_deleted() {
    with_api(|api| async move {
        let (status, _, made) = api
            .call(
                Method::POST,
                "/api/now/table/sys_attachment",
                Some(json!({"table_name": "incident", "table_sys_id": "0123456789abcdef0123456789abcdef",
                            "file_name": "screenshot.png", "content_type": "image/png", "size_bytes": "36597"})),
            )
            .await;
        assert_eq!(status, 201, "{made}");
        let id = made["result"]["sys_id"].as_str().unwrap().to_string();
        let (status, _, listed) = api
            .call(
                Method::GET,
                "/api/now/attachment?table_name=incident&table_sys_id=0123456789abcdef0123456789abcdef",
                None,
            )
            .await;
        assert_eq!(status, 200, "{listed}");
        let list = listed["result"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{listed}");
        assert_eq!(list[0]["file_name"], "screenshot.png");
        assert_eq!(
            list[0]["download_link"],
            format!("{}/api/now/attachment/{id}/file", api.base)
        );
        let (_, _, none) = api
            .call(Method::GET, "/api/now/attachment?table_name=incident&table_sys_id=ffffffffffffffffffffffffffffffff", None)
            .await;
        assert_eq!(none["result"], json!([]));
        let (status, _, one) = api
            .call(Method::GET, &format!("/api/now/v1/attachment/{id}"), None)
            .await;
        assert_eq!(
            (status, one["result"]["size_bytes"].clone()),
            (200, json!("36597"))
        );
        let (status, _, file) = api
            .call(Method::GET, &format!("/api/now/attachment/{id}/file"), None)
            .await;
        assert_eq!(status, 501, "{file}");
        assert_eq!(file["status"], "failure");
        let (status, _, _) = api
            .call(
                Method::POST,
                "/api/now/attachment/file?table_name=incident",
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 501);
        let (status, _, _) = api
            .call(Method::DELETE, &format!("/api/now/attachment/{id}"), None)
            .await;
        assert_eq!(status, 204);
        let (status, _, _) = api
            .call(Method::GET, &format!("/api/now/attachment/{id}"), None)
            .await;
        assert_eq!(status, 404);
    });
}
