//! HTTP helpers for the OAuth side of OpenID4VCI: discovery URLs, JSON calls that turn
//! OAuth error bodies into typed errors, DPoP proofs (RFC 9449) and PKCE (RFC 7636).

use std::sync::Arc;

use credentials::b64;
use credentials::keys::{Jwk, Signer};
use credentials::openid4vci::DpopClaims;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// `https://host/.well-known/{name}{path}`: the well-known segment goes before the path
/// of an identifier that has one (RFC 8414 section 3.1, OpenID4VCI 1.0 section 12.2.2).
pub fn well_known(identifier: &str, name: &str) -> Result<String> {
    let u = url::Url::parse(identifier).map_err(|e| Error::Offer(format!("{identifier}: {e}")))?;
    let path = u.path().trim_end_matches('/');
    let mut base = u.clone();
    base.set_path(&format!("/.well-known/{name}{path}"));
    base.set_query(None);
    Ok(base.to_string())
}

/// A random base64url string of `n` bytes.
pub fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).expect("the OS random source");
    b64::encode(b)
}

/// PKCE S256: `(verifier, challenge)`.
pub fn pkce() -> (String, String) {
    let verifier = random_b64(32);
    let challenge = b64::encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A DPoP key and the latest server nonce.
#[derive(Clone)]
pub struct Dpop {
    /// The key.
    pub signer: Arc<dyn Signer>,
    /// The private JWK (to keep with a refresh token).
    pub jwk: Value,
    /// The last `DPoP-Nonce` the server sent.
    pub nonce: Option<String>,
}

impl Dpop {
    /// A fresh ES256 DPoP key.
    pub fn generate() -> Result<Self> {
        let (s, secret) =
            credentials::keys::SoftwareSigner::generate(credentials::keys::Algorithm::Es256)?;
        Ok(Dpop {
            signer: Arc::new(s),
            jwk: Jwk::from_secret_key(&secret).to_value(),
            nonce: None,
        })
    }

    /// Restores a stored key.
    pub fn from_jwk(v: &Value) -> Result<Self> {
        let jwk = Jwk::from_value(v)?;
        Ok(Dpop {
            signer: Arc::new(credentials::keys::SoftwareSigner::from_jwk(&jwk)?),
            jwk: v.clone(),
            nonce: None,
        })
    }

    /// A DPoP proof for `method url`, bound to `access_token` when given.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> Result<String> {
        let mut claims = DpopClaims::new(
            random_b64(16),
            method,
            url,
            crate::wallet::now(),
            access_token,
        )
        .map_err(Error::http)?;
        claims.nonce = self.nonce.clone();
        claims
            .sign(self.signer.as_ref())
            .map_err(|e| Error::Offer(format!("DPoP proof: {e}")))
    }
}

/// The answer of a JSON endpoint: status, body, and the DPoP nonce header.
pub struct JsonAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body (null when empty or not JSON).
    pub body: Value,
    /// The `DPoP-Nonce` header.
    pub dpop_nonce: Option<String>,
    /// The `WWW-Authenticate` header.
    pub www_authenticate: Option<String>,
}

/// Largest answer read from an issuer or authorization server (metadata, offers, tokens, a
/// batch of credentials), bytes.
pub const MAX_ANSWER: usize = 8 * 1024 * 1024;

/// Reads a body of at most `max` bytes, counted as it streams (whatever `Content-Length`
/// says): a server cannot make the wallet hold more.
pub async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>> {
    let too_large = || Error::Http(format!("the answer is larger than {max} bytes"));
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Error::http)? {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Sends a request and reads a JSON (or empty) answer.
pub async fn send(req: reqwest::RequestBuilder) -> Result<JsonAnswer> {
    let resp = req.send().await.map_err(Error::http)?;
    let status = resp.status().as_u16();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let dpop_nonce = header("dpop-nonce");
    let www_authenticate = header("www-authenticate");
    let bytes = read_capped(resp, MAX_ANSWER).await?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    Ok(JsonAnswer {
        status,
        body,
        dpop_nonce,
        www_authenticate,
    })
}

impl JsonAnswer {
    /// Whether the server asks for a (new) DPoP nonce.
    pub fn wants_dpop_nonce(&self) -> bool {
        self.dpop_nonce.is_some()
            && (self.body.get("error").and_then(Value::as_str) == Some("use_dpop_nonce")
                || self
                    .www_authenticate
                    .as_deref()
                    .is_some_and(|w| w.contains("use_dpop_nonce")))
    }

    /// The body of a 2xx answer, or the OAuth error it carries.
    pub fn ok(self) -> Result<Value> {
        if (200..300).contains(&self.status) {
            return Ok(self.body);
        }
        Err(Error::Issuer {
            error: self
                .body
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| format!("HTTP {}", self.status), str::to_string),
            description: self
                .body
                .get("error_description")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_goes_before_the_path() {
        assert_eq!(
            well_known("https://issuer.example/tenant", "openid-credential-issuer").unwrap(),
            "https://issuer.example/.well-known/openid-credential-issuer/tenant"
        );
        assert_eq!(
            well_known("https://issuer.example", "oauth-authorization-server").unwrap(),
            "https://issuer.example/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        let (v, c) = pkce();
        assert_eq!(c, b64::encode(Sha256::digest(v.as_bytes())));
        assert!(v.len() >= 43);
    }
}
