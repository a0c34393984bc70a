//! The independent negative corpus of `tests/negative/` (made by a Python generator that
//! shares no code with Vouch): every case is rejected with exactly its expected code, the
//! baselines verify, and no input makes the verifier panic.

use std::fs;
use std::path::Path;

use credentials::keys::{provider, Jwk};
use credentials::report::CheckLog;
use credentials::sd_jwt::VerifyOptions;
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use serde_json::Value;

fn corpus() -> (Vec<Value>, Jwk) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/negative");
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let keys: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("keys.json")).unwrap()).unwrap();
    (
        manifest.as_array().unwrap().clone(),
        Jwk::from_value(&keys["issuer"]).unwrap(),
    )
}

fn verify(case: &Value, key: &Jwk, p: &'static dyn provider::CryptoProvider) -> Result<(), String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/negative");
    let text = fs::read_to_string(dir.join(case["file"].as_str().unwrap())).unwrap();
    let mut opts = VerifyOptions::at(case["at"].as_i64().unwrap());
    opts.aud = case["aud"].as_str();
    opts.nonce = case["nonce"].as_str();
    opts.require_key_binding = case["require_kb"].as_bool().unwrap();
    opts.kb_max_age = 300;
    opts.kb_future_skew = 300;
    opts.provider = p;
    let source = IssuerKeySource::Key(key.public_key().clone());
    let mut log = CheckLog::default();
    let text = text.strip_suffix('\n').unwrap_or(&text);
    match sd_jwt_vc::verify(text, &source, &VcVerifyOptions::new(opts), &mut log) {
        Ok(_) => {
            assert!(log.all_passed());
            Ok(())
        }
        Err(e) => {
            assert!(!log.all_passed(), "an error without a failed check");
            Err(e.code().to_string())
        }
    }
}

#[test]
fn every_corpus_case_is_rejected_with_its_code_on_every_provider() {
    let (cases, key) = corpus();
    let mut rejected = std::collections::BTreeSet::new();
    let mut mismatches = Vec::new();
    for p in provider::all() {
        for case in &cases {
            let want = case["code"].as_str().unwrap();
            let got = match verify(case, &key, p) {
                Ok(()) => "ok".to_string(),
                Err(code) => code,
            };
            if got != want {
                mismatches.push(format!(
                    "{} [{}]: expected {want}, got {got}",
                    case["file"],
                    p.name()
                ));
            }
            if want != "ok" {
                rejected.insert(case["file"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        rejected.len() >= 40,
        "only {} rejected cases",
        rejected.len()
    );
}

#[test]
fn report_of_a_rejected_case_names_the_code_and_withholds_claims() {
    let (cases, key) = corpus();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/negative");
    let case = cases
        .iter()
        .find(|c| c["code"] == "disclosure_not_referenced")
        .unwrap();
    let text = fs::read_to_string(dir.join(case["file"].as_str().unwrap())).unwrap();
    let mut opts = VerifyOptions::at(case["at"].as_i64().unwrap());
    opts.kb_max_age = 300;
    opts.kb_future_skew = 300;
    let report = sd_jwt_vc::verify_report(
        text.trim(),
        &IssuerKeySource::Key(key.public_key().clone()),
        &VcVerifyOptions::new(opts),
    );
    assert!(!report.valid);
    assert_eq!(report.claims, None);
    assert_eq!(report.error.unwrap().code, "disclosure_not_referenced");
    assert_eq!(
        report.checks.last().map(|c| (c.name.as_str(), c.ok)),
        Some(("digests", false))
    );
}

/// JWT VC Issuer Metadata through a resolver the caller supplies (no network here).
struct StaticMetadata(Value);

impl sd_jwt_vc::IssuerMetadataResolver for StaticMetadata {
    fn resolve(&self, iss: &str) -> Result<sd_jwt_vc::JwtVcIssuerMetadata, String> {
        if iss != "https://issuer.example.com" {
            return Err(format!("no metadata for {iss}"));
        }
        sd_jwt_vc::JwtVcIssuerMetadata::from_json(&self.0)
    }
}

#[test]
fn issuer_key_from_jwt_vc_issuer_metadata_is_matched_by_issuer_and_kid() {
    let (cases, key) = corpus();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/negative");
    let case = cases.iter().find(|c| c["code"] == "ok").unwrap();
    let text = fs::read_to_string(dir.join(case["file"].as_str().unwrap())).unwrap();
    let text = text.trim();
    let mut opts = VerifyOptions::at(case["at"].as_i64().unwrap());
    opts.kb_max_age = 300;
    opts.kb_future_skew = 300;
    let opts = VcVerifyOptions::new(opts);
    let jwk = key.to_value();
    let verify = |meta: Value| {
        let resolver = StaticMetadata(meta);
        let mut log = CheckLog::default();
        sd_jwt_vc::verify(text, &IssuerKeySource::Metadata(&resolver), &opts, &mut log)
            .map(|_| ())
            .map_err(|e| e.code())
    };
    // One key and no kid in the header: that key.
    assert_eq!(
        verify(
            serde_json::json!({"issuer": "https://issuer.example.com", "jwks": {"keys": [jwk]}})
        ),
        Ok(())
    );
    // Metadata for another issuer identifier.
    assert_eq!(
        verify(serde_json::json!({"issuer": "https://evil.example", "jwks": {"keys": [jwk]}})),
        Err("iss_mismatch")
    );
    // Several keys and no kid to choose: refused rather than guessed.
    let other = Jwk::from_public_key(
        provider::default()
            .generate(credentials::keys::KeyKind::P256)
            .unwrap()
            .public_key(),
    )
    .to_value();
    assert_eq!(
        verify(
            serde_json::json!({"issuer": "https://issuer.example.com", "jwks": {"keys": [other, jwk]}})
        ),
        Err("unknown_issuer_key")
    );
    // The right issuer but only another key: the signature check fails.
    assert_eq!(
        verify(
            serde_json::json!({"issuer": "https://issuer.example.com", "jwks": {"keys": [other]}})
        ),
        Err("issuer_signature_invalid")
    );
}
