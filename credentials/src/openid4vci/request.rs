//! The credential request (OpenID4VCI 1.0 section 8.2): which credential (by
//! `credential_identifier` or `credential_configuration_id`, exactly one), the key proofs
//! (`proofs`, exactly one proof type), and the response encryption the wallet asks for.

use serde_json::{json, Map, Value};

use super::error::{ErrorCode, VciError};

/// Which credential a request is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSelector {
    /// `credential_identifier`: one of the identifiers the token response's
    /// `authorization_details` gave.
    Identifier(String),
    /// `credential_configuration_id`: a key of the issuer's metadata, for a token issued
    /// without `authorization_details`.
    ConfigurationId(String),
}

/// The key proofs of a request: one proof type, at least one proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proofs {
    /// `jwt` proofs (Appendix F.1): compact JWSs, one per key, or one carrying a
    /// `key_attestation` header.
    Jwt(Vec<String>),
    /// `attestation` (Appendix F.3): key attestations, each attesting one or more keys.
    Attestation(Vec<String>),
}

impl Proofs {
    /// The proof type's name on the wire.
    pub fn proof_type(&self) -> &'static str {
        match self {
            Proofs::Jwt(_) => "jwt",
            Proofs::Attestation(_) => "attestation",
        }
    }

    /// The proofs, as sent.
    pub fn texts(&self) -> &[String] {
        match self {
            Proofs::Jwt(t) | Proofs::Attestation(t) => t,
        }
    }
}

/// `credential_response_encryption` (section 8.2): the wallet's key and content encryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseEncryption {
    /// The public JWK to encrypt to, as sent (it names `alg`, and perhaps `kid` and `use`).
    pub jwk: Map<String, Value>,
    /// The content encryption algorithm (`enc`).
    pub enc: String,
    /// The compression algorithm (`zip`), if asked for.
    pub zip: Option<String>,
}

/// A credential request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRequest {
    /// Which credential.
    pub credential: CredentialSelector,
    /// The key proofs (absent for a credential without cryptographic holder binding).
    pub proofs: Option<Proofs>,
    /// Where to encrypt the response, if the wallet asks for it.
    pub response_encryption: Option<ResponseEncryption>,
}

fn bad(what: impl Into<String>) -> VciError {
    VciError::new(ErrorCode::InvalidCredentialRequest, what)
}

fn string_member(m: &Map<String, Value>, name: &str) -> Result<Option<String>, VciError> {
    match m.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} is not a string"))),
    }
}

impl CredentialRequest {
    /// Reads a request body (decrypted first if it came as a JWE). Checks its shape only:
    /// the selector (`invalid_credential_request`), the encryption parameters
    /// (`invalid_encryption_parameters`) and the proofs (`invalid_proof`), in that order.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, VciError> {
        let credential =
            match (
                string_member(body, "credential_identifier")?,
                string_member(body, "credential_configuration_id")?,
            ) {
                (Some(_), Some(_)) => return Err(bad(
                    "credential_identifier and credential_configuration_id are mutually exclusive",
                )),
                (Some(id), None) => CredentialSelector::Identifier(id),
                (None, Some(id)) => CredentialSelector::ConfigurationId(id),
                (None, None) => {
                    return Err(bad(
                        "credential_configuration_id or credential_identifier is required",
                    ))
                }
            };
        let response_encryption = body
            .get("credential_response_encryption")
            .map(ResponseEncryption::from_json)
            .transpose()?;
        let proofs = body.get("proofs").map(Proofs::from_json).transpose()?;
        Ok(CredentialRequest {
            credential,
            proofs,
            response_encryption,
        })
    }

    /// The request body.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        match &self.credential {
            CredentialSelector::Identifier(id) => {
                m.insert("credential_identifier".into(), id.clone().into());
            }
            CredentialSelector::ConfigurationId(id) => {
                m.insert("credential_configuration_id".into(), id.clone().into());
            }
        }
        if let Some(p) = &self.proofs {
            m.insert("proofs".into(), json!({ p.proof_type(): p.texts() }));
        }
        if let Some(e) = &self.response_encryption {
            let mut enc = json!({ "jwk": e.jwk, "enc": e.enc });
            if let Some(z) = &e.zip {
                enc["zip"] = z.clone().into();
            }
            m.insert("credential_response_encryption".into(), enc);
        }
        Value::Object(m)
    }
}

impl Proofs {
    /// Reads `proofs`: an object with exactly one proof type, whose value is a non-empty
    /// array of strings.
    pub fn from_json(v: &Value) -> Result<Self, VciError> {
        let invalid = |d: String| VciError::new(ErrorCode::InvalidProof, d);
        let m = v
            .as_object()
            .ok_or_else(|| invalid("proofs is not an object".into()))?;
        if m.len() != 1 {
            return Err(invalid("proofs must hold exactly one proof type".into()));
        }
        let (proof_type, list) = m.iter().next().expect("one entry");
        let list = list
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| invalid(format!("proofs.{proof_type} must be a non-empty array")))?;
        let texts = list
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| invalid("a proof is not a string".into()))?;
        match proof_type.as_str() {
            "jwt" => Ok(Proofs::Jwt(texts)),
            "attestation" => Ok(Proofs::Attestation(texts)),
            other => Err(invalid(format!("the {other} proof type is not supported"))),
        }
    }
}

impl ResponseEncryption {
    /// Reads `credential_response_encryption`: `jwk` (an object) and `enc` (a string)
    /// required, `zip` optional. Whether the key and algorithms are acceptable is the
    /// issuer's to decide against its metadata.
    pub fn from_json(v: &Value) -> Result<Self, VciError> {
        let invalid = |d: &str| VciError::new(ErrorCode::InvalidEncryptionParameters, d);
        let m = v
            .as_object()
            .ok_or_else(|| invalid("credential_response_encryption is not an object"))?;
        let jwk = m
            .get("jwk")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| invalid("credential_response_encryption.jwk is required"))?;
        let enc = m
            .get("enc")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| invalid("credential_response_encryption.enc is required"))?;
        let zip = match m.get("zip") {
            None => None,
            Some(Value::String(z)) => Some(z.clone()),
            Some(_) => {
                return Err(invalid(
                    "credential_response_encryption.zip is not a string",
                ))
            }
        };
        Ok(ResponseEncryption { jwk, enc, zip })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: Value) -> Result<CredentialRequest, VciError> {
        CredentialRequest::from_json(v.as_object().unwrap())
    }

    #[test]
    fn a_request_reads_back_from_the_body_it_writes() {
        let r = CredentialRequest {
            credential: CredentialSelector::Identifier("pid-1".into()),
            proofs: Some(Proofs::Jwt(vec!["a.b.c".into(), "d.e.f".into()])),
            response_encryption: Some(ResponseEncryption {
                jwk: json!({"kty": "EC", "alg": "ECDH-ES"})
                    .as_object()
                    .unwrap()
                    .clone(),
                enc: "A128GCM".into(),
                zip: None,
            }),
        };
        let body = r.to_json();
        assert_eq!(body["proofs"]["jwt"][1], "d.e.f");
        assert_eq!(read(body), Ok(r));
    }

    #[test]
    fn exactly_one_selector_is_required_and_it_must_be_a_string() {
        let both = read(json!({"credential_identifier": "a", "credential_configuration_id": "b"}));
        assert_eq!(both.unwrap_err().code, ErrorCode::InvalidCredentialRequest);
        assert_eq!(
            read(json!({})).unwrap_err().code,
            ErrorCode::InvalidCredentialRequest
        );
        assert_eq!(
            read(json!({"credential_configuration_id": 7}))
                .unwrap_err()
                .code,
            ErrorCode::InvalidCredentialRequest
        );
    }

    #[test]
    fn proofs_must_be_one_known_type_with_a_non_empty_list_of_strings() {
        for proofs in [
            json!([]),
            json!({}),
            json!({"jwt": [], }),
            json!({"jwt": ["a"], "attestation": ["b"]}),
            json!({"jwt": [1]}),
            json!({"ldp_vp": ["x"]}),
        ] {
            let e = read(json!({"credential_configuration_id": "x", "proofs": proofs}));
            assert_eq!(e.unwrap_err().code, ErrorCode::InvalidProof, "{proofs}");
        }
        let ok =
            read(json!({"credential_configuration_id": "x", "proofs": {"attestation": ["k"]}}));
        assert_eq!(
            ok.unwrap().proofs,
            Some(Proofs::Attestation(vec!["k".into()]))
        );
    }

    #[test]
    fn response_encryption_needs_a_jwk_object_and_an_enc_string() {
        for enc in [
            json!("x"),
            json!({"enc": "A128GCM"}),
            json!({"jwk": "k", "enc": "A128GCM"}),
            json!({"jwk": {}}),
            json!({"jwk": {}, "enc": "A128GCM", "zip": 1}),
        ] {
            let e = read(json!({"credential_configuration_id": "x",
                "credential_response_encryption": enc}));
            assert_eq!(e.unwrap_err().code, ErrorCode::InvalidEncryptionParameters);
        }
    }
}
