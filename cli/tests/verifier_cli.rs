//! `vouch verifier check-record`: a record made by the HTTP journey test verifies offline
//! (exit 0); the same record with one payload byte changed does not (exit 1).

use std::process::Command;

fn vouch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
}

const RECORD: &str = include_str!("../../verifier/tests/fixtures/record.jws");

#[test]
fn check_record_accepts_a_genuine_record_and_refuses_a_tampered_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jws");
    std::fs::write(&good, RECORD).unwrap();
    let out = vouch()
        .args(["verifier", "check-record"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["claims"]["family_name"], "Lovelace");

    let mut parts: Vec<String> = RECORD.trim().split('.').map(str::to_string).collect();
    let mut payload = credentials::b64::decode(&parts[1]).unwrap();
    let i = payload.windows(8).position(|w| w == b"Lovelace").unwrap();
    payload[i] = b'M';
    parts[1] = credentials::b64::encode(&payload);
    let bad = dir.path().join("bad.jws");
    std::fs::write(&bad, parts.join(".")).unwrap();
    let out = vouch()
        .args(["verifier", "check-record"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert!(report["claims"].is_null());
}
