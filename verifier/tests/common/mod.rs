//! A test scheme: a register with one identity provider (right-to-work note), a signed
//! snapshot, status lists served from memory, a holder, and a running verifier.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::sd_jwt::{present, KeyBindingJwt, SdAlg, SdJwt};
use credentials::sd_jwt_vc::{type_metadata, SdJwtVcIssuer, VcEnvelope};
use credentials::status::{StatusList, StatusListToken, StatusReference};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};
use trust_framework::events::{CertificateRef, EventKind};
use trust_framework::fixtures::{
    self, cab_actor, certificate, event, iss_anchor, operator, registration,
};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::{NoteCode, RemovalReason};
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{self, SnapshotPayload, SnapshotVerifier};
use verifier::oid4vp::{templates, Clock, RequestSigner, Service, SystemClock};
use verifier::pipeline::Verifier;
use verifier::policy::Policy;
use verifier::status::{StatusCache, StatusFetchError, StatusFetcher, StatusLists};
use verifier::store::Store;
use verifier::trust::{BoxFut, MemoryLog, TrustData, TrustState};

pub const ORIGIN: &str = "register.test.vouch.example/log";
pub const ISS: &str = "https://idp.test.example";
pub const STATUS_URI: &str = "https://idp.test.example/status/1";
pub const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";
/// Version 2: the assurance as OIDC4IA `verified_claims`.
pub const RTW_V2_VCT: &str = "urn:vouch:uk:right-to-work:2";
/// The right-to-work template's credential query for version 2.
pub const RTW_V2_QUERY: &str = "right_to_work_v2";
/// The employer organisation's API key in these tests.
pub const API_KEY: &str = "test-organisation-api-key-0123456789abcdef";
/// The session token of the default organisation's HR administrator in these tests
/// ([`client`] is their browser).
pub const SESSION: &str = "employer-session-token-0123456789abcdefghij";
/// Their session cookie.
pub const BROWSER: &str = "vouch_session=employer-session-token-0123456789abcdefghij";
/// Their session's form token (CSRF).
pub const CSRF: &str = "employer-form-token";
/// Their sign-in email and password.
pub const ADMIN_EMAIL: &str = "hr.admin@employer.test";
pub const ADMIN_PASSWORD: &str = "a long enough test password";

/// Makes a member of `org` with `role` through an invitation (as the members page does),
/// signed in with session token `session` and form token `csrf`; returns the member's id.
pub async fn member_with_session(
    store: &Store,
    now: i64,
    org: &str,
    email: &str,
    role: verifier::store::Role,
    session: &str,
    csrf: &str,
) -> String {
    use verifier::access::{digest, password};
    let invite = format!("invitation-{email}");
    store
        .create_invitation(
            &digest(&invite),
            &verifier::store::Invitation {
                org_id: org.into(),
                email: email.into(),
                role,
                expires_at: now + 3600,
                accepted_at: None,
            },
            "operator",
            now,
        )
        .await
        .unwrap();
    let id = format!("m-{}", digest(email).get(..12).unwrap());
    let joined = store
        .accept_invitation(
            &digest(&invite),
            &id,
            "Test Member",
            &password::hash(ADMIN_PASSWORD).unwrap(),
            now,
        )
        .await
        .unwrap();
    assert!(matches!(joined, verifier::store::Acceptance::Joined(_)));
    store
        .create_session(&digest(session), &id, csrf, now, now + 30 * 365 * 86_400)
        .await
        .unwrap();
    id
}

/// What the register says about the provider.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Story {
    /// Certified, with the right-to-work note.
    Good,
    /// Removed from the register ten days ago.
    Removed,
    /// Its certificate suspended five days ago.
    Suspended,
    /// Never held the right-to-work note.
    NoNote,
    /// Its certificate covers identity checks up to a low level of confidence only.
    CertifiedToLow,
    /// A wallet provider (holder service provider), not an identity service provider.
    WalletProvider,
}

pub fn signer() -> SoftwareSigner {
    SoftwareSigner::generate(Algorithm::Es256).unwrap().0
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub mod wallet;

pub struct Scheme {
    pub log: Arc<Log>,
    pub log_key: SoftwareSigner,
    pub snapshot_key: SoftwareSigner,
    pub idp: SoftwareSigner,
    pub holder: SoftwareSigner,
    pub snapshot: String,
}

impl Scheme {
    pub fn new(story: Story) -> Scheme {
        Self::with_idp(story, signer())
    }

    /// The register with `idp` as the provider's issuer key (one an independent issuer holds).
    pub fn with_idp(story: Story, idp: SoftwareSigner) -> Scheme {
        Self::build(story, idp, &[], vec![])
    }

    /// The register with more credential types (an mdoc doctype) and anchors (an IACA root)
    /// for the provider.
    pub fn build(
        story: Story,
        idp: SoftwareSigner,
        extra_types: &[&str],
        extra_anchors: Vec<trust_framework::model::TrustAnchor>,
    ) -> Scheme {
        let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
        let snapshot_key = signer();
        let holder = signer();
        let n = now();
        let ago = |d: i64| n - Duration::days(d);
        let far = n + Duration::days(900);
        let mut log = Log::new();
        let g = genesis::genesis(ORIGIN, &log_key, ago(400)).unwrap();
        log.append(g).unwrap();
        let mut push = |at, actor, kind| {
            log.append(event(at, actor, kind)).unwrap();
        };
        push(ago(300), operator(), {
            let mut cert = certificate("IDP-1", "cab-a", ago(310), far);
            if matches!(story, Story::CertifiedToLow) {
                cert.max_confidence = Some(trust_framework::gpg45::Level::Low);
            }
            let mut kind = registration(
                "idp",
                "Test Identity Ltd",
                &[&[RTW_VCT, RTW_V2_VCT, fixtures::PID_VCT][..], extra_types].concat(),
                cert,
                [
                    vec![iss_anchor("k1", ISS, idp.public_key().to_jwk().to_value())],
                    extra_anchors,
                ]
                .concat(),
                far,
            );
            if let (
                Story::WalletProvider,
                trust_framework::events::EventKind::EntryRegistered { service, .. },
            ) = (&story, &mut kind)
            {
                service.roles = vec![trust_framework::model::Role::HolderServiceProvider];
            }
            kind
        });
        if story != Story::NoNote {
            push(
                ago(290),
                operator(),
                EventKind::NoteAdded {
                    entry_id: "idp".into(),
                    note: fixtures::note(
                        NoteCode::RightToWork,
                        certificate("IDP-RTW-1", "cab-a", ago(295), far),
                    ),
                },
            );
        }
        push(
            ago(200),
            operator(),
            EventKind::RelyingPartyRegistered {
                relying_party: fixtures::employer(),
            },
        );
        match story {
            Story::Removed => push(
                ago(10),
                operator(),
                EventKind::EntryRemoved {
                    entry_id: "idp".into(),
                    reason: RemovalReason::ProviderRequest,
                },
            ),
            Story::Suspended => push(
                ago(5),
                cab_actor("cab-a"),
                EventKind::CertificateSuspended(CertificateRef {
                    entry_id: "idp".into(),
                    certificate_number: "IDP-1".into(),
                }),
            ),
            _ => {}
        }
        let snapshot =
            Self::sign_snapshot(&log, &log_key, &snapshot_key, 1, n - Duration::hours(1));
        Scheme {
            log: Arc::new(log),
            log_key,
            snapshot_key,
            idp,
            holder,
            snapshot,
        }
    }

    pub fn sign_snapshot(
        log: &Log,
        log_key: &SoftwareSigner,
        snapshot_key: &SoftwareSigner,
        seq: u64,
        issued_at: OffsetDateTime,
    ) -> String {
        let payload = SnapshotPayload {
            registrar_roots: Vec::new(),
            register: log.register().clone(),
            checkpoint: log.sign_checkpoint(log_key).unwrap(),
            sequence: seq,
            issued_at,
            next_update: issued_at + Duration::days(1),
            consistency: None,
        };
        snapshot::sign(&payload, snapshot_key).unwrap()
    }

    pub fn snapshot_verifier(&self) -> SnapshotVerifier {
        SnapshotVerifier {
            snapshot_key: self.snapshot_key.public_key().clone(),
            log_key: NoteKey::new(ORIGIN, self.log_key.public_key()).unwrap(),
        }
    }

    pub fn snapshot_keys(&self) -> (Value, String) {
        (
            self.snapshot_key.public_key().to_jwk().to_value(),
            NoteKey::new(ORIGIN, self.log_key.public_key())
                .unwrap()
                .to_vkey(),
        )
    }

    /// A right-to-work credential from `issuer` (the provider unless another key is given).
    pub fn issue(
        &self,
        issuer: Option<&SoftwareSigner>,
        claims_edit: impl FnOnce(&mut Map<String, Value>),
        exp: OffsetDateTime,
    ) -> SdJwt {
        let mut claims: Map<String, Value> = serde_json::from_str(include_str!(
            "../../../specs/examples/right-to-work.claims.json"
        ))
        .unwrap();
        claims_edit(&mut claims);
        self.issue_claims(issuer, RTW_VCT, claims, exp)
    }

    /// A version 2 right-to-work credential (`specs/examples/right-to-work-v2.claims.json`
    /// with `claims_edit` applied) from `issuer` (the provider unless another key is given).
    pub fn issue_v2(
        &self,
        issuer: Option<&SoftwareSigner>,
        claims_edit: impl FnOnce(&mut Value),
        exp: OffsetDateTime,
    ) -> SdJwt {
        let mut claims: Value = serde_json::from_str(include_str!(
            "../../../specs/examples/right-to-work-v2.claims.json"
        ))
        .unwrap();
        claims_edit(&mut claims);
        let Value::Object(claims) = claims else {
            unreachable!("the example is an object")
        };
        self.issue_claims(issuer, RTW_V2_VCT, claims, exp)
    }

    /// A right-to-work credential signed by `issuer` with `chain` in its `x5c` header.
    pub fn issue_with_x5c(
        &self,
        issuer: &SoftwareSigner,
        chain: Vec<credentials::x509::Certificate>,
        exp: OffsetDateTime,
    ) -> SdJwt {
        let claims: Map<String, Value> = serde_json::from_str(include_str!(
            "../../../specs/examples/right-to-work.claims.json"
        ))
        .unwrap();
        self.issue_claims_x5c(Some(issuer), RTW_VCT, claims, exp, chain)
    }

    fn issue_claims(
        &self,
        issuer: Option<&SoftwareSigner>,
        vct: &str,
        claims: Map<String, Value>,
        exp: OffsetDateTime,
    ) -> SdJwt {
        self.issue_claims_x5c(issuer, vct, claims, exp, Vec::new())
    }

    fn issue_claims_x5c(
        &self,
        issuer: Option<&SoftwareSigner>,
        vct: &str,
        claims: Map<String, Value>,
        exp: OffsetDateTime,
        chain: Vec<credentials::x509::Certificate>,
    ) -> SdJwt {
        let frame = type_metadata::default_frame(vct, &claims).unwrap();
        let env = VcEnvelope {
            iss: ISS.into(),
            vct: vct.into(),
            iat: (now() - Duration::days(20)).unix_timestamp(),
            nbf: None,
            exp: Some(exp.unix_timestamp()),
            holder: Some(self.holder.public_key().clone()),
            status: Some(
                StatusReference {
                    idx: 7,
                    uri: STATUS_URI.into(),
                }
                .to_json(),
            ),
        };
        SdJwtVcIssuer::new(issuer.unwrap_or(&self.idp))
            .with_x5c(&chain)
            .issue(&env, &claims, &frame, false)
            .unwrap()
    }

    /// The holder's presentation of every claim, with a KB-JWT for `aud` and `nonce`.
    pub fn present(&self, cred: &SdJwt, aud: &str, nonce: &str) -> String {
        let ptrs = [
            "/given_name",
            "/family_name",
            "/birthdate",
            "/portrait",
            "/nationality",
            "/document/type",
            "/document/number",
            "/document/expiry_date",
            "/gpg45_profile",
            "/confidence",
            "/check_date",
            "/checked_by",
        ];
        let p = present(cred, &ptrs).unwrap();
        KeyBindingJwt::attach(
            p,
            &self.holder,
            aud,
            nonce,
            now().unix_timestamp(),
            SdAlg::default(),
        )
        .unwrap()
        .to_compact()
    }

    /// The holder's presentation of a version 2 credential: the claims the right-to-work
    /// template asks of it (its `verified_claims` paths, every check's organization), with
    /// a KB-JWT for `aud` and `nonce`.
    pub fn present_v2(&self, cred: &SdJwt, aud: &str, nonce: &str) -> String {
        let v = "/verified_claims/verification";
        let e = "/verified_claims/verification/evidence/0";
        let ptrs = [
            "/verified_claims/claims/given_name".to_string(),
            "/verified_claims/claims/family_name".into(),
            "/verified_claims/claims/birthdate".into(),
            "/portrait".into(),
            "/verified_claims/claims/nationalities".into(),
            format!("{v}/trust_framework"),
            format!("{v}/assurance_level"),
            format!("{v}/assurance_process/policy"),
            format!("{v}/assurance_process/procedure"),
            format!("{v}/time"),
            format!("{e}/type"),
            format!("{e}/document_details/type"),
            format!("{e}/document_details/document_number"),
            format!("{e}/document_details/date_of_expiry"),
            format!("{e}/check_details/0/organization"),
            format!("{e}/check_details/1/organization"),
        ];
        let ptrs: Vec<&str> = ptrs.iter().map(String::as_str).collect();
        let p = present(cred, &ptrs).unwrap();
        KeyBindingJwt::attach(
            p,
            &self.holder,
            aud,
            nonce,
            now().unix_timestamp(),
            SdAlg::default(),
        )
        .unwrap()
        .to_compact()
    }

    /// A status list token with index 7 set to `value`.
    pub fn status_token(&self, value: u8) -> String {
        let mut list = StatusList::new(1, 64).unwrap();
        list.set(7, value.min(1)).unwrap();
        StatusListToken {
            sub: STATUS_URI.into(),
            iat: now().unix_timestamp(),
            exp: None,
            ttl: Some(0),
            list,
        }
        .sign_jwt(&self.idp)
        .unwrap()
    }
}

/// Status lists served from memory; `None` means the network is down.
#[derive(Default)]
pub struct MemFetcher(pub Mutex<HashMap<String, String>>, pub Mutex<bool>);

impl MemFetcher {
    pub fn serving(uri: &str, token: String) -> Arc<Self> {
        let f = MemFetcher::default();
        f.0.lock().unwrap().insert(uri.into(), token);
        *f.1.lock().unwrap() = true;
        Arc::new(f)
    }
}

impl StatusFetcher for MemFetcher {
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFut<'a, Result<String, StatusFetchError>> {
        let r = if *self.1.lock().unwrap() {
            self.0
                .lock()
                .unwrap()
                .get(uri)
                .cloned()
                .ok_or_else(|| StatusFetchError::Unavailable("404".into()))
        } else {
            Err(StatusFetchError::Unavailable("network unreachable".into()))
        };
        Box::pin(async move { r })
    }
}

pub fn database_url(dir: &std::path::Path) -> (String, Option<String>) {
    match std::env::var("VOUCH_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => {
            let schema = format!(
                "vt_{}",
                credentials::b64::encode(credentials::keys::provider::random_bytes::<6>())
                    .to_lowercase()
                    .replace(['-', '_'], "x")
            );
            (u, Some(schema))
        }
        _ => (
            format!("sqlite://{}", dir.join("verifier.db").display()),
            None,
        ),
    }
}

pub struct Running {
    pub service: Arc<Service>,
    pub addr: SocketAddr,
    pub base: String,
    pub root: credentials::x509::Certificate,
    pub dir: tempfile::TempDir,
    /// The PostgreSQL URL and test schema, dropped with this.
    pub pg_schema: Option<(String, String)>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg_schema.take() else {
            return;
        };
        // A runtime of its own on another thread: drop runs inside the test's runtime.
        let _ = std::thread::spawn(move || {
            use sqlx::Connection;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                        .execute(&mut c)
                        .await;
                }
            })
        })
        .join();
    }
}

pub async fn verifier_for(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    policy: Policy,
    clock: Arc<dyn Clock>,
) -> Running {
    verifier_with_templates(scheme, fetcher, policy, clock, Default::default()).await
}

/// A running verifier with DCQL templates beside the shipped ones.
pub async fn verifier_with_templates(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    policy: Policy,
    clock: Arc<dyn Clock>,
    extra_templates: std::collections::BTreeMap<String, credentials::dcql::DcqlQuery>,
) -> Running {
    let cap = verifier::oid4vp::MAX_PENDING_TRANSACTIONS;
    verifier_custom(scheme, fetcher, policy, clock, extra_templates, cap).await
}

/// A running verifier keeping at most `max_pending_transactions` checks waiting.
pub async fn verifier_custom(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    policy: Policy,
    clock: Arc<dyn Clock>,
    extra_templates: std::collections::BTreeMap<String, credentials::dcql::DcqlQuery>,
    max_pending_transactions: i64,
) -> Running {
    verifier_notifying(
        scheme,
        fetcher,
        policy,
        clock,
        extra_templates,
        max_pending_transactions,
        None,
    )
    .await
}

/// As [`verifier_custom`], sending completion notices to `webhook`.
pub async fn verifier_notifying(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    policy: Policy,
    clock: Arc<dyn Clock>,
    extra_templates: std::collections::BTreeMap<String, credentials::dcql::DcqlQuery>,
    max_pending_transactions: i64,
    webhook: Option<Arc<verifier::webhook::Webhook>>,
) -> Running {
    verifier_serving(
        scheme,
        fetcher,
        policy,
        clock,
        extra_templates,
        max_pending_transactions,
        webhook,
        &[],
    )
    .await
}

/// A verifier serving the default organisation and `employers` (`(id, name)`), each of
/// them with its own request signer (own client id) and organisation record.
pub async fn running_with_employers(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    employers: &[(&str, &str)],
) -> Running {
    verifier_serving(
        scheme,
        fetcher,
        Policy::default(),
        Arc::new(SystemClock),
        Default::default(),
        verifier::oid4vp::MAX_PENDING_TRANSACTIONS,
        None,
        employers,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn verifier_serving(
    scheme: &Scheme,
    fetcher: Arc<dyn StatusFetcher>,
    policy: Policy,
    clock: Arc<dyn Clock>,
    extra_templates: std::collections::BTreeMap<String, credentials::dcql::DcqlQuery>,
    max_pending_transactions: i64,
    webhook: Option<Arc<verifier::webhook::Webhook>>,
    employers: &[(&str, &str)],
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://localhost:{}", addr.port());
    let (url, schema) = database_url(dir.path());
    let store = Store::connect(&url, schema.as_deref()).await.unwrap();
    member_with_session(
        &store,
        clock.now().unix_timestamp() - 60,
        "default",
        ADMIN_EMAIL,
        verifier::store::Role::Admin,
        SESSION,
        CSRF,
    )
    .await;
    let trust =
        TrustState::new(TrustData::verify(&scheme.snapshot_verifier(), &scheme.snapshot).unwrap())
            .unwrap();
    let status = StatusLists::new(fetcher, StatusCache::new(Some(dir.path().join("status"))));
    let request_signer = RequestSigner::dev(dir.path(), "localhost", false).unwrap();
    let mut org_signers = std::collections::BTreeMap::new();
    for (id, name) in employers {
        store
            .create_organisation(id, name, None, clock.now().unix_timestamp())
            .await
            .unwrap();
        store.set_own_client_id(id, true).await.unwrap();
        org_signers.insert(
            id.to_string(),
            RequestSigner::organisation(dir.path(), id, name, "localhost").unwrap(),
        );
    }
    let root = request_signer.root.clone();
    let service = Arc::new(Service {
        store,
        verifier: Verifier {
            trust,
            status,
            policy,
        },
        request_signer,
        org_signers,
        record_key: Arc::new(signer()),
        base_url: base.clone(),
        templates: templates().into_iter().chain(extra_templates).collect(),
        transaction_ttl: 600,
        clock,
        proofs: Some(Arc::new(MemoryLog(scheme.log.clone()))),
        snapshot_keys: scheme.snapshot_keys(),
        retention_days: 730,
        not_hired_retention_days: 183,
        api_key_digest: Some(verifier::access::digest(API_KEY)),
        webhook,
        max_pending_transactions,
        registration: Default::default(),
    });
    let s2 = service.clone();
    tokio::spawn(async move { verifier::http::serve(listener, s2).await });
    Running {
        service,
        addr,
        base,
        root,
        dir,
        pg_schema: schema.map(|sch| (url, sch)),
    }
}

pub async fn running(scheme: &Scheme, fetcher: Arc<dyn StatusFetcher>) -> Running {
    verifier_for(scheme, fetcher, Policy::default(), Arc::new(SystemClock)).await
}

/// The employer's HR administrator, signed in (their session cookie, and their session's
/// form token in `X-CSRF-Token` on every request), following no redirects.
pub fn client() -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_static(BROWSER),
    );
    h.insert(
        "x-csrf-token",
        reqwest::header::HeaderValue::from_static(CSRF),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}

/// Another browser: not signed in (a candidate who saw the QR code, anyone with a link).
pub fn stranger() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The organisation's HR system: the API key as a bearer token.
pub fn hr_system() -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {API_KEY}")).unwrap(),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}

/// Starts a check the way the employer's browser does; returns the transaction id.
pub async fn start_check(r: &Running, mode: &str) -> String {
    let resp = client()
        .post(format!("{}/checks", r.base))
        .form(&[("response_mode", mode)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    loc.trim_start_matches("/checks/").to_string()
}

/// Looks at `probe` until it gives `Some` (every 20 ms, the poll interval, not a wait for
/// anything), without blocking the runtime; panics naming `what` when it has not within
/// `within`.
pub async fn wait_until<T>(
    what: &str,
    within: std::time::Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
