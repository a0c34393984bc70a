//! `vouch sd-jwt`: issue, present and verify SD-JWT VCs offline.

use std::path::PathBuf;

use clap::Subcommand;
use credentials::keys::SoftwareSigner;
use credentials::sd_jwt::{present, DisclosureFrame, KeyBindingJwt, SdAlg, SdJwt};
use credentials::sd_jwt_vc::{
    self, type_metadata, IssuerKeySource, SdJwtVcIssuer, VcEnvelope, VcVerifyOptions,
};
use credentials::x509::Certificate;
use serde_json::Value;

use crate::io::{self, CliResult};

/// SD-JWT VC commands.
#[derive(Subcommand)]
pub enum SdJwtCommand {
    /// Issue an SD-JWT VC (typ dc+sd-jwt); prints the SD-JWT with all Disclosures.
    Issue {
        /// The issuer's private JWK.
        #[arg(long)]
        key: PathBuf,
        /// The issuer identifier (`iss`), an HTTPS URL.
        #[arg(long)]
        iss: String,
        /// The credential type (`vct`).
        #[arg(long)]
        vct: String,
        /// The subject's claims, a JSON object.
        #[arg(long)]
        claims: PathBuf,
        /// The holder's public JWK, bound as `cnf.jwk`.
        #[arg(long)]
        holder: Option<PathBuf>,
        /// A JSON Pointer to a claim to make selectively disclosable (repeatable).
        #[arg(long = "sd", value_name = "POINTER", num_args = 1..)]
        sd: Vec<String>,
        /// Make every property and array element selectively disclosable, recursively.
        #[arg(long, conflicts_with = "sd")]
        sd_all: bool,
        /// Decoy digests to add to every `_sd` array.
        #[arg(long, default_value_t = 0)]
        decoys: usize,
        /// The issuer's certificate chain (PEM, leaf first) for the `x5c` header.
        #[arg(long)]
        x5c: Option<PathBuf>,
        /// Lifetime in seconds from now (`exp`).
        #[arg(long)]
        exp: Option<i64>,
        /// Print the JWS JSON serialization instead of the compact one.
        #[arg(long)]
        json: bool,
    },
    /// Make a presentation that discloses only the chosen claims, optionally with a KB-JWT.
    Present {
        /// The SD-JWT as issued (compact or JSON).
        #[arg(long)]
        credential: PathBuf,
        /// A JSON Pointer to a claim to disclose, with everything beneath it (repeatable).
        #[arg(long = "disclose", value_name = "POINTER", num_args = 1..)]
        disclose: Vec<String>,
        /// The holder's private JWK, to sign a Key Binding JWT.
        #[arg(long, requires_all = ["aud", "nonce"])]
        holder_key: Option<PathBuf>,
        /// The verifier's identifier (KB-JWT `aud`).
        #[arg(long, requires = "holder_key")]
        aud: Option<String>,
        /// The verifier's nonce (KB-JWT `nonce`).
        #[arg(long, requires = "holder_key")]
        nonce: Option<String>,
    },
    /// Verify a presentation read from stdin; prints a JSON report (exit 0 valid, 1 rejected).
    Verify {
        /// The issuer's public JWK.
        #[arg(
            long,
            conflicts_with = "trust_x5c",
            required_unless_present = "trust_x5c"
        )]
        issuer_key: Option<PathBuf>,
        /// Trusted root certificates (PEM) for the `x5c` chain (repeatable).
        #[arg(long)]
        trust_x5c: Vec<PathBuf>,
        /// The expected KB-JWT audience.
        #[arg(long)]
        aud: Option<String>,
        /// The expected KB-JWT nonce.
        #[arg(long)]
        nonce: Option<String>,
        /// Reject a presentation without a Key Binding JWT.
        #[arg(long)]
        require_kb: bool,
        /// Verify as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

/// Runs an SD-JWT command.
pub fn run(cmd: SdJwtCommand) -> CliResult<i32> {
    match cmd {
        SdJwtCommand::Issue {
            key,
            iss,
            vct,
            claims,
            holder,
            sd,
            sd_all,
            decoys,
            x5c,
            exp,
            json,
        } => {
            let signer =
                SoftwareSigner::from_jwk(&io::read_jwk(&key, true)?).map_err(|e| e.to_string())?;
            let claims = match io::read_json(&claims)? {
                Value::Object(m) => m,
                _ => {
                    return Err(format!(
                        "{} must hold a JSON object of claims",
                        claims.display()
                    ))
                }
            };
            let holder = holder.map(|h| io::read_jwk(&h, false)).transpose()?;
            let frame = if sd_all {
                DisclosureFrame::all()
            } else if !sd.is_empty() {
                sd.iter()
                    .try_fold(DisclosureFrame::none(), |f, p| f.pointer(p))
                    .map_err(|e| e.to_string())?
            } else {
                type_metadata::default_frame(&vct, &claims).map_err(|e| e.to_string())?
            }
            .decoys(decoys);
            let now = io::now();
            let envelope = VcEnvelope {
                iss,
                vct,
                iat: now,
                nbf: None,
                exp: exp.map(|e| now + e),
                holder: holder.map(|h| h.public_key().clone()),
                status: None,
            };
            let mut chain = Vec::new();
            if let Some(path) = x5c {
                chain = Certificate::from_pem_chain(&io::read_text(&path)?)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if chain[0].public_key().ok().as_ref() != Some(signer_public(&signer)) {
                    return Err(format!(
                        "the first certificate in {} is not for the issuer key",
                        path.display()
                    ));
                }
            }
            let sd_jwt = SdJwtVcIssuer::new(&signer)
                .with_x5c(&chain)
                .issue(&envelope, &claims, &frame, json)
                .map_err(|e| e.to_string())?;
            print_sd_jwt(&sd_jwt, json);
            Ok(0)
        }
        SdJwtCommand::Present {
            credential,
            disclose,
            holder_key,
            aud,
            nonce,
        } => {
            let text = io::read_text(&credential)?;
            let text = text.trim();
            let issued =
                SdJwt::parse(text).map_err(|e| format!("{}: {e}", credential.display()))?;
            let pointers: Vec<&str> = disclose.iter().map(String::as_str).collect();
            let mut presentation = present(&issued, &pointers).map_err(|e| e.to_string())?;
            if let (Some(hk), Some(aud), Some(nonce)) = (holder_key, aud, nonce) {
                let holder = SoftwareSigner::from_jwk(&io::read_jwk(&hk, true)?)
                    .map_err(|e| e.to_string())?;
                let alg = match issued
                    .jws()
                    .claims()
                    .ok()
                    .and_then(|c| c.get("_sd_alg").cloned())
                {
                    Some(Value::String(s)) => {
                        SdAlg::from_name(&s).ok_or(format!("unsupported _sd_alg {s}"))?
                    }
                    _ => SdAlg::default(),
                };
                presentation =
                    KeyBindingJwt::attach(presentation, &holder, &aud, &nonce, io::now(), alg)
                        .map_err(|e| e.to_string())?;
            }
            print_sd_jwt(&presentation, text.starts_with('{'));
            Ok(0)
        }
        SdJwtCommand::Verify {
            issuer_key,
            trust_x5c,
            aud,
            nonce,
            require_kb,
            at,
        } => {
            let now = io::at_or_now(at.as_deref())?;
            let anchors = io::read_certificates(&trust_x5c)?;
            let source = match issuer_key {
                Some(p) => IssuerKeySource::Key(io::read_jwk(&p, false)?.public_key().clone()),
                None => IssuerKeySource::X5c(&anchors),
            };
            let input = io::read_stdin()?;
            let mut sd_opts = credentials::sd_jwt::VerifyOptions::at(now);
            sd_opts.require_key_binding = require_kb;
            sd_opts.aud = aud.as_deref();
            sd_opts.nonce = nonce.as_deref();
            let report =
                sd_jwt_vc::verify_report(input.trim(), &source, &VcVerifyOptions::new(sd_opts));
            io::print_json(&serde_json::to_value(&report).expect("a report serializes"));
            Ok(if report.valid { 0 } else { 1 })
        }
    }
}

fn signer_public(s: &SoftwareSigner) -> &credentials::keys::PublicKey {
    use credentials::keys::Signer;
    s.public_key()
}

fn print_sd_jwt(sd_jwt: &SdJwt, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(&sd_jwt.to_json()).expect("JSON serializes")
        );
    } else {
        println!("{}", sd_jwt.to_compact());
    }
}
