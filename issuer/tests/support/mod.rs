//! Shared test setup: an issuer over SQLite (or the PostgreSQL of VOUCH_TEST_DATABASE_URL)
//! in a temporary directory, a subject with verified attributes, offers through the admin API.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use issuer::wallet::{HttpResponse, Token, Transport, Wallet};
use issuer::{IssuerConfig, Shared};
use serde_json::{json, Value};

pub const ISSUER: &str = "https://issuer.test/tenant";

pub struct TestIssuer {
    pub issuer: Shared,
    pub router: axum::Router,
    pub dir: tempfile::TempDir,
}

pub fn config() -> IssuerConfig {
    let mut c = IssuerConfig::new(ISSUER);
    c.name = "Vouch Test IDSP".into();
    c.status_list_size = 4096;
    c
}

pub async fn issuer_with(config: IssuerConfig) -> TestIssuer {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("issuer.db").display());
    let issuer = issuer::open(config, &url, dir.path(), None).await.unwrap();
    // The test wallet is a registered client with its one redirect URI.
    issuer
        .store
        .register_client(
            &issuer::store::OAuthClient {
                client_id: "wallet-app".into(),
                name: "Test Wallet".into(),
                redirect_uris: vec!["https://wallet.example/cb".into()],
            },
            0,
        )
        .await
        .unwrap();
    let router = issuer::router(issuer.clone());
    TestIssuer {
        issuer,
        router,
        dir,
    }
}

pub async fn issuer() -> TestIssuer {
    issuer_with(config()).await
}

impl TestIssuer {
    pub fn wallet(&self) -> Wallet {
        Wallet::new(Transport::Router(self.router.clone()), ISSUER)
    }

    pub async fn admin(&self, method: &str, path: &str, body: Value) -> HttpResponse {
        Transport::Router(self.router.clone())
            .send(
                method,
                &format!("{ISSUER}{path}"),
                &[
                    (
                        "authorization",
                        format!("Bearer {}", self.issuer.admin_token),
                    ),
                    ("content-type", "application/json".into()),
                ],
                body.to_string().into_bytes(),
            )
            .await
    }

    pub async fn subject(&self, id: &str) {
        let r = self
            .admin(
                "PUT",
                &format!("/admin/subjects/{id}"),
                json!({"attributes": attributes(), "gpg45_profile": "M1B"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.json());
    }

    /// An offer for `configs`; returns the admin API's answer.
    pub async fn offer(&self, subject: &str, configs: &[&str], tx_code: bool) -> Value {
        let r = self
            .admin(
                "POST",
                "/admin/offers",
                json!({"subject_id": subject, "credential_configuration_ids": configs, "tx_code": tx_code}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        r.json()
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.issuer.store.count(table).await.unwrap()
    }

    /// Row counts of every table a request could write.
    pub async fn snapshot(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for t in [
            "offers",
            "access_tokens",
            "used_nonces",
            "dpop_jtis",
            "status_entries",
            "credentials",
            "notifications",
            "auth_codes",
            "par_requests",
        ] {
            out.push(self.count(t).await);
        }
        out
    }

    pub fn issuer_key(&self) -> credentials::keys::PublicKey {
        self.issuer.keys.active().signer.public_key().clone()
    }
}

pub fn attributes() -> Value {
    let rtw: Value = serde_json::from_str(include_str!(
        "../../../specs/examples/right-to-work.claims.json"
    ))
    .unwrap();
    json!({
        "given_name": "Ada",
        "family_name": "Lovelace",
        "birthdate": "1990-12-10",
        "birth_place": "London",
        "nationalities": ["GB"],
        "address": {"street_address": "12 Engine Row", "locality": "London", "postal_code": "SE1 9ZZ", "country": "GB"},
        "portrait": rtw["portrait"],
        "document": rtw["document"],
        "driving_licence_number": "LOVEL912100A99XY",
        "driving_privileges": [{"vehicle_category_code": "B", "issue_date": "2010-01-01", "expiry_date": "2035-01-01"}],
        "pid_document_number": "VPID0000001A"
    })
}

pub fn holder() -> SoftwareSigner {
    SoftwareSigner::generate(Algorithm::Es256).unwrap().0
}

pub fn holders(n: usize) -> Vec<SoftwareSigner> {
    (0..n).map(|_| holder()).collect()
}

pub fn dyns(v: &[SoftwareSigner]) -> Vec<&dyn Signer> {
    v.iter().map(|s| s as &dyn Signer).collect()
}

pub fn pre_code(offer: &Value) -> String {
    offer["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}

/// A subject with an offer for `configs`, redeemed by a fresh wallet: the wallet and its token.
pub async fn ready(t: &TestIssuer, subject: &str, configs: &[&str]) -> (Wallet, Token) {
    t.subject(subject).await;
    let offer = t.offer(subject, configs, false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    (w, token)
}

/// Asserts the request fails with `status`/`code` and changes no row.
pub async fn refused(
    t: &TestIssuer,
    w: &Wallet,
    token: &Token,
    body: Value,
    status: u16,
    code: &str,
) {
    let before = t.snapshot().await;
    let err = w.credential(token, &body).await.unwrap_err();
    assert_eq!((err.status, err.code()), (status, code), "{}", err.body);
    assert_eq!(
        t.snapshot().await,
        before,
        "a refused request wrote something"
    );
}

/// Looks at `probe` until it gives `Some` (every 50 ms, the poll interval, not a wait for
/// anything); panics naming `what` when it has not within `within`.
pub async fn wait_until<T, F>(what: &str, within: Duration, mut probe: impl FnMut() -> F) -> T
where
    F: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
