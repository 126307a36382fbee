//! Keeping secrets out of the reports: exchange bodies are stored with the value of every
//! field whose name speaks of a password, secret or token replaced.

use serde_json::Value;

pub const REDACTED: &str = "[redacted]";

/// Whether a field or header name names a secret.
pub fn is_secret_name(name: &str) -> bool {
    // Case-insensitively, without allocating: every field name of every body passes here.
    let name = name.as_bytes();
    ["password", "secret", "token", "authorization", "cookie"]
        .iter()
        .any(|word| {
            name.windows(word.len())
                .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
        })
}

/// `text` with secret fields redacted, when it is a JSON or form-encoded body; other text
/// (XML included) is kept as is unless it names a secret field, then it is withheld whole.
pub fn body(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return body_parsed(text, &value);
    }
    if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(text) {
        if pairs.len() > 1 || text.contains('=') {
            if pairs.iter().any(|(k, _)| is_secret_name(k)) {
                let kept: Vec<(String, String)> = pairs
                    .into_iter()
                    .map(|(k, v)| {
                        let v = if is_secret_name(&k) {
                            REDACTED.to_string()
                        } else {
                            v
                        };
                        (k, v)
                    })
                    .collect();
                return serde_urlencoded::to_string(kept).unwrap_or_else(|_| REDACTED.into());
            }
            return text.to_string();
        }
    }
    if is_secret_name(text) {
        return format!("{REDACTED} (the body names a secret field)");
    }
    text.to_string()
}

/// [`body`] for a JSON body already parsed into `value`: the text as is unless a field
/// named like a secret holds something.
pub fn body_parsed(text: &str, value: &Value) -> String {
    if !names_a_secret(value) {
        return text.to_string();
    }
    let mut value = value.clone();
    redact_value(&mut value);
    value.to_string()
}

/// Whether some field of `value` named like a secret holds something (not null).
fn names_a_secret(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| (is_secret_name(k) && !v.is_null()) || names_a_secret(v)),
        Value::Array(items) => items.iter().any(names_a_secret),
        _ => false,
    }
}

/// Redacts in place; true when anything changed.
fn redact_value(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut changed = false;
            for (key, child) in map.iter_mut() {
                if is_secret_name(key) && !child.is_null() {
                    *child = Value::String(REDACTED.into());
                    changed = true;
                } else {
                    changed |= redact_value(child);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, v| redact_value(v) | c),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_json_form_and_xml_bodies_are_redacted() {
        let json =
            body(r#"{"user_name":"a","user_password":"hunter2","nested":{"access_token":"t0k"}}"#);
        assert!(
            !json.contains("hunter2")
                && !json.contains("t0k")
                && json.contains("\"user_name\":\"a\""),
            "{json}"
        );
        let form = body("grant_type=password&username=a&password=hunter2");
        assert!(
            !form.contains("hunter2") && form.contains("username=a"),
            "{form}"
        );
        let xml = body("<request><password>hunter2</password></request>");
        assert!(!xml.contains("hunter2"), "{xml}");
        let plain = r#"{"agent_id":"x"}"#;
        assert_eq!(body(plain), plain);
    }
}
