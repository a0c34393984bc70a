//! The credential formats every Vouch role speaks: the issuer, the wallet and the verifier
//! issue, present and verify credentials through this crate, and only through it.
//!
//! - [`b64`]: strict base64url (no padding, canonical trailing bits), as JOSE and SD-JWT need.
//! - [`cbor`]: strict CBOR (RFC 8949) decoding that keeps the bytes of every item.
//! - [`dcql`]: DCQL queries and claims path pointers (OpenID4VP 1.0): select and check.
//! - [`did`]: `did:key`, `did:jwk` and `did:web` (URL mapping and a resolver trait, no network).
//! - [`jose`]: JWS (compact and JSON serializations, fail-closed verification) and [`jose::jwe`].
//! - [`keys`]: algorithms, keys, JWK and COSE_Key, the [`keys::Signer`] seam, the crypto providers.
//! - [`mdoc`]: ISO/IEC 18013-5 mdoc: issuance, presentation, verification, proximity session.
//! - [`openid4vci`]: OpenID4VCI 1.0 messages: offer, credential request and response, key proofs.
//! - [`openid4vp`]: OpenID4VP 1.0 messages: request object, client id prefixes, `vp_token`.
//! - [`report`]: the verification report and its one check vocabulary, [`report::CheckName`].
//! - [`sd_jwt`]: SD-JWT (RFC 9901): issue, present with a Key Binding JWT, verify.
//! - [`sd_jwt_vc`]: SD-JWT VC, the `dc+sd-jwt` profile of SD-JWT.
//! - [`status`]: credential status: Token Status List and Bitstring Status List.
//! - [`w3c`]: W3C VC Data Model 2.0 (1.1 verified, never issued) and its securing mechanisms.
//! - [`x509`]: X.509 certificates: parsing and chain validation to a trust anchor.
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
pub mod openid4vci;
pub mod openid4vp;
pub mod report;
pub mod sd_jwt;
pub mod sd_jwt_vc;
pub mod status;
pub mod w3c;
pub mod x509;
