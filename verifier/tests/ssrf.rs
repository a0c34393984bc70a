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

/// Issue 16, "the verifier resolves only DIDs the register names": a credential naming a
/// `did:web` issuer the register does not name is refused as `did_not_registered` without
/// a connection to its host, even where the fetch policy would allow that host; the same
/// credential with its DID in the register's scope does make the verifier connect.
#[tokio::test]
async fn a_did_web_outside_the_register_is_never_resolved() {
    let (port, conns) = vouch_ops::loopback::counting_port().await.unwrap();
    let did = format!("did:web:127.0.0.1%3A{port}");
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alice"}
    });
    let mut opts = IssueOptions::new(
        Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
        DocKind::Credential,
    );
    opts.verification_method = Some(format!("{did}#key-1"));
    let secured = w3c::issue(&vc, &opts, &signer, OffsetDateTime::now_utc()).unwrap();
    let body = json!({"verifiableCredential":
        serde_json::from_slice::<Value>(&secured.to_bytes()).unwrap()});
    let policy = vouch_fetch::FetchPolicy {
        allowed_origins: vec![format!("https://127.0.0.1:{port}")],
        ..Default::default()
    };
    let ask = |scope: Vec<String>| {
        let api = VcApi::with_policy(Arc::new(SystemClock), policy.clone())
            .resolving_only(Arc::new(move || scope.clone()));
        let body = body.clone();
        async move {
            let l = vouch_ops::loopback::listener().await.unwrap();
            let base = format!("http://{}", l.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(l, Arc::new(api).router()).await });
            let r = reqwest::Client::new()
                .post(format!("{base}/credentials/verify"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400);
            r.json::<Value>().await.unwrap()
        }
    };
    let refused = ask(vec!["did:web:registered.example".into()]).await;
    assert_eq!(
        refused["problemDetails"][0]["code"], "did_not_registered",
        "{refused}"
    );
    assert_eq!(conns.load(Ordering::SeqCst), 0, "the verifier connected");
    // Control: the same DID inside the scope is resolved (the connection is made; the
    // counting port answers nothing, so resolution then fails).
    let tried = ask(vec![did.clone()]).await;
    assert_ne!(tried["problemDetails"][0]["code"], "did_not_registered");
    assert!(conns.load(Ordering::SeqCst) >= 1, "{tried}");
}
