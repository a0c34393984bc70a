//! ISO/IEC 18013-5 mdoc (mobile driving licence and other doctypes): the data model,
//! issuance (MSO), holder presentation (DeviceResponse with DeviceSignature or DeviceMac),
//! fail-closed verification, and the proximity session (engagement, transcript, session
//! encryption, reader authentication).
//!
//! Every tag-24 value keeps the bytes received; digests, signatures and MACs are computed
//! over exactly those bytes.

mod cose;
mod device_auth;
mod error;
mod issue;
pub mod json;
mod model;
mod present;
pub mod reader_auth;
pub mod session;
mod verify;

pub use device_auth::{device_authentication_bytes, DeviceKeyAuth};
pub use error::MdocError;
pub use issue::{IssueRequest, MdocIssuer};
pub use model::{
    format_rfc3339, parse_rfc3339, DeviceAuth, DeviceRequest, DeviceResponse, DeviceSigned,
    DigestAlgorithm, DocRequest, Document, IssuerSigned, IssuerSignedItem, IssuerSignedItemBytes,
    ItemsRequest, KeyAuthorizations, MobileSecurityObject, NameSpaces, RawSign1, ValidityInfo,
};
pub use present::{device_response, present_document, Selection};
pub use session::SessionTranscript;
pub use verify::{
    verify_issuer_signed, verify_report, verify_response, MdocVerifyOptions, VerifiedDocument,
    VerifiedIssuerSigned,
};

/// The mDL document type.
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";
/// The mDL namespace.
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";
/// The format identifier in reports and OpenID4VC.
pub const FORMAT: &str = "mso_mdoc";
/// Extended key usage of a Document Signer certificate (18013-5 Annex B).
pub const EKU_MDL_DS: &str = "1.0.18013.5.1.2";
/// Extended key usage of a reader authentication certificate.
pub const EKU_MDL_READER_AUTH: &str = "1.0.18013.5.1.6";
/// COSE header label of x5chain (RFC 9360).
pub const X5CHAIN: i64 = 33;
