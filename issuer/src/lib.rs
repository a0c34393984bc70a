//! The Vouch credential issuer: the OpenID4VCI 1.0 service a certified identity provider
//! runs to put SD-JWT VC and mdoc credentials into citizens' wallets.
//!
//! - [`config`]: how an issuer is set up: its identifier, lifetimes and limits.
//! - [`configurations`]: the credential configurations offered and how their claims are made.
//! - [`error`]: the one error type of the HTTP layer, mapped to the specifications' errors.
//! - [`http`]: the HTTP service: metadata, OAuth, credential, status and admin routes.
//! - [`issue`]: the credential endpoint's work, `Issuer::issue`: a typed request checked, recorded, signed.
//! - [`issuance`]: signing an SD-JWT VC or an mdoc per holder key, with its status reference.
//! - [`keys`]: key custody: signing keys, Document Signer certificates, rotation.
//! - `pkcs11` (feature `pkcs11`): signing keys in a PKCS#11 module, the HSM backend.
//! - [`proofs`]: the proof-of-possession JWTs a wallet sends: DPoP and key proofs.
//! - [`registration`]: what this issuer asks the trust register to record about it.
//! - [`store`]: the issuer's storage through sqlx, SQLite or PostgreSQL.
//! - [`util`]: small helpers: digests, constant-time comparison, random ids, the clock.
//! - `wallet` (feature `test-wallet`): a minimal OpenID4VCI wallet for tests, the load driver
//!   and smoke checks; never in a service build.
//!
//! What it implements: OpenID4VCI 1.0 (pre-authorized and authorization code flows, PKCE
//! and PAR, DPoP-bound tokens, nonce, key proofs, batch issuance, encrypted requests and
//! responses, notifications), SD-JWT VC and mdoc issuance from `credentials`, a Token Status
//! List index for every credential, subjects and offers through an admin API, keys in
//! software or in a PKCS#11 module, storage in SQLite or PostgreSQL.
//!
//! Data flows one way: the admin API writes [`store`] rows (subjects, offers); the wallet's
//! requests pass [`proofs`] checks, one [`store`] transaction records what is issued, then
//! [`issuance`] signs with the active key of [`keys`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client_attestation;
pub mod config;
pub mod configurations;
pub mod error;
pub mod http;
pub mod issuance;
pub mod issue;
pub mod keys;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
pub mod proofs;
pub mod registration;
pub mod store;
pub mod util;
#[cfg(feature = "test-wallet")]
pub mod wallet;

pub use config::IssuerConfig;
pub use http::{router, serve, Issuer, Shared};

use std::path::Path;
use std::sync::Arc;

/// Opens (or on first run creates) an issuer: its database, its keys and its admin token in
/// `data_dir` (`admin.token`, mode 0600, never printed by the service).
pub async fn open(
    config: IssuerConfig,
    database_url: &str,
    data_dir: &Path,
    hsm: Option<Arc<dyn keys::HsmBackend>>,
) -> Result<Shared, OpenError> {
    let store = store::Store::connect(database_url).await?;
    open_with_store(config, store, data_dir, hsm)
}

/// Like [`open`], over a store the caller connected (tests: a PostgreSQL schema of their own).
pub fn open_with_store(
    config: IssuerConfig,
    store: store::Store,
    data_dir: &Path,
    hsm: Option<Arc<dyn keys::HsmBackend>>,
) -> Result<Shared, OpenError> {
    let keys = keys::KeyRing::open(
        data_dir,
        &config.name,
        &config.country,
        &config.issuer_url,
        hsm,
    )?;
    let token_path = data_dir.join("admin.token");
    let admin_token = if token_path.exists() {
        std::fs::read_to_string(&token_path)
            .map_err(|e| OpenError::AdminToken(e.to_string()))?
            .trim()
            .to_string()
    } else {
        let t = util::random_token();
        keys::write_private(&token_path, &t).map_err(|e| OpenError::AdminToken(e.to_string()))?;
        t
    };
    Ok(Arc::new(Issuer {
        config,
        store,
        keys,
        admin_token,
    }))
}

/// Why an issuer could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The database.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The keys.
    #[error(transparent)]
    Keys(#[from] keys::KeyStoreError),
    /// The admin token file.
    #[error("admin token: {0}")]
    AdminToken(String),
}
