//! W3C Verifiable Credentials Data Model 2.0 and its securing mechanisms; VC Data Model 1.1
//! documents (most of what is in the field) are verified too, never issued.
//!
//! - [`binding`]: the binding of a verification method (or `kid`) to the `issuer` /
//!   `holder` DID it speaks for ([`binding::ProvenKey`]).
//! - [`model`]: the data model with validation (contexts, types, issuer, subject, validity
//!   window against an explicit clock, `credentialStatus`, enveloped credentials).
//! - [`jose`]: VC-JOSE-COSE `vc+jwt` / `vp+jwt` and `vc+sd-jwt` / `vp+sd-jwt`.
//! - [`jwt_v11`]: the VC Data Model 1.1 JWT encoding (`vc` / `vp` claims).
//! - [`cose`]: VC-JOSE-COSE `vc+cose` / `vp+cose` (COSE_Sign1).
//! - [`data_integrity`]: Data Integrity proofs with `eddsa-jcs-2022`, `ecdsa-jcs-2019`,
//!   `eddsa-rdfc-2022` and `ecdsa-rdfc-2019` (P-256, P-384).
//! - [`rdfc`] (feature `rdfc`, on by default): JSON-LD to RDF over bundled contexts and RDFC-1.0.
//! - [`mod@verify`]: one entry point per direction, [`issue`] and [`verify()`], over every securing
//!   mechanism, with status (Bitstring Status List) and a [`crate::report::VerificationReport`].
//!
//! Every rejection is a [`W3cError`] with a stable [`W3cError::code`].

pub mod binding;
pub mod cose;
pub mod data_integrity;
mod error;
pub mod jose;
pub mod jwt_v11;
pub mod keys;
pub mod model;
#[cfg(feature = "rdfc")]
pub mod rdfc;
pub mod verify;

pub use error::W3cError;
pub use keys::{P521Signer, W3cPublicKey, W3cSigner};
pub use model::{Credential, Enveloped, Presentation};
pub use verify::{issue, verify, IssueOptions, Securing, StatusResolver, VerifyOptions};

/// The base context every VC 2.0 document lists first.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

/// The base context every VC 1.1 document lists first (verified, never issued).
pub const CREDENTIALS_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
