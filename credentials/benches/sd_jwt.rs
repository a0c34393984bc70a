//! SD-JWT VC issue, present and verify (10 disclosures, KB-JWT), beside the raw ES256
//! sign and verify rates of the same run: verification costs two ES256 verifies plus
//! hashing, so `2 x verify` is its bound.
//!
//! Beside them, the same presentation bytes through sd-jwt-rs 0.7.1 (an independent
//! implementation over jsonwebtoken and ring).
//!
//! `cargo bench -p credentials --bench sd_jwt` (one core: `taskset -c 1 cargo bench ...`).

mod common;

use common::{AUD, NONCE, NOW, TEN};
use credentials::keys::{provider, Algorithm, Signer, SoftwareSigner};
use credentials::report::CheckLog;
use credentials::sd_jwt::{present, KeyBindingJwt, SdAlg, SdJwt, VerifyOptions};
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sd_jwt_vc");
    g.throughput(Throughput::Elements(1));
    let msg = vec![0x5au8; 600];
    for p in provider::all() {
        let secret = p.generate(Algorithm::Es256.key_kind()).unwrap();
        let signer = SoftwareSigner::with_provider(p, &secret).unwrap();
        let sig = signer.sign(&msg).unwrap();
        g.bench_function(format!("es256_sign/{}", p.name()), |b| {
            b.iter(|| signer.sign(&msg).unwrap())
        });
        g.bench_function(format!("es256_verify/{}", p.name()), |b| {
            b.iter(|| {
                signer
                    .public_key()
                    .verify_with(p, Algorithm::Es256, &msg, &sig)
                    .unwrap()
            })
        });
    }

    let (issuer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (holder, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (issued, presentation) = common::sd_jwt(&issuer, &holder);
    g.bench_function("issue/10_disclosures", |b| {
        b.iter(|| common::issue_sd_jwt(&issuer, &holder))
    });
    let issued_text = issued.to_compact();
    g.bench_function("present/10_disclosures_kb", |b| {
        b.iter(|| {
            let sd = SdJwt::parse(&issued_text).unwrap();
            let p = present(&sd, &TEN).unwrap();
            KeyBindingJwt::attach(p, &holder, AUD, NONCE, NOW, SdAlg::Sha256)
                .unwrap()
                .to_compact()
        })
    });
    let source = IssuerKeySource::Key(issuer.public_key().clone());
    for pr in provider::all() {
        let mut opts = VerifyOptions::at(NOW);
        opts.aud = Some(AUD);
        opts.nonce = Some(NONCE);
        opts.require_key_binding = true;
        opts.provider = pr;
        let opts = VcVerifyOptions::new(opts);
        sd_jwt_vc::verify(&presentation, &source, &opts, &mut CheckLog::default()).unwrap();
        g.bench_function(format!("verify/10_disclosures_kb/{}", pr.name()), |b| {
            b.iter(|| {
                sd_jwt_vc::verify(&presentation, &source, &opts, &mut CheckLog::default()).unwrap()
            })
        });
    }
    // The independent peer on the same presentation bytes: sd-jwt-rs (the OpenWallet
    // Foundation's Rust SD-JWT, over jsonwebtoken and ring), pinned as a dev-dependency.
    let (x, y) = issuer.public_key().coordinates().unwrap();
    let (x, y) = (credentials::b64::encode(x), credentials::b64::encode(y));
    let peer = |text: &str| {
        let (x, y) = (x.clone(), y.clone());
        sd_jwt_rs::SDJWTVerifier::new(
            text.to_string(),
            Box::new(move |_, _| jsonwebtoken::DecodingKey::from_ec_components(&x, &y).unwrap()),
            Some(AUD.to_string()),
            Some(NONCE.to_string()),
            sd_jwt_rs::SDJWTSerializationFormat::Compact,
        )
    };
    let verified = peer(&presentation).expect("sd-jwt-rs verifies the same presentation");
    assert_eq!(verified.verified_claims["given_name"], "Ada");
    g.bench_function("verify/10_disclosures_kb/sd-jwt-rs", |b| {
        b.iter(|| peer(&presentation).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
