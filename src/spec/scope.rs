//! Which fixtures a run creates once and shares, and which each trial creates for itself.
//!
//! A record no step changes can serve every trial that needs the same record: it is created
//! the first time one needs it and deleted at the end of the run. A record a step changes
//! (or reads back to see whether it changed) must be the trial's own, or one trial would see
//! another's change. The rules, in order, for each `create` fixture:
//!
//! 1. `scope: trial` in the spec: per trial.
//! 2. a record check reads it back (`record: {sys_id: "{{work_item.sys_id}}"}`), or a
//!    request's query searches by it (`sysparm_query: queue={{queue.sys_id}}`, which would
//!    find what other trials' operations made with it): per trial.
//! 3. it refers to a record that is not shared by the run: per trial (a shared record cannot
//!    point at a record that lives only as long as one trial).
//! 4. a step reaches a per-trial record *through* it: the operation finds the record by other
//!    records the request names, not by its own sys_id (a conversation member is found by its
//!    agent and its interaction). The last of those the request names is *leased*: kept for
//!    the run like a shared record, but lent to one trial at a time, so that no two trials
//!    running at once have records found by the same names (the lessee's own records are
//!    deleted before it gives the record back).
//! 5. `scope: run` in the spec, or nothing above applies: shared by the run.
//!
//! Two trials share a record only when its definition, the records it refers to and the
//! fixtures that refer to it are all the same: a channel with two reject reasons is not the
//! channel a "no reasons" scenario lists.
//!
//! `sn-conform lint --explain` prints the decision and its reason for every fixture.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Action, Body, Fixture, Step};
use super::template;

pub use super::model::{Scope, Sharing};

/// What the spec said of a fixture's scope, and on which line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    pub scope: Scope,
    pub line: usize,
}

/// A fixture the spec declares `scope: run` whose other properties force it per trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Index of the fixture.
    pub index: usize,
    pub message: String,
}

/// The fixture ids a template-bearing value refers to (`{{agent.sys_id}}` -> `agent`).
pub fn referred(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => collect_text(s, out),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

fn collect_text(text: &str, out: &mut BTreeSet<String>) {
    for name in template::names(text) {
        if let Some((fixture, _field)) = name.split_once('.') {
            out.insert(fixture.to_string());
        }
    }
}

/// Whether a template-bearing value uses a variant's variables.
fn uses_variant_vars(value: &Value) -> bool {
    match value {
        Value::String(s) => text_uses_variant_vars(s),
        Value::Array(items) => items.iter().any(uses_variant_vars),
        Value::Object(map) => map.values().any(uses_variant_vars),
        _ => false,
    }
}

fn text_uses_variant_vars(text: &str) -> bool {
    template::names(text)
        .iter()
        .any(|n| matches!(*n, "api" | "method"))
}

/// The fixture ids a fixture's own templates refer to.
pub fn fixture_refers_to(fixture: &Fixture) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match fixture {
        Fixture::Create { fields, .. } => fields.values().for_each(|v| collect(v, &mut out)),
        Fixture::Lookup { query, .. } => collect_text(query, &mut out),
        Fixture::Property { .. } => {}
    }
    out
}

/// The fixture ids a request step names anywhere (path, query, headers, body).
fn request_names(step: &Step) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Action::Request { request, .. } = &step.action {
        collect_text(request.path.source(), &mut out);
        for (_, v) in request.query.iter().chain(&request.headers) {
            collect_text(v.source(), &mut out);
        }
        match &request.body {
            Body::None => {}
            Body::Json(value) => collect(value.source(), &mut out),
            Body::Raw(text) => collect_text(text.source(), &mut out),
        }
    }
    out
}

/// What the rules found for one fixture.
#[derive(Debug, Clone)]
enum Found {
    Trial(String),
    Lease(String),
}

/// The decision for every fixture (`None` for lookups and properties), in fixture order, or
/// the `scope: run` declarations that cannot hold.
pub fn derive(
    fixtures: &[Fixture],
    declared: &[Option<Declared>],
    steps: &[Step],
) -> Result<Vec<Option<Sharing>>, Vec<Conflict>> {
    let mut d = Derivation {
        fixtures,
        declared,
        steps,
        ids: fixtures.iter().map(Fixture::created_id).collect(),
        refers: fixtures.iter().map(fixture_refers_to).collect(),
        found: vec![None; fixtures.len()],
    };
    d.declared_per_trial();
    d.checked_or_searched();
    d.through_references();
    let per_variant = d.per_variant();
    d.decide(&per_variant)
}

/// The fixtures of one scenario while the rules are applied to them, in order.
struct Derivation<'a> {
    fixtures: &'a [Fixture],
    declared: &'a [Option<Declared>],
    steps: &'a [Step],
    /// Each fixture's id, for the ones that create a record.
    ids: Vec<Option<&'a str>>,
    /// The fixture ids each fixture's own templates refer to.
    refers: Vec<BTreeSet<String>>,
    /// What the rules found so far, per fixture.
    found: Vec<Option<Found>>,
}

impl Derivation<'_> {
    fn index_of(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|i| *i == Some(id))
    }

    fn declared_as(&self, i: usize) -> Option<Declared> {
        self.declared.get(i).copied().flatten()
    }

    fn declared_run(&self, i: usize) -> bool {
        matches!(
            self.declared_as(i),
            Some(Declared {
                scope: Scope::Run,
                ..
            })
        )
    }

    /// Makes fixture `id` per trial for `why`, unless a rule already decided it.
    fn per_trial(&mut self, id: &str, why: String) {
        if let Some(i) = self.index_of(id) {
            if self.found[i].is_none() {
                self.found[i] = Some(Found::Trial(why));
            }
        }
    }

    /// Rule 1: `scope: trial` in the spec.
    fn declared_per_trial(&mut self) {
        for i in 0..self.fixtures.len() {
            if let (
                Some(_),
                Some(Declared {
                    scope: Scope::Trial,
                    line,
                }),
            ) = (self.ids[i], self.declared_as(i))
            {
                self.found[i] = Some(Found::Trial(format!("`scope: trial` (line {line})")));
            }
        }
    }

    /// Rule 2: read back by a record check, or searched by a request's query.
    fn checked_or_searched(&mut self) {
        for step in self.steps {
            match &step.action {
                Action::Record(check) => {
                    for id in referred(&Value::String(check.sys_id.source().to_string())) {
                        let why = format!(
                            "the step \"{}\" (line {}) reads it back",
                            step.name, step.line
                        );
                        self.per_trial(&id, why);
                    }
                }
                Action::Request { request, .. } => {
                    let mut searched = BTreeSet::new();
                    for (_, v) in &request.query {
                        collect_text(v.source(), &mut searched);
                    }
                    for id in searched {
                        let why = format!(
                            "the step \"{}\" (line {}) searches by it, and would find what other trials made with it",
                            step.name, step.line
                        );
                        self.per_trial(&id, why);
                    }
                }
            }
        }
    }

    /// Rules 3 and 4, until nothing changes: a record referring to a per-trial record is per
    /// trial; a per-trial record the requests reach through other records leases the last of
    /// those.
    fn through_references(&mut self) {
        let named: BTreeSet<String> = self.steps.iter().flat_map(request_names).collect();
        loop {
            let mut changed = false;
            for i in 0..self.fixtures.len() {
                let Some(id) = self.ids[i] else { continue };
                match &self.found[i] {
                    None => {
                        if let Some(dep) = self.refers[i]
                            .iter()
                            .find(|d| self.index_of(d).is_some_and(|j| self.found[j].is_some()))
                        {
                            self.found[i] = Some(Found::Trial(format!(
                                "it refers to `{dep}`, which is not shared by the run"
                            )));
                            changed = true;
                        }
                    }
                    // A per-trial record the requests never name is reached through the
                    // records they do name: while the trial runs, one of those must be its
                    // alone.
                    Some(Found::Trial(_)) if !named.contains(id) => {
                        changed |= self.lease_the_way_to(i, id, &named);
                    }
                    Some(_) => {}
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Leases the last record the requests name through which they reach fixture `i`
    /// (`id`), unless one of them is already the trial's alone; whether it did.
    fn lease_the_way_to(&mut self, i: usize, id: &str, named: &BTreeSet<String>) -> bool {
        let through: Vec<usize> = self.refers[i]
            .iter()
            .filter(|d| named.contains(*d))
            .filter_map(|d| self.index_of(d))
            .collect();
        let unique = through.iter().any(|j| self.found[*j].is_some());
        let free = through.iter().copied().filter(|j| !self.declared_run(*j));
        let (false, Some(last)) = (unique, free.max()) else {
            return false;
        };
        let (step, line) = self.ids[last]
            .and_then(|lid| {
                self.steps
                    .iter()
                    .find(|s| request_names(s).contains(lid))
                    .map(|s| (s.name.clone(), s.line))
            })
            .unwrap_or_default();
        self.found[last] = Some(Found::Lease(format!(
            "the step \"{step}\" (line {line}) reaches `{id}` through it rather than by `{id}`'s own sys_id: one trial at a time uses it"
        )));
        true
    }

    /// Whether each fixture is one per variant: a record some variants would see differently
    /// belongs to each variant, and so does every record connected to it (its dependents and
    /// what it refers to).
    fn per_variant(&self) -> Vec<bool> {
        let mut per_variant: Vec<bool> = self
            .fixtures
            .iter()
            .map(|f| match f {
                Fixture::Create { fields, .. } => fields.values().any(uses_variant_vars),
                Fixture::Lookup { query, .. } => text_uses_variant_vars(query),
                Fixture::Property { .. } => false,
            })
            .collect();
        loop {
            let mut changed = false;
            for i in 0..self.fixtures.len() {
                for j in self.refers[i].iter().filter_map(|d| self.index_of(d)) {
                    if per_variant[i] != per_variant[j] {
                        per_variant[i] = true;
                        per_variant[j] = true;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        per_variant
    }

    /// Each create fixture's scope, why, and sharing key; the `scope: run` that cannot hold.
    fn decide(&self, per_variant: &[bool]) -> Result<Vec<Option<Sharing>>, Vec<Conflict>> {
        let mut conflicts = Vec::new();
        let mut keys: Vec<Option<String>> = vec![None; self.fixtures.len()];
        let mut out = Vec::with_capacity(self.fixtures.len());
        for (i, fixture) in self.fixtures.iter().enumerate() {
            let Fixture::Create { .. } = fixture else {
                out.push(None);
                continue;
            };
            let (scope, why) = match (&self.found[i], self.declared_as(i)) {
                (Some(Found::Trial(why)), _) if self.declared_run(i) => {
                    conflicts.push(Conflict {
                        index: i,
                        message: format!("`scope: run` cannot hold: {why}"),
                    });
                    (Scope::Trial, why.clone())
                }
                (Some(Found::Trial(why)), _) => (Scope::Trial, why.clone()),
                (Some(Found::Lease(why)), _) => (Scope::Lease, why.clone()),
                (
                    None,
                    Some(Declared {
                        scope: Scope::Run,
                        line,
                    }),
                ) => (Scope::Run, format!("`scope: run` (line {line})")),
                (None, _) => (
                    Scope::Run,
                    "no step changes it and no record check reads it back".to_string(),
                ),
            };
            let key = self.key(i, scope, &keys);
            out.push(Some(Sharing {
                scope,
                why,
                key: key.clone(),
                per_variant: per_variant[i],
            }));
            keys[i] = Some(key);
        }
        if conflicts.is_empty() {
            Ok(out)
        } else {
            Err(conflicts)
        }
    }

    /// The sharing key of create fixture `i`: the same definition, the same records referred
    /// to (their `keys`, decided before it), the same fixtures referring to it (those of a
    /// leased record are the lessee's own and gone when it gives the record back). The parts
    /// are written as JSON straight into the digest, never built as a value.
    fn key(&self, i: usize, scope: Scope, keys: &[Option<String>]) -> String {
        let Fixture::Create {
            id, table, fields, ..
        } = &self.fixtures[i]
        else {
            return String::new();
        };
        let refers_to: Vec<&str> = self.refers[i]
            .iter()
            .filter_map(|d| self.index_of(d))
            .map(|j| keys[j].as_deref().unwrap_or(""))
            .collect();
        let referred_by: BTreeSet<String> = match scope {
            Scope::Lease => BTreeSet::new(),
            _ => self
                .fixtures
                .iter()
                .enumerate()
                .filter(|(j, _)| self.refers[*j].contains(id.as_str()))
                .map(|(_, f)| match f {
                    Fixture::Create {
                        id, table, fields, ..
                    } => digest(&Definition::Create { id, table, fields }),
                    Fixture::Lookup {
                        id, table, query, ..
                    } => digest(&Definition::Lookup { id, table, query }),
                    Fixture::Property { .. } => String::new(),
                })
                .collect(),
        };
        digest(&Key {
            id,
            create: table,
            fields,
            refers_to,
            referred_by,
            leased: scope == Scope::Lease,
        })
    }
}

/// What a sharing key spells out: a fixture, the keys of the records it refers to and the
/// definitions of the fixtures that refer to it.
#[derive(serde::Serialize)]
struct Key<'a> {
    id: &'a str,
    create: &'a str,
    fields: &'a serde_json::Map<String, Value>,
    refers_to: Vec<&'a str>,
    referred_by: BTreeSet<String>,
    leased: bool,
}

/// A fixture that refers to a shared record, as part of that record's key.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Definition<'a> {
    Create {
        id: &'a str,
        #[serde(rename = "create")]
        table: &'a str,
        fields: &'a serde_json::Map<String, Value>,
    },
    Lookup {
        id: &'a str,
        #[serde(rename = "lookup")]
        table: &'a str,
        query: &'a str,
    },
}

/// A short, fixed-length stand-in for `what` as JSON: 128 bits of two SipHash passes over its
/// text, which is written into the hashers and never kept.
fn digest(what: &impl serde::Serialize) -> String {
    use std::hash::Hasher;
    /// `DefaultHasher::new()` is SipHash with fixed keys: the same text, the same value. The
    /// hashers take the text in pieces as they come, which gives what hashing it whole gives.
    struct Pair([std::collections::hash_map::DefaultHasher; 2]);
    impl std::io::Write for Pair {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.iter_mut().for_each(|h| h.write(bytes));
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut pair = Pair(Default::default());
    for (salt, hasher) in pair.0.iter_mut().enumerate() {
        hasher.write_u8(salt as u8 + 1);
    }
    // Writing JSON into hashers cannot fail: the writer never does, and every map key of a key
    // is text (serde_json's only other cause of failure).
    let _infallible = serde_json::to_writer(&mut pair, what);
    let [a, b] = pair.0;
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// The creation level of every fixture: 0 for one that refers to no other fixture, else one
/// more than the highest level of those it refers to. Fixtures of one level do not depend on
/// each other, so a trial creates them at the same time.
pub fn levels(fixtures: &[Fixture]) -> Vec<usize> {
    let mut by_id: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(fixtures.len());
    for fixture in fixtures {
        let level = fixture_refers_to(fixture)
            .iter()
            .filter_map(|d| by_id.get(d.as_str()))
            .map(|l| l + 1)
            .max()
            .unwrap_or(0);
        if let Some(id) = fixture.created_id().or(match fixture {
            Fixture::Lookup { id, .. } => Some(id.as_str()),
            _ => None,
        }) {
            by_id.insert(id, level);
        }
        out.push(level);
    }
    out
}
