//! Where the issuer's public key comes from: an `x5c` chain to a trust anchor, JWT VC
//! Issuer Metadata (`/.well-known/jwt-vc-issuer`) through a caller-supplied resolver, or a
//! key the caller already trusts. No network here: resolvers belong to the service layer.

use serde_json::Value;

use crate::keys::{Jwk, PublicKey};
use crate::sd_jwt::{SdJwt, SdJwtError};
use crate::x509::{self, Certificate, LeafProfile};

/// JWT VC Issuer Metadata: the issuer identifier and its keys.
#[derive(Clone, Debug)]
pub struct JwtVcIssuerMetadata {
    /// `issuer`: must equal the credential's `iss`.
    pub issuer: String,
    /// The keys of `jwks` (a resolver fetches `jwks_uri` itself).
    pub keys: Vec<Jwk>,
}

impl JwtVcIssuerMetadata {
    /// Parses the metadata document (with inline `jwks`).
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let issuer = value
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or("metadata has no issuer")?;
        let keys = value
            .get("jwks")
            .and_then(|j| j.get("keys"))
            .and_then(Value::as_array)
            .ok_or("metadata has no jwks.keys (a resolver must fetch jwks_uri)")?
            .iter()
            .filter_map(|k| Jwk::from_value(k).ok())
            .collect();
        Ok(JwtVcIssuerMetadata {
            issuer: issuer.to_string(),
            keys,
        })
    }

    /// The well-known URL for `iss`: `/.well-known/jwt-vc-issuer` inserted before its path.
    pub fn well_known_url(iss: &str) -> Option<String> {
        let rest = iss.strip_prefix("https://")?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        Some(format!("https://{host}/.well-known/jwt-vc-issuer{path}"))
    }
}

/// Fetches JWT VC Issuer Metadata for an `iss` (the service layer implements this).
pub trait IssuerMetadataResolver {
    /// The metadata of `iss`, or why it could not be had.
    fn resolve(&self, iss: &str) -> Result<JwtVcIssuerMetadata, String>;
}

/// How the verifier establishes the issuer key.
pub enum IssuerKeySource<'a> {
    /// A key the caller already trusts.
    Key(PublicKey),
    /// The `x5c` header, validated to one of these roots.
    X5c(&'a [Certificate]),
    /// JWT VC Issuer Metadata for the credential's `iss`.
    Metadata(&'a dyn IssuerMetadataResolver),
}

impl IssuerKeySource<'_> {
    /// Resolves the key for `sd_jwt`: `(key, how it was established, validated chain)`.
    pub(crate) fn resolve(
        &self,
        sd_jwt: &SdJwt,
        iss: Option<&str>,
        now: i64,
    ) -> Result<(PublicKey, String, Vec<Certificate>), SdJwtError> {
        let header = sd_jwt.jws().header();
        match self {
            IssuerKeySource::Key(k) => Ok((
                k.clone(),
                "the issuer key given by the caller".into(),
                Vec::new(),
            )),
            IssuerKeySource::X5c(anchors) => {
                let ders = header
                    .x5c()
                    .map_err(SdJwtError::IssuerJws)?
                    .ok_or_else(|| SdJwtError::IssuerKey("the header has no x5c chain".into()))?;
                let chain = x509::parse_chain(&ders).map_err(SdJwtError::Chain)?;
                let anchor = x509::validate_chain(&chain, anchors, now, &LeafProfile::default())
                    .map_err(SdJwtError::Chain)?;
                if let Some(iss) = iss {
                    check_iss_against_leaf(iss, &chain[0])?;
                }
                let key = chain[0].public_key().map_err(SdJwtError::Chain)?;
                let detail = format!(
                    "x5c chain from \"{}\" to trusted root \"{}\"",
                    chain[0].subject(),
                    anchors[anchor].subject()
                );
                Ok((key, detail, chain))
            }
            IssuerKeySource::Metadata(resolver) => {
                let iss = iss.ok_or_else(|| {
                    SdJwtError::IssuerKey("the credential has no iss to resolve".into())
                })?;
                let meta = resolver.resolve(iss).map_err(SdJwtError::IssuerKey)?;
                if meta.issuer != iss {
                    return Err(SdJwtError::IssMismatch(format!(
                        "metadata issuer is {}",
                        meta.issuer
                    )));
                }
                let key = match header.kid() {
                    Some(kid) => meta.keys.iter().find(|k| k.kid() == Some(kid)),
                    None if meta.keys.len() == 1 => meta.keys.first(),
                    None => None,
                }
                .ok_or_else(|| {
                    SdJwtError::IssuerKey("no key in the issuer metadata matches the kid".into())
                })?;
                Ok((
                    key.public_key().clone(),
                    format!("JWT VC Issuer Metadata of {iss}"),
                    Vec::new(),
                ))
            }
        }
    }
}

/// With `x5c`, an HTTPS `iss` must name the leaf: a URI SAN equal to it, or a DNS SAN equal to its host.
fn check_iss_against_leaf(iss: &str, leaf: &Certificate) -> Result<(), SdJwtError> {
    let Some(rest) = iss.strip_prefix("https://") else {
        return Ok(());
    };
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or_default();
    let (dns, uris) = leaf.subject_alt_names();
    if uris.iter().any(|u| u == iss) || dns.iter().any(|d| d.eq_ignore_ascii_case(host)) {
        Ok(())
    } else {
        Err(SdJwtError::IssMismatch(format!(
            "no subjectAltName of the leaf certificate matches {iss}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_url_is_inserted_before_the_path() {
        assert_eq!(
            JwtVcIssuerMetadata::well_known_url("https://example.com/tenant/1").unwrap(),
            "https://example.com/.well-known/jwt-vc-issuer/tenant/1"
        );
        assert_eq!(
            JwtVcIssuerMetadata::well_known_url("https://example.com").unwrap(),
            "https://example.com/.well-known/jwt-vc-issuer"
        );
        assert!(JwtVcIssuerMetadata::well_known_url("http://example.com").is_none());
    }
}
