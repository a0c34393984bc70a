//! The register: a pure fold over the event log.
//!
//! It keeps validity intervals rather than only the latest state, so a snapshot answers
//! historical questions ("did this provider hold a right-to-work note on 2026-03-01?")
//! without the log: every state change carries the time it took effect and the log index
//! of the event that made it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::events::{Event, EventKind};
use crate::model::AnchorKey;
use crate::model::{
    CabCertificate, CertificateState, NoteCode, Provider, RelyingParty, RemovalReason, Service,
    TrustAnchor,
};
use crate::note::{self, NoteKey};

/// The text a previous log key signs to endorse its successor.
pub fn rotation_text(new_vkey: &str) -> String {
    format!("vouch log key rotation\n{new_vkey}\n")
}

/// Why an event cannot be applied to the register.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// No entry with this id.
    #[error("no register entry \"{0}\"")]
    UnknownEntry(String),
    /// An entry with this id already exists.
    #[error("register entry \"{0}\" already exists")]
    DuplicateEntry(String),
    /// The entry has been removed; it cannot change any more.
    #[error("register entry \"{0}\" has been removed")]
    EntryRemoved(String),
    /// The entry has no certificate with this number.
    #[error("entry \"{entry}\" has no certificate \"{number}\"")]
    UnknownCertificate {
        /// The entry.
        entry: String,
        /// The certificate number.
        number: String,
    },
    /// The certificate cannot move from its state to the one asked for.
    #[error("certificate \"{number}\" cannot go from {from} to {to}")]
    InvalidTransition {
        /// The certificate number.
        number: String,
        /// Its current state.
        from: CertificateState,
        /// The state asked for.
        to: CertificateState,
    },
    /// The entry already holds this note.
    #[error("entry \"{entry}\" already holds a {code} note")]
    DuplicateNote {
        /// The entry.
        entry: String,
        /// The note.
        code: NoteCode,
    },
    /// The entry holds no such note.
    #[error("entry \"{entry}\" holds no {code} note")]
    UnknownNote {
        /// The entry.
        entry: String,
        /// The note.
        code: NoteCode,
    },
    /// No such anchor on the entry.
    #[error("entry \"{entry}\" has no trust anchor \"{anchor}\"")]
    UnknownAnchor {
        /// The entry.
        entry: String,
        /// The anchor.
        anchor: String,
    },
    /// The anchor id is taken.
    #[error("entry \"{entry}\" already has a trust anchor \"{anchor}\"")]
    DuplicateAnchor {
        /// The entry.
        entry: String,
        /// The anchor.
        anchor: String,
    },
    /// The anchor is already retired or compromised.
    #[error("trust anchor \"{0}\" is no longer active")]
    AnchorInactive(String),
    /// A relying party with this id already exists.
    #[error("relying party \"{0}\" already exists")]
    DuplicateRelyingParty(String),
    /// No relying party with this id (or it was removed already).
    #[error("no relying party \"{0}\" on the register")]
    UnknownRelyingParty(String),
    /// A purpose's retention is not an ISO 8601 period of years, months, weeks or days with
    /// a description in words (at most 500 characters).
    #[error("the retention of purpose \"{0}\" needs a period such as P6M or P2Y and a description in words")]
    BadRetention(String),
    /// The first event must be `log.genesis`, and only the first.
    #[error("log.genesis must be the first event and only the first")]
    Genesis,
    /// A log key rotation is malformed or not endorsed by the previous key.
    #[error("log key rotation rejected: {0}")]
    Rotation(String),
    /// A correction points at no earlier event, or at a genesis, rotation or correction.
    #[error("correction.recorded cannot correct log index {0}")]
    BadCorrection(u64),
}

impl RegisterError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RegisterError::UnknownEntry(_) => "unknown_entry",
            RegisterError::DuplicateEntry(_) => "duplicate_entry",
            RegisterError::EntryRemoved(_) => "entry_removed",
            RegisterError::UnknownCertificate { .. } => "unknown_certificate",
            RegisterError::InvalidTransition { .. } => "invalid_certificate_transition",
            RegisterError::DuplicateNote { .. } => "duplicate_note",
            RegisterError::UnknownNote { .. } => "unknown_note",
            RegisterError::UnknownAnchor { .. } => "unknown_anchor",
            RegisterError::DuplicateAnchor { .. } => "duplicate_anchor",
            RegisterError::AnchorInactive(_) => "anchor_inactive",
            RegisterError::DuplicateRelyingParty(_) => "duplicate_relying_party",
            RegisterError::UnknownRelyingParty(_) => "unknown_relying_party",
            RegisterError::BadRetention(_) => "bad_retention",
            RegisterError::Genesis => "genesis_misplaced",
            RegisterError::Rotation(_) => "rotation_rejected",
            RegisterError::BadCorrection(_) => "bad_correction",
        }
    }

    /// Whether the event conflicts with current state (HTTP 409) rather than naming nothing (404).
    pub fn is_conflict(&self) -> bool {
        !matches!(
            self,
            RegisterError::UnknownEntry(_)
                | RegisterError::UnknownRelyingParty(_)
                | RegisterError::UnknownCertificate { .. }
                | RegisterError::UnknownAnchor { .. }
                | RegisterError::UnknownNote { .. }
        )
    }
}

/// Whether an entry is on the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// On the register.
    Registered,
    /// Removed from it.
    Removed,
}

/// A change of an entry's register state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// When it took effect.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The new state.
    pub state: EntryState,
    /// Why (removals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RemovalReason>,
    /// The legal basis given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// The log index of the event.
    pub log_index: u64,
}

/// A change of a certificate's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateChange {
    /// When it took effect.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The new state.
    pub state: CertificateState,
    /// The log index of the event.
    pub log_index: u64,
}

/// A certificate of an entry and its state history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// The certificate.
    pub certificate: CabCertificate,
    /// For a supplementary note's certificate, the code; none for the service's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<NoteCode>,
    /// State changes, in the order they took effect.
    pub changes: Vec<CertificateChange>,
}

/// A certificate's state at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateStatus {
    /// In force.
    Valid,
    /// Not yet issued at that time.
    NotYetValid,
    /// Suspended since.
    Suspended(OffsetDateTime),
    /// Withdrawn since.
    Withdrawn(OffsetDateTime),
    /// Expired since.
    Expired(OffsetDateTime),
}

impl CertificateRecord {
    /// The certificate's state at `at`: its dates first, then the CAB's actions.
    pub fn status_at(&self, at: OffsetDateTime) -> CertificateStatus {
        let c = &self.certificate;
        if at < c.issued_at {
            return CertificateStatus::NotYetValid;
        }
        let mut status = CertificateStatus::Valid;
        for ch in self.changes.iter().filter(|ch| ch.at <= at) {
            status = match ch.state {
                CertificateState::Valid => CertificateStatus::Valid,
                CertificateState::Suspended => CertificateStatus::Suspended(ch.at),
                CertificateState::Withdrawn => CertificateStatus::Withdrawn(ch.at),
                CertificateState::Expired => CertificateStatus::Expired(ch.at),
            };
        }
        if matches!(status, CertificateStatus::Valid) && at >= c.expires_at {
            return CertificateStatus::Expired(c.expires_at);
        }
        status
    }

    /// The state as last recorded in the log (ignoring dates).
    pub fn recorded_state(&self) -> CertificateState {
        self.changes
            .last()
            .map_or(CertificateState::Valid, |c| c.state)
    }
}

/// A supplementary note held (or once held) by an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRecord {
    /// Which code.
    pub code: NoteCode,
    /// The code version.
    pub code_version: String,
    /// The number of the certificate that backs it.
    pub certificate_number: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    /// When it was removed, if it was.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub removed_at: Option<OffsetDateTime>,
    /// The log index of the event that added it.
    pub log_index: u64,
}

impl NoteRecord {
    /// Whether the note was on the entry at `at`.
    pub fn held_at(&self, at: OffsetDateTime) -> bool {
        self.added_at <= at && self.removed_at.is_none_or(|r| at < r)
    }
}

/// A trust anchor and its lifetime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRecord {
    /// The anchor.
    pub anchor: TrustAnchor,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    /// When it was retired.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub retired_at: Option<OffsetDateTime>,
    /// If compromised, the last moment it can be trusted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub not_trusted_after: Option<OffsetDateTime>,
}

impl AnchorRecord {
    fn active(&self) -> bool {
        self.retired_at.is_none() && self.not_trusted_after.is_none()
    }
}

/// One service's entry on the register, with its whole history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The entry id.
    pub entry_id: String,
    /// The provider.
    pub provider: Provider,
    /// The service.
    pub service: Service,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    /// When the entry lapses unless renewed.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Register state changes (the first is the registration).
    pub status: Vec<StatusChange>,
    /// The service's certificates and those of its notes.
    pub certificates: Vec<CertificateRecord>,
    /// Supplementary notes, current and past.
    pub notes: Vec<NoteRecord>,
    /// Trust anchors, current and past.
    pub anchors: Vec<AnchorRecord>,
    /// Log indices of every event about this entry.
    pub history: Vec<u64>,
}

impl Entry {
    /// The issuer identifiers (`iss`) the entry registered: those of its `iss` key anchors
    /// (current and past) and its service URL. A credential proven by an `x5c` chain to this
    /// entry's root may name only one of these as its `iss` (none registered: no rule).
    pub fn issuer_identifiers(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .anchors
            .iter()
            .filter_map(|a| match &a.anchor.key {
                AnchorKey::IssKey { iss, .. } => Some(iss.clone()),
                _ => None,
            })
            .chain(self.service.url.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// The register state at `at` (none before registration) and the change that set it.
    pub fn state_at(&self, at: OffsetDateTime) -> Option<&StatusChange> {
        self.status.iter().rev().find(|s| s.at <= at)
    }

    /// The state now, as last recorded.
    pub fn current_state(&self) -> EntryState {
        self.status.last().map_or(EntryState::Removed, |s| s.state)
    }

    /// The service certificate in force at `at`: the latest issued by then, else the first.
    pub fn service_certificate_at(&self, at: OffsetDateTime) -> Option<&CertificateRecord> {
        let own = || self.certificates.iter().filter(|c| c.note.is_none());
        own()
            .filter(|c| c.certificate.issued_at <= at)
            .max_by_key(|c| c.certificate.issued_at)
            .or_else(|| own().next())
    }

    /// The note for `code` held at `at`, if any.
    pub fn note_at(&self, code: NoteCode, at: OffsetDateTime) -> Option<&NoteRecord> {
        self.notes
            .iter()
            .rev()
            .find(|n| n.code == code && n.held_at(at))
    }

    /// The certificate with this number.
    pub fn certificate(&self, number: &str) -> Option<&CertificateRecord> {
        self.certificates
            .iter()
            .find(|c| c.certificate.number == number)
    }

    fn certificate_mut(&mut self, number: &str) -> Result<&mut CertificateRecord, RegisterError> {
        let entry = self.entry_id.clone();
        self.certificates
            .iter_mut()
            .find(|c| c.certificate.number == number)
            .ok_or_else(|| RegisterError::UnknownCertificate {
                entry,
                number: number.to_string(),
            })
    }

    fn anchor_mut(&mut self, anchor_id: &str) -> Result<&mut AnchorRecord, RegisterError> {
        let entry = self.entry_id.clone();
        self.anchors
            .iter_mut()
            .find(|a| a.anchor.anchor_id == anchor_id)
            .ok_or_else(|| RegisterError::UnknownAnchor {
                entry,
                anchor: anchor_id.to_string(),
            })
    }
}

/// A registered relying party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingPartyRecord {
    /// Its registration.
    pub relying_party: RelyingParty,
    /// When it registered.
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: OffsetDateTime,
    /// The log index of the registration.
    pub log_index: u64,
    /// When it was removed from the register, if it was (absent in registers folded
    /// before removal existed).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub removed_at: Option<OffsetDateTime>,
}

/// A log key and the first tree size whose checkpoint it signs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogKeyRecord {
    /// The note verifier key.
    pub vkey: String,
    /// Checkpoints of at least this size are signed with this key.
    pub from_size: u64,
}

/// The register: every entry, relying party and log key, as the fold of the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    /// The log's origin (from its genesis).
    pub origin: String,
    /// How many log entries were folded.
    pub size: u64,
    /// Entries by id.
    pub entries: BTreeMap<String, Entry>,
    /// Relying parties by id.
    pub relying_parties: BTreeMap<String, RelyingPartyRecord>,
    /// Log keys in order of rotation.
    pub log_keys: Vec<LogKeyRecord>,
}

impl Register {
    /// Folds a whole log, honouring corrections.
    pub fn fold(events: &[Event]) -> Result<Register, (u64, RegisterError)> {
        let mut replaced: BTreeMap<u64, Option<&Event>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if let EventKind::CorrectionRecorded {
                corrects,
                replacement,
            } = &e.kind
            {
                let ok = *corrects < i as u64
                    && !matches!(
                        events[*corrects as usize].kind,
                        EventKind::LogGenesis { .. }
                            | EventKind::LogKeyRotated { .. }
                            | EventKind::CorrectionRecorded { .. }
                    )
                    && replacement.as_ref().is_none_or(|r| {
                        !matches!(
                            r.kind,
                            EventKind::LogGenesis { .. }
                                | EventKind::LogKeyRotated { .. }
                                | EventKind::CorrectionRecorded { .. }
                        )
                    });
                if !ok {
                    return Err((i as u64, RegisterError::BadCorrection(*corrects)));
                }
                replaced.insert(*corrects, replacement.as_deref());
            }
        }
        let mut reg = Register::default();
        for (i, e) in events.iter().enumerate() {
            let index = i as u64;
            let effective = match replaced.get(&index) {
                Some(r) => *r,
                None => Some(e),
            };
            match effective {
                Some(ev) if !matches!(ev.kind, EventKind::CorrectionRecorded { .. }) => {
                    reg.apply(index, ev).map_err(|err| (index, err))?
                }
                _ => {
                    reg.size = index + 1;
                    reg.touch_correction(index, e);
                }
            }
        }
        Ok(reg)
    }

    /// Folds the first `size` entries only: the register as a checkpoint of that size saw it.
    pub fn fold_prefix(events: &[Event], size: u64) -> Result<Register, (u64, RegisterError)> {
        Self::fold(&events[..(size as usize).min(events.len())])
    }

    fn touch_correction(&mut self, index: u64, e: &Event) {
        if let Some(id) = e.kind.entry_id() {
            if let Some(entry) = self.entries.get_mut(id) {
                entry.history.push(index);
            }
        }
    }

    /// The log key that signs the checkpoint of `size` entries.
    pub fn log_key_for_size(&self, size: u64) -> Option<&LogKeyRecord> {
        self.log_keys.iter().rev().find(|k| k.from_size <= size)
    }

    /// Every log key, parsed.
    pub fn note_keys(&self) -> Vec<NoteKey> {
        self.log_keys
            .iter()
            .filter_map(|k| NoteKey::from_vkey(&k.vkey).ok())
            .collect()
    }

    /// Applies one event at log index `index`. On error the register is unchanged.
    ///
    /// Corrections need the whole log: fold it again with [`Register::fold`].
    pub fn apply(&mut self, index: u64, event: &Event) -> Result<(), RegisterError> {
        let at = event.occurred_at;
        let basis = event.legal_basis.clone();
        match &event.kind {
            EventKind::LogGenesis { origin, vkey } => {
                if index != 0 || !self.log_keys.is_empty() {
                    return Err(RegisterError::Genesis);
                }
                let key =
                    NoteKey::from_vkey(vkey).map_err(|e| RegisterError::Rotation(e.to_string()))?;
                if key.name() != origin {
                    return Err(RegisterError::Rotation(
                        "the key name must be the origin".into(),
                    ));
                }
                self.origin = origin.clone();
                self.log_keys.push(LogKeyRecord {
                    vkey: vkey.clone(),
                    from_size: 1,
                });
            }
            _ if index == 0 => return Err(RegisterError::Genesis),
            EventKind::LogKeyRotated { vkey, endorsement } => {
                let new =
                    NoteKey::from_vkey(vkey).map_err(|e| RegisterError::Rotation(e.to_string()))?;
                if new.name() != self.origin {
                    return Err(RegisterError::Rotation(
                        "the key name must be the origin".into(),
                    ));
                }
                let old = self.note_keys().pop().ok_or(RegisterError::Genesis)?;
                let (text, _) = note::open(endorsement, std::slice::from_ref(&old))
                    .map_err(|e| RegisterError::Rotation(format!("endorsement: {e}")))?;
                if text != rotation_text(vkey) {
                    return Err(RegisterError::Rotation(
                        "the endorsement names another key".into(),
                    ));
                }
                self.log_keys.push(LogKeyRecord {
                    vkey: vkey.clone(),
                    from_size: index + 1,
                });
            }
            EventKind::EntryRegistered {
                entry_id,
                provider,
                service,
                certificate,
                anchors,
                expires_at,
            } => {
                if self.entries.contains_key(entry_id) {
                    return Err(RegisterError::DuplicateEntry(entry_id.clone()));
                }
                let mut seen = BTreeSet::new();
                for a in anchors {
                    if !seen.insert(&a.anchor_id) {
                        return Err(RegisterError::DuplicateAnchor {
                            entry: entry_id.clone(),
                            anchor: a.anchor_id.clone(),
                        });
                    }
                }
                self.entries.insert(
                    entry_id.clone(),
                    Entry {
                        entry_id: entry_id.clone(),
                        provider: provider.clone(),
                        service: service.clone(),
                        registered_at: at,
                        expires_at: *expires_at,
                        status: vec![StatusChange {
                            at,
                            state: EntryState::Registered,
                            reason: None,
                            legal_basis: basis,
                            log_index: index,
                        }],
                        certificates: vec![CertificateRecord {
                            certificate: certificate.clone(),
                            note: None,
                            changes: vec![],
                        }],
                        notes: vec![],
                        anchors: anchors
                            .iter()
                            .map(|a| AnchorRecord {
                                anchor: a.clone(),
                                added_at: at,
                                retired_at: None,
                                not_trusted_after: None,
                            })
                            .collect(),
                        history: vec![],
                    },
                );
            }
            EventKind::CertificateIssued {
                entry_id,
                certificate,
            } => {
                let entry = self.live_entry(entry_id)?;
                if entry.certificate(&certificate.number).is_some() {
                    return Err(RegisterError::InvalidTransition {
                        number: certificate.number.clone(),
                        from: CertificateState::Valid,
                        to: CertificateState::Valid,
                    });
                }
                entry.certificates.push(CertificateRecord {
                    certificate: certificate.clone(),
                    note: None,
                    changes: vec![],
                });
            }
            EventKind::CertificateSuspended(r) => {
                self.certificate_change(r, CertificateState::Suspended, at, index)?
            }
            EventKind::CertificateReinstated(r) => {
                self.certificate_change(r, CertificateState::Valid, at, index)?
            }
            EventKind::CertificateWithdrawn(r) => {
                self.certificate_change(r, CertificateState::Withdrawn, at, index)?
            }
            EventKind::CertificateExpired(r) => {
                self.certificate_change(r, CertificateState::Expired, at, index)?
            }
            EventKind::NoteAdded { entry_id, note } => {
                let entry = self.live_entry(entry_id)?;
                if entry
                    .notes
                    .iter()
                    .any(|n| n.code == note.code && n.removed_at.is_none())
                {
                    return Err(RegisterError::DuplicateNote {
                        entry: entry_id.clone(),
                        code: note.code,
                    });
                }
                if entry.certificate(&note.certificate.number).is_none() {
                    entry.certificates.push(CertificateRecord {
                        certificate: note.certificate.clone(),
                        note: Some(note.code),
                        changes: vec![],
                    });
                }
                entry.notes.push(NoteRecord {
                    code: note.code,
                    code_version: note.code_version.clone(),
                    certificate_number: note.certificate.number.clone(),
                    added_at: at,
                    removed_at: None,
                    log_index: index,
                });
            }
            EventKind::NoteRemoved { entry_id, code } => {
                let entry = self.live_entry(entry_id)?;
                let note = entry
                    .notes
                    .iter_mut()
                    .rev()
                    .find(|n| n.code == *code && n.removed_at.is_none())
                    .ok_or(RegisterError::UnknownNote {
                        entry: entry_id.clone(),
                        code: *code,
                    })?;
                note.removed_at = Some(at);
            }
            EventKind::AnchorAdded { entry_id, anchor } => {
                let entry = self.live_entry(entry_id)?;
                if entry
                    .anchors
                    .iter()
                    .any(|a| a.anchor.anchor_id == anchor.anchor_id)
                {
                    return Err(RegisterError::DuplicateAnchor {
                        entry: entry_id.clone(),
                        anchor: anchor.anchor_id.clone(),
                    });
                }
                entry.anchors.push(AnchorRecord {
                    anchor: anchor.clone(),
                    added_at: at,
                    retired_at: None,
                    not_trusted_after: None,
                });
            }
            EventKind::AnchorRetired(r) => {
                let anchor = self.live_entry(&r.entry_id)?.anchor_mut(&r.anchor_id)?;
                if !anchor.active() {
                    return Err(RegisterError::AnchorInactive(r.anchor_id.clone()));
                }
                anchor.retired_at = Some(at);
            }
            EventKind::AnchorCompromised {
                entry_id,
                anchor_id,
                not_trusted_after,
            } => {
                // A compromise may be logged after retirement, and on a removed entry.
                let entry = self
                    .entries
                    .get_mut(entry_id)
                    .ok_or_else(|| RegisterError::UnknownEntry(entry_id.clone()))?;
                let anchor = entry.anchor_mut(anchor_id)?;
                if anchor.not_trusted_after.is_some() {
                    return Err(RegisterError::AnchorInactive(anchor_id.clone()));
                }
                anchor.not_trusted_after = Some(*not_trusted_after);
            }
            EventKind::EntryRemoved { entry_id, reason } => {
                let entry = self.live_entry(entry_id)?;
                entry.status.push(StatusChange {
                    at,
                    state: EntryState::Removed,
                    reason: Some(*reason),
                    legal_basis: basis,
                    log_index: index,
                });
                entry.status.sort_by_key(|s| (s.at, s.log_index));
            }
            EventKind::RelyingPartyRegistered { relying_party } => {
                let id = &relying_party.relying_party_id;
                if self.relying_parties.contains_key(id) {
                    return Err(RegisterError::DuplicateRelyingParty(id.clone()));
                }
                for p in &relying_party.purposes {
                    if let Some(r) = &p.retention {
                        let words = r.description.trim().chars().count();
                        if !r.period_is_valid() || words == 0 || words > 500 {
                            return Err(RegisterError::BadRetention(p.purpose.clone()));
                        }
                    }
                }
                self.relying_parties.insert(
                    id.clone(),
                    RelyingPartyRecord {
                        relying_party: relying_party.clone(),
                        registered_at: at,
                        log_index: index,
                        removed_at: None,
                    },
                );
            }
            EventKind::RelyingPartyRemoved {
                relying_party_id, ..
            } => {
                let rp = self
                    .relying_parties
                    .get_mut(relying_party_id)
                    .filter(|r| r.removed_at.is_none())
                    .ok_or_else(|| RegisterError::UnknownRelyingParty(relying_party_id.clone()))?;
                rp.removed_at = Some(at);
            }
            EventKind::CorrectionRecorded { corrects, .. } => {
                return Err(RegisterError::BadCorrection(*corrects))
            }
        }
        if let Some(id) = event.kind.entry_id() {
            if let Some(entry) = self.entries.get_mut(id) {
                entry.history.push(index);
            }
        }
        self.size = index + 1;
        Ok(())
    }

    fn live_entry(&mut self, entry_id: &str) -> Result<&mut Entry, RegisterError> {
        let entry = self
            .entries
            .get_mut(entry_id)
            .ok_or_else(|| RegisterError::UnknownEntry(entry_id.to_string()))?;
        if entry.current_state() == EntryState::Removed {
            return Err(RegisterError::EntryRemoved(entry_id.to_string()));
        }
        Ok(entry)
    }

    fn certificate_change(
        &mut self,
        r: &crate::events::CertificateRef,
        to: CertificateState,
        at: OffsetDateTime,
        index: u64,
    ) -> Result<(), RegisterError> {
        // CABs report on certificates of removed entries too (an expiry after removal, say).
        let entry = self
            .entries
            .get_mut(&r.entry_id)
            .ok_or_else(|| RegisterError::UnknownEntry(r.entry_id.clone()))?;
        let cert = entry.certificate_mut(&r.certificate_number)?;
        let from = cert.recorded_state();
        let allowed = match to {
            CertificateState::Suspended => from == CertificateState::Valid,
            CertificateState::Valid => from == CertificateState::Suspended,
            CertificateState::Withdrawn => {
                matches!(from, CertificateState::Valid | CertificateState::Suspended)
            }
            CertificateState::Expired => from != CertificateState::Expired,
        };
        if !allowed {
            return Err(RegisterError::InvalidTransition {
                number: r.certificate_number.clone(),
                from,
                to,
            });
        }
        cert.changes.push(CertificateChange {
            at,
            state: to,
            log_index: index,
        });
        cert.changes.sort_by_key(|c| (c.at, c.log_index));
        Ok(())
    }

    /// The certifying body that issued certificate `number` of entry `entry_id`.
    pub fn certificate_body(&self, entry_id: &str, number: &str) -> Option<&str> {
        self.entries
            .get(entry_id)?
            .certificate(number)
            .map(|c| c.certificate.body.cab_id.as_str())
    }
}

/// The trust anchors every entry registered, by kind: what a credential's issuer evidence is
/// checked against before the decision (current and past anchors: [`crate::decision`]
/// says which held when).
impl Register {
    /// Every `x5c` root certificate registered.
    pub fn x5c_roots(&self) -> Vec<credentials::x509::Certificate> {
        self.anchor_certificates(|k| match k {
            AnchorKey::X5cRoot { certificate } => Some(certificate),
            _ => None,
        })
    }

    /// Every IACA root certificate registered.
    pub fn iaca_roots(&self) -> Vec<credentials::x509::Certificate> {
        self.anchor_certificates(|k| match k {
            AnchorKey::Iaca { certificate } => Some(certificate),
            _ => None,
        })
    }

    /// The keys registered for issuer identifier `iss`.
    pub fn iss_keys(&self, iss: &str) -> Vec<credentials::keys::Jwk> {
        self.anchor_keys()
            .filter_map(|k| match k {
                AnchorKey::IssKey { iss: i, jwk } if i == iss => {
                    credentials::keys::Jwk::from_value(jwk).ok()
                }
                _ => None,
            })
            .collect()
    }

    /// Every DID registered as an anchor (the only DIDs a verifier resolves over the
    /// network: resolving another would let any credential make it fetch any host).
    pub fn dids(&self) -> Vec<String> {
        self.anchor_keys()
            .filter_map(|k| match k {
                AnchorKey::Did { did } => Some(did.clone()),
                _ => None,
            })
            .collect()
    }

    fn anchor_keys(&self) -> impl Iterator<Item = &AnchorKey> {
        self.entries
            .values()
            .flat_map(|e| e.anchors.iter())
            .map(|a| &a.anchor.key)
    }

    fn anchor_certificates(
        &self,
        f: impl Fn(&AnchorKey) -> Option<&String>,
    ) -> Vec<credentials::x509::Certificate> {
        self.anchor_keys()
            .filter_map(f)
            .filter_map(|c| {
                credentials::x509::Certificate::from_der(&credentials::b64::decode(c)?).ok()
            })
            .collect()
    }
}
