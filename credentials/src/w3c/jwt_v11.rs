//! The VC Data Model 1.1 JWT encoding (VC 1.1 §6.3.1), verified, never issued: a JWS whose
//! payload carries the credential in a `vc` claim (a presentation in `vp`) beside the
//! registered claims that stand for its properties.
//!
//! Decoding follows §6.3.1.2: `iss` sets `issuer` (or `issuer.id`; a presentation's
//! `holder`), `nbf` sets `issuanceDate`, `exp` sets `expirationDate`, `jti` sets `id`, and
//! `sub` sets `credentialSubject.id`. The signing key is bound to `iss` (the DID the key
//! must belong to, see [`super::binding`]), so the issuer the decoded document shows is the
//! one the signature proved. A presentation keeps its `nonce` and `aud` claims as members,
//! as a `vp+jwt` carries them, for the caller's binding checks. `typ`, when present, must be
//! `JWT`; `exp` and `nbf` hold at the caller's clock; the decoded document must be a VC 1.1
//! document valid under [`super::model`].

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::jose::{self, DocKind};
use super::model::{self, Version};
use super::{W3cError, W3cPublicKey};
use crate::jose::CompactJws;

/// The claim holding the document: `vc` or `vp`.
pub fn claim(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Credential => "vc",
        DocKind::Presentation => "vp",
    }
}

/// The name reports give this securing mechanism.
pub fn name(kind: DocKind) -> String {
    format!("jwt_{} (VC 1.1)", claim(kind))
}

/// Whether `payload` is a VC-JWT 1.1 of `kind`: its document is an object in the `vc` (`vp`)
/// claim.
pub fn is_v11(payload: &Map<String, Value>, kind: DocKind) -> bool {
    payload.get(claim(kind)).is_some_and(Value::is_object)
}

/// Who the signing key must belong to: the `iss` claim, else the document's `issuer` (a
/// presentation's `holder`), so that the identity the decoded document shows is always the
/// one the key was proven for.
pub fn controller(payload: &Map<String, Value>, kind: DocKind) -> Option<String> {
    if let Some(iss) = payload.get("iss").and_then(Value::as_str) {
        return Some(iss.to_string());
    }
    let field = match kind {
        DocKind::Credential => "issuer",
        DocKind::Presentation => "holder",
    };
    match payload.get(claim(kind)).and_then(|d| d.get(field)) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn date(t: &Value, field: &'static str) -> Result<Value, W3cError> {
    let bad = || W3cError::InvalidDate {
        field,
        value: t.to_string(),
    };
    // RFC 7519 §2: a NumericDate may carry a fraction.
    let secs = t.as_f64().ok_or_else(bad)?.floor() as i64;
    let at = OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad())?;
    Ok(Value::String(at.format(&Rfc3339).map_err(|_| bad())?))
}

/// The VC 1.1 document a VC-JWT 1.1 payload stands for (§6.3.1.2).
pub fn decode(payload: &Map<String, Value>, kind: DocKind) -> Result<Value, W3cError> {
    let mut doc = payload
        .get(claim(kind))
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| W3cError::Malformed(format!("no {} claim object", claim(kind))))?;
    let text = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(jti) = text("jti") {
        doc.insert("id".into(), jti.into());
    }
    match kind {
        DocKind::Credential => {
            if let Some(iss) = text("iss") {
                match doc.get_mut("issuer") {
                    Some(Value::Object(o)) => {
                        o.insert("id".into(), iss.into());
                    }
                    _ => {
                        doc.insert("issuer".into(), iss.into());
                    }
                }
            }
            if let Some(nbf) = payload.get("nbf") {
                doc.insert("issuanceDate".into(), date(nbf, "issuanceDate")?);
            }
            if let Some(exp) = payload.get("exp") {
                doc.insert("expirationDate".into(), date(exp, "expirationDate")?);
            }
            if let Some(sub) = text("sub") {
                match doc.get_mut("credentialSubject") {
                    Some(Value::Object(s)) => {
                        s.insert("id".into(), sub.into());
                    }
                    _ => {
                        return Err(W3cError::InvalidSubject(
                            "sub names a subject but credentialSubject is not one object".into(),
                        ))
                    }
                }
            }
        }
        DocKind::Presentation => {
            if let Some(iss) = text("iss") {
                doc.insert("holder".into(), iss.into());
            }
            for k in ["nonce", "aud"] {
                if let Some(v) = payload.get(k) {
                    doc.insert(k.into(), v.clone());
                }
            }
        }
    }
    Ok(Value::Object(doc))
}

/// Verifies a VC-JWT 1.1 with `key` (already proven to belong to [`controller`]) and returns
/// its decoded, validated VC 1.1 document.
pub fn verify(
    text: &str,
    key: &W3cPublicKey,
    kind: DocKind,
    now: OffsetDateTime,
) -> Result<Value, W3cError> {
    let jws = CompactJws::parse(text.trim()).map_err(W3cError::Jws)?;
    if let Some(typ) = jws.header().typ() {
        if !typ.eq_ignore_ascii_case("JWT") {
            return Err(W3cError::BadMediaType(format!(
                "typ is {typ:?}; a VC-JWT 1.1 is typed JWT"
            )));
        }
    }
    jose::verify_jws(&jws, key)?;
    let payload = jws.claims().map_err(W3cError::Jws)?;
    jose::check_jwt_times(&payload, now)?;
    let doc = decode(&payload, kind)?;
    let version = match kind {
        DocKind::Credential => model::validate_credential(&doc, now)?.version,
        DocKind::Presentation => {
            model::validate_presentation(&doc, now)?;
            match doc["@context"].as_array().and_then(|a| a.first()) {
                Some(Value::String(c)) if c == super::CREDENTIALS_V1_CONTEXT => Version::V1_1,
                _ => Version::V2,
            }
        }
    };
    if version != Version::V1_1 {
        return Err(W3cError::InvalidContext(
            "a vc / vp claim holds a VC 1.1 document; VC 2.0 is secured as vc+jwt".into(),
        ));
    }
    Ok(doc)
}
