//! Decentralized identifiers: `did:key` (Ed25519 and P-256 / P-384 Multikey), `did:jwk`, and
//! `did:web` (the URL mapping and a resolver trait; no network here), with verification
//! method lookup by verification relationship.

use num_bigint::BigUint;
use serde_json::{json, Map, Value};

use crate::b64;
use crate::keys::{Jwk, KeyKind, PublicKey};

/// Multicodec prefix (varint) of an Ed25519 public key.
pub const MULTICODEC_ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix (varint) of a compressed P-256 public key.
pub const MULTICODEC_P256_PUB: [u8; 2] = [0x80, 0x24];
/// Multicodec prefix (varint) of a compressed P-384 public key.
pub const MULTICODEC_P384_PUB: [u8; 2] = [0x81, 0x24];
/// Multicodec `p521-pub` (0x1202) as an unsigned varint.
pub const MULTICODEC_P521_PUB: [u8; 2] = [0x82, 0x24];

/// Why a DID or verification method could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    /// Not a syntactically valid DID (URL).
    #[error("invalid DID: {0}")]
    InvalidDid(String),
    /// The DID method is not supported.
    #[error("unsupported DID method: {0}")]
    UnsupportedMethod(String),
    /// A Multikey / multibase value is malformed or of an unsupported key type.
    #[error("invalid public key: {0}")]
    InvalidKey(String),
    /// The DID document is malformed.
    #[error("invalid DID document: {0}")]
    InvalidDocument(String),
    /// No verification method with that id in the document.
    #[error("verification method {0} not found")]
    MethodNotFound(String),
    /// The verification method is not authorized for the requested relationship.
    #[error("verification method {method} is not listed under {relationship}")]
    NotAuthorized {
        /// The method.
        method: String,
        /// The relationship (`assertionMethod`, `authentication`, ...).
        relationship: String,
    },
    /// A did:web resolver failed.
    #[error("resolution failed: {0}")]
    Resolution(String),
    /// The resolver does not resolve this DID (a verifier resolves only the DIDs its
    /// register names).
    #[error("{0} is not a DID the register names, so it is not resolved")]
    NotRegistered(String),
}

impl DidError {
    /// A stable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            DidError::InvalidDid(_) => "invalid_did",
            DidError::UnsupportedMethod(_) => "unsupported_did_method",
            DidError::InvalidKey(_) => "invalid_public_key",
            DidError::InvalidDocument(_) => "invalid_did_document",
            DidError::MethodNotFound(_) => "verification_method_not_found",
            DidError::NotAuthorized { .. } => "verification_method_not_authorized",
            DidError::Resolution(_) => "did_resolution_failed",
            DidError::NotRegistered(_) => "did_not_registered",
        }
    }
}

/// A verification method with its public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationMethod {
    /// The method's id (a DID URL).
    pub id: String,
    /// The controller DID.
    pub controller: String,
    /// The public key.
    pub public_key: PublicKey,
}

/// A resolved DID document (the parts Vouch uses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidDocument {
    /// The DID.
    pub id: String,
    /// Every verification method.
    pub verification_methods: Vec<VerificationMethod>,
    /// Relationship name (`assertionMethod`, `authentication`, ...) to method ids.
    pub relationships: Vec<(String, Vec<String>)>,
}

impl DidDocument {
    /// The method `id` (absolute, or a `#fragment` relative to the DID), if it is listed under
    /// `relationship`.
    pub fn method_for(
        &self,
        id: &str,
        relationship: &str,
    ) -> Result<&VerificationMethod, DidError> {
        let abs = if id.starts_with('#') {
            format!("{}{id}", self.id)
        } else {
            id.to_string()
        };
        let vm = self
            .verification_methods
            .iter()
            .find(|m| m.id == abs)
            .ok_or_else(|| DidError::MethodNotFound(abs.clone()))?;
        let listed = self
            .relationships
            .iter()
            .find(|(r, _)| r == relationship)
            .is_some_and(|(_, ids)| ids.contains(&abs));
        if !listed {
            return Err(DidError::NotAuthorized {
                method: abs,
                relationship: relationship.to_string(),
            });
        }
        Ok(vm)
    }

    /// The document as JSON (DID Core, Multikey / JsonWebKey methods).
    pub fn to_json(&self) -> Value {
        let vms: Vec<Value> = self
            .verification_methods
            .iter()
            .map(|m| {
                json!({"id": m.id, "type": "Multikey", "controller": m.controller,
                       "publicKeyMultibase": multikey_encode(&m.public_key)})
            })
            .collect();
        let mut doc = Map::new();
        doc.insert(
            "@context".into(),
            json!([
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1"
            ]),
        );
        doc.insert("id".into(), self.id.clone().into());
        doc.insert("verificationMethod".into(), vms.into());
        for (r, ids) in &self.relationships {
            doc.insert(r.clone(), json!(ids));
        }
        Value::Object(doc)
    }
}

const RELATIONSHIPS: [&str; 4] = [
    "assertionMethod",
    "authentication",
    "capabilityInvocation",
    "capabilityDelegation",
];

fn single_key_document(did: &str, fragment: &str, key: PublicKey) -> DidDocument {
    let vm_id = format!("{did}#{fragment}");
    DidDocument {
        id: did.to_string(),
        verification_methods: vec![VerificationMethod {
            id: vm_id.clone(),
            controller: did.to_string(),
            public_key: key,
        }],
        relationships: RELATIONSHIPS
            .iter()
            .map(|r| (r.to_string(), vec![vm_id.clone()]))
            .collect(),
    }
}

/// Curve parameters (p, b) for point decompression (a = -3 on the three NIST curves).
fn curve_params(kind: KeyKind) -> Option<(BigUint, BigUint)> {
    let hex = |s: &str| BigUint::parse_bytes(s.as_bytes(), 16).expect("constant");
    match kind {
        KeyKind::P256 => Some((
            hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"),
            hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"),
        )),
        KeyKind::P384 => Some((
            hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff"),
            hex("b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef"),
        )),
        KeyKind::P521 => Some((
            hex("01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
            hex("0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00"),
        )),
        KeyKind::Ed25519 => None,
    }
}

/// Decompresses a SEC1 compressed point (`02|03 || x`) on P-256, P-384 or P-521.
pub fn decompress_point(kind: KeyKind, compressed: &[u8]) -> Result<PublicKey, DidError> {
    let n = kind.coordinate_len();
    let (p, b) = curve_params(kind)
        .ok_or_else(|| DidError::InvalidKey("Ed25519 keys are not compressed points".into()))?;
    if compressed.len() != n + 1 || !matches!(compressed[0], 0x02 | 0x03) {
        return Err(DidError::InvalidKey(
            "not a compressed SEC1 point of the curve".into(),
        ));
    }
    let x = BigUint::from_bytes_be(&compressed[1..]);
    if x >= p {
        return Err(DidError::InvalidKey("x is not a field element".into()));
    }
    let three = BigUint::from(3u8);
    // y^2 = x^3 - 3x + b (mod p); the three primes are 3 mod 4, so sqrt = rhs^((p+1)/4).
    let rhs = (x.modpow(&three, &p) + &p * 3u8 - (&x * 3u8) % &p + &b) % &p;
    let mut y = rhs.modpow(&((&p + 1u8) >> 2), &p);
    if (&y * &y) % &p != rhs {
        return Err(DidError::InvalidKey("the point is not on the curve".into()));
    }
    if y.bit(0) != (compressed[0] == 0x03) {
        y = &p - &y;
    }
    let pad = |v: &BigUint| {
        let bytes = v.to_bytes_be();
        let mut out = vec![0u8; n - bytes.len()];
        out.extend(bytes);
        out
    };
    PublicKey::from_coordinates(kind, &compressed[1..], &pad(&y))
        .map_err(|e| DidError::InvalidKey(e.to_string()))
}

/// The SEC1 compressed form of an EC public key.
pub fn compress_point(key: &PublicKey) -> Option<Vec<u8>> {
    let (x, y) = key.coordinates()?;
    let mut out = vec![if y[y.len() - 1] & 1 == 1 { 0x03 } else { 0x02 }];
    out.extend_from_slice(x);
    Some(out)
}

/// Encodes a public key as a Multikey `publicKeyMultibase` (`z` + base58btc(multicodec || key)).
pub fn multikey_encode(key: &PublicKey) -> String {
    let mut bytes = Vec::new();
    match key.kind() {
        KeyKind::Ed25519 => {
            bytes.extend(MULTICODEC_ED25519_PUB);
            bytes.extend(key.as_bytes());
        }
        kind @ (KeyKind::P256 | KeyKind::P384 | KeyKind::P521) => {
            bytes.extend(match kind {
                KeyKind::P256 => MULTICODEC_P256_PUB,
                KeyKind::P384 => MULTICODEC_P384_PUB,
                _ => MULTICODEC_P521_PUB,
            });
            bytes.extend(compress_point(key).expect("EC key"));
        }
    }
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Decodes a Multikey `publicKeyMultibase` value (Ed25519, P-256, P-384).
pub fn multikey_decode(multibase: &str) -> Result<PublicKey, DidError> {
    let b58 = multibase
        .strip_prefix('z')
        .ok_or_else(|| DidError::InvalidKey("not multibase base58btc ('z')".into()))?;
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| DidError::InvalidKey("not base58btc".into()))?;
    if bytes.len() < 2 {
        return Err(DidError::InvalidKey("too short".into()));
    }
    let (prefix, key) = bytes.split_at(2);
    match [prefix[0], prefix[1]] {
        MULTICODEC_ED25519_PUB => PublicKey::from_bytes(KeyKind::Ed25519, key)
            .map_err(|e| DidError::InvalidKey(e.to_string())),
        MULTICODEC_P256_PUB => decompress_point(KeyKind::P256, key),
        MULTICODEC_P384_PUB => decompress_point(KeyKind::P384, key),
        MULTICODEC_P521_PUB => decompress_point(KeyKind::P521, key),
        _ => Err(DidError::InvalidKey(format!(
            "unsupported multicodec prefix 0x{:02x}{:02x}",
            prefix[0], prefix[1]
        ))),
    }
}

/// The `did:key` of a public key.
pub fn did_key(key: &PublicKey) -> String {
    format!("did:key:{}", multikey_encode(key))
}

/// The did:key verification method URL (`did:key:z...#z...`) of a public key.
pub fn did_key_vm(key: &PublicKey) -> String {
    let mk = multikey_encode(key);
    format!("did:key:{mk}#{mk}")
}

/// Resolves a `did:key` (Multikey form).
pub fn resolve_did_key(did: &str) -> Result<DidDocument, DidError> {
    let mk = did
        .strip_prefix("did:key:")
        .ok_or_else(|| DidError::InvalidDid(did.to_string()))?;
    let key = multikey_decode(mk)?;
    Ok(single_key_document(did, mk, key))
}

/// The `did:jwk` of a public key (base64url of the public JWK's JSON).
pub fn did_jwk(key: &PublicKey) -> String {
    let mut jwk = Jwk::from_public_key(key).to_value();
    if let Some(o) = jwk.as_object_mut() {
        o.remove("kid");
    }
    format!(
        "did:jwk:{}",
        b64::encode(serde_json::to_vec(&jwk).expect("JSON"))
    )
}

/// Resolves a `did:jwk`: the single method is `#0`.
pub fn resolve_did_jwk(did: &str) -> Result<DidDocument, DidError> {
    let enc = did
        .strip_prefix("did:jwk:")
        .ok_or_else(|| DidError::InvalidDid(did.to_string()))?;
    let json = b64::decode(enc).ok_or_else(|| DidError::InvalidDid("not base64url".into()))?;
    let value: Value =
        serde_json::from_slice(&json).map_err(|_| DidError::InvalidDid("not a JSON JWK".into()))?;
    if value.get("d").is_some() {
        return Err(DidError::InvalidKey("did:jwk carries a private key".into()));
    }
    let jwk = Jwk::from_value(&value).map_err(|e| DidError::InvalidKey(e.to_string()))?;
    Ok(single_key_document(did, "0", jwk.public_key().clone()))
}

/// The HTTPS URL of a `did:web` document: `did:web:example.com:user` →
/// `https://example.com/user/did.json`; `did:web:example.com` →
/// `https://example.com/.well-known/did.json`; `%3A` in the host is a port.
pub fn did_web_url(did: &str) -> Result<String, DidError> {
    let rest = did
        .strip_prefix("did:web:")
        .ok_or_else(|| DidError::InvalidDid(did.to_string()))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('#') || rest.contains('?') {
        return Err(DidError::InvalidDid(did.to_string()));
    }
    let mut parts = rest.split(':');
    let host = parts
        .next()
        .unwrap_or_default()
        .replace("%3A", ":")
        .replace("%3a", ":");
    let path: Vec<&str> = parts.collect();
    if host.is_empty() || path.iter().any(|p| p.is_empty()) {
        return Err(DidError::InvalidDid(did.to_string()));
    }
    let url = if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    };
    url::Url::parse(&url).map_err(|_| DidError::InvalidDid(did.to_string()))?;
    Ok(url)
}

/// Fetches `did:web` documents (the service layer implements it over HTTPS, with caching).
pub trait DidWebResolver {
    /// Fetches the JSON document at `url` (from [`did_web_url`]).
    fn fetch(&self, url: &str) -> Result<Value, DidError>;
}

/// Parses a DID document: methods with `publicKeyMultibase` (Multikey) or `publicKeyJwk`.
pub fn parse_did_document(did: &str, doc: &Value) -> Result<DidDocument, DidError> {
    if doc.get("id").and_then(Value::as_str) != Some(did) {
        return Err(DidError::InvalidDocument(
            "id does not match the DID".into(),
        ));
    }
    let abs = |id: &str| {
        if id.starts_with('#') {
            format!("{did}{id}")
        } else {
            id.to_string()
        }
    };
    let parse_vm = |m: &Value| -> Result<VerificationMethod, DidError> {
        let id = m
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| DidError::InvalidDocument("a method has no id".into()))?;
        let public_key = if let Some(mb) = m.get("publicKeyMultibase").and_then(Value::as_str) {
            multikey_decode(mb)?
        } else if let Some(jwk) = m.get("publicKeyJwk") {
            Jwk::from_value(jwk)
                .map_err(|e| DidError::InvalidKey(e.to_string()))?
                .public_key()
                .clone()
        } else {
            return Err(DidError::InvalidDocument(format!("{id} has no public key")));
        };
        Ok(VerificationMethod {
            id: abs(id),
            controller: m
                .get("controller")
                .and_then(Value::as_str)
                .unwrap_or(did)
                .to_string(),
            public_key,
        })
    };
    let mut vms = Vec::new();
    for m in doc
        .get("verificationMethod")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        vms.push(parse_vm(m)?);
    }
    let mut relationships = Vec::new();
    for r in RELATIONSHIPS {
        let mut ids = Vec::new();
        for e in doc.get(r).and_then(Value::as_array).into_iter().flatten() {
            match e {
                Value::String(s) => ids.push(abs(s)),
                Value::Object(_) => {
                    let vm = parse_vm(e)?;
                    ids.push(vm.id.clone());
                    vms.push(vm);
                }
                _ => return Err(DidError::InvalidDocument(format!("bad {r} entry"))),
            }
        }
        relationships.push((r.to_string(), ids));
    }
    Ok(DidDocument {
        id: did.to_string(),
        verification_methods: vms,
        relationships,
    })
}

/// Resolves a DID: `did:key` and `did:jwk` locally, `did:web` through `web` (if given).
pub fn resolve(did: &str, web: Option<&dyn DidWebResolver>) -> Result<DidDocument, DidError> {
    if did.starts_with("did:key:") {
        resolve_did_key(did)
    } else if did.starts_with("did:jwk:") {
        resolve_did_jwk(did)
    } else if did.starts_with("did:web:") {
        let web = web.ok_or_else(|| DidError::UnsupportedMethod("did:web (no resolver)".into()))?;
        let doc = web.fetch(&did_web_url(did)?)?;
        parse_did_document(did, &doc)
    } else {
        Err(DidError::UnsupportedMethod(
            did.split(':').take(2).collect::<Vec<_>>().join(":"),
        ))
    }
}

/// Resolves a verification method URL (`did:...#fragment`) authorized for `relationship`.
pub fn resolve_verification_method(
    vm_url: &str,
    relationship: &str,
    web: Option<&dyn DidWebResolver>,
) -> Result<VerificationMethod, DidError> {
    let did = vm_url.split('#').next().unwrap_or_default();
    if !vm_url.contains('#') {
        return Err(DidError::InvalidDid(format!(
            "{vm_url} is not a verification method URL"
        )));
    }
    let doc = resolve(did, web)?;
    doc.method_for(vm_url, relationship).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::provider;

    #[test]
    fn did_key_ed25519_spec_example() {
        // The Ed25519 key of the W3C vc-di-eddsa test vectors.
        let did = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
        let doc = resolve_did_key(did).unwrap();
        let vm = &doc.verification_methods[0];
        assert_eq!(vm.public_key.kind(), KeyKind::Ed25519);
        assert_eq!(did_key(&vm.public_key), did);
        let url = format!("{did}#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2");
        assert_eq!(
            resolve_verification_method(&url, "assertionMethod", None).unwrap(),
            *vm
        );
    }

    #[test]
    fn did_key_p256_and_p384_decompress_and_round_trip() {
        // From the W3C vc-di-ecdsa test vectors (prefixes 0x8024 and 0x8124).
        for (did, kind) in [
            (
                "did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP",
                KeyKind::P256,
            ),
            (
                "did:key:z82LkuBieyGShVBhvtE2zoiD6Kma4tJGFtkAhxR5pfkp5QPw4LutoYWhvQCnGjdVn14kujQ",
                KeyKind::P384,
            ),
        ] {
            let doc = resolve_did_key(did).unwrap();
            let key = &doc.verification_methods[0].public_key;
            assert_eq!(key.kind(), kind);
            assert_eq!(did_key(key), did);
        }
        for p in provider::all() {
            for kind in [KeyKind::P256, KeyKind::P384] {
                for _ in 0..8 {
                    let key = p.generate(kind).unwrap().public_key().clone();
                    let back = multikey_decode(&multikey_encode(&key)).unwrap();
                    assert_eq!(back, key);
                }
            }
        }
        assert!(multikey_encode(
            &provider::default()
                .generate(KeyKind::P256)
                .unwrap()
                .public_key()
                .clone()
        )
        .starts_with("zDn"));
    }

    #[test]
    fn bad_multikeys_are_rejected() {
        let mut bytes = vec![0x80, 0x24, 0x02];
        bytes.extend([0xff; 32]);
        let s = format!("z{}", bs58::encode(&bytes).into_string());
        assert_eq!(
            multikey_decode(&s).unwrap_err().code(),
            "invalid_public_key"
        );
        let unknown = format!("z{}", bs58::encode([0xe7, 0x01, 1, 2]).into_string());
        assert!(multikey_decode(&unknown).is_err());
        assert!(multikey_decode("uAAAA").is_err());
    }

    #[test]
    fn did_jwk_round_trips() {
        for kind in [KeyKind::P256, KeyKind::Ed25519] {
            let key = provider::default()
                .generate(kind)
                .unwrap()
                .public_key()
                .clone();
            let did = did_jwk(&key);
            let doc = resolve_did_jwk(&did).unwrap();
            let vm = doc.method_for("#0", "authentication").unwrap();
            assert_eq!(vm.public_key, key);
        }
    }

    #[test]
    fn did_web_urls() {
        assert_eq!(
            did_web_url("did:web:example.com:user").unwrap(),
            "https://example.com/user/did.json"
        );
        assert_eq!(
            did_web_url("did:web:w3c-ccg.github.io").unwrap(),
            "https://w3c-ccg.github.io/.well-known/did.json"
        );
        assert_eq!(
            did_web_url("did:web:example.com%3A3000:user:alice").unwrap(),
            "https://example.com:3000/user/alice/did.json"
        );
        assert!(did_web_url("did:web:").is_err());
        assert!(did_web_url("did:web:example.com::x").is_err());
        assert!(did_web_url("did:key:z6Mk").is_err());
    }

    struct Fixed(Value);
    impl DidWebResolver for Fixed {
        fn fetch(&self, url: &str) -> Result<Value, DidError> {
            assert_eq!(url, "https://example.com/issuer/did.json");
            Ok(self.0.clone())
        }
    }

    #[test]
    fn did_web_through_a_resolver_and_relationships() {
        let key = provider::default()
            .generate(KeyKind::P256)
            .unwrap()
            .public_key()
            .clone();
        let did = "did:web:example.com:issuer";
        let doc = json!({
            "id": did,
            "verificationMethod": [{"id": "#k1", "type": "JsonWebKey", "controller": did,
                                     "publicKeyJwk": Jwk::from_public_key(&key).to_value()}],
            "assertionMethod": ["#k1"]
        });
        let r = Fixed(doc);
        let vm =
            resolve_verification_method(&format!("{did}#k1"), "assertionMethod", Some(&r)).unwrap();
        assert_eq!(vm.public_key, key);
        let err = resolve_verification_method(&format!("{did}#k1"), "authentication", Some(&r))
            .unwrap_err();
        assert_eq!(err.code(), "verification_method_not_authorized");
        assert_eq!(
            resolve(did, None).unwrap_err().code(),
            "unsupported_did_method"
        );
    }
}
