//! Records the instance makes itself: the mock, like the platform's business rules, gives an
//! interaction inserted through the Table API a new context record (`interaction_json_blob`)
//! and a new channel metadata record (`live_group_profile`). A run (its doctor included)
//! learns them from the record it inserted, ledgers them, deletes them with it, and counts
//! them: `records: N created (M by the instance), 0 left`; the mock's tables end as they were.

use sn_conform::mock::{Mock, RunningMock};
use sn_conform::runner::{Entry, Plan, Run};

#[test]
fn the_mock_makes_an_interactions_documents_on_a_table_api_insert() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mock = Mock::new(Default::default());
    let running = runtime.block_on(RunningMock::start(mock.clone())).unwrap();
    let client = reqwest::Client::new();
    let record: serde_json::Value = runtime.block_on(async {
        client
            .post(format!("{}/api/now/table/interaction", running.base_url))
            .basic_auth("admin", Some("admin"))
            .json(&serde_json::json!({"state": "new"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let result = &record["result"];
    for (table_field, document_field, table) in [
        ("context_table", "context_document", "interaction_json_blob"),
        (
            "channel_metadata_table",
            "channel_metadata_document",
            "live_group_profile",
        ),
    ] {
        assert_eq!(result[table_field], table, "{record}");
        let id = result[document_field].as_str().unwrap();
        let made = mock
            .store()
            .with(|t| t.get(table, id).cloned())
            .unwrap_or_else(|| panic!("{table} {id} was not made"));
        assert_eq!(made["sys_created_by"], "admin");
    }
    runtime.block_on(running.stop());
}

#[test]
fn what_the_instance_makes_is_ledgered_deleted_and_counted() {
    let mock = crate::common::mock_with(&[]);
    let before = crate::common::record_counts(&mock);
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let target = crate::common::mock_target("http://127.0.0.1:0", true);
    let plan = Plan::embedded(target, mock.clone())
        .with_doctor(true)
        .with_ledger(ledger.clone());
    let run = Run::prepare(inputs, plan).unwrap();
    run.run_quietly(8);
    let report = run.finish();
    assert_eq!(
        crate::common::record_counts(&mock),
        before,
        "records were left behind"
    );
    let (_, entries) = sn_conform::runner::read_ledger(&ledger).unwrap();
    let made: Vec<(&str, &str)> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Created {
                table,
                trial,
                by_instance: true,
                ..
            } => Some((table.as_str(), trial.as_str())),
            _ => None,
        })
        .collect();
    // Every interaction a fixture or the doctor inserted came with its two documents.
    assert!(made.iter().any(|(t, _)| *t == "interaction_json_blob"));
    assert!(made.iter().any(|(t, _)| *t == "live_group_profile"));
    assert!(
        made.iter().any(|(_, trial)| *trial == "doctor"),
        "the doctor's create-and-delete check learns them too"
    );
    assert_eq!(report.records.by_instance, made.len());
    assert_eq!(report.records.left, 0);
    let summary = sn_conform::report::terminal::summary(&report);
    assert!(
        summary.contains(&format!(
            "records: {} created ({} by the instance), 0 left",
            report.records.created, report.records.by_instance
        )),
        "{summary}"
    );
}
