//! Key files and development certificates: JWK key files loaded or created (0600, in a
//! 0700 directory), and the development request signer — a reader root kept on disk and a
//! fresh leaf certificate for the verifier's DNS name at every start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use credentials::keys::{Algorithm, Jwk, KeyError, Signer, SoftwareSigner};
use credentials::openid4vp::ClientId;
use credentials::x509::dev::{self, CertSpec, DevPkiError};
use credentials::x509::Certificate;
use time::OffsetDateTime;

/// Why a JWK key file could not be loaded or created ([`load_or_create_key`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file is there but is not a JWK.
    #[error("{}: {source}", .path.display())]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// Why the JWK was refused.
        source: KeyError,
    },
    /// The file is a JWK but not a usable signing key.
    #[error(transparent)]
    Unusable(KeyError),
    /// No file, and a new key could not be generated.
    #[error(transparent)]
    Generate(KeyError),
    /// The file is there but cannot be read.
    #[error("{}: {source}", .path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// No file, and the new key could not be written.
    #[error("{}: {source}", .path.display())]
    Write {
        /// The key file.
        path: PathBuf,
        /// Why it could not be written.
        source: std::io::Error,
    },
}

/// The text callers that report errors as strings (the CLI) show: the error's message.
/// Why the development request signer could not be set up ([`RequestSigner::dev`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestSignerError {
    /// The reader root's or the request signing key file.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The reader root or the leaf certificate could not be issued.
    #[error(transparent)]
    Certificate(#[from] DevPkiError),
    /// The new reader root certificate could not be written.
    #[error(transparent)]
    WriteRoot(std::io::Error),
    /// An organisation id is not lower-case letters, digits and `-` (it names a folder).
    #[error("an organisation id must be lower-case letters, digits and -")]
    OrganisationId,
}

/// The text callers that report errors as strings (the CLI) show: the error's message.
/// Loads a JWK key file, or generates and writes one.
pub fn load_or_create_key(path: &Path) -> Result<SoftwareSigner, KeyFileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let jwk = Jwk::from_json(&text).map_err(|source| KeyFileError::Malformed {
                path: path.to_path_buf(),
                source,
            })?;
            return SoftwareSigner::from_jwk(&jwk).map_err(KeyFileError::Unusable);
        }
        // Only a key that is not there is made: one that cannot be read (permissions, an
        // I/O error) is an error, never silently replaced by a new key and client id.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(KeyFileError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    }
    let (signer, secret) =
        SoftwareSigner::generate(Algorithm::Es256).map_err(KeyFileError::Generate)?;
    // 0600 in a 0700 directory, created exclusively (the private key is in it).
    vouch_ops::files::write_private(path, Jwk::from_secret_key(&secret).to_value().to_string())
        .map_err(|source| KeyFileError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(signer)
}

/// The key, certificate chain and client id that sign request objects.
#[derive(Clone)]
pub struct RequestSigner {
    /// The signing key.
    pub signer: Arc<SoftwareSigner>,
    /// Leaf first.
    pub chain: Vec<Certificate>,
    /// The client id.
    pub client_id: ClientId,
    /// The root wallets must trust (development: the dev reader root).
    pub root: Certificate,
}

/// The deployment's reader root in `data_dir`: its key and certificate, made on first use.
fn reader_root(data_dir: &Path) -> Result<(Arc<dyn Signer>, Certificate), RequestSignerError> {
    let root_key: Arc<dyn Signer> =
        Arc::new(load_or_create_key(&data_dir.join("reader-root.jwk"))?);
    let root_path = data_dir.join("reader-root.pem");
    let root = match std::fs::read_to_string(&root_path)
        .ok()
        .and_then(|p| Certificate::from_pem_chain(&p).ok())
        .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
        .filter(|c| c.public_key().ok().as_ref() == Some(root_key.public_key()))
    {
        Some(c) => c,
        None => {
            let c = dev::self_signed(
                &CertSpec {
                    common_name: "Vouch development verifier root".into(),
                    organization: Some("Vouch".into()),
                    days: 3650,
                    ca: Some(Some(0)),
                    ..Default::default()
                },
                root_key.clone(),
            )?;
            vouch_ops::files::write_private(&root_path, c.to_pem())
                .map_err(RequestSignerError::WriteRoot)?;
            c
        }
    };
    Ok((root_key, root))
}

/// The request-signing certificate kept in `dir/request-signing.pem` while it is for the
/// same key, name and host and valid for another week, so an `x509_hash` client id (the one
/// the register's relying-party entry names) stays the same across restarts; otherwise a
/// new one under the reader root, kept. `who` names the signer in the log.
fn kept_or_issued(
    dir: &Path,
    signer: &SoftwareSigner,
    (root_key, root): (Arc<dyn Signer>, &Certificate),
    org_name: &str,
    dns: &str,
    who: &str,
) -> Result<Certificate, RequestSignerError> {
    let cert_path = dir.join("request-signing.pem");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let kept = std::fs::read_to_string(&cert_path)
        .ok()
        .and_then(|p| Certificate::from_pem_chain(&p).ok())
        .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
        .filter(|c| {
            // The same key, name and host (a renamed organisation gets a certificate, and
            // so a client id, of its new name).
            c.public_key().ok().as_ref() == Some(signer.public_key())
                && credentials::x509::profile::subject_attr(c, "2.5.4.10").as_deref()
                    == Some(org_name)
                && c.subject_alt_names().0.iter().any(|d| d == dns)
                && c.validity().1 > now + 7 * 86_400
                && credentials::x509::validate_chain(
                    std::slice::from_ref(c),
                    std::slice::from_ref(root),
                    now,
                    &Default::default(),
                )
                .is_ok()
        });
    if let Some(c) = kept {
        return Ok(c);
    }
    let c = dev::issue(
        &CertSpec {
            common_name: dns.into(),
            organization: Some(org_name.into()),
            not_before: Some(now - 3600),
            days: 365,
            dns_names: vec![dns.into()],
            ..Default::default()
        },
        signer.public_key(),
        root,
        root_key,
    )?;
    vouch_ops::files::write_private(&cert_path, c.to_pem())
        .map_err(RequestSignerError::WriteRoot)?;
    // A new certificate is a new x509_hash client id: the register's relying-party entry
    // must name it before wallets will.
    tracing::warn!(
        signer = who,
        "a new request-signing certificate: register its client id"
    );
    Ok(c)
}

impl RequestSigner {
    /// An employer organisation's own signer, so that wallets name that employer: its own
    /// key and certificate (subject `O=` the organisation's name, the verifier's `dns`)
    /// under the deployment's reader root, kept in `data_dir/organisations/<org_id>/` and
    /// reused while valid for another week, so its `x509_hash` client id (the one the
    /// register's relying-party entry names) stays the same across restarts.
    pub fn organisation(
        data_dir: &Path,
        org_id: &str,
        org_name: &str,
        dns: &str,
    ) -> Result<Self, RequestSignerError> {
        if org_id.is_empty()
            || org_id.len() > 64
            || !org_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(RequestSignerError::OrganisationId);
        }
        let (root_key, root) = reader_root(data_dir)?;
        let dir = data_dir.join("organisations").join(org_id);
        vouch_ops::files::private_dir(&dir).map_err(RequestSignerError::WriteRoot)?;
        let signer = Arc::new(load_or_create_key(&dir.join("request-signing.jwk"))?);
        let leaf = kept_or_issued(&dir, &signer, (root_key, &root), org_name, dns, org_id)?;
        Ok(RequestSigner {
            signer,
            client_id: ClientId::X509Hash(ClientId::x509_hash_of(&leaf)),
            chain: vec![leaf],
            root,
        })
    }

    /// The deployment's signer: a reader root kept in `data_dir` (created on first run) and
    /// a leaf certificate for `dns` kept as [`RequestSigner::organisation`] keeps its own.
    /// `x509_hash` selects that prefix (HAIP 1.0) instead of `x509_san_dns`.
    pub fn dev(data_dir: &Path, dns: &str, x509_hash: bool) -> Result<Self, RequestSignerError> {
        Self::deployment(data_dir, dns, "Vouch verifier", x509_hash)
    }

    /// As [`RequestSigner::dev`], its certificate naming `org_name` (`O=`): the
    /// organisation the register's registration certificate of this client id names.
    pub fn deployment(
        data_dir: &Path,
        dns: &str,
        org_name: &str,
        x509_hash: bool,
    ) -> Result<Self, RequestSignerError> {
        let (root_key, root) = reader_root(data_dir)?;
        let signer = Arc::new(load_or_create_key(&data_dir.join("request-signing.jwk"))?);
        let leaf = kept_or_issued(
            data_dir,
            &signer,
            (root_key, &root),
            org_name,
            dns,
            "deployment",
        )?;
        let client_id = if x509_hash {
            ClientId::X509Hash(ClientId::x509_hash_of(&leaf))
        } else {
            ClientId::X509SanDns(dns.into())
        };
        Ok(RequestSigner {
            signer,
            chain: vec![leaf],
            client_id,
            root,
        })
    }
}
