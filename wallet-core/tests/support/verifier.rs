//! A small OpenID4VP 1.0 verifier: signed request objects by reference (GET and POST),
//! `direct_post` / `direct_post.jwt` responses kept for the test to check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use credentials::dcql::DcqlQuery;
use credentials::jose::jwe::Enc;
use credentials::keys::{provider, Algorithm, Jwk, KeyKind, SecretKey, Signer, SoftwareSigner};
use credentials::openid4vp::{AuthorizationRequest, AuthorizationResponse, ClientId};
use credentials::x509::dev::{self, CertSpec};
use credentials::x509::Certificate;
use serde_json::{json, Map, Value};

use super::now;

pub struct VerifierState {
    pub base: String,
    pub root: Certificate,
    leaf: Certificate,
    key: SoftwareSigner,
    requests: Mutex<HashMap<String, AuthorizationRequest>>,
    pub enc_keys: Mutex<HashMap<String, SecretKey>>,
    pub responses: Mutex<Vec<AuthorizationResponse>>,
    pub request_methods: Mutex<Vec<String>>,
    /// Leave the wallet_nonce out of request objects fetched by POST (a misbehaving verifier).
    pub omit_wallet_nonce: std::sync::atomic::AtomicBool,
    /// The `verifier_info` of the requests it makes from now on.
    pub verifier_info: Mutex<Vec<Value>>,
}

pub type Shared = Arc<VerifierState>;

pub async fn start() -> Shared {
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let root_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let root = dev::self_signed(
        &CertSpec {
            common_name: "RP Root".into(),
            days: 30,
            ca: Some(Some(0)),
            ..Default::default()
        },
        root_key.clone(),
    )
    .unwrap();
    let (key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let leaf = dev::issue(
        &CertSpec {
            common_name: "Example Employer plc".into(),
            organization: Some("Example Employer plc".into()),
            days: 10,
            dns_names: vec!["localhost".into()],
            ..Default::default()
        },
        key.public_key(),
        &root,
        root_key,
    )
    .unwrap();
    let state = Arc::new(VerifierState {
        base: format!("http://localhost:{port}"),
        root,
        leaf,
        key,
        requests: Mutex::new(HashMap::new()),
        enc_keys: Mutex::new(HashMap::new()),
        responses: Mutex::new(Vec::new()),
        request_methods: Mutex::new(Vec::new()),
        omit_wallet_nonce: Default::default(),
        verifier_info: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/request/{id}", get(request_get).post(request_post))
        .route("/response", post(response))
        .with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    state
}

impl VerifierState {
    pub fn client_id(&self) -> ClientId {
        ClientId::X509SanDns("localhost".into())
    }

    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// Registers a request; returns the wallet invocation URL.
    pub fn request(
        &self,
        query: Value,
        mode: &str,
        purpose: Option<&str>,
        post_method: bool,
        client_id: Option<ClientId>,
    ) -> (String, AuthorizationRequest) {
        let id = format!("{}", self.requests.lock().unwrap().len() + 1);
        let enc = provider::default().generate(KeyKind::P256).unwrap();
        let req = AuthorizationRequest {
            client_id: client_id.unwrap_or_else(|| self.client_id()),
            response_mode: mode.into(),
            response_uri: format!("{}/response", self.base),
            nonce: format!("nonce-{id}"),
            state: Some(format!("state-{id}")),
            dcql_query: DcqlQuery::from_json(&query).unwrap(),
            encryption_keys: vec![Jwk::from_public_key(enc.public_key())],
            enc_values: vec!["A128GCM".into()],
            client_metadata: Map::new(),
            purpose: purpose.map(str::to_string),
            verifier_info: self.verifier_info.lock().unwrap().clone(),
        };
        self.enc_keys
            .lock()
            .unwrap()
            .insert(req.state.clone().unwrap(), enc);
        self.requests
            .lock()
            .unwrap()
            .insert(id.clone(), req.clone());
        let url = AuthorizationRequest::by_reference_url(
            &req.client_id,
            &format!("{}/request/{id}", self.base),
            post_method,
        );
        (url, req)
    }

    fn signed(&self, id: &str) -> String {
        let req = self.requests.lock().unwrap()[id].clone();
        req.sign(&self.key, std::slice::from_ref(&self.leaf), now())
            .unwrap()
    }

    pub fn last_response(&self) -> AuthorizationResponse {
        self.responses
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a response arrived")
    }
}

async fn request_get(State(s): State<Shared>, Path(id): Path<String>) -> impl IntoResponse {
    s.request_methods.lock().unwrap().push("get".into());
    (
        [(header::CONTENT_TYPE, "application/oauth-authz-req+jwt")],
        s.signed(&id),
    )
}

async fn request_post(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> impl IntoResponse {
    assert!(f.contains_key("wallet_metadata"));
    s.request_methods.lock().unwrap().push("post".into());
    // The request object carries the wallet_nonce back (OpenID4VP 1.0 section 5.10).
    let req = s.requests.lock().unwrap()[&id].clone();
    let mut claims = req.to_claims();
    claims.insert(
        "aud".into(),
        credentials::openid4vp::SELF_ISSUED_AUDIENCE.into(),
    );
    claims.insert("iat".into(), now().into());
    let omit = s
        .omit_wallet_nonce
        .load(std::sync::atomic::Ordering::SeqCst);
    if let Some(n) = f.get("wallet_nonce").filter(|_| !omit) {
        claims.insert("wallet_nonce".into(), n.clone().into());
    }
    let mut head = Map::new();
    head.insert(
        "typ".into(),
        credentials::openid4vp::REQUEST_OBJECT_TYP.into(),
    );
    head.insert(
        "x5c".into(),
        json!([base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            s.leaf.der()
        )]),
    );
    let payload = serde_json::to_vec(&Value::Object(claims)).unwrap();
    (
        [(header::CONTENT_TYPE, "application/oauth-authz-req+jwt")],
        credentials::jose::sign_compact(&head, &payload, &s.key).unwrap(),
    )
}

async fn response(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Json<Value> {
    let resp = match f.get("response") {
        Some(jwe) => {
            let keys = s.enc_keys.lock().unwrap();
            keys.values()
                .find_map(|k| {
                    AuthorizationResponse::decrypt(jwe, k, &[Enc::A128Gcm, Enc::A256Gcm]).ok()
                })
                .expect("the JWE decrypts with one of our keys")
        }
        None => {
            let m: Map<String, Value> = f.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            AuthorizationResponse::from_params(&m).unwrap()
        }
    };
    s.responses.lock().unwrap().push(resp);
    Json(json!({"redirect_uri": "https://localhost/done"}))
}
