//! The HTTP client of the audit (and of the tests): `reqwest` with rustls, so a registry is
//! reached at an `https://` URL as well as at a plain `http://` one.
//!
//! - connections taking longer than [`CONNECT_TIMEOUT`], and requests (body included) longer
//!   than [`TIMEOUT`], fail;
//! - redirects are not followed (a `3xx` comes back as the response);
//! - loopback hosts (`localhost`, `127.0.0.0/8`, `::1`) are reached directly; other hosts
//!   through the proxy the environment names (`HTTPS_PROXY`, `NO_PROXY`, ...), if any;
//! - server certificates are checked against the Mozilla roots (`webpki-roots`), plus any
//!   given to [`Client::with_root_certificates`].

use std::error::Error as _;
use std::net::IpAddr;
use std::time::Duration;

/// How long establishing a connection (TCP and TLS) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole request may take, the response body included.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Only `http://` and `https://` URLs with a host are supported.
    #[error("unsupported URL {0} (use http://host[:port] or https://host[:port])")]
    Url(String),
    /// Not an HTTP method.
    #[error("invalid HTTP method {0:?}")]
    Method(String),
    /// The root certificates given to [`Client::with_root_certificates`] are not PEM.
    #[error("invalid root certificates: {0}")]
    Certificate(String),
    /// The client could not be set up (its TLS configuration).
    #[error("cannot set up the HTTP client: {}", chain(.0))]
    Build(#[source] reqwest::Error),
    /// Network or TLS trouble, a timeout, or a malformed response.
    #[error("HTTP request to {url} failed: {}", chain(.source))]
    Request {
        /// The URL.
        url: String,
        /// Why.
        source: reqwest::Error,
    },
}

/// An error and its causes, `: `-separated (`reqwest` puts the useful part, e.g.
/// "Connection refused" or the certificate problem, in the causes).
fn chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// A response: status and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A client; it keeps connections open between requests, so one audit run uses one.
#[derive(Clone, Debug)]
pub struct Client {
    /// For loopback hosts: no proxy.
    direct: reqwest::Client,
    /// For the others: the environment's proxy, if any.
    proxied: reqwest::Client,
}

impl Client {
    /// A client trusting the Mozilla roots.
    pub fn new() -> Result<Self, ClientError> {
        Self::build(&[])
    }

    /// A client also trusting the certificates in `pem` (one or more PEM `CERTIFICATE`
    /// blocks), e.g. a private CA's.
    pub fn with_root_certificates(pem: &[u8]) -> Result<Self, ClientError> {
        let roots = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| ClientError::Certificate(chain(&e)))?;
        if roots.is_empty() {
            return Err(ClientError::Certificate("no PEM CERTIFICATE block".into()));
        }
        Self::build(&roots)
    }

    fn build(roots: &[reqwest::Certificate]) -> Result<Self, ClientError> {
        let builder = || {
            roots.iter().cloned().fold(
                reqwest::Client::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .timeout(TIMEOUT)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent("vouch"),
                reqwest::ClientBuilder::add_root_certificate,
            )
        };
        Ok(Client {
            direct: builder().no_proxy().build().map_err(ClientError::Build)?,
            proxied: builder().build().map_err(ClientError::Build)?,
        })
    }

    /// Sends one request to `base` + `path` (`base` may carry a path prefix); a body is
    /// sent as `application/json` (an empty one for a method other than `GET` without one).
    pub async fn request(
        &self,
        method: &str,
        base: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&str>,
    ) -> Result<HttpResponse, ClientError> {
        let bad = || ClientError::Url(base.to_string());
        let origin = reqwest::Url::parse(base).map_err(|_| bad())?;
        if !matches!(origin.scheme(), "http" | "https") || origin.host_str().is_none() {
            return Err(bad());
        }
        let full = format!("{}{}", base.trim_end_matches('/'), path);
        let url = reqwest::Url::parse(&full).map_err(|_| bad())?;
        let client = if url.host_str().is_some_and(is_loopback) {
            &self.direct
        } else {
            &self.proxied
        };
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| ClientError::Method(method.to_string()))?;
        let mut req = client
            .request(method.clone(), url)
            .header(reqwest::header::ACCEPT, "*/*");
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if body.is_some() || method != reqwest::Method::GET {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.unwrap_or("").to_string());
        }
        let failed = |source| ClientError::Request {
            url: full.clone(),
            source,
        };
        let response = req.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(failed)?.to_vec();
        Ok(HttpResponse { status, body })
    }

    /// GET `base` + `path`.
    pub async fn get(&self, base: &str, path: &str) -> Result<HttpResponse, ClientError> {
        self.request("GET", base, path, None, None).await
    }
}

/// Whether `host` (as a URL gives it: IPv6 in brackets) is this machine.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            host == "localhost" || host.ends_with(".localhost")
        }
    }
}

/// Sends one request to `base` + `path` with a client of its own (see [`Client::request`]).
pub async fn request(
    method: &str,
    base: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
) -> Result<HttpResponse, ClientError> {
    Client::new()?
        .request(method, base, path, bearer, body)
        .await
}

/// GET `base` + `path` with a client of its own.
pub async fn get(base: &str, path: &str) -> Result<HttpResponse, ClientError> {
    request("GET", base, path, None, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "localhost",
            "LocalHost.",
            "a.localhost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["10.0.0.1", "[::2]", "registry.example", "localhost.example"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[tokio::test]
    async fn refuses_other_schemes() {
        for base in ["ftp://host", "host:8080", "file:///etc", "http://"] {
            assert!(
                matches!(get(base, "/x").await, Err(ClientError::Url(_))),
                "{base}"
            );
        }
    }
}
