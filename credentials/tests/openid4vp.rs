//! OpenID4VP 1.0 request objects and responses: signed with x509_san_dns and x509_hash
//! client identifiers, refused when the certificate, the identifier or the response URI
//! do not line up; `vp_token` by `direct_post` and `direct_post.jwt`.

use std::sync::Arc;

use credentials::dcql::DcqlQuery;
use credentials::jose::jwe::Enc;
use credentials::keys::{provider, Algorithm, Jwk, KeyKind, Signer, SoftwareSigner};
use credentials::openid4vp::{
    AuthorizationRequest, AuthorizationResponse, ClientId, RequestObjectError,
};
use credentials::x509::dev::{self, CertSpec};
use credentials::x509::Certificate;
use serde_json::{json, Map, Value};

struct Verifier {
    root: Certificate,
    leaf: Certificate,
    key: SoftwareSigner,
}

fn verifier(dns: &str) -> Verifier {
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
            common_name: "Employer Ltd".into(),
            days: 10,
            dns_names: vec![dns.into()],
            ..Default::default()
        },
        key.public_key(),
        &root,
        root_key,
    )
    .unwrap();
    Verifier { root, leaf, key }
}

fn request(
    client_id: ClientId,
    response_uri: &str,
) -> (AuthorizationRequest, credentials::keys::SecretKey) {
    let enc_key = provider::default().generate(KeyKind::P256).unwrap();
    let query = DcqlQuery::from_json(&json!({"credentials": [{"id": "rtw", "format": "dc+sd-jwt",
        "meta": {"vct_values": ["urn:vouch:uk:right-to-work:1"]},
        "claims": [{"path": ["given_name"]}, {"path": ["family_name"]}]}]}))
    .unwrap();
    let req = AuthorizationRequest {
        client_id,
        response_mode: "direct_post.jwt".into(),
        response_uri: response_uri.into(),
        nonce: "n-0S6_WzA2Mj".into(),
        state: Some("st-1".into()),
        dcql_query: query,
        encryption_keys: vec![Jwk::from_public_key(enc_key.public_key())],
        enc_values: vec!["A128GCM".into()],
        client_metadata: Map::new(),
        purpose: Some("right_to_work".into()),
        verifier_info: Vec::new(),
    };
    (req, enc_key)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn x509_san_dns_request_object_verifies_and_round_trips() {
    let v = verifier("rp.example");
    let (req, _) = request(
        ClientId::X509SanDns("rp.example".into()),
        "https://rp.example/response/1",
    );
    let jwt = req
        .sign(&v.key, std::slice::from_ref(&v.leaf), now())
        .unwrap();
    let verified =
        AuthorizationRequest::verify(&jwt, std::slice::from_ref(&v.root), now()).unwrap();
    assert_eq!(verified.request, req);
    assert_eq!(verified.chain[0], v.leaf);
}

#[test]
fn request_objects_are_refused_when_identifier_certificate_or_uri_do_not_match() {
    let v = verifier("rp.example");
    let cases: Vec<(AuthorizationRequest, &str)> = vec![
        (
            request(
                ClientId::X509SanDns("other.example".into()),
                "https://other.example/r",
            )
            .0,
            "client identifier",
        ),
        (
            request(
                ClientId::X509SanDns("rp.example".into()),
                "https://evil.example/r",
            )
            .0,
            "response_uri host",
        ),
        (
            request(ClientId::X509Hash("AAAA".into()), "https://rp.example/r").0,
            "x509_hash",
        ),
        (
            request(
                ClientId::RedirectUri("https://rp.example/r".into()),
                "https://rp.example/r",
            )
            .0,
            "x509 client identifier",
        ),
    ];
    for (req, what) in cases {
        let jwt = req
            .sign(&v.key, std::slice::from_ref(&v.leaf), now())
            .unwrap();
        let err =
            AuthorizationRequest::verify(&jwt, std::slice::from_ref(&v.root), now()).unwrap_err();
        assert!(
            matches!(err, RequestObjectError::ClientId(_)),
            "{what}: {err}"
        );
        assert_eq!(err.oauth_error().code(), "invalid_client");
    }
    // x509_hash of the real leaf is accepted.
    let (req, _) = request(
        ClientId::X509Hash(ClientId::x509_hash_of(&v.leaf)),
        "https://anywhere.example/r",
    );
    let jwt = req
        .sign(&v.key, std::slice::from_ref(&v.leaf), now())
        .unwrap();
    AuthorizationRequest::verify(&jwt, std::slice::from_ref(&v.root), now()).unwrap();
    // An untrusted root, and a tampered signature.
    let other = verifier("rp.example");
    let (req, _) = request(
        ClientId::X509SanDns("rp.example".into()),
        "https://rp.example/r",
    );
    let jwt = req
        .sign(&v.key, std::slice::from_ref(&v.leaf), now())
        .unwrap();
    assert!(matches!(
        AuthorizationRequest::verify(&jwt, &[other.root], now()),
        Err(RequestObjectError::Certificate(_))
    ));
    let mut bad = jwt.clone();
    bad.replace_range(
        bad.len() - 5..bad.len() - 4,
        if bad.ends_with('A') { "B" } else { "A" },
    );
    let bad = format!("{}A{}", &jwt[..jwt.len() - 6], &jwt[jwt.len() - 5..]);
    assert!(AuthorizationRequest::verify(&bad, std::slice::from_ref(&v.root), now()).is_err());
}

#[test]
fn invalid_parameters_are_invalid_request() {
    let (req, _) = request(
        ClientId::X509SanDns("rp.example".into()),
        "https://rp.example/r",
    );
    let mut claims = req.to_claims();
    claims.insert("response_type".into(), "code".into());
    assert_eq!(
        AuthorizationRequest::from_claims(&claims)
            .unwrap_err()
            .oauth_error()
            .code(),
        "invalid_request"
    );
    let mut claims = req.to_claims();
    claims.insert("dcql_query".into(), json!({"credentials": []}));
    assert!(matches!(
        AuthorizationRequest::from_claims(&claims),
        Err(RequestObjectError::Dcql(_))
    ));
    let mut claims = req.to_claims();
    claims.remove("nonce");
    assert!(AuthorizationRequest::from_claims(&claims).is_err());
}

#[test]
fn direct_post_jwt_response_decrypts_only_with_the_transaction_key() {
    let (req, key) = request(
        ClientId::X509SanDns("rp.example".into()),
        "https://rp.example/r",
    );
    let mut resp = AuthorizationResponse {
        state: Some("st-1".into()),
        ..Default::default()
    };
    resp.vp_token
        .insert("rtw".into(), vec![Value::String("eyJ...~".into())]);
    let jwe = resp.encrypt(&req.encryption_keys[0], Enc::A128Gcm).unwrap();
    assert_eq!(
        AuthorizationResponse::decrypt(&jwe, &key, &[Enc::A128Gcm]).unwrap(),
        resp
    );
    let other = provider::default().generate(KeyKind::P256).unwrap();
    assert!(AuthorizationResponse::decrypt(&jwe, &other, &[Enc::A128Gcm]).is_err());
    // direct_post form: vp_token is JSON text keyed by query id with array values.
    let form: Map<String, Value> = resp
        .to_form()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    assert_eq!(AuthorizationResponse::from_params(&form).unwrap(), resp);
    let mut bad = form.clone();
    bad.insert("vp_token".into(), Value::String("\"eyJ...\"".into()));
    assert!(AuthorizationResponse::from_params(&bad).is_err());
}
