//! The two proof-of-possession JWTs a wallet sends: DPoP proofs (RFC 9449 section 4.3) and
//! OpenID4VCI key proofs (`openid4vci-proof+jwt`, OpenID4VCI 1.0 Appendix F.1). Both carry
//! their public key in the `jwk` header; both are checked before anything is written.

pub mod nonce;

use credentials::jose::{CompactJws, JwsPolicy};
use credentials::keys::{Jwk, PublicKey};
use serde_json::Value;

use crate::configurations::PROOF_ALGS;

/// The `typ` of a DPoP proof.
pub const DPOP_TYP: &str = "dpop+jwt";
/// The `typ` of an OpenID4VCI key proof.
pub const KEY_PROOF_TYP: &str = "openid4vci-proof+jwt";

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
    let jws = CompactJws::parse(text).map_err(|e| err(format!("not a JWS: {e}")))?;
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
pub fn verify_key_proof(
    jwt: &str,
    issuer_id: &str,
    client_id: Option<&str>,
    f: Freshness,
) -> Result<KeyProof, ProofError> {
    let p = verify_self_signed(jwt, KEY_PROOF_TYP)?;
    let aud_ok = match p.claims.get("aud") {
        Some(Value::String(a)) => a == issuer_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(issuer_id)),
        _ => false,
    };
    if !aud_ok {
        return Err(err("aud is not this credential issuer"));
    }
    check_iat(&p.claims, f)?;
    if let (Some(iss), Some(client)) = (p.claims.get("iss"), client_id) {
        if iss.as_str() != Some(client) {
            return Err(err("iss is not the client the token was issued to"));
        }
    }
    let nonce = match p.claims.get("nonce") {
        None => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => return Err(err("nonce is not a string")),
    };
    Ok(KeyProof {
        key: p.jwk.public_key().clone(),
        jkt: p.jwk.thumbprint(),
        nonce,
    })
}
