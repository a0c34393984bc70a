//! Disclosures (RFC 9901 section 4.2): `[salt, name, value]` for an object property,
//! `[salt, value]` for an array element, base64url-encoded JSON.

use serde_json::Value;

use super::{SdAlg, SdJwtError};
use crate::b64;

/// One Disclosure, keeping the exact base64url string it was received (or issued) as.
#[derive(Clone, Debug, PartialEq)]
pub struct Disclosure {
    encoded: String,
    salt: String,
    name: Option<String>,
    value: Value,
}

impl Disclosure {
    /// Parses a Disclosure string; the string itself is kept for hashing.
    pub fn parse(encoded: &str) -> Result<Self, SdJwtError> {
        let bytes =
            b64::decode(encoded).ok_or(SdJwtError::MalformedDisclosure("not strict base64url"))?;
        let Ok(Value::Array(mut items)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(SdJwtError::MalformedDisclosure("not a JSON array"));
        };
        let (salt, name, value) = match items.len() {
            2 => {
                let value = items.pop().unwrap_or(Value::Null);
                (items.pop(), None, value)
            }
            3 => {
                let value = items.pop().unwrap_or(Value::Null);
                let name = match items.pop() {
                    Some(Value::String(n)) => n,
                    _ => {
                        return Err(SdJwtError::MalformedDisclosure(
                            "the claim name is not a string",
                        ))
                    }
                };
                (items.pop(), Some(name), value)
            }
            _ => {
                return Err(SdJwtError::MalformedDisclosure(
                    "not an array of 2 or 3 elements",
                ))
            }
        };
        let Some(Value::String(salt)) = salt else {
            return Err(SdJwtError::MalformedDisclosure("the salt is not a string"));
        };
        Ok(Disclosure {
            encoded: encoded.to_string(),
            salt,
            name,
            value,
        })
    }

    /// Creates a Disclosure with a fresh 128-bit salt; `name` is `None` for an array element.
    pub fn new(name: Option<&str>, value: Value) -> Self {
        let salt = b64::encode(crate::keys::provider::random_bytes::<16>());
        Self::with_salt(salt, name, value)
    }

    /// Creates a Disclosure with a given salt (tests and reproducible vectors).
    pub fn with_salt(salt: String, name: Option<&str>, value: Value) -> Self {
        let array = match name {
            Some(n) => Value::Array(vec![salt.clone().into(), n.into(), value.clone()]),
            None => Value::Array(vec![salt.clone().into(), value.clone()]),
        };
        let json = serde_json::to_string(&array).expect("a JSON array serializes");
        Disclosure {
            encoded: b64::encode(json),
            salt,
            name: name.map(str::to_string),
            value,
        }
    }

    /// The Disclosure string as received or issued.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// The salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The claim name; `None` for an array element.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The disclosed value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The digest over the Disclosure string exactly as received.
    pub fn digest(&self, alg: SdAlg) -> String {
        alg.digest(&self.encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_rfc_9901_section_4_2_1_example() {
        // RFC 9901 section 4.2.1: the family_name Disclosure and its SHA-256 digest.
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
        )
        .unwrap();
        assert_eq!(d.name(), Some("family_name"));
        assert_eq!(d.value(), &Value::String("Möbius".into()));
        assert_eq!(
            d.digest(SdAlg::Sha256),
            "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
        );
    }

    #[test]
    fn digest_depends_on_received_bytes_not_the_decoded_value() {
        // The same [salt, name, value] with different whitespace has a different digest.
        let a = Disclosure::parse(&b64::encode(r#"["s","n","v"]"#)).unwrap();
        let b = Disclosure::parse(&b64::encode(r#"["s", "n", "v"]"#)).unwrap();
        assert_eq!(
            (a.salt(), a.name(), a.value()),
            (b.salt(), b.name(), b.value())
        );
        assert_ne!(a.digest(SdAlg::Sha256), b.digest(SdAlg::Sha256));
    }

    #[test]
    fn rejects_malformed_disclosures() {
        for bad in [
            "%%%",
            &b64::encode("{}"),
            &b64::encode(r#"["s"]"#),
            &b64::encode(r#"["s","n","v","x"]"#),
            &b64::encode(r#"[1,"n","v"]"#),
            &b64::encode(r#"["s",2,"v"]"#),
            &format!("{}=", b64::encode(r#"["s","v"]"#)),
        ] {
            assert!(
                matches!(
                    Disclosure::parse(bad),
                    Err(SdJwtError::MalformedDisclosure(_))
                ),
                "{bad}"
            );
        }
    }
}
