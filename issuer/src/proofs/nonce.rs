//! Stateless `c_nonce` values (OpenID4VCI 1.0 section 7): the nonce endpoint writes nothing.
//! A nonce is its expiry and 16 random bytes, authenticated with HMAC-SHA256 under a key that
//! every issuer process reads from the database's settings, so any process accepts a nonce
//! any other one minted. Single use is enforced where a nonce is redeemed: the issuance
//! transaction records [`RedeemableNonce::digest`] under a primary key, and a second insert
//! of the same digest is a replay.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes MACed: 8 bytes of expiry (big-endian seconds) and 16 random bytes.
const BODY: usize = 24;
/// HMAC-SHA256 tag length.
const TAG: usize = 32;
/// Domain separation: the key authenticates nothing else, but a later format must not
/// accept this one's values.
const LABEL: &[u8] = b"vouch/c_nonce/v1";

/// The key that authenticates `c_nonce` values (shared by every issuer process over one
/// database).
#[derive(Clone)]
pub struct NonceKey([u8; 32]);

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey(..)")
    }
}

/// Why a `c_nonce` was refused before any storage was consulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    /// Not one of ours: malformed, or its MAC does not verify (forged or from another issuer).
    #[error("the c_nonce was not issued by this credential issuer")]
    Unknown,
    /// Past its expiry.
    #[error("the c_nonce has expired")]
    Expired,
}

/// A nonce whose MAC and expiry were checked: what the issuance transaction records to make
/// it single use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedeemableNonce {
    /// Lower-case hex SHA-256 of the authenticated bytes (the primary key of a used nonce).
    pub digest: String,
    /// Its expiry: the record may be purged after it, since an expired nonce is refused here.
    pub expires_at: i64,
}

impl NonceKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        NonceKey(bytes)
    }

    fn mac(&self, body: &[u8]) -> Hmac<Sha256> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key");
        m.update(LABEL);
        m.update(body);
        m
    }

    /// A fresh nonce valid until `expires_at` (base64url, 75 characters).
    pub fn mint(&self, expires_at: i64) -> String {
        let mut out = [0u8; BODY + TAG];
        out[..8].copy_from_slice(&expires_at.to_be_bytes());
        out[8..BODY].copy_from_slice(&credentials::keys::provider::random_bytes::<16>());
        let tag = self.mac(&out[..BODY]).finalize().into_bytes();
        out[BODY..].copy_from_slice(&tag);
        credentials::b64::encode(out)
    }

    /// Checks a nonce's MAC (in constant time) and expiry at `now`.
    pub fn check(&self, nonce: &str, now: i64) -> Result<RedeemableNonce, NonceError> {
        let bytes = credentials::b64::decode(nonce).ok_or(NonceError::Unknown)?;
        if bytes.len() != BODY + TAG {
            return Err(NonceError::Unknown);
        }
        self.mac(&bytes[..BODY])
            .verify_slice(&bytes[BODY..])
            .map_err(|_| NonceError::Unknown)?;
        let expires_at = i64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
        if expires_at <= now {
            return Err(NonceError::Expired);
        }
        Ok(RedeemableNonce {
            digest: crate::util::sha256_hex(&bytes[..BODY]),
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> NonceKey {
        NonceKey::from_bytes([b; 32])
    }

    #[test]
    fn accepts_its_own_nonce_until_expiry() {
        let k = key(1);
        let n = k.mint(1_000);
        let r = k.check(&n, 999).unwrap();
        assert_eq!(r.expires_at, 1_000);
        assert_eq!(k.check(&n, 1_000), Err(NonceError::Expired));
        assert_ne!(k.mint(1_000), n, "two nonces differ");
    }

    #[test]
    fn refuses_a_nonce_under_another_key_or_tampered() {
        let n = key(1).mint(1_000);
        assert_eq!(key(2).check(&n, 0), Err(NonceError::Unknown));
        let mut bytes = credentials::b64::decode(&n).unwrap();
        // a later expiry with the old tag
        bytes[7] ^= 1;
        let forged = credentials::b64::encode(&bytes);
        assert_eq!(key(1).check(&forged, 0), Err(NonceError::Unknown));
        assert_eq!(key(1).check("made-up", 0), Err(NonceError::Unknown));
        assert_eq!(key(1).check(&n[..n.len() - 2], 0), Err(NonceError::Unknown));
    }
}
