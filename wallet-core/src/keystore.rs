//! Where the database key lives: a platform key store wraps a random data key.
//!
//! In an app the [`KeyStore`] is the Android Keystore or the iOS Secure Enclave (the
//! wrapping key never leaves the hardware); on the command line it is
//! [`PassphraseKeyStore`], a key derived from a passphrase with Argon2id.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Wraps and unwraps the wallet's 32-byte data key; the platform provides it.
pub trait KeyStore: Send + Sync {
    /// Encrypts the data key for storage beside the database.
    fn wrap(&self, data_key: &[u8]) -> Result<Vec<u8>>;
    /// Recovers the data key; fails with [`Error::WrongPassphrase`] or
    /// [`Error::KeyStore`] when this store did not wrap it.
    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const WRAP_AAD: &[u8] = b"vouch-wallet/data-key/v1";

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug)]
pub struct Argon2Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Parallelism.
    pub lanes: u32,
}

impl Argon2Cost {
    /// OWASP's first recommended Argon2id setting (19 MiB, 2 iterations, 1 lane).
    pub const RECOMMENDED: Argon2Cost = Argon2Cost {
        memory_kib: 19 * 1024,
        iterations: 2,
        lanes: 1,
    };
    /// Cheap parameters for tests only.
    pub const TEST_ONLY: Argon2Cost = Argon2Cost {
        memory_kib: 256,
        iterations: 1,
        lanes: 1,
    };
}

/// A key store for the command line: the wrapping key is Argon2id(passphrase, salt).
/// The wrapped blob is `version || m || t || p || salt || nonce || AES-256-GCM(data key)`,
/// so the parameters travel with it.
pub struct PassphraseKeyStore {
    passphrase: Zeroizing<String>,
    cost: Argon2Cost,
}

impl PassphraseKeyStore {
    /// A key store for `passphrase` with the recommended cost.
    pub fn new(passphrase: &str) -> Self {
        Self::with_cost(passphrase, Argon2Cost::RECOMMENDED)
    }

    /// A key store with explicit Argon2id parameters (used when wrapping).
    pub fn with_cost(passphrase: &str, cost: Argon2Cost) -> Self {
        PassphraseKeyStore {
            passphrase: Zeroizing::new(passphrase.to_string()),
            cost,
        }
    }

    fn derive(&self, salt: &[u8], cost: Argon2Cost) -> Result<Zeroizing<[u8; 32]>> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.lanes, Some(32))
            .map_err(|e| Error::KeyStore(format!("Argon2id parameters: {e}")))?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(self.passphrase.as_bytes(), salt, out.as_mut())
            .map_err(|e| Error::KeyStore(format!("Argon2id: {e}")))?;
        Ok(out)
    }
}

impl KeyStore for PassphraseKeyStore {
    fn wrap(&self, data_key: &[u8]) -> Result<Vec<u8>> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut salt).map_err(|e| Error::KeyStore(e.to_string()))?;
        getrandom::getrandom(&mut nonce).map_err(|e| Error::KeyStore(e.to_string()))?;
        let kek = self.derive(&salt, self.cost)?;
        let ct = Aes256Gcm::new_from_slice(kek.as_ref())
            .expect("32-byte key")
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: data_key,
                    aad: WRAP_AAD,
                },
            )
            .map_err(|_| Error::KeyStore("wrapping failed".into()))?;
        let mut out = vec![1u8];
        out.extend(self.cost.memory_kib.to_be_bytes());
        out.extend(self.cost.iterations.to_be_bytes());
        out.extend(self.cost.lanes.to_be_bytes());
        out.extend(salt);
        out.extend(nonce);
        out.extend(ct);
        Ok(out)
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let head = 1 + 12 + SALT_LEN + NONCE_LEN;
        if wrapped.len() <= head || wrapped[0] != 1 {
            return Err(Error::KeyStore("unknown wrapped-key format".into()));
        }
        let u32_at = |i: usize| u32::from_be_bytes(wrapped[i..i + 4].try_into().expect("4 bytes"));
        let cost = Argon2Cost {
            memory_kib: u32_at(1),
            iterations: u32_at(5),
            lanes: u32_at(9),
        };
        let salt = &wrapped[13..13 + SALT_LEN];
        let nonce: [u8; NONCE_LEN] = wrapped[13 + SALT_LEN..head].try_into().expect("12 bytes");
        let kek = self.derive(salt, cost)?;
        let key = Aes256Gcm::new_from_slice(kek.as_ref())
            .expect("32-byte key")
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &wrapped[head..],
                    aad: WRAP_AAD,
                },
            )
            .map_err(|_| Error::WrongPassphrase)?;
        Ok(Zeroizing::new(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_with_the_same_passphrase_only() {
        let ks = PassphraseKeyStore::with_cost("correct horse", Argon2Cost::TEST_ONLY);
        let wrapped = ks.wrap(&[7u8; 32]).unwrap();
        assert_eq!(ks.unwrap(&wrapped).unwrap().as_slice(), &[7u8; 32]);
        let other = PassphraseKeyStore::with_cost("wrong", Argon2Cost::TEST_ONLY);
        assert!(matches!(
            other.unwrap(&wrapped),
            Err(Error::WrongPassphrase)
        ));
    }
}
