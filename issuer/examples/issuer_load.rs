//! Load driver: credentials issued per second over the full OpenID4VCI credential request
//! (DPoP proof, nonce, key proof, one transaction, signing), for SD-JWT VC and mdoc, with
//! SQLite and (when VOUCH_TEST_DATABASE_URL is set) PostgreSQL, beside three crypto rates of
//! the same run: raw ES256 signing (the bound the issue names), "sign + verify" (the honest
//! per-credential floor: one credential signature, one key proof verified) and "sign + 2
//! verifies" (one request of batch 1: the DPoP proof too). The wallets run in the same
//! process, so their proof signing shares the cores. The 1-minute load average is printed
//! beside the numbers: on a shared machine compare ratios within one run.
//!
//! With PROOF `attestation`, each request carries one key attestation (OpenID4VCI 1.0
//! Appendix F.3) signed by a wallet provider the issuer trusts, attesting all BATCH keys, in
//! place of BATCH `jwt` proofs: one signature checked per request instead of one per key.
//!
//! cargo run --release -p issuer --example issuer_load -- [SECONDS per case] [CONCURRENT WALLETS] [BATCH] [jwt|attestation]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::x509::Certificate;
use issuer::wallet::{key_proof, AttestationClaims, Token, Transport, Wallet, WalletProvider};
use issuer::IssuerConfig;
use serde_json::json;

/// The allocator `vouch` runs with (a service allocates and frees per request).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ISSUER: &str = "https://issuer.load";

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Operations per second of `op` on every core for `secs`.
fn rate(secs: f64, op: impl Fn() + Sync) -> f64 {
    let n = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads() {
            s.spawn(|| {
                while start.elapsed().as_secs_f64() < secs {
                    op();
                    n.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    n.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The 1-minute load average (Linux), or "?".
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

async fn setup(
    url: &str,
    schema: Option<&str>,
    wallets: usize,
    batch: usize,
    provider_root: &Certificate,
    dir: &std::path::Path,
) -> (issuer::Shared, Vec<(Arc<Wallet>, Token)>) {
    let store = issuer::store::Store::connect_with_schema(url, schema)
        .await
        .unwrap();
    let mut c = IssuerConfig::new(ISSUER);
    c.token_validity = 3600;
    c.batch_size = batch.max(16);
    c.key_attestations =
        issuer::proofs::attestation::KeyAttestationPolicy::trusting(vec![provider_root.clone()]);
    let shared = issuer::open_with_store(c, store, dir, None).unwrap();
    let router = issuer::router(shared.clone());
    let t = Transport::Router(router.clone());
    let admin = |m: &'static str, p: String, b: serde_json::Value| {
        let t = t.clone();
        let tok = shared.admin_token.clone();
        async move {
            t.send(
                m,
                &format!("{ISSUER}{p}"),
                &[
                    ("authorization", format!("Bearer {tok}")),
                    ("content-type", "application/json".into()),
                ],
                b.to_string().into_bytes(),
            )
            .await
            .json()
        }
    };
    let rtw: serde_json::Value = serde_json::from_str(include_str!(
        "../../specs/examples/right-to-work.claims.json"
    ))
    .unwrap();
    let portrait = rtw["portrait"].clone();
    let mut out = Vec::new();
    for i in 0..wallets {
        let id = format!("load-{i}");
        admin("PUT", format!("/admin/subjects/{id}"), json!({"gpg45_profile": "M1B", "attributes": {
            "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10", "nationalities": ["GB"],
            "document": {"number": "123456789"}, "portrait": portrait, "driving_privileges": []}})).await;
        let offer = admin("POST", "/admin/offers".into(), json!({"subject_id": id, "credential_configuration_ids": ["pid_sd_jwt", "mdl_mdoc"], "tx_code": false})).await;
        let code = offer["credential_offer"]["grants"]
            ["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
            .as_str()
            .unwrap()
            .to_string();
        let w = Wallet::new(Transport::Router(router.clone()), ISSUER);
        let token = w.token_pre_authorized(&code, None).await.unwrap();
        out.push((Arc::new(w), token));
    }
    (shared, out)
}

/// Credentials per second built and signed with nothing else: the subject's claims prepared
/// once, then `issuance::sign` (claims, salts and digests or the MSO, one ES256 signature)
/// for one holder key on every core. No HTTP, no proof, no database: the ceiling any
/// issuance path of this credential can reach.
fn sign_only_rate(
    shared: &issuer::Shared,
    rt: &tokio::runtime::Runtime,
    config: &str,
    secs: f64,
) -> f64 {
    use issuer::configurations::{self, IssueContext};
    let cfg = configurations::find(config).unwrap();
    let subject = rt
        .block_on(shared.store.subject("load-0"))
        .unwrap()
        .unwrap();
    let now = issuer::util::now();
    let ctx = IssueContext {
        authority: &shared.config.name,
        country: &shared.config.country,
        now,
        expires_at: now + shared.config.credential_validity,
    };
    let claims = issuer::issuance::prepare(cfg, &subject, &ctx).unwrap();
    let key = shared.keys.active();
    let holder_key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let holder = holder_key.public_key().clone();
    let status = credentials::status::StatusReference {
        idx: 7,
        uri: shared.config.endpoint("/status/1"),
    };
    rate(secs.min(3.0), || {
        issuer::issuance::sign(cfg, &claims, &key, ISSUER, &holder, &status, &ctx).unwrap();
    })
}

/// Credentials per second for `config` with `wallets` concurrent wallets, `batch` per request.
async fn drive(
    wallets: &[(Arc<Wallet>, Token)],
    config: &'static str,
    batch: usize,
    provider: Option<Arc<WalletProvider>>,
    secs: f64,
) -> f64 {
    let issued = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (w, token) in wallets {
        let (w, token, issued, provider) =
            (w.clone(), token.clone(), issued.clone(), provider.clone());
        tasks.push(tokio::spawn(async move {
            let holders: Vec<SoftwareSigner> = (0..batch)
                .map(|_| SoftwareSigner::generate(Algorithm::Es256).unwrap().0)
                .collect();
            while start.elapsed().as_secs_f64() < secs {
                let nonce = w.nonce().await.unwrap();
                let now = issuer::util::now();
                let proofs = match &provider {
                    None => json!({"jwt": holders
                        .iter()
                        .map(|h| key_proof(h, ISSUER, Some(&nonce), now))
                        .collect::<Vec<_>>()}),
                    Some(p) => {
                        let keys: Vec<&dyn Signer> =
                            holders.iter().map(|h| h as &dyn Signer).collect();
                        json!({"attestation": [p.attest(
                            &keys,
                            &AttestationClaims {
                                iat: now,
                                exp: Some(now + 3600),
                                nonce: Some(&nonce),
                                key_storage: &["iso_18045_moderate"],
                                user_authentication: &["iso_18045_moderate"],
                            },
                        )]})
                    }
                };
                let v = w
                    .credential(
                        &token,
                        &json!({"credential_configuration_id": config, "proofs": proofs}),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                issued.fetch_add(
                    v["credentials"].as_array().map_or(0, Vec::len),
                    Ordering::Relaxed,
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    issued.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let wallets: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16);
    let batch: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let attestation = match args.get(4).map(String::as_str) {
        None | Some("jwt") => false,
        Some("attestation") => true,
        Some(other) => panic!("PROOF is jwt or attestation, not {other}"),
    };
    let provider = Arc::new(WalletProvider::generate("Load Wallet Provider"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads())
        .enable_all()
        .build()
        .unwrap();

    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let msg = [7u8; 600];
    let sig = signer.sign(&msg).unwrap();
    let sign_rate = rate(secs.min(3.0), || {
        signer.sign(&msg).unwrap();
    });
    let floor_rate = rate(secs.min(3.0), || {
        signer.sign(&msg).unwrap();
        signer
            .public_key()
            .verify(Algorithm::Es256, &msg, &sig)
            .unwrap();
    });
    let request_rate = rate(secs.min(3.0), || {
        signer.sign(&msg).unwrap();
        signer
            .public_key()
            .verify(Algorithm::Es256, &msg, &sig)
            .unwrap();
        signer
            .public_key()
            .verify(Algorithm::Es256, &msg, &sig)
            .unwrap();
    });
    println!(
        "threads: {}   wallets: {wallets}   batch: {batch}   proofs: {}   seconds per case: {secs}   load average: {}",
        threads(),
        if attestation { "one key attestation per request" } else { "one jwt proof per key" },
        load_average()
    );
    println!("raw ES256 sign:                      {sign_rate:>9.0} /s");
    println!("raw ES256 sign + verify:             {floor_rate:>9.0} /s  (per credential: one signature, one key proof)");
    println!("raw ES256 sign + 2 verify:           {request_rate:>9.0} /s  (a batch-1 request: its DPoP proof too)");

    let mut cases: Vec<(String, String, Option<String>)> = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    cases.push((
        "SQLite".into(),
        format!("sqlite://{}", dir.path().join("load.db").display()),
        None,
    ));
    if let Ok(pg) = std::env::var("VOUCH_TEST_DATABASE_URL") {
        if !pg.is_empty() {
            cases.push((
                "PostgreSQL".into(),
                pg,
                Some(format!("issuer_load_{}", issuer::util::random_digits(10))),
            ));
        }
    }
    for (name, url, schema) in cases {
        let data = tempfile::tempdir().unwrap();
        let (shared, ws) = rt.block_on(setup(
            &url,
            schema.as_deref(),
            wallets,
            batch,
            provider.root(),
            data.path(),
        ));
        for config in ["pid_sd_jwt", "mdl_mdoc"] {
            let ceiling = sign_only_rate(&shared, &rt, config, secs);
            println!(
                "{name:<10} {config:<12} built and signed only: {ceiling:>9.0} /s  = {:>4.1}% of raw sign (no HTTP, proof or database)",
                100.0 * ceiling / sign_rate
            );
            let r = rt.block_on(drive(
                &ws,
                config,
                batch,
                attestation.then(|| provider.clone()),
                secs,
            ));
            println!(
                "{name:<10} {config:<12} issued:   {r:>9.0} /s  = {:>4.1}% of raw sign, {:>4.0}% of sign+verify, {:>4.0}% of sign+2 verify  (load {})",
                100.0 * r / sign_rate,
                100.0 * r / floor_rate,
                100.0 * r / request_rate,
                load_average()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
