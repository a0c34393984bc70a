//! Trust data from the registry: a verified snapshot (signature, checkpoint, no rollback)
//! and the Merkle proofs that tie a provider's entry to its checkpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use credentials::keys::{Jwk, PublicKey};
use credentials::x509::Certificate;
use time::OffsetDateTime;
use trust_framework::log::{Log, LogError};
use trust_framework::merkle::Hash;
use trust_framework::register::Register;
use trust_framework::snapshot::{Snapshot, SnapshotError, SnapshotStore, SnapshotVerifier};

/// A verified snapshot and its raw JWS (kept in records).
#[derive(Clone, Debug)]
pub struct TrustData {
    /// The verified snapshot.
    pub snapshot: Snapshot,
    /// The JWS as received.
    pub jws: String,
}

impl TrustData {
    /// Verifies `jws` (signature and checkpoint; freshness is the policy's job).
    pub fn verify(verifier: &SnapshotVerifier, jws: &str) -> Result<Self, SnapshotError> {
        let snapshot = verifier.verify_archived(jws)?;
        Ok(TrustData {
            snapshot,
            jws: jws.trim().to_string(),
        })
    }

    /// The register.
    pub fn register(&self) -> &Register {
        self.snapshot.register()
    }

    /// Seconds since the snapshot was issued.
    pub fn age(&self, now: OffsetDateTime) -> i64 {
        (now - self.snapshot.payload.issued_at).whole_seconds()
    }

    /// Every x5c root any service registered (current and past: the decision says which holds).
    pub fn x5c_roots(&self) -> Vec<Certificate> {
        self.register().x5c_roots()
    }

    /// Every IACA root registered.
    pub fn iaca_roots(&self) -> Vec<Certificate> {
        self.register().iaca_roots()
    }

    /// The keys registered for issuer identifier `iss`.
    pub fn iss_keys(&self, iss: &str) -> Vec<Jwk> {
        self.register().iss_keys(iss)
    }
}

/// Picks the registered key for a credential's `kid` (a JWK `kid` or RFC 7638 thumbprint).
pub fn pick_key(keys: &[Jwk], kid: Option<&str>) -> Option<PublicKey> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|k| k.kid() == Some(kid) || k.thumbprint() == kid)
            .or_else(|| (keys.len() == 1).then(|| &keys[0]))
            .map(|k| k.public_key().clone()),
        None => keys.first().map(|k| k.public_key().clone()),
    }
}

/// The current trust data, replaceable as new snapshots arrive (never by an older one).
#[derive(Clone)]
pub struct TrustState {
    inner: Arc<RwLock<(TrustData, SnapshotStore)>>,
}

impl TrustState {
    /// Starts from a verified snapshot.
    pub fn new(data: TrustData) -> Result<Self, SnapshotError> {
        let mut store = SnapshotStore::default();
        store.accept(&data.snapshot, None)?;
        Ok(TrustState {
            inner: Arc::new(RwLock::new((data, store))),
        })
    }

    /// The DIDs the current register names, read at each use: what the verifier may
    /// resolve over the network (`did:web`); no other DID makes it fetch anything.
    pub fn did_scope(&self) -> crate::vc_api::DidScope {
        let state = self.clone();
        std::sync::Arc::new(move || state.current().register().dids())
    }

    /// The current data.
    pub fn current(&self) -> TrustData {
        self.inner.read().expect("trust lock").0.clone()
    }

    /// Replaces the data if the snapshot is not a rollback or a fork of what was seen.
    pub fn update(&self, data: TrustData) -> Result<(), SnapshotError> {
        self.update_with_proof(data, None)
    }

    /// [`TrustState::update`] with a consistency proof fetched from the log, for a snapshot
    /// that does not carry one from the size this verifier last saw.
    pub fn update_with_proof(
        &self,
        data: TrustData,
        proof: Option<&[Hash]>,
    ) -> Result<(), SnapshotError> {
        let mut g = self.inner.write().expect("trust lock");
        g.1.accept(&data.snapshot, proof)?;
        g.0 = data;
        Ok(())
    }
}

/// Seconds since the current snapshot was issued.
pub const SNAPSHOT_AGE: &str = "vouch_verifier_trust_snapshot_age_seconds";
/// The current snapshot's sequence number.
pub const SNAPSHOT_SEQUENCE: &str = "vouch_verifier_trust_snapshot_sequence";
/// Snapshot refresh attempts by result (`updated`, `unchanged`, `rejected`, `unreachable`).
pub const SNAPSHOT_REFRESHES: &str = "vouch_verifier_trust_snapshot_refreshes_total";

/// Describes the trust metrics (their `# HELP` lines).
pub fn describe_metrics() {
    vouch_ops::metrics::describe_gauge!(
        SNAPSHOT_AGE,
        "Seconds since the trust snapshot in use was issued by the register."
    );
    vouch_ops::metrics::describe_gauge!(
        SNAPSHOT_SEQUENCE,
        "Sequence number of the trust snapshot in use."
    );
    vouch_ops::metrics::describe_counter!(
        SNAPSHOT_REFRESHES,
        "Trust snapshot refreshes from the register, by result."
    );
}

/// Sets the snapshot age and sequence gauges from `data` as of `now`.
pub fn record_snapshot_gauges(data: &TrustData, now: OffsetDateTime) {
    vouch_ops::metrics::gauge!(SNAPSHOT_AGE).set(data.age(now) as f64);
    vouch_ops::metrics::gauge!(SNAPSHOT_SEQUENCE).set(data.snapshot.payload.sequence as f64);
}

/// Where and how often a verifier running online re-fetches the register's signed snapshot.
#[derive(Clone)]
pub struct SnapshotRefresh {
    /// The registry's base URL (`GET /snapshot`, `GET /log/proof/consistency`).
    pub registry_url: String,
    /// The pinned snapshot and log keys.
    pub verifier: SnapshotVerifier,
    /// The client.
    pub client: HttpClient,
    /// Time between fetches.
    pub every: std::time::Duration,
}

/// What one refresh did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// The register serves the snapshot already in use.
    Unchanged,
    /// A newer snapshot was verified and is now in use.
    Updated {
        /// Its sequence number.
        sequence: u64,
    },
}

impl SnapshotRefresh {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.registry_url.trim_end_matches('/'))
    }

    async fn get_text(&self, path: &str) -> Result<String, RegisterReadError> {
        Ok(self
            .client
            .get(self.url(path))
            .send()
            .await
            .and_then(|r| r.error_for_status())?
            .text()
            .await?)
    }

    /// Fetches the register's snapshot once and applies it to `state` when it is newer. A
    /// rollback, a fork or a bad signature is refused and the current snapshot kept.
    pub async fn once(&self, state: &TrustState) -> Result<Refreshed, RefreshError> {
        let jws = self
            .get_text("/snapshot")
            .await
            .map_err(RefreshError::Unreachable)?;
        if jws.trim() == state.current().jws {
            return Ok(Refreshed::Unchanged);
        }
        let data = TrustData::verify(&self.verifier, &jws).map_err(RefreshError::Rejected)?;
        let sequence = data.snapshot.payload.sequence;
        match state.update(data.clone()) {
            Ok(()) => Ok(Refreshed::Updated { sequence }),
            Err(SnapshotError::ConsistencyProofRequired { from, to }) => {
                let v: serde_json::Value = serde_json::from_str(
                    &self
                        .get_text(&format!("/log/proof/consistency?from={from}&to={to}"))
                        .await
                        .map_err(RefreshError::Unreachable)?,
                )
                .map_err(|e| RefreshError::Unreachable(RegisterReadError::ConsistencyProof(e)))?;
                let items: Vec<String> =
                    serde_json::from_value(v["proof"].clone()).map_err(|e| {
                        RefreshError::Unreachable(RegisterReadError::ConsistencyProof(e))
                    })?;
                let proof = trust_framework::snapshot::hashes_from_b64(&items).ok_or(
                    RefreshError::Unreachable(RegisterReadError::MalformedConsistencyProof),
                )?;
                state
                    .update_with_proof(data, Some(&proof))
                    .map_err(RefreshError::Rejected)?;
                Ok(Refreshed::Updated { sequence })
            }
            Err(e) => Err(RefreshError::Rejected(e)),
        }
    }

    /// Refreshes `state` every [`SnapshotRefresh::every`] until the task is dropped, logging
    /// each change and the snapshot's age, and counting results in
    /// `vouch_verifier_trust_snapshot_refreshes_total`.
    pub fn spawn(self, state: TrustState) -> tokio::task::JoinHandle<()> {
        describe_metrics();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let result = self.once(&state).await;
                let now = OffsetDateTime::now_utc();
                let current = state.current();
                record_snapshot_gauges(&current, now);
                let label = match &result {
                    Ok(Refreshed::Unchanged) => "unchanged",
                    Ok(Refreshed::Updated { sequence }) => {
                        tracing::info!(
                            sequence,
                            log_size = current.snapshot.checkpoint.size,
                            age_seconds = current.age(now),
                            "trust snapshot refreshed from the register"
                        );
                        "updated"
                    }
                    Err(RefreshError::Unreachable(e)) => {
                        tracing::warn!(error = %e, age_seconds = current.age(now), "trust snapshot refresh: register unreachable; keeping the current snapshot");
                        "unreachable"
                    }
                    Err(RefreshError::Rejected(e)) => {
                        tracing::warn!(error = %e, code = e.code(), age_seconds = current.age(now), "trust snapshot refresh: snapshot refused; keeping the current one");
                        "rejected"
                    }
                };
                vouch_ops::metrics::counter!(SNAPSHOT_REFRESHES, "result" => label).increment(1);
            }
        })
    }
}

/// Why a refresh left the snapshot as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The register did not answer, or answered something unreadable.
    #[error("the register is unreachable: {0}")]
    Unreachable(RegisterReadError),
    /// The snapshot failed verification, or is a rollback or fork of what was seen.
    #[error("the snapshot is refused: {0}")]
    Rejected(SnapshotError),
}

/// Why the register's read API gave nothing usable ([`RefreshError::Unreachable`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterReadError {
    /// The request failed, or the register answered with an error status.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// The consistency proof is not the JSON expected.
    #[error("consistency proof: {0}")]
    ConsistencyProof(serde_json::Error),
    /// The consistency proof's hashes are malformed.
    #[error("malformed consistency proof")]
    MalformedConsistencyProof,
}

/// Why a leaf and its inclusion proof could not be had ([`LogProofs::inclusion`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InclusionProofError {
    /// The log has no leaf at the index.
    #[error("no such leaf")]
    NoSuchLeaf,
    /// The log could not make the proof.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The registry did not answer, or answered with an error status.
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// The registry's proof is not the JSON expected.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The proof's hashes are malformed.
    #[error("malformed inclusion proof")]
    Malformed,
}

/// A leaf and its inclusion proof, or why they could not be had.
pub type ProofResult = Result<(Vec<u8>, Vec<Hash>), InclusionProofError>;

/// A boxed future, for object-safe async traits.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where inclusion proofs of register entries come from (the registry's read API, or a log).
pub trait LogProofs: Send + Sync {
    /// The leaf at `index` and its inclusion proof in the tree of `size`.
    fn inclusion(&self, index: u64, size: u64) -> BoxFut<'_, ProofResult>;
}

/// Proofs from a log held in memory (tests, `vouch up`).
pub struct MemoryLog(pub Arc<Log>);

impl LogProofs for MemoryLog {
    fn inclusion(&self, index: u64, size: u64) -> BoxFut<'_, ProofResult> {
        let r = (|| {
            let leaf = self
                .0
                .leaf(index)
                .ok_or(InclusionProofError::NoSuchLeaf)?
                .to_vec();
            let proof = self.0.inclusion_proof(index, size)?;
            Ok((leaf, proof))
        })();
        Box::pin(async move { r })
    }
}

/// The HTTP client type used for registry and status fetches.
pub type HttpClient = reqwest::Client;

/// Proofs from a registry's read API (`/log/entries/{i}`, `/log/proof/inclusion`).
pub struct HttpLogProofs {
    /// The registry's base URL.
    pub base: String,
    /// The client.
    pub client: reqwest::Client,
}

impl LogProofs for HttpLogProofs {
    fn inclusion(&self, index: u64, size: u64) -> BoxFut<'_, ProofResult> {
        Box::pin(async move {
            let base = self.base.trim_end_matches('/');
            let leaf = self
                .client
                .get(format!("{base}/log/entries/{index}"))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?
                .to_vec();
            let proof: serde_json::Value = self
                .client
                .get(format!(
                    "{base}/log/proof/inclusion?index={index}&size={size}"
                ))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let items: Vec<String> = serde_json::from_value(proof["proof"].clone())?;
            let proof = trust_framework::snapshot::hashes_from_b64(&items)
                .ok_or(InclusionProofError::Malformed)?;
            Ok((leaf, proof))
        })
    }
}
