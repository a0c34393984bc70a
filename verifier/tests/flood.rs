//! Issue 16, "a transaction flood grows the database by a bounded amount": anyone can start
//! a check, so the verifier keeps a bounded number waiting for a wallet. A flood past the
//! bound is answered 503 and stores nothing more; once the waiting checks expire, new ones
//! are accepted again. (On main every request stored a transaction, kept 24 hours.)

mod common;

use std::sync::Arc;

use common::{client, verifier_custom, MemFetcher, Scheme, Story, STATUS_URI};
use serde_json::json;
use verifier::oid4vp::FixedClock;
use verifier::policy::Policy;

const CAP: i64 = 40;
const FLOOD: usize = 200;
const PARALLEL: usize = 8;

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_checks_stores_no_more_than_the_bound_and_is_told_busy() {
    let scheme = Scheme::new(Story::Good);
    let start = time::OffsetDateTime::now_utc();
    let clock = Arc::new(FixedClock::new(start));
    let r = verifier_custom(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
        Policy::default(),
        clock.clone(),
        Default::default(),
        CAP,
    )
    .await;
    let url = format!("{}/api/transactions", r.base);
    let create = |url: String| async move {
        client()
            .post(url)
            .json(&json!({"template": "right-to-work", "response_mode": "direct_post.jwt"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let before = dir_bytes(r.dir.path());
    let mut statuses = Vec::new();
    for _ in 0..FLOOD / PARALLEL {
        let batch: Vec<_> = (0..PARALLEL)
            .map(|_| tokio::spawn(create(url.clone())))
            .collect();
        for b in batch {
            statuses.push(b.await.unwrap());
        }
    }
    let accepted = statuses.iter().filter(|s| (200..300).contains(*s)).count() as i64;
    let busy = statuses.iter().filter(|s| **s == 503).count() as i64;
    assert_eq!(accepted + busy, FLOOD as i64, "{statuses:?}");
    // Checks racing past the count may each be stored: at most one batch over the bound.
    assert!(
        (CAP..=CAP + PARALLEL as i64).contains(&accepted),
        "{accepted} stored"
    );
    let now = start.unix_timestamp();
    let waiting = r.service.store.pending_transactions(now).await.unwrap();
    assert_eq!(waiting, accepted);
    // On SQLite, the files grew by what the accepted checks hold, not by the flood.
    let grown = dir_bytes(r.dir.path()).saturating_sub(before);
    assert!(
        grown < 4 * 1024 * 1024,
        "the data directory grew {grown} bytes"
    );

    // The waiting checks expire (the transaction lifetime is 600 s): new ones are accepted.
    clock.set(start + time::Duration::seconds(601));
    assert_eq!(create(url.clone()).await, 200);
}

#[tokio::test]
async fn one_organisations_flood_does_not_block_another() {
    let scheme = Scheme::new(Story::Good);
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
    let r = verifier_custom(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
        Policy::default(),
        clock,
        Default::default(),
        3,
    )
    .await;
    let t = common::now().unix_timestamp() - 60;
    let key = "globex-api-key-0123456789abcdefghijklmnopq";
    r.service
        .store
        .create_organisation("globex", "Globex", Some(&verifier::access::digest(key)), t)
        .await
        .unwrap();
    let url = format!("{}/api/transactions", r.base);
    let body = json!({"template": "right-to-work"});
    let hr = common::hr_system();
    for _ in 0..3 {
        assert_eq!(
            hr.post(&url).json(&body).send().await.unwrap().status(),
            200
        );
    }
    assert_eq!(
        hr.post(&url).json(&body).send().await.unwrap().status(),
        503,
        "the default organisation is at its bound"
    );
    let globex = reqwest::Client::new();
    let answer = globex
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "Globex still starts its checks");
}
