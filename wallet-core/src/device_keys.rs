//! Device keys: the keys credentials are bound to, behind credentials' [`Signer`] trait.
//!
//! An app provides hardware keys (Secure Enclave, StrongBox) through [`DeviceKeys`]: the
//! handle it returns is an alias, never key material. [`SoftwareDeviceKeys`] keeps the
//! private key itself in the handle, which the wallet only ever stores sealed.

use std::sync::Arc;

use credentials::keys::{Algorithm, Jwk, PublicKey, SecretKey, Signer, SoftwareSigner};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Creates device keys and signs with them.
pub trait DeviceKeys: Send + Sync {
    /// Creates a key; returns an opaque handle to store (sealed) and its public key.
    fn create(&self) -> Result<(Zeroizing<Vec<u8>>, PublicKey)>;
    /// A signer for a stored handle.
    fn signer(&self, handle: &[u8]) -> Result<Arc<dyn Signer>>;
    /// The private key for ECDH (18013-5 DeviceMac), where the platform lets it out of the
    /// key store; hardware keys answer `None` and the holder signs (DeviceSignature) instead.
    fn agreement_key(&self, _handle: &[u8]) -> Result<Option<SecretKey>> {
        Ok(None)
    }
    /// A key attestation (OpenID4VCI 1.0 Appendix D, `key-attestation+jwt`) for `keys`,
    /// made by the wallet provider or the key store and carrying the issuer's `nonce`, for
    /// an issuer that takes them: one attestation then proves a whole batch of keys. `None`
    /// (the default) when the platform has none to give: each key signs a `jwt` proof.
    fn key_attestation(&self, _keys: &[PublicKey], _nonce: Option<&str>) -> Result<Option<String>> {
        Ok(None)
    }
    /// A wallet attestation (HAIP 1.0 section 4.4.1: an `oauth-client-attestation+jwt` from
    /// the wallet provider's backend) for this wallet instance as OAuth client `client_id`,
    /// with the handle of the instance key its `cnf.jwk` names (that key signs each PoP).
    /// `None` (the default) when the platform has none: issuers that require one refuse.
    fn wallet_attestation(&self, _client_id: &str) -> Result<Option<(String, Zeroizing<Vec<u8>>)>> {
        Ok(None)
    }
}

/// Software ES256 keys: the handle is the private JWK.
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftwareDeviceKeys;

impl DeviceKeys for SoftwareDeviceKeys {
    fn create(&self) -> Result<(Zeroizing<Vec<u8>>, PublicKey)> {
        let (signer, secret) = SoftwareSigner::generate(Algorithm::Es256)?;
        let jwk = Jwk::from_secret_key(&secret).to_value();
        let handle = Zeroizing::new(serde_json::to_vec(&jwk).expect("JSON"));
        Ok((handle, signer.public_key().clone()))
    }

    fn signer(&self, handle: &[u8]) -> Result<Arc<dyn Signer>> {
        let text = std::str::from_utf8(handle)
            .map_err(|_| Error::KeyStore("device key handle is not a JWK".into()))?;
        let jwk = Jwk::from_json(text)?;
        Ok(Arc::new(SoftwareSigner::from_jwk(&jwk)?))
    }

    fn agreement_key(&self, handle: &[u8]) -> Result<Option<SecretKey>> {
        let text = std::str::from_utf8(handle)
            .map_err(|_| Error::KeyStore("device key handle is not a JWK".into()))?;
        Ok(Jwk::from_json(text)?.secret_key()?)
    }
}

/// Software device keys beside a wallet provider's attestation key: what a demonstration
/// or test deployment runs where an app would have its provider's backend. Keys and
/// signatures are [`SoftwareDeviceKeys`]'; each wallet attestation (HAIP 1.0 section
/// 4.4.1) is signed here by the provider's key for a fresh instance key, valid one hour.
pub struct ProviderAttestedKeys {
    /// The wallet provider (`iss` of the attestations).
    pub provider: String,
    /// The provider's signing key.
    pub signer: Arc<dyn Signer>,
    /// Its certificate chain, leaf first, without the trust anchor (the `x5c`).
    pub chain: Vec<credentials::x509::Certificate>,
}

impl DeviceKeys for ProviderAttestedKeys {
    fn create(&self) -> Result<(Zeroizing<Vec<u8>>, PublicKey)> {
        SoftwareDeviceKeys.create()
    }
    fn signer(&self, handle: &[u8]) -> Result<Arc<dyn Signer>> {
        SoftwareDeviceKeys.signer(handle)
    }
    fn agreement_key(&self, handle: &[u8]) -> Result<Option<SecretKey>> {
        SoftwareDeviceKeys.agreement_key(handle)
    }
    fn wallet_attestation(&self, client_id: &str) -> Result<Option<(String, Zeroizing<Vec<u8>>)>> {
        use credentials::openid4vci::client_attestation::WalletAttestationClaims;
        let (handle, instance_key) = self.create()?;
        let now = crate::wallet::now();
        let jwt = WalletAttestationClaims {
            iss: self.provider.clone(),
            client_id: client_id.into(),
            instance_key,
            iat: now,
            exp: now + 3600,
            wallet_name: Some("Vouch Wallet".into()),
        }
        .sign(self.signer.as_ref(), &self.chain)
        .map_err(|e| Error::KeyStore(format!("wallet attestation: {e}")))?;
        Ok(Some((jwt, handle)))
    }
}

/// A device key as stored (sealed): the platform handle and the public key.
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceKeyRecord {
    /// The handle from [`DeviceKeys::create`], base64url.
    pub handle: String,
    /// The public JWK.
    pub public: serde_json::Value,
}

impl std::fmt::Debug for DeviceKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKeyRecord")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
