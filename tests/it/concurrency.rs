//! The mock under concurrent requests: one accept of fifty wins, a thousand interactions
//! created and closed at once keep unique increasing numbers and lose no update, and a drop
//! racing an update of the same member ends in one of the two valid records.

use reqwest::Method;
use serde_json::{json, Value};
use sn_conform::mock::{Mock, MockOptions, RunningMock};

fn with_mock<F: std::future::Future<Output = ()>>(test: impl FnOnce(String, reqwest::Client) -> F) {
    let runtime = crate::common::runtime(4);
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions::default()))
            .await
            .unwrap();
        // Enough connections for every request in flight at once.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        test(mock.base_url.clone(), client).await;
        mock.stop().await;
    });
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client
        .request(method, url)
        .basic_auth("admin", Some("admin"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn insert(client: &reqwest::Client, base: &str, table: &str, fields: Value) -> String {
    let (status, body) = call(
        client,
        Method::POST,
        &format!("{base}/api/now/table/{table}"),
        Some(fields),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["result"]["sys_id"].as_str().unwrap().to_string()
}

#[test]
fn fifty_concurrent_accepts_of_one_work_item_succeed_once() {
    with_mock(|base, client| async move {
        let agent = insert(
            &client,
            &base,
            "sys_user",
            json!({"user_name": "race.agent"}),
        )
        .await;
        let item = insert(
            &client,
            &base,
            "awa_work_item",
            json!({"assigned_to": agent, "state": "pending_accept", "document_table": "incident", "document_id": "d"}),
        )
        .await;
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (client, url) = (
                    client.clone(),
                    format!("{base}/api/now/awa/inbox/actions/accept"),
                );
                let body = json!({"agent_id": agent, "work_item_id": item});
                tokio::spawn(async move { call(&client, Method::POST, &url, Some(body)).await })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap();
            if status == 400 {
                assert_eq!(
                    body["error"]["detail"],
                    "Work item is not in pending accept state"
                );
            }
            statuses.push(status);
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 400).count(),
            49,
            "{statuses:?}"
        );
        let (_, record) = call(
            &client,
            Method::GET,
            &format!("{base}/api/now/table/awa_work_item/{item}"),
            None,
        )
        .await;
        assert_eq!(record["result"]["state"], "accepted");
        assert_eq!(record["result"]["assigned_to"]["value"], agent.as_str());
    });
}

#[test]
fn a_thousand_interactions_created_and_closed_at_once_keep_unique_numbers_and_every_update() {
    with_mock(|base, client| async move {
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let (client, base) = (client.clone(), base.clone());
                tokio::spawn(async move {
                    let (status, created) = call(
                        &client,
                        Method::POST,
                        &format!("{base}/api/now/interaction"),
                        Some(json!({"channel": "c"})),
                    )
                    .await;
                    assert_eq!(status, 201, "{created}");
                    let id = created["result"]["sys_id"].as_str().unwrap().to_string();
                    let number = created["result"]["number"].as_str().unwrap().to_string();
                    let (status, closed) = call(
                        &client,
                        Method::POST,
                        &format!("{base}/api/now/interaction/{id}/close"),
                        None,
                    )
                    .await;
                    assert_eq!(status, 200, "{closed}");
                    (id, number)
                })
            })
            .collect();
        let mut numbers = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for task in tasks {
            let (id, number) = task.await.unwrap();
            ids.insert(id);
            numbers.push(number);
        }
        assert_eq!(ids.len(), 1000);
        let mut values: Vec<u64> = numbers
            .iter()
            .map(|n| n.trim_start_matches("IMS").parse().unwrap())
            .collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), 1000, "numbers are unique");
        // Increasing without gaps: each create took the next number.
        assert_eq!(values.last().unwrap() - values.first().unwrap(), 999);
        // No lost update: every interaction is closed, by the caller.
        let (_, list) = call(&client, Method::GET, &format!("{base}/api/now/table/interaction?sysparm_query=state!=closed_complete&sysparm_fields=sys_id"), None).await;
        assert_eq!(list["result"], json!([]), "interactions left open");
        let (_, list) = call(&client, Method::GET, &format!("{base}/api/now/table/interaction?sysparm_query=closed_byISEMPTY&sysparm_fields=sys_id"), None).await;
        assert_eq!(list["result"], json!([]), "interactions without closed_by");
    });
}

#[test]
fn a_drop_racing_an_update_of_the_same_member_ends_in_one_valid_record() {
    with_mock(|base, client| async move {
        for round in 0..20 {
            let agent = insert(
                &client,
                &base,
                "sys_user",
                json!({"user_name": format!("race.{round}")}),
            )
            .await;
            let (_, created) = call(
                &client,
                Method::POST,
                &format!("{base}/api/now/interaction"),
                Some(json!({"channel": "c"})),
            )
            .await;
            let interaction = created["result"]["sys_id"].as_str().unwrap().to_string();
            let member = insert(
                &client,
                &base,
                "sys_cs_conversation_member",
                json!({"conversation": interaction, "member": agent, "member_type": "observer", "active": "true"}),
            )
            .await;
            let drop = {
                let (client, url) = (
                    client.clone(),
                    format!("{base}/api/now/conversation/member/{agent}/drop"),
                );
                let body = json!({"interaction_id": interaction});
                tokio::spawn(async move { call(&client, Method::POST, &url, Some(body)).await.0 })
            };
            let update = {
                let (client, url) = (
                    client.clone(),
                    format!("{base}/api/now/conversation/member/{agent}/update"),
                );
                let body =
                    json!({"interaction_id": interaction, "member_type": "public_fulfiller"});
                tokio::spawn(async move { call(&client, Method::POST, &url, Some(body)).await.0 })
            };
            let (drop, update) = (drop.await.unwrap(), update.await.unwrap());
            let (_, record) = call(
                &client,
                Method::GET,
                &format!("{base}/api/now/table/sys_cs_conversation_member/{member}"),
                None,
            )
            .await;
            let (active, kind) = (
                record["result"]["active"].as_str().unwrap().to_string(),
                record["result"]["member_type"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            assert_eq!(
                drop, 200,
                "the drop always finds the member active or updated"
            );
            // Update first: public_fulfiller, then dropped. Drop first: the update finds no
            // active member (400) and the type stays observer.
            match update {
                200 => assert_eq!(
                    (active.as_str(), kind.as_str()),
                    ("false", "public_fulfiller")
                ),
                400 => assert_eq!((active.as_str(), kind.as_str()), ("false", "observer")),
                other => panic!("update answered {other}"),
            }
        }
    });
}
