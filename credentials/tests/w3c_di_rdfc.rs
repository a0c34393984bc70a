//! The RDFC cryptosuites against the published test vectors of the W3C EdDSA and ECDSA
//! Cryptosuites v1.0 (fixtures/w3c-di/, sources in its README): canonical N-Quads, hashData,
//! the exact EdDSA proofValue from the published key pair, and the published ECDSA proofs.
#![cfg(feature = "rdfc")]

use std::path::PathBuf;

use credentials::did;
use credentials::keys::{SecretKey, SoftwareSigner};
use credentials::w3c::data_integrity::{self as di, Cryptosuite, ProofOptions};
use credentials::w3c::rdfc;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::macros::datetime;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/w3c-di");
    std::fs::read_to_string(p.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unsecured(signed: &Value) -> Value {
    let mut doc = signed.clone();
    doc.as_object_mut().unwrap().remove("proof");
    doc
}

fn proof_config(signed: &Value) -> Value {
    let mut config = signed["proof"].clone();
    let o = config.as_object_mut().unwrap();
    o.remove("proofValue");
    o.insert("@context".into(), signed["@context"].clone());
    config
}

/// The key in the `...#z...` fragment of the verification method.
fn key_of(signed: &Value) -> credentials::keys::PublicKey {
    let vm = signed["proof"]["verificationMethod"].as_str().unwrap();
    did::multikey_decode(vm.rsplit('#').next().unwrap()).unwrap()
}

#[test]
fn canonical_document_matches_the_published_document_hash() {
    let signed = json("eddsa-rdfc-2022-signed.json");
    let canon = rdfc::canonical_nquads(&unsecured(&signed)).unwrap();
    assert_eq!(canon, fixture("alumni-canon.nq"));
    let published = fixture("eddsa-rdfc-2022-combined-hash.txt");
    assert_eq!(hex(&Sha256::digest(canon.as_bytes())), &published[64..]);
}

#[test]
fn eddsa_rdfc_2022_proof_configuration_and_hash_data_match() {
    let signed = json("eddsa-rdfc-2022-signed.json");
    let config = proof_config(&signed);
    assert_eq!(
        rdfc::canonical_nquads(&config).unwrap(),
        fixture("eddsa-rdfc-2022-proof-canon.nq")
    );
    let data = di::hash_data_with(
        Cryptosuite::EddsaRdfc2022,
        &config,
        &unsecured(&signed),
        credentials::keys::KeyKind::Ed25519,
    )
    .unwrap();
    assert_eq!(hex(&data), fixture("eddsa-rdfc-2022-combined-hash.txt"));
}

#[test]
fn eddsa_rdfc_2022_reproduces_the_published_proof_value() {
    let pair = json("eddsa-key-pair.json");
    let public = did::multikey_decode(pair["publicKeyMultibase"].as_str().unwrap()).unwrap();
    let secret = bs58::decode(&pair["privateKeyMultibase"].as_str().unwrap()[1..])
        .into_vec()
        .unwrap();
    assert_eq!(&secret[..2], &[0x80, 0x26], "ed25519-priv multicodec");
    let signer =
        SoftwareSigner::new(&SecretKey::new(public, secret[2..].to_vec()).unwrap()).unwrap();
    let signed = json("eddsa-rdfc-2022-signed.json");
    let opts = ProofOptions {
        verification_method: signed["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .into(),
        proof_purpose: "assertionMethod".into(),
        created: "2023-02-24T23:36:38Z".into(),
        expires: None,
        challenge: None,
        domain: None,
    };
    let ours = di::add_proof_with(
        &unsecured(&signed),
        &signer,
        &opts,
        Cryptosuite::EddsaRdfc2022,
    )
    .unwrap();
    assert_eq!(ours["proof"]["proofValue"], signed["proof"]["proofValue"]);
    assert_eq!(ours, signed);
}

#[test]
fn published_proofs_verify_for_every_rdfc_suite() {
    let now = datetime!(2025-06-01 0:00 UTC);
    for (file, hash_file) in [
        (
            "eddsa-rdfc-2022-signed.json",
            "eddsa-rdfc-2022-combined-hash.txt",
        ),
        (
            "ecdsa-rdfc-2019-p256-signed.json",
            "ecdsa-rdfc-2019-p256-combined-hash.txt",
        ),
        (
            "ecdsa-rdfc-2019-p384-signed.json",
            "ecdsa-rdfc-2019-p384-combined-hash.txt",
        ),
    ] {
        let signed = json(file);
        let key = key_of(&signed);
        let suite =
            Cryptosuite::from_name(signed["proof"]["cryptosuite"].as_str().unwrap()).unwrap();
        let data = di::hash_data_with(
            suite,
            &proof_config(&signed),
            &unsecured(&signed),
            key.kind(),
        )
        .unwrap();
        assert_eq!(hex(&data), fixture(hash_file), "{file}");
        let v = di::verify_proof_with_key(&signed, &key, "assertionMethod", now)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v.suite, suite);
        // The ECDSA vectors name did:key methods for an issuer that is an https URL: the
        // key verifies, but nothing binds it to that issuer (Data Integrity 1.0 §4.2: the
        // method's controller must be the issuer), so resolving it is refused.
        if signed["proof"]["verificationMethod"]
            .as_str()
            .unwrap()
            .starts_with("did:key:")
        {
            let e = di::verify_proof(&signed, "assertionMethod", now, None).unwrap_err();
            assert_eq!(e.code(), "issuer_key_mismatch", "{file}");
        }
        // A changed claim no longer verifies.
        let mut t = signed.clone();
        t["credentialSubject"]["alumniOf"] = "Another School".into();
        assert_eq!(
            di::verify_proof_with_key(&t, &key, "assertionMethod", now)
                .unwrap_err()
                .code(),
            "signature_invalid",
            "{file}"
        );
    }
}

#[test]
fn digital_bazaar_issued_credentials_with_blank_nodes_verify() {
    let now = datetime!(2030-01-01 0:00 UTC);
    for file in [
        "digitalbazaar-eddsa-rdfc-2022-rich.json",
        "digitalbazaar-ecdsa-rdfc-2019-p256-rich.json",
        "digitalbazaar-ecdsa-rdfc-2019-p384-rich.json",
    ] {
        let signed = json(file);
        let v = di::verify_proof(&signed, "assertionMethod", now, None)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        credentials::w3c::model::validate_credential(&v.document, now).unwrap();
        let mut t = signed.clone();
        t["credentialSubject"]["address"]["city"] = "Lyon".into();
        assert_eq!(
            di::verify_proof(&t, "assertionMethod", now, None)
                .unwrap_err()
                .code(),
            "signature_invalid",
            "{file}"
        );
    }
    // The blank node labels depend on RDFC-1.0's hash, so the P-384 fixture tells them apart.
    let doc = unsecured(&json("digitalbazaar-ecdsa-rdfc-2019-p384-rich.json"));
    assert_ne!(
        rdfc::canonical_nquads_with(&doc, true).unwrap(),
        rdfc::canonical_nquads_with(&doc, false).unwrap()
    );
}
