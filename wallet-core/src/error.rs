//! The wallet's errors: each names what failed so the app can tell the person what to do.

use credentials::openid4vp::WalletError;

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The platform key store could not wrap or unwrap the database key.
    #[error("key store: {0}")]
    KeyStore(String),
    /// The passphrase does not open this wallet.
    #[error("the passphrase does not open this wallet")]
    WrongPassphrase,
    /// A stored record failed authentication (tampered, moved or from another wallet).
    #[error("stored record {0} failed to decrypt (tampered or moved)")]
    RecordTampered(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A key operation failed.
    #[error("key: {0}")]
    Key(#[from] credentials::keys::KeyError),
    /// No record with this id.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// The record kind.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// An HTTP exchange failed (network or a non-JSON answer).
    #[error("HTTP: {0}")]
    Http(String),
    /// The issuer answered with an OAuth / OpenID4VCI error.
    #[error("the issuer refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Issuer {
        /// The `error` code.
        error: String,
        /// The `error_description`.
        description: Option<String>,
    },
    /// A credential offer or issuer metadata is malformed or unsupported.
    #[error("credential offer: {0}")]
    Offer(String),
    /// An issued credential could not be read or is not bound to our key.
    #[error("issued credential: {0}")]
    Credential(String),
    /// The verifier's request was refused before asking the person (the code is the
    /// OpenID4VP error the wallet sends or would send).
    #[error("presentation request refused ({}): {message}", code.code())]
    Request {
        /// The OpenID4VP error code.
        code: WalletError,
        /// What was wrong.
        message: String,
    },
    /// A client identifier prefix this wallet does not support.
    #[error("unsupported client identifier prefix: {0}")]
    UnsupportedClientId(String),
    /// The wallet holds nothing that answers the query.
    #[error("no stored credential answers the request")]
    NoMatchingCredential,
    /// Building a presentation failed.
    #[error("presentation: {0}")]
    Presentation(String),
    /// The verifier did not accept the response.
    #[error("the verifier answered HTTP {status}: {body}")]
    Verifier {
        /// The HTTP status.
        status: u16,
        /// The body (the verifier's error), truncated.
        body: String,
    },
    /// A pending presentation or authorization with this id does not exist (or was used).
    #[error("no pending {0} with this id")]
    NoPending(&'static str),
    /// The trust-framework snapshot could not be read or verified.
    #[error("trust snapshot: {0}")]
    Snapshot(String),
    /// A proximity (18013-5) session failed.
    #[error("proximity session: {0}")]
    Proximity(#[from] crate::proximity::ProximityError),
}

impl Error {
    pub(crate) fn http(e: impl std::fmt::Display) -> Self {
        Error::Http(e.to_string())
    }
    pub(crate) fn request(code: WalletError, message: impl Into<String>) -> Self {
        Error::Request {
            code,
            message: message.into(),
        }
    }
}

/// The wallet's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
