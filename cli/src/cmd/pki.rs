//! `vouch pki`: development certificates in the ISO 18013-5 Annex B profiles.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use credentials::keys::{Signer, SoftwareSigner};
use credentials::x509::{profile, Certificate};

use crate::io::{self, CliResult};

/// PKI commands.
#[derive(Subcommand)]
pub enum PkiCommand {
    /// Create a self-signed IACA root certificate; PEM on stdout.
    Iaca {
        /// The IACA's private JWK.
        #[arg(long)]
        key: PathBuf,
        /// ISO 3166-1 alpha-2 country of the issuing authority.
        #[arg(long)]
        country: String,
        /// The IACA's common name.
        #[arg(long)]
        name: String,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Create a Document Signer certificate issued by an IACA; PEM on stdout.
    Ds {
        /// The IACA certificate (PEM).
        #[arg(long)]
        iaca: PathBuf,
        /// The IACA's private JWK.
        #[arg(long)]
        iaca_key: PathBuf,
        /// The Document Signer's public JWK.
        #[arg(long)]
        key: PathBuf,
        /// The Document Signer's common name.
        #[arg(long, default_value = "Vouch Document Signer")]
        name: String,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Create a reader root certificate (for reader authentication); PEM on stdout.
    ReaderRoot {
        /// The root's private JWK.
        #[arg(long)]
        key: PathBuf,
        /// Common name.
        #[arg(long)]
        name: String,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u32,
    },
    /// Create a reader authentication certificate issued by a reader root; PEM on stdout.
    Reader {
        /// The reader root certificate (PEM).
        #[arg(long)]
        root: PathBuf,
        /// The reader root's private JWK.
        #[arg(long)]
        root_key: PathBuf,
        /// The reader's public JWK.
        #[arg(long)]
        key: PathBuf,
        /// Common name (shown to the holder).
        #[arg(long)]
        name: String,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}

fn signer(path: &std::path::Path) -> CliResult<Arc<dyn Signer>> {
    let s = SoftwareSigner::from_jwk(&io::read_jwk(path, true)?).map_err(|e| e.to_string())?;
    Ok(Arc::new(s))
}

fn cert(path: &std::path::Path) -> CliResult<Certificate> {
    let mut certs = Certificate::from_pem_chain(&io::read_text(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(certs.remove(0))
}

fn matching(cert: &Certificate, key: &Arc<dyn Signer>, what: &str) -> CliResult<()> {
    if cert.public_key().ok().as_ref() != Some(key.public_key()) {
        return Err(format!(
            "the {what} key is not the key of the {what} certificate"
        ));
    }
    Ok(())
}

/// Runs a PKI command.
pub fn run(cmd: PkiCommand) -> CliResult<i32> {
    let pem = match cmd {
        PkiCommand::Iaca {
            key,
            country,
            name,
            days,
        } => {
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(format!(
                    "--country must be an ISO 3166-1 alpha-2 code such as GB, not \"{country}\""
                ));
            }
            profile::iaca(signer(&key)?, &country, &name, days).map_err(|e| e.to_string())?
        }
        PkiCommand::Ds {
            iaca,
            iaca_key,
            key,
            name,
            days,
        } => {
            let (iaca, iaca_signer) = (cert(&iaca)?, signer(&iaca_key)?);
            matching(&iaca, &iaca_signer, "IACA")?;
            let ds = io::read_jwk(&key, false)?;
            profile::document_signer(ds.public_key(), &iaca, iaca_signer, &name, days)
                .map_err(|e| e.to_string())?
        }
        PkiCommand::ReaderRoot { key, name, days } => {
            profile::reader_root(signer(&key)?, &name, days).map_err(|e| e.to_string())?
        }
        PkiCommand::Reader {
            root,
            root_key,
            key,
            name,
            days,
        } => {
            let (root, root_signer) = (cert(&root)?, signer(&root_key)?);
            matching(&root, &root_signer, "reader root")?;
            let reader = io::read_jwk(&key, false)?;
            profile::reader(reader.public_key(), &root, root_signer, &name, days)
                .map_err(|e| e.to_string())?
        }
    };
    print!("{}", pem.to_pem());
    Ok(0)
}
