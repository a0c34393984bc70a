//! Key attestations (OpenID4VCI 1.0 Appendix D): the `attestation` proof type (F.3) and the
//! `key_attestation` header of a `jwt` proof (F.1). A trusted wallet provider's attestation
//! gets one credential per attested key, bound to that key; every other attestation is
//! refused with the error the specification names and nothing written.

mod support;

use credentials::b64;
use credentials::keys::{Jwk, Signer};
use issuer::proofs::attestation::KeyAttestationPolicy;
use issuer::wallet::{
    attested_key_proof, key_attestation, key_proof, AttestationClaims, Token, Wallet,
    WalletProvider,
};
use serde_json::{json, Value};
use support::*;

const MODERATE: &[&str] = &["iso_18045_moderate"];

fn claims(nonce: Option<&str>) -> AttestationClaims<'_> {
    let now = issuer::util::now();
    AttestationClaims {
        iat: now,
        exp: Some(now + 600),
        nonce,
        key_storage: MODERATE,
        user_authentication: MODERATE,
    }
}

async fn trusting(
    provider: &WalletProvider,
    f: impl FnOnce(&mut KeyAttestationPolicy),
) -> TestIssuer {
    let mut c = config();
    c.key_attestations = KeyAttestationPolicy::trusting(vec![provider.root().clone()]);
    f(&mut c.key_attestations);
    issuer_with(c).await
}

fn attestation_request(config: &str, attestations: Vec<String>) -> Value {
    json!({"credential_configuration_id": config, "proofs": {"attestation": attestations}})
}

fn jwt_request(config: &str, proofs: Vec<String>) -> Value {
    json!({"credential_configuration_id": config, "proofs": {"jwt": proofs}})
}

/// The thumbprint of the key an SD-JWT VC is bound to (`cnf.jwk`).
fn bound_key(sd_jwt: &str) -> String {
    let jwt = sd_jwt.split('~').next().unwrap();
    let payload: Value =
        serde_json::from_slice(&b64::decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap();
    Jwk::from_value(&payload["cnf"]["jwk"])
        .unwrap()
        .thumbprint()
}

fn thumbprints(keys: &[&dyn Signer]) -> Vec<String> {
    let mut v: Vec<String> = keys
        .iter()
        .map(|k| credentials::keys::jwk::thumbprint(k.public_key()))
        .collect();
    v.sort();
    v
}

/// Asserts `body` is refused as `invalid_proof` for the reason of `what`, writing nothing.
async fn refused_as(t: &TestIssuer, w: &Wallet, token: &Token, what: &str, body: Value) {
    let before = t.snapshot().await;
    let err = w.credential(token, &body).await.unwrap_err();
    assert!(
        err.body.to_string().contains(reason(what)),
        "{what}: expected {:?} in {}",
        reason(what),
        err.body
    );
    assert_eq!(
        (err.status, err.code()),
        (400, "invalid_proof"),
        "{what}: {}",
        err.body
    );
    assert_eq!(
        t.snapshot().await,
        before,
        "{what}: a refused request wrote something"
    );
}

/// The words each refusal's error_description must contain: the check that failed.
fn reason(case: &str) -> &'static str {
    match case {
        "a provider the issuer does not trust" => "(untrusted_root)",
        "a signature by a key other than the certificate's"
        | "attested keys changed after signing" => "the key attestation's signature",
        "an expired attestation" => "has expired",
        "a stale attestation without exp" => "iat is too old",
        "key storage below the requirement" | "no key storage stated while one is required" => {
            "key storage does not meet"
        }
        "one key attested twice" => "listed twice",
        "a self-signed attestation" => "signed by a key it carries itself",
        "not a JWT at all" => "not a JWS",
        "a JWT of another type" => "typ must be key-attestation+jwt",
        "signed by a key the attestation does not list" => "signature",
        "kid naming no attested key" => "kid names no attested key",
        "the attestation made for another c_nonce" => "nonce is not the proof's c_nonce",
        "an attestation without exp" => "must carry exp",
        "another audience" => "aud is not this credential issuer",
        other => panic!("no reason listed for {other}"),
    }
}

#[tokio::test]
async fn metadata_offers_the_attestation_proof_type_only_when_trusting_a_provider() {
    let provider = WalletProvider::generate("Metadata Wallet Provider");
    let t = trusting(&provider, |p| {
        p.key_storage = vec!["iso_18045_high".into(), "iso_18045_moderate".into()];
    })
    .await;
    let m = t.wallet().metadata().await.unwrap();
    let proofs = &m["credential_configurations_supported"]["pid_sd_jwt"]["proof_types_supported"];
    assert_eq!(
        proofs["attestation"]["key_attestations_required"]["key_storage"],
        json!(["iso_18045_high", "iso_18045_moderate"])
    );
    assert!(proofs["jwt"].get("key_attestations_required").is_none());
    let plain = issuer().await;
    let m = plain.wallet().metadata().await.unwrap();
    let proofs = &m["credential_configurations_supported"]["pid_sd_jwt"]["proof_types_supported"];
    assert!(proofs.get("attestation").is_none(), "{proofs}");
}

#[tokio::test]
async fn one_attestation_gets_a_credential_bound_to_each_attested_key() {
    let provider = WalletProvider::generate("Batch Wallet Provider");
    let t = trusting(&provider, |_| {}).await;
    let (w, token) = ready(&t, "ka1", &["pid_sd_jwt", "mdl_mdoc"]).await;
    let hs = holders(4);
    let keys = dyns(&hs);

    let nonce = w.nonce().await.unwrap();
    let a = provider.attest(&keys, &claims(Some(&nonce)));
    let v = w
        .credential(&token, &attestation_request("pid_sd_jwt", vec![a]))
        .await
        .unwrap();
    let issued = v["credentials"].as_array().unwrap();
    let mut bound: Vec<String> = issued
        .iter()
        .map(|c| bound_key(c["credential"].as_str().unwrap()))
        .collect();
    bound.sort();
    assert_eq!(bound, thumbprints(&keys), "one credential per attested key");

    let nonce = w.nonce().await.unwrap();
    let a = provider.attest(&keys[..2], &claims(Some(&nonce)));
    let v = w
        .credential(&token, &attestation_request("mdl_mdoc", vec![a]))
        .await
        .unwrap();
    assert_eq!(v["credentials"].as_array().unwrap().len(), 2);
    assert_eq!(t.count("credentials").await, 6);
}

#[tokio::test]
async fn a_jwt_proof_carrying_an_attestation_binds_every_attested_key() {
    let provider = WalletProvider::generate("Header Wallet Provider");
    let t = trusting(&provider, |_| {}).await;
    let (w, token) = ready(&t, "ka2", &["pid_sd_jwt"]).await;
    let hs = holders(3);
    let keys = dyns(&hs);
    let nonce = w.nonce().await.unwrap();
    let a = provider.attest(&keys, &claims(Some(&nonce)));
    let proof = attested_key_proof(&hs[1], 1, &a, ISSUER, Some(&nonce), issuer::util::now());
    let v = w
        .credential(&token, &jwt_request("pid_sd_jwt", vec![proof]))
        .await
        .unwrap();
    let mut bound: Vec<String> = v["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| bound_key(c["credential"].as_str().unwrap()))
        .collect();
    bound.sort();
    assert_eq!(bound, thumbprints(&keys));
}

#[tokio::test]
async fn untrusted_forged_stale_or_weak_attestations_are_invalid_proof() {
    let provider = WalletProvider::generate("Trusted Wallet Provider");
    let stranger = WalletProvider::generate("Unknown Wallet Provider");
    let t = trusting(&provider, |p| {
        p.key_storage = vec!["iso_18045_moderate".into()]
    })
    .await;
    let (w, token) = ready(&t, "ka3", &["pid_sd_jwt"]).await;
    let hs = holders(2);
    let keys = dyns(&hs);
    let now = issuer::util::now();
    let nonce = w.nonce().await.unwrap();
    let n = Some(nonce.as_str());
    let mut cases: Vec<(&str, String)> = Vec::new();

    cases.push((
        "a provider the issuer does not trust",
        stranger.attest(&keys, &claims(n)),
    ));
    // The trusted provider's leaf certificate, but signed by the stranger's key.
    cases.push((
        "a signature by a key other than the certificate's",
        key_attestation(stranger.signer.as_ref(), &provider.chain, &keys, &claims(n)),
    ));
    // Attested keys swapped after signing.
    let good = provider.attest(&keys, &claims(n));
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut payload: Value = serde_json::from_slice(&b64::decode(&parts[1]).unwrap()).unwrap();
    payload["attested_keys"][0] = hs[1].public_key().to_jwk().to_value();
    payload["attested_keys"][1] = holder().public_key().to_jwk().to_value();
    parts[1] = b64::encode(payload.to_string());
    cases.push(("attested keys changed after signing", parts.join(".")));
    cases.push((
        "an expired attestation",
        provider.attest(
            &keys,
            &AttestationClaims {
                iat: now - 7200,
                exp: Some(now - 60),
                ..claims(n)
            },
        ),
    ));
    cases.push((
        "a stale attestation without exp",
        provider.attest(
            &keys,
            &AttestationClaims {
                iat: now - 3600,
                exp: None,
                ..claims(n)
            },
        ),
    ));
    cases.push((
        "key storage below the requirement",
        provider.attest(
            &keys,
            &AttestationClaims {
                key_storage: &["iso_18045_basic"],
                ..claims(n)
            },
        ),
    ));
    cases.push((
        "no key storage stated while one is required",
        provider.attest(
            &keys,
            &AttestationClaims {
                key_storage: &[],
                ..claims(n)
            },
        ),
    ));
    let k0 = &hs[0] as &dyn Signer;
    cases.push((
        "one key attested twice",
        provider.attest(&[k0, k0], &claims(n)),
    ));
    // Self-signed: the attestation names its own key (jwk) instead of a certificate chain.
    let mut h = serde_json::Map::new();
    h.insert("typ".into(), "key-attestation+jwt".into());
    h.insert(
        "jwk".into(),
        provider.signer.public_key().to_jwk().to_value(),
    );
    let body = json!({"iat": now, "exp": now + 600, "nonce": nonce,
        "attested_keys": [hs[0].public_key().to_jwk().to_value()]});
    cases.push((
        "a self-signed attestation",
        credentials::jose::sign_compact(&h, body.to_string().as_bytes(), provider.signer.as_ref())
            .unwrap(),
    ));
    cases.push(("not a JWT at all", "not.a.jwt".into()));
    // Another JWT type (a key proof's typ) carrying the same claims.
    let mut parts: Vec<String> = provider
        .attest(&keys, &claims(n))
        .split('.')
        .map(str::to_string)
        .collect();
    let mut header: Value = serde_json::from_slice(&b64::decode(&parts[0]).unwrap()).unwrap();
    header["typ"] = "openid4vci-proof+jwt".into();
    parts[0] = b64::encode(header.to_string());
    cases.push(("a JWT of another type", parts.join(".")));

    for (what, a) in cases {
        refused_as(
            &t,
            &w,
            &token,
            what,
            attestation_request("pid_sd_jwt", vec![a]),
        )
        .await;
    }

    // Two attestations in one request.
    let a = provider.attest(&keys, &claims(n));
    refused(
        &t,
        &w,
        &token,
        attestation_request("pid_sd_jwt", vec![a.clone(), a]),
        400,
        "invalid_proof",
    )
    .await;
    // More keys than the batch size (10).
    let many = holders(11);
    refused(
        &t,
        &w,
        &token,
        attestation_request(
            "pid_sd_jwt",
            vec![provider.attest(&dyns(&many), &claims(n))],
        ),
        400,
        "invalid_credential_request",
    )
    .await;
}

#[tokio::test]
async fn attestation_nonces_are_required_fresh_and_single_use() {
    let provider = WalletProvider::generate("Nonce Wallet Provider");
    let t = trusting(&provider, |_| {}).await;
    let (w, token) = ready(&t, "ka4", &["pid_sd_jwt"]).await;
    let hs = holders(2);
    let keys = dyns(&hs);
    refused(
        &t,
        &w,
        &token,
        attestation_request("pid_sd_jwt", vec![provider.attest(&keys, &claims(None))]),
        400,
        "invalid_nonce",
    )
    .await;
    refused(
        &t,
        &w,
        &token,
        attestation_request(
            "pid_sd_jwt",
            vec![provider.attest(&keys, &claims(Some("made-up")))],
        ),
        400,
        "invalid_nonce",
    )
    .await;
    let nonce = w.nonce().await.unwrap();
    let body = attestation_request(
        "pid_sd_jwt",
        vec![provider.attest(&keys, &claims(Some(&nonce)))],
    );
    w.credential(&token, &body).await.unwrap();
    refused(&t, &w, &token, body, 400, "invalid_nonce").await;
}

#[tokio::test]
async fn jwt_proofs_with_attestations_must_be_signed_by_an_attested_key_under_the_same_nonce() {
    let provider = WalletProvider::generate("Proof Wallet Provider");
    let t = trusting(&provider, |_| {}).await;
    let (w, token) = ready(&t, "ka5", &["pid_sd_jwt"]).await;
    let hs = holders(2);
    let keys = dyns(&hs);
    let now = issuer::util::now();
    let nonce = w.nonce().await.unwrap();
    let other = w.nonce().await.unwrap();
    let a = provider.attest(&keys, &claims(Some(&nonce)));
    let outsider = holder();
    let cases = [
        (
            "signed by a key the attestation does not list",
            attested_key_proof(&outsider, 0, &a, ISSUER, Some(&nonce), now),
        ),
        (
            "kid naming no attested key",
            attested_key_proof(&hs[0], 7, &a, ISSUER, Some(&nonce), now),
        ),
        (
            "the attestation made for another c_nonce",
            attested_key_proof(
                &hs[0],
                0,
                &provider.attest(&keys, &claims(Some(&other))),
                ISSUER,
                Some(&nonce),
                now,
            ),
        ),
        (
            "an attestation without exp",
            attested_key_proof(
                &hs[0],
                0,
                &provider.attest(
                    &keys,
                    &AttestationClaims {
                        exp: None,
                        ..claims(Some(&nonce))
                    },
                ),
                ISSUER,
                Some(&nonce),
                now,
            ),
        ),
        (
            "another audience",
            attested_key_proof(
                &hs[0],
                0,
                &a,
                "https://elsewhere.example",
                Some(&nonce),
                now,
            ),
        ),
    ];
    for (what, proof) in cases {
        refused_as(&t, &w, &token, what, jwt_request("pid_sd_jwt", vec![proof])).await;
    }
    // Beside a plain proof in one request.
    let plain = key_proof(&hs[1], ISSUER, Some(&nonce), now);
    let attested = attested_key_proof(&hs[0], 0, &a, ISSUER, Some(&nonce), now);
    refused(
        &t,
        &w,
        &token,
        jwt_request("pid_sd_jwt", vec![attested, plain]),
        400,
        "invalid_proof",
    )
    .await;
}

#[tokio::test]
async fn an_issuer_that_requires_attestations_refuses_plain_proofs_and_one_that_trusts_none_refuses_attestations(
) {
    let provider = WalletProvider::generate("Required Wallet Provider");
    let t = trusting(&provider, |p| p.required = true).await;
    let m = t.wallet().metadata().await.unwrap();
    assert!(
        m["credential_configurations_supported"]["pid_sd_jwt"]["proof_types_supported"]["jwt"]
            .get("key_attestations_required")
            .is_some()
    );
    let (w, token) = ready(&t, "ka6", &["pid_sd_jwt"]).await;
    let nonce = w.nonce().await.unwrap();
    let k = holder();
    refused(
        &t,
        &w,
        &token,
        jwt_request(
            "pid_sd_jwt",
            vec![key_proof(&k, ISSUER, Some(&nonce), issuer::util::now())],
        ),
        400,
        "invalid_proof",
    )
    .await;

    let plain = issuer().await;
    let (w, token) = ready(&plain, "ka7", &["pid_sd_jwt"]).await;
    let nonce = w.nonce().await.unwrap();
    let keys: Vec<&dyn Signer> = vec![&k];
    let a = provider.attest(&keys, &claims(Some(&nonce)));
    refused(
        &plain,
        &w,
        &token,
        attestation_request("pid_sd_jwt", vec![a.clone()]),
        400,
        "invalid_proof",
    )
    .await;
    refused(
        &plain,
        &w,
        &token,
        jwt_request(
            "pid_sd_jwt",
            vec![attested_key_proof(
                &k,
                0,
                &a,
                ISSUER,
                Some(&nonce),
                issuer::util::now(),
            )],
        ),
        400,
        "invalid_proof",
    )
    .await;
}
