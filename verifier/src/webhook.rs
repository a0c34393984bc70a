//! Completion webhooks for the employer's HR systems: when a check completes, a signed
//! notice is POSTed to the organisation's configured URL through the same hardened outbound
//! fetcher as every other request (public HTTPS only, or the deployment's allowed origins;
//! no redirects; timeouts).
//!
//! The notice is a compact JWS (`typ` `vouch-webhook+jwt`) by the verifier's record key,
//! whose public JWK is in every record's header: the HR system checks it with the key it
//! already trusts for records. It carries ids and the outcome only, never personal data;
//! the HR system reads the record itself with the organisation's API key. A failed delivery
//! is retried three times (after 1, 4 and 16 seconds) and then logged, never blocking the
//! employer's page.

use std::sync::Arc;
use std::time::Duration;

use credentials::jose::sign_compact;
use credentials::keys::Signer;
use serde_json::{Map, Value};

/// The `typ` of a webhook notice.
pub const WEBHOOK_TYP: &str = "vouch-webhook+jwt";

/// Where completion notices go.
pub struct Webhook {
    url: String,
    fetcher: vouch_fetch::Fetcher,
}

impl Webhook {
    /// Notices to `url`, through a fetcher under `policy`.
    pub fn new(url: String, policy: vouch_fetch::FetchPolicy) -> Self {
        Webhook {
            url,
            fetcher: vouch_fetch::Fetcher::new(policy),
        }
    }

    /// The signed notice of `claims`.
    pub fn sign(claims: &Value, key: &dyn Signer) -> Result<String, String> {
        let mut header = Map::new();
        header.insert("typ".into(), WEBHOOK_TYP.into());
        if let Some(kid) = key.key_id() {
            header.insert("kid".into(), kid.into());
        }
        let body = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
        sign_compact(&header, &body, key).map_err(|e| e.to_string())
    }

    /// Delivers one notice (one attempt); whether the receiver answered 2xx.
    pub async fn deliver(&self, jws: &str) -> bool {
        let Ok(req) = self.fetcher.request(reqwest::Method::POST, &self.url) else {
            return false;
        };
        match req
            .header("content-type", "application/jose")
            .body(jws.to_string())
            .send()
            .await
        {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    }

    /// Signs `claims` and delivers them in the background, retrying.
    pub fn spawn_notice(self: &Arc<Self>, claims: Value, key: Arc<dyn Signer>) {
        let hook = self.clone();
        tokio::spawn(async move {
            let jws = match Self::sign(&claims, key.as_ref()) {
                Ok(j) => j,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook notice not signed");
                    return;
                }
            };
            for (attempt, wait) in [0u64, 1, 4, 16].into_iter().enumerate() {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                if hook.deliver(&jws).await {
                    tracing::info!(attempt = attempt + 1, "webhook notice delivered");
                    return;
                }
            }
            tracing::warn!("webhook notice not delivered after 4 attempts");
        });
    }
}
