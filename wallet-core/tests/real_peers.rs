//! The wallet against the REAL services, started in-process on 127.0.0.1 free ports: the
//! `issuer` crate's router (OpenID4VCI: the pre-authorized flow with `tx_code`, the
//! authorization code flow with PKCE and PAR and the issuer's sign-in step, batch issuance
//! with one device key per credential) and the `verifier` crate's service (OpenID4VP: a
//! right-to-work check through a signed request object by reference and an encrypted
//! `direct_post.jwt` response, ending `passed`). The verifier decides from a signed trust
//! register snapshot built with `trust_framework::fixtures` in which the running issuer's
//! own signing key is the registered provider's anchor; the wallet pins the same snapshot.

use std::sync::Arc;

use credentials::keys::{Algorithm, Jwk, PublicKey, Signer, SoftwareSigner};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use trust_framework::events::EventKind;
use trust_framework::fixtures::{self, certificate, event, iss_anchor, operator, registration};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::{NoteCode, Purpose, RelyingParty};
use trust_framework::note::NoteKey;
use trust_framework::snapshot::{self, SnapshotPayload, SnapshotVerifier};
use verifier::oid4vp::{templates, RequestSigner, Service, SystemClock};
use verifier::pipeline::Verifier;
use verifier::policy::Policy;
use verifier::status::{HttpStatusFetcher, StatusCache, StatusLists};
use verifier::store::Store;
use verifier::trust::{MemoryLog, TrustData, TrustState};
use wallet_core::consent::TrustFinding;
use wallet_core::keystore::{Argon2Cost, PassphraseKeyStore};
use wallet_core::{Consent, Error, Wallet};

const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";
const RTW_V2_VCT: &str = "urn:vouch:uk:right-to-work:2";
/// The employer organisation's API key in these tests.
const API_KEY: &str = "test-organisation-api-key-0123456789abcdef";
/// The employer's signed-in session in these tests (its cookie token and form token).
const SESSION: &str = "employer-session-token-0123456789abcdefghij";
const CSRF: &str = "employer-form-token";

/// The employer's HR administrator's browser: signed in, its form token on every request,
/// no redirects followed.
fn employer_browser() -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("vouch_session={SESSION}")).unwrap(),
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
const RTW_VC_TYPE: &str = "RightToWorkCredential";
const PID_VCT: &str = "urn:vouch:uk:pid:1";
const LOG_ORIGIN: &str = "register.test.vouch.example/log";
/// Claim values that must never appear in clear in the wallet's files.
const SECRETS: &[&str] = &[
    "Lovelace",
    "12 Engine Row",
    "1990-12-10",
    "LOVEL912100A99XY",
    "VPID0000001A",
];

// ---------------------------------------------------------------- the real issuer

struct RealIssuer {
    shared: issuer::Shared,
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start_issuer() -> RealIssuer {
    start_issuer_with(|_| {}).await
}

async fn start_issuer_with(f: impl FnOnce(&mut issuer::IssuerConfig)) -> RealIssuer {
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let dir = tempfile::tempdir().unwrap();
    let mut config = issuer::IssuerConfig::new(&url);
    config.name = "Test Identity Ltd".into();
    config.status_list_size = 4096;
    f(&mut config);
    let db = format!("sqlite://{}", dir.path().join("issuer.db").display());
    let shared = issuer::open(config, &db, dir.path(), None).await.unwrap();
    // The wallet is a registered client with the redirect URI its tests use.
    shared
        .store
        .register_client(
            &issuer::store::OAuthClient {
                client_id: wallet_core::issuance::DEFAULT_CLIENT_ID.into(),
                name: "Vouch Wallet".into(),
                redirect_uris: vec!["https://wallet.example/cb".into()],
            },
            0,
        )
        .await
        .unwrap();
    let router = issuer::router(shared.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    RealIssuer {
        shared,
        url,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _dir: dir,
    }
}

impl RealIssuer {
    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.shared.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A subject with verified attributes (as in issuer/tests/support).
    async fn subject(&self, id: &str) {
        let rtw: Value = serde_json::from_str(include_str!(
            "../../specs/examples/right-to-work.claims.json"
        ))
        .unwrap();
        let attributes = json!({
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
        });
        let (s, v) = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/subjects/{id}"),
                json!({"attributes": attributes, "gpg45_profile": "M1B"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    /// An offer through the admin API; returns its answer (offer_url, tx_code, ...).
    async fn offer(&self, subject: &str, configs: &[&str], extra: Value) -> Value {
        let mut body = json!({"subject_id": subject, "credential_configuration_ids": configs});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, v) = self
            .admin(reqwest::Method::POST, "/admin/offers", body)
            .await;
        assert_eq!(s, 201, "{v}");
        v
    }

    fn signing_key(&self) -> PublicKey {
        self.shared.keys.active().signer.public_key().clone()
    }
}

async fn wallet(dir: &std::path::Path) -> Wallet {
    let w = Wallet::open(
        dir,
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
    )
    .await
    .unwrap();
    // The test's servers are on loopback ports.
    w.set_fetch_policy(vouch_fetch::FetchPolicy {
        any_loopback_origin: true,
        ..Default::default()
    });
    w
}

/// The check of wallet-core's e2e tests: no claim value in clear in any file of the wallet.
fn assert_nothing_in_clear(dir: &std::path::Path, needles: &[&str]) {
    for f in std::fs::read_dir(dir).unwrap() {
        let path = f.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|x| x == needle.as_bytes()),
                "{needle} in clear in {}",
                path.display()
            );
        }
    }
}

fn distinct_device_keys(
    creds: &[wallet_core::store::Listed<wallet_core::model::StoredCredential>],
) -> usize {
    creds
        .iter()
        .map(|c| c.value.device_key_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_issuer_pre_authorized_flow_with_tx_code_issues_sealed_batches() {
    let iss = start_issuer().await;
    iss.subject("subj-pre").await;
    let offer = iss
        .offer(
            "subj-pre",
            &["pid_sd_jwt", "mdl_mdoc"],
            json!({"tx_code": true}),
        )
        .await;
    let tx_code = offer["tx_code"].as_str().unwrap();
    let offer_url = offer["offer_url"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path()).await;
    // The offer asks for a transaction code: none is refused before any request, a wrong
    // one is the issuer's invalid_grant, and nothing is stored.
    assert!(matches!(
        w.accept_offer(offer_url, None).await,
        Err(Error::Offer(_))
    ));
    let err = w.accept_offer(offer_url, Some("000000")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Issuer { error, .. } if error == "invalid_grant"),
        "{err}"
    );
    assert!(w.credentials().await.unwrap().is_empty());
    // The right code (the offer by reference, as scanned from the QR).
    let got = w.accept_offer(offer_url, Some(tx_code)).await.unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert!(r.count > 1, "a batch of several credentials: {r:?}");
    }
    let creds = w.credentials().await.unwrap();
    let total: usize = got.iter().map(|r| r.count).sum();
    assert_eq!(creds.len(), total);
    assert_eq!(
        distinct_device_keys(&creds),
        creds.len(),
        "one device key per credential"
    );
    for c in &creds {
        assert_eq!(c.value.issuer, iss.url);
    }
    let pid = creds
        .iter()
        .find(|c| c.value.format == "dc+sd-jwt")
        .unwrap();
    assert_eq!(pid.value.vct.as_deref(), Some(PID_VCT));
    assert_eq!(pid.value.claims["family_name"], "Lovelace");
    assert_eq!(
        pid.value.claims["address"]["street_address"],
        "12 Engine Row"
    );
    let mdl = creds.iter().find(|c| c.value.format == "mso_mdoc").unwrap();
    assert_eq!(
        mdl.value.claims["org.iso.18013.5.1"]["family_name"],
        "Lovelace"
    );
    // The issuer counts what it issued: as many credentials as the wallet holds.
    assert_eq!(
        iss.shared.store.count("credentials").await.unwrap() as usize,
        creds.len()
    );
    w.close().await;
    assert_nothing_in_clear(dir.path(), SECRETS);
    assert_nothing_in_clear(dir.path(), &[PID_VCT]);
    // Reopened with the passphrase, everything is there.
    assert_eq!(
        wallet(dir.path()).await.credentials().await.unwrap().len(),
        total
    );
}

/// Device keys whose wallet provider attests them (software keys, and a provider key the
/// issuer trusts): what an app gives through its platform's key store and provider backend.
struct ProviderAttestedKeys(issuer::wallet::WalletProvider);

impl wallet_core::device_keys::DeviceKeys for ProviderAttestedKeys {
    fn create(&self) -> wallet_core::Result<(zeroize::Zeroizing<Vec<u8>>, PublicKey)> {
        wallet_core::device_keys::SoftwareDeviceKeys.create()
    }
    fn signer(&self, handle: &[u8]) -> wallet_core::Result<Arc<dyn Signer>> {
        wallet_core::device_keys::SoftwareDeviceKeys.signer(handle)
    }
    fn key_attestation(
        &self,
        keys: &[PublicKey],
        nonce: Option<&str>,
    ) -> wallet_core::Result<Option<String>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Ok(Some(issuer::wallet::key_attestation_of(
            self.0.signer.as_ref(),
            &self.0.chain,
            keys,
            &issuer::wallet::AttestationClaims {
                iat: now,
                exp: Some(now + 600),
                nonce,
                key_storage: &["iso_18045_high"],
                user_authentication: &["iso_18045_moderate"],
            },
        )))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_requiring_key_attestations_gets_one_per_batch_from_the_wallets_platform() {
    let provider = issuer::wallet::WalletProvider::generate("Wallet Provider");
    let root = provider.root().clone();
    let iss = start_issuer_with(|c| {
        let mut p = issuer::proofs::attestation::KeyAttestationPolicy::trusting(vec![root]);
        p.required = true;
        p.key_storage = vec!["iso_18045_high".into()];
        c.key_attestations = p;
    })
    .await;
    iss.subject("subj-ka").await;
    let offer = iss
        .offer(
            "subj-ka",
            &["pid_sd_jwt", "mdl_mdoc"],
            json!({"tx_code": false}),
        )
        .await;
    let offer_url = offer["offer_url"].as_str().unwrap();

    // A wallet whose key store gives no attestation is stopped before asking.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = wallet(plain_dir.path()).await;
    let err = plain.accept_offer(offer_url, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Offer(m) if m.contains("requires key attestations")),
        "{err}"
    );
    assert!(plain.credentials().await.unwrap().is_empty());

    let offer = iss
        .offer(
            "subj-ka",
            &["pid_sd_jwt", "mdl_mdoc"],
            json!({"tx_code": false}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::open_with(
        dir.path(),
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
        Arc::new(ProviderAttestedKeys(provider)),
    )
    .await
    .unwrap();
    // The test's servers are on loopback ports.
    w.set_fetch_policy(vouch_fetch::FetchPolicy {
        any_loopback_origin: true,
        ..Default::default()
    });
    let got = w
        .accept_offer(offer["offer_url"].as_str().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(got.len(), 2, "{got:?}");
    let creds = w.credentials().await.unwrap();
    let total: usize = got.iter().map(|r| r.count).sum();
    assert!(total > 2, "batches of several credentials: {got:?}");
    assert_eq!(creds.len(), total);
    assert_eq!(
        distinct_device_keys(&creds),
        total,
        "one attested key per credential"
    );
    assert_eq!(
        iss.shared.store.count("credentials").await.unwrap() as usize,
        total
    );
}

/// The browser's part of the authorization code flow: the issuer's sign-in page, then the
/// sign-in form with the subject and the one-time code from the admin API.
async fn sign_in(iss: &RealIssuer, authorize_url: &str, subject: &str) -> String {
    let page = iss.http.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the sign-in page");
    let u = url::Url::parse(authorize_url).unwrap();
    let request_uri = u
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let (s, code) = iss
        .admin(
            reqwest::Method::POST,
            &format!("/admin/subjects/{subject}/sign-in-codes"),
            json!({}),
        )
        .await;
    assert!(s == 200 || s == 201, "{code}");
    let mut post = u.clone();
    post.set_query(None);
    let r = iss
        .http
        .post(post)
        .form(&[
            ("request_uri", request_uri.as_str()),
            ("subject_id", subject),
            ("sign_in_code", code["sign_in_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signed in");
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_issuer_authorization_code_flow_with_pkce_and_par() {
    let iss = start_issuer().await;
    iss.subject("subj-auth").await;
    let offer = iss
        .offer(
            "subj-auth",
            &["right_to_work_sd_jwt"],
            json!({"pre_authorized": false, "authorization_code": true}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path()).await;
    let resolved = w
        .resolve_offer(offer["offer_url"].as_str().unwrap())
        .await
        .unwrap();
    assert!(resolved.grants.authorization_code.is_some());
    assert!(resolved.grants.pre_authorized_code.is_none());
    let start = w
        .start_authorization(resolved, "https://wallet.example/cb")
        .await
        .unwrap();
    assert!(start.authorize_url.starts_with(&iss.url));
    assert!(start.authorize_url.contains("request_uri="));
    assert!(
        !start.authorize_url.contains("code_challenge"),
        "PAR keeps the PKCE challenge off the URL"
    );
    let location = sign_in(&iss, &start.authorize_url, "subj-auth").await;
    assert!(
        location.starts_with("https://wallet.example/cb?"),
        "{location}"
    );
    let got = w.finish_authorization(&start.id, &location).await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].count > 1, "a batch: {got:?}");
    let creds = w.credentials().await.unwrap();
    assert_eq!(creds.len(), got[0].count);
    assert_eq!(distinct_device_keys(&creds), creds.len());
    assert_eq!(creds[0].value.vct.as_deref(), Some(RTW_VCT));
    assert_eq!(creds[0].value.claims["family_name"], "Lovelace");
    // The code is single use.
    assert!(matches!(
        w.finish_authorization(&start.id, &location).await,
        Err(Error::NoPending(_))
    ));
    // The issuer's sign-in code and pushed request were consumed.
    assert_eq!(iss.shared.store.count("auth_codes").await.unwrap(), 0);
    assert_eq!(iss.shared.store.count("par_requests").await.unwrap(), 0);
    w.close().await;
    assert_nothing_in_clear(dir.path(), &["Lovelace", "1990-12-10", RTW_VCT]);
}

// ---------------------------------------------------------------- the real verifier

/// A signed register snapshot in which the running issuer's signing key is the anchor of
/// a certified provider holding the right-to-work note, and the employer at
/// `https://localhost` (the verifier's `x509_san_dns:localhost`) registered the
/// right-to-work purpose with what the verifier's template asks.
struct Register {
    log: Arc<Log>,
    snapshot: String,
    verifier: SnapshotVerifier,
    snapshot_jwk: Jwk,
    log_vkey: String,
}

fn register(iss: &str, issuer_key: &PublicKey) -> Register {
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let snapshot_key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let n = OffsetDateTime::now_utc();
    let ago = |d: i64| n - Duration::days(d);
    let far = n + Duration::days(900);
    let mut log = Log::new();
    log.append(genesis::genesis(LOG_ORIGIN, &log_key, ago(400)).unwrap())
        .unwrap();
    let mut push = |at, kind| log.append(event(at, operator(), kind)).unwrap();
    push(
        ago(300),
        registration(
            "idp",
            "Test Identity Ltd",
            &[RTW_VCT, RTW_V2_VCT, PID_VCT, RTW_VC_TYPE],
            certificate("IDP-1", "cab-a", ago(310), far),
            vec![
                iss_anchor("k1", iss, issuer_key.to_jwk().to_value()),
                // The issuer of its W3C credentials: the did:key of the same key.
                trust_framework::model::TrustAnchor {
                    anchor_id: "did-k1".into(),
                    key: trust_framework::model::AnchorKey::Did {
                        did: credentials::did::did_key(issuer_key),
                    },
                },
            ],
            far,
        ),
    );
    push(
        ago(290),
        EventKind::NoteAdded {
            entry_id: "idp".into(),
            note: fixtures::note(
                NoteCode::RightToWork,
                certificate("IDP-RTW-1", "cab-a", ago(295), far),
            ),
        },
    );
    push(
        ago(200),
        EventKind::RelyingPartyRegistered {
            relying_party: RelyingParty {
                relying_party_id: "https://localhost".into(),
                name: "Example Employer plc".into(),
                company_number: Some("07654321".into()),
                purposes: vec![Purpose {
                    purpose: "right_to_work".into(),
                    description: "Right-to-work check before employment starts".into(),
                    credential_types: vec![RTW_V2_VCT.into(), RTW_VCT.into(), RTW_VC_TYPE.into()],
                    claims: [
                        "given_name",
                        "family_name",
                        "birthdate",
                        "portrait",
                        "nationality",
                        "document",
                        "gpg45_profile",
                        "check_date",
                        // A W3C credential is shown whole: these come with it.
                        "confidence",
                        "checked_by",
                    ]
                    .iter()
                    // Version 2's claims, as the verifier's template asks for them.
                    .chain(fixtures::RTW_V2_CLAIMS.iter().filter(|c| **c != "portrait"))
                    .map(|s| s.to_string())
                    .collect(),
                    retention: None,
                }],
            },
        },
    );
    let issued_at = n - Duration::hours(1);
    let payload = SnapshotPayload {
        registrar_roots: Vec::new(),
        register: log.register().clone(),
        checkpoint: log.sign_checkpoint(&log_key).unwrap(),
        sequence: 1,
        issued_at,
        next_update: issued_at + Duration::days(1),
        consistency: None,
    };
    let snapshot = snapshot::sign(&payload, &snapshot_key).unwrap();
    let note_key = NoteKey::new(LOG_ORIGIN, log_key.public_key()).unwrap();
    Register {
        log: Arc::new(log),
        snapshot,
        log_vkey: note_key.to_vkey(),
        snapshot_jwk: snapshot_key.public_key().to_jwk(),
        verifier: SnapshotVerifier {
            snapshot_key: snapshot_key.public_key().clone(),
            log_key: note_key,
        },
    }
}

struct RealVerifier {
    base: String,
    root: credentials::x509::Certificate,
    _dir: tempfile::TempDir,
}

/// The verifier service as `vouch verifier serve` runs it (HTTP status lists), on a free
/// port, deciding from `reg`.
async fn start_verifier(reg: &Register, fetch_from: &str) -> RealVerifier {
    let dir = tempfile::tempdir().unwrap();
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let store = Store::connect(
        &format!("sqlite://{}", dir.path().join("verifier.db").display()),
        None,
    )
    .await
    .unwrap();
    sign_in_employer(&store).await;
    let trust = TrustState::new(TrustData::verify(&reg.verifier, &reg.snapshot).unwrap()).unwrap();
    // The issuer is on loopback: its origin, and no other, may be fetched from.
    let status = StatusLists::new(
        Arc::new(HttpStatusFetcher::with_policy(vouch_fetch::FetchPolicy {
            allowed_origins: vec![fetch_from.to_string()],
            ..Default::default()
        })),
        StatusCache::new(Some(dir.path().join("status"))),
    );
    let request_signer = RequestSigner::dev(dir.path(), "localhost", false).unwrap();
    let root = request_signer.root.clone();
    let service = Arc::new(Service {
        store,
        verifier: Verifier {
            trust,
            status,
            policy: Policy::default(),
        },
        request_signer,
        org_signers: Default::default(),
        record_key: Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0),
        base_url: base.clone(),
        templates: templates(),
        transaction_ttl: 600,
        clock: Arc::new(SystemClock),
        proofs: Some(Arc::new(MemoryLog(reg.log.clone()))),
        snapshot_keys: (reg.snapshot_jwk.to_value(), reg.log_vkey.clone()),
        retention_days: 730,
        not_hired_retention_days: 183,
        api_key_digest: Some(verifier::access::digest(API_KEY)),
        webhook: None,
        max_pending_transactions: verifier::oid4vp::MAX_PENDING_TRANSACTIONS,
        registration: Default::default(),
    });
    tokio::spawn(async move { verifier::http::serve(listener, service).await });
    RealVerifier {
        base,
        root,
        _dir: dir,
    }
}

/// The default organisation's HR administrator joins (through an invitation) and is
/// signed in with [`SESSION`].
async fn sign_in_employer(store: &Store) {
    use verifier::access::{digest, password};
    use verifier::store::{Acceptance, Invitation, Role};
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let invitation = Invitation {
        org_id: "default".into(),
        email: "hr.admin@employer.test".into(),
        role: Role::Admin,
        expires_at: now + 3600,
        accepted_at: None,
    };
    store
        .create_invitation(&digest("invite"), &invitation, "operator", now)
        .await
        .unwrap();
    let hash = password::hash("a long enough test password").unwrap();
    let joined = store
        .accept_invitation(&digest("invite"), "m-admin", "HR Admin", &hash, now)
        .await
        .unwrap();
    assert!(matches!(joined, Acceptance::Joined(_)));
    store
        .create_session(&digest(SESSION), "m-admin", CSRF, now, now + 86_400)
        .await
        .unwrap();
}

impl RealVerifier {
    /// The employer starts a check; returns its id and the wallet link its page shows.
    async fn start_check(&self, mode: &str) -> (String, String) {
        self.start_check_with(mode, "right-to-work").await
    }

    /// As [`Self::start_check`], with the DCQL template `template`.
    async fn start_check_with(&self, mode: &str, template: &str) -> (String, String) {
        let c = employer_browser();
        let r = c
            .post(format!("{}/checks", self.base))
            .form(&[("response_mode", mode), ("template", template)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let id = r.headers()["location"]
            .to_str()
            .unwrap()
            .trim_start_matches("/checks/")
            .to_string();
        let page = self.page(&id).await;
        let start = page
            .find("openid4vp://")
            .expect("the page links to a wallet");
        let end = start + page[start..].find('"').unwrap();
        (id, page[start..end].replace("&amp;", "&"))
    }

    /// The employer confirms the likeness; the signed record is downloaded and verified
    /// offline by `check-record`'s code, which must pass through the same pipeline.
    async fn record_verifies(&self, id: &str) -> Value {
        let c = employer_browser();
        let done = c
            .post(format!("{}/checks/{id}/likeness", self.base))
            .form(&[("likeness", "yes"), ("checked_by", "Grace Hopper")])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        let rec_path = done.headers()["location"].to_str().unwrap().to_string();
        let jws = c
            .get(format!("{}{rec_path}/download", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let report =
            verifier::record::check(&jws, &verifier::record::CheckOptions::default()).await;
        let v = serde_json::to_value(&report).unwrap();
        assert!(report.valid, "{v:#}");
        v
    }

    async fn page(&self, id: &str) -> String {
        employer_browser()
            .get(format!("{}/checks/{id}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_verifier_passes_a_right_to_work_check_answered_with_a_real_issuer_credential() {
    let iss = start_issuer().await;
    let reg = register(&iss.url, &iss.signing_key());
    let ver = start_verifier(&reg, &iss.url).await;
    iss.subject("subj-rtw").await;
    let offer = iss
        .offer(
            "subj-rtw",
            &["right_to_work_sd_jwt"],
            json!({"tx_code": true}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path()).await;
    w.accept_offer(
        offer["offer_url"].as_str().unwrap(),
        offer["tx_code"].as_str(),
    )
    .await
    .unwrap();
    // The wallet trusts the verifier's request-signing root and pins the same snapshot,
    // fetched from the register's `GET /snapshot` (Wallet::refresh_register, as the app and
    // the demo web wallet do); a snapshot under another key is refused first.
    w.add_verifier_root(&ver.root.to_pem()).await.unwrap();
    let serve_snapshot = |jws: String| async move {
        let app = axum::Router::new().route(
            "/snapshot",
            axum::routing::get(move || {
                let jws = jws.clone();
                async move { jws }
            }),
        );
        let l = vouch_ops::loopback::listener().await.unwrap();
        let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(l, app).await });
        base
    };
    let other = register(&iss.url, &iss.signing_key());
    let forged = serve_snapshot(other.snapshot.clone()).await;
    let e = w
        .refresh_register(&forged, &reg.snapshot_jwk, &reg.log_vkey)
        .await
        .unwrap_err();
    assert!(matches!(e, wallet_core::Error::Snapshot(_)), "{e}");
    let genuine = serve_snapshot(reg.snapshot.clone()).await;
    w.refresh_register(&genuine, &reg.snapshot_jwk, &reg.log_vkey)
        .await
        .unwrap();

    let (id, link) = ver.start_check("direct_post.jwt").await;
    let consent = w.prepare_presentation(&link).await.unwrap();
    assert_eq!(consent.trust, TrustFinding::Registered, "{consent:?}");
    assert_eq!(consent.refused, None);
    assert_eq!(
        consent.verifier.name.as_deref(),
        Some("Example Employer plc")
    );
    assert_eq!(consent.verifier.client_id, "x509_san_dns:localhost");
    assert_eq!(consent.purpose.as_deref(), Some("right_to_work"));
    assert_eq!(consent.credentials.len(), 1);
    let names: Vec<&str> = consent.credentials[0]
        .claims
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    for n in ["given_name", "family_name", "birthdate", "document/number"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert!(consent.credentials[0].claims.iter().all(|c| c.registered));
    // The person approves every claim asked.
    let out = w
        .respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    assert!(out.shared, "{out:?}");
    assert_eq!(out.error, None);
    let page = ver.page(&id).await;
    assert!(page.contains("data-outcome=\"passed\""), "{page}");
    assert!(page.contains("Ada Lovelace") && page.contains("Test Identity Ltd"));
    let record = ver.record_verifies(&id).await;
    assert_eq!(record["claims"]["family_name"], "Lovelace", "{record:#}");
    // A single-use member of the batch was spent; the rest stay fresh.
    let creds = w.credentials().await.unwrap();
    assert_eq!(creds.iter().filter(|c| c.used).count(), 1);
    assert_eq!(w.activity().await.unwrap().len(), 2);
}

/// Version 2 of the right-to-work credential end to end: the real issuer issues
/// `urn:vouch:uk:right-to-work:2` (the GPG 45 assurance as OIDC4IA `verified_claims`), the
/// wallet holds it beside nothing else, the real verifier's right-to-work template offers
/// version 2 first and version 1 as the alternative, the wallet answers the version 2 query
/// with the nested claims asked (each registered), and the check passes with a record that
/// verifies offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_verifier_passes_a_right_to_work_check_answered_with_a_real_issuer_v2_credential() {
    let iss = start_issuer().await;
    let reg = register(&iss.url, &iss.signing_key());
    let ver = start_verifier(&reg, &iss.url).await;
    iss.subject("subj-rtw2").await;
    let offer = iss
        .offer(
            "subj-rtw2",
            &["right_to_work_v2_sd_jwt"],
            json!({"tx_code": false}),
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let w = wallet(dir.path()).await;
    w.accept_offer(offer["offer_url"].as_str().unwrap(), None)
        .await
        .unwrap();
    let creds = w.credentials().await.unwrap();
    assert_eq!(creds[0].value.type_name(), RTW_V2_VCT);
    assert_eq!(
        creds[0].value.claims["verified_claims"]["verification"]["trust_framework"],
        "uk_tfida"
    );
    w.add_verifier_root(&ver.root.to_pem()).await.unwrap();
    w.set_snapshot(&reg.snapshot, &reg.snapshot_jwk, &reg.log_vkey)
        .await
        .unwrap();

    let (id, link) = ver.start_check("direct_post.jwt").await;
    let consent = w.prepare_presentation(&link).await.unwrap();
    assert_eq!(consent.trust, TrustFinding::Registered, "{consent:?}");
    assert_eq!(consent.refused, None);
    assert_eq!(consent.credentials.len(), 1);
    let c = &consent.credentials[0];
    assert_eq!(c.query_id, "right_to_work_v2");
    assert_eq!(c.type_name, RTW_V2_VCT);
    let names: Vec<&str> = c.claims.iter().map(|c| c.name.as_str()).collect();
    for n in [
        "verified_claims/claims/family_name",
        "verified_claims/verification/trust_framework",
        "verified_claims/verification/assurance_process/procedure",
        "verified_claims/verification/evidence/document_details/document_number",
        "verified_claims/verification/evidence/check_details/organization",
        "portrait",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.ends_with("check_method")),
        "{names:?}"
    );
    assert!(c.claims.iter().all(|c| c.registered), "{consent:?}");
    let out = w
        .respond(&consent.id, &Consent::approve_all(&consent))
        .await
        .unwrap();
    assert!(out.shared, "{out:?}");
    let page = ver.page(&id).await;
    assert!(page.contains("data-outcome=\"passed\""), "{page}");
    assert!(page.contains("Ada Lovelace") && page.contains("Test Identity Ltd"));
    assert!(page.contains("GPG 45 profile M1B"), "{page}");
    let record = ver.record_verifies(&id).await;
    let claims = &record["claims"]["verified_claims"];
    assert_eq!(claims["claims"]["family_name"], "Lovelace", "{record:#}");
    assert_eq!(claims["verification"]["assurance_level"], "medium");
    // Only what was asked: how the document was checked stayed in the wallet.
    assert!(claims["verification"]["evidence"][0]["check_details"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.get("check_method").is_none() && c["organization"] == "Test Identity Ltd"));
    w.close().await;
    assert_nothing_in_clear(dir.path(), &["Lovelace", "1990-12-10", "uk_tfida"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn w3c_right_to_work_credentials_go_from_the_real_issuer_through_the_wallet_to_a_passed_check(
) {
    let iss = start_issuer().await;
    let reg = register(&iss.url, &iss.signing_key());
    let ver = start_verifier(&reg, &iss.url).await;
    iss.subject("subj-w3c").await;
    for (config, format) in [
        ("right_to_work_jwt_vc", "jwt_vc_json"),
        ("right_to_work_ldp_vc", "ldp_vc"),
    ] {
        let offer = iss
            .offer("subj-w3c", &[config], json!({"tx_code": false}))
            .await;
        let dir = tempfile::tempdir().unwrap();
        let w = wallet(dir.path()).await;
        let got = w
            .accept_offer(offer["offer_url"].as_str().unwrap(), None)
            .await
            .unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        let creds = w.credentials().await.unwrap();
        assert_eq!(creds.len(), got[0].count);
        assert_eq!(distinct_device_keys(&creds), creds.len());
        let c = &creds[0].value;
        assert_eq!(c.format, format);
        assert_eq!(c.type_name(), RTW_VC_TYPE);
        assert_eq!(c.claims["credentialSubject"]["family_name"], "Lovelace");
        w.add_verifier_root(&ver.root.to_pem()).await.unwrap();
        w.set_snapshot(&reg.snapshot, &reg.snapshot_jwk, &reg.log_vkey)
            .await
            .unwrap();

        // A W3C credential is shared whole: the consent lists every claim it releases.
        let (id, link) = ver
            .start_check_with("direct_post.jwt", "right-to-work-w3c")
            .await;
        let consent = w.prepare_presentation(&link).await.unwrap();
        assert_eq!(consent.trust, TrustFinding::Registered, "{consent:?}");
        assert_eq!(consent.refused, None, "{consent:?}");
        let names: Vec<&str> = consent.credentials[0]
            .claims
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        for n in [
            "given_name",
            "birthdate",
            "portrait",
            "confidence",
            "checked_by",
        ] {
            assert!(names.contains(&n), "{n} in {names:?}");
        }
        // Approving only some of it shares nothing.
        let partial = Consent {
            approve: true,
            claims: consent.credentials[0]
                .claims
                .iter()
                .filter(|c| c.name != "portrait")
                .map(|c| c.key.clone())
                .collect(),
        };
        let out = w.respond(&consent.id, &partial).await.unwrap();
        assert!(!out.shared);
        assert_eq!(out.error.as_deref(), Some("access_denied"));
        let page = ver.page(&id).await;
        assert!(!page.contains("data-outcome=\"passed\""));

        let (id, link) = ver
            .start_check_with("direct_post.jwt", "right-to-work-w3c")
            .await;
        let consent = w.prepare_presentation(&link).await.unwrap();
        let out = w
            .respond(&consent.id, &Consent::approve_all(&consent))
            .await
            .unwrap();
        assert!(out.shared, "{format}: {out:?}");
        let page = ver.page(&id).await;
        assert!(page.contains("data-outcome=\"passed\""), "{format}: {page}");
        assert!(page.contains("Ada Lovelace") && page.contains("Test Identity Ltd"));
        // `check-record` verifies the W3C record through the same pipeline (it once
        // re-read every record as an SD-JWT and failed all W3C ones).
        let record = ver.record_verifies(&id).await;
        assert_eq!(
            record["claims"]["family_name"], "Lovelace",
            "{format}: {record:#}"
        );
        w.close().await;
        assert_nothing_in_clear(dir.path(), &["Lovelace", "1990-12-10"]);
    }
}

/// Device keys whose wallet provider gives a wallet attestation (HAIP 1.0 section 4.4.1)
/// for the instance key it keeps: what an app's platform and provider backend give.
struct WalletAttested(issuer::wallet::WalletProvider);

impl wallet_core::device_keys::DeviceKeys for WalletAttested {
    fn create(&self) -> wallet_core::Result<(zeroize::Zeroizing<Vec<u8>>, PublicKey)> {
        wallet_core::device_keys::SoftwareDeviceKeys.create()
    }
    fn signer(&self, handle: &[u8]) -> wallet_core::Result<Arc<dyn Signer>> {
        wallet_core::device_keys::SoftwareDeviceKeys.signer(handle)
    }
    fn wallet_attestation(
        &self,
        client_id: &str,
    ) -> wallet_core::Result<Option<(String, zeroize::Zeroizing<Vec<u8>>)>> {
        use credentials::openid4vci::client_attestation::WalletAttestationClaims;
        let (handle, instance_key) = self.create()?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let jwt = WalletAttestationClaims {
            iss: "https://wallet-provider.example".into(),
            client_id: client_id.into(),
            instance_key,
            iat: now,
            exp: now + 3600,
            wallet_name: Some("Test Wallet".into()),
        }
        .sign(self.0.signer.as_ref(), &self.0.chain[..1])
        .unwrap();
        Ok(Some((jwt, handle)))
    }
}

/// A register where `provider`'s root is the `x5c_root` of a service certified for `role`.
fn register_with_wallet_provider(
    provider: &issuer::wallet::WalletProvider,
    role: trust_framework::model::Role,
) -> trust_framework::register::Register {
    let now = OffsetDateTime::now_utc();
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let mut log = Log::new();
    log.append(genesis::genesis("register.test/log", &log_key, now - Duration::days(2)).unwrap())
        .unwrap();
    let mut reg = registration(
        "wallet-provider",
        "Wallet Provider Ltd",
        &[],
        certificate(
            "wp-1",
            "cab-a",
            now - Duration::days(1),
            now + Duration::days(300),
        ),
        vec![trust_framework::model::TrustAnchor {
            anchor_id: "root".into(),
            key: trust_framework::model::AnchorKey::X5cRoot {
                certificate: credentials::b64::encode(provider.root().der()),
            },
        }],
        now + Duration::days(300),
    );
    if let EventKind::EntryRegistered { service, .. } = &mut reg {
        service.roles = vec![role];
    }
    log.append(event(now - Duration::days(1), operator(), reg))
        .unwrap();
    log.register().clone()
}

async fn attested_wallet(
    dir: &std::path::Path,
    provider: issuer::wallet::WalletProvider,
) -> Wallet {
    let w = Wallet::open_with(
        dir,
        &PassphraseKeyStore::with_cost("pw", Argon2Cost::TEST_ONLY),
        Arc::new(WalletAttested(provider)),
    )
    .await
    .unwrap();
    w.set_fetch_policy(vouch_fetch::FetchPolicy {
        any_loopback_origin: true,
        ..Default::default()
    });
    w
}

/// The real issuer, requiring wallet attestations from the wallet providers of `register`.
async fn issuer_requiring_wallet_attestations(
    register: trust_framework::register::Register,
) -> RealIssuer {
    start_issuer_with(|c| {
        c.wallet_attestation = issuer::client_attestation::WalletAttestationPolicy {
            required: true,
            register: Some(Arc::new(register)),
            roots: Vec::new(),
        };
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_requiring_wallet_attestations_takes_only_registered_wallet_providers() {
    use trust_framework::model::Role;
    let provider = issuer::wallet::WalletProvider::generate("Registered Wallet Provider");
    let register = register_with_wallet_provider(&provider, Role::HolderServiceProvider);
    let iss = issuer_requiring_wallet_attestations(register).await;
    iss.subject("subj-wa").await;
    async fn offer(iss: &RealIssuer) -> String {
        iss.offer("subj-wa", &["pid_sd_jwt"], json!({"tx_code": false}))
            .await["offer_url"]
            .as_str()
            .unwrap()
            .to_string()
    }
    let invalid_client = |e: &Error| match e {
        Error::Issuer { error, description } => {
            assert_eq!(error, "invalid_client", "{description:?}");
            description.clone().unwrap_or_default()
        }
        other => panic!("not an issuer refusal: {other}"),
    };

    // No attestation: refused at the token endpoint, nothing issued.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = wallet(plain_dir.path()).await;
    let e = plain
        .accept_offer(&offer(&iss).await, None)
        .await
        .unwrap_err();
    assert!(invalid_client(&e).contains("required"), "{e}");

    // An attestation from a provider not on the register: refused as untrusted.
    let stranger_dir = tempfile::tempdir().unwrap();
    let stranger = attested_wallet(
        stranger_dir.path(),
        issuer::wallet::WalletProvider::generate("Unregistered Wallet Provider"),
    )
    .await;
    let e = stranger
        .accept_offer(&offer(&iss).await, None)
        .await
        .unwrap_err();
    assert!(invalid_client(&e).contains("not trusted"), "{e}");
    assert_eq!(iss.shared.store.count("credentials").await.unwrap(), 0);

    // The registered provider's wallet gets its credentials.
    let dir = tempfile::tempdir().unwrap();
    let w = attested_wallet(dir.path(), provider).await;
    let got = w.accept_offer(&offer(&iss).await, None).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(iss.shared.store.count("credentials").await.unwrap() > 0);

    // The metadata says how clients authenticate.
    let meta: Value = iss
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            iss.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["attest_jwt_client_auth"])
    );
    assert_eq!(
        meta["pre-authorized_grant_anonymous_access_supported"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_attestation_from_a_register_entry_not_certified_as_a_wallet_provider_is_refused()
{
    use trust_framework::model::Role;
    let provider = issuer::wallet::WalletProvider::generate("Identity Provider Posing");
    let register = register_with_wallet_provider(&provider, Role::IdentityServiceProvider);
    let iss = issuer_requiring_wallet_attestations(register).await;
    iss.subject("subj-wa2").await;
    let offer = iss
        .offer("subj-wa2", &["pid_sd_jwt"], json!({"tx_code": false}))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let w = attested_wallet(dir.path(), provider).await;
    let e = w
        .accept_offer(offer["offer_url"].as_str().unwrap(), None)
        .await
        .unwrap_err();
    match e {
        Error::Issuer { error, description } => {
            assert_eq!(error, "invalid_client");
            let d = description.unwrap_or_default();
            assert!(
                d.contains("holder service provider"),
                "names the missing role: {d}"
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_response_from_another_server_or_without_iss_is_refused() {
    let iss = start_issuer().await;
    iss.subject("subj-mixup").await;
    for tamper in [
        |l: &str| l.replace("iss=", "iss=https%3A%2F%2Fevil.example&was="),
        |l: &str| {
            let u = url::Url::parse(l).unwrap();
            let kept: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| k != "iss")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut out = u.clone();
            out.query_pairs_mut().clear().extend_pairs(kept);
            out.to_string()
        },
    ] {
        let offer = iss
            .offer(
                "subj-mixup",
                &["right_to_work_sd_jwt"],
                json!({"pre_authorized": false, "authorization_code": true}),
            )
            .await;
        let dir = tempfile::tempdir().unwrap();
        let w = wallet(dir.path()).await;
        let resolved = w
            .resolve_offer(offer["offer_url"].as_str().unwrap())
            .await
            .unwrap();
        let start = w
            .start_authorization(resolved, "https://wallet.example/cb")
            .await
            .unwrap();
        let location = sign_in(&iss, &start.authorize_url, "subj-mixup").await;
        assert!(
            location.contains("iss="),
            "the issuer names itself: {location}"
        );
        let e = w
            .finish_authorization(&start.id, &tamper(&location))
            .await
            .unwrap_err();
        assert!(matches!(&e, Error::Offer(m) if m.contains("iss")), "{e}");
        assert!(w.credentials().await.unwrap().is_empty());
    }
    // The codes were never redeemed.
    assert_eq!(iss.shared.store.count("credentials").await.unwrap(), 0);
}
