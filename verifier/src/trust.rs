//! Trust data from the registry: a verified snapshot (signature, checkpoint, no rollback)
//! and the Merkle proofs that tie a provider's entry to its checkpoint.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use credentials::b64;
use credentials::keys::{Jwk, PublicKey};
use credentials::x509::Certificate;
use time::OffsetDateTime;
use trust_framework::log::Log;
use trust_framework::merkle::Hash;
use trust_framework::model::AnchorKey;
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
        self.anchors(|k| match k {
            AnchorKey::X5cRoot { certificate } => Some(certificate.clone()),
            _ => None,
        })
        .into_iter()
        .filter_map(|c| Certificate::from_der(&b64::decode(&c)?).ok())
        .collect()
    }

    /// Every IACA root registered.
    pub fn iaca_roots(&self) -> Vec<Certificate> {
        self.anchors(|k| match k {
            AnchorKey::Iaca { certificate } => Some(certificate.clone()),
            _ => None,
        })
        .into_iter()
        .filter_map(|c| Certificate::from_der(&b64::decode(&c)?).ok())
        .collect()
    }

    /// The keys registered for issuer identifier `iss`.
    pub fn iss_keys(&self, iss: &str) -> Vec<Jwk> {
        self.anchors(|k| match k {
            AnchorKey::IssKey { iss: i, jwk } if i == iss => Jwk::from_value(jwk).ok(),
            _ => None,
        })
    }

    fn anchors<T>(&self, f: impl Fn(&AnchorKey) -> Option<T>) -> Vec<T> {
        self.register()
            .entries
            .values()
            .flat_map(|e| e.anchors.iter())
            .filter_map(|a| f(&a.anchor.key))
            .collect()
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

    /// The current data.
    pub fn current(&self) -> TrustData {
        self.inner.read().expect("trust lock").0.clone()
    }

    /// Replaces the data if the snapshot is not a rollback or a fork of what was seen.
    pub fn update(&self, data: TrustData) -> Result<(), SnapshotError> {
        let mut g = self.inner.write().expect("trust lock");
        g.1.accept(&data.snapshot, None)?;
        g.0 = data;
        Ok(())
    }
}

/// A leaf and its inclusion proof, or why they could not be had.
pub type ProofResult = Result<(Vec<u8>, Vec<Hash>), String>;

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
            let leaf = self.0.leaf(index).ok_or("no such leaf")?.to_vec();
            let proof = self
                .0
                .inclusion_proof(index, size)
                .map_err(|e| e.to_string())?;
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
                .await
                .map_err(|e| e.to_string())?
                .error_for_status()
                .map_err(|e| e.to_string())?
                .bytes()
                .await
                .map_err(|e| e.to_string())?
                .to_vec();
            let proof: serde_json::Value = self
                .client
                .get(format!(
                    "{base}/log/proof/inclusion?index={index}&size={size}"
                ))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .error_for_status()
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let items: Vec<String> =
                serde_json::from_value(proof["proof"].clone()).map_err(|e| e.to_string())?;
            let proof = trust_framework::snapshot::hashes_from_b64(&items)
                .ok_or("malformed inclusion proof")?;
            Ok((leaf, proof))
        })
    }
}
