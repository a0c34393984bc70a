//! Every W3C securing mechanism through `w3c::issue` / `w3c::verify`, positive then negative:
//! tampered, wrong cryptosuite (or algorithm), wrong proof purpose (or media type), expired,
//! not yet valid, revoked and suspended (Bitstring Status List), each rejected with its own
//! code; plus KB-JWT holder binding on `vc+sd-jwt`.

use std::collections::HashMap;

use credentials::did;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::report::VerificationReport;
use credentials::status::bitstring_status_list::{BitstringStatusList, StatusPurpose};
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::{self, DocKind, KeyBindingOptions};
use credentials::w3c::verify::Secured;
use credentials::w3c::{self, IssueOptions, Securing, StatusResolver, VerifyOptions, W3cPublicKey};
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2025-06-01 0:00 UTC);
const REVOCATION: &str = "https://issuer.example/status/revocation";
const SUSPENSION: &str = "https://issuer.example/status/suspension";
const REVOKED_INDEX: u64 = 7;
const SUSPENDED_INDEX: u64 = 8;

struct Lists(HashMap<String, Value>);

impl StatusResolver for Lists {
    fn status_list_credential(&self, url: &str) -> Result<Value, String> {
        self.0
            .get(url)
            .cloned()
            .ok_or_else(|| format!("{url} unreachable"))
    }
}

fn lists() -> Lists {
    let mut m = HashMap::new();
    for (url, purpose, index) in [
        (REVOCATION, StatusPurpose::Revocation, REVOKED_INDEX),
        (SUSPENSION, StatusPurpose::Suspension, SUSPENDED_INDEX),
    ] {
        let mut list = BitstringStatusList::new(131_072, 1).unwrap();
        list.set(index, 1).unwrap();
        m.insert(
            url.to_string(),
            list.credential(
                url,
                "https://issuer.example",
                "2025-01-01T00:00:00Z",
                purpose,
            ),
        );
    }
    Lists(m)
}

fn credential(issuer: &str, from: &str, until: &str, revocation: u64, suspension: u64) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:2c5b8e36-8a57-4a3e-9b1c-6f3a1c2d9e01",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": issuer,
        "validFrom": from,
        "validUntil": until,
        "credentialSubject": {"id": "did:example:alice", "alumniOf": "The School of Examples"},
        "credentialStatus": [
            {"id": format!("{REVOCATION}#{revocation}"), "type": "BitstringStatusListEntry",
             "statusPurpose": "revocation", "statusListIndex": revocation.to_string(),
             "statusListCredential": REVOCATION},
            {"id": format!("{SUSPENSION}#{suspension}"), "type": "BitstringStatusListEntry",
             "statusPurpose": "suspension", "statusListIndex": suspension.to_string(),
             "statusListCredential": SUSPENSION}
        ]
    })
}

fn mechanisms() -> Vec<(Securing, Algorithm)> {
    vec![
        (Securing::Jwt, Algorithm::Es256),
        (Securing::SdJwt, Algorithm::Es384),
        (Securing::Cose, Algorithm::EdDsa),
        (Securing::Cose, Algorithm::Es256),
        (
            Securing::DataIntegrity(Cryptosuite::EddsaJcs2022),
            Algorithm::EdDsa,
        ),
        (
            Securing::DataIntegrity(Cryptosuite::EcdsaJcs2019),
            Algorithm::Es384,
        ),
        (
            Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022),
            Algorithm::EdDsa,
        ),
        (
            Securing::DataIntegrity(Cryptosuite::EcdsaRdfc2019),
            Algorithm::Es256,
        ),
        (
            Securing::DataIntegrity(Cryptosuite::EcdsaRdfc2019),
            Algorithm::Es384,
        ),
    ]
}

fn run(bytes: &[u8], opts: &VerifyOptions<'_>) -> VerificationReport {
    w3c::verify(bytes, opts)
}

fn code(r: &VerificationReport) -> String {
    assert!(!r.valid && r.claims.is_none(), "{r:?}");
    r.error.as_ref().map(|e| e.code.clone()).unwrap_or_default()
}

/// Replaces the first `from` with `to` inside the secured bytes (a claim in the payload).
fn tamper(secured: &Secured) -> Vec<u8> {
    match secured {
        Secured::Document(v) => {
            let mut t = v.clone();
            t["credentialSubject"]["alumniOf"] = "Another School".into();
            serde_json::to_vec(&t).unwrap()
        }
        Secured::Cose(b) => {
            let needle = b"The School of Examples";
            let at = b
                .windows(needle.len())
                .position(|w| w == needle)
                .expect("the payload is in the clear");
            let mut t = b.clone();
            t[at] = b'W';
            t
        }
        Secured::Compact(s) => {
            // Swap the JWS payload for another credential's (same header and signature).
            let (jws, rest) = s.split_once('~').map_or((s.as_str(), ""), |(a, b)| (a, b));
            let parts: Vec<&str> = jws.split('.').collect();
            let mut payload: Value =
                serde_json::from_slice(&credentials::b64::decode(parts[1]).unwrap()).unwrap();
            payload["validUntil"] = "2099-01-01T00:00:00Z".into();
            let forged = format!(
                "{}.{}.{}",
                parts[0],
                credentials::b64::encode(serde_json::to_vec(&payload).unwrap()),
                parts[2]
            );
            if s.contains('~') {
                format!("{forged}~{rest}").into_bytes()
            } else {
                forged.into_bytes()
            }
        }
    }
}

#[test]
fn every_mechanism_verifies_then_rejects_each_failure_with_its_code() {
    let lists = lists();
    let mut cases = 0;
    for (securing, alg) in mechanisms() {
        let (signer, _) = SoftwareSigner::generate(alg).unwrap();
        let issuer = did::did_key(signer.public_key());
        let name = securing.name(DocKind::Credential);
        let opts = VerifyOptions {
            status: Some(&lists),
            ..VerifyOptions::at(NOW, DocKind::Credential)
        };
        let issue = |vc: &Value, o: &IssueOptions| {
            w3c::issue(vc, o, &signer, NOW)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .to_bytes()
        };
        let plain = IssueOptions::new(securing, DocKind::Credential);
        let good_vc = credential(
            &issuer,
            "2025-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            3,
            3,
        );

        // Valid: keys resolved from the issuer's did:key, status checked, claims exposed.
        let secured = w3c::issue(&good_vc, &plain, &signer, NOW).unwrap();
        let r = run(&secured.to_bytes(), &opts);
        assert!(r.valid, "{name}: {r:?}");
        assert_eq!(r.format, name);
        assert_eq!(r.issuer.as_deref(), Some(issuer.as_str()));
        assert_eq!(
            r.claims.as_ref().unwrap()["credentialSubject"]["id"],
            "did:example:alice"
        );
        let checks: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            checks,
            [
                "parse",
                "issuer_key",
                "issuer_signature",
                "validity",
                "status"
            ],
            "{name}"
        );

        // Tampered.
        assert_eq!(
            code(&run(&tamper(&secured), &opts)),
            "signature_invalid",
            "{name}"
        );

        // Wrong cryptosuite (Data Integrity) or algorithm (JOSE / COSE).
        match securing {
            Securing::DataIntegrity(suite) => {
                let mut t: Value = serde_json::from_slice(&secured.to_bytes()).unwrap();
                let other = if suite.name().starts_with("eddsa") {
                    "ecdsa-rdfc-2019"
                } else {
                    "eddsa-rdfc-2022"
                };
                t["proof"]["cryptosuite"] = other.into();
                let bytes = serde_json::to_vec(&t).unwrap();
                assert_eq!(
                    code(&run(&bytes, &opts)),
                    "unsupported_cryptosuite",
                    "{name}"
                );
                t["proof"]["cryptosuite"] = "ecdsa-sd-2023".into();
                let bytes = serde_json::to_vec(&t).unwrap();
                assert_eq!(
                    code(&run(&bytes, &opts)),
                    "unsupported_cryptosuite",
                    "{name}"
                );
            }
            _ => {
                let other_alg = if alg == Algorithm::Es384 {
                    Algorithm::Es256
                } else {
                    Algorithm::Es384
                };
                let (other, _) = SoftwareSigner::generate(other_alg).unwrap();
                let key = W3cPublicKey::from(other.public_key().clone());
                let pinned = VerifyOptions {
                    key: Some(&key),
                    ..opts
                };
                assert_eq!(
                    code(&run(&secured.to_bytes(), &pinned)),
                    "alg_not_allowed",
                    "{name}"
                );
            }
        }

        // Wrong proof purpose (Data Integrity) or media type (JOSE / COSE: a vc as a vp).
        match securing {
            Securing::DataIntegrity(_) => {
                let mut o = plain.clone();
                o.proof_purpose = Some("authentication".into());
                let bytes = issue(&good_vc, &o);
                assert_eq!(code(&run(&bytes, &opts)), "wrong_proof_purpose", "{name}");
                let as_auth = VerifyOptions {
                    proof_purpose: Some("capabilityInvocation"),
                    ..opts
                };
                assert_eq!(
                    code(&run(&secured.to_bytes(), &as_auth)),
                    "wrong_proof_purpose",
                    "{name}"
                );
            }
            _ => {
                let key = W3cPublicKey::from(signer.public_key().clone());
                let as_vp = VerifyOptions {
                    kind: DocKind::Presentation,
                    key: Some(&key),
                    ..opts
                };
                let c = code(&run(&secured.to_bytes(), &as_vp));
                assert_eq!(c, "bad_media_type", "{name}");
            }
        }

        // Expired and not yet valid (validUntil / validFrom against the verifier's clock).
        let expired = credential(
            &issuer,
            "2024-01-01T00:00:00Z",
            "2025-01-01T00:00:00Z",
            3,
            3,
        );
        assert_eq!(
            code(&run(&issue(&expired, &plain), &opts)),
            "credential_expired",
            "{name}"
        );
        let future = credential(
            &issuer,
            "2025-09-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            3,
            3,
        );
        assert_eq!(
            code(&run(&issue(&future, &plain), &opts)),
            "credential_not_yet_valid",
            "{name}"
        );

        // Revoked and suspended through the Bitstring Status List.
        let revoked = credential(
            &issuer,
            "2025-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            REVOKED_INDEX,
            3,
        );
        let r = run(&issue(&revoked, &plain), &opts);
        assert_eq!(code(&r), "credential_revoked", "{name}");
        assert!(r.checks.iter().any(|c| c.name == "status" && !c.ok));
        let suspended = credential(
            &issuer,
            "2025-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            3,
            SUSPENDED_INDEX,
        );
        assert_eq!(
            code(&run(&issue(&suspended, &plain), &opts)),
            "credential_suspended",
            "{name}"
        );

        // No resolver: still valid, with a warning; an unreachable list is status_unknown.
        let r = run(
            &secured.to_bytes(),
            &VerifyOptions::at(NOW, DocKind::Credential),
        );
        assert!(r.valid, "{name}");
        assert_eq!(r.extra["warnings"].as_array().unwrap().len(), 1);
        let empty = Lists(HashMap::new());
        let unreachable = VerifyOptions {
            status: Some(&empty),
            ..opts
        };
        assert_eq!(
            code(&run(&secured.to_bytes(), &unreachable)),
            "status_unknown",
            "{name}"
        );
        cases += 10;
    }
    assert_eq!(cases, 90);
}

#[test]
fn unknown_context_is_a_typed_error_for_rdfc() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let mut vc = credential(
        &did::did_key(signer.public_key()),
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        3,
        3,
    );
    vc["@context"][1] = "https://schema.example/unknown/v1".into();
    let o = IssueOptions::new(
        Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022),
        DocKind::Credential,
    );
    assert_eq!(
        w3c::issue(&vc, &o, &signer, NOW).unwrap_err().code(),
        "unknown_context"
    );
}

#[test]
fn cose_envelopes_travel_in_presentations() {
    let (signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let issuer = did::did_key(signer.public_key());
    let vc = credential(
        &issuer,
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        3,
        3,
    );
    let o = IssueOptions::new(Securing::Cose, DocKind::Credential);
    let Secured::Cose(bytes) = w3c::issue(&vc, &o, &signer, NOW).unwrap() else {
        panic!("COSE expected");
    };
    let envelope = w3c::cose::envelope(DocKind::Credential, &bytes);
    assert!(envelope["id"]
        .as_str()
        .unwrap()
        .starts_with("data:application/vc+cose;base64,"));
    // The envelope alone verifies like the bytes.
    let r = w3c::verify(
        &serde_json::to_vec(&envelope).unwrap(),
        &VerifyOptions::at(NOW, DocKind::Credential),
    );
    assert!(r.valid, "{r:?}");
    // A holder's vp+cose carrying it: the presentation and the credential inside verify.
    let (holder, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"], "holder": did::did_key(holder.public_key()),
        "verifiableCredential": [envelope]});
    let po = IssueOptions::new(Securing::Cose, DocKind::Presentation);
    let vp_bytes = w3c::issue(&vp, &po, &holder, NOW).unwrap().to_bytes();
    let r = w3c::verify(&vp_bytes, &VerifyOptions::at(NOW, DocKind::Presentation));
    assert!(r.valid, "{r:?}");
    assert!(r
        .checks
        .iter()
        .any(|c| c.name == "embedded_credential" && c.ok));
    // The same presentation with a tampered credential fails on that credential.
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let mut vp_bad = vp.clone();
    vp_bad["verifiableCredential"][0] = w3c::cose::envelope(DocKind::Credential, &bad);
    let vp_bytes = w3c::issue(&vp_bad, &po, &holder, NOW).unwrap().to_bytes();
    let r = w3c::verify(&vp_bytes, &VerifyOptions::at(NOW, DocKind::Presentation));
    assert_eq!(code(&r), "signature_invalid");
    // A JOSE media type with ;base64, or COSE without it, is not a valid envelope.
    for id in [
        format!(
            "data:application/vc+jwt;base64,{}",
            w3c::verify::cose_to_base64(&bytes)
        ),
        format!(
            "data:application/vc+cose,{}",
            w3c::verify::cose_to_base64(&bytes)
        ),
    ] {
        let env = json!({"@context": "https://www.w3.org/ns/credentials/v2", "id": id,
            "type": "EnvelopedVerifiableCredential"});
        let r = w3c::verify(
            &serde_json::to_vec(&env).unwrap(),
            &VerifyOptions::at(NOW, DocKind::Credential),
        );
        assert_eq!(code(&r), "invalid_enveloped_credential");
    }
}

#[test]
fn vc_sd_jwt_key_binding_is_required_and_checked() {
    let (issuer_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (holder, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let issuer = did::did_key(issuer_key.public_key());
    let mut vc = credential(
        &issuer,
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        3,
        3,
    );
    vc["cnf"] = json!({"jwk": holder.public_key().to_jwk().to_value()});
    let mut o = IssueOptions::new(Securing::SdJwt, DocKind::Credential);
    o.disclosable = vec!["/credentialSubject/alumniOf".into()];
    let Secured::Compact(sd_jwt) = w3c::issue(&vc, &o, &issuer_key, NOW).unwrap() else {
        panic!("compact expected");
    };
    let iat = NOW.unix_timestamp();
    let presented = jose::present_sd_jwt(
        &sd_jwt,
        &["/credentialSubject/alumniOf"],
        &holder,
        "https://verifier.example",
        "n-0S6_WzA2Mj",
        iat,
    )
    .unwrap();
    let kb = KeyBindingOptions {
        aud: Some("https://verifier.example"),
        nonce: Some("n-0S6_WzA2Mj"),
        ..KeyBindingOptions::default()
    };
    let opts = VerifyOptions {
        key_binding: Some(kb),
        ..VerifyOptions::at(NOW, DocKind::Credential)
    };
    let r = w3c::verify(presented.as_bytes(), &opts);
    assert!(r.valid, "{r:?}");
    assert!(r.checks.iter().any(|c| c.name == "holder_binding" && c.ok));
    assert_eq!(
        r.claims.unwrap()["credentialSubject"]["alumniOf"],
        "The School of Examples"
    );
    // Without a KB-JWT, with another nonce, or signed by another key: key_binding_invalid.
    let no_kb = w3c::verify(sd_jwt.as_bytes(), &opts);
    assert_eq!(code(&no_kb), "key_binding_invalid");
    let other_nonce = VerifyOptions {
        key_binding: Some(KeyBindingOptions {
            nonce: Some("another"),
            ..kb
        }),
        ..opts
    };
    assert_eq!(
        code(&w3c::verify(presented.as_bytes(), &other_nonce)),
        "key_binding_invalid"
    );
    let (thief, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let stolen = jose::present_sd_jwt(
        &sd_jwt,
        &[],
        &thief,
        "https://verifier.example",
        "n-0S6_WzA2Mj",
        iat,
    )
    .unwrap();
    assert_eq!(
        code(&w3c::verify(stolen.as_bytes(), &opts)),
        "key_binding_invalid"
    );
}

#[test]
fn data_integrity_presentation_with_challenge_and_domain() {
    let (issuer_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (holder, _) = SoftwareSigner::generate(Algorithm::EdDsa).unwrap();
    let vc = credential(
        &did::did_key(issuer_key.public_key()),
        "2025-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
        3,
        3,
    );
    let o = IssueOptions::new(
        Securing::DataIntegrity(Cryptosuite::EcdsaRdfc2019),
        DocKind::Credential,
    );
    let Secured::Document(signed_vc) = w3c::issue(&vc, &o, &issuer_key, NOW).unwrap() else {
        panic!("document expected");
    };
    let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2",
                                 "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiablePresentation"], "holder": did::did_key(holder.public_key()),
        "verifiableCredential": [signed_vc]});
    let mut po = IssueOptions::new(
        Securing::DataIntegrity(Cryptosuite::EddsaRdfc2022),
        DocKind::Presentation,
    );
    po.challenge = Some("c-1f2e3d".into());
    po.domain = Some("https://verifier.example".into());
    let bytes = w3c::issue(&vp, &po, &holder, NOW).unwrap().to_bytes();
    let lists = lists();
    let opts = VerifyOptions {
        challenge: Some("c-1f2e3d"),
        domain: Some("https://verifier.example"),
        status: Some(&lists),
        ..VerifyOptions::at(NOW, DocKind::Presentation)
    };
    let r = w3c::verify(&bytes, &opts);
    assert!(r.valid, "{r:?}");
    assert!(r
        .checks
        .iter()
        .any(|c| c.name == "embedded_credential" && c.ok));
    let replayed = VerifyOptions {
        challenge: Some("another"),
        ..opts
    };
    assert_eq!(code(&w3c::verify(&bytes, &replayed)), "wrong_challenge");
    let elsewhere = VerifyOptions {
        domain: Some("https://other.example"),
        ..opts
    };
    assert_eq!(code(&w3c::verify(&bytes, &elsewhere)), "wrong_domain");
    // The holder's proof covers the embedded credential: changing it breaks the VP proof.
    let mut t: Value = serde_json::from_slice(&bytes).unwrap();
    t["verifiableCredential"][0]["credentialSubject"]["alumniOf"] = "Another School".into();
    assert_eq!(
        code(&w3c::verify(&serde_json::to_vec(&t).unwrap(), &opts)),
        "signature_invalid"
    );
}

#[test]
fn envelopes_inside_envelopes_are_bounded() {
    let mut input = json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"], "issuer": "did:example:x",
        "credentialSubject": {"id": "did:example:y"}});
    // Each level escapes the one inside, so a few levels are already large.
    for _ in 0..8 {
        input = json!({"@context": "https://www.w3.org/ns/credentials/v2",
            "id": format!("data:application/vc,{input}"),
            "type": "EnvelopedVerifiableCredential"});
    }
    let r = w3c::verify(
        &serde_json::to_vec(&input).unwrap(),
        &VerifyOptions::at(NOW, DocKind::Credential),
    );
    assert_eq!(code(&r), "invalid_enveloped_credential");
}
