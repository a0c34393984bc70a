//! The wallet end to end over HTTP against in-process OpenID4VCI and OpenID4VP peers
//! (tests/support): both issuance flows with DPoP and batches, storage with no claim in
//! clear, presentations that release only approved claims, over-asking refused, denied
//! consent answered with `access_denied`, unregistered verifiers flagged, fresh credentials
//! per verifier, refill, and the activity log.

mod support;

use credentials::b64;
use credentials::dcql::DcqlQuery;
use credentials::keys::Signer;
use credentials::mdoc::{verify_response, MdocVerifyOptions, SessionTranscript};
use credentials::openid4vp::ClientId;
use credentials::report::CheckLog;
use credentials::sd_jwt::VerifyOptions;
use credentials::sd_jwt_vc::{self, IssuerKeySource, VcVerifyOptions};
use serde_json::{json, Value};
use support::{issuer, now, verifier, FAMILY_NAME, PID_VCT};
use wallet_core::activity::Outcome;
use wallet_core::consent::TrustFinding;
use wallet_core::keystore::{Argon2Cost, PassphraseKeyStore};
use wallet_core::{Consent, Error, Wallet};

async fn wallet(dir: &std::path::Path) -> Wallet {
    let w = Wallet::open(
        dir,
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
    )
    .await
    .unwrap();
    // The test's servers are on loopback ports.
    w.set_fetch_policy(vouch_fetch::FetchPolicy {
        any_loopback_origin: true,
        ..Default::default()
    });
    w
}

async fn issued_wallet(dir: &std::path::Path) -> (Wallet, issuer::Shared, verifier::Shared) {
    let iss = issuer::start().await;
    let ver = verifier::start().await;
    let w = wallet(dir).await;
    w.accept_offer(&iss.offer_by_reference("pre"), Some(issuer::TX_CODE))
        .await
        .unwrap();
    w.add_verifier_root(&ver.root.to_pem()).await.unwrap();
    w.use_register(support::register());
    (w, iss, ver)
}

fn rtw_query() -> Value {
    json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]},
        "claims": [{"path": ["given_name"]}, {"path": ["family_name"]}, {"path": ["birthdate"]}]}]})
}

fn verify_sd_jwt(
    iss: &issuer::IssuerState,
    text: &str,
    aud: &str,
    nonce: &str,
) -> serde_json::Map<String, Value> {
    let opts = VerifyOptions {
        require_key_binding: true,
        aud: Some(aud),
        nonce: Some(nonce),
        ..VerifyOptions::at(now())
    };
    sd_jwt_vc::verify(
        text,
        &IssuerKeySource::Key(iss.signer.public_key().clone()),
        &VcVerifyOptions::new(opts),
        &mut CheckLog::default(),
    )
    .unwrap()
    .sd_jwt
    .claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_authorized_flow_with_tx_code_dpop_and_batch_stores_sealed_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let iss = issuer::start().await;
    let w = wallet(dir.path()).await;
    // A wrong transaction code is the issuer's invalid_grant; nothing is stored.
    let err = w
        .accept_offer(&iss.offer_by_value("pre"), Some("0000"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Issuer { error, .. } if error == "invalid_grant"),
        "{err}"
    );
    assert!(matches!(
        w.accept_offer(&iss.offer_by_value("pre"), None).await,
        Err(Error::Offer(_))
    ));
    let got = w
        .accept_offer(&iss.offer_by_reference("pre"), Some(issuer::TX_CODE))
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r.count == issuer::BATCH));
    let creds = w.credentials().await.unwrap();
    assert_eq!(creds.len(), 2 * issuer::BATCH);
    // One fresh device key per credential.
    let keys: std::collections::BTreeSet<_> = creds
        .iter()
        .map(|c| c.value.device_key_id.clone())
        .collect();
    assert_eq!(keys.len(), creds.len());
    let mdl = creds.iter().find(|c| c.value.format == "mso_mdoc").unwrap();
    assert_eq!(
        mdl.value.claims["org.iso.18013.5.1"]["family_name"],
        FAMILY_NAME
    );
    let pid = creds
        .iter()
        .find(|c| c.value.format == "dc+sd-jwt")
        .unwrap();
    assert_eq!(pid.value.claims["address"]["locality"], "London");
    assert_eq!(w.activity().await.unwrap().len(), 2);
    w.close().await;
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        for needle in [FAMILY_NAME, "London", "1815-12-10", "DL-998877", PID_VCT] {
            assert!(
                !bytes.windows(needle.len()).any(|x| x == needle.as_bytes()),
                "{needle} in clear"
            );
        }
    }
    // Reopened with the passphrase, everything is there; with another, nothing opens.
    assert_eq!(
        wallet(dir.path()).await.credentials().await.unwrap().len(),
        6
    );
    let wrong = Wallet::open(
        dir.path(),
        &PassphraseKeyStore::with_cost("other", Argon2Cost::TEST_ONLY),
    )
    .await;
    assert!(matches!(wrong, Err(Error::WrongPassphrase)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_flow_with_pkce_and_par() {
    let dir = tempfile::tempdir().unwrap();
    let iss = issuer::start().await;
    let w = wallet(dir.path()).await;
    let offer = w
        .resolve_offer(&iss.offer_by_reference("auth"))
        .await
        .unwrap();
    let start = w
        .start_authorization(offer, "https://wallet.example/cb")
        .await
        .unwrap();
    assert!(start.authorize_url.contains("request_uri="));
    assert!(
        !start.authorize_url.contains("code_challenge"),
        "PAR keeps parameters off the URL"
    );
    // The browser: the issuer signs the citizen in and redirects back.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&start.authorize_url)
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("https://wallet.example/cb?code="));
    let got = w.finish_authorization(&start.id, &location).await.unwrap();
    assert_eq!(got[0].count, issuer::BATCH);
    assert!(matches!(
        w.finish_authorization(&start.id, &location).await,
        Err(Error::NoPending(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presents_only_approved_claims_with_a_fresh_credential_per_verifier() {
    let dir = tempfile::tempdir().unwrap();
    let (w, iss, ver) = issued_wallet(dir.path()).await;
    let mut holder_keys = Vec::new();
    for (mode, post) in [("direct_post.jwt", false), ("direct_post", true)] {
        let (url, req) = ver.request(rtw_query(), mode, Some("right_to_work"), post, None);
        let consent = w.prepare_presentation(&url).await.unwrap();
        assert_eq!(consent.trust, TrustFinding::Registered);
        assert_eq!(
            consent.verifier.name.as_deref(),
            Some("Example Employer plc")
        );
        assert!(consent
            .verifier
            .certificate_subject
            .as_deref()
            .unwrap()
            .contains("Example Employer plc"));
        assert_eq!(consent.purpose.as_deref(), Some("right_to_work"));
        let names: Vec<&str> = consent.credentials[0]
            .claims
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["given_name", "family_name", "birthdate"]);
        assert!(consent.refused.is_none());
        // The person approves the names but not the date of birth.
        let approve = Consent {
            approve: true,
            claims: consent.credentials[0]
                .claims
                .iter()
                .filter(|c| c.name != "birthdate")
                .map(|c| c.key.clone())
                .collect(),
        };
        let out = w.respond(&consent.id, &approve).await.unwrap();
        assert!(out.shared);
        assert_eq!(out.redirect_uri.as_deref(), Some("https://localhost/done"));
        let resp = ver.last_response();
        assert_eq!(resp.state, req.state);
        let token = resp.vp_token["pid"][0].as_str().unwrap();
        let claims = verify_sd_jwt(&iss, token, &ver.client_id().as_string(), &req.nonce);
        assert_eq!(claims["family_name"], FAMILY_NAME);
        assert!(
            claims.get("birthdate").is_none(),
            "an unapproved claim was released"
        );
        assert!(claims.get("address").is_none());
        holder_keys.push(claims["cnf"]["jwk"]["x"].clone());
    }
    assert_eq!(*ver.request_methods.lock().unwrap(), ["get", "post"]);
    // A request object fetched by POST that does not carry the wallet's nonce back is refused.
    ver.omit_wallet_nonce
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (url, _) = ver.request(
        rtw_query(),
        "direct_post",
        Some("right_to_work"),
        true,
        None,
    );
    match w.prepare_presentation(&url).await {
        Err(Error::Request { message, .. }) => {
            assert!(message.contains("wallet_nonce"), "{message}")
        }
        other => panic!("a request object without the wallet_nonce was accepted: {other:?}"),
    }
    assert_ne!(
        holder_keys[0], holder_keys[1],
        "two verifiers saw the same holder key"
    );
    let used = w
        .credentials()
        .await
        .unwrap()
        .iter()
        .filter(|c| c.used)
        .count();
    assert_eq!(used, 2);
    let log = w.activity().await.unwrap();
    let shared: Vec<_> = log
        .iter()
        .filter(|e| e.outcome == Outcome::Shared)
        .collect();
    assert_eq!(shared.len(), 2);
    assert_eq!(shared[0].claims, ["given_name", "family_name"]);
    assert_eq!(shared[0].counterparty, "x509_san_dns:localhost");
    // The third presentation would leave fewer than two fresh: refill with the refresh token.
    let refilled = w.refill_low_batches().await.unwrap();
    assert_eq!(refilled.len(), 1);
    assert_eq!(*refilled[0].1.as_ref().unwrap(), issuer::BATCH);
    let pid_left: Vec<_> = w
        .credentials()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.value.format == "dc+sd-jwt")
        .collect();
    assert_eq!(pid_left.len(), 1 + issuer::BATCH);
    assert!(pid_left.iter().all(|c| !c.used));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mdoc_over_direct_post_jwt_uses_the_openid4vp_handover() {
    let dir = tempfile::tempdir().unwrap();
    let (w, iss, ver) = issued_wallet(dir.path()).await;
    let query = json!({"credentials": [
        {"id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "org.iso.18013.5.1.mDL"},
         "claims": [{"path": ["org.iso.18013.5.1", "family_name"]}, {"path": ["org.iso.18013.5.1", "given_name"]}]},
        {"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]}, "claims": [{"path": ["given_name"]}]}],
        "credential_sets": [{"options": [["mdl"], ["pid"]]}]});
    let (url, req) = ver.request(query, "direct_post.jwt", Some("right_to_work"), false, None);
    let consent = w.prepare_presentation(&url).await.unwrap();
    assert_eq!(
        consent.credentials.len(),
        1,
        "the first satisfiable option only"
    );
    assert_eq!(consent.credentials[0].query_id, "mdl");
    w.respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    let resp = ver.last_response();
    let bytes = b64::decode(resp.vp_token["mdl"][0].as_str().unwrap()).unwrap();
    let thumb = b64::decode(&req.encryption_keys[0].thumbprint()).unwrap();
    let transcript = SessionTranscript::openid4vp(
        &req.client_id.as_string(),
        &req.nonce,
        Some(&thumb),
        &req.response_uri,
    );
    let anchors = [iss.iaca.clone()];
    let docs = verify_response(
        &bytes,
        &MdocVerifyOptions::new(now(), &anchors, &transcript),
        &mut CheckLog::default(),
    )
    .unwrap();
    let released: Vec<&str> = docs[0].claims["org.iso.18013.5.1"]
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(released.len(), 2);
    assert!(released.contains(&"family_name") && !released.contains(&"document_number"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_asking_is_refused_with_access_denied() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _iss, ver) = issued_wallet(dir.path()).await;
    let query = json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]},
        "claims": [{"path": ["given_name"]}, {"path": ["address", "locality"]}]}]});
    let (url, req) = ver.request(query, "direct_post", Some("right_to_work"), false, None);
    let consent = w.prepare_presentation(&url).await.unwrap();
    assert_eq!(
        consent.trust,
        TrustFinding::OverAsking {
            beyond: vec!["address/locality".into()]
        }
    );
    assert!(consent.refused.is_some());
    let flagged: Vec<_> = consent.credentials[0]
        .claims
        .iter()
        .filter(|c| !c.registered)
        .map(|c| c.name.clone())
        .collect();
    assert_eq!(flagged, ["address/locality"]);
    // Even if the app sends approval, nothing is released.
    let out = w
        .respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    assert!(!out.shared);
    let resp = ver.last_response();
    assert_eq!(resp.error.as_deref(), Some("access_denied"));
    assert!(resp
        .error_description
        .as_deref()
        .is_some_and(|d| d.contains("asks for more than it registered")));
    assert_eq!(resp.state, req.state);
    assert!(resp.vp_token.is_empty());
    assert_eq!(
        w.activity().await.unwrap().last().unwrap().outcome,
        Outcome::Refused
    );
    // An unregistered purpose is beyond the registration too.
    let (url, _) = ver.request(rtw_query(), "direct_post", Some("marketing"), false, None);
    let consent = w.prepare_presentation(&url).await.unwrap();
    assert!(matches!(
        consent.trust,
        TrustFinding::PurposeNotRegistered { .. }
    ));
    assert!(consent.refused.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_consent_sends_access_denied_and_keeps_credentials_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _iss, ver) = issued_wallet(dir.path()).await;
    let (url, req) = ver.request(
        rtw_query(),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        None,
    );
    let consent = w.prepare_presentation(&url).await.unwrap();
    let out = w.respond(&consent.id, &Consent::deny()).await.unwrap();
    assert_eq!(out.error.as_deref(), Some("access_denied"));
    let resp = ver.last_response();
    assert_eq!(resp.error.as_deref(), Some("access_denied"));
    // The error response carries a description inside the JWE (direct_post.jwt).
    assert_eq!(
        resp.error_description.as_deref(),
        Some("the holder declined to share")
    );
    assert_eq!(resp.state, req.state);
    assert!(w.credentials().await.unwrap().iter().all(|c| !c.used));
    assert_eq!(
        w.activity().await.unwrap().last().unwrap().outcome,
        Outcome::Declined
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_verifier_is_flagged_to_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _iss, ver) = issued_wallet(dir.path()).await;
    w.use_register(trust_framework::register::Register::default());
    let (url, _) = ver.request(
        rtw_query(),
        "direct_post",
        Some("right_to_work"),
        false,
        None,
    );
    let consent = w.prepare_presentation(&url).await.unwrap();
    assert_eq!(consent.trust, TrustFinding::UnregisteredVerifier);
    assert!(!consent.verifier.registered);
    assert!(consent.refused.is_none(), "the person decides, warned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_id_prefixes_redirect_uri_x509_hash_and_decentralized_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let (w, iss, ver) = issued_wallet(dir.path()).await;
    // x509_hash of the signing certificate.
    let hash = ClientId::X509Hash(ClientId::x509_hash_of(ver.leaf()));
    let (url, req) = ver.request(
        rtw_query(),
        "direct_post",
        Some("right_to_work"),
        false,
        Some(hash),
    );
    let consent = w.prepare_presentation(&url).await.unwrap();
    w.respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    let token = ver.last_response().vp_token["pid"][0]
        .as_str()
        .unwrap()
        .to_string();
    verify_sd_jwt(&iss, &token, &req.client_id.as_string(), &req.nonce);
    // An unsigned request by value: redirect_uri prefix, equal to the response_uri.
    let response_uri = format!("{}/response", ver.base);
    let q = |client: &str| {
        let mut u = url::Url::parse("openid4vp://").unwrap();
        u.query_pairs_mut()
            .append_pair("client_id", client)
            .append_pair("response_type", "vp_token")
            .append_pair("response_mode", "direct_post")
            .append_pair("response_uri", &response_uri)
            .append_pair("nonce", "n-unsigned")
            .append_pair("dcql_query", &rtw_query().to_string());
        u.to_string()
    };
    let consent = w
        .prepare_presentation(&q(&format!("redirect_uri:{response_uri}")))
        .await
        .unwrap();
    assert_eq!(consent.trust, TrustFinding::UnregisteredVerifier);
    w.respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    let token = ver.last_response().vp_token["pid"][0]
        .as_str()
        .unwrap()
        .to_string();
    verify_sd_jwt(
        &iss,
        &token,
        &format!("redirect_uri:{response_uri}"),
        "n-unsigned",
    );
    // redirect_uri that is not the response_uri, an unsigned x509 prefix, a DID: refused.
    let e = w
        .prepare_presentation(&q("redirect_uri:https://evil.example/cb"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Request { .. }), "{e}");
    let e = w
        .prepare_presentation(&q("x509_san_dns:localhost"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Request { .. }), "{e}");
    let e = w
        .prepare_presentation(&q("decentralized_identifier:did:web:rp.example"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnsupportedClientId(_)), "{e}");
    // A request object whose signer chains to no trusted root.
    let dir2 = tempfile::tempdir().unwrap();
    let w2 = wallet(dir2.path()).await;
    let (url, _) = ver.request(rtw_query(), "direct_post", None, false, None);
    let e = w2.prepare_presentation(&url).await.unwrap_err();
    assert!(
        matches!(e, Error::Request { code, .. } if code.code() == "invalid_client"),
        "{e}"
    );
    let _ = DcqlQuery::from_json(&rtw_query()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_authorities_aki_matches_the_issuers_chain_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (w, iss, ver) = issued_wallet(dir.path()).await;
    // The aki a verifier names: the IACA's subjectKeyIdentifier, read with x509-cert here.
    let iaca = {
        use x509_cert::der::Decode;
        x509_cert::Certificate::from_der(iss.iaca.der()).unwrap()
    };
    let ski = iaca
        .tbs_certificate
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.14")
        .map(|e| e.extn_value.as_bytes()[2..].to_vec())
        .expect("the IACA has a subjectKeyIdentifier");
    let query = |aki: &str| {
        json!({"credentials": [
            {"id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": "org.iso.18013.5.1.mDL"},
             "trusted_authorities": [{"type": "aki", "values": [aki]}],
             "claims": [{"path": ["org.iso.18013.5.1", "family_name"]}]}]})
    };
    let (url, _) = ver.request(
        query(&b64::encode(&ski)),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        None,
    );
    let consent = w.prepare_presentation(&url).await.unwrap();
    assert_eq!(consent.credentials[0].query_id, "mdl");
    let (url, _) = ver.request(
        query(&b64::encode([7u8; 20])),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        None,
    );
    let e = w.prepare_presentation(&url).await.unwrap_err();
    assert!(matches!(e, Error::NoMatchingCredential), "{e}");
}

/// The OAuth error code and message of a refused request.
fn refusal(e: Error) -> (String, String) {
    match e {
        Error::Request { code, message } => (code.code().to_string(), message),
        other => panic!("not a request refusal: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haip_mode_refuses_unsigned_requests_other_client_ids_and_unencrypted_responses() {
    let dir = tempfile::tempdir().unwrap();
    let (w, _iss, ver) = issued_wallet(dir.path()).await;
    w.set_haip(true).await.unwrap();
    // Unsigned, by value (redirect_uri), as accepted outside HAIP mode.
    let response_uri = format!("{}/response", ver.base);
    let mut u = url::Url::parse("openid4vp://").unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", &format!("redirect_uri:{response_uri}"))
        .append_pair("response_type", "vp_token")
        .append_pair("response_mode", "direct_post")
        .append_pair("response_uri", &response_uri)
        .append_pair("nonce", "n-unsigned")
        .append_pair("dcql_query", &rtw_query().to_string());
    let (c, m) = refusal(w.prepare_presentation(u.as_str()).await.unwrap_err());
    assert_eq!(c, "invalid_request");
    assert!(m.contains("unsigned"), "{m}");
    // Signed, but the credentials would go back unencrypted.
    let hash = ClientId::X509Hash(ClientId::x509_hash_of(ver.leaf()));
    let (url, _) = ver.request(
        rtw_query(),
        "direct_post",
        Some("right_to_work"),
        false,
        Some(hash.clone()),
    );
    let (c, m) = refusal(w.prepare_presentation(&url).await.unwrap_err());
    assert_eq!(c, "invalid_request");
    assert!(m.contains("direct_post.jwt"), "{m}");
    // Signed, x509_hash, encrypted: accepted and answered.
    let (url, _) = ver.request(
        rtw_query(),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        Some(hash),
    );
    let consent = w.prepare_presentation(&url).await.unwrap();
    w.respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    assert!(ver.last_response().vp_token["pid"][0].is_string());
    // The setting is kept: a reopened wallet is still in HAIP mode.
    drop(w);
    let again = wallet(dir.path()).await;
    assert!(again.settings().haip);
}

/// A registrar (CA and signing certificate) made here, and the registration certificate it
/// gives relying party `rp` of `register` (the register's own data, signed).
struct Registrar {
    ca: credentials::x509::Certificate,
    leaf: credentials::x509::Certificate,
    key: credentials::keys::SoftwareSigner,
}

impl Registrar {
    fn new() -> Self {
        use credentials::keys::{Algorithm, SoftwareSigner};
        use credentials::x509::dev::{issue, self_signed, CertSpec};
        let ca_key: std::sync::Arc<dyn Signer> =
            std::sync::Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
        let ca = self_signed(
            &CertSpec {
                common_name: "Test registrar CA".into(),
                days: 30,
                ca: Some(Some(0)),
                ..Default::default()
            },
            ca_key.clone(),
        )
        .unwrap();
        let key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
        let leaf = issue(
            &CertSpec {
                common_name: "Test registrar".into(),
                days: 30,
                ..Default::default()
            },
            key.public_key(),
            &ca,
            ca_key,
        )
        .unwrap();
        Registrar { ca, leaf, key }
    }

    fn certificate(&self, register: &trust_framework::register::Register, rp: &str) -> Value {
        use trust_framework::registration_certificate::RegistrationCertificate;
        let rc = RegistrationCertificate::of(
            register,
            rp,
            "register.test/log",
            None,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap()
        .sign(&self.key, std::slice::from_ref(&self.leaf))
        .unwrap();
        json!({"format": "jwt", "data": rc})
    }
}

/// The support register with its employer registered under `id`.
fn register_as(id: &str) -> trust_framework::register::Register {
    let mut r = support::register();
    let mut rec = r.relying_parties.remove("https://localhost").unwrap();
    rec.relying_party.relying_party_id = id.into();
    r.relying_parties.insert(id.into(), rec);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_certificate_names_the_verifier_without_a_register_in_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let iss = issuer::start().await;
    let ver = verifier::start().await;
    let w = wallet(dir.path()).await;
    w.accept_offer(&iss.offer_by_reference("pre"), Some(issuer::TX_CODE))
        .await
        .unwrap();
    w.add_verifier_root(&ver.root.to_pem()).await.unwrap();
    // No register in the wallet: only the registrar's root, as a snapshot names it.
    let registrar = Registrar::new();
    w.use_registrar_roots(vec![registrar.ca.clone()]);
    let register = register_as("x509_san_dns:localhost");
    *ver.verifier_info.lock().unwrap() =
        vec![registrar.certificate(&register, "x509_san_dns:localhost")];
    let (url, _) = ver.request(
        rtw_query(),
        "direct_post.jwt",
        Some("right_to_work"),
        false,
        None,
    );
    let consent = w.prepare_presentation(&url).await.unwrap();
    assert!(consent.verifier.registered);
    assert_eq!(
        consent.verifier.name.as_deref(),
        Some("Example Employer plc")
    );
    assert_eq!(consent.trust, TrustFinding::Registered);
    assert!(consent.refused.is_none());

    // Asking beyond what the certificate registers is refused, naming the claim.
    let over = json!({"credentials": [{"id": "pid", "format": "dc+sd-jwt", "meta": {"vct_values": [PID_VCT]},
        "claims": [{"path": ["given_name"]}, {"path": ["address"]}]}]});
    let (url, _) = ver.request(over, "direct_post.jwt", Some("right_to_work"), false, None);
    let consent = w.prepare_presentation(&url).await.unwrap();
    let refused = consent.refused.expect("over-asking is refused");
    assert!(refused.contains("address"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_certificates_of_another_party_an_unknown_registrar_or_a_removed_party_are_refused(
) {
    let dir = tempfile::tempdir().unwrap();
    let (w, _iss, ver) = issued_wallet(dir.path()).await;
    let registrar = Registrar::new();
    w.use_registrar_roots(vec![registrar.ca.clone()]);
    let ask = |info: Value| {
        *ver.verifier_info.lock().unwrap() = vec![info];
        ver.request(
            rtw_query(),
            "direct_post.jwt",
            Some("right_to_work"),
            false,
            None,
        )
        .0
    };
    // Another relying party's certificate, replayed by this verifier.
    let other = register_as("x509_san_dns:other.example");
    let url = ask(registrar.certificate(&other, "x509_san_dns:other.example"));
    let (code, m) = refusal(w.prepare_presentation(&url).await.unwrap_err());
    assert_eq!(code, "invalid_client");
    assert!(
        m.starts_with("registration_certificate_other_relying_party"),
        "{m}"
    );
    // A certificate from a registrar the register does not name.
    let mine = register_as("x509_san_dns:localhost");
    let url = ask(Registrar::new().certificate(&mine, "x509_san_dns:localhost"));
    let (_, m) = refusal(w.prepare_presentation(&url).await.unwrap_err());
    assert!(m.starts_with("registration_certificate_untrusted"), "{m}");
    // A relying party the wallet's register shows as removed, with a certificate from
    // before its removal.
    let rc = registrar.certificate(&mine, "x509_san_dns:localhost");
    let mut removed = mine.clone();
    removed
        .relying_parties
        .get_mut("x509_san_dns:localhost")
        .unwrap()
        .removed_at = Some(time::OffsetDateTime::now_utc());
    w.use_register(removed);
    let url = ask(rc);
    let (_, m) = refusal(w.prepare_presentation(&url).await.unwrap_err());
    assert!(m.starts_with("registration_certificate_revoked"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_naming_an_authorization_server_the_issuer_does_not_list_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let iss = issuer::start().await;
    let w = wallet(dir.path()).await;
    // An offer pointing the wallet at another server for the issuer's codes (RFC 8414 3.3,
    // OpenID4VCI 4.1.1): its PoPs and codes would go to a server the issuer never named.
    let mut offer = iss.offer_json("auth");
    offer["grants"]["authorization_code"]["authorization_server"] =
        json!("http://127.0.0.1:9/evil");
    let url = format!(
        "openid-credential-offer://?credential_offer={}",
        support::issuer::url_encode(&offer.to_string())
    );
    let offer = w.resolve_offer(&url).await.unwrap();
    let e = w
        .start_authorization(offer, "https://wallet.example/cb")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Offer(m) if m.contains("does not list")),
        "{e}"
    );
}
