//! Offline use from a snapshot file alone, and a client that refuses rollbacks and forks.

mod common;

use common::{t, world, ORIGIN};
use credentials::keys::Signer;
use trust_framework::decision::{authorize, Evidence, Reason};
use trust_framework::fixtures::{self, operator, RTW_VCT};
use trust_framework::model::NoteCode;
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{
    self, hashes_to_b64, ConsistencyFrom, SnapshotError, SnapshotPayload, SnapshotStore,
    SnapshotVerifier,
};

fn payload(w: &common::World, sequence: u64, from: Option<u64>) -> SnapshotPayload {
    SnapshotPayload {
        registrar_roots: Vec::new(),
        register: w.log.register().clone(),
        checkpoint: w.log.sign_checkpoint(&w.log_key).unwrap(),
        sequence,
        issued_at: t("2026-10-01T00:00:00Z"),
        next_update: t("2026-10-02T00:00:00Z"),
        consistency: from.map(|f| ConsistencyFrom {
            size: f,
            proof: hashes_to_b64(&w.log.consistency_proof(f, w.log.len()).unwrap()),
        }),
    }
}

fn verifier(w: &common::World) -> SnapshotVerifier {
    SnapshotVerifier {
        snapshot_key: w.snapshot_key.public_key().clone(),
        log_key: NoteKey::new(ORIGIN, w.log_key.public_key()).unwrap(),
    }
}

#[test]
fn decides_offline_from_a_snapshot_file_alone() {
    let w = world();
    let jws = snapshot::sign(&payload(&w, 1, None), &w.snapshot_key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.jws");
    std::fs::write(&path, &jws).unwrap();
    // Only the file and the two pinned public keys from here on.
    let acme_public = w.acme_key.public_key().clone();
    let pinned = verifier(&w);
    drop(w);
    let text = std::fs::read_to_string(&path).unwrap();
    let snap = pinned.verify(&text, t("2026-10-01T12:00:00Z")).unwrap();
    let ev = Evidence::IssKey {
        iss: "https://id.acme.example",
        key: &acme_public,
    };
    // The historical right-to-work question, years later, from the archived snapshot.
    let archived = pinned.verify_archived(&text).unwrap();
    assert!(
        authorize(
            archived.register(),
            &ev,
            RTW_VCT,
            "right_to_work",
            t("2026-03-01T09:00:00Z")
        )
        .allowed
    );
    assert_eq!(
        authorize(
            snap.register(),
            &ev,
            RTW_VCT,
            "right_to_work",
            t("2026-07-01T09:00:00Z")
        )
        .reason,
        Reason::NoteMissing {
            note: NoteCode::RightToWork
        }
    );
    // Online use after next_update is refused.
    assert!(matches!(
        pinned.verify(&text, t("2026-10-03T00:00:00Z")),
        Err(SnapshotError::Expired(_))
    ));
}

#[test]
fn refuses_a_snapshot_signed_by_another_key_or_with_a_foreign_checkpoint() {
    let w = world();
    let other = credentials::keys::SoftwareSigner::generate(credentials::keys::Algorithm::Es256)
        .unwrap()
        .0;
    let jws = snapshot::sign(&payload(&w, 1, None), &other).unwrap();
    assert_eq!(
        verifier(&w).verify_archived(&jws).unwrap_err().code(),
        "snapshot_signature_invalid"
    );
    let mut p = payload(&w, 1, None);
    let rogue = credentials::keys::SoftwareSigner::generate(credentials::keys::Algorithm::EdDsa)
        .unwrap()
        .0;
    p.checkpoint = w.log.sign_checkpoint(&rogue).unwrap();
    let jws = snapshot::sign(&p, &w.snapshot_key).unwrap();
    assert_eq!(
        verifier(&w).verify_archived(&jws).unwrap_err().code(),
        "snapshot_checkpoint_invalid"
    );
}

#[test]
fn store_refuses_an_older_sequence() {
    let w = world();
    let v = verifier(&w);
    let s2 = v
        .verify_archived(&snapshot::sign(&payload(&w, 2, None), &w.snapshot_key).unwrap())
        .unwrap();
    let s1 = v
        .verify_archived(&snapshot::sign(&payload(&w, 1, None), &w.snapshot_key).unwrap())
        .unwrap();
    let mut store = SnapshotStore::default();
    store.accept(&s2, None).unwrap();
    assert_eq!(
        store.accept(&s1, None),
        Err(SnapshotError::Rollback { got: 1, seen: 2 })
    );
}

#[test]
fn store_follows_growth_with_a_carried_or_fetched_consistency_proof() {
    let mut w = world();
    let v = verifier(&w);
    let first = v
        .verify_archived(&snapshot::sign(&payload(&w, 1, None), &w.snapshot_key).unwrap())
        .unwrap();
    let seen_size = w.log.len();
    let mut store = SnapshotStore::default();
    store.accept(&first, None).unwrap();
    w.log
        .append(fixtures::event(
            t("2026-10-01T10:00:00Z"),
            operator(),
            trust_framework::events::EventKind::RelyingPartyRegistered {
                relying_party: trust_framework::model::RelyingParty {
                    relying_party_id: "rp2".into(),
                    ..fixtures::employer()
                },
            },
        ))
        .unwrap();
    // Without a proof the store cannot tell growth from a rewrite.
    let bare = v
        .verify_archived(&snapshot::sign(&payload(&w, 2, None), &w.snapshot_key).unwrap())
        .unwrap();
    assert_eq!(
        store.clone().accept(&bare, None),
        Err(SnapshotError::ConsistencyProofRequired {
            from: seen_size,
            to: seen_size + 1
        })
    );
    // Fetched proof works; so does a carried one.
    let fetched = w.log.consistency_proof(seen_size, w.log.len()).unwrap();
    store.clone().accept(&bare, Some(&fetched)).unwrap();
    let carried = v
        .verify_archived(
            &snapshot::sign(&payload(&w, 2, Some(seen_size)), &w.snapshot_key).unwrap(),
        )
        .unwrap();
    store.accept(&carried, None).unwrap();
    assert_eq!(store.sequence, Some(2));
}

#[test]
fn store_refuses_a_rewritten_log_as_inconsistent_and_a_same_size_fork() {
    let w = world();
    let v = verifier(&w);
    let mut store = SnapshotStore::default();
    store
        .accept(
            &v.verify_archived(&snapshot::sign(&payload(&w, 1, None), &w.snapshot_key).unwrap())
                .unwrap(),
            None,
        )
        .unwrap();

    // The operator rewrites history: the same events but entry 3 replaced, then grows.
    let mut forked = trust_framework::log::Log::new();
    for (i, e) in w.log.events().iter().enumerate() {
        let mut e = e.clone();
        if i == 3 {
            e.occurred_at = t("2025-07-02T00:00:00Z");
        }
        forked.append(e).unwrap();
    }
    let same_size = forked.sign_checkpoint(&w.log_key).unwrap();
    let mut p = payload(&w, 2, None);
    p.checkpoint = same_size;
    p.register = forked.register().clone();
    let s = v
        .verify_archived(&snapshot::sign(&p, &w.snapshot_key).unwrap())
        .unwrap();
    assert_eq!(
        store.clone().accept(&s, None),
        Err(SnapshotError::Fork { size: w.log.len() })
    );

    forked
        .append(fixtures::event(
            t("2026-10-01T00:00:00Z"),
            operator(),
            trust_framework::events::EventKind::RelyingPartyRegistered {
                relying_party: trust_framework::model::RelyingParty {
                    relying_party_id: "rp3".into(),
                    ..fixtures::employer()
                },
            },
        ))
        .unwrap();
    let mut p = payload(&w, 3, None);
    p.checkpoint = forked.sign_checkpoint(&w.log_key).unwrap();
    p.register = forked.register().clone();
    p.consistency = Some(ConsistencyFrom {
        size: w.log.len(),
        proof: hashes_to_b64(&forked.consistency_proof(w.log.len(), forked.len()).unwrap()),
    });
    let s = v
        .verify_archived(&snapshot::sign(&p, &w.snapshot_key).unwrap())
        .unwrap();
    assert!(matches!(
        store.accept(&s, None),
        Err(SnapshotError::Inconsistent(_))
    ));
}

#[test]
fn snapshot_store_state_round_trips_as_json() {
    let store = SnapshotStore {
        sequence: Some(7),
        tree_size: 9,
        root: Some("AAAA".into()),
    };
    let text = serde_json::to_string(&store).unwrap();
    assert_eq!(serde_json::from_str::<SnapshotStore>(&text).unwrap(), store);
}

#[test]
fn a_relying_partys_retention_is_registered_once_and_a_malformed_one_is_refused() {
    let mut w = world();
    let registered = |w: &common::World, id: &str| {
        w.log
            .register()
            .relying_parties
            .get(id)
            .map(|r| r.relying_party.purposes[0].retention.clone())
    };
    // The employer fixture registers its retention; the wallet reads it from the register.
    assert!(registered(&w, &fixtures::employer().relying_party_id)
        .flatten()
        .is_some_and(|r| r.period == "P2Y" && r.description.contains("2 years")));
    for (id, period, description) in [
        ("rp-bad-period", "two years", "For two years"),
        ("rp-no-words", "P2Y", " "),
    ] {
        let mut rp = trust_framework::model::RelyingParty {
            relying_party_id: id.into(),
            ..fixtures::employer()
        };
        rp.purposes[0].retention = Some(trust_framework::model::Retention {
            period: period.into(),
            description: description.into(),
        });
        let refused = w.log.append(fixtures::event(
            t("2026-10-01T10:00:00Z"),
            operator(),
            trust_framework::events::EventKind::RelyingPartyRegistered { relying_party: rp },
        ));
        assert!(refused.is_err(), "{id} was registered");
        assert_eq!(registered(&w, id), None, "nothing half-written for {id}");
    }
}
