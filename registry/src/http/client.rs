//! A minimal HTTP/1.1 client for plain `http://` registry URLs (audit, tests): one request
//! per connection, `Connection: close`, bodies by length, chunked or to end of stream.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Only `http://host:port` URLs are supported.
    #[error("unsupported URL {0} (use http://host:port)")]
    Url(String),
    /// Network trouble.
    #[error("HTTP request to {url} failed: {source}")]
    Io {
        /// The URL.
        url: String,
        /// Why.
        source: std::io::Error,
    },
    /// The response is not HTTP.
    #[error("malformed HTTP response from {0}")]
    Malformed(String),
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

/// Sends one request to `base` + `path`.
pub async fn request(
    method: &str,
    base: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
) -> Result<HttpResponse, ClientError> {
    let url = format!("{}{}", base.trim_end_matches('/'), path);
    let rest = base
        .strip_prefix("http://")
        .ok_or_else(|| ClientError::Url(base.to_string()))?;
    let host = rest
        .trim_end_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let io = |source| ClientError::Io {
        url: url.clone(),
        source,
    };
    let mut stream = TcpStream::connect(host).await.map_err(io)?;
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: */*\r\n");
    if let Some(t) = bearer {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).await.map_err(io)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.map_err(io)?;
    parse(&raw).ok_or(ClientError::Malformed(url))
}

/// GET `base` + `path`.
pub async fn get(base: &str, path: &str) -> Result<HttpResponse, ClientError> {
    request("GET", base, path, None, None).await
}

fn parse(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut chunked = false;
    for l in lines {
        let (k, v) = l.split_once(':')?;
        if k.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
    }
    let mut body = raw[split + 4..].to_vec();
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n")?;
            let n = usize::from_str_radix(
                std::str::from_utf8(&rest[..eol])
                    .ok()?
                    .split(';')
                    .next()?
                    .trim(),
                16,
            )
            .ok()?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(rest.get(eol + 2..eol + 2 + n)?);
            rest = rest.get(eol + 4 + n..)?;
        }
        body = out;
    }
    Some(HttpResponse { status, body })
}
