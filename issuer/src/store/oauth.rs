//! The authorization code flow: registered OAuth clients (wallets), pushed authorization
//! requests waiting for the citizen to sign in, one-time sign-in codes, and authorization
//! codes until they are exchanged for an access token.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{json_list, parse_list, Store, StoreError};

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

/// An [`OAuthClient`] from the columns `client_id, name, redirect_uris`.
fn client_from_row(row: &AnyRow) -> Result<OAuthClient, StoreError> {
    Ok(OAuthClient {
        client_id: row.try_get(0)?,
        name: row.try_get(1)?,
        redirect_uris: parse_list(&row.try_get::<String, _>(2)?)?,
    })
}

impl Store {
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

    /// An unexpired PAR request, read on `conn` (a reader, or the sign-in transaction).
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
        Ok(Some(client_from_row(&row)?))
    }

    /// Every registered client, by id.
    pub async fn clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
        let rows = sqlx::query(
            "SELECT client_id, name, redirect_uris FROM oauth_clients ORDER BY client_id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(client_from_row).collect()
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
}
