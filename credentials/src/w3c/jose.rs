//! VC-JOSE-COSE with JOSE: `vc+jwt` / `vp+jwt` (a JWS whose payload is the credential or
//! presentation JSON) and `vc+sd-jwt` / `vp+sd-jwt` (the same secured with SD-JWT).
//!
//! Media types are checked fail-closed: `typ` must be present and be `vc+jwt` (`vp+jwt`,
//! `vc+sd-jwt`, `vp+sd-jwt`), with or without the `application/` prefix; `cty`, when present,
//! must be `vc` (`vp`). The payload is the document itself (no `vc` claim); other JWT claims
//! (`iss`, `jti`, `iat`, ...) may sit beside it and are ignored, except `exp` and `nbf` when
//! they are NumericDates. `iat` as an RFC 3339 string (as in the W3C test suite) is accepted.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::keys::{sign_jws, W3cPublicKey, W3cSigner};
use super::model::{self, Credential, Presentation};
use super::W3cError;
use crate::jose::CompactJws;
use crate::keys::{Algorithm, SoftwareSigner};
use crate::sd_jwt::{
    process_disclosures, DisclosureFrame, KeyBindingJwt, SdAlg, SdJwt, SdJwtIssuer, SD_ALG,
};

/// Whether a document is a credential or a presentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    /// A verifiable credential (`vc`).
    Credential,
    /// A verifiable presentation (`vp`).
    Presentation,
}

impl DocKind {
    fn short(self) -> &'static str {
        match self {
            DocKind::Credential => "vc",
            DocKind::Presentation => "vp",
        }
    }
}

/// The JOSE securing format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoseFormat {
    /// `vc+jwt` / `vp+jwt`.
    Jwt,
    /// `vc+sd-jwt` / `vp+sd-jwt`.
    SdJwt,
}

/// The `typ` value for a kind and format (`vc+jwt`, `vp+sd-jwt`, ...).
pub fn typ(kind: DocKind, format: JoseFormat) -> String {
    match format {
        JoseFormat::Jwt => format!("{}+jwt", kind.short()),
        JoseFormat::SdJwt => format!("{}+sd-jwt", kind.short()),
    }
}

/// A verified, validated W3C document secured with JOSE.
#[derive(Clone, Debug)]
pub struct VerifiedJose {
    /// The protected header.
    pub header: Map<String, Value>,
    /// The JWS `alg` that verified.
    pub alg: String,
    /// The document (for SD-JWT: with the presented Disclosures in place).
    pub document: Value,
    /// The validated credential, for [`DocKind::Credential`].
    pub credential: Option<Credential>,
    /// The validated presentation, for [`DocKind::Presentation`].
    pub presentation: Option<Presentation>,
    /// A Key Binding JWT that came with an SD-JWT: NOT verified here; see
    /// [`verify_sd_jwt_with_key_binding`].
    pub kb_jwt: Option<String>,
}

fn base_header(kind: DocKind, format: JoseFormat) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("typ".into(), typ(kind, format).into());
    h.insert("cty".into(), kind.short().into());
    h
}

fn check_shape(doc: &Value, kind: DocKind) -> Result<(), W3cError> {
    match kind {
        DocKind::Credential => model::validate_credential_shape(doc).map(|_| ()),
        DocKind::Presentation => model::validate_presentation_shape(doc).map(|_| ()),
    }
}

/// Issues `doc` as `vc+jwt` / `vp+jwt` (header `typ`, `cty`, `alg`, `kid`).
pub fn issue_jwt(doc: &Value, kind: DocKind, signer: &dyn W3cSigner) -> Result<String, W3cError> {
    check_shape(doc, kind)?;
    let payload = serde_json::to_vec(doc).expect("JSON serializes");
    sign_jws(&base_header(kind, JoseFormat::Jwt), &payload, signer)
}

/// Converts a dotted path with indexes (`credentialSubject.phoneNumbers[0]`) to a JSON Pointer.
pub fn dotted_path_to_pointer(path: &str) -> String {
    let mut out = String::new();
    for seg in path.split('.') {
        let (name, idx) = match seg.find('[') {
            Some(i) => (&seg[..i], Some(&seg[i..])),
            None => (seg, None),
        };
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        if let Some(idx) = idx {
            for i in idx.split('[').filter(|s| !s.is_empty()) {
                out.push('/');
                out.push_str(i.trim_end_matches(']'));
            }
        }
    }
    out
}

/// Issues `doc` as `vc+sd-jwt` / `vp+sd-jwt`, making the claims at `pointers` (JSON Pointers)
/// selectively disclosable.
pub fn issue_sd_jwt(
    doc: &Value,
    kind: DocKind,
    signer: &dyn W3cSigner,
    pointers: &[&str],
) -> Result<SdJwt, W3cError> {
    check_shape(doc, kind)?;
    let claims = doc
        .as_object()
        .ok_or_else(|| W3cError::Malformed("the document is not an object".into()))?;
    let mut frame = DisclosureFrame::none();
    for p in pointers {
        frame = frame.pointer(p).map_err(W3cError::SdJwt)?;
    }
    // The SD-JWT layer builds the payload and Disclosures; the JWS is then made with the W3C
    // signer (which may be P-521, outside the core algorithm set).
    let (builder, _) =
        SoftwareSigner::generate(Algorithm::EdDsa).map_err(|e| W3cError::Key(e.to_string()))?;
    let draft = SdJwtIssuer::new(&builder)
        .issue(claims, &frame, &Map::new())
        .map_err(W3cError::SdJwt)?;
    let jws = sign_jws(
        &base_header(kind, JoseFormat::SdJwt),
        draft.jws().payload(),
        signer,
    )?;
    let jws = CompactJws::parse(&jws).map_err(W3cError::Jws)?;
    Ok(SdJwt::from_parts(jws, draft.disclosures().to_vec(), None))
}

fn media_type_matches(value: Option<&str>, expected: &str) -> bool {
    value.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v == expected || v.strip_prefix("application/") == Some(expected)
    })
}

fn check_media_types(
    header: &crate::jose::JwsHeader,
    kind: DocKind,
    format: JoseFormat,
) -> Result<(), W3cError> {
    let want = typ(kind, format);
    if !media_type_matches(header.typ(), &want) {
        return Err(W3cError::BadMediaType(format!(
            "typ is {:?}, expected \"{want}\"",
            header.typ()
        )));
    }
    if let Some(cty) = header.get("cty") {
        if !media_type_matches(cty.as_str(), kind.short()) {
            return Err(W3cError::BadMediaType(format!(
                "cty is {cty}, expected \"{}\"",
                kind.short()
            )));
        }
    }
    Ok(())
}

pub(crate) fn verify_jws(jws: &CompactJws, key: &W3cPublicKey) -> Result<String, W3cError> {
    let alg = jws
        .header()
        .alg()
        .ok_or(W3cError::Jws(crate::jose::JoseError::Malformed(
            "the header has no \"alg\"",
        )))?;
    if alg.eq_ignore_ascii_case("none") {
        return Err(W3cError::Jws(crate::jose::JoseError::AlgNone));
    }
    if jws.header().get("crit").is_some() {
        return Err(W3cError::Jws(crate::jose::JoseError::CritNotUnderstood(
            "crit".into(),
        )));
    }
    if alg != key.jose_alg() {
        return Err(W3cError::Jws(crate::jose::JoseError::AlgNotAllowed(
            alg.to_string(),
        )));
    }
    key.verify(alg, jws.signing_input(), jws.signature())?;
    Ok(alg.to_string())
}

pub(crate) fn check_jwt_times(
    claims: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<(), W3cError> {
    // RFC 7519 §2: a NumericDate is a JSON number, fractions allowed. (The VC-JOSE-COSE
    // specification's own examples carry `iat` as a date string inside the credential: a
    // member of the document, not a JWT time claim, so a non-number is not one.)
    let t = now.unix_timestamp() as f64;
    let time = |k: &'static str| -> Result<Option<f64>, W3cError> {
        Ok(claims.get(k).and_then(Value::as_f64))
    };
    if let Some(exp) = time("exp")? {
        if t > exp {
            return Err(W3cError::Expired(format!("exp {exp}")));
        }
    }
    if let Some(nbf) = time("nbf")? {
        if t < nbf {
            return Err(W3cError::NotYetValid(format!("nbf {nbf}")));
        }
    }
    // Issued in the future (beyond five minutes of clock skew): not yet valid.
    if let Some(iat) = time("iat")? {
        if iat > t + 300.0 {
            return Err(W3cError::NotYetValid(format!("iat {iat}")));
        }
    }
    Ok(())
}

fn finish(
    header: Map<String, Value>,
    alg: String,
    document: Map<String, Value>,
    kind: DocKind,
    now: OffsetDateTime,
    kb_jwt: Option<String>,
) -> Result<VerifiedJose, W3cError> {
    check_jwt_times(&document, now)?;
    let document = Value::Object(document);
    model::require_v2(&document)?;
    let (credential, presentation) = match kind {
        DocKind::Credential => (Some(model::validate_credential(&document, now)?), None),
        DocKind::Presentation => (None, Some(model::validate_presentation(&document, now)?)),
    };
    Ok(VerifiedJose {
        header,
        alg,
        document,
        credential,
        presentation,
        kb_jwt,
    })
}

/// Verifies a `vc+jwt` / `vp+jwt` with `key` and validates the document at `now`.
pub fn verify_jwt(
    text: &str,
    key: &W3cPublicKey,
    kind: DocKind,
    now: OffsetDateTime,
) -> Result<VerifiedJose, W3cError> {
    let jws = CompactJws::parse(text.trim()).map_err(W3cError::Jws)?;
    check_media_types(jws.header(), kind, JoseFormat::Jwt)?;
    let alg = verify_jws(&jws, key)?;
    let claims = jws.claims().map_err(W3cError::Jws)?;
    finish(jws.header().params().clone(), alg, claims, kind, now, None)
}

/// Verifies a `vc+sd-jwt` / `vp+sd-jwt` with `key`: media types, the issuer signature, every
/// Disclosure against the digests; then validates the processed document at `now`.
pub fn verify_sd_jwt(
    text: &str,
    key: &W3cPublicKey,
    kind: DocKind,
    now: OffsetDateTime,
) -> Result<VerifiedJose, W3cError> {
    let sd_jwt = SdJwt::parse(text.trim()).map_err(W3cError::SdJwt)?;
    let jws = sd_jwt.jws();
    check_media_types(jws.header(), kind, JoseFormat::SdJwt)?;
    let alg = verify_jws(jws, key)?;
    let payload = jws.claims().map_err(W3cError::Jws)?;
    let sd_alg = match payload.get(SD_ALG) {
        None => SdAlg::default(),
        Some(Value::String(s)) => SdAlg::from_name(s).ok_or_else(|| {
            W3cError::SdJwt(crate::sd_jwt::SdJwtError::UnsupportedSdAlg(s.clone()))
        })?,
        Some(_) => return Err(W3cError::Malformed("_sd_alg is not a string".into())),
    };
    let (claims, _) =
        process_disclosures(payload, sd_jwt.disclosures(), sd_alg).map_err(W3cError::SdJwt)?;
    finish(
        jws.header().params().clone(),
        alg,
        claims,
        kind,
        now,
        sd_jwt.kb_jwt().map(str::to_string),
    )
}

/// Verifies an enveloped credential (`data:application/vc+jwt,...`, `vc+sd-jwt`, or
/// `data:application/vc+cose;base64,...`) with `key`.
pub fn verify_enveloped_credential(
    envelope: &model::Enveloped,
    key: &W3cPublicKey,
    now: OffsetDateTime,
) -> Result<VerifiedJose, W3cError> {
    match envelope.media_type.as_str() {
        "application/vc+jwt" => verify_jwt(&envelope.data, key, DocKind::Credential, now),
        "application/vc+sd-jwt" => verify_sd_jwt(&envelope.data, key, DocKind::Credential, now),
        "application/vc+cose" => super::cose::verify_cose(
            &super::cose::enveloped_bytes(envelope)?,
            key,
            DocKind::Credential,
            now,
        ),
        other => Err(W3cError::InvalidEnvelope(format!(
            "media type {other} is not a secured credential"
        ))),
    }
}

/// What a verifier expects of the holder's Key Binding JWT on a `vc+sd-jwt` presentation.
#[derive(Clone, Copy, Debug)]
pub struct KeyBindingOptions<'a> {
    /// The expected `aud` (the verifier); unchecked when `None`.
    pub aud: Option<&'a str>,
    /// The expected `nonce`; unchecked when `None`.
    pub nonce: Option<&'a str>,
    /// How old `iat` may be, in seconds.
    pub max_age: i64,
    /// How far in the future `iat` may be, in seconds.
    pub future_skew: i64,
}

impl Default for KeyBindingOptions<'_> {
    fn default() -> Self {
        KeyBindingOptions {
            aud: None,
            nonce: None,
            max_age: 300,
            future_skew: 60,
        }
    }
}

/// Verifies a `vc+sd-jwt` presented with a Key Binding JWT (RFC 9901 section 4.3): everything
/// [`verify_sd_jwt`] checks, then a KB-JWT is required, signed by the credential's `cnf.jwk`,
/// with the expected `aud` / `nonce`, a fresh `iat` and the `sd_hash` of exactly what was
/// presented.
pub fn verify_sd_jwt_with_key_binding(
    text: &str,
    key: &W3cPublicKey,
    kind: DocKind,
    now: OffsetDateTime,
    kb: &KeyBindingOptions<'_>,
) -> Result<(VerifiedJose, KeyBindingJwt), W3cError> {
    let verified = verify_sd_jwt(text, key, kind, now)?;
    let kb_jwt = verified
        .kb_jwt
        .as_deref()
        .ok_or_else(|| W3cError::KeyBinding("no Key Binding JWT was presented".into()))?;
    let sd_jwt = SdJwt::parse(text.trim()).map_err(W3cError::SdJwt)?;
    let claims = verified
        .document
        .as_object()
        .ok_or_else(|| W3cError::Malformed("the document is not an object".into()))?;
    let holder = KeyBindingJwt::holder_key(claims)
        .map_err(|e| W3cError::KeyBinding(format!("no holder key: {e}")))?;
    let payload = sd_jwt.jws().claims().map_err(W3cError::Jws)?;
    let sd_alg = payload
        .get(SD_ALG)
        .and_then(Value::as_str)
        .and_then(SdAlg::from_name)
        .unwrap_or_default();
    let policy = crate::jose::JwsPolicy::default();
    let binding = KeyBindingJwt::verify(
        &sd_jwt,
        kb_jwt,
        &holder,
        sd_alg,
        &policy,
        kb.aud,
        kb.nonce,
        now.unix_timestamp(),
        kb.max_age,
        kb.future_skew,
    )
    .map_err(|e| W3cError::KeyBinding(format!("{} ({e})", e.code())))?;
    Ok((verified, binding))
}

/// The holder's side: keeps only the Disclosures under `pointers` and appends a Key Binding
/// JWT signed by `holder` (the key in the credential's `cnf.jwk`) for `aud` and `nonce`.
pub fn present_sd_jwt(
    text: &str,
    pointers: &[&str],
    holder: &dyn crate::keys::Signer,
    aud: &str,
    nonce: &str,
    iat: i64,
) -> Result<String, W3cError> {
    let sd_jwt = SdJwt::parse(text.trim()).map_err(W3cError::SdJwt)?;
    let payload = sd_jwt.jws().claims().map_err(W3cError::Jws)?;
    let sd_alg = payload
        .get(SD_ALG)
        .and_then(Value::as_str)
        .and_then(SdAlg::from_name)
        .unwrap_or_default();
    let presented = crate::sd_jwt::present(&sd_jwt, pointers).map_err(W3cError::SdJwt)?;
    KeyBindingJwt::attach(presented, holder, aud, nonce, iat, sd_alg)
        .map(|p| p.to_compact())
        .map_err(W3cError::SdJwt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7519 §2 / §4.1.4–§4.1.6: NumericDates may be fractional; an `iat` beyond the clock
    /// skew is not yet valid.
    #[test]
    fn jwt_time_claims_are_numbers_and_hold_at_the_clock() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let at = |v: serde_json::Value| v.as_object().unwrap().clone();
        let code = |v| check_jwt_times(&at(v), now).map_err(|e| e.code());
        assert_eq!(code(serde_json::json!({"exp": 1_800_000_100.5})), Ok(()));
        assert_eq!(
            code(serde_json::json!({"exp": 1_799_999_999.5})),
            Err("credential_expired")
        );
        // A date string is a document member (as the VC-JOSE-COSE examples' `iat`).
        assert_eq!(
            code(serde_json::json!({"iat": "2024-01-01T00:00:00Z"})),
            Ok(())
        );
        assert_eq!(
            code(serde_json::json!({"iat": 1_800_000_000 + 3600})),
            Err("credential_not_yet_valid")
        );
        assert_eq!(code(serde_json::json!({"iat": 1_800_000_000 + 60})), Ok(()));
    }

    #[test]
    fn dotted_paths() {
        assert_eq!(
            dotted_path_to_pointer("credentialSubject.phoneNumbers[0]"),
            "/credentialSubject/phoneNumbers/0"
        );
        assert_eq!(dotted_path_to_pointer("holder"), "/holder");
        assert_eq!(
            dotted_path_to_pointer("verifiableCredential[0]"),
            "/verifiableCredential/0"
        );
    }
}
