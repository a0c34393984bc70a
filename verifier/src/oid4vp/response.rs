//! The wallet's response at the response endpoint: `direct_post` form parameters or a
//! `direct_post.jwt` encrypted response, checked against its transaction, the nonce
//! consumed once, and the outcome stored.

use credentials::jose::jwe::Enc;
use credentials::keys::Jwk;
use credentials::openid4vp::AuthorizationResponse;
use serde_json::{json, Map, Value};

use super::{random_id, Oid4vpError, ResponseAck, Service};

impl Service {
    /// Handles a wallet's response (form parameters of `direct_post` or `direct_post.jwt`).
    pub async fn respond(
        &self,
        id: &str,
        params: &Map<String, Value>,
    ) -> Result<ResponseAck, Oid4vpError> {
        let t = self
            .store
            .transaction(id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        let raw_body = Value::Object(params.clone()).to_string();
        let response = match (&t.enc_key, params.get("response").and_then(Value::as_str)) {
            (Some(k), Some(jwe)) => {
                let jwk = Jwk::from_json(k).map_err(|e| Oid4vpError::Server(e.to_string()))?;
                let sk = jwk
                    .secret_key()
                    .ok()
                    .flatten()
                    .ok_or_else(|| Oid4vpError::Server("transaction key".into()))?;
                AuthorizationResponse::decrypt(jwe, &sk, &[Enc::A128Gcm, Enc::A256Gcm])
                    .map_err(|e| Oid4vpError::InvalidRequest(e.to_string()))?
            }
            (Some(_), None) => {
                return Err(Oid4vpError::InvalidRequest(
                    "this transaction expects an encrypted response (direct_post.jwt)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(Oid4vpError::InvalidRequest(
                    "this transaction expects direct_post, not an encrypted response".into(),
                ))
            }
            (None, None) => AuthorizationResponse::from_params(params)
                .map_err(|e| Oid4vpError::InvalidRequest(e.to_string()))?,
        };
        if response.state.as_deref().is_some_and(|s| s != t.id) {
            return Err(Oid4vpError::InvalidRequest(
                "state does not match the transaction".into(),
            ));
        }
        let now = self.clock.now();
        if !self.store.claim(id, now.unix_timestamp()).await? {
            tracing::warn!(
                transaction = %vouch_ops::log::id_digest(id),
                "response refused: already answered or expired"
            );
            return Err(Oid4vpError::AlreadyAnswered);
        }
        let outcome = self.evaluate(&t, &response, now).await;
        tracing::info!(
            transaction = %vouch_ops::log::id_digest(id),
            passed = outcome.passed,
            "response verified"
        );
        let code = random_id();
        self.store
            .responded(
                id,
                &json!({"received": serde_json::from_str::<Value>(&raw_body).unwrap_or_default(), "response": response.to_json()}).to_string(),
                &serde_json::to_string(&outcome).expect("JSON"),
                &code,
                now.unix_timestamp(),
            )
            .await?;
        Ok(ResponseAck {
            redirect_uri: format!("{}/checks/{id}?response_code={code}", self.base_url),
        })
    }
}
