//! Retention: when a record is deleted (a period after employment ends), and the purge of
//! records past it and of stale transactions.

use super::{Oid4vpError, Service};

impl Service {
    /// When a record of employment ending on `end` is deleted: `retention_days` later.
    pub fn delete_after(&self, end: time::Date) -> i64 {
        (end.midnight().assume_utc() + time::Duration::days(self.retention_days)).unix_timestamp()
    }

    /// Deletes records past retention and stale transactions; (records, transactions).
    pub async fn purge(&self) -> Result<(u64, u64), Oid4vpError> {
        let now = self.clock.now().unix_timestamp();
        let r = self.store.purge(now, 86_400).await?;
        if r.0 > 0 || r.1 > 0 {
            tracing::info!(records = r.0, transactions = r.1, "purged");
        }
        Ok(r)
    }
}
