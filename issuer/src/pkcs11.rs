//! Signing keys in a PKCS#11 module: the [`HsmBackend`] over `credentials`' PKCS#11 signer.
//! New keys are generated in the token (sensitive, never extractable); the keyring records
//! only their labels and public keys.

use std::path::Path;
use std::sync::Arc;

use credentials::keys::pkcs11::Pkcs11Token;
use credentials::keys::{Algorithm, Signer};

use crate::keys::{HsmBackend, KeyStoreError};

/// A PKCS#11 token as the issuer's key store.
pub struct Pkcs11Backend {
    token: Pkcs11Token,
}

impl Pkcs11Backend {
    /// Opens `module` with the user PIN read from `pin_file` (first line), on the token
    /// labelled `token_label` or the first initialised one.
    pub fn open(
        module: &Path,
        pin_file: &Path,
        token_label: Option<&str>,
    ) -> Result<Self, KeyStoreError> {
        let pin = std::fs::read_to_string(pin_file).map_err(|source| KeyStoreError::Io {
            path: pin_file.to_path_buf(),
            source,
        })?;
        let pin = pin.lines().next().unwrap_or("").trim().to_string();
        let token = Pkcs11Token::open(module, token_label, &pin)
            .map_err(|e| KeyStoreError::Backend(e.to_string()))?;
        Ok(Pkcs11Backend { token })
    }
}

impl HsmBackend for Pkcs11Backend {
    fn open_or_generate(&self, label: &str) -> Result<Arc<dyn Signer>, KeyStoreError> {
        let found = self
            .token
            .find(label)
            .map_err(|e| KeyStoreError::Backend(e.to_string()))?;
        let signer = match found {
            Some(s) => s,
            None => self
                .token
                .generate(label, Algorithm::Es256)
                .map_err(|e| KeyStoreError::Backend(e.to_string()))?,
        };
        Ok(Arc::new(signer))
    }
}
