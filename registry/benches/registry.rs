//! `cargo bench -p trust-framework --bench registry`: appends per second (in memory and
//! SQLite, each with its signed checkpoint), inclusion proof generation and verification
//! at 1,000,000 entries, and verification of a snapshot of 10,000 entries.

use std::hint::black_box;
use std::sync::Arc;

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use time::macros::datetime;
use trust_framework::fixtures::bulk_events;
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::merkle::{self, MerkleTree};
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{self, SnapshotPayload, SnapshotVerifier};
use vouch_registry::store::Store;

const ORIGIN: &str = "bench.vouch.example/log";

fn log_with(n: usize, key: &SoftwareSigner) -> Log {
    let mut log = Log::new();
    log.append(genesis::genesis(ORIGIN, key, datetime!(2025-12-01 0:00 UTC)).unwrap())
        .unwrap();
    for e in bulk_events(n) {
        log.append(e).unwrap();
    }
    log
}

fn appends(c: &mut Criterion) {
    let (key, secret) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    const BATCH: usize = 1000;
    let events = bulk_events(BATCH);
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    g.bench_function("in_memory_1000_with_checkpoint_each", |b| {
        b.iter_batched(
            || (log_with(0, &key), events.clone()),
            |(mut log, events)| {
                for e in events {
                    log.append(e).unwrap();
                    black_box(log.sign_checkpoint(&key).unwrap());
                }
                log
            },
            BatchSize::LargeInput,
        )
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = rt.block_on(Store::connect(&url)).unwrap();
    let keys: Vec<Arc<dyn Signer>> = vec![Arc::new(SoftwareSigner::new(&secret).unwrap())];
    let mut log = Log::new();
    rt.block_on(store.append(
        &mut log,
        genesis::genesis(ORIGIN, keys[0].as_ref(), datetime!(2025-12-01 0:00 UTC)).unwrap(),
        &keys,
    ))
    .unwrap();
    const SQL_BATCH: usize = 100;
    let mut next = 0usize;
    let pool = bulk_events(20_000);
    g.throughput(Throughput::Elements(SQL_BATCH as u64));
    g.sample_size(10);
    g.bench_function("sqlite_100_locked_transactions", |b| {
        b.iter(|| {
            for _ in 0..SQL_BATCH {
                let mut e = pool[next % pool.len()].clone();
                if let trust_framework::events::EventKind::EntryRegistered { entry_id, .. } =
                    &mut e.kind
                {
                    *entry_id = format!("sql-{next}");
                }
                next += 1;
                rt.block_on(store.append(&mut log, e, &keys)).unwrap();
            }
        })
    });
    g.finish();
}

fn proofs(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut tree = MerkleTree::new();
    for i in 0..N {
        tree.push_leaf_hash(merkle::leaf_hash(&i.to_be_bytes()));
    }
    let root = tree.root();
    let mut i = 0u64;
    c.bench_function("inclusion_proof_generate_and_verify_1m", |b| {
        b.iter(|| {
            i = (i + 7919) % N;
            let proof = tree.inclusion_proof(i, N).unwrap();
            merkle::verify_inclusion(&tree.leaf(i).unwrap(), i, N, &proof, &root).unwrap();
        })
    });
    let mut m = 1u64;
    c.bench_function("consistency_proof_generate_and_verify_1m", |b| {
        b.iter(|| {
            m = (m + 104_729) % N + 1;
            let proof = tree.consistency_proof(m, N).unwrap();
            merkle::verify_consistency(m, N, &proof, &tree.root_at(m).unwrap(), &root).unwrap();
        })
    });
}

fn snapshots(c: &mut Criterion) {
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let snap_key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let log = log_with(10_000, &log_key);
    let payload = SnapshotPayload {
        registrar_roots: Vec::new(),
        register: log.register().clone(),
        checkpoint: log.sign_checkpoint(&log_key).unwrap(),
        sequence: 1,
        issued_at: datetime!(2026-10-01 0:00 UTC),
        next_update: datetime!(2026-10-02 0:00 UTC),
        consistency: None,
    };
    let jws = snapshot::sign(&payload, &snap_key).unwrap();
    let verifier = SnapshotVerifier {
        snapshot_key: snap_key.public_key().clone(),
        log_key: NoteKey::new(ORIGIN, log_key.public_key()).unwrap(),
    };
    eprintln!("snapshot of 10,000 entries: {} bytes", jws.len());
    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.bench_function("verify_10000_entries", |b| {
        b.iter(|| {
            black_box(
                verifier
                    .verify(&jws, datetime!(2026-10-01 12:00 UTC))
                    .unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, appends, proofs, snapshots);
criterion_main!(benches);
