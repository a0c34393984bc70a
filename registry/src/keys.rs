//! The registry's keys, kept as private JWK files in its data directory and generated on
//! first run: the log keys (Ed25519, `log-keys/*.jwk`, one per rotation) and the snapshot
//! key (ES256, `snapshot-key.jwk`). Key material is never printed or logged.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use credentials::keys::{provider, Algorithm, Jwk, Signer, SoftwareSigner};

/// Why the keys could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// File system trouble.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file is not a usable private JWK.
    #[error("key file {0} is not a usable private JWK")]
    BadKey(PathBuf),
}

/// The keys of one registry.
pub struct RegistryKeys {
    dir: PathBuf,
    /// Every log key held, oldest first.
    pub log_keys: Vec<Arc<dyn Signer>>,
    /// The snapshot key.
    pub snapshot_key: Arc<dyn Signer>,
}

impl std::fmt::Debug for RegistryKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RegistryKeys({}, {} log keys)",
            self.dir.display(),
            self.log_keys.len()
        )
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyStoreError + '_ {
    move |source| KeyStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a private JWK file.
/// A witness's cosigning key (Ed25519) in `dir/witness.jwk`, made on first use.
pub fn witness_key(dir: &Path) -> Result<Arc<dyn Signer>, KeyStoreError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join("witness.jwk");
    create_key(&path, Algorithm::EdDsa)?;
    read_key(&path)
}

/// The register's VICAL signing key (ES256, `vical-signer.jwk`) and its certificate
/// (`vical-signer.pem`, self-signed, naming the register's `origin`), made on first use.
pub fn vical_signer(
    dir: &Path,
    origin: &str,
) -> Result<(Arc<dyn Signer>, credentials::x509::Certificate), KeyStoreError> {
    let key_path = dir.join("vical-signer.jwk");
    create_key(&key_path, Algorithm::Es256)?;
    let signer = read_key(&key_path)?;
    let cert_path = dir.join("vical-signer.pem");
    let kept = fs::read_to_string(&cert_path)
        .ok()
        .and_then(|p| credentials::x509::Certificate::from_pem_chain(&p).ok())
        .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
        .filter(|c| c.public_key().ok().as_ref() == Some(signer.public_key()));
    let cert = match kept {
        Some(c) => c,
        None => {
            let c = credentials::x509::dev::self_signed(
                &credentials::x509::dev::CertSpec {
                    common_name: format!("{origin} VICAL signer"),
                    organization: Some("Vouch trust register".into()),
                    days: 3650,
                    ..Default::default()
                },
                signer.clone(),
            )
            .map_err(|_| KeyStoreError::BadKey(cert_path.clone()))?;
            vouch_ops::files::write_private(&cert_path, c.to_pem()).map_err(io(&cert_path))?;
            c
        }
    };
    Ok((signer, cert))
}

/// The register's registrar (ETSI TS 119 475): a CA (`registrar-ca.jwk`, self-signed
/// `registrar-ca.pem`, named in every snapshot) and the signing key of relying parties'
/// registration certificates (`registrar.jwk`, `registrar.pem` issued by that CA), made on
/// first use. Returns the signer, its certificate and the CA's.
pub fn registrar(dir: &Path, origin: &str) -> Result<Registrar, KeyStoreError> {
    use credentials::x509::dev::{issue, self_signed, CertSpec};
    use credentials::x509::Certificate;
    let kept = |path: &Path, key: &Arc<dyn Signer>| {
        fs::read_to_string(path)
            .ok()
            .and_then(|p| Certificate::from_pem_chain(&p).ok())
            .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
            .filter(|c| c.public_key().ok().as_ref() == Some(key.public_key()))
    };
    let ca_key_path = dir.join("registrar-ca.jwk");
    create_key(&ca_key_path, Algorithm::Es256)?;
    let ca_key = read_key(&ca_key_path)?;
    let ca_path = dir.join("registrar-ca.pem");
    let ca = match kept(&ca_path, &ca_key) {
        Some(c) => c,
        None => {
            let c = self_signed(
                &CertSpec {
                    common_name: format!("{origin} registrar CA"),
                    organization: Some("Vouch trust register".into()),
                    days: 3650,
                    ca: Some(Some(0)),
                    ..Default::default()
                },
                ca_key.clone(),
            )
            .map_err(|_| KeyStoreError::BadKey(ca_path.clone()))?;
            vouch_ops::files::write_private(&ca_path, c.to_pem()).map_err(io(&ca_path))?;
            c
        }
    };
    let key_path = dir.join("registrar.jwk");
    create_key(&key_path, Algorithm::Es256)?;
    let signer = read_key(&key_path)?;
    let cert_path = dir.join("registrar.pem");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cert = match kept(&cert_path, &signer).filter(|c| {
        c.validity().1 > now + 30 * 86_400
            && credentials::x509::validate_chain(
                std::slice::from_ref(c),
                std::slice::from_ref(&ca),
                now,
                &Default::default(),
            )
            .is_ok()
    }) {
        Some(c) => c,
        None => {
            let c = issue(
                &CertSpec {
                    common_name: format!("{origin} registrar"),
                    organization: Some("Vouch trust register".into()),
                    days: 825,
                    ..Default::default()
                },
                signer.public_key(),
                &ca,
                ca_key,
            )
            .map_err(|_| KeyStoreError::BadKey(cert_path.clone()))?;
            vouch_ops::files::write_private(&cert_path, c.to_pem()).map_err(io(&cert_path))?;
            c
        }
    };
    Ok(Registrar {
        signer,
        certificate: cert,
        ca,
    })
}

/// The registrar's signing key, its certificate and its CA.
#[derive(Clone)]
pub struct Registrar {
    /// Signs registration certificates and their status list.
    pub signer: Arc<dyn Signer>,
    /// The signer's certificate (the `x5c`).
    pub certificate: credentials::x509::Certificate,
    /// The CA wallets trust (named in every snapshot).
    pub ca: credentials::x509::Certificate,
}

fn read_key(path: &Path) -> Result<Arc<dyn Signer>, KeyStoreError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    let jwk = Jwk::from_json(&text).map_err(|_| KeyStoreError::BadKey(path.to_path_buf()))?;
    let signer =
        SoftwareSigner::from_jwk(&jwk).map_err(|_| KeyStoreError::BadKey(path.to_path_buf()))?;
    Ok(Arc::new(signer))
}

/// Writes a new private key to `path` (mode 0600) unless one is there; two processes
/// starting together end up with the same key, because the file appears whole or not at all.
fn create_key(path: &Path, alg: Algorithm) -> Result<(), KeyStoreError> {
    if path.exists() {
        return Ok(());
    }
    let secret = provider::default()
        .generate(alg.key_kind())
        .map_err(|_| KeyStoreError::BadKey(path.to_path_buf()))?;
    let text = Jwk::from_secret_key(&secret).to_value().to_string();
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(&tmp))?;
    f.write_all(text.as_bytes()).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    // hard_link fails if another process created the key first; then theirs is used.
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(KeyStoreError::Io {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

impl RegistryKeys {
    /// Loads the keys in `dir`, creating the directory and the first keys if missing.
    pub fn open(dir: &Path) -> Result<Self, KeyStoreError> {
        let log_dir = dir.join("log-keys");
        vouch_ops::files::private_dir(dir)
            .and_then(|()| vouch_ops::files::private_dir(&log_dir))
            .map_err(io(&log_dir))?;
        create_key(&dir.join("snapshot-key.jwk"), Algorithm::Es256)?;
        let mut keys = Self {
            dir: dir.to_path_buf(),
            log_keys: vec![],
            snapshot_key: read_key(&dir.join("snapshot-key.jwk"))?,
        };
        keys.reload_log_keys()?;
        if keys.log_keys.is_empty() {
            create_key(&log_dir.join("0001.jwk"), Algorithm::EdDsa)?;
            keys.reload_log_keys()?;
        }
        Ok(keys)
    }

    /// Re-reads `log-keys/` (another process may have rotated).
    pub fn reload_log_keys(&mut self) -> Result<(), KeyStoreError> {
        let log_dir = self.dir.join("log-keys");
        let mut names: Vec<PathBuf> = fs::read_dir(&log_dir)
            .map_err(io(&log_dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jwk"))
            .collect();
        names.sort();
        self.log_keys = names
            .iter()
            .map(|p| read_key(p))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// Creates the next log key file and returns it (the caller logs the rotation).
    pub fn new_log_key(&mut self) -> Result<Arc<dyn Signer>, KeyStoreError> {
        let next = self
            .dir
            .join("log-keys")
            .join(format!("{:04}.jwk", self.log_keys.len() + 1));
        create_key(&next, Algorithm::EdDsa)?;
        self.reload_log_keys()?;
        read_key(&next)
    }
}
