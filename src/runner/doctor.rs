//! The doctor's checks, made through the Table API with the run's own accounts: each
//! assumption of the scenarios (see [`crate::report::doctor`]) read back from the instance's own
//! metadata tables. Nothing is written except, outside read-only runs, one record per fixture
//! table, created and deleted again (and written to the ledger like any other).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::client::{Client, Journal, Mode};
use super::error::RequestError;
use super::ledger::Ledger;
use crate::report::doctor::{Check, Diagnosis};
use crate::report::Origin;
use crate::spec::{Auth, Requirement, Suite};
use crate::target::{Credentials, Target};

/// Fields whose values come from a choice list, and so must be offered by `sys_choice`.
const CHOICE_FIELDS: &[(&str, &str)] = &[
    ("awa_work_item", "state"),
    ("sys_cs_conversation_member", "member_type"),
    ("interaction", "state"),
];

/// The plugins each API needs.
const PLUGINS: &[(&str, &[&str])] = &[
    ("com.glide.awa", &["awa_inbox_actions"]),
    (
        "com.glide.interaction",
        &["interaction", "conversation_member"],
    ),
];

/// APIs whose operations need `awa_integration_user`.
const ROLE_APIS: &[&str] = &["awa_inbox_actions", "conversation_member"];

const ROLE: &str = "awa_integration_user";
const AWA_PROPERTY: &str = "glide.awa.enabled";

/// One Table API read: the status and the records (empty when the answer has none).
struct Listing {
    status: Option<u16>,
    records: Vec<Map<String, Value>>,
    error: Option<RequestError>,
    /// What the answer was when it was not the platform's (an HTML page, a login page).
    foreign: Option<super::foreign::Foreign>,
}

impl Listing {
    fn first(&self) -> Option<&Map<String, Value>> {
        self.records.first()
    }
}

fn text<'a>(record: &'a Map<String, Value>, field: &str) -> &'a str {
    match record.get(field) {
        Some(Value::String(s)) => s,
        Some(Value::Object(o)) => o.get("value").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

/// The doctor of one run: its checks go out through the run's client, and the records its
/// write checks create go to the run's ledger.
pub(super) struct Doctor<'a> {
    pub(super) client: &'a Client,
    pub(super) ledger: &'a Ledger,
    pub(super) run_id: &'a str,
    /// The first request of a check that failed on the connection itself (refused, reset,
    /// timed out): the run must stop rather than create records it may not delete.
    pub(super) lost: std::sync::Mutex<Option<String>>,
    /// The ledger a run killed on this instance would have left (named in the advice on a
    /// setting such a run changes), and what the one there lists.
    pub(super) cleanup: Option<&'a std::path::Path>,
    pub(super) left: Option<&'a super::ledger::LeftBehind>,
}

impl Doctor<'_> {
    fn target(&self) -> &Target {
        &self.client.target
    }

    /// Every check, in a fixed order. When the connection check fails, the rest is skipped.
    pub async fn diagnose(&self, suite: &Suite) -> Diagnosis {
        let mut diagnosis = Diagnosis {
            base_url: self.target().base_url.clone(),
            checks: Vec::new(),
        };
        let (connection, probe) = self.connection(suite).await;
        let blocked = connection.blocks_run
            && connection.status == crate::report::doctor::CheckStatus::Failed;
        diagnosis.checks.push(connection);
        if blocked {
            return diagnosis;
        }
        if let Some(refused) = self.norole_connection(suite).await {
            diagnosis.checks.push(refused);
            return diagnosis;
        }
        // The checks below are independent of each other (the write checks aside, which
        // skip tables found missing): they go out at the same time, each with a journal of its
        // own, and their checks are listed in a fixed order.
        let (
            role_checks,
            plugin_checks,
            (table_checks, missing),
            choice_checks,
            awa_check,
            pin_checks,
        ) = tokio::join!(
            self.role_checks(suite, &probe),
            self.plugin_checks(suite),
            self.table_checks(suite),
            self.choice_checks(suite),
            self.awa_check(suite),
            self.pin_checks(suite),
        );
        diagnosis.checks.extend(role_checks);
        diagnosis.checks.extend(plugin_checks);
        diagnosis.checks.extend(table_checks);
        diagnosis.checks.extend(choice_checks);
        diagnosis.checks.push(awa_check);
        diagnosis.checks.extend(pin_checks);
        if let Some(lost) = self.lost_connection(suite) {
            diagnosis.checks.push(lost);
            return diagnosis;
        }
        if !self.target().read_only {
            diagnosis
                .checks
                .extend(self.write_checks(suite, &missing).await);
            diagnosis.checks.extend(self.batch_check());
        }
        diagnosis.checks.extend(self.lost_connection(suite));
        // What a failed check would leave out, the profile skips anyway: shown, not failed.
        let target = self.target();
        let skipped: BTreeSet<String> = suite
            .scenarios
            .iter()
            .filter(|s| target.skip_reason(s).is_some())
            .map(crate::spec::Scenario::key)
            .collect();
        diagnosis.excuse_skipped(|key| skipped.contains(key));
        diagnosis
    }

    /// What the write checks learnt of the Batch API (an insert whose records point at what
    /// the instance made with it reads those together): usable, or refused, in which case the
    /// run sends its own reads and deletes one by one (more requests, the same result). No
    /// check when no write check had two records to read together. Never a failure: nothing
    /// the suite checks goes through a batch.
    fn batch_check(&self) -> Option<Check> {
        let (batches, _, refused) = self.client.batch_counts();
        let title = "Batch API (the run's own reads and deletes)".to_string();
        let detail = match (batches, refused) {
            (_, true) => "refused: the run sends its reads and deletes one by one (more requests, the same result)",
            (0, false) => return None,
            (_, false) => "usable: the run sends its reads and deletes that go together in one request",
        };
        Some(Check::passed(
            "batch_api".into(),
            title,
            detail.into(),
            Vec::new(),
        ))
    }

    /// A blocking check when a request of the checks so far failed on the connection itself.
    fn lost_connection(&self, suite: &Suite) -> Option<Check> {
        let lost = self
            .lost
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        Some(Check {
            blocks_run: true,
            ..Check::failed(
                "connection:lost".into(),
                "connection during the checks".into(),
                format!("a check's request failed on the connection: {lost}"),
                "check the network and the instance, and run again (the ledger lists anything the checks created)".into(),
                keys(suite, |_| true),
            )
        })
    }

    /// Notes a request that failed on the connection (not one a stop signal ended).
    fn note_lost(&self, error: &RequestError) {
        if matches!(error, RequestError::Exchange { .. }) {
            self.lost
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert_with(|| error.cause());
        }
    }

    /// Reachable and authenticated: one read with the main account (its own user record,
    /// when it has a user name). The listing is kept for the role check.
    async fn connection(&self, suite: &Suite) -> (Check, Listing) {
        let mut journal = Journal::new(Mode::Abandonable);
        let probe = match self.target().user_name() {
            Some(name) => {
                self.list(
                    "sys_user",
                    &format!("user_name={name}"),
                    "sys_id,user_name",
                    Auth::Default,
                    &mut journal,
                )
                .await
            }
            None => {
                self.list(
                    "sys_properties",
                    &format!("name={AWA_PROPERTY}"),
                    "name,value",
                    Auth::Default,
                    &mut journal,
                )
                .await
            }
        };
        let everyone = || keys(suite, |_| true);
        let failed = |detail: String, advice: &str| {
            Check::failed(
                "connection".into(),
                "connection".into(),
                detail,
                advice.into(),
                everyone(),
            )
        };
        if let Some(foreign) = &probe.foreign {
            let check = Check {
                blocks_run: true,
                ..failed(foreign.seen.clone(), &foreign.advice)
            };
            return (check, probe);
        }
        let check = match (&probe.status, &probe.error) {
            (_, Some(error)) => Check {
                blocks_run: true,
                ..failed(
                    format!("cannot reach {}: {}", self.target().base_url, error.cause()),
                    "check the base URL (the instance's root, e.g. https://dev12345.service-now.com) and the network",
                )
            },
            (Some(401), _) => Check {
                blocks_run: true,
                ..failed(
                    "the instance refuses the main account's credentials (401)".into(),
                    "check the user and password (or token) of the main account",
                )
            },
            (Some(200), _) => Check::passed(
                "connection".into(),
                "connection".into(),
                "reachable; the main account is authenticated".into(),
                Vec::new(),
            ),
            (Some(status), _) => Check {
                blocks_run: *status == 404 || *status == 400,
                ..failed(
                    format!(
                        "the Table API answered {status} at {}/api/now/table/",
                        self.target().base_url
                    ),
                    "give the instance's root URL (drop any /api/now from it)",
                )
            },
            (None, None) => Check::unknown(
                "connection".into(),
                "connection".into(),
                "no answer".into(),
                "run again".into(),
                Vec::new(),
            ),
        };
        (check, probe)
    }

    /// The no-role account must be accepted too: its 401 would blame the instance. The
    /// check when it is refused.
    async fn norole_connection(&self, suite: &Suite) -> Option<Check> {
        let Some(Credentials::Basic { user: norole, .. }) = &self.target().norole else {
            return None;
        };
        let answer = self
            .list(
                "sys_user",
                &format!("user_name={norole}"),
                "sys_id",
                Auth::Norole,
                &mut fresh(),
            )
            .await;
        (answer.status == Some(401)).then(|| Check {
            blocks_run: true,
            ..Check::failed(
                "connection:norole".into(),
                "no-role account".into(),
                format!("the instance refuses the credentials of {norole} (401)"),
                "check the no-role account's user and password (--norole-user, --norole-password)"
                    .into(),
                keys(suite, |_| true),
            )
        })
    }

    /// The main account holds the role (or admin); the no-role account holds neither.
    /// `probe` is the main account's own user record, when the connection check read it.
    async fn role_checks(&self, suite: &Suite, probe: &Listing) -> Vec<Check> {
        let mut checks = Vec::new();
        let user = self.target().user_name();
        let role_ids = self.role_ids(&mut fresh()).await;
        let main_roles = match (user, probe.first()) {
            (Some(_), Some(record)) => {
                Some(self.roles_of(text(record, "sys_id"), &mut fresh()).await)
            }
            _ => None,
        };
        checks.push(role_check(
            "role:main",
            &format!("role of {}", user.unwrap_or("the main account")),
            true,
            main_roles.as_ref(),
            &role_ids,
            true,
            keys(suite, |s| ROLE_APIS.contains(&s.api.as_str())),
        ));
        if let Some(Credentials::Basic { user: norole, .. }) = &self.target().norole {
            let listed = self
                .list(
                    "sys_user",
                    &format!("user_name={norole}"),
                    "sys_id",
                    Auth::Default,
                    &mut fresh(),
                )
                .await;
            let roles = match listed.first() {
                Some(record) => Some(self.roles_of(text(record, "sys_id"), &mut fresh()).await),
                None => None,
            };
            let readable = main_roles.as_ref().is_some_and(|r| !r.is_empty());
            checks.push(role_check(
                "role:norole",
                &format!("no role for {norole}"),
                false,
                roles.as_ref(),
                &role_ids,
                readable,
                keys(suite, |s| {
                    s.requirements.contains(&Requirement::NoroleAccount)
                }),
            ));
        }
        checks
    }

    /// The plugins each API needs are active.
    async fn plugin_checks(&self, suite: &Suite) -> Vec<Check> {
        futures_util::future::join_all(PLUGINS.iter().map(|(plugin, apis)| async move {
            let users = keys(suite, |s| apis.contains(&s.api.as_str()));
            self.plugin_check(plugin, users, &mut fresh()).await
        }))
        .await
    }

    /// Each table the scenarios use exists, with each field they name; and the tables
    /// positively missing (`sys_db_object` lists others, not them).
    async fn table_checks(&self, suite: &Suite) -> (Vec<Check>, BTreeSet<String>) {
        // Each table, its fields (`""` for the table itself), and the scenarios naming them.
        let mut needs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for scenario in &suite.scenarios {
            for (table, fields) in scenario.table_fields() {
                let entry = needs.entry(table).or_default();
                entry
                    .entry(String::new())
                    .or_default()
                    .insert(scenario.key());
                for field in fields {
                    entry.entry(field).or_default().insert(scenario.key());
                }
            }
        }
        let rows: Vec<Option<Map<String, Value>>> =
            futures_util::future::join_all(needs.keys().map(|table| async move {
                self.list(
                    "sys_db_object",
                    &format!("name={table}"),
                    "sys_id,name,super_class",
                    Auth::Default,
                    &mut fresh(),
                )
                .await
                .first()
                .cloned()
            }))
            .await;
        let found_tables = rows.iter().flatten().count();
        let all_elements = futures_util::future::join_all(needs.keys().zip(&rows).map(
            |(table, row)| async move {
                match row {
                    Some(row) => self.elements(table, row, &mut fresh()).await,
                    None => BTreeSet::new(),
                }
            },
        ))
        .await;
        let mut checks = Vec::new();
        let mut missing = BTreeSet::new();
        for (((table, fields), row), elements) in needs.iter().zip(&rows).zip(all_elements) {
            if row.is_none() {
                if found_tables > 0 {
                    missing.insert(table.clone());
                }
                checks.push(missing_table(table, found_tables > 0, &fields[""]));
                continue;
            }
            checks.push(Check::passed(
                format!("table:{table}"),
                format!("table {table}"),
                "exists".into(),
                Vec::new(),
            ));
            for (field, users) in fields.iter().filter(|(f, _)| !f.is_empty()) {
                checks.push(field_check(table, field, &elements, users));
            }
        }
        (checks, missing)
    }

    /// The choice values the scenarios use are offered by `sys_choice`.
    async fn choice_checks(&self, suite: &Suite) -> Vec<Check> {
        let checks =
            futures_util::future::join_all(CHOICE_FIELDS.iter().map(|(table, field)| async move {
                let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for scenario in &suite.scenarios {
                    for value in scenario.field_values(table, field) {
                        used.entry(value).or_default().push(scenario.key());
                    }
                }
                if used.is_empty() {
                    return None;
                }
                let listing = self
                    .list(
                        "sys_choice",
                        &format!("name={table}^element={field}"),
                        "value",
                        Auth::Default,
                        &mut fresh(),
                    )
                    .await;
                let offered: BTreeSet<&str> =
                    listing.records.iter().map(|r| text(r, "value")).collect();
                Some(choice_check(table, field, &used, &offered))
            }))
            .await;
        checks.into_iter().flatten().collect()
    }

    /// `glide.awa.enabled` is `true`.
    async fn awa_check(&self, suite: &Suite) -> Check {
        let property = self
            .list(
                "sys_properties",
                &format!("name={AWA_PROPERTY}"),
                "name,value",
                Auth::Default,
                &mut fresh(),
            )
            .await;
        let id = "property:glide.awa.enabled".to_string();
        match property.first().map(|r| text(r, "value")) {
            Some("true") => Check::passed(id, AWA_PROPERTY.into(), "true".into(), Vec::new()),
            Some(value) => Check::failed(
                id,
                AWA_PROPERTY.into(),
                format!("is `{value}`: every AWA operation answers 403"),
                self.awa_advice(),
                keys(suite, |s| s.api == "awa_inbox_actions" && !s.exclusive),
            ),
            None => Check::unknown(
                id,
                AWA_PROPERTY.into(),
                "sys_properties does not list it".into(),
                format!("make sure {AWA_PROPERTY} is true (the platform's default)"),
                Vec::new(),
            ),
        }
    }

    /// Every pinned record exists: read by its sys_id, a 404 is positive evidence that it
    /// does not (the Table API documents 404 for a sys_id it does not hold);
    /// a refusal or any other answer is "could not check".
    async fn pin_checks(&self, suite: &Suite) -> Vec<Check> {
        let mut pinned: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for scenario in &suite.scenarios {
            for fixture in &scenario.fixtures {
                if let crate::spec::Fixture::Create { id, table, .. } = fixture {
                    if let Some(sys_id) = self.target().pin_for(id, table) {
                        pinned
                            .entry((table.clone(), sys_id.to_string()))
                            .or_default()
                            .insert(scenario.key());
                    }
                }
            }
        }
        futures_util::future::join_all(pinned.into_iter().map(|((table, sys_id), users)| async move {
            let id = format!("pin:{table}.{sys_id}");
            let title = format!("pinned {table} {sys_id}");
            let answer = self
                .client
                .table_request("GET", &table, Some(&sys_id), None, doctor("pinned record"), &mut fresh())
                .await;
            match answer {
                Ok(a) if a.status == 200 => Check::passed(id, title, "exists".into(), Vec::new()),
                Ok(a) if a.status == 404 => Check::failed(
                    id,
                    title,
                    format!("the instance has no record {sys_id} in {table} (404)"),
                    "pin a record that exists in the target profile, or remove the pin so the fixture creates one".into(),
                    users.into_iter().collect(),
                ),
                Ok(a) => Check::unknown(
                    id,
                    title,
                    format!("reading it answered {}", a.status),
                    "let the main account read the table, or check the pin".into(),
                    Vec::new(),
                ),
                Err(e) => {
                    self.note_lost(&e);
                    Check::unknown(id, title, e.cause(), "run again".into(), Vec::new())
                }
            }
        }))
        .await
    }

    /// What to do about `glide.awa.enabled` left false: a stopped run's ledger that lists it
    /// is put back by `cleanup`; else the user sets it (naming the command all the same, as
    /// a run killed while it was false is the usual cause).
    fn awa_advice(&self) -> String {
        if let Some(left) = self
            .left
            .filter(|l| l.settings.iter().any(|n| n == AWA_PROPERTY))
        {
            return format!(
                "a run that was stopped left it changed: run `sn-conform cleanup {}`",
                left.path.display()
            );
        }
        let ledger = self.cleanup.map_or_else(
            || "reports/ledger.jsonl".to_string(),
            |p| p.display().to_string(),
        );
        format!("set {AWA_PROPERTY} to true (if a run of sn-conform was killed while it was false, `sn-conform cleanup {ledger}` puts it back)")
    }

    /// Permission to create and delete on each table a fixture creates records in (not the
    /// tables found `missing`, which failed already).
    async fn write_checks(&self, suite: &Suite, missing: &BTreeSet<String>) -> Vec<Check> {
        let mut creators: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for scenario in &suite.scenarios {
            for fixture in &scenario.fixtures {
                if let crate::spec::Fixture::Create { id, table, .. } = fixture {
                    if self.target().pin_for(id, table).is_none() && !missing.contains(table) {
                        creators
                            .entry(table.clone())
                            .or_default()
                            .insert(scenario.key());
                    }
                }
            }
        }
        futures_util::future::join_all(creators.into_iter().map(|(table, users)| async move {
            self.write_check(&table, users.into_iter().collect(), &mut fresh())
                .await
        }))
        .await
    }

    /// `GET /api/now/table/{table}` with a query and fields, as `auth`.
    async fn list(
        &self,
        table: &str,
        query: &str,
        fields: &str,
        auth: Auth,
        journal: &mut Journal,
    ) -> Listing {
        let encoded = serde_urlencoded::to_string([
            ("sysparm_query", query),
            ("sysparm_fields", fields),
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_limit", "1000"),
        ])
        .unwrap_or_default();
        let url = format!("{}/api/now/table/{table}?{encoded}", self.target().base_url);
        let outgoing = self.client.outgoing("GET", url, doctor(table), auth);
        match self.client.send(outgoing, journal).await {
            Ok(answer) => Listing {
                foreign: super::foreign::answer_not_the_platform(&answer),
                status: Some(answer.status),
                records: answer
                    .result()
                    .and_then(Value::as_array)
                    .map(|list| list.iter().filter_map(|r| r.as_object().cloned()).collect())
                    .unwrap_or_default(),
                error: None,
            },
            Err(error) => {
                self.note_lost(&error);
                Listing {
                    status: None,
                    records: Vec::new(),
                    error: Some(error),
                    foreign: None,
                }
            }
        }
    }

    /// sys_ids of the roles `admin` and `awa_integration_user`, by name.
    async fn role_ids(&self, journal: &mut Journal) -> BTreeMap<String, String> {
        let listing = self
            .list(
                "sys_user_role",
                &format!("name=admin^ORname={ROLE}"),
                "sys_id,name",
                Auth::Default,
                journal,
            )
            .await;
        let mut out: BTreeMap<String, String> = listing
            .records
            .iter()
            .map(|r| (text(r, "sys_id").to_string(), text(r, "name").to_string()))
            .collect();
        // An instance (or a mock) without `^OR` support: ask for each name alone.
        if out.len() < 2 {
            for name in ["admin", ROLE] {
                let listing = self
                    .list(
                        "sys_user_role",
                        &format!("name={name}"),
                        "sys_id,name",
                        Auth::Default,
                        journal,
                    )
                    .await;
                for r in &listing.records {
                    out.insert(text(r, "sys_id").to_string(), text(r, "name").to_string());
                }
            }
        }
        out
    }

    /// The role sys_ids a user holds, as listed by sys_user_has_role.
    async fn roles_of(&self, user_id: &str, journal: &mut Journal) -> Vec<String> {
        self.list(
            "sys_user_has_role",
            &format!("user={user_id}"),
            "role",
            Auth::Default,
            journal,
        )
        .await
        .records
        .iter()
        .map(|r| text(r, "role").to_string())
        .collect()
    }

    async fn plugin_check(&self, plugin: &str, users: Vec<String>, journal: &mut Journal) -> Check {
        let id = format!("plugin:{plugin}");
        let title = format!("plugin {plugin}");
        let from_view = self
            .list(
                "v_plugin",
                &format!("id={plugin}"),
                "id,active",
                Auth::Default,
                journal,
            )
            .await;
        let (row, field) = match from_view.first() {
            Some(row) => (Some(row.clone()), "active"),
            None => {
                let listing = self
                    .list(
                        "sys_plugins",
                        &format!("source={plugin}"),
                        "source,active",
                        Auth::Default,
                        journal,
                    )
                    .await;
                (listing.first().cloned(), "active")
            }
        };
        match row.as_ref().map(|r| text(r, field)) {
            Some("active" | "true") => Check::passed(id, title, "active".into(), Vec::new()),
            Some(other) => Check::failed(
                id,
                title,
                format!("is `{other}`"),
                format!("activate the plugin {plugin}"),
                users,
            ),
            None => Check::unknown(
                id,
                title,
                "neither v_plugin nor sys_plugins lists it (the account may not read them)".into(),
                format!("make sure the plugin {plugin} is active"),
                Vec::new(),
            ),
        }
    }

    /// The fields of `table` and of every table it extends, from sys_dictionary.
    async fn elements(
        &self,
        table: &str,
        row: &Map<String, Value>,
        journal: &mut Journal,
    ) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut name = table.to_string();
        let mut parent = text(row, "super_class").to_string();
        // Bounded: a loop in super_class must not hang the doctor.
        for _ in 0..16 {
            let listing = self
                .list(
                    "sys_dictionary",
                    &format!("name={name}"),
                    "element",
                    Auth::Default,
                    journal,
                )
                .await;
            out.extend(
                listing
                    .records
                    .iter()
                    .map(|r| text(r, "element").to_string()),
            );
            if parent.is_empty() {
                break;
            }
            let up = self
                .list(
                    "sys_db_object",
                    &format!("sys_id={parent}"),
                    "name,super_class",
                    Auth::Default,
                    journal,
                )
                .await;
            let Some(up) = up.first() else { break };
            name = text(up, "name").to_string();
            parent = text(up, "super_class").to_string();
        }
        out.remove("");
        out
    }

    /// What the instance made with the record the write check created (`created`, its answer)
    /// from `body`, already in the ledger.
    async fn made_with(
        &self,
        created: Option<&super::http::Answer>,
        body: &Map<String, Value>,
        journal: &mut Journal,
    ) -> Vec<super::instance_made::Made> {
        let Some(record) = created.and_then(|a| a.result()).and_then(Value::as_object) else {
            return Vec::new();
        };
        super::instance_made::learn(
            self.client,
            self.ledger,
            record,
            body,
            "doctor",
            &doctor("what the instance made"),
            journal,
        )
        .await
        .unwrap_or_default()
    }

    /// Creates one record in `table` and deletes it, as the fixtures will.
    async fn write_check(&self, table: &str, users: Vec<String>, journal: &mut Journal) -> Check {
        let id = format!("write:{table}");
        let title = format!("create and delete in {table}");
        let sys_id = crate::platform::sys_id::fresh();
        let mut body = Map::new();
        body.insert("sys_id".into(), Value::String(sys_id.clone()));
        if table == "sys_user" {
            body.insert(
                "user_name".into(),
                Value::String(format!("sn-conform.doctor.{}", self.run_id)),
            );
        }
        if let Err(e) = self.ledger.created(table, &sys_id, "doctor") {
            return Check::unknown(
                id,
                title,
                e.to_string(),
                "make the report directory writable".into(),
                Vec::new(),
            );
        }
        let created = self
            .client
            .table_request("POST", table, None, Some(&body), doctor("create"), journal)
            .await;
        let actual = match &created {
            Ok(a) if (200..300).contains(&a.status) => a
                .result()
                .and_then(|r| r.get("sys_id"))
                .and_then(Value::as_str)
                .unwrap_or(&sys_id)
                .to_string(),
            Ok(a) if a.status == 401 || a.status == 403 => {
                let _ = self.ledger.deleted(table, &sys_id);
                return Check::failed(id, title, format!("creating a record answered {}", a.status), format!("let the main account create records in {table} (an ACL or a role), or pin existing records in the profile"), users);
            }
            Ok(a) => {
                return Check::unknown(
                    id,
                    title,
                    format!("creating a record answered {}", a.status),
                    "see the exchange in the run's report".into(),
                    Vec::new(),
                );
            }
            Err(e) => {
                self.note_lost(e);
                return Check::unknown(id, title, e.to_string(), "run again".into(), Vec::new());
            }
        };
        if actual != sys_id {
            let _ = self.ledger.created(table, &actual, "doctor");
            let _ = self.ledger.deleted(table, &sys_id);
        }
        // What the instance made with the record (an interaction's documents) goes too.
        let made = self.made_with(created.as_ref().ok(), &body, journal).await;
        match self.client.table_request("DELETE", table, Some(&actual), None, doctor("delete"), journal).await {
            Ok(a) if a.status == 200 || a.status == 204 => {
                let _ = self.ledger.deleted(table, &actual);
                let janitor = super::cleanup::Janitor {
                    client: self.client,
                    ledger: self.ledger,
                };
                // A record it cannot delete stays in the ledger, for the run's sweep.
                let made: Vec<(&str, &str, &str)> = made
                    .iter()
                    .map(|m| (m.table.as_str(), m.sys_id.as_str(), "a record the instance made"))
                    .collect();
                let _ = janitor.delete_together(&made, journal).await;
                Check::passed(id, title, "allowed".into(), Vec::new())
            }
            Ok(a) if a.status == 401 || a.status == 403 => Check::failed(
                id,
                title,
                format!("deleting the record answered {} (it is left, and listed in the ledger)", a.status),
                format!("let the main account delete records in {table}, then run `sn-conform cleanup` on the ledger"),
                users,
            ),
            Ok(a) => Check::unknown(id, title, format!("deleting the record answered {}", a.status), "see the ledger".into(), Vec::new()),
            Err(e) => {
                self.note_lost(&e);
                Check::unknown(id, title, e.to_string(), "see the ledger".into(), Vec::new())
            }
        }
    }
}

/// The role check of one account: `wants` says whether it must hold the role (main) or must
/// not (no-role). `roles` is what sys_user_has_role listed (None: the user was not found);
/// `readable` says whether an empty list is evidence (the table showed rows for another user).
fn role_check(
    id: &str,
    title: &str,
    wants: bool,
    roles: Option<&Vec<String>>,
    role_ids: &BTreeMap<String, String>,
    readable: bool,
    users: Vec<String>,
) -> Check {
    let holds = |r: &Vec<String>| {
        r.iter()
            .filter_map(|id| role_ids.get(id))
            .any(|name| name == ROLE || name == "admin")
    };
    let (id, title) = (id.to_string(), title.to_string());
    match roles {
        None => Check::unknown(
            id,
            title,
            "the account is not listed in sys_user (a bearer token names none, or it may not be read)".into(),
            format!("make sure the account {} {ROLE}", if wants { "holds" } else { "lacks" }),
            Vec::new(),
        ),
        Some(_) if role_ids.is_empty() => Check::unknown(
            id,
            title,
            "sys_user_role lists neither admin nor awa_integration_user".into(),
            "give the main account read access to sys_user_role".into(),
            Vec::new(),
        ),
        Some(r) if wants && holds(r) => Check::passed(id, title, format!("holds {ROLE} or admin"), Vec::new()),
        Some(r) if wants && !r.is_empty() => Check::failed(
            id,
            title,
            format!("holds {} role(s), neither {ROLE} nor admin", r.len()),
            format!("grant {ROLE} to the main account"),
            users,
        ),
        Some(r) if !wants && holds(r) => Check::failed(
            id,
            title,
            format!("holds {ROLE} or admin, so it cannot show the 403 cases"),
            format!("use an account without {ROLE} (and without admin) as the no-role account"),
            users,
        ),
        Some(r) if !wants && (readable || !r.is_empty()) => {
            Check::passed(id, title, format!("holds neither {ROLE} nor admin"), Vec::new())
        }
        Some(_) => Check::unknown(
            id,
            title,
            "sys_user_has_role lists no role for it (the account may not read it)".into(),
            "give the main account read access to sys_user_has_role".into(),
            Vec::new(),
        ),
    }
}

/// A request of the doctor's: a table it reads, or its `create` and `delete`.
fn doctor(what: &str) -> Origin {
    Origin::Doctor {
        what: what.to_string(),
    }
}

/// A journal of its own for one of the doctor's reads.
fn fresh() -> Journal {
    Journal::new(Mode::Abandonable)
}

/// The keys of the scenarios `which` selects.
fn keys(suite: &Suite, which: impl Fn(&crate::spec::Scenario) -> bool) -> Vec<String> {
    suite
        .scenarios
        .iter()
        .filter(|s| which(s))
        .map(|s| s.key())
        .collect()
}

/// The check of a table `sys_db_object` does not list: failed when it lists others
/// (`positive`), else unknown (the account may not read it).
fn missing_table(table: &str, positive: bool, users: &BTreeSet<String>) -> Check {
    let (id, title) = (format!("table:{table}"), format!("table {table}"));
    if positive {
        Check::failed(
            id,
            title,
            "sys_db_object lists other tables, not this one".into(),
            "install the plugin that brings it, or skip the scenarios that need it".into(),
            users.iter().cloned().collect(),
        )
    } else {
        Check::unknown(
            id,
            title,
            "sys_db_object lists none of the tables (the account may not read it)".into(),
            "give the main account read access to sys_db_object, or trust the run".into(),
            Vec::new(),
        )
    }
}

/// The check of one field of a table, against the fields `sys_dictionary` lists for it and
/// its parents (`elements`; none read means could not check).
fn field_check(
    table: &str,
    field: &str,
    elements: &BTreeSet<String>,
    users: &BTreeSet<String>,
) -> Check {
    let id = format!("field:{table}.{field}");
    let title = format!("field {table}.{field}");
    if elements.is_empty() {
        Check::unknown(
            id,
            title,
            format!("sys_dictionary lists no field of {table} (the account may not read it)"),
            "give the main account read access to sys_dictionary".into(),
            Vec::new(),
        )
    } else if elements.contains(field) {
        Check::passed(id, title, "exists".into(), Vec::new())
    } else {
        Check::failed(
            id,
            title,
            format!(
                "sys_dictionary lists {} fields of {table} (with its parents), not this one",
                elements.len()
            ),
            format!("add the field {field} to {table}, or skip the scenarios that need it"),
            users.iter().cloned().collect(),
        )
    }
}

/// The check of the choice values scenarios use (`used`, each with its scenarios) against
/// those `sys_choice` offers.
fn choice_check(
    table: &str,
    field: &str,
    used: &BTreeMap<String, Vec<String>>,
    offered: &BTreeSet<&str>,
) -> Check {
    let id = format!("choices:{table}.{field}");
    let title = format!("choices of {table}.{field}");
    let missing: Vec<&String> = used
        .keys()
        .filter(|v| !offered.contains(v.as_str()))
        .collect();
    if offered.is_empty() {
        Check::unknown(
            id,
            title,
            "sys_choice lists no value (the account may not read it)".into(),
            "give the main account read access to sys_choice".into(),
            Vec::new(),
        )
    } else if missing.is_empty() {
        Check::passed(
            id,
            title,
            format!(
                "offers {}",
                used.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            Vec::new(),
        )
    } else {
        let users: BTreeSet<String> = missing
            .iter()
            .flat_map(|v| used[*v].iter().cloned())
            .collect();
        Check::failed(
            id,
            title,
            format!(
                "sys_choice does not offer {}",
                missing
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "add the choice values, or skip the scenarios that use them".into(),
            users.into_iter().collect(),
        )
    }
}
