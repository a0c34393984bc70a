//! VC Data Model 2.0 rules the W3C test suites found unenforced, one test per normative
//! statement, each on every securing mechanism: refused when issuing, and refused when
//! verifying a credential another implementation secured without the rule (signed here
//! with the bare JOSE / Data Integrity primitives, which do not validate the model).

use credentials::did;
use credentials::jose::sign_compact;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::w3c::data_integrity::{self as di, Cryptosuite, ProofOptions};
use credentials::w3c::jose::DocKind;
use credentials::w3c::{self, IssueOptions, Securing, VerifyOptions};
use serde_json::{json, Map, Value};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-06-01 0:00 UTC);

fn credential(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:alice"}
    })
}

fn mechanisms() -> [(Securing, Algorithm); 5] {
    [
        (Securing::Jwt, Algorithm::Es256),
        (Securing::SdJwt, Algorithm::Es256),
        (Securing::Cose, Algorithm::EdDsa),
        (
            Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
            Algorithm::EdDsa,
        ),
        (
            Securing::DataIntegrity(Cryptosuite::EcdsaJcs2019),
            Algorithm::Es256,
        ),
    ]
}

/// Issuing with the defect is refused with `code` on every mechanism; a `vc+jwt` and a
/// Data Integrity credential secured without the rule are refused by the verifier.
fn refused_everywhere(defect: impl Fn(&mut Value), code: &str) {
    for (securing, alg) in mechanisms() {
        let (signer, _) = SoftwareSigner::generate(alg).unwrap();
        let issuer = did::did_key(signer.public_key());
        let mut vc = credential(&issuer);
        defect(&mut vc);
        let e = w3c::issue(
            &vc,
            &IssueOptions::new(securing, DocKind::Credential),
            &signer,
            NOW,
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            code,
            "issuing {}",
            securing.name(DocKind::Credential)
        );
    }
    // Secured by the bare primitives, as a lenient implementation would.
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let issuer = did::did_key(signer.public_key());
    let mut vc = credential(&issuer);
    defect(&mut vc);
    let mut header = Map::new();
    header.insert("typ".into(), "vc+jwt".into());
    header.insert("kid".into(), did::did_key_vm(signer.public_key()).into());
    let jwt = sign_compact(&header, &serde_json::to_vec(&vc).unwrap(), &signer).unwrap();
    let opts = VerifyOptions::at(NOW, DocKind::Credential);
    let r = w3c::verify(jwt.as_bytes(), &opts);
    assert_eq!(
        r.error.map(|e| e.code).as_deref(),
        Some(code),
        "verifying vc+jwt"
    );
    let proof = ProofOptions {
        verification_method: did::did_key_vm(signer.public_key()),
        proof_purpose: "assertionMethod".into(),
        created: "2026-01-01T00:00:00Z".into(),
        expires: None,
        challenge: None,
        domain: None,
    };
    let signed = di::add_proof_with(&vc, &signer, &proof, Cryptosuite::EcdsaJcs2019).unwrap();
    let r = w3c::verify(&serde_json::to_vec(&signed).unwrap(), &opts);
    assert_eq!(
        r.error.map(|e| e.code).as_deref(),
        Some(code),
        "verifying ecdsa-jcs-2019"
    );
}

#[test]
fn vcdm2_5_7_each_terms_of_use_policy_must_specify_its_type() {
    refused_everywhere(
        |vc| vc["termsOfUse"] = json!({"id": "https://example.org/tou/1"}),
        "invalid_terms_of_use",
    );
}

#[test]
fn vcdm2_5_8_each_evidence_must_specify_its_type() {
    refused_everywhere(
        |vc| vc["evidence"] = json!([{"id": "https://example.org/evidence/1"}]),
        "invalid_evidence",
    );
}

#[test]
fn vcdm2_5_6_each_refresh_service_must_specify_its_type() {
    refused_everywhere(
        |vc| vc["refreshService"] = json!({"url": "https://example.org/refresh"}),
        "invalid_refresh_service",
    );
}

#[test]
fn vcdm2_5_5_each_credential_schema_must_specify_its_type_and_id() {
    refused_everywhere(
        |vc| vc["credentialSchema"] = json!({"id": "https://example.org/schema.json"}),
        "invalid_credential_schema",
    );
    refused_everywhere(
        |vc| vc["credentialSchema"] = json!({"type": "JsonSchema"}),
        "invalid_credential_schema",
    );
}

#[test]
fn vcdm2_5_3_each_related_resource_must_have_an_id_and_a_digest() {
    refused_everywhere(
        |vc| vc["relatedResource"] = json!([{"id": "https://example.org/logo.png"}]),
        "invalid_related_resource",
    );
    refused_everywhere(
        |vc| vc["relatedResource"] = json!([{"digestSRI": "sha384-abc"}]),
        "invalid_related_resource",
    );
}

#[test]
fn vcdm2_4_8_credential_subject_must_not_be_empty() {
    refused_everywhere(
        |vc| vc["credentialSubject"] = json!({}),
        "invalid_credential_subject",
    );
    refused_everywhere(
        |vc| vc["credentialSubject"] = json!([{"id": "did:example:a"}, {}]),
        "invalid_credential_subject",
    );
}

#[test]
fn vcdm2_4_7_an_issuer_object_must_have_an_id_url() {
    refused_everywhere(|vc| vc["issuer"] = json!({"id": null}), "invalid_issuer");
}

#[test]
fn well_formed_extension_properties_are_accepted() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let mut vc = credential(&did::did_key(signer.public_key()));
    vc["termsOfUse"] = json!({"type": "TrustFrameworkPolicy", "id": "https://example.org/tou"});
    vc["evidence"] = json!([{"type": ["Evidence", "DocumentVerification"]}]);
    vc["credentialSchema"] = json!({"id": "https://example.org/s.json", "type": "JsonSchema"});
    vc["relatedResource"] = json!([{"id": "https://example.org/a.png", "digestSRI": "sha384-x"}]);
    for (securing, _) in mechanisms()
        .into_iter()
        .filter(|(_, a)| *a == Algorithm::Es256)
    {
        let secured = w3c::issue(
            &vc,
            &IssueOptions::new(securing, DocKind::Credential),
            &signer,
            NOW,
        )
        .unwrap();
        let r = w3c::verify(
            &secured.to_bytes(),
            &VerifyOptions::at(NOW, DocKind::Credential),
        );
        assert!(r.valid, "{r:?}");
    }
}

/// VC-JOSE-COSE and Data Integrity secure a map: a JSON string holding a document is not
/// one (the W3C suites send `"verifiableCredential": "{...}"` and expect a refusal).
#[test]
fn a_secured_document_must_be_a_map_not_a_string_holding_one() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let secured = w3c::issue(
        &credential(&did::did_key(signer.public_key())),
        &IssueOptions::new(
            Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
            DocKind::Credential,
        ),
        &signer,
        NOW,
    )
    .unwrap();
    let as_string = Value::String(String::from_utf8(secured.to_bytes()).unwrap());
    let r = w3c::verify(
        &serde_json::to_vec(&as_string).unwrap(),
        &VerifyOptions::at(NOW, DocKind::Credential),
    );
    assert_eq!(
        r.error.map(|e| e.code).as_deref(),
        Some("malformed_document")
    );
    // The document itself verifies.
    let r = w3c::verify(
        &secured.to_bytes(),
        &VerifyOptions::at(NOW, DocKind::Credential),
    );
    assert!(r.valid, "{r:?}");
}

/// The key of a `vc+sd-jwt` is bound to the issuer the signed payload names in the clear: an
/// issuer carried only by a Disclosure (here the victim's DID, signed by the attacker's
/// did:key) is refused, never reported as the victim's credential.
#[test]
fn an_issuer_carried_by_a_disclosure_is_not_bound_to_another_key() {
    let victim = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    let (plain, secret) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let vm = did::did_key_vm(plain.public_key());
    let attacker =
        SoftwareSigner::from_jwk(&credentials::keys::Jwk::from_secret_key(&secret).with_kid(vm))
            .unwrap();
    let mut opts = IssueOptions::new(Securing::SdJwt, DocKind::Credential);
    opts.disclosable = vec!["/issuer".into()];
    let secured = w3c::issue(&credential(victim), &opts, &attacker, NOW).unwrap();
    let r = w3c::verify(
        &secured.to_bytes(),
        &VerifyOptions::at(NOW, DocKind::Credential),
    );
    assert!(!r.valid, "{r:?}");
    assert_eq!(
        r.error.map(|e| e.code).as_deref(),
        Some("issuer_key_mismatch")
    );
}

/// JSON-LD 1.1 §3.1 / VC DM 2.0 §4.3: every `@context` entry is a URL or a context object;
/// checked on every securing mechanism, not only where RDFC expands the document.
#[test]
fn vcdm2_4_3_context_entries_must_be_urls_or_objects() {
    refused_everywhere(
        |vc| vc["@context"] = json!(["https://www.w3.org/ns/credentials/v2", "not a url"]),
        "invalid_context",
    );
    refused_everywhere(
        |vc| vc["@context"] = json!(["https://www.w3.org/ns/credentials/v2", 42]),
        "invalid_context",
    );
}

/// JSON-LD 1.1 §4.1.11: a term the VC 2.0 context protects cannot be redefined by a later
/// (inline) context.
#[test]
fn jsonld_4_1_11_protected_terms_must_not_be_redefined() {
    refused_everywhere(
        |vc| {
            vc["@context"] = json!([
                "https://www.w3.org/ns/credentials/v2",
                {"issuer": "https://attacker.example/vocab#issuer"}
            ])
        },
        "invalid_context",
    );
}

/// JSON-LD 1.1 §4.2.4 / VC DM 2.0 §11.1 (language and base direction): a value object has
/// a well-formed `@language` and an `@direction` of `ltr` or `rtl`.
#[test]
fn vcdm2_11_1_language_value_objects_must_be_well_formed() {
    refused_everywhere(
        |vc| vc["name"] = json!({"@value": "Ada", "@language": "not a tag!"}),
        "jsonld_error",
    );
    refused_everywhere(
        |vc| vc["name"] = json!({"@value": "Ada", "@language": "en", "@direction": "up"}),
        "jsonld_error",
    );
    refused_everywhere(
        |vc| vc["name"] = json!({"@value": "Ada", "@language": "en", "colour": "red"}),
        "jsonld_error",
    );
}

/// The same value objects, well formed, pass (an inline context adding new terms too).
#[test]
fn well_formed_language_values_and_new_inline_terms_are_accepted() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let mut vc = credential(&did::did_key(signer.public_key()));
    vc["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        {"nickname": "https://example.org/vocab#nickname"}
    ]);
    vc["name"] = json!([
        {"@value": "Ada", "@language": "en-GB", "@direction": "ltr"},
        {"@value": "آدا", "@language": "ar", "@direction": "rtl"}
    ]);
    vc["credentialSubject"]["nickname"] = json!("Countess");
    for (securing, _) in mechanisms()
        .into_iter()
        .filter(|(_, a)| *a == Algorithm::Es256)
    {
        let secured = w3c::issue(
            &vc,
            &IssueOptions::new(securing, DocKind::Credential),
            &signer,
            NOW,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", securing.name(DocKind::Credential)));
        let r = w3c::verify(
            &secured.to_bytes(),
            &VerifyOptions::at(NOW, DocKind::Credential),
        );
        assert!(r.valid, "{r:?}");
    }
}
