//! JSON-LD to RDF and RDF Dataset Canonicalization (RDFC-1.0), for the Data Integrity RDFC
//! cryptosuites.
//!
//! Expansion uses the `json-ld` crate with a static loader over the contexts bundled in
//! [`BUNDLED_CONTEXTS`]; nothing is ever fetched, and a context outside that list is
//! [`W3cError::UnknownContext`]. Expansion runs in safe mode: a property or type that the
//! contexts do not define (and so would be silently dropped, leaving it unsigned) is
//! [`W3cError::JsonLd`]. Canonicalization is the `rdf-canon` crate (RDFC-1.0, SHA-256, or
//! SHA-384 for `ecdsa-rdfc-2019` with P-384).
//!
//! Outside input is bounded before and during processing: [`MAX_DOCUMENT_LEN`] bytes,
//! [`MAX_DEPTH`] levels of nesting, [`HNDQ_CALL_LIMIT`] RDFC-1.0 recursion steps, and the work
//! runs on a thread with its own large stack, so neither a deep document nor a panic in the
//! processor takes the caller down.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use json_ld::expansion::{Action, Policy};
use json_ld::rdf_types::{self, Id, LiteralType, Term};
use json_ld::syntax::Parse;
use json_ld::{Iri, IriBuf, JsonLdProcessor, LoadError, Loader, Options, RemoteDocument};
use serde_json::Value;

use super::W3cError;

/// The contexts a document may use, by URL, with the text bundled at build time.
///
/// Sources: `credentials/v2` from npm `@digitalbazaar/credentials-context` 3.2.0 (the VC 2.0
/// Recommendation's context), `data-integrity/v2` from `@digitalbazaar/data-integrity-context`
/// 2.0.1, `multikey/v1` from `@digitalbazaar/multikey-context` 2.0.1, and the VC 2.0
/// examples context (`@vocab` only) that the cryptosuite specifications' vectors use.
pub const BUNDLED_CONTEXTS: &[(&str, &str)] = &[
    (
        "https://www.w3.org/ns/credentials/v2",
        include_str!("contexts/credentials-v2.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/examples/v2",
        include_str!("contexts/credentials-examples-v2.jsonld"),
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        include_str!("contexts/data-integrity-v2.jsonld"),
    ),
    (
        "https://w3id.org/security/multikey/v1",
        include_str!("contexts/multikey-v1.jsonld"),
    ),
    // VC Data Model 1.1, from the same npm package (`contexts/v1.jsonld`): verified only.
    (
        "https://www.w3.org/2018/credentials/v1",
        include_str!("contexts/credentials-v1.jsonld"),
    ),
];

/// Why the static loader refused a URL.
#[derive(Debug, thiserror::Error)]
#[error("the context is not bundled")]
struct NotBundled;

/// Serves [`BUNDLED_CONTEXTS`] and nothing else.
struct StaticLoader;

impl Loader for StaticLoader {
    async fn load(&self, url: &Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        let text = BUNDLED_CONTEXTS
            .iter()
            .find(|(u, _)| *u == url.as_str())
            .map(|(_, t)| *t)
            .ok_or_else(|| LoadError::new(url.to_owned(), NotBundled))?;
        let (doc, _) = json_ld::syntax::Value::parse_str(text)
            .map_err(|e| LoadError::new(url.to_owned(), e))?;
        Ok(RemoteDocument::new(Some(url.to_owned()), None, doc))
    }
}

/// Upper bound on a document given to JSON-LD processing (serialized bytes).
pub const MAX_DOCUMENT_LEN: usize = 1 << 20;
/// Upper bound on object / array nesting: JSON-LD expansion recurses per level (and a stack
/// overflow aborts the process), credentials need a handful.
pub const MAX_DEPTH: usize = 24;
/// The stack JSON-LD processing runs on (its own thread, so the caller's stack, e.g. a 2 MiB
/// async worker, does not bound it); reserved lazily by the OS.
const STACK_SIZE: usize = 64 << 20;
/// Upper bound on RDFC-1.0 "hash N-degree quads" calls: blank node graphs crafted to make
/// canonicalization exponential are refused instead of burning the CPU.
pub const HNDQ_CALL_LIMIT: usize = 10_000;
const MAX_POLLS: usize = 1_000_000;

/// Drives a future whose I/O is all in memory (the static loader never waits); gives up
/// rather than spin if it ever stays pending.
fn block_on<F: Future>(f: F) -> Result<F::Output, W3cError> {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..MAX_POLLS {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Ok(v);
        }
    }
    Err(W3cError::JsonLd(
        "JSON-LD processing did not complete".into(),
    ))
}

fn depth(value: &Value) -> usize {
    // Iterative, so that measuring a hostile document cannot itself overflow.
    let mut max = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_DEPTH {
            break;
        }
        match v {
            Value::Object(o) => stack.extend(o.values().map(|c| (c, d + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    max
}

/// Refuses a string (key or value) whose `%XX` escapes do not decode to UTF-8: the IRI
/// crates under `json-ld` panic on such a term (found by the `w3c` fuzz target), and a
/// panic, even one caught on the processing thread, must not be the answer to outside input.
fn check_percent_encoding(value: &Value) -> Result<(), W3cError> {
    fn valid(s: &str) -> bool {
        if !s.contains('%') {
            return true;
        }
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    // A lone '%' is not an escape; the IRI parser refuses it without panicking.
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        std::str::from_utf8(&out).is_ok()
    }
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if !valid(s) => {
                return Err(W3cError::JsonLd(
                    "a percent-encoded string does not decode to UTF-8".into(),
                ))
            }
            Value::Object(o) => {
                if let Some(k) = o.keys().find(|k| !valid(k)) {
                    return Err(W3cError::JsonLd(format!(
                        "the term {k:?} is percent-encoded but does not decode to UTF-8"
                    )));
                }
                stack.extend(o.values());
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    Ok(())
}

/// Every context URL `value` names, at any depth (embedded contexts included).
fn context_urls(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                if k == "@context" {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        Value::Array(a) => {
                            for c in a {
                                match c {
                                    Value::String(s) => out.push(s.clone()),
                                    other => context_urls(other, out),
                                }
                            }
                        }
                        other => context_urls(other, out),
                    }
                } else {
                    context_urls(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| context_urls(v, out)),
        _ => {}
    }
}

/// Fails with [`W3cError::UnknownContext`] when `document` names a context that is not bundled.
pub fn check_contexts(document: &Value) -> Result<(), W3cError> {
    let mut urls = Vec::new();
    context_urls(document, &mut urls);
    for u in urls {
        if !BUNDLED_CONTEXTS.iter().any(|(b, _)| *b == u) {
            return Err(W3cError::UnknownContext(u));
        }
    }
    Ok(())
}

fn subject(id: Id) -> oxrdf::Subject {
    match id {
        Id::Iri(i) => oxrdf::NamedNode::new_unchecked(i.as_str()).into(),
        Id::Blank(b) => {
            let s = b.as_str();
            oxrdf::BlankNode::new_unchecked(s.strip_prefix("_:").unwrap_or(s)).into()
        }
    }
}

fn term(id: Id) -> oxrdf::Term {
    match subject(id) {
        oxrdf::Subject::NamedNode(n) => n.into(),
        oxrdf::Subject::BlankNode(b) => b.into(),
    }
}

/// Runs `f` on a thread of its own with [`STACK_SIZE`]; a panic in the JSON-LD processor
/// becomes an error instead of unwinding into the caller.
fn on_own_stack<T: Send>(f: impl FnOnce() -> Result<T, W3cError> + Send) -> Result<T, W3cError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("vouch-jsonld".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, f)
            .map_err(|e| W3cError::JsonLd(format!("cannot start JSON-LD processing: {e}")))?
            .join()
            .map_err(|_| W3cError::JsonLd("the JSON-LD processor failed".into()))?
    })
}

/// The RDF dataset of a JSON-LD document, as `oxrdf` quads.
pub fn to_rdf(document: &Value) -> Result<Vec<oxrdf::Quad>, W3cError> {
    on_own_stack(|| to_rdf_here(document))
}

fn to_rdf_here(document: &Value) -> Result<Vec<oxrdf::Quad>, W3cError> {
    if depth(document) > MAX_DEPTH {
        return Err(W3cError::Malformed(format!(
            "the document nests deeper than {MAX_DEPTH} levels"
        )));
    }
    check_contexts(document)?;
    check_percent_encoding(document)?;
    let text = serde_json::to_string(document)
        .map_err(|e| W3cError::Malformed(format!("cannot serialize: {e}")))?;
    if text.len() > MAX_DOCUMENT_LEN {
        return Err(W3cError::Malformed(format!(
            "the document is larger than {MAX_DOCUMENT_LEN} bytes"
        )));
    }
    let (doc, _) = json_ld::syntax::Value::parse_str(&text)
        .map_err(|e| W3cError::Malformed(format!("not JSON: {e}")))?;
    let input = RemoteDocument::new(None, None, doc);
    let options: Options = Options {
        expansion_policy: Policy {
            invalid: Action::Reject,
            vocab: Action::Keep,
            allow_undefined: false,
        },
        ..Options::default()
    };
    let mut generator = rdf_types::generator::Blank::new();
    let mut rdf = block_on(input.to_rdf_using(&mut generator, &StaticLoader, options))?
        .map_err(|e| W3cError::JsonLd(e.to_string()))?;
    let mut quads = Vec::new();
    for rdf_types::Quad(s, p, o, g) in rdf.cloned_quads() {
        let Id::Iri(p) = p else {
            return Err(W3cError::JsonLd("a blank node predicate".into()));
        };
        let object: oxrdf::Term = match o {
            Term::Id(id) => term(id),
            Term::Literal(l) => match l.type_ {
                LiteralType::Any(t) => oxrdf::Literal::new_typed_literal(
                    l.value,
                    oxrdf::NamedNode::new_unchecked(t.as_str()),
                )
                .into(),
                LiteralType::LangString(tag) => oxrdf::Literal::new_language_tagged_literal(
                    l.value,
                    tag.as_str().to_ascii_lowercase(),
                )
                .map_err(|e| W3cError::JsonLd(format!("language tag: {e}")))?
                .into(),
            },
        };
        let graph = match g.map(subject) {
            None => oxrdf::GraphName::DefaultGraph,
            Some(oxrdf::Subject::NamedNode(n)) => n.into(),
            Some(oxrdf::Subject::BlankNode(b)) => b.into(),
        };
        quads.push(oxrdf::Quad::new(
            subject(s),
            oxrdf::NamedNode::new_unchecked(p.as_str()),
            object,
            graph,
        ));
    }
    Ok(quads)
}

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document (what the RDFC cryptosuites hash),
/// with RDFC-1.0's default hash, SHA-256.
pub fn canonical_nquads(document: &Value) -> Result<String, W3cError> {
    canonical_nquads_with(document, false)
}

/// The RDFC-1.0 canonical N-Quads with SHA-384 (`sha384`) or SHA-256 as the hash that labels
/// blank nodes: `ecdsa-rdfc-2019` with P-384 uses SHA-384, as the Digital Bazaar
/// implementation does (the published vectors have too few blank nodes to tell).
pub fn canonical_nquads_with(document: &Value, sha384: bool) -> Result<String, W3cError> {
    on_own_stack(|| {
        let quads = to_rdf_here(document)?;
        let options = rdf_canon::CanonicalizationOptions {
            hndq_call_limit: Some(HNDQ_CALL_LIMIT),
        };
        let out = if sha384 {
            rdf_canon::canonicalize_quads_with::<sha2::Sha384>(&quads, &options)
        } else {
            rdf_canon::canonicalize_quads_with::<sha2::Sha256>(&quads, &options)
        };
        out.map_err(|e| W3cError::JsonLd(e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn percent_escapes_that_are_not_utf8_are_refused_without_a_panic() {
        // The w3c fuzz target's crash: "%de" starts a UTF-8 sequence that never ends.
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"],
            "type": ["VerifiableCr%dential", "AlumniCredential"]});
        assert!(matches!(canonical_nquads(&doc), Err(W3cError::JsonLd(_))));
        let key = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "a%ff": 1});
        assert!(matches!(
            check_percent_encoding(&key),
            Err(W3cError::JsonLd(_))
        ));
        // Well-formed escapes and a lone '%' pass the check.
        let fine = json!({"id": "https://example.org/caf%C3%A9", "name": "100% sure"});
        assert!(check_percent_encoding(&fine).is_ok());
    }

    #[test]
    fn unknown_contexts_are_refused_before_expansion() {
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2",
            {"@context": "https://evil.example/ctx"}], "type": "VerifiableCredential"});
        assert_eq!(
            canonical_nquads(&doc).unwrap_err(),
            W3cError::UnknownContext("https://evil.example/ctx".into())
        );
    }

    #[test]
    fn undefined_terms_are_an_error_not_dropped() {
        let doc = json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "VerifiableCredential", "notDefinedAnywhere": "x"});
        assert_eq!(canonical_nquads(&doc).unwrap_err().code(), "jsonld_error");
    }
}
