//! Who may see an employer's check: the browser that started it, or the organisation's HR
//! systems with its API key. The transaction id travels in the QR code and the wallet link,
//! so it grants nothing by itself.
//!
//! - Starting a check in the browser sets an `HttpOnly`, `SameSite=Lax` cookie holding a
//!   random token, kept across checks in that browser (sent on the same-device redirect
//!   back from the wallet, never on a cross-site post); the transaction keeps only the
//!   token's SHA-256. The check's page, its state, the photo confirmation and the record
//!   (page, download, employment end) answer that browser only.
//! - The JSON API (`/api/transactions`) and every check and record to HR systems take the
//!   organisation's API key as a bearer token (compared by digest, in constant time). A
//!   deployment without an API key configured refuses the API.
//!
//! Anyone else gets the same "not found" as for an id that does not exist.

use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::Transaction;

/// The cookie that binds checks to the employer's browser.
pub const COOKIE: &str = "vouch_employer";

/// SHA-256 (hex) of a secret, as stored.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether two secrets are equal, compared in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The browser's token from the `Cookie` header, if it carries a well-formed one.
pub fn browser_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A fresh browser token (256 bits, base64url).
pub fn new_token() -> String {
    credentials::b64::encode(credentials::keys::provider::random_bytes::<32>())
}

/// The `Set-Cookie` value for `token`; `Secure` when the service is reached over HTTPS.
pub fn set_cookie(token: &str, secure: bool) -> HeaderValue {
    let v = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).expect("a token is a valid header value")
}

/// Whether the request carries the organisation's API key (`Authorization: Bearer ...`);
/// never when no key is configured.
pub fn api_key_ok(headers: &HeaderMap, key_digest: Option<&str>) -> bool {
    let Some(want) = key_digest else {
        return false;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same(&digest(t.trim()), want))
}

/// Whether the request may see transaction `t`: the browser that started it, or the API key.
pub fn may_see(headers: &HeaderMap, t: &Transaction, key_digest: Option<&str>) -> bool {
    let browser = match (&t.browser_hash, browser_token(headers)) {
        (Some(bound), Some(token)) => same(&digest(&token), bound),
        _ => false,
    };
    browser || api_key_ok(headers, key_digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_the_starting_browser_or_the_api_key_sees_a_check() {
        let token = new_token();
        let t = Transaction {
            browser_hash: Some(digest(&token)),
            ..Transaction::default()
        };
        let key = digest("hr-system-key");
        let mine = headers(&[("cookie", &format!("a=b; {COOKIE}={token}"))]);
        assert!(may_see(&mine, &t, Some(&key)));
        let other = headers(&[("cookie", &format!("{COOKIE}={}", new_token()))]);
        assert!(!may_see(&other, &t, Some(&key)));
        assert!(!may_see(&HeaderMap::new(), &t, Some(&key)));
        let hr = headers(&[("authorization", "Bearer hr-system-key")]);
        assert!(may_see(&hr, &t, Some(&key)));
        assert!(
            !may_see(&hr, &t, None),
            "no key configured: the API is closed"
        );
        let wrong = headers(&[("authorization", "Bearer hr-system-kez")]);
        assert!(!may_see(&wrong, &t, Some(&key)));
        // A transaction the API created is bound to no browser.
        let api_made = Transaction::default();
        assert!(!may_see(&mine, &api_made, Some(&key)));
        assert!(may_see(&hr, &api_made, Some(&key)));
    }

    #[test]
    fn a_malformed_cookie_is_no_token() {
        assert_eq!(
            browser_token(&headers(&[("cookie", "vouch_employer=short")])),
            None
        );
        let t = new_token();
        assert_eq!(
            browser_token(&headers(&[("cookie", &format!("{COOKIE}={t}"))])),
            Some(t)
        );
    }
}
