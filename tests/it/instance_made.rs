//! Records the instance makes itself: the mock, like the platform's business rules, gives an
//! interaction inserted through the Table API a new context record (`interaction_json_blob`)
//! and a new channel metadata record (`live_group_profile`). A run (its doctor included)
//! learns them from the record it inserted, ledgers them, deletes them with it, and counts
//! them: `records: N created (M by the instance), 0 left`; the mock's tables end as they were.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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
    let record = crate::common::insert(
        &runtime,
        &running.base_url,
        "interaction",
        serde_json::json!({"state": "new"}),
    );
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
    let check = batch_check(&report);
    assert!(check.detail.starts_with("usable"), "{}", check.detail);
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

/// The doctor's line on the Batch API.
fn batch_check(report: &sn_conform::report::RunReport) -> &sn_conform::report::doctor::Check {
    report
        .doctor
        .as_ref()
        .and_then(|d| d.checks.iter().find(|c| c.id == "batch_api"))
        .expect("a Batch API check")
}

/// The batch each exchange of `report` went in, by the record it deleted.
fn deletes(report: &sn_conform::report::RunReport) -> Vec<(String, Option<String>)> {
    report
        .trials
        .iter()
        .flat_map(|t| &t.exchanges)
        .filter(|x| x.method == "DELETE")
        .map(|x| (x.url.clone(), x.batch.clone()))
        .collect()
}

#[test]
fn an_interaction_and_what_the_instance_made_with_it_go_in_one_batch() {
    let mock = crate::common::mock_with(&[]);
    let before = crate::common::record_counts(&mock);
    let report = crate::common::run_report(mock.clone(), |_| {});
    assert_eq!(crate::common::record_counts(&mock), before);
    let deletes = deletes(&report);
    let documents: Vec<&(String, Option<String>)> = deletes
        .iter()
        .filter(|(url, _)| url.contains("/interaction_json_blob/"))
        .collect();
    assert!(!documents.is_empty(), "no context record was deleted");
    for (url, batch) in documents {
        let batch = batch
            .as_ref()
            .unwrap_or_else(|| panic!("{url} was deleted on its own, not with its interaction"));
        assert!(batch.contains("/api/now/v1/batch#"), "{batch}");
        let with_it: Vec<&str> = deletes
            .iter()
            .filter(|(_, b)| b.as_ref() == Some(batch))
            .map(|(u, _)| u.as_str())
            .collect();
        assert!(
            with_it.iter().any(|u| u.contains("/table/interaction/"))
                && with_it.iter().any(|u| u.contains("/live_group_profile/")),
            "batch {batch} held {with_it:?}"
        );
    }
    // One request for each batch, not one for each record in it.
    let exchanges: usize = report.trials.iter().map(|t| t.exchanges.len()).sum();
    let concurrency = report.concurrency.clone().unwrap();
    let requests = concurrency.requests;
    assert!(
        requests < exchanges,
        "{requests} requests for {exchanges} exchanges"
    );
    assert!(
        concurrency.batches > 0 && concurrency.batch_items > concurrency.batches,
        "{concurrency:?}"
    );
    assert!(!concurrency.batch_refused);
    let line = concurrency.describe(report.trials.len());
    assert!(
        line.contains(&format!(
            "{} of them batches of {} reads and deletes",
            concurrency.batches, concurrency.batch_items
        )),
        "{line}"
    );
}

/// A proxy in front of a fresh mock that answers the `n`th Batch API request (from 0) with
/// `answer(n)` when it gives one (a whole HTTP answer), and passes everything else; its base
/// URL, the mock, and how many batches it saw.
fn answering_batches(
    answer: impl Fn(usize) -> Option<String> + Send + Sync + 'static,
) -> (String, Mock, Arc<AtomicUsize>) {
    let mock = crate::common::mock_with(&[]);
    let seen = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&seen);
    let answer = Arc::new(answer);
    let url = crate::misbehaving::in_front_of(mock.clone(), move |base, head, body, mut stream| {
        let batch = head.lines().next().unwrap_or("").contains("/batch ");
        let ours = batch
            .then(|| answer(count.fetch_add(1, Ordering::SeqCst)))
            .flatten();
        async move {
            let out = match ours {
                Some(answer) => answer.into_bytes(),
                None => crate::misbehaving::forward(&base, &head, body).await,
            };
            let _ = tokio::io::AsyncWriteExt::write_all(&mut stream, &out).await;
        }
    });
    (url, mock, seen)
}

/// A proxy that refuses every batch, as an instance whose ACLs keep the account from the
/// Batch API would.
fn refusing_batches() -> (String, Mock, Arc<AtomicUsize>) {
    answering_batches(|_| {
        Some(crate::misbehaving::response(
            "403 Forbidden",
            "application/json",
            r#"{"error":{"message":"User Not Authorized","detail":"Required to provide Auth information"},"status":"failure"}"#,
        ))
    })
}

#[test]
fn a_target_that_refuses_batches_gets_each_request_on_its_own() {
    let (url, mock, refused) = refusing_batches();
    let before = crate::common::record_counts(&mock);
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let target = crate::common::mock_target(&url, true);
    let run = Run::prepare(inputs, Plan::instance(target).with_doctor(true)).unwrap();
    let args = libtest_mimic::Arguments {
        filter: Some("interaction/".into()),
        ..Default::default()
    };
    run.run_selected(&args, 2);
    let report = run.finish();
    // The doctor's insert of an interaction met the refusal first, and says so.
    let check = batch_check(&report);
    assert!(check.detail.starts_with("refused"), "{}", check.detail);
    assert_eq!(
        crate::common::record_counts(&mock),
        before,
        "records were left behind"
    );
    assert_eq!(report.records.left, 0);
    assert!(report.records.by_instance > 0, "{:?}", report.records);
    // The first refusal (the doctor's) ends the batches for the run.
    let refusals = refused.load(Ordering::SeqCst);
    assert_eq!(refusals, 1, "{refusals} batches were refused");
    let concurrency = report.concurrency.clone().unwrap();
    assert!(concurrency.batch_refused, "{concurrency:?}");
    assert_eq!(concurrency.batches, 0);
    assert!(
        concurrency
            .describe(report.trials.len())
            .contains("the instance refused a batch, the rest went one by one"),
        "{concurrency:?}"
    );
    let deletes = deletes(&report);
    assert!(
        deletes.iter().all(|(_, batch)| batch.is_none()),
        "{deletes:?}"
    );
    assert!(deletes
        .iter()
        .any(|(url, _)| url.contains("/live_group_profile/")));
}

#[test]
fn a_batch_that_fails_once_is_sent_alone_and_batching_goes_on() {
    // A 503 is the instance failing for a moment, not a refusal of the Batch API.
    let (url, mock, failed) = answering_batches(|n| {
        (n == 0).then(|| {
            crate::misbehaving::response(
                "503 Service Unavailable",
                "application/json",
                r#"{"error":{"message":"Service Unavailable","detail":null},"status":"failure"}"#,
            )
        })
    });
    let before = crate::common::record_counts(&mock);
    let inputs =
        sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
    let run = Run::prepare(
        inputs,
        Plan::instance(crate::common::mock_target(&url, true)),
    )
    .unwrap();
    let args = libtest_mimic::Arguments {
        filter: Some("interaction/".into()),
        ..Default::default()
    };
    run.run_selected(&args, 1);
    let report = run.finish();
    assert_eq!(crate::common::record_counts(&mock), before);
    let concurrency = report.concurrency.clone().unwrap();
    assert!(!concurrency.batch_refused, "{concurrency:?}");
    assert!(
        failed.load(Ordering::SeqCst) > 1,
        "no batch after the failed one"
    );
    assert!(concurrency.batches > 0, "{concurrency:?}");
}
