//! The platform's Batch API as the run uses it: several requests on single records in one
//! round trip. A run sends two kinds of such groups: the reads of the records an insert
//! made the instance make (an interaction's context and channel metadata, see
//! [`super::instance_made`]), and the deletes of one teardown level (an interaction and
//! those two records). Each would otherwise cost a request of its own.
//!
//! The Batch API page (`api-reference/rest-apis/batch-api.md`) promises what this relies
//! on: any API of the instance may be an item, each item is held to the caller's ACLs as if
//! sent alone, and the answer lists each executed item (`serviced_requests`: its `id`,
//! `status_code`, `headers` and base64 `body`) and the items a limit left undone
//! (`unserviced_requests`). An item the answer does not service goes out again on its own;
//! a batch the target refuses (a status that is neither 200 nor a wait or a failure of its
//! own, or an answer that is not a batch's) is not tried again in the run, and its items go
//! out one by one.
//!
//! Each item is recorded as an exchange of its own (method, URL, status, the decoded body,
//! secrets redacted like any answer's), marked with the batch it went in; the batch's own
//! record, whose bodies are base64 (where a redaction by value could not see a secret), is
//! not kept once its items are.

use base64::Engine;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::http::{Answer, Outgoing};
use crate::spec::Format;

/// The most items one batch carries: the page sets no count, but ends a batch that runs
/// longer than 30 s; twenty deletes of records with business rules stay well inside that.
pub(super) const MAX_ITEMS: usize = 20;

/// The path of the Batch API on a target.
pub(super) const PATH: &str = "/api/now/v1/batch";

/// The body of batch `batch_id` carrying `items` (each item's id is its index); each item's
/// URL relative to `base_url`.
pub(super) fn body(batch_id: &str, items: &[Outgoing], base_url: &str) -> String {
    let requests: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let url = item.url.strip_prefix(base_url).unwrap_or(&item.url);
            let mut headers = vec![json!({"name": "Accept", "value": item.accept})];
            if item.body.is_some() {
                headers.push(json!({"name": "Content-Type", "value": "application/json"}));
            }
            let mut request = json!({
                "id": i.to_string(),
                "method": item.method,
                "url": url,
                "headers": headers,
            });
            if let Some(body) = &item.body {
                request["body"] =
                    Value::String(base64::engine::general_purpose::STANDARD.encode(body));
            }
            request
        })
        .collect();
    json!({"batch_request_id": batch_id, "rest_requests": requests}).to_string()
}

/// Whether a batch's answer says the Batch API is not for this account or this instance (it
/// is then not asked again in the run): any status but 200 that is not a wait (429) or a
/// failure of the instance's (5xx, which the page lists for a batch that failed) — 401,
/// 403, 404, a 400 from a gateway that does not know the path — and a 200 whose body is not
/// a batch's (a proxy's page).
pub(super) fn is_refusal(status: u16) -> bool {
    !(status == 429 || (500..600).contains(&status))
}

/// The items' answers in a batch's answer, by index (`None` for an item it did not service);
/// `None` when the answer is not a batch's at all (a refusal, a page, another shape).
pub(super) fn answers(answer: &Answer, items: usize) -> Option<Vec<Option<Answer>>> {
    if answer.status != 200 {
        return None;
    }
    let serviced = answer.json.as_ref()?.get("serviced_requests")?.as_array()?;
    let mut out: Vec<Option<Answer>> = (0..items).map(|_| None).collect();
    for item in serviced {
        let index = match &item["id"] {
            Value::String(s) => s.parse::<usize>().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
            _ => None,
        };
        let Some(slot) = index.and_then(|i| out.get_mut(i)) else {
            continue;
        };
        *slot = item_answer(item);
    }
    Some(out)
}

/// One serviced item as an answer: its status, headers and decoded body. `None` when the
/// item says no status or its body does not decode (it is then sent again on its own).
fn item_answer(item: &Value) -> Option<Answer> {
    let status = u16::try_from(item["status_code"].as_u64()?).ok()?;
    let text = match item["body"].as_str() {
        None | Some("") => String::new(),
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()?;
            String::from_utf8(bytes).ok()?
        }
    };
    let mut headers = HeaderMap::new();
    for header in item["headers"].as_array().into_iter().flatten() {
        let (Some(name), Some(value)) = (header["name"].as_str(), header["value"].as_str()) else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    let json = serde_json::from_str(&text).ok();
    Some(Answer {
        status,
        headers,
        text,
        json,
        format: Format::Json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Origin;
    use crate::spec::Auth;

    fn item(method: &str, url: &str) -> Outgoing {
        Outgoing {
            origin: Origin::PreRun,
            method: method.into(),
            url: url.into(),
            accept: "application/json",
            headers: Vec::new(),
            authorization: None,
            auth: Auth::Default,
            body: None,
            max_body: 1 << 20,
        }
    }

    #[test]
    fn items_go_by_relative_url_and_come_back_by_id() {
        let base = "https://example.service-now.com";
        let items = [
            item("GET", &format!("{base}/api/now/table/a/1?x=y")),
            item("DELETE", &format!("{base}/api/now/table/b/2")),
            item("DELETE", &format!("{base}/api/now/table/c/3")),
        ];
        let sent: Value = serde_json::from_str(&body("7", &items, base)).unwrap();
        assert_eq!(sent["batch_request_id"], "7");
        assert_eq!(sent["rest_requests"][0]["url"], "/api/now/table/a/1?x=y");
        assert_eq!(sent["rest_requests"][1]["method"], "DELETE");
        assert_eq!(sent["rest_requests"][2]["id"], "2");
        let encoded = base64::engine::general_purpose::STANDARD.encode(r#"{"result":{"a":1}}"#);
        let answer = Answer {
            status: 200,
            headers: HeaderMap::new(),
            text: String::new(),
            json: Some(json!({
                "batch_request_id": "7",
                "serviced_requests": [
                    {"id": "1", "status_code": 204, "body": "", "headers": []},
                    {"id": "0", "status_code": 200, "body": encoded,
                     "headers": [{"name": "Content-Type", "value": "application/json"}]},
                ],
                "unserviced_requests": ["2"],
            })),
            format: Format::Json,
        };
        let got = answers(&answer, 3).unwrap();
        let first = got[0].as_ref().unwrap();
        assert_eq!(first.status, 200);
        assert_eq!(first.result().unwrap()["a"], 1);
        assert_eq!(first.content_type(), Some("application/json"));
        assert_eq!(got[1].as_ref().unwrap().status, 204);
        assert!(
            got[2].is_none(),
            "an unserviced item is sent again on its own"
        );
        let refused = Answer {
            status: 403,
            ..answer
        };
        assert!(answers(&refused, 3).is_none());
        assert!(is_refusal(403) && is_refusal(404) && is_refusal(200));
        assert!(!is_refusal(429) && !is_refusal(500) && !is_refusal(503));
    }
}
