//! The loader's checks of steps (functions over its [`Checker`]): requests, expectations,
//! captures, record checks, and the variables every template refers to.

use std::collections::BTreeSet;

use serde_json::Value;

use super::checker::{is_identifier, is_method, Checker, BUILT_IN_VARS};
use super::matcher::{self, Expected};
use super::model::*;
use super::raw::*;
use super::template::{self, JsonTemplate, Template};

pub(super) fn step(
    c: &mut Checker<'_>,
    raw: &RawStep,
    path: &str,
    defined: &mut BTreeSet<String>,
    requirements: &BTreeSet<Requirement>,
) -> Option<Step> {
    let line = c.lines.line(path);
    let action = match (&raw.request, &raw.record) {
        (Some(request), None) => {
            let Some(expect) = &raw.expect else {
                c.error(path, "a request step needs `expect` (at least `status`)");
                return None;
            };
            let request = self::request(
                c,
                request,
                &format!("{path}.request"),
                defined,
                requirements,
            );
            let expect = expectation(c, expect, &format!("{path}.expect"), defined);
            let mut captures = Vec::new();
            for (name, pointer) in &raw.capture {
                if !is_identifier(name) {
                    c.error(
                        &format!("{path}.capture.{name}"),
                        format!("capture name `{name}` must match [a-z0-9_]+"),
                    );
                }
                if !(pointer.is_empty() || pointer.starts_with('/')) {
                    c.error(
                        &format!("{path}.capture.{name}"),
                        format!("`{pointer}` is not a JSON pointer (it must start with `/`)"),
                    );
                }
                captures.push((name.clone(), pointer.clone()));
            }
            let cleanup: Vec<(String, String)> = raw
                .cleanup
                .iter()
                .map(|c| (c.table.clone(), c.pointer.clone()))
                .collect();
            for (i, (_, pointer)) in cleanup.iter().enumerate() {
                if !pointer.starts_with('/') {
                    c.error(
                        &format!("{path}.cleanup[{i}].pointer"),
                        format!("`{pointer}` is not a JSON pointer (it must start with `/`)"),
                    );
                }
            }
            // Captures become visible to later steps.
            for (name, _) in &captures {
                defined.insert(name.clone());
            }
            Action::Request {
                request: request?,
                expect: expect?,
                captures,
                cleanup,
            }
        }
        (None, Some(record)) => record_check(c, raw, record, path, defined)?,
        _ => {
            c.error(path, "a step needs exactly one of `request` or `record`");
            return None;
        }
    };
    Some(Step {
        name: raw.name.clone(),
        line,
        action,
    })
}

/// A record step: a record read back and the fields expected of it.
fn record_check(
    c: &mut Checker<'_>,
    raw: &RawStep,
    record: &RawRecordCheck,
    path: &str,
    defined: &BTreeSet<String>,
) -> Option<Action> {
    if raw.expect.is_some() || !raw.capture.is_empty() || !raw.cleanup.is_empty() {
        c.error(
            path,
            "a record step takes only `record` (with `table`, `sys_id` and `fields`)",
        );
    }
    let rpath = format!("{path}.record");
    templates(
        c,
        &Value::String(record.sys_id.clone()),
        &format!("{rpath}.sys_id"),
        defined,
    );
    let fields = Value::Object(record.fields.clone());
    templates(c, &fields, &format!("{rpath}.fields"), defined);
    let is_capture = captured(defined);
    let expected = match Expected::compile(&fields, &is_capture) {
        Ok(expected) => expected,
        Err(e) => {
            c.error(&format!("{rpath}.fields"), e);
            return None;
        }
    };
    Some(Action::Record(RecordCheck {
        table: record.table.clone(),
        sys_id: Template::parse(&record.sys_id, &is_capture),
        fields: expected,
        holds: record.holds.clone(),
    }))
}

pub(super) fn request(
    c: &mut Checker<'_>,
    raw: &RawRequest,
    path: &str,
    defined: &BTreeSet<String>,
    requirements: &BTreeSet<Requirement>,
) -> Option<Request> {
    let before = c.errors.len();
    if !raw.method.contains("{{") && !is_method(&raw.method) {
        c.error(
            &format!("{path}.method"),
            format!("`{}` is not an HTTP method", raw.method),
        );
    }
    templates(
        c,
        &Value::String(raw.method.clone()),
        &format!("{path}.method"),
        defined,
    );
    if !raw.path.starts_with('/') && !raw.path.starts_with("{{") {
        c.error(
            &format!("{path}.path"),
            "a path starts with `/` or `{{api}}`",
        );
    }
    templates(
        c,
        &Value::String(raw.path.clone()),
        &format!("{path}.path"),
        defined,
    );
    for (k, v) in raw.query.iter().chain(&raw.headers) {
        templates(
            c,
            &Value::String(v.clone()),
            &format!("{path}.{k}"),
            defined,
        );
    }
    if raw
        .headers
        .keys()
        .any(|h| h.eq_ignore_ascii_case("authorization"))
    {
        c.error(
            &format!("{path}.headers"),
            "set credentials with `auth:`, not an Authorization header",
        );
    }
    let body = match (&raw.json, &raw.raw) {
        (Some(_), Some(_)) => {
            c.error(path, "a request takes `json` or `raw`, not both");
            Body::None
        }
        (Some(json), None) => {
            templates(c, json, &format!("{path}.json"), defined);
            Body::Json(JsonTemplate::parse(json, &captured(defined)))
        }
        (None, Some(raw)) => Body::Raw(Template::parse(raw, &captured(defined))),
        (None, None) => Body::None,
    };
    let auth = auth(c, raw, path, requirements);
    let is_capture = captured(defined);
    let template = |text: &String| Template::parse(text, &is_capture);
    (c.errors.len() == before).then(|| Request {
        method: template(&raw.method),
        path: template(&raw.path),
        query: raw
            .query
            .iter()
            .map(|(k, v)| (k.clone(), template(v)))
            .collect(),
        headers: raw
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), template(v)))
            .collect(),
        auth,
        body,
    })
}

/// The credentials a request carries, and whether the scenario declares what they need.
fn auth(
    c: &mut Checker<'_>,
    raw: &RawRequest,
    path: &str,
    requirements: &BTreeSet<Requirement>,
) -> Auth {
    let auth = match raw.auth {
        None | Some(RawAuth::Default) => Auth::Default,
        Some(RawAuth::None) => Auth::None,
        Some(RawAuth::WrongPassword) => Auth::WrongPassword,
        Some(RawAuth::Norole) => Auth::Norole,
        Some(RawAuth::WrongToken) => Auth::WrongToken,
        Some(RawAuth::ExpiredToken) => Auth::ExpiredToken,
        Some(RawAuth::RefreshedToken) => Auth::RefreshedToken,
    };
    if auth == Auth::Norole && !requirements.contains(&Requirement::NoroleAccount) {
        c.error(
            &format!("{path}.auth"),
            "`auth: norole` needs `requires: [norole_account]` on the scenario",
        );
    }
    if auth.is_own_token() && !requirements.contains(&Requirement::OAuth) {
        c.error(
            &format!("{path}.auth"),
            format!(
                "`auth: {}` needs `requires: [oauth]` on the scenario",
                auth.name()
            ),
        );
    }
    auth
}

pub(super) fn expectation(
    c: &mut Checker<'_>,
    raw: &RawExpect,
    path: &str,
    defined: &BTreeSet<String>,
) -> Option<Expectation> {
    let before = c.errors.len();
    if !(100..=599).contains(&raw.status) {
        c.error(
            &format!("{path}.status"),
            format!("{} is not an HTTP status", raw.status),
        );
    }
    if let Some(schema) = &raw.schema {
        if !c.schema_names.contains(schema) {
            let known: Vec<_> = c.schema_names.iter().map(String::as_str).collect();
            c.error(
                &format!("{path}.schema"),
                format!(
                    "unknown schema `{schema}`; schemas/ has: {}",
                    known.join(", ")
                ),
            );
        }
    }
    let mut headers = Vec::new();
    let should = raw.should.as_ref();
    let header_sets = [(&raw.headers, Level::Must, "headers")];
    let should_headers = should.map(|s| (&s.headers, Level::Should, "should.headers"));
    for (map, level, key) in header_sets.into_iter().chain(should_headers) {
        for (name, expected) in map {
            let hpath = format!("{path}.{key}.{name}");
            if !(expected.is_string() || matches!(matcher::Matcher::parse(expected), Ok(Some(_)))) {
                c.error(&hpath, "a header expectation is a string or a matcher");
            }
            templates(c, expected, &hpath, defined);
            match Expected::compile(expected, &captured(defined)) {
                Ok(expected) => headers.push(HeaderCheck {
                    name: name.to_ascii_lowercase(),
                    expected,
                    level,
                }),
                Err(e) => c.error(&hpath, e),
            }
        }
    }
    let mut body = Vec::new();
    let bodies = [(raw.body.as_ref(), Level::Must, "body", raw.exact)];
    let should_body = should.map(|s| (s.body.as_ref(), Level::Should, "should.body", false));
    for (expected, level, key, exact) in bodies.into_iter().chain(should_body) {
        if let Some(expected) = expected {
            let bpath = format!("{path}.{key}");
            templates(c, expected, &bpath, defined);
            match Expected::compile(expected, &captured(defined)) {
                Ok(expected) => body.push(BodyCheck {
                    expected,
                    exact,
                    level,
                }),
                Err(e) => c.error(&bpath, e),
            }
        }
    }
    (c.errors.len() == before).then(|| Expectation {
        status: raw.status,
        headers,
        schema: raw.schema.clone(),
        body,
    })
}

/// Reports every `{{name}}` in `value` that is not defined at this point.
pub(super) fn templates(
    c: &mut Checker<'_>,
    value: &Value,
    path: &str,
    defined: &BTreeSet<String>,
) {
    for text in template::value_unclosed(value) {
        c.error(
            path,
            format!("`{text}` opens `{{{{` without closing it with `}}}}`"),
        );
    }
    for name in template::value_names(value) {
        let known = defined.contains(&name)
            || name
                .split_once('.')
                .is_some_and(|(fixture, _)| defined.contains(&format!("{fixture}.*")));
        if !known {
            // Fixture fields are offered as `id.field` for the names used with them.
            let offered: Vec<String> = defined
                .iter()
                .map(|d| match d.strip_suffix(".*") {
                    Some(id) => match name.split_once('.') {
                        Some((_, field)) => format!("{id}.{field}"),
                        None => format!("{id}.sys_id"),
                    },
                    None => d.clone(),
                })
                .collect();
            let listed: Vec<String> = defined.iter().map(|d| d.replace(".*", ".FIELD")).collect();
            c.error(
                path,
                format!(
                    "undefined variable `{{{{{name}}}}}`{}; defined here: {}",
                    crate::source::suggest::hint(&name, offered.iter().map(String::as_str)),
                    listed.join(", ")
                ),
            );
        }
    }
}

/// Which names of `defined` an earlier step's capture defines (not a built-in, a variant's
/// variable or a fixture's field): a template missing one of them names the capture.
fn captured(defined: &BTreeSet<String>) -> impl Fn(&str) -> bool + '_ {
    |name: &str| {
        defined.contains(name)
            && !name.contains('.')
            && name != "method"
            && !BUILT_IN_VARS.contains(&name)
    }
}
