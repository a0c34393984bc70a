//! Issue 15, "each refused with its code by every path that can carry its format": a W3C
//! credential forged in the registered provider's name (its `issuer` the provider's did:key,
//! its signature by the attacker's key), presented by a genuine holder through the
//! employer's right-to-work check over HTTP (template `right-to-work-w3c`). The check fails,
//! the employer's page says so, and no record can be saved for it. The control (the same
//! credential signed by the provider) passes. The forgery is signed with the bare JOSE
//! primitives, as a lenient implementation would make it.

mod common;

use common::{client, now, running, wallet, Scheme, Story};
use credentials::did;
use credentials::jose::sign_compact;
use credentials::keys::{Signer, SoftwareSigner};
use serde_json::{json, Map, Value};
use trust_framework::model::{AnchorKey, TrustAnchor};
use verifier::status::NoNetwork;

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn jwt(typ: &str, kid: &str, payload: &Value, key: &SoftwareSigner) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), typ.into());
    header.insert("kid".into(), kid.into());
    sign_compact(&header, &serde_json::to_vec(payload).unwrap(), key).unwrap()
}

/// A `vp+jwt` by `holder` for the request, holding a `vc+jwt` naming `issuer_did` and
/// signed by `signer`.
fn presentation(
    issuer_did: &str,
    signer: &SoftwareSigner,
    holder: &SoftwareSigner,
    nonce: &str,
    aud: &str,
) -> String {
    let holder_did = did::did_jwk(holder.public_key());
    let claims: Value = serde_json::from_str(include_str!(
        "../../specs/examples/right-to-work.claims.json"
    ))
    .unwrap();
    let mut subject = claims.as_object().unwrap().clone();
    subject.insert("id".into(), holder_did.clone().into());
    let vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "RightToWorkCredential"],
        "issuer": issuer_did,
        "validFrom": rfc3339(now() - time::Duration::days(1)),
        "validUntil": "2099-01-01T00:00:00Z",
        "credentialSubject": subject,
    });
    let vc = jwt("vc+jwt", &did::did_key_vm(signer.public_key()), &vc, signer);
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder_did,
        "verifiableCredential": [{
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "EnvelopedVerifiableCredential",
            "id": format!("data:application/vc+jwt,{vc}"),
        }],
        "nonce": nonce,
        "aud": aud,
    });
    jwt("vp+jwt", &format!("{holder_did}#0"), &vp, holder)
}

#[tokio::test]
async fn a_w3c_credential_forged_in_the_providers_name_fails_the_check_and_saves_no_record() {
    let idp = common::signer();
    let anchor = TrustAnchor {
        anchor_id: "did".into(),
        key: AnchorKey::Did {
            did: did::did_key(idp.public_key()),
        },
    };
    let s = Scheme::build(Story::Good, idp, &["RightToWorkCredential"], vec![anchor]);
    let r = running(&s, std::sync::Arc::new(NoNetwork)).await;
    let provider = did::did_key(s.idp.public_key());
    let attacker = common::signer();
    for (signer, forged) in [(&attacker, true), (&s.idp, false)] {
        let created: Value = client()
            .post(format!("{}/api/transactions", r.base))
            .json(&json!({"template": "right-to-work-w3c", "response_mode": "direct_post"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_string();
        let req = wallet::request_from_link(&r, created["wallet_url"].as_str().unwrap()).await;
        let vp = presentation(
            &provider,
            signer,
            &s.holder,
            &req.nonce,
            &req.client_id.as_string(),
        );
        let answered = wallet::answer_item(&req, "right_to_work_jwt", Value::String(vp)).await;
        assert_eq!(answered.status(), 200);
        let api: Value = client()
            .get(format!("{}/api/transactions/{id}", r.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let page = client()
            .get(format!("{}/checks/{id}", r.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let done = client()
            .post(format!("{}/checks/{id}/likeness", r.base))
            .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
            .send()
            .await
            .unwrap();
        if forged {
            let report = &api["outcome"]["report"];
            assert_eq!(report["error"]["code"], "issuer_key_mismatch", "{report:#}");
            assert!(page.contains("data-outcome=\"failed\""), "{page}");
            assert!(!page.contains("Ada"), "the forged person is not shown");
            assert_eq!(done.status(), 400, "a record was saved for a forgery");
        } else {
            assert!(page.contains("data-outcome=\"passed\""), "{api:#}");
            assert_eq!(done.status(), 303);
        }
    }
}
