//! The regulator's audit: replay the whole log, verify every leaf hash, checkpoint
//! signature, inclusion and consistency proof, recompute the register, compare it with the
//! published snapshot, and report anomalies in how the register was kept.
//!
//! Integrity findings (tampering) and anomalies (register-keeping problems) are reported
//! apart: the first means the log cannot be trusted, the second that it shows a lapse.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::http::client;
use crate::store::{hex, Store, StoredEntry};
use trust_framework::checkpoint::Checkpoint;
use trust_framework::log::Log;
use trust_framework::merkle::{self, Hash, MerkleTree};
use trust_framework::model::{CertificateState, NoteCode};
use trust_framework::note::NoteKey;
use trust_framework::register::{CertificateStatus, EntryState, Register};
use trust_framework::snapshot::{hashes_from_b64, SnapshotVerifier};

/// Evidence that the log or its publication was tampered with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Tamper {
    /// A stored leaf does not hash to its stored leaf hash.
    #[error("log entry {index}: its content does not match its stored leaf hash")]
    LeafHashMismatch {
        /// The index.
        index: u64,
    },
    /// A leaf is not a canonical event that applies to the register.
    #[error("log entry {index} is not a valid event: {message}")]
    BadEvent {
        /// The index.
        index: u64,
        /// Why.
        message: String,
    },
    /// A checkpoint's signature does not verify with the log key in force at its size.
    #[error("the checkpoint of size {size} is not signed by the log key in force: {message}")]
    CheckpointSignature {
        /// Its tree size.
        size: u64,
        /// Why.
        message: String,
    },
    /// The recomputed root differs from a signed checkpoint's root: some entry below that
    /// size was changed after it was signed.
    #[error("the entries do not match the signed checkpoint of size {size} (root mismatch): an entry at or below index {first_suspect} was altered")]
    CheckpointRoot {
        /// The checkpoint size.
        size: u64,
        /// The smallest size whose signed root does not match.
        first_suspect: u64,
    },
    /// A served inclusion proof does not verify.
    #[error("the inclusion proof of entry {index} in size {size} does not verify")]
    InclusionProof {
        /// The index.
        index: u64,
        /// The size.
        size: u64,
    },
    /// A served consistency proof does not verify.
    #[error("the consistency proof from size {from} to {to} does not verify")]
    ConsistencyProof {
        /// From.
        from: u64,
        /// To.
        to: u64,
    },
    /// The log is not consistent with the checkpoint this auditor saw before.
    #[error("the log is not an extension of the checkpoint seen before (size {size})")]
    InconsistentWithSeen {
        /// The size seen.
        size: u64,
    },
    /// The published snapshot's register differs from the recomputed one.
    #[error("the published snapshot (sequence {sequence}) does not match the register recomputed from the log")]
    SnapshotMismatch {
        /// Its sequence.
        sequence: u64,
    },
    /// The log's genesis key is not the pinned one.
    #[error("the log's genesis key is not the pinned log key")]
    GenesisKeyMismatch,
    /// The log is shorter than the checkpoint seen before.
    #[error("the log has {size} entries, fewer than the {seen} seen before")]
    Truncated {
        /// Size now.
        size: u64,
        /// Size seen.
        seen: u64,
    },
}

/// A lapse in keeping the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Anomaly {
    /// The service certificate has expired but the entry is still registered.
    CertificateExpiredStillRegistered {
        /// The entry.
        entry_id: String,
        /// The certificate.
        certificate: String,
        /// Since.
        #[serde(with = "time::serde::rfc3339")]
        expired_at: OffsetDateTime,
    },
    /// The service certificate was withdrawn but the entry is still registered.
    WithdrawnStillRegistered {
        /// The entry.
        entry_id: String,
        /// The certificate.
        certificate: String,
        /// Since.
        #[serde(with = "time::serde::rfc3339")]
        withdrawn_at: OffsetDateTime,
        /// Days since.
        days: i64,
    },
    /// A supplementary note is held without a matching, valid certificate for that code.
    NoteWithoutMatchingCertificate {
        /// The entry.
        entry_id: String,
        /// The note.
        note: NoteCode,
        /// The certificate it names.
        certificate: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// How long a removal took after a withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RemovalLatency {
    /// The entry.
    pub entry_id: String,
    /// The withdrawn certificate.
    pub certificate: String,
    /// Withdrawn at.
    #[serde(with = "time::serde::rfc3339")]
    pub withdrawn_at: OffsetDateTime,
    /// Removed at.
    #[serde(with = "time::serde::rfc3339")]
    pub removed_at: OffsetDateTime,
    /// Days between.
    pub days: i64,
}

/// What an auditor remembers between runs: the last checkpoint it verified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditState {
    /// Its size.
    pub size: u64,
    /// Its root, base64.
    pub root: String,
}

/// The audit's findings.
#[derive(Clone, Debug, Serialize)]
pub struct AuditReport {
    /// What was audited.
    pub source: String,
    /// The log's origin.
    pub origin: String,
    /// Entries replayed.
    pub log_size: u64,
    /// Signed checkpoints verified.
    pub checkpoints_verified: u64,
    /// Inclusion proofs verified.
    pub inclusion_proofs_verified: u64,
    /// Consistency proofs verified.
    pub consistency_proofs_verified: u64,
    /// Whether a published snapshot was compared with the recomputed register.
    pub snapshot_checked: bool,
    /// Tampering found (empty if none).
    pub tampering: Vec<Tamper>,
    /// Register-keeping anomalies.
    pub anomalies: Vec<Anomaly>,
    /// Withdrawal-to-removal times.
    pub removal_latency: Vec<RemovalLatency>,
    /// The state to keep for the next run.
    pub state: AuditState,
}

impl AuditReport {
    /// Whether the log's integrity held.
    pub fn intact(&self) -> bool {
        self.tampering.is_empty()
    }
}

/// Why the audit could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Fetching from the registry failed.
    #[error(transparent)]
    Http(#[from] client::ClientError),
    /// The registry answered with an error.
    #[error("{path}: HTTP {status}: {body}")]
    Status {
        /// The path.
        path: String,
        /// The status.
        status: u16,
        /// The body.
        body: String,
    },
    /// Reading the database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The log is empty.
    #[error("the log is empty")]
    Empty,
}

/// Where the log comes from.
pub enum Source<'a> {
    /// The registry's HTTP API; proofs are fetched from it and checked.
    Http(&'a str),
    /// The database directly (a regulator's replica).
    Database(&'a Store),
}

struct Inputs {
    source: String,
    entries: Vec<StoredEntry>,
    checkpoints: Vec<(u64, String)>,
    snapshot: Option<(String, String)>,
}

async fn fetch(
    http: &client::Client,
    base: &str,
    path: &str,
) -> Result<client::HttpResponse, AuditError> {
    let r = http.get(base, path).await?;
    if r.status != 200 {
        return Err(AuditError::Status {
            path: path.into(),
            status: r.status,
            body: r.text(),
        });
    }
    Ok(r)
}

async fn gather(source: &Source<'_>, http: &client::Client) -> Result<Inputs, AuditError> {
    match source {
        Source::Database(store) => Ok(Inputs {
            source: "database".into(),
            entries: store.entries_from(0).await?,
            checkpoints: store.checkpoints().await?,
            snapshot: None,
        }),
        Source::Http(base) => {
            let cp = fetch(http, base, "/log/checkpoint").await?.text();
            let size = Checkpoint::parse_unverified(&cp)
                .map(|c| c.size)
                .unwrap_or(0);
            let mut entries = Vec::with_capacity(size as usize);
            for index in 0..size {
                let leaf = fetch(http, base, &format!("/log/entries/{index}"))
                    .await?
                    .text();
                entries.push(StoredEntry {
                    index,
                    leaf_hash: hex(&merkle::leaf_hash(leaf.as_bytes())),
                    leaf,
                });
            }
            let list = fetch(http, base, "/log/checkpoints")
                .await?
                .json()
                .unwrap_or_default();
            let mut checkpoints: Vec<(u64, String)> = list["checkpoints"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| {
                            Some((c["size"].as_u64()?, c["checkpoint"].as_str()?.to_string()))
                        })
                        .filter(|(n, _)| *n <= size)
                        .collect()
                })
                .unwrap_or_default();
            if !checkpoints.iter().any(|(n, _)| *n == size) {
                checkpoints.push((size, cp));
            }
            let snapshot = fetch(http, base, "/snapshot").await.ok().map(|r| r.text());
            let keys = fetch(http, base, "/keys").await.ok().and_then(|r| r.json());
            let snap_key = keys.map(|k| k["snapshot_key"].to_string());
            Ok(Inputs {
                source: base.to_string(),
                entries,
                checkpoints,
                snapshot: snapshot.zip(snap_key),
            })
        }
    }
}

/// Runs the audit. `pinned_log_key` is the genesis log key the auditor trusts (otherwise
/// the log's own genesis is taken on first use); `seen` is the state of the last run.
pub async fn audit(
    source: Source<'_>,
    pinned_log_key: Option<&NoteKey>,
    seen: Option<&AuditState>,
    now: OffsetDateTime,
) -> Result<AuditReport, AuditError> {
    // One client for the run: its connections are reused from request to request.
    let http = client::Client::new()?;
    let inputs = gather(&source, &http).await?;
    if inputs.entries.is_empty() {
        return Err(AuditError::Empty);
    }
    let mut tampering = Vec::new();

    // 1. Leaves: each stored hash matches its content; the tree is built from the content.
    let mut tree = MerkleTree::new();
    for e in &inputs.entries {
        let h = merkle::leaf_hash(e.leaf.as_bytes());
        if hex(&h) != e.leaf_hash {
            tampering.push(Tamper::LeafHashMismatch { index: e.index });
        }
        tree.push_leaf_hash(h);
    }
    let size = tree.len();

    // 2. Replay: every leaf is a canonical event that applies.
    let mut log = Log::new();
    for e in &inputs.entries {
        if let Err(err) = log.load_leaf(e.leaf.clone().into_bytes()) {
            tampering.push(Tamper::BadEvent {
                index: e.index,
                message: err.to_string(),
            });
            break;
        }
    }
    let register = log.register().clone();
    if let (Some(pinned), Some(genesis)) = (pinned_log_key, register.log_keys.first()) {
        if pinned.to_vkey() != genesis.vkey {
            tampering.push(Tamper::GenesisKeyMismatch);
        }
    }

    // 3. Checkpoints: signed by the key in force at their size, roots match the entries.
    let mut checkpoints_verified = 0;
    let mut consistency_proofs_verified = 0;
    let mut first_bad_root: Option<u64> = None;
    let mut verified: Vec<Checkpoint> = Vec::new();
    for (cp_size, note) in &inputs.checkpoints {
        if *cp_size > size {
            continue;
        }
        let key = register
            .log_key_for_size(*cp_size)
            .and_then(|k| NoteKey::from_vkey(&k.vkey).ok());
        let keys: Vec<NoteKey> = key.into_iter().collect();
        match Checkpoint::open(note, &keys) {
            Err(e) => tampering.push(Tamper::CheckpointSignature {
                size: *cp_size,
                message: e.to_string(),
            }),
            Ok(cp) if cp.size != *cp_size => tampering.push(Tamper::CheckpointSignature {
                size: *cp_size,
                message: format!("it says size {}", cp.size),
            }),
            Ok(cp) => {
                checkpoints_verified += 1;
                if tree.root_at(cp.size).ok() != Some(cp.root) {
                    first_bad_root.get_or_insert(cp.size);
                }
                verified.push(cp);
            }
        }
    }
    if let Some(first) = first_bad_root {
        let last_bad = verified
            .iter()
            .filter(|c| tree.root_at(c.size).ok() != Some(c.root))
            .map(|c| c.size)
            .max()
            .unwrap_or(first);
        tampering.push(Tamper::CheckpointRoot {
            size: last_bad,
            first_suspect: first - 1,
        });
    }

    // 4. Consistency between consecutive verified checkpoints (served proofs when online).
    verified.sort_by_key(|c| c.size);
    for pair in verified.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let proof = match &source {
            Source::Http(base) => fetch(
                &http,
                base,
                &format!("/log/proof/consistency?from={}&to={}", a.size, b.size),
            )
            .await
            .ok()
            .and_then(|r| r.json())
            .and_then(|v| {
                hashes_from_b64(&serde_json::from_value::<Vec<String>>(v["proof"].clone()).ok()?)
            }),
            Source::Database(_) => tree.consistency_proof(a.size, b.size).ok(),
        };
        match proof {
            Some(p) if merkle::verify_consistency(a.size, b.size, &p, &a.root, &b.root).is_ok() => {
                consistency_proofs_verified += 1
            }
            _ => tampering.push(Tamper::ConsistencyProof {
                from: a.size,
                to: b.size,
            }),
        }
    }

    // 5. Every entry is included under the latest verified checkpoint.
    let mut inclusion_proofs_verified = 0;
    if let Some(head) = verified.last() {
        for index in 0..head.size {
            let proof = match &source {
                Source::Http(base) => fetch(
                    &http,
                    base,
                    &format!("/log/proof/inclusion?index={index}&size={}", head.size),
                )
                .await
                .ok()
                .and_then(|r| r.json())
                .and_then(|v| {
                    hashes_from_b64(
                        &serde_json::from_value::<Vec<String>>(v["proof"].clone()).ok()?,
                    )
                }),
                Source::Database(_) => tree.inclusion_proof(index, head.size).ok(),
            };
            let leaf = tree.leaf(index).unwrap_or_default();
            match proof {
                Some(p)
                    if merkle::verify_inclusion(&leaf, index, head.size, &p, &head.root)
                        .is_ok() =>
                {
                    inclusion_proofs_verified += 1
                }
                _ => {
                    tampering.push(Tamper::InclusionProof {
                        index,
                        size: head.size,
                    });
                    break;
                }
            }
        }
    }

    // 6. The checkpoint seen on the previous run is a prefix of this log.
    if let Some(seen) = seen {
        let seen_root = STANDARD
            .decode(&seen.root)
            .ok()
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok());
        if seen.size > size {
            tampering.push(Tamper::Truncated {
                size,
                seen: seen.size,
            });
        } else if seen_root.is_none() || tree.root_at(seen.size).ok() != seen_root {
            tampering.push(Tamper::InconsistentWithSeen { size: seen.size });
        }
    }

    // 7. The published snapshot equals the register recomputed at its checkpoint's size.
    let mut snapshot_checked = false;
    if let (Some((jws, key_json)), Some(genesis)) = (&inputs.snapshot, register.log_keys.first()) {
        let key = credentials::keys::Jwk::from_json(key_json).ok();
        let log_key = NoteKey::from_vkey(&genesis.vkey).ok();
        if let (Some(key), Some(log_key)) = (key, log_key) {
            let verifier = SnapshotVerifier {
                snapshot_key: key.public_key().clone(),
                log_key,
            };
            match verifier.verify_archived(jws) {
                Ok(s) => {
                    snapshot_checked = true;
                    let recomputed = Register::fold_prefix(log.events(), s.checkpoint.size).ok();
                    if recomputed.as_ref() != Some(s.register())
                        || tree.root_at(s.checkpoint.size).ok() != Some(s.checkpoint.root)
                    {
                        tampering.push(Tamper::SnapshotMismatch {
                            sequence: s.payload.sequence,
                        });
                    }
                }
                Err(_) => tampering.push(Tamper::SnapshotMismatch { sequence: 0 }),
            }
        }
    }

    let (anomalies, removal_latency) = anomalies(&register, now);
    Ok(AuditReport {
        source: inputs.source,
        origin: register.origin.clone(),
        log_size: size,
        checkpoints_verified,
        inclusion_proofs_verified,
        consistency_proofs_verified,
        snapshot_checked,
        tampering,
        anomalies,
        removal_latency,
        state: AuditState {
            size,
            root: STANDARD.encode(tree.root()),
        },
    })
}

/// The register-keeping anomalies at `now`, and the withdrawal-to-removal times.
pub fn anomalies(register: &Register, now: OffsetDateTime) -> (Vec<Anomaly>, Vec<RemovalLatency>) {
    let mut out = Vec::new();
    let mut latency = Vec::new();
    for e in register.entries.values() {
        let registered = e.current_state() == EntryState::Registered;
        if registered {
            if let Some(c) = e.service_certificate_at(now) {
                match c.status_at(now) {
                    CertificateStatus::Expired(at) => {
                        out.push(Anomaly::CertificateExpiredStillRegistered {
                            entry_id: e.entry_id.clone(),
                            certificate: c.certificate.number.clone(),
                            expired_at: at,
                        })
                    }
                    CertificateStatus::Withdrawn(at) => {
                        out.push(Anomaly::WithdrawnStillRegistered {
                            entry_id: e.entry_id.clone(),
                            certificate: c.certificate.number.clone(),
                            withdrawn_at: at,
                            days: (now - at).whole_days(),
                        })
                    }
                    _ => {}
                }
            }
            for n in e.notes.iter().filter(|n| n.held_at(now)) {
                let problem = match e.certificate(&n.certificate_number) {
                    None => Some("no such certificate on the entry".to_string()),
                    Some(c) if c.note != Some(n.code) => {
                        Some("the certificate is not for this code".to_string())
                    }
                    Some(c) => match c.status_at(now) {
                        CertificateStatus::Valid => None,
                        CertificateStatus::Suspended(_) => {
                            Some("the certificate is suspended".into())
                        }
                        CertificateStatus::Withdrawn(_) => {
                            Some("the certificate was withdrawn".into())
                        }
                        CertificateStatus::Expired(_) => Some("the certificate has expired".into()),
                        CertificateStatus::NotYetValid => {
                            Some("the certificate is not yet valid".into())
                        }
                    },
                };
                if let Some(problem) = problem {
                    out.push(Anomaly::NoteWithoutMatchingCertificate {
                        entry_id: e.entry_id.clone(),
                        note: n.code,
                        certificate: n.certificate_number.clone(),
                        problem,
                    });
                }
            }
        }
        let removed_at = e
            .status
            .iter()
            .find(|s| s.state == EntryState::Removed)
            .map(|s| s.at);
        for c in e.certificates.iter().filter(|c| c.note.is_none()) {
            if let Some(w) = c
                .changes
                .iter()
                .find(|ch| ch.state == CertificateState::Withdrawn)
            {
                if let Some(r) = removed_at {
                    latency.push(RemovalLatency {
                        entry_id: e.entry_id.clone(),
                        certificate: c.certificate.number.clone(),
                        withdrawn_at: w.at,
                        removed_at: r,
                        days: (r - w.at).whole_days(),
                    });
                }
            }
        }
    }
    (out, latency)
}
