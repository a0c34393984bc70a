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
