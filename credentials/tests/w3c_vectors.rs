//! The W3C VC-JOSE-COSE test suite's SD-JWT cases (tests 17-26 of its test mapping), from
//! tests/vectors/sd-jwt/w3c-vc-jose-cose-sdjwt/, pass or fail as expected-results.json says.

use std::path::PathBuf;

use credentials::keys::{Jwk, SoftwareSigner};
use credentials::w3c::jose::{self, DocKind};
use credentials::w3c::model::EmbeddedCredential;
use credentials::w3c::{P521Signer, W3cPublicKey, W3cSigner};
use serde_json::Value;
use time::macros::datetime;

fn dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.join("../tests/vectors/sd-jwt/w3c-vc-jose-cose-sdjwt")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&read(name)).unwrap()
}

fn signer(vm: &Value) -> Box<dyn W3cSigner> {
    let sk = &vm["secretKeyJwk"];
    if sk["crv"] == "P-521" {
        Box::new(P521Signer::from_jwk(sk).unwrap())
    } else {
        Box::new(SoftwareSigner::from_jwk(&Jwk::from_value(sk).unwrap()).unwrap())
    }
}

fn kind(feature: &str) -> DocKind {
    match feature {
        "credential_sdjwt" => DocKind::Credential,
        "presentation_sdjwt" => DocKind::Presentation,
        other => panic!("unknown feature {other}"),
    }
}

#[test]
fn every_case_in_expected_results() {
    let now = datetime!(2025-06-01 0:00 UTC);
    let expected = json("expected-results.json");
    let tests = expected["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 10);
    for t in tests {
        let name = t["name"].as_str().unwrap();
        let vm = json(t["key_file"].as_str().unwrap());
        let key = W3cPublicKey::from_jwk(&vm["publicKeyJwk"]).unwrap();
        let kind = kind(t["feature"].as_str().unwrap());
        let outcome = match t["fn"].as_str().unwrap() {
            "issue" => {
                let input = json(t["input_file"].as_str().unwrap());
                let paths: Vec<String> = t["disclosure_paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| jose::dotted_path_to_pointer(p.as_str().unwrap()))
                    .collect();
                let ptrs: Vec<&str> = paths.iter().map(String::as_str).collect();
                let signer = signer(&vm);
                jose::issue_sd_jwt(&input, kind, signer.as_ref(), &ptrs).and_then(|sd| {
                    assert_eq!(sd.disclosures().len(), ptrs.len(), "{name}");
                    let v = jose::verify_sd_jwt(&sd.to_compact(), &key, kind, now)?;
                    // Everything was disclosed, so the verifier sees the input again.
                    assert_eq!(v.document, input, "{name}");
                    assert_eq!(v.header["typ"], jose::typ(kind, jose::JoseFormat::SdJwt));
                    assert_eq!(v.alg, vm["publicKeyJwk"]["alg"], "{name}");
                    Ok(())
                })
            }
            "verify" => {
                let text = read(t["input_file"].as_str().unwrap());
                jose::verify_sd_jwt(&text, &key, kind, now).map(|_| ())
            }
            other => panic!("unknown fn {other}"),
        };
        match t["expected_result"].as_str().unwrap() {
            "success" => assert!(outcome.is_ok(), "{name}: {outcome:?}"),
            "failure" => assert!(outcome.is_err(), "{name} unexpectedly passed"),
            other => panic!("unknown expectation {other}"),
        }
        println!("{name}: {:?}", outcome.err().map(|e| e.code()));
    }
}

#[test]
fn failures_fail_for_the_right_reason() {
    let now = datetime!(2025-06-01 0:00 UTC);
    let p384 = W3cPublicKey::from_jwk(&json("vm-p384.json")["publicKeyJwk"]).unwrap();
    let ed = W3cPublicKey::from_jwk(&json("vm-ed25519.json")["publicKeyJwk"]).unwrap();
    let p521 = W3cPublicKey::from_jwk(&json("vm-p521.json")["publicKeyJwk"]).unwrap();
    let code = |file: &str, key: &W3cPublicKey, kind| {
        jose::verify_sd_jwt(&read(file), key, kind, now)
            .unwrap_err()
            .code()
    };
    assert_eq!(
        code(
            "credential-sdjwt-bad-signature.txt",
            &p384,
            DocKind::Credential
        ),
        "signature_invalid"
    );
    assert_eq!(
        code(
            "credential-sdjwt-bad-media-type.txt",
            &ed,
            DocKind::Credential
        ),
        "bad_media_type"
    );
    assert_eq!(
        code(
            "presentation-sdjwt-bad-media-type.txt",
            &ed,
            DocKind::Presentation
        ),
        "bad_media_type"
    );
    assert_eq!(
        code(
            "presentation-sdjwt-bad-credential.txt",
            &p521,
            DocKind::Presentation
        ),
        "bad_media_type"
    );
}

#[test]
fn presentation_vector_carries_a_verifiable_enveloped_credential() {
    let now = datetime!(2025-06-01 0:00 UTC);
    let p384 = W3cPublicKey::from_jwk(&json("vm-p384.json")["publicKeyJwk"]).unwrap();
    let v = jose::verify_sd_jwt(
        &read("presentation-sdjwt-selective.txt"),
        &p384,
        DocKind::Presentation,
        now,
    )
    .unwrap();
    let vp = v.presentation.unwrap();
    assert_eq!(
        vp.holder.as_deref(),
        Some("https://example.issuer/vc-jose-cose")
    );
    let [EmbeddedCredential::Enveloped(env)] = vp.credentials.as_slice() else {
        panic!("expected one enveloped credential");
    };
    assert_eq!(env.media_type, "application/vc+jwt");
    let ed = W3cPublicKey::from_jwk(&json("vm-ed25519.json")["publicKeyJwk"]).unwrap();
    let inner = jose::verify_enveloped_credential(env, &ed, now).unwrap();
    assert_eq!(
        inner.credential.unwrap().issuer,
        "https://example.issuer/vc-jose-cose"
    );
}
