//! mdoc DeviceResponse verification (one document, 10 elements, DeviceSignature, DS chain
//! to the IACA) beside the same run's raw ES256 verify rate: the response costs two ES256
//! verifications plus the DS certificate's own (a third), and about 12 SHA-256.
//!
//! `cargo bench -p credentials --bench mdoc`.

use std::sync::Arc;

use ciborium::Value;
use credentials::keys::{provider, Algorithm, Signer, SoftwareSigner};
use credentials::mdoc::{
    device_response, present_document, verify_response, DeviceKeyAuth, IssueRequest, MdocIssuer,
    MdocVerifyOptions, Selection, SessionTranscript, ValidityInfo, MDL_DOCTYPE, MDL_NAMESPACE,
};
use credentials::report::CheckLog;
use credentials::x509::profile;
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

    let iaca_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let iaca = profile::iaca(iaca_key.clone(), "GB", "Bench IACA", 30).unwrap();
    let (ds_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let ds =
        profile::document_signer(ds_key.public_key(), &iaca, iaca_key, "Bench DS", 30).unwrap();
    let (device, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let names = [
        "family_name",
        "given_name",
        "birth_date",
        "issue_date",
        "expiry_date",
        "issuing_country",
        "issuing_authority",
        "document_number",
        "age_over_18",
        "nationality",
    ];
    let ns = vec![(
        MDL_NAMESPACE.to_string(),
        names
            .iter()
            .map(|n| {
                let v = if *n == "issuing_country" {
                    "GB".to_string()
                } else {
                    format!("value of {n}")
                };
                (n.to_string(), Value::Text(v))
            })
            .collect(),
    )];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let issued = MdocIssuer::new(&ds_key, vec![ds])
        .unwrap()
        .issue(&IssueRequest {
            doc_type: MDL_DOCTYPE,
            name_spaces: &ns,
            device_key: device.public_key(),
            key_authorizations: None,
            validity: ValidityInfo {
                signed: now,
                valid_from: now,
                valid_until: now + 86400,
                expected_update: None,
            },
            decoys: 0,
            status: None,
        })
        .unwrap();
    let t = SessionTranscript::openid4vp(
        "x509_san_dns:rp.example",
        "nonce",
        None,
        "https://rp.example/post",
    );
    let chosen: Vec<(String, String)> = names
        .iter()
        .map(|n| (MDL_NAMESPACE.to_string(), n.to_string()))
        .collect();
    let doc = present_document(
        &issued,
        &Selection::Elements(&chosen),
        &|_, _| true,
        &DeviceKeyAuth::Signature(&device),
        &t,
    )
    .unwrap();
    let response = device_response(&[doc]);
    let anchors = [iaca];
    for p in provider::all() {
        let mut opts = MdocVerifyOptions::new(now + 1, &anchors, &t);
        opts.provider = p;
        assert_eq!(
            verify_response(&response, &opts, &mut CheckLog::default()).unwrap()[0].claims
                [MDL_NAMESPACE]
                .len(),
            10
        );
        g.bench_function(
            format!("verify/10_elements_device_signature/{}", p.name()),
            |b| b.iter(|| verify_response(&response, &opts, &mut CheckLog::default()).unwrap()),
        );
    }
    // A verifier keeps validated Document Signer chains: two ES256 verifications remain.
    let cache = credentials::x509::ChainCache::new();
    for p in provider::all() {
        let mut opts = MdocVerifyOptions::new(now + 1, &anchors, &t);
        opts.provider = p;
        opts.chain_cache = Some(&cache);
        g.bench_function(
            format!(
                "verify/10_elements_device_signature_cached_chain/{}",
                p.name()
            ),
            |b| b.iter(|| verify_response(&response, &opts, &mut CheckLog::default()).unwrap()),
        );
    }
    g.bench_function("present/10_elements_device_signature", |b| {
        b.iter(|| {
            present_document(
                &issued,
                &Selection::Elements(&chosen),
                &|_, _| true,
                &DeviceKeyAuth::Signature(&device),
                &t,
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
