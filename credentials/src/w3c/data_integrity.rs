//! Data Integrity proofs (W3C VC Data Integrity 1.0) with the cryptosuites of the EdDSA and
//! ECDSA Cryptosuites v1.0: `eddsa-jcs-2022` / `eddsa-rdfc-2022` (Ed25519) and
//! `ecdsa-jcs-2019` / `ecdsa-rdfc-2019` (P-256 with SHA-256, P-384 with SHA-384).
//!
//! hashData = H(canon(proof config)) || H(canon(document without proof)), where canon is JCS
//! (RFC 8785) for the `-jcs-` suites and JSON-LD to RDF plus RDFC-1.0 canonical N-Quads for
//! the `-rdfc-` suites (see [`super::rdfc`]; contexts are bundled, never fetched). The
//! signature over hashData is `proofValue`, multibase base58btc (`z`). Only single proofs (no
//! proof sets / chains) are supported; `ecdsa-sd-2023` and `bbs-2023` are rejected with
//! `unsupported_cryptosuite`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384};
use time::OffsetDateTime;

use super::binding::ProvenKey;
use super::model::parse_date_time_stamp;
use super::{W3cError, W3cPublicKey};
use crate::did::DidWebResolver;
use crate::keys::{KeyKind, PublicKey, Signer};

/// The EdDSA JCS cryptosuite.
pub const EDDSA_JCS_2022: &str = "eddsa-jcs-2022";
/// The ECDSA JCS cryptosuite.
pub const ECDSA_JCS_2019: &str = "ecdsa-jcs-2019";
/// The EdDSA RDFC cryptosuite.
pub const EDDSA_RDFC_2022: &str = "eddsa-rdfc-2022";
/// The ECDSA RDFC cryptosuite.
pub const ECDSA_RDFC_2019: &str = "ecdsa-rdfc-2019";
/// Cryptosuites recognised but not supported (selective disclosure suites).
pub const UNSUPPORTED_SUITES: &[&str] = &["ecdsa-sd-2023", "bbs-2023"];

/// A Data Integrity cryptosuite Vouch implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cryptosuite {
    /// `eddsa-jcs-2022` (Ed25519, JCS).
    EddsaJcs2022,
    /// `ecdsa-jcs-2019` (P-256 / P-384, JCS).
    EcdsaJcs2019,
    /// `eddsa-rdfc-2022` (Ed25519, RDFC-1.0).
    EddsaRdfc2022,
    /// `ecdsa-rdfc-2019` (P-256 / P-384, RDFC-1.0).
    EcdsaRdfc2019,
}

impl Cryptosuite {
    /// Every suite, JCS first.
    pub const ALL: [Cryptosuite; 4] = [
        Cryptosuite::EddsaJcs2022,
        Cryptosuite::EcdsaJcs2019,
        Cryptosuite::EddsaRdfc2022,
        Cryptosuite::EcdsaRdfc2019,
    ];

    /// The `cryptosuite` value.
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaJcs2022 => EDDSA_JCS_2022,
            Cryptosuite::EcdsaJcs2019 => ECDSA_JCS_2019,
            Cryptosuite::EddsaRdfc2022 => EDDSA_RDFC_2022,
            Cryptosuite::EcdsaRdfc2019 => ECDSA_RDFC_2019,
        }
    }

    /// The suite named `name`, if Vouch implements it.
    pub fn from_name(name: &str) -> Option<Self> {
        Cryptosuite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the suite canonicalizes with RDFC-1.0 (else JCS).
    pub fn is_rdfc(self) -> bool {
        matches!(
            self,
            Cryptosuite::EddsaRdfc2022 | Cryptosuite::EcdsaRdfc2019
        )
    }

    /// The suite for a key kind and canonicalization.
    pub fn for_key(kind: KeyKind, rdfc: bool) -> Self {
        match (kind, rdfc) {
            (KeyKind::Ed25519, false) => Cryptosuite::EddsaJcs2022,
            (KeyKind::Ed25519, true) => Cryptosuite::EddsaRdfc2022,
            (_, false) => Cryptosuite::EcdsaJcs2019,
            (_, true) => Cryptosuite::EcdsaRdfc2019,
        }
    }

    /// Whether this suite takes a key of `kind` (no suite takes P-521).
    fn fits(self, kind: KeyKind) -> bool {
        kind != KeyKind::P521 && Cryptosuite::for_key(kind, self.is_rdfc()) == self
    }

    /// The canonical form of `value` under this suite with a key of `kind` (RDFC-1.0 labels
    /// blank nodes with SHA-384 for P-384 keys, SHA-256 otherwise).
    pub fn canonicalize(self, value: &Value, kind: KeyKind) -> Result<String, W3cError> {
        if !self.is_rdfc() {
            return jcs(value);
        }
        #[cfg(feature = "rdfc")]
        {
            super::rdfc::canonical_nquads_with(value, kind == KeyKind::P384)
        }
        #[cfg(not(feature = "rdfc"))]
        {
            let _ = kind;
            Err(W3cError::UnsupportedCryptosuite(format!(
                "{} (built without the rdfc feature)",
                self.name()
            )))
        }
    }
}

/// JCS (RFC 8785) canonical form of a JSON value.
pub fn jcs(value: &Value) -> Result<String, W3cError> {
    serde_json_canonicalizer::to_string(value)
        .map_err(|e| W3cError::Malformed(format!("cannot canonicalize: {e}")))
}

fn check_suite(cryptosuite: &str, kind: KeyKind) -> Result<Cryptosuite, W3cError> {
    let suite = Cryptosuite::from_name(cryptosuite)
        .ok_or_else(|| W3cError::UnsupportedCryptosuite(cryptosuite.to_string()))?;
    if kind == KeyKind::P521 {
        return Err(W3cError::UnsupportedCryptosuite(
            "no Data Integrity suite uses P-521".into(),
        ));
    }
    if !suite.fits(kind) {
        return Err(W3cError::UnsupportedCryptosuite(format!(
            "{cryptosuite} with a {kind:?} key"
        )));
    }
    Ok(suite)
}

/// hashData for a proof configuration and an unsecured document, per the JCS suites.
pub fn hash_data(
    proof_config: &Value,
    document: &Value,
    kind: KeyKind,
) -> Result<Vec<u8>, W3cError> {
    hash_data_with(
        Cryptosuite::for_key(kind, false),
        proof_config,
        document,
        kind,
    )
}

/// hashData for a proof configuration and an unsecured document under `suite`: SHA-384 for
/// P-384 keys, SHA-256 otherwise.
pub fn hash_data_with(
    suite: Cryptosuite,
    proof_config: &Value,
    document: &Value,
    kind: KeyKind,
) -> Result<Vec<u8>, W3cError> {
    let (c, d) = (
        suite.canonicalize(proof_config, kind)?,
        suite.canonicalize(document, kind)?,
    );
    Ok(match kind {
        KeyKind::P384 => [Sha384::digest(c), Sha384::digest(d)].concat(),
        _ => [Sha256::digest(c), Sha256::digest(d)].concat(),
    })
}

/// Options of a new proof.
#[derive(Clone, Debug)]
pub struct ProofOptions {
    /// The verification method URL (e.g. `did:key:z...#z...`).
    pub verification_method: String,
    /// `assertionMethod` (credentials) or `authentication` (presentations).
    pub proof_purpose: String,
    /// `created`, an XML Schema dateTimeStamp.
    pub created: String,
    /// `expires`, if any.
    pub expires: Option<String>,
    /// `challenge` for authentication proofs.
    pub challenge: Option<String>,
    /// `domain` for authentication proofs.
    pub domain: Option<String>,
}

/// Adds a `DataIntegrityProof` to `document` with the JCS suite that fits the signer's key.
pub fn add_proof(
    document: &Value,
    signer: &dyn Signer,
    opts: &ProofOptions,
) -> Result<Value, W3cError> {
    let suite = Cryptosuite::for_key(signer.public_key().kind(), false);
    add_proof_with(document, signer, opts, suite)
}

/// Adds a `DataIntegrityProof` made with `suite` (which must fit the signer's key) to `document`.
pub fn add_proof_with(
    document: &Value,
    signer: &dyn Signer,
    opts: &ProofOptions,
    suite: Cryptosuite,
) -> Result<Value, W3cError> {
    let doc = document
        .as_object()
        .ok_or_else(|| W3cError::Malformed("the document is not an object".into()))?;
    if doc.contains_key("proof") {
        return Err(W3cError::Malformed(
            "the document already has a proof".into(),
        ));
    }
    let kind = signer.public_key().kind();
    check_suite(suite.name(), kind)?;
    let mut proof = Map::new();
    proof.insert("type".into(), "DataIntegrityProof".into());
    proof.insert("cryptosuite".into(), suite.name().into());
    proof.insert("created".into(), opts.created.clone().into());
    if let Some(e) = &opts.expires {
        proof.insert("expires".into(), e.clone().into());
    }
    proof.insert(
        "verificationMethod".into(),
        opts.verification_method.clone().into(),
    );
    proof.insert("proofPurpose".into(), opts.proof_purpose.clone().into());
    if let Some(c) = &opts.challenge {
        proof.insert("challenge".into(), c.clone().into());
    }
    if let Some(d) = &opts.domain {
        proof.insert("domain".into(), d.clone().into());
    }
    let mut config = proof.clone();
    if let Some(ctx) = doc.get("@context") {
        config.insert("@context".into(), ctx.clone());
        // The JCS suites keep the context in the proof; the RDFC suites only hash it.
        if !suite.is_rdfc() {
            proof.insert("@context".into(), ctx.clone());
        }
    }
    let data = hash_data_with(suite, &Value::Object(config), document, kind)?;
    let sig = signer
        .sign(&data)
        .map_err(|e| W3cError::Key(e.to_string()))?;
    proof.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(sig).into_string()).into(),
    );
    let mut out = doc.clone();
    out.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(out))
}

/// What a verified proof established.
#[derive(Clone, Debug)]
pub struct VerifiedProof {
    /// The cryptosuite name.
    pub cryptosuite: String,
    /// The cryptosuite.
    pub suite: Cryptosuite,
    /// The verification method URL.
    pub verification_method: String,
    /// The key that verified.
    pub public_key: PublicKey,
    /// The document without its proof (or proofs).
    pub document: Value,
    /// The proof that verified (in a proof set, the one bound to the issuer or holder).
    pub proof: Value,
}

/// Verifies the `proof` of `document`: the verification method is resolved as a DID
/// URL (did:key, did:jwk; did:web through `web`) authorized for `expected_purpose`.
pub fn verify_proof(
    document: &Value,
    expected_purpose: &str,
    now: OffsetDateTime,
    web: Option<&dyn DidWebResolver>,
) -> Result<VerifiedProof, W3cError> {
    verify_proof_bound(document, expected_purpose, now, web).map(|(v, _)| v)
}

/// A JSON object.
type Object = Map<String, Value>;

/// The most proofs a set (or chain) may hold: each costs a canonicalization and a signature
/// check before any trust decision, so a set is bounded.
pub const MAX_PROOFS: usize = 8;

/// The document without `proof`, and its proofs: one (`proof` an object) or a proof set
/// (an array of objects, `id`s unique), VC Data Integrity 1.0 §2.1.1–§2.1.2.
fn split_proofs(document: &Value) -> Result<(Object, Vec<Object>), W3cError> {
    let mut doc = document
        .as_object()
        .cloned()
        .ok_or_else(|| W3cError::Malformed("the document is not an object".into()))?;
    let proofs = match doc.remove("proof") {
        Some(Value::Object(p)) => vec![p],
        Some(Value::Array(a)) if !a.is_empty() => a
            .into_iter()
            .map(|p| match p {
                Value::Object(o) => Ok(o),
                _ => Err(W3cError::MalformedProof(
                    "a proof in the set is not an object".into(),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(Value::Array(_)) => {
            return Err(W3cError::MalformedProof("the proof set is empty".into()))
        }
        _ => return Err(W3cError::MalformedProof("proof is missing".into())),
    };
    if proofs.len() > MAX_PROOFS {
        return Err(W3cError::MalformedProof(format!(
            "more than {MAX_PROOFS} proofs in the set"
        )));
    }
    let ids: Vec<&str> = proofs
        .iter()
        .filter_map(|p| p.get("id").and_then(Value::as_str))
        .collect();
    if (1..ids.len()).any(|i| ids[..i].contains(&ids[i])) {
        return Err(W3cError::MalformedProof(
            "two proofs in the set have the same id".into(),
        ));
    }
    Ok((doc, proofs))
}

/// Verifies `document`'s proof, or its proof set or chain, with the keys the
/// `verificationMethod`s name. The proof the result reports (and its key, proven — see
/// [`super::binding`] — to belong to the document's `issuer` for purpose `assertionMethod`,
/// or its `holder` for a presentation) is one made for `expected_purpose` by that party; a
/// set must hold at least one (`issuer_key_mismatch` otherwise). Every other proof of a set
/// (another party's endorsement) must verify too, with its own key for its own purpose.
pub fn verify_proof_bound(
    document: &Value,
    expected_purpose: &str,
    now: OffsetDateTime,
    web: Option<&dyn DidWebResolver>,
) -> Result<(VerifiedProof, ProvenKey), W3cError> {
    let (doc, proofs) = split_proofs(document)?;
    // Which party the key must belong to follows the document, not the purpose: a
    // presentation's holder, a credential's issuer (whatever proof purpose it claims).
    let is_presentation = match doc.get("type") {
        Some(Value::String(t)) => t == "VerifiablePresentation",
        Some(Value::Array(a)) => a.iter().any(|t| t == "VerifiablePresentation"),
        _ => false,
    };
    let named = if is_presentation { "holder" } else { "issuer" };
    let controller = match doc.get(named) {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
        _ => None,
    };
    if controller.is_none() && named == "issuer" {
        return Err(W3cError::InvalidIssuer(
            "a credential names no issuer".into(),
        ));
    }
    let core = |k: &W3cPublicKey| match k {
        W3cPublicKey::Core(key) if key.kind() == KeyKind::P521 => Err(
            W3cError::UnsupportedCryptosuite("no Data Integrity suite uses P-521".into()),
        ),
        W3cPublicKey::Core(key) => Ok(key.clone()),
    };
    let single = proofs.len() == 1;
    let mut bound = None;
    for (i, proof) in proofs.iter().enumerate() {
        let vm = proof
            .get("verificationMethod")
            .and_then(Value::as_str)
            .ok_or_else(|| W3cError::MalformedProof("verificationMethod is missing".into()))?;
        let purpose = proof
            .get("proofPurpose")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if single && purpose != expected_purpose {
            return Err(W3cError::WrongProofPurpose {
                expected: expected_purpose.to_string(),
                found: purpose.to_string(),
            });
        }
        let by_party = purpose == expected_purpose
            && controller.is_some_and(|c| super::binding::did_of(vm) == c);
        if single || by_party {
            let proven = super::binding::prove_method(vm, controller, expected_purpose, web)?;
            let key = core(&proven.key)?;
            let v = verify_in_set(&doc, &proofs, i, &key, expected_purpose, now)?;
            if bound.is_none() {
                bound = Some((v, proven));
            }
        } else {
            let other = super::binding::prove_method(vm, None, purpose, web)?;
            let key = core(&other.key)?;
            verify_in_set(&doc, &proofs, i, &key, purpose, now)?;
        }
    }
    bound.ok_or_else(|| {
        W3cError::IssuerKeyMismatch(format!(
            "no proof in the set is by a key {} lists under {expected_purpose}",
            controller.unwrap_or("the holder")
        ))
    })
}

/// Verifies the `proof` (every proof of a set or chain) of `document` with a known key.
pub fn verify_proof_with_key(
    document: &Value,
    key: &PublicKey,
    expected_purpose: &str,
    now: OffsetDateTime,
) -> Result<VerifiedProof, W3cError> {
    let (doc, proofs) = split_proofs(document)?;
    let mut first = None;
    for i in 0..proofs.len() {
        let v = verify_in_set(&doc, &proofs, i, key, expected_purpose, now)?;
        first.get_or_insert(v);
    }
    first.ok_or_else(|| W3cError::MalformedProof("proof is missing".into()))
}

/// Verifies proof `i` of a set over the unsecured document `doc`. A proof naming
/// `previousProof` (an id or ids) is a link of a chain: it secures the document together
/// with the proofs it names (VC Data Integrity 1.0 §4.3, `proof` set to the matching
/// proofs), each of which must be in the set.
fn verify_in_set(
    doc: &Map<String, Value>,
    proofs: &[Map<String, Value>],
    i: usize,
    key: &PublicKey,
    expected_purpose: &str,
    now: OffsetDateTime,
) -> Result<VerifiedProof, W3cError> {
    let mut doc = doc.clone();
    let mut proof = proofs[i].clone();
    if let Some(previous) = proof.get("previousProof") {
        let ids: Vec<&str> = match previous {
            Value::String(id) => vec![id.as_str()],
            Value::Array(a) if !a.is_empty() => a
                .iter()
                .map(|v| {
                    v.as_str().ok_or_else(|| {
                        W3cError::MalformedProof("previousProof is not a list of ids".into())
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(W3cError::MalformedProof(
                    "previousProof is not an id or a list of ids".into(),
                ))
            }
        };
        let mut matching = Vec::new();
        for id in ids {
            let p = proofs
                .iter()
                .enumerate()
                .find(|(j, p)| *j != i && p.get("id").and_then(Value::as_str) == Some(id))
                .map(|(_, p)| p)
                .ok_or_else(|| {
                    W3cError::MalformedProof(format!("previousProof {id} is not in the proof set"))
                })?;
            matching.push(Value::Object(p.clone()));
        }
        doc.insert("proof".into(), Value::Array(matching));
    }
    let s = |p: &Map<String, Value>, k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
    let reported = Value::Object(proof.clone());
    if s(&proof, "type").as_deref() != Some("DataIntegrityProof") {
        return Err(W3cError::MalformedProof(
            "type is not DataIntegrityProof".into(),
        ));
    }
    let cryptosuite = s(&proof, "cryptosuite")
        .ok_or_else(|| W3cError::MalformedProof("cryptosuite is missing".into()))?;
    let suite = check_suite(&cryptosuite, key.kind())?;
    let purpose = s(&proof, "proofPurpose").unwrap_or_default();
    if purpose != expected_purpose {
        return Err(W3cError::WrongProofPurpose {
            expected: expected_purpose.to_string(),
            found: purpose,
        });
    }
    if let Some(created) = proof.get("created") {
        parse_date_time_stamp("created", created)?;
    }
    if let Some(expires) = proof.get("expires") {
        let t = parse_date_time_stamp("expires", expires)?;
        if now > t {
            return Err(W3cError::ProofExpired(expires.to_string()));
        }
    }
    let proof_value = match proof.remove("proofValue") {
        Some(Value::String(v)) => v,
        _ => return Err(W3cError::MalformedProof("proofValue is missing".into())),
    };
    let sig = proof_value
        .strip_prefix('z')
        .and_then(|b| bs58::decode(b).into_vec().ok())
        .ok_or_else(|| W3cError::MalformedProof("proofValue is not multibase base58btc".into()))?;
    if suite.is_rdfc() {
        // The proof configuration is hashed under the document's context.
        if let Some(ctx) = doc.get("@context") {
            proof.insert("@context".into(), ctx.clone());
        }
    } else if let Some(ctx) = proof.get("@context") {
        // The document's @context must start with the proof's.
        let starts = match (ctx, doc.get("@context")) {
            (Value::Array(p), Some(Value::Array(d))) => d.starts_with(p),
            (p, Some(d)) => p == d || d.as_array().and_then(|a| a.first()) == Some(p),
            _ => false,
        };
        if !starts {
            return Err(W3cError::MalformedProof(
                "the proof's @context does not match the document's".into(),
            ));
        }
        doc.insert("@context".into(), ctx.clone());
    }
    let secured = Value::Object(doc);
    let data = hash_data_with(suite, &Value::Object(proof.clone()), &secured, key.kind())?;
    key.verify(key.kind().default_algorithm(), &data, &sig)
        .map_err(|_| W3cError::BadSignature)?;
    let mut document = secured;
    if let Some(d) = document.as_object_mut() {
        d.remove("proof");
    }
    Ok(VerifiedProof {
        cryptosuite,
        suite,
        verification_method: s(&proof, "verificationMethod").unwrap_or_default(),
        public_key: key.clone(),
        document,
        proof: reported,
    })
}
