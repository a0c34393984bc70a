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

/// A claim of a JWT, unverified (the register is the source; wallets verify).
fn claim(jwt: &str, name: &str) -> Option<Value> {
    credentials::jose::CompactJws::parse(jwt)
        .ok()?
        .claims()
        .ok()?
        .get(name)
        .cloned()
}

fn expiry(jwt: &str) -> Option<i64> {
    claim(jwt, "exp").and_then(|v| v.as_i64())
}

/// One client id this verifier signs requests as, and the organisation its certificate
/// names (`O=`): wallets refuse a registration certificate naming another.
#[derive(Clone, Debug)]
pub struct SignsAs {
    /// The client id.
    pub client_id: String,
    /// The request-signing certificate's organisation.
    pub organisation: Option<String>,
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
        signs_as: &[SignsAs],
    ) -> usize {
        let mut got = 0;
        for SignsAs {
            client_id: id,
            organisation,
        } in signs_as
        {
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
                        let named = claim(&rc, "name");
                        let named = named.as_ref().and_then(Value::as_str);
                        if named != organisation.as_deref() {
                            tracing::warn!(
                                registered = named.unwrap_or_default(),
                                certificate = organisation.as_deref().unwrap_or_default(),
                                "the register's registration certificate names another organisation than this verifier's request-signing certificate: wallets will refuse its requests (set --organisation-name to the registered name)"
                            );
                        }
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
        signs_as: Vec<SignsAs>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.fetch(&client, &registry_url, &signs_as).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credentials::keys::{Algorithm, SoftwareSigner};

    fn jwt(exp: i64) -> String {
        let key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
        let mut h = serde_json::Map::new();
        h.insert("typ".into(), "rc-wrp+jwt".into());
        credentials::jose::sign_compact(
            &h,
            json!({"sub": "x509_hash:abc", "name": "Acme", "exp": exp})
                .to_string()
                .as_bytes(),
            &key,
        )
        .unwrap()
    }

    #[test]
    fn a_held_certificate_goes_in_verifier_info_until_it_expires() {
        let held = RegistrationCertificates::default();
        assert!(held.verifier_info("x509_hash:abc", 1000).is_empty());
        let rc = jwt(2000);
        held.set("x509_hash:abc", &rc);
        assert_eq!(
            held.verifier_info("x509_hash:abc", 1000),
            vec![json!({"format": "jwt", "data": rc})]
        );
        assert!(held.verifier_info("x509_hash:other", 1000).is_empty());
        assert!(
            held.verifier_info("x509_hash:abc", 2000).is_empty(),
            "expired"
        );
        // Text that is not a JWT is never kept.
        held.set("x509_hash:def", "not a jwt");
        assert!(held.get("x509_hash:def", 0).is_none());
    }
}
