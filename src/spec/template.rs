//! `{{variable}}` substitution in strings of a scenario.
//!
//! A name is a built-in (`run_id`, `api`, `method`, `unknown_id`, `user_name`, `base_url`),
//! a fixture field (`agent.sys_id`) or a capture of an earlier step.

use std::collections::BTreeMap;

use serde_json::Value;

/// The values a trial has defined so far.
pub type Vars = BTreeMap<String, String>;

/// Why a template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The trial has no value for a name the template uses (a capture its step never made,
    /// say); nothing is sent with a hole in it.
    #[error("variable `{0}` is not defined")]
    Undefined(String),
    /// A step needs a value an earlier step's answer was to give, and the run has none:
    /// nothing is sent with a hole where it belongs.
    #[error("capture `{0}` was never made: no earlier answer gave it a value")]
    MissingCapture(String),
}

/// A string of a scenario with its `{{name}}`s found once, at load: filled in at each use
/// without searching the text again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// A name, and whether an earlier step's capture defines it.
    Name {
        name: String,
        capture: bool,
    },
}

impl Template {
    /// `text` taken apart at its `{{name}}`s; `is_capture` says which names a step captures.
    pub fn parse(text: &str, is_capture: &dyn Fn(&str) -> bool) -> Self {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                break;
            };
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let name = after[..end].trim().to_string();
            parts.push(Part::Name {
                capture: is_capture(&name),
                name,
            });
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Self {
            source: text.to_string(),
            parts,
        }
    }

    /// A template of plain text, with no names in it.
    pub fn plain(text: &str) -> Self {
        Self::parse(text, &|_| false)
    }

    /// The text as the spec wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The text with every name filled in; the first undefined name is the error.
    pub fn render(&self, vars: &Vars) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Name { name, capture } => match vars.get(name) {
                    Some(value) => out.push_str(value),
                    None if *capture => return Err(TemplateError::MissingCapture(name.clone())),
                    None => return Err(TemplateError::Undefined(name.clone())),
                },
            }
        }
        Ok(out)
    }
}

/// A JSON value of a scenario (a request body) with the templates of its strings found
/// once, at load.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonTemplate {
    source: Value,
    node: JsonNode,
}

#[derive(Debug, Clone, PartialEq)]
enum JsonNode {
    Text(Template),
    Literal(Value),
    Array(Vec<JsonNode>),
    Object(Vec<(String, JsonNode)>),
}

impl JsonTemplate {
    /// `value` with its strings parsed as templates (`$regex` patterns are not templates).
    pub fn parse(value: &Value, is_capture: &dyn Fn(&str) -> bool) -> Self {
        fn node(value: &Value, is_capture: &dyn Fn(&str) -> bool) -> JsonNode {
            match value {
                Value::String(s) => JsonNode::Text(Template::parse(s, is_capture)),
                Value::Array(items) => {
                    JsonNode::Array(items.iter().map(|v| node(v, is_capture)).collect())
                }
                Value::Object(map) if map.contains_key("$regex") => {
                    JsonNode::Literal(value.clone())
                }
                Value::Object(map) => JsonNode::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), node(v, is_capture)))
                        .collect(),
                ),
                other => JsonNode::Literal(other.clone()),
            }
        }
        Self {
            source: value.clone(),
            node: node(value, is_capture),
        }
    }

    /// The value as the spec wrote it.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// The value with every template filled in.
    pub fn render(&self, vars: &Vars) -> Result<Value, TemplateError> {
        fn render(node: &JsonNode, vars: &Vars) -> Result<Value, TemplateError> {
            Ok(match node {
                JsonNode::Text(t) => Value::String(t.render(vars)?),
                JsonNode::Literal(v) => v.clone(),
                JsonNode::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|n| render(n, vars))
                        .collect::<Result<_, _>>()?,
                ),
                JsonNode::Object(map) => Value::Object(
                    map.iter()
                        .map(|(k, n)| Ok((k.clone(), render(n, vars)?)))
                        .collect::<Result<_, TemplateError>>()?,
                ),
            })
        }
        render(&self.node, vars)
    }
}

/// The variable names a string refers to, in order.
pub fn names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = find_pair(rest, b'{') {
        let after = &rest[start + 2..];
        let Some(end) = find_pair(after, b'}') else {
            break;
        };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

/// Where `text` first holds `byte` twice in a row. (Every string of every scenario is searched
/// for templates while loading; a search for one byte is several times quicker than for a
/// two-byte pattern.)
fn find_pair(text: &str, byte: u8) -> Option<usize> {
    let mut from = 0;
    // `find` of one ASCII character is a memchr.
    while let Some(at) = text[from..].find(byte as char) {
        let at = from + at;
        if text.as_bytes().get(at + 1) == Some(&byte) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Whether `text` opens a `{{` it never closes (a template that would be sent as written).
pub fn has_unclosed(text: &str) -> bool {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => rest = &after[end + 2..],
            None => return true,
        }
    }
    false
}

/// Every string of `value` with an unclosed `{{` (`$regex` patterns are not templates).
pub fn value_unclosed(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if has_unclosed(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(value_unclosed).collect(),
        Value::Object(map) if map.contains_key("$regex") => Vec::new(),
        Value::Object(map) => map.values().flat_map(value_unclosed).collect(),
        _ => Vec::new(),
    }
}

/// `text` with every `{{name}}` replaced; the first undefined name is the error.
///
/// ```
/// use sn_conform::spec::template::{render, Vars};
///
/// let mut vars = Vars::new();
/// vars.insert("api".into(), "/api/now/v1".into());
/// vars.insert("work_item.sys_id".into(), "fd69abfc878b01101ae365b83cbb35fe".into());
/// assert_eq!(
///     render("{{api}}/awa/inbox/actions/accept?id={{work_item.sys_id}}", &vars).unwrap(),
///     "/api/now/v1/awa/inbox/actions/accept?id=fd69abfc878b01101ae365b83cbb35fe"
/// );
/// assert!(render("{{agent.sys_id}}", &vars).is_err());
/// ```
pub fn render(text: &str, vars: &Vars) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = after[..end].trim();
        let value = vars
            .get(name)
            .ok_or_else(|| TemplateError::Undefined(name.to_string()))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every string of a JSON value rendered; `$regex` patterns are left as written.
pub fn render_value(value: &Value, vars: &Vars) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(s) => Value::String(render(s, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_value(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) if map.contains_key("$regex") => value.clone(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(v, vars)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// Every variable name used in the strings of a JSON value.
pub fn value_names(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.extend(names(s).into_iter().map(str::to_string)),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) if map.contains_key("$regex") => {}
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_names_between_double_braces() {
        assert_eq!(names("a {b} {{ c.d }}x{{e}}"), vec!["c.d", "e"]);
        assert_eq!(names("{{{a}}}"), vec!["{a"]);
        assert_eq!(names("{ {a} } {{b"), Vec::<&str>::new());
        assert_eq!(names("é{{ü}}"), vec!["ü"]);
    }

    #[test]
    fn a_parsed_template_renders_as_the_text_would_and_names_a_missing_capture() {
        let mut vars = Vars::new();
        vars.insert("api".into(), "/api/now".into());
        let is_capture = |name: &str| name == "item";
        let t = Template::parse("{{api}}/x/{{ item }}?a={{b}}", &is_capture);
        assert_eq!(t.source(), "{{api}}/x/{{ item }}?a={{b}}");
        assert_eq!(
            t.render(&vars).unwrap_err(),
            TemplateError::MissingCapture("item".into())
        );
        vars.insert("item".into(), "i".into());
        assert_eq!(
            t.render(&vars).unwrap_err(),
            TemplateError::Undefined("b".into())
        );
        vars.insert("b".into(), "c".into());
        assert_eq!(t.render(&vars).unwrap(), "/api/now/x/i?a=c");
        assert_eq!(Template::plain("{{open").render(&vars).unwrap(), "{{open");
        let json = serde_json::json!({"a": ["{{b}}", 1], "r": {"$regex": "{{x}}"}});
        assert_eq!(
            JsonTemplate::parse(&json, &is_capture)
                .render(&vars)
                .unwrap(),
            serde_json::json!({"a": ["c", 1], "r": {"$regex": "{{x}}"}})
        );
    }

    #[test]
    fn renders_and_reports_undefined_names() {
        let mut vars = Vars::new();
        vars.insert("api".into(), "/api/now".into());
        vars.insert("agent.sys_id".into(), "abc".into());
        assert_eq!(
            render("{{api}}/x/{{ agent.sys_id }}", &vars).unwrap(),
            "/api/now/x/abc"
        );
        assert_eq!(
            render("{{nope}}", &vars).unwrap_err().to_string(),
            "variable `nope` is not defined"
        );
        assert_eq!(names("a {{x}} b {{y.z}}"), vec!["x", "y.z"]);
    }
}
