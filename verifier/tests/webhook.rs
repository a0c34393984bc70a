//! When a check completes, the organisation's HR system gets a signed notice (a JWS by the
//! record key) with the ids and the outcome, and no personal data; the notice goes through
//! the outbound fetch policy like every other request.

mod common;

use std::sync::{Arc, Mutex};

use axum::routing::post;
use common::{
    client, now, start_check, verifier_notifying, wallet, MemFetcher, Scheme, Story, STATUS_URI,
};
use credentials::jose::{CompactJws, JwsPolicy};
use credentials::keys::{Algorithm, Signer};
use time::Duration;
use verifier::oid4vp::SystemClock;
use verifier::policy::Policy;
use verifier::webhook::{Webhook, WEBHOOK_TYP};

#[tokio::test]
async fn a_completed_check_sends_a_signed_notice_without_personal_data() {
    // The HR system: records what it is sent.
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hooks/rtw",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let ct = headers["content-type"].to_str().unwrap().to_string();
                seen.lock().unwrap().push((ct, body));
                "ok"
            }
        }),
    );
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let hook = Arc::new(Webhook::new(
        format!("{origin}/hooks/rtw"),
        vouch_fetch::FetchPolicy::allowing([origin.as_str()]),
    ));

    let s = Scheme::new(Story::Good);
    let r = verifier_notifying(
        &s,
        MemFetcher::serving(STATUS_URI, s.status_token(0)),
        Policy::default(),
        Arc::new(SystemClock),
        Default::default(),
        verifier::oid4vp::MAX_PENDING_TRANSACTIONS,
        Some(hook),
    )
    .await;
    let id = start_check(&r, "direct_post").await;
    wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    assert!(
        got.lock().unwrap().is_empty(),
        "nothing before the check completes"
    );
    let done = client()
        .post(format!("{}/checks/{id}/likeness", r.base))
        .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
        .send()
        .await
        .unwrap();
    let rec = done.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/records/")
        .to_string();
    let (ct, body) = common::wait_until("the notice", std::time::Duration::from_secs(10), || {
        got.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(ct, "application/jose");
    let jws = CompactJws::parse(&body).unwrap();
    assert_eq!(jws.header().typ(), Some(WEBHOOK_TYP));
    jws.verify(
        r.service.record_key.public_key(),
        &JwsPolicy::allowing(&[Algorithm::Es256]),
    )
    .unwrap();
    let claims = jws.claims().unwrap();
    assert_eq!(claims["event"], "check.completed");
    assert_eq!(claims["transaction_id"], id.as_str());
    assert_eq!(claims["record_id"], rec.as_str());
    assert_eq!(claims["statutory_excuse"], true);
    for personal in ["Lovelace", "Ada", "1990", "passport", "portrait"] {
        assert!(
            !body.contains(personal) && !String::from_utf8_lossy(jws.payload()).contains(personal)
        );
    }
}

#[tokio::test]
async fn a_notice_to_an_address_the_policy_refuses_is_never_sent() {
    // Loopback is not public, and this origin is not allowed: refused before any connection.
    let (port, conns) = vouch_ops::loopback::counting_port().await.unwrap();
    let hook = Webhook::new(
        format!("http://127.0.0.1:{port}/hook"),
        vouch_fetch::FetchPolicy::default(),
    );
    assert!(!hook.deliver("a.b.c").await);
    assert_eq!(conns.load(std::sync::atomic::Ordering::SeqCst), 0);
}
