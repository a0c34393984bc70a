//! Why a W3C credential or presentation was rejected.

use crate::jose::JoseError;
use crate::sd_jwt::SdJwtError;

/// A rejected W3C VC / VP; [`W3cError::code`] is the stable, machine-readable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum W3cError {
    /// The document is not a JSON object or a required member has the wrong shape.
    #[error("malformed document: {0}")]
    Malformed(String),
    /// `@context` is missing or its first entry is not the VC 2.0 base context.
    #[error("invalid @context: {0}")]
    InvalidContext(String),
    /// `type` is missing or lacks `VerifiableCredential` / `VerifiablePresentation`.
    #[error("invalid type: {0}")]
    InvalidType(String),
    /// `issuer` is missing or is neither a URL nor an object with a URL `id`.
    #[error("invalid issuer: {0}")]
    InvalidIssuer(String),
    /// `credentialSubject` is missing or not an object / array of objects.
    #[error("invalid credentialSubject: {0}")]
    InvalidSubject(String),
    /// A date is not an XML Schema `dateTimeStamp` (RFC 3339 with a time zone).
    #[error("invalid date in {field}: {value}")]
    InvalidDate {
        /// The member holding the date.
        field: &'static str,
        /// The value received.
        value: String,
    },
    /// `validUntil` is in the past.
    #[error("the credential expired at {0}")]
    Expired(String),
    /// `validFrom` is in the future.
    #[error("the credential is not valid before {0}")]
    NotYetValid(String),
    /// A `credentialStatus` entry is malformed.
    #[error("invalid credentialStatus: {0}")]
    InvalidStatus(String),
    /// An enveloped credential or presentation is not a valid `data:` URL of a known media type.
    #[error("invalid enveloped credential: {0}")]
    InvalidEnvelope(String),
    /// `typ` / `cty` (JOSE) or the COSE content type is not the expected media type.
    #[error("bad media type: {0}")]
    BadMediaType(String),
    /// A JWS check failed (malformed, algorithm, signature).
    #[error("JWS: {0}")]
    Jws(JoseError),
    /// An SD-JWT check failed (Disclosures).
    #[error("SD-JWT: {0}")]
    SdJwt(SdJwtError),
    /// A COSE_Sign1 is malformed.
    #[error("malformed COSE_Sign1: {0}")]
    MalformedCose(String),
    /// The signature (JWS, COSE or Data Integrity proof) does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// The key cannot be used (wrong curve, unsupported algorithm, malformed).
    #[error("key: {0}")]
    Key(String),
    /// The Data Integrity proof is malformed.
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    /// The cryptosuite is not supported or does not fit the key.
    #[error("unsupported cryptosuite \"{0}\"")]
    UnsupportedCryptosuite(String),
    /// `proofPurpose` is not the one the verifier expects.
    #[error("proof purpose \"{found}\" where \"{expected}\" is required")]
    WrongProofPurpose {
        /// The purpose required.
        expected: String,
        /// The purpose in the proof.
        found: String,
    },
    /// The proof's `expires` is in the past.
    #[error("the proof expired at {0}")]
    ProofExpired(String),
    /// The verification method cannot be resolved to a key.
    #[error("verification method: {0}")]
    VerificationMethod(String),
    /// The DID is not one the verifier resolves (not named in its register).
    #[error("{0} is not a DID the register names, so it is not resolved")]
    DidNotRegistered(String),
    /// A property the data model constrains (`termsOfUse`, `evidence`, `refreshService`,
    /// `credentialSchema`, `relatedResource`) breaks its rule.
    #[error("{property}: {reason}")]
    InvalidProperty {
        /// The property.
        property: &'static str,
        /// Which rule it breaks.
        reason: String,
    },
    /// The key that verified the signature does not belong to the document's `issuer` (or
    /// a presentation's `holder`): a method of another DID, or one another DID controls.
    #[error("the signing key is not the issuer's: {0}")]
    IssuerKeyMismatch(String),
    /// The credential's status (Bitstring Status List) says it is revoked.
    #[error("the credential is revoked")]
    Revoked,
    /// The credential's status says it is suspended.
    #[error("the credential is suspended")]
    Suspended,
    /// The document names a JSON-LD context that is not bundled (contexts are never fetched).
    #[error("unknown JSON-LD context \"{0}\" (only bundled contexts are used)")]
    UnknownContext(String),
    /// JSON-LD expansion or RDF canonicalization failed (e.g. a term no context defines).
    #[error("JSON-LD: {0}")]
    JsonLd(String),
    /// The status list credential for a `credentialStatus` entry could not be obtained.
    #[error("status unknown: {0}")]
    StatusUnknown(String),
    /// A presentation proof's `challenge` or `domain` is not the one the verifier asked for.
    #[error("the proof's {member} is not \"{expected}\"")]
    ProofBinding {
        /// `challenge` or `domain` (a Data Integrity proof's), `nonce` or `aud` (a JOSE / COSE
        /// presentation's).
        member: &'static str,
        /// The value the verifier asked for.
        expected: String,
    },
    /// The COSE `alg` is not the algorithm of the issuer's key.
    #[error("algorithm not allowed: {0}")]
    AlgorithmMismatch(String),
    /// A Key Binding JWT is required but missing, or it does not verify.
    #[error("key binding: {0}")]
    KeyBinding(String),
}

impl W3cError {
    /// A stable code for reports and API responses.
    pub fn code(&self) -> &'static str {
        match self {
            W3cError::Malformed(_) => "malformed_document",
            W3cError::InvalidContext(_) => "invalid_context",
            W3cError::InvalidType(_) => "invalid_type",
            W3cError::InvalidIssuer(_) => "invalid_issuer",
            W3cError::InvalidSubject(_) => "invalid_credential_subject",
            W3cError::InvalidDate { .. } => "invalid_date",
            W3cError::Expired(_) => "credential_expired",
            W3cError::NotYetValid(_) => "credential_not_yet_valid",
            W3cError::InvalidStatus(_) => "invalid_credential_status",
            W3cError::InvalidEnvelope(_) => "invalid_enveloped_credential",
            W3cError::BadMediaType(_) => "bad_media_type",
            W3cError::Jws(e) => e.code(),
            W3cError::SdJwt(e) => e.code(),
            W3cError::MalformedCose(_) => "malformed_cose",
            W3cError::BadSignature => "signature_invalid",
            W3cError::Key(_) => "key_error",
            W3cError::MalformedProof(_) => "malformed_proof",
            W3cError::UnsupportedCryptosuite(_) => "unsupported_cryptosuite",
            W3cError::WrongProofPurpose { .. } => "wrong_proof_purpose",
            W3cError::ProofExpired(_) => "proof_expired",
            W3cError::VerificationMethod(_) => "verification_method_error",
            W3cError::DidNotRegistered(_) => "did_not_registered",
            W3cError::IssuerKeyMismatch(_) => "issuer_key_mismatch",
            W3cError::InvalidProperty { property, .. } => match *property {
                "termsOfUse" => "invalid_terms_of_use",
                "evidence" => "invalid_evidence",
                "refreshService" => "invalid_refresh_service",
                "credentialSchema" => "invalid_credential_schema",
                "relatedResource" => "invalid_related_resource",
                _ => "invalid_property",
            },
            W3cError::Revoked => "credential_revoked",
            W3cError::Suspended => "credential_suspended",
            W3cError::UnknownContext(_) => "unknown_context",
            W3cError::JsonLd(_) => "jsonld_error",
            W3cError::StatusUnknown(_) => "status_unknown",
            W3cError::KeyBinding(_) => "key_binding_invalid",
            W3cError::AlgorithmMismatch(_) => "alg_not_allowed",
            W3cError::ProofBinding { member, .. } => match *member {
                "challenge" => "wrong_challenge",
                "nonce" => "nonce_mismatch",
                "aud" => "aud_mismatch",
                _ => "wrong_domain",
            },
        }
    }
}
