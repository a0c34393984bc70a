//! VC-JOSE-COSE with COSE (section 3.3): `vc+cose` / `vp+cose`, a COSE_Sign1 (RFC 9052) whose
//! attached payload is the credential or presentation JSON.
//!
//! The protected header carries `alg` (1), `typ` (16, RFC 9596) `application/vc+cose`
//! (`application/vp+cose`) and content type (3) `application/vc` (`application/vp`), plus `kid`
//! (4) when the signer has one. Verification is fail-closed: `typ` must be present in the
//! protected header with the expected value, a content type, when present, must be the
//! expected one, `alg` must be the key's algorithm, and `crit` is refused. Enveloped forms are
//! `data:application/vc+cose;base64,<COSE_Sign1>`.

use base64::Engine as _;
use coset::{
    iana, CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, Label,
    RegisteredLabelWithPrivate, TaggedCborSerializable,
};
use time::OffsetDateTime;

use super::jose::{DocKind, VerifiedJose};
use super::keys::{W3cPublicKey, W3cSigner};
use super::model::{self, Enveloped};
use super::W3cError;

/// The COSE `typ` header parameter label (RFC 9596).
pub const TYP_LABEL: i64 = 16;
/// Upper bound on a COSE-secured document (bytes), checked before decoding.
pub const MAX_COSE_LEN: usize = 1 << 20;

/// The `typ` value: `application/vc+cose` or `application/vp+cose`.
pub fn typ(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Credential => "application/vc+cose",
        DocKind::Presentation => "application/vp+cose",
    }
}

/// The content type: `application/vc` or `application/vp`.
pub fn content_type(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Credential => "application/vc",
        DocKind::Presentation => "application/vp",
    }
}

fn jose_name(alg: i64) -> Option<&'static str> {
    match alg {
        -7 => Some("ES256"),
        -35 => Some("ES384"),
        -36 => Some("ES512"),
        -8 => Some("EdDSA"),
        _ => None,
    }
}

/// Issues `doc` as `vc+cose` / `vp+cose`: the tagged COSE_Sign1 bytes.
pub fn issue_cose(
    doc: &serde_json::Value,
    kind: DocKind,
    signer: &dyn W3cSigner,
) -> Result<Vec<u8>, W3cError> {
    match kind {
        DocKind::Credential => model::validate_credential_shape(doc).map(|_| ())?,
        DocKind::Presentation => model::validate_presentation_shape(doc).map(|_| ())?,
    }
    let payload = serde_json::to_vec(doc)
        .map_err(|e| W3cError::Malformed(format!("cannot serialize: {e}")))?;
    let alg = <iana::Algorithm as iana::EnumI64>::from_i64(signer.cose_alg())
        .ok_or_else(|| W3cError::Key(format!("COSE algorithm {}", signer.cose_alg())))?;
    let mut protected = HeaderBuilder::new()
        .algorithm(alg)
        .content_type(content_type(kind).to_string())
        .value(TYP_LABEL, ciborium::Value::Text(typ(kind).to_string()));
    if let Some(kid) = signer.kid() {
        protected = protected.key_id(kid.into_bytes());
    }
    let mut sign1 = CoseSign1Builder::new()
        .protected(protected.build())
        .payload(payload)
        .build();
    sign1.signature = signer.sign_bytes(&sign1.tbs_data(&[]))?;
    sign1
        .to_tagged_vec()
        .map_err(|e| W3cError::MalformedCose(format!("encoding failed: {e}")))
}

/// Parses a COSE_Sign1, tagged (18) or not.
pub fn parse_cose(bytes: &[u8]) -> Result<CoseSign1, W3cError> {
    if bytes.len() > MAX_COSE_LEN {
        return Err(W3cError::MalformedCose("too large".into()));
    }
    CoseSign1::from_tagged_slice(bytes)
        .or_else(|_| CoseSign1::from_slice(bytes))
        .map_err(|e| W3cError::MalformedCose(e.to_string()))
}

fn text_param(header: &coset::Header, label: i64) -> Option<&str> {
    header
        .rest
        .iter()
        .find(|(l, _)| *l == Label::Int(label))
        .and_then(|(_, v)| v.as_text())
}

fn check_headers(sign1: &CoseSign1, kind: DocKind) -> Result<i64, W3cError> {
    let h = &sign1.protected.header;
    if !h.crit.is_empty() {
        return Err(W3cError::MalformedCose("crit is not understood".into()));
    }
    match text_param(h, TYP_LABEL) {
        Some(t) if t.eq_ignore_ascii_case(typ(kind)) => {}
        other => {
            return Err(W3cError::BadMediaType(format!(
                "protected typ is {other:?}, expected \"{}\"",
                typ(kind)
            )))
        }
    }
    match &h.content_type {
        None => {}
        Some(coset::RegisteredLabel::Text(t)) if t.eq_ignore_ascii_case(content_type(kind)) => {}
        Some(other) => {
            return Err(W3cError::BadMediaType(format!(
                "content type is {other:?}, expected \"{}\"",
                content_type(kind)
            )))
        }
    }
    match &h.alg {
        Some(RegisteredLabelWithPrivate::Assigned(a)) => Ok(*a as i64),
        Some(RegisteredLabelWithPrivate::PrivateUse(a)) => Ok(*a),
        _ => Err(W3cError::MalformedCose(
            "the protected header has no integer alg".into(),
        )),
    }
}

/// Verifies a `vc+cose` / `vp+cose` with `key` and validates the document at `now`.
pub fn verify_cose(
    bytes: &[u8],
    key: &W3cPublicKey,
    kind: DocKind,
    now: OffsetDateTime,
) -> Result<VerifiedJose, W3cError> {
    let sign1 = parse_cose(bytes)?;
    let alg = check_headers(&sign1, kind)?;
    let name = jose_name(alg)
        .ok_or_else(|| W3cError::Key(format!("COSE algorithm {alg} is not supported")))?;
    if name != key.jose_alg() {
        return Err(W3cError::AlgorithmMismatch(format!(
            "COSE algorithm {name} where the key uses {}",
            key.jose_alg()
        )));
    }
    key.verify(name, &sign1.tbs_data(&[]), &sign1.signature)?;
    let payload = sign1
        .payload
        .as_deref()
        .ok_or_else(|| W3cError::MalformedCose("detached payloads are not used".into()))?;
    let document: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| W3cError::Malformed(format!("the payload is not JSON: {e}")))?;
    model::require_v2(&document)?;
    let (credential, presentation) = match kind {
        DocKind::Credential => (Some(model::validate_credential(&document, now)?), None),
        DocKind::Presentation => (None, Some(model::validate_presentation(&document, now)?)),
    };
    let mut header = serde_json::Map::new();
    header.insert("alg".into(), name.into());
    header.insert("typ".into(), typ(kind).into());
    Ok(VerifiedJose {
        header,
        alg: name.to_string(),
        document,
        credential,
        presentation,
        kb_jwt: None,
    })
}

/// The `data:` URL of a COSE-secured document (`data:application/vc+cose;base64,...`).
pub fn data_url(kind: DocKind, bytes: &[u8]) -> String {
    format!(
        "data:{};base64,{}",
        typ(kind),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Builds the `EnvelopedVerifiableCredential` / `EnvelopedVerifiablePresentation` object.
pub fn envelope(kind: DocKind, bytes: &[u8]) -> serde_json::Value {
    let t = match kind {
        DocKind::Credential => "EnvelopedVerifiableCredential",
        DocKind::Presentation => "EnvelopedVerifiablePresentation",
    };
    serde_json::json!({
        "@context": super::CREDENTIALS_V2_CONTEXT,
        "id": data_url(kind, bytes),
        "type": t,
    })
}

/// The COSE_Sign1 bytes of an enveloped `application/vc+cose` (base64 data).
pub fn enveloped_bytes(envelope: &Enveloped) -> Result<Vec<u8>, W3cError> {
    if !envelope.media_type.ends_with("+cose") || !envelope.base64 {
        return Err(W3cError::InvalidEnvelope(format!(
            "{} is not a base64 COSE data: URL",
            envelope.media_type
        )));
    }
    base64::engine::general_purpose::STANDARD
        .decode(envelope.data.as_bytes())
        .map_err(|_| W3cError::InvalidEnvelope("the data: URL is not base64".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, Signer, SoftwareSigner};
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn issue_then_verify_each_algorithm() {
        let vc = json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"], "issuer": "https://issuer.example",
            "credentialSubject": {"id": "did:example:alice"}});
        for alg in [Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa] {
            let (signer, _) = SoftwareSigner::generate(alg).unwrap();
            let key = W3cPublicKey::from(signer.public_key().clone());
            let bytes = issue_cose(&vc, DocKind::Credential, &signer).unwrap();
            let v = verify_cose(
                &bytes,
                &key,
                DocKind::Credential,
                datetime!(2025-01-01 0:00 UTC),
            )
            .unwrap();
            assert_eq!(v.document, vc);
            assert_eq!(
                verify_cose(
                    &bytes,
                    &key,
                    DocKind::Presentation,
                    datetime!(2025-01-01 0:00 UTC)
                )
                .unwrap_err()
                .code(),
                "bad_media_type"
            );
        }
    }
}
