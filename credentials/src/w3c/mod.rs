//! W3C Verifiable Credentials Data Model 2.0 and its securing mechanisms.
//!
//! - [`model`]: the data model with validation (contexts, types, issuer, subject, validity
//!   window against an explicit clock, `credentialStatus`, enveloped credentials).
//! - [`jose`]: VC-JOSE-COSE `vc+jwt` / `vp+jwt` and `vc+sd-jwt` / `vp+sd-jwt`.
//! - [`cose`]: VC-JOSE-COSE `vc+cose` / `vp+cose` (COSE_Sign1).
//! - [`data_integrity`]: Data Integrity proofs with the JCS cryptosuites `eddsa-jcs-2022` and
//!   `ecdsa-jcs-2019` (P-256, P-384). The RDFC suites need JSON-LD expansion and RDF
//!   canonicalization and are rejected with `unsupported_cryptosuite`.
//!
//! Every rejection is a [`W3cError`] with a stable [`W3cError::code`].

pub mod cose;
pub mod data_integrity;
mod error;
pub mod jose;
pub mod keys;
pub mod model;

pub use error::W3cError;
pub use keys::{P521Signer, W3cPublicKey, W3cSigner};
pub use model::{Credential, Enveloped, Presentation};

/// The base context every VC 2.0 document lists first.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
