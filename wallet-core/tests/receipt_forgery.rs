//! The wallet checks what it receives before storing it: every forgery of the independent
//! corpus (`tests/forgery/`, made by a Python generator sharing no code with Vouch) is
//! refused on receipt, naming the check that failed, and each genuine control is stored as
//! coming from the registered provider. What the wallet cannot judge (no register, an
//! issuer not in its register) is stored, flagged with the reason.

use credentials::keys::{Algorithm, SoftwareSigner};
use serde_json::Value;
use trust_framework::register::Register;
use wallet_core::receipt::{check, Standing};

#[path = "../../tests/forgery/support.rs"]
mod corpus;

use corpus::{at, read};

/// The provider registered with its DIDs, root and IACA, certified for every type.
fn register(m: &Value) -> Register {
    let key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    corpus::provider_log(m, &key).register().clone()
}

/// What an issuer would have sent for a corpus case: the credential itself (a W3C
/// presentation's one credential, an SD-JWT without its KB-JWT, an mdoc's IssuerSigned).
fn as_issued(case: &Value) -> Option<(String, String)> {
    let bytes = read(case["file"].as_str().unwrap());
    match (
        case["format"].as_str().unwrap(),
        case["kind"].as_str().unwrap(),
    ) {
        ("di", "credential") => Some(("ldp_vc".into(), String::from_utf8(bytes).unwrap())),
        ("vc-jwt", "credential") => Some((
            "jwt_vc_json".into(),
            String::from_utf8(bytes).unwrap().trim().to_string(),
        )),
        ("sd-jwt-vc", _) => {
            let text = String::from_utf8(bytes).unwrap();
            let text = text.trim();
            // The issuer's SD-JWT: everything up to the last '~' (no KB-JWT).
            let cut = text.rfind('~').unwrap();
            Some(("dc+sd-jwt".into(), text[..=cut].to_string()))
        }
        ("mdoc", _) => {
            let response: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
            let doc = map_get(&response, "documents")?
                .as_array()?
                .first()?
                .clone();
            let signed = map_get(&doc, "issuerSigned")?.clone();
            let mut out = Vec::new();
            ciborium::into_writer(&signed, &mut out).unwrap();
            Some(("mso_mdoc".into(), credentials::b64::encode(out)))
        }
        _ => None,
    }
}

fn map_get<'a>(v: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    v.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

#[test]
fn forgeries_are_refused_on_receipt_and_controls_are_stored_as_registered() {
    let m: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let register = register(&m);
    let now = at(&m);
    let (mut refused, mut wrong) = (0, Vec::new());
    for case in m["cases"].as_array().unwrap() {
        let expect = case["expect"].as_str().unwrap();
        let id = case["id"].as_str().unwrap();
        // What only a presentation carries (the holder's KB-JWT or device signature, the
        // Document's docType beside the MSO's) is not the issuer's and is not checked on
        // receipt; did:web needs the network.
        let holder_only = matches!(
            expect,
            "key_binding_invalid" | "device_signature_invalid" | "doc_type_mismatch"
        );
        if holder_only || !case["did_web"].is_null() {
            continue;
        }
        let Some((format, raw)) = as_issued(case) else {
            continue;
        };
        let got = check(&format, &raw, Some(&register), now);
        match (expect, got) {
            ("valid", Ok(Standing::Registered { provider })) if provider == "Provider Ltd" => {}
            // The register's judgements are flagged to the person, not refused: the
            // wallet's copy of the register may be older than the credential.
            ("unknown_anchor" | "iss_not_registered", Ok(Standing::Unverified { .. })) => {}
            (e, Err(err)) if !matches!(e, "valid" | "unknown_anchor" | "iss_not_registered") => {
                refused += 1;
                let text = err.to_string();
                assert!(text.contains("refused on receipt"), "{id}: {text}");
            }
            (e, other) => wrong.push(format!("{id}: expected {e}, got {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        refused >= 25,
        "only {refused} forgeries reached the receipt check"
    );
}

#[test]
fn without_a_register_the_credential_is_stored_flagged() {
    let m: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let case = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "jwt-01-control-ed25519")
        .unwrap();
    let (format, raw) = as_issued(case).unwrap();
    match check(&format, &raw, None, at(&m)).unwrap() {
        Standing::Unverified { reason } => assert!(reason.contains("register"), "{reason}"),
        other => panic!("{other:?}"),
    }
}
