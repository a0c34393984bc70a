//! SD-JWT VC issue, present and verify (10 disclosures, KB-JWT), beside the raw ES256
//! sign and verify rates of the same run: verification costs two ES256 verifies plus
//! hashing, so `2 x verify` is its bound.
//!
//! `cargo bench -p credentials --bench sd_jwt` (one core: `taskset -c 1 cargo bench ...`).

use credentials::keys::{provider, Algorithm, Signer, SoftwareSigner};
use credentials::report::CheckLog;
use credentials::sd_jwt::{present, DisclosureFrame, KeyBindingJwt, SdAlg, SdJwt, VerifyOptions};
use credentials::sd_jwt_vc::{self, IssuerKeySource, SdJwtVcIssuer, VcEnvelope, VcVerifyOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Map, Value};

const NOW: i64 = 1_800_000_000;

fn claims() -> Map<String, Value> {
    let v = json!({
        "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
        "birth_place": "London", "nationalities": ["GB"], "issuing_authority": "HMPO",
        "issuing_country": "GB", "document_number": "123456789",
        "address": {"street_address": "1 Example Street", "locality": "London"}
    });
    v.as_object().unwrap().clone()
}

const TEN: [&str; 10] = [
    "/given_name",
    "/family_name",
    "/birthdate",
    "/birth_place",
    "/nationalities",
    "/issuing_authority",
    "/issuing_country",
    "/document_number",
    "/address",
    "/address/locality",
];

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
    let envelope = VcEnvelope {
        iss: "https://idp.example".into(),
        vct: "urn:vouch:uk:pid:1".into(),
        iat: NOW - 10,
        nbf: None,
        exp: Some(NOW + 3600),
        holder: Some(holder.public_key().clone()),
        status: Some(json!({"status_list": {"idx": 4711, "uri": "https://idp.example/status/1"}})),
    };
    let frame = TEN
        .iter()
        .try_fold(DisclosureFrame::none(), |f, p| f.pointer(p))
        .unwrap();
    let vc_issuer = SdJwtVcIssuer::new(&issuer);
    let claims = claims();
    g.bench_function("issue/10_disclosures", |b| {
        b.iter(|| vc_issuer.issue(&envelope, &claims, &frame, false).unwrap())
    });
    let issued = vc_issuer.issue(&envelope, &claims, &frame, false).unwrap();
    let issued_text = issued.to_compact();
    g.bench_function("present/10_disclosures_kb", |b| {
        b.iter(|| {
            let sd = SdJwt::parse(&issued_text).unwrap();
            let p = present(&sd, &TEN).unwrap();
            KeyBindingJwt::attach(
                p,
                &holder,
                "https://rp.example",
                "nonce-1",
                NOW,
                SdAlg::Sha256,
            )
            .unwrap()
            .to_compact()
        })
    });
    let p = present(&issued, &TEN).unwrap();
    assert_eq!(p.disclosures().len(), 10);
    let presentation = KeyBindingJwt::attach(
        p,
        &holder,
        "https://rp.example",
        "nonce-1",
        NOW,
        SdAlg::Sha256,
    )
    .unwrap()
    .to_compact();
    let source = IssuerKeySource::Key(issuer.public_key().clone());
    for pr in provider::all() {
        let mut opts = VerifyOptions::at(NOW);
        opts.aud = Some("https://rp.example");
        opts.nonce = Some("nonce-1");
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
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
