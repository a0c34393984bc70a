//! The Verifiable Credentials Data Model 2.0: validation of credentials and presentations.
//! Documents of the Data Model 1.1 (first context `https://www.w3.org/2018/credentials/v1`)
//! are validated by its rules when verified (`issuanceDate` required, `expirationDate`,
//! VC-JWT 1.1 strings in a presentation); issuance ([`validate_credential_shape`]) is 2.0 only.
//!
//! Validation is structural (no JSON-LD processing): `@context` must start with the VC 2.0
//! base context, `type` must include `VerifiableCredential` (or `VerifiablePresentation`),
//! `issuer` is a URL or an object with a URL `id`, `credentialSubject` is an object (or a
//! non-empty array of objects), `validFrom` / `validUntil` are XML Schema `dateTimeStamp`s
//! checked against the caller's clock, and `credentialStatus` entries have a `type`.
//! Enveloped credentials and presentations carry a `data:` URL with a VC-JOSE-COSE media type.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{W3cError, CREDENTIALS_V1_CONTEXT, CREDENTIALS_V2_CONTEXT};

/// Media types an `EnvelopedVerifiableCredential` may carry.
pub const CREDENTIAL_MEDIA_TYPES: &[&str] = &[
    "application/vc+jwt",
    "application/vc+sd-jwt",
    "application/vc+cose",
    "application/vc",
];
/// Media types an `EnvelopedVerifiablePresentation` may carry.
pub const PRESENTATION_MEDIA_TYPES: &[&str] = &[
    "application/vp+jwt",
    "application/vp+sd-jwt",
    "application/vp+cose",
    "application/vp",
];

/// Which Verifiable Credentials Data Model a document follows (its first `@context`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// VC Data Model 1.1 (`https://www.w3.org/2018/credentials/v1`): verified, never issued.
    V1_1,
    /// VC Data Model 2.0 (`https://www.w3.org/ns/credentials/v2`).
    V2,
}

/// A validated credential: the JSON document and what validation established.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The data model the document follows.
    pub version: Version,
    /// The credential document as validated.
    pub document: Map<String, Value>,
    /// The issuer URL (`issuer` or `issuer.id`).
    pub issuer: String,
    /// Every `type` value.
    pub types: Vec<String>,
    /// `validFrom` (1.1: `issuanceDate`), if present.
    pub valid_from: Option<OffsetDateTime>,
    /// `validUntil` (1.1: `expirationDate`), if present.
    pub valid_until: Option<OffsetDateTime>,
    /// Every `credentialStatus` entry.
    pub status: Vec<Map<String, Value>>,
}

/// A validated presentation.
#[derive(Clone, Debug)]
pub struct Presentation {
    /// The presentation document as validated.
    pub document: Map<String, Value>,
    /// The `holder` URL, if present.
    pub holder: Option<String>,
    /// Embedded credentials, each validated (structure only for enveloped ones).
    pub credentials: Vec<EmbeddedCredential>,
}

/// A credential inside a presentation.
#[derive(Clone, Debug)]
pub enum EmbeddedCredential {
    /// An `EnvelopedVerifiableCredential` (still secured; verify it separately).
    Enveloped(Enveloped),
    /// A credential in the clear (as secured by e.g. Data Integrity).
    Plain(Box<Credential>),
}

/// The content of an enveloped credential or presentation: its media type and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enveloped {
    /// The `data:` URL media type (e.g. `application/vc+jwt`).
    pub media_type: String,
    /// The data after the comma, as received (base64 text when [`Enveloped::base64`]).
    pub data: String,
    /// Whether the `data:` URL says `;base64` (required for the binary `+cose` types).
    pub base64: bool,
}

/// Parses an XML Schema `dateTimeStamp` (a date-time with a mandatory time zone).
pub fn parse_date_time_stamp(field: &'static str, v: &Value) -> Result<OffsetDateTime, W3cError> {
    let bad = || W3cError::InvalidDate {
        field,
        value: v.to_string(),
    };
    let s = v.as_str().ok_or_else(bad)?;
    // RFC 3339 requires the offset; lower-case t/z are allowed by RFC 3339 but not by XSD.
    if s.contains('t') || s.contains('z') {
        return Err(bad());
    }
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| bad())
}

/// A VC 1.1 `dateTime` (`issuanceDate`, `expirationDate`): a `dateTimeStamp`, or a date-time
/// without a time zone, read as UTC (XML Schema `dateTime` allows it; 1.1 credentials in the
/// field carry both).
fn parse_date_time_v11(field: &'static str, v: &Value) -> Result<OffsetDateTime, W3cError> {
    parse_date_time_stamp(field, v).or_else(|e| {
        let s = v.as_str().ok_or(e.clone())?;
        if s.len() < 19 || s.contains(['t', 'z']) || s[10..].contains(['+', '-', 'Z']) {
            return Err(e);
        }
        OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).map_err(|_| e)
    })
}

fn check_context(doc: &Map<String, Value>) -> Result<Version, W3cError> {
    let first = match doc.get("@context") {
        Some(Value::Array(a)) => a.first(),
        Some(v @ Value::String(_)) => Some(v),
        Some(_) => {
            return Err(W3cError::InvalidContext(
                "@context is not an array or string".into(),
            ))
        }
        None => return Err(W3cError::InvalidContext("@context is missing".into())),
    };
    match first.and_then(Value::as_str) {
        Some(CREDENTIALS_V2_CONTEXT) => Ok(Version::V2),
        Some(CREDENTIALS_V1_CONTEXT) => Ok(Version::V1_1),
        other => Err(W3cError::InvalidContext(format!(
            "the first entry is {other:?}, not {CREDENTIALS_V2_CONTEXT} (or, for VC 1.1, {CREDENTIALS_V1_CONTEXT})"
        ))),
    }
}

/// The terms the VC 2.0 base context defines (all `@protected`), its type-scoped contexts'
/// (`VerifiableCredential`'s `issuer`, `credentialSubject`, ...) included: an inline context
/// may not redefine them. Read from the bundled context itself, so the list cannot drift.
fn protected_terms() -> &'static std::collections::BTreeSet<String> {
    static TERMS: std::sync::OnceLock<std::collections::BTreeSet<String>> =
        std::sync::OnceLock::new();
    TERMS.get_or_init(|| {
        serde_json::from_str::<Value>(include_str!("contexts/credentials-v2.jsonld"))
            .ok()
            .and_then(|v| v.get("@context").and_then(Value::as_object).cloned())
            .map(|c| {
                let scoped = c
                    .values()
                    .filter_map(|d| d.get("@context").and_then(Value::as_object))
                    .flat_map(|s| s.keys());
                c.keys()
                    .chain(scoped)
                    .filter(|k| !k.starts_with('@'))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// JSON-LD well-formedness that holds whatever securing mechanism carries the document (the
/// RDFC suites expand it in full; VC-JOSE-COSE and the JCS suites do not): every `@context`
/// entry is an absolute URL or an object; an inline context does not redefine a term the VC
/// 2.0 context protects (JSON-LD 1.1 §4.1.11); every value object (`@value`) has only value
/// object keywords, a scalar `@value`, a well-formed BCP 47 `@language` and an `@direction`
/// of `ltr` or `rtl` (JSON-LD 1.1 §4.2.4).
fn check_json_ld(doc: &Map<String, Value>) -> Result<(), W3cError> {
    let entries: Vec<&Value> = match doc.get("@context") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for e in entries {
        match e {
            Value::String(s) if is_url(s) => {}
            Value::Object(o) => {
                if let Some(t) = o.keys().find(|k| protected_terms().contains(*k)) {
                    return Err(W3cError::InvalidContext(format!(
                        "an inline context redefines the protected term {t:?}"
                    )));
                }
            }
            other => {
                return Err(W3cError::InvalidContext(format!(
                    "a context entry is neither an absolute URL nor an object: {other}"
                )))
            }
        }
    }
    let mut stack: Vec<&Value> = doc.values().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) if o.contains_key("@value") => check_value_object(o)?,
            Value::Object(o) => {
                stack.extend(o.iter().filter(|(k, _)| *k != "@context").map(|(_, v)| v))
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    Ok(())
}

fn check_value_object(o: &Map<String, Value>) -> Result<(), W3cError> {
    let bad = |why: String| W3cError::JsonLd(format!("a value object {why}"));
    if let Some(k) = o.keys().find(|k| {
        !matches!(
            k.as_str(),
            "@value" | "@language" | "@direction" | "@type" | "@index"
        )
    }) {
        return Err(bad(format!("has the member {k:?}")));
    }
    if matches!(o.get("@value"), Some(Value::Object(_) | Value::Array(_)))
        && o.get("@type") != Some(&Value::String("@json".into()))
    {
        return Err(bad("has a @value that is not a scalar".into()));
    }
    if let Some(lang) = o.get("@language") {
        let ok = lang.as_str().is_some_and(|l| {
            let mut parts = l.split('-');
            parts.next().is_some_and(|p| {
                (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic())
            }) && parts
                .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        });
        if !ok || o.contains_key("@type") {
            return Err(bad(format!("has a malformed @language {lang}")));
        }
    }
    if let Some(d) = o.get("@direction") {
        if !matches!(d.as_str(), Some("ltr" | "rtl")) {
            return Err(bad(format!("has an @direction {d} (ltr or rtl)")));
        }
    }
    Ok(())
}

fn types(doc: &Map<String, Value>) -> Result<Vec<String>, W3cError> {
    match doc.get("type") {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| W3cError::InvalidType("a type is not a string".into()))
            })
            .collect(),
        _ => Err(W3cError::InvalidType("type is missing".into())),
    }
}

fn is_url(s: &str) -> bool {
    url::Url::parse(s).is_ok()
}

/// The objects of a property that is one object or a list of them.
fn objects<'a>(
    doc: &'a Map<String, Value>,
    property: &'static str,
) -> Result<Vec<&'a Map<String, Value>>, W3cError> {
    let bad = |reason: &str| W3cError::InvalidProperty {
        property,
        reason: reason.into(),
    };
    match doc.get(property) {
        None => Ok(Vec::new()),
        Some(Value::Object(o)) => Ok(vec![o]),
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| {
                v.as_object()
                    .ok_or_else(|| bad("an entry is not an object"))
            })
            .collect(),
        Some(Value::Array(_)) => Err(bad("an empty list")),
        Some(_) => Err(bad("not an object or a list of objects")),
    }
}

fn has_type(o: &Map<String, Value>) -> bool {
    match o.get("type") {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => {
            !a.is_empty() && a.iter().all(|t| t.as_str().is_some_and(|s| !s.is_empty()))
        }
        _ => false,
    }
}

/// The rules VC Data Model 2.0 §4 gives the properties that extend a credential or a
/// presentation:
///
/// - §5.5 `credentialSchema`: each MUST specify its `type` and an `id` that is a URL;
/// - §5.6 `refreshService`, §5.7 `termsOfUse`, §5.8 `evidence`: each MUST specify its `type`
///   (`id`, when present, a URL);
/// - §5.3 `relatedResource`: each MUST have an `id` URL (unique in the list) and at least one
///   of `digestSRI` / `digestMultibase`.
fn check_extension_properties(doc: &Map<String, Value>) -> Result<(), W3cError> {
    for property in [
        "credentialSchema",
        "refreshService",
        "termsOfUse",
        "evidence",
    ] {
        for o in objects(doc, property)? {
            if !has_type(o) {
                return Err(W3cError::InvalidProperty {
                    property,
                    reason: "an entry does not specify its type".into(),
                });
            }
            let id_ok = o.get("id").map(|v| v.as_str().is_some_and(is_url));
            if id_ok == Some(false) || (property == "credentialSchema" && id_ok.is_none()) {
                return Err(W3cError::InvalidProperty {
                    property,
                    reason: "an entry's id is missing or not a URL".into(),
                });
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for o in objects(doc, "relatedResource")? {
        let bad = |reason: &str| W3cError::InvalidProperty {
            property: "relatedResource",
            reason: reason.into(),
        };
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| is_url(s))
            .ok_or_else(|| bad("an entry has no id URL"))?;
        if !seen.insert(id) {
            return Err(bad("two entries have the same id"));
        }
        let digest = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        if !digest("digestSRI") && !digest("digestMultibase") {
            return Err(bad("an entry has neither digestSRI nor digestMultibase"));
        }
    }
    Ok(())
}

/// Validates `value` as a VC 2.0 credential at time `now`.
pub fn validate_credential(value: &Value, now: OffsetDateTime) -> Result<Credential, W3cError> {
    validate_credential_inner(value, Some(now))
}

/// Validates the structure of a credential only (no clock): what an issuer checks before signing.
pub fn validate_credential_shape(value: &Value) -> Result<Credential, W3cError> {
    validate_credential_inner(value, None)
}

fn validate_credential_inner(
    value: &Value,
    now: Option<OffsetDateTime>,
) -> Result<Credential, W3cError> {
    let doc = value
        .as_object()
        .ok_or_else(|| W3cError::Malformed("a credential is a JSON object".into()))?;
    let version = check_context(doc)?;
    if version == Version::V1_1 && now.is_none() {
        return Err(W3cError::InvalidContext(
            "credentials are issued in the VC Data Model 2.0; 1.1 is only verified".into(),
        ));
    }
    if version == Version::V2 {
        check_json_ld(doc)?;
    }
    let types = types(doc)?;
    if !types.iter().any(|t| t == "VerifiableCredential") {
        return Err(W3cError::InvalidType(
            "type does not include VerifiableCredential".into(),
        ));
    }
    if let Some(id) = doc.get("id") {
        if !id.as_str().is_some_and(is_url) {
            return Err(W3cError::Malformed("id is not a URL".into()));
        }
    }
    let issuer = match doc.get("issuer") {
        Some(Value::String(s)) if is_url(s) => s.clone(),
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(s) if is_url(s) => s.to_string(),
            _ => {
                return Err(W3cError::InvalidIssuer(
                    "the issuer object has no URL id".into(),
                ))
            }
        },
        Some(_) => return Err(W3cError::InvalidIssuer("issuer is not a URL".into())),
        None => return Err(W3cError::InvalidIssuer("issuer is missing".into())),
    };
    // §4.8: each credentialSubject object is the subject of one or more claims (an `id`
    // alone makes no claim about it... but identifies it: at least one property).
    let subject_ok = |v: &Value| v.as_object().is_some_and(|o| !o.is_empty());
    match doc.get("credentialSubject") {
        Some(v @ Value::Object(_)) if subject_ok(v) => {}
        Some(Value::Array(a)) if !a.is_empty() && a.iter().all(subject_ok) => {}
        Some(_) => {
            return Err(W3cError::InvalidSubject(
                "not a non-empty object or a non-empty array of non-empty objects".into(),
            ))
        }
        None => {
            return Err(W3cError::InvalidSubject(
                "credentialSubject is missing".into(),
            ))
        }
    }
    check_extension_properties(doc)?;
    let (valid_from, valid_until) = match version {
        Version::V2 => (
            doc.get("validFrom")
                .map(|v| parse_date_time_stamp("validFrom", v))
                .transpose()?,
            doc.get("validUntil")
                .map(|v| parse_date_time_stamp("validUntil", v))
                .transpose()?,
        ),
        // VC 1.1 §4.6 / §4.7: issuanceDate is required, expirationDate optional.
        Version::V1_1 => (
            Some(parse_date_time_v11(
                "issuanceDate",
                doc.get("issuanceDate")
                    .ok_or_else(|| W3cError::InvalidDate {
                        field: "issuanceDate",
                        value: "missing (required in VC 1.1)".into(),
                    })?,
            )?),
            doc.get("expirationDate")
                .map(|v| parse_date_time_v11("expirationDate", v))
                .transpose()?,
        ),
    };
    if let Some(now) = now {
        check_window(valid_from, valid_until, now)?;
    }
    let status = match doc.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Object(o)) => vec![o.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|e| {
                e.as_object()
                    .cloned()
                    .ok_or_else(|| W3cError::InvalidStatus("an entry is not an object".into()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(W3cError::InvalidStatus("not an object or array".into())),
    };
    for s in &status {
        if !s.get("type").is_some_and(|t| t.is_string() || t.is_array()) {
            return Err(W3cError::InvalidStatus("an entry has no type".into()));
        }
        if let Some(id) = s.get("id") {
            if !id.as_str().is_some_and(is_url) {
                return Err(W3cError::InvalidStatus("an entry id is not a URL".into()));
            }
        }
    }
    Ok(Credential {
        version,
        document: doc.clone(),
        issuer,
        types,
        valid_from,
        valid_until,
        status,
    })
}

/// VC-JOSE-COSE secures VC 2.0 documents only (a VC 1.1 document is secured by the VC-JWT
/// 1.1 encoding or Data Integrity): `invalid_context` for a 1.1 one.
pub fn require_v2(document: &Value) -> Result<(), W3cError> {
    match document.as_object().map(check_context) {
        Some(Ok(Version::V1_1)) => Err(W3cError::InvalidContext(
            "VC-JOSE-COSE secures VC 2.0 documents; a VC 1.1 document is a VC-JWT 1.1 or carries a Data Integrity proof".into(),
        )),
        _ => Ok(()),
    }
}

/// Checks a validity window against `now`.
pub fn check_window(
    valid_from: Option<OffsetDateTime>,
    valid_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), W3cError> {
    let fmt = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    if let Some(from) = valid_from {
        if now < from {
            return Err(W3cError::NotYetValid(fmt(from)));
        }
    }
    if let Some(until) = valid_until {
        if now > until {
            return Err(W3cError::Expired(fmt(until)));
        }
    }
    Ok(())
}

/// Parses an `EnvelopedVerifiableCredential` / `EnvelopedVerifiablePresentation` object.
pub fn parse_enveloped(value: &Value, presentation: bool) -> Result<Enveloped, W3cError> {
    let (want_type, allowed) = if presentation {
        ("EnvelopedVerifiablePresentation", PRESENTATION_MEDIA_TYPES)
    } else {
        ("EnvelopedVerifiableCredential", CREDENTIAL_MEDIA_TYPES)
    };
    let doc = value
        .as_object()
        .ok_or_else(|| W3cError::InvalidEnvelope("not an object".into()))?;
    check_context(doc).map_err(|e| W3cError::InvalidEnvelope(e.to_string()))?;
    let types = types(doc).map_err(|e| W3cError::InvalidEnvelope(e.to_string()))?;
    if !types.iter().any(|t| t == want_type) {
        return Err(W3cError::InvalidEnvelope(format!(
            "type is not {want_type}"
        )));
    }
    let id = doc
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| W3cError::InvalidEnvelope("id is missing".into()))?;
    parse_data_url(id, allowed)
}

/// Parses a `data:` URL whose media type is one of `allowed` (parameters are ignored).
pub fn parse_data_url(url: &str, allowed: &[&str]) -> Result<Enveloped, W3cError> {
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| W3cError::InvalidEnvelope("id is not a data: URL".into()))?;
    let (meta, data) = rest
        .split_once(',')
        .ok_or_else(|| W3cError::InvalidEnvelope("the data: URL has no comma".into()))?;
    let mut params = meta.split(';');
    let media_type = params.next().unwrap_or_default().to_ascii_lowercase();
    let base64 = params.any(|p| p.eq_ignore_ascii_case("base64"));
    // COSE is binary and travels base64; the JOSE forms are text and never do.
    if base64 != media_type.ends_with("+cose") {
        return Err(W3cError::InvalidEnvelope(format!(
            "{media_type} data: URLs {} base64",
            if base64 { "are not" } else { "must be" }
        )));
    }
    if !allowed.contains(&media_type.as_str()) {
        return Err(W3cError::InvalidEnvelope(format!(
            "media type \"{media_type}\" is not one of {allowed:?}"
        )));
    }
    if data.is_empty() {
        return Err(W3cError::InvalidEnvelope("the data: URL is empty".into()));
    }
    Ok(Enveloped {
        media_type,
        data: data.to_string(),
        base64,
    })
}

/// Builds the `EnvelopedVerifiableCredential` object for a secured credential.
pub fn envelope_credential(media_type: &str, data: &str) -> Value {
    serde_json::json!({
        "@context": CREDENTIALS_V2_CONTEXT,
        "id": format!("data:{media_type},{data}"),
        "type": "EnvelopedVerifiableCredential",
    })
}

/// Validates `value` as a VC 2.0 presentation; embedded credentials in the clear are
/// validated at `now`, enveloped ones structurally (their securing is checked separately).
pub fn validate_presentation(value: &Value, now: OffsetDateTime) -> Result<Presentation, W3cError> {
    validate_presentation_inner(value, Some(now))
}

/// Validates the structure of a presentation only (no clock).
pub fn validate_presentation_shape(value: &Value) -> Result<Presentation, W3cError> {
    validate_presentation_inner(value, None)
}

fn validate_presentation_inner(
    value: &Value,
    now: Option<OffsetDateTime>,
) -> Result<Presentation, W3cError> {
    let doc = value
        .as_object()
        .ok_or_else(|| W3cError::Malformed("a presentation is a JSON object".into()))?;
    let version = check_context(doc)?;
    if version == Version::V1_1 && now.is_none() {
        return Err(W3cError::InvalidContext(
            "presentations are made in the VC Data Model 2.0; 1.1 is only verified".into(),
        ));
    }
    if version == Version::V2 {
        check_json_ld(doc)?;
    }
    let types = types(doc)?;
    if !types.iter().any(|t| t == "VerifiablePresentation") {
        return Err(W3cError::InvalidType(
            "type does not include VerifiablePresentation".into(),
        ));
    }
    let holder = match doc.get("holder") {
        None => None,
        Some(Value::String(s)) if is_url(s) => Some(s.clone()),
        Some(Value::Object(o)) => match o.get("id").and_then(Value::as_str) {
            Some(s) if is_url(s) => Some(s.to_string()),
            _ => return Err(W3cError::Malformed("holder has no URL id".into())),
        },
        Some(_) => return Err(W3cError::Malformed("holder is not a URL".into())),
    };
    check_extension_properties(doc)?;
    let list: Vec<&Value> = match doc.get("verifiableCredential") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        Some(_) => {
            return Err(W3cError::Malformed(
                "verifiableCredential is not an object or array".into(),
            ))
        }
    };
    let mut credentials = Vec::with_capacity(list.len());
    for c in list {
        // VC 1.1 §6.3.1: a JWT presentation lists its credentials as VC-JWT 1.1 strings.
        if let (Version::V1_1, Value::String(jwt)) = (version, c) {
            credentials.push(EmbeddedCredential::Enveloped(Enveloped {
                media_type: "application/jwt".into(),
                data: jwt.clone(),
                base64: false,
            }));
            continue;
        }
        let is_envelope = c
            .get("type")
            .map(|t| match t {
                Value::String(s) => s == "EnvelopedVerifiableCredential",
                Value::Array(a) => a.iter().any(|x| x == "EnvelopedVerifiableCredential"),
                _ => false,
            })
            .unwrap_or(false);
        if is_envelope {
            credentials.push(EmbeddedCredential::Enveloped(parse_enveloped(c, false)?));
        } else {
            credentials.push(EmbeddedCredential::Plain(Box::new(
                validate_credential_inner(c, now)?,
            )));
        }
    }
    Ok(Presentation {
        document: doc.clone(),
        holder,
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn vc() -> Value {
        json!({
            "@context": [CREDENTIALS_V2_CONTEXT],
            "type": ["VerifiableCredential"],
            "issuer": {"id": "did:example:issuer", "name": "Example"},
            "validFrom": "2024-01-01T00:00:00Z",
            "validUntil": "2030-01-01T00:00:00+01:00",
            "credentialSubject": {"id": "did:example:subject"}
        })
    }

    #[test]
    fn valid_credential_passes() {
        let c = validate_credential(&vc(), datetime!(2025-01-01 0:00 UTC)).unwrap();
        assert_eq!(c.issuer, "did:example:issuer");
        assert!(c.valid_until.is_some());
    }

    /// VC 1.1 §4.6–§4.7: `issuanceDate` (required) and `expirationDate` are the validity
    /// window of a 1.1 credential, which is verified but never issued.
    #[test]
    fn vc_1_1_dates_are_the_window_and_1_1_is_never_issued() {
        let mut doc = vc();
        let o = doc.as_object_mut().unwrap();
        o.insert(
            "@context".into(),
            json!(["https://www.w3.org/2018/credentials/v1"]),
        );
        o.remove("validFrom");
        o.remove("validUntil");
        o.insert("issuanceDate".into(), json!("2024-01-01T00:00:00Z"));
        o.insert("expirationDate".into(), json!("2024-06-01T00:00:00"));
        let c = validate_credential(&doc, datetime!(2024-03-01 0:00 UTC)).unwrap();
        assert_eq!(c.version, Version::V1_1);
        assert_eq!(c.valid_until, Some(datetime!(2024-06-01 0:00 UTC)));
        assert_eq!(
            validate_credential(&doc, datetime!(2025-01-01 0:00 UTC))
                .unwrap_err()
                .code(),
            "credential_expired"
        );
        assert_eq!(
            validate_credential_shape(&doc).unwrap_err().code(),
            "invalid_context"
        );
    }

    #[test]
    fn each_rule_has_its_code() {
        let now = datetime!(2025-01-01 0:00 UTC);
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "/@context/0",
                json!("https://example.com/not-a-vc-context"),
                "invalid_context",
            ),
            // VC 1.1 documents follow 1.1's rules: issuanceDate is required.
            (
                "/@context/0",
                json!("https://www.w3.org/2018/credentials/v1"),
                "invalid_date",
            ),
            ("/type", json!(["Foo"]), "invalid_type"),
            ("/issuer", json!("not a url"), "invalid_issuer"),
            (
                "/credentialSubject",
                json!("x"),
                "invalid_credential_subject",
            ),
            ("/validFrom", json!("2024-01-01T00:00:00"), "invalid_date"),
            (
                "/validFrom",
                json!("2026-01-01T00:00:00Z"),
                "credential_not_yet_valid",
            ),
            (
                "/validUntil",
                json!("2024-06-01T00:00:00Z"),
                "credential_expired",
            ),
        ];
        for (ptr, v, code) in cases {
            let mut doc = vc();
            *doc.pointer_mut(ptr).unwrap() = v;
            assert_eq!(
                validate_credential(&doc, now).unwrap_err().code(),
                code,
                "{ptr}"
            );
        }
        let mut doc = vc();
        doc["credentialStatus"] = json!({"id": "https://example.com/status/1#5"});
        assert_eq!(
            validate_credential(&doc, now).unwrap_err().code(),
            "invalid_credential_status"
        );
    }

    #[test]
    fn enveloped_credentials() {
        let env = envelope_credential("application/vc+jwt", "a.b.c");
        let e = parse_enveloped(&env, false).unwrap();
        assert_eq!(e.media_type, "application/vc+jwt");
        assert_eq!(e.data, "a.b.c");
        let bad = json!({"@context": CREDENTIALS_V2_CONTEXT, "id": "bad-credential",
                         "type": "EnvelopedVerifiableCredential"});
        assert_eq!(
            parse_enveloped(&bad, false).unwrap_err().code(),
            "invalid_enveloped_credential"
        );
        let wrong = envelope_credential("text/plain", "x");
        assert!(parse_enveloped(&wrong, false).is_err());
    }
}
