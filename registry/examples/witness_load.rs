//! Load figures for the witnessed register (issue 19), in one process on loopback:
//!
//! - how fast `vouch registry monitor` catches up from tiles (entries per second, the
//!   appends that made them left out), and
//! - cosigning latency: one new event, then a round submitting its checkpoint to three
//!   witnesses (each verifying the consistency proof and persisting its state) until all
//!   three cosigned; median and 95th percentile over the rounds.
//!
//! `cargo run --release -p vouch-registry --example witness_load -- [ENTRIES] [ROUNDS]`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use credentials::keys::{Algorithm, SoftwareSigner};
use trust_framework::note::NoteKey;
use vouch_registry::http::client::Client;
use vouch_registry::monitor::{self, MonitorState};
use vouch_registry::witness::submit::WitnessEndpoint;
use vouch_registry::witness::Witness;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{add_relying_parties, open, serve, ORIGIN};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let entries: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let r = open(dir.path(), &dir.path().join("keys")).await;
    add_relying_parties(&r, 0, entries).await;
    let log_key = NoteKey::from_vkey(&r.genesis_vkey().await.unwrap()).unwrap();
    let (base, state) = serve(r).await;
    let http = Client::new().unwrap();

    let t0 = Instant::now();
    let (report, _) = monitor::run(
        &http,
        &base,
        std::slice::from_ref(&log_key),
        &MonitorState::default(),
    )
    .await;
    let took = t0.elapsed().as_secs_f64();
    assert!(report.ok(), "{:?}", report.findings);
    println!(
        "monitor: {} entries from tiles in {took:.2} s = {:.0} entries/s ({} requests)",
        report.to_size,
        report.to_size as f64 / took,
        report.requests
    );

    let mut endpoints = Vec::new();
    for n in 0..3 {
        let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
        let w = Witness::new(
            &format!("witness{n}.load.vouch.example"),
            Arc::new(signer),
            BTreeMap::from([(ORIGIN.to_string(), vec![log_key.clone()])]),
            dir.path().join(format!("w{n}.json")),
        )
        .unwrap();
        let key = trust_framework::cosignature::CosignerKey::from_vkey(&w.vkey()).unwrap();
        let l = vouch_ops::loopback::listener().await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let app = Arc::new(w).router();
        tokio::spawn(async move { axum::serve(l, app).await });
        endpoints.push(WitnessEndpoint { url, key, size: 0 });
    }
    assert_eq!(
        state
            .registry
            .witness_round(&http, &mut endpoints)
            .await
            .unwrap(),
        3
    );
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        add_relying_parties(&state.registry, entries + i, 1).await;
        let t = Instant::now();
        assert_eq!(
            state
                .registry
                .witness_round(&http, &mut endpoints)
                .await
                .unwrap(),
            3
        );
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "cosigning: 3 witnesses on loopback, {rounds} rounds: median {:.1} ms, p95 {:.1} ms",
        times[times.len() / 2],
        times[(times.len() * 95 / 100).min(times.len() - 1)]
    );
}
