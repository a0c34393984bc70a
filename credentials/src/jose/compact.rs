//! The JWS compact serialization: `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`.

use serde_json::{Map, Value};

use super::{verify_signature, JoseError, JwsHeader, JwsPolicy};
use crate::b64;
use crate::keys::{Algorithm, PublicKey, Signer};

/// A parsed compact JWS that keeps the exact text it was parsed from.
#[derive(Clone, Debug)]
pub struct CompactJws {
    text: String,
    signing_input_len: usize,
    header: JwsHeader,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl CompactJws {
    /// Parses a compact JWS; each part must be strict base64url and the header a JSON object.
    pub fn parse(text: &str) -> Result<Self, JoseError> {
        let mut parts = text.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed(
                "a compact JWS has exactly three parts",
            ));
        };
        if h.is_empty() {
            return Err(JoseError::Malformed("the protected header is empty"));
        }
        let header_bytes =
            b64::decode(h).ok_or(JoseError::Malformed("the header is not base64url"))?;
        let header = JwsHeader::from_json(&header_bytes)?;
        let payload = b64::decode(p).ok_or(JoseError::Malformed("the payload is not base64url"))?;
        let signature =
            b64::decode(s).ok_or(JoseError::Malformed("the signature is not base64url"))?;
        Ok(CompactJws {
            text: text.to_string(),
            signing_input_len: h.len() + 1 + p.len(),
            header,
            payload,
            signature,
        })
    }

    /// The exact text received.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The protected header.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// The decoded payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload parsed as a JSON object (a JWT claims set).
    pub fn claims(&self) -> Result<Map<String, Value>, JoseError> {
        match serde_json::from_slice::<Value>(&self.payload) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(JoseError::Malformed("the payload is not a JSON object")),
        }
    }

    /// The decoded signature.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// `ASCII(BASE64URL(header) . BASE64URL(payload))`, as received.
    pub fn signing_input(&self) -> &[u8] {
        &self.text.as_bytes()[..self.signing_input_len]
    }

    /// Checks the header against the policy and verifies the signature with `key`.
    pub fn verify(&self, key: &PublicKey, policy: &JwsPolicy<'_>) -> Result<Algorithm, JoseError> {
        verify_signature(
            &self.header,
            self.signing_input(),
            &self.signature,
            key,
            policy,
        )
    }
}

/// Signs `payload` as a compact JWS; `alg` comes from the signer (add `kid` to `header` yourself).
pub fn sign_compact(
    header: &Map<String, Value>,
    payload: &[u8],
    signer: &dyn Signer,
) -> Result<String, JoseError> {
    let mut header = header.clone();
    header.insert("alg".into(), signer.algorithm().jose_name().into());
    let header_json = serde_json::to_vec(&Value::Object(header)).expect("a JSON map serializes");
    let mut out = b64::encode(header_json);
    out.push('.');
    out.push_str(&b64::encode(payload));
    let signature = signer.sign(out.as_bytes()).map_err(JoseError::Signing)?;
    out.push('.');
    out.push_str(&b64::encode(signature));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Jwk, SoftwareSigner};
    use serde_json::json;

    fn signer(alg: Algorithm) -> SoftwareSigner {
        SoftwareSigner::generate(alg).unwrap().0
    }

    fn header(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn signs_and_verifies_every_algorithm() {
        for alg in Algorithm::ALL {
            let s = signer(alg);
            let jws = sign_compact(&header(json!({"typ": "JWT"})), b"{}", &s).unwrap();
            let parsed = CompactJws::parse(&jws).unwrap();
            assert_eq!(
                parsed
                    .verify(s.public_key(), &JwsPolicy::default())
                    .unwrap(),
                alg
            );
        }
    }

    #[test]
    fn verifies_rfc_7515_appendix_a3_es256_example() {
        let jwk = Jwk::from_value(&json!({"kty":"EC","crv":"P-256",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}))
        .unwrap();
        let jws = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
        CompactJws::parse(jws)
            .unwrap()
            .verify(jwk.public_key(), &JwsPolicy::default())
            .unwrap();
    }

    #[test]
    fn rejects_alg_none() {
        let jws = format!(
            "{}.{}.",
            b64::encode(br#"{"alg":"none"}"#),
            b64::encode(b"{}")
        );
        let s = signer(Algorithm::Es256);
        let parsed = CompactJws::parse(&jws).unwrap();
        assert_eq!(
            parsed.verify(s.public_key(), &JwsPolicy::default()),
            Err(JoseError::AlgNone)
        );
    }

    #[test]
    fn rejects_algorithm_not_allowed_by_caller() {
        let s = signer(Algorithm::EdDsa);
        let jws = sign_compact(&Map::new(), b"x", &s).unwrap();
        let policy = JwsPolicy::allowing(&[Algorithm::Es256]);
        assert_eq!(
            CompactJws::parse(&jws)
                .unwrap()
                .verify(s.public_key(), &policy),
            Err(JoseError::AlgNotAllowed("EdDSA".into()))
        );
    }

    #[test]
    fn rejects_crit_not_understood_and_accepts_understood() {
        let s = signer(Algorithm::Es256);
        let jws = sign_compact(&header(json!({"crit": ["b64x"], "b64x": true})), b"x", &s).unwrap();
        let parsed = CompactJws::parse(&jws).unwrap();
        assert_eq!(
            parsed.verify(s.public_key(), &JwsPolicy::default()),
            Err(JoseError::CritNotUnderstood("b64x".into()))
        );
        let policy = JwsPolicy {
            understood_crit: &["b64x"],
            ..Default::default()
        };
        parsed.verify(s.public_key(), &policy).unwrap();
    }

    #[test]
    fn rejects_crit_listing_registered_or_absent_parameter() {
        let s = signer(Algorithm::Es256);
        for h in [
            json!({"crit": ["alg"]}),
            json!({"crit": ["nothere"]}),
            json!({"crit": []}),
        ] {
            let jws = sign_compact(&header(h), b"x", &s).unwrap();
            let policy = JwsPolicy {
                understood_crit: &["alg", "nothere"],
                ..Default::default()
            };
            assert!(matches!(
                CompactJws::parse(&jws)
                    .unwrap()
                    .verify(s.public_key(), &policy),
                Err(JoseError::CritNotUnderstood(_))
            ));
        }
    }

    #[test]
    fn rejects_key_of_another_curve() {
        let s = signer(Algorithm::Es256);
        let other = signer(Algorithm::Es384);
        let jws = sign_compact(&Map::new(), b"x", &s).unwrap();
        assert_eq!(
            CompactJws::parse(&jws)
                .unwrap()
                .verify(other.public_key(), &JwsPolicy::default()),
            Err(JoseError::KeyAlgMismatch(Algorithm::Es256))
        );
    }

    #[test]
    fn rejects_tampered_payload_and_malformed_parts() {
        let s = signer(Algorithm::Es256);
        let jws = sign_compact(&Map::new(), b"hello", &s).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], b64::encode(b"hellp"), parts[2]);
        assert_eq!(
            CompactJws::parse(&tampered)
                .unwrap()
                .verify(s.public_key(), &JwsPolicy::default()),
            Err(JoseError::BadSignature)
        );
        for bad in [
            "a.b",
            "a.b.c.d",
            &format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            ".e30.AA",
        ] {
            assert!(
                matches!(CompactJws::parse(bad), Err(JoseError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
