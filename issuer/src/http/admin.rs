//! The admin API for the identity provider's back office (bearer token, compared in constant
//! time): subjects and their verified attributes and GPG 45 profile, credential offers,
//! sign-in codes for the authorization code flow, credential status, key rotation.
//! Logs carry ids, never attribute values.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::status::{offer_link, qr_svg};
use super::{read_body, Shared};
use crate::configurations;
use crate::error::ApiError;
use crate::http::oauth::PRE_AUTHORIZED_GRANT;
use crate::util::{ct_eq, random_digits, random_token, sha256_hex};

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route(
            "/admin/subjects/{id}",
            put(put_subject).patch(patch_subject),
        )
        .route("/admin/subjects/{id}/credentials", get(list_credentials))
        .route("/admin/subjects/{id}/sign-in-codes", post(sign_in_code))
        .route("/admin/offers", post(create_offer))
        .route("/admin/credentials/{id}/status", post(set_status))
        .route("/admin/keys/rotate", post(rotate))
        .route("/admin/clients", post(register_client).get(list_clients))
}

/// Registers (or replaces) a wallet as an OAuth client with its exact redirect URIs:
/// `{"client_id", "name", "redirect_uris": [...]}`. Each redirect URI is an absolute
/// `https` URI (or `http` to loopback, or a custom scheme for an app), without a fragment.
async fn register_client(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    let body = read_body(req, s.config.max_body).await?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid_request("the body is not JSON"))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().trim();
    let client_id = text("client_id");
    if client_id.is_empty() || client_id.len() > 255 {
        return Err(ApiError::invalid_request(
            "client_id is 1 to 255 characters",
        ));
    }
    let name = text("name");
    if name.is_empty() || name.len() > 120 {
        return Err(ApiError::invalid_request("name is 1 to 120 characters"));
    }
    let uris: Vec<String> = v
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if uris.is_empty() || uris.len() > 10 {
        return Err(ApiError::invalid_request(
            "redirect_uris lists 1 to 10 URIs",
        ));
    }
    for u in &uris {
        let ok = url::Url::parse(u).is_ok_and(|p| {
            p.fragment().is_none()
                && u.len() <= 2048
                && match p.scheme() {
                    "https" => p.host().is_some(),
                    "http" => matches!(p.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
                    "javascript" | "data" | "file" | "vbscript" => false,
                    _ => true,
                }
        });
        if !ok {
            return Err(ApiError::invalid_request(format!(
                "redirect URI {u:?} is not an absolute https (or loopback http, or app) URI without a fragment"
            )));
        }
    }
    let client = crate::store::OAuthClient {
        client_id: client_id.to_string(),
        name: name.to_string(),
        redirect_uris: uris,
    };
    s.store.register_client(&client, crate::util::now()).await?;
    tracing::info!(client = %client.client_id, "OAuth client registered");
    Ok((StatusCode::CREATED, Json(json!(client))).into_response())
}

async fn list_clients(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    Ok(Json(json!({ "clients": s.store.clients().await? })).into_response())
}

/// Refuses a request without the admin bearer token.
pub(super) fn check_admin(s: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compare digests so that the comparison takes the same time whatever the length.
    let a = sha256_hex(given.as_bytes());
    let b = sha256_hex(s.admin_token.as_bytes());
    if given.is_empty() || !ct_eq(a.as_bytes(), b.as_bytes()) {
        tracing::warn!("admin request refused: bad token");
        return Err(ApiError::unauthorized_admin());
    }
    Ok(())
}

fn check_subject_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ApiError::invalid_request(
            "a subject id is 1 to 64 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    Ok(())
}

async fn json_body(s: &Shared, req: Request) -> Result<Value, ApiError> {
    let body = read_body(req, s.config.max_body).await?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(ApiError::invalid_request("the body is not a JSON object")),
    }
}

fn attributes_and_profile(
    v: &Value,
) -> Result<(serde_json::Map<String, Value>, Option<String>), ApiError> {
    let attributes = v
        .get("attributes")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| ApiError::invalid_request("attributes (an object) is required"))?;
    let profile = match v.get("gpg45_profile") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()) => {
            Some(p.clone())
        }
        Some(_) => return Err(ApiError::invalid_request("gpg45_profile must be like M1B")),
    };
    Ok((attributes, profile))
}

async fn put_subject(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    check_subject_id(&id)?;
    let v = json_body(&s, req).await?;
    let (attributes, profile) = attributes_and_profile(&v)?;
    let created = s
        .store
        .put_subject(
            &id,
            &Value::Object(attributes),
            profile.as_deref(),
            crate::util::now(),
        )
        .await?;
    tracing::info!(subject = %vouch_ops::log::id_digest(&id), created, "subject stored");
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(json!({ "subject_id": id })),
    )
        .into_response())
}

async fn patch_subject(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    check_subject_id(&id)?;
    let v = json_body(&s, req).await?;
    let (attributes, profile) = attributes_and_profile(&v)?;
    if !s
        .store
        .merge_subject(&id, &attributes, profile.as_deref(), crate::util::now())
        .await?
    {
        return Err(ApiError::not_found("no such subject"));
    }
    tracing::info!(subject = %vouch_ops::log::id_digest(&id), "subject attributes attached");
    Ok(Json(json!({ "subject_id": id })).into_response())
}

async fn list_credentials(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    let list = s.store.credentials_of(&id).await?;
    Ok(Json(json!({ "credentials": list })).into_response())
}

async fn sign_in_code(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    if s.store.subject(&id).await?.is_none() {
        return Err(ApiError::not_found("no such subject"));
    }
    let code = random_digits(8);
    let ttl = s.config.offer_validity;
    s.store
        .insert_sign_in_code(&sha256_hex(code.as_bytes()), &id, crate::util::now() + ttl)
        .await?;
    tracing::info!(subject = %vouch_ops::log::id_digest(&id), "sign-in code created");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "sign_in_code": code, "expires_in": ttl })),
    )
        .into_response())
}

async fn create_offer(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    let v = json_body(&s, req).await?;
    let subject_id = v
        .get("subject_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_request("subject_id is required"))?;
    if s.store.subject(subject_id).await?.is_none() {
        return Err(ApiError::not_found("no such subject"));
    }
    let ids: Vec<String> = v
        .get("credential_configuration_ids")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::invalid_request("credential_configuration_ids is required"))?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::invalid_request("credential_configuration_ids are strings"))?;
    for id in &ids {
        if configurations::find(id).is_none() {
            return Err(ApiError::invalid_request(format!(
                "unknown credential configuration {id}"
            )));
        }
    }
    let flag = |k: &str, default: bool| v.get(k).and_then(Value::as_bool).unwrap_or(default);
    let pre_authorized = flag("pre_authorized", true);
    let with_tx_code = pre_authorized && flag("tx_code", true);
    let authorization_code = flag("authorization_code", !pre_authorized);
    let now = crate::util::now();
    let expires_at = now + s.config.offer_validity;
    let offer_id = random_token();
    let pre_code = pre_authorized.then(random_token);
    let tx_code = with_tx_code.then(|| random_digits(s.config.tx_code_length));
    let issuer_state = authorization_code.then(random_token);
    let mut grants = serde_json::Map::new();
    if let Some(code) = &pre_code {
        let mut g = json!({ "pre-authorized_code": code });
        if tx_code.is_some() {
            g["tx_code"] = json!({
                "input_mode": "numeric",
                "length": s.config.tx_code_length,
                "description": "Enter the code we sent you by text message",
            });
        }
        grants.insert(PRE_AUTHORIZED_GRANT.into(), g);
    }
    if let Some(state) = &issuer_state {
        grants.insert(
            "authorization_code".into(),
            json!({ "issuer_state": state }),
        );
    }
    let offer = json!({
        "credential_issuer": s.config.issuer_url,
        "credential_configuration_ids": ids,
        "grants": grants,
    });
    s.store
        .insert_offer(
            &offer_id,
            subject_id,
            &ids,
            pre_code
                .as_deref()
                .map(|c| sha256_hex(c.as_bytes()))
                .as_deref(),
            tx_code
                .as_deref()
                .map(|c| sha256_hex(c.as_bytes()))
                .as_deref(),
            tx_code.as_ref().map(|c| c.len() as i64),
            issuer_state.as_deref(),
            &offer.to_string(),
            expires_at,
            now,
        )
        .await?;
    tracing::info!(
        subject = %vouch_ops::log::id_digest(subject_id),
        offer = %vouch_ops::log::id_digest(&offer_id),
        "credential offer created"
    );
    let by_value = format!(
        "openid-credential-offer://?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("credential_offer", &offer.to_string())
            .finish()
    );
    let link = offer_link(&s, &offer_id);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "offer_id": offer_id,
            "credential_offer": offer,
            "credential_offer_uri": s.config.endpoint(&format!("/offers/{offer_id}")),
            "offer_url": link,
            "offer_url_by_value": by_value,
            "qr_svg_url": s.config.endpoint(&format!("/offers/{offer_id}/qr.svg")),
            "qr_svg": qr_svg(&link)?,
            "tx_code": tx_code,
            "expires_at": expires_at,
        })),
    )
        .into_response())
}

async fn set_status(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    let v = json_body(&s, req).await?;
    let status = match v.get("status").and_then(Value::as_str) {
        Some("valid") => credentials::status::VALID,
        Some("revoked") | Some("invalid") => credentials::status::INVALID,
        Some("suspended") => credentials::status::SUSPENDED,
        _ => {
            return Err(ApiError::invalid_request(
                "status must be valid, revoked or suspended",
            ))
        }
    };
    if !s.store.set_status(&id, i64::from(status)).await? {
        return Err(ApiError::not_found("no such credential"));
    }
    tracing::info!(credential = %vouch_ops::log::id_digest(&id), status, "credential status changed");
    Ok(Json(json!({ "credential_id": id, "status": status })).into_response())
}

async fn rotate(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    check_admin(&s, &headers)?;
    let old = s.keys.active().kid.clone();
    let until = s.store.last_expiry_for_kid(&old).await?.unwrap_or(0).max(
        crate::util::now()
            + s.config
                .credential_validity
                .max(s.config.status_token_validity)
            + 60,
    );
    let kid = s.keys.rotate(until).map_err(ApiError::internal)?;
    tracing::info!(old = %old, new = %kid, "signing key rotated");
    Ok(
        Json(json!({ "kid": kid, "previous": old, "previous_published_until": until }))
            .into_response(),
    )
}
