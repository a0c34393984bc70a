//! The pure-Rust provider, over `p256`, `p384`, `p521` and `ed25519-dalek`.

use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{CryptoProvider, PreparedSigningKey};
use crate::keys::{HashAlg, KeyError, KeyKind, PublicKey, SecretKey};

/// RustCrypto's `p256`, `p384` and `ed25519-dalek`.
#[derive(Debug)]
pub(super) struct RustCrypto;

enum Prepared {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(Box<p521::ecdsa::SigningKey>),
    Ed(ed25519_dalek::SigningKey),
}

fn prehash(hash: HashAlg, message: &[u8]) -> Vec<u8> {
    match hash {
        HashAlg::Sha256 => Sha256::digest(message).to_vec(),
        HashAlg::Sha384 => Sha384::digest(message).to_vec(),
        HashAlg::Sha512 => Sha512::digest(message).to_vec(),
    }
}

impl PreparedSigningKey for Prepared {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let failed = |_| KeyError::Backend("ECDSA signing failed".into());
        Ok(match self {
            Prepared::P256(k) => {
                let s: p256::ecdsa::Signature = k
                    .sign_prehash(&prehash(HashAlg::Sha256, message))
                    .map_err(failed)?;
                s.to_bytes().to_vec()
            }
            Prepared::P384(k) => {
                let s: p384::ecdsa::Signature = k
                    .sign_prehash(&prehash(HashAlg::Sha384, message))
                    .map_err(failed)?;
                s.to_bytes().to_vec()
            }
            Prepared::P521(k) => {
                let s: p521::ecdsa::Signature = k
                    .sign_prehash(&prehash(HashAlg::Sha512, message))
                    .map_err(failed)?;
                s.to_bytes().to_vec()
            }
            Prepared::Ed(k) => k.sign(message).to_bytes().to_vec(),
        })
    }
}

impl CryptoProvider for RustCrypto {
    fn name(&self) -> &'static str {
        "rustcrypto"
    }

    fn generate(&self, kind: KeyKind) -> Result<SecretKey, KeyError> {
        match kind {
            KeyKind::P256 => {
                let k = p256::ecdsa::SigningKey::random(&mut OsRng);
                let point = k.verifying_key().to_encoded_point(false);
                SecretKey::new(
                    PublicKey::from_bytes(kind, point.as_bytes())?,
                    k.to_bytes().to_vec(),
                )
            }
            KeyKind::P384 => {
                let k = p384::ecdsa::SigningKey::random(&mut OsRng);
                let point = k.verifying_key().to_encoded_point(false);
                SecretKey::new(
                    PublicKey::from_bytes(kind, point.as_bytes())?,
                    k.to_bytes().to_vec(),
                )
            }
            KeyKind::P521 => {
                let k = p521::ecdsa::SigningKey::random(&mut OsRng);
                let point = p521::ecdsa::VerifyingKey::from(&k).to_encoded_point(false);
                SecretKey::new(
                    PublicKey::from_bytes(kind, point.as_bytes())?,
                    k.to_bytes().to_vec(),
                )
            }
            KeyKind::Ed25519 => {
                let k = ed25519_dalek::SigningKey::generate(&mut OsRng);
                SecretKey::new(
                    PublicKey::from_bytes(kind, k.verifying_key().as_bytes())?,
                    k.to_bytes().to_vec(),
                )
            }
        }
    }

    fn prepare_signing_key(
        &self,
        key: &SecretKey,
    ) -> Result<Box<dyn PreparedSigningKey>, KeyError> {
        let bad = KeyError::Malformed("invalid private key");
        let mismatch = KeyError::Malformed("private key does not match its public key");
        let public = key.public_key();
        let prepared = match public.kind() {
            KeyKind::P256 => {
                let k = p256::ecdsa::SigningKey::from_slice(key.secret_bytes()).map_err(|_| bad)?;
                if k.verifying_key().to_encoded_point(false).as_bytes() != public.as_bytes() {
                    return Err(mismatch);
                }
                Prepared::P256(k)
            }
            KeyKind::P384 => {
                let k = p384::ecdsa::SigningKey::from_slice(key.secret_bytes()).map_err(|_| bad)?;
                if k.verifying_key().to_encoded_point(false).as_bytes() != public.as_bytes() {
                    return Err(mismatch);
                }
                Prepared::P384(k)
            }
            KeyKind::P521 => {
                let k = p521::ecdsa::SigningKey::from_slice(key.secret_bytes()).map_err(|_| bad)?;
                let point = p521::ecdsa::VerifyingKey::from(&k).to_encoded_point(false);
                if point.as_bytes() != public.as_bytes() {
                    return Err(mismatch);
                }
                Prepared::P521(Box::new(k))
            }
            KeyKind::Ed25519 => {
                let seed: [u8; 32] = key.secret_bytes().try_into().map_err(|_| bad)?;
                let k = ed25519_dalek::SigningKey::from_bytes(&seed);
                if k.verifying_key().as_bytes() != public.as_bytes() {
                    return Err(mismatch);
                }
                Prepared::Ed(k)
            }
        };
        Ok(Box::new(prepared))
    }

    fn verify(
        &self,
        key: &PublicKey,
        hash: HashAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        let bad = |_| KeyError::BadSignature;
        match key.kind() {
            KeyKind::P256 => {
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes())
                    .map_err(|_| KeyError::Malformed("not a P-256 point"))?;
                let s = p256::ecdsa::Signature::from_slice(signature).map_err(bad)?;
                vk.verify_prehash(&prehash(hash, message), &s).map_err(bad)
            }
            KeyKind::P384 => {
                let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes())
                    .map_err(|_| KeyError::Malformed("not a P-384 point"))?;
                let s = p384::ecdsa::Signature::from_slice(signature).map_err(bad)?;
                vk.verify_prehash(&prehash(hash, message), &s).map_err(bad)
            }
            KeyKind::P521 => {
                let vk = p521::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes())
                    .map_err(|_| KeyError::Malformed("not a P-521 point"))?;
                let s = p521::ecdsa::Signature::from_slice(signature).map_err(bad)?;
                vk.verify_prehash(&prehash(hash, message), &s).map_err(bad)
            }
            KeyKind::Ed25519 => {
                let bytes: [u8; 32] = key
                    .as_bytes()
                    .try_into()
                    .map_err(|_| KeyError::BadSignature)?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| KeyError::Malformed("not an Ed25519 key"))?;
                let s = ed25519_dalek::Signature::from_slice(signature).map_err(bad)?;
                vk.verify_strict(message, &s).map_err(bad)
            }
        }
    }

    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        prehash(alg, data)
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), KeyError> {
        OsRng
            .try_fill_bytes(out)
            .map_err(|_| KeyError::Backend("random number generator failed".into()))
    }

    fn ecdh(
        &self,
        secret: &SecretKey,
        peer: &PublicKey,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError> {
        if peer.kind() != secret.public_key().kind() {
            return Err(KeyError::Malformed("ECDH peer key is on another curve"));
        }
        let bad_peer = KeyError::Malformed("invalid ECDH peer key");
        let bad_secret = KeyError::Malformed("invalid ECDH private key");
        Ok(zeroize::Zeroizing::new(match secret.public_key().kind() {
            KeyKind::P256 => {
                let s =
                    p256::SecretKey::from_slice(secret.secret_bytes()).map_err(|_| bad_secret)?;
                let p = p256::PublicKey::from_sec1_bytes(peer.as_bytes()).map_err(|_| bad_peer)?;
                p256::ecdh::diffie_hellman(s.to_nonzero_scalar(), p.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            KeyKind::P384 => {
                let s =
                    p384::SecretKey::from_slice(secret.secret_bytes()).map_err(|_| bad_secret)?;
                let p = p384::PublicKey::from_sec1_bytes(peer.as_bytes()).map_err(|_| bad_peer)?;
                p384::ecdh::diffie_hellman(s.to_nonzero_scalar(), p.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            KeyKind::P521 => {
                let s =
                    p521::SecretKey::from_slice(secret.secret_bytes()).map_err(|_| bad_secret)?;
                let p = p521::PublicKey::from_sec1_bytes(peer.as_bytes()).map_err(|_| bad_peer)?;
                p521::ecdh::diffie_hellman(s.to_nonzero_scalar(), p.as_affine())
                    .raw_secret_bytes()
                    .to_vec()
            }
            KeyKind::Ed25519 => {
                return Err(KeyError::Unsupported("ECDH with an Ed25519 key".into()))
            }
        }))
    }

    fn ec_public_key(&self, kind: KeyKind, scalar: &[u8]) -> Result<PublicKey, KeyError> {
        let bad = KeyError::Malformed("invalid EC private key");
        match kind {
            KeyKind::P256 => {
                let s = p256::SecretKey::from_slice(scalar).map_err(|_| bad)?;
                PublicKey::from_bytes(kind, s.public_key().to_encoded_point(false).as_bytes())
            }
            KeyKind::P384 => {
                let s = p384::SecretKey::from_slice(scalar).map_err(|_| bad)?;
                PublicKey::from_bytes(kind, s.public_key().to_encoded_point(false).as_bytes())
            }
            KeyKind::P521 => {
                let s = p521::SecretKey::from_slice(scalar).map_err(|_| bad)?;
                PublicKey::from_bytes(kind, s.public_key().to_encoded_point(false).as_bytes())
            }
            KeyKind::Ed25519 => Err(KeyError::Unsupported("not an EC key".into())),
        }
    }
}
