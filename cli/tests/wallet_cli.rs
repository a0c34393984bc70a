//! `vouch wallet`: init, list, log, and refusal of a wrong passphrase or an unsupported
//! request (the issuance and presentation flows are tested end to end in wallet-core).

use std::process::Command;

fn vouch(dir: &std::path::Path, pass: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("wallet")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env("VOUCH_WALLET_PASSPHRASE", pass)
        .output()
        .unwrap()
}

#[test]
fn init_list_log_and_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let init = vouch(dir.path(), "correct horse", &["init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(dir.path().join("wallet.sqlite").exists());
    let list = vouch(dir.path(), "correct horse", &["list"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&list.stdout).unwrap(),
        serde_json::json!([])
    );
    let log = vouch(dir.path(), "correct horse", &["log"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&log.stdout).unwrap(),
        serde_json::json!([])
    );
    let wrong = vouch(dir.path(), "battery staple", &["list"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase"));
}

#[test]
fn present_refuses_a_decentralized_identifier_request() {
    let dir = tempfile::tempdir().unwrap();
    let url = "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Arp.example&request=e30.e30.e30";
    let out = vouch(dir.path(), "pw", &["present", url, "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported client identifier prefix"));
}
