//! The verifier's public VC API cannot be made to fetch inward: a self-signed credential
//! naming a status list (or a `did:web` host) on loopback, a private address or behind a
//! redirect makes no request there, and the answer names the rule, not what answered.
//! (On main the verifier fetched loopback HTTP on any port and path and said what answered.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use credentials::did;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::{self, IssueOptions, Securing};
use serde_json::{json, Value};
use time::OffsetDateTime;
use verifier::oid4vp::SystemClock;
use verifier::vc_api::VcApi;

/// An "internal" service that counts what reaches it.
async fn internal() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().fallback(get(move || {
        h.fetch_add(1, Ordering::SeqCst);
        async { "internal admin: secret" }
    }));
    let l = vouch_ops::loopback::listener().await.unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, hits)
}

fn credential_with_status(signer: &SoftwareSigner, list_url: &str) -> Value {
    let issuer = did::did_key(signer.public_key());
    let vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alice"},
        "credentialStatus": {
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "7", "statusListCredential": list_url
        }
    });
    let secured = w3c::issue(
        &vc,
        &IssueOptions::new(
            Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
            DocKind::Credential,
        ),
        signer,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    serde_json::from_slice(&secured.to_bytes()).unwrap()
}

#[tokio::test]
async fn the_vc_api_fetches_nothing_inward_and_says_only_which_rule_refused() {
    let (inside, hits) = internal().await;
    let api = Arc::new(VcApi::new(Arc::new(SystemClock))).router();
    let l = vouch_ops::loopback::listener().await.unwrap();
    let verifier = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(l, api).await });
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let client = reqwest::Client::new();
    for target in [
        format!("{inside}/admin/keys"),
        inside.replace("http://", "https://") + "/admin",
        "https://10.0.0.7/status/1".to_string(),
        "https://169.254.169.254/latest/meta-data/".to_string(),
        "https://[::1]/status".to_string(),
        "https://localhost/status".to_string(),
    ] {
        let body = json!({"verifiableCredential": credential_with_status(&signer, &target)});
        let r = client
            .post(format!("{verifier}/credentials/verify"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{target}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["verified"], false, "{target}: {v}");
        assert_eq!(
            v["problemDetails"][0]["code"], "status_unknown",
            "{target}: {v}"
        );
        let text = v.to_string();
        assert!(text.contains("fetch_not_allowed"), "{target}: {text}");
        assert!(
            !text.contains("secret") && !text.contains("internal"),
            "{text}"
        );
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a request reached the internal service"
    );
}
