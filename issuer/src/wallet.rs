//! A minimal OpenID4VCI wallet for tests, the load driver and smoke checks: both flows, DPoP,
//! key proofs, batch requests. It talks to the router in-process (`tower::ServiceExt`) or to
//! a running `vouch issuer serve` over plain HTTP/1.1. The citizen's real wallet is
//! `wallet-core`; this one exists so the issuer can be exercised end to end on its own.

use axum::body::Body;
use axum::Router;
use credentials::jose::sign_compact;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::openid4vci::proof::header_jwk;
use credentials::openid4vci::{
    CredentialRequest, CredentialResponse, CredentialSelector, DpopClaims, IssuedCredential,
    KeyProofClaims, NonceResponse, Proofs,
};
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

/// How requests reach the issuer.
#[derive(Clone)]
pub enum Transport {
    /// In-process, through the router.
    Router(Router),
    /// Over TCP to `host:port` (plain HTTP; the issuer URL's origin is only used for paths).
    Tcp(String),
}

/// An HTTP response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A refused request: the status and the error body.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Status code.
    pub status: u16,
    /// The JSON body (`error`, `error_description`).
    pub body: Value,
}

impl Failure {
    /// The `error` code.
    pub fn code(&self) -> &str {
        self.body.get("error").and_then(Value::as_str).unwrap_or("")
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.body)
    }
}

fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

impl Transport {
    /// Sends one request.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> HttpResponse {
        let path = path_of(url);
        match self {
            Transport::Router(router) => {
                let mut req = axum::http::Request::builder().method(method).uri(&path);
                for (k, v) in headers {
                    req = req.header(*k, v);
                }
                let req = req
                    .header("content-length", body.len())
                    .body(Body::from(body))
                    .expect("a valid request");
                let resp = router.clone().oneshot(req).await.expect("infallible");
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes().to_vec())
                    .unwrap_or_default();
                HttpResponse {
                    status,
                    headers,
                    body,
                }
            }
            Transport::Tcp(addr) => tcp_request(addr, method, &path, headers, &body)
                .await
                .unwrap_or(HttpResponse {
                    status: 0,
                    headers: Vec::new(),
                    body: Vec::new(),
                }),
        }
    }
}

async fn tcp_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..eol])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 || b.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
    out
}

/// An access token as the token endpoint returned it.
#[derive(Clone, Debug)]
pub struct Token {
    /// `access_token`.
    pub access_token: String,
    /// `token_type` (`DPoP` or `Bearer`).
    pub token_type: String,
    /// `authorization_details`, when returned.
    pub authorization_details: Option<Value>,
}

/// The test wallet.
pub struct Wallet {
    /// How it reaches the issuer.
    pub transport: Transport,
    /// The Credential Issuer Identifier.
    pub issuer_url: String,
    /// The DPoP key; `None` sends no DPoP proofs (Bearer tokens).
    pub dpop_key: Option<std::sync::Arc<SoftwareSigner>>,
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn now() -> i64 {
    crate::util::now()
}

impl Wallet {
    /// A wallet with a fresh ES256 DPoP key.
    pub fn new(transport: Transport, issuer_url: &str) -> Self {
        Wallet {
            transport,
            issuer_url: issuer_url.trim_end_matches('/').to_string(),
            dpop_key: Some(std::sync::Arc::new(
                SoftwareSigner::generate(Algorithm::Es256)
                    .expect("keygen")
                    .0,
            )),
        }
    }

    /// The URL of an issuer endpoint.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer_url)
    }

    /// GETs a JSON document.
    pub async fn get_json(&self, url: &str) -> Result<Value, Failure> {
        let r = self.transport.send("GET", url, &[], Vec::new()).await;
        if r.status != 200 {
            return Err(Failure {
                status: r.status,
                body: r.json(),
            });
        }
        Ok(r.json())
    }

    /// The Credential Issuer Metadata, from the well-known URL inserted before the path.
    pub async fn metadata(&self) -> Result<Value, Failure> {
        let u = url::Url::parse(&self.issuer_url).expect("issuer URL");
        let url = format!(
            "{}/.well-known/openid-credential-issuer{}",
            u.origin().ascii_serialization(),
            u.path().trim_end_matches('/')
        );
        self.get_json(&url).await
    }

    /// Resolves an `openid-credential-offer://` link (by value or by reference).
    pub async fn resolve_offer(&self, link: &str) -> Result<Value, Failure> {
        let q = link.split_once('?').map(|x| x.1).unwrap_or("");
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            if k == "credential_offer" {
                return serde_json::from_str(&v).map_err(|_| Failure {
                    status: 0,
                    body: json!({"error": "malformed offer"}),
                });
            }
            if k == "credential_offer_uri" {
                return self.get_json(&v).await;
            }
        }
        Err(Failure {
            status: 0,
            body: json!({"error": "no offer in link"}),
        })
    }

    /// A DPoP proof for `htm` `htu`, with `ath` for `token`.
    pub fn dpop_proof(&self, htm: &str, htu: &str, token: Option<&str>) -> Option<String> {
        let key = self.dpop_key.as_ref()?;
        Some(dpop_proof_with(key.as_ref(), htm, htu, token, now()))
    }

    async fn post_token(&self, pairs: &[(&str, &str)]) -> Result<Token, Failure> {
        let url = self.endpoint("/token");
        let mut headers = vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        if let Some(p) = self.dpop_proof("POST", &url, None) {
            headers.push(("dpop", p));
        }
        let r = self
            .transport
            .send("POST", &url, &headers, form(pairs))
            .await;
        let v = r.json();
        if r.status != 200 {
            return Err(Failure {
                status: r.status,
                body: v,
            });
        }
        Ok(Token {
            access_token: v["access_token"].as_str().unwrap_or_default().to_string(),
            token_type: v["token_type"].as_str().unwrap_or_default().to_string(),
            authorization_details: v.get("authorization_details").cloned(),
        })
    }

    /// The token request of the pre-authorized code flow.
    pub async fn token_pre_authorized(
        &self,
        code: &str,
        tx_code: Option<&str>,
    ) -> Result<Token, Failure> {
        let mut pairs = vec![
            ("grant_type", crate::http::oauth::PRE_AUTHORIZED_GRANT),
            ("pre-authorized_code", code),
        ];
        if let Some(t) = tx_code {
            pairs.push(("tx_code", t));
        }
        self.post_token(&pairs).await
    }

    /// The authorization code flow up to the token: PAR with PKCE S256 (and `dpop_jkt`),
    /// the authorization page, the citizen's sign-in, the redirect, the token request.
    pub async fn authorization_code_flow(
        &self,
        client_id: &str,
        redirect_uri: &str,
        configuration_id: &str,
        subject_id: &str,
        sign_in_code: &str,
    ) -> Result<Token, Failure> {
        let verifier = crate::util::random_token() + &crate::util::random_token();
        let challenge = crate::util::sha256_b64(verifier.as_bytes());
        let details =
            json!([{"type": "openid_credential", "credential_configuration_id": configuration_id}])
                .to_string();
        let par_url = self.endpoint("/par");
        let mut headers = vec![(
            "content-type",
            "application/x-www-form-urlencoded".to_string(),
        )];
        if let Some(p) = self.dpop_proof("POST", &par_url, None) {
            headers.push(("dpop", p));
        }
        let r = self
            .transport
            .send(
                "POST",
                &par_url,
                &headers,
                form(&[
                    ("response_type", "code"),
                    ("client_id", client_id),
                    ("redirect_uri", redirect_uri),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S256"),
                    ("authorization_details", &details),
                    ("state", "st-1"),
                ]),
            )
            .await;
        if r.status != 201 {
            return Err(Failure {
                status: r.status,
                body: r.json(),
            });
        }
        let request_uri = r.json()["request_uri"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client_id)
            .append_pair("request_uri", &request_uri)
            .finish();
        let page = self
            .transport
            .send(
                "GET",
                &self.endpoint(&format!("/authorize?{q}")),
                &[],
                Vec::new(),
            )
            .await;
        if page.status != 200 {
            return Err(Failure {
                status: page.status,
                body: page.json(),
            });
        }
        let r = self
            .transport
            .send(
                "POST",
                &self.endpoint("/authorize"),
                &[(
                    "content-type",
                    "application/x-www-form-urlencoded".to_string(),
                )],
                form(&[
                    ("request_uri", &request_uri),
                    ("subject_id", subject_id),
                    ("sign_in_code", sign_in_code),
                ]),
            )
            .await;
        let Some(location) = r.header("location").filter(|_| r.status == 303) else {
            return Err(Failure {
                status: r.status,
                body: json!({"error": "sign-in refused"}),
            });
        };
        let loc = url::Url::parse(location).expect("redirect URL");
        let params: std::collections::HashMap<String, String> =
            loc.query_pairs().into_owned().collect();
        if params.get("state").map(String::as_str) != Some("st-1")
            || params.get("iss") != Some(&self.issuer_url)
        {
            return Err(Failure {
                status: 0,
                body: json!({"error": "bad redirect"}),
            });
        }
        let code = params.get("code").cloned().unwrap_or_default();
        self.post_token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
            ("redirect_uri", redirect_uri),
            ("client_id", client_id),
        ])
        .await
    }

    /// A fresh `c_nonce`.
    pub async fn nonce(&self) -> Result<String, Failure> {
        let r = self
            .transport
            .send("POST", &self.endpoint("/nonce"), &[], Vec::new())
            .await;
        if r.status != 200 {
            return Err(Failure {
                status: r.status,
                body: r.json(),
            });
        }
        Ok(serde_json::from_value::<NonceResponse>(r.json())
            .map(|n| n.c_nonce)
            .unwrap_or_default())
    }

    /// Posts a credential request body (JSON, or a JWE with `content_type` application/jwt).
    pub async fn credential_raw(
        &self,
        token: &Token,
        body: Vec<u8>,
        content_type: &str,
    ) -> HttpResponse {
        let url = self.endpoint("/credential");
        let mut headers = vec![("content-type", content_type.to_string())];
        if token.token_type.eq_ignore_ascii_case("dpop") {
            headers.push(("authorization", format!("DPoP {}", token.access_token)));
            if let Some(p) = self.dpop_proof("POST", &url, Some(&token.access_token)) {
                headers.push(("dpop", p));
            }
        } else {
            headers.push(("authorization", format!("Bearer {}", token.access_token)));
        }
        self.transport.send("POST", &url, &headers, body).await
    }

    /// Posts a credential request; returns the response JSON.
    pub async fn credential(&self, token: &Token, request: &Value) -> Result<Value, Failure> {
        let r = self
            .credential_raw(token, request.to_string().into_bytes(), "application/json")
            .await;
        if r.status != 200 {
            return Err(Failure {
                status: r.status,
                body: r.json(),
            });
        }
        Ok(r.json())
    }

    /// Nonce, one proof per holder key, the credential request: the credentials issued (a
    /// JSON object credential, as `ldp_vc` is, as its JSON text).
    pub async fn issue(
        &self,
        token: &Token,
        configuration_id: &str,
        holders: &[&dyn Signer],
    ) -> Result<Vec<String>, Failure> {
        let nonce = self.nonce().await?;
        let proofs: Vec<String> = holders
            .iter()
            .map(|h| key_proof(*h, &self.issuer_url, Some(&nonce), now()))
            .collect();
        let id = configuration_id.to_string();
        let request = CredentialRequest {
            credential: if token.authorization_details.is_some() {
                CredentialSelector::Identifier(id)
            } else {
                CredentialSelector::ConfigurationId(id)
            },
            proofs: Some(Proofs::Jwt(proofs)),
            response_encryption: None,
        };
        let v = self.credential(token, &request.to_json()).await?;
        let response = CredentialResponse::from_json(&v).map_err(|e| Failure {
            status: 200,
            body: json!({"error": e.code.as_str(), "error_description": e.description}),
        })?;
        // `ldp_vc`: a JSON object credential, as its JSON text.
        Ok(response
            .credentials
            .iter()
            .filter_map(IssuedCredential::text)
            .collect())
    }
}

/// An `openid4vci-proof+jwt` by `holder` for `aud`.
pub fn key_proof(holder: &dyn Signer, aud: &str, nonce: Option<&str>, iat: i64) -> String {
    proof_claims(aud, nonce, iat).sign(holder).expect("signing")
}

fn proof_claims(aud: &str, nonce: Option<&str>, iat: i64) -> KeyProofClaims {
    KeyProofClaims {
        iss: None,
        aud: aud.into(),
        iat,
        nonce: nonce.map(str::to_string),
    }
}

/// What a wallet provider states in a key attestation (OpenID4VCI 1.0 Appendix D.1).
#[derive(Clone, Debug, Default)]
pub struct AttestationClaims<'a> {
    /// `iat`.
    pub iat: i64,
    /// `exp`, if any.
    pub exp: Option<i64>,
    /// `nonce`: the issuer's `c_nonce`.
    pub nonce: Option<&'a str>,
    /// `key_storage` values.
    pub key_storage: &'a [&'a str],
    /// `user_authentication` values.
    pub user_authentication: &'a [&'a str],
}

/// A key attestation (`key-attestation+jwt`) for `keys`, signed by a wallet provider key
/// whose certificate chain (leaf first) goes in `x5c`.
pub fn key_attestation(
    provider: &dyn Signer,
    chain: &[credentials::x509::Certificate],
    keys: &[&dyn Signer],
    claims: &AttestationClaims<'_>,
) -> String {
    let keys: Vec<credentials::keys::PublicKey> =
        keys.iter().map(|k| k.public_key().clone()).collect();
    key_attestation_of(provider, chain, &keys, claims)
}

/// [`key_attestation`] for public keys.
pub fn key_attestation_of(
    provider: &dyn Signer,
    chain: &[credentials::x509::Certificate],
    keys: &[credentials::keys::PublicKey],
    claims: &AttestationClaims<'_>,
) -> String {
    let mut h = Map::new();
    h.insert(
        "typ".into(),
        crate::proofs::attestation::KEY_ATTESTATION_TYP.into(),
    );
    h.insert("x5c".into(), credentials::x509::x5c_value(chain));
    let mut c = json!({
        "iat": claims.iat,
        "attested_keys": keys.iter().map(header_jwk).collect::<Vec<_>>(),
    });
    if let Some(exp) = claims.exp {
        c["exp"] = exp.into();
    }
    if let Some(n) = claims.nonce {
        c["nonce"] = n.into();
    }
    if !claims.key_storage.is_empty() {
        c["key_storage"] = json!(claims.key_storage);
    }
    if !claims.user_authentication.is_empty() {
        c["user_authentication"] = json!(claims.user_authentication);
    }
    sign_compact(&h, c.to_string().as_bytes(), provider).expect("signing")
}

/// A wallet provider for tests and the load driver: an attestation key and its certificate
/// chain (leaf, then a root made for it); an issuer trusts it by taking [`Self::root`].
pub struct WalletProvider {
    /// The key attestations are signed with.
    pub signer: std::sync::Arc<dyn Signer>,
    /// Its certificate chain, leaf first, root last.
    pub chain: Vec<credentials::x509::Certificate>,
}

impl WalletProvider {
    /// A new provider called `name`, certificates valid for a month from now.
    pub fn generate(name: &str) -> Self {
        use credentials::x509::dev;
        let root_key: std::sync::Arc<dyn Signer> = std::sync::Arc::new(
            SoftwareSigner::generate(Algorithm::Es256)
                .expect("keygen")
                .0,
        );
        let root = dev::self_signed(
            &dev::CertSpec {
                common_name: format!("{name} Root"),
                days: 30,
                ca: Some(Some(0)),
                ..Default::default()
            },
            root_key.clone(),
        )
        .expect("root certificate");
        let signer: std::sync::Arc<dyn Signer> = std::sync::Arc::new(
            SoftwareSigner::generate(Algorithm::Es256)
                .expect("keygen")
                .0,
        );
        let leaf = dev::issue(
            &dev::CertSpec {
                common_name: format!("{name} key attestation"),
                days: 30,
                ..Default::default()
            },
            signer.public_key(),
            &root,
            root_key,
        )
        .expect("leaf certificate");
        WalletProvider {
            signer,
            chain: vec![leaf, root],
        }
    }

    /// The root certificate an issuer trusts this provider by.
    pub fn root(&self) -> &credentials::x509::Certificate {
        self.chain.last().expect("a chain")
    }

    /// A key attestation for `keys` with `claims`.
    pub fn attest(&self, keys: &[&dyn Signer], claims: &AttestationClaims<'_>) -> String {
        key_attestation(self.signer.as_ref(), &self.chain, keys, claims)
    }
}

/// A key proof by `holder` carrying `attestation` in its `key_attestation` header, naming
/// its key by position in `attested_keys` (`kid`).
pub fn attested_key_proof(
    holder: &dyn Signer,
    position: usize,
    attestation: &str,
    aud: &str,
    nonce: Option<&str>,
    iat: i64,
) -> String {
    proof_claims(aud, nonce, iat)
        .sign_attested(holder, attestation, &position.to_string())
        .expect("signing")
}

/// A DPoP proof by `key`.
pub fn dpop_proof_with(
    key: &dyn Signer,
    htm: &str,
    htu: &str,
    token: Option<&str>,
    iat: i64,
) -> String {
    // Built field by field: tests send deliberately wrong `htu` values too.
    DpopClaims {
        jti: crate::util::random_token(),
        htm: htm.into(),
        htu: htu.into(),
        iat,
        ath: token.map(credentials::openid4vci::proof::access_token_hash),
        nonce: None,
    }
    .sign(key)
    .expect("signing")
}
