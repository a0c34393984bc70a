//! Issue 16: every network read of the wallet goes through the one outbound fetcher. A link
//! from a QR code cannot make the wallet reach the person's local network: offers, request
//! objects and metadata on loopback or private addresses are refused before any connection
//! (by default the wallet sends to public HTTPS addresses only), and an origin the
//! deployment allows is reached.

use std::sync::atomic::Ordering;

use wallet_core::keystore::{Argon2Cost, PassphraseKeyStore};
use wallet_core::Wallet;

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn wallet(dir: &std::path::Path) -> Wallet {
    Wallet::open(
        dir,
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn offers_and_requests_on_loopback_or_private_addresses_are_refused_before_connecting() {
    let (port, conns) = vouch_ops::loopback::counting_port().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path()).await;
    for target in [
        format!("http://127.0.0.1:{port}/offer"),
        format!("https://127.0.0.1:{port}/offer"),
        format!("http://localhost:{port}/offer"),
        "https://10.0.0.7/offer".to_string(),
        "https://192.168.1.1/offer".to_string(),
        "https://169.254.169.254/latest/meta-data".to_string(),
        "https://[::1]/offer".to_string(),
    ] {
        let offer = format!(
            "openid-credential-offer://?credential_offer_uri={}",
            enc(&target)
        );
        let e = w.accept_offer(&offer, None).await.unwrap_err();
        assert!(e.to_string().contains("fetch_not_allowed"), "{target}: {e}");
        let link = format!(
            "openid4vp://?client_id={}&request_uri={}",
            enc("redirect_uri:https://verifier.example/cb"),
            enc(&target)
        );
        let e = w.prepare_presentation(&link).await.unwrap_err();
        assert!(e.to_string().contains("fetch_not_allowed"), "{target}: {e}");
    }
    assert_eq!(conns.load(Ordering::SeqCst), 0, "the wallet connected");

    // Control: the same wallet under a policy allowing that origin does connect.
    w.set_fetch_policy(vouch_fetch::FetchPolicy {
        allowed_origins: vec![format!("http://127.0.0.1:{port}")],
        ..Default::default()
    });
    let offer = format!(
        "openid-credential-offer://?credential_offer_uri={}",
        enc(&format!("http://127.0.0.1:{port}/offer"))
    );
    let e = w.accept_offer(&offer, None).await.unwrap_err();
    assert!(!e.to_string().contains("fetch_not_allowed"), "{e}");
    assert!(conns.load(Ordering::SeqCst) >= 1);
}
