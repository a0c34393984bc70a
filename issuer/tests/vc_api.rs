//! The W3C VC API on the issuer: `POST /credentials/issue` for every securing mechanism
//! the issuer's P-256 key can make, each credential verified by `credentials::w3c::verify`
//! with its Bitstring Status List credentials fetched from the issuer; revoking and
//! suspending through the admin API shows in those lists; refused requests write nothing.

mod support;

use std::collections::HashMap;

use credentials::w3c::jose::DocKind;
use credentials::w3c::{self, StatusResolver, VerifyOptions};
use issuer::wallet::Transport;
use serde_json::{json, Value};
use support::{issuer, TestIssuer, ISSUER};
use time::OffsetDateTime;

fn credential() -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "validUntil": "2099-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "alumniOf": {"name": "Example University"}
        }
    })
}

async fn issue(t: &TestIssuer, options: Value) -> (u16, Value) {
    let r = t
        .admin(
            "POST",
            "/credentials/issue",
            json!({"credential": credential(), "options": options}),
        )
        .await;
    (r.status, r.json())
}

/// The status list credentials a credential names, fetched from the issuer and verified.
struct Lists(HashMap<String, Value>);

impl Lists {
    async fn fetch(t: &TestIssuer, vc: &Value) -> Self {
        let mut out = HashMap::new();
        for e in vc["credentialStatus"].as_array().expect("status entries") {
            let url = e["statusListCredential"].as_str().unwrap().to_string();
            let r = Transport::Router(t.router.clone())
                .send("GET", &url, &[], Vec::new())
                .await;
            assert_eq!(r.status, 200, "{url}");
            let report = w3c::verify(
                &r.body,
                &VerifyOptions::at(OffsetDateTime::now_utc(), DocKind::Credential),
            );
            assert!(
                report.valid,
                "the status list credential verifies: {report:?}"
            );
            out.insert(url, report.claims.unwrap());
        }
        Lists(out)
    }
}

impl StatusResolver for Lists {
    fn status_list_credential(&self, url: &str) -> Result<Value, String> {
        self.0.get(url).cloned().ok_or_else(|| url.to_string())
    }
}

/// The document inside whatever the issuer returned (the credential or its envelope).
fn secured_bytes(vc: &Value) -> Vec<u8> {
    match vc["id"].as_str() {
        Some(id) if vc["type"] == "EnvelopedVerifiableCredential" => {
            let (_, data) = id.split_once(',').unwrap();
            if id.contains(";base64") {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap()
            } else {
                data.as_bytes().to_vec()
            }
        }
        _ => serde_json::to_vec(vc).unwrap(),
    }
}

async fn verify(
    t: &TestIssuer,
    vc: &Value,
    status_of: &Value,
) -> credentials::report::VerificationReport {
    let lists = Lists::fetch(t, status_of).await;
    let mut o = VerifyOptions::at(OffsetDateTime::now_utc(), DocKind::Credential);
    o.status = Some(&lists);
    w3c::verify(&secured_bytes(vc), &o)
}

/// The credential's own document (for its status entries), decoding an envelope.
fn document(vc: &Value) -> Value {
    let r = w3c::verify(
        &secured_bytes(vc),
        &VerifyOptions::at(OffsetDateTime::now_utc(), DocKind::Credential),
    );
    assert!(r.valid, "{r:?}");
    r.claims.unwrap()
}

#[tokio::test]
async fn every_mechanism_issues_with_status_and_verifies() {
    let t = issuer().await;
    for options in [
        json!({}),
        json!({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-rdfc-2019"}),
        json!({"type": "DataIntegrityProof", "cryptosuite": "ecdsa-jcs-2019"}),
        json!({"format": "vc+jwt"}),
        json!({"format": "vc+sd-jwt"}),
        json!({"format": "vc+cose"}),
    ] {
        let (status, body) = issue(&t, options.clone()).await;
        assert_eq!(status, 201, "{options}: {body}");
        let vc = &body["verifiableCredential"];
        let doc = document(vc);
        assert_eq!(
            doc["issuer"],
            json!(credentials::did::did_key(&t.issuer_key()))
        );
        assert_eq!(doc["credentialStatus"].as_array().unwrap().len(), 2);
        assert!(doc["credentialStatus"][0]["statusListCredential"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{ISSUER}/status/")));
        let report = verify(&t, vc, &doc).await;
        assert!(report.valid, "{options}: {report:?}");
        assert!(report
            .checks
            .iter()
            .any(|c| c.name == "status" && c.ok && c.detail.contains("2 status")));
    }
    // Each credential is recorded with its status index, like an OpenID4VCI one.
    assert_eq!(t.count("credentials").await, 6);
    assert_eq!(t.count("status_entries").await, 6);
}

#[tokio::test]
async fn revoking_and_suspending_through_the_admin_api_shows_in_the_bitstring_lists() {
    let t = issuer().await;
    let mut issued = Vec::new();
    for _ in 0..3 {
        let (status, body) = issue(&t, json!({"format": "vc+jwt"})).await;
        assert_eq!(status, 201);
        issued.push(body);
    }
    for (body, new) in issued.iter().zip(["revoked", "suspended"]) {
        let id = body["credentialId"].as_str().unwrap();
        let r = t
            .admin(
                "POST",
                &format!("/admin/credentials/{id}/status"),
                json!({ "status": new }),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let code = |r: &credentials::report::VerificationReport| {
        r.error.as_ref().map(|e| e.code.clone()).unwrap_or_default()
    };
    let vcs: Vec<&Value> = issued.iter().map(|b| &b["verifiableCredential"]).collect();
    let r = verify(&t, vcs[0], &document(vcs[0])).await;
    assert_eq!(code(&r), "credential_revoked");
    let r = verify(&t, vcs[1], &document(vcs[1])).await;
    assert_eq!(code(&r), "credential_suspended");
    let r = verify(&t, vcs[2], &document(vcs[2])).await;
    assert!(r.valid, "{r:?}");
    // Reinstating the suspended one clears its bit.
    let id = issued[1]["credentialId"].as_str().unwrap();
    t.admin(
        "POST",
        &format!("/admin/credentials/{id}/status"),
        json!({"status": "valid"}),
    )
    .await;
    let r = verify(&t, vcs[1], &document(vcs[1])).await;
    assert!(r.valid, "{r:?}");
}

#[tokio::test]
async fn refused_requests_name_the_problem_and_write_nothing() {
    let t = issuer().await;
    let before = t.snapshot().await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = credential();
        f(&mut c);
        json!({ "credential": c })
    };
    let cases = [
        (
            with(&|c| c["issuer"] = json!("did:example:someone-else")),
            "not did:example",
        ),
        (
            with(&|c| {
                c["credentialStatus"] =
                    json!({"type": "BitstringStatusListEntry", "statusListIndex": true})
            }),
            "credentialStatus is assigned",
        ),
        (
            json!({"credential": credential(), "options": {"cryptosuite": "bbs-2023"}}),
            "not bbs-2023",
        ),
        (
            json!({"credential": credential(), "options": {"format": "mso_mdoc"}}),
            "unsupported format",
        ),
        (
            with(&|c| c["@context"] = json!(["https://example.org/unknown"])),
            "",
        ),
        (
            with(&|c| {
                c["@context"] = json!([
                    "https://www.w3.org/ns/credentials/v2",
                    "https://example.org/not-bundled"
                ])
            }),
            "unknown_context",
        ),
        (with(&|c| c["validUntil"] = json!("next year")), ""),
        // VC DM 2.0 §4.7: an issuer object names its id; `{"id": null}` is never filled in.
        (
            with(&|c| c["issuer"] = json!({"id": null})),
            "without a string id",
        ),
        // VC DM 2.0 §5.5-§5.8, §4.8: typed extension entries, a non-empty subject.
        (
            with(&|c| c["evidence"] = json!([{"id": "https://example.org/evidence/1"}])),
            "invalid_evidence",
        ),
        (
            with(&|c| c["termsOfUse"] = json!({"id": "https://example.org/tou"})),
            "invalid_terms_of_use",
        ),
        (
            with(&|c| c["credentialSubject"] = json!({})),
            "invalid_credential_subject",
        ),
        (json!({"credential": "a string"}), "credential (an object)"),
        (json!({"options": {}}), "credential (an object)"),
    ];
    for (body, says) in cases {
        let r = t.admin("POST", "/credentials/issue", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.json());
        let text = r.json().to_string();
        assert!(text.contains(says), "{body}: {text}");
    }
    // Without the admin token.
    let r = Transport::Router(t.router.clone())
        .send(
            "POST",
            &format!("{ISSUER}/credentials/issue"),
            &[("content-type", "application/json".into())],
            json!({ "credential": credential() })
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(t.snapshot().await, before, "nothing was written");
    // Unknown lists and purposes are 404.
    for path in [
        "/status/999/bitstring/revocation",
        "/status/1/bitstring/message",
    ] {
        let r = Transport::Router(t.router.clone())
            .send("GET", &format!("{ISSUER}{path}"), &[], Vec::new())
            .await;
        assert_eq!(r.status, 404, "{path}");
    }
}

#[tokio::test]
async fn openid4vci_issues_jwt_vc_json_and_ldp_vc_bound_to_the_holder_key() {
    let t = issuer().await;
    t.subject("subj-w3c").await;
    let configs = ["right_to_work_jwt_vc", "right_to_work_ldp_vc"];
    let offer = t.offer("subj-w3c", &configs, false).await;
    let w = t.wallet();
    let metadata = w.metadata().await.unwrap();
    let supported = &metadata["credential_configurations_supported"];
    assert_eq!(supported["right_to_work_jwt_vc"]["format"], "jwt_vc_json");
    assert_eq!(
        supported["right_to_work_ldp_vc"]["credential_definition"]["type"],
        json!(["VerifiableCredential", "RightToWorkCredential"])
    );
    let token = w
        .token_pre_authorized(&support::pre_code(&offer), None)
        .await
        .unwrap();
    for config in configs {
        let keys = support::holders(2);
        let creds = w
            .issue(&token, config, &support::dyns(&keys))
            .await
            .unwrap();
        assert_eq!(creds.len(), 2, "{config}: one credential per proof key");
        for (c, k) in creds.iter().zip(&keys) {
            if config.ends_with("ldp_vc") {
                let v: Value = serde_json::from_str(c).unwrap();
                assert_eq!(v["proof"]["cryptosuite"], "ecdsa-jcs-2019");
            } else {
                assert_eq!(c.split('.').count(), 3, "a compact vc+jwt");
            }
            let plain = w3c::verify(
                c.as_bytes(),
                &VerifyOptions::at(OffsetDateTime::now_utc(), DocKind::Credential),
            );
            assert!(plain.valid, "{config}: {plain:?}");
            let doc = plain.claims.unwrap();
            assert_eq!(
                doc["credentialSubject"]["id"],
                json!(credentials::did::did_jwk(
                    credentials::keys::Signer::public_key(k)
                )),
                "bound to the proof key"
            );
            assert_eq!(doc["credentialSubject"]["given_name"], "Ada");
            assert_eq!(doc["credentialSubject"]["gpg45_profile"], "M1B");
            assert!(doc["type"]
                .as_array()
                .unwrap()
                .contains(&json!("RightToWorkCredential")));
            let lists = Lists::fetch(&t, &doc).await;
            let mut o = VerifyOptions::at(OffsetDateTime::now_utc(), DocKind::Credential);
            o.status = Some(&lists);
            let r = w3c::verify(c.as_bytes(), &o);
            assert!(r.valid, "{config} with status: {r:?}");
        }
    }
}

/// Issue 15: "an Ed25519 key beside the P-256 one in the issuer". `eddsa-rdfc-2022` and
/// `eddsa-jcs-2022` credentials are issued by the `did:key` of the issuer's Ed25519 key
/// (multicodec `ed25519-pub`, `z6Mk…`), verify with their status, and that DID is one of
/// the anchors the issuer registers (with the P-256 key's). (On main both were refused.)
#[tokio::test]
async fn eddsa_cryptosuites_are_issued_by_the_registered_ed25519_did() {
    let t = issuer().await;
    let anchors = issuer::registration::anchors(&t.issuer);
    let dids: Vec<String> = anchors
        .iter()
        .filter_map(|a| match &a.key {
            trust_framework::model::AnchorKey::Did { did } => Some(did.clone()),
            _ => None,
        })
        .collect();
    let p256 = credentials::did::did_key(&t.issuer_key());
    assert!(dids.contains(&p256), "{dids:?}");
    for suite in ["eddsa-rdfc-2022", "eddsa-jcs-2022"] {
        let (status, body) = issue(
            &t,
            json!({"type": "DataIntegrityProof", "cryptosuite": suite}),
        )
        .await;
        assert_eq!(status, 201, "{suite}: {body}");
        let vc = &body["verifiableCredential"];
        assert_eq!(vc["proof"]["cryptosuite"], suite);
        let issuer = vc["issuer"].as_str().unwrap();
        assert!(issuer.starts_with("did:key:z6Mk"), "{issuer}");
        assert!(dids.iter().any(|d| d == issuer), "{issuer} in {dids:?}");
        let report = verify(&t, vc, &document(vc)).await;
        assert!(report.valid, "{suite}: {report:?}");
        assert_eq!(report.issuer.as_deref(), Some(issuer));
    }
}

/// Issue 15: "a caller-supplied, well-formed credentialStatus may be accepted behind an
/// issuer setting". Off (the default) it is refused; on, a well-formed entry is kept as
/// given and a malformed one is refused with what is wrong.
#[tokio::test]
async fn a_callers_credential_status_is_kept_only_when_the_issuer_allows_it() {
    let entry = json!({
        "id": "https://status.example/lists/7#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": "https://status.example/lists/7"
    });
    let with = |status: Value| {
        let mut c = credential();
        c["credentialStatus"] = status;
        json!({"credential": c, "options": {"cryptosuite": "ecdsa-jcs-2019"}})
    };
    let off = issuer().await;
    let r = off
        .admin("POST", "/credentials/issue", with(entry.clone()))
        .await;
    assert_eq!(r.status, 400, "{}", r.json());

    let mut config = support::config();
    config.accept_caller_status = true;
    let on = support::issuer_with(config).await;
    let r = on
        .admin("POST", "/credentials/issue", with(entry.clone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.json());
    assert_eq!(r.json()["verifiableCredential"]["credentialStatus"], entry);
    let mut bad = entry.clone();
    bad["statusListIndex"] = json!("not a number");
    let r = on.admin("POST", "/credentials/issue", with(bad)).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json().to_string().contains("credentialStatus"),
        "{}",
        r.json()
    );
    let r = on
        .admin("POST", "/credentials/issue", with(json!([])))
        .await;
    assert_eq!(r.status, 400);
}
