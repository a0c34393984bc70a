//! The OpenID4VP 1.0 verifier: transactions, signed request objects by reference,
//! `direct_post` / `direct_post.jwt` responses, single-use nonces, and the right-to-work
//! outcome of each response.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;
use credentials::b64;
use credentials::dcql::DcqlQuery;
use credentials::jose::jwe::Enc;
use credentials::jose::sign_compact;
use credentials::keys::{provider, Algorithm, Jwk, KeyKind, Signer, SoftwareSigner};
use credentials::openid4vp::{
    AuthorizationRequest, AuthorizationResponse, ClientId, REQUEST_OBJECT_TYP,
};
use credentials::x509::dev::{self, CertSpec};
use credentials::x509::Certificate;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::pipeline::{Expect, Handover, Verifier};
use crate::rtw::{self, Person};
use crate::store::{Store, StoreError, Transaction};
use crate::trust::LogProofs;

/// The DCQL templates shipped in `specs/dcql/templates/`.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "right-to-work",
        include_str!("../../specs/dcql/templates/right-to-work.json"),
    ),
    (
        "right-to-work-w3c",
        include_str!("../../specs/dcql/templates/right-to-work-w3c.json"),
    ),
];

/// A clock (a fake one in tests).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stays where it is set.
pub struct FixedClock(pub Mutex<OffsetDateTime>);

impl FixedClock {
    /// At `t`.
    pub fn new(t: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(t))
    }
    /// Moves to `t`.
    pub fn set(&self, t: OffsetDateTime) {
        *self.0.lock().expect("clock") = t;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}

/// Why a request or response was refused, with the OAuth error and HTTP status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum Oid4vpError {
    /// No such transaction.
    #[error("unknown transaction")]
    UnknownTransaction,
    /// The response is malformed or does not fit the transaction.
    #[error("{0}")]
    InvalidRequest(String),
    /// The transaction was already answered (nonces are single use) or has expired.
    #[error("the transaction was already answered or has expired")]
    AlreadyAnswered,
    /// The request cannot be served.
    #[error("{0}")]
    Server(String),
    /// A bound is reached (pending transactions); try again shortly.
    #[error("too many checks are waiting for an answer; try again shortly")]
    Busy,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Oid4vpError {
    /// The OAuth `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Oid4vpError::UnknownTransaction => "invalid_request",
            Oid4vpError::InvalidRequest(_) | Oid4vpError::AlreadyAnswered => "invalid_request",
            Oid4vpError::Server(_) | Oid4vpError::Store(_) => "server_error",
            Oid4vpError::Busy => "temporarily_unavailable",
        }
    }
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Oid4vpError::UnknownTransaction => 404,
            Oid4vpError::InvalidRequest(_) | Oid4vpError::AlreadyAnswered => 400,
            Oid4vpError::Server(_) | Oid4vpError::Store(_) => 500,
            Oid4vpError::Busy => 503,
        }
    }
}

/// The default bound on pending, unexpired transactions ([`Service::max_pending_transactions`]).
pub const MAX_PENDING_TRANSACTIONS: i64 = 10_000;

/// Loads a JWK key file, or generates and writes one.
pub fn load_or_create_key(path: &Path) -> Result<SoftwareSigner, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let jwk = Jwk::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        return SoftwareSigner::from_jwk(&jwk).map_err(|e| e.to_string());
    }
    let (signer, secret) = SoftwareSigner::generate(Algorithm::Es256).map_err(|e| e.to_string())?;
    // 0600 in a 0700 directory, created exclusively (the private key is in it).
    vouch_ops::files::write_private(path, Jwk::from_secret_key(&secret).to_value().to_string())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(signer)
}

/// The key, certificate chain and client id that sign request objects.
#[derive(Clone)]
pub struct RequestSigner {
    /// The signing key.
    pub signer: Arc<SoftwareSigner>,
    /// Leaf first.
    pub chain: Vec<Certificate>,
    /// The client id.
    pub client_id: ClientId,
    /// The root wallets must trust (development: the dev reader root).
    pub root: Certificate,
}

impl RequestSigner {
    /// A development signer: a reader root kept in `data_dir` (created on first run) and a
    /// fresh leaf certificate for `dns` issued at every start. `x509_hash` selects that
    /// prefix instead of `x509_san_dns`.
    pub fn dev(data_dir: &Path, dns: &str, x509_hash: bool) -> Result<Self, String> {
        let root_key: Arc<dyn Signer> =
            Arc::new(load_or_create_key(&data_dir.join("reader-root.jwk"))?);
        let root_path = data_dir.join("reader-root.pem");
        let root = match std::fs::read_to_string(&root_path)
            .ok()
            .and_then(|p| Certificate::from_pem_chain(&p).ok())
            .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
            .filter(|c| c.public_key().ok().as_ref() == Some(root_key.public_key()))
        {
            Some(c) => c,
            None => {
                let c = dev::self_signed(
                    &CertSpec {
                        common_name: "Vouch development verifier root".into(),
                        organization: Some("Vouch".into()),
                        days: 3650,
                        ca: Some(Some(0)),
                        ..Default::default()
                    },
                    root_key.clone(),
                )
                .map_err(|e| e.to_string())?;
                vouch_ops::files::write_private(&root_path, c.to_pem())
                    .map_err(|e| e.to_string())?;
                c
            }
        };
        let signer = Arc::new(load_or_create_key(&data_dir.join("request-signing.jwk"))?);
        let leaf = dev::issue(
            &CertSpec {
                common_name: dns.into(),
                organization: Some("Vouch verifier".into()),
                not_before: Some(OffsetDateTime::now_utc().unix_timestamp() - 3600),
                days: 90,
                dns_names: vec![dns.into()],
                ..Default::default()
            },
            signer.public_key(),
            &root,
            root_key,
        )
        .map_err(|e| e.to_string())?;
        let client_id = if x509_hash {
            ClientId::X509Hash(ClientId::x509_hash_of(&leaf))
        } else {
            ClientId::X509SanDns(dns.into())
        };
        Ok(RequestSigner {
            signer,
            chain: vec![leaf],
            client_id,
            root,
        })
    }
}

/// What a response came to, stored with the transaction and shown to the employer.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, Default)]
pub struct CheckOutcome {
    /// Every check passed and the right-to-work rules are met.
    pub passed: bool,
    /// The verification report (JSON).
    pub report: Value,
    /// The register's decision (JSON).
    pub trust: Value,
    /// The person (only when verification passed).
    pub person: Option<Person>,
    /// The right-to-work rule that failed, in words.
    pub rule_failure: Option<String>,
    /// An error the wallet sent instead of a presentation.
    pub wallet_error: Option<String>,
    /// The credential query id answered.
    pub query_id: Option<String>,
    /// The provider's register entry.
    pub entry_id: Option<String>,
}

/// What the response endpoint answers.
#[derive(Clone, Debug)]
pub struct ResponseAck {
    /// Where the wallet sends the person (same-device flow).
    pub redirect_uri: String,
}

/// The OpenID4VP verifier service.
pub struct Service {
    /// Storage.
    pub store: Store,
    /// The pipeline.
    pub verifier: Verifier,
    /// Request object signing.
    pub request_signer: RequestSigner,
    /// The record signing key.
    pub record_key: Arc<SoftwareSigner>,
    /// Public base URL (`https://verifier.example`), no trailing slash.
    pub base_url: String,
    /// DCQL templates by name.
    pub templates: BTreeMap<String, DcqlQuery>,
    /// How long a transaction accepts a response, seconds.
    pub transaction_ttl: i64,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where inclusion proofs come from (none: records carry the checkpoint only).
    pub proofs: Option<Arc<dyn LogProofs>>,
    /// The snapshot key and log key in force (kept in records).
    pub snapshot_keys: (Value, String),
    /// Retention after employment ends, in days (two years).
    pub retention_days: i64,
    /// Pending, unexpired transactions kept at once; past it, new checks are refused (503).
    /// [`MAX_PENDING_TRANSACTIONS`] by default.
    pub max_pending_transactions: i64,
}

fn random_id() -> String {
    b64::encode(provider::random_bytes::<18>())
}

/// Loads the shipped templates.
pub fn templates() -> BTreeMap<String, DcqlQuery> {
    TEMPLATES
        .iter()
        .map(|(n, t)| {
            let v: Value = serde_json::from_str(t).expect("template JSON");
            (
                n.to_string(),
                DcqlQuery::from_json(&v).expect("template DCQL"),
            )
        })
        .collect()
}

impl Service {
    /// Starts a transaction for template `template` answered by `response_mode`.
    pub async fn create(
        &self,
        template: &str,
        response_mode: &str,
    ) -> Result<Transaction, Oid4vpError> {
        let query = self
            .templates
            .get(template)
            .ok_or_else(|| Oid4vpError::InvalidRequest(format!("no DCQL template {template}")))?;
        if response_mode != "direct_post" && response_mode != "direct_post.jwt" {
            return Err(Oid4vpError::InvalidRequest(
                "response_mode must be direct_post or direct_post.jwt".into(),
            ));
        }
        // Anyone can start a check: the number waiting is bounded, so a flood cannot fill
        // the disk (and each expires after the transaction lifetime).
        let now = self.clock.now().unix_timestamp();
        if self.store.pending_transactions(now).await? >= self.max_pending_transactions {
            return Err(Oid4vpError::Busy);
        }
        let enc_key = if response_mode == "direct_post.jwt" {
            let sk = provider::default()
                .generate(KeyKind::P256)
                .map_err(|e| Oid4vpError::Server(e.to_string()))?;
            let jwk = Jwk::from_secret_key(&sk);
            let kid = jwk.thumbprint();
            Some(jwk.with_kid(kid).to_value().to_string())
        } else {
            None
        };
        let now = self.clock.now().unix_timestamp();
        let t = Transaction {
            id: random_id(),
            created_at: now,
            expires_at: now + self.transaction_ttl,
            state: "pending".into(),
            nonce: random_id(),
            client_id: self.request_signer.client_id.as_string(),
            response_mode: response_mode.into(),
            template: template.into(),
            dcql: query.to_json().to_string(),
            enc_key,
            ..Default::default()
        };
        self.store.insert_transaction(&t).await?;
        tracing::info!(transaction = %vouch_ops::log::id_digest(&t.id), "transaction created");
        Ok(t)
    }

    /// The response URI of a transaction.
    pub fn response_uri(&self, id: &str) -> String {
        format!("{}/response/{id}", self.base_url)
    }

    /// The request URI of a transaction.
    pub fn request_uri(&self, id: &str) -> String {
        format!("{}/request/{id}", self.base_url)
    }

    /// The wallet invocation URL (`openid4vp://?client_id=..&request_uri=..&request_uri_method=post`).
    pub fn wallet_url(&self, id: &str) -> String {
        AuthorizationRequest::by_reference_url(
            &self.request_signer.client_id,
            &self.request_uri(id),
            true,
        )
    }

    /// The signed request object of a transaction; `wallet_nonce` is echoed when the wallet
    /// posted one (`request_uri_method=post`).
    pub async fn request_object(
        &self,
        id: &str,
        wallet_nonce: Option<&str>,
    ) -> Result<String, Oid4vpError> {
        let t = self
            .store
            .transaction(id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        let now = self.clock.now().unix_timestamp();
        if t.state != "pending" || now >= t.expires_at {
            return Err(Oid4vpError::AlreadyAnswered);
        }
        let query = DcqlQuery::from_json(
            &serde_json::from_str(&t.dcql).map_err(|e| Oid4vpError::Server(e.to_string()))?,
        )
        .map_err(|e| Oid4vpError::Server(e.0))?;
        let encryption_keys = match &t.enc_key {
            Some(k) => {
                let jwk = Jwk::from_json(k).map_err(|e| Oid4vpError::Server(e.to_string()))?;
                vec![jwk.to_public()]
            }
            None => vec![],
        };
        let mut client_metadata = Map::new();
        client_metadata.insert(
            "vp_formats_supported".into(),
            json!({"dc+sd-jwt": {"sd-jwt_alg_values": ["ES256", "ES384", "EdDSA"], "kb-jwt_alg_values": ["ES256", "ES384", "EdDSA"]},
                   "mso_mdoc": {"issuerauth_alg_values": [-7, -35, -8], "deviceauth_alg_values": [-7, -35, -8]},
                   "jwt_vc_json": {"alg_values": ["ES256", "ES384", "EdDSA"]},
                   "ldp_vc": {"proof_type_values": ["DataIntegrityProof"],
                              "cryptosuite_values": ["ecdsa-rdfc-2019", "ecdsa-jcs-2019", "eddsa-rdfc-2022", "eddsa-jcs-2022"]}}),
        );
        let req = AuthorizationRequest {
            client_id: self.request_signer.client_id.clone(),
            response_mode: t.response_mode.clone(),
            response_uri: self.response_uri(&t.id),
            nonce: t.nonce.clone(),
            state: Some(t.id.clone()),
            dcql_query: query,
            encryption_keys,
            enc_values: if t.enc_key.is_some() {
                vec!["A128GCM".into(), "A256GCM".into()]
            } else {
                vec![]
            },
            client_metadata,
            purpose: Some(self.verifier.policy.purpose.clone()),
        };
        // `alg: ECDH-ES` is left out of the JWK: credentials::keys::Jwk refuses a non-signature alg.
        let mut claims = req.to_claims();
        claims.insert(
            "aud".into(),
            credentials::openid4vp::SELF_ISSUED_AUDIENCE.into(),
        );
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), t.expires_at.into());
        if let Some(n) = wallet_nonce {
            claims.insert("wallet_nonce".into(), n.into());
        }
        let mut header = Map::new();
        header.insert("typ".into(), REQUEST_OBJECT_TYP.into());
        header.insert(
            "x5c".into(),
            Value::Array(
                self.request_signer
                    .chain
                    .iter()
                    .map(|c| {
                        base64::engine::general_purpose::STANDARD
                            .encode(c.der())
                            .into()
                    })
                    .collect(),
            ),
        );
        let payload = serde_json::to_vec(&Value::Object(claims)).expect("JSON");
        sign_compact(&header, &payload, self.request_signer.signer.as_ref())
            .map_err(|e| Oid4vpError::Server(e.to_string()))
    }

    /// Handles a wallet's response (form parameters of `direct_post` or `direct_post.jwt`).
    pub async fn respond(
        &self,
        id: &str,
        params: &Map<String, Value>,
    ) -> Result<ResponseAck, Oid4vpError> {
        let t = self
            .store
            .transaction(id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        let raw_body = Value::Object(params.clone()).to_string();
        let response = match (&t.enc_key, params.get("response").and_then(Value::as_str)) {
            (Some(k), Some(jwe)) => {
                let jwk = Jwk::from_json(k).map_err(|e| Oid4vpError::Server(e.to_string()))?;
                let sk = jwk
                    .secret_key()
                    .ok()
                    .flatten()
                    .ok_or_else(|| Oid4vpError::Server("transaction key".into()))?;
                AuthorizationResponse::decrypt(jwe, &sk, &[Enc::A128Gcm, Enc::A256Gcm])
                    .map_err(|e| Oid4vpError::InvalidRequest(e.to_string()))?
            }
            (Some(_), None) => {
                return Err(Oid4vpError::InvalidRequest(
                    "this transaction expects an encrypted response (direct_post.jwt)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(Oid4vpError::InvalidRequest(
                    "this transaction expects direct_post, not an encrypted response".into(),
                ))
            }
            (None, None) => AuthorizationResponse::from_params(params)
                .map_err(|e| Oid4vpError::InvalidRequest(e.to_string()))?,
        };
        if response.state.as_deref().is_some_and(|s| s != t.id) {
            return Err(Oid4vpError::InvalidRequest(
                "state does not match the transaction".into(),
            ));
        }
        let now = self.clock.now();
        if !self.store.claim(id, now.unix_timestamp()).await? {
            tracing::warn!(
                transaction = %vouch_ops::log::id_digest(id),
                "response refused: already answered or expired"
            );
            return Err(Oid4vpError::AlreadyAnswered);
        }
        let outcome = self.evaluate(&t, &response, now).await;
        tracing::info!(
            transaction = %vouch_ops::log::id_digest(id),
            passed = outcome.passed,
            "response verified"
        );
        let code = random_id();
        self.store
            .responded(
                id,
                &json!({"received": serde_json::from_str::<Value>(&raw_body).unwrap_or_default(), "response": response.to_json()}).to_string(),
                &serde_json::to_string(&outcome).expect("JSON"),
                &code,
                now.unix_timestamp(),
            )
            .await?;
        Ok(ResponseAck {
            redirect_uri: format!("{}/checks/{id}?response_code={code}", self.base_url),
        })
    }

    /// Verifies every presentation of a response and applies the right-to-work rules.
    pub async fn evaluate(
        &self,
        t: &Transaction,
        response: &AuthorizationResponse,
        now: OffsetDateTime,
    ) -> CheckOutcome {
        if let Some(e) = &response.error {
            return CheckOutcome {
                wallet_error: Some(e.clone()),
                ..Default::default()
            };
        }
        let query = serde_json::from_str(&t.dcql)
            .ok()
            .and_then(|v| DcqlQuery::from_json(&v).ok());
        let Some(query) = query else {
            return CheckOutcome::default();
        };
        let fail = |msg: String| CheckOutcome {
            report: json!({"valid": false, "checks": [{"name": "request", "ok": false, "detail": msg}], "error": {"code": "request_not_satisfied", "message": msg}}),
            ..Default::default()
        };
        if response.vp_token.len() != 1 || response.vp_token.values().any(|v| v.len() != 1) {
            return fail("the response must answer the request with exactly one credential".into());
        }
        let (qid, items) = response.vp_token.iter().next().expect("one entry");
        let Some(cq) = query.credential(qid) else {
            return fail(format!("the response answers unknown query \"{qid}\""));
        };
        let ex_base = Expect {
            client_id: &t.client_id,
            nonce: &t.nonce,
            transcript: None,
            query: Some((&query, qid)),
            now,
        };
        let thumb = t
            .enc_key
            .as_deref()
            .and_then(|k| Jwk::from_json(k).ok())
            .and_then(|k| b64::decode(&k.thumbprint()));
        let response_uri = self.response_uri(&t.id);
        let handover = Handover {
            response_uri: &response_uri,
            jwk_thumbprint: thumb.as_deref(),
        };
        let fetch = crate::vc_api::VcApi::with_policy(
            self.clock.clone(),
            self.verifier.status.fetch_policy(),
        )
        .resolving_only(self.verifier.trust.did_scope());
        let Some(outcome) = self
            .verifier
            .verify_presented(&cq.format, &items[0], &ex_base, &handover, &fetch)
            .await
        else {
            return fail(format!(
                "the presentation for \"{qid}\" is not a {} string",
                cq.format
            ));
        };
        let report = outcome.report;
        let mut out = CheckOutcome {
            passed: false,
            report: serde_json::to_value(&report).unwrap_or_default(),
            trust: serde_json::to_value(&outcome.trust).unwrap_or_default(),
            query_id: Some(qid.clone()),
            entry_id: outcome.trust.as_ref().and_then(|f| f.entry_id.clone()),
            ..Default::default()
        };
        if let Some(claims) = &report.claims {
            let person = Person::from_claims(claims);
            match rtw::check(&person, now) {
                Ok(()) => out.passed = true,
                Err(e) => out.rule_failure = Some(e.to_string()),
            }
            out.person = Some(person);
        }
        out
    }
}

impl Service {
    /// The employer confirmed (or refused) the photo likeness: the check is complete and
    /// its signed record stored. Returns the record id.
    pub async fn complete(
        &self,
        id: &str,
        confirmed: bool,
        checked_by: &str,
        employment_end: Option<time::Date>,
    ) -> Result<String, Oid4vpError> {
        let t = self
            .store
            .transaction(id)
            .await?
            .ok_or(Oid4vpError::UnknownTransaction)?;
        if t.state != "responded" {
            return Err(Oid4vpError::InvalidRequest(
                "the check is not awaiting a likeness confirmation".into(),
            ));
        }
        let outcome: Value =
            serde_json::from_str(t.outcome.as_deref().unwrap_or("null")).unwrap_or_default();
        // A check that did not pass (a forged or untrusted credential, a rule not met) has no
        // photo to compare and gives no statutory excuse: its page says why, and nothing
        // about the person is kept.
        if outcome["passed"] != Value::Bool(true) {
            return Err(Oid4vpError::InvalidRequest(
                "the check did not pass: there is no photo to confirm and no record is kept".into(),
            ));
        }
        let now = self.clock.now();
        let trust = self.verifier.trust.current();
        let proofs = match (&self.proofs, outcome["entry_id"].as_str()) {
            (Some(p), Some(entry)) => crate::record::entry_proofs(p.as_ref(), &trust, entry).await,
            _ => vec![],
        };
        let likeness = crate::record::Likeness {
            confirmed,
            checked_by: checked_by.to_string(),
            at: crate::rfc3339(now),
        };
        let record_id = random_id();
        let payload = crate::record::payload(
            &record_id,
            &t,
            &outcome,
            &trust,
            &self.snapshot_keys,
            proofs,
            &likeness,
            now.unix_timestamp(),
            &self.response_uri(&t.id),
        );
        let jws =
            crate::record::sign(&payload, self.record_key.as_ref()).map_err(Oid4vpError::Server)?;
        let stored = crate::store::StoredRecord {
            id: record_id.clone(),
            transaction_id: t.id.clone(),
            created_at: now.unix_timestamp(),
            employment_end: employment_end.map(|d| d.to_string()),
            delete_after: employment_end.map(|d| self.delete_after(d)),
            record: jws,
        };
        if !self
            .store
            .complete(id, &stored, now.unix_timestamp())
            .await?
        {
            return Err(Oid4vpError::AlreadyAnswered);
        }
        tracing::info!(
            transaction = %vouch_ops::log::id_digest(id),
            record = %vouch_ops::log::id_digest(&record_id),
            "check completed"
        );
        Ok(record_id)
    }

    /// When a record of employment ending on `end` is deleted: `retention_days` later.
    pub fn delete_after(&self, end: time::Date) -> i64 {
        (end.midnight().assume_utc() + time::Duration::days(self.retention_days)).unix_timestamp()
    }

    /// Deletes records past retention and stale transactions; (records, transactions).
    pub async fn purge(&self) -> Result<(u64, u64), Oid4vpError> {
        let now = self.clock.now().unix_timestamp();
        let r = self.store.purge(now, 86_400).await?;
        if r.0 > 0 || r.1 > 0 {
            tracing::info!(records = r.0, transactions = r.1, "purged");
        }
        Ok(r)
    }
}
