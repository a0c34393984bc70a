//! Transactions and retained records in SQLite (default) or PostgreSQL, through sqlx.
//! Nonce consumption is one conditional UPDATE, so two processes never accept one
//! transaction's response twice.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use vouch_ops::db;

/// The verifier's migrations, embedded (`verifier/migrations/*.sql`).
fn migrator() -> sqlx::migrate::Migrator {
    db::migrator(vec![
        db::migration(
            1,
            "verifier",
            include_str!("../../migrations/0001_verifier.sql"),
        ),
        db::migration(
            2,
            "retention",
            include_str!("../../migrations/0002_retention.sql"),
        ),
        db::migration(
            3,
            "workspace",
            include_str!("../../migrations/0003_workspace.sql"),
        ),
    ])
}

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL (use sqlite://FILE or postgres://...)")]
    UnsupportedUrl,
    /// A migration failed (or the database has migrations this version does not know).
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The PostgreSQL schema name is not lower-case letters, digits and `_`.
    #[error("the schema name must be lower-case letters, digits or _")]
    SchemaName,
}

/// An OpenID4VP transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transaction {
    /// Id (also in the request and response URIs).
    pub id: String,
    /// Created, seconds.
    pub created_at: i64,
    /// No response accepted after this.
    pub expires_at: i64,
    /// `pending`, `processing`, `responded`, `completed`.
    pub state: String,
    /// The request nonce (single use).
    pub nonce: String,
    /// The client id with its prefix.
    pub client_id: String,
    /// `direct_post` or `direct_post.jwt`.
    pub response_mode: String,
    /// The DCQL template name.
    pub template: String,
    /// The DCQL query, JSON.
    pub dcql: String,
    /// The per-transaction response decryption key (private JWK JSON).
    pub enc_key: Option<String>,
    /// Returned in the redirect for same-device flows.
    pub response_code: Option<String>,
    /// The presentation as received (the response body).
    pub presentation: Option<String>,
    /// The verification outcome, JSON.
    pub outcome: Option<String>,
    /// When the wallet answered.
    pub responded_at: Option<i64>,
    /// When the employer confirmed the likeness.
    pub completed_at: Option<i64>,
    /// The retained record.
    pub record_id: Option<String>,
    /// The candidate's planned start date (`YYYY-MM-DD`), if the employer gave it.
    pub planned_start: Option<String>,
    /// SHA-256 (hex) of the session token of the employer's browser that started the check
    /// (`None`: started through the API); a same-device `response_code` is only accepted there.
    pub browser_hash: Option<String>,
    /// The organisation whose check this is.
    pub org_id: String,
    /// The member who started it (`None`: the organisation's HR system, through the API).
    pub member_id: Option<String>,
}

/// A retained record.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    /// Id.
    pub id: String,
    /// Its transaction.
    pub transaction_id: String,
    /// Created, seconds.
    pub created_at: i64,
    /// Employment end date, if known.
    pub employment_end: Option<String>,
    /// Deleted at or after this.
    pub delete_after: Option<i64>,
    /// The signed record (compact JWS).
    pub record: String,
    /// The candidate's planned start date (`YYYY-MM-DD`), if the employer gave it.
    pub planned_start: Option<String>,
    /// The organisation whose record this is.
    pub org_id: String,
}

/// One entry of an organisation's access log: who did what to which record, chained to the
/// one before in that organisation's log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessEntry {
    /// The organisation whose log this is.
    #[serde(default)]
    pub org_id: String,
    /// Position in the organisation's log, from 1.
    pub seq: i64,
    /// When, seconds.
    pub at: i64,
    /// The record.
    pub record_id: String,
    /// `created`, `viewed`, `downloaded`, `employment_end_set`, `purged`.
    pub action: String,
    /// What changed (for example the old and new end dates); never personal data.
    pub detail: String,
    /// Who: a member's id, `api` (the HR system), `system` (retention), `operator` (the
    /// command line); empty in entries written before members existed.
    #[serde(default)]
    pub actor: String,
    /// The hash of the entry before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of `prev_hash`, `seq`, `at`, `record_id`, `action`, `detail` and (when
    /// not empty) `actor`.
    pub hash: String,
}

impl AccessEntry {
    /// The hash an entry with these fields must carry.
    pub fn chain_hash(
        prev_hash: &str,
        seq: i64,
        at: i64,
        record_id: &str,
        action: &str,
        detail: &str,
        actor: &str,
    ) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let (seq, at) = (seq.to_string(), at.to_string());
        let mut parts = vec![prev_hash, &seq, &at, record_id, action, detail];
        // Entries written before actors were recorded hash as they always did.
        if !actor.is_empty() {
            parts.push(actor);
        }
        for part in parts {
            // Length-prefixed, so no two field lists hash alike.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Checks a whole log: consecutive from 1, each entry's hash right and chained to the one
    /// before. Returns the first broken position.
    pub fn verify_chain(entries: &[AccessEntry]) -> Result<(), i64> {
        let mut prev = GENESIS.to_string();
        for (i, e) in entries.iter().enumerate() {
            let want = Self::chain_hash(
                &prev,
                e.seq,
                e.at,
                &e.record_id,
                &e.action,
                &e.detail,
                &e.actor,
            );
            if e.seq != i as i64 + 1 || e.prev_hash != prev || e.hash != want {
                return Err(e.seq);
            }
            prev = e.hash.clone();
        }
        Ok(())
    }
}

/// The `prev_hash` of the first access-log entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Appends to organisation `$org`'s access log inside transaction `$tx` (the caller's write
/// and its log entry commit together). Two writers racing for the same `seq` collide on the
/// primary key and the caller's transaction fails whole.
macro_rules! append_access {
    ($tx:expr, $org:expr, $at:expr, $record:expr, $action:expr, $detail:expr, $actor:expr) => {{
        let last: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM access_log WHERE org_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind($org)
        .fetch_optional(&mut *$tx)
        .await?;
        let (seq, prev) = match last {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS.to_string()),
        };
        let hash = AccessEntry::chain_hash(&prev, seq, $at, $record, $action, $detail, $actor);
        sqlx::query("INSERT INTO access_log (org_id, seq, at, record_id, action, detail, actor, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)")
            .bind($org).bind(seq).bind($at).bind($record).bind($action).bind($detail).bind($actor)
            .bind(&prev).bind(&hash)
            .execute(&mut *$tx).await?;
    }};
}

/// The database.
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in a write transaction `$tx`: on SQLite one that takes the write lock at
/// once (`BEGIN IMMEDIATE`), so that concurrent writers queue on the busy timeout instead
/// of failing when one commits between another's read and write.
macro_rules! with_write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match $store {
            Store::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            Store::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $body
            }
        }
    };
}

const TX_COLS: &str = "id, created_at, expires_at, state, nonce, client_id, response_mode, template, dcql, enc_key, response_code, presentation, outcome, responded_at, completed_at, record_id, planned_start, browser_hash, org_id, member_id";

macro_rules! tx_from_row {
    ($r:expr) => {
        Transaction {
            id: $r.get(0),
            created_at: $r.get(1),
            expires_at: $r.get(2),
            state: $r.get(3),
            nonce: $r.get(4),
            client_id: $r.get(5),
            response_mode: $r.get(6),
            template: $r.get(7),
            dcql: $r.get(8),
            enc_key: $r.get(9),
            response_code: $r.get(10),
            presentation: $r.get(11),
            outcome: $r.get(12),
            responded_at: $r.get(13),
            completed_at: $r.get(14),
            record_id: $r.get(15),
            planned_start: $r.get(16),
            browser_hash: $r.get(17),
            org_id: $r.get(18),
            member_id: $r.get(19),
        }
    };
}

const REC_COLS: &str =
    "id, transaction_id, created_at, employment_end, delete_after, record, planned_start, org_id";

macro_rules! rec_from_row {
    ($r:expr) => {
        StoredRecord {
            id: $r.get(0),
            transaction_id: $r.get(1),
            created_at: $r.get(2),
            employment_end: $r.get(3),
            delete_after: $r.get(4),
            record: $r.get(5),
            planned_start: $r.get(6),
            org_id: $r.get(7),
        }
    };
}

mod workspace;
pub use workspace::{Acceptance, Invitation, Member, Organisation, Role, Session};

impl Store {
    /// Connects and migrates (the schema is only ever made by the migrations; a database of
    /// an earlier version, made without them, is adopted by the first). For PostgreSQL,
    /// `schema` (created if missing) isolates one deployment or test from another.
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<Store, StoreError> {
        let backend = db::Backend::of(url).map_err(|_| StoreError::UnsupportedUrl)?;
        match backend {
            db::Backend::Sqlite => {
                let pool = db::sqlite_pool(url, 4).await?;
                migrator().run(&pool).await?;
                Ok(Store::Sqlite(pool))
            }
            db::Backend::Postgres => {
                let mut opts = PgConnectOptions::from_str(url)?;
                if let Some(s) = schema {
                    db::create_schema(url, s).await.map_err(|e| match e {
                        db::DbError::Sqlx(e) => StoreError::Db(e),
                        _ => StoreError::SchemaName,
                    })?;
                    opts = opts.options([("search_path", s)]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await?;
                migrator().run(&pool).await?;
                Ok(Store::Postgres(pool))
            }
        }
    }

    /// Inserts a new transaction.
    pub async fn insert_transaction(&self, t: &Transaction) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO vp_transactions ({TX_COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)");
        with_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(&t.id).bind(t.created_at).bind(t.expires_at).bind(&t.state)
                .bind(&t.nonce).bind(&t.client_id).bind(&t.response_mode).bind(&t.template)
                .bind(&t.dcql).bind(&t.enc_key).bind(&t.response_code).bind(&t.presentation)
                .bind(&t.outcome).bind(t.responded_at).bind(t.completed_at).bind(&t.record_id)
                .bind(&t.planned_start).bind(&t.browser_hash).bind(&t.org_id).bind(&t.member_id)
                .execute(pool).await?;
        });
        Ok(())
    }

    /// A transaction by id.
    pub async fn transaction(&self, id: &str) -> Result<Option<Transaction>, StoreError> {
        let sql = format!("SELECT {TX_COLS} FROM vp_transactions WHERE id = $1");
        Ok(with_pool!(self, pool => {
            sqlx::query(&sql).bind(id).fetch_optional(pool).await?.map(|r| tx_from_row!(r))
        }))
    }

    /// Claims a pending, unexpired transaction for its one response; false if it was
    /// already answered, expired or unknown.
    pub async fn claim(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE vp_transactions SET state = 'processing' WHERE id = $1 AND state = 'pending' AND expires_at > $2";
        let n = with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(now).execute(pool).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Records the response and its outcome.
    pub async fn responded(
        &self,
        id: &str,
        presentation: &str,
        outcome: &str,
        response_code: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE vp_transactions SET state = 'responded', presentation = $2, outcome = $3, response_code = $4, responded_at = $5 WHERE id = $1 AND state = 'processing'";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(presentation).bind(outcome).bind(response_code).bind(now).execute(pool).await?;
        });
        Ok(())
    }

    /// Completes a responded transaction with its record, logged as made by `actor`; false
    /// if it was not awaiting that.
    pub async fn complete(
        &self,
        id: &str,
        record: &StoredRecord,
        actor: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = with_write_tx!(self, tx => {
            let n = sqlx::query("UPDATE vp_transactions SET state = 'completed', completed_at = $2, record_id = $3 WHERE id = $1 AND state = 'responded'")
                .bind(id).bind(now).bind(&record.id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO rtw_records (id, transaction_id, created_at, employment_end, delete_after, record, planned_start, org_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)")
                    .bind(&record.id).bind(&record.transaction_id).bind(record.created_at)
                    .bind(&record.employment_end).bind(record.delete_after).bind(&record.record)
                    .bind(&record.planned_start).bind(&record.org_id)
                    .execute(&mut *tx).await?;
                append_access!(tx, record.org_id.as_str(), now, record.id.as_str(), "created", "", actor);
            }
            tx.commit().await?;
            n
        });
        Ok(n == 1)
    }

    /// A record by id (whichever organisation it belongs to: the caller checks).
    pub async fn record(&self, id: &str) -> Result<Option<StoredRecord>, StoreError> {
        let sql = format!("SELECT {REC_COLS} FROM rtw_records WHERE id = $1");
        Ok(with_pool!(self, pool => {
            sqlx::query(&sql).bind(id).fetch_optional(pool).await?.map(|r| rec_from_row!(r))
        }))
    }

    /// Organisation `org`'s records, newest first.
    pub async fn records_of(&self, org: &str) -> Result<Vec<StoredRecord>, StoreError> {
        let sql = format!(
            "SELECT {REC_COLS} FROM rtw_records WHERE org_id = $1 ORDER BY created_at DESC, id"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query(&sql).bind(org).fetch_all(pool).await?.into_iter().map(|r| rec_from_row!(r)).collect()
        }))
    }

    /// The ids of organisation `org`'s records, oldest check first.
    pub async fn record_ids(&self, org: &str) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT id FROM rtw_records WHERE org_id = $1 ORDER BY created_at, id";
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(sql).bind(org).fetch_all(pool).await?
        }))
    }

    /// Sets the employment end date and so the deletion date of a record, logging the
    /// change (old and new dates, and `actor`) in the same transaction; false if there is
    /// no such record.
    pub async fn set_employment_end(
        &self,
        id: &str,
        end: &str,
        delete_after: i64,
        actor: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = with_write_tx!(self, tx => {
            let old: Option<(Option<String>, String)> =
                sqlx::query_as("SELECT employment_end, org_id FROM rtw_records WHERE id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?;
            let Some((old, org)) = old else {
                return Ok(false);
            };
            sqlx::query("UPDATE rtw_records SET employment_end = $2, delete_after = $3 WHERE id = $1")
                .bind(id).bind(end).bind(delete_after).execute(&mut *tx).await?;
            let detail = format!("{} -> {end}", old.as_deref().unwrap_or("none"));
            append_access!(tx, org.as_str(), now, id, "employment_end_set", detail.as_str(), actor);
            tx.commit().await?;
            1
        });
        Ok(n == 1)
    }

    /// Logs a view, download or export of record `id` of organisation `org` by `actor`.
    pub async fn log_access(
        &self,
        org: &str,
        id: &str,
        action: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        // Two views at once may race for the same position in the chain: the loser's
        // transaction fails whole (the primary key, or SQLite's busy writer) and is tried
        // again on the new last entry.
        let mut attempt = 0;
        loop {
            let done: Result<(), StoreError> = async {
                with_write_tx!(self, tx => {
                    append_access!(tx, org, now, id, action, "", actor);
                    tx.commit().await?;
                });
                Ok(())
            }
            .await;
            match done {
                Err(StoreError::Db(_)) if attempt < 4 => attempt += 1,
                other => return other,
            }
        }
    }

    /// Organisation `org`'s whole access log, in order.
    pub async fn access_log(&self, org: &str) -> Result<Vec<AccessEntry>, StoreError> {
        let sql = "SELECT org_id, seq, at, record_id, action, detail, actor, prev_hash, hash FROM access_log WHERE org_id = $1 ORDER BY seq";
        Ok(with_pool!(self, pool => {
            sqlx::query(sql).bind(org).fetch_all(pool).await?.into_iter().map(|r| AccessEntry {
                org_id: r.get(0),
                seq: r.get(1),
                at: r.get(2),
                record_id: r.get(3),
                action: r.get(4),
                detail: r.get(5),
                actor: r.get(6),
                prev_hash: r.get(7),
                hash: r.get(8),
            }).collect()
        }))
    }

    /// How many of organisation `org`'s transactions are pending and unexpired.
    pub async fn pending_transactions_of(&self, org: &str, now: i64) -> Result<i64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM vp_transactions WHERE org_id = $1 AND state = 'pending' AND expires_at > $2")
                .bind(org).bind(now).fetch_one(pool).await?
        }))
    }

    /// How many transactions are pending and unexpired.
    pub async fn pending_transactions(&self, now: i64) -> Result<i64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM vp_transactions WHERE state = 'pending' AND expires_at > $1")
                .bind(now).fetch_one(pool).await?
        }))
    }

    /// Deletes records past their retention (each deletion logged in the access log, in the
    /// same transaction), and transactions (with the personal data of their responses) older
    /// than `tx_max_age` seconds. Returns (records, transactions).
    pub async fn purge(&self, now: i64, tx_max_age: i64) -> Result<(u64, u64), StoreError> {
        Ok(with_write_tx!(self, tx => {
            let due: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, org_id FROM rtw_records WHERE delete_after IS NOT NULL AND delete_after <= $1 ORDER BY id",
            )
            .bind(now).fetch_all(&mut *tx).await?;
            for (id, org) in &due {
                sqlx::query("DELETE FROM rtw_records WHERE id = $1").bind(id).execute(&mut *tx).await?;
                append_access!(tx, org.as_str(), now, id.as_str(), "purged", "retention period over", "system");
            }
            let t = sqlx::query("DELETE FROM vp_transactions WHERE created_at <= $1 AND (record_id IS NULL OR record_id NOT IN (SELECT id FROM rtw_records))")
                .bind(now - tx_max_age).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            (due.len() as u64, t)
        }))
    }
}
