//! One entry point per direction over every W3C securing mechanism: [`issue`] a credential or
//! presentation as `vc+jwt`, `vc+sd-jwt`, `vc+cose` or with a Data Integrity proof, and
//! [`verify`] whatever arrives (format detected from the bytes) into a
//! [`VerificationReport`]: named checks in order (`parse`, `issuer_signature`, `validity`,
//! `key_binding`, `status`, then each embedded credential of a presentation), the first
//! failure's typed code, and the claims only when every check passed.
//!
//! Keys: the caller may pin the issuer key; otherwise it is resolved from the DID URL in the
//! proof's `verificationMethod`, the JOSE / COSE `kid` (absolute, or `#fragment` of the
//! issuer), or the issuer's `did:key` / `did:jwk`. Status: Bitstring Status List entries are
//! checked through the caller's [`StatusResolver`]; without one, the report carries a warning
//! (`status not checked`), and a resolver error is `status_unknown`, never `revoked`.

use base64::Engine as _;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::binding::{self, ProvenKey};
use super::cose;
use super::data_integrity::{self as di, Cryptosuite, ProofOptions};
use super::jose::{self, DocKind, KeyBindingOptions};
use super::jwt_v11;
use super::model::{self, EmbeddedCredential};
use super::{W3cError, W3cPublicKey, W3cSigner};
use crate::did::{self, DidWebResolver};
use crate::keys::Signer;
use crate::report::{CheckLog, CheckName, ReportError, VerificationReport};
use crate::status::bitstring_status_list::{BitstringStatusListEntry, StatusPurpose};

/// How a credential or presentation is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Securing {
    /// VC-JOSE-COSE `vc+jwt` / `vp+jwt`.
    Jwt,
    /// VC-JOSE-COSE `vc+sd-jwt` / `vp+sd-jwt`.
    SdJwt,
    /// VC-JOSE-COSE `vc+cose` / `vp+cose`.
    Cose,
    /// An embedded Data Integrity proof with this cryptosuite.
    DataIntegrity(Cryptosuite),
}

impl Securing {
    /// `vc+jwt`, `vp+sd-jwt`, `vc+cose`, or the cryptosuite name.
    pub fn name(self, kind: DocKind) -> String {
        let short = match kind {
            DocKind::Credential => "vc",
            DocKind::Presentation => "vp",
        };
        match self {
            Securing::Jwt => format!("{short}+jwt"),
            Securing::SdJwt => format!("{short}+sd-jwt"),
            Securing::Cose => format!("{short}+cose"),
            Securing::DataIntegrity(s) => s.name().to_string(),
        }
    }

    /// Parses `vc+jwt` / `jwt`, `vc+sd-jwt` / `sd-jwt`, `vc+cose` / `cose` (the `vp+` forms
    /// too) or a cryptosuite name.
    pub fn from_name(name: &str) -> Option<Self> {
        let bare = name
            .strip_prefix("vc+")
            .or_else(|| name.strip_prefix("vp+"))
            .unwrap_or(name);
        match bare {
            "jwt" => Some(Securing::Jwt),
            "sd-jwt" => Some(Securing::SdJwt),
            "cose" => Some(Securing::Cose),
            other => Cryptosuite::from_name(other).map(Securing::DataIntegrity),
        }
    }
}

/// How to issue.
#[derive(Clone, Debug)]
pub struct IssueOptions {
    /// The securing mechanism.
    pub securing: Securing,
    /// Credential or presentation.
    pub kind: DocKind,
    /// Data Integrity `verificationMethod`; defaults to the signer's `did:key` method.
    pub verification_method: Option<String>,
    /// Data Integrity `proofPurpose`; defaults to `assertionMethod` (credentials) or
    /// `authentication` (presentations).
    pub proof_purpose: Option<String>,
    /// Data Integrity `challenge` / `domain` (presentations).
    pub challenge: Option<String>,
    /// Data Integrity `domain`.
    pub domain: Option<String>,
    /// `vc+sd-jwt`: JSON Pointers of the claims made selectively disclosable.
    pub disclosable: Vec<String>,
}

impl IssueOptions {
    /// Defaults for `securing` and `kind`.
    pub fn new(securing: Securing, kind: DocKind) -> Self {
        IssueOptions {
            securing,
            kind,
            verification_method: None,
            proof_purpose: None,
            challenge: None,
            domain: None,
            disclosable: Vec::new(),
        }
    }
}

/// A secured credential or presentation.
#[derive(Clone, Debug, PartialEq)]
pub enum Secured {
    /// A compact JWS or SD-JWT.
    Compact(String),
    /// Tagged COSE_Sign1 bytes.
    Cose(Vec<u8>),
    /// The document with its Data Integrity proof.
    Document(Value),
}

impl Secured {
    /// The bytes to store or send (COSE raw, the others as UTF-8 text).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Secured::Compact(s) => s.clone().into_bytes(),
            Secured::Cose(b) => b.clone(),
            Secured::Document(v) => serde_json::to_vec_pretty(v).unwrap_or_default(),
        }
    }
}

fn purpose_for(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Credential => "assertionMethod",
        DocKind::Presentation => "authentication",
    }
}

/// A core [`Signer`] seen as a [`W3cSigner`].
struct Core<'a>(&'a dyn Signer);

impl W3cSigner for Core<'_> {
    fn jose_alg(&self) -> &'static str {
        self.0.algorithm().jose_name()
    }
    fn cose_alg(&self) -> i64 {
        self.0.algorithm().cose_id()
    }
    fn kid(&self) -> Option<String> {
        self.0.key_id().map(str::to_string)
    }
    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, W3cError> {
        self.0
            .sign(message)
            .map_err(|e| W3cError::Key(e.to_string()))
    }
    fn public(&self) -> W3cPublicKey {
        W3cPublicKey::Core(self.0.public_key().clone())
    }
}

/// Issues `document` as `opts` says, signed by `signer`, at time `now`.
pub fn issue(
    document: &Value,
    opts: &IssueOptions,
    signer: &dyn Signer,
    now: OffsetDateTime,
) -> Result<Secured, W3cError> {
    let w3c_signer = Core(signer);
    let signer_w3c: &dyn W3cSigner = &w3c_signer;
    match opts.securing {
        Securing::Jwt => jose::issue_jwt(document, opts.kind, signer_w3c).map(Secured::Compact),
        Securing::SdJwt => {
            let ptrs: Vec<&str> = opts.disclosable.iter().map(String::as_str).collect();
            jose::issue_sd_jwt(document, opts.kind, signer_w3c, &ptrs)
                .map(|s| Secured::Compact(s.to_compact()))
        }
        Securing::Cose => cose::issue_cose(document, opts.kind, signer_w3c).map(Secured::Cose),
        Securing::DataIntegrity(suite) => {
            match opts.kind {
                DocKind::Credential => model::validate_credential_shape(document).map(|_| ())?,
                DocKind::Presentation => {
                    model::validate_presentation_shape(document).map(|_| ())?
                }
            }
            let created = now
                .replace_nanosecond(0)
                .unwrap_or(now)
                .format(&Rfc3339)
                .map_err(|e| W3cError::Malformed(format!("clock: {e}")))?;
            let proof = ProofOptions {
                verification_method: opts
                    .verification_method
                    .clone()
                    .unwrap_or_else(|| did::did_key_vm(signer.public_key())),
                proof_purpose: opts
                    .proof_purpose
                    .clone()
                    .unwrap_or_else(|| purpose_for(opts.kind).to_string()),
                created,
                expires: None,
                challenge: opts.challenge.clone(),
                domain: opts.domain.clone(),
            };
            di::add_proof_with(document, signer, &proof, suite).map(Secured::Document)
        }
    }
}

/// Fetches status list credentials (Bitstring Status List) by URL.
pub trait StatusResolver {
    /// The status list credential at `url`, already verified by the resolver (e.g. with
    /// [`verify`]); an `Err` makes the check `status_unknown`.
    fn status_list_credential(&self, url: &str) -> Result<Value, String>;
}

/// What the verifier expects.
#[derive(Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// The verifier's clock.
    pub now: OffsetDateTime,
    /// Credential or presentation.
    pub kind: DocKind,
    /// The issuer (or holder) key, when the caller knows it; else resolved from DIDs.
    pub key: Option<&'a W3cPublicKey>,
    /// Resolver for `did:web`.
    pub did_web: Option<&'a dyn DidWebResolver>,
    /// Resolver for status list credentials.
    pub status: Option<&'a dyn StatusResolver>,
    /// The proof purpose required of a Data Integrity proof (default by kind).
    pub proof_purpose: Option<&'a str>,
    /// The Data Integrity `challenge` required (presentations).
    pub challenge: Option<&'a str>,
    /// The Data Integrity `domain` required (presentations).
    pub domain: Option<&'a str>,
    /// Require a Key Binding JWT on `vc+sd-jwt` with these expectations.
    pub key_binding: Option<KeyBindingOptions<'a>>,
}

impl<'a> VerifyOptions<'a> {
    /// Defaults: keys from DIDs, no status resolver, no key binding required.
    pub fn at(now: OffsetDateTime, kind: DocKind) -> Self {
        VerifyOptions {
            now,
            kind,
            key: None,
            did_web: None,
            status: None,
            proof_purpose: None,
            challenge: None,
            domain: None,
            key_binding: None,
        }
    }
}

/// The format of what arrived.
#[derive(Clone, Debug)]
enum Input {
    Compact(String, Securing),
    Cose(Vec<u8>),
    Document(Value),
}

/// How many wrappers (a JSON string, an enveloping object) may surround the secured form.
const MAX_WRAPPING: usize = 4;

fn detect(input: &[u8], kind: DocKind) -> Result<Input, W3cError> {
    detect_within(input, kind, MAX_WRAPPING)
}

fn detect_within(input: &[u8], kind: DocKind, wraps_left: usize) -> Result<Input, W3cError> {
    // COSE_Sign1: tag 18 (0xd2) or a bare array of four (0x84).
    if matches!(input.first(), Some(0xd2) | Some(0x84)) {
        return Ok(Input::Cose(input.to_vec()));
    }
    let text = std::str::from_utf8(input)
        .map_err(|_| W3cError::Malformed("neither COSE nor UTF-8 text".into()))?
        .trim();
    if text.starts_with('{') || text.starts_with('"') {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| W3cError::Malformed(format!("not JSON: {e}")))?;
        let Some(left) = wraps_left.checked_sub(1) else {
            return Err(W3cError::InvalidEnvelope("wrapped too many times".into()));
        };
        return match value {
            // A string may carry a compact JWS / SD-JWT; a Data Integrity document (or an
            // envelope) must arrive as the JSON object it is, never as a string of it.
            Value::String(s) if matches!(s.trim_start().chars().next(), Some('{' | '"')) => {
                Err(W3cError::Malformed(
                    "a secured document must be a JSON object, not a string holding one".into(),
                ))
            }
            Value::String(s) => detect_within(s.as_bytes(), kind, left),
            Value::Object(ref o) if is_enveloped(o) => {
                let env = model::parse_enveloped(&value, kind == DocKind::Presentation)?;
                if env.base64 {
                    Ok(Input::Cose(cose::enveloped_bytes(&env)?))
                } else {
                    detect_within(env.data.as_bytes(), kind, left)
                }
            }
            v => Ok(Input::Document(v)),
        };
    }
    let securing = if text.contains('~') {
        Securing::SdJwt
    } else {
        Securing::Jwt
    };
    Ok(Input::Compact(text.to_string(), securing))
}

fn is_enveloped(o: &Map<String, Value>) -> bool {
    let enveloped = |v: &Value| v.as_str().is_some_and(|s| s.starts_with("Enveloped"));
    match o.get("type") {
        Some(v @ Value::String(_)) => enveloped(v),
        Some(Value::Array(a)) => a.iter().any(enveloped),
        _ => false,
    }
}

/// Resolves the signing key of a JOSE / COSE document from its `kid` and proves it belongs
/// to the document's issuer (or holder): see [`binding`].
fn resolve_key(
    kid: Option<&str>,
    controller: Option<&str>,
    relationship: &str,
    web: Option<&dyn DidWebResolver>,
) -> Result<ProvenKey, W3cError> {
    let method = binding::method_of_kid(kid, controller)?;
    binding::prove_method(&method, controller, relationship, web)
}

fn issuer_of(doc: &Map<String, Value>, kind: DocKind) -> Option<String> {
    let field = match kind {
        DocKind::Credential => "issuer",
        DocKind::Presentation => "holder",
    };
    match doc.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The check a failure belongs to.
fn check_of(e: &W3cError) -> CheckName {
    match e {
        W3cError::Expired(_) | W3cError::NotYetValid(_) | W3cError::ProofExpired(_) => {
            CheckName::Validity
        }
        W3cError::Revoked | W3cError::Suspended | W3cError::StatusUnknown(_) => CheckName::Status,
        W3cError::KeyBinding(_) => CheckName::HolderBinding,
        W3cError::IssuerKeyMismatch(_)
        | W3cError::VerificationMethod(_)
        | W3cError::DidNotRegistered(_) => CheckName::IssuerKey,
        W3cError::Malformed(_)
        | W3cError::InvalidContext(_)
        | W3cError::InvalidType(_)
        | W3cError::InvalidIssuer(_)
        | W3cError::InvalidSubject(_)
        | W3cError::InvalidDate { .. }
        | W3cError::InvalidStatus(_)
        | W3cError::InvalidEnvelope(_) => CheckName::DataModel,
        _ => CheckName::IssuerSignature,
    }
}

/// What one verified document yielded.
struct Outcome {
    securing: String,
    document: Value,
    signer: Option<ProvenKey>,
}

fn verify_one(
    input: Input,
    opts: &VerifyOptions<'_>,
    log: &mut CheckLog,
) -> Result<Outcome, W3cError> {
    let kind = opts.kind;
    let relationship = opts.proof_purpose.unwrap_or(purpose_for(kind));
    // The caller's pinned key speaks for whoever the caller says; any other key must be
    // proven to belong to the document's issuer (or holder).
    let resolve = |kid: Option<&str>, controller: Option<String>| match opts.key {
        Some(k) => Ok((k.clone(), None)),
        None => resolve_key(kid, controller.as_deref(), relationship, opts.did_web)
            .map(|p| (p.key.clone(), Some(p))),
    };
    let (securing, document, signer) = match input {
        Input::Compact(text, securing) => {
            let (header, payload) = if securing == Securing::SdJwt {
                let sd = crate::sd_jwt::SdJwt::parse(&text).map_err(W3cError::SdJwt)?;
                (
                    sd.jws().header().params().clone(),
                    sd.jws().claims().map_err(W3cError::Jws)?,
                )
            } else {
                let jws = crate::jose::CompactJws::parse(&text).map_err(W3cError::Jws)?;
                (
                    jws.header().params().clone(),
                    jws.claims().map_err(W3cError::Jws)?,
                )
            };
            let kid = header.get("kid").and_then(Value::as_str);
            if securing == Securing::Jwt && jwt_v11::is_v11(&payload, kind) {
                // VC 1.1: the key is bound to `iss`, which the decoded document shows.
                let (key, signer) = resolve(kid, jwt_v11::controller(&payload, kind))?;
                if signer.is_none() && opts.key.is_none() {
                    return Err(W3cError::InvalidIssuer(
                        "a VC-JWT 1.1 names no iss, issuer or holder for its key".into(),
                    ));
                }
                let document = jwt_v11::verify(&text, &key, kind, opts.now)?;
                jose_binding(&document, opts)?;
                return Ok(finish_outcome(log, jwt_v11::name(kind), document, signer));
            }
            let (key, signer) = resolve(kid, issuer_of(&payload, kind))?;
            let verified = match (securing, opts.key_binding) {
                (Securing::SdJwt, Some(kb)) => {
                    let (v, binding) =
                        jose::verify_sd_jwt_with_key_binding(&text, &key, kind, opts.now, &kb)?;
                    log.pass(
                        CheckName::HolderBinding,
                        format!(
                            "KB-JWT signed by the cnf key for aud {}; sd_hash matches",
                            binding.aud
                        ),
                    );
                    v
                }
                (Securing::SdJwt, None) => jose::verify_sd_jwt(&text, &key, kind, opts.now)?,
                _ => jose::verify_jwt(&text, &key, kind, opts.now)?,
            };
            // The key was bound to the issuer (holder) the signed payload names in the
            // clear; a `vc+sd-jwt` whose issuer only a Disclosure names (or names otherwise)
            // is refused: the bound identity must be the one the document shows.
            let shown = verified
                .document
                .as_object()
                .and_then(|d| issuer_of(d, kind));
            if shown != issuer_of(&payload, kind) {
                return Err(W3cError::IssuerKeyMismatch(
                    "the issuer (holder) is selectively disclosable; the key is bound to the one named in the clear".into(),
                ));
            }
            jose_binding(&verified.document, opts)?;
            (securing.name(kind), verified.document, signer)
        }
        Input::Cose(bytes) => {
            let sign1 = cose::parse_cose(&bytes)?;
            let kid = String::from_utf8(sign1.protected.header.key_id.clone())
                .ok()
                .filter(|k| !k.is_empty());
            let issuer = sign1
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_slice::<Map<String, Value>>(p).ok())
                .and_then(|d| issuer_of(&d, kind));
            let (key, signer) = resolve(kid.as_deref(), issuer)?;
            let v = cose::verify_cose(&bytes, &key, kind, opts.now)?;
            jose_binding(&v.document, opts)?;
            (Securing::Cose.name(kind), v.document, signer)
        }
        Input::Document(doc) => {
            let purpose = relationship;
            let (verified, signer) = match opts.key {
                Some(W3cPublicKey::Core(k)) if k.kind() == crate::keys::KeyKind::P521 => {
                    return Err(W3cError::UnsupportedCryptosuite(
                        "no Data Integrity suite uses P-521".into(),
                    ))
                }
                Some(W3cPublicKey::Core(k)) => {
                    (di::verify_proof_with_key(&doc, k, purpose, opts.now)?, None)
                }
                None => {
                    let (v, p) = di::verify_proof_bound(&doc, purpose, opts.now, opts.did_web)?;
                    (v, Some(p))
                }
            };
            let proof = &verified.proof;
            for (name, want) in [("challenge", opts.challenge), ("domain", opts.domain)] {
                if let Some(want) = want {
                    // `domain` may be one string or a set of them (Data Integrity §2.1).
                    let ok = match proof.get(name) {
                        Some(Value::String(s)) => s == want,
                        Some(Value::Array(a)) if name == "domain" => a.iter().any(|d| d == want),
                        _ => false,
                    };
                    if !ok {
                        return Err(W3cError::ProofBinding {
                            member: name,
                            expected: want.to_string(),
                        });
                    }
                }
            }
            match kind {
                DocKind::Credential => {
                    model::validate_credential(&verified.document, opts.now).map(|_| ())?
                }
                DocKind::Presentation => {
                    model::validate_presentation(&verified.document, opts.now).map(|_| ())?
                }
            }
            (verified.cryptosuite, doc, signer)
        }
    };
    Ok(finish_outcome(log, securing, document, signer))
}

/// A JOSE / COSE presentation is bound to the caller's request by its `nonce` (the
/// challenge) and `aud` (the domain): whatever securing mechanism carries a presentation, a
/// challenge or domain the caller set must be met, so no presentation made for another
/// request passes where one was asked for.
fn jose_binding(document: &Value, opts: &VerifyOptions<'_>) -> Result<(), W3cError> {
    if opts.kind != DocKind::Presentation {
        return Ok(());
    }
    if let Some(want) = opts.challenge {
        if document.get("nonce").and_then(Value::as_str) != Some(want) {
            return Err(W3cError::ProofBinding {
                member: "nonce",
                expected: want.to_string(),
            });
        }
    }
    if let Some(want) = opts.domain {
        let ok = match document.get("aud") {
            Some(Value::String(a)) => a == want,
            Some(Value::Array(a)) => a.iter().any(|x| x == want),
            _ => false,
        };
        if !ok {
            return Err(W3cError::ProofBinding {
                member: "aud",
                expected: want.to_string(),
            });
        }
    }
    Ok(())
}

/// Logs the checks a verified document passed and returns what it yielded.
fn finish_outcome(
    log: &mut CheckLog,
    securing: String,
    document: Value,
    signer: Option<ProvenKey>,
) -> Outcome {
    if let Some(p) = &signer {
        log.pass(
            CheckName::IssuerKey,
            format!(
                "{} is listed under {} of {}",
                p.method, p.relationship, p.did
            ),
        );
    }
    log.pass(CheckName::IssuerSignature, format!("{securing} verifies"));
    log.pass(
        CheckName::Validity,
        "data model valid; validFrom / validUntil hold now",
    );
    Outcome {
        securing,
        document,
        signer,
    }
}

/// Checks a verified document's `credentialStatus` entries (Bitstring Status List) through
/// `resolver`: the detail on success; revoked, suspended, or unknown when a list cannot be
/// had or read. Entries of unknown types are skipped with a warning. [`verify`] runs it
/// after the signature; a caller that must first decide trust (a register check) verifies
/// without a status resolver and calls this after its own decision.
pub fn check_status(
    document: &Value,
    resolver: Option<&dyn StatusResolver>,
    warnings: &mut Vec<String>,
) -> Result<String, W3cError> {
    let entries: Vec<Map<String, Value>> = match document.get("credentialStatus") {
        None => return Ok("no credentialStatus".into()),
        Some(Value::Object(o)) => vec![o.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_object().cloned()).collect(),
        Some(_) => return Err(W3cError::InvalidStatus("not an object or array".into())),
    };
    let Some(resolver) = resolver else {
        warnings.push("status not checked: no status resolver".into());
        return Ok("not checked (no status resolver)".into());
    };
    let mut checked = 0;
    for entry in &entries {
        let is_bsl = match entry.get("type") {
            Some(Value::String(t)) => t == "BitstringStatusListEntry",
            Some(Value::Array(a)) => a.iter().any(|t| t == "BitstringStatusListEntry"),
            _ => false,
        };
        if !is_bsl {
            warnings.push("a credentialStatus entry of an unknown type was not checked".into());
            continue;
        }
        let e = BitstringStatusListEntry::from_json(entry)
            .map_err(|e| W3cError::InvalidStatus(e.to_string()))?;
        let list = resolver
            .status_list_credential(&e.list_credential)
            .map_err(W3cError::StatusUnknown)?;
        let value = e
            .status_in(&list)
            .map_err(|err| W3cError::StatusUnknown(err.to_string()))?;
        match (e.purpose, value) {
            (StatusPurpose::Revocation, v) if v != 0 => return Err(W3cError::Revoked),
            (StatusPurpose::Suspension, v) if v != 0 => return Err(W3cError::Suspended),
            _ => checked += 1,
        }
    }
    Ok(format!(
        "{checked} status entr(y/ies) checked: not revoked or suspended"
    ))
}

/// A verified W3C credential or presentation: what the signatures proved, for trust
/// decisions to consume (never the document's `issuer` string re-read beside it).
#[derive(Clone, Debug)]
pub struct VerifiedW3c {
    /// `vc+jwt`, `vp+cose`, the cryptosuite name, ...
    pub securing: String,
    /// The verified document (a `vc+sd-jwt` with its disclosures applied).
    pub document: Value,
    /// Who the key was proven to belong to: the credential's issuer or the presentation's
    /// holder. `None` only when the caller pinned the key ([`VerifyOptions::key`]).
    pub signer: Option<ProvenKey>,
    /// A presentation's embedded credentials, each verified the same way, in order.
    pub credentials: Vec<VerifiedW3c>,
}

/// Verifies a secured credential or presentation (any mechanism, detected from `input`:
/// COSE bytes, a compact JWS / SD-JWT, a JSON document with a Data Integrity proof, or an
/// enveloped credential) and reports every check.
pub fn verify(input: &[u8], opts: &VerifyOptions<'_>) -> VerificationReport {
    verify_typed(input, opts).0
}

/// [`verify`], with the verified value when every check passed.
pub fn verify_typed(
    input: &[u8],
    opts: &VerifyOptions<'_>,
) -> (VerificationReport, Option<VerifiedW3c>) {
    let mut log = CheckLog::default();
    let mut warnings = Vec::new();
    let result = (|| {
        let parsed = log.run(CheckName::Parse, || {
            detect(input, opts.kind).map(|i| {
                let d = match &i {
                    Input::Compact(_, s) => s.name(opts.kind),
                    Input::Cose(_) => Securing::Cose.name(opts.kind),
                    Input::Document(_) => "Data Integrity document".into(),
                };
                (i, d)
            })
        })?;
        let outcome = match verify_one(parsed, opts, &mut log) {
            Ok(o) => o,
            Err(e) => {
                log.fail(check_of(&e), e.to_string());
                return Err(e.into());
            }
        };
        match check_status(&outcome.document, opts.status, &mut warnings) {
            Ok(detail) => log.pass(CheckName::Status, detail),
            Err(e) => {
                log.fail(CheckName::Status, e.to_string());
                return Err(e.into());
            }
        }
        let mut credentials = Vec::new();
        if opts.kind == DocKind::Presentation {
            let vp = model::validate_presentation(&outcome.document, opts.now)?;
            let inner = VerifyOptions {
                kind: DocKind::Credential,
                key: None,
                proof_purpose: None,
                challenge: None,
                domain: None,
                key_binding: None,
                ..*opts
            };
            for (i, c) in vp.credentials.iter().enumerate() {
                let bytes = match c {
                    EmbeddedCredential::Enveloped(e) if e.base64 => cose::enveloped_bytes(e)?,
                    EmbeddedCredential::Enveloped(e) => e.data.clone().into_bytes(),
                    EmbeddedCredential::Plain(p) => {
                        serde_json::to_vec(&Value::Object(p.document.clone())).unwrap_or_default()
                    }
                };
                let (r, verified) = verify_typed(&bytes, &inner);
                let name = CheckName::EmbeddedCredential;
                match (r.error, verified) {
                    (None, Some(v)) if r.valid => {
                        log.pass(name, format!("credential {i}: {} verifies", r.format));
                        credentials.push(v);
                    }
                    (Some(e), _) => {
                        log.fail_with(
                            name,
                            &e.code,
                            format!("credential {i}: {}: {}", e.code, e.message),
                        );
                        return Err(Failure(e.code, e.message));
                    }
                    _ => {
                        log.fail(name, format!("credential {i}: not valid"));
                        return Err(Failure(
                            "credential_invalid".into(),
                            format!("credential {i}"),
                        ));
                    }
                }
            }
        }
        Ok::<_, Failure>(VerifiedW3c {
            securing: outcome.securing,
            document: outcome.document,
            signer: outcome.signer,
            credentials,
        })
    })();
    let (error, verified) = match result {
        Ok(v) => (None, Some(v)),
        Err(Failure(code, message)) => (Some(ReportError { code, message }), None),
    };
    // The issuer (holder) the report names is the one the key was proven to belong to.
    let issuer = verified.as_ref().and_then(|v| match &v.signer {
        Some(p) => Some(p.did.clone()),
        None => v.document.as_object().and_then(|d| issuer_of(d, opts.kind)),
    });
    let format = verified
        .as_ref()
        .map(|v| v.securing.clone())
        .unwrap_or_else(|| "w3c".into());
    let claims = verified.as_ref().map(|v| v.document.clone());
    let mut report = VerificationReport::new(&format, log, error, issuer, claims);
    report.extra.insert(
        "warnings".into(),
        Value::Array(warnings.into_iter().map(Value::String).collect()),
    );
    if let Some(p) = verified.as_ref().and_then(|v| v.signer.as_ref()) {
        report
            .extra
            .insert("verification_method".into(), p.method.clone().into());
    }
    let verified = verified.filter(|_| report.valid);
    (report, verified)
}

/// A failure as the report shows it.
struct Failure(String, String);

impl From<W3cError> for Failure {
    fn from(e: W3cError) -> Self {
        Failure(e.code().to_string(), e.to_string())
    }
}

/// Base64 (standard) of COSE bytes, for text channels.
pub fn cose_to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
