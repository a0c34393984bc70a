//! The credential formats every Vouch role speaks.
//!
//! No I/O and no async: parsing, issuing, presenting and verifying credentials as pure
//! functions of their inputs and an explicit clock. Crypto sits behind one seam
//! ([`keys::provider::CryptoProvider`]) so that software keys, the pure-Rust provider and
//! HSM-backed keys ([`keys::Signer`]) all produce the same bytes.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod b64;
pub mod cbor;
pub mod dcql;
pub mod did;
pub mod jose;
pub mod keys;
pub mod mdoc;
pub mod openid4vp;
pub mod report;
pub mod sd_jwt;
pub mod sd_jwt_vc;
pub mod status;
pub mod w3c;
pub mod x509;
