//! The Attachment API's reads (`GET /api/now/attachment`, `GET /api/now/attachment/{sys_id}`)
//! and its delete, over the attachment metadata the mock stores in `sys_attachment` (records a
//! seed file or the Table API puts there). Clients read the list after every record they fetch
//! (ansible-collections/servicenow.itsm lists an incident's attachments by `table_name` and
//! `table_sys_id`). The mock keeps no file content: the file download and the uploads are
//! refused in the error envelope, saying so.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

use super::envelope::ApiError;
use super::table_api::ATTACHMENT_TABLE as TABLE;
use super::{table_api, Mock};

/// `GET /api/now/attachment`: the metadata of the attachments `sysparm_query` (or the
/// name-value pairs, `?table_name=incident&table_sys_id=...`) selects, paged as the Table API.
pub async fn list(
    state: State<Mock>,
    params: Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    table_api::list(state, Path(TABLE.to_string()), params, request).await
}

/// `GET /api/now/attachment/{sys_id}`: one attachment's metadata, or 404.
pub async fn read(
    state: State<Mock>,
    Path(id): Path<String>,
    params: Query<HashMap<String, String>>,
    request: axum::extract::Request,
) -> Response {
    table_api::read(state, Path((TABLE.to_string(), id)), params, request).await
}

/// `DELETE /api/now/attachment/{sys_id}`: the attachment goes (204), or 404.
pub async fn delete(
    state: State<Mock>,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    table_api::delete(state, Path((TABLE.to_string(), id)), request).await
}

/// The file download and the uploads: the mock stores metadata only.
pub async fn unserved(State(mock): State<Mock>, headers: axum::http::HeaderMap) -> Response {
    let refused = match mock.authenticate(&headers) {
        Err(e) => e,
        Ok(_) => ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "Not implemented by the mock",
            "the mock stores attachment metadata only: files cannot be uploaded or downloaded",
        ),
    };
    mock.respond(Err::<super::Success, _>(refused))
}
