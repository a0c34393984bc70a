//! Signed snapshots for offline use, and the client-side store that refuses rollbacks.
//!
//! A snapshot is a compact JWS (`typ` [`SNAPSHOT_TYP`]) over the register, the signed
//! checkpoint it was folded from, a monotonic sequence number, and issue and next-update
//! times. It may carry a consistency proof from the previous snapshot's tree size, so a
//! client that saw that snapshot can check the log only grew without going online.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use credentials::jose::{sign_compact, CompactJws, JoseError, JwsPolicy};
use credentials::keys::{Algorithm, PublicKey, Signer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::merkle::{self, Hash};
use crate::note::NoteKey;
use crate::register::Register;

/// The JWS `typ` of a register snapshot.
pub const SNAPSHOT_TYP: &str = "vouch-registry-snapshot+jwt";

/// A consistency proof from an earlier tree size to the snapshot's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyFrom {
    /// The earlier tree size.
    pub size: u64,
    /// The proof, base64 hashes.
    pub proof: Vec<String>,
}

/// What a snapshot says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPayload {
    /// The register folded from the first `checkpoint.size` log entries.
    pub register: Register,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// Monotonic: a client never accepts a lower one than it has seen.
    pub sequence: u64,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Fetch a new one before this; an online verifier refuses it after.
    #[serde(with = "time::serde::rfc3339")]
    pub next_update: OffsetDateTime,
    /// Consistency with the previous snapshot's tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<ConsistencyFrom>,
    /// The registrar roots (DER, base64url) that relying parties' registration
    /// certificates chain to; absent in snapshots of registers without a registrar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registrar_roots: Vec<String>,
}

/// Why a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// The JWS does not verify or is malformed.
    #[error("snapshot signature: {0}")]
    Jws(#[from] JoseError),
    /// The `typ` header is not [`SNAPSHOT_TYP`].
    #[error("the JWS typ is not {SNAPSHOT_TYP}")]
    WrongType,
    /// The payload is not a snapshot.
    #[error("malformed snapshot payload: {0}")]
    Malformed(String),
    /// The checkpoint is not signed by the log or malformed.
    #[error("snapshot checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The register was not folded from the checkpoint's tree size.
    #[error("the register covers {register} log entries but the checkpoint {checkpoint}")]
    SizeMismatch {
        /// Entries folded.
        register: u64,
        /// Checkpoint size.
        checkpoint: u64,
    },
    /// Past `next_update`.
    #[error("the snapshot expired at {0}")]
    Expired(OffsetDateTime),
    /// Older than one already seen.
    #[error("snapshot sequence {got} is older than {seen}, already seen")]
    Rollback {
        /// The sequence offered.
        got: u64,
        /// The highest seen.
        seen: u64,
    },
    /// The checkpoint's tree is smaller than one already seen.
    #[error("the snapshot's log ({got} entries) is smaller than one already seen ({seen})")]
    CheckpointRollback {
        /// Size offered.
        got: u64,
        /// Size seen.
        seen: u64,
    },
    /// Same tree size, different root, or the same sequence with other content: a split view.
    #[error("the log shows two different trees of size {size}: a fork")]
    Fork {
        /// The size.
        size: u64,
    },
    /// The consistency proof from the seen tree is missing; fetch `/log/proof/consistency`.
    #[error("a consistency proof from size {from} to {to} is needed")]
    ConsistencyProofRequired {
        /// The size seen.
        from: u64,
        /// The new size.
        to: u64,
    },
    /// The consistency proof does not verify.
    #[error("the log is not consistent with the one seen: {0}")]
    Inconsistent(merkle::ProofError),
}

impl SnapshotError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SnapshotError::Jws(_) => "snapshot_signature_invalid",
            SnapshotError::WrongType => "snapshot_wrong_type",
            SnapshotError::Malformed(_) => "snapshot_malformed",
            SnapshotError::Checkpoint(_) => "snapshot_checkpoint_invalid",
            SnapshotError::SizeMismatch { .. } => "snapshot_size_mismatch",
            SnapshotError::Expired(_) => "snapshot_expired",
            SnapshotError::Rollback { .. } => "snapshot_rollback",
            SnapshotError::CheckpointRollback { .. } => "checkpoint_rollback",
            SnapshotError::Fork { .. } => "log_fork",
            SnapshotError::ConsistencyProofRequired { .. } => "consistency_proof_required",
            SnapshotError::Inconsistent(_) => "log_inconsistent",
        }
    }
}

/// Signs a snapshot payload as a compact JWS.
pub fn sign(payload: &SnapshotPayload, signer: &dyn Signer) -> Result<String, JoseError> {
    let mut header = Map::new();
    header.insert("typ".into(), json!(SNAPSHOT_TYP));
    let body = crate::canonical::to_bytes(payload).map_err(|_| JoseError::Malformed("payload"))?;
    sign_compact(&header, &body, signer)
}

/// A snapshot whose signature and checkpoint verified.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The payload.
    pub payload: SnapshotPayload,
    /// The checkpoint, verified against the log key.
    pub checkpoint: Checkpoint,
}

impl Snapshot {
    /// The register.
    pub fn register(&self) -> &Register {
        &self.payload.register
    }
}

/// What a verifier or wallet pins: the snapshot key and the log's genesis key.
#[derive(Clone, Debug)]
pub struct SnapshotVerifier {
    /// The key snapshots are signed with.
    pub snapshot_key: PublicKey,
    /// The log key pinned at first use (the genesis key); rotations are followed through
    /// the register's endorsed `log.key_rotated` records.
    pub log_key: NoteKey,
}

impl SnapshotVerifier {
    /// Verifies a snapshot for use now: signature, checkpoint, sizes and freshness.
    pub fn verify(&self, jws: &str, now: OffsetDateTime) -> Result<Snapshot, SnapshotError> {
        let s = self.verify_archived(jws)?;
        if now > s.payload.next_update {
            return Err(SnapshotError::Expired(s.payload.next_update));
        }
        Ok(s)
    }

    /// Verifies a snapshot kept as evidence of a past state (no freshness check): what an
    /// employer's record of a right-to-work check holds years later.
    pub fn verify_archived(&self, jws: &str) -> Result<Snapshot, SnapshotError> {
        let parsed = CompactJws::parse(jws.trim())?;
        if parsed.header().get("typ").and_then(Value::as_str) != Some(SNAPSHOT_TYP) {
            return Err(SnapshotError::WrongType);
        }
        parsed.verify(&self.snapshot_key, &JwsPolicy::allowing(&Algorithm::ALL))?;
        let payload: SnapshotPayload = serde_json::from_slice(parsed.payload())
            .map_err(|e| SnapshotError::Malformed(e.to_string()))?;
        // Log keys: the pinned one, and each rotation the register records (every rotation
        // was checked against its predecessor's endorsement when it was folded).
        let mut keys = vec![self.log_key.clone()];
        keys.extend(payload.register.note_keys());
        let checkpoint = Checkpoint::open(&payload.checkpoint, &keys)?;
        if payload.register.size != checkpoint.size {
            return Err(SnapshotError::SizeMismatch {
                register: payload.register.size,
                checkpoint: checkpoint.size,
            });
        }
        Ok(Snapshot {
            payload,
            checkpoint,
        })
    }
}

/// Encodes hashes as base64 for JSON.
pub fn hashes_to_b64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| STANDARD.encode(h)).collect()
}

/// Decodes base64 hashes.
pub fn hashes_from_b64(items: &[String]) -> Option<Vec<Hash>> {
    items
        .iter()
        .map(|s| {
            STANDARD
                .decode(s)
                .ok()
                .and_then(|v| <Hash>::try_from(v.as_slice()).ok())
        })
        .collect()
}

/// The latest snapshot a client accepted: enough to refuse rollbacks and forks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotStore {
    /// The highest sequence accepted.
    pub sequence: Option<u64>,
    /// The tree size of the latest accepted checkpoint.
    pub tree_size: u64,
    /// Its root, base64.
    pub root: Option<String>,
}

impl SnapshotStore {
    /// Accepts `snapshot` if it is not older than, and its log is consistent with, what was
    /// seen. `fetched_proof` is a consistency proof from the seen size, when the snapshot
    /// does not carry one for it.
    pub fn accept(
        &mut self,
        snapshot: &Snapshot,
        fetched_proof: Option<&[Hash]>,
    ) -> Result<(), SnapshotError> {
        let (seq, cp) = (snapshot.payload.sequence, &snapshot.checkpoint);
        if let Some(seen) = self.sequence {
            if seq < seen {
                return Err(SnapshotError::Rollback { got: seq, seen });
            }
        }
        if let Some(root_b64) = &self.root {
            let seen_root = hashes_from_b64(std::slice::from_ref(root_b64))
                .and_then(|v| v.first().copied())
                .ok_or_else(|| SnapshotError::Malformed("stored root".into()))?;
            if cp.size < self.tree_size {
                return Err(SnapshotError::CheckpointRollback {
                    got: cp.size,
                    seen: self.tree_size,
                });
            }
            if cp.size == self.tree_size {
                if cp.root != seen_root {
                    return Err(SnapshotError::Fork { size: cp.size });
                }
            } else {
                let carried = snapshot
                    .payload
                    .consistency
                    .as_ref()
                    .filter(|c| c.size == self.tree_size)
                    .and_then(|c| hashes_from_b64(&c.proof));
                let proof = match (carried, fetched_proof) {
                    (Some(p), _) => p,
                    (None, Some(p)) => p.to_vec(),
                    (None, None) => {
                        return Err(SnapshotError::ConsistencyProofRequired {
                            from: self.tree_size,
                            to: cp.size,
                        })
                    }
                };
                merkle::verify_consistency(self.tree_size, cp.size, &proof, &seen_root, &cp.root)
                    .map_err(SnapshotError::Inconsistent)?;
            }
        }
        self.sequence = Some(seq);
        self.tree_size = cp.size;
        self.root = Some(STANDARD.encode(cp.root));
        Ok(())
    }
}
