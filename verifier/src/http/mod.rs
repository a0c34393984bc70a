//! The HTTP surface: OpenID4VP endpoints (request objects, responses) here, the employer's
//! checks and records (`employer`), the workspace's sign-in, members, access log and export
//! (`workspace`), `/healthz` and `/metrics`. Bodies are size-limited; errors carry the
//! OAuth `error` / `error_description` and the status the spec names.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Map, Value};

use crate::oid4vp::{CheckOutcome, Oid4vpError, Service};
use crate::web;

mod employer;
mod workspace;

/// The largest request body accepted (a presentation with a photo fits well within it).
pub const MAX_BODY: usize = 512 * 1024;

/// An error as the OpenID4VP endpoints answer it.
pub struct ApiError(pub Oid4vpError);

impl From<Oid4vpError> for ApiError {
    fn from(e: Oid4vpError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            Json(json!({"error": self.0.code(), "error_description": self.0.to_string()})),
        )
            .into_response()
    }
}

fn html_error(e: Oid4vpError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let title = if status == StatusCode::NOT_FOUND {
        "Page not found"
    } else {
        "Sorry, there is a problem"
    };
    (status, Html(web::error(title, &e.to_string()))).into_response()
}

/// The router.
pub fn router(s: Arc<Service>) -> Router {
    let app = Router::new()
        .route("/healthz", get(healthz))
        // The wallet's endpoints: no sign-in, the transaction's nonce and keys guard them.
        .route("/request/{id}", get(request_get).post(request_post))
        .route("/response/{id}", post(response))
        // The employer's: a member of the owning organisation, or its API key.
        .route("/", get(employer::start_page))
        .route("/checks", post(employer::start_check))
        .route("/checks/{id}", get(employer::check_page))
        .route("/checks/{id}/state", get(employer::check_state))
        .route("/checks/{id}/likeness", post(employer::likeness))
        .route("/api/transactions", post(employer::api_create))
        .route("/api/transactions/{id}", get(employer::api_transaction))
        .route("/records", get(employer::records_list))
        .route("/records/export", post(workspace::export))
        .route("/records/{id}", get(employer::record_page))
        .route("/records/{id}/download", get(employer::record_download))
        .route(
            "/records/{id}/employment-end",
            post(employer::employment_end),
        )
        .route(
            "/sign-in",
            get(workspace::sign_in_page).post(workspace::sign_in),
        )
        .route("/sign-out", post(workspace::sign_out))
        .route(
            "/invitations/{token}",
            get(workspace::invitation_page).post(workspace::accept_invitation),
        )
        .route(
            "/members",
            get(workspace::members_page).post(workspace::invite),
        )
        .route("/members/{id}/remove", post(workspace::remove_member))
        .route("/organisation/time-zone", post(workspace::set_time_zone))
        .route("/access-log", get(workspace::access_log))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(s.clone())
        .merge(
            Arc::new(
                crate::vc_api::VcApi::new(s.clock.clone())
                    .resolving_only(s.verifier.trust.did_scope()),
            )
            .router(),
        );
    vouch_ops::metrics::layer(app, "verifier")
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, s: Arc<Service>) -> std::io::Result<()> {
    let app = router(s);
    describe_metrics();
    vouch_ops::serve(listener, app, "verifier").await
}

/// Verifications by outcome (`passed`, `failed`, `wallet_error`) and failure reason code.
pub const VERIFICATIONS: &str = "vouch_verifier_verifications_total";

fn describe_metrics() {
    vouch_ops::metrics::describe_counter!(
        VERIFICATIONS,
        "Wallet responses verified, by outcome and failure reason code."
    );
    crate::trust::describe_metrics();
}

/// Ready when the database answers and the trust snapshot is within the policy's age.
async fn healthz(State(s): State<Arc<Service>>) -> Response {
    use vouch_ops::health::Check;
    let trust = s.verifier.trust.current();
    let now = s.clock.now();
    let age = trust.age(now);
    let database = match s.store.transaction("healthz-probe").await {
        Ok(_) => Check::ok("database"),
        Err(e) => {
            tracing::warn!(error = %e, "healthz: the database does not answer");
            Check::failed("database", "unreachable")
        }
    };
    let max = s.verifier.policy.max_snapshot_age.whole_seconds();
    let snapshot = if age > max {
        Check::failed(
            "trust_snapshot",
            format!("older than {max} s: refresh it from the register"),
        )
    } else {
        Check::ok("trust_snapshot")
    };
    let mut extra = Map::new();
    extra.insert(
        "client_id".into(),
        s.request_signer.client_id.as_string().into(),
    );
    extra.insert(
        "snapshot_sequence".into(),
        trust.snapshot.payload.sequence.into(),
    );
    extra.insert("snapshot_age_seconds".into(), age.into());
    vouch_ops::health::answer("verifier", vec![database, snapshot], extra)
}

/// `GET /metrics`: the shared families plus the trust snapshot's age and sequence.
async fn metrics(State(s): State<Arc<Service>>) -> Response {
    crate::trust::record_snapshot_gauges(&s.verifier.trust.current(), s.clock.now());
    vouch_ops::metrics::response(String::new())
}

/// Counts a verified response by outcome; the reason is the failed check's code, never a
/// claim or an identifier.
fn count_outcome(o: &CheckOutcome) {
    let outcome = if o.passed {
        "passed"
    } else if o.wallet_error.is_some() {
        "wallet_error"
    } else {
        "failed"
    };
    let reason = o.report["error"]["code"]
        .as_str()
        .filter(|c| c.len() <= 48 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .or(o.rule_failure.as_ref().map(|_| "right_to_work_rule"))
        .unwrap_or(if o.passed { "none" } else { "other" });
    vouch_ops::metrics::counter!(VERIFICATIONS, "outcome" => outcome, "reason" => reason.to_string())
        .increment(1);
}

const JWT_TYPE: &str = "application/oauth-authz-req+jwt";

async fn request_get(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let jwt = s.request_object(&id, None).await?;
    Ok(([(header::CONTENT_TYPE, JWT_TYPE)], jwt).into_response())
}

async fn request_post(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
    Form(f): Form<Map<String, Value>>,
) -> Result<Response, ApiError> {
    if let Some(meta) = f.get("wallet_metadata").and_then(Value::as_str) {
        serde_json::from_str::<Value>(meta)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                Oid4vpError::InvalidRequest("wallet_metadata is not a JSON object".into())
            })?;
    }
    let jwt = s
        .request_object(&id, f.get("wallet_nonce").and_then(Value::as_str))
        .await?;
    Ok(([(header::CONTENT_TYPE, JWT_TYPE)], jwt).into_response())
}

async fn response(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
    form: Result<Form<Map<String, Value>>, axum::extract::rejection::FormRejection>,
) -> Result<Json<Value>, ApiError> {
    let Form(params) = form.map_err(|e| {
        Oid4vpError::InvalidRequest(format!("the body is not a form: {}", e.body_text()))
    })?;
    let ack = s.respond(&id, &params).await?;
    if let Ok(Some(t)) = s.store.transaction(&id).await {
        if let Some(o) = t
            .outcome
            .as_deref()
            .and_then(|o| serde_json::from_str::<CheckOutcome>(o).ok())
        {
            count_outcome(&o);
        }
    }
    Ok(Json(json!({"redirect_uri": ack.redirect_uri})))
}
