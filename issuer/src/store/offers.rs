//! Credential offers and the pre-authorized code: what the admin API offers a subject, the
//! Credential Offer document a wallet fetches by reference, and the redemption of the code
//! (with its transaction code) that writes an access token.

use std::str::FromStr;

use sqlx::Row;

use super::{json_list, parse_list, Store, StoreError};

/// Where an offer stands (the `offers.state` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferState {
    /// Not yet redeemed: its pre-authorized code may still be exchanged (`pending`).
    Pending,
    /// Its pre-authorized code was exchanged for an access token (`redeemed`).
    Redeemed,
    /// Too many wrong transaction codes: it can no longer be redeemed (`locked`).
    Locked,
}

impl OfferState {
    /// The value stored in `offers.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferState::Pending => "pending",
            OfferState::Redeemed => "redeemed",
            OfferState::Locked => "locked",
        }
    }
}

impl FromStr for OfferState {
    type Err = StoreError;

    /// Reads a stored `offers.state`; any other value is a corrupt row.
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s {
            "pending" => Ok(OfferState::Pending),
            "redeemed" => Ok(OfferState::Redeemed),
            "locked" => Ok(OfferState::Locked),
            _ => Err(StoreError::Corrupt("state")),
        }
    }
}

/// A stored credential offer.
#[derive(Clone, Debug)]
pub struct OfferRow {
    /// Its id (the path of `credential_offer_uri`).
    pub offer_id: String,
    /// Whose offer.
    pub subject_id: String,
    /// What is offered.
    pub configuration_ids: Vec<String>,
    /// Whether a transaction code is required, and its length.
    pub tx_code_length: Option<i64>,
    /// Whether it can still be redeemed.
    pub state: OfferState,
    /// Expiry.
    pub expires_at: i64,
    /// Whether the offer carries a pre-authorized code.
    pub pre_authorized: bool,
    /// The authorization code flow's `issuer_state`, if that grant is offered.
    pub issuer_state: Option<String>,
}

/// Outcome of a pre-authorized code redemption.
#[derive(Debug, PartialEq, Eq)]
pub enum Redemption {
    /// Redeemed; the token row is written.
    Redeemed {
        /// Whose data.
        subject_id: String,
        /// What was offered.
        configuration_ids: Vec<String>,
    },
    /// Unknown, expired, already redeemed or locked.
    InvalidCode,
    /// A transaction code was expected but none sent, or one was sent but none expected.
    TxCodeMissingOrUnexpected,
    /// The DPoP proof's `jti` was used before.
    DpopReplay,
    /// `authorization_details` asked for a configuration the offer does not hold.
    NotOffered,
    /// The transaction code was wrong (attempts left after this one).
    WrongTxCode {
        /// How many attempts remain.
        remaining: i64,
    },
}

impl Store {
    /// Stores an offer.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_offer(
        &self,
        offer_id: &str,
        subject_id: &str,
        configuration_ids: &[String],
        pre_auth_code_hash: Option<&str>,
        tx_code_hash: Option<&str>,
        tx_code_length: Option<i64>,
        issuer_state: Option<&str>,
        offer_json: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO offers (offer_id, subject_id, configuration_ids, pre_auth_code_hash, tx_code_hash, tx_code_length, tx_attempts, issuer_state, state, offer_json, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 'pending', $8, $9, $10)",
        )
        .bind(offer_id)
        .bind(subject_id)
        .bind(json_list(configuration_ids))
        .bind(pre_auth_code_hash)
        .bind(tx_code_hash)
        .bind(tx_code_length)
        .bind(issuer_state)
        .bind(offer_json)
        .bind(expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// An [`OfferRow`] from the columns `offer_id, subject_id, configuration_ids,
    /// tx_code_length, state, expires_at, pre_auth_code_hash, issuer_state`.
    fn offer_from_row(row: &sqlx::any::AnyRow) -> Result<OfferRow, StoreError> {
        Ok(OfferRow {
            offer_id: row.try_get(0)?,
            subject_id: row.try_get(1)?,
            configuration_ids: parse_list(&row.try_get::<String, _>(2)?)?,
            tx_code_length: row.try_get(3)?,
            state: row.try_get::<String, _>(4)?.parse()?,
            expires_at: row.try_get(5)?,
            pre_authorized: row.try_get::<Option<String>, _>(6)?.is_some(),
            issuer_state: row.try_get(7)?,
        })
    }

    /// An offer by id.
    pub async fn offer(&self, offer_id: &str) -> Result<Option<OfferRow>, StoreError> {
        let row = sqlx::query(
            "SELECT offer_id, subject_id, configuration_ids, tx_code_length, state, expires_at, pre_auth_code_hash, issuer_state FROM offers WHERE offer_id = $1",
        )
        .bind(offer_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(Self::offer_from_row).transpose()
    }

    /// The Credential Offer document of a pending, unexpired offer (by reference).
    pub async fn offer_document(
        &self,
        offer_id: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query(
            "SELECT offer_json FROM offers WHERE offer_id = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(offer_id)
        .bind(now)
        .fetch_optional(&self.read)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
    }

    /// An unexpired, pending offer by its `issuer_state` (authorization code flow).
    pub async fn offer_by_issuer_state(
        &self,
        issuer_state: &str,
        now: i64,
    ) -> Result<Option<OfferRow>, StoreError> {
        let row = sqlx::query(
            "SELECT offer_id, subject_id, configuration_ids, tx_code_length, state, expires_at, pre_auth_code_hash, issuer_state FROM offers WHERE issuer_state = $1 AND expires_at > $2",
        )
        .bind(issuer_state)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(Self::offer_from_row).transpose()
    }

    /// Redeems a pre-authorized code in one transaction: checks the transaction code
    /// (counting a wrong one, and locking the offer after `max_attempts`), marks the offer
    /// redeemed only if it is still pending, and writes the access token.
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem_pre_authorized(
        &self,
        code_hash: &str,
        tx_code: Option<&str>,
        max_attempts: i64,
        now: i64,
        token_hash: &str,
        dpop: Option<(&str, &str, i64)>,
        client_id: Option<&str>,
        asked: Option<&[String]>,
        token_expires_at: i64,
    ) -> Result<Redemption, StoreError> {
        let dpop_jkt = dpop.map(|d| d.0);
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT subject_id, configuration_ids, tx_code_hash, tx_attempts FROM offers WHERE pre_auth_code_hash = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Redemption::InvalidCode);
        };
        let subject_id: String = row.try_get(0)?;
        let configuration_ids = parse_list(&row.try_get::<String, _>(1)?)?;
        let expected: Option<String> = row.try_get(2)?;
        let attempts: i64 = row.try_get(3)?;
        if let Some(asked) = asked {
            if asked.is_empty() || asked.iter().any(|a| !configuration_ids.contains(a)) {
                return Ok(Redemption::NotOffered);
            }
        }
        match (expected.as_deref(), tx_code) {
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => return Ok(Redemption::TxCodeMissingOrUnexpected),
            (Some(want), Some(got)) => {
                let got = crate::util::sha256_hex(got.as_bytes());
                if !crate::util::ct_eq(want.as_bytes(), got.as_bytes()) {
                    let attempts = attempts + 1;
                    let state = if attempts >= max_attempts {
                        OfferState::Locked
                    } else {
                        OfferState::Pending
                    };
                    sqlx::query(
                        "UPDATE offers SET tx_attempts = $1, state = $2 WHERE pre_auth_code_hash = $3 AND state = 'pending'",
                    )
                    .bind(attempts)
                    .bind(state.as_str())
                    .bind(code_hash)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Redemption::WrongTxCode {
                        remaining: (max_attempts - attempts).max(0),
                    });
                }
            }
        }
        if let Some((_, jti, exp)) = dpop {
            if !Self::insert_jti(&mut tx, jti, exp).await? {
                return Ok(Redemption::DpopReplay);
            }
        }
        let done = sqlx::query(
            "UPDATE offers SET state = 'redeemed' WHERE pre_auth_code_hash = $1 AND state = 'pending'",
        )
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(Redemption::InvalidCode);
        }
        let granted = asked.map(<[String]>::to_vec).unwrap_or(configuration_ids);
        Self::insert_token(
            &mut tx,
            token_hash,
            &subject_id,
            &granted,
            asked.is_some(),
            client_id,
            dpop_jkt,
            token_expires_at,
        )
        .await?;
        tx.commit().await?;
        let configuration_ids = granted;
        Ok(Redemption::Redeemed {
            subject_id,
            configuration_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{OfferState, Redemption};
    use crate::store::Store;
    use crate::util::sha256_hex;

    /// Stores a pending offer `id` of `pid_sd_jwt` whose pre-authorized code digest is
    /// `code` and whose transaction code is `1234`.
    async fn offer(store: &Store, id: &str, code: &str) {
        store
            .insert_offer(
                id,
                "s1",
                &["pid_sd_jwt".to_string()],
                Some(code),
                Some(&sha256_hex(b"1234")),
                Some(4),
                None,
                "{}",
                1_600,
                1_000,
            )
            .await
            .unwrap();
    }

    async fn redeem(store: &Store, code: &str, tx_code: &str, token: &str) -> Redemption {
        store
            .redeem_pre_authorized(
                code,
                Some(tx_code),
                2,
                1_000,
                token,
                None,
                None,
                None,
                1_060,
            )
            .await
            .unwrap()
    }

    /// Wrong transaction codes are counted and lock the offer at the limit; the right one
    /// redeems it once and writes the token. The state column follows, as [`OfferState`].
    #[tokio::test]
    async fn pre_authorized_codes_redeem_once_and_lock_after_wrong_tx_codes() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        offer(&store, "o1", "code1").await;
        let state = |o: Option<super::OfferRow>| o.unwrap().state;
        assert_eq!(state(store.offer("o1").await.unwrap()), OfferState::Pending);
        assert_eq!(
            redeem(&store, "code1", "0000", "t1").await,
            Redemption::WrongTxCode { remaining: 1 }
        );
        assert_eq!(state(store.offer("o1").await.unwrap()), OfferState::Pending);
        assert_eq!(
            redeem(&store, "code1", "0000", "t1").await,
            Redemption::WrongTxCode { remaining: 0 }
        );
        assert_eq!(state(store.offer("o1").await.unwrap()), OfferState::Locked);
        assert_eq!(
            redeem(&store, "code1", "1234", "t1").await,
            Redemption::InvalidCode
        );

        offer(&store, "o2", "code2").await;
        assert!(store.offer_document("o2", 1_000).await.unwrap().is_some());
        assert_eq!(
            redeem(&store, "code2", "1234", "t2").await,
            Redemption::Redeemed {
                subject_id: "s1".into(),
                configuration_ids: vec!["pid_sd_jwt".into()],
            }
        );
        assert_eq!(
            state(store.offer("o2").await.unwrap()),
            OfferState::Redeemed
        );
        assert!(store.offer_document("o2", 1_000).await.unwrap().is_none());
        assert!(store.token("t2", 1_000).await.unwrap().is_some());
        assert_eq!(
            redeem(&store, "code2", "1234", "t3").await,
            Redemption::InvalidCode
        );
        store.close().await;
    }

    /// The stored values are those the SQL of this module compares against (`'pending'`,
    /// `'redeemed'`) and those earlier versions wrote: they must never change.
    #[test]
    fn offer_states_keep_their_stored_values() {
        for (state, text) in [
            (OfferState::Pending, "pending"),
            (OfferState::Redeemed, "redeemed"),
            (OfferState::Locked, "locked"),
        ] {
            assert_eq!(state.as_str(), text);
            assert_eq!(text.parse::<OfferState>().unwrap(), state);
        }
        assert!("Pending".parse::<OfferState>().is_err());
        assert!("".parse::<OfferState>().is_err());
    }
}
