//! W3C securing mechanisms, positive and negative: Data Integrity (the cryptosuite specs' own
//! signed examples, then tampering, wrong cryptosuite, wrong purpose, expired proof), vc+jwt
//! (expired, not yet valid, bad media type, tampered), Bitstring Status List (revoked,
//! suspended) and presentations with a bad embedded credential.

use credentials::did;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::status::bitstring_status_list::{
    BitstringStatusList, BitstringStatusListEntry, StatusPurpose,
};
use credentials::w3c::data_integrity::{self as di, ProofOptions};
use credentials::w3c::jose::{self, DocKind};
use credentials::w3c::model::{self, envelope_credential};
use credentials::w3c::{W3cError, W3cPublicKey};
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2025-06-01 0:00 UTC);

fn alumni(suite: &str, vm: &str, ctx_in_proof: bool, proof_value: &str) -> Value {
    let ctx = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2"
    ]);
    let mut proof = json!({"type": "DataIntegrityProof", "cryptosuite": suite,
        "created": "2023-02-24T23:36:38Z", "verificationMethod": vm,
        "proofPurpose": "assertionMethod", "proofValue": proof_value});
    if ctx_in_proof {
        proof["@context"] = ctx.clone();
    }
    json!({"@context": ctx, "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"], "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678", "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
        "proof": proof})
}

/// w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022/signedJCS.json.
fn eddsa_vector() -> Value {
    alumni(
        "eddsa-jcs-2022",
        "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        true,
        "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4",
    )
}

/// w3c/vc-di-ecdsa TestVectors/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json.
fn p256_vector() -> Value {
    alumni("ecdsa-jcs-2019", "did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP#zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP", false,
        "zq6PrUMCtqY5obCSsrQxuFJdGffCDxvFuopdZiBPUBRTFEs1VVsBZi8YiEwVWgHYrXxoV93gBHqGDBtQLPFxpZxz")
}

/// w3c/vc-di-ecdsa TestVectors/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json.
fn p384_vector() -> Value {
    alumni("ecdsa-jcs-2019", "did:key:z82LkuBieyGShVBhvtE2zoiD6Kma4tJGFtkAhxR5pfkp5QPw4LutoYWhvQCnGjdVn14kujQ#z82LkuBieyGShVBhvtE2zoiD6Kma4tJGFtkAhxR5pfkp5QPw4LutoYWhvQCnGjdVn14kujQ", false,
        "zR3krc7pt9Dpn1PY2u8HWPePggtzAG2SuH2ZGNrzw8Ku3QrFLWgDTjS5mCWy65ShixJEtpMwfviAFfh5xTgd5FGN1sSbpPJ5djqSZQLqQkY8KLBPNswuqKtq3bS8f9vEHm8w")
}

fn ed_key() -> credentials::keys::PublicKey {
    did::multikey_decode("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap()
}

#[test]
fn cryptosuite_spec_vectors_verify() {
    let v = di::verify_proof_with_key(&eddsa_vector(), &ed_key(), "assertionMethod", NOW).unwrap();
    assert_eq!(v.cryptosuite, "eddsa-jcs-2022");
    for doc in [p256_vector(), p384_vector()] {
        let vm = doc["proof"]["verificationMethod"].as_str().unwrap();
        let key = did::resolve_verification_method(vm, "assertionMethod", None)
            .unwrap()
            .public_key;
        let v = di::verify_proof_with_key(&doc, &key, "assertionMethod", NOW).unwrap();
        assert_eq!(v.cryptosuite, "ecdsa-jcs-2019");
        model::validate_credential(&v.document, NOW).unwrap();
        // The spec's examples sign for an https issuer with a did:key method: resolved from
        // the proof alone, nothing binds that key to the issuer (Data Integrity 1.0 §4.2).
        assert_eq!(
            di::verify_proof(&doc, "assertionMethod", NOW, None)
                .unwrap_err()
                .code(),
            "issuer_key_mismatch"
        );
    }
}

#[test]
fn canonical_proof_config_matches_the_spec() {
    // w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022/proofCanonJCS.txt
    let config = json!({"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]});
    assert_eq!(
        di::jcs(&config).unwrap(),
        r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}"#
    );
    // RFC 8785 number formatting and UTF-16 key order.
    let v: Value = serde_json::from_str(r#"{"b":[1E30,4.50,2e-3,0.000001,1e-7],"a":"\u20ac","\u00e9":1,"\ud83d\ude00":2,"\ufb33":3}"#).unwrap();
    assert_eq!(
        di::jcs(&v).unwrap(),
        "{\"a\":\"€\",\"b\":[1e+30,4.5,0.002,0.000001,1e-7],\"é\":1,\"😀\":2,\"דּ\":3}"
    );
}

#[test]
fn data_integrity_issue_and_negative_cases() {
    for alg in [Algorithm::EdDsa, Algorithm::Es256, Algorithm::Es384] {
        let (signer, _) = SoftwareSigner::generate(alg).unwrap();
        let key = signer.public_key().clone();
        let mut doc = eddsa_vector();
        doc.as_object_mut().unwrap().remove("proof");
        doc["issuer"] = json!(did::did_key(&key));
        let opts = ProofOptions {
            verification_method: did::did_key_vm(&key),
            proof_purpose: "assertionMethod".into(),
            created: "2025-01-01T00:00:00Z".into(),
            expires: Some("2026-01-01T00:00:00Z".into()),
            challenge: None,
            domain: None,
        };
        let signed = di::add_proof(&doc, &signer, &opts).unwrap();
        di::verify_proof(&signed, "assertionMethod", NOW, None).unwrap();
        let code = |d: &Value, purpose: &str, now| {
            di::verify_proof(d, purpose, now, None).unwrap_err().code()
        };
        // Tampered document and tampered proofValue.
        let mut t = signed.clone();
        t["credentialSubject"]["alumniOf"] = json!("Another School");
        assert_eq!(
            code(&t, "assertionMethod", NOW),
            "signature_invalid",
            "{alg}"
        );
        let mut t = signed.clone();
        let pv = t["proof"]["proofValue"].as_str().unwrap().to_string();
        t["proof"]["proofValue"] = json!(format!(
            "{}{}",
            &pv[..pv.len() - 2],
            if pv.ends_with("22") { "33" } else { "22" }
        ));
        assert!(matches!(
            code(&t, "assertionMethod", NOW),
            "signature_invalid" | "malformed_proof"
        ));
        // Wrong and unsupported cryptosuites.
        let mut t = signed.clone();
        let other = if alg == Algorithm::EdDsa {
            "ecdsa-jcs-2019"
        } else {
            "eddsa-jcs-2022"
        };
        t["proof"]["cryptosuite"] = json!(other);
        assert_eq!(code(&t, "assertionMethod", NOW), "unsupported_cryptosuite");
        t["proof"]["cryptosuite"] = json!("ecdsa-sd-2023");
        assert_eq!(code(&t, "assertionMethod", NOW), "unsupported_cryptosuite");
        // Wrong proof purpose (asked and signed).
        assert_eq!(code(&signed, "authentication", NOW), "wrong_proof_purpose");
        // Expired proof.
        assert_eq!(
            code(&signed, "assertionMethod", datetime!(2027-01-01 0:00 UTC)),
            "proof_expired"
        );
    }
}

fn vc(valid_until: &str) -> Value {
    json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
           "type": ["VerifiableCredential"], "issuer": "https://issuer.example",
           "validFrom": "2025-01-01T00:00:00Z", "validUntil": valid_until,
           "credentialSubject": {"id": "did:example:alice"}})
}

#[test]
fn vc_jwt_validity_media_type_and_tampering() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let key = W3cPublicKey::from(signer.public_key().clone());
    let jwt = jose::issue_jwt(&vc("2026-01-01T00:00:00Z"), DocKind::Credential, &signer).unwrap();
    jose::verify_jwt(&jwt, &key, DocKind::Credential, NOW).unwrap();
    let code = |t: &str, kind, now| jose::verify_jwt(t, &key, kind, now).unwrap_err().code();
    assert_eq!(
        code(&jwt, DocKind::Credential, datetime!(2026-02-01 0:00 UTC)),
        "credential_expired"
    );
    assert_eq!(
        code(&jwt, DocKind::Credential, datetime!(2024-02-01 0:00 UTC)),
        "credential_not_yet_valid"
    );
    assert_eq!(code(&jwt, DocKind::Presentation, NOW), "bad_media_type");
    let mut parts: Vec<String> = jwt.split('.').map(str::to_string).collect();
    parts[1] = credentials::b64::encode(serde_json::to_vec(&vc("2099-01-01T00:00:00Z")).unwrap());
    assert_eq!(
        code(&parts.join("."), DocKind::Credential, NOW),
        "signature_invalid"
    );
    // A wrong typ, signed.
    let bad_typ = credentials::w3c::keys::sign_jws(
        json!({"typ": "JWT"}).as_object().unwrap(),
        &serde_json::to_vec(&vc("2026-01-01T00:00:00Z")).unwrap(),
        &signer,
    )
    .unwrap();
    assert_eq!(code(&bad_typ, DocKind::Credential, NOW), "bad_media_type");
    // Another key.
    let (other, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let other = W3cPublicKey::from(other.public_key().clone());
    assert!(jose::verify_jwt(&jwt, &other, DocKind::Credential, NOW).is_err());
}

#[test]
fn presentations_with_bad_embedded_credentials_fail() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let key = W3cPublicKey::from(signer.public_key().clone());
    let vp = |embedded: Value| {
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"], "verifiableCredential": [embedded]})
    };
    let inner = jose::issue_jwt(&vc("2026-01-01T00:00:00Z"), DocKind::Credential, &signer).unwrap();
    let good = jose::issue_jwt(
        &vp(envelope_credential("application/vc+jwt", &inner)),
        DocKind::Presentation,
        &signer,
    )
    .unwrap();
    jose::verify_jwt(&good, &key, DocKind::Presentation, NOW).unwrap();
    for bad in [
        json!({"@context": "https://www.w3.org/ns/credentials/v2", "id": "bad-credential", "type": "EnvelopedVerifiableCredential"}),
        envelope_credential("text/html", &inner),
        json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "issuer": "https://x.example"}),
    ] {
        let text = credentials::w3c::keys::sign_jws(
            json!({"typ": "vp+jwt"}).as_object().unwrap(),
            &serde_json::to_vec(&vp(bad)).unwrap(),
            &signer,
        )
        .unwrap();
        let err = jose::verify_jwt(&text, &key, DocKind::Presentation, NOW).unwrap_err();
        assert!(
            matches!(
                err,
                W3cError::InvalidEnvelope(_) | W3cError::InvalidSubject(_)
            ),
            "{err:?}"
        );
    }
    // Issuing refuses a presentation with a bad embedded credential.
    assert!(jose::issue_jwt(
        &vp(envelope_credential("text/html", "x")),
        DocKind::Presentation,
        &signer
    )
    .is_err());
}

fn status_check(vc: &Value, list: &Value) -> Result<(), W3cError> {
    let cred = model::validate_credential(vc, NOW)?;
    for entry in &cred.status {
        let e = BitstringStatusListEntry::from_json(entry)
            .map_err(|e| W3cError::InvalidStatus(e.to_string()))?;
        let value = e
            .status_in(list)
            .map_err(|e| W3cError::InvalidStatus(e.to_string()))?;
        match (e.purpose, value) {
            (StatusPurpose::Revocation, 1) => return Err(W3cError::Revoked),
            (StatusPurpose::Suspension, 1) => return Err(W3cError::Suspended),
            _ => {}
        }
    }
    Ok(())
}

#[test]
fn revoked_and_suspended_via_bitstring_status_list() {
    let url = "https://issuer.example/status/1";
    let mut revocation = BitstringStatusList::new(131_072, 1).unwrap();
    revocation.set(7, 1).unwrap();
    let mut suspension = BitstringStatusList::new(131_072, 1).unwrap();
    suspension.set(8, 1).unwrap();
    let rev_list = revocation.credential(
        url,
        "https://issuer.example",
        "2025-01-01T00:00:00Z",
        StatusPurpose::Revocation,
    );
    let sus_list = suspension.credential(
        url,
        "https://issuer.example",
        "2025-01-01T00:00:00Z",
        StatusPurpose::Suspension,
    );
    let with_status = |purpose: &str, index: u32| {
        let mut v = vc("2026-01-01T00:00:00Z");
        v["credentialStatus"] = json!({"id": format!("{url}#{index}"), "type": "BitstringStatusListEntry",
            "statusPurpose": purpose, "statusListIndex": index.to_string(), "statusListCredential": url});
        v
    };
    assert_eq!(
        status_check(&with_status("revocation", 7), &rev_list)
            .unwrap_err()
            .code(),
        "credential_revoked"
    );
    status_check(&with_status("revocation", 8), &rev_list).unwrap();
    assert_eq!(
        status_check(&with_status("suspension", 8), &sus_list)
            .unwrap_err()
            .code(),
        "credential_suspended"
    );
    status_check(&with_status("suspension", 7), &sus_list).unwrap();
    // The list credential itself is a valid VC 2.0 credential.
    model::validate_credential(&rev_list, NOW).unwrap();
}
