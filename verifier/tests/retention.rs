//! Retention on a clock the test controls: the record of someone hired is kept for the
//! employment and two years after it ends; the record of someone never hired is deleted six
//! months (183 days) after the check; an employment end before the check is refused; the
//! planned start date flags a late check; every view, download, change and purge is in the
//! hash-chained access log.

mod common;

use std::sync::Arc;

use common::{client, now, verifier_for, wallet, MemFetcher, Running, Scheme, Story, STATUS_URI};
use time::Duration;
use verifier::oid4vp::FixedClock;
use verifier::policy::Policy;
use verifier::store::AccessEntry;

/// A verifier on `clock`, and a completed check's record id (started with `planned_start`).
async fn completed_check(
    s: &Scheme,
    clock: Arc<FixedClock>,
    planned_start: Option<&str>,
) -> (Running, String) {
    let r = verifier_for(
        s,
        MemFetcher::serving(STATUS_URI, s.status_token(0)),
        Policy::default(),
        clock,
    )
    .await;
    let mut form = vec![("response_mode", "direct_post".to_string())];
    if let Some(p) = planned_start {
        form.push(("planned_start", p.to_string()));
    }
    let started = client()
        .post(format!("{}/checks", r.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let id = started.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/checks/")
        .to_string();
    wallet::share(
        &r,
        &id,
        s,
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
    (r, rec)
}

async fn set_end(r: &Running, rec: &str, end: time::Date) -> u16 {
    client()
        .post(format!("{}/records/{rec}/employment-end", r.base))
        .form(&[("employment_end", end.to_string())])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_hired_candidates_record_is_deleted_two_years_after_the_employment_ends_and_not_before() {
    let s = Scheme::new(Story::Good);
    let clock = Arc::new(FixedClock::new(now()));
    let (r, rec) = completed_check(&s, clock.clone(), None).await;
    let end = (now() + Duration::days(365)).date();
    assert_eq!(set_end(&r, &rec, end).await, 303);
    // Past the six months of someone never hired: kept, since they were hired.
    clock.set(now() + Duration::days(300));
    r.service.purge().await.unwrap();
    assert!(r.service.store.record(&rec).await.unwrap().is_some());
    // One day before employment end + 2 years: kept.
    clock.set(end.midnight().assume_utc() + Duration::days(729));
    r.service.purge().await.unwrap();
    assert!(r.service.store.record(&rec).await.unwrap().is_some());
    // After it: deleted, with its transaction, and the page is gone.
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

#[tokio::test]
async fn a_never_hired_candidates_record_is_deleted_six_months_after_the_check_and_the_purge_is_logged(
) {
    let s = Scheme::new(Story::Good);
    let clock = Arc::new(FixedClock::new(now()));
    let (r, rec) = completed_check(&s, clock.clone(), None).await;
    clock.set(now() + Duration::days(182));
    assert_eq!(r.service.purge().await.unwrap().0, 0);
    assert!(r.service.store.record(&rec).await.unwrap().is_some());
    clock.set(now() + Duration::days(184));
    assert_eq!(r.service.purge().await.unwrap().0, 1);
    assert!(r.service.store.record(&rec).await.unwrap().is_none());
    let log = r.service.store.access_log("default").await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.record_id.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [(rec.as_str(), "created"), (rec.as_str(), "purged")]
    );
    assert_eq!(AccessEntry::verify_chain(&log), Ok(()));
}

#[tokio::test]
async fn an_employment_end_before_the_check_is_refused_and_every_change_view_and_download_is_logged(
) {
    let s = Scheme::new(Story::Good);
    let clock = Arc::new(FixedClock::new(now()));
    let (r, rec) = completed_check(&s, clock.clone(), None).await;
    let before = r.service.store.record(&rec).await.unwrap().unwrap();
    // The day before the check: refused, nothing changed.
    assert_eq!(
        set_end(&r, &rec, (now() - Duration::days(1)).date()).await,
        400
    );
    let after = r.service.store.record(&rec).await.unwrap().unwrap();
    assert_eq!(after.employment_end, None);
    assert_eq!(after.delete_after, before.delete_after);
    // A real date, then a correction: both logged with the old and new dates.
    let first = (now() + Duration::days(30)).date();
    let second = (now() + Duration::days(60)).date();
    assert_eq!(set_end(&r, &rec, first).await, 303);
    assert_eq!(set_end(&r, &rec, second).await, 303);
    let page = client()
        .get(format!("{}/records/{rec}", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let download = client()
        .get(format!("{}/records/{rec}/download", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    let log = r.service.store.access_log("default").await.unwrap();
    let got: Vec<(String, String)> = log
        .iter()
        .map(|e| (e.action.clone(), e.detail.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("created".to_string(), String::new()),
            ("employment_end_set".into(), format!("none -> {first}")),
            ("employment_end_set".into(), format!("{first} -> {second}")),
            ("viewed".into(), String::new()),
            ("downloaded".into(), String::new()),
        ]
    );
    assert_eq!(AccessEntry::verify_chain(&log), Ok(()));
    // An entry altered afterwards breaks the chain at that entry.
    let mut tampered = log.clone();
    tampered[1].detail = format!("none -> {second}");
    assert_eq!(AccessEntry::verify_chain(&tampered), Err(2));
}

#[tokio::test]
async fn a_check_made_after_the_planned_start_date_is_flagged_on_its_record() {
    let s = Scheme::new(Story::Good);
    let words = |d: time::Date| format!("{} {} {}", d.day(), d.month(), d.year());
    let yesterday_date = (now() - Duration::days(1)).date();
    let yesterday = yesterday_date.to_string();
    let (r, late) = completed_check(&s, Arc::new(FixedClock::new(now())), Some(&yesterday)).await;
    let page = client()
        .get(format!("{}/records/{late}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"late-check\""), "{page}");
    assert!(page.contains(&words(yesterday_date)), "{page}");
    let tomorrow_date = (now() + Duration::days(1)).date();
    let tomorrow = tomorrow_date.to_string();
    let (r, on_time) = completed_check(&s, Arc::new(FixedClock::new(now())), Some(&tomorrow)).await;
    let page = client()
        .get(format!("{}/records/{on_time}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("id=\"late-check\""));
    assert!(page.contains(&words(tomorrow_date)), "{page}");
}

#[tokio::test]
async fn the_inspection_export_carries_each_signed_record_its_page_and_the_access_log() {
    let s = Scheme::new(Story::Good);
    let (r, rec) = completed_check(&s, Arc::new(FixedClock::new(now())), None).await;
    let archive = r
        .service
        .inspection_export("default", "operator", &[])
        .await
        .unwrap();
    let mut files = std::collections::BTreeMap::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive.as_slice()));
    for e in tar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        let mut body = String::new();
        std::io::Read::read_to_string(&mut e, &mut body).unwrap();
        files.insert(name, body);
    }
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let jws_name = format!("records/{rec}.jws");
    let html_name = format!("records/{rec}.html");
    assert_eq!(
        names,
        [
            "README.txt",
            "access-log.json",
            html_name.as_str(),
            jws_name.as_str()
        ]
    );
    // The signed record verifies offline, as check-record does.
    let report = verifier::record::check(&files[&jws_name], &Default::default()).await;
    assert!(report.valid, "{}", serde_json::to_string(&report).unwrap());
    assert!(files[&html_name].contains("Right to work check complete"));
    // The log is whole and names the export itself.
    let log: serde_json::Value = serde_json::from_str(&files["access-log.json"]).unwrap();
    assert_eq!(log["intact"], true);
    let entries: Vec<AccessEntry> = serde_json::from_value(log["entries"].clone()).unwrap();
    assert_eq!(AccessEntry::verify_chain(&entries), Ok(()));
    assert_eq!(entries.last().unwrap().action, "exported");
    // An unknown record is refused, and nothing is logged for it.
    let before = r.service.store.access_log("default").await.unwrap().len();
    assert!(r
        .service
        .inspection_export("default", "operator", &["no-such-record".into()])
        .await
        .is_err());
    assert_eq!(
        r.service.store.access_log("default").await.unwrap().len(),
        before
    );
}

#[tokio::test]
async fn the_records_list_finds_the_organisations_records_by_name_date_and_outcome_and_no_one_elses(
) {
    let s = Scheme::new(Story::Good);
    let clock = Arc::new(FixedClock::new(now()));
    let (r, rec) = completed_check(&s, clock.clone(), None).await;
    let list = |c: reqwest::Client, query: &str| {
        let url = format!("{}/records?{query}", r.base);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let today = now().date();
    let found = format!("data-record=\"{rec}\"");
    assert!(list(client(), "q=lovelace").await.contains(&found));
    assert!(
        list(client(), &format!("from={today}&to={today}&outcome=passed"))
            .await
            .contains(&found)
    );
    assert!(!list(client(), "q=hopper").await.contains(&found));
    assert!(!list(client(), "outcome=failed").await.contains(&found));
    let tomorrow = (now() + Duration::days(1)).date();
    assert!(!list(client(), &format!("from={tomorrow}"))
        .await
        .contains(&found));
    // A browser not signed in is sent to sign in, and sees none of them.
    let anonymous = common::stranger()
        .get(format!("{}/records", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/sign-in");
    assert!(!anonymous.text().await.unwrap().contains(&found));
}
