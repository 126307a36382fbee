//! OAuth for the main account: a bearer token from `/oauth_token.do` (password grant), kept
//! for the run and refreshed with its refresh token shortly before it expires, or once when
//! a request answers 401 because it expired. Also the tokens the bearer-token scenarios send:
//! an expired one (fetched once and waited out) and a refreshed one (a password grant, then
//! the refresh grant), each of the run's own.
//!
//! Every token answer is read against the documented fields (ServiceNowDocs,
//! `platform-security/authentication/r_OAuthAPIResponseParameters.md`): for a scenario's own
//! token what it lacks is a finding of the step that needed it; for the main account the run
//! keeps going the documented way round (a password grant when the refresh grant is refused,
//! the platform's 30-minute default when `expires_in` is missing) and records a [`TokenNote`]
//! for the report. Every token is added to the run's secrets the moment it arrives.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Mutex, OnceCell};

use super::error::{RequestError, TokenError};
use super::http::Link;
use super::http::{self, Outgoing};
use crate::report::{Checked, ExchangeRecord, Finding, Level, Origin, TokenNote, TokenStep};
use crate::spec::Auth;
use crate::target::OAuthLogin;

/// A token is refreshed this long before its stated expiry, at most (a quarter of its
/// lifetime for short-lived tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(5);

/// The longest a run waits for a token to expire, for the expired-token scenarios.
pub const EXPIRY_WAIT_LIMIT: Duration = Duration::from_secs(10);

/// How long a token lives when its answer does not say: the platform's default lifespan
/// ("Manage OAuth tokens", `platform-security/authentication/t_ManageTokens`: 30 minutes).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(1800);

/// Where the token answer's fields are documented, for the findings' expectations.
const DOCUMENTED: &str = "(OAuth API response parameters)";

struct Tokens {
    access: String,
    refresh: Option<String>,
    expires_at: Instant,
    lifetime: Duration,
    /// Whether the answer gave `expires_in` (else `lifetime` is the platform's default).
    lifetime_stated: bool,
}

/// One token answer read against the documents: its tokens, when it held an access token, and
/// the documented fields it lacked.
struct Answered {
    tokens: Option<Tokens>,
    findings: Vec<Finding>,
}

/// A token a scenario's request carries, of the run's own: the token when there is one to
/// send, and what the token answers on the way lacked (findings of the step that needs it).
#[derive(Debug, Clone, Default)]
pub struct Issued {
    pub token: Option<String>,
    pub findings: Vec<Finding>,
}

/// The run's tokens for one login.
pub struct TokenSource {
    login: OAuthLogin,
    url: String,
    current: Mutex<Option<Tokens>>,
    expired: OnceCell<Result<Issued, RequestError>>,
    refreshed: OnceCell<Result<Issued, RequestError>>,
    /// What the main account's token life did not do as documented, and what the run did.
    notes: std::sync::Mutex<Vec<TokenNote>>,
    /// The mock whose tables mark the expired-token scenario's token expired at once.
    expire_in: Option<crate::mock::Mock>,
}

impl TokenSource {
    pub fn new(base_url: &str, login: OAuthLogin) -> Self {
        Self {
            login,
            url: format!("{base_url}/oauth_token.do"),
            current: Mutex::new(None),
            expired: OnceCell::new(),
            refreshed: OnceCell::new(),
            notes: std::sync::Mutex::default(),
            expire_in: None,
        }
    }

    /// Has `mock`, the built-in mock the run serves in-process, expire the expired-token
    /// scenario's token in its tables instead of the run waiting its lifetime out.
    pub fn expire_in(&mut self, mock: crate::mock::Mock) {
        self.expire_in = Some(mock);
    }

    /// Every deviation of the main account's token life so far, once each.
    pub fn notes(&self) -> Vec<TokenNote> {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn note(&self, step: TokenStep, problem: String, instead: &str) {
        let note = TokenNote {
            step,
            problem,
            instead: instead.to_string(),
        };
        let mut notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    /// The main account's answer's findings as notes, each with what the run does instead.
    fn note_findings(&self, step: TokenStep, findings: &[Finding]) {
        for finding in findings {
            let Checked::Token { field, .. } = &finding.checked else {
                continue;
            };
            let instead = match field.as_str() {
                "expires_in" => "the token is taken to live 30 minutes, the platform's default",
                "refresh_token" => "the token is renewed with the password grant",
                "status" | "access_token" => "the request goes on without a new token",
                _ => "the token is sent as a bearer token all the same",
            };
            self.note(step, problem(step, finding), instead);
        }
    }

    /// A token that is valid now: the current one, refreshed or fetched when it is about
    /// to expire.
    pub async fn bearer(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, RequestError> {
        self.current_or_renewed(
            |t| Instant::now() + REFRESH_MARGIN.min(t.lifetime / 4) < t.expires_at,
            link,
            log,
        )
        .await
    }

    /// The current token when `still_good` says so, else a renewed one (kept for the run).
    async fn current_or_renewed(
        &self,
        still_good: impl Fn(&Tokens) -> bool,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, RequestError> {
        let mut current = self.current.lock().await;
        if let Some(tokens) = current.as_ref().filter(|t| still_good(t)) {
            return Ok(tokens.access.clone());
        }
        let tokens = self.renew(current.take(), link, log).await?;
        let access = tokens.access.clone();
        *current = Some(tokens);
        Ok(access)
    }

    /// After a 401 with `stale`: a new token, unless another request already got one. A
    /// token refused before its stated expiry is noted (a revocation, or a shorter life than
    /// `expires_in` said).
    pub async fn after_rejection(
        &self,
        stale: &str,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, RequestError> {
        {
            let current = self.current.lock().await;
            if let Some(t) = current
                .as_ref()
                .filter(|t| t.access == stale && t.lifetime_stated)
            {
                let left = t.expires_at.saturating_duration_since(Instant::now());
                if left > Duration::ZERO {
                    self.note(
                        TokenStep::Expiry,
                        format!(
                            "a token was refused (401) with {:.0} s of its stated life left",
                            left.as_secs_f64()
                        ),
                        "a new token was fetched and the request sent again",
                    );
                }
            }
        }
        self.current_or_renewed(|t| t.access != stale, link, log)
            .await
    }

    /// The token a scenario's request carries for `auth`, of the run's own ([`Self::expired`]
    /// or [`Self::refreshed`]); none for any other `auth`.
    pub async fn own(
        &self,
        auth: Auth,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Option<Issued>, RequestError> {
        match auth {
            Auth::ExpiredToken => self.expired(link, log).await.map(Some),
            Auth::RefreshedToken => self.refreshed(link, log).await.map(Some),
            _ => Ok(None),
        }
    }

    /// A token of its own that has expired: fetched once, then waited out (at most
    /// [`EXPIRY_WAIT_LIMIT`]). No token when the answer gave none, or gave no lifetime to
    /// wait out (the findings say so); `Err` says why there is none otherwise
    /// ([`TokenError::LivesTooLong`] when waiting is not worth it: the scenario is then left
    /// out, not broken).
    pub async fn expired(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Issued, RequestError> {
        self.expired
            .get_or_init(|| async {
                let answered = self.password_grant(link, log).await?;
                let mut issued = Issued {
                    token: None,
                    findings: answered.findings,
                };
                let Some(tokens) = answered.tokens.filter(|t| t.lifetime_stated) else {
                    return Ok(issued);
                };
                if let Some(mock) = &self.expire_in {
                    // The mock's own tables end the token's life, whatever it was stated.
                    mock.expire_token(&tokens.access);
                } else {
                    if tokens.lifetime > EXPIRY_WAIT_LIMIT {
                        return Err(TokenError::LivesTooLong {
                            lifetime_s: tokens.lifetime.as_secs(),
                            limit_s: EXPIRY_WAIT_LIMIT.as_secs(),
                        }
                        .into());
                    }
                    // The instance counted from before the answer left it, so a little past
                    // the stated expiry is past it there too (half a short lifetime past it).
                    let after =
                        tokens.expires_at + Duration::from_millis(250).min(tokens.lifetime / 2);
                    tokio::time::sleep_until(after.into()).await;
                }
                issued.token = Some(tokens.access);
                Ok(issued)
            })
            .await
            .clone()
    }

    /// A token of its own renewed with the refresh grant: a password grant, then the refresh
    /// grant with its refresh token, once for the run. No token when either answer gave
    /// none (the findings say why).
    pub async fn refreshed(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Issued, RequestError> {
        self.refreshed
            .get_or_init(|| async {
                let first = self.password_grant(link.clone(), log).await?;
                let mut issued = Issued {
                    token: None,
                    findings: first.findings,
                };
                let Some(refresh) = first.tokens.and_then(|t| t.refresh) else {
                    return Ok(issued);
                };
                let second = self.refresh_grant(&refresh, link, log).await?;
                issued.findings.extend(second.findings);
                issued.token = second.tokens.map(|t| t.access);
                Ok(issued)
            })
            .await
            .clone()
    }

    /// The refresh grant when there is a refresh token, else (or when it is refused) the
    /// password grant; every deviation on the way is noted with what the run did instead.
    async fn renew(
        &self,
        old: Option<Tokens>,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Tokens, RequestError> {
        if let Some(refresh) = old.and_then(|t| t.refresh) {
            let fallback = "a new token was fetched with the password grant instead";
            match self.refresh_grant(&refresh, link.clone(), log).await {
                Ok(Answered {
                    tokens: Some(mut tokens),
                    findings,
                }) => {
                    self.note_findings(TokenStep::RefreshGrant, &findings);
                    tokens.refresh = tokens.refresh.or(Some(refresh));
                    return Ok(tokens);
                }
                Ok(Answered { findings, .. }) => {
                    for finding in &findings {
                        let problem = problem(TokenStep::RefreshGrant, finding);
                        self.note(TokenStep::RefreshGrant, problem, fallback);
                    }
                }
                Err(e) => self.note(TokenStep::RefreshGrant, e.cause(), fallback),
            }
        }
        let answered = self.password_grant(link, log).await?;
        match answered.tokens {
            Some(tokens) => {
                self.note_findings(TokenStep::PasswordGrant, &answered.findings);
                Ok(tokens)
            }
            None => Err(TokenError::NoAccessToken {
                url: self.url.clone(),
                problem: answered
                    .findings
                    .first()
                    .map_or_else(String::new, Finding::message),
            }
            .into()),
        }
    }

    async fn password_grant(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Answered, RequestError> {
        let form = [
            ("grant_type", "password"),
            ("client_id", self.login.client_id.as_str()),
            ("client_secret", self.login.client_secret.as_str()),
            ("username", self.login.user.as_str()),
            ("password", self.login.password.as_str()),
        ];
        self.grant(&form, TokenStep::PasswordGrant, link, log).await
    }

    async fn refresh_grant(
        &self,
        refresh: &str,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Answered, RequestError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.login.client_id.as_str()),
            ("client_secret", self.login.client_secret.as_str()),
            ("refresh_token", refresh),
        ];
        self.grant(&form, TokenStep::RefreshGrant, link, log).await
    }

    /// Sends one grant and reads its answer; `Err` only when no answer came.
    async fn grant(
        &self,
        form: &[(&str, &str)],
        step: TokenStep,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Answered, RequestError> {
        // Pairs of strings always encode.
        let body = serde_urlencoded::to_string(form).unwrap_or_default();
        let outgoing = Outgoing {
            origin: Origin::Token {
                refresh: step == TokenStep::RefreshGrant,
            },
            method: "POST".into(),
            url: self.url.clone(),
            accept: "application/json",
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            authorization: None,
            auth: Auth::None,
            body: Some(body),
            max_body: crate::target::DEFAULT_MAX_BODY,
        };
        let answer = http::send_keeping_secrets(link.clone(), outgoing, log).await?;
        let json = answer.json.as_ref().filter(|_| answer.status == 200);
        if let Some(j) = json {
            for field in ["access_token", "refresh_token"] {
                if let Some(secret) = j.get(field).and_then(Value::as_str) {
                    link.secrets.add(secret);
                }
            }
        }
        Ok(read_answer(step, answer.status, json))
    }
}

/// A finding's message without its step in front (a note names the step itself).
fn problem(step: TokenStep, finding: &Finding) -> String {
    let message = finding.message();
    match message.strip_prefix(&format!("{step}: ")) {
        Some(rest) => rest.to_string(),
        None => message,
    }
}

/// A token answer (`json` only when it came with 200) against its documented fields:
/// `access_token`, `refresh_token`, `token_type` Bearer, `expires_in` in seconds and `scope`
/// are `must`; `scope`'s value `useraccount` is `should` (the page says it is always that,
/// instances with scoped OAuth clients may differ).
fn read_answer(step: TokenStep, status: u16, json: Option<&Value>) -> Answered {
    let finding = |field: &str, level: Level, expected: &str, actual: String| {
        Finding::new(
            Checked::Token {
                step,
                field: field.to_string(),
            },
            level,
            expected,
            actual,
        )
    };
    let text = |name: &str| {
        json.and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let Some(access) = text("access_token") else {
        let found = if status == 200 {
            finding(
                "access_token",
                Level::Must,
                &format!("the token {DOCUMENTED}"),
                "nothing".into(),
            )
        } else {
            finding(
                "status",
                Level::Must,
                "200 with a token",
                status.to_string(),
            )
        };
        return Answered {
            tokens: None,
            findings: vec![found],
        };
    };
    let mut findings = Vec::new();
    let refresh = text("refresh_token").map(str::to_string);
    if refresh.is_none() {
        findings.push(finding(
            "refresh_token",
            Level::Must,
            &format!("a refresh token {DOCUMENTED}"),
            "nothing".into(),
        ));
    }
    match text("token_type") {
        Some(t) if t.eq_ignore_ascii_case("bearer") => {}
        other => findings.push(finding(
            "token_type",
            Level::Must,
            &format!("Bearer {DOCUMENTED}"),
            other.map_or_else(|| "nothing".into(), |t| format!("\"{t}\"")),
        )),
    }
    match text("scope") {
        Some("useraccount") => {}
        Some(other) => findings.push(finding(
            "scope",
            Level::Should,
            &format!("useraccount {DOCUMENTED}"),
            format!("\"{other}\""),
        )),
        None => findings.push(finding(
            "scope",
            Level::Must,
            &format!("the token's scope {DOCUMENTED}"),
            "nothing".into(),
        )),
    }
    let stated = json
        .and_then(|j| j.get("expires_in"))
        .and_then(|v| {
            v.as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
        .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 1e9);
    if stated.is_none() {
        let got = json
            .and_then(|j| j.get("expires_in"))
            .map_or_else(|| "nothing".into(), Value::to_string);
        findings.push(finding(
            "expires_in",
            Level::Must,
            &format!("the token's lifespan in seconds {DOCUMENTED}"),
            got,
        ));
    }
    let lifetime = stated.map_or(DEFAULT_LIFETIME, Duration::from_secs_f64);
    Answered {
        tokens: Some(Tokens {
            access: access.to_string(),
            refresh,
            expires_at: Instant::now() + lifetime,
            lifetime,
            lifetime_stated: stated.is_some(),
        }),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(answered: &Answered) -> Vec<(String, Level)> {
        answered
            .findings
            .iter()
            .map(|f| match &f.checked {
                Checked::Token { field, .. } => (field.clone(), f.level),
                other => panic!("not a token finding: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_documented_answer_has_nothing_to_say() {
        let answer = json!({"access_token": "a", "refresh_token": "r", "scope": "useraccount",
            "token_type": "Bearer", "expires_in": 1800});
        let answered = read_answer(TokenStep::PasswordGrant, 200, Some(&answer));
        assert!(answered.findings.is_empty(), "{:?}", answered.findings);
        let tokens = answered.tokens.expect("a token");
        assert!(tokens.lifetime_stated);
        assert_eq!(tokens.lifetime, Duration::from_secs(1800));
    }

    #[test]
    fn each_missing_field_is_a_finding_of_its_step() {
        let answer = json!({"access_token": "a", "token_type": "mac", "scope": "other"});
        let answered = read_answer(TokenStep::RefreshGrant, 200, Some(&answer));
        assert_eq!(
            fields(&answered),
            vec![
                ("refresh_token".into(), Level::Must),
                ("token_type".into(), Level::Must),
                ("scope".into(), Level::Should),
                ("expires_in".into(), Level::Must),
            ]
        );
        assert!(answered.findings[0]
            .message()
            .starts_with("refresh grant: refresh_token: expected a refresh token"));
        // Without a stated lifetime the platform's default is assumed, and said to be.
        let tokens = answered.tokens.expect("a token all the same");
        assert!(!tokens.lifetime_stated);
        assert_eq!(tokens.lifetime, DEFAULT_LIFETIME);
    }

    #[test]
    fn a_refused_grant_is_a_finding_of_its_status() {
        let body = json!({"error": "server_error"});
        let refused = read_answer(TokenStep::RefreshGrant, 401, None);
        assert!(refused.tokens.is_none());
        assert_eq!(fields(&refused), vec![("status".into(), Level::Must)]);
        assert_eq!(
            refused.findings[0].message(),
            "refresh grant: status: expected 200 with a token, got 401"
        );
        let empty = read_answer(TokenStep::PasswordGrant, 200, Some(&body));
        assert_eq!(fields(&empty), vec![("access_token".into(), Level::Must)]);
    }
}
