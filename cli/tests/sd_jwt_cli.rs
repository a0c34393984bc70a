//! The `vouch key` and `vouch sd-jwt` command line, as people and scripts use it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use credentials::keys::{Algorithm, Jwk, SoftwareSigner};
use credentials::x509::dev::{self, CertSpec};
use serde_json::{json, Value};

fn vouch(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: Option<&str>) -> String {
    let out = vouch(args, stdin);
    assert!(
        out.status.success(),
        "vouch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        f.write("issuer.jwk", &ok(&["key", "new", "--alg", "ES256"], None));
        f.write(
            "issuer.pub.jwk",
            &ok(&["key", "public"], Some(&f.read("issuer.jwk"))),
        );
        f.write("holder.jwk", &ok(&["key", "new", "--alg", "EdDSA"], None));
        f.write(
            "holder.pub.jwk",
            &ok(&["key", "public"], Some(&f.read("holder.jwk"))),
        );
        f.write(
            "claims.json",
            &json!({
                "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
                "nationalities": ["GB", "IE"],
                "address": {"locality": "London", "postal_code": "SW1A 1AA", "country": "GB"}
            })
            .to_string(),
        );
        f
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn p(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }
    fn issue(&self, extra: &[&str]) -> String {
        let (key, holder, claims) = (
            self.p("issuer.jwk"),
            self.p("holder.pub.jwk"),
            self.p("claims.json"),
        );
        let mut args = vec![
            "sd-jwt",
            "issue",
            "--key",
            &key,
            "--iss",
            "https://idp.example",
            "--vct",
            "urn:example:test:1",
            "--claims",
            &claims,
            "--holder",
            &holder,
            "--exp",
            "3600",
        ];
        args.extend_from_slice(extra);
        let out = ok(&args, None);
        self.write("credential.txt", &out);
        out
    }
    fn present(&self, disclose: &[&str], aud: &str, nonce: &str) -> String {
        let (cred, hk) = (self.p("credential.txt"), self.p("holder.jwk"));
        let mut args = vec![
            "sd-jwt",
            "present",
            "--credential",
            &cred,
            "--holder-key",
            &hk,
            "--aud",
            aud,
            "--nonce",
            nonce,
        ];
        for d in disclose {
            args.extend_from_slice(&["--disclose", d]);
        }
        ok(&args, None)
    }
    fn verify(&self, presentation: &str, extra: &[&str]) -> (i32, Value) {
        let key = self.p("issuer.pub.jwk");
        let mut args = vec!["sd-jwt", "verify", "--issuer-key", &key];
        args.extend_from_slice(extra);
        let out = vouch(&args, Some(presentation));
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout).unwrap(),
        )
    }
}

#[test]
fn key_new_prints_a_private_jwk_whose_kid_is_its_thumbprint_and_public_drops_d() {
    for alg in ["ES256", "ES384", "EdDSA"] {
        let private: Value =
            serde_json::from_str(&ok(&["key", "new", "--alg", alg], None)).unwrap();
        let jwk = Jwk::from_value(&private).unwrap();
        assert!(jwk.is_private());
        assert_eq!(jwk.kid(), Some(jwk.thumbprint().as_str()));
        assert_eq!(private["alg"], alg);
        let public: Value =
            serde_json::from_str(&ok(&["key", "public"], Some(&private.to_string()))).unwrap();
        assert!(public.get("d").is_none());
        assert_eq!(public["kid"], private["kid"]);
    }
}

#[test]
fn presentation_discloses_only_the_chosen_claims_and_verifies_with_key_binding() {
    let f = Fixture::new();
    f.issue(&["--sd-all"]);
    let p = f.present(
        &["/given_name", "/address/locality", "/nationalities/1"],
        "https://rp.example",
        "n-1",
    );
    let (code, report) = f.verify(
        &p,
        &[
            "--aud",
            "https://rp.example",
            "--nonce",
            "n-1",
            "--require-kb",
        ],
    );
    assert_eq!(code, 0, "{report}");
    let claims = &report["claims"];
    assert_eq!(claims["given_name"], "Ada");
    assert_eq!(claims["address"], json!({"locality": "London"}));
    assert_eq!(claims["nationalities"], json!(["IE"]));
    assert!(claims.get("family_name").is_none() && claims.get("birthdate").is_none());
    assert_eq!(report["issuer"], "https://idp.example");
    assert_eq!(report["format"], "dc+sd-jwt");
}

#[test]
fn verify_exits_1_with_the_failed_check_for_wrong_aud_nonce_and_missing_kb() {
    let f = Fixture::new();
    f.issue(&[]);
    let p = f.present(&["/given_name"], "https://rp.example", "n-1");
    for (args, code) in [
        (
            vec!["--aud", "https://evil.example", "--nonce", "n-1"],
            "kb_aud_mismatch",
        ),
        (
            vec!["--aud", "https://rp.example", "--nonce", "n-2"],
            "kb_nonce_mismatch",
        ),
    ] {
        let (exit, report) = f.verify(&p, &args);
        assert_eq!(exit, 1);
        assert_eq!(report["error"]["code"], code);
        assert_eq!(report["claims"], Value::Null);
    }
    let without_kb = p[..=p.rfind('~').unwrap()].to_string();
    let (exit, report) = f.verify(&without_kb, &["--require-kb"]);
    assert_eq!(
        (exit, report["error"]["code"].as_str()),
        (1, Some("kb_missing"))
    );
}

#[test]
fn verify_rejects_expired_and_not_yet_issued_at_the_given_time() {
    let f = Fixture::new();
    f.issue(&[]);
    let cred = f.read("credential.txt");
    let (exit, report) = f.verify(&cred, &["--at", "2099-01-01T00:00:00Z"]);
    assert_eq!(
        (exit, report["error"]["code"].as_str()),
        (1, Some("expired"))
    );
    let (exit, report) = f.verify(&cred, &["--at", "2001-01-01T00:00:00Z"]);
    assert_eq!(
        (exit, report["error"]["code"].as_str()),
        (1, Some("issued_in_future"))
    );
}

#[test]
fn tampered_disclosure_is_rejected_as_not_referenced() {
    let f = Fixture::new();
    f.issue(&[]);
    let p = f.present(&["/given_name"], "a", "n");
    let parts: Vec<&str> = p.trim().split('~').collect();
    let d = credentials::b64::decode(parts[1]).unwrap();
    let forged = String::from_utf8(d).unwrap().replace("Ada", "Eve");
    let forged = format!("{}~{}~", parts[0], credentials::b64::encode(forged));
    let (exit, report) = f.verify(&forged, &[]);
    assert_eq!(
        (exit, report["error"]["code"].as_str()),
        (1, Some("disclosure_not_referenced"))
    );
}

#[test]
fn json_serialization_round_trips_through_present_and_verify() {
    let f = Fixture::new();
    let issued = f.issue(&["--json", "--decoys", "3"]);
    let v: Value = serde_json::from_str(&issued).unwrap();
    assert!(v["header"]["disclosures"].is_array());
    let p = f.present(&["/family_name"], "https://rp.example", "n");
    let pv: Value = serde_json::from_str(&p).unwrap();
    assert_eq!(pv["header"]["disclosures"].as_array().unwrap().len(), 1);
    assert!(pv["header"]["kb_jwt"].is_string());
    let (exit, report) = f.verify(
        &p,
        &[
            "--aud",
            "https://rp.example",
            "--nonce",
            "n",
            "--require-kb",
        ],
    );
    assert_eq!(exit, 0, "{report}");
    assert_eq!(report["claims"]["family_name"], "Lovelace");
}

fn write_pem(path: &Path, certs: &[&credentials::x509::Certificate]) {
    std::fs::write(path, certs.iter().map(|c| c.to_pem()).collect::<String>()).unwrap();
}

#[test]
fn x5c_chain_verifies_to_the_trusted_root_and_not_to_another() {
    let f = Fixture::new();
    let root_key: Arc<dyn credentials::keys::Signer> =
        Arc::new(SoftwareSigner::generate(Algorithm::Es384).unwrap().0);
    let root_spec = CertSpec {
        common_name: "Test Root".into(),
        country: Some("GB".into()),
        days: 30,
        ca: Some(Some(0)),
        ..Default::default()
    };
    let root = dev::self_signed(&root_spec, root_key.clone()).unwrap();
    let issuer = Jwk::from_json(&f.read("issuer.jwk")).unwrap();
    let leaf_spec = CertSpec {
        common_name: "IdP".into(),
        days: 10,
        dns_names: vec!["idp.example".into()],
        ..Default::default()
    };
    let leaf = dev::issue(&leaf_spec, issuer.public_key(), &root, root_key).unwrap();
    write_pem(&f.path("chain.pem"), &[&leaf]);
    write_pem(&f.path("root.pem"), &[&root]);
    let other = dev::self_signed(
        &root_spec,
        Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0),
    )
    .unwrap();
    write_pem(&f.path("other.pem"), &[&other]);

    let chain = f.p("chain.pem");
    let cred = f.issue(&["--x5c", &chain]);
    for (root, want) in [
        (f.p("root.pem"), None),
        (f.p("other.pem"), Some("certificate_signature_invalid")),
    ] {
        let out = vouch(&["sd-jwt", "verify", "--trust-x5c", &root], Some(&cred));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["error"]["code"].as_str(), want, "{report}");
        assert_eq!(out.status.code(), Some(if want.is_none() { 0 } else { 1 }));
    }
    // iss must be named by the leaf certificate.
    let (key, claims) = (f.p("issuer.jwk"), f.p("claims.json"));
    let cred = ok(
        &[
            "sd-jwt",
            "issue",
            "--key",
            &key,
            "--iss",
            "https://other.example",
            "--vct",
            "urn:x",
            "--claims",
            &claims,
            "--x5c",
            &chain,
        ],
        None,
    );
    let out = vouch(
        &["sd-jwt", "verify", "--trust-x5c", &f.p("root.pem")],
        Some(&cred),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["error"]["code"], "iss_mismatch");
}

#[test]
fn usage_and_io_errors_exit_2_with_one_line_on_stderr() {
    let f = Fixture::new();
    for args in [
        vec!["sd-jwt", "verify"],
        vec!["sd-jwt", "verify", "--issuer-key", "/nonexistent.jwk"],
        vec![
            "sd-jwt",
            "verify",
            "--issuer-key",
            &f.p("issuer.pub.jwk"),
            "--at",
            "yesterday",
        ],
    ] {
        let out = vouch(&args, Some(""));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = vouch(
        &[
            "sd-jwt",
            "issue",
            "--key",
            &f.p("issuer.pub.jwk"),
            "--iss",
            "https://i",
            "--vct",
            "v",
            "--claims",
            &f.p("claims.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("private key"), "{err}");
}

#[test]
fn disclosing_a_claim_that_does_not_exist_is_an_error_not_a_silent_omission() {
    let f = Fixture::new();
    f.issue(&[]);
    let out = vouch(
        &[
            "sd-jwt",
            "present",
            "--credential",
            &f.p("credential.txt"),
            "--disclose",
            "/nickname",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_crypto_provider_is_chosen_by_name_and_an_unknown_one_is_a_usage_error() {
    // Tests build the CLI with the pure-Rust provider too (workspace dev features).
    let key = ok(
        &[
            "--crypto-provider",
            "rustcrypto",
            "key",
            "new",
            "--alg",
            "ES384",
        ],
        None,
    );
    let public = ok(&["key", "public"], Some(&key));
    assert_eq!(
        serde_json::from_str::<Value>(&public).unwrap()["crv"],
        "P-384"
    );
    let out = vouch(&["--crypto-provider", "openssl", "key", "new"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("openssl is not built in") && err.contains("aws-lc-rs"),
        "{err}"
    );
}
