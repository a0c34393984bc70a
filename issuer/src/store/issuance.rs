//! Recording a credential response: the one transaction that consumes the `c_nonce`,
//! records the DPoP `jti`, takes a status index per credential and writes the credentials
//! and the notification id, all or nothing. On PostgreSQL it is one statement (data-modifying
//! CTEs) with the portable statements as the fallback; on SQLite the issuance goes to the
//! writer task (`writer`), which uses the same portable statements. Credentials issued
//! through the W3C VC API take their index from the same lists.

use std::sync::Mutex;

use sqlx::{AnyConnection, Row};

use super::status::{remember_list, ListPolicy};
use super::tokens::INSERT_JTI;
use super::{is_retryable, random_u64, retry_pause, Store, StoreError, MAX_RETRIES};
use crate::proofs::nonce::RedeemableNonce;

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

/// What one credential response records (owned: it may wait for the writer task).
#[derive(Clone, Debug)]
pub(super) struct Issuance {
    /// The `c_nonce` to consume.
    pub(super) nonce: RedeemableNonce,
    /// The DPoP proof's `jti` digest and its expiry, when the token is DPoP-bound.
    pub(super) dpop: Option<(String, i64)>,
    /// Whose credentials.
    pub(super) subject_id: String,
    /// The access token's digest (the notification id belongs to it).
    pub(super) token_hash: String,
    /// The notification id of the response.
    pub(super) notification_id: String,
    /// The credentials to record.
    pub(super) credentials: Vec<NewCredential>,
    /// How status indices are allocated.
    pub(super) policy: ListPolicy,
    /// The time of issuance.
    pub(super) now: i64,
}

impl Store {
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
                Err(StoreError::Database(e)) if attempt < MAX_RETRIES && is_retryable(&e) => {
                    attempt += 1;
                    retry_pause().await;
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
        remember_list(&self.open_list, list);
        Ok((list_id, idx))
    }
}

/// Takes the issuance's nonce and DPoP `jti` (each single use, by primary key); a refused
/// one leaves nothing behind: when the nonce was taken but the `jti` was not, the nonce row
/// is deleted again. Returns the refusal, if any.
pub(super) async fn gate(
    conn: &mut AnyConnection,
    job: &Issuance,
) -> Result<Option<Recorded>, StoreError> {
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
        let r = sqlx::query(INSERT_JTI)
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
pub(super) async fn place_all(
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
pub(super) async fn insert_credential_rows(
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
pub(super) async fn insert_notification(
    conn: &mut AnyConnection,
    job: &Issuance,
) -> Result<(), StoreError> {
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

/// What the one-statement PostgreSQL issuance found.
enum Scripted {
    /// Everything recorded, in the transaction.
    Done(Vec<(i64, i64)>),
    /// Replayed nonce or `jti`: the transaction must be rolled back.
    Refused(Recorded),
    /// A drawn index was taken: the transaction must be rolled back and the general path run.
    Collision,
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
