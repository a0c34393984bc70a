//! Graceful shutdown: on Ctrl-C or SIGTERM a service stops accepting connections, lets the
//! requests in flight finish (for at most [`DRAIN`]), and returns so the process exits 0.

use std::future::Future;
use std::time::Duration;

use axum::Router;

/// The longest a service waits for in-flight requests after the signal (below the 30 s an
/// orchestrator usually allows before SIGKILL).
pub const DRAIN: Duration = Duration::from_secs(25);

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
        "SIGTERM"
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<&str>();
    let which = tokio::select! { s = ctrl_c => s, s = term => s };
    tracing::info!(signal = which, "shutdown requested");
}

/// Serves `app` on `listener` until [`signal`], then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    service: &'static str,
) -> std::io::Result<()> {
    serve_with(listener, app, service, signal()).await
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting and waits for the
/// requests in flight (at most [`DRAIN`]); the server holds the bounds of
/// [`crate::server::Limits::from_env`].
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    service: &'static str,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::server::serve_hardened(
        listener,
        app,
        service,
        crate::server::Limits::from_env(),
        stop,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn finishes_the_request_in_flight_then_returns() {
        let app = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "done"
            }),
        );
        let listener = crate::loopback::listener().await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_with(listener, app, "unit", async {
            let _ = stop_rx.await;
        }));
        let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop_tx.send(()).unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.ends_with("done"), "{out}");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server returned after draining")
            .unwrap()
            .unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "still accepting"
        );
    }
}
