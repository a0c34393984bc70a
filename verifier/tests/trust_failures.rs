//! Each trust failure, verified through the OpenID4VP endpoint and shown on the employer's
//! page with its reason: unknown issuer, provider removed, certificate suspended,
//! right-to-work note missing, credential revoked, expired, status unknown while offline;
//! and the right-to-work rules (British or Irish, valid passport).

mod common;

use std::sync::Arc;

use common::{
    client, now, running, start_check, verifier_for, wallet, MemFetcher, Scheme, Story, STATUS_URI,
};
use serde_json::Value;
use time::Duration;
use verifier::oid4vp::SystemClock;
use verifier::policy::Policy;
use verifier::status::{NoNetwork, StatusFetcher};

struct Seen {
    page: String,
    outcome: Value,
}

async fn check(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    cred: credentials::sd_jwt::SdJwt,
) -> Seen {
    let r = running(scheme, fetcher).await;
    run(&r, scheme, cred).await
}

async fn run(r: &common::Running, scheme: &Scheme, cred: credentials::sd_jwt::SdJwt) -> Seen {
    let id = start_check(r, "direct_post").await;
    wallet::share(r, &id, scheme, &cred).await;
    let page = client()
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let api: Value = client()
        .get(format!("{}/api/transactions/{id}", r.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Seen {
        page,
        outcome: api["outcome"].clone(),
    }
}

fn assert_failed(seen: &Seen, check: &str, code: &str, words: &str) {
    let report = &seen.outcome["report"];
    assert_eq!(report["valid"], false, "{report:#}");
    assert_eq!(report["error"]["code"], code, "{report:#}");
    let last = report["checks"].as_array().unwrap().last().unwrap();
    assert_eq!(last["name"], check, "{report:#}");
    assert_eq!(last["ok"], false);
    assert!(report["claims"].is_null(), "no claims from a failed report");
    assert!(seen.outcome["person"].is_null(), "no personal data shown");
    assert!(
        seen.page.contains("data-outcome=\"failed\""),
        "{}",
        seen.page
    );
    assert!(
        seen.page.contains(words),
        "the page says {words:?}: {}",
        seen.page
    );
    assert!(!seen.page.contains("Ada"), "a failed check shows no name");
}

fn valid_token(s: &Scheme) -> Arc<dyn StatusFetcher> {
    MemFetcher::serving(STATUS_URI, s.status_token(0))
}

fn good_cred(s: &Scheme) -> credentials::sd_jwt::SdJwt {
    s.issue(None, |_| {}, now() + Duration::days(300))
}

#[tokio::test]
async fn a_passing_check_lists_every_check_in_the_architecture_order() {
    let s = Scheme::new(Story::Good);
    let seen = check(&s, valid_token(&s), good_cred(&s)).await;
    let names: Vec<&str> = seen.outcome["report"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "parse",
            "typ",
            "issuer_signature",
            "issuer_key",
            "trust_register",
            "digests",
            "vc_claims",
            "holder_binding",
            "validity",
            "status",
            "request"
        ]
    );
    assert_eq!(seen.outcome["passed"], true);
    assert!(
        seen.outcome["report"]["freshness"]["snapshot_age_seconds"]
            .as_i64()
            .unwrap()
            >= 3600
    );
}

#[tokio::test]
async fn unknown_issuer_is_refused_by_the_register() {
    let s = Scheme::new(Story::Good);
    let stranger = common::signer();
    let cred = s.issue(Some(&stranger), |_| {}, now() + Duration::days(300));
    let seen = check(&s, valid_token(&s), cred).await;
    // The iss is registered but this key is not: the signature fails against the registered key.
    let report = &seen.outcome["report"];
    assert_eq!(report["valid"], false);
    assert_eq!(
        report["checks"].as_array().unwrap().last().unwrap()["name"],
        "issuer_signature"
    );
    assert!(seen.page.contains("data-outcome=\"failed\""));
}

#[tokio::test]
async fn unknown_issuer_identifier_is_refused_as_not_on_the_register() {
    let s = Scheme::new(Story::Good);
    // A credential whose iss no registered service uses.
    let other = common::signer();
    let claims = |_: &mut serde_json::Map<String, Value>| {};
    let c = {
        use credentials::sd_jwt_vc::{type_metadata, SdJwtVcIssuer, VcEnvelope};
        let mut m: serde_json::Map<String, Value> = serde_json::from_str(include_str!(
            "../../specs/examples/right-to-work.claims.json"
        ))
        .unwrap();
        claims(&mut m);
        let env = VcEnvelope {
            iss: "https://unknown-idp.example".into(),
            vct: common::RTW_VCT.into(),
            iat: now().unix_timestamp() - 100,
            nbf: None,
            exp: Some(now().unix_timestamp() + 86_400),
            holder: Some(credentials::keys::Signer::public_key(&s.holder).clone()),
            status: None,
        };
        SdJwtVcIssuer::new(&other)
            .issue(
                &env,
                &m,
                &type_metadata::default_frame(common::RTW_VCT, &m).unwrap(),
                false,
            )
            .unwrap()
    };
    let seen = check(&s, valid_token(&s), c).await;
    assert_failed(
        &seen,
        "trust_register",
        "unknown_anchor",
        "not issued by a service on the register",
    );
}

#[tokio::test]
async fn provider_removed_from_the_register_is_refused() {
    let s = Scheme::new(Story::Removed);
    let seen = check(&s, valid_token(&s), good_cred(&s)).await;
    assert_failed(
        &seen,
        "trust_register",
        "entry_removed",
        "removed from the register",
    );
}

#[tokio::test]
async fn suspended_certificate_is_refused() {
    let s = Scheme::new(Story::Suspended);
    let seen = check(&s, valid_token(&s), good_cred(&s)).await;
    assert_failed(
        &seen,
        "trust_register",
        "certificate_suspended",
        "certificate is suspended",
    );
    assert!(
        seen.page.contains("IDP-1"),
        "the page names the certificate"
    );
}

#[tokio::test]
async fn provider_without_the_right_to_work_note_is_refused() {
    let s = Scheme::new(Story::NoNote);
    let seen = check(&s, valid_token(&s), good_cred(&s)).await;
    assert_failed(
        &seen,
        "trust_register",
        "note_missing",
        "not certified for right-to-work checks",
    );
}

#[tokio::test]
async fn revoked_credential_is_refused() {
    let s = Scheme::new(Story::Good);
    let seen = check(
        &s,
        MemFetcher::serving(STATUS_URI, s.status_token(1)),
        good_cred(&s),
    )
    .await;
    assert_failed(&seen, "status", "revoked", "has revoked this credential");
}

#[tokio::test]
async fn expired_credential_is_refused() {
    let s = Scheme::new(Story::Good);
    let cred = s.issue(None, |_| {}, now() - Duration::days(1));
    let seen = check(&s, valid_token(&s), cred).await;
    assert_failed(&seen, "validity", "expired", "The credential has expired");
}

#[tokio::test]
async fn offline_without_a_fresh_enough_status_list_is_status_unknown_never_revoked() {
    let s = Scheme::new(Story::Good);
    let seen = check(&s, Arc::new(NoNetwork), good_cred(&s)).await;
    assert_failed(
        &seen,
        "status",
        "status_unknown",
        "could not find out whether the credential has been revoked",
    );
    assert!(!seen.page.contains("has revoked"));
}

#[tokio::test]
async fn offline_with_a_cached_status_list_verifies_and_reports_its_age() {
    let s = Scheme::new(Story::Good);
    let fetcher = MemFetcher::serving(STATUS_URI, s.status_token(0));
    let r = verifier_for(
        &s,
        fetcher.clone(),
        Policy::default(),
        Arc::new(SystemClock),
    )
    .await;
    // Online once: the list is cached on disk.
    assert_eq!(run(&r, &s, good_cred(&s)).await.outcome["passed"], true);
    // Then the network goes away.
    *fetcher.1.lock().unwrap() = false;
    let seen = run(&r, &s, good_cred(&s)).await;
    assert_eq!(seen.outcome["passed"], true, "{:#}", seen.outcome);
    let f = &seen.outcome["report"]["freshness"];
    assert!(f["status_list_age_seconds"].as_i64().is_some());
    assert!(f["snapshot_age_seconds"].as_i64().unwrap() >= 3600);
    assert!(seen.page.contains("id=\"freshness\""));
    // With a policy that allows no cached age at all, the same check is status unknown.
    let strict = Policy {
        max_status_age: Duration::seconds(-1),
        ..Policy::default()
    };
    let r2 = verifier_for(&s, fetcher.clone(), strict, Arc::new(SystemClock)).await;
    let seen = run(&r2, &s, good_cred(&s)).await;
    assert_eq!(seen.outcome["report"]["error"]["code"], "status_unknown");
}

#[tokio::test]
async fn stale_snapshot_is_refused_by_policy() {
    let s = Scheme::new(Story::Good);
    let strict = Policy {
        max_snapshot_age: Duration::minutes(10),
        ..Policy::default()
    };
    let r = verifier_for(&s, valid_token(&s), strict, Arc::new(SystemClock)).await;
    let seen = run(&r, &s, good_cred(&s)).await;
    assert_failed(
        &seen,
        "trust_register",
        "snapshot_stale",
        "register of certified services is too old",
    );
}

#[tokio::test]
async fn only_british_or_irish_citizens_with_a_valid_passport_pass() {
    let s = Scheme::new(Story::Good);
    let french = s.issue(
        None,
        |c| {
            c.insert("nationality".into(), "FR".into());
        },
        now() + Duration::days(300),
    );
    let seen = check(&s, valid_token(&s), french).await;
    assert_eq!(seen.outcome["passed"], false);
    assert!(
        seen.page.contains("only British or Irish citizens"),
        "{}",
        seen.page
    );
    let expired_passport = s.issue(
        None,
        |c| {
            c["document"]["expiry_date"] = "2025-01-31".into();
        },
        now() + Duration::days(300),
    );
    let seen = check(&s, valid_token(&s), expired_passport).await;
    assert_eq!(seen.outcome["passed"], false);
    assert!(
        seen.page.contains("the passport expired on 2025-01-31"),
        "{}",
        seen.page
    );
    assert!(
        !seen.page.contains("Confirm and save"),
        "no likeness form for a failed check"
    );
}

/// Issue 17: a provider whose certificate covers identity checks up to a low level of
/// confidence cannot vouch for a medium one (`assurance_not_certified`), and the page says
/// so in words.
#[tokio::test]
async fn a_provider_certified_only_to_low_cannot_vouch_for_medium() {
    let s = Scheme::new(Story::CertifiedToLow);
    let seen = check(&s, valid_token(&s), good_cred(&s)).await;
    assert_failed(
        &seen,
        "trust_register",
        "assurance_not_certified",
        "certified only up to low",
    );
}

/// Issue 17: a wallet provider (holder service provider) registered for the right-to-work
/// type is still not an identity service provider: its right-to-work credential is refused
/// (`role_not_certified`).
#[tokio::test]
async fn a_wallet_providers_right_to_work_credential_is_refused() {
    let s = Scheme::new(Story::WalletProvider);
    let seen = check(&s, valid_token(&s), good_cred(&s)).await;
    assert_failed(
        &seen,
        "trust_register",
        "role_not_certified",
        "only by a certified identity service provider",
    );
}

/// A chain for `key` under a root nobody registered, naming the provider's `iss`.
fn unregistered_chain(key: &credentials::keys::PublicKey) -> Vec<credentials::x509::Certificate> {
    use credentials::x509::dev::{issue, self_signed, CertSpec};
    let root_key: Arc<dyn credentials::keys::Signer> = Arc::new(common::signer());
    let root = self_signed(
        &CertSpec {
            common_name: "Unregistered Root".into(),
            days: 30,
            ca: Some(Some(0)),
            ..Default::default()
        },
        root_key.clone(),
    )
    .unwrap();
    let leaf = issue(
        &CertSpec {
            common_name: "Signer".into(),
            days: 30,
            uris: vec![common::ISS.into()],
            ..Default::default()
        },
        key,
        &root,
        root_key,
    )
    .unwrap();
    vec![leaf]
}

#[tokio::test]
async fn an_x5c_to_a_root_not_yet_registered_is_judged_by_the_registered_key() {
    // A provider registered by key that starts putting x5c on its credentials (HAIP) before
    // its root is on the register: its registered key still vouches for it.
    let s = Scheme::new(Story::Good);
    let chain = unregistered_chain(credentials::keys::Signer::public_key(&s.idp));
    let cred = s.issue_with_x5c(&s.idp, chain, now() + Duration::days(300));
    let seen = check(&s, valid_token(&s), cred).await;
    assert_eq!(seen.outcome["passed"], true, "{:#}", seen.outcome);
}

#[tokio::test]
async fn an_x5c_to_an_unregistered_root_for_an_unregistered_key_is_unknown() {
    let s = Scheme::new(Story::Good);
    let stranger = common::signer();
    let chain = unregistered_chain(credentials::keys::Signer::public_key(&stranger));
    let cred = s.issue_with_x5c(&stranger, chain, now() + Duration::days(300));
    let seen = check(&s, valid_token(&s), cred).await;
    assert_failed(&seen, "trust_register", "unknown_anchor", "");
}
