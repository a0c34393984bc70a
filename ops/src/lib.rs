//! What every Vouch service shares for operations, so that the register, the issuer, the
//! verifier and the demo wallet answer the same way:
//!
//! - [`metrics`]: one Prometheus registry per process, a request-accounting layer that labels
//!   requests by route *template* (never the raw path), and the `/metrics` answer;
//! - [`files`]: keys, tokens, state and logs on disk `0600` in `0700` directories;
//! - [`loopback`]: ports below 32768 for tests and local runs;
//! - [`health`]: the `/healthz` answer (200 ready, 503 not ready), naming what was checked;
//! - [`log`]: `tracing` to stderr as text or JSON, filtered by `VOUCH_LOG` or `RUST_LOG`;
//! - [`shutdown`]: Ctrl-C or SIGTERM, then stop accepting, finish in-flight requests, return;
//! - [`server`]: the accept loop and layers every service runs behind (connection caps,
//!   header, idle and request timeouts, concurrency and rate limits, security headers).
//!
//! Nothing here sees a claim, a subject or a query string: labels and log fields are route
//! templates, methods, status codes and durations.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod files;
pub mod health;
pub mod log;
pub mod loopback;
pub mod metrics;
pub mod server;
pub mod shutdown;

pub use shutdown::{serve, serve_with, signal};
