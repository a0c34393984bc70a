//! A witness (C2SP `tlog-witness`): `POST /add-checkpoint` takes a log's new checkpoint
//! with a consistency proof from the last one it cosigned, verifies the log's signature and
//! the proof, records the new checkpoint (atomically, before answering) and returns its
//! `cosignature/v1`. It never cosigns two different trees of one size, nor a tree that does
//! not extend the last one: a register that shows different trees to different parties
//! cannot get both cosigned.
//!
//! Answers as the protocol says: 404 for an unknown log, 403 when no trusted log key
//! signed the checkpoint, 400 for a malformed request or an old size above the new one,
//! 409 (`text/x.tlog.size`, the size it has) when the old size is not the one it cosigned
//! or the same size comes with another root, 422 when the proof does not verify.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use credentials::keys::Signer;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use trust_framework::checkpoint::Checkpoint;
use trust_framework::cosignature;
use trust_framework::merkle::{self, Hash};
use trust_framework::note::NoteKey;

/// What a witness remembers of each log: the last checkpoint it cosigned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessState {
    /// By origin: size and root (base64).
    pub logs: BTreeMap<String, (u64, String)>,
}

/// A running witness.
pub struct Witness {
    /// Its name (the key name of its cosignatures).
    pub name: String,
    /// Its cosigning key (Ed25519).
    pub signer: Arc<dyn Signer>,
    /// The logs it witnesses: their trusted keys, by origin.
    pub logs: BTreeMap<String, Vec<NoteKey>>,
    /// Where its state is kept (written before each answer).
    pub state_file: PathBuf,
    state: Mutex<WitnessState>,
}

impl Witness {
    /// A witness named `name`, with `signer`, for `logs`, keeping its state in `state_file`
    /// (read if it exists).
    pub fn new(
        name: &str,
        signer: Arc<dyn Signer>,
        logs: BTreeMap<String, Vec<NoteKey>>,
        state_file: PathBuf,
    ) -> std::io::Result<Self> {
        let state = match std::fs::read_to_string(&state_file) {
            Ok(s) => serde_json::from_str(&s)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => WitnessState::default(),
            Err(e) => return Err(e),
        };
        Ok(Witness {
            name: name.into(),
            signer,
            logs,
            state_file,
            state: Mutex::new(state),
        })
    }

    /// Its verifier key (`cosignature/v1`).
    pub fn vkey(&self) -> String {
        cosignature::CosignerKey::new(&self.name, self.signer.public_key())
            .map(|k| k.to_vkey())
            .unwrap_or_default()
    }

    /// The routes: `POST /add-checkpoint`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/add-checkpoint", post(add_checkpoint))
            .with_state(self)
    }

    /// Handles one submission; the status and body to answer.
    pub async fn add(&self, body: &str, now: u64) -> (StatusCode, String) {
        let Some((old, proof, note)) = parse_request(body) else {
            return (StatusCode::BAD_REQUEST, "malformed request\n".into());
        };
        let Ok(unverified) = Checkpoint::parse_unverified(note) else {
            return (StatusCode::BAD_REQUEST, "not a checkpoint\n".into());
        };
        let Some(keys) = self.logs.get(&unverified.origin) else {
            return (StatusCode::NOT_FOUND, "unknown log\n".into());
        };
        let Ok(cp) = Checkpoint::open(note, keys) else {
            return (StatusCode::FORBIDDEN, "no trusted log signature\n".into());
        };
        if old > cp.size {
            return (
                StatusCode::BAD_REQUEST,
                "old size above the checkpoint's\n".into(),
            );
        }
        // Checked and recorded under one lock, so two submissions cannot roll it back.
        let mut state = self.state.lock().await;
        let (have, root_b64) = state
            .logs
            .get(&cp.origin)
            .cloned()
            .unwrap_or((0, String::new()));
        if old != have {
            return conflict(have);
        }
        let have_root: Option<Hash> = STANDARD
            .decode(&root_b64)
            .ok()
            .and_then(|b| b.try_into().ok());
        if old == cp.size {
            if old > 0 && have_root != Some(cp.root) {
                return conflict(have);
            }
        } else if old > 0 {
            let Some(from_root) = have_root else {
                return conflict(have);
            };
            if merkle::verify_consistency(old, cp.size, &proof, &from_root, &cp.root).is_err() {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "the consistency proof does not verify\n".into(),
                );
            }
        } else if !proof.is_empty() {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                "a proof from size 0 must be empty\n".into(),
            );
        }
        let (text, _) = match trust_framework::note::parse(note) {
            Ok(p) => p,
            Err(_) => return (StatusCode::BAD_REQUEST, "not a note\n".into()),
        };
        let line = match cosignature::cosign(text, &self.name, self.signer.as_ref(), now) {
            Ok(l) => l,
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        };
        let mut next = state.clone();
        next.logs
            .insert(cp.origin.clone(), (cp.size, STANDARD.encode(cp.root)));
        let persisted = serde_json::to_string_pretty(&next)
            .map_err(std::io::Error::other)
            .and_then(|s| vouch_ops::files::write_private(&self.state_file, s));
        if let Err(e) = persisted {
            tracing::error!(error = %e, "the witness cannot persist its state");
            return (StatusCode::INTERNAL_SERVER_ERROR, "cannot persist\n".into());
        }
        *state = next;
        tracing::info!(origin = %cp.origin, size = cp.size, "checkpoint cosigned");
        (StatusCode::OK, line)
    }
}

fn conflict(have: u64) -> (StatusCode, String) {
    (StatusCode::CONFLICT, format!("{have}\n"))
}

/// `old <n>\n`, proof lines, an empty line, the checkpoint note.
fn parse_request(body: &str) -> Option<(u64, Vec<Hash>, &str)> {
    let (first, mut rest) = body.split_once('\n')?;
    let old = first.strip_prefix("old ")?;
    if old.is_empty() || (old.len() > 1 && old.starts_with('0')) {
        return None;
    }
    let old: u64 = old.parse().ok()?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest.split_once('\n')?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == 63 {
            return None;
        }
        proof.push(STANDARD.decode(line).ok()?.try_into().ok()?);
    }
    Some((old, proof, rest))
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "not UTF-8\n").into_response();
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let (status, body) = w.add(text, now).await;
    let content_type = if status == StatusCode::CONFLICT {
        "text/x.tlog.size"
    } else {
        "text/plain; charset=utf-8"
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A register's client of its witnesses: submits a checkpoint with the consistency proof
/// from what each witness last cosigned, and gathers their cosignatures.
pub mod submit {
    use super::*;
    use crate::http::client;
    use trust_framework::log::Log;

    /// One witness as the register knows it.
    #[derive(Clone, Debug)]
    pub struct WitnessEndpoint {
        /// Its base URL (`POST <url>/add-checkpoint`).
        pub url: String,
        /// Its key.
        pub key: cosignature::CosignerKey,
        /// The size it last cosigned, as far as the register knows.
        pub size: u64,
    }

    /// Submits the signed checkpoint `note` of `log`'s current size to `w`, learning the
    /// witness's size on a 409 and trying once more; the cosignature line on success.
    pub async fn submit(
        http: &client::Client,
        w: &mut WitnessEndpoint,
        log: &Log,
        note: &str,
    ) -> Result<String, String> {
        for _ in 0..2 {
            let size = log.len();
            let proof = if w.size == 0 || w.size >= size {
                Vec::new()
            } else {
                log.consistency_proof(w.size, size)
                    .map_err(|e| e.to_string())?
            };
            let mut body = format!("old {}\n", w.size.min(size));
            for h in &proof {
                body.push_str(&STANDARD.encode(h));
                body.push('\n');
            }
            body.push('\n');
            body.push_str(note);
            let r = http
                .request("POST", &w.url, "/add-checkpoint", None, Some(&body))
                .await
                .map_err(|e| e.to_string())?;
            match r.status {
                200 => {
                    w.size = size;
                    let line = r.text();
                    let checked = format!("{note}{line}");
                    if cosignature::cosigned_by(&checked, std::slice::from_ref(&w.key))
                        .map(|v| v.len())
                        .unwrap_or(0)
                        != 1
                    {
                        return Err(format!("{}: not a valid cosignature", w.url));
                    }
                    return Ok(line);
                }
                409 => {
                    w.size = r
                        .text()
                        .trim()
                        .parse()
                        .map_err(|_| "bad 409 body".to_string())?;
                }
                s => return Err(format!("{}: HTTP {s}: {}", w.url, r.text().trim())),
            }
        }
        Err(format!(
            "{}: the witness's view does not match this log",
            w.url
        ))
    }
}
