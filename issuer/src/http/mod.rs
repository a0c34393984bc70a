//! The HTTP service: one router per concern, merged here. Every handler reads its body
//! through `read_body` (bounded), answers errors as [`ApiError`], and writes nothing on a
//! refused request.

mod admin;
mod credential;
mod metadata;
pub(crate) mod oauth;
mod status;
mod throttle;
pub mod vc_api;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::config::IssuerConfig;
use crate::error::ApiError;
use crate::keys::KeyRing;
use crate::store::Store;

/// Everything a request needs.
pub struct Issuer {
    /// Settings.
    pub config: IssuerConfig,
    /// Database.
    pub store: Store,
    /// Keys.
    pub keys: KeyRing,
    /// The admin API bearer token.
    pub admin_token: String,
}

/// The shared state.
pub type Shared = Arc<Issuer>;

/// The whole service: well-known documents at the origin's root, every endpoint under the
/// issuer identifier's path.
pub fn router(issuer: Shared) -> Router {
    let base = issuer.config.base_path();
    let endpoints = Router::new()
        .merge(oauth::router())
        .merge(credential::router())
        .merge(status::router())
        .merge(admin::router())
        .merge(vc_api::router());
    let app = if base.is_empty() {
        endpoints
    } else {
        Router::new().nest(&base, endpoints)
    };
    let app = app
        .merge(metadata::router(&base))
        .route("/healthz", get(healthz))
        .route("/metrics", get(vouch_ops::metrics::handler))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(issuer);
    vouch_ops::metrics::layer(app, "issuer")
}

/// Successful credential responses, by format.
pub const CREDENTIAL_RESPONSES: &str = "vouch_issuer_credential_responses_total";

/// Ready when the database answers (a primary-key lookup, cheap at any size).
async fn healthz(State(issuer): State<Shared>) -> Response {
    use vouch_ops::health::Check;
    let database = match issuer.store.offer("healthz-probe").await {
        Ok(_) => Check::ok("database"),
        Err(e) => {
            tracing::warn!(error = %e, "healthz: the database does not answer");
            Check::failed("database", "unreachable")
        }
    };
    let mut extra = serde_json::Map::new();
    extra.insert(
        "credential_issuer".into(),
        issuer.config.issuer_url.clone().into(),
    );
    vouch_ops::health::answer("issuer", vec![database], extra)
}

/// Serves the router on `listener` until Ctrl-C or SIGTERM, then finishes the requests in
/// flight.
pub async fn serve(listener: tokio::net::TcpListener, issuer: Shared) -> std::io::Result<()> {
    let keys_refresh = issuer.clone();
    tokio::spawn(async move {
        // Pick up a key rotation made by another process, and purge expired one-time values.
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = keys_refresh.keys.reload() {
                tracing::warn!(error = %e, "reloading the keyring failed");
            }
            let _ = keys_refresh.store.purge_expired(crate::util::now()).await;
        }
    });
    let app = router(issuer);
    vouch_ops::metrics::describe_counter!(
        CREDENTIAL_RESPONSES,
        "Successful credential responses, by the requested configuration's format."
    );
    vouch_ops::serve(listener, app, "issuer").await
}

/// Reads a request body of at most `limit` bytes.
pub(crate) async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(ApiError::too_large(limit));
        }
    }
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// Parses `application/x-www-form-urlencoded`; a parameter given twice is an error
/// (RFC 6749 section 3.1).
pub(crate) fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, ApiError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(ApiError::invalid_request(format!(
                "parameter {k} is repeated"
            )));
        }
    }
    Ok(out)
}

/// The single value of a header, refusing a repeated one.
pub(crate) fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    let mut all = headers.get_all(name).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(ApiError::invalid_request(format!("{name} is repeated")));
    }
    first
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::invalid_request(format!("{name} is not ASCII")))
        })
        .transpose()
}

pub(crate) fn freshness(c: &IssuerConfig) -> crate::proofs::Freshness {
    crate::proofs::Freshness {
        now: crate::util::now(),
        max_age: c.proof_max_age,
        max_skew: c.proof_max_skew,
    }
}

pub(crate) fn no_store<T: axum::response::IntoResponse>(
    status: axum::http::StatusCode,
    body: T,
) -> axum::response::Response {
    let mut r = axum::response::IntoResponse::into_response((status, body));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}
