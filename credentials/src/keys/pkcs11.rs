//! Keys held in a PKCS#11 module (an HSM; SoftHSM2 in tests) behind the [`Signer`] seam.
//!
//! Keys are generated inside the token as non-extractable, sensitive EC keys (P-256 or
//! P-384); the private key never leaves the module. Signing hashes the message in software
//! and asks the token for `CKM_ECDSA` over the digest, which every module implements; the
//! module returns the raw `r || s` that JOSE and COSE use, so no DER conversion is needed.

use std::path::Path;
use std::sync::{Arc, Mutex};

use cryptoki::context::{CInitializeArgs, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use sha2::{Digest, Sha256, Sha384};

use super::{Algorithm, KeyError, KeyKind, PublicKey, Signer};

/// DER of the named-curve OID of P-256 (1.2.840.10045.3.1.7).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the named-curve OID of P-384 (1.3.132.0.34).
const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

fn backend(e: impl std::fmt::Display) -> KeyError {
    KeyError::Backend(e.to_string())
}

/// An initialised PKCS#11 module and the token slot whose keys Vouch uses.
pub struct Pkcs11Token {
    ctx: Arc<Pkcs11>,
    slot: Slot,
    pin: String,
}

impl std::fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the PIN.
        write!(f, "Pkcs11Token(slot={:?})", self.slot)
    }
}

impl Pkcs11Token {
    /// Loads `module`, initialises it and selects the token labelled `token_label` (or the
    /// first initialised token), logging in with the user `pin` for each session.
    pub fn open(module: &Path, token_label: Option<&str>, pin: &str) -> Result<Self, KeyError> {
        let ctx = Pkcs11::new(module).map_err(backend)?;
        match ctx.initialize(CInitializeArgs::OsThreads) {
            Ok(()) | Err(CkError::AlreadyInitialized) => {}
            Err(e) => return Err(backend(e)),
        }
        let slots = ctx.get_slots_with_initialized_token().map_err(backend)?;
        let slot = match token_label {
            None => slots.first().copied(),
            Some(label) => slots.into_iter().find(|s| {
                ctx.get_token_info(*s)
                    .map(|i| i.label().trim_end() == label)
                    .unwrap_or(false)
            }),
        }
        .ok_or_else(|| KeyError::Backend("no initialised PKCS#11 token found".into()))?;
        Ok(Pkcs11Token {
            ctx: Arc::new(ctx),
            slot,
            pin: pin.to_string(),
        })
    }

    fn session(&self) -> Result<Session, KeyError> {
        let s = self.ctx.open_rw_session(self.slot).map_err(backend)?;
        match s.login(UserType::User, Some(&AuthPin::new(self.pin.clone()))) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(s),
            Err(e) => Err(backend(e)),
        }
    }

    /// Generates a key pair labelled `label` inside the token: private key sensitive,
    /// non-extractable, usable only to sign.
    pub fn generate(&self, label: &str, alg: Algorithm) -> Result<Pkcs11Signer, KeyError> {
        let params = match alg {
            Algorithm::Es256 => P256_PARAMS,
            Algorithm::Es384 => P384_PARAMS,
            Algorithm::EdDsa | Algorithm::Es512 => {
                return Err(KeyError::Unsupported(format!(
                    "{alg} keys are not generated in PKCS#11 tokens"
                )))
            }
        };
        let session = self.session()?;
        let id = label.as_bytes().to_vec();
        let public_template = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(params.to_vec()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        let private_template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id),
        ];
        session
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &public_template,
                &private_template,
            )
            .map_err(backend)?;
        drop(session);
        self.find(label)?
            .ok_or_else(|| KeyError::Backend("the generated key cannot be found".into()))
    }

    /// The signer for the key pair labelled `label`, if the token holds one.
    pub fn find(&self, label: &str) -> Result<Option<Pkcs11Signer>, KeyError> {
        let session = self.session()?;
        let find = |class| {
            session.find_objects(&[
                Attribute::Class(class),
                Attribute::KeyType(KeyType::EC),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
        };
        let private = find(ObjectClass::PRIVATE_KEY).map_err(backend)?;
        let public = find(ObjectClass::PUBLIC_KEY).map_err(backend)?;
        let (Some(&private), Some(&public)) = (private.first(), public.first()) else {
            return Ok(None);
        };
        let attrs = session
            .get_attributes(public, &[AttributeType::EcParams, AttributeType::EcPoint])
            .map_err(backend)?;
        let mut params = None;
        let mut point = None;
        for a in attrs {
            match a {
                Attribute::EcParams(p) => params = Some(p),
                Attribute::EcPoint(p) => point = Some(p),
                _ => {}
            }
        }
        let (kind, alg) = match params.as_deref() {
            Some(P256_PARAMS) => (KeyKind::P256, Algorithm::Es256),
            Some(P384_PARAMS) => (KeyKind::P384, Algorithm::Es384),
            _ => {
                return Err(KeyError::Unsupported(
                    "the token key is not on P-256 or P-384".into(),
                ))
            }
        };
        let point = point.ok_or(KeyError::Malformed("the token key has no EC point"))?;
        let public_key = PublicKey::from_bytes(kind, unwrap_octet_string(&point))?;
        Ok(Some(Pkcs11Signer {
            session: Mutex::new(session),
            key: private,
            alg,
            kid: super::jwk::thumbprint(&public_key),
            public: public_key,
        }))
    }

    /// Whether the private key labelled `label` is marked sensitive and never extractable.
    pub fn is_non_extractable(&self, label: &str) -> Result<bool, KeyError> {
        let session = self.session()?;
        let keys = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(backend)?;
        let Some(&key) = keys.first() else {
            return Ok(false);
        };
        let attrs = session
            .get_attributes(
                key,
                &[
                    AttributeType::Extractable,
                    AttributeType::Sensitive,
                    AttributeType::NeverExtractable,
                ],
            )
            .map_err(backend)?;
        Ok(attrs.iter().all(|a| match a {
            Attribute::Extractable(e) => !e,
            Attribute::Sensitive(s) => *s,
            Attribute::NeverExtractable(n) => *n,
            _ => true,
        }))
    }
}

/// `CKA_EC_POINT` is a DER OCTET STRING around the SEC1 point (some modules omit the wrapper).
fn unwrap_octet_string(der: &[u8]) -> &[u8] {
    match der {
        [0x04, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        [0x04, 0x81, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        other => other,
    }
}

/// A [`Signer`] whose private key stays in a PKCS#11 token.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    alg: Algorithm,
    public: PublicKey,
    kid: String,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Signer({}, kid={})", self.alg, self.kid)
    }
}

impl Signer for Pkcs11Signer {
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
        let digest = match self.alg {
            Algorithm::Es256 => Sha256::digest(message).to_vec(),
            Algorithm::Es384 => Sha384::digest(message).to_vec(),
            Algorithm::EdDsa | Algorithm::Es512 => {
                return Err(KeyError::Unsupported(self.alg.to_string()))
            }
        };
        let session = self
            .session
            .lock()
            .map_err(|_| KeyError::Backend("the PKCS#11 session lock is poisoned".into()))?;
        let sig = session
            .sign(&Mechanism::Ecdsa, self.key, &digest)
            .map_err(backend)?;
        if sig.len() != 2 * self.public.kind().coordinate_len() {
            return Err(KeyError::Backend(format!(
                "the token returned a {}-byte ECDSA signature",
                sig.len()
            )));
        }
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

    /// A directory removed on drop (the crate has no tempfile dependency).
    struct TempDir(std::path::PathBuf);
    impl TempDir {
        fn new() -> Self {
            let p = std::env::temp_dir().join(format!(
                "vouch-pkcs11-{}",
                crate::b64::encode(crate::keys::provider::random_bytes::<9>())
            ));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A fresh SoftHSM2 token in a temporary directory (SOFTHSM2_CONF points at it); `None`
    /// with a notice when SoftHSM2 is not installed.
    fn softhsm() -> Option<(TempDir, Pkcs11Token)> {
        let module = std::env::var("VOUCH_PKCS11_MODULE").unwrap_or_else(|_| MODULE.into());
        if !Path::new(&module).exists() {
            eprintln!("SKIPPED: SoftHSM2 is not installed ({module}); apt-get install softhsm2");
            return None;
        }
        let dir = TempDir::new();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        std::env::set_var("SOFTHSM2_CONF", &conf);
        let ctx = Pkcs11::new(&module).unwrap();
        ctx.initialize(CInitializeArgs::OsThreads).unwrap();
        let slot = ctx.get_slots_with_token().unwrap().remove(0);
        let so = AuthPin::new("12345678".to_string());
        ctx.init_token(slot, &so, "vouch-test").unwrap();
        {
            let s = ctx.open_rw_session(slot).unwrap();
            s.login(UserType::So, Some(&so)).unwrap();
            s.init_pin(&AuthPin::new("87654321".to_string())).unwrap();
        }
        drop(ctx);
        let token = Pkcs11Token::open(Path::new(&module), Some("vouch-test"), "87654321").unwrap();
        Some((dir, token))
    }

    // One test: SOFTHSM2_CONF is process-wide, and the module is initialised once.
    #[test]
    fn softhsm_keys_sign_jose_and_cose_and_never_leave_the_token() {
        let Some((_dir, token)) = softhsm() else {
            return;
        };
        for (label, alg) in [("k256", Algorithm::Es256), ("k384", Algorithm::Es384)] {
            let signer = token.generate(label, alg).unwrap();
            assert_eq!(signer.algorithm(), alg);
            assert!(token.is_non_extractable(label).unwrap());
            // raw r||s that verifies with the software provider, for JWS and COSE alike
            let sig = signer.sign(b"message").unwrap();
            signer.public_key().verify(alg, b"message", &sig).unwrap();
            assert!(signer.public_key().verify(alg, b"messagf", &sig).is_err());
            let jws = crate::jose::sign_compact(&serde_json::Map::new(), b"{}", &signer).unwrap();
            crate::jose::CompactJws::parse(&jws)
                .unwrap()
                .verify(signer.public_key(), &crate::jose::JwsPolicy::default())
                .unwrap();
            // found again by label, same key
            let again = token.find(label).unwrap().unwrap();
            assert_eq!(again.public_key(), signer.public_key());
            assert_eq!(again.key_id(), signer.key_id());
        }
        assert!(token.find("absent").unwrap().is_none());
        // a wrong PIN is refused (once no session of ours is logged in)
        drop(token);
        let module = std::env::var("VOUCH_PKCS11_MODULE").unwrap_or_else(|_| MODULE.into());
        let bad = Pkcs11Token::open(Path::new(&module), Some("vouch-test"), "0000").unwrap();
        assert!(bad.find("k256").is_err());
    }
}
