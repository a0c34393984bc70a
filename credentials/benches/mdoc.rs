//! mdoc DeviceResponse verification (one document, 10 elements, DeviceSignature, DS chain
//! to the IACA) beside the same run's raw ES256 verify rate: two ES256 verifications when
//! the Document Signer chain is cached, three when it is not, plus about 12 SHA-256.
//!
//! `cargo bench -p credentials --bench mdoc`.

mod common;

use credentials::keys::{provider, Algorithm, Signer, SoftwareSigner};
use credentials::mdoc::{
    present_document, verify_response, DeviceKeyAuth, MdocVerifyOptions, Selection, MDL_NAMESPACE,
};
use credentials::report::CheckLog;
use credentials::x509::ChainCache;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("mdoc");
    g.throughput(Throughput::Elements(1));
    let msg = vec![0x5au8; 600];
    let (s, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let sig = s.sign(&msg).unwrap();
    g.bench_function("es256_verify/aws-lc-rs", |b| {
        b.iter(|| s.public_key().verify(Algorithm::Es256, &msg, &sig).unwrap())
    });

    let (ds_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (device, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let m = common::mdoc(&ds_key, &device, now);
    let anchors = [m.iaca.clone()];
    let cache = ChainCache::new();
    for cached in [false, true] {
        for p in provider::all() {
            let mut opts = MdocVerifyOptions::new(now + 1, &anchors, &m.transcript);
            opts.provider = p;
            if cached {
                opts.chain_cache = Some(&cache);
            }
            let docs = verify_response(&m.response, &opts, &mut CheckLog::default()).unwrap();
            assert_eq!(docs[0].claims[MDL_NAMESPACE].len(), 10);
            let name = if cached {
                "verify/10_elements_device_signature_cached_chain"
            } else {
                "verify/10_elements_device_signature"
            };
            g.bench_function(format!("{name}/{}", p.name()), |b| {
                b.iter(|| verify_response(&m.response, &opts, &mut CheckLog::default()).unwrap())
            });
        }
    }
    g.bench_function("present/10_elements_device_signature", |b| {
        b.iter(|| {
            present_document(
                &m.issued,
                &Selection::Elements(&m.chosen),
                &|_, _| true,
                &DeviceKeyAuth::Signature(&device),
                &m.transcript,
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
