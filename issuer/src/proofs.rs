//! The two proof-of-possession JWTs a wallet sends: DPoP proofs (RFC 9449 section 4.3) and
//! OpenID4VCI key proofs (`openid4vci-proof+jwt`, OpenID4VCI 1.0 Appendix F.1). Both carry
//! their public key in the `jwk` header; both are checked before anything is written.

pub mod attestation;
pub mod nonce;

use credentials::jose::{CompactJws, JwsPolicy};
use credentials::keys::{Jwk, PublicKey};
use serde_json::Value;

use crate::configurations::PROOF_ALGS;

pub use credentials::openid4vci::{DPOP_TYP, KEY_PROOF_TYP};

/// How fresh a proof must be.
#[derive(Clone, Copy, Debug)]
pub struct Freshness {
    /// Now.
    pub now: i64,
    /// Oldest accepted `iat` is `now - max_age`.
    pub max_age: i64,
    /// Latest accepted `iat` is `now + max_skew`.
    pub max_skew: i64,
}

/// Why a proof was refused (the caller maps it to the endpoint's error code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub String);

fn err(s: impl Into<String>) -> ProofError {
    ProofError(s.into())
}

/// A verified self-signed JWT: its key and claims.
struct SelfSigned {
    jwk: Jwk,
    claims: serde_json::Map<String, Value>,
}

fn verify_self_signed(text: &str, typ: &str) -> Result<SelfSigned, ProofError> {
    verify_self_signed_jws(&parse(text)?, typ)
}

/// Parses a compact JWS, naming the failure.
pub fn parse(text: &str) -> Result<CompactJws, ProofError> {
    CompactJws::parse(text).map_err(|e| err(format!("not a JWS: {e}")))
}

fn verify_self_signed_jws(jws: &CompactJws, typ: &str) -> Result<SelfSigned, ProofError> {
    let header = jws.header();
    if header.typ() != Some(typ) {
        return Err(err(format!("typ must be {typ}")));
    }
    let jwk = match header.jwk() {
        Some(Ok(j)) => j,
        Some(Err(_)) => return Err(err("the jwk header is not a usable public key")),
        None => return Err(err("the jwk header is required")),
    };
    if jwk.is_private() {
        return Err(err("the jwk header carries a private key"));
    }
    for other in ["x5c", "kid", "trust_chain", "key_attestation"] {
        if header.get(other).is_some() {
            return Err(err(format!(
                "the {other} header is not accepted beside jwk"
            )));
        }
    }
    jws.verify(jwk.public_key(), &JwsPolicy::allowing(&PROOF_ALGS))
        .map_err(|e| err(format!("signature: {e}")))?;
    let claims = jws
        .claims()
        .map_err(|_| err("the payload is not a JSON object"))?;
    Ok(SelfSigned { jwk, claims })
}

fn check_iat(claims: &serde_json::Map<String, Value>, f: Freshness) -> Result<i64, ProofError> {
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or_else(|| err("iat is required"))?;
    if iat < f.now - f.max_age {
        return Err(err("iat is too old"));
    }
    if iat > f.now + f.max_skew {
        return Err(err("iat is in the future"));
    }
    Ok(iat)
}

/// A verified DPoP proof.
#[derive(Clone, Debug)]
pub struct Dpop {
    /// RFC 7638 thumbprint of its key (`jkt`).
    pub jkt: String,
    /// Digest of its `jti` (what is stored to refuse a replay).
    pub jti_hash: String,
    /// Until when the `jti` must be remembered.
    pub jti_expires_at: i64,
}

/// Strips query and fragment, lower-cases scheme and host (RFC 9449 section 4.3 item 9).
fn normalize_htu(u: &str) -> Option<String> {
    let mut url = url::Url::parse(u).ok()?;
    url.set_query(None);
    url.set_fragment(None);
    Some(url.to_string())
}

/// Verifies a DPoP proof for `htm` at `htu`; with `access_token`, `ath` must be its hash.
pub fn verify_dpop(
    proof: &str,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    f: Freshness,
) -> Result<Dpop, ProofError> {
    let p = verify_self_signed(proof.trim(), DPOP_TYP)?;
    let jti = p
        .claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| err("jti is required"))?;
    if p.claims.get("htm").and_then(Value::as_str) != Some(htm) {
        return Err(err("htm does not match the request method"));
    }
    let claimed = p
        .claims
        .get("htu")
        .and_then(Value::as_str)
        .and_then(normalize_htu);
    if claimed.is_none() || claimed != normalize_htu(htu) {
        return Err(err("htu does not match the request URI"));
    }
    let iat = check_iat(&p.claims, f)?;
    if let Some(token) = access_token {
        let ath = p.claims.get("ath").and_then(Value::as_str);
        let want = crate::util::sha256_b64(token.as_bytes());
        if !ath.is_some_and(|a| crate::util::ct_eq(a.as_bytes(), want.as_bytes())) {
            return Err(err("ath does not match the access token"));
        }
    }
    Ok(Dpop {
        jkt: p.jwk.thumbprint(),
        jti_hash: crate::util::sha256_hex(format!("{htu} {jti}").as_bytes()),
        jti_expires_at: iat + f.max_age + f.max_skew,
    })
}

/// A verified key proof.
#[derive(Clone, Debug)]
pub struct KeyProof {
    /// The key the credential will be bound to.
    pub key: PublicKey,
    /// Its thumbprint.
    pub jkt: String,
    /// The `nonce` claim (the `c_nonce`).
    pub nonce: Option<String>,
}

/// Verifies an `openid4vci-proof+jwt`: type, signature by its `jwk`, `aud` equal to the
/// issuer identifier, `iat` fresh, `iss` equal to the client when both are known.
/// The proof comes parsed ([`parse`]): the credential endpoint reads every proof's header
/// once to tell attested proofs from plain ones.
pub fn verify_key_proof(
    jws: &CompactJws,
    issuer_id: &str,
    client_id: Option<&str>,
    f: Freshness,
) -> Result<KeyProof, ProofError> {
    let p = verify_self_signed_jws(jws, KEY_PROOF_TYP)?;
    let nonce = key_proof_claims(&p.claims, issuer_id, client_id, f)?;
    Ok(KeyProof {
        key: p.jwk.public_key().clone(),
        jkt: p.jwk.thumbprint(),
        nonce,
    })
}

/// The claims every key proof must carry (`aud`, `iat`, `iss`); returns its `nonce`.
fn key_proof_claims(
    claims: &serde_json::Map<String, Value>,
    issuer_id: &str,
    client_id: Option<&str>,
    f: Freshness,
) -> Result<Option<String>, ProofError> {
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(issuer_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(err("aud is not this credential issuer"));
    }
    check_iat(claims, f)?;
    if let (Some(iss), Some(client)) = (claims.get("iss"), client_id) {
        if iss.as_str() != Some(client) {
            return Err(err("iss is not the client the token was issued to"));
        }
    }
    nonce_claim(claims)
}

/// The `nonce` claim, which must be a string when present.
fn nonce_claim(claims: &serde_json::Map<String, Value>) -> Result<Option<String>, ProofError> {
    match claims.get("nonce") {
        None => Ok(None),
        Some(Value::String(n)) => Ok(Some(n.clone())),
        Some(_) => Err(err("nonce is not a string")),
    }
}

/// A verified `jwt` proof with a key attestation: every attested key, and the proof's nonce.
#[derive(Clone, Debug)]
pub struct AttestedKeyProof {
    /// The key attestation from the header.
    pub attestation: attestation::KeyAttestation,
    /// The proof's `nonce` claim.
    pub nonce: Option<String>,
}

/// Verifies an `openid4vci-proof+jwt` whose `key_attestation` header attests the keys
/// (OpenID4VCI 1.0 Appendix F.1): the attestation as [`attestation::verify_key_attestation`];
/// the proof signed by one of its attested keys, named by a `jwk` header equal to it or by
/// `kid` (the key's `kid`, or its position in `attested_keys`); the proof's own claims as for
/// any key proof; and the attestation's `nonce` equal to the proof's.
pub fn verify_attested_key_proof(
    jws: &CompactJws,
    issuer_id: &str,
    client_id: Option<&str>,
    f: Freshness,
    policy: &attestation::KeyAttestationPolicy,
) -> Result<AttestedKeyProof, ProofError> {
    let header = jws.header();
    if header.typ() != Some(KEY_PROOF_TYP) {
        return Err(err(format!("typ must be {KEY_PROOF_TYP}")));
    }
    for other in ["x5c", "trust_chain"] {
        if header.get(other).is_some() {
            return Err(err(format!(
                "the {other} header is not accepted beside key_attestation"
            )));
        }
    }
    let ka = header
        .get("key_attestation")
        .and_then(Value::as_str)
        .ok_or_else(|| err("the key_attestation header must be a JWT"))?;
    let attestation = attestation::verify_key_attestation(ka, policy, f)?;
    if !attestation.has_exp {
        return Err(err(
            "a key attestation in a jwt proof must carry exp (Appendix D.1)",
        ));
    }
    let signer = match (header.jwk(), header.kid()) {
        (Some(_), Some(_)) => return Err(err("jwk and kid must not both be present")),
        (Some(Err(_)), None) => return Err(err("the jwk header is not a usable public key")),
        (Some(Ok(jwk)), None) => {
            if jwk.is_private() {
                return Err(err("the jwk header carries a private key"));
            }
            let jkt = jwk.thumbprint();
            attestation
                .keys
                .iter()
                .find(|(k, _)| *k == jkt)
                .map(|(_, key)| key.clone())
                .ok_or_else(|| err("the proof is not signed by an attested key"))?
        }
        (None, Some(kid)) => attestation
            .jwks
            .iter()
            .position(|j| j.kid() == Some(kid))
            .or_else(|| {
                kid.parse::<usize>()
                    .ok()
                    .filter(|i| *i < attestation.keys.len() && kid == i.to_string())
            })
            .map(|i| attestation.keys[i].1.clone())
            .ok_or_else(|| err("kid names no attested key"))?,
        (None, None) => return Err(err("the proof must name its key by jwk or kid")),
    };
    jws.verify(&signer, &JwsPolicy::allowing(&PROOF_ALGS))
        .map_err(|e| err(format!("signature: {e}")))?;
    let claims = jws
        .claims()
        .map_err(|_| err("the payload is not a JSON object"))?;
    let nonce = key_proof_claims(&claims, issuer_id, client_id, f)?;
    // Appendix F.1: the attestation carries a server-provided c_nonce; here it must be the
    // proof's own, so one redemption makes both single use.
    if attestation.nonce.is_none() || attestation.nonce != nonce {
        return Err(err(
            "the key attestation's nonce is not the proof's c_nonce",
        ));
    }
    Ok(AttestedKeyProof { attestation, nonce })
}
