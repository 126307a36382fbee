//! Pure evaluators: an expectation and an answer in, the differences out as values
//! ([`Finding`]: what was checked, expected, actual, level). Nothing here decides pass or
//! fail or words a message; the trial places each finding at its step and weighs it by its
//! level, and the reporters word it.

use serde_json::Value;

use super::error::TrialError;
use super::http::Answer;
use crate::report::{Checked, Finding};
use crate::schemas::SchemaSet;
use crate::spec::matcher::{short, Expected, Typing};
use crate::spec::template::{TemplateError, Vars};
use crate::spec::{Expectation, Format, Level};

/// The first 429 among `exchanges` (a trial's, retries included) that did not say when to
/// try again, and the step that sent it when a step did: the platform documents
/// `Retry-After` on every request its rate limit refuses (ServiceNowDocs,
/// `api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md`), so its absence is a
/// `must` finding. The run still waits (a second) and tries again.
pub fn rate_limit_answers(
    exchanges: &[crate::report::ExchangeRecord],
) -> Option<(Finding, &crate::report::Origin)> {
    let unsaid = exchanges.iter().find(|x| {
        x.status == Some(429)
            && !x
                .response_headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("retry-after") && !v.trim().is_empty())
    })?;
    let finding = Finding::new(
        Checked::Header {
            name: "retry-after".into(),
        },
        Level::Must,
        "the seconds to wait, on a 429 (documented)",
        format!("nothing, on the 429 to {} {}", unsaid.method, unsaid.url),
    );
    Some((finding, &unsaid.origin))
}

/// Every difference between `expect` and `answer`. `Err` when the body is needed but is not
/// JSON: the exchange is broken rather than wrong.
pub fn response(
    expect: &Expectation,
    answer: &Answer,
    asked: Format,
    vars: &Vars,
    schemas: &SchemaSet,
) -> Result<Vec<Finding>, TrialError> {
    let mut found = Vec::new();
    if answer.status != expect.status {
        found.push(
            Finding::new(
                Checked::Status,
                Level::Must,
                expect.status.to_string(),
                answer.status.to_string(),
            )
            .with_context(snippet(&answer.text)),
        );
        // The body of an unexpected status says nothing about the expected one.
        return Ok(found);
    }
    headers(expect, answer, vars, &mut found)?;
    let needs_body = expect.schema.is_some() || !expect.body.is_empty();
    if !needs_body {
        return Ok(found);
    }
    found.extend(content_type(answer, asked));
    let Some(body) = &answer.json else {
        return Err(TrialError::Unreadable {
            status: answer.status,
            format: answer.format,
            body: snippet(&answer.text),
        });
    };
    let typing = match answer.format {
        Format::Json => Typing::Strict,
        Format::Xml => Typing::Text,
    };
    // JSON Schemas describe typed JSON; an XML answer is checked through its expected body,
    // except against the error envelope's schema, whose every value is text and so holds
    // for the XML form too (`<response><error><message/><detail/></error>
    // <status>failure</status></response>`).
    let applies = |schema: &str| answer.format == Format::Json || schema == ERROR_SCHEMA;
    if let Some(schema) = expect.schema.as_ref().filter(|s| applies(s)) {
        for (pointer, message) in schemas.violations(schema, body) {
            found.push(Finding::new(
                Checked::Schema {
                    schema: schema.clone(),
                    path: format!("${}", pointer.replace('/', ".")),
                },
                Level::Must,
                "valid",
                message,
            ));
        }
    }
    for check in &expect.body {
        for m in check
            .expected
            .compare(Some(body), check.exact, typing, vars)?
        {
            found.push(Finding::new(
                Checked::Body { path: m.path },
                check.level,
                m.expected,
                m.actual,
            ));
        }
    }
    Ok(found)
}

/// The expected headers against the answer's.
fn headers(
    expect: &Expectation,
    answer: &Answer,
    vars: &Vars,
    found: &mut Vec<Finding>,
) -> Result<(), TemplateError> {
    for check in &expect.headers {
        let actual = answer
            .headers
            .get(&check.name)
            .map(|v| Value::String(v.to_str().unwrap_or("<not text>").to_string()));
        for m in check
            .expected
            .compare(actual.as_ref(), false, Typing::Strict, vars)?
        {
            found.push(Finding::new(
                Checked::Header {
                    name: check.name.clone(),
                },
                check.level,
                m.expected,
                m.actual,
            ));
        }
    }
    Ok(())
}

/// The schema of the platform's error envelope.
const ERROR_SCHEMA: &str = "error.schema.json";

/// A body is read only in the format the request asked for (Accept), and the answer must say
/// which it is: its media type, exactly (`application/jsonx` is not JSON). A charset other
/// than UTF-8 is a `should`: JSON is UTF-8 by its RFC (8259, 8.1) and the platform answers
/// `charset=UTF-8`, but no ServiceNow page promises the parameter.
fn content_type(answer: &Answer, asked: Format) -> Vec<Finding> {
    let declared = answer.content_type().unwrap_or("");
    let lower = declared.to_ascii_lowercase();
    let mut parts = lower.split(';');
    let media = parts.next().unwrap_or("").trim();
    let checked = || Checked::Header {
        name: "content-type".into(),
    };
    if media != asked.media_type() {
        return vec![Finding::new(
            checked(),
            Level::Must,
            format!("{} (the format asked for in Accept)", asked.media_type()),
            if declared.is_empty() {
                "none"
            } else {
                declared
            },
        )];
    }
    let charset = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim() == "charset")
        .map(|(_, v)| v.trim().trim_matches('"').to_string());
    match charset {
        Some(c) if c != "utf-8" && c != "utf8" => vec![Finding::new(
            checked(),
            Level::Should,
            format!("{}, in UTF-8 (charset=UTF-8 or none)", asked.media_type()),
            declared,
        )],
        _ => Vec::new(),
    }
}

/// Whether some field of `record` holds `map` as JSON text (every key of `map` with its
/// value; more keys are allowed), whatever the field is called; a finding when none does.
pub fn holds(
    table: &str,
    sys_id: &str,
    map: &serde_json::Map<String, Value>,
    record: &Value,
) -> Option<Finding> {
    let held = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .is_some_and(|o| map.iter().all(|(k, v)| o.get(k) == Some(v)))
    };
    let any = record
        .as_object()
        .is_some_and(|fields| fields.values().filter_map(Value::as_str).any(held));
    (!any).then(|| {
        Finding::new(
            Checked::Field {
                table: table.to_string(),
                sys_id: sys_id.to_string(),
                field: "(any field)".into(),
            },
            Level::Must,
            format!("a field holding {} as JSON", Value::Object(map.clone())),
            "no field does",
        )
    })
}

/// Differences between the expected fields of record `table`/`sys_id` and the record read
/// back.
pub fn record(
    table: &str,
    sys_id: &str,
    expected: &Expected,
    actual: &Value,
    vars: &Vars,
) -> Result<Vec<Finding>, TemplateError> {
    Ok(expected
        .compare(Some(actual), false, Typing::Strict, vars)?
        .into_iter()
        .map(|m| {
            Finding::new(
                Checked::Field {
                    table: table.to_string(),
                    sys_id: sys_id.to_string(),
                    field: m.path.trim_start_matches("$.").to_string(),
                },
                Level::Must,
                m.expected,
                m.actual,
            )
        })
        .collect())
}

/// A body cut short for a one-line message.
pub fn snippet(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => short(&v),
        Err(_) if text.is_empty() => "<empty>".to_string(),
        // XML or any other text, as it came, on one line and cut to a readable length.
        Err(_) => {
            let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if line.chars().count() > 200 {
                format!("{}…", line.chars().take(200).collect::<String>())
            } else {
                line
            }
        }
    }
}
