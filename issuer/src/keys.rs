//! Key custody: the issuer's signing keys (software keys in the data directory, or keys in a
//! PKCS#11 module), their Document Signer certificates from the IACA, the key that decrypts
//! encrypted credential requests, and rotation without downtime.
//!
//! Layout of `DATA_DIR/keys/` (private files are created with mode 0600, never printed):
//! `iaca.jwk` + `iaca.pem` (the mdoc root), `signing-<kid>.jwk` (software keys),
//! `signing-<kid>.pem` (each key's DS certificate), `signing-<kid>.x5c.pem` (its credential
//! signer certificate for SD-JWT VC and status list `x5c`; made on first use for keys of an
//! earlier version), `encryption.jwk`, and `keyring.json` naming the active key and, for
//! retired ones, until when they stay published.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use credentials::keys::{Algorithm, Jwk, SecretKey, Signer, SoftwareSigner};
use credentials::x509::{profile, Certificate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Why keys could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// Reading or writing a key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file does not hold a usable key.
    #[error("key file {0} is not a usable key")]
    Malformed(PathBuf),
    /// Certificates could not be made.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The signing backend failed.
    #[error("signing key: {0}")]
    Backend(String),
}

/// Where a signing key lives.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeySource {
    /// A software key in `signing-<kid>.jwk`.
    Software,
    /// A key in a PKCS#11 token, found by its label.
    Pkcs11 {
        /// The object label.
        label: String,
    },
}

/// One signing key's record in `keyring.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyEntry {
    /// The key id (RFC 7638 thumbprint).
    pub kid: String,
    /// Where the private key is.
    pub source: KeySource,
    /// The public JWK.
    pub public_jwk: Value,
    /// When it became active.
    pub created_at: i64,
    /// When it stopped signing, if it did.
    #[serde(default)]
    pub retired_at: Option<i64>,
    /// Until when its public key stays published (its last credential's expiry).
    #[serde(default)]
    pub published_until: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct KeyringFile {
    active: String,
    keys: Vec<KeyEntry>,
}

/// Something that can open (or make) signing keys in a PKCS#11 module.
pub trait HsmBackend: Send + Sync {
    /// Opens the key labelled `label`, making a fresh non-extractable ES256 key first if the
    /// token has none.
    fn open_or_generate(&self, label: &str) -> Result<Arc<dyn Signer>, KeyStoreError>;
}

/// The active signing key and the DS certificate that goes with it.
#[derive(Clone)]
pub struct ActiveKey {
    /// The signer.
    pub signer: Arc<dyn Signer>,
    /// Its `kid`.
    pub kid: String,
    /// Its Document Signer certificate (issued by the IACA).
    pub ds_cert: Certificate,
    /// The `x5c` of its JOSE credentials (SD-JWT VCs, status list tokens): its credential
    /// signer certificate (issued by the IACA, naming the issuer identifier), without the
    /// trust anchor.
    pub x5c: Vec<Certificate>,
}

/// The active key, every key's record, and the keyring file's mtime when they were read.
type RingState = (
    Option<Arc<ActiveKey>>,
    Vec<KeyEntry>,
    Option<std::time::SystemTime>,
);

/// The issuer's keys.
pub struct KeyRing {
    dir: PathBuf,
    iaca: Certificate,
    iaca_signer: Arc<dyn Signer>,
    encryption: SecretKey,
    encryption_kid: String,
    eddsa: Arc<SoftwareSigner>,
    hsm: Option<Arc<dyn HsmBackend>>,
    state: RwLock<RingState>,
    name: String,
    country: String,
    issuer_id: String,
}

pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), KeyStoreError> {
    let io = |source| KeyStoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

fn read(path: &Path) -> Result<String, KeyStoreError> {
    std::fs::read_to_string(path).map_err(|source| KeyStoreError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn load_software(path: &Path) -> Result<(SoftwareSigner, SecretKey), KeyStoreError> {
    let jwk = Jwk::from_json(&read(path)?).map_err(|_| KeyStoreError::Malformed(path.into()))?;
    let secret = jwk
        .secret_key()
        .ok()
        .flatten()
        .ok_or_else(|| KeyStoreError::Malformed(path.into()))?;
    let signer = SoftwareSigner::new(&secret).map_err(|_| KeyStoreError::Malformed(path.into()))?;
    Ok((signer, secret))
}

fn new_software(path: &Path, alg: Algorithm) -> Result<(SoftwareSigner, SecretKey), KeyStoreError> {
    let (signer, secret) =
        SoftwareSigner::generate(alg).map_err(|e| KeyStoreError::Backend(e.to_string()))?;
    write_private(path, &Jwk::from_secret_key(&secret).to_value().to_string())?;
    Ok((signer, secret))
}

fn load_or_new(path: &Path, alg: Algorithm) -> Result<(SoftwareSigner, SecretKey), KeyStoreError> {
    if path.exists() {
        load_software(path)
    } else {
        new_software(path, alg)
    }
}

const CERT_DAYS: u32 = 3 * 365;

impl KeyRing {
    /// Opens the keys in `data_dir/keys`, making any that are missing (first run). With
    /// `hsm`, new signing keys are made in the module instead of in software. `issuer_id`
    /// (the credential issuer identifier) is named in the credential signer certificates.
    pub fn open(
        data_dir: &Path,
        name: &str,
        country: &str,
        issuer_id: &str,
        hsm: Option<Arc<dyn HsmBackend>>,
    ) -> Result<Self, KeyStoreError> {
        let dir = data_dir.join("keys");
        vouch_ops::files::private_dir(&dir).map_err(|source| KeyStoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let (iaca_signer, _) = load_or_new(&dir.join("iaca.jwk"), Algorithm::Es256)?;
        let iaca_signer: Arc<dyn Signer> = Arc::new(iaca_signer);
        let iaca_path = dir.join("iaca.pem");
        let iaca = if iaca_path.exists() {
            Certificate::from_pem_chain(&read(&iaca_path)?)
                .ok()
                .and_then(|c| c.into_iter().next())
                .ok_or_else(|| KeyStoreError::Malformed(iaca_path.clone()))?
        } else {
            let cert = profile::iaca(
                iaca_signer.clone(),
                country,
                &format!("{name} IACA"),
                10 * 365,
            )
            .map_err(|e| KeyStoreError::Certificate(e.to_string()))?;
            write_private(&iaca_path, &cert.to_pem())?;
            cert
        };
        let (enc_signer, encryption) = load_or_new(&dir.join("encryption.jwk"), Algorithm::Es256)?;
        let encryption_kid = enc_signer.key_id().unwrap_or_default().to_string();
        // W3C credentials with the eddsa-* cryptosuites need an Ed25519 key beside the
        // P-256 signing key (PKCS#11 tokens such as SoftHSM2 sign ECDSA; this one is kept in
        // software).
        let (eddsa, _) = load_or_new(&dir.join("eddsa.jwk"), Algorithm::EdDsa)?;
        let ring = KeyRing {
            dir,
            iaca,
            iaca_signer,
            encryption,
            encryption_kid,
            eddsa: Arc::new(eddsa),
            hsm,
            state: RwLock::new((None, Vec::new(), None)),
            name: name.to_string(),
            country: country.to_string(),
            issuer_id: issuer_id.to_string(),
        };
        if !ring.dir.join("keyring.json").exists() {
            let entry = ring.make_signing_key()?;
            ring.save(&KeyringFile {
                active: entry.kid.clone(),
                keys: vec![entry],
            })?;
        }
        ring.reload()?;
        Ok(ring)
    }

    fn make_signing_key(&self) -> Result<KeyEntry, KeyStoreError> {
        let now = crate::util::now();
        let (signer, source): (Arc<dyn Signer>, KeySource) = match &self.hsm {
            Some(hsm) => {
                let label = format!("vouch-issuer-{}", crate::util::random_digits(12));
                (hsm.open_or_generate(&label)?, KeySource::Pkcs11 { label })
            }
            None => {
                let tmp = self.dir.join("signing-new.jwk");
                let (signer, _) = new_software(&tmp, Algorithm::Es256)?;
                let kid = signer.key_id().unwrap_or_default().to_string();
                std::fs::rename(&tmp, self.dir.join(format!("signing-{kid}.jwk"))).map_err(
                    |source| KeyStoreError::Io {
                        path: tmp.clone(),
                        source,
                    },
                )?;
                (Arc::new(signer), KeySource::Software)
            }
        };
        let public = signer.public_key().to_jwk();
        let kid = public.thumbprint();
        let ds = profile::document_signer(
            signer.public_key(),
            &self.iaca,
            self.iaca_signer.clone(),
            &format!("{} Document Signer", self.name),
            CERT_DAYS,
        )
        .map_err(|e| KeyStoreError::Certificate(e.to_string()))?;
        write_private(&self.dir.join(format!("signing-{kid}.pem")), &ds.to_pem())?;
        Ok(KeyEntry {
            kid,
            source,
            public_jwk: public.to_value(),
            created_at: now,
            retired_at: None,
            published_until: None,
        })
    }

    fn save(&self, file: &KeyringFile) -> Result<(), KeyStoreError> {
        write_private(
            &self.dir.join("keyring.json"),
            &serde_json::to_string_pretty(file).expect("serializes"),
        )
    }

    fn load_file(&self) -> Result<KeyringFile, KeyStoreError> {
        let path = self.dir.join("keyring.json");
        serde_json::from_str(&read(&path)?).map_err(|_| KeyStoreError::Malformed(path))
    }

    fn open_signer(&self, entry: &KeyEntry) -> Result<Arc<dyn Signer>, KeyStoreError> {
        match &entry.source {
            KeySource::Software => Ok(Arc::new(
                load_software(&self.dir.join(format!("signing-{}.jwk", entry.kid)))?.0,
            )),
            KeySource::Pkcs11 { label } => self
                .hsm
                .as_ref()
                .ok_or_else(|| {
                    KeyStoreError::Backend(format!(
                        "key {} is in a PKCS#11 token but no module was given",
                        entry.kid
                    ))
                })?
                .open_or_generate(label),
        }
    }

    /// Re-reads `keyring.json` (another process may have rotated); cheap when unchanged.
    pub fn reload(&self) -> Result<(), KeyStoreError> {
        let path = self.dir.join("keyring.json");
        let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if mtime.is_some() && self.state.read().expect("lock").2 == mtime {
            return Ok(());
        }
        let file = self.load_file()?;
        let entry = file
            .keys
            .iter()
            .find(|k| k.kid == file.active)
            .ok_or_else(|| KeyStoreError::Malformed(path.clone()))?;
        let signer = self.open_signer(entry)?;
        let pem_path = self.dir.join(format!("signing-{}.pem", entry.kid));
        let ds_cert = Certificate::from_pem_chain(&read(&pem_path)?)
            .ok()
            .and_then(|c| c.into_iter().next())
            .ok_or(KeyStoreError::Malformed(pem_path))?;
        let x5c = vec![self.credential_signer_cert(&entry.kid, signer.public_key())?];
        let active = ActiveKey {
            signer,
            kid: entry.kid.clone(),
            ds_cert,
            x5c,
        };
        *self.state.write().expect("lock") = (Some(Arc::new(active)), file.keys, mtime);
        Ok(())
    }

    /// The credential signer certificate of key `kid` from `signing-<kid>.x5c.pem`, made
    /// (and kept) when missing or when it names another issuer identifier or key.
    fn credential_signer_cert(
        &self,
        kid: &str,
        key: &credentials::keys::PublicKey,
    ) -> Result<Certificate, KeyStoreError> {
        let path = self.dir.join(format!("signing-{kid}.x5c.pem"));
        if path.exists() {
            let kept = Certificate::from_pem_chain(&read(&path)?)
                .ok()
                .and_then(|c| c.into_iter().next())
                .ok_or_else(|| KeyStoreError::Malformed(path.clone()))?;
            let names_us = kept.subject_alt_names().1.contains(&self.issuer_id);
            let same_key = kept.public_key().ok().as_ref() == Some(key);
            // Renewed while it still outlives any credential it signs (400 days ahead, past a
            // year's validity), and whenever the IACA is no longer its issuer.
            let now = crate::util::now();
            let current = kept.validity().1 > now + 400 * 86_400
                && credentials::x509::validate_chain(
                    std::slice::from_ref(&kept),
                    std::slice::from_ref(&self.iaca),
                    now,
                    &Default::default(),
                )
                .is_ok();
            if names_us && same_key && current {
                return Ok(kept);
            }
        }
        let cert = profile::credential_signer(
            key,
            &self.iaca,
            self.iaca_signer.clone(),
            &self.name,
            &self.issuer_id,
            CERT_DAYS,
        )
        .map_err(|e| KeyStoreError::Certificate(e.to_string()))?;
        write_private(&path, &cert.to_pem())?;
        Ok(cert)
    }

    /// Makes a new signing key the active one. The old key stops signing now and stays in
    /// the published keys until `published_until` (the expiry of its last credential).
    pub fn rotate(&self, published_until: i64) -> Result<String, KeyStoreError> {
        let mut file = self.load_file()?;
        let entry = self.make_signing_key()?;
        let now = crate::util::now();
        for k in &mut file.keys {
            if k.kid == file.active {
                k.retired_at = Some(now);
                k.published_until = Some(published_until);
            }
        }
        file.active = entry.kid.clone();
        let kid = entry.kid.clone();
        file.keys.push(entry);
        self.save(&file)?;
        // Force a reload even within the file system's mtime granularity.
        self.state.write().expect("lock").2 = None;
        self.reload()?;
        Ok(kid)
    }

    /// The key that signs new credentials.
    pub fn active(&self) -> Arc<ActiveKey> {
        self.state
            .read()
            .expect("lock")
            .0
            .clone()
            .expect("the keyring is loaded when it is opened")
    }

    /// Public JWKs to publish at `/.well-known/jwt-vc-issuer`: the active key and every
    /// retired key whose credentials may still be valid at `now`.
    pub fn published_jwks(&self, now: i64) -> Vec<Value> {
        self.state
            .read()
            .expect("lock")
            .1
            .iter()
            .filter(|k| k.published_until.is_none_or(|t| t > now))
            .map(|k| k.public_jwk.clone())
            .collect()
    }

    /// The IACA certificate (the trust anchor for our mdocs).
    pub fn iaca(&self) -> &Certificate {
        &self.iaca
    }

    /// The Ed25519 key of the issuer's `eddsa-rdfc-2022` / `eddsa-jcs-2022` credentials
    /// (issuer: its `did:key`, registered beside the P-256 signing key's).
    pub fn eddsa(&self) -> Arc<SoftwareSigner> {
        self.eddsa.clone()
    }

    /// The private key that decrypts encrypted credential requests.
    pub fn encryption_key(&self) -> &SecretKey {
        &self.encryption
    }

    /// Its public JWK as published in `credential_request_encryption.jwks`.
    pub fn encryption_jwk(&self) -> Value {
        let mut v = self.encryption.public_key().to_jwk().to_value();
        if let Value::Object(m) = &mut v {
            m.insert("kid".into(), json!(self.encryption_kid));
            m.insert("use".into(), json!("enc"));
            m.insert("alg".into(), json!("ECDH-ES"));
        }
        v
    }

    /// The encryption key's `kid`.
    pub fn encryption_kid(&self) -> &str {
        &self.encryption_kid
    }

    /// The country of the IACA.
    pub fn country(&self) -> &str {
        &self.country
    }
}
