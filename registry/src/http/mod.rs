//! The registry's HTTP service (axum): public reads, authenticated writes, the web page,
//! `/healthz` and `/metrics`.

pub mod auth;
pub mod client;
pub mod error;
pub mod read;
pub mod write;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::service::Registry;

/// What every handler shares.
pub struct AppState {
    /// The registry.
    pub registry: Registry,
    /// Write API tokens.
    pub tokens: auth::Tokens,
}

/// The whole service: read API, write API, web pages and `/metrics`, every request counted
/// by route template.
pub fn router(state: Arc<AppState>) -> Router {
    let app = Router::new()
        .merge(read::router())
        .merge(write::router())
        .merge(crate::web::router())
        .route("/metrics", get(metrics))
        .layer(axum::middleware::from_fn(not_ready_is_503))
        .layer(DefaultBodyLimit::max(256 * 1024))
        .with_state(state);
    vouch_ops::metrics::layer(app, "registry")
}

/// `/healthz` reads the log's size from the database (`read::healthz`); when that fails the
/// register is not ready, which probes expect as 503 with the shared answer's shape.
async fn not_ready_is_503(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let health = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .is_some_and(|p| p.as_str() == "/healthz");
    let resp = next.run(req).await;
    if health && resp.status().is_server_error() {
        return vouch_ops::health::answer(
            "registry",
            vec![vouch_ops::health::Check::failed("database", "unreachable")],
            Default::default(),
        );
    }
    resp
}

/// `GET /metrics`: the shared families plus the log's size.
async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    match s.registry.store.size().await {
        Ok(size) => vouch_ops::metrics::gauge!("vouch_registry_log_size").set(size as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the log size"),
    }
    vouch_ops::metrics::response(String::new())
}

/// Serves `router` on `listener` until Ctrl-C or SIGTERM, then finishes the requests in
/// flight.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    let app = router(state);
    vouch_ops::metrics::describe_gauge!(
        "vouch_registry_log_size",
        "Entries in the register's transparency log."
    );
    vouch_ops::serve(listener, app, "registry").await
}
