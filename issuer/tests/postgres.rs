//! Two issuer instances (two connection pools, as two processes would have) over one
//! PostgreSQL under many concurrent wallets: no status index is handed out twice, no nonce
//! or pre-authorized code is accepted twice, and every credential returned is recorded.
//! Runs when VOUCH_TEST_DATABASE_URL is set (CI: postgres://postgres@127.0.0.1:5432/test);
//! each run works in a schema of its own.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use issuer::store::Store;
use issuer::wallet::{key_proof, Transport, Wallet};
use serde_json::json;
use support::*;

fn database_url() -> Option<String> {
    match std::env::var("VOUCH_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "SKIPPED: set VOUCH_TEST_DATABASE_URL=postgres://... to run the PostgreSQL tests"
            );
            None
        }
    }
}

async fn pair(url: &str, list_size: i64) -> (tempfile::TempDir, Vec<issuer::Shared>) {
    let schema = format!("issuer_test_{}", issuer::util::random_digits(12));
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for _ in 0..2 {
        let store = Store::connect_with_schema(url, Some(&schema))
            .await
            .unwrap();
        let mut c = config();
        c.status_list_size = list_size;
        out.push(issuer::open_with_store(c, store, dir.path(), None).unwrap());
    }
    (dir, out)
}

async fn admin(
    router: &axum::Router,
    token: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = Transport::Router(router.clone())
        .send(
            method,
            &format!("{ISSUER}{path}"),
            &[
                ("authorization", format!("Bearer {token}")),
                ("content-type", "application/json".into()),
            ],
            body.to_string().into_bytes(),
        )
        .await;
    assert!(
        r.status < 300,
        "{} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_share_an_index_nor_accept_a_nonce_or_code_twice() {
    let Some(url) = database_url() else { return };
    // A small list (64 entries) so that collisions and list roll-over happen under load.
    let (_dir, issuers) = pair(&url, 64).await;
    let routers: Vec<axum::Router> = issuers.iter().map(|i| issuer::router(i.clone())).collect();
    let token = issuers[0].admin_token.clone();
    assert_eq!(
        token, issuers[1].admin_token,
        "both read the same data directory"
    );

    const WALLETS: usize = 24;
    const BATCH: usize = 4;
    let mut offers = Vec::new();
    for i in 0..WALLETS {
        let id = format!("pg-{i}");
        admin(
            &routers[i % 2],
            &token,
            "PUT",
            &format!("/admin/subjects/{id}"),
            json!({"attributes": attributes(), "gpg45_profile": "M1B"}),
        )
        .await;
        let o = admin(&routers[i % 2], &token, "POST", "/admin/offers", json!({"subject_id": id, "credential_configuration_ids": ["pid_sd_jwt"], "tx_code": false})).await;
        offers.push(pre_code(&o));
    }
    let routers = Arc::new(routers);
    let mut tasks = Vec::new();
    for (i, code) in offers.into_iter().enumerate() {
        let routers = routers.clone();
        tasks.push(tokio::spawn(async move {
            let a = Wallet::new(Transport::Router(routers[i % 2].clone()), ISSUER);
            let mut b = Wallet::new(Transport::Router(routers[(i + 1) % 2].clone()), ISSUER);
            b.dpop_key = None;
            // the same pre-authorized code at both instances at once: one token only
            let (ta, tb) = tokio::join!(
                a.token_pre_authorized(&code, None),
                b.token_pre_authorized(&code, None)
            );
            assert!(ta.is_ok() != tb.is_ok(), "exactly one redemption of a code");
            let (w, token) = match (ta, tb) {
                (Ok(t), _) => (a, t),
                (_, Ok(t)) => (b, t),
                _ => unreachable!(),
            };
            // a nonce from one instance, the same proofs sent to both at once
            let nonce = w.nonce().await.unwrap();
            let holders = holders(BATCH);
            let proofs: Vec<String> = holders
                .iter()
                .map(|h| key_proof(h, ISSUER, Some(&nonce), issuer::util::now()))
                .collect();
            let body =
                json!({"credential_configuration_id": "pid_sd_jwt", "proofs": {"jwt": proofs}});
            let w2 = w_other(&w, &routers[(i + 1) % 2]);
            let (r1, r2) = tokio::join!(w.credential(&token, &body), w2.credential(&token, &body));
            let errs: Vec<String> = [&r1, &r2]
                .iter()
                .filter_map(|r| r.as_ref().err())
                .map(|e| e.to_string())
                .collect();
            let oks: Vec<_> = [r1, r2].into_iter().filter_map(Result::ok).collect();
            assert_eq!(oks.len(), 1, "a nonce is accepted once: {errs:?}");
            assert!(errs.iter().all(|e| e.contains("invalid_nonce")), "{errs:?}");
            oks[0]["credentials"].as_array().unwrap().len()
        }));
    }
    let mut returned = 0;
    for t in tasks {
        returned += t.await.unwrap();
    }
    assert_eq!(returned, WALLETS * BATCH);
    let indices = issuers[0].store.all_indices().await.unwrap();
    let distinct: HashSet<_> = indices.iter().collect();
    assert_eq!(
        indices.len(),
        returned,
        "every credential returned is recorded"
    );
    assert_eq!(
        distinct.len(),
        indices.len(),
        "no (list, index) handed out twice"
    );
    let lists: HashSet<i64> = indices.iter().map(|(l, _)| *l).collect();
    assert!(
        lists.len() >= 2,
        "96 credentials in lists of 64 roll over to a new list"
    );
    assert_eq!(
        issuers[1].store.count("used_nonces").await.unwrap(),
        WALLETS as i64,
        "each wallet's nonce is recorded as used once"
    );
}

/// The same wallet (same DPoP key) talking to the other instance.
fn w_other(w: &Wallet, router: &axum::Router) -> Wallet {
    Wallet {
        transport: Transport::Router(router.clone()),
        issuer_url: w.issuer_url.clone(),
        dpop_key: w.dpop_key.clone(),
    }
}

#[tokio::test]
async fn the_flows_pass_on_postgresql_too() {
    let Some(url) = database_url() else { return };
    let (_dir, issuers) = pair(&url, 4096).await;
    let t = TestIssuer {
        issuer: issuers[0].clone(),
        router: issuer::router(issuers[0].clone()),
        dir: tempfile::tempdir().unwrap(),
    };
    t.subject("pg-flow").await;
    let offer = t.offer("pg-flow", &["pid_sd_jwt", "mdl_mdoc"], true).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), offer["tx_code"].as_str())
        .await
        .unwrap();
    let k = holder();
    assert_eq!(w.issue(&token, "pid_sd_jwt", &[&k]).await.unwrap().len(), 1);
    assert_eq!(w.issue(&token, "mdl_mdoc", &[&k]).await.unwrap().len(), 1);
}
