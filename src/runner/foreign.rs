//! Answers that are not the platform's. Every answer of the Table API, success or error, is
//! JSON with `result` or `error` at the top (ServiceNowDocs: `rest-apis/c_TableAPI.md`, and
//! the error bodies of the REST API pages); seen before the run, anything else means something
//! stands between the harness and the API: a developer instance that hibernates answers every
//! request with an HTML page ("Your instance is hibernating", as reported in
//! vdesabou/kafka-docker-playground#8780; ServiceNowDocs `application-development/
//! accessing_your_pdi.md`), one waking up or restarting with "Your instance is currently
//! offline" (`getting_instance_assistance.md`), a proxy or single sign-on answers with its
//! login page, a gateway with a status HTTP does not define. The run then stops before it writes
//! anything: its trials would only measure the thing in front of the instance.

/// An answer that is not the platform's: what it was, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// What came back, e.g. "the instance answered an HTML page: it looks hibernating".
    pub seen: String,
    /// What to do, e.g. "wake it and run again".
    pub advice: String,
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.seen, self.advice)
    }
}

fn foreign(seen: impl Into<String>, advice: &str) -> Option<Foreign> {
    Some(Foreign {
        seen: seen.into(),
        advice: advice.to_string(),
    })
}

const CHECK_URL: &str =
    "check that the base URL is the instance's root (https://NAME.service-now.com) and run again";

/// What a run's answer shows when it is not the platform's. Its body as read is judged, not
/// its text, which has the run's secrets replaced already (a replacement may cut JSON).
pub(super) fn answer_not_the_platform(answer: &super::http::Answer) -> Option<Foreign> {
    match &answer.json {
        Some(json) if (100..=599).contains(&answer.status) => envelope(answer.status, json),
        _ => not_the_platform(answer.status, answer.content_type(), &answer.text),
    }
}

/// `None` when `json` is the platform's envelope: an object with `result` or `error`.
fn envelope(status: u16, json: &serde_json::Value) -> Option<Foreign> {
    match json {
        serde_json::Value::Object(top) if top.contains_key("result") || top.contains_key("error") => {
            None
        }
        _ => foreign(
            format!("the instance answered {status} with JSON that is not the platform's envelope (no `result` or `error` at the top)"),
            CHECK_URL,
        ),
    }
}

/// What the answer (`status`, `content_type`, `body`) shows when it is not the platform's;
/// `None` for an answer in the platform's envelope.
pub fn not_the_platform(status: u16, content_type: Option<&str>, body: &str) -> Option<Foreign> {
    if !(100..=599).contains(&status) {
        return foreign(
            format!("the instance answered status {status}, which HTTP does not define: something in front of it (a proxy, a gateway) answers instead"),
            "check the base URL and the network path, and run again",
        );
    }
    let lower = body.trim_start().to_ascii_lowercase();
    let html = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || lower.starts_with("<!doctype html")
        || lower.starts_with("<html");
    if html {
        return if lower.contains("hibernat") {
            foreign(
                "the instance answered an HTML page: it looks hibernating",
                "wake it and run again",
            )
        } else if lower.contains("currently offline") {
            foreign(
                "the instance answered an HTML page: it looks offline (waking from hibernation, or restarting after patching)",
                "wait a few minutes and run again",
            )
        } else if lower.contains("type=\"password\"")
            || lower.contains("type='password'")
            || lower.contains("login")
            || lower.contains("sign in")
        {
            foreign(
                "the instance answered an HTML login page, not the API: a proxy or single sign-on stands in front of it",
                "give the instance's own URL, or let the account through, and run again",
            )
        } else {
            foreign(
                "the instance answered an HTML page, not the API's JSON",
                CHECK_URL,
            )
        };
    }
    if body.trim().is_empty() {
        // An error status may come without a body (a 401 from some gateways); a success of
        // the Table API never does.
        return if (200..300).contains(&status) {
            foreign(
                format!("the instance answered {status} with an empty body, not the API's JSON"),
                CHECK_URL,
            )
        } else {
            None
        };
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => envelope(status, &json),
        Err(_) => foreign(
            format!(
                "the instance answered {status} with {}, not JSON",
                content_type.map_or_else(
                    || "a body of unknown type".to_string(),
                    |c| format!("`{c}`")
                )
            ),
            CHECK_URL,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::not_the_platform;

    #[test]
    fn the_platforms_envelope_passes_and_every_stand_in_is_named() {
        let json = Some("application/json;charset=UTF-8");
        assert_eq!(not_the_platform(200, json, r#"{"result":[]}"#), None);
        assert_eq!(
            not_the_platform(
                401,
                json,
                r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#
            ),
            None
        );
        assert_eq!(not_the_platform(401, None, ""), None);
        let page = "<!DOCTYPE html><html><body><h1>Your instance is hibernating</h1></body></html>";
        assert_eq!(
            not_the_platform(200, Some("text/html"), page)
                .unwrap()
                .to_string(),
            "the instance answered an HTML page: it looks hibernating; wake it and run again"
        );
        let login = "<html><form><input type=\"password\" name=\"pw\"></form></html>";
        assert!(not_the_platform(200, Some("text/html"), login)
            .unwrap()
            .to_string()
            .contains("HTML login page"));
        assert!(
            not_the_platform(404, None, "<html><body>nothing here</body></html>")
                .unwrap()
                .to_string()
                .contains("HTML page, not the API's JSON")
        );
        assert!(not_the_platform(999, json, r#"{"result":[]}"#)
            .unwrap()
            .to_string()
            .contains("status 999"));
        assert!(not_the_platform(200, json, r#"{"ok":true}"#)
            .unwrap()
            .to_string()
            .contains("not the platform's envelope"));
        assert!(not_the_platform(200, Some("text/plain"), "pong")
            .unwrap()
            .to_string()
            .contains("`text/plain`, not JSON"));
        assert!(not_the_platform(200, json, "")
            .unwrap()
            .seen
            .contains("empty body"));
    }
}
