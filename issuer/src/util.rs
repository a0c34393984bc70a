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

/// A random identifier that sorts by creation time: 16 hex digits of microseconds since
/// the epoch, then 128 random bits in hex. Records keyed by it are appended at the end of
/// their index instead of landing on a random page, which keeps a database's write volume
/// per issued credential small; the time it reveals is the record's own creation time,
/// kept beside it anyway.
pub fn ordered_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let random = credentials::keys::provider::random_bytes::<16>();
    let mut s = format!("{micros:016x}");
    for b in random {
        s.push_str(&format!("{b:02x}"));
    }
    s
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
