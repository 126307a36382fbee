//! The requests every part of a trial sends the same way: one request (abandoned on Ctrl-C
//! unless it belongs to teardown), a Table API call with the main account, and a lookup of
//! one record by query.

use serde_json::{Map, Value};

use super::checks;
use super::http::{self, Answer, Outgoing};
use super::oauth::NoExpiredToken;
use super::state::TrialState;
use super::RunContext;
use crate::spec::{Auth, Format};

/// Why a request was not sent: a stop signal came first.
pub(super) const NOT_SENT: &str = "interrupted (stop signal) before it was sent";

/// How long a request in flight may still take after a stop signal.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

impl RunContext {
    /// Sends one request, abandoned on Ctrl-C unless it belongs to teardown. The main
    /// account's OAuth token (and the expired token) is filled in here; a 401 to the main
    /// account's OAuth token gets one new token and one more try, then it stands.
    pub(super) async fn send(
        &self,
        outgoing: Outgoing,
        state: &mut TrialState,
    ) -> Result<Answer, String> {
        if state.tearing_down {
            return self.send_with_token(outgoing, state).await;
        }
        // After a stop signal nothing new goes out (a trial waiting on a shared record that
        // another trial failed to create would otherwise try again, and wait again).
        if self.cancel.is_cancelled() {
            return Err(NOT_SENT.into());
        }
        let cancel = std::sync::Arc::clone(&self.cancel);
        let exchange = self.send_with_token(outgoing, state);
        tokio::pin!(exchange);
        tokio::select! {
            answer = &mut exchange => answer,
            () = cancel.cancelled() => {
                // A request already sent may be creating a record: give its answer a moment,
                // so that the record is known and deleted rather than left uncertain.
                match tokio::time::timeout(STOP_GRACE, &mut exchange).await {
                    Ok(answer) => answer,
                    Err(_) => Err("interrupted (stop signal) while waiting for an answer".into()),
                }
            }
        }
    }

    async fn send_with_token(
        &self,
        mut outgoing: Outgoing,
        state: &mut TrialState,
    ) -> Result<Answer, String> {
        let log = &mut state.exchanges;
        let oauth = match (&self.tokens, outgoing.auth) {
            (Some(tokens), Auth::Default) if self.target.main_uses_oauth() => Some(tokens),
            (Some(tokens), Auth::ExpiredToken) => {
                let token = match tokens.expired(self.link(), log).await {
                    Ok(token) => token,
                    Err(NoExpiredToken::TooLong(why) | NoExpiredToken::Failed(why)) => {
                        return Err(why)
                    }
                };
                outgoing.authorization = Some(format!("Bearer {token}"));
                None
            }
            _ => None,
        };
        let Some(tokens) = oauth else {
            return http::send(self.link(), outgoing, log).await;
        };
        let token = tokens.bearer(self.link(), log).await?;
        outgoing.authorization = Some(format!("Bearer {token}"));
        let answer = http::send(self.link(), outgoing.clone(), log).await?;
        if answer.status != 401 {
            return Ok(answer);
        }
        let token = tokens.after_rejection(&token, self.link(), log).await?;
        outgoing.authorization = Some(format!("Bearer {token}"));
        http::send(self.link(), outgoing, log).await
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
            auth: Auth::Default,
            body: body.map(|b| Value::Object(b.clone()).to_string()),
            max_body: self.target.max_body,
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
            auth: Auth::Default,
            body: None,
            max_body: self.target.max_body,
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
