//! Two issuer instances over one SQLite file (two stores, each with its own group-committing
//! writer, as two processes would have) under many concurrent wallets: no status index is
//! handed out twice, a nonce sent to both at once is accepted once, and every credential
//! returned is recorded. A small status list makes index collisions and list roll-over
//! happen, so the writer's fallback path runs too.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use issuer::wallet::{key_proof, Transport, Wallet};
use serde_json::json;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sqlite_instances_never_share_an_index_nor_accept_a_nonce_twice() {
    let mut c = config();
    c.status_list_size = 64;
    let t = issuer_with(c.clone()).await;
    let url = format!("sqlite://{}", t.dir.path().join("issuer.db").display());
    let second = issuer::open(c, &url, t.dir.path(), None).await.unwrap();
    let routers = Arc::new(vec![t.router.clone(), issuer::router(second.clone())]);

    const WALLETS: usize = 24;
    const BATCH: usize = 4;
    let mut tokens = Vec::new();
    for i in 0..WALLETS {
        let id = format!("sq-{i}");
        t.subject(&id).await;
        let offer = t.offer(&id, &["pid_sd_jwt"], false).await;
        let w = Wallet::new(Transport::Router(routers[i % 2].clone()), ISSUER);
        let token = w
            .token_pre_authorized(&pre_code(&offer), None)
            .await
            .unwrap();
        tokens.push((w, token));
    }
    let mut tasks = Vec::new();
    for (i, (w, token)) in tokens.into_iter().enumerate() {
        let routers = routers.clone();
        tasks.push(tokio::spawn(async move {
            let other = Wallet {
                transport: Transport::Router(routers[(i + 1) % 2].clone()),
                issuer_url: w.issuer_url.clone(),
                dpop_key: w.dpop_key.clone(),
            };
            let mut returned = 0;
            for _ in 0..2 {
                // a nonce from one instance, the same proofs sent to both at once
                let nonce = w.nonce().await.unwrap();
                let proofs: Vec<String> = holders(BATCH)
                    .iter()
                    .map(|h| key_proof(h, ISSUER, Some(&nonce), issuer::util::now()))
                    .collect();
                let body =
                    json!({"credential_configuration_id": "pid_sd_jwt", "proofs": {"jwt": proofs}});
                let (r1, r2) =
                    tokio::join!(w.credential(&token, &body), other.credential(&token, &body));
                let errs: Vec<String> = [&r1, &r2]
                    .iter()
                    .filter_map(|r| r.as_ref().err())
                    .map(|e| e.to_string())
                    .collect();
                let oks: Vec<_> = [r1, r2].into_iter().filter_map(Result::ok).collect();
                assert_eq!(oks.len(), 1, "a nonce is accepted once: {errs:?}");
                assert!(errs.iter().all(|e| e.contains("invalid_nonce")), "{errs:?}");
                returned += oks[0]["credentials"].as_array().unwrap().len();
            }
            returned
        }));
    }
    let mut returned = 0;
    for task in tasks {
        returned += task.await.unwrap();
    }
    assert_eq!(returned, WALLETS * BATCH * 2);
    let indices = second.store.all_indices().await.unwrap();
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
    assert!(lists.len() >= 3, "192 credentials in lists of 64 roll over");
    assert_eq!(t.count("used_nonces").await, (WALLETS * 2) as i64);
    assert_eq!(t.count("status_entries").await, returned as i64);
    assert_eq!(t.count("notifications").await, (WALLETS * 2) as i64);
}

/// The writer never checkpoints (`wal_autocheckpoint=0`); the store's checkpointer copies
/// the WAL into the database file in the background, so the file grows without any commit
/// doing that work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_in_the_background() {
    let t = issuer().await;
    let db = t.dir.path().join("issuer.db");
    t.subject("wal").await;
    let offer = t.offer("wal", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    // The setup's own writes go into the file first (a checkpoint from a connection of the
    // test's, as an operator's sqlite3 would run it), so that `before` is the whole of them
    // and only the credentials below can grow the file.
    let url = format!("sqlite://{}", db.display());
    let url = url.as_str();
    wait_until(
        "the setup's writes to be checkpointed into the database file",
        Duration::from_secs(10),
        || async move {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            // (blocked, frames in the WAL, frames checkpointed); an error is another
            // checkpoint running at that moment.
            let r: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&mut conn)
                .await;
            let _ = conn.close().await;
            matches!(r, Ok((0, log, done)) if log == done).then_some(())
        },
    )
    .await;
    let before = std::fs::metadata(&db).unwrap().len();
    for _ in 0..20 {
        let nonce = w.nonce().await.unwrap();
        let proofs: Vec<String> = holders(10)
            .iter()
            .map(|k| key_proof(k, ISSUER, Some(&nonce), issuer::util::now()))
            .collect();
        w.credential(
            &token,
            &json!({"credential_configuration_id": "pid_sd_jwt", "proofs": {"jwt": proofs}}),
        )
        .await
        .unwrap();
    }
    let db = &db;
    wait_until(
        &format!(
            "the background checkpointer to grow the database file past {before} bytes with \
             200 credentials"
        ),
        Duration::from_secs(4),
        || async move { (std::fs::metadata(db).unwrap().len() > before).then_some(()) },
    )
    .await;
    assert_eq!(t.count("credentials").await, 200);
}
