//! A running registry: the store, the log held in memory, and the keys, behind one lock
//! per process (the database lock orders processes).

use std::path::Path;
use std::sync::Arc;

use credentials::jose::sign_compact;
use credentials::keys::Signer;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};
use tokio::sync::{Mutex, MutexGuard};

use crate::keys::{KeyStoreError, RegistryKeys};
use crate::store::{Receipt, Store, StoreError, StoredSnapshot};
use trust_framework::admission::{self, Refusal, WritePolicy};
use trust_framework::events::{Actor, ActorRole, Event, EventKind};
use trust_framework::genesis;
use trust_framework::log::{Log, LogError};
use trust_framework::model::AnchorKey;
use trust_framework::note::NoteKey;
use trust_framework::register::{EntryState, RegisterError};
use trust_framework::snapshot::{self, hashes_to_b64, ConsistencyFrom, SnapshotPayload};

/// The JWS `typ` of the VICAL-style list of IACA roots.
pub const VICAL_TYP: &str = "vouch-vical+jwt";

/// Why the registry failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Keys.
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
    /// The database holds a log with another origin.
    #[error("the database holds log \"{found}\", not \"{expected}\"")]
    WrongOrigin {
        /// Configured.
        expected: String,
        /// Found.
        found: String,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The server did not admit the event (its time or names).
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl ServiceError {
    /// The register error inside, if the event was refused.
    pub fn register_error(&self) -> Option<&RegisterError> {
        match self {
            ServiceError::Store(StoreError::Log(LogError::Register { source, .. })) => Some(source),
            _ => None,
        }
    }
}

/// Settings of a registry process.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The log's origin (and log key name).
    pub origin: String,
    /// How long a snapshot is valid.
    pub snapshot_validity: Duration,
    /// What the server admits of a writer's event ([`trust_framework::admission`]).
    pub write_policy: WritePolicy,
}

/// A registry process.
pub struct Registry {
    /// The database.
    pub store: Store,
    log: Mutex<Log>,
    keys: Mutex<RegistryKeys>,
    snapshot_key: Arc<dyn Signer>,
    /// Settings.
    pub settings: Settings,
    /// Witness cosignature lines gathered for checkpoints, by tree size.
    cosignatures: std::sync::Mutex<std::collections::BTreeMap<u64, String>>,
    /// The VICAL signing key and its certificate.
    vical_signer: (Arc<dyn Signer>, credentials::x509::Certificate),
    /// The registrar of relying parties' registration certificates.
    registrar: crate::keys::Registrar,
    /// Where the registry is reached (the status list URI in registration certificates).
    public_url: std::sync::OnceLock<String>,
}

impl Registry {
    /// Opens the database and keys, writing the genesis entry if the log is empty.
    pub async fn open(
        database_url: &str,
        data_dir: &Path,
        settings: Settings,
    ) -> Result<Self, ServiceError> {
        let store = Store::connect(database_url).await?;
        let keys = RegistryKeys::open(data_dir)?;
        let mut log = store.load().await?;
        if log.is_empty() {
            let first = keys.log_keys[0].clone();
            let g = genesis::genesis(&settings.origin, first.as_ref(), OffsetDateTime::now_utc())
                .map_err(|e| ServiceError::Signing(e.to_string()))?;
            match store.append(&mut log, g, &keys.log_keys).await {
                Ok(_) => {}
                // Another process wrote the genesis first; we caught up inside the lock.
                Err(StoreError::Log(LogError::Register {
                    source: RegisterError::Genesis,
                    ..
                })) if !log.is_empty() => {}
                Err(e) => return Err(e.into()),
            }
        }
        if log.register().origin != settings.origin {
            return Err(ServiceError::WrongOrigin {
                expected: settings.origin,
                found: log.register().origin.clone(),
            });
        }
        let snapshot_key = keys.snapshot_key.clone();
        let vical_signer = crate::keys::vical_signer(data_dir, &settings.origin)?;
        let registrar = crate::keys::registrar(data_dir, &settings.origin)?;
        Ok(Registry {
            store,
            log: Mutex::new(log),
            keys: Mutex::new(keys),
            snapshot_key,
            settings,
            cosignatures: Default::default(),
            vical_signer,
            registrar,
            public_url: Default::default(),
        })
    }

    /// Sets the URL the registry is reached at (once): registration certificates then
    /// carry a status list entry there.
    pub fn set_public_url(&self, url: &str) {
        let _ = self.public_url.set(url.trim_end_matches('/').to_string());
    }

    /// The registrar CA (PEM) that relying parties' registration certificates chain to.
    pub fn registrar_ca(&self) -> &credentials::x509::Certificate {
        &self.registrar.ca
    }

    fn registration_status_uri(&self) -> Option<String> {
        self.public_url
            .get()
            .map(|u| format!("{u}/registrar/status"))
    }

    /// The registration certificate (`rc-wrp+jwt`) of relying party `id` as the register
    /// holds it now; `None` for an unknown or removed relying party.
    pub async fn registration_certificate(&self, id: &str) -> Result<Option<String>, ServiceError> {
        use trust_framework::registration_certificate::RegistrationCertificate;
        let log = self.log().await?;
        let uri = self.registration_status_uri();
        let Some(rc) = RegistrationCertificate::of(
            log.register(),
            id,
            &self.settings.origin,
            uri.as_deref(),
            OffsetDateTime::now_utc(),
        ) else {
            return Ok(None);
        };
        rc.sign(
            self.registrar.signer.as_ref(),
            std::slice::from_ref(&self.registrar.certificate),
        )
        .map(Some)
        .map_err(|e| ServiceError::Signing(e.to_string()))
    }

    /// The registrar's Token Status List (JWT, `x5c` to the registrar CA) of registration
    /// certificates: one bit per relying party in order of registration, set when removed.
    pub async fn registration_status(&self) -> Result<String, ServiceError> {
        use credentials::status::{StatusList, StatusListToken, INVALID};
        let log = self.log().await?;
        let register = log.register();
        let rps = trust_framework::registration_certificate::in_status_order(register);
        let size = (rps.len() as u64).max(16).next_power_of_two();
        let mut list =
            StatusList::new(1, size).map_err(|e| ServiceError::Signing(e.to_string()))?;
        for (i, (_, r)) in rps.iter().enumerate() {
            if r.removed_at.is_some() {
                list.set(i as u64, INVALID)
                    .map_err(|e| ServiceError::Signing(e.to_string()))?;
            }
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        StatusListToken {
            sub: self.registration_status_uri().unwrap_or_default(),
            iat: now,
            exp: Some(now + 86_400),
            ttl: Some(300),
            list,
        }
        .sign_jwt_with_x5c(
            self.registrar.signer.as_ref(),
            std::slice::from_ref(&self.registrar.certificate),
        )
        .map_err(|e| ServiceError::Signing(e.to_string()))
    }

    /// The log, brought up to date with the database.
    pub async fn log(&self) -> Result<MutexGuard<'_, Log>, ServiceError> {
        let mut log = self.log.lock().await;
        self.store.sync(&mut log).await?;
        Ok(log)
    }

    /// Appends an event.
    ///
    /// The event is first admitted against the log and the server's clock
    /// ([`trust_framework::admission::admit`]), then stamped with `logged_at`.
    pub async fn append(&self, mut event: Event) -> Result<Receipt, ServiceError> {
        let mut log = self.log.lock().await;
        self.store.sync(&mut log).await?;
        let now = OffsetDateTime::now_utc();
        admission::admit(&log, &event, now, &self.settings.write_policy)?;
        event.logged_at = Some(now.replace_nanosecond(0).unwrap_or(now));
        let mut keys = self.keys.lock().await;
        match self
            .store
            .append(&mut log, event.clone(), &keys.log_keys)
            .await
        {
            Err(StoreError::LogKeyUnavailable(_)) => {
                // Another process rotated the key: its file is in the shared data directory.
                keys.reload_log_keys()?;
                Ok(self.store.append(&mut log, event, &keys.log_keys).await?)
            }
            other => Ok(other?),
        }
    }

    /// Rotates the log key: a new key file, and a `log.key_rotated` event endorsed by the old key.
    pub async fn rotate_log_key(&self) -> Result<Receipt, ServiceError> {
        let mut log = self.log.lock().await;
        self.store.sync(&mut log).await?;
        let mut keys = self.keys.lock().await;
        let old = crate::store::signer_in_force(&log, &keys.log_keys)?.clone();
        let new = keys.new_log_key()?;
        let event = genesis::rotation(
            &self.settings.origin,
            old.as_ref(),
            new.as_ref(),
            OffsetDateTime::now_utc(),
        )
        .map_err(|e| ServiceError::Signing(e.to_string()))?;
        Ok(self.store.append(&mut log, event, &keys.log_keys).await?)
    }

    /// The note verifier key of the genesis log key (what clients pin).
    pub async fn genesis_vkey(&self) -> Result<String, ServiceError> {
        let log = self.log().await?;
        Ok(log
            .register()
            .log_keys
            .first()
            .map(|k| k.vkey.clone())
            .unwrap_or_default())
    }

    /// The snapshot public key as a JWK.
    pub fn snapshot_jwk(&self) -> Value {
        self.snapshot_key.public_key().to_jwk().to_value()
    }

    /// The latest signed checkpoint, with the witness cosignatures gathered for it.
    pub async fn checkpoint(&self) -> Result<String, ServiceError> {
        let size = self.log().await?.len();
        let note = self
            .store
            .checkpoint(size)
            .await?
            .ok_or(ServiceError::Store(StoreError::MissingCheckpoint(size)))?;
        let cosigned = self
            .cosignatures
            .lock()
            .map(|c| c.get(&size).cloned())
            .unwrap_or_default();
        Ok(format!("{note}{}", cosigned.unwrap_or_default()))
    }

    /// The IACA list as an ISO/IEC 18013-5 Annex C VICAL (`COSE_Sign1` bytes), its issue id
    /// the log size.
    pub async fn vical_cbor(&self) -> Result<Vec<u8>, ServiceError> {
        let now = OffsetDateTime::now_utc();
        let log = self.log().await?;
        crate::vical::vical(
            log.register(),
            &self.settings.origin,
            log.len(),
            now,
            now + self.settings.snapshot_validity,
            self.vical_signer.0.as_ref(),
            &self.vical_signer.1,
        )
        .map_err(ServiceError::Signing)
    }

    /// The VICAL signing certificate (PEM), for those who trust the register's VICAL.
    pub fn vical_certificate(&self) -> String {
        self.vical_signer.1.to_pem()
    }

    /// Submits the current checkpoint to `witnesses` (each with the consistency proof from
    /// what it last cosigned) and keeps the cosignatures gathered; how many cosigned.
    pub async fn witness_round(
        &self,
        http: &crate::http::client::Client,
        witnesses: &mut [crate::witness::submit::WitnessEndpoint],
    ) -> Result<usize, ServiceError> {
        let log = self.log().await?;
        let size = log.len();
        if self
            .cosignatures
            .lock()
            .map(|c| {
                c.get(&size)
                    .is_some_and(|l| l.lines().count() >= witnesses.len())
            })
            .unwrap_or(false)
        {
            return Ok(witnesses.len());
        }
        let note = self
            .store
            .checkpoint(size)
            .await?
            .ok_or(ServiceError::Store(StoreError::MissingCheckpoint(size)))?;
        let mut lines = String::new();
        let mut got = 0;
        for w in witnesses.iter_mut() {
            match crate::witness::submit::submit(http, w, &log, &note).await {
                Ok(line) => {
                    lines.push_str(&line);
                    got += 1;
                }
                Err(e) => tracing::warn!(witness = %w.url, error = %e, "a witness did not cosign"),
            }
        }
        if let Ok(mut c) = self.cosignatures.lock() {
            // Only the latest size's are served; older ones go.
            c.retain(|s, _| *s >= size);
            c.insert(size, lines);
        }
        Ok(got)
    }

    /// The current snapshot: the latest stored one if it covers the whole log and is fresh
    /// for at least half its validity, otherwise a new one with the next sequence.
    pub async fn snapshot(&self) -> Result<StoredSnapshot, ServiceError> {
        let now = OffsetDateTime::now_utc();
        let size = self.log().await?.len();
        if let Some(s) = self.store.latest_snapshot().await? {
            let issued_recently = snapshot_issued_at(&s.jws)
                .is_some_and(|t| now - t < self.settings.snapshot_validity / 2);
            if s.tree_size == size && issued_recently {
                return Ok(s);
            }
        }
        let mut log = self.log.lock().await;
        let validity = self.settings.snapshot_validity;
        let signer = self.snapshot_key.clone();
        let registrar_roots = vec![credentials::b64::encode(self.registrar.ca.der())];
        let published = self
            .store
            .publish_snapshot(&mut log, move |log, prev, sequence, checkpoint| {
                let consistency = prev
                    .filter(|p| p.tree_size > 0 && p.tree_size <= log.len())
                    .map(|p| ConsistencyFrom {
                        size: p.tree_size,
                        proof: hashes_to_b64(
                            &log.consistency_proof(p.tree_size, log.len())
                                .unwrap_or_default(),
                        ),
                    });
                let payload = SnapshotPayload {
                    registrar_roots: registrar_roots.clone(),
                    register: log.register().clone(),
                    checkpoint,
                    sequence,
                    issued_at: now,
                    next_update: now + validity,
                    consistency,
                };
                snapshot::sign(&payload, signer.as_ref())
                    .map_err(|e| StoreError::Signing(e.to_string()))
            })
            .await?;
        Ok(published)
    }

    /// A VICAL-style signed list (JWS, typ [`VICAL_TYP`]) of the IACA roots of services
    /// registered now, with the docTypes each may issue.
    pub async fn vical(&self) -> Result<String, ServiceError> {
        let now = OffsetDateTime::now_utc();
        let log = self.log().await?;
        let mut infos = Vec::new();
        for e in log.register().entries.values() {
            if e.state_at(now)
                .is_none_or(|s| s.state != EntryState::Registered)
            {
                continue;
            }
            for a in &e.anchors {
                if let AnchorKey::Iaca { certificate } = &a.anchor.key {
                    if a.retired_at.is_some() || a.not_trusted_after.is_some() {
                        continue;
                    }
                    infos.push(json!({
                        "certificate": certificate,
                        "entry_id": e.entry_id,
                        "anchor_id": a.anchor.anchor_id,
                        "issuing_authority": e.provider.legal_name,
                        "doc_types": e.service.credential_types,
                    }));
                }
            }
        }
        let payload = json!({
            "vical_provider": self.settings.origin,
            "vical_issue_id": log.len(),
            "date": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "next_update": (now + self.settings.snapshot_validity).format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "certificate_infos": infos,
        });
        let mut header = Map::new();
        header.insert("typ".into(), json!(VICAL_TYP));
        sign_compact(
            &header,
            payload.to_string().as_bytes(),
            self.snapshot_key.as_ref(),
        )
        .map_err(|e| ServiceError::Signing(e.to_string()))
    }

    /// The actor of the log operator.
    pub fn log_actor(&self) -> Actor {
        Actor {
            role: ActorRole::LogOperator,
            id: self.settings.origin.clone(),
        }
    }

    /// Parses a verifier key of this log (for clients and tests).
    pub fn note_key(&self, vkey: &str) -> Option<NoteKey> {
        NoteKey::from_vkey(vkey).ok()
    }
}

fn snapshot_issued_at(jws: &str) -> Option<OffsetDateTime> {
    let parsed = credentials::jose::CompactJws::parse(jws).ok()?;
    let v: Value = serde_json::from_slice(parsed.payload()).ok()?;
    OffsetDateTime::parse(
        v.get("issued_at")?.as_str()?,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()
}

/// Whether an event type may be written by a certifying body (certificate states only).
pub fn cab_may_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::CertificateSuspended(_)
            | EventKind::CertificateReinstated(_)
            | EventKind::CertificateWithdrawn(_)
            | EventKind::CertificateExpired(_)
    )
}
