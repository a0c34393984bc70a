//! Keys: algorithms, public and private keys, JWK and COSE_Key forms, and the [`Signer`] seam.
//!
//! A [`Signer`] is anything that can produce a JOSE/COSE signature (raw `r || s` for ECDSA,
//! 64 bytes for Ed25519) for a known public key: a [`SoftwareSigner`] here, a PKCS#11 key
//! later. Formats take `&dyn Signer` and never see where the signature came from.

pub mod cose_key;
pub mod ecdsa_der;
pub mod jwk;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
pub mod provider;

use std::fmt;

use zeroize::Zeroizing;

pub use jwk::Jwk;

/// A signature algorithm Vouch issues and verifies with (JOSE names, COSE identifiers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA over P-256 with SHA-256.
    Es256,
    /// ECDSA over P-384 with SHA-384.
    Es384,
    /// EdDSA over Ed25519.
    EdDsa,
    /// ECDSA over P-521 with SHA-512: verified (the W3C VC-JOSE-COSE suite uses it), never
    /// issued with, and outside [`Algorithm::ALL`], so no policy accepts it unless it names it.
    Es512,
}

impl Algorithm {
    /// The core algorithms Vouch issues with and accepts by default, strongest-last.
    pub const ALL: [Algorithm; 3] = [Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa];

    /// The JOSE `alg` value (RFC 7518, RFC 8037).
    pub fn jose_name(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Es512 => "ES512",
        }
    }

    /// Parses a JOSE `alg` value; `None` for anything Vouch does not support.
    pub fn from_jose_name(name: &str) -> Option<Self> {
        match name {
            "ES256" => Some(Algorithm::Es256),
            "ES384" => Some(Algorithm::Es384),
            "EdDSA" => Some(Algorithm::EdDsa),
            "ES512" => Some(Algorithm::Es512),
            _ => None,
        }
    }

    /// The COSE algorithm identifier (RFC 9053).
    pub fn cose_id(self) -> i64 {
        match self {
            Algorithm::Es256 => -7,
            Algorithm::Es384 => -35,
            Algorithm::EdDsa => -8,
            Algorithm::Es512 => -36,
        }
    }

    /// Parses a COSE algorithm identifier.
    pub fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            -7 => Some(Algorithm::Es256),
            -35 => Some(Algorithm::Es384),
            -8 => Some(Algorithm::EdDsa),
            -36 => Some(Algorithm::Es512),
            _ => None,
        }
    }

    /// The key type this algorithm needs.
    pub fn key_kind(self) -> KeyKind {
        match self {
            Algorithm::Es256 => KeyKind::P256,
            Algorithm::Es384 => KeyKind::P384,
            Algorithm::EdDsa => KeyKind::Ed25519,
            Algorithm::Es512 => KeyKind::P521,
        }
    }

    /// The hash applied to the message before signing (EdDSA hashes internally).
    pub fn hash(self) -> HashAlg {
        match self {
            Algorithm::Es256 => HashAlg::Sha256,
            Algorithm::Es384 => HashAlg::Sha384,
            Algorithm::EdDsa | Algorithm::Es512 => HashAlg::Sha512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.jose_name())
    }
}

/// The hash paired with an ECDSA key when verifying (X.509 chains can mix curve and hash).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// The kind of a key: its curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// Ed25519.
    Ed25519,
    /// NIST P-521 (secp521r1): verification only (see [`Algorithm::Es512`]).
    P521,
}

impl KeyKind {
    /// The JWK `crv` value.
    pub fn jwk_crv(self) -> &'static str {
        match self {
            KeyKind::P256 => "P-256",
            KeyKind::P384 => "P-384",
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::P521 => "P-521",
        }
    }

    /// Length in bytes of one coordinate (EC) or of the key (Ed25519).
    pub fn coordinate_len(self) -> usize {
        match self {
            KeyKind::P256 => 32,
            KeyKind::P384 => 48,
            KeyKind::Ed25519 => 32,
            KeyKind::P521 => 66,
        }
    }

    /// The algorithm Vouch uses with this kind of key.
    pub fn default_algorithm(self) -> Algorithm {
        match self {
            KeyKind::P256 => Algorithm::Es256,
            KeyKind::P384 => Algorithm::Es384,
            KeyKind::Ed25519 => Algorithm::EdDsa,
            KeyKind::P521 => Algorithm::Es512,
        }
    }
}

/// A public key: an uncompressed EC point (`0x04 || x || y`) or a raw Ed25519 key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    kind: KeyKind,
    bytes: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({:?}, {})",
            self.kind,
            crate::b64::encode(&self.bytes)
        )
    }
}

impl PublicKey {
    /// Builds a public key from an uncompressed SEC1 point or raw Ed25519 bytes, checking lengths.
    pub fn from_bytes(kind: KeyKind, bytes: &[u8]) -> Result<Self, KeyError> {
        let ok = match kind {
            KeyKind::Ed25519 => bytes.len() == 32,
            KeyKind::P256 | KeyKind::P384 | KeyKind::P521 => {
                bytes.len() == 1 + 2 * kind.coordinate_len() && bytes[0] == 0x04
            }
        };
        if !ok {
            return Err(KeyError::Malformed(
                "public key has the wrong length or encoding",
            ));
        }
        Ok(PublicKey {
            kind,
            bytes: bytes.to_vec(),
        })
    }

    /// Builds an EC public key from its affine coordinates.
    pub fn from_coordinates(kind: KeyKind, x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        let n = kind.coordinate_len();
        if kind == KeyKind::Ed25519 || x.len() != n || y.len() != n {
            return Err(KeyError::Malformed("EC coordinates have the wrong length"));
        }
        let mut bytes = Vec::with_capacity(1 + 2 * n);
        bytes.push(0x04);
        bytes.extend_from_slice(x);
        bytes.extend_from_slice(y);
        Ok(PublicKey { kind, bytes })
    }

    /// The kind (curve) of this key.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The uncompressed SEC1 point, or the raw Ed25519 key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The EC affine coordinates `(x, y)`; `None` for Ed25519.
    pub fn coordinates(&self) -> Option<(&[u8], &[u8])> {
        if self.kind == KeyKind::Ed25519 {
            return None;
        }
        let n = self.kind.coordinate_len();
        Some((&self.bytes[1..1 + n], &self.bytes[1 + n..]))
    }

    /// Checks that `alg` is meant for this key; JOSE and COSE forbid using a key with another curve.
    pub fn check_algorithm(&self, alg: Algorithm) -> Result<(), KeyError> {
        if alg.key_kind() == self.kind {
            Ok(())
        } else {
            Err(KeyError::AlgorithmMismatch {
                alg,
                key: self.kind,
            })
        }
    }

    /// Verifies a JOSE/COSE signature (raw `r || s` for ECDSA) with the default provider.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.verify_with(provider::default(), alg, message, signature)
    }

    /// Verifies with an explicit crypto provider.
    pub fn verify_with(
        &self,
        provider: &dyn provider::CryptoProvider,
        alg: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        self.check_algorithm(alg)?;
        provider.verify(self, alg.hash(), message, signature)
    }

    /// The public JWK of this key, with the RFC 7638 thumbprint as `kid`.
    pub fn to_jwk(&self) -> Jwk {
        Jwk::from_public_key(self)
    }
}

/// A private key held in memory (zeroized on drop): the EC scalar or the Ed25519 seed.
#[derive(Clone)]
pub struct SecretKey {
    public: PublicKey,
    secret: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        write!(f, "SecretKey({:?}, <redacted>)", self.public.kind)
    }
}

impl SecretKey {
    /// Builds a private key from its public half and the scalar (EC) or seed (Ed25519).
    pub fn new(public: PublicKey, secret: Vec<u8>) -> Result<Self, KeyError> {
        if secret.len() != public.kind.coordinate_len() {
            return Err(KeyError::Malformed("private key has the wrong length"));
        }
        Ok(SecretKey {
            public,
            secret: Zeroizing::new(secret),
        })
    }

    /// An EC private key from its scalar alone (the public key is computed).
    pub fn from_ec_scalar(kind: KeyKind, scalar: &[u8]) -> Result<Self, KeyError> {
        let public = provider::default().ec_public_key(kind, scalar)?;
        Self::new(public, scalar.to_vec())
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The scalar (EC) or seed (Ed25519), big-endian.
    pub fn secret_bytes(&self) -> &[u8] {
        &self.secret
    }
}

/// Errors from key handling and raw signature operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key bytes or JWK members are not a valid key.
    #[error("malformed key: {0}")]
    Malformed(&'static str),
    /// The algorithm does not belong to the key's curve.
    #[error("algorithm {alg} cannot be used with a {key:?} key")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        alg: Algorithm,
        /// The key's curve.
        key: KeyKind,
    },
    /// The key type or curve is not supported.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The signing backend failed (an HSM session, say).
    #[error("signing failed: {0}")]
    Backend(String),
}

/// Something that signs with one private key: a software key here, an HSM key elsewhere.
///
/// `sign` returns the JOSE/COSE signature form: raw `r || s` for ECDSA, 64 bytes for Ed25519.
pub trait Signer: Send + Sync {
    /// The algorithm this key signs with.
    fn algorithm(&self) -> Algorithm;
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> &PublicKey;
    /// The key identifier to put in a `kid` header, if any.
    fn key_id(&self) -> Option<&str> {
        None
    }
    /// Signs `message` (hashing it as the algorithm requires).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// A [`Signer`] over a private key held in memory, through a crypto provider.
pub struct SoftwareSigner {
    alg: Algorithm,
    public: PublicKey,
    kid: String,
    key: Box<dyn provider::PreparedSigningKey>,
}

impl fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SoftwareSigner({}, kid={})", self.alg, self.kid)
    }
}

impl SoftwareSigner {
    /// A signer for `secret` with the default provider; `kid` is the RFC 7638 thumbprint.
    pub fn new(secret: &SecretKey) -> Result<Self, KeyError> {
        Self::with_provider(provider::default(), secret)
    }

    /// A signer for `secret` with an explicit provider.
    pub fn with_provider(
        provider: &dyn provider::CryptoProvider,
        secret: &SecretKey,
    ) -> Result<Self, KeyError> {
        let public = secret.public_key().clone();
        Ok(SoftwareSigner {
            alg: public.kind().default_algorithm(),
            kid: jwk::thumbprint(&public),
            key: provider.prepare_signing_key(secret)?,
            public,
        })
    }

    /// A signer for the private key in a JWK.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let secret = jwk
            .secret_key()?
            .ok_or(KeyError::Malformed("the JWK has no private part (\"d\")"))?;
        let mut signer = Self::new(&secret)?;
        if let Some(kid) = jwk.kid() {
            signer.kid = kid.to_string();
        }
        if let Some(alg) = jwk.alg() {
            secret.public_key().check_algorithm(alg)?;
            signer.alg = alg;
        }
        Ok(signer)
    }

    /// Generates a fresh key for `alg` with the default provider.
    pub fn generate(alg: Algorithm) -> Result<(Self, SecretKey), KeyError> {
        let secret = provider::default().generate(alg.key_kind())?;
        Ok((Self::new(&secret)?, secret))
    }
}

impl Signer for SoftwareSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
    fn public_key(&self) -> &PublicKey {
        &self.public
    }
    fn key_id(&self) -> Option<&str> {
        Some(&self.kid)
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.key.sign(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_on_every_provider() {
        for p in provider::all() {
            // ES512 is outside ALL (verified, never issued) but goes through the same seam.
            for alg in Algorithm::ALL.into_iter().chain([Algorithm::Es512]) {
                let secret = p.generate(alg.key_kind()).unwrap();
                let signer = SoftwareSigner::with_provider(p, &secret).unwrap();
                let sig = signer.sign(b"hello").unwrap();
                for q in provider::all() {
                    let public = signer.public_key();
                    public.verify_with(q, alg, b"hello", &sig).unwrap();
                    assert_eq!(
                        public.verify_with(q, alg, b"hellp", &sig),
                        Err(KeyError::BadSignature),
                        "{} accepted a signature over other bytes from {}",
                        q.name(),
                        p.name()
                    );
                }
            }
        }
    }

    #[test]
    fn rejects_algorithm_of_another_curve() {
        let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let sig = signer.sign(b"m").unwrap();
        assert!(matches!(
            signer.public_key().verify(Algorithm::Es384, b"m", &sig),
            Err(KeyError::AlgorithmMismatch { .. })
        ));
    }

    #[test]
    fn secret_key_debug_never_prints_key_material() {
        let secret = provider::default().generate(KeyKind::P256).unwrap();
        let shown = format!("{secret:?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.contains(&crate::b64::encode(secret.secret_bytes())));
    }
}
