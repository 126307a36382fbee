//! OAuth for the main account: a bearer token from `/oauth_token.do` (password grant), kept
//! for the run and refreshed with its refresh token shortly before it expires, or once when
//! a request answers 401 because it expired. Also the expired token the bearer-token
//! scenarios send: a token of its own, fetched once and waited out.
//!
//! Every token is added to the run's secrets the moment it arrives.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Mutex, OnceCell};

use super::error::{Grant, RequestError, TokenError};
use super::http::Link;
use super::http::{self, Outgoing};
use crate::report::{ExchangeRecord, Origin};
use crate::spec::Auth;
use crate::target::OAuthLogin;

/// A token is refreshed this long before its stated expiry, at most (a quarter of its
/// lifetime for short-lived tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(5);

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
    expired: OnceCell<Result<String, RequestError>>,
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

    /// After a 401 with `stale`: a new token, unless another request already got one.
    pub async fn after_rejection(
        &self,
        stale: &str,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, RequestError> {
        self.current_or_renewed(|t| t.access != stale, link, log)
            .await
    }

    /// A token of its own that has expired: fetched once, then waited out (at most
    /// [`EXPIRY_WAIT_LIMIT`]); `Err` says why there is none ([`TokenError::LivesTooLong`]
    /// when waiting is not worth it: the scenario is then left out, not broken).
    pub async fn expired(
        &self,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<String, RequestError> {
        self.expired
            .get_or_init(|| async {
                let tokens = self.password_grant(link, log).await?;
                if tokens.lifetime > EXPIRY_WAIT_LIMIT {
                    return Err(TokenError::LivesTooLong {
                        lifetime_s: tokens.lifetime.as_secs(),
                        limit_s: EXPIRY_WAIT_LIMIT.as_secs(),
                    }
                    .into());
                }
                // The instance counted from before the answer left it, so a little past the
                // stated expiry is past it there too (half a short lifetime past it).
                let after = tokens.expires_at + Duration::from_millis(250).min(tokens.lifetime / 2);
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
    ) -> Result<Tokens, RequestError> {
        if let Some(refresh) = old.and_then(|t| t.refresh) {
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", self.login.client_id.as_str()),
                ("client_secret", self.login.client_secret.as_str()),
                ("refresh_token", refresh.as_str()),
            ];
            if let Ok(mut tokens) = self.grant(&form, Grant::Refresh, link.clone(), log).await {
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
    ) -> Result<Tokens, RequestError> {
        let form = [
            ("grant_type", "password"),
            ("client_id", self.login.client_id.as_str()),
            ("client_secret", self.login.client_secret.as_str()),
            ("username", self.login.user.as_str()),
            ("password", self.login.password.as_str()),
        ];
        self.grant(&form, Grant::Password, link, log).await
    }

    async fn grant(
        &self,
        form: &[(&str, &str)],
        grant: Grant,
        link: Link<'_>,
        log: &mut Vec<ExchangeRecord>,
    ) -> Result<Tokens, RequestError> {
        // Pairs of strings always encode.
        let body = serde_urlencoded::to_string(form).unwrap_or_default();
        let outgoing = Outgoing {
            origin: Origin::Token {
                refresh: grant == Grant::Refresh,
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
        let json = answer.json.as_ref();
        let field = |name: &str| json.and_then(|j| j.get(name)).and_then(Value::as_str);
        let Some(access) = field("access_token").filter(|_| answer.status == 200) else {
            return Err(TokenError::NoAccessToken {
                grant,
                url: self.url.clone(),
                status: answer.status,
            }
            .into());
        };
        link.secrets.add(access);
        let refresh = field("refresh_token").map(str::to_string);
        if let Some(r) = &refresh {
            link.secrets.add(r);
        }
        let lifetime = json
            .and_then(|j| j.get("expires_in"))
            .and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 1e9)
            .unwrap_or(1800.0);
        let lifetime = Duration::from_secs_f64(lifetime);
        Ok(Tokens {
            access: access.to_string(),
            refresh,
            expires_at: Instant::now() + lifetime,
            lifetime,
        })
    }
}
