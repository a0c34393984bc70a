//! OpenID for Verifiable Presentations 1.0: the signed request object, client identifier
//! prefixes, the `vp_token` response, `direct_post` / `direct_post.jwt`, and the errors the
//! spec names. Shared by the wallet (holder) and the verifier; no network here.

mod client_id;
mod request;
mod response;

pub use client_id::ClientId;
pub use request::{AuthorizationRequest, RequestObjectError, VerifiedRequest, REQUEST_OBJECT_TYP};
pub use response::{AuthorizationResponse, ResponseError};

/// The audience of a request object under static discovery (OpenID4VP 1.0 section 5.8).
pub const SELF_ISSUED_AUDIENCE: &str = "https://self-issued.me/v2";

/// OAuth / OpenID4VP error codes a wallet sends back to the verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalletError {
    /// The person declined (`access_denied`).
    AccessDenied,
    /// The request is malformed or asks something this wallet will not do.
    InvalidRequest,
    /// The verifier could not be authenticated (client id, signature, certificate).
    InvalidClient,
    /// No requested format is supported.
    VpFormatsNotSupported,
    /// `request_uri_method` is not supported.
    InvalidRequestUriMethod,
}

impl WalletError {
    /// The `error` value.
    pub fn code(self) -> &'static str {
        match self {
            WalletError::AccessDenied => "access_denied",
            WalletError::InvalidRequest => "invalid_request",
            WalletError::InvalidClient => "invalid_client",
            WalletError::VpFormatsNotSupported => "vp_formats_not_supported",
            WalletError::InvalidRequestUriMethod => "invalid_request_uri_method",
        }
    }
}
