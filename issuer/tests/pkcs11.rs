//! The issuer with its signing keys in a PKCS#11 token (SoftHSM2): credentials issued with
//! a key that never left the token verify, and rotation makes the next key in the token.
#![cfg(feature = "pkcs11")]

mod support;

use std::path::Path;
use std::sync::Arc;

use issuer::keys::{HsmBackend, KeySource};
use support::*;

const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

#[tokio::test]
async fn hsm_keys_sign_credentials_and_rotate_inside_the_token() {
    if !Path::new(MODULE).exists() {
        eprintln!("SKIPPED: SoftHSM2 is not installed ({MODULE})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\n",
            tokens.display()
        ),
    )
    .unwrap();
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let st = std::process::Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "vouch-issuer",
            "--so-pin",
            "12345678",
            "--pin",
            "87654321",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let pin = dir.path().join("pin");
    std::fs::write(&pin, "87654321\n").unwrap();
    let hsm: Arc<dyn HsmBackend> = Arc::new(
        issuer::pkcs11::Pkcs11Backend::open(Path::new(MODULE), &pin, Some("vouch-issuer")).unwrap(),
    );

    let data = dir.path().join("data");
    let url = format!("sqlite://{}", dir.path().join("issuer.db").display());
    let shared = issuer::open(config(), &url, &data, Some(hsm.clone()))
        .await
        .unwrap();
    let t = TestIssuer {
        router: issuer::router(shared.clone()),
        issuer: shared,
        dir: tempfile::tempdir().unwrap(),
    };
    // no private signing key file in the data directory
    let files: Vec<String> = std::fs::read_dir(data.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        !files
            .iter()
            .any(|f| f.starts_with("signing-") && f.ends_with(".jwk")),
        "{files:?}"
    );
    let ring: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("keys/keyring.json")).unwrap())
            .unwrap();
    let entry: issuer::keys::KeyEntry = serde_json::from_value(ring["keys"][0].clone()).unwrap();
    assert!(matches!(entry.source, KeySource::Pkcs11 { .. }));

    t.subject("hsm-1").await;
    let offer = t.offer("hsm-1", &["pid_sd_jwt", "mdl_mdoc"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let k = holder();
    let sd = w.issue(&token, "pid_sd_jwt", &[&k]).await.unwrap();
    let parsed = credentials::sd_jwt::SdJwt::parse(&sd[0]).unwrap();
    parsed
        .jws()
        .verify(&t.issuer_key(), &credentials::jose::JwsPolicy::default())
        .unwrap();
    let mdoc = w.issue(&token, "mdl_mdoc", &[&k]).await.unwrap();
    assert!(!mdoc[0].is_empty());

    let old = t.issuer.keys.active().kid.clone();
    let r = t
        .admin("POST", "/admin/keys/rotate", serde_json::json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert_ne!(t.issuer.keys.active().kid, old);
    // reopening finds both keys in the token
    let again = issuer::keys::KeyRing::open(
        &data,
        "Vouch Test IDSP",
        "GB",
        "https://issuer.test/tenant",
        Some(hsm),
    )
    .unwrap();
    assert_eq!(again.active().kid, t.issuer.keys.active().kid);
}
