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

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row, Transaction};

use crate::proofs::nonce::{NonceKey, RedeemableNonce};

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
    writer: Option<tokio::sync::mpsc::UnboundedSender<Job>>,
}

/// Read-only SQLite connections beside the writer.
const SQLITE_READERS: u32 = 4;
/// How often the SQLite WAL is checkpointed (off the writer's path).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// The settings row holding the `c_nonce` MAC key (hex).
const NONCE_KEY_SETTING: &str = "c_nonce_key";

fn migrator() -> Migrator {
    Migrator {
        migrations: Cow::Owned(vec![
            Migration::new(
                1,
                Cow::Borrowed("init"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../migrations/0001_init.sql")),
                false,
            ),
            Migration::new(
                2,
                Cow::Borrowed("stateless nonces"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../migrations/0002_stateless_nonces.sql")),
                false,
            ),
            Migration::new(
                3,
                Cow::Borrowed("oauth clients"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../migrations/0003_oauth_clients.sql")),
                false,
            ),
        ]),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// A subject: the verified attributes the identity-proofing process attached.
#[derive(Clone, Debug)]
pub struct Subject {
    /// The issuer's id for the person (pseudonymous; never a claim value).
    pub subject_id: String,
    /// Verified attributes (a JSON object).
    pub attributes: Value,
    /// The GPG 45 profile reached (for example `M1B`).
    pub gpg45_profile: Option<String>,
    /// When the attributes were last verified.
    pub verified_at: i64,
}

/// A stored credential offer.
#[derive(Clone, Debug)]
pub struct OfferRow {
    /// Its id (the path of `credential_offer_uri`).
    pub offer_id: String,
    /// Whose offer.
    pub subject_id: String,
    /// What is offered.
    pub configuration_ids: Vec<String>,
    /// Whether a transaction code is required, and its length.
    pub tx_code_length: Option<i64>,
    /// `pending`, `redeemed`, `locked`.
    pub state: String,
    /// Expiry.
    pub expires_at: i64,
    /// Whether the offer carries a pre-authorized code.
    pub pre_authorized: bool,
    /// The authorization code flow's `issuer_state`, if that grant is offered.
    pub issuer_state: Option<String>,
}

/// What an access token allows.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    /// Whose data.
    pub subject_id: String,
    /// Which configurations.
    pub configuration_ids: Vec<String>,
    /// Whether `authorization_details` were used (then `credential_identifier` is required).
    pub authorization_details: bool,
    /// The client, when it identified itself.
    pub client_id: Option<String>,
    /// The DPoP key thumbprint the token is bound to.
    pub dpop_jkt: Option<String>,
    /// Expiry.
    pub expires_at: i64,
}

/// A PAR request waiting for the citizen to sign in.
#[derive(Clone, Debug)]
pub struct ParRequest {
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// PKCE S256 `code_challenge`.
    pub code_challenge: String,
    /// Requested configurations.
    pub configuration_ids: Vec<String>,
    /// Whether they were requested through `authorization_details`.
    pub authorization_details: bool,
    /// `state`.
    pub state: Option<String>,
    /// `issuer_state`.
    pub issuer_state: Option<String>,
    /// `dpop_jkt` from the PAR request's DPoP proof.
    pub dpop_jkt: Option<String>,
    /// Expiry.
    pub expires_at: i64,
}

/// A registered OAuth client (a wallet) and the redirect URIs it may use, exactly.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OAuthClient {
    /// `client_id`.
    pub client_id: String,
    /// What the sign-in page calls it.
    pub name: String,
    /// The redirect URIs, compared exactly.
    pub redirect_uris: Vec<String>,
}

/// How many unexpired pushed authorization requests may wait at once by default
/// ([`crate::config::IssuerConfig::max_pending_pars`]): past it, new ones are refused until some
/// expire (an unauthenticated flood cannot fill the disk).
pub const MAX_PENDING_PARS: i64 = 20_000;

/// Wrong sign-in codes a pushed authorization request survives; the next consumes it.
pub const MAX_SIGN_IN_FAILURES: i64 = 5;

/// An authorization code's binding.
#[derive(Clone, Debug)]
pub struct AuthCode {
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// Who signed in.
    pub subject_id: String,
    /// Configurations.
    pub configuration_ids: Vec<String>,
    /// Whether `authorization_details` were used.
    pub authorization_details: bool,
    /// DPoP binding of the authorization (RFC 9449 section 10).
    pub dpop_jkt: Option<String>,
}

/// Outcome of a pre-authorized code redemption.
#[derive(Debug, PartialEq, Eq)]
pub enum Redemption {
    /// Redeemed; the token row is written.
    Redeemed {
        /// Whose data.
        subject_id: String,
        /// What was offered.
        configuration_ids: Vec<String>,
    },
    /// Unknown, expired, already redeemed or locked.
    InvalidCode,
    /// A transaction code was expected but none sent, or one was sent but none expected.
    TxCodeMissingOrUnexpected,
    /// The DPoP proof's `jti` was used before.
    DpopReplay,
    /// `authorization_details` asked for a configuration the offer does not hold.
    NotOffered,
    /// The transaction code was wrong (attempts left after this one).
    WrongTxCode {
        /// How many attempts remain.
        remaining: i64,
    },
}

/// One credential to record with its status index.
#[derive(Clone, Debug)]
pub struct NewCredential {
    /// Its id.
    pub credential_id: String,
    /// The configuration.
    pub configuration_id: String,
    /// The holder key thumbprint.
    pub holder_jkt: String,
    /// The signing key id.
    pub kid: String,
    /// Expiry.
    pub expires_at: i64,
}

/// A recorded credential with its status.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CredentialRecord {
    /// Its id.
    pub credential_id: String,
    /// The subject.
    pub subject_id: String,
    /// The configuration.
    pub configuration_id: String,
    /// Status list id.
    pub list_id: i64,
    /// Index.
    pub idx: i64,
    /// Current status value (0 valid, 1 invalid, 2 suspended).
    pub status: i64,
    /// Signing key id.
    pub kid: String,
    /// Issued at.
    pub issued_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// Outcome of recording issued credentials.
#[derive(Debug)]
pub enum Recorded {
    /// Recorded; `(list_id, idx)` per credential in order.
    Ok(Vec<(i64, i64)>),
    /// The nonce was already used (by this or another process).
    InvalidNonce,
    /// The DPoP proof's `jti` was seen before.
    DpopReplay,
}

/// Settings for status index allocation.
#[derive(Clone, Copy, Debug)]
pub struct ListPolicy {
    /// Entries per list (herd size).
    pub size: i64,
    /// Bits per entry.
    pub bits: i64,
    /// Random probes before a list counts as full and the next one is opened.
    pub probes: usize,
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).expect("strings serialize")
}

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

fn random_u64() -> u64 {
    u64::from_be_bytes(credentials::keys::provider::random_bytes::<8>())
}

impl Store {
    /// Connects to `sqlite://FILE` (created if missing) or `postgres://...` and migrates.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_schema(url, None).await
    }

    /// Like [`Store::connect`], inside PostgreSQL schema `schema` (created if missing);
    /// tests use a fresh schema each.
    pub async fn connect_with_schema(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            DbKind::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = if kind == DbKind::Sqlite && !url.contains('?') && !url.contains(":memory:") {
            format!("{url}?mode=rwc")
        } else {
            url.to_string()
        };
        let opts: AnyConnectOptions = url.parse()?;
        let read_opts = opts.clone();
        let pool = match kind {
            DbKind::Sqlite => {
                AnyPoolOptions::new()
                    // One connection: SQLite has one writer, and a single connection never
                    // meets SQLITE_BUSY on a read-then-write transaction.
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode=WAL").await?;
                            conn.execute("PRAGMA busy_timeout=10000").await?;
                            conn.execute("PRAGMA synchronous=NORMAL").await?;
                            // Savepoint journals in memory, not in a temporary file made and
                            // deleted per transaction; a page cache that holds the hot
                            // indices (64 MiB).
                            conn.execute("PRAGMA temp_store=MEMORY").await?;
                            conn.execute("PRAGMA cache_size=-65536").await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts)
                    .await?
            }
            DbKind::Postgres => {
                if let Some(schema) = schema {
                    let setup = AnyPoolOptions::new()
                        .max_connections(1)
                        .connect_with(opts.clone())
                        .await?;
                    setup
                        .execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
                        .await?;
                    setup.close().await;
                }
                let schema = schema.map(str::to_string);
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
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
                    .await?
            }
        };
        migrator().run(&pool).await?;
        let read = if kind == DbKind::Sqlite && !url.contains(":memory:") {
            AnyPoolOptions::new()
                .max_connections(SQLITE_READERS)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout=10000").await?;
                        conn.execute("PRAGMA query_only=ON").await?;
                        conn.execute("PRAGMA cache_size=-16384").await?;
                        Ok(())
                    })
                })
                .connect_with(read_opts)
                .await?
        } else {
            pool.clone()
        };
        let nonce_key = Arc::new(Self::load_nonce_key(&pool).await?);
        let open_list = Arc::new(Mutex::new(None));
        let file_db = kind == DbKind::Sqlite && !url.contains(":memory:");
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
            let checkpointer = AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout=10000").await?;
                        Ok(())
                    })
                })
                .connect_with(url.parse::<AnyConnectOptions>()?)
                .await?;
            tokio::spawn(Self::checkpoint_wal(checkpointer, writer.downgrade()));
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

    /// Runs a PASSIVE WAL checkpoint every [`CHECKPOINT_EVERY`] while the store's writer
    /// lives (a failed one is logged and tried again at the next tick).
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

    /// The `c_nonce` key every process over this database shares: the first process to ask
    /// creates it (a concurrent creation loses the primary-key race and reads the winner's).
    async fn load_nonce_key(pool: &AnyPool) -> Result<NonceKey, StoreError> {
        let fresh: String = credentials::keys::provider::random_bytes::<32>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(NONCE_KEY_SETTING)
            .bind(fresh)
            .execute(pool)
            .await?;
        let hex: String = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(NONCE_KEY_SETTING)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        let mut key = [0u8; 32];
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(StoreError::Corrupt("c_nonce_key"));
        }
        for (i, b) in key.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| StoreError::Corrupt("c_nonce_key"))?;
        }
        Ok(NonceKey::from_bytes(key))
    }

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

    // ---- subjects ----

    /// Creates or replaces a subject's verified attributes; `true` when it was created.
    pub async fn put_subject(
        &self,
        subject_id: &str,
        attributes: &Value,
        gpg45_profile: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT 1 FROM subjects WHERE subject_id = $1")
            .bind(subject_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let text = attributes.to_string();
        if exists {
            sqlx::query(
                "UPDATE subjects SET attributes = $1, gpg45_profile = $2, verified_at = $3, updated_at = $3 WHERE subject_id = $4",
            )
            .bind(&text)
            .bind(gpg45_profile)
            .bind(now)
            .bind(subject_id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO subjects (subject_id, attributes, gpg45_profile, verified_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(subject_id)
            .bind(&text)
            .bind(gpg45_profile)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(!exists)
    }

    /// Merges verified attributes into a subject (and sets the GPG 45 profile if given);
    /// `false` when there is no such subject.
    pub async fn merge_subject(
        &self,
        subject_id: &str,
        attributes: &serde_json::Map<String, Value>,
        gpg45_profile: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(row) =
            sqlx::query("SELECT attributes, gpg45_profile FROM subjects WHERE subject_id = $1")
                .bind(subject_id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        let mut current: Value = serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|_| StoreError::Corrupt("attributes"))?;
        if let Value::Object(m) = &mut current {
            for (k, v) in attributes {
                m.insert(k.clone(), v.clone());
            }
        }
        let profile = gpg45_profile
            .map(str::to_string)
            .or(row.try_get::<Option<String>, _>(1)?);
        sqlx::query(
            "UPDATE subjects SET attributes = $1, gpg45_profile = $2, verified_at = $3, updated_at = $3 WHERE subject_id = $4",
        )
        .bind(current.to_string())
        .bind(profile)
        .bind(now)
        .bind(subject_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A subject.
    pub async fn subject(&self, subject_id: &str) -> Result<Option<Subject>, StoreError> {
        let row = sqlx::query(
            "SELECT attributes, gpg45_profile, verified_at FROM subjects WHERE subject_id = $1",
        )
        .bind(subject_id)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Subject {
            subject_id: subject_id.to_string(),
            attributes: serde_json::from_str(&row.try_get::<String, _>(0)?)
                .map_err(|_| StoreError::Corrupt("attributes"))?,
            gpg45_profile: row.try_get(1)?,
            verified_at: row.try_get(2)?,
        }))
    }

    // ---- offers and the pre-authorized code ----

    /// Stores an offer.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_offer(
        &self,
        offer_id: &str,
        subject_id: &str,
        configuration_ids: &[String],
        pre_auth_code_hash: Option<&str>,
        tx_code_hash: Option<&str>,
        tx_code_length: Option<i64>,
        issuer_state: Option<&str>,
        offer_json: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO offers (offer_id, subject_id, configuration_ids, pre_auth_code_hash, tx_code_hash, tx_code_length, tx_attempts, issuer_state, state, offer_json, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 'pending', $8, $9, $10)",
        )
        .bind(offer_id)
        .bind(subject_id)
        .bind(json_list(configuration_ids))
        .bind(pre_auth_code_hash)
        .bind(tx_code_hash)
        .bind(tx_code_length)
        .bind(issuer_state)
        .bind(offer_json)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    fn offer_from_row(row: &sqlx::any::AnyRow) -> Result<OfferRow, StoreError> {
        Ok(OfferRow {
            offer_id: row.try_get(0)?,
            subject_id: row.try_get(1)?,
            configuration_ids: parse_list(&row.try_get::<String, _>(2)?)?,
            tx_code_length: row.try_get(3)?,
            state: row.try_get(4)?,
            expires_at: row.try_get(5)?,
            pre_authorized: row.try_get::<Option<String>, _>(6)?.is_some(),
            issuer_state: row.try_get(7)?,
        })
    }

    /// An offer by id.
    pub async fn offer(&self, offer_id: &str) -> Result<Option<OfferRow>, StoreError> {
        let row = sqlx::query(
            "SELECT offer_id, subject_id, configuration_ids, tx_code_length, state, expires_at, pre_auth_code_hash, issuer_state FROM offers WHERE offer_id = $1",
        )
        .bind(offer_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(Self::offer_from_row).transpose()
    }

    /// The Credential Offer document of a pending, unexpired offer (by reference).
    pub async fn offer_document(
        &self,
        offer_id: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query(
            "SELECT offer_json FROM offers WHERE offer_id = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(offer_id)
        .bind(now)
        .fetch_optional(&self.read)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    /// An unexpired, pending offer by its `issuer_state` (authorization code flow).
    pub async fn offer_by_issuer_state(
        &self,
        issuer_state: &str,
        now: i64,
    ) -> Result<Option<OfferRow>, StoreError> {
        let row = sqlx::query(
            "SELECT offer_id, subject_id, configuration_ids, tx_code_length, state, expires_at, pre_auth_code_hash, issuer_state FROM offers WHERE issuer_state = $1 AND expires_at > $2",
        )
        .bind(issuer_state)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(Self::offer_from_row).transpose()
    }

    /// Redeems a pre-authorized code in one transaction: checks the transaction code
    /// (counting a wrong one, and locking the offer after `max_attempts`), marks the offer
    /// redeemed only if it is still pending, and writes the access token.
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem_pre_authorized(
        &self,
        code_hash: &str,
        tx_code: Option<&str>,
        max_attempts: i64,
        now: i64,
        token_hash: &str,
        dpop: Option<(&str, &str, i64)>,
        client_id: Option<&str>,
        asked: Option<&[String]>,
        token_expires_at: i64,
    ) -> Result<Redemption, StoreError> {
        let dpop_jkt = dpop.map(|d| d.0);
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT subject_id, configuration_ids, tx_code_hash, tx_attempts FROM offers WHERE pre_auth_code_hash = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Redemption::InvalidCode);
        };
        let subject_id: String = row.try_get(0)?;
        let configuration_ids = parse_list(&row.try_get::<String, _>(1)?)?;
        let expected: Option<String> = row.try_get(2)?;
        let attempts: i64 = row.try_get(3)?;
        if let Some(asked) = asked {
            if asked.is_empty() || asked.iter().any(|a| !configuration_ids.contains(a)) {
                return Ok(Redemption::NotOffered);
            }
        }
        match (expected.as_deref(), tx_code) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => return Ok(Redemption::TxCodeMissingOrUnexpected),
            (Some(want), Some(got)) => {
                let got = crate::util::sha256_hex(got.as_bytes());
                if !crate::util::ct_eq(want.as_bytes(), got.as_bytes()) {
                    let attempts = attempts + 1;
                    let state = if attempts >= max_attempts {
                        "locked"
                    } else {
                        "pending"
                    };
                    sqlx::query(
                        "UPDATE offers SET tx_attempts = $1, state = $2 WHERE pre_auth_code_hash = $3 AND state = 'pending'",
                    )
                    .bind(attempts)
                    .bind(state)
                    .bind(code_hash)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Redemption::WrongTxCode {
                        remaining: (max_attempts - attempts).max(0),
                    });
                }
            }
        }
        if let Some((_, jti, exp)) = dpop {
            if !Self::insert_jti(&mut tx, jti, exp).await? {
                return Ok(Redemption::DpopReplay);
            }
        }
        let done = sqlx::query(
            "UPDATE offers SET state = 'redeemed' WHERE pre_auth_code_hash = $1 AND state = 'pending'",
        )
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(Redemption::InvalidCode);
        }
        let granted = asked.map(<[String]>::to_vec).unwrap_or(configuration_ids);
        Self::insert_token(
            &mut tx,
            token_hash,
            &subject_id,
            &granted,
            asked.is_some(),
            client_id,
            dpop_jkt,
            token_expires_at,
        )
        .await?;
        tx.commit().await?;
        let configuration_ids = granted;
        Ok(Redemption::Redeemed {
            subject_id,
            configuration_ids,
        })
    }

    async fn insert_jti(
        tx: &mut Transaction<'_, Any>,
        jti_hash: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(jti_hash)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_token(
        tx: &mut Transaction<'_, Any>,
        token_hash: &str,
        subject_id: &str,
        configuration_ids: &[String],
        authorization_details: bool,
        client_id: Option<&str>,
        dpop_jkt: Option<&str>,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, subject_id, configuration_ids, authorization_details, client_id, dpop_jkt, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(subject_id)
        .bind(json_list(configuration_ids))
        .bind(i64::from(authorization_details))
        .bind(client_id)
        .bind(dpop_jkt)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// What an unexpired access token allows, with its subject (`None` when the subject was
    /// deleted) read in the same query: the credential endpoint needs both.
    pub async fn token_with_subject(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(TokenGrant, Option<Subject>)>, StoreError> {
        let row = sqlx::query(
            "SELECT t.subject_id, t.configuration_ids, t.authorization_details, t.client_id, t.dpop_jkt, t.expires_at, s.attributes, s.gpg45_profile, s.verified_at
             FROM access_tokens t LEFT JOIN subjects s ON s.subject_id = t.subject_id
             WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let grant = TokenGrant {
            subject_id: row.try_get(0)?,
            configuration_ids: parse_list(&row.try_get::<String, _>(1)?)?,
            authorization_details: row.try_get::<i64, _>(2)? != 0,
            client_id: row.try_get(3)?,
            dpop_jkt: row.try_get(4)?,
            expires_at: row.try_get(5)?,
        };
        let subject = match row.try_get::<Option<String>, _>(6)? {
            None => None,
            Some(attributes) => Some(Subject {
                subject_id: grant.subject_id.clone(),
                attributes: serde_json::from_str(&attributes)
                    .map_err(|_| StoreError::Corrupt("attributes"))?,
                gpg45_profile: row.try_get(7)?,
                verified_at: row.try_get(8)?,
            }),
        };
        Ok(Some((grant, subject)))
    }

    /// What an unexpired access token allows.
    pub async fn token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<TokenGrant>, StoreError> {
        let row = sqlx::query(
            "SELECT subject_id, configuration_ids, authorization_details, client_id, dpop_jkt, expires_at FROM access_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenGrant {
            subject_id: row.try_get(0)?,
            configuration_ids: parse_list(&row.try_get::<String, _>(1)?)?,
            authorization_details: row.try_get::<i64, _>(2)? != 0,
            client_id: row.try_get(3)?,
            dpop_jkt: row.try_get(4)?,
            expires_at: row.try_get(5)?,
        }))
    }

    // ---- authorization code flow ----

    /// Stores a PAR request under the digest of its `request_uri`.
    pub async fn insert_par(&self, uri_hash: &str, par: &ParRequest) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO par_requests (request_uri_hash, client_id, redirect_uri, code_challenge, configuration_ids, authorization_details, state, issuer_state, dpop_jkt, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(uri_hash)
        .bind(&par.client_id)
        .bind(&par.redirect_uri)
        .bind(&par.code_challenge)
        .bind(json_list(&par.configuration_ids))
        .bind(i64::from(par.authorization_details))
        .bind(&par.state)
        .bind(&par.issuer_state)
        .bind(&par.dpop_jkt)
        .bind(par.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An unexpired PAR request.
    pub async fn par(&self, uri_hash: &str, now: i64) -> Result<Option<ParRequest>, StoreError> {
        let mut conn = self.read.acquire().await?;
        Self::par_on(&mut conn, uri_hash, now).await
    }

    async fn par_on(
        conn: &mut sqlx::AnyConnection,
        uri_hash: &str,
        now: i64,
    ) -> Result<Option<ParRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT client_id, redirect_uri, code_challenge, configuration_ids, authorization_details, state, issuer_state, dpop_jkt, expires_at FROM par_requests WHERE request_uri_hash = $1 AND expires_at > $2",
        )
        .bind(uri_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ParRequest {
            client_id: row.try_get(0)?,
            redirect_uri: row.try_get(1)?,
            code_challenge: row.try_get(2)?,
            configuration_ids: parse_list(&row.try_get::<String, _>(3)?)?,
            authorization_details: row.try_get::<i64, _>(4)? != 0,
            state: row.try_get(5)?,
            issuer_state: row.try_get(6)?,
            dpop_jkt: row.try_get(7)?,
            expires_at: row.try_get(8)?,
        }))
    }

    /// Registers (or replaces) an OAuth client.
    pub async fn register_client(&self, c: &OAuthClient, now: i64) -> Result<(), StoreError> {
        let uris = json_list(&c.redirect_uris);
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oauth_clients WHERE client_id = $1")
            .bind(&c.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_clients (client_id, name, redirect_uris, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&c.client_id)
        .bind(&c.name)
        .bind(uris)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A registered client.
    pub async fn client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
        let row = sqlx::query(
            "SELECT client_id, name, redirect_uris FROM oauth_clients WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(OAuthClient {
            client_id: row.try_get(0)?,
            name: row.try_get(1)?,
            redirect_uris: parse_list(&row.try_get::<String, _>(2)?)?,
        }))
    }

    /// Every registered client, by id.
    pub async fn clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
        let rows = sqlx::query(
            "SELECT client_id, name, redirect_uris FROM oauth_clients ORDER BY client_id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OAuthClient {
                    client_id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    redirect_uris: parse_list(&row.try_get::<String, _>(2)?)?,
                })
            })
            .collect()
    }

    /// How many pushed authorization requests are unexpired.
    pub async fn pending_pars(&self, now: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM par_requests WHERE expires_at > $1")
                .bind(now)
                .fetch_one(&self.read)
                .await?
                .try_get(0)?,
        )
    }

    /// Counts a wrong sign-in code against a pushed request; at
    /// [`MAX_SIGN_IN_FAILURES`] the request is consumed. Returns the failures so far.
    pub async fn sign_in_failed(&self, uri_hash: &str) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE par_requests SET failed_attempts = failed_attempts + 1 WHERE request_uri_hash = $1",
        )
        .bind(uri_hash)
        .execute(&mut *tx)
        .await?;
        let n: i64 =
            sqlx::query("SELECT failed_attempts FROM par_requests WHERE request_uri_hash = $1")
                .bind(uri_hash)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .unwrap_or(MAX_SIGN_IN_FAILURES);
        if n >= MAX_SIGN_IN_FAILURES {
            sqlx::query("DELETE FROM par_requests WHERE request_uri_hash = $1")
                .bind(uri_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Stores a one-time sign-in code for a subject.
    pub async fn insert_sign_in_code(
        &self,
        code_hash: &str,
        subject_id: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_in_codes (code_hash, subject_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(code_hash)
        .bind(subject_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Completes a sign-in in one transaction: consumes the PAR request and the sign-in code
    /// (both single use) and writes the authorization code. `None` if either is invalid.
    pub async fn complete_sign_in(
        &self,
        uri_hash: &str,
        subject_id: &str,
        sign_in_hash: &str,
        code_hash: &str,
        code_expires_at: i64,
        now: i64,
    ) -> Result<Option<ParRequest>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(par) = Self::par_on(&mut tx, uri_hash, now).await? else {
            return Ok(None);
        };
        let used = sqlx::query(
            "DELETE FROM sign_in_codes WHERE code_hash = $1 AND subject_id = $2 AND expires_at > $3",
        )
        .bind(sign_in_hash)
        .bind(subject_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Ok(None);
        }
        let gone = sqlx::query("DELETE FROM par_requests WHERE request_uri_hash = $1")
            .bind(uri_hash)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() != 1 {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO auth_codes (code_hash, client_id, redirect_uri, code_challenge, subject_id, configuration_ids, authorization_details, dpop_jkt, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(code_hash)
        .bind(&par.client_id)
        .bind(&par.redirect_uri)
        .bind(&par.code_challenge)
        .bind(subject_id)
        .bind(json_list(&par.configuration_ids))
        .bind(i64::from(par.authorization_details))
        .bind(&par.dpop_jkt)
        .bind(code_expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(par))
    }

    /// Redeems an authorization code in one transaction after `check` accepts it (PKCE,
    /// client, redirect URI): the code is deleted and the token written, or nothing is.
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem_auth_code<E>(
        &self,
        code_hash: &str,
        now: i64,
        check: impl FnOnce(&AuthCode) -> Result<(), E>,
        token_hash: &str,
        dpop: Option<(&str, &str, i64)>,
        replay: E,
        token_expires_at: i64,
    ) -> Result<Option<Result<AuthCode, E>>, StoreError> {
        let dpop_jkt = dpop.map(|d| d.0);
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT client_id, redirect_uri, code_challenge, subject_id, configuration_ids, authorization_details, dpop_jkt FROM auth_codes WHERE code_hash = $1 AND expires_at > $2",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let code = AuthCode {
            client_id: row.try_get(0)?,
            redirect_uri: row.try_get(1)?,
            code_challenge: row.try_get(2)?,
            subject_id: row.try_get(3)?,
            configuration_ids: parse_list(&row.try_get::<String, _>(4)?)?,
            authorization_details: row.try_get::<i64, _>(5)? != 0,
            dpop_jkt: row.try_get(6)?,
        };
        if let Err(e) = check(&code) {
            return Ok(Some(Err(e)));
        }
        if let Some((_, jti, exp)) = dpop {
            if !Self::insert_jti(&mut tx, jti, exp).await? {
                return Ok(Some(Err(replay)));
            }
        }
        let gone = sqlx::query("DELETE FROM auth_codes WHERE code_hash = $1")
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() != 1 {
            return Ok(None);
        }
        Self::insert_token(
            &mut tx,
            token_hash,
            &code.subject_id,
            &code.configuration_ids,
            code.authorization_details,
            Some(&code.client_id),
            dpop_jkt,
            token_expires_at,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Ok(code)))
    }

    // ---- nonces and DPoP ----

    /// Records a DPoP proof's `jti` outside a credential request (token and PAR endpoints);
    /// `false` if it was seen before.
    pub async fn use_dpop_jti(&self, jti_hash: &str, expires_at: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(jti_hash)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- issuance ----

    /// Records a credential response: consumes the `c_nonce` (whose MAC and expiry the
    /// caller checked), records the DPoP `jti`, draws a random free index per credential and
    /// writes each credential and the notification id, all or nothing, and returns only once
    /// that is committed. A transaction aborted as a deadlock, serialization failure or busy
    /// database is retried from the start.
    ///
    /// On SQLite the single writer commits concurrent requests together (group commit, see
    /// `Store::write_group`); on PostgreSQL each request is its own transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_issuance(
        &self,
        nonce: &RedeemableNonce,
        dpop_jti_hash: Option<(&str, i64)>,
        subject_id: &str,
        token_hash: &str,
        notification_id: &str,
        credentials: &[NewCredential],
        policy: ListPolicy,
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let job = Issuance {
            nonce: nonce.clone(),
            dpop: dpop_jti_hash.map(|(j, e)| (j.to_string(), e)),
            subject_id: subject_id.to_string(),
            token_hash: token_hash.to_string(),
            notification_id: notification_id.to_string(),
            credentials: credentials.to_vec(),
            policy,
            now,
        };
        let mut attempt = 0;
        loop {
            let outcome = match &self.writer {
                Some(writer) => {
                    let (reply, answer) = tokio::sync::oneshot::channel();
                    writer
                        .send((job.clone(), reply))
                        .map_err(|_| StoreError::Writer("the writer has stopped".into()))?;
                    answer
                        .await
                        .map_err(|_| StoreError::Writer("the writer has stopped".into()))?
                }
                None => self.record_issuance_once(&job).await,
            };
            match outcome {
                Err(StoreError::Database(e)) if attempt < 8 && is_retryable(&e) => {
                    attempt += 1;
                    let jitter = u64::from(credentials::keys::provider::random_bytes::<1>()[0]);
                    tokio::time::sleep(std::time::Duration::from_millis(2 + jitter % 20)).await;
                }
                other => return other,
            }
        }
    }

    /// One issuance in a transaction of its own (PostgreSQL): one statement when the open
    /// list is known and the drawn indices are free, else the portable statements.
    async fn record_issuance_once(&self, job: &Issuance) -> Result<Recorded, StoreError> {
        let cached = *self.open_list.lock().expect("not poisoned");
        if let Some(list) = cached {
            let mut tx = self.pool.begin().await?;
            match issue_cte(&mut tx, job, list).await? {
                Scripted::Done(slots) => {
                    tx.commit().await?;
                    return Ok(Recorded::Ok(slots));
                }
                // Dropped: rolled back, nothing written.
                Scripted::Refused(r) => return Ok(r),
                Scripted::Collision => tx.rollback().await?,
            }
        }
        let mut tx = self.pool.begin().await?;
        let (recorded, list) = issue_on(&mut tx, job, &self.open_list).await?;
        if matches!(recorded, Recorded::Ok(_)) {
            tx.commit().await?;
            remember_list(&self.open_list, list);
        }
        // A refusal drops the transaction: rolled back, nothing written.
        Ok(recorded)
    }

    /// The SQLite writer task: takes every issuance waiting (up to [`MAX_GROUP`]) and
    /// records them in one transaction; answers each only after the COMMIT. A refused one
    /// (replayed nonce or `jti`) writes nothing: its nonce and `jti` are taken before
    /// anything else and given back if the other was refused (see [`gate`]), which costs
    /// far less than a savepoint per issuance (SQLite copies every page a savepoint
    /// touches into its journal). A group with a failed statement, BEGIN or COMMIT is run
    /// again (busy) or failed as a whole.
    async fn write_group(
        pool: AnyPool,
        cache: Arc<Mutex<Option<(i64, i64)>>>,
        mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>,
    ) {
        while let Some(first) = jobs.recv().await {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match jobs.try_recv() {
                    Ok(j) => group.push(j),
                    Err(_) => break,
                }
            }
            let mut attempt = 0;
            let outcomes = loop {
                match Self::write_group_once(&pool, &cache, &group).await {
                    Err(e) if attempt < 8 && is_retryable(&e) => {
                        attempt += 1;
                        let jitter = u64::from(credentials::keys::provider::random_bytes::<1>()[0]);
                        tokio::time::sleep(Duration::from_millis(2 + jitter % 20)).await;
                    }
                    other => break other,
                }
            };
            match outcomes {
                Ok(outcomes) => {
                    for ((_, reply), outcome) in group.into_iter().zip(outcomes) {
                        let _ = reply.send(outcome);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, jobs = group.len(), "issuance group failed");
                    for (_, reply) in group {
                        let _ = reply.send(Err(StoreError::Writer(e.to_string())));
                    }
                }
            }
        }
    }

    async fn write_group_once(
        pool: &AnyPool,
        cache: &Mutex<Option<(i64, i64)>>,
        group: &[Job],
    ) -> Result<Vec<Result<Recorded, StoreError>>, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin().await?;
        let mut outcomes = Vec::with_capacity(group.len());
        let mut last_list = None;
        for (job, _) in group {
            match record_in_group(&mut tx, job, cache).await {
                Ok((recorded, list)) => {
                    last_list = list.or(last_list);
                    outcomes.push(Ok(recorded));
                }
                // A failed statement may have left part of this job in the transaction:
                // the group is abandoned (dropped: rolled back) and run again or failed.
                Err(StoreError::Database(e)) => return Err(e),
                Err(other) => return Err(sqlx::Error::Protocol(other.to_string())),
            }
        }
        tx.commit().await?;
        remember_list(cache, last_list);
        Ok(outcomes)
    }

    /// The newest open list `(list_id, size)`, opening the next one when none is (another
    /// process may open the same one: the insert of a list is idempotent).
    async fn open_list(
        conn: &mut AnyConnection,
        policy: ListPolicy,
        now: i64,
    ) -> Result<(i64, i64), StoreError> {
        loop {
            let open = sqlx::query(
                "SELECT list_id, size FROM status_lists WHERE full_since IS NULL ORDER BY list_id LIMIT 1",
            )
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(r) = open {
                return Ok((r.try_get(0)?, r.try_get(1)?));
            }
            let next: i64 = sqlx::query("SELECT COALESCE(MAX(list_id), 0) + 1 FROM status_lists")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            sqlx::query(
                "INSERT INTO status_lists (list_id, bits, size, full_since, created_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT DO NOTHING",
            )
            .bind(next)
            .bind(policy.bits)
            .bind(policy.size)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
    }

    /// Takes a random free index for each credential, all of a batch in one statement per
    /// round: `INSERT ... ON CONFLICT DO NOTHING RETURNING idx` on the `(list_id, idx)`
    /// primary key tells which draws were free, and the others are drawn again. After
    /// `probes` draws in a row without a free index the list is marked full and the next one
    /// used. Returns the `(list_id, idx)` of each credential in order, and the open list to
    /// remember once the transaction commits.
    async fn allocate(
        &self,
        conn: &mut AnyConnection,
        credential_ids: &[&str],
        policy: ListPolicy,
        now: i64,
    ) -> Result<(Vec<(i64, i64)>, Option<(i64, i64)>), StoreError> {
        Self::allocate_in(conn, &self.open_list, credential_ids, policy, now).await
    }

    /// [`Store::allocate`] with the open-list hint passed in (the writer task has no `Store`).
    async fn allocate_in(
        conn: &mut AnyConnection,
        cache: &Mutex<Option<(i64, i64)>>,
        credential_ids: &[&str],
        policy: ListPolicy,
        now: i64,
    ) -> Result<(Vec<(i64, i64)>, Option<(i64, i64)>), StoreError> {
        let mut slots: Vec<Option<(i64, i64)>> = vec![None; credential_ids.len()];
        let mut misses = 0usize;
        let mut list = *cache.lock().expect("not poisoned");
        loop {
            let pending: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].is_none()).collect();
            if pending.is_empty() {
                let slots = slots.into_iter().map(|s| s.expect("all taken")).collect();
                return Ok((slots, list));
            }
            let (list_id, size) = match list {
                Some(l) => l,
                None => {
                    let l = Self::open_list(conn, policy, now).await?;
                    list = Some(l);
                    l
                }
            };
            // Sorted draws take row locks in one order, so two concurrent batches on
            // PostgreSQL rarely deadlock; a draw repeated within the batch waits a round.
            let mut draws: Vec<(i64, usize)> = pending
                .iter()
                .map(|&i| ((random_u64() % size as u64) as i64, i))
                .collect();
            draws.sort_unstable();
            draws.dedup_by_key(|d| d.0);
            let mut sql = String::from(
                "INSERT INTO status_entries (list_id, idx, status, credential_id) VALUES ",
            );
            for j in 0..draws.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, ${}, 0, ${})", 2 + 2 * j, 3 + 2 * j));
            }
            sql.push_str(" ON CONFLICT DO NOTHING RETURNING idx");
            let mut q = sqlx::query(&sql).bind(list_id);
            for (idx, i) in &draws {
                q = q.bind(*idx).bind(credential_ids[*i]);
            }
            let taken: Vec<i64> = q
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, sqlx::Error>>()?;
            for (idx, i) in &draws {
                if taken.contains(idx) {
                    slots[*i] = Some((list_id, *idx));
                }
            }
            if taken.is_empty() {
                misses += draws.len();
            } else {
                misses = 0;
            }
            if misses >= policy.probes.max(1) {
                sqlx::query(
                    "UPDATE status_lists SET full_since = $1 WHERE list_id = $2 AND full_since IS NULL",
                )
                .bind(now)
                .bind(list_id)
                .execute(&mut *conn)
                .await?;
                let mut cached = cache.lock().expect("not poisoned");
                if cached.is_some_and(|c| c.0 == list_id) {
                    *cached = None;
                }
                list = None;
                misses = 0;
            }
        }
    }

    /// A status list's size and bits, and every entry that is not VALID.
    pub async fn status_list(
        &self,
        list_id: i64,
    ) -> Result<Option<(i64, i64, Vec<(i64, i64)>)>, StoreError> {
        let Some(row) = sqlx::query("SELECT size, bits FROM status_lists WHERE list_id = $1")
            .bind(list_id)
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let entries = sqlx::query(
            "SELECT idx, status FROM status_entries WHERE list_id = $1 AND status <> 0",
        )
        .bind(list_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Some((row.try_get(0)?, row.try_get(1)?, entries)))
    }

    /// Sets a credential's status; `false` if there is no such credential.
    pub async fn set_status(&self, credential_id: &str, status: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE status_entries SET status = $1 WHERE credential_id = $2")
            .bind(status)
            .bind(credential_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A subject's credentials with their statuses.
    pub async fn credentials_of(
        &self,
        subject_id: &str,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.credential_id, c.subject_id, c.configuration_id, c.list_id, c.idx, e.status, c.kid, c.issued_at, c.expires_at
             FROM credentials c JOIN status_entries e ON e.credential_id = c.credential_id
             WHERE c.subject_id = $1 ORDER BY c.issued_at, c.credential_id",
        )
        .bind(subject_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CredentialRecord {
                    credential_id: r.try_get(0)?,
                    subject_id: r.try_get(1)?,
                    configuration_id: r.try_get(2)?,
                    list_id: r.try_get(3)?,
                    idx: r.try_get(4)?,
                    status: r.try_get(5)?,
                    kid: r.try_get(6)?,
                    issued_at: r.try_get(7)?,
                    expires_at: r.try_get(8)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Every `(list_id, idx)` handed out (tests and audits: duplicates are impossible by the
    /// primary key, and this lets a test show it).
    pub async fn all_indices(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(
            sqlx::query("SELECT list_id, idx FROM credentials ORDER BY list_id, idx")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?,
        )
    }

    /// Latest expiry of credentials signed by `kid` (rotation keeps a key published until then).
    pub async fn last_expiry_for_kid(&self, kid: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query("SELECT MAX(expires_at) FROM credentials WHERE kid = $1")
                .bind(kid)
                .fetch_one(&self.read)
                .await?
                .try_get(0)?,
        )
    }

    /// Records a notification event; `false` when the id is not one of this token's.
    pub async fn notify(
        &self,
        notification_id: &str,
        token_hash: &str,
        event: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE notifications SET event = $1, updated_at = $2 WHERE notification_id = $3 AND token_hash = $4",
        )
        .bind(event)
        .bind(now)
        .bind(notification_id)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
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

/// Credentials issued through the W3C VC API: no nonce, token or notification; the status
/// index comes from the same lists as OpenID4VCI credentials.
impl Store {
    /// Takes a status index for `credential` and records it, in one transaction.
    pub async fn record_vc_api_issuance(
        &self,
        credential: &NewCredential,
        policy: ListPolicy,
        now: i64,
    ) -> Result<(i64, i64), StoreError> {
        let mut tx = self.pool.begin().await?;
        let (slots, list) = self
            .allocate(&mut tx, &[credential.credential_id.as_str()], policy, now)
            .await?;
        let (list_id, idx) = slots[0];
        sqlx::query(
            "INSERT INTO credentials (credential_id, subject_id, configuration_id, list_id, idx, holder_jkt, kid, notification_id, issued_at, expires_at) VALUES ($1, '', $2, $3, $4, $5, $6, '', $7, $8)",
        )
        .bind(&credential.credential_id)
        .bind(&credential.configuration_id)
        .bind(list_id)
        .bind(idx)
        .bind(&credential.holder_jkt)
        .bind(&credential.kid)
        .bind(now)
        .bind(credential.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(list) = list {
            *self.open_list.lock().expect("not poisoned") = Some(list);
        }
        Ok((list_id, idx))
    }
}

/// Most issuances the SQLite writer commits together.
const MAX_GROUP: usize = 64;

/// What one credential response records (owned: it may wait for the writer task).
#[derive(Clone, Debug)]
struct Issuance {
    nonce: RedeemableNonce,
    dpop: Option<(String, i64)>,
    subject_id: String,
    token_hash: String,
    notification_id: String,
    credentials: Vec<NewCredential>,
    policy: ListPolicy,
    now: i64,
}

/// An issuance and where to send its outcome.
type Job = (
    Issuance,
    tokio::sync::oneshot::Sender<Result<Recorded, StoreError>>,
);

/// What the one-statement PostgreSQL issuance found.
enum Scripted {
    /// Everything recorded, in the transaction.
    Done(Vec<(i64, i64)>),
    /// Replayed nonce or `jti`: the transaction must be rolled back.
    Refused(Recorded),
    /// A drawn index was taken: the transaction must be rolled back and the general path run.
    Collision,
}

fn remember_list(cache: &Mutex<Option<(i64, i64)>>, list: Option<(i64, i64)>) {
    if let Some(list) = list {
        // Only a committed list is remembered: one created by a rolled-back transaction
        // does not exist.
        *cache.lock().expect("not poisoned") = Some(list);
    }
}

/// Takes the issuance's nonce and DPoP `jti` (each single use, by primary key); a refused
/// one leaves nothing behind: when the nonce was taken but the `jti` was not, the nonce row
/// is deleted again. Returns the refusal, if any.
async fn gate(conn: &mut AnyConnection, job: &Issuance) -> Result<Option<Recorded>, StoreError> {
    let used = sqlx::query(
        "INSERT INTO used_nonces (nonce_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(&job.nonce.digest)
    .bind(job.nonce.expires_at)
    .execute(&mut *conn)
    .await?;
    if used.rows_affected() != 1 {
        return Ok(Some(Recorded::InvalidNonce));
    }
    if let Some((jti, exp)) = &job.dpop {
        let r = sqlx::query(
            "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(jti)
        .bind(*exp)
        .execute(&mut *conn)
        .await?;
        if r.rows_affected() != 1 {
            sqlx::query("DELETE FROM used_nonces WHERE nonce_hash = $1")
                .bind(&job.nonce.digest)
                .execute(&mut *conn)
                .await?;
            return Ok(Some(Recorded::DpopReplay));
        }
    }
    Ok(None)
}

/// One issuance inside the SQLite writer's group transaction: [`gate`], then the script
/// for the open list, then the portable statements for whatever the script could not place
/// (no open list known, or a drawn index already taken).
async fn record_in_group(
    conn: &mut AnyConnection,
    job: &Issuance,
    cache: &Mutex<Option<(i64, i64)>>,
) -> Result<(Recorded, Option<(i64, i64)>), StoreError> {
    if let Some(refused) = gate(conn, job).await? {
        return Ok((refused, None));
    }
    let cached = *cache.lock().expect("not poisoned");
    let Some(list) = cached else {
        return place_all(conn, job, cache).await;
    };
    let mut slots = issue_script(conn, job, list).await?;
    let missing: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].is_none()).collect();
    let mut list = Some(list);
    if !missing.is_empty() {
        let ids: Vec<&str> = missing
            .iter()
            .map(|&i| job.credentials[i].credential_id.as_str())
            .collect();
        let (taken, l) = Store::allocate_in(conn, cache, &ids, job.policy, job.now).await?;
        let rows: Vec<(&NewCredential, (i64, i64))> = missing
            .iter()
            .zip(&taken)
            .map(|(&i, slot)| (&job.credentials[i], *slot))
            .collect();
        insert_credential_rows(conn, job, &rows).await?;
        for (&i, slot) in missing.iter().zip(taken) {
            slots[i] = Some(slot);
        }
        list = l;
    }
    let slots = slots
        .into_iter()
        .map(|s| s.expect("every credential placed"))
        .collect();
    Ok((Recorded::Ok(slots), list))
}

/// Records one issuance with portable statements on `conn` (inside a transaction the caller
/// commits, or drops on a refusal): nonce, `jti`, indices, credentials, notification.
async fn issue_on(
    conn: &mut AnyConnection,
    job: &Issuance,
    cache: &Mutex<Option<(i64, i64)>>,
) -> Result<(Recorded, Option<(i64, i64)>), StoreError> {
    if let Some(refused) = gate(conn, job).await? {
        return Ok((refused, None));
    }
    place_all(conn, job, cache).await
}

/// After [`gate`]: the status indices, credential rows and notification of `job` with
/// portable statements.
async fn place_all(
    conn: &mut AnyConnection,
    job: &Issuance,
    cache: &Mutex<Option<(i64, i64)>>,
) -> Result<(Recorded, Option<(i64, i64)>), StoreError> {
    let ids: Vec<&str> = job
        .credentials
        .iter()
        .map(|c| c.credential_id.as_str())
        .collect();
    let (slots, list) = Store::allocate_in(conn, cache, &ids, job.policy, job.now).await?;
    let rows: Vec<(&NewCredential, (i64, i64))> =
        job.credentials.iter().zip(slots.iter().copied()).collect();
    insert_credential_rows(conn, job, &rows).await?;
    insert_notification(conn, job).await?;
    Ok((Recorded::Ok(slots), list))
}

/// The credential rows of `job` for the given `(list_id, idx)` slots, in one statement.
async fn insert_credential_rows(
    conn: &mut AnyConnection,
    job: &Issuance,
    rows: &[(&NewCredential, (i64, i64))],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    // $1-$3 are shared, then 7 values a row.
    let mut sql = String::from(
        "INSERT INTO credentials (credential_id, subject_id, configuration_id, list_id, idx, holder_jkt, kid, notification_id, issued_at, expires_at) VALUES ",
    );
    for i in 0..rows.len() {
        let b = 4 + 7 * i;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${b}, $1, ${}, ${}, ${}, ${}, ${}, $2, $3, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6
        ));
    }
    let mut q = sqlx::query(&sql)
        .bind(&job.subject_id)
        .bind(&job.notification_id)
        .bind(job.now);
    for (c, (list_id, idx)) in rows {
        q = q
            .bind(&c.credential_id)
            .bind(&c.configuration_id)
            .bind(*list_id)
            .bind(*idx)
            .bind(&c.holder_jkt)
            .bind(&c.kid)
            .bind(c.expires_at);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// The issuance's notification id.
async fn insert_notification(conn: &mut AnyConnection, job: &Issuance) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notifications (notification_id, token_hash, event, updated_at) VALUES ($1, $2, NULL, $3)",
    )
    .bind(&job.notification_id)
    .bind(&job.token_hash)
    .bind(job.now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// After [`gate`], records one issuance on SQLite in a single round trip to the writer: one
/// script (SQLite's `$N` parameters are shared by the statements of a script) draws every
/// index in `list` with `INSERT ... ON CONFLICT DO NOTHING RETURNING`, writes a credential
/// row for each index its own status entry took (one statement, joined on the entries),
/// and the notification id. Returns each credential's slot, `None` where the drawn index
/// was already taken (the caller places those with [`Store::allocate_in`]).
///
/// sqlx 0.8 deprecates multi-statement prepared queries (SQLite is the only driver with
/// them, launchbadge/sqlx#3108); if a later sqlx drops them, [`issue_on`] inside the same
/// group commit is the fallback, at one round trip per statement.
#[allow(deprecated)]
async fn issue_script(
    conn: &mut AnyConnection,
    job: &Issuance,
    (list_id, size): (i64, i64),
) -> Result<Vec<Option<(i64, i64)>>, StoreError> {
    use futures_util::TryStreamExt;
    let n = job.credentials.len();
    if n == 0 {
        insert_notification(conn, job).await?;
        return Ok(Vec::new());
    }
    // $1 subject, $2 notification id, $3 now, $4 token, $5 list; then per credential k, from
    // b = 6 + 6k: id, configuration, index, holder key, kid, expiry.
    let draws: Vec<i64> = (0..n)
        .map(|_| (random_u64() % size as u64) as i64)
        .collect();
    let mut sql =
        String::from("INSERT INTO status_entries (list_id, idx, status, credential_id) VALUES ");
    for k in 0..n {
        let b = 6 + 6 * k;
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($5, ${}, 0, ${b})", b + 2));
    }
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING credential_id;");
    sql.push_str(
        " INSERT INTO credentials (credential_id, subject_id, configuration_id, list_id, idx, holder_jkt, kid, notification_id, issued_at, expires_at) SELECT v.column1, $1, v.column2, s.list_id, s.idx, v.column3, v.column4, $2, $3, v.column5 FROM (VALUES ",
    );
    for k in 0..n {
        let b = 6 + 6 * k;
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${b}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 3,
            b + 4,
            b + 5
        ));
    }
    sql.push_str(") AS v JOIN status_entries s ON s.credential_id = v.column1;");
    sql.push_str(
        " INSERT INTO notifications (notification_id, token_hash, event, updated_at) VALUES ($2, $4, NULL, $3);",
    );
    let mut q = sqlx::query(&sql)
        .bind(&job.subject_id)
        .bind(&job.notification_id)
        .bind(job.now)
        .bind(&job.token_hash)
        .bind(list_id);
    for (c, idx) in job.credentials.iter().zip(&draws) {
        q = q
            .bind(&c.credential_id)
            .bind(&c.configuration_id)
            .bind(*idx)
            .bind(&c.holder_jkt)
            .bind(&c.kid)
            .bind(c.expires_at);
    }
    let mut taken: Vec<String> = Vec::with_capacity(n);
    let mut steps = q.fetch_many(&mut *conn);
    while let Some(step) = steps.try_next().await? {
        if let sqlx::Either::Right(row) = step {
            taken.push(row.try_get(0)?);
        }
    }
    Ok(job
        .credentials
        .iter()
        .zip(&draws)
        .map(|(c, idx)| taken.contains(&c.credential_id).then_some((list_id, *idx)))
        .collect())
}

/// Records one issuance on PostgreSQL in one statement: data-modifying CTEs insert the nonce,
/// the `jti`, the drawn status entries, a credential row for each entry taken (joined on
/// what that insert returned) and the notification, and report what each took. The caller
/// commits only when everything was taken; otherwise it rolls back.
async fn issue_cte(
    conn: &mut AnyConnection,
    job: &Issuance,
    (list_id, size): (i64, i64),
) -> Result<Scripted, StoreError> {
    // $1 nonce, $2 its expiry, $3 subject, $4 notification id, $5 now, $6 token, $7 list; per
    // credential k, from b = 8 + 6k: id, configuration, index, holder key, kid, expiry; then
    // the jti and its expiry when there is one (every parameter is referenced).
    let n = job.credentials.len();
    let mut draws: Vec<(i64, usize)> = (0..n)
        .map(|k| ((random_u64() % size as u64) as i64, k))
        .collect();
    // Row locks in index order, as in `allocate`.
    draws.sort_unstable();
    let mut sql = String::from(
        "WITH n AS (INSERT INTO used_nonces (nonce_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1), \
         s AS (INSERT INTO status_entries (list_id, idx, status, credential_id) VALUES ",
    );
    for (j, (_, k)) in draws.iter().enumerate() {
        let b = 8 + 6 * k;
        if j > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($7, ${}, 0, ${b})", b + 2));
    }
    sql.push_str(
        " ON CONFLICT DO NOTHING RETURNING credential_id, list_id, idx), \
         c AS (INSERT INTO credentials (credential_id, subject_id, configuration_id, list_id, idx, holder_jkt, kid, notification_id, issued_at, expires_at) \
         SELECT v.id, $3, v.cfg, s.list_id, s.idx, v.jkt, v.kid, $4, $5, v.exp FROM (VALUES ",
    );
    for k in 0..n {
        let b = 8 + 6 * k;
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${b}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 3,
            b + 4,
            b + 5
        ));
    }
    sql.push_str(
        ") AS v (id, cfg, jkt, kid, exp) JOIN s ON s.credential_id = v.id RETURNING 1), \
         x AS (INSERT INTO notifications (notification_id, token_hash, event, updated_at) VALUES ($4, $6, NULL, $5) RETURNING 1)",
    );
    let jti = 8 + 6 * n;
    if job.dpop.is_some() {
        sql.push_str(&format!(
            ", j AS (INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES (${jti}, ${}) ON CONFLICT DO NOTHING RETURNING 1) \
             SELECT (SELECT COUNT(*) FROM n), (SELECT COUNT(*) FROM c), (SELECT COUNT(*) FROM j)",
            jti + 1
        ));
    } else {
        sql.push_str(" SELECT (SELECT COUNT(*) FROM n), (SELECT COUNT(*) FROM c), 1");
    }
    let mut q = sqlx::query(&sql)
        .bind(&job.nonce.digest)
        .bind(job.nonce.expires_at)
        .bind(&job.subject_id)
        .bind(&job.notification_id)
        .bind(job.now)
        .bind(&job.token_hash)
        .bind(list_id);
    let mut by_credential = vec![0i64; n];
    for (idx, k) in &draws {
        by_credential[*k] = *idx;
    }
    for (c, idx) in job.credentials.iter().zip(&by_credential) {
        q = q
            .bind(&c.credential_id)
            .bind(&c.configuration_id)
            .bind(*idx)
            .bind(&c.holder_jkt)
            .bind(&c.kid)
            .bind(c.expires_at);
    }
    if let Some((jti, exp)) = &job.dpop {
        q = q.bind(jti).bind(*exp);
    }
    let row = q.fetch_one(&mut *conn).await?;
    let (nonce, written, jti): (i64, i64, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    if nonce != 1 {
        return Ok(Scripted::Refused(Recorded::InvalidNonce));
    }
    if jti != 1 {
        return Ok(Scripted::Refused(Recorded::DpopReplay));
    }
    if written != n as i64 {
        return Ok(Scripted::Collision);
    }
    Ok(Scripted::Done(
        by_credential
            .into_iter()
            .map(|idx| (list_id, idx))
            .collect(),
    ))
}
