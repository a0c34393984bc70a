//! JSON Web Key (RFC 7517) for EC (P-256, P-384) and OKP (Ed25519) keys, with the
//! RFC 7638 thumbprint.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Algorithm, KeyError, KeyKind, PublicKey, SecretKey};
use crate::b64;

/// A JWK: the members Vouch understands, plus any others kept as they came.
#[derive(Clone, Debug, PartialEq)]
pub struct Jwk {
    public: PublicKey,
    secret: Option<Vec<u8>>,
    kid: Option<String>,
    alg: Option<Algorithm>,
    /// Other members (`use`, `key_ops`, `x5c`, ...), kept for round trips.
    extra: Map<String, Value>,
}

impl Jwk {
    /// The public JWK of `key`, with its RFC 7638 thumbprint as `kid`.
    pub fn from_public_key(key: &PublicKey) -> Self {
        Jwk {
            public: key.clone(),
            secret: None,
            kid: Some(thumbprint(key)),
            alg: None,
            extra: Map::new(),
        }
    }

    /// The private JWK of `key` (with `d`), with its thumbprint as `kid` and its `alg`.
    pub fn from_secret_key(key: &SecretKey) -> Self {
        let mut jwk = Self::from_public_key(key.public_key());
        jwk.secret = Some(key.secret_bytes().to_vec());
        jwk.alg = Some(key.public_key().kind().default_algorithm());
        jwk
    }

    /// Parses a JWK from a JSON object.
    pub fn from_value(value: &Value) -> Result<Self, KeyError> {
        let obj = value
            .as_object()
            .ok_or(KeyError::Malformed("a JWK must be a JSON object"))?;
        let text = |name: &'static str| -> Result<Option<&str>, KeyError> {
            match obj.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(KeyError::Malformed("a JWK member is not a string")),
            }
        };
        let bytes = |name: &'static str| -> Result<Option<Vec<u8>>, KeyError> {
            text(name)?
                .map(|s| b64::decode(s).ok_or(KeyError::Malformed("a JWK member is not base64url")))
                .transpose()
        };
        let kty = text("kty")?.ok_or(KeyError::Malformed("the JWK has no \"kty\""))?;
        let crv = text("crv")?.ok_or(KeyError::Malformed("the JWK has no \"crv\""))?;
        let kind = match (kty, crv) {
            ("EC", "P-256") => KeyKind::P256,
            ("EC", "P-384") => KeyKind::P384,
            ("EC", "P-521") => KeyKind::P521,
            ("OKP", "Ed25519") => KeyKind::Ed25519,
            _ => return Err(KeyError::Unsupported(format!("kty {kty} with crv {crv}"))),
        };
        let x = bytes("x")?.ok_or(KeyError::Malformed("the JWK has no \"x\""))?;
        let public = if kind == KeyKind::Ed25519 {
            if obj.contains_key("y") {
                return Err(KeyError::Malformed("an OKP JWK has no \"y\""));
            }
            PublicKey::from_bytes(kind, &x)?
        } else {
            let y = bytes("y")?.ok_or(KeyError::Malformed("the JWK has no \"y\""))?;
            PublicKey::from_coordinates(kind, &x, &y)?
        };
        let secret = bytes("d")?;
        if let Some(d) = &secret {
            if d.len() != kind.coordinate_len() {
                return Err(KeyError::Malformed("the JWK's \"d\" has the wrong length"));
            }
        }
        let alg = match text("alg")? {
            None => None,
            // Key agreement algorithms (a verifier's response encryption key) stay as they
            // came, in `extra`; they say nothing about signing.
            Some(name) if name.starts_with("ECDH-ES") && kind != KeyKind::Ed25519 => None,
            Some(name) => {
                let alg = Algorithm::from_jose_name(name)
                    .ok_or_else(|| KeyError::Unsupported(format!("alg {name}")))?;
                public.check_algorithm(alg)?;
                Some(alg)
            }
        };
        let kid = text("kid")?.map(str::to_string);
        let extra = obj
            .iter()
            .filter(|(k, v)| {
                !matches!(k.as_str(), "kty" | "crv" | "x" | "y" | "d" | "kid")
                    && (k.as_str() != "alg" || v.as_str().is_some_and(|a| a.starts_with("ECDH-ES")))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Jwk {
            public,
            secret,
            kid,
            alg,
            extra,
        })
    }

    /// Parses a JWK from JSON text.
    pub fn from_json(text: &str) -> Result<Self, KeyError> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| KeyError::Malformed("the JWK is not JSON"))?;
        Self::from_value(&value)
    }

    /// The JWK as a JSON object (private members only if this is a private JWK).
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        let kind = self.public.kind();
        obj.insert(
            "kty".into(),
            if kind == KeyKind::Ed25519 {
                "OKP"
            } else {
                "EC"
            }
            .into(),
        );
        obj.insert("crv".into(), kind.jwk_crv().into());
        match self.public.coordinates() {
            Some((x, y)) => {
                obj.insert("x".into(), b64::encode(x).into());
                obj.insert("y".into(), b64::encode(y).into());
            }
            None => {
                obj.insert("x".into(), b64::encode(self.public.as_bytes()).into());
            }
        }
        if let Some(d) = &self.secret {
            obj.insert("d".into(), b64::encode(d).into());
        }
        if let Some(kid) = &self.kid {
            obj.insert("kid".into(), kid.clone().into());
        }
        if let Some(alg) = self.alg {
            obj.insert("alg".into(), alg.jose_name().into());
        }
        for (k, v) in &self.extra {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }

    /// The public half of this JWK (drops `d`, keeps `kid` and `alg`).
    pub fn to_public(&self) -> Jwk {
        Jwk {
            secret: None,
            ..self.clone()
        }
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The private key, if this JWK has one.
    pub fn secret_key(&self) -> Result<Option<SecretKey>, KeyError> {
        self.secret
            .as_ref()
            .map(|d| SecretKey::new(self.public.clone(), d.clone()))
            .transpose()
    }

    /// Whether this JWK carries a private key.
    pub fn is_private(&self) -> bool {
        self.secret.is_some()
    }

    /// The `kid` member.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The `alg` member.
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// Sets or replaces the `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The RFC 7638 thumbprint (SHA-256, base64url).
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.public)
    }
}

/// The RFC 7638 JWK thumbprint of a public key: SHA-256 over the required members in
/// lexicographic order without whitespace, base64url.
pub fn thumbprint(key: &PublicKey) -> String {
    let canonical = match key.coordinates() {
        Some((x, y)) => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            key.kind().jwk_crv(),
            b64::encode(x),
            b64::encode(y)
        ),
        None => format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            b64::encode(key.as_bytes())
        ),
    };
    b64::encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thumbprint_matches_rfc_8037_appendix_a3() {
        // RFC 8037 A.3: the Ed25519 public key's thumbprint.
        let jwk = Jwk::from_value(&json!({
            "kty": "OKP", "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        }))
        .unwrap();
        assert_eq!(
            jwk.thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn private_jwk_round_trips_and_public_drops_d() {
        let secret = super::super::provider::default()
            .generate(KeyKind::P384)
            .unwrap();
        let jwk = Jwk::from_secret_key(&secret);
        let again = Jwk::from_value(&jwk.to_value()).unwrap();
        assert_eq!(again, jwk);
        assert!(again.to_public().to_value().get("d").is_none());
        assert_eq!(again.kid(), Some(jwk.thumbprint().as_str()));
    }

    #[test]
    fn keeps_an_ecdh_es_alg_of_an_encryption_key() {
        let secret = super::super::provider::default()
            .generate(KeyKind::P256)
            .unwrap();
        let mut v = Jwk::from_public_key(secret.public_key()).to_value();
        v["alg"] = json!("ECDH-ES");
        v["use"] = json!("enc");
        let jwk = Jwk::from_value(&v).unwrap();
        assert_eq!(jwk.alg(), None);
        assert_eq!(jwk.to_value()["alg"], "ECDH-ES");
    }

    #[test]
    fn rejects_alg_that_does_not_fit_the_curve() {
        let secret = super::super::provider::default()
            .generate(KeyKind::P256)
            .unwrap();
        let mut v = Jwk::from_secret_key(&secret).to_value();
        v["alg"] = json!("ES384");
        assert!(matches!(
            Jwk::from_value(&v),
            Err(KeyError::AlgorithmMismatch { .. })
        ));
    }

    #[test]
    fn rejects_wrong_coordinate_length_and_unknown_curve() {
        assert!(Jwk::from_value(&json!({"kty":"EC","crv":"P-256","x":"AA","y":"AA"})).is_err());
        assert!(matches!(
            Jwk::from_value(&json!({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})),
            Err(KeyError::Unsupported(_))
        ));
    }
}
