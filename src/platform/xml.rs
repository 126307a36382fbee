//! The platform's XML form of a JSON body, both ways, shared by the mock (which answers XML
//! and reads XML requests) and the runner (which reads XML answers).
//!
//! ```text
//! {"result": [{"order": 1, "value": "Busy"}, {"order": 2, "value": "Away"}]}
//! <?xml version="1.0" encoding="UTF-8"?><response><result><order>1</order><value>Busy</value></result><result><order>2</order><value>Away</value></result></response>
//! ```
//!
//! An array becomes one element per item under the array's name; XML has no types, so every
//! leaf reads back as a string and a one-item list reads back as a single object.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

/// `value` (an object) as an XML document with root element `root`.
pub fn render(root: &str, value: &Value) -> String {
    let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    element(root, value, &mut out);
    out
}

fn element(name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            for item in items {
                element(name, item, out);
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (key, child) in map {
                element(key, child, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!(
            "<{name}>{}</{name}>",
            quick_xml::escape::escape(s.as_str())
        )),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// The children of an XML document's root element as a JSON object: repeated names become
/// arrays, leaves strings, empty elements empty strings.
pub fn parse(text: &str) -> Result<Map<String, Value>, String> {
    // Text is kept as is: trimming would eat the spaces around `&amp;` and friends, which
    // arrive as separate events. Whitespace between child elements is dropped at the end tag.
    let mut reader = Reader::from_str(text);
    // One frame per open element: its name, its children, and its text.
    let mut stack: Vec<(String, Map<String, Value>, String)> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "not well-formed XML at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                stack.push((name, Map::new(), String::new()));
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                match stack.last_mut() {
                    Some((_, children, _)) => insert(children, name, Value::String(String::new())),
                    None => root = Some(Map::new()),
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| e.to_string())?;
                if let Some((_, _, buffer)) = stack.last_mut() {
                    buffer.push_str(&text);
                }
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|e| e.to_string())?;
                if let Some((_, _, buffer)) = stack.last_mut() {
                    buffer.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| e.to_string())?
                        .map(String::from)
                        .unwrap_or_default()
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    quick_xml::escape::unescape(&format!("&{name};"))
                        .map_err(|e| format!("unknown entity &{name};: {e}"))?
                        .into_owned()
                };
                if let Some((_, _, buffer)) = stack.last_mut() {
                    buffer.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let Some((name, children, text)) = stack.pop() else {
                    return Err("a closing tag without an opening one".into());
                };
                let value = if children.is_empty() {
                    Value::String(text)
                } else {
                    Value::Object(children)
                };
                match stack.last_mut() {
                    Some((_, parent, _)) => insert(parent, name, value),
                    None => {
                        root = Some(match value {
                            Value::Object(map) => map,
                            _ => Map::new(),
                        })
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "no root element".to_string())
}

/// Adds a child, turning a repeated name into an array.
fn insert(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            map.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_errors_and_escapes_round_trip_as_strings() {
        let body =
            json!({"result": [{"order": 1, "value": "Busy & <away>"}, {"order": 2, "value": ""}]});
        let xml = render("response", &body);
        assert!(
            xml.starts_with(
                r#"<?xml version="1.0" encoding="UTF-8"?><response><result><order>1</order>"#
            ),
            "{xml}"
        );
        assert_eq!(
            Value::Object(parse(&xml).unwrap()),
            json!({"result": [{"order": "1", "value": "Busy & <away>"}, {"order": "2", "value": ""}]})
        );
        let error = json!({"error": {"message": "m", "detail": null}, "status": "failure"});
        assert_eq!(
            Value::Object(parse(&render("response", &error)).unwrap()),
            json!({"error": {"message": "m", "detail": ""}, "status": "failure"})
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(parse("<request><a>1</request>").is_err());
        assert!(parse("{\"a\": 1}").is_err());
        assert!(parse("<request><a>1</a>").is_err());
    }
}
