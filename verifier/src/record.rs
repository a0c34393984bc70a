#![allow(clippy::redundant_closure_call)] // checks read best as one closure each
//! The retained record of a right-to-work check: a JWS signed by the verifier's record key
//! over the presentation as received, the report, the registry snapshot and checkpoint
//! with inclusion proofs of the provider's entry, the likeness confirmation and the
//! timestamps; and its offline verification (`vouch verifier check-record`).

use std::sync::Arc;

use credentials::b64;
use credentials::dcql::{DcqlError, DcqlQuery};
use credentials::jose::{sign_compact, CompactJws, JoseError, JwsPolicy};
use credentials::keys::{Algorithm, Jwk, PublicKey, Signer};
use credentials::openid4vp::AuthorizationResponse;
use credentials::report::{CheckLog, CheckName, ReportError, VerificationReport};
use serde_json::{json, Map, Value};
use trust_framework::events::Event;
use trust_framework::merkle;
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{
    hashes_from_b64, hashes_to_b64, Snapshot, SnapshotError, SnapshotVerifier,
};

use crate::pipeline::{Expect, Handover, Verifier};
use crate::policy::Policy;
use crate::status::{NoNetwork, StatusCache, StatusLists};
use crate::store::Transaction;
use crate::trust::{LogProofs, TrustData, TrustState};
use crate::vc_api::VcApi;
use crate::{from_ts, rfc3339};

/// The JWS `typ` of a record.
pub const RECORD_TYP: &str = "vouch-rtw-record+jwt";

/// The employer's confirmation that the photo is the person.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Likeness {
    /// Whether the photo matches the person.
    pub confirmed: bool,
    /// Who checked (the employer's staff member).
    pub checked_by: String,
    /// When.
    pub at: String,
}

/// Inclusion proofs of every log entry about `entry_id` in the snapshot's checkpoint.
pub async fn entry_proofs(proofs: &dyn LogProofs, trust: &TrustData, entry_id: &str) -> Vec<Value> {
    let size = trust.snapshot.checkpoint.size;
    let Some(entry) = trust.register().entries.get(entry_id) else {
        return vec![];
    };
    let mut out = vec![];
    for &index in &entry.history {
        if index >= size {
            continue;
        }
        if let Ok((leaf, proof)) = proofs.inclusion(index, size).await {
            out.push(
                json!({"index": index, "leaf": b64::encode(&leaf), "proof": hashes_to_b64(&proof)}),
            );
        }
    }
    out
}

/// Builds the record payload.
#[allow(clippy::too_many_arguments)]
pub fn payload(
    record_id: &str,
    t: &Transaction,
    outcome: &Value,
    trust: &TrustData,
    snapshot_keys: &(Value, String),
    proofs: Vec<Value>,
    likeness: &Likeness,
    completed_at: i64,
    response_uri: &str,
) -> Value {
    // What an mdoc's session transcript is made of, so the record can be verified again.
    let thumbprint = t
        .enc_key
        .as_deref()
        .and_then(|k| Jwk::from_json(k).ok())
        .map(|k| k.thumbprint());
    json!({
        "record_id": record_id,
        "transaction_id": t.id,
        "purpose": "right_to_work",
        "request": {
            "client_id": t.client_id,
            "nonce": t.nonce,
            "response_mode": t.response_mode,
            "response_uri": response_uri,
            "enc_jwk_thumbprint": thumbprint,
            "dcql_query": serde_json::from_str::<Value>(&t.dcql).unwrap_or_default(),
        },
        "presentation": serde_json::from_str::<Value>(t.presentation.as_deref().unwrap_or("null")).unwrap_or_default(),
        "outcome": outcome,
        "registry": {
            "snapshot": trust.jws,
            "snapshot_key": snapshot_keys.0,
            "log_key": snapshot_keys.1,
            "checkpoint": trust.snapshot.payload.checkpoint,
            "entry_id": outcome.get("entry_id"),
            "inclusion": proofs,
        },
        "likeness": likeness,
        "timestamps": {
            "requested_at": rfc3339(from_ts(t.created_at)),
            "responded_at": rfc3339(from_ts(t.responded_at.unwrap_or(t.created_at))),
            "completed_at": rfc3339(from_ts(completed_at)),
        },
    })
}

/// Why a record could not be signed ([`sign`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The payload does not serialize as JSON.
    #[error(transparent)]
    Payload(#[from] serde_json::Error),
    /// The record key could not sign.
    #[error(transparent)]
    Signature(#[from] JoseError),
}

/// Signs a record with the verifier's record key (its public JWK in the header).
pub fn sign(payload: &Value, signer: &dyn Signer) -> Result<String, SignError> {
    let mut header = Map::new();
    header.insert("typ".into(), RECORD_TYP.into());
    header.insert("jwk".into(), signer.public_key().to_jwk().to_value());
    let body = serde_json::to_vec(payload)?;
    Ok(sign_compact(&header, &body, signer)?)
}

/// What `check-record` is told to trust.
#[derive(Default)]
pub struct CheckOptions {
    /// The verifier's record key, pinned (otherwise the header's key is used and reported).
    pub record_key: Option<PublicKey>,
    /// A later registry snapshot to answer the historical question from.
    pub later_snapshot: Option<String>,
    /// The snapshot key, pinned.
    pub snapshot_key: Option<PublicKey>,
    /// The log key, pinned.
    pub log_key: Option<NoteKey>,
}

/// Why a step of a record's offline check ([`check`]) failed: its message is the step's
/// detail in the report (the report's code is the step's, `{step}_failed`).
#[derive(Debug, thiserror::Error)]
enum RecordCheckError {
    /// `record_signature`: the record is not a compact JWS.
    #[error("not a compact JWS")]
    NotCompactJws,
    /// `record_signature`: the JWS `typ` is not [`RECORD_TYP`].
    #[error("typ is not {RECORD_TYP}")]
    WrongTyp,
    /// `record_signature`: no key pinned and none in the header.
    #[error("no record key")]
    NoRecordKey,
    /// `record_signature`: the header's key is not the pinned one.
    #[error("the record was not signed by the pinned record key")]
    NotPinnedKey,
    /// `record_signature`: the signature does not verify.
    #[error(transparent)]
    Signature(JoseError),
    /// `snapshot`: no snapshot key pinned and none in the record.
    #[error("no snapshot key")]
    NoSnapshotKey,
    /// `snapshot`: no log key pinned and none in the record.
    #[error("no log key")]
    NoLogKey,
    /// `snapshot` / `later_snapshot`: the snapshot does not verify.
    #[error(transparent)]
    Snapshot(SnapshotError),
    /// `snapshot`: the record's checkpoint is not the snapshot's.
    #[error("the record's checkpoint is not the snapshot's")]
    CheckpointMismatch,
    /// `snapshot`: the verified snapshot cannot start trust data to verify against.
    #[error(transparent)]
    SnapshotRefused(SnapshotError),
    /// `inclusion`: the record carries no inclusion proof.
    #[error("the record carries no inclusion proof of the provider's entry")]
    NoInclusionProof,
    /// `inclusion`: a proof has no index.
    #[error("proof index")]
    ProofIndex,
    /// `inclusion`: a proof's leaf is not base64url.
    #[error("proof leaf")]
    ProofLeaf,
    /// `inclusion`: a proof's hashes are malformed.
    #[error("proof hashes")]
    ProofHashes,
    /// `inclusion`: a proof does not verify against the checkpoint.
    #[error("entry {index}: {source}")]
    Inclusion {
        /// The log index.
        index: u64,
        /// Why the proof failed.
        source: merkle::ProofError,
    },
    /// `inclusion`: a proven leaf is not a log event.
    #[error(transparent)]
    Event(serde_json::Error),
    /// `inclusion`: a proven log entry is about another register entry.
    #[error("log entry {index} is not about {entry_id}")]
    EntryMismatch {
        /// The log index.
        index: u64,
        /// The record's register entry.
        entry_id: String,
    },
    /// `presentation`: the record holds no response, or no response time.
    #[error("the record holds no presentation to verify")]
    NoRecordedPresentation,
    /// `presentation`: the response's `vp_token` is empty.
    #[error("the response holds no presentation")]
    NoPresentation,
    /// `presentation`: the recorded DCQL query is invalid.
    #[error("the recorded request: {0}")]
    RecordedRequest(DcqlError),
    /// `presentation`: the response answers a query the request did not make.
    #[error("the response answers unknown query {0}")]
    UnknownQuery(String),
    /// `presentation`: the item is not of its format's JSON type.
    #[error("the presentation is not a {0} item")]
    NotFormatItem(String),
    /// `presentation` or `trust_register`: a check of the pipeline failed again.
    #[error("{check} ({code}): {detail}")]
    Failed {
        /// The pipeline's check.
        check: CheckName,
        /// The pipeline's error code.
        code: String,
        /// The pipeline's detail.
        detail: String,
    },
    /// `outcome`: the recorded check did not pass (the rule or error in words).
    #[error("the recorded check did not pass: {0}")]
    NotPassed(String),
    /// `likeness`: the employer did not confirm the photo.
    #[error("the employer did not confirm the photo likeness")]
    LikenessNotConfirmed,
    /// `later_snapshot`: the later snapshot is of another log.
    #[error("the later snapshot is of another log")]
    LaterOtherLog,
    /// `later_snapshot`: the given snapshot is older than the record's.
    #[error("the given snapshot is older than the record's")]
    LaterOlder,
    /// `later_snapshot`: the same log size with another root.
    #[error("the later snapshot shows a different log of the same size: a fork")]
    LaterFork,
    /// `later_snapshot`: the record has no response time.
    #[error("no response time")]
    NoResponseTime,
    /// `later_snapshot`: the provider's entry is not in the later register.
    #[error("the provider's entry is not in the later register")]
    LaterNoEntry,
    /// `later_snapshot`: the later register shows no right-to-work note on the day.
    #[error("the later register says {entry_id} held no right-to-work note on {on}")]
    LaterNoNote {
        /// The record's register entry.
        entry_id: String,
        /// The response time (RFC 3339).
        on: String,
    },
}

impl RecordCheckError {
    /// The step a failure to verify the presentation again fails ([`verify_again`]): the
    /// register's decision fails `trust_register`, a refused snapshot `snapshot`, anything
    /// else `presentation`.
    fn presentation_check(&self) -> CheckName {
        match self {
            RecordCheckError::SnapshotRefused(_) => CheckName::Snapshot,
            RecordCheckError::Failed {
                check: CheckName::TrustRegister,
                ..
            } => CheckName::TrustRegister,
            _ => CheckName::Presentation,
        }
    }
}

struct Checks {
    log: CheckLog,
    error: Option<ReportError>,
}

impl Checks {
    fn step(&mut self, name: CheckName, r: Result<String, RecordCheckError>) -> bool {
        match r {
            Ok(d) => {
                self.log.pass(name, d);
                true
            }
            Err(e) => {
                let e = e.to_string();
                if self.error.is_none() {
                    self.error = Some(ReportError {
                        code: format!("{name}_failed"),
                        message: e.clone(),
                    });
                }
                self.log.fail_with(name, &format!("{name}_failed"), e);
                false
            }
        }
    }
}

/// Verifies a record offline: signature, snapshot, inclusion proofs, the register's
/// decision on the day, the presentation itself, the likeness confirmation.
pub async fn check(jws: &str, opts: &CheckOptions) -> VerificationReport {
    let mut c = Checks {
        log: CheckLog::default(),
        error: None,
    };
    let mut summary = Map::new();
    let parsed = CompactJws::parse(jws.trim());
    let Ok(parsed) = parsed else {
        c.step(
            CheckName::RecordSignature,
            Err(RecordCheckError::NotCompactJws),
        );
        return VerificationReport::new("vouch-rtw-record", c.log, c.error, None, None);
    };
    let header_key = parsed
        .header()
        .get("jwk")
        .and_then(|v| Jwk::from_value(v).ok())
        .map(|j| j.public_key().clone());
    let ok = c.step(
        CheckName::RecordSignature,
        (|| {
            if parsed.header().typ() != Some(RECORD_TYP) {
                return Err(RecordCheckError::WrongTyp);
            }
            let key = opts
                .record_key
                .clone()
                .or(header_key.clone())
                .ok_or(RecordCheckError::NoRecordKey)?;
            if opts.record_key.is_some() && header_key.as_ref() != opts.record_key.as_ref() {
                return Err(RecordCheckError::NotPinnedKey);
            }
            parsed
                .verify(&key, &JwsPolicy::allowing(&Algorithm::ALL))
                .map_err(RecordCheckError::Signature)?;
            Ok(format!(
                "signed by record key {}{}",
                credentials::keys::jwk::thumbprint(&key),
                if opts.record_key.is_some() {
                    " (pinned)"
                } else {
                    " (from the record; pin it with --record-key)"
                }
            ))
        })(),
    );
    if !ok {
        return VerificationReport::new("vouch-rtw-record", c.log, c.error, None, None);
    }
    let p: Value = serde_json::from_slice(parsed.payload()).unwrap_or_default();
    let reg = &p["registry"];
    // The snapshot the check relied on.
    let snapshot_key = opts.snapshot_key.clone().or_else(|| {
        Jwk::from_value(&reg["snapshot_key"])
            .ok()
            .map(|j| j.public_key().clone())
    });
    let log_key = opts.log_key.clone().or_else(|| {
        reg["log_key"]
            .as_str()
            .and_then(|v| NoteKey::from_vkey(v).ok())
    });
    let mut snap: Option<(SnapshotVerifier, Snapshot)> = None;
    c.step(
        CheckName::Snapshot,
        (|| {
            let sv = SnapshotVerifier {
                snapshot_key: snapshot_key.ok_or(RecordCheckError::NoSnapshotKey)?,
                log_key: log_key.ok_or(RecordCheckError::NoLogKey)?,
            };
            let s = sv
                .verify_archived(reg["snapshot"].as_str().unwrap_or_default())
                .map_err(RecordCheckError::Snapshot)?;
            if reg["checkpoint"].as_str() != Some(s.payload.checkpoint.as_str()) {
                return Err(RecordCheckError::CheckpointMismatch);
            }
            let d = format!(
                "registry snapshot {} issued {}, log size {}{}",
                s.payload.sequence,
                rfc3339(s.payload.issued_at),
                s.checkpoint.size,
                if opts.snapshot_key.is_some() {
                    " (keys pinned)"
                } else {
                    " (keys from the record; pin them with --snapshot-key / --log-key)"
                }
            );
            snap = Some((sv, s));
            Ok(d)
        })(),
    );
    let entry_id = reg["entry_id"].as_str().unwrap_or_default().to_string();
    if let Some((_, s)) = &snap {
        c.step(
            CheckName::Inclusion,
            (|| {
                let items = reg["inclusion"].as_array().cloned().unwrap_or_default();
                if items.is_empty() {
                    return Err(RecordCheckError::NoInclusionProof);
                }
                for it in &items {
                    let index = it["index"].as_u64().ok_or(RecordCheckError::ProofIndex)?;
                    let leaf = b64::decode(it["leaf"].as_str().unwrap_or_default())
                        .ok_or(RecordCheckError::ProofLeaf)?;
                    let proof = serde_json::from_value::<Vec<String>>(it["proof"].clone())
                        .ok()
                        .and_then(|v| hashes_from_b64(&v))
                        .ok_or(RecordCheckError::ProofHashes)?;
                    merkle::verify_inclusion(
                        &merkle::leaf_hash(&leaf),
                        index,
                        s.checkpoint.size,
                        &proof,
                        &s.checkpoint.root,
                    )
                    .map_err(|source| RecordCheckError::Inclusion { index, source })?;
                    let ev = Event::from_leaf(&leaf).map_err(RecordCheckError::Event)?;
                    if ev.kind.entry_id() != Some(entry_id.as_str()) {
                        return Err(RecordCheckError::EntryMismatch {
                            index,
                            entry_id: entry_id.clone(),
                        });
                    }
                }
                Ok(format!(
                    "{} log entries about {entry_id} are included in the checkpoint",
                    items.len()
                ))
            })(),
        );
    }
    // The presentation, verified again as of the response time, with the register's key.
    let responded = p["timestamps"]["responded_at"].as_str().and_then(|t| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    });
    let response = p["presentation"]["response"]
        .as_object()
        .and_then(|m| AuthorizationResponse::from_params(m).ok());
    let claims_out;
    if let (Some((_, s)), Some(resp), Some(at)) = (&snap, response, responded) {
        let r = verify_again(&p, s, &resp, at).await;
        match r {
            Ok((report, claims)) => {
                c.step(CheckName::Presentation,
                    Ok(format!(
                        "the {} presentation verifies as of {} through the verifier's pipeline ({})",
                        report.format,
                        rfc3339(at),
                        report
                            .checks
                            .iter()
                            .filter(|c| c.name != CheckName::TrustRegister)
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                let detail = report
                    .checks
                    .iter()
                    .find(|c| c.name == CheckName::TrustRegister)
                    .map(|c| c.detail.clone())
                    .unwrap_or_default();
                c.step(CheckName::TrustRegister, Ok(detail));
                claims_out = Some(claims);
            }
            Err(e) => {
                c.step(e.presentation_check(), Err(e));
                claims_out = None;
            }
        }
    } else {
        c.step(
            CheckName::Presentation,
            Err(RecordCheckError::NoRecordedPresentation),
        );
        claims_out = None;
    }
    c.step(
        CheckName::Outcome,
        (|| {
            if p["outcome"]["passed"].as_bool() == Some(true) {
                Ok("the check passed every verification and right-to-work rule".into())
            } else {
                Err(RecordCheckError::NotPassed(
                    p["outcome"]["rule_failure"]
                        .as_str()
                        .or(p["outcome"]["report"]["error"]["message"].as_str())
                        .unwrap_or("see the report")
                        .to_string(),
                ))
            }
        })(),
    );
    c.step(
        CheckName::Likeness,
        (|| {
            let l = &p["likeness"];
            if l["confirmed"].as_bool() == Some(true) {
                Ok(format!(
                    "{} confirmed the photo is the person at {}",
                    l["checked_by"].as_str().unwrap_or("?"),
                    l["at"].as_str().unwrap_or("?")
                ))
            } else {
                Err(RecordCheckError::LikenessNotConfirmed)
            }
        })(),
    );
    if let (Some(later), Some((sv, s))) = (&opts.later_snapshot, &snap) {
        c.step(CheckName::LaterSnapshot, (|| {
            let l = sv.verify_archived(later).map_err(RecordCheckError::Snapshot)?;
            if l.checkpoint.origin != s.checkpoint.origin { return Err(RecordCheckError::LaterOtherLog); }
            if l.payload.sequence < s.payload.sequence || l.checkpoint.size < s.checkpoint.size {
                return Err(RecordCheckError::LaterOlder);
            }
            if l.checkpoint.size == s.checkpoint.size && l.checkpoint.root != s.checkpoint.root {
                return Err(RecordCheckError::LaterFork);
            }
            let at = responded.ok_or(RecordCheckError::NoResponseTime)?;
            let entry = l.register().entries.get(&entry_id).ok_or(RecordCheckError::LaterNoEntry)?;
            let note = entry.note_at(trust_framework::model::NoteCode::RightToWork, at).ok_or_else(|| RecordCheckError::LaterNoNote { entry_id: entry_id.clone(), on: rfc3339(at) })?;
            Ok(format!("the later register (snapshot {}) confirms {} held a right-to-work note ({}) on {}", l.payload.sequence, entry.provider.legal_name, note.certificate_number, rfc3339(at)))
        })());
    }
    summary.insert("record_id".into(), p["record_id"].clone());
    summary.insert("entry_id".into(), entry_id.into());
    let mut r = VerificationReport::new("vouch-rtw-record", c.log, c.error, None, claims_out);
    r.extra = summary;
    r
}

/// A fixed clock: the time the record's response arrived.
struct At(time::OffsetDateTime);

impl crate::oid4vp::Clock for At {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}

/// The record's presentation verified again, as of the response time, through the same
/// pipeline the verifier used ([`Verifier::verify_presented`]), over the record's own
/// snapshot and offline (status lists are not re-fetched: the record carries the day's).
/// On failure: the check that failed and why.
async fn verify_again(
    p: &Value,
    snapshot: &Snapshot,
    resp: &AuthorizationResponse,
    at: time::OffsetDateTime,
) -> Result<(VerificationReport, Value), RecordCheckError> {
    let (qid, items) = resp
        .vp_token
        .iter()
        .next()
        .ok_or(RecordCheckError::NoPresentation)?;
    let item = items.first().ok_or(RecordCheckError::NoPresentation)?;
    let query = DcqlQuery::from_json(&p["request"]["dcql_query"])
        .map_err(RecordCheckError::RecordedRequest)?;
    let format = query
        .credential(qid)
        .map(|cq| cq.format.clone())
        .ok_or_else(|| RecordCheckError::UnknownQuery(qid.clone()))?;
    let trust = TrustState::new(TrustData {
        snapshot: snapshot.clone(),
        jws: String::new(),
    })
    .map_err(RecordCheckError::SnapshotRefused)?;
    let verifier = Verifier {
        trust,
        status: StatusLists::new(Arc::new(NoNetwork), StatusCache::new(None)),
        policy: Policy {
            check_status: false,
            ..Policy::default()
        },
    };
    let (client_id, nonce) = (
        p["request"]["client_id"].as_str().unwrap_or_default(),
        p["request"]["nonce"].as_str().unwrap_or_default(),
    );
    let ex = Expect {
        client_id,
        nonce,
        transcript: None,
        query: Some((&query, qid)),
        now: at,
    };
    let thumb = p["request"]["enc_jwk_thumbprint"]
        .as_str()
        .and_then(b64::decode);
    let response_uri = p["request"]["response_uri"].as_str().unwrap_or_default();
    let handover = Handover {
        response_uri,
        jwk_thumbprint: thumb.as_deref(),
    };
    let fetch = VcApi::offline(Arc::new(At(at)));
    let outcome = verifier
        .verify_presented(&format, item, &ex, &handover, &fetch)
        .await
        .ok_or_else(|| RecordCheckError::NotFormatItem(format.clone()))?;
    let report = outcome.report;
    if let Some(failed) = report.checks.iter().find(|c| !c.ok) {
        let code = report
            .error
            .as_ref()
            .map(|e| e.code.clone())
            .unwrap_or_default();
        return Err(RecordCheckError::Failed {
            check: failed.name,
            code,
            detail: failed.detail.clone(),
        });
    }
    let claims = report.claims.clone().unwrap_or_default();
    Ok((report, claims))
}
