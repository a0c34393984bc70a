//! Who a signature speaks for: the binding of a verification method to the DID a document
//! names as its `issuer` (credentials) or `holder` (presentations).
//!
//! A signature proves a key, not a name. Data Integrity 1.0 (§4.2, "retrieve verification
//! method") and Controlled Identifiers 1.0 (§3.3) require the verifier to check that the
//! verification method's controller is the party the document names and that the method is
//! listed under the verification relationship of the proof's purpose (`assertionMethod` for
//! a credential's issuer, `authentication` for a presentation's holder). VC-JOSE-COSE 1.0
//! (§3.3 "kid") applies the same rule to a JOSE or COSE `kid` that is a DID URL. A key named
//! by any other DID (the attacker's own `did:key`, say) is refused with
//! [`W3cError::IssuerKeyMismatch`], however well it verifies.
//!
//! The result is a [`ProvenKey`]: the DID and method the key was proven to belong to. Trust
//! decisions consume that value, never the document's `issuer` string re-read beside it.

use serde::Serialize;

use super::{W3cError, W3cPublicKey};
use crate::did::{self, DidWebResolver};

/// A key and the DID it was proven to belong to.
#[derive(Clone, Debug, Serialize)]
pub struct ProvenKey {
    /// The DID that controls the key: equal to the document's `issuer` / `holder` when the
    /// document names one.
    pub did: String,
    /// The verification method (a DID URL) under the required relationship.
    pub method: String,
    /// The relationship the method was found under (`assertionMethod`, `authentication`).
    pub relationship: String,
    /// The public key.
    #[serde(skip)]
    pub key: W3cPublicKey,
}

/// The DID of a DID URL (`did:key:z…#z…` → `did:key:z…`).
pub fn did_of(url: &str) -> &str {
    url.split(['#', '?']).next().unwrap_or(url)
}

/// Resolves the verification method `method_url` (absolute DID URL, or a DID whose first
/// method under `relationship` is meant) and proves it belongs to `controller` when the
/// document names one.
///
/// Refused with [`W3cError::IssuerKeyMismatch`]: a method of another DID than `controller`,
/// or one whose document says another DID controls it. Refused with
/// [`W3cError::VerificationMethod`]: a DID that does not resolve, a method not in its
/// document, or one not listed under `relationship`.
pub fn prove_method(
    method_url: &str,
    controller: Option<&str>,
    relationship: &str,
    web: Option<&dyn DidWebResolver>,
) -> Result<ProvenKey, W3cError> {
    if !method_url.starts_with("did:") {
        return Err(W3cError::VerificationMethod(format!(
            "{method_url} is not a DID URL"
        )));
    }
    let did = did_of(method_url);
    if let Some(c) = controller {
        if did != c {
            return Err(W3cError::IssuerKeyMismatch(format!(
                "the key belongs to {did}, not to {c}"
            )));
        }
    }
    let vm_err = |e: did::DidError| match e {
        did::DidError::NotRegistered(d) => W3cError::DidNotRegistered(d),
        e => W3cError::VerificationMethod(e.to_string()),
    };
    let doc = did::resolve(did, web).map_err(vm_err)?;
    let id = if method_url.contains('#') {
        method_url.to_string()
    } else {
        doc.relationships
            .iter()
            .find(|(r, _)| r == relationship)
            .and_then(|(_, ids)| ids.first())
            .cloned()
            .ok_or_else(|| {
                W3cError::VerificationMethod(format!("{did} has no {relationship} method"))
            })?
    };
    let method = doc.method_for(&id, relationship).map_err(vm_err)?;
    if did_of(&method.id) != did || method.controller != did {
        return Err(W3cError::IssuerKeyMismatch(format!(
            "{} is controlled by {}, not by {did}",
            method.id, method.controller
        )));
    }
    Ok(ProvenKey {
        did: did.to_string(),
        method: method.id.clone(),
        relationship: relationship.to_string(),
        key: W3cPublicKey::Core(method.public_key.clone()),
    })
}

/// The verification method a JOSE / COSE `kid` names for a document whose issuer (or
/// holder) is `controller`: a `#fragment` is relative to the controller, a DID URL or DID
/// stands for itself, and no `kid` (or one that is not a DID URL) leaves the key to the
/// controller's first method under the relationship.
pub fn method_of_kid(kid: Option<&str>, controller: Option<&str>) -> Result<String, W3cError> {
    match (kid, controller) {
        (Some(k), Some(c)) if k.starts_with('#') => Ok(format!("{c}{k}")),
        (Some(k), _) if k.starts_with("did:") => Ok(k.to_string()),
        (_, Some(c)) if c.starts_with("did:") => Ok(c.to_string()),
        _ => Err(W3cError::VerificationMethod(
            "no key given and neither kid nor the issuer is a resolvable DID".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two Ed25519 did:keys: the W3C vc-di-eddsa vectors' key and the DID Core example's.
    const ISSUER: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    const ATTACKER: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    #[test]
    fn a_method_of_another_did_is_an_issuer_key_mismatch() {
        let (issuer, attacker) = (ISSUER.to_string(), ATTACKER);
        let frag = attacker.trim_start_matches("did:key:");
        let e = prove_method(
            &format!("{attacker}#{frag}"),
            Some(&issuer),
            "assertionMethod",
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), "issuer_key_mismatch");
        let ok = prove_method(&issuer, Some(&issuer), "assertionMethod", None).unwrap();
        assert_eq!(ok.did, issuer);
        assert!(ok.method.starts_with(&format!("{issuer}#")));
    }

    #[test]
    fn kid_forms() {
        assert_eq!(
            method_of_kid(Some("#k1"), Some("did:web:a")).unwrap(),
            "did:web:a#k1"
        );
        assert_eq!(
            method_of_kid(Some("did:key:zX#zX"), Some("did:web:a")).unwrap(),
            "did:key:zX#zX"
        );
        assert_eq!(
            method_of_kid(Some("key-1"), Some("did:web:a")).unwrap(),
            "did:web:a"
        );
        assert!(method_of_kid(None, Some("https://issuer.example")).is_err());
    }
}
