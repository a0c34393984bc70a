//! `vouch mdoc`: issue, present and verify ISO 18013-5 mdocs offline.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use credentials::keys::SoftwareSigner;
use credentials::mdoc::{
    self, device_response, json, present_document, DeviceKeyAuth, DeviceRequest, IssueRequest,
    IssuerSigned, MdocIssuer, MdocVerifyOptions, Selection, SessionTranscript, ValidityInfo,
};
use credentials::x509::Certificate;

use crate::io::{self, CliResult};

/// mdoc commands.
#[derive(Subcommand)]
pub enum MdocCommand {
    /// Issue an mdoc; IssuerSigned CBOR on stdout.
    Issue {
        /// The document type.
        #[arg(long, default_value = mdoc::MDL_DOCTYPE)]
        doctype: String,
        /// Elements grouped by namespace (JSON; see the README for dates and bytes).
        #[arg(long)]
        claims: PathBuf,
        /// The Document Signer's private JWK.
        #[arg(long)]
        ds_key: PathBuf,
        /// The Document Signer certificate (PEM; more certificates after it go into x5chain).
        #[arg(long)]
        ds_cert: PathBuf,
        /// The holder's device public JWK.
        #[arg(long)]
        device_key: PathBuf,
        /// validFrom (RFC 3339); now by default.
        #[arg(long)]
        valid_from: Option<String>,
        /// validUntil (RFC 3339); a year from validFrom by default.
        #[arg(long)]
        valid_until: Option<String>,
        /// Decoy digests per namespace.
        #[arg(long, default_value_t = 0)]
        decoys: usize,
    },
    /// Present an mdoc: a DeviceResponse with DeviceSignature (or DeviceMac); CBOR on stdout.
    Present {
        /// The mdoc as issued (IssuerSigned CBOR).
        #[arg(long)]
        mdoc: PathBuf,
        /// The holder's device private JWK.
        #[arg(long)]
        device_key: PathBuf,
        /// A DeviceRequest (CBOR) to answer.
        #[arg(
            long,
            conflicts_with = "disclose",
            required_unless_present = "disclose"
        )]
        request: Option<PathBuf>,
        /// An element to disclose, as NAMESPACE/ELEMENT (repeatable).
        #[arg(long, value_name = "NAMESPACE/ELEMENT", num_args = 1..)]
        disclose: Vec<String>,
        /// The SessionTranscript (CBOR array or tag-24 SessionTranscriptBytes).
        #[arg(long)]
        transcript: PathBuf,
        /// Authenticate with DeviceMac for this reader ephemeral public JWK instead of a signature.
        #[arg(long)]
        mac_for_reader: Option<PathBuf>,
    },
    /// Verify a DeviceResponse read from stdin; JSON report (exit 0 valid, 1 rejected).
    Verify {
        /// Trusted IACA certificates (PEM, repeatable).
        #[arg(long, required = true)]
        iaca: Vec<PathBuf>,
        /// The SessionTranscript (CBOR array or tag-24 SessionTranscriptBytes).
        #[arg(long)]
        transcript: PathBuf,
        /// The reader's ephemeral private JWK (needed for DeviceMac).
        #[arg(long)]
        reader_key: Option<PathBuf>,
        /// The DeviceRequest that was sent: every requested element must be present.
        #[arg(long)]
        request: Option<PathBuf>,
        /// Verify as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

fn transcript(path: &std::path::Path) -> CliResult<SessionTranscript> {
    SessionTranscript::from_cbor(&io::read_bytes(path)?)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs an mdoc command.
pub fn run(cmd: MdocCommand) -> CliResult<i32> {
    match cmd {
        MdocCommand::Issue {
            doctype,
            claims,
            ds_key,
            ds_cert,
            device_key,
            valid_from,
            valid_until,
            decoys,
        } => {
            let signer = SoftwareSigner::from_jwk(&io::read_jwk(&ds_key, true)?)
                .map_err(|e| e.to_string())?;
            let chain = Certificate::from_pem_chain(&io::read_text(&ds_cert)?)
                .map_err(|e| format!("{}: {e}", ds_cert.display()))?;
            let name_spaces = json::name_spaces_from_json(&io::read_json(&claims)?)
                .map_err(|e| format!("{}: {e}", claims.display()))?;
            let device = io::read_jwk(&device_key, false)?;
            let now = io::now();
            let from = valid_from
                .as_deref()
                .map(io::parse_time)
                .transpose()?
                .unwrap_or(now);
            let until = valid_until
                .as_deref()
                .map(io::parse_time)
                .transpose()?
                .unwrap_or(from + 365 * 86400);
            if until <= from {
                return Err("--valid-until must be after --valid-from".into());
            }
            let issuer = MdocIssuer::new(&signer, chain).map_err(|e| e.to_string())?;
            let issued = issuer
                .issue(&IssueRequest {
                    doc_type: &doctype,
                    name_spaces: &name_spaces,
                    device_key: device.public_key(),
                    key_authorizations: None,
                    validity: ValidityInfo {
                        signed: now.min(from),
                        valid_from: from,
                        valid_until: until,
                        expected_update: None,
                    },
                    decoys,
                    status: None,
                })
                .map_err(|e| e.to_string())?;
            write_binary(&issued.to_cbor())
        }
        MdocCommand::Present {
            mdoc,
            device_key,
            request,
            disclose,
            transcript: t,
            mac_for_reader,
        } => {
            let issued = IssuerSigned::from_cbor(&io::read_bytes(&mdoc)?)
                .map_err(|e| format!("{}: {e}", mdoc.display()))?;
            let device = io::read_jwk(&device_key, true)?;
            let signer = SoftwareSigner::from_jwk(&device).map_err(|e| e.to_string())?;
            let secret = device
                .secret_key()
                .map_err(|e| e.to_string())?
                .ok_or("the device JWK has no private key")?;
            let reader = mac_for_reader
                .map(|p| io::read_jwk(&p, false))
                .transpose()?;
            let auth = match &reader {
                Some(r) => DeviceKeyAuth::Mac {
                    device_key: &secret,
                    reader_key: r.public_key(),
                },
                None => DeviceKeyAuth::Signature(&signer),
            };
            let transcript = transcript(&t)?;
            let elements: Vec<(String, String)> = disclose
                .iter()
                .map(|d| {
                    d.rsplit_once('/')
                        .map(|(n, e)| (n.to_string(), e.to_string()))
                        .ok_or_else(|| format!("--disclose takes NAMESPACE/ELEMENT, not \"{d}\""))
                })
                .collect::<CliResult<_>>()?;
            let docs = match request {
                Some(path) => {
                    let req = DeviceRequest::from_cbor(&io::read_bytes(&path)?)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    req.doc_requests
                        .iter()
                        .map(|r| {
                            present_document(
                                &issued,
                                &Selection::Request(&r.items_request),
                                &|_, _| true,
                                &auth,
                                &transcript,
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()
                }
                None => present_document(
                    &issued,
                    &Selection::Elements(&elements),
                    &|_, _| true,
                    &auth,
                    &transcript,
                )
                .map(|d| vec![d]),
            }
            .map_err(|e| e.to_string())?;
            write_binary(&device_response(&docs))
        }
        MdocCommand::Verify {
            iaca,
            transcript: t,
            reader_key,
            request,
            at,
        } => {
            let now = io::at_or_now(at.as_deref())?;
            let anchors = io::read_certificates(&iaca)?;
            let transcript = transcript(&t)?;
            let reader = reader_key
                .map(|p| {
                    io::read_jwk(&p, true)?
                        .secret_key()
                        .map_err(|e| e.to_string())
                })
                .transpose()?
                .flatten();
            let request = request
                .map(|p| {
                    DeviceRequest::from_cbor(&io::read_bytes(&p)?)
                        .map_err(|e| format!("{}: {e}", p.display()))
                })
                .transpose()?;
            let mut opts = MdocVerifyOptions::new(now, &anchors, &transcript);
            opts.reader_key = reader.as_ref();
            opts.request = request
                .as_ref()
                .and_then(|r| r.doc_requests.first())
                .map(|d| &d.items_request);
            let report = mdoc::verify_report(&io::read_stdin_bytes()?, &opts);
            io::print_json(&serde_json::to_value(&report).expect("a report serializes"));
            Ok(if report.valid { 0 } else { 1 })
        }
    }
}

fn write_binary(bytes: &[u8]) -> CliResult<i32> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write stdout: {e}"))?;
    Ok(0)
}
