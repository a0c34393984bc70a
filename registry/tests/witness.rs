//! Witnesses (issue 19): three C2SP tlog-witnesses cosign the register's checkpoints after
//! checking consistency, an independent cosignature/v1 verifier (Python, from the C2SP
//! text) verifies their cosignatures, and a split view (a register showing another tree of
//! the same log to someone else) gets no witness to cosign it, so a monitor holding a
//! 2-of-3 quorum policy refuses it.

use std::collections::BTreeMap;
use std::sync::Arc;

mod common;

use common::{add_relying_parties, open, serve, ORIGIN};
use credentials::keys::{Algorithm, SoftwareSigner};
use trust_framework::cosignature::{CosignerKey, WitnessPolicy};
use trust_framework::note::NoteKey;
use vouch_registry::http::client::Client;
use vouch_registry::monitor::{self, Finding, MonitorState};
use vouch_registry::witness::submit::WitnessEndpoint;
use vouch_registry::witness::Witness;

/// A witness of the log whose key is `log_key`; its URL and key.
async fn witness(n: usize, log_key: &NoteKey, dir: &std::path::Path) -> (String, CosignerKey) {
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let name = format!("witness{n}.test.vouch.example");
    let w = Witness::new(
        &name,
        Arc::new(signer),
        BTreeMap::from([(ORIGIN.to_string(), vec![log_key.clone()])]),
        dir.join(format!("witness{n}.json")),
    )
    .unwrap();
    let key = CosignerKey::from_vkey(&w.vkey()).unwrap();
    let app = Arc::new(w).router();
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_cosign_one_history_and_a_split_view_gets_no_quorum() {
    let dir = tempfile::tempdir().unwrap();
    let keys_dir = dir.path().join("keys");
    let honest = open(dir.path(), &keys_dir).await;
    add_relying_parties(&honest, 0, 40).await;
    let log_key = NoteKey::from_vkey(&honest.genesis_vkey().await.unwrap()).unwrap();
    let mut endpoints = Vec::new();
    let mut keys = Vec::new();
    for n in 1..=3 {
        let (url, key) = witness(n, &log_key, dir.path()).await;
        endpoints.push(WitnessEndpoint {
            url,
            key: key.clone(),
            size: 0,
        });
        keys.push(key);
    }
    let http = Client::new().unwrap();
    assert_eq!(
        honest.witness_round(&http, &mut endpoints).await.unwrap(),
        3
    );
    // The log grows: each witness checks the consistency proof from what it cosigned.
    add_relying_parties(&honest, 40, 25).await;
    assert_eq!(
        honest.witness_round(&http, &mut endpoints).await.unwrap(),
        3
    );
    assert!(endpoints.iter().all(|w| w.size == 66));
    let (base, _honest) = serve(honest).await;
    let policy = WitnessPolicy {
        witnesses: keys.clone(),
        quorum: 2,
    };
    let (report, next) = monitor::run_with_policy(
        &http,
        &base,
        std::slice::from_ref(&log_key),
        Some(&policy),
        &MonitorState::default(),
    )
    .await;
    assert!(report.ok(), "{:?}", report.findings);
    assert_eq!(report.witnesses.len(), 3);
    let seen = next.unwrap();

    // An independent cosignature/v1 verifier agrees.
    let note = http.get(&base, "/log/checkpoint").await.unwrap().text();
    let file = dir.path().join("checkpoint.txt");
    std::fs::write(&file, &note).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/tlog-witness/verify_cosignature.py");
    let out = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .args(keys.iter().map(CosignerKey::to_vkey))
        .output()
        .await
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A split view: the same log key signs another tree (a different first entry) of a
    // larger size. Every witness refuses it (it does not extend what they cosigned), so it
    // carries no cosignature and the monitor's quorum rule refuses it.
    let other = tempfile::tempdir().unwrap();
    let forked = open(other.path(), &keys_dir).await;
    add_relying_parties(&forked, 0, 80).await;
    let mut fork_endpoints: Vec<WitnessEndpoint> = endpoints
        .iter()
        .map(|w| WitnessEndpoint {
            size: 0,
            ..w.clone()
        })
        .collect();
    assert_eq!(
        forked
            .witness_round(&http, &mut fork_endpoints)
            .await
            .unwrap(),
        0,
        "no witness cosigns a tree that does not extend the one it saw"
    );
    let (fork_base, _forked) = serve(forked).await;
    let (refused, moved) = monitor::run_with_policy(
        &http,
        &fork_base,
        std::slice::from_ref(&log_key),
        Some(&policy),
        &seen,
    )
    .await;
    assert_eq!(moved, None);
    assert!(
        matches!(refused.findings.as_slice(), [Finding::Quorum { .. }]),
        "{:?}",
        refused.findings
    );
}

#[tokio::test]
async fn a_witness_answers_as_the_protocol_says() {
    let dir = tempfile::tempdir().unwrap();
    let (log_signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let log_key = NoteKey::new(ORIGIN, credentials::keys::Signer::public_key(&log_signer)).unwrap();
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let w = Witness::new(
        "w.test",
        Arc::new(signer),
        BTreeMap::from([(ORIGIN.to_string(), vec![log_key])]),
        dir.path().join("w.json"),
    )
    .unwrap();
    let mut tree = trust_framework::merkle::MerkleTree::new();
    for i in 0..10u32 {
        tree.append(&i.to_be_bytes());
    }
    let checkpoint = |size: u64, tree: &trust_framework::merkle::MerkleTree| {
        let body = format!(
            "{ORIGIN}\n{size}\n{}\n",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                tree.root_at(size).unwrap()
            )
        );
        trust_framework::note::sign(&body, ORIGIN, &log_signer).unwrap()
    };
    let req = |old: u64, proof: &[[u8; 32]], note: &str| {
        let mut b = format!("old {old}\n");
        for h in proof {
            b.push_str(&base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                h,
            ));
            b.push('\n');
        }
        format!("{b}\n{note}")
    };
    use axum::http::StatusCode;
    let cp5 = checkpoint(5, &tree);
    assert_eq!(w.add(&req(0, &[], &cp5), 1).await.0, StatusCode::OK);
    // Old size not the one it cosigned: 409 with its size.
    let cp10 = checkpoint(10, &tree);
    let (s, body) = w.add(&req(0, &[], &cp10), 2).await;
    assert_eq!((s, body.as_str()), (StatusCode::CONFLICT, "5\n"));
    // A proof that does not verify: 422; the right one: 200.
    let bad = [[7u8; 32]; 3];
    assert_eq!(
        w.add(&req(5, &bad, &cp10), 3).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let proof = tree.consistency_proof(5, 10).unwrap();
    assert_eq!(w.add(&req(5, &proof, &cp10), 4).await.0, StatusCode::OK);
    // Another root at the same size: 409. An unknown log: 404. Not signed by the log: 403.
    let mut other = trust_framework::merkle::MerkleTree::new();
    for i in 100..110u32 {
        other.append(&i.to_be_bytes());
    }
    assert_eq!(
        w.add(&req(10, &[], &checkpoint(10, &other)), 5).await.0,
        StatusCode::CONFLICT
    );
    let (stranger, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let body = cp10.split("\n\n").next().unwrap().to_string() + "\n";
    let forged = trust_framework::note::sign(&body, ORIGIN, &stranger).unwrap();
    assert_eq!(
        w.add(&req(10, &[], &forged), 6).await.0,
        StatusCode::FORBIDDEN
    );
    let unknown = trust_framework::note::sign(
        "other.example/log\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "other.example/log",
        &stranger,
    )
    .unwrap();
    assert_eq!(
        w.add(&req(0, &[], &unknown), 7).await.0,
        StatusCode::NOT_FOUND
    );
    // Its state survives a restart.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("w.json")).unwrap()).unwrap();
    assert_eq!(saved["logs"][ORIGIN][0], 10);
}
