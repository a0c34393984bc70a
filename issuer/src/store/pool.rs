//! Opening the store: which database a URL names, the connection pools and their pragmas
//! (SQLite: one writer connection, read-only connections beside it and a WAL checkpointer;
//! PostgreSQL: one pool, optionally inside a schema of its own), then the migrations, the
//! shared `c_nonce` key and, on SQLite, the writer task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use vouch_ops::db;

use super::migrations::migrator;
use super::writer::Job;
use super::{DbKind, Store, StoreError};

/// Read-only SQLite connections beside the writer.
const SQLITE_READERS: u32 = 4;
/// How often the SQLite WAL is checkpointed (off the writer's path).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// How long a caller waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections in a PostgreSQL pool.
const POSTGRES_CONNECTIONS: u32 = 16;

impl Store {
    /// Connects to `sqlite://FILE` (created if missing) or `postgres://...` and migrates.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_schema(url, None).await
    }

    /// Like [`Store::connect`], inside PostgreSQL schema `schema` (created if missing);
    /// tests use a fresh schema each.
    pub async fn connect_with_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let kind = match db::Backend::of(url).map_err(|_| StoreError::UnsupportedUrl)? {
            db::Backend::Sqlite => DbKind::Sqlite,
            db::Backend::Postgres => DbKind::Postgres,
        };
        let url = db::create_if_missing(url);
        let opts: AnyConnectOptions = url.parse()?;
        let read_opts = opts.clone();
        let pool = match kind {
            DbKind::Sqlite => sqlite_writer(opts).await?,
            DbKind::Postgres => {
                if let Some(s) = schema {
                    db::create_schema(&url, s).await.map_err(|e| match e {
                        db::DbError::Sqlx(e) => StoreError::from(e),
                        _ => StoreError::UnsupportedUrl,
                    })?;
                }
                postgres_pool(opts, schema).await?
            }
        };
        migrator().run(&pool).await?;
        let file_db = kind == DbKind::Sqlite && !url.contains(":memory:");
        let read = if file_db {
            sqlite_readers(read_opts).await?
        } else {
            pool.clone()
        };
        let nonce_key = Arc::new(Self::load_nonce_key(&pool).await?);
        let open_list = Arc::new(Mutex::new(None));
        let writer = (kind == DbKind::Sqlite).then(|| {
            let (send, receive) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(Self::write_group(pool.clone(), open_list.clone(), receive));
            send
        });
        if let (true, Some(writer)) = (file_db, &writer) {
            // Checkpoints leave the writer's path: it no longer copies the WAL into the
            // database (and syncs it) inside a COMMIT; a connection of its own does, every
            // CHECKPOINT_EVERY, without blocking the writer (PASSIVE), until the store goes.
            sqlx::query("PRAGMA wal_autocheckpoint=0")
                .execute(&pool)
                .await?;
            let checkpointer = sqlite_checkpointer(url.parse::<AnyConnectOptions>()?).await?;
            tokio::spawn(checkpoint_wal(checkpointer, writer.downgrade()));
        }
        Ok(Store {
            pool,
            read,
            kind,
            nonce_key,
            open_list,
            writer,
        })
    }
}

/// The SQLite writer: one connection, since SQLite has one writer and a single connection
/// never meets SQLITE_BUSY on a read-then-write transaction.
async fn sqlite_writer(opts: AnyConnectOptions) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode=WAL").await?;
                conn.execute("PRAGMA busy_timeout=10000").await?;
                conn.execute("PRAGMA synchronous=NORMAL").await?;
                // Savepoint journals in memory, not in a temporary file made and deleted per
                // transaction; a page cache that holds the hot indices (64 MiB).
                conn.execute("PRAGMA temp_store=MEMORY").await?;
                conn.execute("PRAGMA cache_size=-65536").await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await
}

/// The read-only SQLite connections beside the writer (WAL lets them read while it writes).
async fn sqlite_readers(opts: AnyConnectOptions) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(SQLITE_READERS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout=10000").await?;
                conn.execute("PRAGMA query_only=ON").await?;
                conn.execute("PRAGMA cache_size=-16384").await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await
}

/// The SQLite connection that checkpoints the WAL (see [`checkpoint_wal`]).
async fn sqlite_checkpointer(opts: AnyConnectOptions) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout=10000").await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await
}

/// The PostgreSQL pool, every connection inside `schema` when one is given (made before by
/// [`db::create_schema`]).
async fn postgres_pool(
    opts: AnyConnectOptions,
    schema: Option<&str>,
) -> Result<AnyPool, sqlx::Error> {
    let schema = schema.map(str::to_string);
    AnyPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                if let Some(s) = schema {
                    conn.execute(format!("SET search_path TO \"{s}\"").as_str())
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await
}

/// Runs a PASSIVE WAL checkpoint every [`CHECKPOINT_EVERY`] while the store's writer lives
/// (a failed one is logged and tried again at the next tick).
async fn checkpoint_wal(conn: AnyPool, writer: tokio::sync::mpsc::WeakUnboundedSender<Job>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if writer.upgrade().is_none() {
            break;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&conn)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
    conn.close().await;
}
