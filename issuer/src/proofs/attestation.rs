//! Key attestations (OpenID4VCI 1.0 Appendix D): a `key-attestation+jwt` in which a wallet
//! provider, or the wallet's key storage component, vouches for one or more keys held in one
//! key storage component and states how well it resists attack (`key_storage`,
//! `user_authentication`, Appendix D.2).
//!
//! The issuer takes them in two places:
//! - the `attestation` proof type (Appendix F.3): the attestation alone is the proof, one
//!   signature for a whole batch of keys, none of which has to sign anything; it must carry
//!   the issuer's `c_nonce`;
//! - the `key_attestation` header of a `jwt` proof (Appendix F.1): the proof is signed by one
//!   of the attested keys, and a credential is issued for every attested key.
//!
//! An attestation is accepted only when its `x5c` chain leads to a wallet provider root the
//! issuer was configured with ([`KeyAttestationPolicy::roots`]); a key attestation signed
//! by a key it carries itself would prove nothing. Chains are validated through a
//! [`ChainCache`], so a wallet provider's certificate is checked once, not per request,
//! while expiry is still enforced on every use.

use std::sync::Arc;

use credentials::jose::{CompactJws, JwsPolicy};
use credentials::keys::{Jwk, PublicKey};
use credentials::x509::{Certificate, ChainCache, LeafProfile};
use serde_json::{json, Map, Value};

use super::{check_iat, err, nonce_claim, Freshness, ProofError};
use crate::configurations::PROOF_ALGS;

/// The `typ` of a key attestation.
pub const KEY_ATTESTATION_TYP: &str = "key-attestation+jwt";

/// The spelling of drafts before 1.0 (`keyattestation+jwt`), still what oid4vc-ts 0.4.6
/// (`@openid4vc/openid4vci`, Credo) writes; accepted beside the registered one, as that
/// library accepts both. It names the same type, so no other kind of JWT gets in by it.
const KEY_ATTESTATION_TYP_DRAFT: &str = "keyattestation+jwt";

/// Attested keys accepted in one attestation at most, whatever the batch size (a bound on
/// the work one request can cause before the batch size is checked).
const MAX_ATTESTED_KEYS: usize = 256;

/// Which key attestations the issuer accepts, and what it requires of them.
#[derive(Clone, Debug, Default)]
pub struct KeyAttestationPolicy {
    /// Root (or intermediate) certificates of the wallet providers the issuer trusts: an
    /// attestation's `x5c` chain must lead to one. Empty: key attestations are not accepted
    /// (and not advertised).
    pub roots: Vec<Certificate>,
    /// Whether every credential request must carry a key attestation: a `jwt` proof without
    /// a `key_attestation` header is then refused.
    pub required: bool,
    /// `key_storage` values accepted (empty: any, or none); an attestation must assert one.
    pub key_storage: Vec<String>,
    /// `user_authentication` values accepted (empty: any, or none); likewise.
    pub user_authentication: Vec<String>,
    /// Wallet provider chains validated before.
    cache: Arc<ChainCache>,
}

impl KeyAttestationPolicy {
    /// A policy trusting attestations whose chains lead to `roots`.
    pub fn trusting(roots: Vec<Certificate>) -> Self {
        KeyAttestationPolicy {
            roots,
            ..Default::default()
        }
    }

    /// Whether key attestations are accepted at all.
    pub fn enabled(&self) -> bool {
        !self.roots.is_empty()
    }

    /// The `key_attestations_required` metadata object (OpenID4VCI 1.0 section 12.2.4).
    pub fn requirements(&self) -> Value {
        let mut m = Map::new();
        if !self.key_storage.is_empty() {
            m.insert("key_storage".into(), json!(self.key_storage));
        }
        if !self.user_authentication.is_empty() {
            m.insert(
                "user_authentication".into(),
                json!(self.user_authentication),
            );
        }
        Value::Object(m)
    }
}

/// A verified key attestation.
#[derive(Clone, Debug)]
pub struct KeyAttestation {
    /// The attested keys, in order, each with its RFC 7638 thumbprint.
    pub keys: Vec<(String, PublicKey)>,
    /// The attested keys as sent (to find the one a `jwt` proof names by `kid`).
    pub jwks: Vec<Jwk>,
    /// The `nonce` claim.
    pub nonce: Option<String>,
    /// Whether it carries `exp`.
    pub has_exp: bool,
}

fn string_array(claims: &Map<String, Value>, name: &str) -> Result<Vec<String>, ProofError> {
    match claims.get(name) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| err(format!("{name} must be an array of strings"))),
        Some(_) => Err(err(format!("{name} must be a non-empty array of strings"))),
    }
}

/// Whether the values an attestation asserts (Appendix D.2) include one of `accepted`; an
/// empty `accepted` takes anything.
fn meets(asserted: &[String], what: &str, accepted: &[String]) -> Result<(), ProofError> {
    if accepted.is_empty() || asserted.iter().any(|v| accepted.contains(v)) {
        return Ok(());
    }
    Err(err(format!(
        "the {what} does not meet this issuer's requirement (one of {})",
        accepted.join(", ")
    )))
}

/// Verifies a key attestation: type, an `x5c` chain to a trusted wallet provider root valid
/// now, the signature by the chain's leaf, `iat` not in the future, `exp` (when present) not
/// passed, and — without `exp` — `iat` fresh; `attested_keys` a non-empty list of distinct
/// public keys; `key_storage` and `user_authentication` meeting the policy.
pub fn verify_key_attestation(
    jwt: &str,
    policy: &KeyAttestationPolicy,
    f: Freshness,
) -> Result<KeyAttestation, ProofError> {
    if !policy.enabled() {
        return Err(err("key attestations are not accepted by this issuer"));
    }
    let jws = CompactJws::parse(jwt.trim())
        .map_err(|e| err(format!("the key attestation is not a JWS: {e}")))?;
    let header = jws.header();
    if !matches!(
        header.typ(),
        Some(KEY_ATTESTATION_TYP | KEY_ATTESTATION_TYP_DRAFT)
    ) {
        return Err(err(format!(
            "the key attestation's typ must be {KEY_ATTESTATION_TYP}"
        )));
    }
    if header.get("jwk").is_some() {
        return Err(err(
            "a key attestation signed by a key it carries itself is not accepted",
        ));
    }
    let ders = header
        .x5c()
        .map_err(|e| err(format!("the key attestation's x5c: {e}")))?
        .ok_or_else(|| {
            err("the key attestation must identify its signer by x5c (kid and trust_chain are not accepted)")
        })?;
    let chain = ders
        .iter()
        .map(|d| policy.cache.certificate(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(format!("the key attestation's certificate: {e}")))?;
    policy
        .cache
        .validate(&chain, &policy.roots, f.now, &LeafProfile::default())
        .map_err(|e| {
            err(format!(
                "the key attestation's certificate chain ({}): {e}",
                e.code()
            ))
        })?;
    let signer = chain[0]
        .public_key()
        .map_err(|e| err(format!("the key attestation's certificate key: {e}")))?;
    jws.verify(&signer, &JwsPolicy::allowing(&PROOF_ALGS))
        .map_err(|e| err(format!("the key attestation's signature: {e}")))?;
    let claims = jws
        .claims()
        .map_err(|_| err("the key attestation's payload is not a JSON object"))?;

    // Time: iat required; exp, when present, not passed; without exp, iat must be fresh.
    match claims.get("exp") {
        Some(exp) => {
            let exp = exp
                .as_i64()
                .ok_or_else(|| err("the key attestation's exp is not a number"))?;
            if exp <= f.now {
                return Err(err("the key attestation has expired"));
            }
            let iat = claims
                .get("iat")
                .and_then(Value::as_i64)
                .ok_or_else(|| err("the key attestation's iat is required"))?;
            if iat > f.now + f.max_skew {
                return Err(err("the key attestation's iat is in the future"));
            }
        }
        None => {
            check_iat(&claims, f).map_err(|e| err(format!("the key attestation's {}", e.0)))?;
        }
    }

    let listed = claims
        .get("attested_keys")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| err("attested_keys must be a non-empty array"))?;
    if listed.len() > MAX_ATTESTED_KEYS {
        return Err(err("attested_keys lists too many keys"));
    }
    let mut keys: Vec<(String, PublicKey)> = Vec::with_capacity(listed.len());
    let mut jwks = Vec::with_capacity(listed.len());
    for (i, v) in listed.iter().enumerate() {
        let jwk = Jwk::from_value(v)
            .map_err(|_| err(format!("attested key {i} is not a usable public key")))?;
        if jwk.is_private() {
            return Err(err(format!("attested key {i} carries a private key")));
        }
        let jkt = jwk.thumbprint();
        if keys.iter().any(|(k, _)| *k == jkt) {
            return Err(err(format!("attested key {i} is listed twice")));
        }
        keys.push((jkt, jwk.public_key().clone()));
        jwks.push(jwk);
    }

    let key_storage = string_array(&claims, "key_storage")?;
    let user_authentication = string_array(&claims, "user_authentication")?;
    meets(&key_storage, "key storage", &policy.key_storage)?;
    meets(
        &user_authentication,
        "user authentication",
        &policy.user_authentication,
    )?;
    let nonce = nonce_claim(&claims).map_err(|e| err(format!("the key attestation's {}", e.0)))?;
    Ok(KeyAttestation {
        keys,
        jwks,
        nonce,
        has_exp: claims.contains_key("exp"),
    })
}
