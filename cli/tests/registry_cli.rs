//! `vouch registry serve` and `vouch registry audit` as an operator, a CAB, a verifier and
//! a regulator use them: over HTTP, against SQLite, and (when VOUCH_TEST_DATABASE_URL is
//! set) two processes over one PostgreSQL.

mod registry_support;

use std::path::PathBuf;

use credentials::keys::{Algorithm, Jwk, Signer, SoftwareSigner};
use registry_support::*;
use serde_json::{json, Value};
use trust_framework::merkle;
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{hashes_from_b64, SnapshotVerifier};
use vouch_registry::http::client::HttpResponse;

#[test]
fn serves_reads_and_authenticated_writes_with_specific_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    let db = format!("sqlite://{}", dir.path().join("registry.db").display());
    let server = serve(dir.path(), &db);
    let url = server.url.clone();
    assert_eq!(get(&url, "/healthz").json().unwrap()["status"], "ok");
    let issuer = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    populate(&url, &issuer);

    // Errors: each with its code and status.
    let body = registration("beta", "cab-b", &issuer.public_key().to_jwk().to_value());
    let cases: Vec<(HttpResponse, u16, &str)> = vec![
        (
            post(&url, "/events/entry.registered", None, &body),
            401,
            "unauthorized",
        ),
        (
            post(
                &url,
                "/events/entry.registered",
                Some("wrong-token-0123456789"),
                &body,
            ),
            401,
            "unauthorized",
        ),
        (
            post(&url, "/events/entry.registered", Some(CAB_A), &body),
            403,
            "forbidden_for_role",
        ),
        (
            post(&url, "/events/no.such", Some(OPERATOR), &body),
            404,
            "unknown_event_type",
        ),
        (
            post(
                &url,
                "/events/entry.registered",
                Some(OPERATOR),
                &json!({"body": {"entry_id": 5}}),
            ),
            422,
            "invalid_event",
        ),
        (
            post(
                &url,
                "/events/entry.registered",
                Some(OPERATOR),
                &registration("acme", "cab-a", &json!({})),
            ),
            409,
            "duplicate_entry",
        ),
        (
            post(
                &url,
                "/events/certificate.suspended",
                Some(OPERATOR),
                &json!({"body": {"entry_id": "nope", "certificate_number": "x"}}),
            ),
            404,
            "unknown_entry",
        ),
        // cab-b did not issue acme's certificate.
        (
            post(
                &url,
                "/events/certificate.withdrawn",
                Some(CAB_B),
                &json!({"body": {"entry_id": "acme", "certificate_number": "acme-1"}}),
            ),
            403,
            "forbidden_for_role",
        ),
        (
            post(
                &url,
                "/events/log.genesis",
                Some(OPERATOR),
                &json!({"body": {}}),
            ),
            403,
            "forbidden_for_role",
        ),
        (get(&url, "/entries/nope"), 404, "unknown_entry"),
        (get(&url, "/log/entries/999"), 404, "index_out_of_range"),
        (
            get(&url, "/log/proof/inclusion?index=999"),
            400,
            "proof_out_of_range",
        ),
        (
            get(&url, "/log/proof/inclusion?index=abc"),
            400,
            "bad_query",
        ),
    ];
    for (r, status, code) in cases {
        assert_eq!(
            (
                r.status,
                r.json().unwrap()["error"].as_str().unwrap().to_string()
            ),
            (status, code.to_string()),
            "{}",
            r.text()
        );
    }

    // Reads.
    let entries = get(&url, "/entries").json().unwrap();
    assert_eq!(entries["entries"][0]["entry_id"], "acme");
    let history = get(&url, "/entries/acme/history").json().unwrap();
    let types: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "entry.registered",
            "note.added",
            "certificate.suspended",
            "certificate.reinstated"
        ]
    );
    assert_eq!(
        history["history"][2]["event"]["actor"],
        json!({"role": "certifying_body", "id": "cab-a"})
    );

    // The snapshot verifies with the published keys and answers the historical question.
    let keys = get(&url, "/keys").json().unwrap();
    let vkey = keys["log_keys"][0]["vkey"].as_str().unwrap();
    let verifier = SnapshotVerifier {
        snapshot_key: Jwk::from_value(&keys["snapshot_key"])
            .unwrap()
            .public_key()
            .clone(),
        log_key: NoteKey::from_vkey(vkey).unwrap(),
    };
    let jws = get(&url, "/snapshot").text();
    let snap = verifier
        .verify(&jws, time::OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(snap.checkpoint.size, 6);
    let at = time::OffsetDateTime::parse(
        "2026-03-01T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ev = trust_framework::decision::Evidence::IssKey {
        iss: "https://acme.example",
        key: issuer.public_key(),
    };
    for version in [
        "urn:vouch:uk:right-to-work:1",
        "urn:vouch:uk:right-to-work:2",
    ] {
        assert!(
            trust_framework::decision::authorize(
                snap.register(),
                &ev,
                version,
                "right_to_work",
                at
            )
            .allowed,
            "{version}"
        );
    }
    // Asked again with no change, the same snapshot comes back; after a change, the next sequence.
    assert_eq!(get(&url, "/snapshot").text(), jws);

    // Proofs from the API verify against the signed checkpoint.
    let cp = trust_framework::checkpoint::Checkpoint::open(
        &get(&url, "/log/checkpoint").text(),
        &[NoteKey::from_vkey(vkey).unwrap()],
    )
    .unwrap();
    for index in 0..cp.size {
        let p = get(
            &url,
            &format!("/log/proof/inclusion?index={index}&size={}", cp.size),
        )
        .json()
        .unwrap();
        let leaf = get(&url, &format!("/log/entries/{index}")).body;
        let proof =
            hashes_from_b64(&serde_json::from_value::<Vec<String>>(p["proof"].clone()).unwrap())
                .unwrap();
        merkle::verify_inclusion(&merkle::leaf_hash(&leaf), index, cp.size, &proof, &cp.root)
            .unwrap();
    }

    // Write-then-snapshot: the next snapshot has the next sequence and a consistency proof.
    let removal = json!({"legal_basis": "DUAA 2025 s.42(1)(a)", "body": {"entry_id": "acme", "reason": "provider_request"}});
    assert_eq!(
        post(&url, "/events/entry.removed", Some(OPERATOR), &removal).status,
        201
    );
    let mut store = trust_framework::snapshot::SnapshotStore::default();
    store.accept(&snap, None).unwrap();
    let next = verifier
        .verify(
            &get(&url, "/snapshot").text(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    assert_eq!(next.payload.sequence, snap.payload.sequence + 1);
    store
        .accept(&next, None)
        .expect("the snapshot carries the consistency proof from the previous one");

    // The VICAL-style list is a signed JWS.
    let vical = get(&url, "/vical").text();
    credentials::jose::CompactJws::parse(&vical)
        .unwrap()
        .verify(&verifier.snapshot_key, &Default::default())
        .unwrap();
}

#[test]
fn audit_passes_on_an_intact_log_and_detects_a_tampered_stored_entry() {
    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    let db_path = dir.path().join("registry.db");
    let db = format!("sqlite://{}", db_path.display());
    let server = serve(dir.path(), &db);
    let issuer = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    populate(&server.url, &issuer);
    // A withdrawal with no removal, to see the anomaly report.
    let withdraw = json!({"occurred_at": "2026-06-01T00:00:00Z", "body": {"entry_id": "acme", "certificate_number": "acme-1"}});
    assert_eq!(
        post(
            &server.url,
            "/events/certificate.withdrawn",
            Some(CAB_A),
            &withdraw
        )
        .status,
        201
    );
    let _ = get(&server.url, "/snapshot");
    let vkey = get(&server.url, "/keys").json().unwrap()["log_keys"][0]["vkey"]
        .as_str()
        .unwrap()
        .to_string();

    let state = dir.path().join("audit-state.json");
    let out = vouch(&[
        "registry",
        "audit",
        "--url",
        &server.url,
        "--log-key",
        &vkey,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tampering"], json!([]));
    assert_eq!(report["log_size"], 7);
    assert_eq!(report["inclusion_proofs_verified"], 7);
    assert_eq!(report["snapshot_checked"], true);
    assert!(report["consistency_proofs_verified"].as_u64().unwrap() >= 5);
    let codes: Vec<&str> = report["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"withdrawn_still_registered"), "{codes:?}");
    drop(server);

    // Tamper with a stored event: the suspension date moves. Audit from the database.
    let out = vouch(&["registry", "audit", "--database-url", &db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = rt()
        .block_on(vouch_registry::store::Store::connect(&db))
        .unwrap();
    let n = rt()
        .block_on(conn.execute("UPDATE tf_log_entries SET leaf = replace(leaf, '2026-04-01T00:00:00Z', '2026-04-09T00:00:00Z') WHERE idx = 4"))
        .unwrap();
    assert_eq!(n, 1);
    let out = vouch(&["registry", "audit", "--database-url", &db]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "TAMPERING DETECTED: log entry 4: its content does not match its stored leaf hash"
        ),
        "{stderr}"
    );

    // A careful attacker also rewrites the leaf hash: the signed checkpoints still give it away.
    let leaf: String = rt().block_on(conn.entries_from(4)).unwrap()[0].leaf.clone();
    let h = vouch_registry::store::hex(&merkle::leaf_hash(leaf.as_bytes()));
    rt().block_on(conn.execute(&format!(
        "UPDATE tf_log_entries SET leaf_hash = '{h}' WHERE idx = 4"
    )))
    .unwrap();
    let out = vouch(&["registry", "audit", "--database-url", &db]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["tampering"][0]["code"], "checkpoint_root",
        "{report}"
    );
    assert_eq!(report["tampering"][0]["first_suspect"], 4);

    // Served again, the remembered state exposes the rewrite to a URL audit too.
    let server = serve(dir.path(), &db);
    let out = vouch(&[
        "registry",
        "audit",
        "--url",
        &server.url,
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn authorizes_offline_from_a_downloaded_snapshot_file() {
    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    let db = format!("sqlite://{}", dir.path().join("registry.db").display());
    let server = serve(dir.path(), &db);
    let issuer = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    populate(&server.url, &issuer);
    let keys = get(&server.url, "/keys").json().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("snapshot.jws"), get(&server.url, "/snapshot").text()).unwrap();
    std::fs::write(p("snapshot.jwk"), keys["snapshot_key"].to_string()).unwrap();
    std::fs::write(
        p("issuer.jwk"),
        issuer.public_key().to_jwk().to_value().to_string(),
    )
    .unwrap();
    drop(server);
    let vkey = keys["log_keys"][0]["vkey"].as_str().unwrap();
    let run = |at: &str| {
        let s = |x: &PathBuf| x.to_str().unwrap().to_string();
        vouch(&[
            "registry",
            "authorize",
            "--snapshot",
            &s(&p("snapshot.jws")),
            "--snapshot-key",
            &s(&p("snapshot.jwk")),
            "--log-key",
            vkey,
            "--iss",
            "https://acme.example",
            "--issuer-key",
            &s(&p("issuer.jwk")),
            "--credential-type",
            "urn:vouch:uk:right-to-work:1",
            "--purpose",
            "right_to_work",
            "--at",
            at,
        ])
    };
    let ok = run("2026-03-01T00:00:00Z");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let suspended = run("2026-04-15T00:00:00Z");
    assert_eq!(suspended.status.code(), Some(1));
    let d: Value = serde_json::from_slice(&suspended.stdout).unwrap();
    assert_eq!(d["reason"]["code"], "certificate_suspended");
}

#[test]
fn rotates_the_log_key_and_clients_and_audit_follow_the_endorsed_rotation() {
    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    let db = format!("sqlite://{}", dir.path().join("registry.db").display());
    let server = serve(dir.path(), &db);
    let issuer = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    populate(&server.url, &issuer);
    let genesis = get(&server.url, "/keys").json().unwrap()["log_keys"][0]["vkey"]
        .as_str()
        .unwrap()
        .to_string();
    let r = post(
        &server.url,
        "/admin/log/rotate-key",
        Some(CAB_A),
        &json!({}),
    );
    assert_eq!(
        (r.status, r.json().unwrap()["error"].clone()),
        (403, json!("forbidden_for_role"))
    );
    let r = post(
        &server.url,
        "/admin/log/rotate-key",
        Some(OPERATOR),
        &json!({}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let rp = json!({"body": {"relying_party": {"relying_party_id": "rp-after", "name": "RP", "purposes": []}}});
    assert_eq!(
        post(
            &server.url,
            "/events/relying_party.registered",
            Some(OPERATOR),
            &rp
        )
        .status,
        201
    );

    let keys = get(&server.url, "/keys").json().unwrap();
    assert_eq!(keys["log_keys"].as_array().unwrap().len(), 2);
    assert_eq!(keys["log_keys"][1]["from_size"], 7);
    // The new head is signed by the new key only; a client pinning the genesis key follows
    // the endorsed rotation recorded in the snapshot's register.
    let head = get(&server.url, "/log/checkpoint").text();
    assert!(trust_framework::checkpoint::Checkpoint::open(
        &head,
        &[NoteKey::from_vkey(&genesis).unwrap()]
    )
    .is_err());
    let verifier = SnapshotVerifier {
        snapshot_key: Jwk::from_value(&keys["snapshot_key"])
            .unwrap()
            .public_key()
            .clone(),
        log_key: NoteKey::from_vkey(&genesis).unwrap(),
    };
    let snap = verifier
        .verify(
            &get(&server.url, "/snapshot").text(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    assert_eq!(snap.checkpoint.size, 8);

    let out = vouch(&[
        "registry",
        "audit",
        "--url",
        &server.url,
        "--log-key",
        &genesis,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["checkpoints_verified"], 8);
    // Pinning another genesis key is refused.
    let other = NoteKey::new(
        "registry.vouch.example/log",
        SoftwareSigner::generate(Algorithm::EdDsa)
            .unwrap()
            .0
            .public_key(),
    )
    .unwrap();
    let out = vouch(&[
        "registry",
        "audit",
        "--url",
        &server.url,
        "--log-key",
        &other.to_vkey(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("genesis key is not the pinned log key"));
}
