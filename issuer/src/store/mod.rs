//! The issuer's storage through sqlx: SQLite by default, PostgreSQL when one machine is not
//! enough. The same portable SQL runs on both (through sqlx's `Any` driver), except on the
//! hot path of a credential response, which has one round trip per database: a
//! multi-statement script on SQLite, data-modifying CTEs on PostgreSQL (the portable
//! statements remain the fallback).
//!
//! Every decision that must hold across processes is one statement or one transaction whose
//! outcome the database decides: a `c_nonce` is consumed by inserting its digest under the
//! primary key of `used_nonces` (one row inserted or none), a pre-authorized code is redeemed
//! by `UPDATE ... WHERE state = 'pending'`, a status index is taken by `INSERT ... ON
//! CONFLICT DO NOTHING` on the `(list_id, idx)` primary key. Two processes over one
//! PostgreSQL therefore never accept one nonce twice nor hand out one index twice.
//!
//! SQLite has one writer connection (it serializes writes anyway, and a single connection
//! never meets SQLITE_BUSY on a read-then-write transaction) and a pool of read-only
//! connections beside it (WAL lets readers run while the writer writes), so reads never queue
//! behind issuance transactions.
//!
//! This module holds the [`Store`] type, its errors and the helpers every part shares; the
//! rest lives in one submodule per concern, each adding its own `impl Store` block:
//!
//! - `pool`: opening the store: the URL, the pools and their pragmas, the WAL checkpointer.
//! - `migrations`: the embedded schema migrations, run on every open.
//! - `settings`: the `settings` table: the shared `c_nonce` key.
//! - `subjects`: subjects and their verified attributes (the admin API's records).
//! - `offers`: credential offers and the redemption of a pre-authorized code.
//! - `oauth`: the authorization code flow: OAuth clients, pushed requests, sign-in codes and
//!   authorization codes.
//! - `tokens`: access tokens and DPoP proof `jti`s.
//! - `issuance`: recording a credential response (nonce, `jti`, indices, credentials,
//!   notification), the portable path and PostgreSQL's one-statement path.
//! - `writer`: the SQLite writer task that group-commits issuances.
//! - `status`: status lists and the allocation of random status indices.
//! - `issued`: issued credentials as recorded, and notification events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{AnyPool, Row};

use crate::proofs::nonce::NonceKey;

mod issuance;
mod issued;
mod migrations;
mod oauth;
mod offers;
mod pool;
mod settings;
mod status;
mod subjects;
mod tokens;
mod writer;

pub use issuance::{NewCredential, Recorded};
pub use issued::CredentialRecord;
pub use oauth::{AuthCode, OAuthClient, ParRequest, MAX_PENDING_PARS, MAX_SIGN_IN_FAILURES};
pub use offers::{OfferRow, OfferState, Redemption};
pub use status::ListPolicy;
pub use subjects::Subject;
pub use tokens::TokenGrant;

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
    /// A stored value does not parse.
    #[error("corrupt row: {0}")]
    Corrupt(&'static str),
    /// The SQLite writer task failed a group of issuances (nothing of it was committed).
    #[error("database writer: {0}")]
    Writer(String),
}

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    /// Embedded SQLite (one writer: the pool holds one connection).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The issuer's database.
#[derive(Clone, Debug)]
pub struct Store {
    /// Writes and transactions (SQLite: the one writer connection).
    pool: AnyPool,
    /// Single-statement reads (SQLite: read-only connections; PostgreSQL: `pool` itself).
    read: AnyPool,
    kind: DbKind,
    nonce_key: Arc<NonceKey>,
    /// The open status list `(list_id, size)` last seen by a committed transaction. A hint
    /// only: the `(list_id, idx)` primary key decides, and a list found full is dropped.
    open_list: Arc<Mutex<Option<(i64, i64)>>>,
    /// SQLite: the writer task that group-commits issuances.
    writer: Option<tokio::sync::mpsc::UnboundedSender<writer::Job>>,
}

/// A list of strings as the JSON text a column holds (`configuration_ids`, `redirect_uris`).
fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).expect("strings serialize")
}

/// The list of strings a JSON text column holds.
fn parse_list(s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt("configuration_ids"))
}

/// PostgreSQL's deadlock_detected (40P01) and serialization_failure (40001), and SQLite's
/// busy: the transaction was rolled back and may simply be run again.
fn is_retryable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => matches!(
            d.code().as_deref(),
            Some("40P01") | Some("40001") | Some("5") | Some("517")
        ),
        _ => false,
    }
}

/// How many times a transaction found [`is_retryable`] is run again.
const MAX_RETRIES: u32 = 8;

/// The pause before a retryable transaction is run again: 2 to 21 ms, at random, so that
/// the transactions that collided do not collide again.
async fn retry_pause() {
    let jitter = u64::from(credentials::keys::provider::random_bytes::<1>()[0]);
    tokio::time::sleep(Duration::from_millis(2 + jitter % 20)).await;
}

/// A uniformly random `u64` (status index draws).
fn random_u64() -> u64 {
    u64::from_be_bytes(credentials::keys::provider::random_bytes::<8>())
}

impl Store {
    /// The key that mints and checks `c_nonce` values.
    pub fn nonce_key(&self) -> &NonceKey {
        &self.nonce_key
    }

    /// Which database this is.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// Closes the pools.
    pub async fn close(&self) {
        self.read.close().await;
        self.pool.close().await;
    }

    /// Counts rows of a table (tests: "nothing was written").
    pub async fn count(&self, table: &str) -> Result<i64, StoreError> {
        const TABLES: &[&str] = &[
            "subjects",
            "offers",
            "access_tokens",
            "used_nonces",
            "dpop_jtis",
            "status_entries",
            "credentials",
            "notifications",
            "auth_codes",
            "par_requests",
        ];
        if !TABLES.contains(&table) {
            return Err(StoreError::Corrupt("unknown table"));
        }
        Ok(sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&self.read)
            .await?
            .try_get(0)?)
    }

    /// Deletes expired nonces, DPoP `jti`s, PAR requests and codes.
    pub async fn purge_expired(&self, now: i64) -> Result<(), StoreError> {
        for table in [
            "used_nonces",
            "dpop_jtis",
            "par_requests",
            "auth_codes",
            "sign_in_codes",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
                .bind(now)
                .execute(&self.pool)
                .await?;
        }
        // SQLite: the write-ahead log of a flood is given back to the disk, not kept.
        if self.kind == DbKind::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}
