//! The protected resource: the nonce endpoint, the credential endpoint (key proofs, batch
//! issuance, encrypted requests and responses) and the notification endpoint.
//!
//! A credential request is checked in full (token, DPoP, body, encryption parameters, every
//! key proof, the subject's claims) before anything is written; then one transaction
//! consumes the nonce, records the DPoP `jti`, takes the status indices and records the
//! credentials; only then are they signed and returned.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use credentials::jose::jwe::{self, Enc};
use credentials::openid4vci::{CredentialRequest, NonceResponse, NotificationRequest};
use serde_json::{Map, Value};

use super::{freshness, no_store, read_body, single_header, Shared};
use crate::error::ApiError;
use crate::issue::Authorization;
use crate::proofs::verify_dpop;
use crate::util::sha256_hex;

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/nonce", post(nonce))
        .route("/credential", post(credential))
        .route("/notification", post(notification))
}

/// Mints a `c_nonce` without a write: it is authenticated, and made single use where it is
/// redeemed (see [`crate::proofs::nonce`]).
async fn nonce(State(s): State<Shared>) -> Result<Response, ApiError> {
    let n = s
        .store
        .nonce_key()
        .mint(crate::util::now() + s.config.nonce_validity);
    Ok(no_store(StatusCode::OK, Json(NonceResponse { c_nonce: n })))
}

/// Checks the access token and, for a DPoP-bound token, the DPoP proof for `path`; with
/// `with_subject`, reads the subject in the same query as the token.
async fn authorize(
    s: &Shared,
    headers: &HeaderMap,
    path: &str,
    with_subject: bool,
) -> Result<Authorization, ApiError> {
    let auth = single_header(headers, header::AUTHORIZATION.as_str())?
        .ok_or_else(|| ApiError::invalid_token("Bearer", "an access token is required"))?;
    let (scheme, token) = auth
        .split_once(' ')
        .ok_or_else(|| ApiError::invalid_token("Bearer", "malformed Authorization header"))?;
    let scheme = if scheme.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else if scheme.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        return Err(ApiError::invalid_token(
            "Bearer",
            "unsupported authorization scheme",
        ));
    };
    let token = token.trim();
    let token_hash = sha256_hex(token.as_bytes());
    let now = crate::util::now();
    let found = if with_subject {
        s.store.token_with_subject(&token_hash, now).await?
    } else {
        s.store.token(&token_hash, now).await?.map(|g| (g, None))
    };
    let (grant, subject) = found
        .ok_or_else(|| ApiError::invalid_token(scheme, "the access token is unknown or expired"))?;
    let dpop = match (&grant.dpop_jkt, scheme) {
        (Some(jkt), "DPoP") => {
            let proof = single_header(headers, "dpop")?
                .ok_or_else(|| ApiError::resource_invalid_dpop_proof("a DPoP proof is required"))?;
            let p = verify_dpop(
                proof,
                "POST",
                &s.config.endpoint(path),
                Some(token),
                freshness(&s.config),
            )
            .map_err(|e| ApiError::resource_invalid_dpop_proof(e.0))?;
            if !crate::util::ct_eq(p.jkt.as_bytes(), jkt.as_bytes()) {
                return Err(ApiError::resource_invalid_dpop_proof(
                    "the DPoP proof is signed by another key than the token is bound to",
                ));
            }
            Some(p)
        }
        (Some(_), _) => {
            return Err(ApiError::invalid_token(
                "DPoP",
                "a DPoP-bound token must be presented with the DPoP scheme",
            ))
        }
        (None, "DPoP") => {
            return Err(ApiError::invalid_token(
                "DPoP",
                "the access token is not DPoP-bound",
            ))
        }
        (None, _) => None,
    };
    Ok(Authorization {
        grant,
        token_hash,
        dpop,
        subject,
    })
}

/// The request body as a JSON object, decrypting an `application/jwt` (JWE) request.
fn request_object(
    s: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Map<String, Value>, bool), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (bytes, encrypted) = match ct.as_str() {
        "application/jwt" => {
            let text = std::str::from_utf8(body).map_err(|_| {
                ApiError::invalid_encryption_parameters("the request JWE is not text")
            })?;
            let (header, plain) = jwe::decrypt(
                text.trim(),
                s.keys.encryption_key(),
                &[Enc::A128Gcm, Enc::A256Gcm],
            )
            .map_err(|e| {
                ApiError::invalid_encryption_parameters(format!(
                    "the request does not decrypt: {e}"
                ))
            })?;
            if header.kid().is_some_and(|k| k != s.keys.encryption_kid()) {
                return Err(ApiError::invalid_encryption_parameters(
                    "the request is encrypted to an unknown key",
                ));
            }
            (plain, true)
        }
        "application/json" | "" => (body.to_vec(), false),
        _ => {
            return Err(ApiError::invalid_credential_request(
                "Content-Type must be application/json or application/jwt",
            ))
        }
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok((m, encrypted)),
        _ => Err(ApiError::invalid_credential_request(
            "the body is not a JSON object",
        )),
    }
}

async fn credential(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let auth = authorize(&s, &headers, "/credential", true).await?;
    let body = read_body(req, s.config.max_body).await?;
    let (object, encrypted) = request_object(&s, &headers, &body)?;
    let request = CredentialRequest::from_json(&object)?;
    let issued = s.issue(auth, &request, encrypted).await?;
    let body = serde_json::to_value(&issued.response).map_err(ApiError::internal)?;
    match issued.encryption {
        None => Ok(no_store(StatusCode::OK, Json(body))),
        Some(e) => {
            let mut extra = Map::new();
            if let Some(kid) = e.kid {
                extra.insert("kid".into(), kid.into());
            }
            let jwe = jwe::encrypt(body.to_string().as_bytes(), &e.key, e.enc, &extra)
                .map_err(ApiError::internal)?;
            let mut r = (StatusCode::OK, jwe).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwt"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
    }
}

async fn notification(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    let auth = authorize(&s, &headers, "/notification", false).await?;
    if let Some(d) = &auth.dpop {
        if !s.store.use_dpop_jti(&d.jti_hash, d.jti_expires_at).await? {
            return Err(ApiError::resource_invalid_dpop_proof(
                "the DPoP proof was used before",
            ));
        }
    }
    let body = read_body(req, s.config.max_body).await?;
    let n = NotificationRequest::from_slice(&body)?;
    let (id, event) = (n.notification_id.as_str(), n.event.as_str());
    if !s
        .store
        .notify(id, &auth.token_hash, event, crate::util::now())
        .await?
    {
        return Err(ApiError::invalid_notification_id("unknown notification_id"));
    }
    tracing::info!(event, "notification received");
    Ok(StatusCode::NO_CONTENT.into_response())
}
