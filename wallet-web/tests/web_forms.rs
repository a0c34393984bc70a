//! The demo web wallet against another site in the same browser: a cross-site form post is
//! refused before it does anything, a post without the page's anti-forgery token too, and a
//! wallet link (`GET /present?request=`) fetches nothing and answers no one until the
//! person presses a button. (On main a cross-site POST added an attacker's credential, and
//! a plain GET made the wallet contact the requester.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use wallet_core::keystore::{Argon2Cost, PassphraseKeyStore};
use wallet_core::Wallet;

async fn requester() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = Router::new().fallback(get(move || {
        h.fetch_add(1, Ordering::SeqCst);
        async { "eyJhbGciOiJub25lIn0.e30." }
    }));
    let l = vouch_ops::loopback::listener().await.unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, hits)
}

async fn web_wallet(dir: &std::path::Path) -> String {
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
    let l = vouch_ops::loopback::listener().await.unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(vouch_wallet_web::serve_until(
        l,
        Arc::new(w),
        None,
        std::time::Duration::from_secs(3600),
        std::future::pending(),
    ));
    base
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_a_link_alone_sends_nothing() {
    let (req_base, hits) = requester().await;
    let dir = tempfile::tempdir().unwrap();
    let wallet = web_wallet(dir.path()).await;
    let c = client();
    let link = format!(
        "openid4vp://?client_id=redirect_uri%3A{0}%2Fr&request_uri={0}%2Frequest",
        req_base.replace(':', "%3A").replace('/', "%2F")
    );

    // A page on another site posts the wallet's forms: refused whatever the fields.
    for (path, form) in [
        ("/offer", vec![("offer", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fattacker.example%2Fo")]),
        ("/present", vec![("request", link.as_str())]),
    ] {
        let r = c
            .post(format!("{wallet}{path}"))
            .header("origin", "https://attacker.example")
            .header("sec-fetch-site", "cross-site")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
        // Without the page's token (no Origin header at all): refused too.
        let r = c.post(format!("{wallet}{path}")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path} without a token");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the requester was contacted"
    );

    // A wallet link shows a page and sends nothing.
    let q: String = url::form_urlencoded::byte_serialize(link.as_bytes()).collect();
    let r = c
        .get(format!("{wallet}/present?request={q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Nothing has been sent"), "{page}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a GET made the wallet fetch"
    );

    // The person presses the button (the page's own form, with its token): only then.
    let token = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the form carries the token");
    let r = c
        .post(format!("{wallet}/present"))
        .header("origin", &wallet)
        .form(&[("request", link.as_str()), ("csrf", token)])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 403);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the request was fetched once"
    );

    // A page that rebinds its own name to this machine (DNS rebinding) names its own host:
    // refused before it can read the page's token.
    let r = c
        .get(format!("{wallet}/"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 421);
    assert!(!r.text().await.unwrap().contains("csrf"));
}
