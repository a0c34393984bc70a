//! `vouch registry monitor`: follow the register's log through its C2SP `tlog-tiles`,
//! reading only what is new since the last run, and say when anything is wrong.
//!
//! Each run verifies the signed checkpoint with the trusted log keys, fetches the level-0
//! hash tiles and entry bundles for the new entries only, checks that every entry hashes to
//! its tile hash and is an event, extends the compact range kept in the state file with the
//! new leaves, and requires its root to be the checkpoint's: a log whose older entries were
//! rewritten, whose tiles disagree with its entries, or that shrank, cannot produce it. The
//! state moves forward only after a clean run.

use serde::{Deserialize, Serialize};

use crate::http::client;
use trust_framework::checkpoint::Checkpoint;
use trust_framework::cosignature::WitnessPolicy;
use trust_framework::events::Event;
use trust_framework::merkle::leaf_hash;
use trust_framework::note::NoteKey;
use trust_framework::tiles::{self, CompactRange, TileRef};

/// What a monitor remembers between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorState {
    /// The log's origin, once seen.
    pub origin: String,
    /// The tree verified so far.
    pub range: CompactRange,
}

/// Something wrong with the log, as a monitor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Finding {
    /// The checkpoint is not signed by a trusted log key (or is not a checkpoint).
    #[error("the checkpoint does not verify: {message}")]
    CheckpointSignature {
        /// Why.
        message: String,
    },
    /// The log is another log than the one monitored before.
    #[error("the log's origin is {found}, not {expected}")]
    OriginChanged {
        /// Before.
        expected: String,
        /// Now.
        found: String,
    },
    /// The log is smaller than it was.
    #[error("the log shrank from {from} to {to} entries")]
    Shrank {
        /// Before.
        from: u64,
        /// Now.
        to: u64,
    },
    /// A tile or bundle could not be read.
    #[error("{path}: {message}")]
    Unreadable {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
    /// An entry does not hash to its tile's leaf hash.
    #[error("entry {index} does not match its tile's hash")]
    TileMismatch {
        /// The entry.
        index: u64,
    },
    /// Fewer trusted witnesses cosigned the checkpoint than the policy requires.
    #[error("the checkpoint lacks its witness quorum: {message}")]
    Quorum {
        /// Why.
        message: String,
    },
    /// An entry is not an event.
    #[error("entry {index} is not an event: {message}")]
    BadEntry {
        /// The entry.
        index: u64,
        /// Why.
        message: String,
    },
    /// The verified tree extended with the new entries does not give the checkpoint's root:
    /// an entry before `verified_size` was rewritten (or the new ones are not those signed).
    #[error("the checkpoint of size {size} does not extend the {verified_size} entries verified before: the log was rewritten")]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
        /// What was verified before.
        verified_size: u64,
    },
}

/// What a run found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MonitorReport {
    /// The registry.
    pub source: String,
    /// Entries verified before this run.
    pub from_size: u64,
    /// Entries verified after it (unchanged when something was wrong).
    pub to_size: u64,
    /// HTTP requests made.
    pub requests: u64,
    /// New entries, by event type.
    pub new_events: std::collections::BTreeMap<String, u64>,
    /// The trusted witnesses that cosigned the checkpoint (with a policy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
    /// What is wrong; empty when all is well.
    pub findings: Vec<Finding>,
}

impl MonitorReport {
    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

async fn get(
    http: &client::Client,
    base: &str,
    path: &str,
    report: &mut MonitorReport,
) -> Result<Vec<u8>, Finding> {
    report.requests += 1;
    let r = http
        .get(base, path)
        .await
        .map_err(|e| Finding::Unreadable {
            path: path.into(),
            message: e.to_string(),
        })?;
    if r.status != 200 {
        return Err(Finding::Unreadable {
            path: path.into(),
            message: format!("HTTP {}", r.status),
        });
    }
    Ok(r.body)
}

/// One run against the registry at `base`, trusting `keys` for its checkpoints, from
/// `state` (the empty tree on a first run). Returns the report and, after a clean run, the
/// new state.
pub async fn run(
    http: &client::Client,
    base: &str,
    keys: &[NoteKey],
    state: &MonitorState,
) -> (MonitorReport, Option<MonitorState>) {
    run_with_policy(http, base, keys, None, state).await
}

/// As [`run`], requiring also the witness quorum of `policy` on the checkpoint.
pub async fn run_with_policy(
    http: &client::Client,
    base: &str,
    keys: &[NoteKey],
    policy: Option<&WitnessPolicy>,
    state: &MonitorState,
) -> (MonitorReport, Option<MonitorState>) {
    let mut report = MonitorReport {
        source: base.to_string(),
        from_size: state.range.size,
        to_size: state.range.size,
        ..Default::default()
    };
    match step(http, base, keys, policy, state, &mut report).await {
        Ok(next) => {
            report.to_size = next.range.size;
            (report, Some(next))
        }
        Err(f) => {
            report.findings.push(f);
            (report, None)
        }
    }
}

async fn step(
    http: &client::Client,
    base: &str,
    keys: &[NoteKey],
    policy: Option<&WitnessPolicy>,
    state: &MonitorState,
    report: &mut MonitorReport,
) -> Result<MonitorState, Finding> {
    let note =
        String::from_utf8_lossy(&get(http, base, "/log/checkpoint", report).await?).into_owned();
    let cp = Checkpoint::open(&note, keys).map_err(|e| Finding::CheckpointSignature {
        message: e.to_string(),
    })?;
    if let Some(p) = policy {
        let by = p.check(&note).map_err(|e| Finding::Quorum {
            message: e.to_string(),
        })?;
        report.witnesses = by.iter().map(|s| s.to_string()).collect();
    }
    if !state.origin.is_empty() && state.origin != cp.origin {
        return Err(Finding::OriginChanged {
            expected: state.origin.clone(),
            found: cp.origin,
        });
    }
    let from = state.range.size;
    if cp.size < from {
        return Err(Finding::Shrank { from, to: cp.size });
    }
    let mut range = state.range.clone();
    for t in tiles::leaf_tiles(from, cp.size) {
        let tile_path = format!("/log/{}", t.path());
        let bundle_ref = TileRef { level: None, ..t };
        let bundle_path = format!("/log/{}", bundle_ref.path());
        let hashes =
            tiles::split_hashes(&get(http, base, &tile_path, report).await?).map_err(|e| {
                Finding::Unreadable {
                    path: tile_path.clone(),
                    message: e.to_string(),
                }
            })?;
        let bundle = get(http, base, &bundle_path, report).await?;
        let entries = tiles::split_bundle(&bundle).map_err(|e| Finding::Unreadable {
            path: bundle_path.clone(),
            message: e.to_string(),
        })?;
        if hashes.len() as u64 != t.width() || entries.len() as u64 != t.width() {
            return Err(Finding::Unreadable {
                path: tile_path,
                message: format!(
                    "{} hashes and {} entries where {} were asked",
                    hashes.len(),
                    entries.len(),
                    t.width()
                ),
            });
        }
        for (k, (entry, hash)) in entries.iter().zip(&hashes).enumerate() {
            let index = t.index * tiles::WIDTH + k as u64;
            if leaf_hash(entry) != *hash {
                return Err(Finding::TileMismatch { index });
            }
            if index < from {
                continue;
            }
            let event = Event::from_leaf(entry).map_err(|e| Finding::BadEntry {
                index,
                message: e.to_string(),
            })?;
            *report
                .new_events
                .entry(event.kind.type_name().to_string())
                .or_default() += 1;
            range.push(*hash);
        }
    }
    if range
        .root()
        .unwrap_or_else(trust_framework::merkle::empty_root)
        != cp.root
    {
        return Err(Finding::RootMismatch {
            size: cp.size,
            verified_size: from,
        });
    }
    Ok(MonitorState {
        origin: cp.origin,
        range,
    })
}
