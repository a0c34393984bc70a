//! The `settings` table: values every issuer process over one database shares. Today one:
//! the key that mints and checks `c_nonce` values.

use sqlx::{AnyPool, Row};

use super::{Store, StoreError};
use crate::proofs::nonce::NonceKey;

/// The settings row holding the `c_nonce` MAC key (hex).
const NONCE_KEY_SETTING: &str = "c_nonce_key";

impl Store {
    /// The `c_nonce` key every process over this database shares: the first process to ask
    /// creates it (a concurrent creation loses the primary-key race and reads the winner's).
    pub(super) async fn load_nonce_key(pool: &AnyPool) -> Result<NonceKey, StoreError> {
        let fresh: String = credentials::keys::provider::random_bytes::<32>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(NONCE_KEY_SETTING)
            .bind(fresh)
            .execute(pool)
            .await?;
        let hex: String = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(NONCE_KEY_SETTING)
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        Ok(NonceKey::from_bytes(parse_key(&hex)?))
    }
}

/// The 32 bytes of a key stored as 64 hex digits.
fn parse_key(hex: &str) -> Result<[u8; 32], StoreError> {
    let mut key = [0u8; 32];
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(StoreError::Corrupt("c_nonce_key"));
    }
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| StoreError::Corrupt("c_nonce_key"))?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::parse_key;

    #[test]
    fn a_stored_key_parses_and_a_damaged_one_does_not() {
        let hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
        let key = parse_key(&hex).unwrap();
        assert_eq!(key[0], 0);
        assert_eq!(key[31], 31);
        assert!(parse_key(&hex[..62]).is_err());
        assert!(parse_key(&format!("{}zz", &hex[..62])).is_err());
        assert!(parse_key(&format!("{}é", &hex[..62])).is_err());
    }
}
