//! Small helpers: digests, constant-time comparison, random identifiers, the clock.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lower-case hex of SHA-256: how secrets (codes, tokens) are stored.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// base64url(SHA-256(data)): PKCE S256 and DPoP `ath`.
pub fn sha256_b64(data: &[u8]) -> String {
    credentials::b64::encode(Sha256::digest(data))
}

/// Constant-time equality of two byte strings (lengths may leak, contents do not).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A fresh random identifier: 32 bytes of the crypto provider's randomness, base64url.
pub fn random_token() -> String {
    credentials::b64::encode(credentials::keys::provider::random_bytes::<32>())
}

/// A random numeric code of `len` digits (transaction codes, sign-in codes).
pub fn random_digits(len: usize) -> String {
    let bytes = credentials::keys::provider::random_bytes::<32>();
    bytes
        .iter()
        .take(len)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
