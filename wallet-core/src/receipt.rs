//! What the wallet checks of a credential on receipt, before it stores it: the issuer's
//! signature and chain, the binding of the issuer's key to the issuer the credential
//! names, and the issuer's standing in the trust register at issuance.
//!
//! A credential that fails the signature, the chain or the binding is refused: it is a
//! forgery or a broken issuer, and storing it would only let the person be refused later.
//! One the wallet cannot judge (no register snapshot, an issuer its snapshot does not know
//! yet, a stale snapshot, a `did:web` it cannot resolve offline, a register that says
//! no) is stored with a [`Standing::Unverified`] reason the app shows the person.

use credentials::b64;
use credentials::keys::PublicKey;
use credentials::mdoc::{verify_issuer_signed, IssuerSigned, MdocVerifyOptions, SessionTranscript};
use credentials::report::CheckLog;
use credentials::sd_jwt::{SdJwt, VerifyOptions};
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::verify_typed;
use credentials::w3c::VerifyOptions as W3cVerifyOptions;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use trust_framework::decision::{authorize, x5c_root_named, Evidence, Reason};
use trust_framework::register::Register;

use crate::error::{Error, Result};

/// The issuer's standing as the wallet found it on receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "standing", rename_all = "snake_case")]
pub enum Standing {
    /// Signed by a certified, registered provider of the type at issuance.
    Registered {
        /// The provider's registered legal name.
        provider: String,
    },
    /// Stored, but the wallet could not confirm the issuer: why, in plain words.
    Unverified {
        /// Why (shown to the person).
        reason: String,
    },
}

fn refused(check: &str, why: impl std::fmt::Display) -> Error {
    Error::Credential(format!(
        "the credential was refused on receipt ({check}): {why}"
    ))
}

fn unverified(reason: impl Into<String>) -> Standing {
    Standing::Unverified {
        reason: reason.into(),
    }
}

/// The register's decision at issuance, as a standing.
fn standing(
    register: &Register,
    evidence: &Evidence<'_>,
    credential_type: &str,
    issued_at: OffsetDateTime,
) -> Standing {
    let d = authorize(
        register,
        evidence,
        credential_type,
        "identity_check",
        issued_at,
    );
    match (d.allowed, d.subject) {
        (true, Some(s)) => Standing::Registered {
            provider: s.provider,
        },
        (true, None) => unverified("the register allowed the issuer without naming it"),
        (false, _) if d.reason == Reason::UnknownAnchor => {
            unverified("the issuer is not in this wallet's copy of the register yet")
        }
        (false, _) => unverified(format!(
            "the register does not confirm the issuer: {}",
            d.reason
        )),
    }
}

/// Checks a received credential of `format` (`raw` as the issuer sent it) against the
/// pinned `register` at time `now`; `Err` when it must not be stored.
pub fn check(
    format: &str,
    raw: &str,
    register: Option<&Register>,
    now: OffsetDateTime,
) -> Result<Standing> {
    let Some(register) = register else {
        return Ok(unverified(
            "this wallet has no copy of the trust register to check the issuer against",
        ));
    };
    if register.entries.is_empty() {
        return Ok(unverified("this wallet's copy of the register is empty"));
    }
    match format {
        credentials::sd_jwt_vc::FORMAT => sd_jwt(raw, register, now),
        credentials::mdoc::FORMAT => mdoc(raw, register, now),
        _ => w3c(raw, register, now),
    }
}

fn sd_jwt(raw: &str, register: &Register, now: OffsetDateTime) -> Result<Standing> {
    let sd = SdJwt::parse(raw).map_err(|e| refused("parse", e))?;
    let payload = sd.jws().claims().map_err(|e| refused("parse", e))?;
    let iss = payload
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let vct = payload
        .get("vct")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let issued_at = payload
        .get("iat")
        .and_then(Value::as_i64)
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .unwrap_or(now);
    let has_x5c = matches!(sd.jws().header().x5c(), Ok(Some(_)));
    let opts = VcVerifyOptions::new(VerifyOptions::at(now.unix_timestamp()));
    // With `x5c`, the chain to a registered root; failing that (an issuer registered by key
    // before it added its root), the issuer's registered keys below.
    let mut chain_refusal = None;
    if has_x5c {
        let roots = register.x5c_roots();
        match sd_jwt_vc::verify(
            raw,
            &IssuerKeySource::X5c(&roots),
            &opts,
            &mut CheckLog::default(),
        ) {
            Ok(v) => {
                return Ok(standing(
                    register,
                    &Evidence::X5c {
                        chain: &v.chain,
                        iss: v.iss.as_deref(),
                    },
                    vct,
                    issued_at,
                ))
            }
            Err(e) => {
                // Only a chain no registered root names (an issuer registered by key before
                // it added its root) falls back to the registered keys; a chain to a
                // registered root that does not validate is refused, as verifiers refuse it.
                let chain = sd
                    .jws()
                    .header()
                    .x5c()
                    .ok()
                    .flatten()
                    .and_then(|ders| credentials::x509::parse_chain(&ders).ok())
                    .unwrap_or_default();
                if x5c_root_named(register, &chain, issued_at) {
                    return Err(refused(e.code(), e));
                }
                chain_refusal = Some(e);
            }
        }
    }
    let keys: Vec<PublicKey> = register
        .iss_keys(iss)
        .iter()
        .map(|k| k.public_key().clone())
        .collect();
    if keys.is_empty() {
        return match chain_refusal {
            Some(e) if !register.x5c_roots().is_empty() => Err(refused(e.code(), e)),
            Some(_) => Ok(unverified("no certificate root in this wallet's register")),
            None => Ok(unverified(
                "the issuer is not in this wallet's copy of the register yet",
            )),
        };
    }
    // One of the issuer's registered keys must verify it; the register then judges that key.
    let mut last = None;
    for key in &keys {
        match sd_jwt_vc::verify(
            raw,
            &IssuerKeySource::Key(key.clone()),
            &opts,
            &mut CheckLog::default(),
        ) {
            Ok(_) => {
                let ev = Evidence::IssKey { iss, key };
                return Ok(standing(register, &ev, vct, issued_at));
            }
            Err(e) => last = Some(e),
        }
    }
    let e = last.expect("at least one key was tried");
    Err(refused(e.code(), e))
}

fn mdoc(raw: &str, register: &Register, now: OffsetDateTime) -> Result<Standing> {
    let bytes = b64::decode(raw).ok_or_else(|| refused("parse", "not base64url"))?;
    let signed = IssuerSigned::from_cbor(&bytes).map_err(|e| refused("parse", e))?;
    let iacas = register.iaca_roots();
    if iacas.is_empty() {
        return Ok(unverified("no IACA in this wallet's register"));
    }
    let payload = signed
        .issuer_auth
        .sign1
        .payload
        .as_deref()
        .ok_or_else(|| refused("parse", "issuerAuth has no payload"))?;
    let doc_type = credentials::mdoc::MobileSecurityObject::from_payload(payload)
        .map_err(|e| refused("parse", e))?
        .doc_type;
    // The transcript is not used for issuer-signed data; any will do.
    let transcript = SessionTranscript::openid4vp("", "", None, "");
    let opts = MdocVerifyOptions::new(now.unix_timestamp(), &iacas, &transcript);
    let v = verify_issuer_signed(&signed, &doc_type, &opts, &mut CheckLog::default())
        .map_err(|e| refused(e.code(), e))?;
    let signed_at = OffsetDateTime::from_unix_timestamp(v.mso.validity.signed).unwrap_or(now);
    Ok(standing(
        register,
        &Evidence::Iaca(&v.anchor),
        &doc_type,
        signed_at,
    ))
}

fn w3c(raw: &str, register: &Register, now: OffsetDateTime) -> Result<Standing> {
    let (report, verified) = verify_typed(
        raw.trim().as_bytes(),
        &W3cVerifyOptions::at(now, DocKind::Credential),
    );
    let Some(v) = verified else {
        let e = report.error.unwrap_or(credentials::report::ReportError {
            code: "invalid".into(),
            message: "the credential does not verify".into(),
        });
        if e.code == "verification_method_error" && e.message.contains("did:web") {
            return Ok(unverified(
                "the issuer's did:web document cannot be checked without the network",
            ));
        }
        return Err(refused(&e.code, e.message));
    };
    let Some(signer) = v.signer else {
        return Err(refused("issuer_key", "no issuer key was proven"));
    };
    let ty = crate::w3c::vc_type(&v.document).unwrap_or_else(|| "VerifiableCredential".into());
    let issued_at = v
        .document
        .get("validFrom")
        .and_then(|t| credentials::w3c::model::parse_date_time_stamp("validFrom", t).ok())
        .unwrap_or(now);
    Ok(standing(
        register,
        &Evidence::Did(&signer.did),
        &ty,
        issued_at,
    ))
}
