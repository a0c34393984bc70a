//! What a response comes to: its one presentation verified through the pipeline against
//! the transaction's DCQL query, nonce and handover, then the employer's right-to-work
//! rules applied to the verified claims.

use credentials::b64;
use credentials::dcql::DcqlQuery;
use credentials::keys::Jwk;
use credentials::openid4vp::AuthorizationResponse;
use serde_json::json;
use time::OffsetDateTime;

use super::{CheckOutcome, Service};
use crate::pipeline::{Expect, Handover};
use crate::rtw::{self, Person};
use crate::store::Transaction;

impl Service {
    /// Verifies every presentation of a response and applies the right-to-work rules.
    pub async fn evaluate(
        &self,
        t: &Transaction,
        response: &AuthorizationResponse,
        now: OffsetDateTime,
    ) -> CheckOutcome {
        if let Some(e) = &response.error {
            return CheckOutcome {
                wallet_error: Some(e.clone()),
                ..Default::default()
            };
        }
        let query = serde_json::from_str(&t.dcql)
            .ok()
            .and_then(|v| DcqlQuery::from_json(&v).ok());
        let Some(query) = query else {
            return CheckOutcome::default();
        };
        let fail = |msg: String| CheckOutcome {
            report: json!({"valid": false, "checks": [{"name": "request", "ok": false, "detail": msg}], "error": {"code": "request_not_satisfied", "message": msg}}),
            ..Default::default()
        };
        if response.vp_token.len() != 1 || response.vp_token.values().any(|v| v.len() != 1) {
            return fail("the response must answer the request with exactly one credential".into());
        }
        let (qid, items) = response.vp_token.iter().next().expect("one entry");
        let Some(cq) = query.credential(qid) else {
            return fail(format!("the response answers unknown query \"{qid}\""));
        };
        let ex_base = Expect {
            client_id: &t.client_id,
            nonce: &t.nonce,
            transcript: None,
            query: Some((&query, qid)),
            now,
        };
        let thumb = t
            .enc_key
            .as_deref()
            .and_then(|k| Jwk::from_json(k).ok())
            .and_then(|k| b64::decode(&k.thumbprint()));
        let response_uri = self.response_uri(&t.id);
        let handover = Handover {
            response_uri: &response_uri,
            jwk_thumbprint: thumb.as_deref(),
        };
        let fetch = crate::vc_api::VcApi::with_policy(
            self.clock.clone(),
            self.verifier.status.fetch_policy(),
        )
        .resolving_only(self.verifier.trust.did_scope());
        let Some(outcome) = self
            .verifier
            .verify_presented(&cq.format, &items[0], &ex_base, &handover, &fetch)
            .await
        else {
            return fail(format!(
                "the presentation for \"{qid}\" is not a {} string",
                cq.format
            ));
        };
        let report = outcome.report;
        let mut out = CheckOutcome {
            passed: false,
            report: serde_json::to_value(&report).unwrap_or_default(),
            trust: serde_json::to_value(&outcome.trust).unwrap_or_default(),
            query_id: Some(qid.clone()),
            entry_id: outcome.trust.as_ref().and_then(|f| f.entry_id.clone()),
            ..Default::default()
        };
        if let Some(claims) = &report.claims {
            let person = Person::from_claims(claims);
            match rtw::check(&person, now) {
                Ok(()) => out.passed = true,
                Err(e) => out.rule_failure = Some(e.to_string()),
            }
            out.person = Some(person);
        }
        out
    }
}
