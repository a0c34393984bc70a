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

/// A random numeric code of `len` digits (transaction codes, sign-in codes), each digit
/// uniform: bytes of 250 and above are drawn again (250 = 25 x 10; keeping them would
/// favour 0-5), and as many bytes are drawn as the length needs.
pub fn random_digits(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in credentials::keys::provider::random_bytes::<32>() {
            if b < 250 && out.len() < len {
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
    out
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::random_digits;

    #[test]
    fn digit_codes_have_the_length_asked_for() {
        for len in [0, 1, 6, 32, 33, 100] {
            let d = random_digits(len);
            assert_eq!(d.len(), len);
            assert!(d.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn every_digit_is_equally_likely() {
        // 1,000,000 digits: each count within 4 standard deviations (about 1,200) of
        // 100,000. Reducing bytes modulo 10 without rejection gives 0-5 about 101,560 and
        // 6-9 about 97,660: outside the bound.
        let mut counts = [0u32; 10];
        for _ in 0..1_000 {
            for b in random_digits(1_000).bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        for (digit, c) in counts.iter().enumerate() {
            assert!(
                (98_800..=101_200).contains(c),
                "digit {digit}: {c} of 1,000,000"
            );
        }
    }
}
