//! Why an SD-JWT was rejected: one variant per check of RFC 9901 section 7.

use crate::jose::JoseError;

/// A rejected SD-JWT, SD-JWT+KB or SD-JWT VC; [`SdJwtError::code`] is the stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdJwtError {
    /// The `~`-separated (or JSON) structure is broken.
    #[error("malformed SD-JWT: {0}")]
    Malformed(&'static str),
    /// The issuer-signed JWT failed a JWS check.
    #[error("issuer-signed JWT: {0}")]
    IssuerJws(JoseError),
    /// The issuer-signed JWT payload is not a valid claims set.
    #[error("malformed payload: {0}")]
    MalformedPayload(&'static str),
    /// `_sd_alg` names a hash Vouch does not accept.
    #[error("unsupported _sd_alg \"{0}\"")]
    UnsupportedSdAlg(String),
    /// A Disclosure is not base64url of a JSON array of 2 or 3 well-typed elements.
    #[error("malformed Disclosure: {0}")]
    MalformedDisclosure(&'static str),
    /// A Disclosure's digest is not in the payload nor in any other disclosed Disclosure.
    #[error("a Disclosure is not referenced by any digest")]
    DisclosureNotReferenced,
    /// The same digest appears more than once in the payload and Disclosures.
    #[error("digest {0} is referenced more than once")]
    DuplicateDigest(String),
    /// The same Disclosure was sent twice.
    #[error("a Disclosure was sent more than once")]
    DuplicateDisclosure,
    /// A Disclosure uses `_sd` or `...` as its claim name.
    #[error("a Disclosure uses the reserved claim name \"{0}\"")]
    ReservedClaimName(String),
    /// A Disclosure would overwrite a claim that already exists.
    #[error("a Disclosure would overwrite the existing claim \"{0}\"")]
    ClaimOverwrite(String),
    /// An array-element Disclosure referenced from `_sd`, or a property Disclosure from `...`.
    #[error("a Disclosure of the wrong kind is referenced ({0})")]
    DisclosureKindMismatch(&'static str),
    /// `_sd` or an array `...` element is malformed.
    #[error("malformed selective-disclosure member: {0}")]
    MalformedSdClaim(&'static str),
    /// `exp` has passed.
    #[error("the credential expired at {exp} (checked at {now})")]
    Expired {
        /// `exp`.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `nbf` is in the future.
    #[error("the credential is not valid before {nbf} (checked at {now})")]
    NotYetValid {
        /// `nbf`.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// `iat` is in the future.
    #[error("the credential was issued in the future ({iat}, checked at {now})")]
    IssuedInFuture {
        /// `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// Key binding was required but the presentation has no KB-JWT.
    #[error("key binding is required but the presentation has no Key Binding JWT")]
    KbMissing,
    /// The KB-JWT is not a well-formed JWS with the required claims.
    #[error("malformed Key Binding JWT: {0}")]
    KbMalformed(&'static str),
    /// The KB-JWT `typ` is not `kb+jwt`.
    #[error("the Key Binding JWT typ is not kb+jwt")]
    KbTypInvalid,
    /// The KB-JWT failed a JWS check (algorithm, crit, signature).
    #[error("Key Binding JWT: {0}")]
    KbJws(JoseError),
    /// The KB-JWT `aud` is not the expected audience.
    #[error("the Key Binding JWT aud does not match")]
    KbAudMismatch,
    /// The KB-JWT `nonce` is not the expected nonce.
    #[error("the Key Binding JWT nonce does not match")]
    KbNonceMismatch,
    /// The KB-JWT `sd_hash` is not the hash of the presented SD-JWT.
    #[error("the Key Binding JWT sd_hash does not match the presented SD-JWT")]
    KbSdHashMismatch,
    /// The KB-JWT `iat` is outside the accepted window.
    #[error("the Key Binding JWT iat {iat} is outside the accepted window around {now}")]
    KbIatOutOfWindow {
        /// KB-JWT `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// A KB-JWT is present (or required) but the credential has no usable `cnf.jwk`.
    #[error("the credential has no usable holder key (cnf): {0}")]
    CnfMissing(&'static str),
    /// SD-JWT VC: the header `typ` is not `dc+sd-jwt`.
    #[error("the header typ is {0:?}, not dc+sd-jwt")]
    TypInvalid(Option<String>),
    /// SD-JWT VC: no `vct`.
    #[error("the credential has no vct")]
    VctMissing,
    /// SD-JWT VC: a claim that must be plain was selectively disclosed.
    #[error("the claim \"{0}\" must not be selectively disclosable")]
    ProtectedClaimDisclosed(String),
    /// SD-JWT VC: the issuer key could not be established or is not trusted.
    #[error("issuer key: {0}")]
    IssuerKey(String),
    /// The issuer's certificate chain is not valid or does not reach a trust anchor.
    #[error("issuer certificate chain: {0}")]
    Chain(crate::x509::ChainError),
    /// SD-JWT VC: `iss` does not match the key's origin (certificate SAN, metadata issuer).
    #[error("iss does not match the issuer key: {0}")]
    IssMismatch(String),
    /// Issuing failed (bad pointer, signing error).
    #[error("cannot issue: {0}")]
    Issue(String),
}

impl SdJwtError {
    /// The stable code for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            SdJwtError::Malformed(_) => "malformed_sd_jwt",
            SdJwtError::IssuerJws(JoseError::BadSignature) => "issuer_signature_invalid",
            SdJwtError::IssuerJws(e) => e.code(),
            SdJwtError::MalformedPayload(_) => "malformed_payload",
            SdJwtError::UnsupportedSdAlg(_) => "unsupported_sd_alg",
            SdJwtError::MalformedDisclosure(_) => "malformed_disclosure",
            SdJwtError::DisclosureNotReferenced => "disclosure_not_referenced",
            SdJwtError::DuplicateDigest(_) => "duplicate_digest",
            SdJwtError::DuplicateDisclosure => "duplicate_disclosure",
            SdJwtError::ReservedClaimName(_) => "reserved_claim_name",
            SdJwtError::ClaimOverwrite(_) => "claim_overwrite",
            SdJwtError::DisclosureKindMismatch(_) => "disclosure_kind_mismatch",
            SdJwtError::MalformedSdClaim(_) => "malformed_sd_claim",
            SdJwtError::Expired { .. } => "expired",
            SdJwtError::NotYetValid { .. } => "not_yet_valid",
            SdJwtError::IssuedInFuture { .. } => "issued_in_future",
            SdJwtError::KbMissing => "kb_missing",
            SdJwtError::KbMalformed(_) => "kb_malformed",
            SdJwtError::KbTypInvalid => "kb_typ_invalid",
            SdJwtError::KbJws(JoseError::BadSignature) => "kb_signature_invalid",
            SdJwtError::KbJws(JoseError::Malformed(_)) => "kb_malformed",
            SdJwtError::KbJws(e) => e.code(),
            SdJwtError::KbAudMismatch => "kb_aud_mismatch",
            SdJwtError::KbNonceMismatch => "kb_nonce_mismatch",
            SdJwtError::KbSdHashMismatch => "kb_sd_hash_mismatch",
            SdJwtError::KbIatOutOfWindow { .. } => "kb_iat_out_of_window",
            SdJwtError::CnfMissing(_) => "cnf_missing",
            SdJwtError::TypInvalid(_) => "typ_invalid",
            SdJwtError::VctMissing => "vct_missing",
            SdJwtError::ProtectedClaimDisclosed(_) => "protected_claim_disclosed",
            SdJwtError::IssuerKey(_) => "unknown_issuer_key",
            SdJwtError::Chain(e) => e.code(),
            SdJwtError::IssMismatch(_) => "iss_mismatch",
            SdJwtError::Issue(_) => "issue_failed",
        }
    }
}
