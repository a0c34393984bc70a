//! The two serializations of an SD-JWT (RFC 9901 sections 4 and 8):
//! compact `<JWT>~<D1>~...~<Dn>~[<KB-JWT>]` and the JWS JSON form with `disclosures` and
//! `kb_jwt` in the (first) unprotected header.

use serde_json::Value;

use super::{Disclosure, SdAlg, SdJwtError};
use crate::jose::{CompactJws, JsonJws};

/// A parsed SD-JWT or SD-JWT+KB that keeps every part exactly as received.
#[derive(Clone, Debug)]
pub struct SdJwt {
    jws: CompactJws,
    json: Option<JsonJws>,
    disclosures: Vec<Disclosure>,
    kb_jwt: Option<String>,
    /// `<JWT>~<D1>~...~<Dn>~`: the `sd_hash` input, as presented.
    hash_input: String,
}

/// Presentations larger than this are refused before parsing (an SD-JWT VC is a few KiB).
pub const MAX_SD_JWT_LEN: usize = 1 << 20;

impl SdJwt {
    /// Parses either serialization: JSON when the text starts with `{`, compact otherwise.
    pub fn parse(text: &str) -> Result<Self, SdJwtError> {
        if text.len() > MAX_SD_JWT_LEN {
            return Err(SdJwtError::Malformed("larger than the accepted maximum"));
        }
        if text.starts_with('{') {
            let value: Value = serde_json::from_str(text)
                .map_err(|_| SdJwtError::Malformed("the JSON serialization is not JSON"))?;
            Self::from_json(&value)
        } else {
            Self::parse_compact(text)
        }
    }

    /// Parses the compact serialization.
    pub fn parse_compact(text: &str) -> Result<Self, SdJwtError> {
        let last_tilde = text.rfind('~').ok_or(SdJwtError::Malformed(
            "no '~' separator: this is not an SD-JWT",
        ))?;
        let (hash_input, kb) = text.split_at(last_tilde + 1);
        let mut parts = hash_input[..last_tilde].split('~');
        let jwt = parts.next().unwrap_or_default();
        let jws = CompactJws::parse(jwt).map_err(SdJwtError::IssuerJws)?;
        let disclosures = parts
            .map(|d| {
                if d.is_empty() {
                    Err(SdJwtError::Malformed(
                        "an empty Disclosure between '~' separators",
                    ))
                } else {
                    Disclosure::parse(d)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SdJwt {
            jws,
            json: None,
            disclosures,
            kb_jwt: (!kb.is_empty()).then(|| kb.to_string()),
            hash_input: hash_input.to_string(),
        })
    }

    /// Parses the JWS JSON serialization (flattened or general; RFC 9901 section 8).
    pub fn from_json(value: &Value) -> Result<Self, SdJwtError> {
        let json = JsonJws::parse(value).map_err(|e| match e {
            crate::jose::JoseError::Malformed(m) => SdJwtError::Malformed(m),
            other => SdJwtError::IssuerJws(other),
        })?;
        let first = &json.signatures()[0];
        for other in &json.signatures()[1..] {
            if other.unprotected().contains_key("disclosures")
                || other.unprotected().contains_key("kb_jwt")
            {
                return Err(SdJwtError::Malformed(
                    "disclosures and kb_jwt belong in the first signature's header",
                ));
            }
        }
        let header = first.unprotected();
        let disclosures: Vec<Disclosure> = match header.get("disclosures") {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|d| {
                    d.as_str()
                        .ok_or(SdJwtError::Malformed("a Disclosure is not a string"))
                        .and_then(Disclosure::parse)
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(SdJwtError::Malformed("disclosures is not an array")),
        };
        let kb_jwt = match header.get("kb_jwt") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(SdJwtError::Malformed("kb_jwt is not a string")),
        };
        let compact = json.compact(0).unwrap_or_default();
        let jws = CompactJws::parse(&compact).map_err(SdJwtError::IssuerJws)?;
        let mut hash_input = compact;
        hash_input.push('~');
        for d in &disclosures {
            hash_input.push_str(d.as_str());
            hash_input.push('~');
        }
        Ok(SdJwt {
            jws,
            json: Some(json),
            disclosures,
            kb_jwt,
            hash_input,
        })
    }

    /// Assembles an SD-JWT from its parts (compact), e.g. after the holder selected Disclosures.
    pub fn from_parts(
        jws: CompactJws,
        disclosures: Vec<Disclosure>,
        json: Option<JsonJws>,
    ) -> Self {
        let mut hash_input = jws.as_str().to_string();
        hash_input.push('~');
        for d in &disclosures {
            hash_input.push_str(d.as_str());
            hash_input.push('~');
        }
        SdJwt {
            jws,
            json,
            disclosures,
            kb_jwt: None,
            hash_input,
        }
    }

    /// The issuer-signed JWT (for the JSON serialization: the first signature, compact).
    pub fn jws(&self) -> &CompactJws {
        &self.jws
    }

    /// The JSON serialization this was parsed from, if any.
    pub fn json(&self) -> Option<&JsonJws> {
        self.json.as_ref()
    }

    /// The Disclosures, in the order received.
    pub fn disclosures(&self) -> &[Disclosure] {
        &self.disclosures
    }

    /// The KB-JWT as received, if any.
    pub fn kb_jwt(&self) -> Option<&str> {
        self.kb_jwt.as_deref()
    }

    /// The `sd_hash` input: `<JWT>~<D1>~...~<Dn>~` exactly as presented.
    pub fn hash_input(&self) -> &str {
        &self.hash_input
    }

    /// The `sd_hash` of this presentation with `alg`.
    pub fn sd_hash(&self, alg: SdAlg) -> String {
        alg.digest(&self.hash_input)
    }

    /// Attaches a KB-JWT (replacing any).
    pub fn with_kb_jwt(mut self, kb_jwt: String) -> Self {
        self.kb_jwt = Some(kb_jwt);
        self
    }

    /// The compact serialization (`~`-joined), with the KB-JWT if any.
    pub fn to_compact(&self) -> String {
        let mut out = self.hash_input.clone();
        if let Some(kb) = &self.kb_jwt {
            out.push_str(kb);
        }
        out
    }

    /// The JSON serialization (flattened unless parsed as general), with `disclosures` and `kb_jwt`.
    pub fn to_json(&self) -> Value {
        let mut json = match &self.json {
            Some(j) => j.clone(),
            None => {
                let v = Value::Object(
                    [
                        (
                            "protected".to_string(),
                            Value::from(self.jws.as_str().split('.').next().unwrap_or("")),
                        ),
                        (
                            "payload".to_string(),
                            Value::from(self.jws.as_str().split('.').nth(1).unwrap_or("")),
                        ),
                        (
                            "signature".to_string(),
                            Value::from(self.jws.as_str().split('.').nth(2).unwrap_or("")),
                        ),
                    ]
                    .into_iter()
                    .collect(),
                );
                JsonJws::parse(&v).expect("a parsed compact JWS re-forms as JSON")
            }
        };
        let header = json.first_unprotected_mut();
        header.insert(
            "disclosures".into(),
            Value::Array(
                self.disclosures
                    .iter()
                    .map(|d| Value::from(d.as_str()))
                    .collect(),
            ),
        );
        match &self.kb_jwt {
            Some(kb) => {
                header.insert("kb_jwt".into(), Value::from(kb.as_str()));
            }
            None => {
                header.remove("kb_jwt");
            }
        }
        json.to_value()
    }
}
