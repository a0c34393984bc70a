//! Strict base64url (RFC 4648 section 5, no padding), as JOSE and SD-JWT require.
//!
//! Decoding rejects padding, characters outside the URL-safe alphabet and non-canonical
//! trailing bits, so that one value has exactly one encoding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Encodes bytes as base64url without padding.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes strict base64url without padding; `None` when the input is not canonical.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_padding_and_standard_alphabet() {
        assert_eq!(decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(decode("YQ=="), None);
        assert_eq!(decode("+/"), None);
    }

    #[test]
    fn rejects_non_canonical_trailing_bits() {
        // "YR" decodes to 'a' with non-zero trailing bits in a lenient decoder.
        assert_eq!(decode("YR"), None);
    }
}
