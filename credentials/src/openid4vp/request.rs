//! The authorization request and its signed request object (`typ: oauth-authz-req+jwt`).

use serde_json::{Map, Value};

use super::ClientId;
use crate::dcql::{DcqlError, DcqlQuery};
use crate::jose::{sign_compact, CompactJws, JwsPolicy};
use crate::keys::{Jwk, Signer};
use crate::x509::{self, Certificate, LeafProfile};

/// The `typ` of a request object (RFC 9101).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// An OpenID4VP authorization request (the parameters this implementation uses).
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizationRequest {
    /// `client_id`, with its prefix.
    pub client_id: ClientId,
    /// `response_mode`: `direct_post` or `direct_post.jwt`.
    pub response_mode: String,
    /// `response_uri`.
    pub response_uri: String,
    /// `nonce`.
    pub nonce: String,
    /// `state`.
    pub state: Option<String>,
    /// `dcql_query`.
    pub dcql_query: DcqlQuery,
    /// `client_metadata.jwks`: the verifier's response encryption keys.
    pub encryption_keys: Vec<Jwk>,
    /// `client_metadata.encrypted_response_enc_values_supported`.
    pub enc_values: Vec<String>,
    /// Everything else in `client_metadata` (`vp_formats_supported`, ...), kept as received.
    pub client_metadata: Map<String, Value>,
    /// Verifier-chosen extension: the registered purpose the request serves (for the
    /// wallet's over-asking check against the trust register).
    pub purpose: Option<String>,
    /// `verifier_info` (OpenID4VP 1.0 section 5.1): attestations about the verifier, each
    /// `{"format", "data", "credential_ids"?}`; a registration certificate is
    /// `{"format": "jwt", "data": "<rc-wrp+jwt>"}`.
    pub verifier_info: Vec<Value>,
}

/// Why a request object was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestObjectError {
    /// Not a well-formed signed request object.
    #[error("malformed request object: {0}")]
    Malformed(String),
    /// Signature, algorithm or `typ` failed.
    #[error("request object signature: {0}")]
    Signature(String),
    /// The certificate chain is not trusted or not valid.
    #[error("verifier certificate: {0}")]
    Certificate(x509::ChainError),
    /// The client identifier does not match the certificate or the response URI.
    #[error("client identifier: {0}")]
    ClientId(String),
    /// The DCQL query is invalid.
    #[error("{0}")]
    Dcql(DcqlError),
}

impl RequestObjectError {
    /// The OAuth error a wallet answers with.
    pub fn oauth_error(&self) -> super::WalletError {
        match self {
            RequestObjectError::Malformed(_) | RequestObjectError::Dcql(_) => {
                super::WalletError::InvalidRequest
            }
            _ => super::WalletError::InvalidClient,
        }
    }
}

/// A request object whose signature, certificate and client identifier were checked.
#[derive(Clone, Debug)]
pub struct VerifiedRequest {
    /// The request.
    pub request: AuthorizationRequest,
    /// The signing certificate chain, leaf first.
    pub chain: Vec<Certificate>,
    /// Every claim of the request object as received (`wallet_nonce`, extensions, ...).
    pub claims: Map<String, Value>,
}

impl AuthorizationRequest {
    /// The request as request-object claims.
    pub fn to_claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("client_id".into(), self.client_id.as_string().into());
        m.insert("response_type".into(), "vp_token".into());
        m.insert("response_mode".into(), self.response_mode.clone().into());
        m.insert("response_uri".into(), self.response_uri.clone().into());
        m.insert("nonce".into(), self.nonce.clone().into());
        if let Some(s) = &self.state {
            m.insert("state".into(), s.clone().into());
        }
        m.insert("dcql_query".into(), self.dcql_query.to_json());
        let mut meta = self.client_metadata.clone();
        if !self.encryption_keys.is_empty() {
            meta.insert(
                "jwks".into(),
                serde_json::json!({"keys": self.encryption_keys.iter().map(|k| k.to_public().to_value()).collect::<Vec<_>>()}),
            );
        }
        if !self.enc_values.is_empty() {
            meta.insert(
                "encrypted_response_enc_values_supported".into(),
                serde_json::json!(self.enc_values),
            );
        }
        m.insert("client_metadata".into(), Value::Object(meta));
        if let Some(p) = &self.purpose {
            m.insert("purpose".into(), p.clone().into());
        }
        if !self.verifier_info.is_empty() {
            m.insert(
                "verifier_info".into(),
                Value::Array(self.verifier_info.clone()),
            );
        }
        m
    }

    /// The `data` of each `verifier_info` entry of format `jwt` whose `typ` is `typ`.
    pub fn verifier_info_jwts(&self, typ: &str) -> Vec<&str> {
        self.verifier_info
            .iter()
            .filter(|v| v.get("format").and_then(Value::as_str) == Some("jwt"))
            .filter_map(|v| v.get("data").and_then(Value::as_str))
            .filter(|d| {
                CompactJws::parse(d)
                    .map(|j| j.header().typ() == Some(typ))
                    .unwrap_or(false)
            })
            .collect()
    }

    /// Parses request parameters (from a request object or from URL query parameters,
    /// where `dcql_query` and `client_metadata` arrive as JSON text).
    pub fn from_claims(claims: &Map<String, Value>) -> Result<Self, RequestObjectError> {
        let bad = |m: &str| RequestObjectError::Malformed(m.to_string());
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
        let json_param = |k: &str| -> Result<Option<Value>, RequestObjectError> {
            match claims.get(k) {
                None => Ok(None),
                Some(Value::String(s)) => serde_json::from_str(s)
                    .map(Some)
                    .map_err(|_| bad(&format!("{k} is not JSON"))),
                Some(v) => Ok(Some(v.clone())),
            }
        };
        if text("response_type").as_deref() != Some("vp_token") {
            return Err(bad("response_type must be vp_token"));
        }
        let client_id = ClientId::parse(&text("client_id").ok_or_else(|| bad("no client_id"))?);
        let response_mode = text("response_mode").ok_or_else(|| bad("no response_mode"))?;
        if response_mode != "direct_post" && response_mode != "direct_post.jwt" {
            return Err(bad("response_mode must be direct_post or direct_post.jwt"));
        }
        let response_uri = text("response_uri").ok_or_else(|| bad("no response_uri"))?;
        if !response_uri.starts_with("https://")
            && !response_uri.starts_with("http://127.0.0.1")
            && !response_uri.starts_with("http://localhost")
        {
            return Err(bad("response_uri must be https"));
        }
        let nonce = text("nonce")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad("no nonce"))?;
        let dcql = json_param("dcql_query")?.ok_or_else(|| bad("no dcql_query"))?;
        let dcql_query = DcqlQuery::from_json(&dcql).map_err(RequestObjectError::Dcql)?;
        let mut client_metadata = match json_param("client_metadata")? {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(bad("client_metadata is not an object")),
        };
        let encryption_keys = match client_metadata.remove("jwks") {
            None => Vec::new(),
            Some(j) => j
                .get("keys")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("client_metadata.jwks has no keys"))?
                .iter()
                .map(|k| Jwk::from_value(k).map_err(|e| bad(&format!("client_metadata.jwks: {e}"))))
                .collect::<Result<Vec<_>, _>>()?,
        };
        if response_mode == "direct_post.jwt" && encryption_keys.is_empty() {
            return Err(bad(
                "direct_post.jwt needs an encryption key in client_metadata.jwks",
            ));
        }
        let enc_values = client_metadata
            .remove("encrypted_response_enc_values_supported")
            .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
            .unwrap_or_default();
        Ok(AuthorizationRequest {
            client_id,
            response_mode,
            response_uri,
            nonce,
            state: text("state"),
            dcql_query,
            encryption_keys,
            enc_values,
            client_metadata,
            purpose: text("purpose"),
            verifier_info: match json_param("verifier_info")? {
                None => Vec::new(),
                Some(Value::Array(a))
                    if !a.is_empty()
                        && a.iter().all(|v| {
                            v.get("format").is_some_and(Value::is_string) && v.get("data").is_some()
                        }) =>
                {
                    a
                }
                Some(_) => {
                    return Err(bad(
                        "verifier_info must be a non-empty array of objects with format and data",
                    ))
                }
            },
        })
    }

    /// Signs the request object with the verifier's key and certificate chain (leaf first).
    pub fn sign(
        &self,
        signer: &dyn Signer,
        chain: &[Certificate],
        now: i64,
    ) -> Result<String, RequestObjectError> {
        let mut header = Map::new();
        header.insert("typ".into(), REQUEST_OBJECT_TYP.into());
        header.insert("x5c".into(), x509::x5c_value(chain));
        let mut claims = self.to_claims();
        claims.insert("aud".into(), super::SELF_ISSUED_AUDIENCE.into());
        claims.insert("iat".into(), now.into());
        let payload = serde_json::to_vec(&Value::Object(claims)).expect("JSON");
        sign_compact(&header, &payload, signer)
            .map_err(|e| RequestObjectError::Signature(e.to_string()))
    }

    /// Verifies a request object: `typ`, signature by the x5c leaf, the chain to one of
    /// `anchors` at `now`, the client identifier bound to the leaf (x509_san_dns: a DNS SAN
    /// equal to it and the response URI's host; x509_hash: the leaf's hash), and the
    /// request parameters themselves.
    pub fn verify(
        jwt: &str,
        anchors: &[Certificate],
        now: i64,
    ) -> Result<VerifiedRequest, RequestObjectError> {
        let jws =
            CompactJws::parse(jwt).map_err(|e| RequestObjectError::Malformed(e.to_string()))?;
        if jws.header().typ() != Some(REQUEST_OBJECT_TYP) {
            return Err(RequestObjectError::Signature(format!(
                "typ must be {REQUEST_OBJECT_TYP}"
            )));
        }
        let ders = jws
            .header()
            .x5c()
            .map_err(|e| RequestObjectError::Malformed(e.to_string()))?
            .ok_or_else(|| RequestObjectError::ClientId("the request object has no x5c".into()))?;
        let chain = x509::parse_chain(&ders).map_err(RequestObjectError::Certificate)?;
        let key = chain[0]
            .public_key()
            .map_err(RequestObjectError::Certificate)?;
        jws.verify(&key, &JwsPolicy::default())
            .map_err(|e| RequestObjectError::Signature(e.to_string()))?;
        x509::validate_chain(&chain, anchors, now, &LeafProfile::default())
            .map_err(RequestObjectError::Certificate)?;
        let claims = jws
            .claims()
            .map_err(|e| RequestObjectError::Malformed(e.to_string()))?;
        let request = Self::from_claims(&claims)?;
        match &request.client_id {
            ClientId::X509SanDns(dns) => {
                if !request.client_id.bound_to(&chain[0]) {
                    return Err(RequestObjectError::ClientId(format!(
                        "no DNS subjectAltName of the certificate is {dns}"
                    )));
                }
                let host = url::Url::parse(&request.response_uri)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string));
                if host.as_deref().map(str::to_ascii_lowercase) != Some(dns.to_ascii_lowercase()) {
                    return Err(RequestObjectError::ClientId(format!(
                        "the response_uri host is not {dns}"
                    )));
                }
            }
            ClientId::X509Hash(_) => {
                if !request.client_id.bound_to(&chain[0]) {
                    return Err(RequestObjectError::ClientId(
                        "x509_hash is not the hash of the signing certificate".into(),
                    ));
                }
            }
            other => {
                return Err(RequestObjectError::ClientId(format!(
                    "a signed request needs an x509 client identifier, not {other}"
                )));
            }
        }
        Ok(VerifiedRequest {
            request,
            chain,
            claims,
        })
    }

    /// The wallet invocation URL for a request by reference: `openid4vp://?client_id=..&request_uri=..`.
    pub fn by_reference_url(client_id: &ClientId, request_uri: &str, method_post: bool) -> String {
        let mut u = url::Url::parse("openid4vp://").expect("static URL");
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("client_id", &client_id.as_string());
            q.append_pair("request_uri", request_uri);
            if method_post {
                q.append_pair("request_uri_method", "post");
            }
        }
        u.to_string()
    }
}
