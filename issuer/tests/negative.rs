//! Bad input: each refusal carries the error code and HTTP status the specification names,
//! and writes nothing (row counts of every table a request could touch are unchanged).

mod support;

use credentials::jose::sign_compact;
use credentials::keys::Signer;
use issuer::wallet::{dpop_proof_with, key_proof, Token, Wallet};
use serde_json::{json, Map, Value};
use support::*;

fn request(config: &str, proofs: Vec<String>) -> Value {
    json!({"credential_configuration_id": config, "proofs": {"jwt": proofs}})
}

#[tokio::test]
async fn replayed_nonce_is_invalid_nonce() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n1", &["pid_sd_jwt"]).await;
    let nonce = w.nonce().await.unwrap();
    let k = holder();
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())],
    );
    w.credential(&token, &body).await.unwrap();
    refused(&t, &w, &token, body, 400, "invalid_nonce").await;
    // an unknown nonce too
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(&k, ISSUER, Some("made-up"), issuer::util::now())],
    );
    refused(&t, &w, &token, body, 400, "invalid_nonce").await;
}

#[tokio::test]
async fn wrong_aud_missing_nonce_and_stale_iat_are_invalid_proof() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n2", &["pid_sd_jwt"]).await;
    let nonce = w.nonce().await.unwrap();
    let k = holder();
    let now = issuer::util::now();
    for proof in [
        key_proof(&k, "https://other-issuer.test", Some(&nonce), now),
        key_proof(&k, ISSUER, None, now),
        key_proof(&k, ISSUER, Some(&nonce), now - 3600),
        key_proof(&k, ISSUER, Some(&nonce), now + 3600),
    ] {
        refused(
            &t,
            &w,
            &token,
            request("pid_sd_jwt", vec![proof]),
            400,
            "invalid_proof",
        )
        .await;
    }
    // missing proofs, an unknown proof type, the same key twice
    refused(
        &t,
        &w,
        &token,
        json!({"credential_configuration_id": "pid_sd_jwt"}),
        400,
        "invalid_proof",
    )
    .await;
    refused(
        &t,
        &w,
        &token,
        json!({"credential_configuration_id": "pid_sd_jwt", "proofs": {"ldp_vp": [{}]}}),
        400,
        "invalid_proof",
    )
    .await;
    let p = key_proof(&k, ISSUER, Some(&nonce), now);
    refused(
        &t,
        &w,
        &token,
        request(
            "pid_sd_jwt",
            vec![p.clone(), key_proof(&k, ISSUER, Some(&nonce), now)],
        ),
        400,
        "invalid_proof",
    )
    .await;
}

#[tokio::test]
async fn proof_signed_by_another_key_than_its_jwk_is_invalid_proof() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n3", &["pid_sd_jwt"]).await;
    let nonce = w.nonce().await.unwrap();
    let (claimed, actual) = (holder(), holder());
    let mut h = Map::new();
    h.insert("typ".into(), "openid4vci-proof+jwt".into());
    let mut jwk = claimed.public_key().to_jwk().to_value();
    jwk.as_object_mut().unwrap().remove("kid");
    h.insert("jwk".into(), jwk);
    let claims = json!({"aud": ISSUER, "iat": issuer::util::now(), "nonce": nonce});
    let forged = sign_compact(&h, claims.to_string().as_bytes(), &actual).unwrap();
    refused(
        &t,
        &w,
        &token,
        request("pid_sd_jwt", vec![forged]),
        400,
        "invalid_proof",
    )
    .await;
    // and a proof with another typ
    h.insert("typ".into(), "JWT".into());
    let plain = sign_compact(&h, claims.to_string().as_bytes(), &claimed).unwrap();
    refused(
        &t,
        &w,
        &token,
        request("pid_sd_jwt", vec![plain]),
        400,
        "invalid_proof",
    )
    .await;
}

#[tokio::test]
async fn unknown_or_unoffered_configuration_and_oversized_batch() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n4", &["pid_sd_jwt"]).await;
    let nonce = w.nonce().await.unwrap();
    let k = holder();
    let p = key_proof(&k, ISSUER, Some(&nonce), issuer::util::now());
    refused(
        &t,
        &w,
        &token,
        request("no_such_config", vec![p.clone()]),
        400,
        "unknown_credential_configuration",
    )
    .await;
    refused(
        &t,
        &w,
        &token,
        request("mdl_mdoc", vec![p.clone()]),
        400,
        "credential_request_denied",
    )
    .await;
    refused(
        &t,
        &w,
        &token,
        json!({"credential_identifier": "pid_sd_jwt", "proofs": {"jwt": [p.clone()]}}),
        400,
        "invalid_credential_request",
    )
    .await;
    let many: Vec<String> = holders(11)
        .iter()
        .map(|k| key_proof(k, ISSUER, Some(&nonce), issuer::util::now()))
        .collect();
    refused(
        &t,
        &w,
        &token,
        request("pid_sd_jwt", many),
        400,
        "invalid_credential_request",
    )
    .await;
    // response encryption over an unencrypted request
    let mut body = request("pid_sd_jwt", vec![p]);
    body["credential_response_encryption"] = json!({"jwk": {"kty": "EC"}, "enc": "A128GCM"});
    refused(&t, &w, &token, body, 400, "invalid_encryption_parameters").await;
}

#[tokio::test]
async fn oversized_body_is_refused_with_413() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n5", &["pid_sd_jwt"]).await;
    let before = t.snapshot().await;
    let big = vec![b' '; 70 * 1024];
    let r = w
        .credential_raw(&token, big.clone(), "application/json")
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (413, Some("invalid_request"))
    );
    let r = t
        .wallet()
        .transport
        .send(
            "POST",
            &format!("{ISSUER}/token"),
            &[("content-type", "application/x-www-form-urlencoded".into())],
            big,
        )
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn reused_and_expired_pre_authorized_codes_are_invalid_grant() {
    let t = issuer().await;
    t.subject("n6").await;
    let offer = t.offer("n6", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    w.token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let before = t.snapshot().await;
    let e = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code()), (400, "invalid_grant"));
    let e = w
        .token_pre_authorized("never-issued", None)
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code()), (400, "invalid_grant"));
    assert_eq!(t.snapshot().await, before);

    let mut c = config();
    c.offer_validity = 0;
    let t = issuer_with(c).await;
    t.subject("n7").await;
    let offer = t.offer("n7", &["pid_sd_jwt"], false).await;
    let before = t.snapshot().await;
    let e = t
        .wallet()
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code()), (400, "invalid_grant"));
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn wrong_tx_code_is_invalid_grant_and_the_offer_locks_after_three() {
    let t = issuer().await;
    t.subject("n8").await;
    let offer = t.offer("n8", &["pid_sd_jwt"], true).await;
    let right = offer["tx_code"].as_str().unwrap().to_string();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let w = t.wallet();
    // no tx_code at all: invalid_request, and it does not count as an attempt
    let e = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap_err();
    assert_eq!((e.status, e.code()), (400, "invalid_request"));
    for _ in 0..3 {
        let e = w
            .token_pre_authorized(&pre_code(&offer), Some(wrong))
            .await
            .unwrap_err();
        assert_eq!((e.status, e.code()), (400, "invalid_grant"));
    }
    assert_eq!(t.count("access_tokens").await, 0);
    let e = w
        .token_pre_authorized(&pre_code(&offer), Some(&right))
        .await
        .unwrap_err();
    assert_eq!(
        (e.status, e.code()),
        (400, "invalid_grant"),
        "locked after 3 wrong codes"
    );
    assert_eq!(t.count("access_tokens").await, 0);

    // below the limit the right code still works, once
    t.subject("n9").await;
    let offer = t.offer("n9", &["pid_sd_jwt"], true).await;
    let right = offer["tx_code"].as_str().unwrap().to_string();
    w.token_pre_authorized(&pre_code(&offer), Some(wrong))
        .await
        .unwrap_err();
    w.token_pre_authorized(&pre_code(&offer), Some(&right))
        .await
        .unwrap();
}

#[tokio::test]
async fn dpop_by_another_key_replayed_or_missing_is_refused() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n10", &["pid_sd_jwt"]).await;
    assert_eq!(token.token_type, "DPoP");
    let nonce = w.nonce().await.unwrap();
    let k = holder();
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())],
    )
    .to_string();
    let url = format!("{ISSUER}/credential");
    let send = |headers: Vec<(&'static str, String)>| {
        let w = t.wallet();
        let body = body.clone();
        let url = url.clone();
        async move {
            let mut h = vec![("content-type", "application/json".to_string())];
            h.extend(headers);
            w.transport.send("POST", &url, &h, body.into_bytes()).await
        }
    };
    let before = t.snapshot().await;
    let other = holder();
    let auth = ("authorization", format!("DPoP {}", token.access_token));
    // signed by another key than the token is bound to
    let r = send(vec![
        auth.clone(),
        (
            "dpop",
            dpop_proof_with(
                &other,
                "POST",
                &url,
                Some(&token.access_token),
                issuer::util::now(),
            ),
        ),
    ])
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
    assert!(r.header("www-authenticate").unwrap().starts_with("DPoP "));
    // a DPoP-bound token presented as a Bearer token
    let r = send(vec![(
        "authorization",
        format!("Bearer {}", token.access_token),
    )])
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_token"))
    );
    // no proof; wrong htu; wrong ath
    let r = send(vec![auth.clone()]).await;
    assert_eq!(r.status, 401);
    assert_eq!(t.snapshot().await, before);
    // another wallet (another DPoP key) holding the same token
    let r = t
        .wallet()
        .credential_raw(&token, body.clone().into_bytes(), "application/json")
        .await;
    assert_eq!(r.status, 401, "the fresh wallet has another DPoP key");
    let unknown = Token {
        access_token: "nope".into(),
        token_type: "Bearer".into(),
        authorization_details: None,
    };
    let e = w.credential(&unknown, &json!({})).await.unwrap_err();
    assert_eq!((e.status, e.code()), (401, "invalid_token"));
}

#[tokio::test]
async fn replayed_dpop_proof_is_refused_and_writes_nothing() {
    let t = issuer().await;
    t.subject("n11").await;
    let offer = t.offer("n11", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let url = format!("{ISSUER}/credential");
    let proof = w
        .dpop_proof("POST", &url, Some(&token.access_token))
        .unwrap();
    let mk = |nonce: &str| {
        request(
            "pid_sd_jwt",
            vec![key_proof(
                &holder(),
                ISSUER,
                Some(nonce),
                issuer::util::now(),
            )],
        )
        .to_string()
    };
    let headers = |p: &str| {
        vec![
            ("content-type", "application/json".to_string()),
            ("authorization", format!("DPoP {}", token.access_token)),
            ("dpop", p.to_string()),
        ]
    };
    let n1 = w.nonce().await.unwrap();
    let r = w
        .transport
        .send("POST", &url, &headers(&proof), mk(&n1).into_bytes())
        .await;
    assert_eq!(r.status, 200);
    let n2 = w.nonce().await.unwrap();
    let before = t.snapshot().await;
    let r = w
        .transport
        .send("POST", &url, &headers(&proof), mk(&n2).into_bytes())
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("invalid_dpop_proof"))
    );
    assert_eq!(
        t.snapshot().await,
        before,
        "the nonce was not consumed by the refused request"
    );
}

#[tokio::test]
async fn pkce_mismatch_and_bad_sign_in_are_refused() {
    let t = issuer().await;
    t.subject("n12").await;
    let w = t.wallet();
    // a wrong sign-in code: no authorization code is written
    let e = w
        .authorization_code_flow(
            "wallet-app",
            "https://wallet.example/cb",
            "pid_sd_jwt",
            "n12",
            "00000000",
        )
        .await
        .unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(t.count("auth_codes").await, 0);
    let pars = t.count("par_requests").await;
    // PAR without PKCE, or with plain
    let par = |extra: &[(&str, &str)]| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("response_type", "code");
        s.append_pair("client_id", "wallet-app");
        s.append_pair("redirect_uri", "https://wallet.example/cb");
        s.append_pair("scope", "pid_sd_jwt");
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        s.finish().into_bytes()
    };
    let ct = vec![(
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    let r = w
        .transport
        .send("POST", &format!("{ISSUER}/par"), &ct, par(&[]))
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let r = w
        .transport
        .send(
            "POST",
            &format!("{ISSUER}/par"),
            &ct,
            par(&[
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain"),
            ]),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(t.count("par_requests").await, pars);
    // authorize without PAR
    let r = w
        .transport
        .send(
            "GET",
            &format!("{ISSUER}/authorize?client_id=x&response_type=code"),
            &[],
            vec![],
        )
        .await;
    assert_eq!(r.status, 400);
    // token with a code that was never issued
    let r = w
        .transport
        .send(
            "POST",
            &format!("{ISSUER}/token"),
            &ct,
            b"grant_type=authorization_code&code=x&code_verifier=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb&client_id=wallet-app".to_vec(),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let r = w
        .transport
        .send(
            "POST",
            &format!("{ISSUER}/token"),
            &ct,
            b"grant_type=password".to_vec(),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn admin_api_needs_the_token() {
    let t = issuer().await;
    let w = t.wallet();
    for auth in [None, Some("Bearer wrong"), Some("Basic x")] {
        let mut h = vec![("content-type", "application/json".to_string())];
        if let Some(a) = auth {
            h.push(("authorization", a.to_string()));
        }
        let r = w
            .transport
            .send(
                "PUT",
                &format!("{ISSUER}/admin/subjects/x"),
                &h,
                br#"{"attributes":{}}"#.to_vec(),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    assert_eq!(t.count("subjects").await, 0);
    let r = t
        .admin("PUT", "/admin/subjects/bad%20id", json!({"attributes": {}}))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn nonce_endpoint_writes_nothing() {
    let t = issuer().await;
    let w = t.wallet();
    let before = t.snapshot().await;
    let (a, b) = (w.nonce().await.unwrap(), w.nonce().await.unwrap());
    assert_ne!(a, b);
    assert_eq!(
        t.snapshot().await,
        before,
        "a c_nonce is minted, not stored"
    );
}

#[tokio::test]
async fn forged_or_foreign_nonce_is_invalid_nonce() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n13", &["pid_sd_jwt"]).await;
    let k = holder();
    let genuine = w.nonce().await.unwrap();
    // the tag's last byte changed
    let mut bytes = credentials::b64::decode(&genuine).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    let forged = credentials::b64::encode(&bytes);
    // a later expiry under the genuine tag
    let mut bytes = credentials::b64::decode(&genuine).unwrap();
    bytes[0] ^= 0x01;
    let extended = credentials::b64::encode(&bytes);
    // well formed, but under another key (another issuer, or a guessed key)
    let foreign =
        issuer::proofs::nonce::NonceKey::from_bytes([7; 32]).mint(issuer::util::now() + 60);
    for n in [forged, extended, foreign] {
        let body = request(
            "pid_sd_jwt",
            vec![key_proof(&k, ISSUER, Some(&n), issuer::util::now())],
        );
        refused(&t, &w, &token, body, 400, "invalid_nonce").await;
    }
    // the genuine one still works: refusals consumed nothing
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(&k, ISSUER, Some(&genuine), issuer::util::now())],
    );
    w.credential(&token, &body).await.unwrap();
}

#[tokio::test]
async fn expired_nonce_is_invalid_nonce() {
    let t = issuer().await;
    let (w, token) = ready(&t, "n14", &["pid_sd_jwt"]).await;
    let expired = t.issuer.store.nonce_key().mint(issuer::util::now() - 1);
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(
            &holder(),
            ISSUER,
            Some(&expired),
            issuer::util::now(),
        )],
    );
    refused(&t, &w, &token, body, 400, "invalid_nonce").await;
}

#[tokio::test]
async fn nonce_from_one_instance_is_accepted_once_by_either() {
    // Two issuer instances over one SQLite file (two stores, as two processes would have).
    let t = issuer().await;
    let url = format!("sqlite://{}", t.dir.path().join("issuer.db").display());
    let second = issuer::open(config(), &url, t.dir.path(), None)
        .await
        .unwrap();
    let second_router = issuer::router(second.clone());
    let (w, token) = ready(&t, "n15", &["pid_sd_jwt"]).await;
    let w2 = Wallet {
        transport: issuer::wallet::Transport::Router(second_router),
        issuer_url: w.issuer_url.clone(),
        dpop_key: w.dpop_key.clone(),
    };
    let k = holder();
    // minted by the first, redeemed at the second: the MAC key is shared through the database
    let nonce = w.nonce().await.unwrap();
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())],
    );
    w2.credential(&token, &body).await.unwrap();
    // replayed at either instance
    refused(&t, &w, &token, body.clone(), 400, "invalid_nonce").await;
    refused(&t, &w2, &token, body, 400, "invalid_nonce").await;
    // and the other way round
    let nonce = w2.nonce().await.unwrap();
    let body = request(
        "pid_sd_jwt",
        vec![key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())],
    );
    w.credential(&token, &body).await.unwrap();
    refused(&t, &w2, &token, body, 400, "invalid_nonce").await;
    assert_eq!(t.count("used_nonces").await, 2);
    assert_eq!(t.count("credentials").await, 2);
}
