//! A small OpenID4VCI 1.0 issuer: metadata, offers by reference, pre-authorized code with
//! tx_code, authorization code with PKCE and PAR, DPoP-bound tokens (with a server nonce),
//! refresh tokens, the nonce endpoint, JWT proofs checked (typ, jwk, signature, aud, nonce)
//! and batch issuance of dc+sd-jwt and mso_mdoc.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use credentials::b64;
use credentials::jose::{CompactJws, JwsPolicy};
use credentials::keys::{Algorithm, Jwk, Signer, SoftwareSigner};
use credentials::mdoc::{IssueRequest, MdocIssuer, ValidityInfo, MDL_DOCTYPE, MDL_NAMESPACE};
use credentials::sd_jwt::DisclosureFrame;
use credentials::sd_jwt_vc::{SdJwtVcIssuer, VcEnvelope};
use credentials::x509::{profile, Certificate};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{now, FAMILY_NAME, PID_VCT};

pub const TX_CODE: &str = "4321";
pub const BATCH: usize = 3;

pub struct IssuerState {
    pub base: String,
    pub signer: SoftwareSigner,
    pub ds_key: SoftwareSigner,
    pub ds: Certificate,
    pub iaca: Certificate,
    nonces: Mutex<HashSet<String>>,
    dpop_nonce: String,
    tokens: Mutex<HashSet<String>>,
    par: Mutex<HashMap<String, (String, String, String)>>,
    codes: Mutex<HashMap<String, (String, String)>>,
    pub issued: Mutex<usize>,
}

pub type Shared = Arc<IssuerState>;

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({"error": error}))).into_response()
}

pub async fn start() -> Shared {
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let iaca_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let iaca = profile::iaca(iaca_key.clone(), "GB", "Test IACA", 30).unwrap();
    let (ds_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let ds = profile::document_signer(ds_key.public_key(), &iaca, iaca_key, "Test DS", 30).unwrap();
    let state = Arc::new(IssuerState {
        base: format!("http://127.0.0.1:{port}"),
        signer: SoftwareSigner::generate(Algorithm::Es256).unwrap().0,
        ds_key,
        ds,
        iaca,
        nonces: Mutex::new(HashSet::new()),
        dpop_nonce: "dpop-nonce-1".into(),
        tokens: Mutex::new(HashSet::new()),
        par: Mutex::new(HashMap::new()),
        codes: Mutex::new(HashMap::new()),
        issued: Mutex::new(0),
    });
    let app = Router::new()
        .route("/.well-known/openid-credential-issuer", get(metadata))
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/offer/{kind}", get(offer))
        .route("/token", post(token))
        .route("/par", post(par))
        .route("/authorize", get(authorize))
        .route("/nonce", post(nonce))
        .route("/credential", post(credential))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    state
}

impl IssuerState {
    pub fn offer_json(&self, kind: &str) -> Value {
        let ids = json!(["pid_sd_jwt", "mdl"]);
        match kind {
            "pre" => json!({"credential_issuer": self.base, "credential_configuration_ids": ids,
                "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "pre-123",
                    "tx_code": {"input_mode": "numeric", "length": 4, "description": "Sent by text message"}}}}),
            _ => {
                json!({"credential_issuer": self.base, "credential_configuration_ids": ["pid_sd_jwt"],
                "grants": {"authorization_code": {"issuer_state": "st-9"}}})
            }
        }
    }

    /// `openid-credential-offer://?credential_offer_uri=...`
    pub fn offer_by_reference(&self, kind: &str) -> String {
        format!(
            "openid-credential-offer://?credential_offer_uri={}",
            url_encode(&format!("{}/offer/{kind}", self.base))
        )
    }

    /// `openid-credential-offer://?credential_offer=...`
    pub fn offer_by_value(&self, kind: &str) -> String {
        format!(
            "openid-credential-offer://?credential_offer={}",
            url_encode(&self.offer_json(kind).to_string())
        )
    }
}

pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn metadata(State(s): State<Shared>) -> Json<Value> {
    let proof = json!({"jwt": {"proof_signing_alg_values_supported": ["ES256"]}});
    Json(json!({
        "credential_issuer": s.base,
        "authorization_servers": [s.base],
        "credential_endpoint": format!("{}/credential", s.base),
        "nonce_endpoint": format!("{}/nonce", s.base),
        "batch_credential_issuance": {"batch_size": BATCH},
        "credential_configurations_supported": {
            "pid_sd_jwt": {"format": "dc+sd-jwt", "vct": PID_VCT, "cryptographic_binding_methods_supported": ["jwk"], "proof_types_supported": proof},
            "mdl": {"format": "mso_mdoc", "doctype": MDL_DOCTYPE, "cryptographic_binding_methods_supported": ["cose_key"], "proof_types_supported": proof}
        }
    }))
}

async fn as_metadata(State(s): State<Shared>) -> Json<Value> {
    Json(json!({
        "issuer": s.base,
        "token_endpoint": format!("{}/token", s.base),
        "authorization_endpoint": format!("{}/authorize", s.base),
        "pushed_authorization_request_endpoint": format!("{}/par", s.base),
        "require_pushed_authorization_requests": true,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "pre-authorized_grant_anonymous_access_supported": true
    }))
}

async fn offer(State(s): State<Shared>, Path(kind): Path<String>) -> Json<Value> {
    Json(s.offer_json(&kind))
}

/// Checks a DPoP proof: typ, signature by its jwk, htm, the server nonce, ath.
#[allow(clippy::result_large_err)]
fn check_dpop(
    s: &IssuerState,
    headers: &HeaderMap,
    htm: &str,
    token: Option<&str>,
) -> Result<(), Response> {
    let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
        return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"));
    };
    let jws = CompactJws::parse(proof)
        .map_err(|_| oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"))?;
    let jwk = jws
        .header()
        .jwk()
        .and_then(Result::ok)
        .ok_or_else(|| oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"))?;
    if jws.header().typ() != Some("dpop+jwt")
        || jws.verify(jwk.public_key(), &JwsPolicy::default()).is_err()
    {
        return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"));
    }
    let c = jws.claims().unwrap();
    if c.get("htm").and_then(Value::as_str) != Some(htm) {
        return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof"));
    }
    if c.get("nonce").and_then(Value::as_str) != Some(s.dpop_nonce.as_str()) {
        let mut r = oauth_error(StatusCode::BAD_REQUEST, "use_dpop_nonce");
        r.headers_mut()
            .insert("DPoP-Nonce", s.dpop_nonce.parse().unwrap());
        return Err(r);
    }
    if let Some(t) = token {
        if c.get("ath").and_then(Value::as_str)
            != Some(b64::encode(Sha256::digest(t.as_bytes())).as_str())
        {
            return Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_dpop_proof"));
        }
    }
    Ok(())
}

fn new_token(s: &IssuerState) -> Json<Value> {
    let at = format!("at-{}", b64::encode(rand_bytes()));
    s.tokens.lock().unwrap().insert(at.clone());
    Json(
        json!({"access_token": at, "token_type": "DPoP", "expires_in": 300, "refresh_token": "rt-1"}),
    )
}

fn rand_bytes() -> [u8; 12] {
    let mut b = [0u8; 12];
    getrandom::getrandom(&mut b).unwrap();
    b
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_dpop(&s, &headers, "POST", None) {
        return r;
    }
    match f.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:pre-authorized_code") => {
            if f.get("pre-authorized_code").map(String::as_str) != Some("pre-123") {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            if f.get("tx_code").map(String::as_str) != Some(TX_CODE) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            new_token(&s).into_response()
        }
        Some("authorization_code") => {
            let Some((challenge, redirect)) = f
                .get("code")
                .and_then(|c| s.codes.lock().unwrap().remove(c))
            else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            if b64::encode(Sha256::digest(verifier.as_bytes())) != challenge
                || f.get("redirect_uri") != Some(&redirect)
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            new_token(&s).into_response()
        }
        Some("refresh_token") if f.get("refresh_token").map(String::as_str) == Some("rt-1") => {
            new_token(&s).into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

async fn par(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_dpop(&s, &headers, "POST", None) {
        return r;
    }
    if f.get("code_challenge_method").map(String::as_str) != Some("S256")
        || f.get("response_type").map(String::as_str) != Some("code")
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let uri = format!(
        "urn:ietf:params:oauth:request_uri:{}",
        b64::encode(rand_bytes())
    );
    s.par.lock().unwrap().insert(
        uri.clone(),
        (
            f["code_challenge"].clone(),
            f["redirect_uri"].clone(),
            f["state"].clone(),
        ),
    );
    (
        StatusCode::CREATED,
        Json(json!({"request_uri": uri, "expires_in": 60})),
    )
        .into_response()
}

/// The citizen signs in here; the stub approves at once.
async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some((challenge, redirect, state)) = q
        .get("request_uri")
        .and_then(|u| s.par.lock().unwrap().remove(u))
    else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let code = format!("code-{}", b64::encode(rand_bytes()));
    s.codes
        .lock()
        .unwrap()
        .insert(code.clone(), (challenge, redirect.clone()));
    Redirect::to(&format!("{redirect}?code={code}&state={state}")).into_response()
}

async fn nonce(State(s): State<Shared>) -> Json<Value> {
    let n = b64::encode(rand_bytes());
    s.nonces.lock().unwrap().insert(n.clone());
    Json(json!({"c_nonce": n}))
}

async fn credential(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(token) = auth.strip_prefix("DPoP ") else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    };
    if !s.tokens.lock().unwrap().contains(token) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    }
    if let Err(r) = check_dpop(&s, &headers, "POST", Some(token)) {
        return r;
    }
    let config = body
        .get("credential_configuration_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if config != "pid_sd_jwt" && config != "mdl" {
        return oauth_error(StatusCode::BAD_REQUEST, "unknown_credential_configuration");
    }
    let proofs: Vec<String> = body
        .pointer("/proofs/jwt")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if proofs.is_empty() || proofs.len() > BATCH {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_proof");
    }
    let mut keys = Vec::new();
    let mut used_nonce = None;
    for p in &proofs {
        let Ok(jws) = CompactJws::parse(p) else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_proof");
        };
        let Some(Ok(jwk)) = jws.header().jwk() else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_proof");
        };
        let c = jws.claims().unwrap();
        let ok = jws.header().typ() == Some("openid4vci-proof+jwt")
            && jws.verify(jwk.public_key(), &JwsPolicy::default()).is_ok()
            && c.get("aud").and_then(Value::as_str) == Some(s.base.as_str())
            && c.get("iat")
                .and_then(Value::as_i64)
                .is_some_and(|i| (i - now()).abs() < 300);
        if !ok {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_proof");
        }
        let n = c
            .get("nonce")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !s.nonces.lock().unwrap().contains(&n) {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_nonce");
        }
        used_nonce = Some(n);
        keys.push(jwk);
    }
    s.nonces.lock().unwrap().remove(&used_nonce.unwrap());
    let creds: Vec<Value> = keys
        .iter()
        .map(|k| json!({"credential": issue(&s, &config, k)}))
        .collect();
    *s.issued.lock().unwrap() += creds.len();
    Json(json!({"credentials": creds})).into_response()
}

fn issue(s: &IssuerState, config: &str, holder: &Jwk) -> String {
    let t = now();
    if config == "mdl" {
        let ns = vec![(
            MDL_NAMESPACE.to_string(),
            vec![
                (
                    "family_name".to_string(),
                    ciborium::Value::Text(FAMILY_NAME.into()),
                ),
                (
                    "given_name".to_string(),
                    ciborium::Value::Text("Ada".into()),
                ),
                ("age_over_18".to_string(), ciborium::Value::Bool(true)),
                (
                    "document_number".to_string(),
                    ciborium::Value::Text("DL-998877".into()),
                ),
            ],
        )];
        let signed = MdocIssuer::new(&s.ds_key, vec![s.ds.clone()])
            .unwrap()
            .issue(&IssueRequest {
                doc_type: MDL_DOCTYPE,
                name_spaces: &ns,
                device_key: holder.public_key(),
                key_authorizations: None,
                validity: ValidityInfo {
                    signed: t,
                    valid_from: t - 60,
                    valid_until: t + 86400,
                    expected_update: None,
                },
                decoys: 1,
                status: None,
            })
            .unwrap();
        return b64::encode(signed.to_cbor());
    }
    let claims: Map<String, Value> = json!({
        "given_name": "Ada", "family_name": FAMILY_NAME, "birthdate": "1815-12-10",
        "address": {"locality": "London", "country": "GB"}, "nationalities": ["GB"]
    })
    .as_object()
    .unwrap()
    .clone();
    SdJwtVcIssuer::new(&s.signer)
        .issue(
            &VcEnvelope {
                iss: s.base.clone(),
                vct: PID_VCT.into(),
                iat: t,
                nbf: None,
                exp: Some(t + 86400),
                holder: Some(holder.public_key().clone()),
                status: None,
            },
            &claims,
            &DisclosureFrame::all(),
            false,
        )
        .unwrap()
        .to_compact()
}
