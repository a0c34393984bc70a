//! What someone else's URL cannot make a Vouch process do: reach loopback or private
//! services, follow a redirect, read a gigabyte, or hang on a slow body. Each server here is
//! a real local one; only the origins a test names are allowed (as `vouch up` allows its own).

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::stream;
use vouch_fetch::{FetchError, FetchPolicy, Fetcher};

async fn serve(app: Router) -> String {
    let l = vouch_ops::loopback::listener().await.unwrap();
    let origin = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(l, app).await });
    origin
}

fn app() -> Router {
    Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/admin", get(|| async { "secret admin page" }))
        .route(
            "/redirect",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "http://10.0.0.1/")]) }),
        )
        .route(
            "/huge",
            get(|| async {
                // 1 GiB in 1 MiB chunks, no Content-Length: the reader must count.
                let chunk = Bytes::from(vec![b'x'; 1 << 20]);
                let s =
                    stream::iter((0..1024).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
                Body::from_stream(s).into_response()
            }),
        )
        .route(
            "/slow",
            get(|| async {
                // One byte, then nothing ever: only the reader's own timeout ends it.
                let s = stream::unfold(0u32, |n| async move {
                    if n > 0 {
                        std::future::pending::<()>().await;
                    }
                    (n < 2).then(|| (Ok::<_, std::io::Error>(Bytes::from_static(b"x")), n + 1))
                });
                Body::from_stream(s).into_response()
            }),
        )
}

fn fetcher(allowed: &[&str]) -> Fetcher {
    Fetcher::new(FetchPolicy {
        allowed_origins: allowed.iter().map(|s| s.to_string()).collect(),
        max_bytes: 64 * 1024,
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(2),
        any_loopback_origin: false,
    })
}

#[tokio::test]
async fn loopback_and_private_services_are_not_reachable_through_someone_elses_url() {
    let inside = serve(app()).await;
    let f = fetcher(&[]);
    let port = inside.rsplit(':').next().unwrap();
    for url in [
        format!("{inside}/admin"),
        format!("https://127.0.0.1:{port}/admin"),
        format!("https://localhost:{port}/admin"),
        format!("https://[::1]:{port}/admin"),
        "https://10.0.0.1/".into(),
        "https://169.254.169.254/latest/meta-data/".into(),
        "https://192.168.0.1/".into(),
        "https://[::ffff:127.0.0.1]/".into(),
        "http://example.com/".into(),
        "ftp://example.com/".into(),
    ] {
        let e = f.get(&url, "*/*").await.unwrap_err();
        assert_eq!(e, FetchError::NotAllowed, "{url}");
        // The caller learns the rule, not what (if anything) answered.
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}

#[tokio::test]
async fn an_allowed_origin_is_read_but_redirects_huge_and_slow_bodies_are_not() {
    let origin = serve(app()).await;
    let f = fetcher(&[&origin]);
    let ok = f.get(&format!("{origin}/ok"), "*/*").await.unwrap();
    assert_eq!(ok.body, b"fine");
    assert_eq!(
        f.get(&format!("{origin}/redirect"), "*/*").await,
        Err(FetchError::Redirect)
    );
    let t = Instant::now();
    assert_eq!(
        f.get(&format!("{origin}/huge"), "*/*").await,
        Err(FetchError::TooLarge)
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    let t = Instant::now();
    assert_eq!(
        f.get(&format!("{origin}/slow"), "*/*").await,
        Err(FetchError::Unreachable)
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // Another port of the same host is another origin: refused.
    let other = serve(app()).await;
    assert_eq!(
        f.get(&format!("{other}/admin"), "*/*").await,
        Err(FetchError::NotAllowed)
    );
}
