//! A verifier data directory of the previous version (its tables made by raw SQL on start,
//! no migrations table) opens under this version with its rows intact, and the migrations
//! are then recorded; its records get a deletion date (migration 0002).

use verifier::store::Store;

#[tokio::test]
async fn a_database_of_the_previous_version_is_adopted_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("verifier.db").display()
    );
    {
        // What the previous version created on start, written out here by hand.
        let old = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE vp_transactions (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL,
               expires_at BIGINT NOT NULL, state TEXT NOT NULL, nonce TEXT NOT NULL,
               client_id TEXT NOT NULL, response_mode TEXT NOT NULL, template TEXT NOT NULL,
               dcql TEXT NOT NULL, enc_key TEXT, response_code TEXT, presentation TEXT,
               outcome TEXT, responded_at BIGINT, completed_at BIGINT, record_id TEXT);
             CREATE TABLE rtw_records (id TEXT PRIMARY KEY, transaction_id TEXT NOT NULL,
               created_at BIGINT NOT NULL, employment_end TEXT, delete_after BIGINT,
               record TEXT NOT NULL);
             INSERT INTO vp_transactions (id, created_at, expires_at, state, nonce, client_id,
               response_mode, template, dcql)
             VALUES ('tx-old', 1, 2, 'completed', 'n', 'x509_san_dns:localhost',
               'direct_post.jwt', 'right-to-work', '{}');
             INSERT INTO rtw_records (id, transaction_id, created_at, employment_end,
               delete_after, record)
             VALUES ('rec-old', 'tx-old', 1000, NULL, NULL, 'a.b.c');",
        )
        .execute(&old)
        .await
        .unwrap();
        old.close().await;
    }
    let store = Store::connect(&url, None).await.unwrap();
    let t = store
        .transaction("tx-old")
        .await
        .unwrap()
        .expect("the old row");
    assert_eq!(t.state, "completed");
    assert_eq!(t.client_id, "x509_san_dns:localhost");
    // A record kept with no deletion date (an end date never entered) is now deleted six
    // months (183 days) after its check, like the record of someone never hired.
    let rec = store
        .record("rec-old")
        .await
        .unwrap()
        .expect("the old record");
    assert_eq!(rec.delete_after, Some(1000 + 183 * 86_400));
    assert_eq!(rec.planned_start, None);
    drop(store);
    let check = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&check)
        .await
        .unwrap();
    assert!(n >= 1, "the migrations are recorded");
    // Opening again is a no-op.
    Store::connect(&url, None).await.unwrap();
}

/// SHA-256 over length-prefixed fields: the access log's chain as the previous version
/// wrote it, computed here independently of the code under test.
fn old_chain_hash(fields: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_database_of_the_previous_version_gets_organisations_and_keeps_its_access_log_chain() {
    use verifier::store::AccessEntry;
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("verifier.db").display()
    );
    {
        // The previous version: migrations 1 and 2, a record and two access-log entries.
        let old = sqlx::SqlitePool::connect(&url).await.unwrap();
        vouch_ops::db::migrator(vec![
            vouch_ops::db::migration(
                1,
                "verifier",
                include_str!("../migrations/0001_verifier.sql"),
            ),
            vouch_ops::db::migration(
                2,
                "retention",
                include_str!("../migrations/0002_retention.sql"),
            ),
        ])
        .run(&old)
        .await
        .unwrap();
        sqlx::raw_sql(
            "INSERT INTO vp_transactions (id, created_at, expires_at, state, nonce, client_id,
               response_mode, template, dcql, browser_hash)
             VALUES ('tx-old', 1, 2, 'completed', 'n', 'x509_san_dns:localhost',
               'direct_post.jwt', 'right-to-work', '{}', 'abc');
             INSERT INTO rtw_records (id, transaction_id, created_at, delete_after, record)
             VALUES ('rec-old', 'tx-old', 1000, 2000, 'a.b.c');",
        )
        .execute(&old)
        .await
        .unwrap();
        let genesis = "0".repeat(64);
        let h1 = old_chain_hash(&[&genesis, "1", "1000", "rec-old", "created", ""]);
        let h2 = old_chain_hash(&[&h1, "2", "1100", "rec-old", "viewed", ""]);
        for (seq, at, action, prev, hash) in [
            (1, 1000, "created", genesis.as_str(), h1.as_str()),
            (2, 1100, "viewed", h1.as_str(), h2.as_str()),
        ] {
            sqlx::query("INSERT INTO rtw_access_log (seq, at, record_id, action, detail, prev_hash, hash) VALUES ($1,$2,'rec-old',$3,'',$4,$5)")
                .bind(seq).bind(at).bind(action).bind(prev).bind(hash)
                .execute(&old).await.unwrap();
        }
        old.close().await;
    }
    let store = Store::connect(&url, None).await.unwrap();
    // Everything belongs to the default organisation.
    assert_eq!(
        store.transaction("tx-old").await.unwrap().unwrap().org_id,
        "default"
    );
    assert_eq!(
        store.record("rec-old").await.unwrap().unwrap().org_id,
        "default"
    );
    assert_eq!(store.records_of("default").await.unwrap().len(), 1);
    assert!(store.records_of("other").await.unwrap().is_empty());
    // The old entries are the default organisation's chain, their hashes unchanged; a new
    // entry (with its actor) continues it.
    let log = store.access_log("default").await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.actor.is_empty()));
    assert_eq!(AccessEntry::verify_chain(&log), Ok(()));
    store
        .log_access("default", "rec-old", "downloaded", "m-someone", 1200)
        .await
        .unwrap();
    let log = store.access_log("default").await.unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[2].prev_hash, log[1].hash);
    assert_eq!(log[2].actor, "m-someone");
    assert_eq!(AccessEntry::verify_chain(&log), Ok(()));
    // The actor is hashed: changing who did it breaks the chain.
    let mut forged = log.clone();
    forged[2].actor = "m-someone-else".into();
    assert_eq!(AccessEntry::verify_chain(&forged), Err(3));
    assert!(store.organisation("default").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_views_each_get_their_place_in_the_access_log_chain() {
    use verifier::store::AccessEntry;
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("verifier.db").display()
    );
    let store = Store::connect(&url, None).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .log_access("default", "rec", "viewed", &format!("m-{i}"), 1000 + i)
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("every view is logged");
    }
    let log = store.access_log("default").await.unwrap();
    assert_eq!(log.len(), 16);
    assert_eq!(AccessEntry::verify_chain(&log), Ok(()));
}
