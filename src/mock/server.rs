//! Serving the mock: on a given listener until a shutdown future completes, or in the
//! background on a free loopback port.

use std::future::Future;

use tokio::net::TcpListener;

use super::router::app;
use super::state::Mock;

/// Serves the mock on `listener` (a `TcpListener`, or a [`super::tls::TlsListener`] for
/// https) until `shutdown` completes.
pub async fn serve<L>(
    listener: L,
    mock: Mock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    axum::serve(listener, axum::ServiceExt::into_make_service(app(mock)))
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
