//! The independent mdoc negative corpus of `tests/mdoc_negative/` (made by a Python
//! generator sharing no code with Vouch): the baselines verify, and every tampered
//! DeviceResponse is rejected with exactly its expected code, on every crypto provider.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use credentials::keys::{provider, KeyKind, SecretKey};
use credentials::mdoc::{
    parse_rfc3339, verify_report, ItemsRequest, MdocVerifyOptions, SessionTranscript,
};
use credentials::x509::{Certificate, ChainCache};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mdoc_negative")
}

fn read(p: &str) -> Vec<u8> {
    fs::read(dir().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn hex(p: &str) -> Vec<u8> {
    let t = String::from_utf8(read(p)).unwrap();
    let t = t.trim();
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
        .collect()
}

fn verify(
    case: &Value,
    p: &'static dyn provider::CryptoProvider,
    cache: Option<&ChainCache>,
) -> String {
    let anchors: Vec<Certificate> = case["trust"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| Certificate::from_der(&read(t.as_str().unwrap())).unwrap())
        .collect();
    let transcript =
        SessionTranscript::from_cbor(&read(case["transcript"].as_str().unwrap())).unwrap();
    let reader = case["reader_key"]
        .as_str()
        .map(|f| SecretKey::from_ec_scalar(KeyKind::P256, &hex(f)).unwrap());
    // The manifest's doctype is what the reader asked for; `requested` the elements, if any.
    let empty = serde_json::Map::new();
    let request = case["doctype"].as_str().map(|doc_type| ItemsRequest {
        doc_type: doc_type.to_string(),
        name_spaces: case["requested"]
            .as_object()
            .unwrap_or(&empty)
            .iter()
            .map(|(n, els)| {
                let els: BTreeMap<String, bool> = els
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| (e.as_str().unwrap().to_string(), false))
                    .collect();
                (n.clone(), els)
            })
            .collect(),
    });
    let mut opts = MdocVerifyOptions::new(
        parse_rfc3339(case["at"].as_str().unwrap()).unwrap(),
        &anchors,
        &transcript,
    );
    opts.reader_key = reader.as_ref();
    opts.request = request.as_ref();
    opts.provider = p;
    opts.chain_cache = cache;
    let report = verify_report(&read(case["file"].as_str().unwrap()), &opts);
    match report.error {
        None => {
            assert!(report.valid && report.claims.is_some());
            "ok".into()
        }
        Some(e) => {
            assert!(!report.valid && report.claims.is_none(), "{}", case["file"]);
            e.code
        }
    }
}

#[test]
fn every_mdoc_corpus_case_is_rejected_with_its_code_on_every_provider() {
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).unwrap();
    let cases = manifest.as_array().unwrap();
    let mut mismatches = Vec::new();
    // A long-lived verifier keeps one chain cache across every response it sees: what it
    // cached for one case must never change the outcome of another.
    let cache = ChainCache::new();
    for (p, cache) in provider::all()
        .into_iter()
        .flat_map(|p| [(p, None), (p, Some(&cache))])
    {
        for case in cases {
            let got = verify(case, p, cache);
            let want = case["code"].as_str().unwrap();
            if got != want {
                mismatches.push(format!(
                    "{} [{}, cache {}]: expected {want}, got {got} ({})",
                    case["file"],
                    p.name(),
                    cache.is_some(),
                    case["description"]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(cases.iter().filter(|c| c["code"] != "ok").count() >= 40);
}
