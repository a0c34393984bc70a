//! Discovery: Credential Issuer Metadata (OpenID4VCI 1.0 section 12.2), OAuth 2.0
//! Authorization Server Metadata (RFC 8414) and JWT VC Issuer Metadata (SD-JWT VC), each at
//! its well-known name inserted before the issuer identifier's path.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use credentials::openid4vci::client_attestation;
use serde_json::{json, Value};

use super::Shared;
use crate::configurations::{CONFIGURATIONS, PROOF_ALGS};

pub(super) fn router(base: &str) -> Router<Shared> {
    Router::new()
        .route(
            &format!("/.well-known/openid-credential-issuer{base}"),
            get(credential_issuer),
        )
        .route(
            &format!("/.well-known/oauth-authorization-server{base}"),
            get(authorization_server),
        )
        .route(
            &format!("/.well-known/jwt-vc-issuer{base}"),
            get(jwt_vc_issuer),
        )
}

fn cacheable(body: Value, max_age: i64) -> Response {
    let mut r = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        r.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    r
}

/// The Credential Issuer Metadata document.
pub fn credential_issuer_metadata(s: &super::Issuer) -> Value {
    let c = &s.config;
    let alg = s.keys.active().signer.algorithm();
    let configs: serde_json::Map<String, Value> = CONFIGURATIONS
        .iter()
        .map(|cfg| (cfg.id.to_string(), cfg.metadata(alg, &c.key_attestations)))
        .collect();
    json!({
        "credential_issuer": c.issuer_url,
        "credential_endpoint": c.endpoint("/credential"),
        "nonce_endpoint": c.endpoint("/nonce"),
        "notification_endpoint": c.endpoint("/notification"),
        "credential_request_encryption": {
            "jwks": { "keys": [s.keys.encryption_jwk()] },
            "enc_values_supported": ["A128GCM", "A256GCM"],
            "encryption_required": false,
        },
        "credential_response_encryption": {
            "alg_values_supported": ["ECDH-ES"],
            "enc_values_supported": ["A128GCM", "A256GCM"],
            "encryption_required": false,
        },
        "batch_credential_issuance": { "batch_size": c.batch_size },
        "display": [{ "name": c.name, "locale": "en-GB" }],
        "credential_configurations_supported": configs,
    })
}

async fn credential_issuer(State(s): State<Shared>) -> Response {
    cacheable(credential_issuer_metadata(&s), 300)
}

/// The OAuth 2.0 Authorization Server Metadata document.
pub fn authorization_server_metadata(s: &super::Issuer) -> Value {
    let c = &s.config;
    let algs: Vec<&str> = PROOF_ALGS.iter().map(|a| a.jose_name()).collect();
    let auth_methods = match (
        c.wallet_attestation.enabled(),
        c.wallet_attestation.required,
    ) {
        (true, true) => json!([client_attestation::AUTH_METHOD]),
        (true, false) => json!([client_attestation::AUTH_METHOD, "none"]),
        _ => json!(["none"]),
    };
    let mut m = json!({
        "issuer": c.issuer_url,
        "authorization_endpoint": c.endpoint("/authorize"),
        "token_endpoint": c.endpoint("/token"),
        "pushed_authorization_request_endpoint": c.endpoint("/par"),
        "require_pushed_authorization_requests": true,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code"
        ],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "dpop_signing_alg_values_supported": algs,
        "authorization_details_types_supported": ["openid_credential"],
        "scopes_supported": CONFIGURATIONS.iter().map(|c| c.id).collect::<Vec<_>>(),
        // Anonymous token requests are refused when a wallet attestation is required.
        "pre-authorized_grant_anonymous_access_supported": !c.wallet_attestation.required,
        "authorization_response_iss_parameter_supported": true,
    });
    if c.wallet_attestation.enabled() {
        m["client_attestation_signing_alg_values_supported"] = json!(algs);
        m["client_attestation_pop_signing_alg_values_supported"] = json!(algs);
    }
    m
}

async fn authorization_server(State(s): State<Shared>) -> Response {
    cacheable(authorization_server_metadata(&s), 300)
}

async fn jwt_vc_issuer(State(s): State<Shared>) -> Response {
    let keys = s.keys.published_jwks(crate::util::now());
    cacheable(
        json!({ "issuer": s.config.issuer_url, "jwks": { "keys": keys } }),
        60,
    )
}
