//! The default provider, over aws-lc-rs.

use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair};

use super::{CryptoProvider, PreparedSigningKey};
use crate::keys::{HashAlg, KeyError, KeyKind, PublicKey, SecretKey};

/// aws-lc-rs.
#[derive(Debug)]
pub(super) struct AwsLc;

enum Prepared {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl PreparedSigningKey for Prepared {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Prepared::Ec(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Backend("ECDSA signing failed".into())),
            Prepared::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

fn signing_alg(kind: KeyKind) -> &'static sig::EcdsaSigningAlgorithm {
    match kind {
        KeyKind::P384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        KeyKind::P521 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
    }
}

impl CryptoProvider for AwsLc {
    fn name(&self) -> &'static str {
        "aws-lc-rs"
    }

    fn generate(&self, kind: KeyKind) -> Result<SecretKey, KeyError> {
        let failed = |_| KeyError::Backend("key generation failed".into());
        match kind {
            KeyKind::Ed25519 => {
                let kp = Ed25519KeyPair::generate().map_err(failed)?;
                let seed = kp.seed().map_err(failed)?.as_be_bytes().map_err(failed)?;
                let public = PublicKey::from_bytes(kind, kp.public_key().as_ref())?;
                SecretKey::new(public, seed.as_ref().to_vec())
            }
            KeyKind::P256 | KeyKind::P384 | KeyKind::P521 => {
                let kp = EcdsaKeyPair::generate(signing_alg(kind)).map_err(failed)?;
                let d = kp.private_key().as_be_bytes().map_err(failed)?;
                let public = PublicKey::from_bytes(kind, kp.public_key().as_ref())?;
                SecretKey::new(public, d.as_ref().to_vec())
            }
        }
    }

    fn prepare_signing_key(
        &self,
        key: &SecretKey,
    ) -> Result<Box<dyn PreparedSigningKey>, KeyError> {
        let public = key.public_key();
        let mismatch = |_| KeyError::Malformed("private key does not match its public key");
        Ok(Box::new(match public.kind() {
            KeyKind::Ed25519 => Prepared::Ed(
                Ed25519KeyPair::from_seed_and_public_key(key.secret_bytes(), public.as_bytes())
                    .map_err(mismatch)?,
            ),
            kind => Prepared::Ec(
                EcdsaKeyPair::from_private_key_and_public_key(
                    signing_alg(kind),
                    key.secret_bytes(),
                    public.as_bytes(),
                )
                .map_err(mismatch)?,
            ),
        }))
    }

    fn verify(
        &self,
        key: &PublicKey,
        hash: HashAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        let alg: &'static dyn sig::VerificationAlgorithm = match (key.kind(), hash) {
            (KeyKind::P256, HashAlg::Sha256) => &sig::ECDSA_P256_SHA256_FIXED,
            (KeyKind::P384, HashAlg::Sha384) => &sig::ECDSA_P384_SHA384_FIXED,
            (KeyKind::P521, HashAlg::Sha512) => &sig::ECDSA_P521_SHA512_FIXED,
            (KeyKind::Ed25519, _) => &sig::ED25519,
            // Mixed curve and hash occur in X.509 chains; aws-lc-rs has only the DER form.
            (KeyKind::P256, HashAlg::Sha384) | (KeyKind::P384, HashAlg::Sha256) => {
                let alg = if key.kind() == KeyKind::P256 {
                    &sig::ECDSA_P256_SHA384_ASN1
                } else {
                    &sig::ECDSA_P384_SHA256_ASN1
                };
                if signature.len() != 2 * key.kind().coordinate_len() {
                    return Err(KeyError::BadSignature);
                }
                let der = crate::keys::ecdsa_der::fixed_to_der(signature);
                return sig::UnparsedPublicKey::new(alg, key.as_bytes())
                    .verify(message, &der)
                    .map_err(|_| KeyError::BadSignature);
            }
            (kind, hash) => {
                return Err(KeyError::Unsupported(format!("{kind:?} with {hash:?}")));
            }
        };
        sig::UnparsedPublicKey::new(alg, key.as_bytes())
            .verify(message, signature)
            .map_err(|_| KeyError::BadSignature)
    }

    fn hash(&self, alg: HashAlg, data: &[u8]) -> Vec<u8> {
        let alg = match alg {
            HashAlg::Sha256 => &aws_lc_rs::digest::SHA256,
            HashAlg::Sha384 => &aws_lc_rs::digest::SHA384,
            HashAlg::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
    }

    fn fill_random(&self, out: &mut [u8]) -> Result<(), KeyError> {
        SystemRandom::new()
            .fill(out)
            .map_err(|_| KeyError::Backend("random number generator failed".into()))
    }

    fn ecdh(
        &self,
        secret: &SecretKey,
        peer: &PublicKey,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError> {
        use aws_lc_rs::agreement;
        let alg = match secret.public_key().kind() {
            KeyKind::P256 => &agreement::ECDH_P256,
            KeyKind::P384 => &agreement::ECDH_P384,
            KeyKind::P521 => &agreement::ECDH_P521,
            KeyKind::Ed25519 => {
                return Err(KeyError::Unsupported("ECDH with an Ed25519 key".into()))
            }
        };
        if peer.kind() != secret.public_key().kind() {
            return Err(KeyError::Malformed("ECDH peer key is on another curve"));
        }
        let private = agreement::PrivateKey::from_private_key(alg, secret.secret_bytes())
            .map_err(|_| KeyError::Malformed("invalid ECDH private key"))?;
        agreement::agree(
            &private,
            agreement::UnparsedPublicKey::new(alg, peer.as_bytes()),
            KeyError::Malformed("invalid ECDH peer key"),
            |z| Ok(zeroize::Zeroizing::new(z.to_vec())),
        )
    }

    fn ec_public_key(&self, kind: KeyKind, scalar: &[u8]) -> Result<PublicKey, KeyError> {
        use aws_lc_rs::agreement;
        let alg = match kind {
            KeyKind::P256 => &agreement::ECDH_P256,
            KeyKind::P384 => &agreement::ECDH_P384,
            KeyKind::P521 => &agreement::ECDH_P521,
            KeyKind::Ed25519 => return Err(KeyError::Unsupported("not an EC key".into())),
        };
        let private = agreement::PrivateKey::from_private_key(alg, scalar)
            .map_err(|_| KeyError::Malformed("invalid EC private key"))?;
        let public = private
            .compute_public_key()
            .map_err(|_| KeyError::Malformed("invalid EC private key"))?;
        PublicKey::from_bytes(kind, public.as_ref())
    }
}
