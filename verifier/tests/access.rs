//! The transaction id in the QR code and the wallet link grants nothing: a check, its
//! outcome, the photo confirmation and the record answer only the employer's browser that
//! started the check, or the organisation's API key. Everyone else (the candidate, anyone who
//! saw the link, another browser) gets "not found", and the JSON API without the key is 401.

mod common;

use common::{
    client, hr_system, now, running, start_check, stranger, wallet, MemFetcher, Scheme, Story,
    STATUS_URI,
};
use time::Duration;

async fn status(req: reqwest::RequestBuilder) -> u16 {
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn only_the_employers_browser_or_its_api_key_sees_a_check_and_its_record() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    let id = start_check(&r, "direct_post").await;
    let other_browser = {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::COOKIE,
            reqwest::header::HeaderValue::from_static(
                "vouch_employer=another-browser-token-0123456789abcdefghijk",
            ),
        );
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(h)
            .build()
            .unwrap()
    };
    let base = &r.base;
    // Before the wallet answers: the page, its state and the API are the employer's only.
    for c in [stranger(), other_browser.clone()] {
        assert_eq!(status(c.get(format!("{base}/checks/{id}"))).await, 404);
        assert_eq!(
            status(c.get(format!("{base}/checks/{id}/state"))).await,
            404
        );
        assert_eq!(
            status(c.get(format!("{base}/api/transactions/{id}"))).await,
            404
        );
    }
    assert_eq!(
        status(client().get(format!("{base}/checks/{id}"))).await,
        200
    );
    assert_eq!(
        status(hr_system().get(format!("{base}/api/transactions/{id}"))).await,
        200
    );
    // The wallet-facing endpoints stay open: the candidate's wallet answers.
    let shared = wallet::share(
        &r,
        &id,
        &s,
        &s.issue(None, |_| {}, now() + Duration::days(300)),
    )
    .await;
    // Same device: the redirect's response code must be the one this answer was given.
    let back = shared["ack"]["redirect_uri"].as_str().unwrap().to_string();
    let path = &back[back.find("/checks/").unwrap()..];
    assert_eq!(status(client().get(format!("{base}{path}"))).await, 200);
    assert_eq!(
        status(client().get(format!("{base}/checks/{id}?response_code=guessed"))).await,
        400
    );
    assert_eq!(status(stranger().get(format!("{base}{path}"))).await, 404);
    // The outcome (with the person's photo and passport number) and the likeness form.
    let page = stranger()
        .get(format!("{base}/checks/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(!page.text().await.unwrap().contains("Lovelace"));
    let confirm = |c: reqwest::Client| {
        c.post(format!("{base}/checks/{id}/likeness"))
            .form(&[("likeness", "yes"), ("checked_by", "Mallory")])
    };
    assert_eq!(status(confirm(stranger())).await, 404);
    assert_eq!(status(confirm(other_browser.clone())).await, 404);
    let done = confirm(client()).send().await.unwrap();
    assert_eq!(done.status(), 303);
    let rec = done.headers()["location"].to_str().unwrap().to_string();
    // The record: page, download, employment end.
    for c in [stranger(), other_browser] {
        assert_eq!(status(c.get(format!("{base}{rec}"))).await, 404);
        assert_eq!(status(c.get(format!("{base}{rec}/download"))).await, 404);
        assert_eq!(
            status(
                c.post(format!("{base}{rec}/employment-end"))
                    .form(&[("employment_end", "2099-01-01")])
            )
            .await,
            404
        );
    }
    let record = r
        .service
        .store
        .record(rec.trim_start_matches("/records/"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.employment_end, None, "a stranger changed nothing");
    assert_eq!(status(client().get(format!("{base}{rec}"))).await, 200);
    assert_eq!(
        status(hr_system().get(format!("{base}{rec}/download"))).await,
        200
    );
}

#[tokio::test]
async fn the_json_api_needs_the_organisations_key() {
    let s = Scheme::new(Story::Good);
    let r = running(&s, MemFetcher::serving(STATUS_URI, s.status_token(0))).await;
    let url = format!("{}/api/transactions", r.base);
    let body = serde_json::json!({"template": "right-to-work"});
    let none = stranger().post(&url).json(&body).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = stranger()
        .post(&url)
        .bearer_auth("not-the-organisations-key-0123456789abcdef")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(status(hr_system().post(&url).json(&body)).await, 200);
    // A check the API made is bound to no browser: the employer's browser cannot open it
    // without the key.
    let t: serde_json::Value = hr_system()
        .post(&url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = t["id"].as_str().unwrap();
    let browser_only = {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::COOKIE,
            reqwest::header::HeaderValue::from_static(common::BROWSER),
        );
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(h)
            .build()
            .unwrap()
    };
    assert_eq!(
        status(browser_only.get(format!("{}/checks/{id}", r.base))).await,
        404
    );
}
