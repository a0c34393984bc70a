//! The events of the log: every change to the register is one of these, appended as the
//! canonical JSON of an [`Event`] (research section 7).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::NoteCode;
use crate::model::{
    CabCertificate, Provider, RelyingParty, RemovalReason, Service, SupplementaryNote, TrustAnchor,
};

/// Who made a change: an organisational role and a stable pseudonymous id, never a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The role.
    pub role: ActorRole,
    /// The organisation's id (`ofdia`, a CAB id, the log's origin).
    pub id: String,
}

/// The roles that may write to the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRole {
    /// The scheme operator (OfDIA): registrations, removals, anchors, relying parties, corrections.
    SchemeOperator,
    /// A conformity assessment body: the state of the certificates it issued.
    CertifyingBody,
    /// The log itself: genesis and key rotation.
    LogOperator,
}

/// A digest of a document that backs an event (the document itself is never logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What the document is, e.g. `certification feedback report`.
    pub description: String,
    /// `sha-256:<hex>`.
    pub digest: String,
}

/// One log entry: when, who, on what legal basis, and what changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When the change took effect (not when it was logged).
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// When the register server logged it: stamped by the server, never taken from the
    /// writer. Absent in leaves written before the server stamped it (they stay valid).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub logged_at: Option<OffsetDateTime>,
    /// Who made it.
    pub actor: Actor,
    /// The legal basis, e.g. `DUAA 2025 s.42(1)(c)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    /// Digests of the documents behind it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// The change.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What changed. Serialized as `{"type": "...", "body": {...}}`.
#[allow(clippy::large_enum_variant)] // built once per append; boxing would only obscure the wire shape
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body")]
pub enum EventKind {
    /// The first entry of every log: its origin and first log key.
    #[serde(rename = "log.genesis")]
    LogGenesis {
        /// The log's origin line.
        origin: String,
        /// The note verifier key (`name+id+key`) that signs checkpoints from now on.
        vkey: String,
    },
    /// The log key changes; checkpoints that include this entry are signed by the new key.
    #[serde(rename = "log.key_rotated")]
    LogKeyRotated {
        /// The new note verifier key.
        vkey: String,
        /// A note with text `vouch log key rotation\n<new vkey>\n` signed by the previous key.
        endorsement: String,
    },
    /// A service is registered (DUAA s.33).
    #[serde(rename = "entry.registered")]
    EntryRegistered {
        /// The new entry's id.
        entry_id: String,
        /// Its provider.
        provider: Provider,
        /// The service.
        service: Service,
        /// The CAB certificate against the trust framework.
        certificate: CabCertificate,
        /// Trust anchors to start with.
        #[serde(default)]
        anchors: Vec<TrustAnchor>,
        /// The entry lapses unless renewed before this.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// A new or renewed CAB certificate for the service (recertification, uplift).
    #[serde(rename = "certificate.issued")]
    CertificateIssued {
        /// The entry.
        entry_id: String,
        /// The certificate.
        certificate: CabCertificate,
    },
    /// The CAB suspended a certificate.
    #[serde(rename = "certificate.suspended")]
    CertificateSuspended(CertificateRef),
    /// The CAB lifted a suspension.
    #[serde(rename = "certificate.reinstated")]
    CertificateReinstated(CertificateRef),
    /// The CAB withdrew a certificate.
    #[serde(rename = "certificate.withdrawn")]
    CertificateWithdrawn(CertificateRef),
    /// A certificate reached its expiry (logged when processed).
    #[serde(rename = "certificate.expired")]
    CertificateExpired(CertificateRef),
    /// A supplementary note is added to an entry (DUAA s.36).
    #[serde(rename = "note.added")]
    NoteAdded {
        /// The entry.
        entry_id: String,
        /// The note and its certificate.
        note: SupplementaryNote,
    },
    /// A supplementary note is removed (DUAA s.43).
    #[serde(rename = "note.removed")]
    NoteRemoved {
        /// The entry.
        entry_id: String,
        /// Which note.
        code: NoteCode,
    },
    /// A trust anchor is added.
    #[serde(rename = "anchor.added")]
    AnchorAdded {
        /// The entry.
        entry_id: String,
        /// The anchor.
        anchor: TrustAnchor,
    },
    /// A trust anchor is retired: credentials signed before `occurred_at` stay trusted.
    #[serde(rename = "anchor.retired")]
    AnchorRetired(AnchorRef),
    /// A trust anchor is compromised: nothing it signed after `not_trusted_after` is trusted.
    #[serde(rename = "anchor.compromised")]
    AnchorCompromised {
        /// The entry.
        entry_id: String,
        /// The anchor.
        anchor_id: String,
        /// The last moment it can be trusted.
        #[serde(with = "time::serde::rfc3339")]
        not_trusted_after: OffsetDateTime,
    },
    /// The entry is removed from the register (DUAA ss.40-42).
    #[serde(rename = "entry.removed")]
    EntryRemoved {
        /// The entry.
        entry_id: String,
        /// Why.
        reason: RemovalReason,
    },
    /// A relying party registers its purposes and the claims each may request.
    #[serde(rename = "relying_party.registered")]
    RelyingPartyRegistered {
        /// The relying party.
        relying_party: RelyingParty,
    },
    /// A relying party is taken off the register: its registration certificates are
    /// revoked and wallets refuse its requests from then on.
    #[serde(rename = "relying_party.removed")]
    RelyingPartyRemoved {
        /// The relying party.
        relying_party_id: String,
        /// Why, in words.
        reason: String,
    },
    /// Corrects an earlier event by reference; the earlier entry stays in the log as it was.
    #[serde(rename = "correction.recorded")]
    CorrectionRecorded {
        /// The log index of the event corrected.
        corrects: u64,
        /// The corrected event, or none to void it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replacement: Option<Box<Event>>,
    },
}

/// Names one certificate of one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRef {
    /// The entry.
    pub entry_id: String,
    /// The certificate number.
    pub certificate_number: String,
}

/// Names one trust anchor of one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRef {
    /// The entry.
    pub entry_id: String,
    /// The anchor.
    pub anchor_id: String,
}

/// Every event type, as named on the wire and in the write API paths.
pub const EVENT_TYPES: &[&str] = &[
    "log.genesis",
    "log.key_rotated",
    "entry.registered",
    "certificate.issued",
    "certificate.suspended",
    "certificate.reinstated",
    "certificate.withdrawn",
    "certificate.expired",
    "note.added",
    "note.removed",
    "anchor.added",
    "anchor.retired",
    "anchor.compromised",
    "entry.removed",
    "relying_party.registered",
    "relying_party.removed",
    "correction.recorded",
];

impl EventKind {
    /// The wire name of this event type.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::LogGenesis { .. } => "log.genesis",
            EventKind::LogKeyRotated { .. } => "log.key_rotated",
            EventKind::EntryRegistered { .. } => "entry.registered",
            EventKind::CertificateIssued { .. } => "certificate.issued",
            EventKind::CertificateSuspended(_) => "certificate.suspended",
            EventKind::CertificateReinstated(_) => "certificate.reinstated",
            EventKind::CertificateWithdrawn(_) => "certificate.withdrawn",
            EventKind::CertificateExpired(_) => "certificate.expired",
            EventKind::NoteAdded { .. } => "note.added",
            EventKind::NoteRemoved { .. } => "note.removed",
            EventKind::AnchorAdded { .. } => "anchor.added",
            EventKind::AnchorRetired(_) => "anchor.retired",
            EventKind::AnchorCompromised { .. } => "anchor.compromised",
            EventKind::EntryRemoved { .. } => "entry.removed",
            EventKind::RelyingPartyRegistered { .. } => "relying_party.registered",
            EventKind::RelyingPartyRemoved { .. } => "relying_party.removed",
            EventKind::CorrectionRecorded { .. } => "correction.recorded",
        }
    }

    /// The entry this event is about, if any.
    pub fn entry_id(&self) -> Option<&str> {
        match self {
            EventKind::EntryRegistered { entry_id, .. }
            | EventKind::CertificateIssued { entry_id, .. }
            | EventKind::NoteAdded { entry_id, .. }
            | EventKind::NoteRemoved { entry_id, .. }
            | EventKind::AnchorAdded { entry_id, .. }
            | EventKind::AnchorCompromised { entry_id, .. }
            | EventKind::EntryRemoved { entry_id, .. } => Some(entry_id),
            EventKind::CertificateSuspended(r)
            | EventKind::CertificateReinstated(r)
            | EventKind::CertificateWithdrawn(r)
            | EventKind::CertificateExpired(r) => Some(&r.entry_id),
            EventKind::AnchorRetired(r) => Some(&r.entry_id),
            EventKind::CorrectionRecorded {
                replacement: Some(e),
                ..
            } => e.kind.entry_id(),
            _ => None,
        }
    }
}

impl Event {
    /// The canonical bytes of this event: what the log leaf is.
    pub fn to_leaf(&self) -> Vec<u8> {
        crate::canonical::to_bytes(self).expect("events serialize")
    }

    /// Parses a leaf back into an event.
    pub fn from_leaf(leaf: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(leaf)
    }
}
