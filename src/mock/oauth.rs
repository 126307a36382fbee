//! `POST /oauth_token.do`: the password grant that issues bearer tokens for the built-in
//! accounts, and the refresh grant that renews them. Tokens live `--token-lifetime` seconds
//! (1800 by default, as on the platform); an expired token is refused with the platform's 401.
//!
//! The mock knows one OAuth client, `sn-conform` with secret `sn-conform` (settable with
//! `--oauth-client-secret`); a request naming another client, or the wrong secret, is
//! refused as the platform refuses it.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::envelope::bare_json;
use super::{Fault, Mock};

/// The mock's OAuth client id (its default secret is the same word).
pub const BUILT_IN_OAUTH_CLIENT: &str = "sn-conform";

/// The account a client credentials token acts as (the OAuth client's Application User).
pub const CLIENT_APPLICATION_USER: &str = "admin";

pub async fn token(
    State(mock): State<Mock>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    // The client's credentials come in the form, or (as oauthlib sends them) as HTTP Basic.
    let basic = client_from_basic(&headers);
    let (client_id, client_secret) = match &basic {
        Some((id, secret)) if field("client_id").is_empty() || field("client_id") == id => {
            (id.as_str(), secret.as_str())
        }
        _ => (field("client_id"), field("client_secret")),
    };
    let client_ok =
        client_id == BUILT_IN_OAUTH_CLIENT && client_secret == mock.options().oauth_client_secret;
    let user = match field("grant_type") {
        "password" if client_ok && mock.check_password(field("username"), field("password")) => {
            Some(field("username").to_string())
        }
        "refresh_token" if client_ok && !mock.has(Fault::RefreshGrantRefused) => mock
            .store()
            .with(|t| t.refresh_user(field("refresh_token"))),
        // The token stands for the client application, acting as its OAuth Application User
        // (ServiceNowDocs, client-credential-grant.md); the mock's client acts as `admin`.
        "client_credentials" if client_ok => Some(CLIENT_APPLICATION_USER.to_string()),
        _ => None,
    };
    let client_credentials = field("grant_type") == "client_credentials";
    let Some(user) = user else {
        return bare_json(
            StatusCode::UNAUTHORIZED,
            &json!({"error_description": "access_denied", "error": "server_error"}),
        );
    };
    let lifetime = mock.options().token_lifetime;
    let kept_refresh = (field("grant_type") == "refresh_token").then(|| field("refresh_token"));
    let (access, refresh) = mock.store().with(|t| {
        let access = format!("{}{}", t.new_sys_id(), t.new_sys_id());
        let refresh = match kept_refresh {
            Some(r) => r.to_string(),
            None if client_credentials => String::new(),
            None => {
                let r = format!("{}{}", t.new_sys_id(), t.new_sys_id());
                t.add_refresh(r.clone(), user.clone());
                r
            }
        };
        t.add_token(access.clone(), user.clone(), Instant::now() + lifetime);
        (access, refresh)
    });
    let mut answer = json!({
        "access_token": access,
        "refresh_token": refresh,
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": expires_in(lifetime),
    });
    if let Some(fields) = answer.as_object_mut() {
        // No refresh token for the client credentials grant (RFC 6749, 4.4.3): the client
        // asks again with its own credentials.
        if mock.has(Fault::TokenWithoutRefreshToken) || client_credentials {
            fields.remove("refresh_token");
        }
        if mock.has(Fault::TokenWithoutExpiresIn) {
            fields.remove("expires_in");
        }
    }
    bare_json(StatusCode::OK, &answer)
}

/// `expires_in` as the platform writes it, whole seconds; a lifetime under a whole number
/// of seconds (only the built-in mock a run starts, so that its expired-token scenario
/// waits little) as a decimal number of seconds, which RFC 6749's "lifetime in seconds"
/// admits and the run reads.
fn expires_in(lifetime: std::time::Duration) -> Value {
    if lifetime.subsec_nanos() == 0 {
        json!(lifetime.as_secs())
    } else {
        json!(lifetime.as_secs_f64())
    }
}

/// (client id, client secret) from an `Authorization: Basic` header.
fn client_from_basic(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `application/x-www-form-urlencoded` pairs; an unreadable form reads as no fields.
fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}
