//! One verifier deployment serving several employers, each its own relying party: an
//! organisation with its own client id signs its requests with its own key and certificate
//! (subject `O=` its name, under the deployment's reader root), so the wallet names that
//! employer; its checks are bound to that client id (the Key Binding JWT's audience), and
//! each organisation sees only its own checks.

mod common;

use common::{
    member_with_session, now, running_with_employers, wallet, MemFetcher, Scheme, Story, CSRF,
    STATUS_URI,
};
use credentials::keys::Signer;
use credentials::openid4vp::ClientId;
use time::Duration;

const GLOBEX_SESSION: &str = "globex-admin-session-token-0123456789abcdef";

fn browser(token: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("vouch_session={token}")).unwrap(),
    );
    h.insert(
        "x-csrf-token",
        reqwest::header::HeaderValue::from_static(CSRF),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}

/// Starts a check in `c`'s organisation; returns its id and the wallet link its page shows.
async fn start(r: &common::Running, c: &reqwest::Client) -> (String, String) {
    let started = c
        .post(format!("{}/checks", r.base))
        .form(&[("response_mode", "direct_post")])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let id = started.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/checks/")
        .to_string();
    let page = c
        .get(format!("{}/checks/{id}", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let from = page.find("openid4vp://").unwrap();
    let link = page[from..from + page[from..].find('"').unwrap()].replace("&amp;", "&");
    (id, link)
}

#[tokio::test]
async fn each_employer_signs_its_requests_as_its_own_relying_party() {
    let s = Scheme::new(Story::Good);
    let r = running_with_employers(
        &s,
        MemFetcher::serving(STATUS_URI, s.status_token(0)),
        &[("globex", "Globex Ltd")],
    )
    .await;
    member_with_session(
        &r.service.store,
        now().unix_timestamp() - 60,
        "globex",
        "admin@globex.test",
        verifier::store::Role::Admin,
        GLOBEX_SESSION,
        CSRF,
    )
    .await;
    let globex = browser(GLOBEX_SESSION);
    let (gid, glink) = start(&r, &globex).await;
    let (did, dlink) = start(&r, &common::client()).await;

    // The wallet fetches each request and verifies it against the deployment's reader root.
    let greq = wallet::request_from_link(&r, &glink).await;
    let dreq = wallet::request_from_link(&r, &dlink).await;
    assert_eq!(dreq.client_id.as_string(), "x509_san_dns:localhost");
    let ClientId::X509Hash(hash) = &greq.client_id else {
        panic!("Globex's client id is {}", greq.client_id.as_string());
    };
    // Globex's certificate names Globex, and its hash is the client id.
    let leaf = r.service.signer_for("globex").chain[0].clone();
    assert!(
        leaf.subject().contains("O=Globex Ltd"),
        "{}",
        leaf.subject()
    );
    assert_eq!(&ClientId::x509_hash_of(&leaf), hash);
    assert_ne!(
        r.service.signer_for("globex").signer.public_key(),
        r.service.request_signer.signer.public_key(),
        "its own key"
    );
    assert_eq!(
        r.service
            .store
            .transaction(&gid)
            .await
            .unwrap()
            .unwrap()
            .client_id,
        greq.client_id.as_string()
    );

    // A presentation bound to the other employer's client id is refused for Globex's check.
    let cred = s.issue(None, |_| {}, now() + Duration::days(300));
    let wrong = s.present(&cred, &dreq.client_id.as_string(), &greq.nonce);
    let refused = wallet::answer(&greq, &wrong).await;
    let outcome = r.service.store.transaction(&gid).await.unwrap().unwrap();
    assert_eq!(
        refused.status(),
        200,
        "the wallet's answer is taken, and judged"
    );
    let judged: serde_json::Value = serde_json::from_str(&outcome.outcome.unwrap()).unwrap();
    assert_eq!(
        judged["passed"], false,
        "a KB-JWT for another relying party passed"
    );
    assert_eq!(judged["report"]["error"]["code"], "kb_aud_mismatch");

    // Bound to Globex's own client id, it passes, and only Globex sees it.
    let (gid2, glink2) = start(&r, &globex).await;
    let greq2 = wallet::request_from_link(&r, &glink2).await;
    let right = s.present(&cred, &greq2.client_id.as_string(), &greq2.nonce);
    assert_eq!(wallet::answer(&greq2, &right).await.status(), 200);
    let t = r.service.store.transaction(&gid2).await.unwrap().unwrap();
    assert!(t.outcome.unwrap().contains("\"passed\":true"));
    assert_eq!(t.org_id, "globex");
    for (c, id, want) in [
        (&globex, &gid2, 200),
        (&common::client(), &gid2, 404),
        (&globex, &did, 404),
    ] {
        let got = c
            .get(format!("{}/checks/{id}", r.base))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(got.as_u16(), want);
    }
}

#[tokio::test]
async fn an_employers_certificate_and_client_id_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let dev = verifier::oid4vp::RequestSigner::dev(dir.path(), "localhost", false).unwrap();
    let first =
        verifier::oid4vp::RequestSigner::organisation(dir.path(), "acme", "Acme plc", "localhost")
            .unwrap();
    let again =
        verifier::oid4vp::RequestSigner::organisation(dir.path(), "acme", "Acme plc", "localhost")
            .unwrap();
    assert_eq!(
        first.client_id, again.client_id,
        "the registered client id stays"
    );
    let other =
        verifier::oid4vp::RequestSigner::organisation(dir.path(), "globex", "Globex", "localhost")
            .unwrap();
    assert_ne!(first.client_id, other.client_id);
    assert_eq!(
        first.root.der(),
        dev.root.der(),
        "under the deployment's reader root"
    );
}

#[tokio::test]
async fn the_deployments_x509_hash_client_id_survives_a_restart() {
    use credentials::openid4vp::ClientId;
    let dir = tempfile::tempdir().unwrap();
    let first = verifier::oid4vp::RequestSigner::dev(dir.path(), "localhost", true).unwrap();
    let again = verifier::oid4vp::RequestSigner::dev(dir.path(), "localhost", true).unwrap();
    assert!(matches!(first.client_id, ClientId::X509Hash(_)));
    assert_eq!(
        first.client_id, again.client_id,
        "the registered client id stays"
    );
    // Another host is another certificate, and so another client id.
    let moved = verifier::oid4vp::RequestSigner::dev(dir.path(), "verifier.example", true).unwrap();
    assert_ne!(first.client_id, moved.client_id);
    assert_eq!(
        moved.chain[0].subject_alt_names().0,
        vec!["verifier.example".to_string()]
    );
}
