//! Starting a log and rotating its key: the two events only the log operator writes.

use credentials::keys::Signer;

use crate::events::{Actor, ActorRole, Event, EventKind};
use crate::note::{self, NoteError, NoteKey};
use crate::register::rotation_text;

/// The `log.genesis` event of a log named `origin` whose checkpoints `log_key` signs.
pub fn genesis(
    origin: &str,
    log_key: &dyn Signer,
    at: time::OffsetDateTime,
) -> Result<Event, NoteError> {
    let vkey = NoteKey::new(origin, log_key.public_key())?.to_vkey();
    Ok(Event {
        occurred_at: at,
        logged_at: None,
        actor: Actor {
            role: ActorRole::LogOperator,
            id: origin.into(),
        },
        legal_basis: None,
        evidence: vec![],
        kind: EventKind::LogGenesis {
            origin: origin.into(),
            vkey,
        },
    })
}

/// The `log.key_rotated` event moving from `old` to `new`, endorsed by `old`.
pub fn rotation(
    origin: &str,
    old: &dyn Signer,
    new: &dyn Signer,
    at: time::OffsetDateTime,
) -> Result<Event, NoteError> {
    let vkey = NoteKey::new(origin, new.public_key())?.to_vkey();
    let endorsement = note::sign(&rotation_text(&vkey), origin, old)?;
    Ok(Event {
        occurred_at: at,
        logged_at: None,
        actor: Actor {
            role: ActorRole::LogOperator,
            id: origin.into(),
        },
        legal_basis: None,
        evidence: vec![],
        kind: EventKind::LogKeyRotated { vkey, endorsement },
    })
}
