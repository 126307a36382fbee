//! Every route of the mock: the seven operations (default and `/api/now/v1/` URLs, PUT and POST
//! where documented), the Table API under its three prefixes, the OAuth token endpoint, and the
//! platform's answer to anything else.

use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use super::envelope::{self, ApiError};
use super::fault::Fault;
use super::state::Mock;
use super::{attachment, awa, batch, conversation_member, interaction, oauth, table_api};

/// The whole mock instance as one service: the envelope middleware (`envelope::Envelope`)
/// and the body limit around the router, once, rather than around each of its routes
/// (`Router::layer` wraps every route, and each wrapping costs a boxed clone per request).
pub fn app(
    mock: Mock,
) -> impl tower::Service<
    axum::extract::Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
       + Send
       + Sync
       + 'static {
    // A body over the limit is refused (413, in the envelope) before it is read whole.
    let limited = tower::Layer::layer(
        &axum::extract::DefaultBodyLimit::max(mock.options().max_body),
        routes(mock.clone()),
    );
    envelope::Envelope::new(mock, limited)
}

/// Every route of the mock.
fn routes(mock: Mock) -> Router {
    let mut router = Router::new();
    let versioned = !mock.has(Fault::VersionedUrlMissing);
    let mut operation = |path: &str, handler: MethodRouter<Mock>| {
        router = std::mem::take(&mut router).route(&format!("/api/now{path}"), handler.clone());
        if versioned {
            router = std::mem::take(&mut router).route(&format!("/api/now/v1{path}"), handler);
        }
    };

    let (drop, update) = if mock.has(Fault::PutNotRouted) {
        (
            post(conversation_member::drop),
            post(conversation_member::update),
        )
    } else {
        (
            post(conversation_member::drop).put(conversation_member::drop),
            post(conversation_member::update).put(conversation_member::update),
        )
    };
    operation("/conversation/member/{user_id}/drop", drop);
    operation("/conversation/member/{user_id}/update", update);
    operation("/interaction", post(interaction::create));
    operation(
        "/interaction/{interaction_id}/close",
        post(interaction::close),
    );
    operation(
        "/awa/inbox/actions/reject_reasons/{channel_id}",
        get(awa::reject_reasons),
    );
    operation("/awa/inbox/actions/accept", post(awa::accept));
    operation("/awa/inbox/actions/reject", post(awa::reject));

    let table = get(table_api::list).post(table_api::create);
    let record = get(table_api::read)
        .patch(table_api::update)
        .put(table_api::update)
        .delete(table_api::delete);
    for prefix in ["/api/now/table", "/api/now/v1/table", "/api/now/v2/table"] {
        router = router
            .route(&format!("{prefix}/{{table}}"), table.clone())
            .route(&format!("{prefix}/{{table}}/{{sys_id}}"), record.clone());
    }

    // A batch carries items of up to 5 MB each (the Batch API page): its own body may be
    // larger than a single request's, within a bound of its own.
    let batched = post(batch).layer(axum::extract::DefaultBodyLimit::max(
        batch::MAX_BATCH_BYTES.max(mock.options().max_body),
    ));
    for prefix in ["/api/now/attachment", "/api/now/v1/attachment"] {
        router = router
            .route(prefix, get(attachment::list))
            .route(
                &format!("{prefix}/{{sys_id}}"),
                get(attachment::read).delete(attachment::delete),
            )
            .route(
                &format!("{prefix}/{{sys_id}}/file"),
                get(attachment::unserved),
            )
            .route(&format!("{prefix}/file"), post(attachment::unserved))
            .route(&format!("{prefix}/upload"), post(attachment::unserved));
    }
    router
        .route("/api/now/v1/batch", batched.clone())
        .route("/api/now/batch", batched)
        .route("/oauth_token.do", post(oauth::token))
        .route("/sn-conform/reset", post(reset))
        .fallback(unknown_resource)
        .with_state(mock)
}

/// The Batch API: each request of the batch goes through the whole mock, as a request of its
/// own would.
async fn batch(
    axum::extract::State(mock): axum::extract::State<Mock>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let service = app(mock.clone());
    batch::batch(mock, headers, body, |request| {
        let service = service.clone();
        async move {
            match tower::ServiceExt::oneshot(service, request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    })
    .await
}

/// `POST /sn-conform/reset`, the mock's own endpoint (admin only): every table back to how it
/// was at start, built-in records and seed included.
async fn reset(
    axum::extract::State(mock): axum::extract::State<Mock>,
    headers: axum::http::HeaderMap,
) -> Response {
    let reply = mock.authorize(&headers, super::auth::ROLE_ADMIN).map(|_| {
        let records = mock.reset();
        envelope::Success::ok(serde_json::json!({"reset": true, "records": records}))
    });
    mock.respond(reply)
}

async fn unknown_resource(axum::extract::State(mock): axum::extract::State<Mock>) -> Response {
    if mock.has(Fault::UnknownPathNotFound) {
        return mock.respond(Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "Not found",
            "No such path",
        )));
    }
    mock.respond(Err(ApiError::unknown_resource()))
}
