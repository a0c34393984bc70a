//! Records are kept for the employment plus two years, then the purge job deletes them.

mod common;

use std::sync::Arc;

use common::{
    client, now, start_check, verifier_for, wallet, MemFetcher, Scheme, Story, STATUS_URI,
};
use time::Duration;
use verifier::oid4vp::FixedClock;
use verifier::policy::Policy;

#[tokio::test]
async fn a_record_is_deleted_two_years_after_the_employment_ends_and_not_before() {
    let s = Scheme::new(Story::Good);
    let clock = Arc::new(FixedClock::new(now()));
    let r = verifier_for(
        &s,
        MemFetcher::serving(STATUS_URI, s.status_token(0)),
        Policy::default(),
        clock.clone(),
    )
    .await;
    let id = start_check(&r, "direct_post").await;
    wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    let done = client()
        .post(format!("{}/checks/{id}/likeness", r.base))
        .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
        .send()
        .await
        .unwrap();
    let rec = done.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/records/")
        .to_string();
    // Still employed: never purged.
    clock.set(now() + Duration::days(3650));
    assert_eq!(r.service.purge().await.unwrap().0, 0);
    assert!(r.service.store.record(&rec).await.unwrap().is_some());
    clock.set(now());
    let end = (now() + Duration::days(365)).date();
    let set = client()
        .post(format!("{}/records/{rec}/employment-end", r.base))
        .form(&[("employment_end", end.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 303);
    // One day before employment end + 2 years: kept.
    clock.set(end.midnight().assume_utc() + Duration::days(729));
    r.service.purge().await.unwrap();
    assert!(r.service.store.record(&rec).await.unwrap().is_some());
    // After it: deleted, with its transaction.
    clock.set(end.midnight().assume_utc() + Duration::days(732));
    assert_eq!(r.service.purge().await.unwrap().0, 1);
    assert!(r.service.store.record(&rec).await.unwrap().is_none());
    assert_eq!(
        client()
            .get(format!("{}/records/{rec}", r.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
