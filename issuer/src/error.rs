//! The one error type of the HTTP layer: each failure maps to the status and JSON body the
//! specification names (RFC 6749 section 5.2, RFC 6750 section 3, RFC 9449 section 7,
//! OpenID4VCI 1.0 sections 8.3.1 and 11.3). Descriptions never carry personal data.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `error` code.
    pub code: &'static str,
    /// `error_description` (ASCII, no personal data).
    pub description: String,
    /// `WWW-Authenticate` scheme for 401 responses (`Bearer` or `DPoP`).
    pub challenge: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            description: description.into(),
            challenge: None,
        }
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    /// 400 `invalid_grant`.
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    /// 400 `invalid_client`.
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_client", d)
    }
    /// 401 `invalid_client`: client authentication (a wallet attestation) failed or was
    /// missing where required (RFC 6749 section 5.2).
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }
    /// 503 `temporarily_unavailable` (RFC 6749 §4.1.2.1): a bound is reached; try later.
    pub fn temporarily_unavailable(d: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            d,
        )
    }
    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    /// 400 `invalid_dpop_proof` (token endpoint and PAR).
    pub fn invalid_dpop_proof(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", d)
    }
    /// 401 `invalid_dpop_proof` at a protected resource, with a `DPoP` challenge.
    pub fn resource_invalid_dpop_proof(d: impl Into<String>) -> Self {
        ApiError {
            challenge: Some("DPoP"),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_dpop_proof", d)
        }
    }
    /// 401 `invalid_token`, with a challenge of the token's scheme.
    pub fn invalid_token(scheme: &'static str, d: impl Into<String>) -> Self {
        ApiError {
            challenge: Some(scheme),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_token", d)
        }
    }
    /// 400 `invalid_credential_request`.
    pub fn invalid_credential_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_credential_request", d)
    }
    /// 400 `unknown_credential_configuration`.
    pub fn unknown_credential_configuration(d: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unknown_credential_configuration",
            d,
        )
    }
    /// 400 `unknown_credential_identifier`.
    pub fn unknown_credential_identifier(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unknown_credential_identifier", d)
    }
    /// 400 `invalid_proof`.
    pub fn invalid_proof(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_proof", d)
    }
    /// 400 `invalid_nonce`.
    pub fn invalid_nonce(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_nonce", d)
    }
    /// 400 `invalid_encryption_parameters`.
    pub fn invalid_encryption_parameters(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_encryption_parameters", d)
    }
    /// 400 `credential_request_denied`.
    pub fn credential_request_denied(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "credential_request_denied", d)
    }
    /// 400 `invalid_notification_id`.
    pub fn invalid_notification_id(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_notification_id", d)
    }
    /// 400 `invalid_notification_request`.
    pub fn invalid_notification_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_notification_request", d)
    }
    /// 413 for a body over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            format!("the request body is larger than {limit} bytes"),
        )
    }
    /// 401 for the admin API.
    pub fn unauthorized_admin() -> Self {
        ApiError {
            challenge: Some("Bearer"),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "admin token required",
            )
        }
    }
    /// 404.
    pub fn not_found(d: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", d)
    }
    /// 500: the detail goes to the log, not to the client.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }
}

/// An OpenID4VCI error (every code is HTTP 400, OpenID4VCI 1.0 sections 8.3.1.2, 11.3).
impl From<credentials::openid4vci::VciError> for ApiError {
    fn from(e: credentials::openid4vci::VciError) -> Self {
        Self::new(StatusCode::BAD_REQUEST, e.code.as_str(), e.description)
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut resp = (self.status, axum::Json(body)).into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(scheme) = self.challenge {
            let v = format!(
                "{scheme} error=\"{}\", error_description=\"{}\"{}",
                self.code,
                self.description.replace('"', "'"),
                if scheme == "DPoP" {
                    ", algs=\"ES256 ES384 EdDSA\""
                } else {
                    ""
                }
            );
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}
