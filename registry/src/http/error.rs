//! The one error type of the HTTP API: a specific code, a message, and the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::service::ServiceError;

/// An API error: `{"error": code, "message": ...}` with an HTTP status.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 404 with a code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.code, "message": self.message})),
        )
            .into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if let Some(r) = e.register_error() {
            let status = if matches!(r, trust_framework::register::RegisterError::BadRetention(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else if r.is_conflict() {
                StatusCode::CONFLICT
            } else {
                StatusCode::NOT_FOUND
            };
            return ApiError::new(status, r.code(), r.to_string());
        }
        if let ServiceError::Refused(r) = &e {
            return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string());
        }
        if let ServiceError::Store(crate::store::StoreError::Log(
            trust_framework::log::LogError::LeafTooLong(_),
        )) = &e
        {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "entry_too_long",
                e.to_string(),
            );
        }
        tracing::error!(error = %e, "registry failure");
        match e {
            ServiceError::Store(crate::store::StoreError::LogKeyUnavailable(_)) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "log_key_unavailable",
                e.to_string(),
            ),
            _ => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage_error",
                e.to_string(),
            ),
        }
    }
}
