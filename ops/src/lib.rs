//! What every Vouch service shares for operations, so that the register, the issuer, the
//! verifier and the demo wallet answer the same way, behind the same hardened server.
//!
//! - `db` (feature `db`): opening a service's database: backend by URL, schema, migrations.
//! - [`files`]: keys, tokens, state and logs on disk `0600` in `0700` directories.
//! - `health` (feature `server`): the `/healthz` answer (200 ready, 503 not ready).
//! - [`html`]: the web pages' shell, HTML escaping and base stylesheet (no feature needed).
//! - [`log`]: `tracing` to stderr as text or JSON, filtered by `VOUCH_LOG` or `RUST_LOG`.
//! - [`loopback`]: ports below 32768 for tests and local runs.
//! - `metrics` (feature `server`): one Prometheus registry per process, request accounting.
//! - `server` (feature `server`): the accept loop and layers every service runs behind.
//! - `shutdown` (feature `server`): Ctrl-C or SIGTERM, then drain in-flight requests, return.
//!
//! The feature `server` (on by default) brings the HTTP parts (axum, hyper, tower) and the
//! `serve` / `serve_with` entry points; the wallet core, a phone library, builds without it.
//! The `/healthz` answer names what was checked; the request-accounting layer labels
//! requests by route *template* (never the raw path) and serves `/metrics`; the server holds
//! connection caps, header, idle and request timeouts, concurrency and rate limits, and
//! security headers.
//!
//! Nothing here sees a claim, a subject or a query string: labels and log fields are route
//! templates, methods, status codes and durations.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "db")]
pub mod db;
pub mod files;
#[cfg(feature = "server")]
pub mod health;
pub mod html;
pub mod log;
pub mod loopback;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod shutdown;

#[cfg(feature = "server")]
pub use shutdown::{serve, serve_with, signal};
