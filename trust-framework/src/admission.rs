//! What the register server admits before it logs an event: the writer's claims that the
//! log cannot check by itself.
//!
//! A signed log proves what was written, not that it was true when written. Three rules
//! keep writers honest about time and names:
//!
//! - **Time**: `occurred_at` is within [`WritePolicy::max_skew`] of the server's clock (no
//!   backdated history, no suspension scheduled years ahead) and not before the previous
//!   event of the same entry (history of an entry only moves forward). A correction keeps
//!   its own rule: it may describe the past, but is itself dated now.
//! - **Names**: a root (`x5c_root`) or IACA certificate whose subject copies the subject of
//!   another entry's root is refused, so no provider can be taken for another by name; one
//!   that is not base64url DER (a PEM pasted in, say) is refused, since nothing could match it.
//! - **Attribution**: the server stamps `logged_at` on each new leaf (see
//!   [`Event::logged_at`]); leaves written before that field existed stay valid.

use std::time::Duration;

use credentials::b64;
use credentials::x509::Certificate;
use time::OffsetDateTime;

use crate::events::{Event, EventKind};
use crate::log::Log;
use crate::model::{AnchorKey, TrustAnchor};

/// How far `occurred_at` may be from the server's clock by default: five minutes.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

/// The server's admission rules.
#[derive(Clone, Copy, Debug)]
pub struct WritePolicy {
    /// How far `occurred_at` may be from the server's clock, either way.
    pub max_skew: Duration,
}

impl Default for WritePolicy {
    fn default() -> Self {
        WritePolicy {
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

/// Why an event was not admitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// `occurred_at` is earlier than the server's clock allows.
    #[error(
        "occurred_at {occurred_at} is more than {max_skew_s} s before the server's clock ({now})"
    )]
    Backdated {
        /// The event's time.
        occurred_at: OffsetDateTime,
        /// The server's time.
        now: OffsetDateTime,
        /// The allowed skew.
        max_skew_s: u64,
    },
    /// `occurred_at` is later than the server's clock allows.
    #[error(
        "occurred_at {occurred_at} is more than {max_skew_s} s after the server's clock ({now})"
    )]
    FutureDated {
        /// The event's time.
        occurred_at: OffsetDateTime,
        /// The server's time.
        now: OffsetDateTime,
        /// The allowed skew.
        max_skew_s: u64,
    },
    /// `occurred_at` is before the previous event of the same entry.
    #[error(
        "occurred_at {occurred_at} is before the previous event of entry {entry_id} ({previous})"
    )]
    OutOfOrder {
        /// The entry.
        entry_id: String,
        /// The event's time.
        occurred_at: OffsetDateTime,
        /// The previous event's time.
        previous: OffsetDateTime,
    },
    /// A root certificate copies the subject of another entry's root.
    #[error("anchor {anchor_id}: its subject \"{subject}\" is already the subject of a root of entry {other_entry}")]
    SubjectTaken {
        /// The anchor refused.
        anchor_id: String,
        /// The copied subject.
        subject: String,
        /// The entry that holds it.
        other_entry: String,
    },
    /// A root (`x5c_root`) or IACA anchor is not a base64url DER certificate, so no
    /// verifier could ever match it.
    #[error("anchor {anchor_id}: its certificate is not base64url DER of an X.509 certificate")]
    BadAnchor {
        /// The anchor refused.
        anchor_id: String,
    },
}

impl Refusal {
    /// A stable code for API responses.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Backdated { .. } => "occurred_at_backdated",
            Refusal::FutureDated { .. } => "occurred_at_in_future",
            Refusal::OutOfOrder { .. } => "occurred_at_out_of_order",
            Refusal::SubjectTaken { .. } => "anchor_subject_taken",
            Refusal::BadAnchor { .. } => "bad_anchor",
        }
    }
}

/// Checks `event` against the log as it stands and the server's clock `now`.
pub fn admit(
    log: &Log,
    event: &Event,
    now: OffsetDateTime,
    policy: &WritePolicy,
) -> Result<(), Refusal> {
    let at = event.occurred_at;
    let skew = policy.max_skew;
    let max_skew_s = skew.as_secs();
    let is_correction = matches!(event.kind, EventKind::CorrectionRecorded { .. });
    let is_log_event = matches!(
        event.kind,
        EventKind::LogGenesis { .. } | EventKind::LogKeyRotated { .. }
    );
    if !is_log_event {
        if at < now - skew {
            return Err(Refusal::Backdated {
                occurred_at: at,
                now,
                max_skew_s,
            });
        }
        if at > now + skew {
            return Err(Refusal::FutureDated {
                occurred_at: at,
                now,
                max_skew_s,
            });
        }
    }
    // A registration has no earlier event of its entry (a second one is the register's
    // `duplicate_entry`); a correction may describe the past.
    let is_registration = matches!(event.kind, EventKind::EntryRegistered { .. });
    if let (Some(entry_id), false) = (event.kind.entry_id(), is_correction || is_registration) {
        let previous = log
            .events()
            .iter()
            .rev()
            .find(|e| {
                e.kind.entry_id() == Some(entry_id)
                    && !matches!(e.kind, EventKind::CorrectionRecorded { .. })
            })
            .map(|e| e.occurred_at);
        if let Some(previous) = previous.filter(|p| at < *p) {
            return Err(Refusal::OutOfOrder {
                entry_id: entry_id.to_string(),
                occurred_at: at,
                previous,
            });
        }
    }
    let (entry_id, anchors): (&str, &[TrustAnchor]) = match &event.kind {
        EventKind::EntryRegistered {
            entry_id, anchors, ..
        } => (entry_id, anchors),
        EventKind::AnchorAdded { entry_id, anchor } => (entry_id, std::slice::from_ref(anchor)),
        _ => return Ok(()),
    };
    for anchor in anchors {
        let is_certificate = matches!(
            anchor.key,
            AnchorKey::X5cRoot { .. } | AnchorKey::Iaca { .. }
        );
        let Some(root) = root_cert(&anchor.key) else {
            if is_certificate {
                return Err(Refusal::BadAnchor {
                    anchor_id: anchor.anchor_id.clone(),
                });
            }
            continue;
        };
        let subject = &root.inner().tbs_certificate.subject;
        for (other_id, other) in &log.register().entries {
            if other_id == entry_id {
                continue;
            }
            let copied = other.anchors.iter().any(|a| {
                root_cert(&a.anchor.key)
                    .is_some_and(|c| &c.inner().tbs_certificate.subject == subject)
            });
            if copied {
                return Err(Refusal::SubjectTaken {
                    anchor_id: anchor.anchor_id.clone(),
                    subject: root.subject(),
                    other_entry: other_id.clone(),
                });
            }
        }
    }
    Ok(())
}

fn root_cert(key: &AnchorKey) -> Option<Certificate> {
    match key {
        AnchorKey::X5cRoot { certificate } | AnchorKey::Iaca { certificate } => {
            Certificate::from_der(&b64::decode(certificate)?).ok()
        }
        _ => None,
    }
}
