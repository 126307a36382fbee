//! The mock's tables from a dictionary file: `sn-conform snapshot` of the built-in mock writes
//! a file whose mock answers the metadata tables exactly as the first; `mock --dictionary`
//! serves a file's tables and refuses a file that is wrong with its place.

use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use sn_conform::mock::{Dictionary, Mock, MockOptions, RunningMock};

/// What a mock's metadata tables answer through the Table API, each row as its fields in a
/// fixed order (a parent as its name, since sys_ids differ between mocks), sorted.
fn metadata(mock: Mock) -> Vec<(String, Vec<Vec<String>>)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let running = RunningMock::start(mock).await.unwrap();
        let client = reqwest::Client::new();
        let get = |table: &str, fields: &str| {
            let url = format!(
                "{}/api/now/table/{table}?sysparm_fields={fields}&sysparm_limit=100000&sysparm_display_value=true&sysparm_exclude_reference_link=true",
                running.base_url
            );
            let client = client.clone();
            async move {
                let body: Value = client
                    .get(url)
                    .basic_auth("admin", Some("admin"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                body["result"].as_array().cloned().unwrap_or_default()
            }
        };
        let mut out = Vec::new();
        for (table, fields) in [
            ("sys_db_object", "name,label,super_class"),
            (
                "sys_dictionary",
                "name,element,internal_type,reference,display,default_value",
            ),
            ("sys_choice", "name,element,value,label"),
            ("sys_number", "category,prefix,maximum_digits,number"),
            ("v_plugin", "id,name,active"),
        ] {
            let mut rows: Vec<Vec<String>> = get(table, fields)
                .await
                .iter()
                .map(|r| {
                    fields
                        .split(',')
                        .map(|f| r[f].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .collect();
            rows.sort();
            out.push((table.to_string(), rows));
        }
        running.stop().await;
        out
    })
}

#[test]
fn a_snapshot_of_the_mock_serves_the_same_dictionary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twin.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args(["snapshot", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("table(s) of http://127.0.0.1:"), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    let twin = Dictionary::parse(&text, "twin.yaml").unwrap();
    assert_eq!(
        twin.table_names().len(),
        Dictionary::built_in().table_names().len(),
        "every table of the built-in mock is in its snapshot"
    );
    let first = metadata(Mock::new(MockOptions::default()));
    let second = metadata(Mock::new(MockOptions {
        dictionary: Arc::new(twin),
        ..MockOptions::default()
    }));
    for ((table, a), (_, b)) in first.iter().zip(&second) {
        assert!(!a.is_empty(), "{table} answered nothing");
        assert_eq!(a, b, "{table} differs between the mock and its twin");
    }
}

#[test]
fn the_mock_serves_the_tables_of_its_dictionary_and_refuses_a_wrong_one() {
    let mut file = Dictionary::built_in().file().clone();
    let mut widget = file.tables[0].clone();
    widget.name = "u_widget".into();
    widget.label = "Widget".into();
    widget.parent = None;
    widget.number = Some(sn_conform::mock::dictionary::NumberDef {
        prefix: "WDG".into(),
        digits: 5,
        start: 0,
    });
    file.tables.push(widget);
    let dictionary = Dictionary::from_file(file, "test").unwrap();
    let mock = Mock::new(MockOptions {
        dictionary: Arc::new(dictionary),
        ..MockOptions::default()
    });
    let record = mock.store().with(|t| {
        let mut fields = serde_json::Map::new();
        fields.insert("user_name".into(), "w".into());
        t.insert_as("u_widget", &fields, "admin")
    });
    assert_eq!(
        record["number"], "WDG00001",
        "numbered as its dictionary says"
    );
    assert_eq!(record["active"], "true", "its default");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "format: 1\ntables:\n  - {name: a, label: A, display: x, columns: [{name: x, type: reference, reference: nowhere}]}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args(["mock", "--port", "0", "--dictionary"])
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.yaml") && stderr.contains("refers to `nowhere`"),
        "{stderr}"
    );
}

#[test]
fn a_snapshot_of_a_target_that_does_not_answer_stops_with_exit_3_and_writes_nothing() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twin.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_sn-conform"))
        .args([
            "snapshot",
            "--user",
            "someone",
            "--password",
            "not-printed",
            "--base-url",
        ])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--out")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not be read"), "{stderr}");
    assert!(!stderr.contains("not-printed"), "{stderr}");
    assert!(!file.exists());
}
