//! The audit's client reaches a registry over HTTPS, and checks its certificate.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vouch_registry::http::client::{Client, ClientError};

/// A TLS server for `localhost` with a fresh self-signed certificate, answering every request
/// with the same JSON; returns its base URL and the certificate (PEM).
async fn https_server() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(ck.cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client refusing the certificate ends the handshake: nothing to answer.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"status":"ok"}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}"), ck.cert.pem())
}

#[tokio::test]
async fn fetches_over_https_and_checks_the_certificate() {
    let (url, pem) = https_server().await;

    let trusting = Client::with_root_certificates(pem.as_bytes()).unwrap();
    let r = trusting.get(&url, "/healthz").await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["status"], "ok");

    // Without the certificate among its roots, the client refuses the server.
    let err = Client::new()
        .unwrap()
        .get(&url, "/healthz")
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Request { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
}
