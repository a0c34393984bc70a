//! The issuer's register for wallet providers, read from a snapshot file the operator keeps
//! fresh: a newer snapshot replaces it when the file changes (a provider removed there stops
//! being trusted), an older one never does, and a snapshot past its next update is refused.

use std::sync::Arc;

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use issuer::client_attestation::{RegisterSource, SnapshotFile};
use time::{Duration, OffsetDateTime};
use trust_framework::events::EventKind;
use trust_framework::fixtures::{certificate, event, operator, registration};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::RemovalReason;
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{self, SnapshotPayload, SnapshotVerifier};

const ORIGIN: &str = "register.test/log";

fn signed(log: &Log, log_key: &SoftwareSigner, key: &SoftwareSigner, seq: u64) -> String {
    let now = OffsetDateTime::now_utc();
    snapshot::sign(
        &SnapshotPayload {
            register: log.register().clone(),
            checkpoint: log.sign_checkpoint(log_key).unwrap(),
            sequence: seq,
            issued_at: now,
            next_update: now + Duration::hours(1),
            consistency: None,
            registrar_roots: Vec::new(),
        },
        key,
    )
    .unwrap()
}

/// Writes `text` to `path` with a distinct modification time.
fn write(path: &std::path::Path, text: &str, tick: u64) {
    std::fs::write(path, text).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000 + tick))
        .unwrap();
}

#[test]
fn a_fresher_snapshot_replaces_the_register_and_an_older_or_stale_one_never_counts() {
    let now = OffsetDateTime::now_utc();
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let snap_key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let mut log = Log::new();
    log.append(genesis::genesis(ORIGIN, &log_key, now - Duration::days(2)).unwrap())
        .unwrap();
    log.append(event(
        now - Duration::days(1),
        operator(),
        registration(
            "wp",
            "Wallet Provider Ltd",
            &[],
            certificate(
                "wp-1",
                "cab-a",
                now - Duration::days(1),
                now + Duration::days(300),
            ),
            Vec::new(),
            now + Duration::days(300),
        ),
    ))
    .unwrap();
    let first = signed(&log, &log_key, &snap_key, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.jws");
    write(&path, &first, 1);
    let source = SnapshotFile::open(
        &path,
        SnapshotVerifier {
            snapshot_key: snap_key.public_key().clone(),
            log_key: NoteKey::new(ORIGIN, log_key.public_key()).unwrap(),
        },
    )
    .unwrap();
    let t = now.unix_timestamp();
    assert!(source.register(t).unwrap().entries.contains_key("wp"));

    // The provider is removed; the operator writes the next snapshot.
    log.append(event(
        now,
        operator(),
        EventKind::EntryRemoved {
            entry_id: "wp".into(),
            reason: RemovalReason::RegisteredInError,
        },
    ))
    .unwrap();
    write(&path, &signed(&log, &log_key, &snap_key, 2), 2);
    let register = source.register(t).unwrap();
    let removed = register.entries["wp"]
        .state_at(now + Duration::seconds(1))
        .unwrap();
    assert_eq!(
        removed.state,
        trust_framework::register::EntryState::Removed,
        "the fresher snapshot is in force"
    );

    // Rolled back to the first: the current one stays.
    write(&path, &first, 3);
    let again: Arc<_> = source.register(t).unwrap();
    assert_eq!(
        again.entries["wp"]
            .state_at(now + Duration::seconds(1))
            .unwrap()
            .state,
        trust_framework::register::EntryState::Removed
    );
    // A file that is not a snapshot: the current one stays.
    write(&path, "not a snapshot", 4);
    assert!(source.register(t).is_ok());

    // Past its next update, no register to trust.
    let e = source.register(t + 2 * 3600).unwrap_err();
    assert!(e.contains("next update"), "{e}");
}
