//! The holder library inside the citizen's app.
//!
//! - [`store`]: SQLite records sealed with AES-256-GCM under a data key that the
//!   platform's [`keystore::KeyStore`] wraps (Argon2id passphrase on the command line).
//! - [`device_keys`]: the keys credentials are bound to, behind credentials' `Signer`.
//! - [`issuance`]: the OpenID4VCI 1.0 client (offers, both flows, DPoP, batches, refill).
//! - [`present`] and [`consent`]: the OpenID4VP 1.0 holder, DCQL, consent and over-asking
//!   checked against the trust register.
//! - [`proximity`]: the ISO 18013-5 holder over a transport.
//! - [`activity`]: what was shared, with whom and when, on the device only.
//! - [`ffi`]: the uniffi surface for Kotlin, Swift (and Python in tests).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod activity;
pub mod consent;
pub mod device_keys;
pub mod error;
// uniffi's generated scaffolding is the one place with unsafe code (the C ABI).
#[allow(unsafe_code)]
pub mod ffi;
pub mod issuance;
pub mod keystore;
pub mod model;
pub mod oauth;
pub mod present;
pub mod proximity;
pub mod receipt;
pub mod store;
pub mod w3c;
pub mod wallet;
pub mod web;

pub use consent::{Consent, ConsentRequest};
pub use error::{Error, Result};
pub use keystore::{KeyStore, PassphraseKeyStore};
pub use wallet::Wallet;

#[allow(unsafe_code)]
mod scaffolding {
    uniffi::setup_scaffolding!("wallet_core");
}
pub(crate) use scaffolding::UniFfiTag;
