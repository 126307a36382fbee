//! https: the mock serves TLS with a certificate made at start; the harness trusts it only
//! when given it (`--ca-cert`), and then the whole suite passes over https.

use sn_conform::mock::tls::SelfSigned;
use sn_conform::report::doctor::CheckStatus;
use sn_conform::report::Verdict;
use sn_conform::runner::{Plan, Run};

#[test]
fn the_suite_passes_over_https_with_the_mocks_certificate_and_not_without_it() {
    let server = crate::common::runtime(1);
    let certificate = SelfSigned::new(&[]).unwrap();
    let mock = crate::common::mock_with(&[]);
    let url = server.block_on(async {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://127.0.0.1:{}", tcp.local_addr().unwrap().port());
        let listener = certificate.listener(tcp).unwrap();
        tokio::spawn(sn_conform::mock::serve(
            listener,
            mock,
            std::future::pending(),
        ));
        url
    });
    let inputs =
        || sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();

    // Not trusted: the doctor stops the run before anything is created.
    let target = crate::common::mock_target(&url, true);
    let run = Run::prepare(inputs(), Plan::instance(target).with_doctor(true)).unwrap();
    let blocking = run
        .diagnosis()
        .unwrap()
        .blocking()
        .cloned()
        .expect("the connection fails");
    assert_eq!(blocking.status, CheckStatus::Failed);
    assert!(blocking.detail.contains("--ca-cert"), "{}", blocking.detail);
    drop(run);

    // Trusted: every trial passes over https.
    let mut target = crate::common::mock_target(&url, true);
    target.ca_cert = Some(certificate.certificate_pem.clone().into_bytes());
    let run = Run::prepare(inputs(), Plan::instance(target).with_doctor(true)).unwrap();
    assert!(run.diagnosis().unwrap().blocking().is_none());
    run.run_quietly(8);
    let report = run.finish();
    let bad: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t.outcome != Verdict::Passed && !t.name.contains("expired bearer token"))
        .map(|t| format!("{} {:?}", t.name, t.failures()))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(report
        .trials
        .iter()
        .all(|t| t.exchanges.iter().all(|x| x.url.starts_with("https://"))));
}
