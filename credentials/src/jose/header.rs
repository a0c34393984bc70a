//! The JOSE header: a JSON object with typed accessors for the members Vouch reads.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use super::JoseError;
use crate::keys::{Jwk, KeyError};

/// A JOSE header (protected, or protected and unprotected merged).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JwsHeader {
    params: Map<String, Value>,
}

impl JwsHeader {
    /// Wraps header parameters.
    pub fn new(params: Map<String, Value>) -> Self {
        JwsHeader { params }
    }

    /// Parses a header from its decoded JSON bytes; it must be a JSON object.
    pub fn from_json(bytes: &[u8]) -> Result<Self, JoseError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(params)) => Ok(JwsHeader { params }),
            Ok(_) => Err(JoseError::Malformed("the header is not a JSON object")),
            Err(_) => Err(JoseError::Malformed("the header is not JSON")),
        }
    }

    /// All parameters.
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// One parameter.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.params.get(name)
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    /// `alg`.
    pub fn alg(&self) -> Option<&str> {
        self.text("alg")
    }

    /// `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.text("typ")
    }

    /// `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.text("kid")
    }

    /// `cty`.
    pub fn cty(&self) -> Option<&str> {
        self.text("cty")
    }

    /// `x5c`: the DER certificates, leaf first (standard base64 per RFC 7515 section 4.1.6).
    pub fn x5c(&self) -> Result<Option<Vec<Vec<u8>>>, JoseError> {
        let Some(v) = self.params.get("x5c") else {
            return Ok(None);
        };
        let list = v
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or(JoseError::Malformed("x5c is not a non-empty array"))?;
        list.iter()
            .map(|c| {
                c.as_str()
                    .and_then(|s| STANDARD.decode(s).ok())
                    .ok_or(JoseError::Malformed("an x5c entry is not base64 DER"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// `jwk`: an embedded public key.
    pub fn jwk(&self) -> Option<Result<Jwk, KeyError>> {
        self.params.get("jwk").map(Jwk::from_value)
    }
}
