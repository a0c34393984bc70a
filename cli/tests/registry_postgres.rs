//! Two `vouch registry serve` processes over one PostgreSQL, appending concurrently,
//! produce one consistent log. Runs when VOUCH_TEST_DATABASE_URL is set (CI sets it);
//! each run uses its own schema.

mod registry_support;

use std::collections::BTreeSet;

use registry_support::*;
use serde_json::{json, Value};
use vouch_registry::store::Store;

const PER_WRITER: usize = 15;

#[test]
fn two_processes_appending_concurrently_produce_one_consistent_log() {
    let Ok(base_url) = std::env::var("VOUCH_TEST_DATABASE_URL") else {
        eprintln!(
            "NOTICE: VOUCH_TEST_DATABASE_URL is not set; skipping the PostgreSQL concurrency test"
        );
        return;
    };
    let schema = format!(
        "tf_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    );
    let admin = rt()
        .block_on(Store::connect_unmigrated(&base_url))
        .expect("connect to VOUCH_TEST_DATABASE_URL");
    rt().block_on(admin.execute(&format!("CREATE SCHEMA {schema}")))
        .unwrap();
    let sep = if base_url.contains('?') { '&' } else { '?' };
    let url = format!("{base_url}{sep}options=-c%20search_path%3D{schema}");

    let dir = tempfile::tempdir().unwrap();
    write_tokens(dir.path());
    // Both start at once: one writes the genesis, the other catches up; both share the keys.
    let (a, b) = std::thread::scope(|s| {
        let ha = s.spawn(|| serve(dir.path(), &url));
        let hb = s.spawn(|| serve(dir.path(), &url));
        (ha.join().unwrap(), hb.join().unwrap())
    });

    // Four writers, two per process, all at once.
    let receipts: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = [&a.url, &a.url, &b.url, &b.url]
            .into_iter()
            .enumerate()
            .map(|(w, server)| {
                s.spawn(move || {
                    (0..PER_WRITER)
                        .map(|i| {
                            let rp = json!({"body": {"relying_party": {"relying_party_id": format!("rp-{w}-{i}"), "name": "RP",
                                "purposes": [{"purpose": "age_check", "credential_types": ["urn:vouch:uk:pid:1"], "claims": ["age_over_18"]}]}}});
                            let r = post(server, "/events/relying_party.registered", Some(OPERATOR), &rp);
                            assert_eq!(r.status, 201, "{}", r.text());
                            r.json().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    let total = 4 * PER_WRITER as u64;
    let indices: BTreeSet<u64> = receipts
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(
        indices,
        (1..=total).collect(),
        "every append got its own index, none lost"
    );

    // Both processes now serve the same signed head.
    let (ca, cb) = (
        get(&a.url, "/log/checkpoint").text(),
        get(&b.url, "/log/checkpoint").text(),
    );
    assert_eq!(ca, cb);
    assert!(ca.contains(&format!("\n{}\n", total + 1)), "{ca}");
    let rps = get(&b.url, "/relying-parties").json().unwrap();
    assert_eq!(
        rps["relying_parties"].as_array().unwrap().len(),
        4 * PER_WRITER
    );
    // A snapshot from each: sequences differ, logs agree.
    let _ = (get(&a.url, "/snapshot"), get(&b.url, "/snapshot"));

    // The regulator's audit of the database: every checkpoint either process signed is
    // consistent with every other, and the register replays.
    let out = vouch(&["registry", "audit", "--database-url", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["log_size"], total + 1);
    assert_eq!(report["checkpoints_verified"], total + 1);
    assert_eq!(report["consistency_proofs_verified"], total);

    drop((a, b));
    rt().block_on(admin.execute(&format!("DROP SCHEMA {schema} CASCADE")))
        .unwrap();
}
