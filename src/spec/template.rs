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
