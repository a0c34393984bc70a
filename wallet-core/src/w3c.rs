//! W3C VC 2.0 credentials in the wallet: `jwt_vc_json` (a `vc+jwt`) and `ldp_vc` (Data
//! Integrity) as OpenID4VCI delivers them, and their OpenID4VP presentations (a `vp+jwt`
//! with `nonce` and `aud`, or a Data Integrity presentation with `challenge` and `domain`).
//!
//! Neither format discloses selectively: a presentation carries the whole credential. The
//! consent therefore lists every claim of the credential subject, and the credential is
//! released only when the person approves all of them.

use credentials::dcql::PathElement;
use credentials::did;
use credentials::keys::{PublicKey, Signer};
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::Secured;
use credentials::w3c::{self, IssueOptions, Securing};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::model::Parsed;

/// `jwt_vc_json`.
pub const JWT_VC_JSON: &str = "jwt_vc_json";
/// `ldp_vc`.
pub const LDP_VC: &str = "ldp_vc";

/// Whether `format` is a W3C VC format.
pub fn is_w3c(format: &str) -> bool {
    format == JWT_VC_JSON || format == LDP_VC
}

/// The credential document inside `raw` (the JWT payload, or the JSON object itself).
fn document(format: &str, raw: &str) -> Result<Value> {
    let bad = |m: &str| Error::Credential(format!("{format}: {m}"));
    if format == JWT_VC_JSON {
        let jws =
            credentials::jose::CompactJws::parse(raw.trim()).map_err(|e| bad(&e.to_string()))?;
        jws.claims()
            .map(Value::Object)
            .map_err(|e| bad(&e.to_string()))
    } else {
        match serde_json::from_str::<Value>(raw) {
            Ok(v @ Value::Object(_)) if v.get("proof").is_some() => Ok(v),
            _ => Err(bad("not a credential with a Data Integrity proof")),
        }
    }
}

/// The VC type to show: the first type besides `VerifiableCredential`.
pub(crate) fn vc_type(doc: &Value) -> Option<String> {
    match doc.get("type") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "VerifiableCredential")
            .map(str::to_string),
        Some(Value::String(t)) => Some(t.clone()),
        _ => None,
    }
}

/// Reads an issued W3C credential and checks its subject is the `did:jwk` of `device_key`.
pub(crate) fn parse(format: &str, raw: &str, device_key: &PublicKey) -> Result<Parsed> {
    let doc = document(format, raw)?;
    let subject = doc
        .pointer("/credentialSubject/id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if subject != did::did_jwk(device_key) {
        return Err(Error::Credential(
            "the credential subject is not the device key the proof was made with".into(),
        ));
    }
    let issuer = match doc.get("issuer") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let expires_at = doc.get("validUntil").and_then(|v| {
        w3c::model::parse_date_time_stamp("validUntil", v)
            .ok()
            .map(time::OffsetDateTime::unix_timestamp)
    });
    Ok(Parsed {
        format: format.to_string(),
        vct: vc_type(&doc),
        doctype: None,
        issuer,
        claims: doc,
        expires_at,
        raw: raw.trim().to_string(),
    })
}

/// Every claim a presentation of this credential releases: each member of the credential
/// subject but its `id`, as DCQL paths.
pub fn released_paths(claims: &Value) -> Vec<Vec<PathElement>> {
    claims
        .get("credentialSubject")
        .and_then(Value::as_object)
        .map(|m| {
            m.keys()
                .filter(|k| k.as_str() != "id")
                .map(|k| {
                    vec![
                        PathElement::Key("credentialSubject".into()),
                        PathElement::Key(k.clone()),
                    ]
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The presentation of `raw` for a verifier `client_id` and request `nonce`, signed by the
/// holder key `signer` (whose `did:jwk` is the credential subject).
pub(crate) fn present(
    format: &str,
    raw: &str,
    signer: &dyn Signer,
    client_id: &str,
    nonce: &str,
) -> Result<Value> {
    let holder = did::did_jwk(signer.public_key());
    let failed = |e: credentials::w3c::W3cError| Error::Presentation(e.to_string());
    let now = time::OffsetDateTime::now_utc();
    if format == JWT_VC_JSON {
        let vp = json!({
            "@context": [w3c::CREDENTIALS_V2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": [w3c::model::envelope_credential("application/vc+jwt", raw.trim())],
            "nonce": nonce,
            "aud": client_id,
        });
        let opts = IssueOptions::new(Securing::Jwt, DocKind::Presentation);
        match w3c::issue(&vp, &opts, signer, now).map_err(failed)? {
            Secured::Compact(jwt) => Ok(Value::String(jwt)),
            _ => Err(Error::Presentation("a vp+jwt is compact".into())),
        }
    } else {
        let vc = document(format, raw)?;
        let vp = json!({
            "@context": [w3c::CREDENTIALS_V2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": [vc],
        });
        let suite = Cryptosuite::for_key(signer.public_key().kind(), false);
        let mut opts = IssueOptions::new(Securing::DataIntegrity(suite), DocKind::Presentation);
        opts.verification_method = Some(format!("{holder}#0"));
        opts.challenge = Some(nonce.to_string());
        opts.domain = Some(client_id.to_string());
        match w3c::issue(&vp, &opts, signer, now).map_err(failed)? {
            Secured::Document(v) => Ok(v),
            _ => Err(Error::Presentation(
                "a Data Integrity presentation is a document".into(),
            )),
        }
    }
}
