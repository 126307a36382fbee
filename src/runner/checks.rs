//! Pure evaluators: an expectation and an answer in, the differences out. Nothing here
//! decides pass or fail; the caller weighs each finding by its level.

use serde_json::Value;

use super::error::TrialError;
use super::http::Answer;
use crate::schemas::SchemaSet;
use crate::spec::matcher::{self, short, Typing};
use crate::spec::template::{self, TemplateError, Vars};
use crate::spec::{Expectation, Format, Level};

/// One check that did not hold, with where (JSON path or header) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub level: Level,
    pub message: String,
}

impl Finding {
    fn must(message: String) -> Self {
        Self {
            level: Level::Must,
            message,
        }
    }
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
        found.push(Finding::must(format!(
            "status: expected {}, got {} (body: {})",
            expect.status,
            answer.status,
            snippet(&answer.text)
        )));
        // The body of an unexpected status says nothing about the expected one.
        return Ok(found);
    }
    for check in &expect.headers {
        let actual = answer
            .headers
            .get(&check.name)
            .map(|v| Value::String(v.to_str().unwrap_or("<not text>").to_string()));
        let expected = render(&check.expected, vars)?;
        for m in matcher::compare(&expected, actual.as_ref(), false) {
            found.push(Finding {
                level: check.level,
                message: format!(
                    "header {}: expected {}, got {}",
                    check.name, m.expected, m.actual
                ),
            });
        }
    }
    let needs_body = expect.schema.is_some() || !expect.body.is_empty();
    if !needs_body {
        return Ok(found);
    }
    // A body is read only in the format the request asked for (Accept), and the answer must
    // say which it is.
    let declared = answer.content_type().unwrap_or("");
    if !declared
        .to_ascii_lowercase()
        .starts_with(asked.media_type())
    {
        found.push(Finding::must(format!(
            "header content-type: expected {} (the format asked for in Accept), got {}",
            asked.media_type(),
            if declared.is_empty() {
                "none"
            } else {
                declared
            }
        )));
    }
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
    // JSON Schemas describe typed JSON; an XML answer is checked through its expected body.
    if let (Some(schema), Format::Json) = (&expect.schema, answer.format) {
        for violation in schemas.check(schema, body) {
            found.push(Finding::must(format!("schema {schema}: {violation}")));
        }
    }
    for check in &expect.body {
        let expected = render(&check.expected, vars)?;
        for m in matcher::compare_as(&expected, Some(body), check.exact, typing) {
            found.push(Finding {
                level: check.level,
                message: format!("{}: expected {}, got {}", m.path, m.expected, m.actual),
            });
        }
    }
    Ok(found)
}

/// Differences between the expected fields of a record and the record read back.
pub fn record(
    expected: &Value,
    actual: &Value,
    vars: &Vars,
) -> Result<Vec<Finding>, TemplateError> {
    let expected = render(expected, vars)?;
    Ok(matcher::compare(&expected, Some(actual), false)
        .into_iter()
        .map(|m| {
            let field = m.path.trim_start_matches("$.");
            Finding::must(format!(
                "field {field}: expected {}, got {}",
                m.expected, m.actual
            ))
        })
        .collect())
}

fn render(value: &Value, vars: &Vars) -> Result<Value, TemplateError> {
    template::render_value(value, vars)
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
