//! Public, cacheable documents: Token Status Lists (JWT or CWT by `Accept`), credential
//! offers by reference and their QR codes, and the IACA certificate for mdoc verifiers.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use credentials::status::token_status_list::{CWT_MEDIA_TYPE, JWT_MEDIA_TYPE};
use credentials::status::{StatusList, StatusListToken};

use super::Shared;
use crate::error::ApiError;

pub(super) fn router() -> Router<Shared> {
    Router::new()
        .route("/status/{list}", get(status_list))
        .route("/offers/{id}", get(offer))
        .route("/offers/{id}/qr.svg", get(offer_qr))
        .route("/iaca.pem", get(iaca))
}

/// The signed Status List Token of list `list_id` (JWT, or CWT when `cwt`).
pub async fn status_token(
    s: &super::Issuer,
    list_id: i64,
    cwt: bool,
) -> Result<Option<Vec<u8>>, ApiError> {
    let Some((size, bits, entries)) = s.store.status_list(list_id).await? else {
        return Ok(None);
    };
    let mut list = StatusList::new(bits as u8, size as u64).map_err(ApiError::internal)?;
    for (idx, status) in entries {
        list.set(idx as u64, status as u8)
            .map_err(ApiError::internal)?;
    }
    let now = crate::util::now();
    let token = StatusListToken {
        sub: s.config.endpoint(&format!("/status/{list_id}")),
        iat: now,
        exp: Some(now + s.config.status_token_validity),
        ttl: Some(s.config.status_ttl as u64),
        list,
    };
    let key = s.keys.active();
    Ok(Some(if cwt {
        token
            .sign_cwt_with_x5chain(key.signer.as_ref(), &key.x5c)
            .map_err(ApiError::internal)?
    } else {
        token
            .sign_jwt_with_x5c(key.signer.as_ref(), &key.x5c)
            .map_err(ApiError::internal)?
            .into_bytes()
    }))
}

async fn status_list(
    State(s): State<Shared>,
    Path(list): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let list_id: i64 = list
        .parse()
        .map_err(|_| ApiError::not_found("no such status list"))?;
    let cwt = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(CWT_MEDIA_TYPE));
    let body = status_token(&s, list_id, cwt)
        .await?
        .ok_or_else(|| ApiError::not_found("no such status list"))?;
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if cwt { CWT_MEDIA_TYPE } else { JWT_MEDIA_TYPE }),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={}", s.config.status_ttl)) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(r)
}

async fn offer(State(s): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let doc = s
        .store
        .offer_document(&id, crate::util::now())
        .await?
        .ok_or_else(|| ApiError::not_found("no such offer, or it was used or expired"))?;
    let mut r = (StatusCode::OK, doc).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The `openid-credential-offer://` link of an offer by reference.
pub fn offer_link(s: &super::Issuer, offer_id: &str) -> String {
    let uri = s.config.endpoint(&format!("/offers/{offer_id}"));
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("credential_offer_uri", &uri)
        .finish();
    format!("openid-credential-offer://?{q}")
}

/// An SVG QR code of `text`.
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(ApiError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .build())
}

async fn offer_qr(State(s): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    s.store
        .offer_document(&id, crate::util::now())
        .await?
        .ok_or_else(|| ApiError::not_found("no such offer, or it was used or expired"))?;
    let svg = qr_svg(&offer_link(&s, &id))?;
    let mut r = (StatusCode::OK, svg).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

async fn iaca(State(s): State<Shared>) -> Response {
    let mut r = (StatusCode::OK, s.keys.iaca().to_pem()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-pem-file"),
    );
    r
}
