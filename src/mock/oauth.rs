//! `POST /oauth_token.do`: the password grant that issues bearer tokens for the built-in
//! accounts.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::envelope::bare_json;
use super::Mock;

pub async fn token(State(mock): State<Mock>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if field("grant_type") != "password"
        || !mock.check_password(field("username"), field("password"))
    {
        return bare_json(
            StatusCode::UNAUTHORIZED,
            &json!({"error_description": "access_denied", "error": "server_error"}),
        );
    }
    let (access, refresh) = mock.store().with(|t| {
        let access = format!("{}{}", t.new_sys_id(), t.new_sys_id());
        let refresh = format!("{}{}", t.new_sys_id(), t.new_sys_id());
        t.add_token(access.clone(), field("username").to_string());
        (access, refresh)
    });
    bare_json(
        StatusCode::OK,
        &json!({
            "access_token": access,
            "refresh_token": refresh,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": 1799,
        }),
    )
}

/// `application/x-www-form-urlencoded` pairs; an unreadable form reads as no fields.
fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}
