//! The verifier in operation: `/healthz` says ready (database and snapshot age), `/metrics`
//! counts requests by route template and verifications by outcome, and a running verifier
//! refreshes its trust snapshot from the register by itself, refusing a rollback or a
//! snapshot signed by another key.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use common::{client, now, running, start_check, wallet, MemFetcher, Scheme, Story, STATUS_URI};
use serde_json::{json, Value};
use time::Duration;
use trust_framework::events::{CertificateRef, EventKind};
use trust_framework::fixtures::{cab_actor, event};
use trust_framework::log::Log;
use trust_framework::snapshot::{hashes_to_b64, SnapshotError};
use verifier::trust::{RefreshError, Refreshed, SnapshotRefresh, TrustData, TrustState};

fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn get_text(url: &str) -> (u16, String) {
    let r = client().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_ready_and_metrics_count_routes_and_verifications() {
    let scheme = Scheme::new(Story::Good);
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let (s, body) = get_text(&format!("{}/healthz", r.base)).await;
    assert_eq!(s, 200, "{body}");
    let h: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["checks"]["database"], "ok");
    assert_eq!(h["checks"]["trust_snapshot"], "ok");
    assert_eq!(h["snapshot_sequence"], 1);

    let (_, before) = get_text(&format!("{}/metrics", r.base)).await;
    let passed = ["outcome=\"passed\""];
    let n = sample(&before, "vouch_verifier_verifications_total", &passed);
    let id = start_check(&r, "direct_post.jwt").await;
    let cred = scheme.issue(None, |_| {}, now() + Duration::days(300));
    wallet::share(&r, &id, &scheme, &cred).await;
    let (s, text) = get_text(&format!("{}/metrics", r.base)).await;
    assert_eq!(s, 200);
    assert!(
        sample(&text, "vouch_verifier_verifications_total", &passed) >= n + 1.0,
        "{text}"
    );
    let route = [
        "service=\"verifier\"",
        "route=\"/response/{id}\"",
        "method=\"POST\"",
    ];
    assert!(
        sample(&text, "vouch_http_requests_total", &route) >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("vouch_verifier_trust_snapshot_age_seconds "),
        "{text}"
    );
    // Neither the transaction id nor a claim is a label.
    assert!(!text.contains(&id), "{text}");
    assert!(!text.contains("Lovelace"), "{text}");
}

/// A stand-in register: serves whichever snapshot the test sets, and consistency proofs of
/// its log.
#[derive(Clone)]
struct FakeRegister {
    snapshot: Arc<Mutex<String>>,
    log: Arc<Mutex<Log>>,
}

#[derive(serde::Deserialize)]
struct Range {
    from: u64,
    to: u64,
}

async fn fake_register(r: FakeRegister) -> String {
    let app = Router::new()
        .route(
            "/snapshot",
            get(|State(r): State<FakeRegister>| async move { r.snapshot.lock().unwrap().clone() }),
        )
        .route(
            "/log/proof/consistency",
            get(
                |State(r): State<FakeRegister>, Query(q): Query<Range>| async move {
                    let proof = r
                        .log
                        .lock()
                        .unwrap()
                        .consistency_proof(q.from, q.to)
                        .unwrap();
                    Json(json!({"from": q.from, "to": q.to, "proof": hashes_to_b64(&proof)}))
                },
            ),
        )
        .with_state(r);
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_the_snapshot_from_the_register_and_refuses_rollbacks_and_strangers() {
    let scheme = Scheme::new(Story::Good);
    let first = scheme.snapshot.clone();
    let state =
        TrustState::new(TrustData::verify(&scheme.snapshot_verifier(), &first).unwrap()).unwrap();
    let register = FakeRegister {
        snapshot: Arc::new(Mutex::new(first.clone())),
        log: Arc::new(Mutex::new((*scheme.log).clone())),
    };
    let url = fake_register(register.clone()).await;
    let refresh = SnapshotRefresh {
        registry_url: url,
        verifier: scheme.snapshot_verifier(),
        client: reqwest::Client::new(),
        every: std::time::Duration::from_millis(100),
    };
    assert_eq!(refresh.once(&state).await.unwrap(), Refreshed::Unchanged);

    // The register grows (the provider's certificate is suspended) and signs snapshot 2
    // without a consistency proof: the refresh fetches one from the log.
    let second = {
        let mut log = register.log.lock().unwrap();
        log.append(event(
            now(),
            cab_actor("cab-a"),
            EventKind::CertificateSuspended(CertificateRef {
                entry_id: "idp".into(),
                certificate_number: "IDP-1".into(),
            }),
        ))
        .unwrap();
        Scheme::sign_snapshot(&log, &scheme.log_key, &scheme.snapshot_key, 2, now())
    };
    *register.snapshot.lock().unwrap() = second.clone();
    assert_eq!(
        refresh.once(&state).await.unwrap(),
        Refreshed::Updated { sequence: 2 }
    );
    assert_eq!(state.current().snapshot.payload.sequence, 2);
    assert_eq!(refresh.once(&state).await.unwrap(), Refreshed::Unchanged);

    // An old snapshot served again is a rollback: refused, snapshot 2 stays.
    *register.snapshot.lock().unwrap() = first;
    match refresh.once(&state).await {
        Err(RefreshError::Rejected(SnapshotError::Rollback { got: 1, seen: 2 })) => {}
        other => panic!("a rollback was not refused: {other:?}"),
    }
    assert_eq!(state.current().snapshot.payload.sequence, 2);

    // A snapshot signed by a key that is not pinned is refused.
    let stranger = common::signer();
    let forged = {
        let log = register.log.lock().unwrap();
        Scheme::sign_snapshot(&log, &scheme.log_key, &stranger, 3, now())
    };
    *register.snapshot.lock().unwrap() = forged;
    assert!(matches!(
        refresh.once(&state).await,
        Err(RefreshError::Rejected(_))
    ));
    assert_eq!(state.current().snapshot.payload.sequence, 2);

    // The background task does the same on its own.
    *register.snapshot.lock().unwrap() = second;
    let state2 =
        TrustState::new(TrustData::verify(&scheme.snapshot_verifier(), &scheme.snapshot).unwrap())
            .unwrap();
    let task = refresh.clone().spawn(state2.clone());
    common::wait_until(
        "the background refresh to apply snapshot 2",
        std::time::Duration::from_secs(10),
        || (state2.current().snapshot.payload.sequence == 2).then_some(()),
    )
    .await;
    task.abort();
}
