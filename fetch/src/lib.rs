//! The one outbound HTTP client of Vouch: every network read a service or the wallet makes
//! on behalf of someone else's input (a status list URL in a credential, a `did:web` host, a
//! request object URI, an offer, issuer metadata, a register snapshot) goes through a
//! [`Fetcher`], so that input from outside cannot turn a Vouch process into a proxy into
//! the network it runs in (SSRF).
//!
//! The crate is this one file; it declares no public module (only the private, test-only
//! `tests`). Its items:
//!
//! - [`Fetcher`]: the client; [`Fetcher::get`] fetches, [`Fetcher::request`] builds a request.
//! - [`FetchPolicy`]: what a fetcher allows (origins, size and time caps; `from_env`).
//! - [`Fetched`]: a fetched body.
//! - [`FetchError`]: which rule stopped a fetch.
//! - [`is_public`]: whether an address is public.
//!
//! What a [`Fetcher`] refuses, whatever the URL says:
//!
//! - any scheme but `https` (plain `http` only for the origins a deployment allows, see
//!   [`FetchPolicy::allowed_origins`]);
//! - any address that is not public, **by resolved IP** (loopback, private, link-local,
//!   unique-local, shared, multicast, unspecified, and IPv4-mapped forms of them), so a
//!   public name that resolves inward is refused too;
//! - redirects (a `3xx` is an error, never followed);
//! - bodies over [`FetchPolicy::max_bytes`] (counted as they stream, whatever
//!   `Content-Length` says), connections slower than [`FetchPolicy::connect_timeout`],
//!   and whole fetches longer than [`FetchPolicy::timeout`].
//!
//! Its errors ([`FetchError`]) say which rule stopped the fetch and nothing of what the
//! other side answered: the detail goes to the log, not back to whoever supplied the URL.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// What a [`Fetcher`] allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Origins (`scheme://host:port`) fetched even over plain HTTP or at non-public
    /// addresses: a deployment's own services (`vouch up` allows exactly its own).
    pub allowed_origins: Vec<String>,
    /// Largest body, bytes.
    pub max_bytes: usize,
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time for the whole fetch, body included.
    pub timeout: Duration,
    /// Every loopback origin counts as allowed (plain HTTP included). Never read from the
    /// environment: only for tests and single-machine runs whose servers take whatever
    /// loopback port is free.
    pub any_loopback_origin: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allowed_origins: Vec::new(),
            max_bytes: 2 * 1024 * 1024,
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            any_loopback_origin: false,
        }
    }
}

impl FetchPolicy {
    /// The defaults, with `VOUCH_FETCH_ALLOW_ORIGINS` (comma-separated origins) added to
    /// [`FetchPolicy::allowed_origins`].
    pub fn from_env() -> Self {
        let mut p = FetchPolicy::default();
        if let Ok(v) = std::env::var("VOUCH_FETCH_ALLOW_ORIGINS") {
            p.allowed_origins = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .filter_map(origin_of)
                .collect();
        }
        p
    }

    /// The defaults, with `origins` (`scheme://host[:port]`, normalised) allowed.
    pub fn allowing<S: AsRef<str>>(origins: impl IntoIterator<Item = S>) -> Self {
        FetchPolicy {
            allowed_origins: origins
                .into_iter()
                .filter_map(|o| origin_of(o.as_ref().trim()))
                .collect(),
            ..FetchPolicy::default()
        }
    }

    /// With `max_bytes` as the body cap.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
}

/// Why a fetch was refused or failed: the rule, never the other side's answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Not a URL this fetcher may read (scheme, or an address that is not public).
    #[error("the URL is not one this service fetches")]
    NotAllowed,
    /// No connection, or no answer in time.
    #[error("the resource could not be reached")]
    Unreachable,
    /// An answer other than 200.
    #[error("the resource could not be fetched")]
    Status,
    /// A redirect (never followed).
    #[error("the resource answered with a redirect, which is not followed")]
    Redirect,
    /// The body was larger than allowed.
    #[error("the resource is larger than allowed")]
    TooLarge,
}

impl FetchError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::NotAllowed => "fetch_not_allowed",
            FetchError::Unreachable => "fetch_unreachable",
            FetchError::Status => "fetch_failed",
            FetchError::Redirect => "fetch_redirect",
            FetchError::TooLarge => "fetch_too_large",
        }
    }
}

/// What a fetch returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // 6to4 (2002::/16) carries an IPv4 address that relays deliver to: public only
            // if that address is.
            if s[0] == 0x2002 {
                return is_public_v4(Ipv4Addr::new(
                    (s[1] >> 8) as u8,
                    s[1] as u8,
                    (s[2] >> 8) as u8,
                    s[2] as u8,
                ));
            }
            // IPv4-compatible (::a.b.c.d, deprecated) likewise.
            if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
                return false;
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside)
                || (s[0] == 0x2001 && s[1] == 0x0000) // Teredo 2001::/32 (tunnels to an inner host)
                || s[0] == 0x0100 && s[1..4] == [0, 0, 0] // discard-only 100::/64
                || (s[0] == 0x0064 && s[1] == 0xff9b)) // NAT64 (may reach inward)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || o[0] >= 240) // reserved
}

/// `scheme://host:port` of a URL (default ports made explicit).
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    let port = u.port_or_known_default()?;
    Some(format!("{}://{}:{}", u.scheme(), host, port))
}

/// Resolves names and keeps only public addresses (none left: the fetch is refused).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                tracing::warn!(host = %host, "fetch refused: the name resolves to no public address");
                return Err("no public address".into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The outbound client.
#[derive(Clone)]
pub struct Fetcher {
    /// For public URLs: resolves to public addresses only.
    public: reqwest::Client,
    /// For the allowed origins.
    trusted: reqwest::Client,
    policy: Arc<FetchPolicy>,
}

impl Fetcher {
    /// A fetcher under `policy`.
    pub fn new(policy: FetchPolicy) -> Self {
        let base = || {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(policy.connect_timeout)
                .timeout(policy.timeout)
                .user_agent("vouch")
        };
        Fetcher {
            // No proxy from the environment: a proxy would resolve the name itself, past
            // the public-address check.
            public: base()
                .no_proxy()
                .dns_resolver(Arc::new(PublicOnly))
                .https_only(true)
                .build()
                .expect("a reqwest client builds"),
            // The deployment's own origins are reached directly too: a proxy from the
            // environment would see (and could alter) the scheme's internal traffic.
            trusted: base().no_proxy().build().expect("a reqwest client builds"),
            policy: Arc::new(policy),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Which client may fetch `url`, or why none may.
    fn client_for(&self, url: &str) -> Result<&reqwest::Client, FetchError> {
        let u = url::Url::parse(url).map_err(|_| FetchError::NotAllowed)?;
        if let Some(o) = origin_of(url) {
            if self.policy.allowed_origins.contains(&o) {
                return Ok(&self.trusted);
            }
        }
        if self.policy.any_loopback_origin
            && matches!(u.scheme(), "http" | "https")
            && match u.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            }
        {
            return Ok(&self.trusted);
        }
        if u.scheme() != "https" || !u.username().is_empty() || u.password().is_some() {
            return Err(FetchError::NotAllowed);
        }
        match u.host() {
            Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => Err(FetchError::NotAllowed),
            Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => Err(FetchError::NotAllowed),
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
                Err(FetchError::NotAllowed)
            }
            Some(_) => Ok(&self.public),
            None => Err(FetchError::NotAllowed),
        }
    }

    /// A request to `url` on the client the policy allows for it (its resolver refuses
    /// non-public addresses; no redirects, no environment proxy, the policy's timeouts), or
    /// why none may be sent. For protocol exchanges that need their own method, headers and
    /// error bodies (OAuth, OpenID4VCI, OpenID4VP); the caller caps what it reads.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, FetchError> {
        let client = self.client_for(url).inspect_err(|_| {
            tracing::warn!(url = %redact(url), "request refused by policy");
        })?;
        Ok(client.request(method, url))
    }

    /// `GET url` with `Accept: accept`.
    pub async fn get(&self, url: &str, accept: &str) -> Result<Fetched, FetchError> {
        let client = self.client_for(url).inspect_err(|_| {
            tracing::warn!(url = %redact(url), "fetch refused by policy");
        })?;
        self.read(client.get(url).header("accept", accept), url)
            .await
    }

    async fn read(&self, req: reqwest::RequestBuilder, url: &str) -> Result<Fetched, FetchError> {
        let mut resp = req.send().await.map_err(|e| {
            tracing::warn!(url = %redact(url), error = %e.without_url(), "fetch failed");
            FetchError::Unreachable
        })?;
        let status = resp.status();
        if status.is_redirection() {
            tracing::warn!(url = %redact(url), status = status.as_u16(), "fetch refused: redirect");
            return Err(FetchError::Redirect);
        }
        if !status.is_success() {
            tracing::warn!(url = %redact(url), status = status.as_u16(), "fetch failed");
            return Err(FetchError::Status);
        }
        let max = self.policy.max_bytes;
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(FetchError::TooLarge);
        }
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if body.len() + c.len() > max {
                        tracing::warn!(url = %redact(url), max, "fetch refused: body too large");
                        return Err(FetchError::TooLarge);
                    }
                    body.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(url = %redact(url), error = %e.without_url(), "fetch failed while reading");
                    return Err(FetchError::Unreachable);
                }
            }
        }
        Ok(Fetched { content_type, body })
    }
}

/// A URL as logs may show it: origin and path, no query (it may carry bearer values).
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.path()
        ),
        Err(_) => "(not a URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "2002:7f00:1::1",
            "2002:a00:1::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "100::1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "2002:5db8:d822::1", // 6to4 of a public address
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_https_to_public_hosts_unless_the_origin_is_allowed() {
        let f = Fetcher::new(FetchPolicy {
            allowed_origins: vec!["http://127.0.0.1:7071".into()],
            ..FetchPolicy::default()
        });
        for bad in [
            "http://example.com/x",
            "https://127.0.0.1/x",
            "https://10.0.0.5:8443/admin",
            "https://[::1]/x",
            "https://localhost/x",
            "http://127.0.0.1:7072/admin",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "not a url",
        ] {
            assert_eq!(
                f.client_for(bad).err(),
                Some(FetchError::NotAllowed),
                "{bad}"
            );
        }
        assert!(f.client_for("https://example.com/status/1").is_ok());
        assert!(f.client_for("http://127.0.0.1:7071/status/1").is_ok());
    }
}
