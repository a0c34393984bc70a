//! The VC API verifier endpoints over HTTP: Data Integrity (RDFC and JCS) and VC-JOSE-COSE
//! credentials, presentations with challenge and domain, Bitstring Status List credentials
//! fetched from a status server (revoked, suspended, unreachable), and the 400 answers.

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use credentials::did;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::status::bitstring_status_list::{BitstringStatusList, StatusPurpose};
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::Secured;
use credentials::w3c::{self, IssueOptions, Securing};
use serde_json::{json, Value};
use time::OffsetDateTime;
use verifier::oid4vp::SystemClock;
use verifier::vc_api::VcApi;

struct Scheme {
    issuer: SoftwareSigner,
    holder: SoftwareSigner,
    status_base: String,
    verifier: String,
    client: reqwest::Client,
}

fn secure(doc: &Value, securing: Securing, kind: DocKind, signer: &SoftwareSigner) -> Value {
    match w3c::issue(
        doc,
        &IssueOptions::new(securing, kind),
        signer,
        OffsetDateTime::now_utc(),
    )
    .unwrap()
    {
        Secured::Document(v) => v,
        Secured::Compact(s) => json!({
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "EnvelopedVerifiableCredential",
            "id": format!("data:application/{},{s}", securing.name(kind)),
        }),
        Secured::Cose(b) => json!({
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "EnvelopedVerifiableCredential",
            "id": format!("data:application/vc+cose;base64,{}", w3c::verify::cose_to_base64(&b)),
        }),
    }
}

async fn scheme() -> Scheme {
    let (issuer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let (holder, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let issuer_did = did::did_key(issuer.public_key());

    // The issuer's status lists: index 7 revoked, index 8 suspended.
    let status = vouch_ops::loopback::listener().await.unwrap();
    let status_base = format!("http://{}", status.local_addr().unwrap());
    let mut lists = Vec::new();
    for (purpose, idx) in [
        (StatusPurpose::Revocation, 7),
        (StatusPurpose::Suspension, 8),
    ] {
        let mut list = BitstringStatusList::new(131_072, 1).unwrap();
        list.set(idx, 1).unwrap();
        let url = format!("{status_base}/status/{}", purpose.name());
        let unsecured = list.credential(&url, &issuer_did, "2025-01-01T00:00:00Z", purpose);
        let secured = secure(
            &unsecured,
            Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
            DocKind::Credential,
            &issuer,
        );
        lists.push((purpose.name(), secured));
    }
    let mut app = Router::new();
    for (name, doc) in lists {
        app = app.route(
            &format!("/status/{name}"),
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc) }
            }),
        );
    }
    tokio::spawn(async move { axum::serve(status, app).await.unwrap() });

    // The status server is on loopback: its origin, and no other, is allowed (as `vouch up`
    // allows its own services).
    let policy = vouch_fetch::FetchPolicy {
        allowed_origins: vec![status_base.clone()],
        ..Default::default()
    };
    let api = Arc::new(VcApi::with_policy(Arc::new(SystemClock), policy)).router();
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let verifier = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    Scheme {
        issuer,
        holder,
        status_base,
        verifier,
        client: reqwest::Client::new(),
    }
}

impl Scheme {
    fn credential(&self, status: Option<(&str, u32, &str)>) -> Value {
        let mut v = json!({
            // The examples context defines a vocabulary for the terms below: RDFC signing
            // (safe-mode JSON-LD) refuses terms no context defines.
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://www.w3.org/ns/credentials/examples/v2"
            ],
            "type": ["VerifiableCredential", "RightToWorkCredential"],
            "issuer": did::did_key(self.issuer.public_key()),
            "validFrom": "2025-01-01T00:00:00Z",
            "validUntil": "2099-01-01T00:00:00Z",
            "credentialSubject": {
                "id": did::did_key(self.holder.public_key()),
                "rightToWork": "unlimited",
            },
        });
        if let Some((purpose, index, base)) = status {
            let url = format!("{base}/status/{purpose}");
            v["credentialStatus"] = json!({
                "id": format!("{url}#{index}"),
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": index.to_string(),
                "statusListCredential": url,
            });
        }
        v
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.verifier))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    async fn verify(&self, vc: Value, options: Value) -> (u16, Value) {
        self.post(
            "/credentials/verify",
            json!({"verifiableCredential": vc, "options": options}),
        )
        .await
    }
}

fn code(v: &Value) -> &str {
    v["problemDetails"][0]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn every_securing_mechanism_verifies_through_the_vc_api() {
    let s = scheme().await;
    let base = s.status_base.clone();
    for securing in [
        Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022),
        Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
        Securing::Jwt,
        Securing::SdJwt,
        Securing::Cose,
    ] {
        let vc = secure(
            &s.credential(Some(("revocation", 3, &base))),
            securing,
            DocKind::Credential,
            &s.issuer,
        );
        let (status, body) = s
            .verify(vc, json!({"checks": ["proof", "credentialStatus"]}))
            .await;
        assert_eq!(status, 200, "{securing:?}: {body}");
        assert_eq!(body["verified"], true);
        assert_eq!(body["problemDetails"], json!([]));
        let checks = body["results"]["checks"].as_array().unwrap();
        assert!(
            checks
                .iter()
                .any(|c| c["check"] == "status" && c["ok"] == true),
            "{securing:?}: {body}"
        );
    }
}

#[tokio::test]
async fn tampered_revoked_suspended_and_unreachable_status_are_400_with_their_code() {
    let s = scheme().await;
    let base = s.status_base.clone();
    let di = Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022);

    let mut tampered = secure(&s.credential(None), di, DocKind::Credential, &s.issuer);
    tampered["credentialSubject"]["rightToWork"] = json!("none");
    let (status, body) = s.verify(tampered, json!({})).await;
    assert_eq!((status, body["verified"].clone()), (400, json!(false)));
    assert_eq!(code(&body), "signature_invalid", "{body}");

    let revoked = secure(
        &s.credential(Some(("revocation", 7, &base))),
        di,
        DocKind::Credential,
        &s.issuer,
    );
    let (status, body) = s.verify(revoked.clone(), json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "credential_revoked", "{body}");
    // Asked for the proof only, the revoked credential's proof verifies, with a warning.
    let (status, body) = s.verify(revoked, json!({"checks": ["proof"]})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["warnings"].to_string().contains("status not checked"));

    let suspended = secure(
        &s.credential(Some(("suspension", 8, &base))),
        Securing::Jwt,
        DocKind::Credential,
        &s.issuer,
    );
    let (status, body) = s.verify(suspended, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "credential_suspended", "{body}");

    // A status list nobody serves: status unknown, never "valid".
    let gone = secure(
        &s.credential(Some(("revocation", 3, "http://127.0.0.1:9"))),
        di,
        DocKind::Credential,
        &s.issuer,
    );
    let (status, body) = s.verify(gone, json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "status_unknown", "{body}");

    // A status list at a plain-http URL (not an allowed origin) is never fetched; the
    // answer names the rule.
    let plain = secure(
        &s.credential(Some(("revocation", 3, "http://status.example"))),
        di,
        DocKind::Credential,
        &s.issuer,
    );
    let (_, body) = s.verify(plain, json!({})).await;
    assert_eq!(code(&body), "status_unknown", "{body}");
    assert!(body["problemDetails"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("fetch_not_allowed"));
}

#[tokio::test]
async fn presentations_check_challenge_and_domain() {
    let s = scheme().await;
    let vc = secure(
        &s.credential(None),
        Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
        DocKind::Credential,
        &s.issuer,
    );
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did::did_key(s.holder.public_key()),
        "verifiableCredential": [vc],
    });
    let mut opts = IssueOptions::new(
        Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022),
        DocKind::Presentation,
    );
    opts.challenge = Some("c-123".into());
    opts.domain = Some("employer.example".into());
    let Secured::Document(signed) =
        w3c::issue(&vp, &opts, &s.holder, OffsetDateTime::now_utc()).unwrap()
    else {
        panic!("a Data Integrity presentation is a document")
    };
    let post = |challenge: &str| {
        json!({"verifiablePresentation": signed.clone(),
               "options": {"challenge": challenge, "domain": "employer.example"}})
    };
    let (status, body) = s.post("/presentations/verify", post("c-123")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verified"], true);
    let (status, body) = s.post("/presentations/verify", post("c-other")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["verified"], false);
    assert_eq!(code(&body), "wrong_challenge", "{body}");
}

#[tokio::test]
async fn malformed_requests_are_400_and_name_the_problem() {
    let s = scheme().await;
    for body in [
        json!({}),
        json!({"verifiableCredential": 5}),
        json!({"verifiableCredential": {}, "options": "all"}),
        json!({"verifiableCredential": {}, "options": {"checks": "proof"}}),
        json!([1, 2]),
    ] {
        let (status, v) = s.post("/credentials/verify", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(v["verified"], false);
        assert_eq!(code(&v), "malformed_request", "{body}");
    }
    // Not JSON at all.
    let r = s
        .client
        .post(format!("{}/credentials/verify", s.verifier))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // A JSON object that is not a credential: rejected by the verification, still a 400.
    let (status, v) = s
        .verify(json!({"type": "VerifiableCredential"}), json!({}))
        .await;
    assert_eq!(status, 400);
    assert_ne!(code(&v), "");
}
