//! The wallet: one encrypted store, the device keys, the trust register and the pending
//! exchanges with issuers and verifiers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use credentials::keys::{Jwk, PublicKey, Signer};
use credentials::x509::Certificate;
use serde::{Deserialize, Serialize};
use trust_framework::register::Register;
use trust_framework::snapshot::SnapshotVerifier;

use crate::activity::ActivityEntry;
use crate::device_keys::{DeviceKeyRecord, DeviceKeys, SoftwareDeviceKeys};
use crate::error::{Error, Result};
use crate::keystore::KeyStore;
use crate::model::{Batch, StoredCredential};
use crate::store::{random_id, Listed, RecordKind, Store};

/// The database file name inside the wallet's data directory.
pub const DATABASE_FILE: &str = "wallet.sqlite";

/// What the wallet does when a verifier asks for more than it registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OverAskingPolicy {
    /// Refuse (the default): the request is answered with `access_denied`.
    Refuse,
    /// Show the over-asking to the person and let them decide.
    Ask,
}

/// Settings kept (sealed) in the store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Settings {
    /// PEM roots that verifier request-object certificates must chain to.
    pub verifier_roots_pem: Vec<String>,
    /// PEM roots for 18013-5 reader authentication.
    pub reader_roots_pem: Vec<String>,
    /// The last verified trust-register snapshot (JWS) and what verifies it.
    pub snapshot: Option<SnapshotSetting>,
    /// Refuse or ask on over-asking (None: refuse).
    pub over_asking: Option<OverAskingPolicy>,
    /// Refill a single-use batch when fewer than this many are left (None: 2).
    pub refill_below: Option<usize>,
    /// HAIP 1.0 mode: on redirect-based flows only signed requests from an `x509_hash` or
    /// `x509_san_dns` client, answered encrypted (`direct_post.jwt`).
    #[serde(default)]
    pub haip: bool,
}

/// A pinned snapshot: the JWS and the keys that verify it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotSetting {
    /// The snapshot JWS.
    pub jws: String,
    /// The snapshot signing key (public JWK).
    pub snapshot_key: serde_json::Value,
    /// The log's note verifier key.
    pub log_vkey: String,
}

const SETTINGS_ID: &str = "settings";

/// Seconds since the epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The holder's wallet.
pub struct Wallet {
    pub(crate) store: Store,
    pub(crate) device_keys: Arc<dyn DeviceKeys>,
    /// Every network request goes out through this (see [`Wallet::set_fetch_policy`]).
    net: std::sync::RwLock<vouch_fetch::Fetcher>,
    pub(crate) settings: Mutex<Settings>,
    pub(crate) register: Mutex<Option<Register>>,
    /// The registrar roots the snapshot names (relying parties' registration certificates).
    pub(crate) registrar_roots: Mutex<Vec<Certificate>>,
    pub(crate) pending: Mutex<HashMap<String, crate::present::Pending>>,
    pub(crate) pending_auth: Mutex<HashMap<String, crate::issuance::AuthSession>>,
}

impl Wallet {
    /// Opens (or creates) the wallet in `dir`, with software device keys.
    pub async fn open(dir: &Path, keys: &dyn KeyStore) -> Result<Self> {
        Self::open_with(dir, keys, Arc::new(SoftwareDeviceKeys)).await
    }

    /// Opens the wallet with platform device keys (hardware-backed in an app).
    pub async fn open_with(
        dir: &Path,
        keys: &dyn KeyStore,
        device_keys: Arc<dyn DeviceKeys>,
    ) -> Result<Self> {
        vouch_ops::files::private_dir(dir)
            .map_err(|e| Error::KeyStore(format!("data dir: {e}")))?;
        let store = Store::open(&dir.join(DATABASE_FILE), keys).await?;
        let settings = match store
            .get::<Settings>(RecordKind::Setting, SETTINGS_ID)
            .await
        {
            Ok(s) => s,
            Err(Error::NotFound { .. }) => Settings::default(),
            Err(e) => return Err(e),
        };
        let net = std::sync::RwLock::new(vouch_fetch::Fetcher::new(Self::policy(
            vouch_fetch::FetchPolicy::from_env(),
        )));
        let wallet = Wallet {
            store,
            device_keys,
            net,
            settings: Mutex::new(settings),
            register: Mutex::new(None),
            registrar_roots: Mutex::new(Vec::new()),
            pending: Mutex::new(HashMap::new()),
            pending_auth: Mutex::new(HashMap::new()),
        };
        wallet.load_register()?;
        Ok(wallet)
    }

    /// The wallet's limits on a fetch policy: a 30 s whole-exchange timeout (the bodies are
    /// capped by what each exchange reads).
    fn policy(p: vouch_fetch::FetchPolicy) -> vouch_fetch::FetchPolicy {
        vouch_fetch::FetchPolicy {
            timeout: std::time::Duration::from_secs(30),
            ..p
        }
    }

    /// Replaces the policy the wallet's network requests go out under. By default
    /// ([`vouch_fetch::FetchPolicy::from_env`]) it sends to public HTTPS addresses only, so
    /// an offer, request or metadata URL from a QR code cannot reach the person's local
    /// network; a deployment (or `vouch up`) allows its own origins.
    pub fn set_fetch_policy(&self, policy: vouch_fetch::FetchPolicy) {
        *self.net.write().expect("fetch policy lock") =
            vouch_fetch::Fetcher::new(Self::policy(policy));
    }

    /// A request to `url`, if the fetch policy allows it (`fetch_not_allowed` otherwise).
    pub(crate) fn http(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder> {
        self.net
            .read()
            .expect("fetch policy lock")
            .request(method, url)
            .map_err(|e| Error::Http(format!("{url}: {e} ({})", e.code())))
    }

    /// `GET url` under the fetch policy.
    pub(crate) fn http_get(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.http(reqwest::Method::GET, url)
    }

    /// `POST url` under the fetch policy.
    pub(crate) fn http_post(&self, url: &str) -> Result<reqwest::RequestBuilder> {
        self.http(reqwest::Method::POST, url)
    }

    /// Fetches the registry's current snapshot from `registry_url` (`GET /snapshot`, under the
    /// fetch policy, at most 8 MiB) and pins it, verified with the pinned `snapshot_key` and
    /// genesis log key `log_vkey` ([`Wallet::set_snapshot`]).
    pub async fn refresh_register(
        &self,
        registry_url: &str,
        snapshot_key: &credentials::keys::Jwk,
        log_vkey: &str,
    ) -> Result<()> {
        let url = format!("{}/snapshot", registry_url.trim_end_matches('/'));
        let resp = self.http_get(&url)?.send().await.map_err(Error::http)?;
        if !resp.status().is_success() {
            return Err(Error::Snapshot(format!("{url}: HTTP {}", resp.status())));
        }
        let body = crate::oauth::read_capped(resp, 8 * 1024 * 1024).await?;
        let jws = String::from_utf8(body)
            .map_err(|_| Error::Snapshot(format!("{url}: the snapshot is not text")))?;
        self.set_snapshot(&jws, snapshot_key, log_vkey).await
    }

    /// Closes the store.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Turns HAIP 1.0 mode on or off (see [`Settings::haip`]).
    pub async fn set_haip(&self, on: bool) -> Result<()> {
        let mut s = self.settings();
        s.haip = on;
        self.save_settings(s).await
    }

    /// Replaces the settings.
    pub async fn save_settings(&self, settings: Settings) -> Result<()> {
        self.store
            .put(RecordKind::Setting, SETTINGS_ID, None, &settings)
            .await?;
        *self.settings.lock().expect("settings lock") = settings;
        self.load_register()
    }

    /// Trusts `pem` (one or more certificates) as roots for verifier request objects.
    pub async fn add_verifier_root(&self, pem: &str) -> Result<()> {
        Certificate::from_pem_chain(pem)
            .map_err(|e| Error::Snapshot(format!("verifier root: {e}")))?;
        let mut s = self.settings();
        s.verifier_roots_pem.push(pem.to_string());
        self.save_settings(s).await
    }

    /// Trusts `pem` as roots for 18013-5 reader authentication.
    pub async fn add_reader_root(&self, pem: &str) -> Result<()> {
        Certificate::from_pem_chain(pem)
            .map_err(|e| Error::Snapshot(format!("reader root: {e}")))?;
        let mut s = self.settings();
        s.reader_roots_pem.push(pem.to_string());
        self.save_settings(s).await
    }

    /// Verifies and pins a trust-register snapshot (refusing one older than the pinned one).
    pub async fn set_snapshot(&self, jws: &str, snapshot_key: &Jwk, log_vkey: &str) -> Result<()> {
        let new = verify_snapshot(jws, snapshot_key, log_vkey)?;
        let mut s = self.settings();
        if let Some(old) = &s.snapshot {
            let old_key = Jwk::from_value(&old.snapshot_key)?;
            if let Ok(old) = verify_snapshot(&old.jws, &old_key, &old.log_vkey) {
                let mut seen = trust_framework::snapshot::SnapshotStore::default();
                seen.accept(&old, None)
                    .map_err(|e| Error::Snapshot(e.to_string()))?;
                seen.accept(&new, None)
                    .map_err(|e| Error::Snapshot(e.to_string()))?;
            }
        }
        s.snapshot = Some(SnapshotSetting {
            jws: jws.trim().to_string(),
            snapshot_key: snapshot_key.to_public().to_value(),
            log_vkey: log_vkey.trim().to_string(),
        });
        self.save_settings(s).await
    }

    /// Uses `register` directly (tests, or an app that verified a snapshot itself).
    pub fn use_register(&self, register: Register) {
        *self.register.lock().expect("register lock") = Some(register);
    }

    /// Trusts these registrar roots for registration certificates (as a snapshot naming
    /// them does).
    pub fn use_registrar_roots(&self, roots: Vec<Certificate>) {
        *self.registrar_roots.lock().expect("registrar lock") = roots;
    }

    fn load_register(&self) -> Result<()> {
        let s = self.settings();
        if let Some(snap) = &s.snapshot {
            let key = Jwk::from_value(&snap.snapshot_key)?;
            // Offline use: an expired snapshot still names who registered what; the
            // consent screen says how old it is.
            let verified = verify_snapshot_archived(&snap.jws, &key, &snap.log_vkey)?;
            *self.registrar_roots.lock().expect("registrar lock") = verified
                .payload
                .registrar_roots
                .iter()
                .filter_map(|r| credentials::b64::decode(r))
                .filter_map(|d| Certificate::from_der(&d).ok())
                .collect();
            *self.register.lock().expect("register lock") = Some(verified.payload.register);
        }
        Ok(())
    }

    pub(crate) fn verifier_roots(&self) -> Vec<Certificate> {
        roots(&self.settings().verifier_roots_pem)
    }

    /// The trusted 18013-5 reader roots (for the app's proximity session).
    pub fn reader_roots(&self) -> Vec<Certificate> {
        roots(&self.settings().reader_roots_pem)
    }

    /// Creates a device key; returns its id and public key.
    pub(crate) async fn new_device_key(&self) -> Result<(String, PublicKey)> {
        let (handle, public) = self.device_keys.create()?;
        let id = random_id();
        let rec = DeviceKeyRecord {
            handle: credentials::b64::encode(handle.as_slice()),
            public: public.to_jwk().to_value(),
        };
        self.store
            .put(RecordKind::DeviceKey, &id, None, &rec)
            .await?;
        Ok((id, public))
    }

    /// The signer of a stored device key.
    pub(crate) async fn device_signer(&self, id: &str) -> Result<Arc<dyn Signer>> {
        let rec: DeviceKeyRecord = self.store.get(RecordKind::DeviceKey, id).await?;
        let handle = zeroize::Zeroizing::new(
            credentials::b64::decode(&rec.handle)
                .ok_or_else(|| Error::RecordTampered(id.to_string()))?,
        );
        self.device_keys.signer(&handle)
    }

    /// Every stored credential with its used flag.
    pub async fn credentials(&self) -> Result<Vec<Listed<StoredCredential>>> {
        self.store.list(RecordKind::Credential).await
    }

    /// One credential.
    pub async fn credential(&self, id: &str) -> Result<StoredCredential> {
        self.store.get(RecordKind::Credential, id).await
    }

    /// Every batch.
    pub async fn batches(&self) -> Result<Vec<Listed<Batch>>> {
        self.store.list(RecordKind::Batch).await
    }

    /// Deletes a credential and its device key.
    pub async fn delete_credential(&self, id: &str) -> Result<()> {
        let c = self.credential(id).await?;
        self.store.delete(&c.device_key_id).await?;
        self.store.delete(id).await
    }

    /// The activity log, oldest first.
    pub async fn activity(&self) -> Result<Vec<ActivityEntry>> {
        Ok(self
            .store
            .list::<ActivityEntry>(RecordKind::Activity)
            .await?
            .into_iter()
            .map(|l| l.value)
            .collect())
    }

    pub(crate) async fn log(&self, entry: ActivityEntry) -> Result<()> {
        self.store
            .put(RecordKind::Activity, &random_id(), None, &entry)
            .await
    }
}

fn roots(pems: &[String]) -> Vec<Certificate> {
    pems.iter()
        .filter_map(|p| Certificate::from_pem_chain(p).ok())
        .flatten()
        .collect()
}

fn snapshot_verifier(key: &Jwk, log_vkey: &str) -> Result<SnapshotVerifier> {
    Ok(SnapshotVerifier {
        snapshot_key: key.public_key().clone(),
        log_key: trust_framework::note::NoteKey::from_vkey(log_vkey.trim())
            .map_err(|e| Error::Snapshot(format!("log key: {e}")))?,
    })
}

fn verify_snapshot(
    jws: &str,
    key: &Jwk,
    log_vkey: &str,
) -> Result<trust_framework::snapshot::Snapshot> {
    snapshot_verifier(key, log_vkey)?
        .verify(jws, time::OffsetDateTime::now_utc())
        .map_err(|e| Error::Snapshot(e.to_string()))
}

fn verify_snapshot_archived(
    jws: &str,
    key: &Jwk,
    log_vkey: &str,
) -> Result<trust_framework::snapshot::Snapshot> {
    snapshot_verifier(key, log_vkey)?
        .verify_archived(jws)
        .map_err(|e| Error::Snapshot(e.to_string()))
}
