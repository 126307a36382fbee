//! Comparing an expected JSON value (with matchers) to an actual one.
//!
//! In an expected value, an object with a single `$`-key is a matcher:
//! - `{$match: KIND}`: `any` (present), `absent`, `string`, `number`, `boolean`, `object`,
//!   `array`, `null`, or `sys_id` (32 lowercase hex characters);
//! - `{$regex: PATTERN}`: a string the pattern finds a match in.
//!
//! Any other value must equal the actual one, type included (`1` is not `"1"`). Objects are
//! compared as a subset (extra actual keys allowed) unless the check is exact; arrays must have
//! the same length and match item by item.
//!
//! An XML answer has no types: compared with [`Typing::Text`], a number or boolean matches its
//! text, and a list matches one element (or none) as well as several.
//!
//! The loader compiles every expected value once ([`Expected::compile`]): its matchers parsed,
//! its regexes compiled, the templates of its strings found. A trial only fills the templates
//! in and compares.

use regex::Regex;
use serde_json::{Map, Value};

use super::template::{Template, TemplateError, Vars};
pub use crate::source::json::short;

/// One difference, located by a JSON path such as `$.result[0].order`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

/// How strictly scalar types and lists are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typing {
    /// JSON: types must match.
    Strict,
    /// XML read back as text: `1` matches `"1"`, a list may be one element or absent.
    Text,
}

/// A parsed matcher.
#[derive(Debug, Clone)]
pub enum Matcher {
    Kind(Kind),
    Regex(Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Any,
    Absent,
    String,
    Number,
    Boolean,
    Object,
    Array,
    Null,
    SysId,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "any" => Kind::Any,
            "absent" => Kind::Absent,
            "string" => Kind::String,
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "object" => Kind::Object,
            "array" => Kind::Array,
            "null" => Kind::Null,
            "sys_id" => Kind::SysId,
            _ => return None,
        })
    }

    fn accepts(self, actual: Option<&Value>, typing: Typing) -> bool {
        if typing == Typing::Text {
            if let Some(Value::String(text)) = actual {
                match self {
                    Kind::Number => return text.trim().parse::<f64>().is_ok(),
                    Kind::Boolean => return text == "true" || text == "false",
                    Kind::Null => return text.is_empty(),
                    Kind::Array => return text.is_empty(),
                    _ => {}
                }
            }
            if self == Kind::Array && matches!(actual, None | Some(Value::Object(_))) {
                return true;
            }
        }
        match (self, actual) {
            (Kind::Absent, None) => true,
            (_, None) | (Kind::Absent, Some(_)) => false,
            (Kind::Any, Some(_)) => true,
            (Kind::String, Some(v)) => v.is_string(),
            (Kind::Number, Some(v)) => v.is_number(),
            (Kind::Boolean, Some(v)) => v.is_boolean(),
            (Kind::Object, Some(v)) => v.is_object(),
            (Kind::Array, Some(v)) => v.is_array(),
            (Kind::Null, Some(v)) => v.is_null(),
            (Kind::SysId, Some(v)) => v.as_str().is_some_and(crate::platform::sys_id::is_sys_id),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Any => "any value",
            Kind::Absent => "absent",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Boolean => "a boolean",
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::Null => "null",
            Kind::SysId => "a sys_id (32 lowercase hex characters)",
        }
    }
}

impl Matcher {
    /// `Ok(None)` when `value` is not a matcher object; an error for a malformed one.
    pub fn parse(value: &Value) -> Result<Option<Matcher>, String> {
        let Some(map) = value.as_object() else {
            return Ok(None);
        };
        let Some((key, arg)) = single_dollar_key(map) else {
            if let Some(key) = map.keys().find(|k| k.starts_with('$')) {
                return Err(format!(
                    "`{key}` must be the only key of its object to be a matcher"
                ));
            }
            return Ok(None);
        };
        match key {
            "$match" => {
                let name = arg.as_str().unwrap_or_default();
                Kind::parse(name)
                    .map(|k| Some(Matcher::Kind(k)))
                    .ok_or_else(|| {
                        let kinds = [
                            "any", "absent", "string", "number", "boolean", "object", "array",
                            "null", "sys_id",
                        ];
                        format!(
                            "unknown `$match` kind {arg}{}; expected one of {}",
                            crate::source::suggest::hint(name, kinds),
                            kinds.join(", ")
                        )
                    })
            }
            "$regex" => {
                let pattern = arg
                    .as_str()
                    .ok_or_else(|| "`$regex` takes a string pattern".to_string())?;
                Regex::new(pattern)
                    .map(|r| Some(Matcher::Regex(r)))
                    .map_err(|e| format!("invalid `$regex` pattern: {e}"))
            }
            other => Err(format!(
                "unknown matcher `{other}`{}; expected `$match` or `$regex`",
                crate::source::suggest::hint(other, ["$match", "$regex"])
            )),
        }
    }

    fn accepts(&self, actual: Option<&Value>, typing: Typing) -> bool {
        match self {
            Matcher::Kind(kind) => kind.accepts(actual, typing),
            Matcher::Regex(re) => actual
                .and_then(Value::as_str)
                .is_some_and(|s| re.is_match(s)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Matcher::Kind(kind) => kind.describe().to_string(),
            Matcher::Regex(re) => format!("a string matching /{}/", re.as_str()),
        }
    }
}

fn single_dollar_key(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    if map.len() != 1 {
        return None;
    }
    let (key, value) = map.iter().next()?;
    key.starts_with('$').then_some((key.as_str(), value))
}

/// An expected value, compiled: matchers parsed (regexes compiled), the templates of its
/// strings found. What the spec wrote is kept beside it ([`Expected::source`]) for the
/// analyses that read it (which fields a scenario names, which values it expects).
#[derive(Debug, Clone)]
pub struct Expected {
    source: Value,
    node: Node,
}

#[derive(Debug, Clone)]
enum Node {
    Matcher(Matcher),
    Text(Template),
    Literal(Value),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Expected {
    /// Compiles `value`; `is_capture` says which template names a step captures. The error
    /// names the path of a malformed matcher.
    pub fn compile(value: &Value, is_capture: &dyn Fn(&str) -> bool) -> Result<Self, String> {
        Ok(Self {
            source: value.clone(),
            node: Node::compile(value, "$", is_capture)?,
        })
    }

    /// A value without templates (every string literal), compiled.
    pub fn literal(value: &Value) -> Result<Self, String> {
        Self::compile(value, &|_| false)
    }

    /// The value as the spec wrote it.
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Every difference between this and `actual` (absent when `None`), its templates filled
    /// in from `vars`; objects as a subset unless `exact`.
    pub fn compare(
        &self,
        actual: Option<&Value>,
        exact: bool,
        typing: Typing,
        vars: &Vars,
    ) -> Result<Vec<Mismatch>, TemplateError> {
        let mut out = Vec::new();
        self.node.walk(actual, "$", exact, typing, vars, &mut out)?;
        Ok(out)
    }
}

impl Node {
    fn compile(
        value: &Value,
        path: &str,
        is_capture: &dyn Fn(&str) -> bool,
    ) -> Result<Self, String> {
        if let Some(matcher) = Matcher::parse(value).map_err(|e| format!("{path}: {e}"))? {
            return Ok(Node::Matcher(matcher));
        }
        Ok(match value {
            Value::String(s) => Node::Text(Template::parse(s, is_capture)),
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| {
                        Ok((
                            k.clone(),
                            Node::compile(v, &format!("{path}.{k}"), is_capture)?,
                        ))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Value::Array(items) => Node::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Node::compile(v, &format!("{path}[{i}]"), is_capture))
                    .collect::<Result<_, String>>()?,
            ),
            other => Node::Literal(other.clone()),
        })
    }

    /// The value this node stands for, templates filled in (for a message).
    fn to_value(&self, vars: &Vars) -> Result<Value, TemplateError> {
        Ok(match self {
            Node::Matcher(m) => Value::String(m.describe()),
            Node::Text(t) => Value::String(t.render(vars)?),
            Node::Literal(v) => v.clone(),
            Node::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|n| n.to_value(vars))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, n)| Ok((k.clone(), n.to_value(vars)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
        })
    }

    fn walk(
        &self,
        actual: Option<&Value>,
        path: &str,
        exact: bool,
        typing: Typing,
        vars: &Vars,
        out: &mut Vec<Mismatch>,
    ) -> Result<(), TemplateError> {
        match (self, actual) {
            (Node::Matcher(matcher), _) => {
                if !matcher.accepts(actual, typing) {
                    out.push(mismatch(path, matcher.describe(), actual));
                }
            }
            (Node::Array(_), _) if as_list(actual, typing).is_some() => {
                let list = as_list(actual, typing);
                self.walk(list.as_ref(), path, exact, Typing::Text, vars, out)?;
            }
            (Node::Literal(want), have) if same_text(want, have, typing) => {}
            (Node::Object(want), Some(Value::Object(have))) => {
                for (key, node) in want {
                    node.walk(
                        have.get(key),
                        &format!("{path}.{key}"),
                        exact,
                        typing,
                        vars,
                        out,
                    )?;
                }
                if exact {
                    for (key, value) in have {
                        if !want.iter().any(|(k, _)| k == key) {
                            out.push(Mismatch {
                                path: format!("{path}.{key}"),
                                expected: "absent (exact match)".into(),
                                actual: short(value),
                            });
                        }
                    }
                }
            }
            (Node::Array(want), Some(Value::Array(have))) => {
                if want.len() != have.len() {
                    out.push(Mismatch {
                        path: path.to_string(),
                        expected: format!("an array of {} item(s)", want.len()),
                        actual: format!(
                            "an array of {} item(s): {}",
                            have.len(),
                            short(&Value::Array(have.clone()))
                        ),
                    });
                    return Ok(());
                }
                for (i, (w, h)) in want.iter().zip(have).enumerate() {
                    w.walk(Some(h), &format!("{path}[{i}]"), exact, typing, vars, out)?;
                }
            }
            (node, have) => {
                let want = node.to_value(vars)?;
                if have != Some(&want) {
                    out.push(mismatch(path, short(&want), have));
                }
            }
        }
        Ok(())
    }
}

/// Every difference between `expected` (a value without templates, its matchers well formed)
/// and `actual` (absent when `None`), types strict.
///
/// ```
/// use serde_json::json;
/// use sn_conform::spec::matcher::compare;
///
/// let expected = json!({"result": {"order": 1, "sys_id": {"$match": "sys_id"}}});
/// let actual = json!({"result": {"order": "1", "sys_id": "31e3fa29b38023002e7b6e5f26a8dc17"}});
/// let found = compare(&expected, Some(&actual), false);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].path, "$.result.order");
/// assert_eq!((found[0].expected.as_str(), found[0].actual.as_str()), ("1", "\"1\""));
/// ```
pub fn compare(expected: &Value, actual: Option<&Value>, exact: bool) -> Vec<Mismatch> {
    compare_as(expected, actual, exact, Typing::Strict)
}

/// [`compare`] with the given typing. A malformed matcher (the loader refuses those) is
/// compared as the literal it is.
pub fn compare_as(
    expected: &Value,
    actual: Option<&Value>,
    exact: bool,
    typing: Typing,
) -> Vec<Mismatch> {
    let compiled = Expected::literal(expected).unwrap_or_else(|_| Expected {
        source: expected.clone(),
        node: Node::Literal(expected.clone()),
    });
    // Without templates nothing can be undefined.
    compiled
        .compare(actual, exact, typing, &Vars::new())
        .unwrap_or_default()
}

/// Checks that every matcher inside `expected` is well formed; the error names its path.
pub fn validate(expected: &Value, path: &str) -> Result<(), String> {
    Node::compile(expected, path, &|_| false).map(|_| ())
}

/// Under [`Typing::Text`], what an XML list reads back as: no element, an empty element, or a
/// single item, each as the list it stands for.
fn as_list(actual: Option<&Value>, typing: Typing) -> Option<Value> {
    match (typing, actual) {
        (Typing::Text, None) => Some(Value::Array(Vec::new())),
        (Typing::Text, Some(Value::String(s))) if s.is_empty() => Some(Value::Array(Vec::new())),
        (Typing::Text, Some(Value::Object(o))) => {
            Some(Value::Array(vec![Value::Object(o.clone())]))
        }
        _ => None,
    }
}

/// Under [`Typing::Text`], whether a number, boolean or null equals the text read back.
fn same_text(expected: &Value, actual: Option<&Value>, typing: Typing) -> bool {
    match (typing, expected, actual) {
        (Typing::Text, Value::Number(_) | Value::Bool(_), Some(Value::String(s))) => {
            serde_json::from_str::<Value>(s).is_ok_and(|read| read == *expected)
        }
        (Typing::Text, Value::Null, Some(Value::String(s))) => s.is_empty(),
        _ => false,
    }
}

fn mismatch(path: &str, expected: String, actual: Option<&Value>) -> Mismatch {
    Mismatch {
        path: path.to_string(),
        expected,
        actual: actual.map_or_else(|| "absent".to_string(), short),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_match_allows_extra_keys_but_checks_types() {
        let expected = json!({"result": {"order": 1, "sys_id": {"$match": "sys_id"}}});
        let ok =
            json!({"result": {"order": 1, "sys_id": "0123456789abcdef0123456789abcdef", "x": 2}});
        assert!(compare(&expected, Some(&ok), false).is_empty());
        let typed = json!({"result": {"order": "1", "sys_id": "nope"}});
        let found = compare(&expected, Some(&typed), false);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path, "$.result.order");
        assert_eq!(found[0].actual, "\"1\"");
    }

    #[test]
    fn exact_match_refuses_extra_keys_and_absent_matcher_works() {
        let expected = json!({"a": 1, "gone": {"$match": "absent"}});
        assert!(compare(&expected, Some(&json!({"a": 1})), true).is_empty());
        let found = compare(&expected, Some(&json!({"a": 1, "b": 2, "gone": 0})), true);
        let paths: Vec<_> = found.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, vec!["$.gone", "$.b"]);
    }

    #[test]
    fn arrays_must_have_the_same_length() {
        let found = compare(&json!([1, 2]), Some(&json!([1])), false);
        assert_eq!(found[0].expected, "an array of 2 item(s)");
    }

    #[test]
    fn text_typing_reads_xml_leaves_and_lists() {
        let expected =
            json!({"result": [{"order": 1, "active": false, "sys_id": {"$match": "sys_id"}}]});
        let one = json!({"result": {"order": "1", "active": "false", "sys_id": "0123456789abcdef0123456789abcdef"}});
        assert!(compare_as(&expected, Some(&one), false, Typing::Text).is_empty());
        // The same answer is wrong as JSON.
        assert!(!compare(&expected, Some(&one), false).is_empty());
        // An empty list is no element at all.
        assert!(compare_as(
            &json!({"result": []}),
            Some(&json!({})),
            false,
            Typing::Text
        )
        .is_empty());
        // A wrong value is still wrong.
        let two = json!({"result": {"order": "2", "active": "false", "sys_id": "0123456789abcdef0123456789abcdef"}});
        assert_eq!(
            compare_as(&expected, Some(&two), false, Typing::Text)[0].path,
            "$.result[0].order"
        );
        assert!(!compare_as(
            &json!({"n": {"$match": "number"}}),
            Some(&json!({"n": "x"})),
            false,
            Typing::Text
        )
        .is_empty());
    }

    #[test]
    fn malformed_matchers_are_refused() {
        assert!(validate(&json!({"a": {"$match": "sys-id"}}), "$").is_err());
        assert!(validate(&json!({"a": {"$regex": "("}}), "$").is_err());
        assert!(validate(&json!({"a": {"$regex": "x", "b": 1}}), "$").is_err());
        assert!(validate(&json!({"a": {"$regex": "^IMS\\d+$"}}), "$").is_ok());
    }
}
