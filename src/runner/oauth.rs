//! OAuth for the main account: a bearer token from `/oauth_token.do` (password grant), kept
//! for the run and refreshed with its refresh token shortly before it expires, or once when
//! a request answers 401 because it expired. Also the expired token the bearer-token
//! scenarios send: a token of its own, fetched once and waited out.
//!
//! Every token is added to the run's secrets the moment it arrives.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Mutex, OnceCell};

use super::http::Link;
use super::http::{self, Outgoing};
use crate::report::ExchangeRecord;
use crate::spec::Auth;
use crate::target::OAuthLogin;

/// A token is refreshed this long before its stated expiry, at most (a quarter of its
/// lifetime for short-lived tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(5);

/// Why a scenario gets no expired token.
#[derive(Debug, Clone)]
pub enum NoExpiredToken {
    /// The instance's tokens live too long to wait for one to expire: ignore, with this reason.
    TooLong(String),
    /// Getting a token failed: the exchange broke.
    Failed(String),
}

/// The longest a run waits for a token to expire, for the expired-token scenarios.
pub const EXPIRY_WAIT_LIMIT: Duration = Duration::from_secs(10);

struct Tokens {
    access: String,
    refresh: Option<String>,
    expires_at: Instant,
    lifetime: Duration,
}

/// The run's tokens for one login.
pub struct TokenSource {
    login: OAuthLogin,
    url: String,
    current: Mutex<Option<Tokens>>,
    expired: OnceCell<Result<String, NoExpiredToken>>,
}

impl TokenSource {
    pub fn new(base_url: &str, login: OAuthLogin) -> Self {
        Self {
            login,
            url: format!("{base_url}/oauth_token.do"),
            current: Mutex::new(None),
            expired: OnceCell::new(),
        }
    }

    /// A token that is valid now: the current one, refreshed or fetched when it is about
    /// to expire.
    pub async fn bearer(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, String> {
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
    ) -> Result<String, String> {
        let mut current = self.current.lock().await;
        if let Some(tokens) = current.as_ref().filter(|t| still_good(t)) {
            return Ok(tokens.access.clone());
        }
        let tokens = self.renew(current.take(), link, log).await?;
        let access = tokens.access.clone();
        *current = Some(tokens);
        Ok(access)
    }

    /// After a 401 with `stale`: a new token, unless another request already got one.
    pub async fn after_rejection(
        &self,
        stale: &str,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, String> {
        self.current_or_renewed(|t| t.access != stale, link, log)
            .await
    }

    /// A token of its own that has expired: fetched once, then waited out (at most
    /// [`EXPIRY_WAIT_LIMIT`]); `Err` says why there is none.
    pub async fn expired(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, NoExpiredToken> {
        self.expired
            .get_or_init(|| async {
                let tokens = self
                    .password_grant(link, log)
                    .await
                    .map_err(NoExpiredToken::Failed)?;
                if tokens.lifetime > EXPIRY_WAIT_LIMIT {
                    return Err(NoExpiredToken::TooLong(format!(
                        "needs an expired token: the instance's tokens live {} s, longer than the {} s the run waits",
                        tokens.lifetime.as_secs(),
                        EXPIRY_WAIT_LIMIT.as_secs()
                    )));
                }
                // The instance counted from before the answer left it, so a little past the
                // stated expiry is past it there too.
                let after = tokens.expires_at + Duration::from_millis(250);
                tokio::time::sleep_until(after.into()).await;
                Ok(tokens.access)
            })
            .await
            .clone()
    }

    /// The refresh grant when there is a refresh token, else (or when it is refused) the
    /// password grant.
    async fn renew(
        &self,
        old: Option<Tokens>,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Tokens, String> {
        if let Some(refresh) = old.and_then(|t| t.refresh) {
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", self.login.client_id.as_str()),
                ("client_secret", self.login.client_secret.as_str()),
                ("refresh_token", refresh.as_str()),
            ];
            if let Ok(mut tokens) = self.grant(&form, "OAuth refresh", link.clone(), log).await {
                tokens.refresh = tokens.refresh.or(Some(refresh));
                return Ok(tokens);
            }
        }
        self.password_grant(link, log).await
    }

    async fn password_grant(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Tokens, String> {
        let form = [
            ("grant_type", "password"),
            ("client_id", self.login.client_id.as_str()),
            ("client_secret", self.login.client_secret.as_str()),
            ("username", self.login.user.as_str()),
            ("password", self.login.password.as_str()),
        ];
        self.grant(&form, "OAuth token", link, log).await
    }

    async fn grant(
        &self,
        form: &[(&str, &str)],
        during: &str,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Tokens, String> {
        let body = serde_urlencoded::to_string(form).map_err(|e| e.to_string())?;
        let outgoing = Outgoing {
            during: during.to_string(),
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
        let json = answer.json.as_ref();
        let field = |name: &str| json.and_then(|j| j.get(name)).and_then(Value::as_str);
        let Some(access) = field("access_token").filter(|_| answer.status == 200) else {
            return Err(format!(
                "{during} request to {} answered {} without an access_token",
                self.url, answer.status
            ));
        };
        link.secrets.add(access);
        let refresh = field("refresh_token").map(str::to_string);
        if let Some(r) = &refresh {
            link.secrets.add(r);
        }
        let lifetime = json
            .and_then(|j| j.get("expires_in"))
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(1800);
        let lifetime = Duration::from_secs(lifetime);
        Ok(Tokens {
            access: access.to_string(),
            refresh,
            expires_at: Instant::now() + lifetime,
            lifetime,
        })
    }
}
