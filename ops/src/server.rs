//! The one HTTP server every Vouch service runs: an accept loop with connection limits and
//! timeouts in front of the service's router, and the layers every answer gets.
//!
//! What it holds against (each bound configurable through [`Limits`]):
//!
//! - **Connection exhaustion**: at most [`Limits::max_connections`] open connections, and at
//!   most [`Limits::max_connections_per_ip`] from one address; a connection over either is
//!   closed as soon as it is accepted, so one client cannot take the file descriptors that
//!   `/healthz` and everyone else need.
//! - **Slow and idle clients**: a request head must arrive within
//!   [`Limits::header_read_timeout`] of the connection (or of the previous response, for a
//!   kept-alive connection waiting for its next request); a connection silent for
//!   [`Limits::idle_timeout`] in the middle of a request is closed.
//! - **Slow handlers and floods**: each request has [`Limits::request_timeout`] (then `408`);
//!   at most [`Limits::max_concurrent_requests`] are handled at once (the rest wait their
//!   turn); `POST`s are rate limited per client address ([`RateLimit`]; `429` with
//!   `Retry-After`), and the limit can be switched off for load drivers
//!   (`VOUCH_RATE_LIMIT=off`).
//! - **Browsers**: every answer carries `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: same-origin`, a `Content-Security-Policy` with
//!   `frame-ancestors 'none'`, and `Cache-Control: no-store` unless the handler set its own
//!   caching (pages and answers with personal data are never cached; public, signed
//!   documents such as status lists say `max-age` themselves).
//!
//! Maintained parts do the work: `hyper` (HTTP/1 with its header-read timer), `hyper-util`
//! (graceful shutdown), `tokio-io-timeout` (silence on a connection), `tower` (concurrency),
//! `tower-http` (timeouts, headers), `governor` (per-address rate limits).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt as _;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::shutdown::DRAIN;

/// Per-address rate limit of `POST` requests: a sustained rate and a burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

/// The bounds a service holds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections from one address.
    pub max_connections_per_ip: usize,
    /// Time to send a request head (and, kept alive, the next one).
    pub header_read_timeout: Duration,
    /// Silence allowed in the middle of a request.
    pub idle_timeout: Duration,
    /// Time to answer a request.
    pub request_timeout: Duration,
    /// Requests handled at once.
    pub max_concurrent_requests: usize,
    /// Per-address rate limit of `POST`s; `None` for load drivers and benchmarks.
    pub rate_limit: Option<RateLimit>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_connections_per_ip: 256,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            rate_limit: Some(RateLimit {
                per_second: 50,
                burst: 200,
            }),
        }
    }
}

impl Limits {
    /// The defaults, with what the environment overrides: `VOUCH_RATE_LIMIT=off` (or
    /// `PER_SECOND[/BURST]`), `VOUCH_MAX_CONNECTIONS`, `VOUCH_MAX_CONNECTIONS_PER_IP`,
    /// `VOUCH_HEADER_TIMEOUT_SECS`, `VOUCH_IDLE_TIMEOUT_SECS`, `VOUCH_REQUEST_TIMEOUT_SECS`.
    pub fn from_env() -> Self {
        let mut l = Limits::default();
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(n) = num("VOUCH_MAX_CONNECTIONS") {
            l.max_connections = n.max(1) as usize;
        }
        if let Some(n) = num("VOUCH_MAX_CONNECTIONS_PER_IP") {
            l.max_connections_per_ip = n.max(1) as usize;
        }
        if let Some(n) = num("VOUCH_HEADER_TIMEOUT_SECS") {
            l.header_read_timeout = Duration::from_secs(n.max(1));
        }
        if let Some(n) = num("VOUCH_IDLE_TIMEOUT_SECS") {
            l.idle_timeout = Duration::from_secs(n.max(1));
        }
        if let Some(n) = num("VOUCH_REQUEST_TIMEOUT_SECS") {
            l.request_timeout = Duration::from_secs(n.max(1));
        }
        if let Ok(v) = std::env::var("VOUCH_RATE_LIMIT") {
            let v = v.trim();
            if v.eq_ignore_ascii_case("off") {
                l.rate_limit = None;
            } else {
                let mut parts = v.split('/').map(|p| p.trim().parse::<u32>().ok());
                if let (Some(Some(per_second)), burst) = (parts.next(), parts.next()) {
                    l.rate_limit = Some(RateLimit {
                        per_second: per_second.max(1),
                        burst: burst.flatten().unwrap_or(per_second * 4).max(1),
                    });
                }
            }
        }
        l
    }
}

/// Open connections, in all and per address.
#[derive(Default)]
struct Connections {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it frees its place.
struct Admitted {
    conns: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &Limits) -> Option<Admitted> {
        let mut g = self.open.lock().ok()?;
        let (total, per_ip) = &mut *g;
        let mine = per_ip.get(&ip).copied().unwrap_or(0);
        if *total >= limits.max_connections || mine >= limits.max_connections_per_ip {
            return None;
        }
        *total += 1;
        per_ip.insert(ip, mine + 1);
        Some(Admitted {
            conns: self.clone(),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Ok(mut g) = self.conns.open.lock() {
            let (total, per_ip) = &mut *g;
            *total = total.saturating_sub(1);
            if let Some(n) = per_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    per_ip.remove(&self.ip);
                }
            }
        }
    }
}

type Limiter = Arc<DefaultKeyedRateLimiter<IpAddr>>;

async fn rate_limit(State(limiter): State<Limiter>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST {
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = ip {
            if let Err(not_until) = limiter.check_key(&ip) {
                let wait = not_until
                    .wait_time_from(governor::clock::Clock::now(
                        &governor::clock::DefaultClock::default(),
                    ))
                    .as_secs()
                    .max(1);
                metrics::counter!("vouch_rate_limited_total").increment(1);
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, wait.to_string())],
                    axum::Json(serde_json::json!({
                        "error": "rate_limited",
                        "error_description": "too many requests from this address; try again later"
                    })),
                )
                    .into_response();
            }
        }
    }
    next.run(req).await
}

/// The Content-Security-Policy of every answer: nothing from elsewhere, never framed.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `app` with the layers every answer gets: security headers, `no-store` unless the
/// handler chose its caching, the request timeout, the concurrency bound and the rate limit.
pub fn harden(app: Router, limits: &Limits) -> Router {
    let mut app = app;
    if let Some(r) = limits.rate_limit {
        let quota = Quota::per_second(NonZeroU32::new(r.per_second.max(1)).expect("non-zero"))
            .allow_burst(NonZeroU32::new(r.burst.max(1)).expect("non-zero"));
        let limiter: Limiter = Arc::new(RateLimiter::keyed(quota));
        app = app.layer(middleware::from_fn_with_state(limiter, rate_limit));
    }
    app.layer(tower::limit::GlobalConcurrencyLimitLayer::new(
        limits.max_concurrent_requests.max(1),
    ))
    .layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::REFERRER_POLICY,
        // Nothing to other sites; same-origin navigations keep theirs, so a browser's form
        // post carries its real `Origin` (under `no-referrer` it would say `null`).
        HeaderValue::from_static("same-origin"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
}

/// Serves `app` (hardened by [`harden`]) on `listener` under `limits` until `stop`
/// resolves; then stops accepting and waits for the requests in flight (at most
/// [`DRAIN`]).
pub async fn serve_hardened(
    listener: tokio::net::TcpListener,
    app: Router,
    service: &'static str,
    limits: Limits,
    stop: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = harden(app, &limits);
    let conns = Arc::new(Connections::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors (EMFILE) or a connection reset before accept: wait a
                    // moment rather than spin.
                    tracing::warn!(service, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let Some(admitted) = conns.admit(peer.ip(), &limits) else {
            metrics::counter!("vouch_connections_refused_total").increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut timed = tokio_io_timeout::TimeoutStream::new(stream);
        timed.set_read_timeout(Some(limits.idle_timeout));
        timed.set_write_timeout(Some(limits.idle_timeout));
        let io = TokioIo::new(Box::pin(timed));
        let svc = app
            .clone()
            .map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(axum::body::Body::new)
            });
        let conn = builder.serve_connection(io, TowerToHyperService::new(svc));
        let watched = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = watched.await;
            drop(admitted);
        });
    }
    drop(listener);
    tracing::info!(service, "no longer accepting; finishing requests in flight");
    tokio::select! {
        _ = graceful.shutdown() => {
            tracing::info!(service, "stopped");
        }
        _ = tokio::time::sleep(DRAIN) => {
            tracing::warn!(service, seconds = DRAIN.as_secs(), "requests still in flight after the drain period; stopping anyway");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpSocket, TcpStream};

    fn app() -> Router {
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/write", post(|| async { "written" }))
            .route(
                "/cached",
                get(|| async { ([(header::CACHE_CONTROL, "max-age=60")], "public") }),
            )
    }

    async fn start(limits: Limits) -> SocketAddr {
        let listener = crate::loopback::listener().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_hardened(
            listener,
            app(),
            "unit",
            limits,
            std::future::pending(),
        ));
        addr
    }

    async fn connect_from(source: [u8; 4], to: SocketAddr) -> TcpStream {
        let s = TcpSocket::new_v4().unwrap();
        s.bind(SocketAddr::from((source, 0))).unwrap();
        s.connect(to).await.unwrap()
    }

    /// A whole request on a fresh connection; the raw answer.
    async fn request(to: SocketAddr, text: &str) -> String {
        let mut c = TcpStream::connect(to).await.unwrap();
        c.write_all(text.as_bytes()).await.unwrap();
        let mut out = String::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_string(&mut out)).await;
        out
    }

    /// Whether the server closed `c` within `within` (EOF or reset).
    async fn closed(c: &mut TcpStream, within: Duration) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(within, c.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    #[tokio::test]
    async fn a_connection_over_the_per_address_cap_is_closed_and_others_are_served() {
        let addr = start(Limits {
            max_connections_per_ip: 3,
            ..Limits::default()
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(connect_from([127, 0, 0, 2], addr).await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut fourth = connect_from([127, 0, 0, 2], addr).await;
        assert!(closed(&mut fourth, Duration::from_secs(2)).await);
        // Another address is served.
        let out = request(
            addr,
            "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        // A place frees when a held connection goes.
        held.pop();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut again = connect_from([127, 0, 0, 2], addr).await;
        again
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        again.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }

    #[tokio::test]
    async fn silent_and_slow_header_connections_are_closed_by_the_header_timeout() {
        let addr = start(Limits {
            header_read_timeout: Duration::from_secs(1),
            ..Limits::default()
        })
        .await;
        let mut silent = TcpStream::connect(addr).await.unwrap();
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        // The slow client keeps dribbling header lines: the timer runs from the start.
        let dribble = async {
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if slow.write_all(b"x-a: b\r\n").await.is_err() {
                    break;
                }
            }
        };
        dribble.await;
        assert!(closed(&mut silent, Duration::from_secs(2)).await, "silent");
        assert!(closed(&mut slow, Duration::from_secs(2)).await, "slow");
        // A kept-alive connection is closed when it stays idle past the timeout.
        let mut kept = TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = kept.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        assert!(
            closed(&mut kept, Duration::from_secs(3)).await,
            "kept-alive"
        );
    }

    #[tokio::test]
    async fn posts_over_the_rate_are_refused_with_429_and_retry_after() {
        let addr = start(Limits {
            rate_limit: Some(RateLimit {
                per_second: 1,
                burst: 2,
            }),
            ..Limits::default()
        })
        .await;
        let post =
            "POST /write HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert!(request(addr, post).await.starts_with("HTTP/1.1 200"));
        assert!(request(addr, post).await.starts_with("HTTP/1.1 200"));
        let third = request(addr, post).await;
        assert!(third.starts_with("HTTP/1.1 429"), "{third}");
        assert!(third.to_lowercase().contains("retry-after: "), "{third}");
        // Reads are not rate limited.
        let get = "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
        assert!(request(addr, get).await.starts_with("HTTP/1.1 200"));
    }

    #[tokio::test]
    async fn every_answer_carries_the_security_headers_and_no_store_unless_cached() {
        let addr = start(Limits::default()).await;
        let out = request(
            addr,
            "GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await
        .to_lowercase();
        for h in [
            "x-content-type-options: nosniff",
            "referrer-policy: same-origin",
            "frame-ancestors 'none'",
            "cache-control: no-store",
            "x-frame-options: deny",
        ] {
            assert!(out.contains(h), "{h} in {out}");
        }
        let cached = request(
            addr,
            "GET /cached HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await
        .to_lowercase();
        assert!(cached.contains("cache-control: max-age=60"), "{cached}");
        assert!(!cached.contains("no-store"), "{cached}");
    }
}
