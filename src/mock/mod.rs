//! The mock instance: a faithful, stateful stand-in for the three APIs and the platform pieces
//! the suite uses (Basic and bearer auth, the Table API subset, `sys_properties`).
//!
//! [`app`] builds the router over a [`Mock`] handle; [`serve`] runs it on a listener until the
//! shutdown future completes, so tests bind `127.0.0.1:0` and stop it cleanly.

mod auth;
mod awa;
mod conversation_member;
mod envelope;
mod fault;
mod interaction;
mod oauth;
mod store;
mod table_api;

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

pub use auth::Account;
pub use envelope::{ApiError, Reply, Success, SERVER};
pub use fault::{Fault, FaultSet};
pub use store::Store;

/// How a mock is set up: its accounts and the faults switched on.
#[derive(Debug, Clone)]
pub struct MockOptions {
    pub accounts: Vec<Account>,
    pub faults: FaultSet,
}

impl Default for MockOptions {
    fn default() -> Self {
        Self {
            accounts: Account::built_in(),
            faults: FaultSet::default(),
        }
    }
}

/// Handle to one mock instance; clones share its tables.
#[derive(Clone)]
pub struct Mock {
    store: Store,
    options: Arc<MockOptions>,
}

impl Mock {
    /// A mock with its built-in accounts as `sys_user` records and `glide.awa.enabled=true`.
    pub fn new(options: MockOptions) -> Self {
        let store = Store::default();
        store.with(|tables| {
            for account in &options.accounts {
                let mut fields = Map::new();
                fields.insert("user_name".into(), json!(account.user_name));
                fields.insert("first_name".into(), json!(account.first_name));
                fields.insert("last_name".into(), json!(account.last_name));
                tables.insert("sys_user", &fields);
            }
            let mut property = Map::new();
            property.insert("name".into(), json!(awa::AWA_ENABLED_PROPERTY));
            property.insert("value".into(), json!("true"));
            tables.insert("sys_properties", &property);
        });
        Self {
            store,
            options: Arc::new(options),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn faults(&self) -> &FaultSet {
        &self.options.faults
    }

    pub fn accounts(&self) -> &[Account] {
        &self.options.accounts
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.options.faults.has(fault)
    }

    /// Renders a handler's reply; errors pass through the faults that change every envelope.
    pub fn respond(&self, reply: Reply) -> Response {
        match reply {
            Ok(success) => success.into_response(),
            Err(error) => error.with_faults(self.faults()).into_response(),
        }
    }

    /// A request body as an object of fields, from JSON or (with an XML `Content-Type`) from
    /// XML. An empty body reads as `{}`; anything else that is not an object is the platform's
    /// malformed-payload error.
    pub fn body_fields(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Map<String, Value>, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        let is_xml = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("xml"));
        if is_xml {
            let text = std::str::from_utf8(body).map_err(|_| ApiError::malformed_xml())?;
            return crate::xml::parse(text).map_err(|_| ApiError::malformed_xml());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(map),
            _ if self.has(Fault::MalformedJsonCrashes) => Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
                "unexpected character in request body",
            )),
            _ => Err(ApiError::malformed_body()),
        }
    }
}

/// A string field of a request body; absent, null and empty all count as missing.
pub fn body_str<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The router of the whole mock instance.
pub fn app(mock: Mock) -> Router {
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

    router
        .route("/oauth_token.do", post(oauth::token))
        .fallback(unknown_resource)
        .method_not_allowed_fallback(unknown_resource)
        .layer(axum::middleware::from_fn_with_state(
            mock.clone(),
            envelope::negotiate_format,
        ))
        .with_state(mock)
}

async fn unknown_resource(axum::extract::State(mock): axum::extract::State<Mock>) -> Response {
    mock.respond(Err(ApiError::unknown_resource()))
}

/// Serves the mock on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    mock: Mock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(mock))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A mock served in the background on a loopback port, stopped when dropped or by [`stop`].
///
/// [`stop`]: RunningMock::stop
pub struct RunningMock {
    pub base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningMock {
    /// Binds `127.0.0.1:0` and serves `mock` on the current tokio runtime.
    pub async fn start(mock: Mock) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, mock, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            base_url: format!("http://{address}"),
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
