//! Why an mdoc was rejected: one variant per named check.

use crate::x509::ChainError;

/// A rejected mdoc response, request or session message; [`MdocError::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdocError {
    /// Not strict CBOR (indefinite length, duplicate key, trailing bytes, bad tag ...).
    #[error("malformed CBOR: {0}")]
    Cbor(String),
    /// Well-formed CBOR but not the structure 18013-5 defines.
    #[error("malformed {0}")]
    Structure(String),
    /// The response's top-level status is not 0 (OK).
    #[error("the response status is {0}, not OK")]
    ResponseStatus(u64),
    /// The COSE algorithm is missing or not allowed.
    #[error("unsupported or missing COSE algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// issuerAuth carries no x5chain.
    #[error("issuerAuth has no x5chain (COSE header 33)")]
    X5chainMissing,
    /// The issuer (Document Signer) signature does not verify.
    #[error("the issuer signature (issuerAuth) does not verify")]
    IssuerSignature,
    /// The Document Signer certificate chain is not valid or not trusted.
    #[error("Document Signer certificate: {0}")]
    Chain(ChainError),
    /// The MSO is not a valid MobileSecurityObject.
    #[error("malformed MobileSecurityObject: {0}")]
    MalformedMso(String),
    /// The MSO names a digest algorithm Vouch does not accept.
    #[error("unsupported digest algorithm \"{0}\"")]
    UnsupportedDigestAlgorithm(String),
    /// The MSO docType differs from the Document's.
    #[error("the MSO docType {mso} differs from the Document docType {document}")]
    DocTypeMismatch {
        /// The MSO's docType.
        mso: String,
        /// The Document's docType.
        document: String,
    },
    /// validUntil has passed.
    #[error("the MSO expired at {valid_until} (checked at {now})")]
    MsoExpired {
        /// validUntil.
        valid_until: String,
        /// The verifier's clock.
        now: String,
    },
    /// validFrom is in the future.
    #[error("the MSO is not valid before {valid_from} (checked at {now})")]
    MsoNotYetValid {
        /// validFrom.
        valid_from: String,
        /// The verifier's clock.
        now: String,
    },
    /// `signed` lies outside the Document Signer certificate's validity.
    #[error("the MSO was signed at {0}, outside the Document Signer certificate's validity")]
    SignedOutsideCertificate(String),
    /// An element's digest is not the one in the MSO.
    #[error("the digest of {namespace}/{element} does not match the MSO")]
    DigestMismatch {
        /// Namespace.
        namespace: String,
        /// Element identifier.
        element: String,
    },
    /// An element's digestID has no digest in the MSO.
    #[error("{namespace}/{element} has no digest in the MSO")]
    DigestMissing {
        /// Namespace.
        namespace: String,
        /// Element identifier.
        element: String,
    },
    /// The same digestID or element appears twice in one namespace.
    #[error("{0} appears more than once")]
    DuplicateElement(String),
    /// No deviceSigned / deviceAuth.
    #[error("the document has no device authentication")]
    DeviceAuthMissing,
    /// The DeviceSignature does not verify over DeviceAuthenticationBytes.
    #[error("the device signature does not verify over this session transcript")]
    DeviceSignature,
    /// The DeviceMac tag does not verify.
    #[error("the device MAC does not verify over this session transcript")]
    DeviceMac,
    /// A device-signed element the MSO does not authorise.
    #[error("the device key is not authorised to sign {0}")]
    DeviceKeyUnauthorized(String),
    /// DeviceMac needs the reader's ephemeral private key.
    #[error("DeviceMac verification needs the reader's ephemeral private key")]
    ReaderKeyMissing,
    /// issuing_country differs from the DS certificate's country.
    #[error("issuing_country {element} differs from the Document Signer certificate's country {certificate}")]
    IssuingCountryMismatch {
        /// The element value.
        element: String,
        /// The certificate C.
        certificate: String,
    },
    /// issuing_jurisdiction differs from the DS certificate's stateOrProvinceName.
    #[error("issuing_jurisdiction {element} differs from the Document Signer certificate's {certificate}")]
    IssuingJurisdictionMismatch {
        /// The element value.
        element: String,
        /// The certificate ST.
        certificate: String,
    },
    /// A requested element is not in the response.
    #[error("the request asked for {0}, which the response does not contain")]
    RequestNotSatisfied(String),
    /// Reader authentication failed.
    #[error("reader authentication: {0}")]
    ReaderAuth(String),
    /// Session encryption or decryption failed.
    #[error("session: {0}")]
    Session(String),
    /// Issuing or presenting failed (bad input from the caller).
    #[error("{0}")]
    Usage(String),
}

impl MdocError {
    /// The stable code for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            MdocError::Cbor(_) => "malformed_cbor",
            MdocError::Structure(_) => "malformed_device_response",
            MdocError::ResponseStatus(_) => "response_status_error",
            MdocError::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            MdocError::X5chainMissing => "x5chain_missing",
            MdocError::IssuerSignature => "issuer_signature_invalid",
            MdocError::Chain(e) => e.code(),
            MdocError::MalformedMso(_) => "malformed_mso",
            MdocError::UnsupportedDigestAlgorithm(_) => "unsupported_digest_algorithm",
            MdocError::DocTypeMismatch { .. } => "doctype_mismatch",
            MdocError::MsoExpired { .. } => "mso_expired",
            MdocError::MsoNotYetValid { .. } => "mso_not_yet_valid",
            MdocError::SignedOutsideCertificate(_) => "mso_signed_outside_certificate",
            MdocError::DigestMismatch { .. } => "digest_mismatch",
            MdocError::DigestMissing { .. } => "digest_missing",
            MdocError::DuplicateElement(_) => "duplicate_element",
            MdocError::DeviceAuthMissing => "device_auth_missing",
            MdocError::DeviceSignature => "device_signature_invalid",
            MdocError::DeviceMac => "device_mac_invalid",
            MdocError::DeviceKeyUnauthorized(_) => "device_key_unauthorized",
            MdocError::ReaderKeyMissing => "reader_key_missing",
            MdocError::IssuingCountryMismatch { .. } => "issuing_country_mismatch",
            MdocError::IssuingJurisdictionMismatch { .. } => "issuing_jurisdiction_mismatch",
            MdocError::RequestNotSatisfied(_) => "request_not_satisfied",
            MdocError::ReaderAuth(_) => "reader_auth_invalid",
            MdocError::Session(_) => "session_error",
            MdocError::Usage(_) => "usage",
        }
    }
}

impl From<crate::cbor::CborError> for MdocError {
    fn from(e: crate::cbor::CborError) -> Self {
        MdocError::Cbor(e.to_string())
    }
}
