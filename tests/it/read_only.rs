//! Read-only runs: nothing but GET reaches the instance (and the OAuth token request), the
//! trials that would write are left out with the reason, and a pinned channel lets the
//! read-only scenarios of reject_reasons run.

use serde_json::json;
use sn_conform::report::Verdict;
use sn_conform::runner::READ_ONLY_REASON;

#[test]
fn a_read_only_run_sends_nothing_but_get_and_says_what_it_left_out() {
    let mock = crate::common::mock_with(&[]);
    // An existing channel the profile pins, as a team would on its own instance.
    let channel = mock.store().with(|t| {
        let mut fields = serde_json::Map::new();
        fields.insert("name".into(), json!("Pinned channel"));
        t.insert("awa_service_channel", &fields)["sys_id"]
            .as_str()
            .unwrap()
            .to_string()
    });
    let before = crate::common::record_counts(&mock);
    let report = crate::common::run_report(mock.clone(), |target| {
        target.read_only = true;
        target
            .fixture_pins
            .insert("channel".into(), channel.clone());
    });

    let methods = mock.requests_by_method();
    let writes: Vec<_> = methods
        .keys()
        .filter(|m| !matches!(m.as_str(), "GET" | "POST /oauth_token.do"))
        .collect();
    assert!(
        writes.is_empty(),
        "a read-only run sent {writes:?}: {methods:?}"
    );
    assert!(methods["GET"] > 20, "{methods:?}");
    assert_eq!(
        crate::common::record_counts(&mock),
        before,
        "a read-only run changed the tables"
    );

    let passed: Vec<&str> = report
        .trials
        .iter()
        .filter(|t| t.outcome == Verdict::Passed)
        .map(|t| t.name.as_str())
        .collect();
    assert!(report
        .trials
        .iter()
        .all(|t| matches!(t.outcome, Verdict::Passed | Verdict::Ignored)));
    // The pinned channel lets the reading scenarios of reject_reasons run.
    for name in [
        "awa_inbox_actions/reject_reasons::unknown channel[default json]",
        "awa_inbox_actions/reject_reasons::no credentials[v1 xml]",
        "awa_inbox_actions/reject_reasons::caller without awa_integration_user[default json]",
        "awa_inbox_actions/reject_reasons::a channel without reasons lists none[v1 json]",
    ] {
        assert!(passed.contains(&name), "{name} did not pass: {passed:?}");
    }
    let left_out = report.left_out();
    assert_eq!(left_out[0].0, READ_ONLY_REASON);
    assert_eq!(
        left_out[0].1,
        report.trials.len() - passed.len(),
        "every trial left out is left out because it writes: {left_out:?}"
    );
    // Without the pin, the channel scenarios write (they create it) and are left out too.
    let unpinned = crate::common::run_report(crate::common::mock_with(&[]), |target| {
        target.read_only = true
    });
    let unpinned_passed = unpinned
        .trials
        .iter()
        .filter(|t| t.outcome == Verdict::Passed)
        .count();
    assert!(
        unpinned_passed < passed.len(),
        "{unpinned_passed} vs {}",
        passed.len()
    );
}
