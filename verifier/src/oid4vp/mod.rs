//! The OpenID4VP 1.0 verifier: transactions, signed request objects by reference,
//! `direct_post` / `direct_post.jwt` responses, single-use nonces, and the right-to-work
//! outcome of each response.
//!
//! The [`Service`] and its public types live here; its work is split by what it does:
//!
//! - `clock`: the [`Clock`] everything is dated by ([`SystemClock`], [`FixedClock`]).
//! - `keys`: JWK key files ([`load_or_create_key`]) and the development [`RequestSigner`]
//!   with its reader root and leaf certificate.
//! - `templates`: the shipped DCQL query [`TEMPLATES`].
//! - `request`: starting a transaction ([`Service::create`]) and its signed request object
//!   ([`Service::request_object`]).
//! - `response`: the wallet's response ([`Service::respond`]).
//! - `evaluate`: verification and the right-to-work rules ([`Service::evaluate`]).
//! - `completion`: the likeness confirmation and the signed record ([`Service::complete`]).
//! - `retention`: when records are deleted ([`Service::delete_after`], [`Service::purge`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use credentials::b64;
use credentials::dcql::DcqlQuery;
use credentials::keys::{provider, SoftwareSigner};
use serde_json::Value;

use crate::pipeline::Verifier;
use crate::rtw::Person;
use crate::store::{Store, StoreError};
use crate::trust::LogProofs;

mod clock;
mod completion;
mod evaluate;
mod keys;
mod registration;
mod request;
mod response;
mod retention;
mod templates;

pub use clock::{Clock, FixedClock, SystemClock};
pub use keys::{load_or_create_key, KeyFileError, RequestSigner, RequestSignerError};
pub use registration::{RegistrationCertificates, SignsAs};
pub use request::Owner;
pub use templates::{templates, TEMPLATES};

/// Why a request or response was refused, with the OAuth error and HTTP status it maps to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Oid4vpError {
    /// No such transaction.
    #[error("unknown transaction")]
    UnknownTransaction,
    /// The response is malformed or does not fit the transaction.
    #[error("{0}")]
    InvalidRequest(String),
    /// The transaction was already answered (nonces are single use) or has expired.
    #[error("the transaction was already answered or has expired")]
    AlreadyAnswered,
    /// The request cannot be served.
    #[error("{0}")]
    Server(String),
    /// A bound is reached (pending transactions); try again shortly.
    #[error("too many checks are waiting for an answer; try again shortly")]
    Busy,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record of a completed check could not be signed.
    #[error(transparent)]
    Record(#[from] crate::record::SignError),
}

impl Oid4vpError {
    /// The OAuth `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Oid4vpError::UnknownTransaction => "invalid_request",
            Oid4vpError::InvalidRequest(_) | Oid4vpError::AlreadyAnswered => "invalid_request",
            Oid4vpError::Server(_) | Oid4vpError::Store(_) | Oid4vpError::Record(_) => {
                "server_error"
            }
            Oid4vpError::Busy => "temporarily_unavailable",
        }
    }
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Oid4vpError::UnknownTransaction => 404,
            Oid4vpError::InvalidRequest(_) | Oid4vpError::AlreadyAnswered => 400,
            Oid4vpError::Server(_) | Oid4vpError::Store(_) | Oid4vpError::Record(_) => 500,
            Oid4vpError::Busy => 503,
        }
    }
}

/// The default bound on one organisation's pending, unexpired transactions
/// ([`Service::max_pending_transactions`]).
pub const MAX_PENDING_TRANSACTIONS: i64 = 10_000;

/// The whole deployment's bound on pending transactions, in organisation bounds.
pub const PENDING_BACKSTOP: i64 = 10;

/// How long the record of a candidate never hired is kept after the check: six months
/// (183 days), unless the deployment sets otherwise.
pub const NOT_HIRED_RETENTION_DAYS: i64 = 183;

/// What a response came to, stored with the transaction and shown to the employer.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, Default)]
pub struct CheckOutcome {
    /// Every check passed and the right-to-work rules are met.
    pub passed: bool,
    /// The verification report (JSON).
    pub report: Value,
    /// The register's decision (JSON).
    pub trust: Value,
    /// The person (only when verification passed).
    pub person: Option<Person>,
    /// The right-to-work rule that failed, in words.
    pub rule_failure: Option<String>,
    /// An error the wallet sent instead of a presentation.
    pub wallet_error: Option<String>,
    /// The credential query id answered.
    pub query_id: Option<String>,
    /// The provider's register entry.
    pub entry_id: Option<String>,
}

/// What the response endpoint answers.
#[derive(Clone, Debug)]
pub struct ResponseAck {
    /// Where the wallet sends the person (same-device flow).
    pub redirect_uri: String,
}

/// The OpenID4VP verifier service.
pub struct Service {
    /// Storage.
    pub store: Store,
    /// The pipeline.
    pub verifier: Verifier,
    /// Request object signing: the deployment's signer, used for organisations without
    /// their own.
    pub request_signer: RequestSigner,
    /// The organisations' own request signers (own client ids), by organisation id.
    pub org_signers: BTreeMap<String, RequestSigner>,
    /// The record signing key.
    pub record_key: Arc<SoftwareSigner>,
    /// Public base URL (`https://verifier.example`), no trailing slash.
    pub base_url: String,
    /// DCQL templates by name.
    pub templates: BTreeMap<String, DcqlQuery>,
    /// How long a transaction accepts a response, seconds.
    pub transaction_ttl: i64,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where inclusion proofs come from (none: records carry the checkpoint only).
    pub proofs: Option<Arc<dyn LogProofs>>,
    /// The snapshot key and log key in force (kept in records).
    pub snapshot_keys: (Value, String),
    /// Retention after employment ends, in days (two years).
    pub retention_days: i64,
    /// Retention of the record of someone never hired, in days after the check
    /// ([`NOT_HIRED_RETENTION_DAYS`] by default).
    pub not_hired_retention_days: i64,
    /// SHA-256 (hex) of the default organisation's API key for its HR systems, configured
    /// at start (other organisations' keys are in the database; see [`crate::access`]).
    pub api_key_digest: Option<String>,
    /// Where completion notices go (the organisation's HR system), if anywhere.
    pub webhook: Option<Arc<crate::webhook::Webhook>>,
    /// Pending, unexpired transactions one organisation keeps at once; past it, its new
    /// checks are refused (503). [`MAX_PENDING_TRANSACTIONS`] by default; the deployment
    /// as a whole keeps at most [`PENDING_BACKSTOP`] times as many.
    pub max_pending_transactions: i64,
    /// The registration certificates from the register, sent in `verifier_info`.
    pub registration: RegistrationCertificates,
}

fn random_id() -> String {
    b64::encode(provider::random_bytes::<18>())
}
