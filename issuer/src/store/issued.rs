//! Issued credentials as recorded: a subject's credentials with their current status (the
//! admin API), the last expiry under a signing key (key rotation), and the wallet's
//! notification events about a credential response.

use sqlx::Row;

use super::{Store, StoreError};

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

impl Store {
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
}
