//! The encrypted record store: SQLite through sqlx, every record sealed with AES-256-GCM
//! under the wallet's data key (a fresh random nonce per write; the associated data binds
//! the record's kind and id, so a sealed value cannot be moved to another row).
//!
//! Only what indexing needs stays in clear: a random id, the record kind, a random batch
//! id and whether a single-use credential was used. No claim, issuer, verifier or key
//! material is ever written unsealed.

use std::path::Path;
use std::str::FromStr;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keystore::KeyStore;

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// An issued credential ([`crate::model::StoredCredential`]).
    Credential,
    /// A batch and how to refill it ([`crate::model::Batch`]).
    Batch,
    /// A device key handle ([`crate::device_keys::DeviceKeyRecord`]).
    DeviceKey,
    /// An activity log entry ([`crate::activity::ActivityEntry`]).
    Activity,
    /// A setting (trust anchors, snapshot).
    Setting,
}

impl RecordKind {
    fn as_str(self) -> &'static str {
        match self {
            RecordKind::Credential => "credential",
            RecordKind::Batch => "batch",
            RecordKind::DeviceKey => "device_key",
            RecordKind::Activity => "activity",
            RecordKind::Setting => "setting",
        }
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS wallet_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    batch_id TEXT,
    used INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, batch_id, used);
";

/// A random identifier (128 bits, hex).
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).expect("the OS random source");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The store: a pool and the unwrapped data key.
pub struct Store {
    pool: SqlitePool,
    cipher: Aes256Gcm,
}

impl Store {
    /// Opens (creating if needed) the database at `path`; a new database gets a fresh data
    /// key wrapped by `keys`, an existing one is opened with it.
    pub async fn open(path: &Path, keys: &dyn KeyStore) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT value FROM wallet_meta WHERE name = 'data_key'")
                .fetch_optional(&pool)
                .await?;
        let key: Zeroizing<Vec<u8>> = match wrapped {
            Some(w) => keys.unwrap(&w)?,
            None => {
                let mut k = Zeroizing::new(vec![0u8; 32]);
                getrandom::getrandom(&mut k).map_err(|e| Error::KeyStore(e.to_string()))?;
                let w = keys.wrap(&k)?;
                sqlx::query("INSERT INTO wallet_meta (name, value) VALUES ('data_key', ?)")
                    .bind(w)
                    .execute(&pool)
                    .await?;
                k
            }
        };
        let cipher = Aes256Gcm::new_from_slice(&key)
            .map_err(|_| Error::KeyStore("the data key is not 32 bytes".into()))?;
        Ok(Store { pool, cipher })
    }

    fn aad(kind: RecordKind, id: &str) -> Vec<u8> {
        format!("vouch-wallet/v1|{}|{id}", kind.as_str()).into_bytes()
    }

    fn seal(
        &self,
        kind: RecordKind,
        id: &str,
        value: &impl Serialize,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let plain = Zeroizing::new(serde_json::to_vec(value).expect("records serialize"));
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|e| Error::KeyStore(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &Self::aad(kind, id),
                },
            )
            .map_err(|_| Error::KeyStore("sealing failed".into()))?;
        Ok((nonce.to_vec(), sealed))
    }

    fn open_record<T: DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
        nonce: &[u8],
        sealed: &[u8],
    ) -> Result<T> {
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| Error::RecordTampered(id.to_string()))?;
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: sealed,
                        aad: &Self::aad(kind, id),
                    },
                )
                .map_err(|_| Error::RecordTampered(id.to_string()))?,
        );
        serde_json::from_slice(&plain).map_err(|_| Error::RecordTampered(id.to_string()))
    }

    /// Inserts or replaces a record.
    pub async fn put(
        &self,
        kind: RecordKind,
        id: &str,
        batch_id: Option<&str>,
        value: &impl Serialize,
    ) -> Result<()> {
        let (nonce, sealed) = self.seal(kind, id, value)?;
        sqlx::query(
            "INSERT INTO records (id, kind, batch_id, used, seq, nonce, sealed)
             VALUES (?1, ?2, ?3, 0, (SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET nonce = excluded.nonce, sealed = excluded.sealed",
        )
        .bind(id)
        .bind(kind.as_str())
        .bind(batch_id)
        .bind(nonce)
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Reads one record.
    pub async fn get<T: DeserializeOwned>(&self, kind: RecordKind, id: &str) -> Result<T> {
        let row = sqlx::query("SELECT nonce, sealed FROM records WHERE id = ? AND kind = ?")
            .bind(id)
            .bind(kind.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: kind.as_str(),
                id: id.to_string(),
            })?;
        self.open_record(kind, id, row.get("nonce"), row.get("sealed"))
    }

    /// Every record of a kind, oldest first, with its id, batch and used flag.
    pub async fn list<T: DeserializeOwned>(&self, kind: RecordKind) -> Result<Vec<Listed<T>>> {
        let rows = sqlx::query(
            "SELECT id, batch_id, used, nonce, sealed FROM records WHERE kind = ? ORDER BY seq",
        )
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get("id");
                Ok(Listed {
                    value: self.open_record(kind, &id, r.get("nonce"), r.get("sealed"))?,
                    batch_id: r.get("batch_id"),
                    used: r.get::<i64, _>("used") != 0,
                    id,
                })
            })
            .collect()
    }

    /// Marks a single-use credential as presented.
    pub async fn mark_used(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE records SET used = 1 WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a record.
    pub async fn delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM records WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes the pool (flushes the file).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A record read back with its clear index columns.
#[derive(Clone, Debug)]
pub struct Listed<T> {
    /// The record id.
    pub id: String,
    /// Its batch, if any.
    pub batch_id: Option<String>,
    /// Whether it was used (single-use credentials).
    pub used: bool,
    /// The decrypted value.
    pub value: T,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keystore::{Argon2Cost, PassphraseKeyStore};

    const MARKER: &str = "Lovelace-7c1e-claim-value";

    async fn open(dir: &Path, pass: &str) -> Result<Store> {
        Store::open(
            &dir.join("w.sqlite"),
            &PassphraseKeyStore::with_cost(pass, Argon2Cost::TEST_ONLY),
        )
        .await
    }

    #[tokio::test]
    async fn database_file_holds_no_claim_value_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path(), "pw").await.unwrap();
        let v = serde_json::json!({"family_name": MARKER});
        s.put(RecordKind::Credential, "c1", Some("b1"), &v)
            .await
            .unwrap();
        let back: serde_json::Value = s.get(RecordKind::Credential, "c1").await.unwrap();
        assert_eq!(back, v);
        s.close().await;
        for f in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(f.unwrap().path()).unwrap();
            assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()));
        }
    }

    #[tokio::test]
    async fn wrong_passphrase_is_refused_and_reopening_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path(), "pw").await.unwrap();
        s.put(RecordKind::Setting, "x", None, &1u32).await.unwrap();
        s.close().await;
        assert!(matches!(
            open(dir.path(), "nope").await,
            Err(Error::WrongPassphrase)
        ));
        let s = open(dir.path(), "pw").await.unwrap();
        assert_eq!(s.get::<u32>(RecordKind::Setting, "x").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_sealed_value_moved_to_another_row_fails_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path(), "pw").await.unwrap();
        s.put(RecordKind::Credential, "a", None, &"alpha")
            .await
            .unwrap();
        s.put(RecordKind::Credential, "b", None, &"beta")
            .await
            .unwrap();
        sqlx::query(
            "UPDATE records SET sealed = (SELECT sealed FROM records WHERE id = 'a'),
             nonce = (SELECT nonce FROM records WHERE id = 'a') WHERE id = 'b'",
        )
        .execute(&s.pool)
        .await
        .unwrap();
        assert!(matches!(
            s.get::<String>(RecordKind::Credential, "b").await,
            Err(Error::RecordTampered(id)) if id == "b"
        ));
    }
}
