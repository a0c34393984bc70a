//! The log and the fold: replay gives the same register, corrections, key rotation.

mod common;

use common::{t, world, ORIGIN};
use credentials::keys::{Algorithm, SoftwareSigner};
use trust_framework::checkpoint::Checkpoint;
use trust_framework::events::{CertificateRef, Event, EventKind};
use trust_framework::fixtures::{cab_actor, event, operator};
use trust_framework::genesis;
use trust_framework::log::{Log, LogError};
use trust_framework::model::CertificateState;
use trust_framework::register::{Register, RegisterError};

#[test]
fn replaying_the_stored_leaves_gives_the_same_register_and_root() {
    let w = world();
    let mut replay = Log::new();
    for i in 0..w.log.len() {
        replay.load_leaf(w.log.leaf(i).unwrap().to_vec()).unwrap();
    }
    assert_eq!(replay.register(), w.log.register());
    assert_eq!(replay.tree().root(), w.log.tree().root());
    let events: Vec<Event> = (0..w.log.len())
        .map(|i| Event::from_leaf(w.log.leaf(i).unwrap()).unwrap())
        .collect();
    assert_eq!(&Register::fold(&events).unwrap(), w.log.register());
}

#[test]
fn refuses_a_non_canonical_leaf() {
    let w = world();
    let mut replay = Log::new();
    let pretty =
        serde_json::to_vec_pretty(&Event::from_leaf(w.log.leaf(0).unwrap()).unwrap()).unwrap();
    assert!(matches!(
        replay.load_leaf(pretty),
        Err(LogError::NotCanonical(0))
    ));
}

#[test]
fn refuses_events_that_do_not_apply() {
    let mut w = world();
    let bad = event(
        t("2026-10-01T00:00:00Z"),
        cab_actor("cab-a"),
        EventKind::CertificateSuspended(CertificateRef {
            entry_id: "nope".into(),
            certificate_number: "X".into(),
        }),
    );
    assert!(matches!(
        w.log.append(bad),
        Err(LogError::Register {
            source: RegisterError::UnknownEntry(_),
            ..
        })
    ));
    // Beta's certificate is withdrawn: it cannot be reinstated.
    let bad = event(
        t("2026-10-01T00:00:00Z"),
        cab_actor("cab-b"),
        EventKind::CertificateReinstated(CertificateRef {
            entry_id: "beta".into(),
            certificate_number: "BETA-1".into(),
        }),
    );
    assert!(matches!(
        w.log.append(bad),
        Err(LogError::Register {
            source: RegisterError::InvalidTransition {
                from: CertificateState::Withdrawn,
                ..
            },
            ..
        })
    ));
}

#[test]
fn a_correction_replaces_the_event_it_points_at_and_keeps_it_in_the_log() {
    let mut w = world();
    // Beta's withdrawal was logged as 2026-02-15; the CAB meant 2026-02-20.
    let index = w
        .log
        .events()
        .iter()
        .position(|e| matches!(e.kind, EventKind::CertificateWithdrawn(_)))
        .unwrap();
    let original = w.log.events()[index].clone();
    let mut fixed = original.clone();
    fixed.occurred_at = t("2026-02-20T00:00:00Z");
    let before = w.log.len();
    w.log
        .append(event(
            t("2026-10-01T00:00:00Z"),
            operator(),
            EventKind::CorrectionRecorded {
                corrects: index as u64,
                replacement: Some(Box::new(fixed)),
            },
        ))
        .unwrap();
    assert_eq!(
        w.log.events()[index],
        original,
        "the corrected event stays as it was"
    );
    let cert = w.log.register().entries["beta"]
        .certificate("BETA-1")
        .unwrap();
    assert_eq!(cert.changes[0].at, t("2026-02-20T00:00:00Z"));
    assert!(w.log.register().entries["beta"].history.contains(&before));
    // A correction cannot point forward or at the genesis.
    for target in [0, w.log.len() + 5] {
        let e = event(
            t("2026-10-01T00:00:00Z"),
            operator(),
            EventKind::CorrectionRecorded {
                corrects: target,
                replacement: None,
            },
        );
        assert!(matches!(
            w.log.append(e),
            Err(LogError::Register {
                source: RegisterError::BadCorrection(_),
                ..
            })
        ));
    }
}

#[test]
fn key_rotation_is_an_endorsed_event_and_later_checkpoints_use_the_new_key() {
    let mut w = world();
    let new_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let rotation =
        genesis::rotation(ORIGIN, &w.log_key, &new_key, t("2026-10-01T00:00:00Z")).unwrap();
    w.log.append(rotation).unwrap();
    let keys = w.log.register().note_keys();
    assert_eq!(keys.len(), 2);
    let size = w.log.len();
    assert_eq!(
        w.log.register().log_key_for_size(size).unwrap().vkey,
        keys[1].to_vkey()
    );
    assert_eq!(
        w.log.register().log_key_for_size(size - 1).unwrap().vkey,
        keys[0].to_vkey()
    );
    let cp = w.log.sign_checkpoint(&new_key).unwrap();
    assert_eq!(Checkpoint::open(&cp, &keys[1..]).unwrap().size, size);
    // A rotation endorsed by a stranger is refused.
    let stranger = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let forged =
        genesis::rotation(ORIGIN, &stranger, &stranger, t("2026-10-02T00:00:00Z")).unwrap();
    assert!(matches!(
        w.log.append(forged),
        Err(LogError::Register {
            source: RegisterError::Rotation(_),
            ..
        })
    ));
}

#[test]
fn a_second_genesis_is_refused() {
    let mut w = world();
    let g = genesis::genesis(ORIGIN, &w.log_key, t("2026-10-01T00:00:00Z")).unwrap();
    assert!(matches!(
        w.log.append(g),
        Err(LogError::Register {
            source: RegisterError::Genesis,
            ..
        })
    ));
}
