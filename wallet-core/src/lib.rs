//! The holder library inside the citizen's app: it receives credentials over OpenID4VCI,
//! keeps them sealed on the device, and presents them with the person's consent over
//! OpenID4VP or ISO 18013-5 proximity.
//!
//! - [`activity`]: what was shared, with whom and when, on the device only.
//! - [`consent`]: consent and over-asking, checked against the trust register.
//! - [`device_keys`]: the keys credentials are bound to, behind credentials' `Signer`.
//! - [`error`]: the wallet's errors, each naming what failed.
//! - [`ffi`]: the uniffi surface for Kotlin, Swift (and Python in tests).
//! - [`issuance`]: the OpenID4VCI 1.0 client (offers, both flows, DPoP, batches, refill).
//! - [`keystore`]: the platform [`keystore::KeyStore`] that wraps the database key.
//! - [`model`]: what the wallet stores about a credential and a batch.
//! - [`oauth`]: HTTP helpers for the OAuth side of OpenID4VCI: discovery, DPoP, PKCE.
//! - [`present`]: the OpenID4VP 1.0 holder: request, DCQL selection, presentation, response.
//! - [`proximity`]: the ISO 18013-5 holder over a transport.
//! - [`receipt`]: what is checked of a credential on receipt, before it is stored.
//! - [`store`]: the encrypted record store (SQLite, every record sealed with AES-256-GCM).
//! - [`w3c`]: W3C VC 2.0 credentials (`jwt_vc_json`, `ldp_vc`) and their presentations.
//! - [`wallet`]: the [`Wallet`]: store, device keys, trust register, pending exchanges.
//! - `scaffolding` (private): uniffi's generated scaffolding.
//!
//! The store's data key is wrapped by the platform's [`keystore::KeyStore`] (Argon2id
//! passphrase on the command line); [`present`] and [`consent`] check what a verifier asks
//! against the trust register before anything is released. The crate links no web server:
//! the demo web wallet (`vouch wallet serve`) is the `vouch-wallet-web` crate on top of it.
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

pub use consent::{Consent, ConsentRequest};
pub use error::{Error, Result};
pub use keystore::{KeyStore, PassphraseKeyStore};
pub use wallet::Wallet;

#[allow(unsafe_code)]
mod scaffolding {
    uniffi::setup_scaffolding!("wallet_core");
}
pub(crate) use scaffolding::UniFfiTag;
