//! Prometheus metrics: one recorder per process (the `metrics` facade with the Prometheus
//! exporter), a layer that counts and times every request by route template, and the
//! text exposition (`text/plain; version=0.0.4`) for `GET /metrics`.
//!
//! Domain counters use the re-exported macros, after [`install`] (which [`layer`] calls):
//! `vouch_ops::metrics::counter!("vouch_verifier_verifications_total", "outcome" => "passed").increment(1)`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub use ::metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge};

/// Requests answered, by service, route template, method and status.
pub const HTTP_REQUESTS: &str = "vouch_http_requests_total";
/// Seconds from request to response headers, by service, route template and method.
pub const HTTP_DURATION: &str = "vouch_http_request_duration_seconds";
/// Requests being answered now, by service.
pub const HTTP_IN_FLIGHT: &str = "vouch_http_requests_in_flight";

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Route label of a request that matched no route (its raw path is never a label).
pub const UNMATCHED: &str = "unmatched";

const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs this process's Prometheus recorder (once; later calls return the same handle).
/// If another recorder was installed first, metrics go there and [`render`] shows none.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe_counter!(
            HTTP_REQUESTS,
            "HTTP requests answered, by service, route template, method and status."
        );
        describe_histogram!(
            HTTP_DURATION,
            ::metrics::Unit::Seconds,
            "Time from request to response headers, by service, route template and method."
        );
        describe_gauge!(HTTP_IN_FLIGHT, "HTTP requests being answered now.");
        handle
    })
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    let h = install();
    h.run_upkeep();
    h.render()
}

/// `GET /metrics`: [`render`] with its content type.
pub async fn handler() -> Response {
    response(String::new())
}

/// A `/metrics` answer: `extra` (a service's own families, already in the text format)
/// followed by [`render`].
pub fn response(mut extra: String) -> Response {
    extra.push_str(&render());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], extra).into_response()
}

/// Counts and times every request of `router` under `service`. Add it after the routes
/// (route templates are known only to requests that reached a route).
pub fn layer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    service: &'static str,
) -> Router<S> {
    install();
    router.layer(axum::middleware::from_fn_with_state(service, track))
}

/// A method as a label: the standard ones by name, anything else as `other`.
pub fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

async fn track(State(service): State<&'static str>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| UNMATCHED.to_string());
    let method = method_label(req.method());
    let in_flight = gauge!(HTTP_IN_FLIGHT, "service" => service);
    in_flight.increment(1.0);
    let start = Instant::now();
    let resp = next.run(req).await;
    let elapsed = start.elapsed();
    in_flight.decrement(1.0);
    let status = resp.status().as_u16();
    counter!(HTTP_REQUESTS, "service" => service, "route" => route.clone(), "method" => method, "status" => status.to_string())
        .increment(1);
    ::metrics::histogram!(HTTP_DURATION, "service" => service, "route" => route.clone(), "method" => method)
        .record(elapsed.as_secs_f64());
    let ms = elapsed.as_secs_f64() * 1000.0;
    if route == "/healthz" || route == "/metrics" {
        tracing::debug!(target: "vouch::http", service, route, method, status, ms, "request");
    } else if status >= 500 {
        tracing::warn!(target: "vouch::http", service, route, method, status, ms, "request");
    } else {
        tracing::info!(target: "vouch::http", service, route, method, status, ms, "request");
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
        text.lines()
            .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
            .find_map(|l| l.rsplit(' ').next()?.parse().ok())
    }

    #[tokio::test]
    async fn counts_requests_by_route_template_never_the_raw_path() {
        let app = layer(
            Router::new()
                .route("/things/{id}", get(|| async { "ok" }))
                .route("/metrics", get(handler)),
            "unit",
        );
        for id in ["alice-123", "bob-456"] {
            let r = app
                .clone()
                .oneshot(
                    Request::get(format!("/things/{id}?name=Ada"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
        let _ = app
            .clone()
            .oneshot(Request::get("/nowhere/carol").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let r = app
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        let route = |r: &str| format!("route=\"{r}\"");
        let things = route("/things/{id}");
        let labels = ["service=\"unit\"", things.as_str(), "status=\"200\""];
        assert_eq!(sample(&text, HTTP_REQUESTS, &labels), Some(2.0), "{text}");
        let unmatched = route(UNMATCHED);
        assert_eq!(
            sample(
                &text,
                HTTP_REQUESTS,
                &["service=\"unit\"", unmatched.as_str(), "status=\"404\""]
            ),
            Some(1.0)
        );
        for secret in ["alice", "bob", "carol", "Ada"] {
            assert!(
                !text.contains(secret),
                "{secret} leaked into metrics:\n{text}"
            );
        }
        assert!(
            text.contains(&format!("# TYPE {HTTP_DURATION} histogram")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{HTTP_DURATION}_bucket{{")),
            "{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {HTTP_REQUESTS} counter")),
            "{text}"
        );
    }

    #[test]
    fn unknown_methods_are_one_label() {
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&Method::POST), "POST");
    }
}
