//! `vouch vc`: issue and verify W3C Verifiable Credentials 2.0 offline (vc+jwt, vc+sd-jwt,
//! vc+cose, Data Integrity eddsa/ecdsa jcs and rdfc).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use credentials::did;
use credentials::keys::SoftwareSigner;
use credentials::w3c::jose::DocKind;
use credentials::w3c::{self, IssueOptions, Securing, VerifyOptions, W3cPublicKey};

use crate::io::{self, CliResult};

/// Credential or presentation.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    /// A verifiable credential.
    Credential,
    /// A verifiable presentation.
    Presentation,
}

impl From<Kind> for DocKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Credential => DocKind::Credential,
            Kind::Presentation => DocKind::Presentation,
        }
    }
}

/// W3C VC commands.
#[derive(Subcommand)]
pub enum VcCommand {
    /// Secure a credential (or presentation) JSON; writes the secured form to stdout or --out.
    Issue {
        /// The unsecured document (JSON).
        #[arg(long = "in")]
        input: PathBuf,
        /// The signer's private JWK (Ed25519, P-256 or P-384).
        #[arg(long)]
        key: PathBuf,
        /// vc+jwt, vc+sd-jwt, vc+cose, eddsa-jcs-2022, ecdsa-jcs-2019, eddsa-rdfc-2022 or
        /// ecdsa-rdfc-2019.
        #[arg(long)]
        securing: String,
        /// Credential or presentation.
        #[arg(long, value_enum, default_value_t = Kind::Credential)]
        kind: Kind,
        /// Data Integrity verificationMethod (default: the key's did:key method).
        #[arg(long)]
        verification_method: Option<String>,
        /// Data Integrity proofPurpose (default: assertionMethod / authentication).
        #[arg(long)]
        proof_purpose: Option<String>,
        /// vc+sd-jwt: a JSON Pointer made selectively disclosable (repeatable).
        #[arg(long = "sd", value_name = "POINTER")]
        sd: Vec<String>,
        /// Where to write (COSE is binary); stdout when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the did:key of a JWK (its public part).
    DidKey {
        /// A JWK file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Verify a secured credential or presentation (any mechanism, detected); prints a JSON
    /// report (exit 0 valid, 1 rejected). Keys come from did:key / did:jwk unless --key.
    Verify {
        /// The secured input; stdin when absent.
        #[arg(long = "in")]
        input: Option<PathBuf>,
        /// Credential or presentation.
        #[arg(long, value_enum, default_value_t = Kind::Credential)]
        kind: Kind,
        /// Pin the issuer's public JWK instead of resolving DIDs.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Verification time (RFC 3339); now when absent.
        #[arg(long)]
        at: Option<String>,
    },
}

/// Runs a `vouch vc` command; the exit status.
pub fn run(cmd: VcCommand) -> CliResult<i32> {
    match cmd {
        VcCommand::Issue {
            input,
            key,
            securing,
            kind,
            verification_method,
            proof_purpose,
            sd,
            out,
        } => {
            let doc = io::read_json(&input)?;
            let jwk = io::read_jwk(&key, true)?;
            let signer = SoftwareSigner::from_jwk(&jwk).map_err(|e| e.to_string())?;
            let securing = Securing::from_name(&securing)
                .ok_or_else(|| format!("unknown securing mechanism \"{securing}\""))?;
            let mut opts = IssueOptions::new(securing, kind.into());
            opts.verification_method = verification_method;
            opts.proof_purpose = proof_purpose;
            opts.disclosable = sd;
            let secured = w3c::issue(&doc, &opts, &signer, time::OffsetDateTime::now_utc())
                .map_err(|e| format!("{} ({})", e, e.code()))?;
            let bytes = secured.to_bytes();
            match out {
                Some(p) => std::fs::write(&p, &bytes)
                    .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
                None => {
                    use std::io::Write as _;
                    std::io::stdout()
                        .write_all(&bytes)
                        .map_err(|e| format!("cannot write stdout: {e}"))?;
                }
            }
            Ok(0)
        }
        VcCommand::DidKey { key } => {
            let jwk = io::read_jwk(&key, false)?;
            println!("{}", did::did_key(jwk.public_key()));
            Ok(0)
        }
        VcCommand::Verify {
            input,
            kind,
            key,
            at,
        } => {
            let bytes = match input {
                Some(p) => io::read_bytes(&p)?,
                None => io::read_stdin_bytes()?,
            };
            let key = key
                .map(|p| io::read_jwk(&p, false))
                .transpose()?
                .map(|j| W3cPublicKey::from(j.public_key().clone()));
            let now = time::OffsetDateTime::from_unix_timestamp(io::at_or_now(at.as_deref())?)
                .map_err(|e| e.to_string())?;
            let opts = VerifyOptions {
                key: key.as_ref(),
                ..VerifyOptions::at(now, kind.into())
            };
            let report = w3c::verify(&bytes, &opts);
            io::print_json(&serde_json::to_value(&report).expect("a report serializes"));
            Ok(if report.valid { 0 } else { 1 })
        }
    }
}
