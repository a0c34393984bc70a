//! The authorization server against abuse: only registered clients, to their registered
//! redirect URIs exactly; length caps on every pushed field; wrong sign-in codes slow the
//! account down (a growing delay, not a lock) and the fifth consumes the pushed request;
//! the sign-in page says where the code will go. Each of these failed on main: any
//! `client_id` and `redirect_uri` were taken, and ~1,800 wrong codes a second were allowed.

mod support;

use serde_json::json;
use std::time::Duration;

use support::{config, issuer, issuer_with, wait_until, TestIssuer, ISSUER};

const CT: &str = "application/x-www-form-urlencoded";

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

async fn post(t: &TestIssuer, path: &str, body: Vec<u8>) -> issuer::wallet::HttpResponse {
    t.wallet()
        .transport
        .send(
            "POST",
            &format!("{ISSUER}{path}"),
            &[("content-type", CT.into())],
            body,
        )
        .await
}

/// A pushed request from `client` to `redirect`; the response.
async fn par(
    t: &TestIssuer,
    client: &str,
    redirect: &str,
    extra: &[(&str, &str)],
) -> issuer::wallet::HttpResponse {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", redirect),
        ("scope", "pid_sd_jwt"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ];
    p.extend_from_slice(extra);
    post(t, "/par", form(&p)).await
}

async fn request_uri(t: &TestIssuer) -> String {
    let r = par(t, "wallet-app", "https://wallet.example/cb", &[]).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    r.json()["request_uri"].as_str().unwrap().to_string()
}

async fn sign_in(t: &TestIssuer, uri: &str, subject: &str, code: &str) -> (u16, String) {
    let r = post(
        t,
        "/authorize",
        form(&[
            ("request_uri", uri),
            ("subject_id", subject),
            ("sign_in_code", code),
        ]),
    )
    .await;
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

async fn code_for(t: &TestIssuer, subject: &str) -> String {
    let r = t
        .admin(
            "POST",
            &format!("/admin/subjects/{subject}/sign-in-codes"),
            json!({}),
        )
        .await;
    r.json()["sign_in_code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn only_registered_clients_to_their_registered_redirect_uris() {
    let t = issuer().await;
    let before = t.count("par_requests").await;
    let r = par(&t, "attacker-app", "https://attacker.example/cb", &[]).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let r = par(&t, "wallet-app", "https://attacker.example/cb", &[]).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(r.json()["error_description"]
        .as_str()
        .unwrap()
        .contains("not one the client registered"));
    // Not even a prefix or a changed query counts: the comparison is exact.
    let r = par(&t, "wallet-app", "https://wallet.example/cb?x=1", &[]).await;
    assert_eq!(r.status, 400);
    // Every field is capped.
    let long = "a".repeat(5000);
    let r = par(
        &t,
        "wallet-app",
        "https://wallet.example/cb",
        &[("state", &long)],
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(t.count("par_requests").await, before, "nothing was stored");
    // The registered one is taken.
    request_uri(&t).await;
    assert_eq!(t.count("par_requests").await, before + 1);
}

#[tokio::test]
async fn clients_are_registered_through_the_admin_api_with_safe_redirect_uris() {
    let t = issuer().await;
    let r = t
        .admin(
            "POST",
            "/admin/clients",
            json!({"client_id": "app-2", "name": "App Two", "redirect_uris": ["https://two.example/cb"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(
        par(&t, "app-2", "https://two.example/cb", &[]).await.status,
        201
    );
    for bad in [
        "javascript:alert(1)",
        "http://two.example/cb",
        "https://two.example/cb#x",
        "/cb",
    ] {
        let r = t
            .admin(
                "POST",
                "/admin/clients",
                json!({"client_id": "app-3", "name": "App", "redirect_uris": [bad]}),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    let list = t.admin("GET", "/admin/clients", json!({})).await;
    let list = list.json();
    let ids: Vec<&str> = list["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["app-2", "wallet-app"]);
}

#[tokio::test]
async fn the_sign_in_page_says_where_the_code_goes() {
    let t = issuer().await;
    let uri = request_uri(&t).await;
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", "wallet-app")
        .append_pair("request_uri", &uri)
        .finish();
    let r = t
        .wallet()
        .transport
        .send("GET", &format!("{ISSUER}/authorize?{q}"), &[], Vec::new())
        .await;
    let page = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        page.contains("Test Wallet") && page.contains("wallet.example"),
        "{page}"
    );
}

#[tokio::test]
async fn wrong_codes_slow_the_account_and_the_fifth_consumes_the_request() {
    let t = issuer().await;
    for s in ["bf-1", "bf-2", "bf-3", "bf-4", "bf-5", "bf-ok"] {
        t.subject(s).await;
    }
    // Five wrong codes on one pushed request (five accounts, so no account delay applies):
    // the fifth ends it, and then even the right code is refused.
    let uri = request_uri(&t).await;
    for s in ["bf-1", "bf-2", "bf-3", "bf-4", "bf-5"] {
        let (status, _) = sign_in(&t, &uri, s, "00000000").await;
        assert_eq!(status, 400, "{s}");
    }
    let good = code_for(&t, "bf-ok").await;
    let (status, page) = sign_in(&t, &uri, "bf-ok", &good).await;
    assert_eq!(status, 400);
    assert!(page.contains("Start again from your wallet"), "{page}");
    assert_eq!(t.count("auth_codes").await, 0);

    // One account: after a wrong code the next attempt waits (its code is not checked),
    // even with the right code and on a fresh request...
    let uri = request_uri(&t).await;
    let (status, _) = sign_in(&t, &uri, "bf-ok", "11111111").await;
    assert_eq!(status, 400);
    let (status, page) = sign_in(&t, &uri, "bf-ok", &good).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many wrong codes"), "{page}");
    assert_eq!(t.count("auth_codes").await, 0);
    // ...and once the delay has passed, the right code works: a delay, not a lock. The
    // delay (1 s after one wrong code) runs on the real clock; an attempt inside it is
    // refused unchecked (429) and counts against nothing, so the wallet simply tries again
    // until the issuer stops refusing.
    let (tr, ur, gr) = (&t, &uri, &good);
    let (status, page) = wait_until(
        "the account's delay after one wrong code to pass",
        Duration::from_secs(10),
        || async move {
            let (status, page) = sign_in(tr, ur, "bf-ok", gr).await;
            (status != 429).then_some((status, page))
        },
    )
    .await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(t.count("auth_codes").await, 1);
}

#[tokio::test]
async fn a_par_flood_grows_the_database_by_a_bounded_amount() {
    let mut c = config();
    c.max_pending_pars = 50;
    let t = issuer_with(c).await;
    let big = "s".repeat(2000);
    let (mut stored, mut refused) = (0, 0);
    for _ in 0..200 {
        let r = par(
            &t,
            "wallet-app",
            "https://wallet.example/cb",
            &[("state", &big)],
        )
        .await;
        match r.status {
            201 => stored += 1,
            503 => {
                assert_eq!(r.json()["error"], "temporarily_unavailable");
                refused += 1
            }
            other => panic!("{other}: {:?}", r.json()),
        }
    }
    assert_eq!((stored, refused), (50, 150));
    assert_eq!(t.count("par_requests").await, 50);
}
