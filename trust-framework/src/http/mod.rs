//! The registry's HTTP service (axum): public reads, authenticated writes, the web page.

pub mod auth;
pub mod client;
pub mod error;
pub mod read;
pub mod write;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;

use crate::service::Registry;

/// What every handler shares.
pub struct AppState {
    /// The registry.
    pub registry: Registry,
    /// Write API tokens.
    pub tokens: auth::Tokens,
}

/// The whole service: read API, write API and web pages.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(read::router())
        .merge(write::router())
        .merge(crate::web::router())
        .layer(DefaultBodyLimit::max(256 * 1024))
        .with_state(state)
}

/// Serves `router` on `listener` until ctrl-c or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
