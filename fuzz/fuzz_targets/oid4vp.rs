//! Any bytes as an OpenID4VP request object (signed JWT or its claims), an authorization
//! response (form parameters or JSON), a DCQL query or a JWK: parsing never panics.
#![no_main]

use credentials::dcql::DcqlQuery;
use credentials::keys::Jwk;
use credentials::openid4vp::{AuthorizationRequest, AuthorizationResponse};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = AuthorizationRequest::verify(text, &[], 1_767_225_600);
        let _ = Jwk::from_json(text);
    }
    if let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(data) {
        let _ = AuthorizationRequest::from_claims(&m);
        let _ = AuthorizationResponse::from_params(&m);
        let _ = DcqlQuery::from_json(&Value::Object(m));
    }
});
