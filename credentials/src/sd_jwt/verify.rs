//! Verification (RFC 9901 section 7): the issuer signature, every Disclosure against the
//! digests, the validity window and the Key Binding JWT, fail-closed and in that order.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Disclosure, KeyBindingJwt, SdAlg, SdJwt, SdJwtError, ELLIPSIS, SD, SD_ALG};
use crate::jose::{JwsHeader, JwsPolicy};
use crate::keys::provider::CryptoProvider;
use crate::keys::{Algorithm, PublicKey};
use crate::report::{CheckLog, CheckName};

/// What the verifier expects: its clock, the audience and nonce of its request, and windows.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions<'a> {
    /// The verifier's clock (seconds since the epoch).
    pub now: i64,
    /// Tolerance for `exp`, `nbf` and `iat` of the issuer-signed JWT, in seconds.
    pub leeway: i64,
    /// Whether a KB-JWT is required.
    pub require_key_binding: bool,
    /// The expected KB-JWT `aud` (the verifier's client id); unchecked when `None`.
    pub aud: Option<&'a str>,
    /// The expected KB-JWT `nonce`; unchecked when `None`.
    pub nonce: Option<&'a str>,
    /// How old a KB-JWT `iat` may be, in seconds.
    pub kb_max_age: i64,
    /// How far in the future a KB-JWT `iat` may be, in seconds (clock skew).
    pub kb_future_skew: i64,
    /// Algorithms accepted for the issuer JWT and the KB-JWT.
    pub algorithms: &'a [Algorithm],
    /// The crypto provider that checks signatures.
    pub provider: &'a dyn CryptoProvider,
}

impl VerifyOptions<'_> {
    /// Defaults at time `now`: 60 s leeway, KB-JWT up to 5 minutes old, every algorithm.
    pub fn at(now: i64) -> Self {
        VerifyOptions {
            now,
            leeway: 60,
            require_key_binding: false,
            aud: None,
            nonce: None,
            kb_max_age: 300,
            kb_future_skew: 60,
            algorithms: &Algorithm::ALL,
            provider: crate::keys::provider::default(),
        }
    }
}

/// A verified SD-JWT: the processed claims and what the checks established.
#[derive(Clone, Debug)]
pub struct VerifiedSdJwt {
    /// The issuer-signed JWT's protected header.
    pub header: JwsHeader,
    /// The processed payload: disclosed claims in place, `_sd` and `_sd_alg` removed.
    pub claims: Map<String, Value>,
    /// The digest algorithm.
    pub sd_alg: SdAlg,
    /// The issuer's signature algorithm.
    pub alg: Algorithm,
    /// Claim names that arrived through Disclosures (object properties only).
    pub disclosed_names: Vec<String>,
    /// The verified KB-JWT, if one was presented.
    pub key_binding: Option<KeyBindingJwt>,
}

/// Verifies `sd_jwt` with the issuer's key, recording each check in `log`.
pub fn verify(
    sd_jwt: &SdJwt,
    issuer_key: &PublicKey,
    opts: &VerifyOptions<'_>,
    log: &mut CheckLog,
) -> Result<VerifiedSdJwt, SdJwtError> {
    let policy = JwsPolicy {
        algorithms: opts.algorithms,
        understood_crit: &[],
        provider: opts.provider,
    };
    let alg = log.run(CheckName::IssuerSignature, || {
        let alg = sd_jwt
            .jws()
            .verify(issuer_key, &policy)
            .map_err(SdJwtError::IssuerJws)?;
        Ok((
            alg,
            format!("{alg} signature of the issuer-signed JWT verifies"),
        ))
    })?;

    let (claims, sd_alg, disclosed_names) = log.run(CheckName::Digests, || {
        let payload = sd_jwt
            .jws()
            .claims()
            .map_err(|_| SdJwtError::MalformedPayload("the payload is not a JSON object"))?;
        let sd_alg = match payload.get(SD_ALG) {
            None => SdAlg::default(),
            Some(Value::String(s)) => {
                SdAlg::from_name(s).ok_or_else(|| SdJwtError::UnsupportedSdAlg(s.clone()))?
            }
            Some(_) => return Err(SdJwtError::MalformedPayload("_sd_alg is not a string")),
        };
        let (claims, names) = process_disclosures(payload, sd_jwt.disclosures(), sd_alg)?;
        let detail = format!(
            "{} Disclosure(s) match {} digests; none unreferenced or repeated",
            sd_jwt.disclosures().len(),
            sd_alg.name()
        );
        Ok(((claims, sd_alg, names), detail))
    })?;

    log.run(CheckName::Validity, || {
        check_validity(&claims, opts).map(|d| ((), d))
    })?;

    let key_binding = match (sd_jwt.kb_jwt(), opts.require_key_binding) {
        (None, false) => None,
        (None, true) => {
            log.fail(CheckName::HolderBinding, SdJwtError::KbMissing.to_string());
            return Err(SdJwtError::KbMissing);
        }
        (Some(kb), _) => Some(log.run(CheckName::HolderBinding, || {
            let holder = KeyBindingJwt::holder_key(&claims)?;
            let v = KeyBindingJwt::verify(
                sd_jwt,
                kb,
                &holder,
                sd_alg,
                &policy,
                opts.aud,
                opts.nonce,
                opts.now,
                opts.kb_max_age,
                opts.kb_future_skew,
            )?;
            let detail = format!(
                "KB-JWT signed by the cnf key; sd_hash matches; aud {}; nonce {}; iat within window",
                if opts.aud.is_some() { "matches" } else { "not checked" },
                if opts.nonce.is_some() { "matches" } else { "not checked" },
            );
            Ok((v, detail))
        })?),
    };

    Ok(VerifiedSdJwt {
        header: sd_jwt.jws().header().clone(),
        claims,
        sd_alg,
        alg,
        disclosed_names,
        key_binding,
    })
}

fn numeric(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, SdJwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or(SdJwtError::MalformedPayload(
                "a time claim is not a NumericDate",
            )),
        Some(_) => Err(SdJwtError::MalformedPayload(
            "a time claim (exp, nbf, iat) is not a number",
        )),
    }
}

fn check_validity(
    claims: &Map<String, Value>,
    opts: &VerifyOptions<'_>,
) -> Result<String, SdJwtError> {
    let now = opts.now;
    let (exp, nbf, iat) = (
        numeric(claims, "exp")?,
        numeric(claims, "nbf")?,
        numeric(claims, "iat")?,
    );
    if let Some(exp) = exp {
        if now > exp.saturating_add(opts.leeway) {
            return Err(SdJwtError::Expired { exp, now });
        }
    }
    if let Some(nbf) = nbf {
        if now < nbf.saturating_sub(opts.leeway) {
            return Err(SdJwtError::NotYetValid { nbf, now });
        }
    }
    if let Some(iat) = iat {
        if now < iat.saturating_sub(opts.leeway) {
            return Err(SdJwtError::IssuedInFuture { iat, now });
        }
    }
    Ok(match exp {
        Some(exp) => format!("valid at {now} (expires {exp})"),
        None => format!("valid at {now} (no expiry)"),
    })
}

/// Replaces every digest in `payload` with its Disclosure (RFC 9901 section 7.1 steps 3-5),
/// rejecting unreferenced, repeated, reserved, overwriting and wrong-kind Disclosures.
/// Returns the processed claims and the names that arrived through Disclosures.
pub fn process_disclosures(
    mut payload: Map<String, Value>,
    disclosures: &[Disclosure],
    alg: SdAlg,
) -> Result<(Map<String, Value>, Vec<String>), SdJwtError> {
    payload.remove(SD_ALG);
    // One table for both questions a digest raises (which Disclosure, and whether it was
    // met before): one hash per digest of the payload.
    let mut digests = HashMap::with_capacity(disclosures.len() * 2);
    for (i, d) in disclosures.iter().enumerate() {
        let slot = Slot {
            index: Some(i),
            seen: false,
        };
        if digests.insert(d.digest(alg), slot).is_some() {
            return Err(SdJwtError::DuplicateDisclosure);
        }
    }
    let mut state = Processing {
        disclosures,
        digests,
        used: vec![false; disclosures.len()],
        names: Vec::new(),
    };
    let claims = state.object(payload)?;
    if state.used.iter().any(|u| !u) {
        return Err(SdJwtError::DisclosureNotReferenced);
    }
    Ok((claims, state.names))
}

/// A digest met in the payload or computed from a Disclosure.
struct Slot {
    /// The Disclosure it is the digest of (`None`: a decoy or an unknown digest).
    index: Option<usize>,
    /// Whether the payload already referenced it.
    seen: bool,
}

struct Processing<'a> {
    disclosures: &'a [Disclosure],
    digests: HashMap<String, Slot>,
    used: Vec<bool>,
    names: Vec<String>,
}

impl Processing<'_> {
    fn lookup(&mut self, digest: String) -> Result<Option<&'_ Disclosure>, SdJwtError> {
        let index = match self.digests.get_mut(digest.as_str()) {
            Some(slot) if slot.seen => return Err(SdJwtError::DuplicateDigest(digest)),
            Some(slot) => {
                slot.seen = true;
                slot.index
            }
            None => {
                self.digests.insert(
                    digest,
                    Slot {
                        index: None,
                        seen: true,
                    },
                );
                None
            }
        };
        Ok(index.map(|i| {
            self.used[i] = true;
            &self.disclosures[i]
        }))
    }

    fn value(&mut self, value: Value) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(obj) => self.object(obj).map(Value::Object),
            Value::Array(items) => self.array(items).map(Value::Array),
            other => Ok(other),
        }
    }

    fn object(&mut self, mut obj: Map<String, Value>) -> Result<Map<String, Value>, SdJwtError> {
        let digests = match obj.remove(SD) {
            None => Vec::new(),
            Some(Value::Array(list)) => list,
            Some(_) => return Err(SdJwtError::MalformedSdClaim("_sd is not an array")),
        };
        let mut out = Map::with_capacity(obj.len() + digests.len());
        for (k, v) in obj {
            let v = self.value(v)?;
            out.insert(k, v);
        }
        for digest in digests {
            let Value::String(digest) = digest else {
                return Err(SdJwtError::MalformedSdClaim("_sd contains a non-string"));
            };
            let Some(d) = self.lookup(digest)? else {
                continue;
            };
            let Some(name) = d.name() else {
                return Err(SdJwtError::DisclosureKindMismatch(
                    "an array-element Disclosure in _sd",
                ));
            };
            if name == SD || name == ELLIPSIS {
                return Err(SdJwtError::ReservedClaimName(name.to_string()));
            }
            if out.contains_key(name) {
                return Err(SdJwtError::ClaimOverwrite(name.to_string()));
            }
            let (name, value) = (name.to_string(), d.value().clone());
            let value = self.value(value)?;
            self.names.push(name.clone());
            out.insert(name, value);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>) -> Result<Vec<Value>, SdJwtError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let digest = match &item {
                Value::Object(o) if o.contains_key(ELLIPSIS) => {
                    if o.len() != 1 {
                        return Err(SdJwtError::MalformedSdClaim(
                            "an array-element digest object has other members",
                        ));
                    }
                    match &o[ELLIPSIS] {
                        Value::String(s) => Some(s.clone()),
                        _ => return Err(SdJwtError::MalformedSdClaim("\"...\" is not a string")),
                    }
                }
                _ => None,
            };
            match digest {
                None => out.push(self.value(item)?),
                Some(digest) => {
                    let Some(d) = self.lookup(digest)? else {
                        continue;
                    };
                    if d.name().is_some() {
                        return Err(SdJwtError::DisclosureKindMismatch(
                            "an object-property Disclosure in an array",
                        ));
                    }
                    let value = d.value().clone();
                    out.push(self.value(value)?);
                }
            }
        }
        Ok(out)
    }
}
