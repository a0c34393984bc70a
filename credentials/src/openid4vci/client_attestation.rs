//! OAuth 2.0 Attestation-Based Client Authentication (draft-ietf-oauth-attestation-based-
//! client-auth), the wallet attestation of HAIP 1.0 section 4.4.1: at PAR and at the token
//! endpoint a wallet instance sends its wallet provider's Client Attestation JWT
//! (`OAuth-Client-Attestation`, `typ: oauth-client-attestation+jwt`, signed by the provider,
//! `x5c` to the provider's root, naming the client in `sub` and the instance's key in
//! `cnf.jwk`) and a Client Attestation PoP JWT (`OAuth-Client-Attestation-PoP`,
//! `typ: oauth-client-attestation-pop+jwt`, signed by that instance key, for this
//! authorization server in `aud`, fresh `iat`, single-use `jti`).
//!
//! Signing both sides lives here; [`verify`] checks the pair and leaves two decisions to
//! the caller: whether the provider's chain is trusted (a closure: the register's wallet
//! providers, or configured roots) and whether the PoP's `jti` was seen before.

use serde_json::{json, Map, Value};

use crate::jose::{sign_compact, CompactJws, JoseError, JwsPolicy};
use crate::keys::{Algorithm, Jwk, PublicKey, Signer};
use crate::x509::Certificate;

/// The `typ` of a Client Attestation JWT.
pub const ATTESTATION_TYP: &str = "oauth-client-attestation+jwt";
/// The `typ` of a Client Attestation PoP JWT.
pub const POP_TYP: &str = "oauth-client-attestation-pop+jwt";
/// The HTTP header carrying the Client Attestation JWT.
pub const ATTESTATION_HEADER: &str = "OAuth-Client-Attestation";
/// The HTTP header carrying the Client Attestation PoP JWT.
pub const POP_HEADER: &str = "OAuth-Client-Attestation-PoP";
/// The token endpoint authentication method name (authorization server metadata).
pub const AUTH_METHOD: &str = "attest_jwt_client_auth";

/// Signature algorithms accepted for both JWTs.
const ALGS: &[Algorithm] = &[Algorithm::Es256, Algorithm::Es384, Algorithm::EdDsa];

/// Largest `jti` accepted, bytes.
const MAX_JTI: usize = 256;

/// What a wallet provider states about one wallet instance.
#[derive(Clone, Debug)]
pub struct WalletAttestationClaims {
    /// The wallet provider (`iss`).
    pub iss: String,
    /// The OAuth client the instance is (`sub`).
    pub client_id: String,
    /// The instance's key (`cnf.jwk`): the key that signs the PoP.
    pub instance_key: PublicKey,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expiry (seconds).
    pub exp: i64,
    /// The wallet's name, shown by issuers (`wallet_name`, optional).
    pub wallet_name: Option<String>,
}

impl WalletAttestationClaims {
    /// Signs the Client Attestation JWT with the provider's key, its certificate chain
    /// (leaf first, without the trust anchor) in `x5c`.
    pub fn sign(&self, provider: &dyn Signer, x5c: &[Certificate]) -> Result<String, JoseError> {
        let mut header = Map::new();
        header.insert("typ".into(), ATTESTATION_TYP.into());
        header.insert("x5c".into(), crate::x509::x5c_value(x5c));
        let mut claims = json!({
            "iss": self.iss,
            "sub": self.client_id,
            "iat": self.iat,
            "exp": self.exp,
            "cnf": {"jwk": super::proof::header_jwk(&self.instance_key)},
        });
        if let Some(n) = &self.wallet_name {
            claims["wallet_name"] = n.clone().into();
        }
        sign_compact(
            &header,
            &serde_json::to_vec(&claims).expect("claims serialize"),
            provider,
        )
    }
}

/// Signs a Client Attestation PoP JWT with the instance key: for the authorization server
/// `aud`, made at `iat`, with a fresh `jti` (and the server's `challenge`, when it gave one).
pub fn sign_pop(
    instance: &dyn Signer,
    aud: &str,
    jti: &str,
    iat: i64,
    challenge: Option<&str>,
) -> Result<String, JoseError> {
    let mut header = Map::new();
    header.insert("typ".into(), POP_TYP.into());
    let mut claims = json!({"aud": aud, "jti": jti, "iat": iat});
    if let Some(c) = challenge {
        claims["challenge"] = c.into();
    }
    sign_compact(
        &header,
        &serde_json::to_vec(&claims).expect("claims serialize"),
        instance,
    )
}

/// Why a client attestation was refused; each maps to `invalid_client` (HTTP 401).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientAttestationError {
    /// The request carried no attestation, or only one of the two headers.
    #[error("a wallet attestation is required (OAuth-Client-Attestation and OAuth-Client-Attestation-PoP)")]
    Missing,
    /// A JWT is not what the draft describes.
    #[error("wallet attestation: {0}")]
    Malformed(String),
    /// The provider's chain is not trusted.
    #[error("wallet attestation: the wallet provider is not trusted: {0}")]
    Untrusted(String),
    /// The attestation's signature does not verify with its leaf certificate.
    #[error("wallet attestation: the signature does not verify")]
    Signature,
    /// The attestation has expired (or is not yet valid).
    #[error("wallet attestation: {0}")]
    Expired(String),
    /// The PoP is not the instance's, not for this server, or not fresh.
    #[error("wallet attestation PoP: {0}")]
    Pop(String),
    /// The request names another client than the attestation.
    #[error("the request's client_id is not the attestation's sub")]
    ClientMismatch,
}

/// A verified attestation pair.
#[derive(Clone, Debug)]
pub struct VerifiedClientAttestation {
    /// The client (`sub`).
    pub client_id: String,
    /// The wallet provider (`iss`).
    pub provider: String,
    /// The provider's chain, leaf first, as sent (and trusted).
    pub chain: Vec<Certificate>,
    /// The instance key.
    pub instance_key: PublicKey,
    /// The PoP's `jti`, for the caller's replay check.
    pub pop_jti: String,
    /// The attestation's `status` claim, if any (a Token Status List reference).
    pub status: Option<Value>,
}

/// What [`verify`] checks the pair against.
pub struct Expectations<'a> {
    /// The authorization server's issuer identifier: the PoP's `aud`.
    pub audience: &'a str,
    /// The `client_id` the request names, if it names one.
    pub client_id: Option<&'a str>,
    /// Now, seconds.
    pub now: i64,
    /// Oldest PoP `iat` accepted: `now - max_age`.
    pub max_age: i64,
    /// Clock skew allowed on `iat`, `nbf` and `exp`.
    pub skew: i64,
}

fn jws(
    text: &str,
    what: &str,
    typ: &str,
) -> Result<(CompactJws, Map<String, Value>), ClientAttestationError> {
    let malformed = |m: String| ClientAttestationError::Malformed(m);
    let j = CompactJws::parse(text.trim()).map_err(|e| malformed(format!("{what}: {e}")))?;
    if j.header().typ() != Some(typ) {
        return Err(malformed(format!("{what}: typ must be {typ}")));
    }
    let claims = j.claims().map_err(|e| malformed(format!("{what}: {e}")))?;
    Ok((j, claims))
}

fn int(claims: &Map<String, Value>, k: &str) -> Option<i64> {
    claims.get(k).and_then(Value::as_i64)
}

/// Verifies an attestation and its PoP: the attestation's `typ`, its `x5c` chain accepted
/// by `trust` and its signature by the chain's leaf, `iss`, `sub`, `exp` (and `nbf`/`iat`
/// not in the future), `cnf.jwk`; the PoP's `typ`, its signature by that key, `aud`
/// naming this server, a `jti`, a fresh `iat`; and the request's `client_id` equal to `sub`.
pub fn verify(
    attestation: &str,
    pop: &str,
    expect: &Expectations<'_>,
    trust: impl FnOnce(&[Certificate]) -> Result<(), String>,
) -> Result<VerifiedClientAttestation, ClientAttestationError> {
    use ClientAttestationError as E;
    let (att, claims) = jws(attestation, "the attestation", ATTESTATION_TYP)?;
    let ders = att
        .header()
        .x5c()
        .map_err(|e| E::Malformed(e.to_string()))?
        .ok_or_else(|| E::Malformed("the attestation has no x5c".into()))?;
    let chain = crate::x509::parse_chain(&ders).map_err(|e| E::Malformed(format!("x5c: {e}")))?;
    trust(&chain).map_err(E::Untrusted)?;
    let provider_key = chain[0]
        .public_key()
        .map_err(|e| E::Malformed(format!("x5c leaf key: {e}")))?;
    att.verify(&provider_key, &JwsPolicy::allowing(ALGS))
        .map_err(|_| E::Signature)?;
    let text = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| E::Malformed(format!("the attestation has no {k}")))
    };
    let provider = text("iss")?;
    let client_id = text("sub")?;
    let exp =
        int(&claims, "exp").ok_or_else(|| E::Malformed("the attestation has no exp".into()))?;
    if exp + expect.skew <= expect.now {
        return Err(E::Expired("the attestation has expired".into()));
    }
    for k in ["nbf", "iat"] {
        if int(&claims, k).is_some_and(|t| t > expect.now + expect.skew) {
            return Err(E::Expired(format!(
                "the attestation's {k} is in the future"
            )));
        }
    }
    let instance_key = claims
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(|j| Jwk::from_value(j).ok())
        .map(|j| j.public_key().clone())
        .ok_or_else(|| E::Malformed("the attestation has no usable cnf.jwk".into()))?;

    let (p, pop_claims) = jws(pop, "the PoP", POP_TYP)?;
    p.verify(&instance_key, &JwsPolicy::allowing(ALGS))
        .map_err(|_| E::Pop("not signed by the attested instance key".into()))?;
    let aud_ok = match pop_claims.get("aud") {
        Some(Value::String(a)) => a == expect.audience,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(expect.audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(E::Pop(format!("aud must name {}", expect.audience)));
    }
    let pop_jti = pop_claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI)
        .ok_or_else(|| E::Pop("jti is missing or too long".into()))?
        .to_string();
    let iat = int(&pop_claims, "iat").ok_or_else(|| E::Pop("iat is missing".into()))?;
    if iat < expect.now - expect.max_age || iat > expect.now + expect.skew {
        return Err(E::Pop("iat is not recent".into()));
    }
    if pop_claims
        .get("iss")
        .is_some_and(|i| i.as_str() != Some(client_id.as_str()))
    {
        return Err(E::Pop("iss is not the attestation's sub".into()));
    }
    if expect.client_id.is_some_and(|c| c != client_id) {
        return Err(E::ClientMismatch);
    }
    Ok(VerifiedClientAttestation {
        client_id,
        provider,
        chain,
        instance_key,
        pop_jti,
        status: claims.get("status").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SoftwareSigner;
    use crate::x509::dev::{issue, self_signed, CertSpec};
    use std::sync::Arc;

    const AS: &str = "https://issuer.example";

    struct Fixture {
        provider: Arc<dyn Signer>,
        chain: Vec<Certificate>,
        instance: SoftwareSigner,
    }

    fn fixture() -> Fixture {
        let root_key: Arc<dyn Signer> =
            Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
        let root = self_signed(
            &CertSpec {
                common_name: "WP Root".into(),
                days: 30,
                ca: Some(Some(0)),
                ..Default::default()
            },
            root_key.clone(),
        )
        .unwrap();
        let provider: Arc<dyn Signer> =
            Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
        let leaf = issue(
            &CertSpec {
                common_name: "WP".into(),
                days: 30,
                ..Default::default()
            },
            provider.public_key(),
            &root,
            root_key,
        )
        .unwrap();
        Fixture {
            provider,
            chain: vec![leaf],
            instance: SoftwareSigner::generate(Algorithm::Es256).unwrap().0,
        }
    }

    fn attestation(f: &Fixture, exp: i64) -> String {
        WalletAttestationClaims {
            iss: "https://wp.example".into(),
            client_id: "wallet".into(),
            instance_key: f.instance.public_key().clone(),
            iat: 1000,
            exp,
            wallet_name: None,
        }
        .sign(f.provider.as_ref(), &f.chain)
        .unwrap()
    }

    fn expect(client_id: Option<&str>) -> Expectations<'_> {
        Expectations {
            audience: AS,
            client_id,
            now: 1000,
            max_age: 300,
            skew: 60,
        }
    }

    fn trusted(_: &[Certificate]) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn a_fresh_pair_for_this_server_verifies() {
        let f = fixture();
        let pop = sign_pop(&f.instance, AS, "j-1", 1000, None).unwrap();
        let v = verify(
            &attestation(&f, 5000),
            &pop,
            &expect(Some("wallet")),
            trusted,
        )
        .unwrap();
        assert_eq!(v.client_id, "wallet");
        assert_eq!(v.provider, "https://wp.example");
        assert_eq!(v.pop_jti, "j-1");
    }

    #[test]
    fn each_broken_part_is_refused_with_its_reason() {
        use ClientAttestationError as E;
        let f = fixture();
        let att = attestation(&f, 5000);
        let good_pop = sign_pop(&f.instance, AS, "j", 1000, None).unwrap();
        // Another server's PoP.
        let pop = sign_pop(&f.instance, "https://other.example", "j", 1000, None).unwrap();
        assert!(matches!(
            verify(&att, &pop, &expect(None), trusted),
            Err(E::Pop(_))
        ));
        // A PoP by another key than cnf.jwk.
        let other = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
        let pop = sign_pop(&other, AS, "j", 1000, None).unwrap();
        assert!(matches!(
            verify(&att, &pop, &expect(None), trusted),
            Err(E::Pop(_))
        ));
        // A stale PoP.
        let pop = sign_pop(&f.instance, AS, "j", 100, None).unwrap();
        assert!(matches!(
            verify(&att, &pop, &expect(None), trusted),
            Err(E::Pop(_))
        ));
        // An expired attestation.
        assert!(matches!(
            verify(&attestation(&f, 900), &good_pop, &expect(None), trusted),
            Err(E::Expired(_))
        ));
        // Another client than the request names.
        assert_eq!(
            verify(&att, &good_pop, &expect(Some("someone-else")), trusted).unwrap_err(),
            E::ClientMismatch
        );
        // An untrusted provider.
        assert!(matches!(
            verify(&att, &good_pop, &expect(None), |_| Err("no".into())),
            Err(E::Untrusted(_))
        ));
        // The PoP offered as the attestation (wrong typ).
        assert!(matches!(
            verify(&good_pop, &good_pop, &expect(None), trusted),
            Err(E::Malformed(_))
        ));
        // An attestation signed by the instance key, not by the certified provider.
        let forged = WalletAttestationClaims {
            iss: "https://wp.example".into(),
            client_id: "wallet".into(),
            instance_key: f.instance.public_key().clone(),
            iat: 1000,
            exp: 5000,
            wallet_name: None,
        }
        .sign(&f.instance, &f.chain)
        .unwrap();
        assert_eq!(
            verify(&forged, &good_pop, &expect(None), trusted).unwrap_err(),
            E::Signature
        );
    }
}
