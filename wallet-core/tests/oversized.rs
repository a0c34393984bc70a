//! A verifier or issuer cannot make the wallet hold more than it needs: a request object of
//! 1 GiB, or an issuer's metadata without end, is refused after the wallet's cap, quickly
//! and without growing the process. (On main the wallet read a 1 GiB `request_uri` body
//! whole and grew to 2.3 GB.)

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::stream;
use wallet_core::keystore::{Argon2Cost, PassphraseKeyStore};
use wallet_core::Wallet;

fn endless() -> impl IntoResponse {
    // 1 GiB in 1 MiB chunks, no Content-Length: the reader must count.
    let chunk = Bytes::from(vec![b'a'; 1 << 20]);
    Body::from_stream(stream::iter(
        (0..1024).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    ))
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_gigabyte_request_object_or_metadata_is_refused_at_the_cap() {
    let app = Router::new()
        .route("/request", get(|| async { endless() }))
        .route(
            "/.well-known/openid-credential-issuer",
            get(|| async { endless() }),
        );
    let l = vouch_ops::loopback::listener().await.unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(l, app).await });
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::open(
        dir.path(),
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
    )
    .await
    .unwrap();
    // The test's servers are on loopback ports.
    w.set_fetch_policy(vouch_fetch::FetchPolicy {
        any_loopback_origin: true,
        ..Default::default()
    });
    let before = rss_kib();
    let t = Instant::now();
    let link = format!(
        "openid4vp://?client_id=redirect_uri%3A{0}%2Fresponse&request_uri={0}%2Frequest",
        base.replace(':', "%3A").replace('/', "%2F")
    );
    let e = w.prepare_presentation(&link).await.unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
    let offer = format!(
        "openid-credential-offer://?credential_offer={}",
        url_encode(&format!(
            r#"{{"credential_issuer":"{base}","credential_configuration_ids":["x"],"grants":{{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{{"pre-authorized_code":"c"}}}}}}"#
        ))
    );
    let e = w.accept_offer(&offer, None).await.unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let grew = rss_kib().saturating_sub(before);
    assert!(grew < 200 * 1024, "the wallet grew by {grew} KiB");
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
