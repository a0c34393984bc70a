//! The public read API: entries and their history, relying parties, the snapshot, the
//! VICAL-style IACA list, and the log (checkpoint, entries, proofs). No authentication.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::AppState;
use crate::store::hex;
use trust_framework::events::Event;
use trust_framework::snapshot::hashes_to_b64;

/// The read routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/entries", get(entries))
        .route("/entries/{entry_id}", get(entry))
        .route("/entries/{entry_id}/history", get(history))
        .route("/relying-parties", get(relying_parties))
        .route("/registrar/status", get(registration_status))
        .route("/relying-parties/{id}", get(relying_party))
        .route(
            "/relying-parties/{id}/registration-certificate",
            get(registration_certificate),
        )
        .route("/snapshot", get(snapshot))
        .route("/vical", get(vical))
        .route("/vical.cbor", get(vical_cbor))
        .route("/keys", get(keys))
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/checkpoints", get(checkpoints))
        .route("/log/entries/{index}", get(log_entry))
        .route("/log/proof/inclusion", get(inclusion))
        .route("/log/proof/consistency", get(consistency))
        .route("/log/tile/{*path}", get(tile))
}

/// `GET /vical.cbor`: the ISO/IEC 18013-5 Annex C VICAL (`COSE_Sign1`).
async fn vical_cbor(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok((
        [(header::CONTENT_TYPE, "application/cose")],
        s.registry.vical_cbor().await?,
    )
        .into_response())
}

/// `GET /log/tile/...`: the log as C2SP `tlog-tiles` (hash tiles and entry bundles). Full
/// tiles never change and are cached for a year; partial ones for ten seconds.
async fn tile(
    State(s): State<Arc<AppState>>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    use trust_framework::tiles::{entry_bundle, hash_tile, TileError, TileRef};
    let t = TileRef::parse(&format!("tile/{path}"))
        .map_err(|_| ApiError::not_found("not_a_tile", format!("no tile at tile/{path}")))?;
    let log = s.registry.log().await?;
    let body = match t.level {
        Some(_) => hash_tile(log.tree(), &t),
        None => entry_bundle(|i| log.leaf(i), &t),
    }
    .map_err(|e| match e {
        TileError::EntryTooLong(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "entry_too_long",
            e.to_string(),
        ),
        _ => ApiError::not_found(
            "tile_not_found",
            format!("the log of size {} has no {}", log.len(), t.path()),
        ),
    })?;
    let cache = if t.partial.is_some() {
        "public, max-age=10"
    } else {
        "public, max-age=31536000, immutable"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response())
}

fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn healthz(State(s): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let size = s
        .registry
        .store
        .size()
        .await
        .map_err(crate::service::ServiceError::from)?;
    Ok(Json(json!({"status": "ok", "log_size": size})))
}

async fn entries(State(s): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let log = s.registry.log().await?;
    let entries: Vec<&trust_framework::register::Entry> = log.register().entries.values().collect();
    Ok(Json(json!({"log_size": log.len(), "entries": entries})))
}

async fn entry(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let log = s.registry.log().await?;
    let e = log.register().entries.get(&id).ok_or_else(|| {
        ApiError::not_found("unknown_entry", format!("no register entry \"{id}\""))
    })?;
    Ok(Json(serde_json::to_value(e).unwrap_or_default()))
}

async fn history(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let log = s.registry.log().await?;
    let e = log.register().entries.get(&id).ok_or_else(|| {
        ApiError::not_found("unknown_entry", format!("no register entry \"{id}\""))
    })?;
    let items: Vec<Value> = e
        .history
        .iter()
        .map(|&i| {
            let ev: &Event = &log.events()[i as usize];
            json!({"index": i, "leaf_hash": hex(&log.tree().leaf(i).unwrap_or_default()), "event": ev})
        })
        .collect();
    Ok(Json(
        json!({"entry_id": id, "log_size": log.len(), "history": items}),
    ))
}

async fn relying_parties(State(s): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let log = s.registry.log().await?;
    let rps: Vec<_> = log.register().relying_parties.values().collect();
    Ok(Json(json!({"relying_parties": rps})))
}

async fn relying_party(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let log = s.registry.log().await?;
    let rp = log.register().relying_parties.get(&id).ok_or_else(|| {
        ApiError::not_found(
            "unknown_relying_party",
            format!("no relying party \"{id}\""),
        )
    })?;
    Ok(Json(serde_json::to_value(rp).unwrap_or_default()))
}

/// The relying party's registration certificate (`rc-wrp+jwt`, ETSI TS 119 475), issued
/// now from the register; 404 for an unknown or removed relying party.
async fn registration_certificate(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rc = s
        .registry
        .registration_certificate(&id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_relying_party",
                format!("no relying party \"{id}\" on the register"),
            )
        })?;
    Ok(text("application/rc-wrp+jwt", rc))
}

/// The registrar's status list of registration certificates (`statuslist+jwt`).
async fn registration_status(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(text(
        credentials::status::token_status_list::JWT_MEDIA_TYPE,
        s.registry.registration_status().await?,
    ))
}

async fn snapshot(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(text("application/jwt", s.registry.snapshot().await?.jws))
}

async fn vical(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(text("application/jwt", s.registry.vical().await?))
}

async fn keys(State(s): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let log = s.registry.log().await?;
    Ok(Json(json!({
        "origin": log.register().origin,
        "log_keys": log.register().log_keys,
        "snapshot_key": s.registry.snapshot_jwk(),
        "vical_certificate": s.registry.vical_certificate(),
        "registrar_ca": s.registry.registrar_ca().to_pem(),
    })))
}

async fn checkpoint(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(text(
        "text/plain; charset=utf-8",
        s.registry.checkpoint().await?,
    ))
}

#[derive(Deserialize)]
struct FromQuery {
    from: Option<u64>,
}

async fn checkpoints(
    State(s): State<Arc<AppState>>,
    Query(q): Query<FromQuery>,
) -> Result<Json<Value>, ApiError> {
    let all = s
        .registry
        .store
        .checkpoints()
        .await
        .map_err(crate::service::ServiceError::from)?;
    let from = q.from.unwrap_or(0);
    let list: Vec<Value> = all
        .into_iter()
        .filter(|(n, _)| *n >= from)
        .map(|(n, c)| json!({"size": n, "checkpoint": c}))
        .collect();
    Ok(Json(json!({"checkpoints": list})))
}

async fn log_entry(
    State(s): State<Arc<AppState>>,
    Path(index): Path<u64>,
) -> Result<Response, ApiError> {
    let log = s.registry.log().await?;
    let leaf = log.leaf(index).ok_or_else(|| {
        ApiError::not_found(
            "index_out_of_range",
            format!("log entry {index} does not exist (size {})", log.len()),
        )
    })?;
    Ok(text(
        "application/json",
        String::from_utf8_lossy(leaf).into_owned(),
    ))
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: Option<u64>,
}

async fn inclusion(
    State(s): State<Arc<AppState>>,
    q: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let log = s.registry.log().await?;
    let size = q.size.unwrap_or(log.len());
    let proof = log
        .inclusion_proof(q.index, size)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "proof_out_of_range", e.to_string()))?;
    Ok(Json(json!({
        "index": q.index,
        "size": size,
        "leaf_hash": hex(&log.tree().leaf(q.index).unwrap_or_default()),
        "root": hashes_to_b64(&[log.tree().root_at(size).unwrap_or_default()])[0],
        "proof": hashes_to_b64(&proof),
    })))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

async fn consistency(
    State(s): State<Arc<AppState>>,
    q: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let log = s.registry.log().await?;
    let to = q.to.unwrap_or(log.len());
    let proof = log
        .consistency_proof(q.from, to)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "proof_out_of_range", e.to_string()))?;
    Ok(Json(
        json!({"from": q.from, "to": to, "proof": hashes_to_b64(&proof)}),
    ))
}
