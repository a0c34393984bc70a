//! The W3C VC-JOSE-COSE test suite's COSE inputs (tests 29-35; fixtures/w3c-cose/, sources in
//! its README) verify or fail as the suite expects, each failure with its code; then Vouch's own
//! `vc+cose` carries the same header shape as the suite's.

use std::path::PathBuf;

use base64::Engine as _;
use credentials::keys::{Algorithm, SoftwareSigner};
use credentials::w3c::cose;
use credentials::w3c::jose::DocKind;
use credentials::w3c::{W3cError, W3cPublicKey};
use serde_json::Value;
use time::macros::datetime;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/w3c-cose");
    std::fs::read_to_string(p.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn key(vm: &str) -> W3cPublicKey {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = here.join("../tests/vectors/sd-jwt/w3c-vc-jose-cose-sdjwt");
    let text = std::fs::read_to_string(dir.join(vm)).unwrap_or_else(|e| panic!("{vm}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    W3cPublicKey::from_jwk(&v["publicKeyJwk"]).unwrap()
}

/// The suite's text form: standard base64 without padding.
fn decode(text: &str) -> Result<Vec<u8>, W3cError> {
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text.trim())
        .map_err(|_| W3cError::MalformedCose("not base64".into()))
}

fn verify(file: &str, vm: &str, kind: DocKind) -> Result<Value, W3cError> {
    let now = datetime!(2025-06-01 0:00 UTC);
    let bytes = decode(&fixture(file))?;
    cose::verify_cose(&bytes, &key(vm), kind, now).map(|v| v.document)
}

#[test]
fn suite_cose_cases_pass_or_fail_as_expected() {
    let doc = verify(
        "credential-minimal-cose-signed.json",
        "vm-p256.json",
        DocKind::Credential,
    )
    .unwrap();
    assert_eq!(doc["issuer"], "https://example.issuer/vc-jose-cose");
    let vp = verify(
        "presentation-cose-single.txt",
        "vm-p384.json",
        DocKind::Presentation,
    )
    .unwrap();
    assert_eq!(
        vp["verifiableCredential"][0]["type"],
        "EnvelopedVerifiableCredential"
    );
    let code = |file: &str, vm: &str, kind| verify(file, vm, kind).unwrap_err().code();
    assert!(verify(
        "credential-cose-minimal-not-base64.txt",
        "vm-p256.json",
        DocKind::Credential
    )
    .is_err());
    assert_eq!(
        code(
            "credential-cose-bad-signature.txt",
            "vm-ed25519.json",
            DocKind::Credential
        ),
        "signature_invalid"
    );
    assert_eq!(
        code(
            "credential-cose-bad-media-type.txt",
            "vm-p384.json",
            DocKind::Credential
        ),
        "bad_media_type"
    );
    assert_eq!(
        code(
            "presentation-cose-bad-media-type.txt",
            "vm-p256.json",
            DocKind::Presentation
        ),
        "bad_media_type"
    );
    assert_eq!(
        code(
            "presentation-cose-bad-credential.txt",
            "vm-p256.json",
            DocKind::Presentation
        ),
        "invalid_enveloped_credential"
    );
    // A credential read as a presentation (and the reverse) is the wrong media type.
    assert_eq!(
        code(
            "credential-minimal-cose-signed.json",
            "vm-p256.json",
            DocKind::Presentation
        ),
        "bad_media_type"
    );
}

#[test]
fn vouch_cose_has_the_suite_header_shape() {
    let suite = decode(&fixture("credential-minimal-cose-signed.json")).unwrap();
    let theirs = cose::parse_cose(&suite).unwrap();
    let doc = cose::verify_cose(
        &suite,
        &key("vm-p256.json"),
        DocKind::Credential,
        datetime!(2025-06-01 0:00 UTC),
    )
    .unwrap()
    .document;
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let ours =
        cose::parse_cose(&cose::issue_cose(&doc, DocKind::Credential, &signer).unwrap()).unwrap();
    let shape = |s: &coset::CoseSign1| {
        let h = &s.protected.header;
        (
            h.alg.clone(),
            h.content_type.clone(),
            h.rest
                .iter()
                .map(|(l, v)| (l.clone(), v.clone()))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(shape(&ours), shape(&theirs));
    assert_eq!(ours.payload, theirs.payload);
}
