//! Our Merkle roots, inclusion and consistency proofs and signed checkpoints, checked by an
//! independent implementation: Cloudflare's `tlog_tiles` (a port of Go's sumdb `tlog`,
//! RFC 6962 compatible) and `signed_note` (c2sp.org/signed-note).

mod common;

use std::cell::RefCell;

use credentials::keys::{Algorithm, SoftwareSigner};
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::{
    check_record, check_tree, prove_record, prove_tree, stored_hashes, tree_hash, Hash, HashReader,
};
use trust_framework::checkpoint::Checkpoint;
use trust_framework::fixtures;
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::note::NoteKey;

/// tlog's stored-hash storage, filled from our leaves by tlog's own code.
#[derive(Default)]
struct Storage(RefCell<Vec<Hash>>);

impl HashReader for Storage {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let s = self.0.borrow();
        Ok(indexes.iter().map(|&i| s[i as usize]).collect())
    }
}

fn sample_log(n: usize) -> (Log, SoftwareSigner) {
    let key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let mut log = Log::new();
    log.append(genesis::genesis(common::ORIGIN, &key, common::t("2026-01-01T00:00:00Z")).unwrap())
        .unwrap();
    for e in fixtures::bulk_events(n - 1) {
        log.append(e).unwrap();
    }
    (log, key)
}

fn independent_storage(log: &Log) -> Storage {
    let storage = Storage::default();
    for i in 0..log.len() {
        let new = stored_hashes(i, log.leaf(i).unwrap(), &storage).unwrap();
        storage.0.borrow_mut().extend(new);
    }
    storage
}

#[test]
fn independent_tlog_computes_our_roots_and_accepts_our_inclusion_proofs() {
    let (log, _) = sample_log(70);
    let storage = independent_storage(&log);
    for size in 1..=log.len() {
        let root = log.tree().root_at(size).unwrap();
        assert_eq!(
            tree_hash(size, &storage).unwrap().0,
            root,
            "root of size {size}"
        );
        for index in 0..size {
            let ours = log.inclusion_proof(index, size).unwrap();
            let leaf = Hash(log.tree().leaf(index).unwrap());
            let proof: Vec<Hash> = ours.iter().map(|h| Hash(*h)).collect();
            check_record(&proof, size, Hash(root), index, leaf)
                .unwrap_or_else(|e| panic!("{index}/{size}: {e:?}"));
            assert_eq!(
                prove_record(size, index, &storage).unwrap(),
                proof,
                "proof {index}/{size}"
            );
        }
    }
}

#[test]
fn independent_tlog_accepts_our_consistency_proofs_and_refuses_a_forged_one() {
    let (log, _) = sample_log(70);
    let storage = independent_storage(&log);
    for to in 1..=log.len() {
        for from in 1..=to {
            let ours: Vec<Hash> = log
                .consistency_proof(from, to)
                .unwrap()
                .iter()
                .map(|h| Hash(*h))
                .collect();
            let (a, b) = (
                Hash(log.tree().root_at(from).unwrap()),
                Hash(log.tree().root_at(to).unwrap()),
            );
            check_tree(&ours, to, b, from, a).unwrap_or_else(|e| panic!("{from}->{to}: {e:?}"));
            assert_eq!(
                prove_tree(to, from, &storage).unwrap(),
                ours,
                "proof {from}->{to}"
            );
            if from < to {
                let mut forged = ours.clone();
                forged[0].0[0] ^= 1;
                assert!(check_tree(&forged, to, b, from, a).is_err());
            }
        }
    }
}

#[test]
fn independent_signed_note_verifies_our_checkpoint_and_parses_its_body() {
    let (log, key) = sample_log(10);
    let signed = log.sign_checkpoint(&key).unwrap();
    let vkey = NoteKey::new(common::ORIGIN, credentials::keys::Signer::public_key(&key))
        .unwrap()
        .to_vkey();
    let verifier = StandardVerifier::new(&vkey).expect("signed_note accepts our verifier key");
    let note = Note::from_bytes(signed.as_bytes()).unwrap();
    let (verified, _) = note
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .unwrap();
    assert_eq!(verified.len(), 1);
    let theirs = tlog_tiles::Checkpoint::from_bytes(note.text()).unwrap();
    let ours = Checkpoint::open(&signed, &[NoteKey::from_vkey(&vkey).unwrap()]).unwrap();
    assert_eq!(
        (theirs.origin(), theirs.size(), theirs.hash().0),
        (ours.origin.as_str(), ours.size, ours.root)
    );
    // A tampered tree size fails their verification too.
    let tampered = signed.replacen("\n10\n", "\n11\n", 1);
    let note = Note::from_bytes(tampered.as_bytes()).unwrap();
    let verifier = StandardVerifier::new(&vkey).unwrap();
    assert!(note
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .is_err());
}
