//! The relying party's registration certificates (ETSI TS 119 475 `rc-wrp+jwt`), issued
//! by the register as registrar and sent to wallets in each request's `verifier_info`, so
//! a wallet learns who asks, for which purposes and which claims, from a certificate it
//! checks offline rather than from a copy of every relying party in its snapshot.
//!
//! They are fetched from the register for each client id the verifier signs requests as
//! (the deployment's and each organisation's own), at start and then with every snapshot
//! refresh; a certificate fetched before is kept while the register cannot be reached and
//! dropped once it expires.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde_json::{json, Value};

/// The registration certificates held, by client id.
#[derive(Clone, Default)]
pub struct RegistrationCertificates(Arc<RwLock<HashMap<String, (String, i64)>>>);

/// The `exp` of a JWT, unverified (the register is the source; wallets verify).
fn expiry(jwt: &str) -> Option<i64> {
    credentials::jose::CompactJws::parse(jwt)
        .ok()?
        .claims()
        .ok()?
        .get("exp")
        .and_then(Value::as_i64)
}

impl RegistrationCertificates {
    /// The certificate of `client_id`, unexpired at `now`.
    pub fn get(&self, client_id: &str, now: i64) -> Option<String> {
        self.0
            .read()
            .expect("registration certificates lock")
            .get(client_id)
            .filter(|(_, exp)| *exp > now)
            .map(|(rc, _)| rc.clone())
    }

    /// Keeps `rc` as the certificate of `client_id`.
    pub fn set(&self, client_id: &str, rc: &str) {
        if let Some(exp) = expiry(rc) {
            self.0
                .write()
                .expect("registration certificates lock")
                .insert(client_id.to_string(), (rc.to_string(), exp));
        }
    }

    /// The `verifier_info` of a request signed as `client_id`: its registration
    /// certificate, when one is held.
    pub fn verifier_info(&self, client_id: &str, now: i64) -> Vec<Value> {
        self.get(client_id, now)
            .map(|rc| vec![json!({"format": "jwt", "data": rc})])
            .unwrap_or_default()
    }

    /// Fetches the certificate of each of `client_ids` from the register at
    /// `registry_url`; returns how many were fetched. A failure keeps what was held.
    pub async fn fetch(
        &self,
        client: &reqwest::Client,
        registry_url: &str,
        client_ids: &[String],
    ) -> usize {
        let mut got = 0;
        for id in client_ids {
            let Ok(mut url) = url::Url::parse(registry_url) else {
                return 0;
            };
            if let Ok(mut segments) = url.path_segments_mut() {
                segments
                    .pop_if_empty()
                    .extend(["relying-parties", id, "registration-certificate"]);
            }
            let answer = client.get(url).send().await;
            match answer {
                Ok(r) if r.status().is_success() => match r.text().await {
                    Ok(rc) if expiry(&rc).is_some() => {
                        self.set(id, rc.trim());
                        got += 1;
                    }
                    _ => tracing::warn!("the register's registration certificate is unreadable"),
                },
                Ok(r) => tracing::warn!(
                    status = r.status().as_u16(),
                    "the register gave no registration certificate for a client id of this verifier"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "registration certificate: register unreachable")
                }
            }
        }
        got
    }

    /// Fetches now, then every `every`, until the task is dropped.
    pub fn spawn(
        self,
        client: reqwest::Client,
        registry_url: String,
        client_ids: Vec<String>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.fetch(&client, &registry_url, &client_ids).await;
            }
        })
    }
}
