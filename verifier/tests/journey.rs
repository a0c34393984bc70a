//! The employer's whole journey over HTTP: start, QR and link, the wallet answers through a
//! signed request object by reference and an encrypted response, the outcome page, the
//! likeness confirmation, the signed record, and its offline check.

mod common;

use common::{client, now, running, start_check, wallet, MemFetcher, Scheme, Story, STATUS_URI};
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
