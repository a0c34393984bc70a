//! Token Status Lists as stored: the lists (`status_lists`), one entry per credential
//! (`status_entries`, keyed by `(list_id, idx)`), the allocation of a random free index in
//! the open list, and the status changes the admin API makes.

use std::sync::Mutex;

use sqlx::{AnyConnection, Row};

use super::{random_u64, Store, StoreError};

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

impl Store {
    /// The open list `(list_id, size)` with the lowest id, opening the next one when none is
    /// (another process may open the same one: the insert of a list is idempotent).
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
    pub(super) async fn allocate(
        &self,
        conn: &mut AnyConnection,
        credential_ids: &[&str],
        policy: ListPolicy,
        now: i64,
    ) -> Result<(Vec<(i64, i64)>, Option<(i64, i64)>), StoreError> {
        Self::allocate_in(conn, &self.open_list, credential_ids, policy, now).await
    }

    /// [`Store::allocate`] with the open-list hint passed in (the writer task has no `Store`).
    pub(super) async fn allocate_in(
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
}

/// Remembers `list` (when there is one) as the open list, once the transaction that found
/// or opened it has committed.
pub(super) fn remember_list(cache: &Mutex<Option<(i64, i64)>>, list: Option<(i64, i64)>) {
    if let Some(list) = list {
        // Only a committed list is remembered: one created by a rolled-back transaction
        // does not exist.
        *cache.lock().expect("not poisoned") = Some(list);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::ListPolicy;
    use crate::store::{NewCredential, Store};

    /// Lists of four entries: every credential takes an index of its own, none past the
    /// list's size, and a list found full gives way to the next.
    #[tokio::test]
    async fn indices_are_distinct_and_full_lists_give_way() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let policy = ListPolicy {
            size: 4,
            bits: 2,
            probes: 8,
        };
        let mut slots = Vec::new();
        for i in 0..6 {
            let credential = NewCredential {
                credential_id: format!("c{i}"),
                configuration_id: "pid_sd_jwt".into(),
                holder_jkt: "jkt".into(),
                kid: "k1".into(),
                expires_at: 2_000,
            };
            slots.push(
                store
                    .record_vc_api_issuance(&credential, policy, 1_000)
                    .await
                    .unwrap(),
            );
        }
        let distinct: HashSet<_> = slots.iter().copied().collect();
        assert_eq!(distinct.len(), slots.len());
        assert!(slots.iter().all(|&(_, idx)| (0..4).contains(&idx)));
        assert!(slots.iter().any(|&(list, _)| list > 1));
        assert_eq!(store.all_indices().await.unwrap().len(), 6);
        let (size, bits, revoked) = store.status_list(1).await.unwrap().unwrap();
        assert_eq!((size, bits), (4, 2));
        assert!(revoked.is_empty());
        assert!(store.set_status("c0", 1).await.unwrap());
        assert!(!store.set_status("unknown", 1).await.unwrap());
        let (list, idx) = slots[0];
        let (_, _, revoked) = store.status_list(list).await.unwrap().unwrap();
        assert_eq!(revoked, vec![(idx, 1)]);
        store.close().await;
    }
}
