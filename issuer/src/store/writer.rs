//! The SQLite writer task: SQLite has one writer, so rather than a transaction (and a
//! COMMIT, with its sync) per credential response, one task takes every issuance waiting and
//! records them together in one transaction (group commit), each through one
//! multi-statement script when it can. A caller's future resolves only after the COMMIT.

use std::sync::{Arc, Mutex};

use sqlx::{AnyConnection, AnyPool, Connection, Row};

use super::issuance::{
    gate, insert_credential_rows, insert_notification, place_all, Issuance, NewCredential, Recorded,
};
use super::status::remember_list;
use super::{is_retryable, random_u64, retry_pause, Store, StoreError, MAX_RETRIES};

/// Most issuances the SQLite writer commits together.
const MAX_GROUP: usize = 64;

/// An issuance and where to send its outcome.
pub(super) type Job = (
    Issuance,
    tokio::sync::oneshot::Sender<Result<Recorded, StoreError>>,
);

impl Store {
    /// The SQLite writer task: takes every issuance waiting (up to [`MAX_GROUP`]) and
    /// records them in one transaction; answers each only after the COMMIT. A refused one
    /// (replayed nonce or `jti`) writes nothing: its nonce and `jti` are taken before
    /// anything else and given back if the other was refused (see [`gate`]), which costs
    /// far less than a savepoint per issuance (SQLite copies every page a savepoint
    /// touches into its journal). A group with a failed statement, BEGIN or COMMIT is run
    /// again (busy) or failed as a whole.
    pub(super) async fn write_group(
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
                    Err(e) if attempt < MAX_RETRIES && is_retryable(&e) => {
                        attempt += 1;
                        retry_pause().await;
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

    /// One attempt at a group: BEGIN, each job through [`record_in_group`], COMMIT. The
    /// outcome of each job, or the error that abandoned the whole group.
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

/// After [`gate`], records one issuance on SQLite in a single round trip to the writer: one
/// script (SQLite's `$N` parameters are shared by the statements of a script) draws every
/// index in `list` with `INSERT ... ON CONFLICT DO NOTHING RETURNING`, writes a credential
/// row for each index its own status entry took (one statement, joined on the entries),
/// and the notification id. Returns each credential's slot, `None` where the drawn index
/// was already taken (the caller places those with [`Store::allocate_in`]).
///
/// sqlx 0.8 deprecates multi-statement prepared queries (SQLite is the only driver with
/// them, launchbadge/sqlx#3108); if a later sqlx drops them,
/// [`issue_on`](super::issuance::issue_on) inside the same group commit is the fallback, at
/// one round trip per statement.
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
