//! JSON Web Signature (RFC 7515): compact and JSON (flattened, general) serializations.
//!
//! Verification is fail-closed: `alg: none`, algorithms the caller did not allow, `crit`
//! parameters the caller does not understand and keys of another curve are all rejected
//! before any signature is checked. The signing input is always the bytes received.

mod compact;
mod header;
mod json;
pub mod jwe;

pub use compact::{sign_compact, CompactJws};
pub use header::JwsHeader;
pub use json::{JsonJws, JsonSignature};

use crate::keys::provider::CryptoProvider;
use crate::keys::{Algorithm, KeyError, PublicKey};

/// What a caller accepts when verifying a JWS.
#[derive(Clone, Copy, Debug)]
pub struct JwsPolicy<'a> {
    /// Algorithms the caller allows (never `none`).
    pub algorithms: &'a [Algorithm],
    /// Header parameters the caller understands when they are listed in `crit`.
    pub understood_crit: &'a [&'a str],
    /// The crypto provider that checks signatures.
    pub provider: &'a dyn CryptoProvider,
}

impl Default for JwsPolicy<'_> {
    fn default() -> Self {
        JwsPolicy {
            algorithms: &Algorithm::ALL,
            understood_crit: &[],
            provider: crate::keys::provider::default(),
        }
    }
}

impl<'a> JwsPolicy<'a> {
    /// A policy allowing `algorithms` and no `crit` parameters, with the default provider.
    pub fn allowing(algorithms: &'a [Algorithm]) -> Self {
        JwsPolicy {
            algorithms,
            ..Default::default()
        }
    }
}

/// Why a JWS was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// The serialization is not a well-formed JWS.
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    /// `alg` is `none`: unsecured JWS are never accepted.
    #[error("the JWS is unsecured (alg \"none\")")]
    AlgNone,
    /// `alg` is not one the caller allows.
    #[error("algorithm \"{0}\" is not allowed")]
    AlgNotAllowed(String),
    /// `crit` lists a parameter the caller does not understand, or is malformed.
    #[error("critical header parameter \"{0}\" is not understood")]
    CritNotUnderstood(String),
    /// The key is of another kind than `alg` needs.
    #[error("the key does not fit algorithm {0}")]
    KeyAlgMismatch(Algorithm),
    /// The signature does not verify with the key.
    #[error("the signature does not verify")]
    BadSignature,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(KeyError),
    /// A JWE did not decrypt (wrong key, tampered header, IV, ciphertext or tag).
    #[error("the JWE does not decrypt with this key")]
    DecryptionFailed,
}

impl JoseError {
    /// A stable, machine-readable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            JoseError::Malformed(_) => "malformed_jws",
            JoseError::AlgNone => "alg_none",
            JoseError::AlgNotAllowed(_) => "alg_not_allowed",
            JoseError::CritNotUnderstood(_) => "crit_not_understood",
            JoseError::KeyAlgMismatch(_) => "key_alg_mismatch",
            JoseError::BadSignature => "signature_invalid",
            JoseError::Signing(_) => "signing_failed",
            JoseError::DecryptionFailed => "decryption_failed",
        }
    }
}

/// Header parameters registered by RFC 7515/7516/7797 that may never appear in `crit`.
const REGISTERED: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// Checks the header against the policy and the key; returns the algorithm to verify with.
pub(crate) fn check_header(
    header: &JwsHeader,
    key: Option<&PublicKey>,
    policy: &JwsPolicy<'_>,
) -> Result<Algorithm, JoseError> {
    let name = header
        .alg()
        .ok_or(JoseError::Malformed("the header has no \"alg\""))?;
    if name.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    let alg = Algorithm::from_jose_name(name)
        .filter(|a| policy.algorithms.contains(a))
        .ok_or_else(|| JoseError::AlgNotAllowed(name.to_string()))?;
    if let Some(crit) = header.get("crit") {
        let list = crit
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| JoseError::CritNotUnderstood("crit must be a non-empty array".into()))?;
        for item in list {
            let p = item
                .as_str()
                .ok_or_else(|| JoseError::CritNotUnderstood("crit lists a non-string".into()))?;
            if REGISTERED.contains(&p)
                || !policy.understood_crit.contains(&p)
                || header.get(p).is_none()
            {
                return Err(JoseError::CritNotUnderstood(p.to_string()));
            }
        }
    }
    if let Some(key) = key {
        key.check_algorithm(alg)
            .map_err(|_| JoseError::KeyAlgMismatch(alg))?;
    }
    Ok(alg)
}

/// Verifies `signature` over `signing_input` after the header checks.
pub(crate) fn verify_signature(
    header: &JwsHeader,
    signing_input: &[u8],
    signature: &[u8],
    key: &PublicKey,
    policy: &JwsPolicy<'_>,
) -> Result<Algorithm, JoseError> {
    let alg = check_header(header, Some(key), policy)?;
    key.verify_with(policy.provider, alg, signing_input, signature)
        .map_err(|e| match e {
            KeyError::AlgorithmMismatch { .. } => JoseError::KeyAlgMismatch(alg),
            _ => JoseError::BadSignature,
        })?;
    Ok(alg)
}
