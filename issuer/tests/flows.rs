//! End to end over HTTP (the router in-process): metadata, both OpenID4VCI flows, batch
//! issuance, encrypted requests and responses, status lists, notifications, key rotation;
//! every credential verified by `credentials`' own verifiers, with holder binding.

mod support;

use credentials::jose::jwe::{self, Enc};
use credentials::keys::{provider, KeyKind, Signer};
use credentials::mdoc::{
    device_response, present_document, verify_response, DeviceKeyAuth, IssuerSigned,
    MdocVerifyOptions, Selection, SessionTranscript,
};
use credentials::report::CheckLog;
use credentials::sd_jwt::{present, KeyBindingJwt, SdAlg, SdJwt, VerifyOptions};
use credentials::sd_jwt_vc::{
    verify as verify_vc, IssuerKeySource, IssuerMetadataResolver, JwtVcIssuerMetadata,
    VcVerifyOptions,
};
use credentials::status::{StatusListToken, StatusReference, INVALID, SUSPENDED, VALID};
use issuer::wallet::Transport;
use serde_json::{json, Value};
use support::*;

struct Fetched(Value);
impl IssuerMetadataResolver for Fetched {
    fn resolve(&self, iss: &str) -> Result<JwtVcIssuerMetadata, String> {
        let m = JwtVcIssuerMetadata::from_json(&self.0)?;
        if m.issuer != iss {
            return Err("issuer mismatch".into());
        }
        Ok(m)
    }
}

/// Verifies an issued SD-JWT VC as a verifier would: issuer key from JWT VC Issuer Metadata,
/// a presentation with a KB-JWT by `holder`. Returns the disclosed claims.
async fn verify_sd_jwt(
    t: &TestIssuer,
    credential: &str,
    holder: &dyn Signer,
) -> serde_json::Map<String, Value> {
    verify_sd_jwt_showing(t, credential, holder, &["/given_name", "/family_name"]).await
}

/// As [`verify_sd_jwt`], the presentation disclosing the claims at `pointers` (and what is
/// nested in them).
async fn verify_sd_jwt_showing(
    t: &TestIssuer,
    credential: &str,
    holder: &dyn Signer,
    pointers: &[&str],
) -> serde_json::Map<String, Value> {
    let meta = t
        .wallet()
        .get_json("https://issuer.test/.well-known/jwt-vc-issuer/tenant")
        .await
        .unwrap();
    let resolver = Fetched(meta);
    let sd = SdJwt::parse(credential).unwrap();
    let shown = present(&sd, pointers).unwrap();
    let now = issuer::util::now();
    let kb = KeyBindingJwt::attach(
        shown,
        holder,
        "https://rp.example",
        "n-1",
        now,
        SdAlg::Sha256,
    )
    .unwrap();
    let text = kb.to_compact();
    let mut opts = VerifyOptions::at(now);
    opts.require_key_binding = true;
    opts.aud = Some("https://rp.example");
    opts.nonce = Some("n-1");
    let mut log = CheckLog::default();
    let v = verify_vc(
        &text,
        &IssuerKeySource::Metadata(&resolver),
        &VcVerifyOptions::new(opts),
        &mut log,
    )
    .unwrap_or_else(|e| panic!("{e}: {log:?}"));
    assert_eq!(v.iss.as_deref(), Some(ISSUER));
    v.sd_jwt.claims
}

fn mdoc_verifies(
    t: &TestIssuer,
    credential: &str,
    device: &dyn Signer,
) -> credentials::mdoc::VerifiedDocument {
    let issued = IssuerSigned::from_cbor(&credentials::b64::decode(credential).unwrap()).unwrap();
    let transcript =
        SessionTranscript::openid4vp("x509_hash:abc", "n-2", None, "https://rp.example/post");
    let elements = vec![
        ("org.iso.18013.5.1".to_string(), "family_name".to_string()),
        ("org.iso.18013.5.1".to_string(), "age_over_18".to_string()),
    ];
    let doc = present_document(
        &issued,
        &Selection::Elements(&elements),
        &|_, _| true,
        &DeviceKeyAuth::Signature(device),
        &transcript,
    )
    .unwrap();
    let response = device_response(&[doc]);
    let anchors = [t.issuer.keys.iaca().clone()];
    let opts = MdocVerifyOptions::new(issuer::util::now(), &anchors, &transcript);
    let mut log = CheckLog::default();
    let mut docs =
        verify_response(&response, &opts, &mut log).unwrap_or_else(|e| panic!("{e}: {log:?}"));
    docs.remove(0)
}

fn sd_status(credential: &str) -> StatusReference {
    let sd = SdJwt::parse(credential).unwrap();
    StatusReference::from_json(&sd.jws().claims().unwrap()["status"]).unwrap()
}

#[tokio::test]
async fn metadata_sits_at_the_well_known_path_inserted_before_the_issuer_path() {
    let t = issuer().await;
    let w = t.wallet();
    let m = w.metadata().await.unwrap();
    assert_eq!(m["credential_issuer"], ISSUER);
    assert_eq!(m["credential_endpoint"], format!("{ISSUER}/credential"));
    assert_eq!(m["nonce_endpoint"], format!("{ISSUER}/nonce"));
    assert_eq!(m["notification_endpoint"], format!("{ISSUER}/notification"));
    assert_eq!(m["batch_credential_issuance"]["batch_size"], 10);
    let c = &m["credential_configurations_supported"];
    assert_eq!(c["pid_sd_jwt"]["format"], "dc+sd-jwt");
    assert_eq!(c["pid_sd_jwt"]["vct"], "urn:vouch:uk:pid:1");
    assert_eq!(c["mdl_mdoc"]["format"], "mso_mdoc");
    assert_eq!(c["mdl_mdoc"]["doctype"], "org.iso.18013.5.1.mDL");
    assert_eq!(
        c["mdl_mdoc"]["credential_signing_alg_values_supported"],
        json!([-7])
    );
    assert_eq!(
        c["pid_sd_jwt"]["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"],
        json!(["ES256", "ES384", "EdDSA"])
    );
    // Each claim carries the label people read (OpenID4VCI 1.0 Appendix B.2), from the type
    // metadata: wallets show "Date of birth", not "birthdate".
    let claims = c["right_to_work_sd_jwt"]["credential_metadata"]["claims"]
        .as_array()
        .unwrap();
    let label = |path: Value| {
        claims
            .iter()
            .find(|c| c["path"] == path)
            .and_then(|c| c["display"][0]["name"].as_str())
            .map(str::to_string)
    };
    assert_eq!(
        label(json!(["birthdate"])).as_deref(),
        Some("Date of birth")
    );
    assert!(claims
        .iter()
        .all(|c| c["display"].as_array().is_some_and(|d| !d.is_empty())));
    // appending instead of inserting is wrong, and finds nothing
    let appended = w
        .transport
        .send(
            "GET",
            &format!("{ISSUER}/.well-known/openid-credential-issuer"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(appended.status, 404);
    let asm = w
        .get_json("https://issuer.test/.well-known/oauth-authorization-server/tenant")
        .await
        .unwrap();
    assert_eq!(asm["issuer"], ISSUER);
    assert_eq!(asm["token_endpoint"], format!("{ISSUER}/token"));
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(asm["pre-authorized_grant_anonymous_access_supported"], true);
    assert_eq!(asm["require_pushed_authorization_requests"], true);
}

#[tokio::test]
async fn pre_authorized_flow_issues_a_batch_of_sd_jwt_vcs_and_an_mdoc_that_verify() {
    let t = issuer().await;
    t.subject("subj-1").await;
    let offer = t.offer("subj-1", &["pid_sd_jwt", "mdl_mdoc"], true).await;
    let w = t.wallet();
    // the offer by reference, as a wallet scanning the QR would fetch it
    let fetched = w
        .resolve_offer(offer["offer_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(fetched, offer["credential_offer"]);
    let by_value = w
        .resolve_offer(offer["offer_url_by_value"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(by_value, offer["credential_offer"]);
    assert!(offer["qr_svg"].as_str().unwrap().starts_with("<?xml"));
    let token = w
        .token_pre_authorized(&pre_code(&offer), offer["tx_code"].as_str())
        .await
        .unwrap();
    assert_eq!(token.token_type, "DPoP");

    let keys = holders(3);
    let creds = w.issue(&token, "pid_sd_jwt", &dyns(&keys)).await.unwrap();
    assert_eq!(creds.len(), 3, "one credential per proof key");
    let mut idx = std::collections::BTreeSet::new();
    for (c, k) in creds.iter().zip(&keys) {
        let claims = verify_sd_jwt(&t, c, k).await;
        assert_eq!(claims["given_name"], "Ada");
        assert_eq!(claims["vct"], "urn:vouch:uk:pid:1");
        let s = sd_status(c);
        assert!(s.uri.starts_with(&format!("{ISSUER}/status/")));
        idx.insert(s.idx);
    }
    assert_eq!(idx.len(), 3, "distinct status indices");

    let device = holder();
    let mdl = w.issue(&token, "mdl_mdoc", &[&device]).await.unwrap();
    let doc = mdoc_verifies(&t, &mdl[0], &device);
    assert_eq!(doc.doc_type, "org.iso.18013.5.1.mDL");
    let status = StatusReference::from_cbor(doc.mso.status.as_ref().expect("MSO status")).unwrap();
    assert!(status.uri.starts_with(&format!("{ISSUER}/status/")));
    assert_eq!(t.count("credentials").await, 4);
}

#[tokio::test]
async fn revocation_and_suspension_show_in_the_jwt_and_cwt_status_lists() {
    let t = issuer().await;
    t.subject("subj-2").await;
    let offer = t.offer("subj-2", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let keys = holders(3);
    let creds = w.issue(&token, "pid_sd_jwt", &dyns(&keys)).await.unwrap();
    let list = t
        .admin("GET", "/admin/subjects/subj-2/credentials", json!({}))
        .await
        .json();
    let records = list["credentials"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    let find = |c: &str| {
        let s = sd_status(c);
        records.iter().find(|r| r["idx"] == s.idx).unwrap()["credential_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = t
        .admin(
            "POST",
            &format!("/admin/credentials/{}/status", find(&creds[0])),
            json!({"status": "revoked"}),
        )
        .await;
    assert_eq!(r.status, 200);
    t.admin(
        "POST",
        &format!("/admin/credentials/{}/status", find(&creds[1])),
        json!({"status": "suspended"}),
    )
    .await;
    let uri = sd_status(&creds[0]).uri;
    let r = w.transport.send("GET", &uri, &[], vec![]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/statuslist+jwt"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let now = issuer::util::now();
    let jwt = StatusListToken::verify_jwt(
        std::str::from_utf8(&r.body).unwrap(),
        &t.issuer_key(),
        &uri,
        now,
    )
    .unwrap();
    assert_eq!(jwt.ttl, Some(300));
    assert_eq!(jwt.list.len(), 4096);
    let cwt_r = w
        .transport
        .send(
            "GET",
            &uri,
            &[("accept", "application/statuslist+cwt".into())],
            vec![],
        )
        .await;
    assert_eq!(
        cwt_r.header("content-type"),
        Some("application/statuslist+cwt")
    );
    let cwt = StatusListToken::verify_cwt(&cwt_r.body, &t.issuer_key(), &uri, now).unwrap();
    for tok in [&jwt, &cwt] {
        assert_eq!(tok.status(sd_status(&creds[0]).idx).unwrap(), INVALID);
        assert_eq!(tok.status(sd_status(&creds[1]).idx).unwrap(), SUSPENDED);
        assert_eq!(tok.status(sd_status(&creds[2]).idx).unwrap(), VALID);
    }
    // lifting the suspension
    t.admin(
        "POST",
        &format!("/admin/credentials/{}/status", find(&creds[1])),
        json!({"status": "valid"}),
    )
    .await;
    let r = w.transport.send("GET", &uri, &[], vec![]).await;
    let jwt = StatusListToken::verify_jwt(
        std::str::from_utf8(&r.body).unwrap(),
        &t.issuer_key(),
        &uri,
        now,
    )
    .unwrap();
    assert_eq!(jwt.status(sd_status(&creds[1]).idx).unwrap(), VALID);
}

#[tokio::test]
async fn authorization_code_flow_with_par_pkce_and_dpop_issues_a_right_to_work_credential() {
    let t = issuer().await;
    t.subject("subj-3").await;
    let code = t
        .admin("POST", "/admin/subjects/subj-3/sign-in-codes", json!({}))
        .await
        .json();
    let w = t.wallet();
    let token = w
        .authorization_code_flow(
            "wallet-app",
            "https://wallet.example/cb",
            "right_to_work_sd_jwt",
            "subj-3",
            code["sign_in_code"].as_str().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(token.token_type, "DPoP");
    let details = token.authorization_details.clone().unwrap();
    assert_eq!(
        details[0]["credential_identifiers"],
        json!(["right_to_work_sd_jwt"])
    );
    let k = holder();
    let creds = w
        .issue(&token, "right_to_work_sd_jwt", &[&k])
        .await
        .unwrap();
    let claims = verify_sd_jwt(&t, &creds[0], &k).await;
    assert_eq!(claims["family_name"], "Lovelace");
    // the sign-in code and the authorization were single use
    assert_eq!(t.count("auth_codes").await, 0);
    assert_eq!(t.count("par_requests").await, 0);
}

#[tokio::test]
async fn encrypted_request_gets_an_encrypted_response() {
    let t = issuer().await;
    t.subject("subj-4").await;
    let offer = t.offer("subj-4", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let meta = w.metadata().await.unwrap();
    let mut enc_jwk = meta["credential_request_encryption"]["jwks"]["keys"][0].clone();
    assert_eq!(enc_jwk["alg"], "ECDH-ES");
    for k in ["alg", "use", "kid"] {
        enc_jwk.as_object_mut().unwrap().remove(k);
    }
    let issuer_enc = credentials::keys::Jwk::from_value(&enc_jwk).unwrap();
    let wallet_enc = provider::default().generate(KeyKind::P256).unwrap();
    let mut wallet_jwk = wallet_enc.public_key().to_jwk().to_value();
    wallet_jwk["alg"] = "ECDH-ES".into();
    wallet_jwk["kid"] = "w-enc-1".into();
    let k = holder();
    let nonce = w.nonce().await.unwrap();
    let request = json!({
        "credential_configuration_id": "pid_sd_jwt",
        "proofs": {"jwt": [issuer::wallet::key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())]},
        "credential_response_encryption": {"jwk": wallet_jwk, "enc": "A256GCM"},
    });
    let mut extra = serde_json::Map::new();
    extra.insert(
        "kid".into(),
        meta["credential_request_encryption"]["jwks"]["keys"][0]["kid"].clone(),
    );
    let body = jwe::encrypt(
        request.to_string().as_bytes(),
        issuer_enc.public_key(),
        Enc::A128Gcm,
        &extra,
    )
    .unwrap();
    let r = w
        .credential_raw(&token, body.into_bytes(), "application/jwt")
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/jwt"));
    let (header, plain) = jwe::decrypt(
        std::str::from_utf8(&r.body).unwrap(),
        &wallet_enc,
        &[Enc::A256Gcm],
    )
    .unwrap();
    assert_eq!(header.kid(), Some("w-enc-1"));
    let v: Value = serde_json::from_slice(&plain).unwrap();
    let cred = v["credentials"][0]["credential"].as_str().unwrap();
    verify_sd_jwt(&t, cred, &k).await;
}

#[tokio::test]
async fn notifications_are_accepted_for_the_tokens_own_ids_only() {
    let t = issuer().await;
    t.subject("subj-5").await;
    let offer = t.offer("subj-5", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let nonce = w.nonce().await.unwrap();
    let k = holder();
    let v = w
        .credential(
            &token,
            &json!({"credential_configuration_id": "pid_sd_jwt",
                     "proofs": {"jwt": [issuer::wallet::key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())]}}),
        )
        .await
        .unwrap();
    let id = v["notification_id"].as_str().unwrap();
    let send = |body: Value| {
        let url = format!("{ISSUER}/notification");
        let proof = w
            .dpop_proof("POST", &url, Some(&token.access_token))
            .unwrap();
        let tr = w.transport.clone();
        let at = token.access_token.clone();
        async move {
            tr.send(
                "POST",
                &url,
                &[
                    ("authorization", format!("DPoP {at}")),
                    ("dpop", proof),
                    ("content-type", "application/json".into()),
                ],
                body.to_string().into_bytes(),
            )
            .await
        }
    };
    assert_eq!(
        send(json!({"notification_id": id, "event": "credential_accepted"}))
            .await
            .status,
        204
    );
    // idempotent
    assert_eq!(
        send(json!({"notification_id": id, "event": "credential_accepted"}))
            .await
            .status,
        204
    );
    let r = send(json!({"notification_id": "nope", "event": "credential_accepted"})).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_notification_id"))
    );
    let r = send(json!({"notification_id": id, "event": "credential_lost"})).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_notification_request"))
    );
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_published() {
    let t = issuer().await;
    t.subject("subj-6").await;
    let old = t.issuer.keys.active().kid.clone();
    let r = t.admin("POST", "/admin/keys/rotate", json!({})).await;
    assert_eq!(r.status, 200);
    let new = r.json()["kid"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    let meta = t
        .wallet()
        .get_json("https://issuer.test/.well-known/jwt-vc-issuer/tenant")
        .await
        .unwrap();
    let kids: Vec<&str> = meta["jwks"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(
        kids.contains(&old.as_str()) && kids.contains(&new.as_str()),
        "{kids:?}"
    );
    let offer = t.offer("subj-6", &["pid_sd_jwt", "mdl_mdoc"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let k = holder();
    let c = w.issue(&token, "pid_sd_jwt", &[&k]).await.unwrap();
    assert_eq!(
        SdJwt::parse(&c[0]).unwrap().jws().header().kid(),
        Some(new.as_str())
    );
    verify_sd_jwt(&t, &c[0], &k).await;
    // the new key's DS certificate chains to the same IACA
    let m = w.issue(&token, "mdl_mdoc", &[&k]).await.unwrap();
    mdoc_verifies(&t, &m[0], &k);
    // a restarted process finds the same active key
    let again =
        issuer::keys::KeyRing::open(t.dir.path(), "Vouch Test IDSP", "GB", ISSUER, None).unwrap();
    assert_eq!(again.active().kid, new);
}

#[tokio::test]
async fn offers_are_served_once_and_qr_is_svg() {
    let t = issuer().await;
    t.subject("subj-7").await;
    let offer = t.offer("subj-7", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let qr = w
        .transport
        .send("GET", offer["qr_svg_url"].as_str().unwrap(), &[], vec![])
        .await;
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(String::from_utf8_lossy(&qr.body).contains("<svg"));
    w.token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    // once redeemed, the offer URI no longer hands out the code
    let r = w
        .transport
        .send(
            "GET",
            offer["credential_offer_uri"].as_str().unwrap(),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 404);
    let _ = Transport::Router(t.router.clone());
}

/// Home Office guidance for identity service providers: a right-to-work check needs at least
/// a medium level of confidence (GPG 45). A subject checked only to a low profile (`L1A`)
/// gets no right-to-work credential (`credential_request_denied`, nothing recorded), while a
/// PID for the same subject is still issued; a medium (`M1B`) and a high (`H2A`) profile
/// each get one, stating the level their profile reaches.
#[tokio::test]
async fn a_right_to_work_credential_needs_a_medium_or_high_gpg45_profile() {
    let t = issuer().await;
    let set = |id: &'static str, profile: &'static str| {
        let t = &t;
        async move {
            let r = t
                .admin(
                    "PUT",
                    &format!("/admin/subjects/{id}"),
                    json!({"attributes": support::attributes(), "gpg45_profile": profile}),
                )
                .await;
            assert_eq!(r.status, 201, "{:?}", r.json());
        }
    };
    let request = |id: &'static str, config: &'static str| {
        let t = &t;
        async move {
            let offer = t.offer(id, &[config], false).await;
            let w = t.wallet();
            let token = w
                .token_pre_authorized(&pre_code(&offer), None)
                .await
                .unwrap();
            let k = holder();
            w.issue(&token, config, &[&k]).await.map(|c| (c, k))
        }
    };
    set("low-1", "L1A").await;
    let before = t.count("credentials").await;
    let e = request("low-1", "right_to_work_sd_jwt").await.unwrap_err();
    assert!(e.to_string().contains("credential_request_denied"), "{e}");
    assert!(e.to_string().contains("medium"), "{e}");
    assert_eq!(t.count("credentials").await, before);
    assert!(request("low-1", "pid_sd_jwt").await.is_ok());
    for (id, profile, level) in [("med-1", "M1B", "medium"), ("high-1", "H2A", "high")] {
        set(id, profile).await;
        let (creds, k) = request(id, "right_to_work_sd_jwt").await.unwrap();
        let claims = verify_sd_jwt(&t, &creds[0], &k).await;
        assert_eq!(claims["family_name"], "Lovelace");
        // The level and profile travel as Disclosures of the issued credential.
        let sd = SdJwt::parse(&creds[0]).unwrap();
        let disclosed = |name: &str| {
            sd.disclosures()
                .iter()
                .find(|d| d.name() == Some(name))
                .map(|d| d.value().clone())
        };
        assert_eq!(disclosed("confidence"), Some(json!(level)));
        assert_eq!(disclosed("gpg45_profile"), Some(json!(profile)));
    }
}

/// Version 2 of the right-to-work credential (`urn:vouch:uk:right-to-work:2`) states the
/// GPG 45 assurance in OpenID Connect for Identity Assurance form (`verified_claims`: trust
/// framework `uk_tfida`, the level, policy `gpg45` and the profile as its procedure, the
/// passport as document evidence). Issued from the demo subject, the processed payload
/// validates against `specs/credential-types/right-to-work-v2.schema.json` with formats
/// checked, and each nested claim is its own Disclosure. As for version 1, a low profile
/// gets none (`credential_request_denied`, nothing recorded); a very high profile has no
/// version 2 level to state, so it is refused too; version 1 is still issued beside it.
#[tokio::test]
async fn a_right_to_work_v2_credential_carries_verified_claims_that_match_its_schema() {
    let t = issuer().await;
    let schema: Value = serde_json::from_str(include_str!(
        "../../specs/credential-types/right-to-work-v2.schema.json"
    ))
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let set = |id: &'static str, profile: &'static str| {
        let t = &t;
        async move {
            let r = t
                .admin(
                    "PUT",
                    &format!("/admin/subjects/{id}"),
                    json!({"attributes": support::attributes(), "gpg45_profile": profile}),
                )
                .await;
            assert_eq!(r.status, 201, "{:?}", r.json());
        }
    };
    let request = |id: &'static str, config: &'static str| {
        let t = &t;
        async move {
            let offer = t.offer(id, &[config], false).await;
            let w = t.wallet();
            let token = w
                .token_pre_authorized(&pre_code(&offer), None)
                .await
                .unwrap();
            let k = holder();
            w.issue(&token, config, &[&k]).await.map(|c| (c, k))
        }
    };
    let config = "right_to_work_v2_sd_jwt";
    let m = t.wallet().metadata().await.unwrap();
    let c = &m["credential_configurations_supported"][config];
    assert_eq!(c["vct"], "urn:vouch:uk:right-to-work:2");
    let labelled = c["credential_metadata"]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["path"]
                == json!([
                    "verified_claims",
                    "verification",
                    "assurance_process",
                    "procedure"
                ])
        })
        .and_then(|c| c["display"][0]["name"].as_str())
        .map(str::to_string);
    assert_eq!(labelled.as_deref(), Some("GPG 45 profile"));

    for (id, profile, level) in [("v2-med", "M1B", "medium"), ("v2-high", "H2A", "high")] {
        set(id, profile).await;
        let (creds, k) = request(id, config).await.unwrap();
        let claims =
            verify_sd_jwt_showing(&t, &creds[0], &k, &["/verified_claims", "/portrait"]).await;
        let doc = Value::Object(claims);
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{profile}: {errors:?}\n{doc:#}");
        // The validator is strict where it matters (formats on: no 30 February).
        let mut bad = doc.clone();
        bad["verified_claims"]["claims"]["birthdate"] = json!("1990-02-30");
        assert!(!validator.is_valid(&bad));
        let mut bad = doc.clone();
        bad["verified_claims"]["verification"]["assurance_level"] = json!("low");
        assert!(!validator.is_valid(&bad));
        assert_eq!(doc["vct"], "urn:vouch:uk:right-to-work:2");
        let v = &doc["verified_claims"]["verification"];
        assert_eq!(v["trust_framework"], "uk_tfida");
        assert_eq!(v["assurance_level"], level);
        assert_eq!(
            v["assurance_process"],
            json!({"policy": "gpg45", "procedure": profile})
        );
        let evidence = &v["evidence"][0];
        assert_eq!(evidence["type"], "document");
        assert_eq!(
            evidence["document_details"],
            json!({"type": "passport", "document_number": "123456789",
                   "issuer": {"country_code": "GBR"}, "date_of_expiry": "2033-03-14"})
        );
        let methods: Vec<&str> = evidence["check_details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c["organization"], "Vouch Test IDSP");
                assert_eq!(c["time"], v["time"]);
                c["check_method"].as_str().unwrap()
            })
            .collect();
        assert_eq!(methods, ["vcrypt", "bvr"]);
        assert_eq!(
            doc["verified_claims"]["claims"],
            json!({"given_name": "Ada", "family_name": "Lovelace",
                   "birthdate": "1990-12-10", "nationalities": ["GBR"]})
        );
        assert!(doc["portrait"]
            .as_str()
            .unwrap()
            .starts_with("data:image/jpeg;base64,/9j/"));
        // The level travels as its own Disclosure, inside the verification's.
        let sd = SdJwt::parse(&creds[0]).unwrap();
        let disclosed = |name: &str| {
            sd.disclosures()
                .iter()
                .find(|d| d.name() == Some(name))
                .map(|d| d.value().clone())
        };
        assert_eq!(disclosed("assurance_level"), Some(json!(level)));
        assert_eq!(disclosed("procedure"), Some(json!(profile)));
        assert_eq!(disclosed("confidence"), None, "no version 1 claim");
    }

    for (id, profile, says) in [
        ("v2-low", "L1A", "needs at least medium"),
        ("v2-vhigh", "V1A", "version 2"),
    ] {
        set(id, profile).await;
        let before = t.count("credentials").await;
        let e = request(id, config).await.unwrap_err();
        assert!(e.to_string().contains("credential_request_denied"), "{e}");
        assert!(e.to_string().contains(says), "{profile}: {e}");
        assert_eq!(t.count("credentials").await, before, "{profile}");
    }
    // Version 1 stays issuable beside version 2.
    let (creds, k) = request("v2-med", "right_to_work_sd_jwt").await.unwrap();
    let claims = verify_sd_jwt(&t, &creds[0], &k).await;
    assert_eq!(claims["vct"], "urn:vouch:uk:right-to-work:1");
}
