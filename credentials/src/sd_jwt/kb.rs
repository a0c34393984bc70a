//! The Key Binding JWT (RFC 9901 section 4.3): the holder's proof of possession of the
//! `cnf` key, bound to the verifier (`aud`), the transaction (`nonce`) and the exact
//! presented SD-JWT (`sd_hash`).

use serde_json::{Map, Value};

use super::{SdAlg, SdJwt, SdJwtError};
use crate::jose::{sign_compact, CompactJws, JwsPolicy};
use crate::keys::{Jwk, PublicKey, Signer};

/// The `typ` of a KB-JWT.
pub const KB_JWT_TYP: &str = "kb+jwt";

/// The verified content of a KB-JWT.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyBindingJwt {
    /// `aud`.
    pub aud: String,
    /// `nonce`.
    pub nonce: String,
    /// `iat`.
    pub iat: i64,
}

impl KeyBindingJwt {
    /// Signs a KB-JWT for `presentation` (whose Disclosures are final) and returns the
    /// SD-JWT+KB. `alg` must be the credential's `_sd_alg`.
    pub fn attach(
        presentation: SdJwt,
        holder: &dyn Signer,
        aud: &str,
        nonce: &str,
        iat: i64,
        alg: SdAlg,
    ) -> Result<SdJwt, SdJwtError> {
        let mut header = Map::new();
        header.insert("typ".into(), KB_JWT_TYP.into());
        let mut claims = Map::new();
        claims.insert("iat".into(), iat.into());
        claims.insert("aud".into(), aud.into());
        claims.insert("nonce".into(), nonce.into());
        claims.insert("sd_hash".into(), presentation.sd_hash(alg).into());
        let payload = serde_json::to_vec(&Value::Object(claims)).expect("a JSON map serializes");
        let kb = sign_compact(&header, &payload, holder)
            .map_err(|e| SdJwtError::Issue(e.to_string()))?;
        Ok(presentation.with_kb_jwt(kb))
    }

    /// The holder key bound into a credential: `cnf.jwk` (RFC 7800).
    pub fn holder_key(claims: &Map<String, Value>) -> Result<PublicKey, SdJwtError> {
        let cnf = claims
            .get("cnf")
            .ok_or(SdJwtError::CnfMissing("the credential has no cnf claim"))?;
        let jwk = cnf.get("jwk").ok_or(SdJwtError::CnfMissing(
            "cnf has no jwk (only cnf.jwk is supported)",
        ))?;
        Jwk::from_value(jwk)
            .map(|j| j.public_key().clone())
            .map_err(|_| SdJwtError::CnfMissing("cnf.jwk is not a supported public key"))
    }

    /// Verifies a KB-JWT against the presentation it ends (RFC 9901 section 7.3, step 5).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn verify(
        sd_jwt: &SdJwt,
        kb: &str,
        holder: &PublicKey,
        alg: SdAlg,
        policy: &JwsPolicy<'_>,
        aud: Option<&str>,
        nonce: Option<&str>,
        now: i64,
        max_age: i64,
        future_skew: i64,
    ) -> Result<KeyBindingJwt, SdJwtError> {
        let jws =
            CompactJws::parse(kb).map_err(|_| SdJwtError::KbMalformed("not a compact JWS"))?;
        if jws.header().typ() != Some(KB_JWT_TYP) {
            return Err(SdJwtError::KbTypInvalid);
        }
        jws.verify(holder, policy).map_err(SdJwtError::KbJws)?;
        let claims = jws
            .claims()
            .map_err(|_| SdJwtError::KbMalformed("the payload is not a JSON object"))?;
        let text = |name: &'static str| match claims.get(name) {
            Some(Value::String(s)) => Ok(s.as_str()),
            _ => Err(SdJwtError::KbMalformed(name)),
        };
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(SdJwtError::KbMalformed("iat is missing or not an integer"))?;
        let (got_aud, got_nonce, sd_hash) = (text("aud")?, text("nonce")?, text("sd_hash")?);
        if sd_hash != sd_jwt.sd_hash(alg) {
            return Err(SdJwtError::KbSdHashMismatch);
        }
        if aud.is_some_and(|a| a != got_aud) {
            return Err(SdJwtError::KbAudMismatch);
        }
        if nonce.is_some_and(|n| n != got_nonce) {
            return Err(SdJwtError::KbNonceMismatch);
        }
        if iat > now.saturating_add(future_skew) || iat < now.saturating_sub(max_age) {
            return Err(SdJwtError::KbIatOutOfWindow { iat, now });
        }
        Ok(KeyBindingJwt {
            aud: got_aud.to_string(),
            nonce: got_nonce.to_string(),
            iat,
        })
    }
}
