//! The authenticated write API: one `POST /events/{type}` per event type, and log key
//! rotation. The scheme operator may write every register event; a certifying body only
//! the state of certificates it issued.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::error::ApiError;
use super::AppState;
use crate::service::cab_may_write;
use crate::store::Receipt;
use trust_framework::events::{
    Actor, ActorRole, CertificateRef, Event, EventKind, Evidence, EVENT_TYPES,
};

/// The write routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/events/{event_type}", post(post_event))
        .route("/admin/log/rotate-key", post(rotate_key))
}

/// The body of a write: the event body plus when, why, and the evidence digests.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteRequest {
    #[serde(default, with = "time::serde::rfc3339::option")]
    occurred_at: Option<OffsetDateTime>,
    #[serde(default)]
    legal_basis: Option<String>,
    #[serde(default)]
    evidence: Vec<Evidence>,
    body: Value,
}

fn receipt_json(r: &Receipt) -> Json<Value> {
    Json(json!({"index": r.index, "leaf_hash": r.leaf_hash, "checkpoint": r.checkpoint}))
}

fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Actor, ApiError> {
    state.tokens.authenticate(headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token of the scheme operator or a certifying body is required",
        )
    })
}

async fn post_event(
    State(state): State<Arc<AppState>>,
    Path(event_type): Path<String>,
    headers: HeaderMap,
    body: Result<Json<WriteRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = authenticate(&state, &headers)?;
    if !EVENT_TYPES.contains(&event_type.as_str()) {
        return Err(ApiError::not_found(
            "unknown_event_type",
            format!("no event type \"{event_type}\""),
        ));
    }
    if event_type.starts_with("log.") {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_for_role",
            "log events are written by the log itself; use /admin/log/rotate-key",
        ));
    }
    let Json(req) = body.map_err(|e| ApiError::bad_request("invalid_request", e.body_text()))?;
    let kind: EventKind = serde_json::from_value(json!({"type": event_type, "body": req.body}))
        .map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_event",
                format!("{event_type}: {e}"),
            )
        })?;
    if actor.role == ActorRole::CertifyingBody {
        let allowed = cab_may_write(&kind) && {
            let r: &CertificateRef = match &kind {
                EventKind::CertificateSuspended(r)
                | EventKind::CertificateReinstated(r)
                | EventKind::CertificateWithdrawn(r)
                | EventKind::CertificateExpired(r) => r,
                _ => unreachable!("cab_may_write admits certificate state events only"),
            };
            let log = state.registry.log().await?;
            log.register()
                .certificate_body(&r.entry_id, &r.certificate_number)
                == Some(actor.id.as_str())
        };
        if !allowed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_for_role",
                format!(
                    "certifying body \"{}\" may only change the state of certificates it issued",
                    actor.id
                ),
            ));
        }
    }
    let event = Event {
        occurred_at: req.occurred_at.unwrap_or_else(OffsetDateTime::now_utc),
        logged_at: None,
        actor,
        legal_basis: req.legal_basis,
        evidence: req.evidence,
        kind,
    };
    let receipt = state.registry.append(event).await?;
    Ok((StatusCode::CREATED, receipt_json(&receipt)))
}

async fn rotate_key(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = authenticate(&state, &headers)?;
    if actor.role != ActorRole::SchemeOperator {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden_for_role",
            "only the scheme operator may rotate the log key",
        ));
    }
    let receipt = state.registry.rotate_log_key().await?;
    Ok((StatusCode::CREATED, receipt_json(&receipt)))
}
