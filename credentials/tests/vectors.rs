//! The SD-JWT vectors of `tests/vectors/sd-jwt/`, processed as their README says:
//! every presentation verifies with the issuer key of its settings, on every crypto
//! provider, and the verified claims equal `verified_contents.json` and
//! `expect_verified_user_claims`.

use std::fs;
use std::path::{Path, PathBuf};

use credentials::keys::{provider, Jwk};
use credentials::report::CheckLog;
use credentials::sd_jwt::{self, SdJwt, VerifyOptions};
use serde_json::{Map, Value};

fn vectors() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = here.join("../tests/vectors");
    assert!(
        dir.is_dir(),
        "the conformance vectors are not at {}",
        dir.display()
    );
    dir.join("sd-jwt")
}

fn yaml(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap();
    // `!sd` tags mark disclosable claims in specifications; the tests only read untagged parts.
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    untag(y)
}

/// YAML to JSON, dropping `!sd` tags (on keys and values).
fn untag(y: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match y {
        Y::Tagged(t) => untag(t.value),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let k = match untag(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, untag(v))
                })
                .collect(),
        ),
        Y::Sequence(s) => Value::Array(s.into_iter().map(untag).collect()),
        other => serde_json::to_value(other).unwrap(),
    }
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

struct Case {
    name: String,
    presentation: String,
    settings: Value,
    spec: Value,
    expected: Option<Value>,
}

fn cases(set: &str) -> Vec<Case> {
    let root = vectors().join(set);
    let mut out = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    dirs.sort_by_key(|e| e.path());
    for dir in dirs {
        let dir = dir.path();
        let spec = if dir.join("specification.yml").exists() {
            yaml(&dir.join("specification.yml"))
        } else {
            Value::Null
        };
        let mut settings = yaml(&root.join("settings.yml"));
        if let Some(o) = spec.get("settings_override") {
            merge(&mut settings, o);
        }
        for file in [
            "sd_jwt_presentation.txt",
            "sd_jwt_presentation.json",
            "sd_jwt_issuance.txt",
            "sd_jwt_issuance.json",
        ] {
            let path = dir.join(file);
            if !path.exists() {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            let presentation = if file.ends_with(".json") {
                serde_json::to_string(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
            } else {
                text.trim_end().to_string()
            };
            let expected =
                if file.contains("presentation") && dir.join("verified_contents.json").exists() {
                    Some(
                        serde_json::from_str(
                            &fs::read_to_string(dir.join("verified_contents.json")).unwrap(),
                        )
                        .unwrap(),
                    )
                } else {
                    None
                };
            out.push(Case {
                name: format!(
                    "{set}/{}/{file}",
                    dir.file_name().unwrap().to_string_lossy()
                ),
                presentation,
                settings: settings.clone(),
                spec: spec.clone(),
                expected,
            });
        }
    }
    assert!(!out.is_empty(), "no cases in {set}");
    out
}

fn issuer_key(settings: &Value) -> Jwk {
    let ks = &settings["key_settings"];
    let k = if ks["issuer_key"].is_object() {
        &ks["issuer_key"]
    } else {
        &ks["issuer_keys"][0]
    };
    Jwk::from_value(k).unwrap()
}

fn numeric(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_i64)
}

/// Verifies one case on one provider; returns the processed claims.
fn verify_case(case: &Case, p: &'static dyn provider::CryptoProvider) -> Map<String, Value> {
    let sd = SdJwt::parse(&case.presentation).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let payload = sd.jws().claims().unwrap();
    // The vectors were made at different times: verify at the KB-JWT's iat if there is one.
    let kb_iat = sd.kb_jwt().map(|kb| {
        let jws = credentials::jose::CompactJws::parse(kb).unwrap();
        numeric(&jws.claims().unwrap(), "iat").unwrap()
    });
    let now = kb_iat.or(numeric(&payload, "iat")).unwrap_or(1_700_000_000);
    let aud = case.settings["identifiers"]["verifier"]
        .as_str()
        .map(str::to_string);
    let nonce = case.settings["key_binding_nonce"]
        .as_str()
        .map(str::to_string);
    let mut opts = VerifyOptions::at(now);
    opts.provider = p;
    opts.require_key_binding = case
        .spec
        .get("key_binding")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && case.name.contains("presentation");
    if sd.kb_jwt().is_some() {
        opts.aud = aud.as_deref();
        opts.nonce = nonce.as_deref();
    }
    let mut log = CheckLog::default();
    let key = issuer_key(&case.settings);
    let v = sd_jwt::verify(&sd, key.public_key(), &opts, &mut log)
        .unwrap_or_else(|e| panic!("{} on {}: {} ({})", case.name, p.name(), e, e.code()));
    assert!(log.all_passed());
    v.claims
}

fn check_set(set: &str) -> usize {
    let cases = cases(set);
    for case in &cases {
        for p in provider::all() {
            let claims = verify_case(case, p);
            if let Some(expected) = &case.expected {
                assert_eq!(
                    &Value::Object(claims.clone()),
                    expected,
                    "{}: claims differ from verified_contents.json",
                    case.name
                );
            }
            if let Some(user) = case.spec.get("expect_verified_user_claims") {
                if case.name.contains("presentation") {
                    let mut c = claims.clone();
                    for k in ["iss", "iat", "exp", "cnf"] {
                        c.remove(k);
                    }
                    assert_eq!(
                        &Value::Object(c),
                        user,
                        "{}: claims differ from expect_verified_user_claims",
                        case.name
                    );
                }
            }
        }
    }
    cases.len()
}

#[test]
fn rfc9901_generated_examples_verify_with_expected_claims() {
    assert!(check_set("rfc9901-examples-generated") >= 15);
}

#[test]
fn rfc9901_published_examples_verify_byte_exact() {
    // The published strings, byte for byte from the RFC text; claims equal the generated
    // counterparts' verified_contents.json (same Disclosures).
    let cases = cases("rfc9901-published");
    for case in &cases {
        let claims = verify_case(case, provider::default());
        let generated = vectors()
            .join("rfc9901-examples-generated")
            .join(case.name.split('/').nth(1).unwrap())
            .join("verified_contents.json");
        if case.name.contains("presentation") && generated.exists() {
            let expected: Value =
                serde_json::from_str(&fs::read_to_string(generated).unwrap()).unwrap();
            assert_eq!(Value::Object(claims), expected, "{}", case.name);
        }
    }
    assert!(cases.len() >= 8);
}

#[test]
fn sd_jwt_python_testcases_verify_with_expected_user_claims() {
    assert!(check_set("sd-jwt-python-testcases") >= 17);
}

#[test]
fn sd_jwt_python_examples_verify() {
    assert!(check_set("sd-jwt-python-examples") >= 15);
}

#[test]
fn sd_jwt_vc_examples_verify_as_dc_sd_jwt() {
    assert!(check_set("sd-jwt-vc-examples-generated") >= 3);
    assert!(check_set("sd-jwt-vc-draft18-published") >= 3);
}

#[test]
fn every_vector_fails_when_one_disclosure_byte_changes() {
    // A tampered copy of each presentation that has Disclosures must not verify.
    let mut tampered = 0;
    for set in ["rfc9901-examples-generated", "sd-jwt-python-testcases"] {
        for case in cases(set)
            .iter()
            .filter(|c| c.name.ends_with("presentation.txt"))
        {
            let parts: Vec<&str> = case.presentation.split('~').collect();
            if parts.len() < 3 || parts[1].is_empty() {
                continue;
            }
            let mut d = parts[1].to_string();
            // Swap the disclosure for a re-encoded copy with other whitespace: same content, other bytes.
            let decoded = credentials::b64::decode(&d).unwrap();
            let value: Value = serde_json::from_slice(&decoded).unwrap();
            d = credentials::b64::encode(serde_json::to_vec(&value).unwrap());
            if d == parts[1] {
                continue;
            }
            let mut p2: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
            p2[1] = d;
            let sd = SdJwt::parse(&p2.join("~")).unwrap();
            let key = issuer_key(&case.settings);
            let mut opts = VerifyOptions::at(1_700_000_000);
            opts.kb_max_age = i64::MAX / 4;
            opts.kb_future_skew = i64::MAX / 4;
            let err =
                sd_jwt::verify(&sd, key.public_key(), &opts, &mut CheckLog::default()).unwrap_err();
            assert_eq!(err.code(), "disclosure_not_referenced", "{}", case.name);
            tampered += 1;
        }
    }
    assert!(tampered >= 10, "only {tampered} vectors tampered");
}
