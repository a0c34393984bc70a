//! The error codes of the credential endpoint (OpenID4VCI 1.0 section 8.3.1.2) and the
//! notification endpoint (section 11.3), and [`VciError`], which carries one with a
//! description. Every code is answered with HTTP 400; the OAuth 2.0 bearer-token errors
//! (`invalid_token`, 401) belong to the resource server, not to this vocabulary.

use std::fmt;
use std::str::FromStr;

/// An error code of the credential or notification endpoint.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is missing a parameter, repeats one, or is otherwise malformed.
    InvalidCredentialRequest,
    /// The requested `credential_configuration_id` is unknown.
    UnknownCredentialConfiguration,
    /// The requested `credential_identifier` is unknown.
    UnknownCredentialIdentifier,
    /// The `proofs` are missing or a key proof is invalid.
    InvalidProof,
    /// A key proof carries no `c_nonce`, or one the issuer did not issue or already redeemed.
    InvalidNonce,
    /// The encryption parameters are invalid or missing.
    InvalidEncryptionParameters,
    /// The issuer will not issue this credential to this wallet (the subject's data, policy).
    CredentialRequestDenied,
    /// The `notification_id` is unknown.
    InvalidNotificationId,
    /// The notification request is malformed.
    InvalidNotificationRequest,
}

impl ErrorCode {
    /// Every code, in the order the specification lists them.
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::InvalidCredentialRequest,
        ErrorCode::UnknownCredentialConfiguration,
        ErrorCode::UnknownCredentialIdentifier,
        ErrorCode::InvalidProof,
        ErrorCode::InvalidNonce,
        ErrorCode::InvalidEncryptionParameters,
        ErrorCode::CredentialRequestDenied,
        ErrorCode::InvalidNotificationId,
        ErrorCode::InvalidNotificationRequest,
    ];

    /// The `error` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidCredentialRequest => "invalid_credential_request",
            ErrorCode::UnknownCredentialConfiguration => "unknown_credential_configuration",
            ErrorCode::UnknownCredentialIdentifier => "unknown_credential_identifier",
            ErrorCode::InvalidProof => "invalid_proof",
            ErrorCode::InvalidNonce => "invalid_nonce",
            ErrorCode::InvalidEncryptionParameters => "invalid_encryption_parameters",
            ErrorCode::CredentialRequestDenied => "credential_request_denied",
            ErrorCode::InvalidNotificationId => "invalid_notification_id",
            ErrorCode::InvalidNotificationRequest => "invalid_notification_request",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

/// A refused OpenID4VCI message: the code and an ASCII description without personal data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct VciError {
    /// The error code.
    pub code: ErrorCode,
    /// The `error_description`.
    pub description: String,
}

impl VciError {
    /// An error with `code` and `description`.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        VciError {
            code,
            description: description.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_from_its_wire_value_and_no_other_string_does() {
        for c in ErrorCode::ALL {
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
        }
        assert!("invalid_token".parse::<ErrorCode>().is_err());
        assert!("Invalid_Proof".parse::<ErrorCode>().is_err());
    }
}
