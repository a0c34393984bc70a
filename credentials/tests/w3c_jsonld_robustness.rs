//! JSON-LD processing of hostile or odd documents never panics and never fetches: every
//! outcome is canonical N-Quads or a typed error (`unknown_context`, `jsonld_error`,
//! `malformed_document`).
#![cfg(feature = "rdfc")]

use credentials::w3c::rdfc;
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0b8e1c9a-3f2d-4c5e-8a7b-6d5e4f3a2b1c",
        "type": ["VerifiableCredential"],
        "issuer": {"id": "did:example:issuer", "name": "Issuer"},
        "credentialSubject": {"id": "did:example:alice", "alumniOf": "School",
            "address": {"city": "Paris"}, "tags": ["a", "b"]}
    })
}

/// Odd values to put at odd places: JSON-LD keywords, wrong types, deep nesting.
fn oddities() -> Vec<Value> {
    let mut deep = json!("x");
    for _ in 0..200 {
        deep = json!({ "n": deep });
    }
    vec![
        json!(null),
        json!(true),
        json!(-0.0),
        json!(1e300),
        json!(""),
        json!("_:b0"),
        json!("relative/iri"),
        json!("http://[::1"),
        json!([]),
        json!([[]]),
        json!({}),
        json!({"@id": 5}),
        json!({"@id": "_:b1", "@type": "@json"}),
        json!({"@value": {"a": 1}, "@type": "@json"}),
        json!({"@value": "x", "@language": "not a tag!"}),
        json!({"@value": "x", "@direction": "sideways"}),
        json!({"@list": [{"@list": [1, 2]}]}),
        json!({"@set": [1, {"@set": 2}]}),
        json!({"@graph": [{"@id": "did:example:g", "alumniOf": "x"}]}),
        json!({"@reverse": {"alumniOf": {"@id": "did:example:r"}}}),
        json!({"@included": [{"@id": "did:example:i"}]}),
        json!({"@index": 5}),
        json!({"@nest": {"alumniOf": "y"}}),
        json!({"@context": {"@vocab": ""}, "x": 1}),
        json!({"@context": {"@base": "not an iri"}, "@id": "rel"}),
        json!({"@context": {"alumniOf": {"@id": "@type"}}, "alumniOf": "x"}),
        json!({"@context": {"a": {"@id": "b"}, "b": {"@id": "a"}}, "a": 1}),
        json!({"@context": {"x": {"@reverse": "@id"}}, "x": 1}),
        json!({"@context": {"@protected": true, "id": "https://e.example/id"}, "id": 1}),
        json!({"@context": {"@import": "https://evil.example/ctx"}}),
        json!({"@context": {"@propagate": "maybe"}}),
        json!({"@context": [null, {"@version": 1.0}]}),
        json!({"@context": {"@version": 1.1, "@container": "@list"}}),
        deep,
    ]
}

fn outcome(doc: &Value) -> Result<String, String> {
    rdfc::canonical_nquads(doc).map_err(|e| {
        let code = e.code();
        assert!(
            matches!(
                code,
                "unknown_context" | "jsonld_error" | "malformed_document"
            ),
            "{code}: {e}"
        );
        code.to_string()
    })
}

#[test]
fn odd_values_anywhere_are_handled() {
    let places = [
        "/credentialSubject/alumniOf",
        "/credentialSubject/address",
        "/credentialSubject/tags",
        "/issuer",
        "/type",
        "/id",
        "/credentialSubject",
        "/@context/1",
    ];
    let mut ok = 0;
    let mut refused = 0;
    for place in places {
        for odd in oddities() {
            let mut doc = base();
            *doc.pointer_mut(place).unwrap() = odd;
            match outcome(&doc) {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
        }
    }
    // Both outcomes occur; which is which is the JSON-LD processor's business.
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
}

#[test]
fn nesting_is_bounded_before_expansion() {
    // Within the bound (the document's own three levels plus the nested value): processed.
    let mut nested = json!("x");
    for _ in 0..(rdfc::MAX_DEPTH - 3) {
        nested = json!({ "n": nested });
    }
    let mut doc = base();
    doc["credentialSubject"]["n"] = nested.clone();
    assert!(outcome(&doc).is_ok());
    // One level more: refused, without recursing.
    doc["credentialSubject"]["n"] = json!({ "n": nested });
    assert_eq!(outcome(&doc).unwrap_err(), "malformed_document");
}

#[test]
fn the_same_document_always_canonicalizes_the_same() {
    let mut doc = base();
    doc["credentialSubject"]["friends"] =
        json!([{"name": "Bob"}, {"name": "Carol"}, {"name": "Bob"}]);
    let first = outcome(&doc).unwrap();
    for _ in 0..5 {
        assert_eq!(outcome(&doc).unwrap(), first);
    }
    // Reordering object members and array order of a set does not change the result.
    let mut reordered = doc.clone();
    reordered["credentialSubject"]["friends"] =
        json!([{"name": "Carol"}, {"name": "Bob"}, {"name": "Bob"}]);
    assert_eq!(outcome(&reordered).unwrap(), first);
}
