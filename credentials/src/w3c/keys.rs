//! Keys for W3C securing mechanisms. Every key, P-521 (`ES512`, which the W3C
//! VC-JOSE-COSE test suite uses) included, is a core [`PublicKey`] verified through the
//! crypto provider seam; P-521 is outside [`Algorithm::ALL`], so only the W3C paths, which
//! name it, accept it.

use serde_json::Value;

use super::W3cError;
use crate::b64;
use crate::keys::{Algorithm, Jwk, KeyKind, PublicKey, Signer, SoftwareSigner};

/// A public key that verifies W3C-secured credentials.
#[derive(Clone, Debug)]
pub enum W3cPublicKey {
    /// A P-256, P-384, P-521 or Ed25519 key.
    Core(PublicKey),
}

impl From<PublicKey> for W3cPublicKey {
    fn from(k: PublicKey) -> Self {
        W3cPublicKey::Core(k)
    }
}

impl W3cPublicKey {
    /// Parses a public JWK (`EC` P-256/P-384/P-521 or `OKP` Ed25519); private members ignored.
    /// An EC point must lie on its curve.
    pub fn from_jwk(jwk: &Value) -> Result<Self, W3cError> {
        let mut public = jwk.clone();
        if let Some(o) = public.as_object_mut() {
            o.remove("d");
        }
        let key = Jwk::from_value(&public)
            .map(|j| j.public_key().clone())
            .map_err(|e| W3cError::Key(e.to_string()))?;
        if key.kind() == KeyKind::P521 {
            p521::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes())
                .map_err(|_| W3cError::Key("the P-521 point is not on the curve".into()))?;
        }
        Ok(W3cPublicKey::Core(key))
    }

    /// The JOSE algorithm this key verifies.
    pub fn jose_alg(&self) -> &'static str {
        match self {
            W3cPublicKey::Core(k) => k.kind().default_algorithm().jose_name(),
        }
    }

    /// Verifies a JOSE/COSE signature (raw `r || s`) with algorithm `alg` (JOSE name).
    pub fn verify(&self, alg: &str, message: &[u8], signature: &[u8]) -> Result<(), W3cError> {
        let W3cPublicKey::Core(k) = self;
        let alg = Algorithm::from_jose_name(alg)
            .ok_or_else(|| W3cError::Key(format!("algorithm \"{alg}\" is not supported")))?;
        k.verify(alg, message, signature).map_err(|e| match e {
            crate::keys::KeyError::BadSignature => W3cError::BadSignature,
            other => W3cError::Key(other.to_string()),
        })
    }
}

/// Something that signs W3C-secured credentials: any core [`Signer`].
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

/// A P-521 signing key (`ES512`) from a private JWK, for the W3C test suites: a
/// [`SoftwareSigner`] through the crypto provider, like every other key.
#[derive(Debug)]
pub struct P521Signer;

impl P521Signer {
    /// A signer from a private JWK (`crv: P-521`, with `d`); `kid` is taken from the JWK,
    /// and the JWK's `x`/`y` must match `d`.
    pub fn from_jwk(jwk: &Value) -> Result<SoftwareSigner, W3cError> {
        if jwk.get("crv").and_then(Value::as_str) != Some("P-521") {
            return Err(W3cError::Key("not a P-521 JWK".into()));
        }
        let jwk = Jwk::from_value(jwk).map_err(|e| W3cError::Key(e.to_string()))?;
        SoftwareSigner::from_jwk(&jwk).map_err(|e| W3cError::Key(e.to_string()))
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
