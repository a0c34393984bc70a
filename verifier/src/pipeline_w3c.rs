//! W3C VC 2.0 presentations over OpenID4VP 1.0 (Appendix B.1): `jwt_vc_json`, a `vp+jwt`
//! whose `nonce` and `aud` are the request's nonce and client id, and `ldp_vc`, a Data
//! Integrity presentation whose proof `challenge` and `domain` are the same two values.
//!
//! The checks, in the report's order: `parse`; the presentation's and the credential's
//! signatures, validity and Bitstring Status List status (by [`credentials::w3c::verify`],
//! status lists fetched through [`VcApi`]); `trust_register` for the credential's issuer
//! DID (a `Did` anchor of a certified provider, at issuance and at the check);
//! `holder_binding` (the presentation is signed by the key of the holder DID, and the
//! credential's subject is that holder); `request` (the DCQL query). Every DID a decision
//! rests on is the one the library proved a key belongs to ([`VerifiedW3c::signer`]).
//!
//! [`VerifiedW3c::signer`]: credentials::w3c::verify::VerifiedW3c

use serde_json::{Map, Value};
use time::OffsetDateTime;
use trust_framework::decision::Evidence;

use credentials::report::CheckName;
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::jwt_v11;

use super::{Expect, Outcome, PresentedCredential, Steps, Verifier};
use crate::vc_api::VcApi;

/// The type the register decides on: the first one that needs a role of its issuer (a
/// right-to-work credential also typed as something its issuer may issue is still judged
/// as a right-to-work credential), else the first that is not `VerifiableCredential`.
fn decided_type(vc: &Value) -> String {
    let types: Vec<&str> = match vc.get("type") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    };
    types
        .iter()
        .find(|t| trust_framework::decision::required_role(t).is_some())
        .or_else(|| types.iter().find(|t| **t != "VerifiableCredential"))
        .or(types.first())
        .map(|t| t.to_string())
        .unwrap_or_default()
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
                    CheckName::Parse,
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
        let (report, verified) = fetch
            .verify_presentation(
                &bytes,
                Some(ex.nonce),
                Some(ex.client_id),
                // Status lists are fetched only once the signatures and the register
                // have been checked (below): a credential nobody trusts makes the
                // verifier fetch nothing.
                false,
            )
            .await;
        let code = report.error.as_ref().map(|e| e.code.clone());
        for c in report.checks.iter().filter(|c| c.name != CheckName::Status) {
            // (The library ran no status check, see above; its placeholder is not reported.)
            // In a presentation, the embedded credential's own verification is its issuer's
            // signature; the presentation's key and signature are the holder's.
            let name = match c.name {
                CheckName::EmbeddedCredential => CheckName::IssuerSignature,
                CheckName::IssuerSignature | CheckName::IssuerKey => CheckName::HolderBinding,
                n => n,
            };
            if c.ok {
                steps.pass(name, c.detail.clone());
            } else {
                let code = c.code.as_deref().or(code.as_deref()).unwrap_or("failed");
                steps.fail(name, code, c.detail.clone());
            }
        }
        let Some(vp) = verified else {
            if report.checks.is_empty() || steps.ok() {
                steps.fail(
                    CheckName::Parse,
                    code.as_deref().unwrap_or("malformed"),
                    report.error.map(|e| e.message).unwrap_or_default(),
                );
            }
            return finish(steps, extra, None, None, None);
        };
        // The securing mechanism is the format's: an `ldp_vc` answer is a Data Integrity
        // presentation, a `jwt_vc_json` one a JWT (VC-JOSE `vp+jwt` or a VP-JWT 1.1). An
        // envelope of another mechanism inside is refused, never verified by other rules.
        let securing_fits = match format {
            "ldp_vc" => Cryptosuite::from_name(&vp.securing).is_some(),
            _ => vp.securing == "vp+jwt" || vp.securing == jwt_v11::name(DocKind::Presentation),
        };
        if !securing_fits {
            steps.fail(
                CheckName::Parse,
                "format_mismatch",
                format!(
                    "a {format} answer is not secured as {} ({})",
                    format, vp.securing
                ),
            );
            return finish(steps, extra, None, None, None);
        }
        // Who signed the presentation and who issued its credential: the DIDs the keys were
        // proven to belong to by the library (issuer / holder binding), never the strings
        // re-read from the documents.
        let holder = vp
            .signer
            .as_ref()
            .map(|p| p.did.clone())
            .unwrap_or_default();
        let (vc, issuer) = match vp.credentials.as_slice() {
            [one] => match &one.signer {
                Some(p) => (one.document.clone(), p.did.clone()),
                None => {
                    steps.fail(
                        CheckName::IssuerSignature,
                        "issuer_key_mismatch",
                        "no issuer key",
                    );
                    return finish(steps, extra, None, None, None);
                }
            },
            other => {
                steps.fail(
                    CheckName::Parse,
                    "credential_missing",
                    format!(
                        "the presentation holds {} credentials, not one",
                        other.len()
                    ),
                );
                return finish(steps, extra, None, None, None);
            }
        };
        let subject = vc
            .pointer("/credentialSubject/id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // The request binding (nonce and aud of a JWT, challenge and domain of a Data
        // Integrity proof) was checked by the library, which was given both.
        if holder.is_empty() {
            steps.fail(
                CheckName::HolderBinding,
                "holder_mismatch",
                "the presentation is not signed by its holder's key",
            );
        } else if subject != holder {
            steps.fail(
                CheckName::HolderBinding,
                "holder_mismatch",
                "the credential's subject is not the holder who presented it",
            );
        } else {
            steps.pass(
                CheckName::HolderBinding,
                "signed by the holder's key, who is the credential's subject, for this request",
            );
        }
        let vc_type = decided_type(&vc);
        let finding = self.decide(
            &mut steps,
            &trust,
            &Evidence::Did(&issuer),
            &vc_type,
            issued_at(&vc, now),
            now,
            vc.get("credentialSubject"),
        );
        if steps.ok() {
            self.w3c_status(&mut steps, fetch, &vc).await;
        }
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

impl Verifier {
    /// The credential's Bitstring Status List status, fetched only now that its signatures,
    /// holder binding and issuer's standing passed.
    async fn w3c_status(&self, steps: &mut Steps, fetch: &VcApi, vc: &Value) {
        if !self.policy.check_status {
            steps.pass(
                CheckName::Status,
                "not checked again: the record carries the status found at the check",
            );
            return;
        }
        match fetch.status_of(vc).await {
            Ok(detail) => steps.pass(CheckName::Status, detail),
            Err(e) => steps.fail(CheckName::Status, e.code(), e.to_string()),
        }
    }
}

/// When a W3C credential was issued (its `validFrom`), else `now`.
fn issued_at(vc: &Value, now: OffsetDateTime) -> OffsetDateTime {
    // VC 2.0 `validFrom`, VC 1.1 `issuanceDate`.
    ["validFrom", "issuanceDate"]
        .iter()
        .find_map(|k| {
            vc.get(*k)
                .and_then(|v| credentials::w3c::model::parse_date_time_stamp("validFrom", v).ok())
        })
        .unwrap_or(now)
}
