//! Subjects: the people this issuer may issue to, with the attributes the identity-proofing
//! process verified (written through the admin API, read when a credential is made).

use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreError};

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

/// The verified attributes a `subjects.attributes` column holds (JSON text).
pub(super) fn parse_attributes(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt("attributes"))
}

impl Store {
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
        let mut current: Value = parse_attributes(&row.try_get::<String, _>(0)?)?;
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
            attributes: parse_attributes(&row.try_get::<String, _>(0)?)?,
            gpg45_profile: row.try_get(1)?,
            verified_at: row.try_get(2)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::Store;

    #[tokio::test]
    async fn a_subject_is_created_replaced_and_merged() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let created = store
            .put_subject("s1", &json!({"given_name": "Ada"}), Some("M1B"), 10)
            .await
            .unwrap();
        assert!(created);
        let replaced = store
            .put_subject(
                "s1",
                &json!({"given_name": "Ada", "age": 36}),
                Some("M1B"),
                11,
            )
            .await
            .unwrap();
        assert!(!replaced);
        let more = json!({"family_name": "Lovelace"});
        let merged = store
            .merge_subject("s1", more.as_object().unwrap(), None, 12)
            .await
            .unwrap();
        assert!(merged);
        let s = store.subject("s1").await.unwrap().unwrap();
        assert_eq!(
            s.attributes,
            json!({"given_name": "Ada", "age": 36, "family_name": "Lovelace"})
        );
        // No profile given: the one stored stays.
        assert_eq!(s.gpg45_profile.as_deref(), Some("M1B"));
        assert_eq!(s.verified_at, 12);
        assert!(!store
            .merge_subject("nobody", more.as_object().unwrap(), None, 12)
            .await
            .unwrap());
        assert!(store.subject("nobody").await.unwrap().is_none());
        store.close().await;
    }
}
