//! The employer's whole journey over HTTP: start, QR and link, the wallet answers through a
//! signed request object by reference and an encrypted response, the outcome page, the
//! likeness confirmation, the signed record, and its offline check.

mod common;

use common::{
    client, now, running, start_check, wallet, MemFetcher, Scheme, Story, RTW_V2_QUERY, STATUS_URI,
};
use credentials::keys::Signer;
use time::Duration;
use verifier::record::{self, CheckOptions};

#[tokio::test]
async fn employer_checks_right_to_work_end_to_end_and_the_record_verifies() {
    let scheme = Scheme::new(Story::Good);
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let id = start_check(&r, "direct_post.jwt").await;
    let page = client()
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "the page shows a QR code");
    assert!(
        page.contains("openid4vp://"),
        "the page links to a wallet on this device"
    );

    let cred = scheme.issue(None, |_| {}, now() + Duration::days(300));
    let out = wallet::share(&r, &id, &scheme, &cred).await;

    // A second answer to the same transaction is refused: nonces are single use.
    let again = client()
        .post(format!("{}/response/{id}", r.base))
        .form(&[(
            "vp_token",
            format!(
                "{{\"right_to_work\":[\"{}\"]}}",
                out["presentation"].as_str().unwrap()
            ),
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    let page = client()
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-outcome=\"passed\""), "{page}");
    assert!(
        page.contains("Ada Lovelace")
            && page.contains("10 December 1990")
            && page.contains("14 March 2033")
    );
    assert!(page.contains("id=\"portrait\""), "the photo is shown");
    assert!(
        page.contains("Test Identity Ltd") && page.contains("IDP-RTW-1"),
        "provider and its right-to-work note"
    );

    // Missing answer: the error summary.
    let bad = client()
        .post(format!("{}/checks/{id}/likeness", r.base))
        .form(&[("checked_by", "Grace Hopper")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("There is a problem"));

    let done = client()
        .post(format!("{}/checks/{id}/likeness", r.base))
        .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let rec_path = done.headers()["location"].to_str().unwrap().to_string();
    let rec_page = client()
        .get(format!("{}{rec_path}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(rec_page.contains("Right to work check complete"));
    let jws = client()
        .get(format!("{}{rec_path}/download", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let report = record::check(&jws, &CheckOptions::default()).await;
    assert!(
        report.valid,
        "{}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    let mut pinned = CheckOptions {
        record_key: Some(r.service.record_key.public_key().clone()),
        snapshot_key: Some(scheme.snapshot_verifier().snapshot_key),
        log_key: Some(scheme.snapshot_verifier().log_key),
        later_snapshot: Some(scheme.snapshot.clone()),
    };
    assert!(record::check(&jws, &pinned).await.valid);

    // Tampering with one byte of the payload breaks the signature.
    let mut parts: Vec<String> = jws.split('.').map(str::to_string).collect();
    let mut payload = credentials::b64::decode(&parts[1]).unwrap();
    let i = payload.windows(4).position(|w| w == b"Ada\"").unwrap();
    payload[i] = b'E';
    parts[1] = credentials::b64::encode(&payload);
    assert!(!record::check(&parts.join("."), &pinned).await.valid);
    // Another verifier's key is refused when the record key is pinned.
    pinned.record_key = Some(common::signer().public_key().clone());
    assert!(!record::check(&jws, &pinned).await.valid);
    if let Ok(out) = std::env::var("VOUCH_RECORD_OUT") {
        std::fs::write(out, &jws).unwrap();
    }
}

/// Home Office guidance: a certified provider's check gives a statutory excuse at a medium
/// level of confidence or above (GPG 45), the level its profile reaches. A low level and a
/// level the profile does not reach each leave the check failed, the page saying why in
/// words, and no record is saved; a high level with a high profile passes.
#[tokio::test]
async fn a_low_or_inconsistent_level_of_confidence_gives_no_statutory_excuse() {
    let scheme = Scheme::new(Story::Good);
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    for (level, profile, says) in [
        ("low", "L1A", "needs at least medium"),
        ("medium", "L1A", "profile L1A reaches low"),
        ("high", "M1B", "profile M1B reaches medium"),
        ("high", "H2A", ""),
    ] {
        let id = start_check(&r, "direct_post.jwt").await;
        let cred = scheme.issue(
            None,
            |c| {
                c.insert("confidence".into(), level.into());
                c.insert("gpg45_profile".into(), profile.into());
            },
            now() + Duration::days(300),
        );
        wallet::share(&r, &id, &scheme, &cred).await;
        let page = client()
            .get(format!("{}/checks/{id}", r.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if says.is_empty() {
            assert!(
                page.contains("data-outcome=\"passed\""),
                "{level} {profile}"
            );
            continue;
        }
        assert!(
            page.contains("data-outcome=\"failed\""),
            "{level} {profile}: {page}"
        );
        assert!(page.contains(says), "{level} {profile}: {page}");
        let done = client()
            .post(format!("{}/checks/{id}/likeness", r.base))
            .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 400, "{level} {profile}: a record was saved");
    }
}

/// Version 2 of the right-to-work credential (`urn:vouch:uk:right-to-work:2`, its GPG 45
/// assurance as OpenID Connect for Identity Assurance `verified_claims`) answers the
/// template's preferred credential query and goes the whole way: the request asks for
/// version 2 first and version 1 as the alternative, the check passes, the page shows the
/// person and the provider's check in words, the likeness is confirmed and the signed
/// record verifies offline.
#[tokio::test]
async fn employer_checks_a_version_2_right_to_work_credential_end_to_end() {
    let scheme = Scheme::new(Story::Good);
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let id = start_check(&r, "direct_post.jwt").await;
    let req = wallet::fetch_request(&r, &id).await;
    let sets = req
        .dcql_query
        .credential_sets
        .as_ref()
        .expect("credential sets");
    assert_eq!(
        sets[0].options,
        vec![
            vec![RTW_V2_QUERY.to_string()],
            vec!["right_to_work".to_string()]
        ],
        "version 2 preferred, version 1 the alternative"
    );
    let v2 = req.dcql_query.credential(RTW_V2_QUERY).unwrap();
    assert_eq!(
        v2.meta.vct_values.as_deref(),
        Some(&["urn:vouch:uk:right-to-work:2".to_string()][..])
    );

    let cred = scheme.issue_v2(None, |_| {}, now() + Duration::days(300));
    wallet::share_v2(&r, &id, &scheme, &cred).await;
    let page = client()
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-outcome=\"passed\""), "{page}");
    for want in [
        "Ada Lovelace",
        "10 December 1990",
        "British",
        "123456789",
        "14 March 2033",
        "medium level of confidence (GPG 45 profile M1B) on 20 November 2026",
        "Test Identity Ltd",
        "IDP-RTW-1",
    ] {
        assert!(page.contains(want), "the page lacks {want:?}: {page}");
    }
    assert!(page.contains("id=\"portrait\""), "the photo is shown");
    let api: serde_json::Value = client()
        .get(format!("{}/api/transactions/{id}", r.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let person = &api["outcome"]["person"];
    assert_eq!(api["outcome"]["query_id"], RTW_V2_QUERY, "{api:#}");
    assert_eq!(person["verified_claims"], true, "{api:#}");
    assert_eq!(person["trust_framework"], "uk_tfida");
    assert_eq!(person["checked_by"], "Vouch Test IDSP Ltd");

    let done = client()
        .post(format!("{}/checks/{id}/likeness", r.base))
        .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let rec_path = done.headers()["location"].to_str().unwrap().to_string();
    let jws = client()
        .get(format!("{}{rec_path}/download", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let report = record::check(&jws, &CheckOptions::default()).await;
    assert!(
        report.valid,
        "{}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    let claims = serde_json::to_value(&report).unwrap()["claims"].clone();
    assert_eq!(
        claims["verified_claims"]["claims"]["family_name"], "Lovelace",
        "{claims:#}"
    );
    assert_eq!(
        claims["verified_claims"]["verification"]["assurance_process"]["procedure"],
        "M1B"
    );
}

/// Version 2 under the same Home Office rules as version 1 (medium or above, the level
/// its GPG 45 profile reaches) and its own: the UK trust framework and GPG 45. Each failure
/// leaves the check failed with its reason in words and saves no record; the register's
/// certificate must cover the level version 2 states, as it must version 1's.
#[tokio::test]
async fn version_2_levels_trust_framework_and_policy_decide_the_check() {
    const V: &str = "/verified_claims/verification";
    let scheme = Scheme::new(Story::Good);
    let r = running(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let cases: [(&str, &str, &str, &str, &str); 6] = [
        ("medium", "M1B", "uk_tfida", "gpg45", ""),
        ("high", "H2A", "uk_tfida", "gpg45", ""),
        ("low", "L1A", "uk_tfida", "gpg45", "needs at least medium"),
        (
            "high",
            "M1B",
            "uk_tfida",
            "gpg45",
            "profile M1B reaches medium",
        ),
        (
            "medium",
            "M1B",
            "eidas",
            "gpg45",
            "under the trust framework eidas",
        ),
        (
            "medium",
            "M1B",
            "uk_tfida",
            "nist_800_63a",
            "followed the policy nist_800_63a",
        ),
    ];
    for (level, profile, framework, policy, says) in cases {
        let id = start_check(&r, "direct_post.jwt").await;
        let cred = scheme.issue_v2(
            None,
            |c| {
                *c.pointer_mut(&format!("{V}/assurance_level")).unwrap() = level.into();
                *c.pointer_mut(&format!("{V}/assurance_process/procedure"))
                    .unwrap() = profile.into();
                *c.pointer_mut(&format!("{V}/trust_framework")).unwrap() = framework.into();
                *c.pointer_mut(&format!("{V}/assurance_process/policy"))
                    .unwrap() = policy.into();
            },
            now() + Duration::days(300),
        );
        wallet::share_v2(&r, &id, &scheme, &cred).await;
        let page = client()
            .get(format!("{}/checks/{id}", r.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let case = format!("{level} {profile} {framework} {policy}");
        if says.is_empty() {
            assert!(page.contains("data-outcome=\"passed\""), "{case}: {page}");
            continue;
        }
        assert!(page.contains("data-outcome=\"failed\""), "{case}: {page}");
        assert!(page.contains(says), "{case}: {page}");
        let done = client()
            .post(format!("{}/checks/{id}/likeness", r.base))
            .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 400, "{case}: a record was saved");
    }

    // A provider certified only up to low cannot vouch for version 2's medium either.
    let low_only = Scheme::new(Story::CertifiedToLow);
    let r = running(
        &low_only,
        MemFetcher::serving(STATUS_URI, low_only.status_token(0)),
    )
    .await;
    let id = start_check(&r, "direct_post.jwt").await;
    let cred = low_only.issue_v2(None, |_| {}, now() + Duration::days(300));
    wallet::share_v2(&r, &id, &low_only, &cred).await;
    let api: serde_json::Value = client()
        .get(format!("{}/api/transactions/{id}", r.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        api["outcome"]["report"]["error"]["code"], "assurance_not_certified",
        "{api:#}"
    );
}
