//! OAuth: the runner's password grant, refresh and retry against the mock's token endpoint,
//! and the mock's lifetimes, refresh grant and refusals.

use std::time::Duration;

use serde_json::Value;
use sn_conform::mock::{parse_latency, Fault, Mock, MockOptions, RunningMock};
use sn_conform::report::{TokenStep, Verdict};
use sn_conform::target::Credentials;

fn oauth_admin() -> Credentials {
    Credentials::OAuth {
        user: "admin".into(),
        password: "admin".into(),
        client_id: "sn-conform".into(),
        client_secret: "sn-conform".into(),
    }
}

#[test]
fn the_suite_passes_with_oauth_tokens_that_live_two_seconds() {
    // Latency makes the run outlast several token lifetimes, so tokens must be renewed on
    // the way; the expired-token scenario waits one out.
    let mock = Mock::new(MockOptions {
        token_lifetime: Duration::from_secs(2),
        latency: Some(parse_latency("30").unwrap()),
        ..MockOptions::default()
    });
    let report = crate::common::run_report(mock, |target| target.main = oauth_admin());
    let bad: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t.outcome != Verdict::Passed)
        .map(|t| {
            format!(
                "{} {:?} {:?} {:?}",
                t.name,
                t.outcome,
                t.reason,
                t.failures()
            )
        })
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        report.duration_ms > 4000.0,
        "the run must outlast two lifetimes"
    );
    let during = |what: &str| {
        report
            .trials
            .iter()
            .flat_map(|t| &t.exchanges)
            .filter(|x| x.origin.to_string() == what)
            .count()
    };
    assert!(during("OAuth token") >= 1, "no token was fetched");
    assert!(during("OAuth refresh") >= 1, "no token was refreshed");
    // Every request of the main account carried a bearer token, never Basic credentials.
    let expired = report
        .trials
        .iter()
        .find(|t| t.name.contains("an expired bearer token"))
        .expect("the expired-token scenario ran");
    assert_eq!(expired.outcome, Verdict::Passed);
}

#[test]
fn a_401_to_a_revoked_token_gets_one_new_token_and_one_more_try() {
    // Tokens live 30 minutes, so the runner never renews one on its own; the mock forgets
    // every token once, mid-run (a restart or a revocation). The next request of each worker
    // answers 401, the runner gets a new token once and sends it again: every trial passes.
    let mock = Mock::new(MockOptions {
        latency: Some(parse_latency("30").unwrap()),
        ..MockOptions::default()
    });
    let tables = mock.clone();
    let revoker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        tables.store().with(|t| t.revoke_tokens());
    });
    let report = crate::common::run_report(mock, |target| target.main = oauth_admin());
    revoker.join().unwrap();
    let bad: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t.outcome != Verdict::Passed && !t.name.contains("expired bearer token"))
        .map(|t| format!("{} {:?} {:?}", t.name, t.outcome, t.failures()))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let exchanges: Vec<_> = report.trials.iter().flat_map(|t| &t.exchanges).collect();
    let renewals = exchanges
        .iter()
        .filter(|x| x.origin.to_string() == "OAuth refresh")
        .count();
    assert!(renewals >= 1, "no token was renewed after the 401");
    // Renewed once per rejection, not in a loop.
    assert!(renewals <= 8, "{renewals} renewals for one revocation");
    // A token refused before its stated expiry is the instance's doing: the report says so.
    assert!(
        report.tokens.iter().any(|n| n.step == TokenStep::Expiry),
        "{:?}",
        report.tokens
    );
}

#[test]
fn the_mock_issues_refreshes_expires_and_refuses_tokens() {
    let runtime = crate::common::runtime(2);
    runtime.block_on(async {
        let mock = RunningMock::start(Mock::new(MockOptions {
            token_lifetime: Duration::from_secs(1),
            ..MockOptions::default()
        }))
        .await
        .unwrap();
        let client = reqwest::Client::new();
        let grant = |form: String| {
            let client = client.clone();
            let url = format!("{}/oauth_token.do", mock.base_url);
            async move {
                let r = client
                    .post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let get = |token: String| {
            let client = client.clone();
            let url = format!("{}/api/now/table/sys_user?sysparm_limit=1", mock.base_url);
            async move {
                client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let base = "client_id=sn-conform&client_secret=sn-conform";
        let (status, body) = grant(format!(
            "grant_type=password&{base}&username=admin&password=admin"
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["expires_in"], 1);
        let access = body["access_token"].as_str().unwrap().to_string();
        let refresh = body["refresh_token"].as_str().unwrap().to_string();
        assert_eq!(get(access.clone()).await, 200);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(get(access.clone()).await, 401, "an expired token is refused");
        let (status, body) = grant(format!(
            "grant_type=refresh_token&{base}&refresh_token={refresh}"
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let renewed = body["access_token"].as_str().unwrap().to_string();
        assert_ne!(renewed, access);
        assert_eq!(get(renewed).await, 200);
        // The client credentials grant: a token for the client's application user, no
        // refresh token (RFC 6749, 4.4.3).
        let (status, body) = grant(format!("grant_type=client_credentials&{base}")).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(
            get(body["access_token"].as_str().unwrap().to_string()).await,
            200
        );
        // A wrong client secret, a wrong password and an unknown refresh token are refused.
        for form in [
            "grant_type=password&client_id=sn-conform&client_secret=nope&username=admin&password=admin".to_string(),
            "grant_type=client_credentials&client_id=sn-conform&client_secret=nope".to_string(),
            format!("grant_type=password&{base}&username=admin&password=wrong"),
            format!("grant_type=refresh_token&{base}&refresh_token=0123"),
        ] {
            let (status, body) = grant(form.clone()).await;
            assert_eq!(status, 401, "{form}");
            assert_eq!(body["error"], "server_error");
        }
        mock.stop().await;
    });
}

/// The trial that waits for an expired token runs after every other trial of the default run
/// (on one thread, libtest prints in run order), so its wait passes beside the others.
#[test]
fn the_expired_token_trial_runs_last() {
    let reports = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::common::process::BIN)
        .args(["run", "--test-threads", "1", "--report-dir"])
        .arg(reports.path())
        .env_remove("SN_BASE_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let order: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("test ") && l.contains(" ... "))
        .collect();
    assert!(order.len() > 300, "{stdout}");
    let last = order.last().unwrap();
    assert!(last.contains("an expired bearer token"), "last ran: {last}");
}

/// The main account's token life, when the instance deviates: the run keeps going the
/// documented way round, says what it did in the report (and its summary), and the scenario
/// that needs the step fails with the step's name.
#[test]
fn a_refused_refresh_grant_is_reported_as_a_fallback_and_fails_the_refreshed_token_trial() {
    // Tokens live 1 s and every request takes 20 ms: the run renews the main account's
    // token on the way, and the refresh grant is refused each time.
    let mock = Mock::new(MockOptions {
        faults: [Fault::RefreshGrantRefused].into_iter().collect(),
        token_lifetime: Duration::from_secs(1),
        latency: Some(parse_latency("20").unwrap()),
        ..MockOptions::default()
    });
    let report = crate::common::run_report(mock, |target| target.main = oauth_admin());
    let failed: Vec<_> = report
        .trials
        .iter()
        .filter(|t| t.outcome.is_bad())
        .map(|t| (t.scenario.clone(), t.failures()))
        .collect();
    assert!(!failed.is_empty(), "the refreshed-token trial must fail");
    for (scenario, failures) in &failed {
        assert_eq!(scenario, "a bearer token renewed with the refresh grant");
        assert!(
            failures[0].contains("refresh grant: status: expected 200 with a token, got 401"),
            "{failures:?}"
        );
    }
    let note = report
        .tokens
        .iter()
        .find(|n| n.step == TokenStep::RefreshGrant)
        .unwrap_or_else(|| panic!("no refresh-grant note in {:?}", report.tokens));
    assert!(note.instead.contains("password grant"), "{note}");
    let dir = tempfile::tempdir().unwrap();
    sn_conform::report::write_all(&report, dir.path()).unwrap();
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.contains("## OAuth tokens"), "{summary}");
    assert!(summary.contains("refresh grant: status"), "{summary}");
    let terminal = sn_conform::report::terminal::summary(&report);
    assert!(
        terminal.contains("OAuth refresh grant: status"),
        "{terminal}"
    );
}

#[test]
fn a_token_answer_without_expires_in_is_reported_and_fails_the_trials_that_need_it() {
    let mock = Mock::new(MockOptions {
        faults: [Fault::TokenWithoutExpiresIn].into_iter().collect(),
        ..MockOptions::default()
    });
    let report = crate::common::run_report(mock, |target| target.main = oauth_admin());
    // The main account's token is taken to live the platform's default, and the report says so.
    assert!(
        report
            .tokens
            .iter()
            .any(|n| n.step == TokenStep::PasswordGrant
                && n.problem.contains("expires_in")
                && n.instead.contains("30 minutes")),
        "{:?}",
        report.tokens
    );
    // The expired-token trial is not left out as "lives too long": it fails by the step.
    let expired = report
        .trials
        .iter()
        .find(|t| t.scenario == "an expired bearer token")
        .expect("the expired-token scenario ran");
    assert_eq!(expired.outcome, Verdict::Failed, "{:?}", expired.reason);
    assert!(
        expired.failures()[0].contains("password grant: expires_in"),
        "{:?}",
        expired.failures()
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["tokens"][0]["step"], "password_grant");
}

/// The built-in mock a run starts ends the expired-token scenario's token in its own tables
/// instead of the run waiting the lifetime out. With tokens that live half an hour, longer
/// than any run waits, the scenario passes only when the mock does so.
#[test]
fn the_built_in_mock_ends_the_expired_tokens_life_in_its_tables() {
    for expire_in_tables in [true, false] {
        let mock = Mock::new(MockOptions {
            token_lifetime: Duration::from_secs(1800),
            ..MockOptions::default()
        });
        let inputs =
            sn_conform::inputs::load(Some("specs".as_ref()), Some("schemas".as_ref())).unwrap();
        let target = crate::common::mock_target("http://127.0.0.1:0", true);
        let plan = sn_conform::runner::Plan {
            expire_in_tables,
            ..sn_conform::runner::Plan::embedded(target, mock)
        };
        let run = sn_conform::runner::Run::prepare(inputs, plan).unwrap();
        run.run_quietly(4);
        let report = run.finish();
        let expired = report
            .trials
            .iter()
            .find(|t| t.name.contains("an expired bearer token"))
            .expect("the expired-token scenario ran");
        if expire_in_tables {
            assert_eq!(expired.outcome, Verdict::Passed, "{:?}", expired.failures());
        } else {
            assert_ne!(expired.outcome, Verdict::Passed);
            let said = format!("{:?} {:?}", expired.reason, expired.failures());
            assert!(said.contains("tokens live 1800 s"), "{said}");
        }
    }
}
