//! The authorization response: `vp_token` (an object keyed by credential query id, each an
//! array of presentations) and `state`, sent by `direct_post` (form) or `direct_post.jwt`
//! (a JWE to the verifier's key).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::jose::jwe::{self, Enc};
use crate::keys::{Jwk, SecretKey};

/// What the wallet posts back.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AuthorizationResponse {
    /// `vp_token`: credential query id -> presentations (SD-JWT strings, base64url DeviceResponses).
    pub vp_token: BTreeMap<String, Vec<Value>>,
    /// `state`.
    pub state: Option<String>,
    /// `error` instead of a vp_token (e.g. `access_denied`).
    pub error: Option<String>,
    /// `error_description`: human-readable text beside `error` (RFC 6749 section 4.1.2.1).
    pub error_description: Option<String>,
}

/// Why a response could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Not the shape the spec defines.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// `direct_post.jwt` that does not decrypt with the transaction's key.
    #[error("the encrypted response does not decrypt: {0}")]
    Decryption(String),
}

impl AuthorizationResponse {
    /// The JSON object form (`direct_post.jwt` payload).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(e) = &self.error {
            m.insert("error".into(), e.clone().into());
            if let Some(d) = &self.error_description {
                m.insert("error_description".into(), d.clone().into());
            }
        } else {
            m.insert("vp_token".into(), serde_json::json!(self.vp_token));
        }
        if let Some(s) = &self.state {
            m.insert("state".into(), s.clone().into());
        }
        Value::Object(m)
    }

    /// Form parameters for `direct_post`.
    pub fn to_form(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(e) = &self.error {
            v.push(("error".into(), e.clone()));
            if let Some(d) = &self.error_description {
                v.push(("error_description".into(), d.clone()));
            }
        } else {
            v.push((
                "vp_token".into(),
                serde_json::to_string(&self.vp_token).expect("JSON"),
            ));
        }
        if let Some(s) = &self.state {
            v.push(("state".into(), s.clone()));
        }
        v
    }

    /// Parses `direct_post` form parameters (`vp_token` is JSON text) or the decrypted JSON.
    pub fn from_params(params: &Map<String, Value>) -> Result<Self, ResponseError> {
        let state = params
            .get("state")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(e) = params.get("error").and_then(Value::as_str) {
            return Ok(AuthorizationResponse {
                vp_token: BTreeMap::new(),
                state,
                error: Some(e.to_string()),
                error_description: params
                    .get("error_description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
        let token = match params.get("vp_token") {
            Some(Value::String(s)) => serde_json::from_str(s)
                .map_err(|_| ResponseError::Malformed("vp_token is not JSON".into()))?,
            Some(v) => v.clone(),
            None => return Err(ResponseError::Malformed("no vp_token".into())),
        };
        let obj = token.as_object().ok_or_else(|| {
            ResponseError::Malformed("vp_token must be an object keyed by query id".into())
        })?;
        let mut vp_token = BTreeMap::new();
        for (k, v) in obj {
            let list = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                ResponseError::Malformed(format!("vp_token[{k}] must be a non-empty array"))
            })?;
            vp_token.insert(k.clone(), list.clone());
        }
        Ok(AuthorizationResponse {
            vp_token,
            state,
            error: None,
            error_description: None,
        })
    }

    /// Encrypts for `direct_post.jwt` to the verifier's key (its `kid` goes in the header).
    pub fn encrypt(&self, verifier_key: &Jwk, enc: Enc) -> Result<String, ResponseError> {
        let mut extra = Map::new();
        if let Some(kid) = verifier_key.kid() {
            extra.insert("kid".into(), kid.into());
        }
        let payload = serde_json::to_vec(&self.to_json()).expect("JSON");
        jwe::encrypt(&payload, verifier_key.public_key(), enc, &extra)
            .map_err(|e| ResponseError::Decryption(e.to_string()))
    }

    /// Decrypts a `direct_post.jwt` `response` with the transaction's key.
    pub fn decrypt(
        jwe_text: &str,
        key: &SecretKey,
        accepted: &[Enc],
    ) -> Result<Self, ResponseError> {
        let (_, plaintext) = jwe::decrypt(jwe_text, key, accepted)
            .map_err(|e| ResponseError::Decryption(e.to_string()))?;
        let v: Value = serde_json::from_slice(&plaintext)
            .map_err(|_| ResponseError::Malformed("the payload is not JSON".into()))?;
        Self::from_params(
            v.as_object()
                .ok_or_else(|| ResponseError::Malformed("the payload is not an object".into()))?,
        )
    }
}
