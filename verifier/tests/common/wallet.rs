//! The holder side, built from `credentials`: fetch the request object, check it, answer.

use credentials::jose::jwe::Enc;
use credentials::openid4vp::{AuthorizationRequest, AuthorizationResponse};
use credentials::sd_jwt::SdJwt;
use serde_json::{json, Value};

use super::{client, Running, Scheme};

/// The request a wallet sees after scanning the QR or following the link.
pub async fn fetch_request(r: &Running, id: &str) -> AuthorizationRequest {
    let page = client()
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page
        .find("openid4vp://")
        .expect("the page links to the wallet");
    let end = start + page[start..].find('"').unwrap();
    let link = page[start..end].replace("&amp;", "&");
    request_from_link(r, &link).await
}

/// The request behind a wallet link (`openid4vp://?client_id=..&request_uri=..`), fetched
/// with `request_uri_method=post` and verified against the reader root.
pub async fn request_from_link(r: &Running, link: &str) -> AuthorizationRequest {
    let url = url::Url::parse(link).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["request_uri_method"], "post");
    let jwt = client()
        .post(&q["request_uri"])
        .form(&[("wallet_nonce", "wn-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        jwt.headers()["content-type"],
        "application/oauth-authz-req+jwt"
    );
    let jwt = jwt.text().await.unwrap();
    let verified = AuthorizationRequest::verify(
        &jwt,
        std::slice::from_ref(&r.root),
        super::now().unix_timestamp(),
    )
    .expect("the request object verifies against the reader root");
    assert_eq!(verified.request.client_id.as_string(), q["client_id"]);
    verified.request
}

/// Answers `req` with `presentation` (encrypted when the request says direct_post.jwt).
pub async fn answer(req: &AuthorizationRequest, presentation: &str) -> reqwest::Response {
    answer_as(req, "right_to_work", presentation).await
}

/// As [`answer`], for the credential query `query_id`.
pub async fn answer_as(
    req: &AuthorizationRequest,
    query_id: &str,
    presentation: &str,
) -> reqwest::Response {
    let resp = AuthorizationResponse {
        vp_token: [(
            query_id.to_string(),
            vec![Value::String(presentation.into())],
        )]
        .into(),
        state: req.state.clone(),
        error: None,
        error_description: None,
    };
    let c = client();
    if req.response_mode == "direct_post.jwt" {
        let jwe = resp.encrypt(&req.encryption_keys[0], Enc::A128Gcm).unwrap();
        c.post(&req.response_uri)
            .form(&[("response", jwe)])
            .send()
            .await
            .unwrap()
    } else {
        c.post(&req.response_uri)
            .form(&resp.to_form())
            .send()
            .await
            .unwrap()
    }
}

/// The whole wallet side: fetch, check, present `cred`, answer. Returns the response body.
pub async fn share(r: &Running, id: &str, scheme: &Scheme, cred: &SdJwt) -> Value {
    let req = fetch_request(r, id).await;
    present_to(&req, scheme, cred).await
}

/// The wallet side from a link the employer's page showed.
pub async fn share_link(r: &Running, link: &str, scheme: &Scheme, cred: &SdJwt) -> Value {
    let req = request_from_link(r, link).await;
    present_to(&req, scheme, cred).await
}

/// The whole wallet side for a version 2 credential: it answers the template's version 2
/// query ([`super::RTW_V2_QUERY`]). Returns the response body.
pub async fn share_v2(r: &Running, id: &str, scheme: &Scheme, cred: &SdJwt) -> Value {
    let req = fetch_request(r, id).await;
    let p = scheme.present_v2(cred, &req.client_id.as_string(), &req.nonce);
    answered(answer_as(&req, super::RTW_V2_QUERY, &p).await, p).await
}

async fn answered(resp: reqwest::Response, p: String) -> Value {
    assert_eq!(
        resp.status(),
        200,
        "the response endpoint accepts the response"
    );
    let v: Value = resp.json().await.unwrap();
    assert!(
        v["redirect_uri"]
            .as_str()
            .unwrap()
            .contains("response_code="),
        "{v}"
    );
    json!({"ack": v, "presentation": p})
}

async fn present_to(req: &AuthorizationRequest, scheme: &Scheme, cred: &SdJwt) -> Value {
    let p = scheme.present(cred, &req.client_id.as_string(), &req.nonce);
    answered(answer(req, &p).await, p).await
}

/// Answers `req` for credential query `query_id` with `item` (direct_post).
pub async fn answer_item(
    req: &AuthorizationRequest,
    query_id: &str,
    item: Value,
) -> reqwest::Response {
    let resp = AuthorizationResponse {
        vp_token: [(query_id.to_string(), vec![item])].into(),
        state: req.state.clone(),
        error: None,
        error_description: None,
    };
    client()
        .post(&req.response_uri)
        .form(&resp.to_form())
        .send()
        .await
        .unwrap()
}
