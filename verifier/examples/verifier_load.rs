//! Load benchmark: right-to-work verifications per second through the HTTP response
//! endpoint (OpenID4VP direct_post, each a fresh transaction), beside the pipeline's own
//! rate in the same run, and the process's resident memory under that load; then the W3C
//! VC API's `POST /credentials/verify` (a VC-JOSE `vc+jwt` ES256 credential from a
//! `did:key` issuer) beside `credentials::w3c::verify` on the same bytes.
//!
//! `VOUCH_RATE_LIMIT=off cargo run --release -p verifier --example verifier_load -- [N] [CONCURRENCY]`
//! (the per-address rate limit would otherwise refuse a load driver on one address).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{now, running, MemFetcher, Scheme, Story, STATUS_URI};
use time::Duration;
use verifier::pipeline::Expect;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let conc: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    if std::env::var("VOUCH_RATE_LIMIT").as_deref() != Ok("off") {
        eprintln!("verifier_load: run with VOUCH_RATE_LIMIT=off (one address sends every request)");
        std::process::exit(2);
    }
    let scheme = std::sync::Arc::new(Scheme::new(Story::Good));
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let cred = scheme.issue(None, |_| {}, now() + Duration::days(300));
    let client_id = r.service.request_signer.client_id.as_string();

    // The library's own rate.
    let t0 = Instant::now();
    let lib_n = n.min(2000);
    for i in 0..lib_n {
        let nonce = format!("n-{i}");
        let p = scheme.present(&cred, &client_id, &nonce);
        let ex = Expect {
            client_id: &client_id,
            nonce: &nonce,
            transcript: None,
            query: None,
            now: now(),
        };
        let o = r.service.verifier.verify_sd_jwt(&p, &ex).await;
        assert!(o.report.valid);
    }
    let lib_rate = lib_n as f64 / t0.elapsed().as_secs_f64();

    // Prepare transactions and presentations, then post the responses concurrently.
    let http = common::hr_system();
    let mut jobs = Vec::with_capacity(n);
    for _ in 0..n {
        let t: serde_json::Value = http
            .post(format!("{}/api/transactions", r.base))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(t["client_id"].is_string(), "transaction not created: {t}");
        let p = scheme.present(
            &cred,
            t["client_id"].as_str().unwrap(),
            t["nonce"].as_str().unwrap(),
        );
        let vp = serde_json::json!({"right_to_work": [p]}).to_string();
        jobs.push((
            t["response_uri"].as_str().unwrap().to_string(),
            vp,
            t["id"].as_str().unwrap().to_string(),
        ));
    }
    let rss_before = rss_kib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_before));
    let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
    let t1 = Instant::now();
    let mut tasks = vec![];
    for _ in 0..conc {
        let (jobs, http, peak) = (jobs.clone(), http.clone(), peak.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((uri, vp, id)) = jobs.lock().unwrap().pop() else {
                    break;
                };
                let resp = http
                    .post(&uri)
                    .form(&[("vp_token", vp), ("state", id)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200);
                peak.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let http_rate = n as f64 / t1.elapsed().as_secs_f64();
    println!("library: {lib_rate:.0} verifications/s ({lib_n} SD-JWT VC + KB-JWT, trust_register, status, DCQL)");
    println!("http:    {http_rate:.0} verifications/s ({n} OpenID4VP direct_post responses, {conc} concurrent, each a stored single-use transaction)");
    println!("rss:     {} MiB before the HTTP load, {} MiB peak under it (server and load driver in one process)", rss_before / 1024, peak.load(std::sync::atomic::Ordering::Relaxed) / 1024);
    vc_api(&r.base, n, conc).await;
}

/// The VC API: `POST /credentials/verify` with one VC-JOSE credential, `conc` at a time,
/// beside the library's rate on the same bytes.
async fn vc_api(base: &str, n: usize, conc: usize) {
    use credentials::keys::{Algorithm, Signer, SoftwareSigner};
    use credentials::w3c::jose::DocKind;
    use credentials::w3c::verify::Secured;
    use credentials::w3c::{self, IssueOptions, Securing};
    let (issuer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let did = credentials::did::did_key(issuer.public_key());
    let doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:ada", "name": "Ada Lovelace"},
    });
    let now = time::OffsetDateTime::now_utc();
    let Secured::Compact(jwt) = w3c::issue(
        &doc,
        &IssueOptions::new(Securing::Jwt, DocKind::Credential),
        &issuer,
        now,
    )
    .unwrap() else {
        panic!("VC-JOSE gives a compact JWS");
    };
    let t0 = Instant::now();
    let lib_n = n.min(2000);
    for _ in 0..lib_n {
        let opts = w3c::verify::VerifyOptions::at(now, DocKind::Credential);
        assert!(w3c::verify::verify(jwt.as_bytes(), &opts).valid);
    }
    let lib_rate = lib_n as f64 / t0.elapsed().as_secs_f64();
    let body = serde_json::json!({
        "verifiableCredential": {
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "EnvelopedVerifiableCredential",
            "id": format!("data:application/vc+jwt,{jwt}"),
        }
    })
    .to_string();
    let http = reqwest::Client::new();
    let left = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(n));
    let t1 = Instant::now();
    let mut tasks = vec![];
    for _ in 0..conc {
        let (left, http, body) = (left.clone(), http.clone(), body.clone());
        let url = format!("{base}/credentials/verify");
        tasks.push(tokio::spawn(async move {
            while left
                .fetch_update(
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                    |v| v.checked_sub(1),
                )
                .is_ok()
            {
                let resp = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let http_rate = n as f64 / t1.elapsed().as_secs_f64();
    println!("vc-lib:  {lib_rate:.0} verifications/s ({lib_n} VC-JOSE vc+jwt ES256, did:key, credentials::w3c::verify)");
    println!(
        "vc-api:  {http_rate:.0} verifications/s ({n} POST /credentials/verify, {conc} concurrent)"
    );
}
