//! Durable storage of the log through sqlx: SQLite by default, PostgreSQL for several
//! processes. The same SQL runs on both (`$n` placeholders); only the lock differs.
//!
//! An append is one transaction that locks the log head (`BEGIN IMMEDIATE` on SQLite,
//! `SELECT ... FOR UPDATE` on PostgreSQL), catches up with rows other processes appended,
//! checks the event against the register, writes the leaf, the new head and the signed
//! checkpoint, and commits. Two processes therefore never write two leaves at one index:
//! the log cannot fork.

use std::sync::Arc;

use credentials::keys::Signer;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use time::OffsetDateTime;
use vouch_ops::db;

use trust_framework::events::Event;
use trust_framework::log::{Log, LogError};
use trust_framework::note::NoteKey;

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL (use sqlite://FILE or postgres://...)")]
    UnsupportedUrl,
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The event or a stored row does not fit the log.
    #[error(transparent)]
    Log(#[from] LogError),
    /// No key held here signs checkpoints for the log's current key.
    #[error("this process does not hold the log key in force ({0})")]
    LogKeyUnavailable(String),
    /// No signed checkpoint is stored for a tree size.
    #[error("no signed checkpoint is stored for tree size {0}")]
    MissingCheckpoint(u64),
    /// Signing a snapshot failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The stored log is shorter than the one in memory: the database was replaced.
    #[error(
        "the stored log has {stored} entries but {held} were seen: the database was rolled back"
    )]
    RolledBack {
        /// Stored size.
        stored: u64,
        /// Size held in memory.
        held: u64,
    },
}

/// A stored log row.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    /// The index.
    pub index: u64,
    /// The leaf text as stored.
    pub leaf: String,
    /// The leaf hash as stored (hex).
    pub leaf_hash: String,
}

/// What an append returns: where the event went and the checkpoint that commits to it.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The log index.
    pub index: u64,
    /// The leaf hash (hex).
    pub leaf_hash: String,
    /// The signed checkpoint of the log just after the append.
    pub checkpoint: String,
}

/// A stored snapshot.
#[derive(Clone, Debug)]
pub struct StoredSnapshot {
    /// Its sequence number.
    pub sequence: u64,
    /// The tree size it was folded from.
    pub tree_size: u64,
    /// The JWS.
    pub jws: String,
}

/// The database behind a registry.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

fn migrator(sql: &'static str) -> Migrator {
    db::migrator(vec![db::migration(1, "log", sql)])
}

/// Hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

/// The locked append transaction, written once for both backends.
macro_rules! locked_tx {
    ($tx:ident, $lock_sql:expr, $log:ident, $body:block) => {{
        let stored: i64 = sqlx::query($lock_sql).fetch_one(&mut *$tx).await?.get(0);
        let stored = stored as u64;
        if stored < $log.len() {
            return Err(StoreError::RolledBack {
                stored,
                held: $log.len(),
            });
        }
        let rows = sqlx::query(
            "SELECT leaf FROM tf_log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind($log.len() as i64)
        .bind(stored as i64)
        .fetch_all(&mut *$tx)
        .await?;
        for row in rows {
            let leaf: String = row.get(0);
            $log.load_leaf(leaf.into_bytes())?;
        }
        $body
    }};
}

/// Runs `$body` in a transaction that holds the log lock (SQLite `BEGIN IMMEDIATE`, the log
/// head row `FOR UPDATE` on PostgreSQL), after catching `$log` up with what is stored.
macro_rules! under_log_lock {
    ($store:expr, $log:ident, $tx:ident => $body:expr) => {
        match $store {
            Store::Sqlite(p) => {
                let mut $tx = p.begin_with("BEGIN IMMEDIATE").await?;
                locked_tx!($tx, "SELECT size FROM tf_log_head WHERE id = 1", $log, {
                    $body
                })
            }
            Store::Postgres(p) => {
                let mut $tx = p.begin().await?;
                locked_tx!(
                    $tx,
                    "SELECT size FROM tf_log_head WHERE id = 1 FOR UPDATE",
                    $log,
                    { $body }
                )
            }
        }
    };
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        match db::Backend::of(url).map_err(|_| StoreError::UnsupportedUrl)? {
            db::Backend::Sqlite => {
                let pool = db::sqlite_pool(url, 4).await?;
                migrator(include_str!("../migrations/sqlite/0001_log.sql"))
                    .run(&pool)
                    .await?;
                Ok(Store::Sqlite(pool))
            }
            db::Backend::Postgres => {
                let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
                migrator(include_str!("../migrations/postgres/0001_log.sql"))
                    .run(&pool)
                    .await?;
                Ok(Store::Postgres(pool))
            }
        }
    }

    /// Opens the database at `url` without migrating it (administration, tests).
    pub async fn connect_unmigrated(url: &str) -> Result<Store, StoreError> {
        match db::Backend::of(url).map_err(|_| StoreError::UnsupportedUrl)? {
            db::Backend::Sqlite => Ok(Store::Sqlite(SqlitePool::connect(url).await?)),
            db::Backend::Postgres => Ok(Store::Postgres(PgPool::connect(url).await?)),
        }
    }

    /// The number of stored entries.
    pub async fn size(&self) -> Result<u64, StoreError> {
        let n: i64 = with_pool!(self, p => sqlx::query("SELECT size FROM tf_log_head WHERE id = 1").fetch_one(p).await?.get(0));
        Ok(n as u64)
    }

    /// Stored rows from index `from` on, as stored.
    pub async fn entries_from(&self, from: u64) -> Result<Vec<StoredEntry>, StoreError> {
        let sql = "SELECT idx, leaf, leaf_hash FROM tf_log_entries WHERE idx >= $1 ORDER BY idx";
        let rows = with_pool!(self, p => sqlx::query(sql).bind(from as i64).fetch_all(p).await?
            .into_iter()
            .map(|r| StoredEntry { index: r.get::<i64, _>(0) as u64, leaf: r.get(1), leaf_hash: r.get(2) })
            .collect::<Vec<_>>());
        Ok(rows)
    }

    /// Every signed checkpoint, by tree size.
    pub async fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let sql = "SELECT size, note FROM tf_checkpoints ORDER BY size";
        Ok(with_pool!(self, p => sqlx::query(sql).fetch_all(p).await?
            .into_iter()
            .map(|r| (r.get::<i64, _>(0) as u64, r.get::<String, _>(1)))
            .collect::<Vec<_>>()))
    }

    /// The signed checkpoint of tree size `size`, if one was stored.
    pub async fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError> {
        let sql = "SELECT note FROM tf_checkpoints WHERE size = $1";
        Ok(
            with_pool!(self, p => sqlx::query(sql).bind(size as i64).fetch_optional(p).await?.map(|r| r.get::<String, _>(0))),
        )
    }

    /// Brings `log` up to date with the stored rows.
    pub async fn sync(&self, log: &mut Log) -> Result<(), StoreError> {
        let stored = self.size().await?;
        if stored < log.len() {
            return Err(StoreError::RolledBack {
                stored,
                held: log.len(),
            });
        }
        if stored == log.len() {
            return Ok(());
        }
        for row in self.entries_from(log.len()).await? {
            if row.index >= stored {
                break;
            }
            log.load_leaf(row.leaf.into_bytes())?;
        }
        Ok(())
    }

    /// Loads the whole stored log.
    pub async fn load(&self) -> Result<Log, StoreError> {
        let mut log = Log::new();
        self.sync(&mut log).await?;
        Ok(log)
    }

    /// Appends `event` in one locked transaction (see the module docs), signing the new
    /// checkpoint with whichever of `log_keys` is in force. If anything fails after the
    /// event was applied in memory (storage, signing, no key), the transaction rolls back and
    /// `log` is reloaded from the database, so memory never runs ahead of storage.
    pub async fn append(
        &self,
        log: &mut Log,
        event: Event,
        log_keys: &[Arc<dyn Signer>],
    ) -> Result<Receipt, StoreError> {
        let result = self.append_inner(log, event, log_keys).await;
        let refused_before_applying = matches!(
            result,
            Ok(_) | Err(StoreError::Log(LogError::Register { .. }))
        );
        if !refused_before_applying {
            *log = self.load().await.unwrap_or_default();
        }
        result
    }

    async fn append_inner(
        &self,
        log: &mut Log,
        event: Event,
        log_keys: &[Arc<dyn Signer>],
    ) -> Result<Receipt, StoreError> {
        macro_rules! body {
            ($tx:ident) => {{
                let index = log.append(event)?;
                let leaf = String::from_utf8(log.leaf(index).expect("just appended").to_vec()).expect("canonical JSON is UTF-8");
                let leaf_hash = hex(&log.tree().leaf(index).expect("just appended"));
                let signer = signer_in_force(log, log_keys)?;
                let checkpoint = log.sign_checkpoint(signer.as_ref())?;
                sqlx::query("INSERT INTO tf_log_entries (idx, leaf, leaf_hash, recorded_at) VALUES ($1, $2, $3, $4)")
                    .bind(index as i64)
                    .bind(&leaf)
                    .bind(&leaf_hash)
                    .bind(now_text())
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query("UPDATE tf_log_head SET size = $1 WHERE id = 1").bind((index + 1) as i64).execute(&mut *$tx).await?;
                sqlx::query("INSERT INTO tf_checkpoints (size, note, signed_at) VALUES ($1, $2, $3)")
                    .bind((index + 1) as i64)
                    .bind(&checkpoint)
                    .bind(now_text())
                    .execute(&mut *$tx)
                    .await?;
                $tx.commit().await?;
                Ok(Receipt { index, leaf_hash, checkpoint })
            }};
        }
        under_log_lock!(self, log, tx => body!(tx))
    }

    /// The latest stored snapshot.
    pub async fn latest_snapshot(&self) -> Result<Option<StoredSnapshot>, StoreError> {
        let sql =
            "SELECT sequence, tree_size, jws FROM tf_snapshots ORDER BY sequence DESC LIMIT 1";
        Ok(
            with_pool!(self, p => sqlx::query(sql).fetch_optional(p).await?.map(|r| StoredSnapshot {
                sequence: r.get::<i64, _>(0) as u64,
                tree_size: r.get::<i64, _>(1) as u64,
                jws: r.get(2),
            })),
        )
    }

    /// Stores a snapshot under the next sequence number, computed and inserted under the log
    /// lock so two processes never publish the same sequence; `make` gets the log, the
    /// previous snapshot, the next sequence and the signed checkpoint of the log's size, and
    /// returns the JWS.
    pub async fn publish_snapshot<F>(
        &self,
        log: &mut Log,
        make: F,
    ) -> Result<StoredSnapshot, StoreError>
    where
        F: FnOnce(&Log, Option<&StoredSnapshot>, u64, String) -> Result<String, StoreError>,
    {
        macro_rules! body {
            ($tx:ident) => {{
                let prev = sqlx::query("SELECT sequence, tree_size, jws FROM tf_snapshots ORDER BY sequence DESC LIMIT 1")
                    .fetch_optional(&mut *$tx)
                    .await?
                    .map(|r| StoredSnapshot {
                        sequence: r.get::<i64, _>(0) as u64,
                        tree_size: r.get::<i64, _>(1) as u64,
                        jws: r.get(2),
                    });
                let sequence = prev.as_ref().map_or(1, |s| s.sequence + 1);
                let tree_size = log.len();
                let checkpoint: String = sqlx::query("SELECT note FROM tf_checkpoints WHERE size = $1")
                    .bind(tree_size as i64)
                    .fetch_optional(&mut *$tx)
                    .await?
                    .map(|r| r.get(0))
                    .ok_or(StoreError::MissingCheckpoint(tree_size))?;
                let jws = make(log, prev.as_ref(), sequence, checkpoint)?;
                sqlx::query("INSERT INTO tf_snapshots (sequence, tree_size, jws, issued_at) VALUES ($1, $2, $3, $4)")
                    .bind(sequence as i64)
                    .bind(tree_size as i64)
                    .bind(&jws)
                    .bind(now_text())
                    .execute(&mut *$tx)
                    .await?;
                $tx.commit().await?;
                Ok(StoredSnapshot { sequence, tree_size, jws })
            }};
        }
        under_log_lock!(self, log, tx => body!(tx))
    }

    /// Runs raw SQL (tests use it to tamper with stored rows).
    pub async fn execute(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(with_pool!(self, p => sqlx::query(sql).execute(p).await?.rows_affected()))
    }
}

/// The signer among `keys` whose public key is the log key in force after `log`'s entries.
pub fn signer_in_force<'a>(
    log: &Log,
    keys: &'a [Arc<dyn Signer>],
) -> Result<&'a Arc<dyn Signer>, StoreError> {
    let reg = log.register();
    let wanted = reg
        .log_key_for_size(log.len())
        .ok_or_else(|| StoreError::LogKeyUnavailable("the log has no genesis".into()))?;
    keys.iter()
        .find(|k| {
            NoteKey::new(&reg.origin, k.public_key()).is_ok_and(|n| n.to_vkey() == wanted.vkey)
        })
        .ok_or_else(|| StoreError::LogKeyUnavailable(wanted.vkey.clone()))
}
