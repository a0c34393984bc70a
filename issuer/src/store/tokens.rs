//! Access tokens and DPoP proofs: the token row the token endpoint writes (by digest) and
//! the credential endpoint reads, and the `jti` of every DPoP proof, each accepted once.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::subjects::{parse_attributes, Subject};
use super::{json_list, parse_list, Store, StoreError};

/// Records a DPoP proof's `jti` digest and expiry; a row already there is a replay (no row
/// inserted).
pub(super) const INSERT_JTI: &str =
    "INSERT INTO dpop_jtis (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";

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

/// A [`TokenGrant`] from its first six columns: `subject_id, configuration_ids,
/// authorization_details, client_id, dpop_jkt, expires_at`.
fn grant_from_row(row: &AnyRow) -> Result<TokenGrant, StoreError> {
    Ok(TokenGrant {
        subject_id: row.try_get(0)?,
        configuration_ids: parse_list(&row.try_get::<String, _>(1)?)?,
        authorization_details: row.try_get::<i64, _>(2)? != 0,
        client_id: row.try_get(3)?,
        dpop_jkt: row.try_get(4)?,
        expires_at: row.try_get(5)?,
    })
}

impl Store {
    /// Records a DPoP proof's `jti` inside `tx`; `false` if it was seen before.
    pub(super) async fn insert_jti(
        tx: &mut Transaction<'_, Any>,
        jti_hash: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(INSERT_JTI)
            .bind(jti_hash)
            .bind(expires_at)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Writes an access token (by its digest) inside `tx`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_token(
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
        let grant = grant_from_row(&row)?;
        let subject = match row.try_get::<Option<String>, _>(6)? {
            None => None,
            Some(attributes) => Some(Subject {
                subject_id: grant.subject_id.clone(),
                attributes: parse_attributes(&attributes)?,
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
        Ok(Some(grant_from_row(&row)?))
    }

    /// Records a DPoP proof's `jti` outside a credential request (token and PAR endpoints);
    /// `false` if it was seen before.
    pub async fn use_dpop_jti(&self, jti_hash: &str, expires_at: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(INSERT_JTI)
            .bind(jti_hash)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
