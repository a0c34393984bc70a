//! W3C VC 2.0 presentations over OpenID4VP 1.0 (Appendix B.1): `jwt_vc_json`, a `vp+jwt`
//! whose `nonce` and `aud` are the request's nonce and client id, and `ldp_vc`, a Data
//! Integrity presentation whose proof `challenge` and `domain` are the same two values.
//!
//! The checks, in the report's order: `parse`; the presentation's and the credential's
//! signatures, validity and Bitstring Status List status (by [`credentials::w3c::verify`],
//! status lists fetched through [`VcApi`]); `trust_register` for the credential's issuer
//! DID (a `Did` anchor of a certified provider, at issuance and at the check);
//! `holder_binding` (the presentation is signed by the key of the holder DID, and the
//! credential's subject is that holder); `request` (the DCQL query).

use serde_json::{Map, Value};
use time::OffsetDateTime;
use trust_framework::decision::Evidence;

use super::{rename, Expect, Outcome, PresentedCredential, Steps, Verifier};
use crate::vc_api::VcApi;

/// The DID of a DID URL (`did:jwk:…#0` → `did:jwk:…`).
fn did_of(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The document of the one credential inside a verified presentation: an enveloped
/// `vc+jwt` decoded (its signature was verified with the presentation), or the embedded
/// Data Integrity credential.
fn credential_of(vp: &Value) -> Result<Value, String> {
    let list = match vp.get("verifiableCredential") {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => return Err("the presentation holds no credential".into()),
    };
    if list.len() != 1 {
        return Err(format!(
            "the presentation holds {} credentials, not one",
            list.len()
        ));
    }
    let vc = &list[0];
    if vc.get("type").and_then(Value::as_str) == Some("EnvelopedVerifiableCredential") {
        let id = vc.get("id").and_then(Value::as_str).unwrap_or_default();
        let jwt = id
            .strip_prefix("data:application/vc+jwt,")
            .ok_or("the enveloped credential is not a vc+jwt")?;
        let payload = jwt.split('.').nth(1).ok_or("the vc+jwt is malformed")?;
        let bytes = credentials::b64::decode(payload).ok_or("the vc+jwt is malformed")?;
        return serde_json::from_slice(&bytes).map_err(|_| "the vc+jwt is malformed".into());
    }
    Ok(vc.clone())
}

fn first_type(vc: &Value) -> String {
    match vc.get("type") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "VerifiableCredential")
            .unwrap_or("VerifiableCredential")
            .to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

impl Verifier {
    /// Verifies a `jwt_vc_json` or `ldp_vc` presentation answering `ex`.
    pub async fn verify_w3c(
        &self,
        fetch: &VcApi,
        format: &str,
        item: &Value,
        ex: &Expect<'_>,
    ) -> Outcome {
        let now = ex.now;
        let trust = self.trust.current();
        let mut steps = Steps::default();
        let mut extra = Map::new();
        let finish = |steps: Steps, extra, issuer, claims, finding| Outcome {
            report: steps.report(format, issuer, claims, extra),
            trust: finding,
        };
        let bytes = match (format, item) {
            ("jwt_vc_json", Value::String(s)) => s.trim().as_bytes().to_vec(),
            ("ldp_vc", v @ Value::Object(_)) => serde_json::to_vec(v).unwrap_or_default(),
            _ => {
                steps.fail(
                    "parse",
                    "format_mismatch",
                    format!(
                        "a {format} presentation is a {}",
                        if format == "ldp_vc" {
                            "JSON object"
                        } else {
                            "compact JWT string"
                        }
                    ),
                );
                return finish(steps, extra, None, None, None);
            }
        };
        if self.too_large(&mut steps, bytes.len()) {
            return finish(steps, extra, None, None, None);
        }
        let report = fetch
            .verify_presentation(&bytes, Some(ex.nonce), Some(ex.client_id))
            .await;
        let code = report.error.as_ref().map(|e| e.code.clone());
        for c in &report.checks {
            // The library's names, mapped to the report's; the embedded credential's own
            // check (`credential_0`) is its issuer signature.
            let name = match c.name.as_str() {
                n if n.starts_with("credential_") => "issuer_signature",
                "issuer_signature" => "holder_binding",
                n => rename(n),
            };
            if c.ok {
                steps.pass(name, c.detail.clone());
            } else {
                steps.fail(name, code.as_deref().unwrap_or("failed"), c.detail.clone());
            }
        }
        let Some(vp) = report.claims.filter(|_| report.valid) else {
            if !steps.ok() || report.checks.is_empty() {
                if report.checks.is_empty() {
                    steps.fail(
                        "parse",
                        code.as_deref().unwrap_or("malformed"),
                        report.error.map(|e| e.message).unwrap_or_default(),
                    );
                }
                return finish(steps, extra, None, None, None);
            }
            steps.fail("parse", "invalid", "the presentation does not verify");
            return finish(steps, extra, None, None, None);
        };
        // Holder binding: signed by the holder's key, for this verifier and this request.
        let holder = vp.get("holder").and_then(Value::as_str).unwrap_or_default();
        // Whose key verified the presentation: a DID URL `kid` names it; any other `kid`
        // leaves the key to the holder's DID.
        let signer = if format == "jwt_vc_json" {
            let kid = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|t| credentials::jose::CompactJws::parse(t).ok())
                .and_then(|j| j.header().kid().map(str::to_string));
            match kid {
                Some(k) if k.starts_with("did:") => Some(k),
                _ => Some(holder.to_string()),
            }
        } else {
            vp.pointer("/proof/verificationMethod")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let vc = match credential_of(&vp) {
            Ok(vc) => vc,
            Err(e) => {
                steps.fail("parse", "credential_missing", e);
                return finish(steps, extra, None, None, None);
            }
        };
        let issuer = match vc.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => o
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        };
        let subject = vc
            .pointer("/credentialSubject/id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let aud_ok = match vp.get("aud") {
            Some(Value::String(a)) => a == ex.client_id,
            Some(Value::Array(a)) => a.iter().any(|x| x == ex.client_id),
            _ => false,
        };
        if holder.is_empty() || signer.as_deref().map(did_of) != Some(holder) {
            steps.fail(
                "holder_binding",
                "holder_mismatch",
                "the presentation is not signed by its holder's key",
            );
        } else if subject != holder {
            steps.fail(
                "holder_binding",
                "holder_mismatch",
                "the credential's subject is not the holder who presented it",
            );
        } else if format == "jwt_vc_json"
            && vp.get("nonce").and_then(Value::as_str) != Some(ex.nonce)
        {
            steps.fail(
                "holder_binding",
                "nonce_mismatch",
                "the presentation's nonce is not this request's",
            );
        } else if format == "jwt_vc_json" && !aud_ok {
            steps.fail(
                "holder_binding",
                "aud_mismatch",
                "the presentation is addressed to another verifier",
            );
        } else {
            steps.pass(
                "holder_binding",
                "signed by the holder's key, who is the credential's subject, for this request",
            );
        }
        let vc_type = first_type(&vc);
        let finding = self.decide(
            &mut steps,
            &trust,
            &Evidence::Did(&issuer),
            &vc_type,
            issued_at(&vc, now),
            now,
        );
        extra.insert("type".into(), vc_type.into());
        extra.insert("freshness".into(), self.freshness(&trust, now, None));
        extra.insert(
            "trust".into(),
            serde_json::to_value(&finding).unwrap_or_default(),
        );
        if steps.ok() {
            let presented = PresentedCredential {
                format: format.into(),
                vct: None,
                doctype: None,
                claims: vc.clone(),
                holder_bound: true,
            };
            Self::request(&mut steps, ex, presented);
        }
        let claims = vc.get("credentialSubject").cloned();
        finish(steps, extra, Some(issuer), claims, Some(finding))
    }
}

/// When a W3C credential was issued (its `validFrom`), else `now`.
fn issued_at(vc: &Value, now: OffsetDateTime) -> OffsetDateTime {
    vc.get("validFrom")
        .and_then(|v| credentials::w3c::model::parse_date_time_stamp("validFrom", v).ok())
        .unwrap_or(now)
}
