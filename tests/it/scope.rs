//! Which fixtures the run shares, leases or leaves to each trial, as derived from the
//! repository's scenarios (see `sn_conform::spec::scope`).

use sn_conform::spec::scope::{Scope, Sharing};
use sn_conform::spec::{Fixture, Scenario, Suite};

fn scenario<'a>(suite: &'a Suite, key: &str) -> &'a Scenario {
    suite
        .scenarios
        .iter()
        .find(|s| s.key() == key)
        .unwrap_or_else(|| panic!("no scenario {key}"))
}

fn sharing<'a>(scenario: &'a Scenario, id: &str) -> &'a Sharing {
    scenario
        .fixtures
        .iter()
        .find_map(|f| match f {
            Fixture::Create { id: i, sharing, .. } if i == id => Some(sharing),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fixture {id} in {}", scenario.key()))
}

#[test]
fn unchanged_records_are_shared_and_changed_ones_are_per_trial() {
    let (suite, _) = crate::common::load();
    let accept = scenario(
        &suite,
        "awa_inbox_actions/accept::accepts a pending work item",
    );
    assert_eq!(sharing(accept, "agent").scope, Scope::Run);
    assert_eq!(sharing(accept, "document").scope, Scope::Run);
    let work_item = sharing(accept, "work_item");
    assert_eq!(work_item.scope, Scope::Trial);
    assert!(work_item.why.contains("reads it back"), "{}", work_item.why);
    // Another scenario with the same agent, document and work item definitions shares the
    // same agent record.
    let missing = scenario(&suite, "awa_inbox_actions/accept::missing agent_id");
    assert_eq!(sharing(missing, "agent").key, sharing(accept, "agent").key);
}

#[test]
fn a_record_listed_with_what_refers_to_it_is_shared_only_with_the_same_referrers() {
    let (suite, _) = crate::common::load();
    let listed = scenario(
        &suite,
        "awa_inbox_actions/reject_reasons::lists the channel's reasons by order",
    );
    let empty = scenario(
        &suite,
        "awa_inbox_actions/reject_reasons::a channel without reasons lists none",
    );
    let no_role = scenario(
        &suite,
        "awa_inbox_actions/reject_reasons::caller without awa_integration_user",
    );
    for s in [listed, empty, no_role] {
        assert_eq!(sharing(s, "channel").scope, Scope::Run, "{}", s.key());
    }
    assert_ne!(
        sharing(listed, "channel").key,
        sharing(empty, "channel").key
    );
    assert_eq!(
        sharing(empty, "channel").key,
        sharing(no_role, "channel").key
    );
}

#[test]
fn a_record_searched_by_is_per_trial() {
    let (suite, _) = crate::common::load();
    let s = scenario(&suite, "interaction/create::no credentials");
    let queue = sharing(s, "queue");
    assert_eq!(queue.scope, Scope::Trial);
    assert!(queue.why.contains("searches by it"), "{}", queue.why);
    assert_eq!(sharing(s, "channel").scope, Scope::Run);
}

#[test]
fn a_record_a_step_reaches_another_through_is_leased() {
    let (suite, _) = crate::common::load();
    // The member is found by its agent (path) and its interaction (body): the interaction,
    // named last, is lent to one trial at a time; the agent is shared.
    let dropped = scenario(&suite, "conversation_member/drop::drops an active member");
    assert_eq!(sharing(dropped, "member").scope, Scope::Trial);
    assert_eq!(sharing(dropped, "interaction").scope, Scope::Lease);
    assert_eq!(sharing(dropped, "agent").scope, Scope::Run);
    // Without interaction_id in the request, the member is reached through its agent alone.
    let missing = scenario(&suite, "conversation_member/drop::missing interaction_id");
    assert_eq!(sharing(missing, "agent").scope, Scope::Lease);
    assert_eq!(sharing(missing, "member").scope, Scope::Trial);
    // A leased record's key leaves out its (per-trial) referrers: every scenario with the
    // same interaction definition draws from one pool.
    let update = scenario(
        &suite,
        "conversation_member/update::observer becomes public_fulfiller",
    );
    assert_eq!(
        sharing(update, "interaction").key,
        sharing(dropped, "interaction").key
    );
}

#[test]
fn the_spec_can_say_and_lint_explains() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir("specs".as_ref(), dir.path());
    let file = dir.path().join("awa_inbox_actions/accept.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // The first scenario's document becomes each trial's own.
    let text = text.replacen(
        "      fields: {short_description: \"sn-conform {{run_id}}\"}\n",
        "      fields: {short_description: \"sn-conform {{run_id}}\"}\n      scope: trial\n",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new(crate::common::process::BIN)
        .args(["lint", "--explain", "--specs"])
        .arg(dir.path())
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every scenario that uses the anchor has it (each at the line of its own fixtures).
    assert!(
        stdout
            .matches("document   per trial  `scope: trial` (line ")
            .count()
            >= 8,
        "{stdout}"
    );
    assert!(
        stdout
            .contains("agent      shared     no step changes it and no record check reads it back"),
        "{stdout}"
    );
    assert!(stdout.contains("leased   "), "{stdout}");
    assert!(stdout.contains("fixtures of all trials: "), "{stdout}");
}
