//! Retention (the Home Office's guidance for employers): the record of someone hired is kept
//! for the employment and two years after it ends; the record of someone never hired is kept
//! for a shorter period after the check (six months by default). An employment end date
//! cannot be before the check, every change of it is logged, and the purge of records past
//! their date is logged too (in the access log, beside the deletion).

use super::{Oid4vpError, Service};

impl Service {
    /// When the record of employment ending on `end` is deleted: `retention_days` later.
    pub fn delete_after(&self, end: time::Date) -> i64 {
        (end.midnight().assume_utc() + time::Duration::days(self.retention_days)).unix_timestamp()
    }

    /// When the record of a check made at `checked_at` is deleted if its candidate is never
    /// hired (no employment end is ever entered): `not_hired_retention_days` later.
    pub fn delete_after_not_hired(&self, checked_at: i64) -> i64 {
        checked_at + self.not_hired_retention_days * 86_400
    }

    /// Sets a record's employment end date (and so its deletion date); refuses a date before
    /// the check. The change is logged with the old and new dates and `actor`.
    pub async fn set_employment_end(
        &self,
        record_id: &str,
        end: time::Date,
        actor: &str,
    ) -> Result<(), Oid4vpError> {
        let record = self
            .store
            .record(record_id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        let checked = time::OffsetDateTime::from_unix_timestamp(record.created_at)
            .map_err(|_| Oid4vpError::Server("a record's check time is out of range".into()))?
            .date();
        if end < checked {
            return Err(Oid4vpError::InvalidRequest(format!(
                "the employment end date ({end}) cannot be before the check ({checked})"
            )));
        }
        let now = self.clock.now().unix_timestamp();
        if !self
            .store
            .set_employment_end(
                record_id,
                &end.to_string(),
                self.delete_after(end),
                actor,
                now,
            )
            .await?
        {
            return Err(Oid4vpError::UnknownTransaction);
        }
        tracing::info!(
            record = %vouch_ops::log::id_digest(record_id),
            "employment end date set"
        );
        Ok(())
    }

    /// Deletes records past retention and stale transactions; (records, transactions).
    pub async fn purge(&self) -> Result<(u64, u64), Oid4vpError> {
        let now = self.clock.now().unix_timestamp();
        let r = self.store.purge(now, 86_400).await?;
        self.store.purge_sessions(now).await?;
        if r.0 > 0 || r.1 > 0 {
            tracing::info!(records = r.0, transactions = r.1, "purged");
        }
        Ok(r)
    }
}
