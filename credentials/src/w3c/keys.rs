//! Keys for W3C securing mechanisms: the core keys (P-256, P-384, Ed25519) plus P-521
//! (`ES512`), which the W3C VC-JOSE-COSE test suite uses and the core [`Algorithm`] set
//! does not include. P-521 uses the pure-Rust `p521` crate.

use p521::ecdsa::signature::{Signer as _, Verifier as _};
use serde_json::Value;

use super::W3cError;
use crate::b64;
use crate::keys::{Algorithm, Jwk, PublicKey, Signer};

/// A public key that verifies W3C-secured credentials.
#[derive(Clone, Debug)]
pub enum W3cPublicKey {
    /// A P-256, P-384 or Ed25519 key.
    Core(PublicKey),
    /// A P-521 key (`ES512`), as an uncompressed SEC1 point.
    P521(Vec<u8>),
}

impl From<PublicKey> for W3cPublicKey {
    fn from(k: PublicKey) -> Self {
        W3cPublicKey::Core(k)
    }
}

impl W3cPublicKey {
    /// Parses a public JWK (`EC` P-256/P-384/P-521 or `OKP` Ed25519); private members ignored.
    pub fn from_jwk(jwk: &Value) -> Result<Self, W3cError> {
        if jwk.get("crv").and_then(Value::as_str) == Some("P-521") {
            let coord = |n: &str| {
                jwk.get(n)
                    .and_then(Value::as_str)
                    .and_then(b64::decode)
                    .filter(|c| c.len() == 66)
                    .ok_or_else(|| W3cError::Key(format!("P-521 JWK \"{n}\" is malformed")))
            };
            let mut point = vec![0x04];
            point.extend(coord("x")?);
            point.extend(coord("y")?);
            p521::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| W3cError::Key("the P-521 point is not on the curve".into()))?;
            return Ok(W3cPublicKey::P521(point));
        }
        let mut public = jwk.clone();
        if let Some(o) = public.as_object_mut() {
            o.remove("d");
        }
        Jwk::from_value(&public)
            .map(|j| W3cPublicKey::Core(j.public_key().clone()))
            .map_err(|e| W3cError::Key(e.to_string()))
    }

    /// The JOSE algorithm this key verifies.
    pub fn jose_alg(&self) -> &'static str {
        match self {
            W3cPublicKey::Core(k) => k.kind().default_algorithm().jose_name(),
            W3cPublicKey::P521(_) => "ES512",
        }
    }

    /// Verifies a JOSE/COSE signature (raw `r || s`) with algorithm `alg` (JOSE name).
    pub fn verify(&self, alg: &str, message: &[u8], signature: &[u8]) -> Result<(), W3cError> {
        match self {
            W3cPublicKey::Core(k) => {
                let alg = Algorithm::from_jose_name(alg).ok_or_else(|| {
                    W3cError::Key(format!("algorithm \"{alg}\" is not supported"))
                })?;
                k.verify(alg, message, signature).map_err(|e| match e {
                    crate::keys::KeyError::BadSignature => W3cError::BadSignature,
                    other => W3cError::Key(other.to_string()),
                })
            }
            W3cPublicKey::P521(point) => {
                if alg != "ES512" {
                    return Err(W3cError::Key(format!(
                        "algorithm \"{alg}\" cannot be used with a P-521 key"
                    )));
                }
                let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| W3cError::Key("bad P-521 key".into()))?;
                let sig = p521::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| W3cError::BadSignature)?;
                key.verify(message, &sig)
                    .map_err(|_| W3cError::BadSignature)
            }
        }
    }
}

/// Something that signs W3C-secured credentials: any core [`Signer`], or a [`P521Signer`].
pub trait W3cSigner {
    /// The JOSE `alg` name.
    fn jose_alg(&self) -> &'static str;
    /// The COSE algorithm identifier.
    fn cose_alg(&self) -> i64;
    /// The `kid` to put in headers, if any.
    fn kid(&self) -> Option<String>;
    /// Signs `message` (raw `r || s` for ECDSA).
    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, W3cError>;
    /// The public key.
    fn public(&self) -> W3cPublicKey;
}

impl<T: Signer + ?Sized> W3cSigner for T {
    fn jose_alg(&self) -> &'static str {
        self.algorithm().jose_name()
    }
    fn cose_alg(&self) -> i64 {
        self.algorithm().cose_id()
    }
    fn kid(&self) -> Option<String> {
        self.key_id().map(str::to_string)
    }
    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, W3cError> {
        self.sign(message).map_err(|e| W3cError::Key(e.to_string()))
    }
    fn public(&self) -> W3cPublicKey {
        W3cPublicKey::Core(self.public_key().clone())
    }
}

/// An in-memory P-521 signing key (`ES512`).
pub struct P521Signer {
    key: p521::ecdsa::SigningKey,
    kid: Option<String>,
}

impl std::fmt::Debug for P521Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P521Signer(kid={:?})", self.kid)
    }
}

impl P521Signer {
    /// A signer from a private JWK (`crv: P-521`, with `d`); `kid` is taken from the JWK.
    pub fn from_jwk(jwk: &Value) -> Result<Self, W3cError> {
        let d = jwk
            .get("d")
            .and_then(Value::as_str)
            .and_then(b64::decode)
            .ok_or_else(|| W3cError::Key("the P-521 JWK has no \"d\"".into()))?;
        let key = p521::ecdsa::SigningKey::from_slice(&d)
            .map_err(|_| W3cError::Key("bad P-521 private key".into()))?;
        let signer = P521Signer {
            key,
            kid: jwk.get("kid").and_then(Value::as_str).map(str::to_string),
        };
        if let W3cPublicKey::P521(p) = W3cPublicKey::from_jwk(jwk)? {
            if p != signer.point() {
                return Err(W3cError::Key("the JWK's x/y do not match d".into()));
            }
        }
        Ok(signer)
    }

    fn point(&self) -> Vec<u8> {
        p521::ecdsa::VerifyingKey::from(&self.key)
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }
}

impl W3cSigner for P521Signer {
    fn jose_alg(&self) -> &'static str {
        "ES512"
    }
    fn cose_alg(&self) -> i64 {
        -36
    }
    fn kid(&self) -> Option<String> {
        self.kid.clone()
    }
    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, W3cError> {
        let sig: p521::ecdsa::Signature = self.key.sign(message);
        Ok(sig.to_bytes().to_vec())
    }
    fn public(&self) -> W3cPublicKey {
        W3cPublicKey::P521(self.point())
    }
}

/// Signs `payload` as a compact JWS with `header` (plus `alg`, and `kid` when the signer has one
/// and the header does not).
pub fn sign_jws(
    header: &serde_json::Map<String, Value>,
    payload: &[u8],
    signer: &dyn W3cSigner,
) -> Result<String, W3cError> {
    let mut header = header.clone();
    header.insert("alg".into(), signer.jose_alg().into());
    if let Some(kid) = signer.kid() {
        header.entry("kid").or_insert(kid.into());
    }
    let header_json = serde_json::to_vec(&Value::Object(header)).expect("a JSON map serializes");
    let mut out = b64::encode(header_json);
    out.push('.');
    out.push_str(&b64::encode(payload));
    let sig = signer.sign_bytes(out.as_bytes())?;
    out.push('.');
    out.push_str(&b64::encode(sig));
    Ok(out)
}
