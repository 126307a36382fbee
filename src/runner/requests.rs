//! The requests every part of a trial sends the same way: one request (abandoned on Ctrl-C
//! unless it belongs to teardown), a Table API call with the main account, and a lookup of
//! one record by query.

use serde_json::{Map, Value};

use super::checks;
use super::http::{self, Answer, Outgoing};
use super::state::TrialState;
use super::RunContext;
use crate::spec::{Auth, Format};

impl RunContext {
    /// Sends one request, abandoned on Ctrl-C unless it belongs to teardown.
    pub(super) async fn send(
        &self,
        outgoing: Outgoing,
        state: &mut TrialState,
    ) -> Result<Answer, String> {
        if state.tearing_down {
            return http::send(&self.client, outgoing, &mut state.exchanges).await;
        }
        tokio::select! {
            answer = http::send(&self.client, outgoing, &mut state.exchanges) => answer,
            () = self.cancel.cancelled() => Err("interrupted (Ctrl-C) while waiting for an answer".into()),
        }
    }

    /// A Table API request with the main account; references come back as bare sys_ids.
    pub(super) async fn table_request(
        &self,
        method: &str,
        table: &str,
        sys_id: Option<&str>,
        body: Option<&Map<String, Value>>,
        during: &str,
        state: &mut TrialState,
    ) -> Result<Answer, String> {
        let mut url = format!("{}/api/now/table/{table}", self.target.base_url);
        if let Some(id) = sys_id {
            url.push('/');
            url.push_str(id);
        }
        if method != "DELETE" {
            url.push_str("?sysparm_exclude_reference_link=true");
        }
        let outgoing = Outgoing {
            during: during.to_string(),
            method: method.to_string(),
            url,
            accept: Format::Json.media_type(),
            headers: Vec::new(),
            authorization: self.target.authorization(Auth::Default),
            body: body.map(|b| Value::Object(b.clone()).to_string()),
        };
        self.send(outgoing, state).await
    }

    pub(super) async fn find_one(
        &self,
        table: &str,
        query: &str,
        during: &str,
        state: &mut TrialState,
    ) -> Result<Map<String, Value>, String> {
        let encoded = serde_urlencoded::to_string([
            ("sysparm_query", query),
            ("sysparm_limit", "1"),
            ("sysparm_exclude_reference_link", "true"),
        ])
        .map_err(|e| e.to_string())?;
        let outgoing = Outgoing {
            during: during.to_string(),
            method: "GET".into(),
            url: format!("{}/api/now/table/{table}?{encoded}", self.target.base_url),
            accept: Format::Json.media_type(),
            headers: Vec::new(),
            authorization: self.target.authorization(Auth::Default),
            body: None,
        };
        let answer = self.send(outgoing, state).await?;
        answer
            .result()
            .and_then(Value::as_array)
            .and_then(|list| list.first())
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no {table} record matches `{query}` (answer {}: {})",
                    answer.status,
                    checks::snippet(&answer.text)
                )
            })
    }
}
