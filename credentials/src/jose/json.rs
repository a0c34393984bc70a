//! The JWS JSON serialization (RFC 7515 section 7.2), flattened and general.

use serde_json::{Map, Value};

use super::{verify_signature, JoseError, JwsHeader, JwsPolicy};
use crate::b64;
use crate::keys::{Algorithm, PublicKey, Signer};

/// One signature of a JSON-serialized JWS.
#[derive(Clone, Debug)]
pub struct JsonSignature {
    protected_b64: String,
    protected: JwsHeader,
    unprotected: Map<String, Value>,
    signature_b64: String,
    signature: Vec<u8>,
}

impl JsonSignature {
    /// The protected header as received (base64url).
    pub fn protected_b64(&self) -> &str {
        &self.protected_b64
    }

    /// The protected header.
    pub fn protected(&self) -> &JwsHeader {
        &self.protected
    }

    /// The unprotected header (`header` member); empty if absent.
    pub fn unprotected(&self) -> &Map<String, Value> {
        &self.unprotected
    }

    /// The signature as received (base64url).
    pub fn signature_b64(&self) -> &str {
        &self.signature_b64
    }

    fn parse(obj: &Map<String, Value>) -> Result<Self, JoseError> {
        let protected_b64 = obj
            .get("protected")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or(JoseError::Malformed("a signature has no protected header"))?
            .to_string();
        let protected = JwsHeader::from_json(&b64::decode(&protected_b64).ok_or(
            JoseError::Malformed("the protected header is not base64url"),
        )?)?;
        let unprotected = match obj.get("header") {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return Err(JoseError::Malformed(
                    "the unprotected header is not an object",
                ))
            }
        };
        if unprotected.keys().any(|k| protected.get(k).is_some()) {
            return Err(JoseError::Malformed(
                "a parameter is in both the protected and the unprotected header",
            ));
        }
        if unprotected.contains_key("alg") || unprotected.contains_key("crit") {
            return Err(JoseError::Malformed(
                "alg and crit must be integrity protected",
            ));
        }
        let signature_b64 = obj
            .get("signature")
            .and_then(Value::as_str)
            .ok_or(JoseError::Malformed("a signature has no signature value"))?
            .to_string();
        let signature = b64::decode(&signature_b64)
            .ok_or(JoseError::Malformed("the signature is not base64url"))?;
        Ok(JsonSignature {
            protected_b64,
            protected,
            unprotected,
            signature_b64,
            signature,
        })
    }

    fn to_value(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("protected".into(), self.protected_b64.clone().into());
        if !self.unprotected.is_empty() {
            m.insert("header".into(), Value::Object(self.unprotected.clone()));
        }
        m.insert("signature".into(), self.signature_b64.clone().into());
        m
    }
}

/// A JSON-serialized JWS (flattened when it has one signature and was parsed or asked as such).
#[derive(Clone, Debug)]
pub struct JsonJws {
    payload_b64: String,
    payload: Vec<u8>,
    signatures: Vec<JsonSignature>,
    flattened: bool,
}

impl JsonJws {
    /// Parses the flattened (`signature` member) or general (`signatures` array) form.
    pub fn parse(value: &Value) -> Result<Self, JoseError> {
        let obj = value
            .as_object()
            .ok_or(JoseError::Malformed("a JSON JWS is an object"))?;
        let payload_b64 = obj
            .get("payload")
            .and_then(Value::as_str)
            .ok_or(JoseError::Malformed("the JWS has no payload"))?
            .to_string();
        let payload = b64::decode(&payload_b64)
            .ok_or(JoseError::Malformed("the payload is not base64url"))?;
        let (signatures, flattened) = match (obj.get("signatures"), obj.get("signature")) {
            (Some(Value::Array(list)), None) if !list.is_empty() => (
                list.iter()
                    .map(|s| {
                        s.as_object()
                            .ok_or(JoseError::Malformed("a signature is not an object"))
                            .and_then(JsonSignature::parse)
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                false,
            ),
            (None, Some(_)) => (vec![JsonSignature::parse(obj)?], true),
            _ => {
                return Err(JoseError::Malformed(
                    "the JWS has neither one signature nor a signatures array",
                ))
            }
        };
        Ok(JsonJws {
            payload_b64,
            payload,
            signatures,
            flattened,
        })
    }

    /// Signs `payload` once, producing the flattened form; `unprotected` becomes `header`.
    pub fn sign_flattened(
        protected: &Map<String, Value>,
        unprotected: Map<String, Value>,
        payload: &[u8],
        signer: &dyn Signer,
    ) -> Result<Self, JoseError> {
        let compact = super::sign_compact(protected, payload, signer)?;
        let mut parts = compact.split('.');
        let (h, p, s) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let protected = JwsHeader::from_json(&b64::decode(h).unwrap_or_default())?;
        Ok(JsonJws {
            payload_b64: p.to_string(),
            payload: payload.to_vec(),
            signatures: vec![JsonSignature {
                protected_b64: h.to_string(),
                protected,
                unprotected,
                signature_b64: s.to_string(),
                signature: b64::decode(s).unwrap_or_default(),
            }],
            flattened: true,
        })
    }

    /// The payload as received (base64url).
    pub fn payload_b64(&self) -> &str {
        &self.payload_b64
    }

    /// The decoded payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[JsonSignature] {
        &self.signatures
    }

    /// Mutable access to the first signature's unprotected header (SD-JWT keeps Disclosures there).
    pub fn first_unprotected_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.signatures[0].unprotected
    }

    /// Whether this is the flattened form.
    pub fn is_flattened(&self) -> bool {
        self.flattened
    }

    /// The compact form of signature `index`: `protected.payload.signature`.
    pub fn compact(&self, index: usize) -> Option<String> {
        self.signatures.get(index).map(|s| {
            format!(
                "{}.{}.{}",
                s.protected_b64, self.payload_b64, s.signature_b64
            )
        })
    }

    /// Verifies signature `index` with `key`.
    pub fn verify(
        &self,
        index: usize,
        key: &PublicKey,
        policy: &JwsPolicy<'_>,
    ) -> Result<Algorithm, JoseError> {
        let s = self
            .signatures
            .get(index)
            .ok_or(JoseError::Malformed("no such signature"))?;
        let input = format!("{}.{}", s.protected_b64, self.payload_b64);
        verify_signature(&s.protected, input.as_bytes(), &s.signature, key, policy)
    }

    /// The JSON value of this JWS.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("payload".into(), self.payload_b64.clone().into());
        if self.flattened && self.signatures.len() == 1 {
            m.extend(self.signatures[0].to_value());
        } else {
            m.insert(
                "signatures".into(),
                Value::Array(
                    self.signatures
                        .iter()
                        .map(|s| Value::Object(s.to_value()))
                        .collect(),
                ),
            );
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SoftwareSigner;
    use serde_json::json;

    #[test]
    fn flattened_round_trip_verifies_and_compact_form_matches() {
        let (s, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let jws = JsonJws::sign_flattened(&Map::new(), Map::new(), b"{\"a\":1}", &s).unwrap();
        let parsed = JsonJws::parse(&jws.to_value()).unwrap();
        assert!(parsed.is_flattened());
        parsed
            .verify(0, s.public_key(), &JwsPolicy::default())
            .unwrap();
        let compact = super::super::CompactJws::parse(&parsed.compact(0).unwrap()).unwrap();
        compact
            .verify(s.public_key(), &JwsPolicy::default())
            .unwrap();
    }

    #[test]
    fn rejects_parameter_in_both_headers_and_unprotected_alg() {
        let (s, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let jws = JsonJws::sign_flattened(&Map::new(), Map::new(), b"x", &s).unwrap();
        for extra in [json!({"alg": "ES256"}), json!({"crit": ["x"]})] {
            let mut v = jws.to_value();
            v["header"] = extra;
            assert!(matches!(JsonJws::parse(&v), Err(JoseError::Malformed(_))));
        }
    }

    #[test]
    fn rejects_both_signature_and_signatures() {
        let v = json!({"payload": "e30", "signature": "AA", "protected": "e30", "signatures": []});
        assert!(matches!(JsonJws::parse(&v), Err(JoseError::Malformed(_))));
    }
}
