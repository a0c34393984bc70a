//! The W3C VC API verifier endpoints: `POST /credentials/verify` and
//! `POST /presentations/verify`, in the request and response shapes the W3C test suites use
//! (`{"verifiableCredential": …, "options": {"checks": […]}}` →
//! `200 {"verified": true, …}` or `400 {"verified": false, "problemDetails": […]}`).
//!
//! Verification itself is [`credentials::w3c::verify()`] (VC-JOSE-COSE and Data Integrity).
//! What needs the network lives here: `did:web` documents and Bitstring Status List
//! credentials are fetched over HTTPS (plain HTTP only for loopback hosts, as `vouch up`
//! runs), size-limited, cached for a short time, and a status list credential is used only
//! after it verifies itself. The verification core stays synchronous and offline: fetching
//! happens between passes, for what the previous pass asked for.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use credentials::did::{DidError, DidWebResolver};
use credentials::report::VerificationReport;
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::VerifiedW3c;
use credentials::w3c::{self, StatusResolver};
use serde_json::{json, Value};

use crate::oid4vp::Clock;

/// Largest request body, and largest fetched document, in bytes.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// How long a fetched status list or DID document is reused.
const CACHE_FOR: Duration = Duration::from_secs(300);
/// Most fetch rounds per verification (a credential names few status lists and DIDs).
const MAX_ROUNDS: usize = 6;

/// A fetched document (or why it could not be had) and when.
type Fetched = (Instant, Result<Value, FetchError>);

/// What a fetch was for.
#[derive(Clone, Copy, Debug)]
enum Fetching {
    /// A status list credential.
    StatusList,
    /// A `did:web` DID document.
    DidDocument,
}

impl std::fmt::Display for Fetching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fetching::StatusList => "the status list",
            Fetching::DidDocument => "the DID document",
        })
    }
}

/// Why a status list credential or a DID document could not be had. Its message names the
/// rule that stopped the fetch, never what answered.
#[derive(Clone, Debug, thiserror::Error)]
enum FetchError {
    /// The verifier is offline: nothing is fetched.
    #[error("{0}: offline, nothing is fetched")]
    Offline(String),
    /// The outbound fetcher refused or failed (its stable code).
    #[error("{what} could not be fetched ({code})")]
    Fetch {
        /// What was fetched.
        what: Fetching,
        /// [`vouch_fetch::FetchError::code`].
        code: &'static str,
    },
    /// The DID document is not JSON.
    #[error("{0} is not JSON")]
    NotJson(Fetching),
    /// The status list credential does not verify itself.
    #[error("the status list credential at {url} does not verify ({code})")]
    StatusListUnverified {
        /// Where it was fetched.
        url: String,
        /// The verification's error code.
        code: String,
    },
    /// A `did:web` outside the scope ([`VcApi::resolving_only`]): never fetched.
    #[error("{0} is not registered")]
    NotRegistered(String),
    /// Not fetched yet: the next round fetches it.
    #[error("{0} is being fetched")]
    Pending(String),
}

/// The DIDs whose `did:web` documents may be fetched now (read at each verification).
pub type DidScope = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// The VC API verifier: the outbound fetcher and a small cache.
pub struct VcApi {
    fetcher: vouch_fetch::Fetcher,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, Fetched>>,
    offline: bool,
    did_scope: Option<DidScope>,
}

impl VcApi {
    /// A verifier reading the time from `clock`, fetching under the deployment's policy
    /// ([`vouch_fetch::FetchPolicy::from_env`]: HTTPS to public addresses only).
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_policy(clock, vouch_fetch::FetchPolicy::from_env())
    }

    /// A verifier fetching under `policy` (bodies capped at [`MAX_BYTES`]).
    pub fn with_policy(clock: Arc<dyn Clock>, policy: vouch_fetch::FetchPolicy) -> Self {
        VcApi {
            fetcher: vouch_fetch::Fetcher::new(policy.with_max_bytes(MAX_BYTES)),
            clock,
            cache: Mutex::new(HashMap::new()),
            offline: false,
            did_scope: None,
        }
    }

    /// Resolves only the `did:web` DIDs `scope` names (a service passes the register's
    /// DIDs): a credential naming any other `did:web` issuer or holder cannot make the
    /// verifier fetch its host, and fails with `did_not_registered`.
    pub fn resolving_only(mut self, scope: DidScope) -> Self {
        self.did_scope = Some(scope);
        self
    }

    /// A verifier that fetches nothing: `did:web` documents and status lists are unknown
    /// (for records verified again offline).
    pub fn offline(clock: Arc<dyn Clock>) -> Self {
        VcApi {
            offline: true,
            ..VcApi::with_policy(clock, vouch_fetch::FetchPolicy::default())
        }
    }

    /// The router: `POST /credentials/verify` and `POST /presentations/verify`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/credentials/verify", post(verify_credential))
            .route("/presentations/verify", post(verify_presentation))
            .with_state(self)
    }

    fn cached(&self, url: &str) -> Option<Result<Value, FetchError>> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(url)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, v)| v.clone())
    }

    /// Fetches `url` (JSON, or a compact JWS / COSE status list credential kept as a string).
    async fn fetch(&self, url: &str, status_list: bool) -> Result<Value, FetchError> {
        if let Some(v) = self.cached(url) {
            return v;
        }
        let result = self.fetch_uncached(url, status_list).await;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 1024 {
                cache.clear();
            }
            cache.insert(url.to_string(), (Instant::now(), result.clone()));
        }
        result
    }

    async fn fetch_uncached(&self, url: &str, status_list: bool) -> Result<Value, FetchError> {
        if self.offline {
            return Err(FetchError::Offline(url.to_string()));
        }
        let accept = if status_list {
            "application/vc+jwt, application/vc+sd-jwt, application/vc+cose, application/vc+ld+json, application/ld+json, application/json"
        } else {
            "application/did+json, application/did+ld+json, application/json"
        };
        // The caller learns which rule stopped the fetch, never what answered.
        let what = if status_list {
            Fetching::StatusList
        } else {
            Fetching::DidDocument
        };
        let body = self
            .fetcher
            .get(url, accept)
            .await
            .map_err(|e| FetchError::Fetch {
                what,
                code: e.code(),
            })?
            .body;
        if !status_list {
            return serde_json::from_slice(&body).map_err(|_| FetchError::NotJson(what));
        }
        // A status list credential is itself a verifiable credential: verify it before use.
        let now = self.clock.now();
        let web = Prefetched::default();
        let report = w3c::verify(&body, &{
            let mut o = w3c::VerifyOptions::at(now, DocKind::Credential);
            o.did_web = Some(&web);
            o
        });
        match (report.valid, report.claims) {
            (true, Some(doc)) => Ok(doc),
            _ => Err(FetchError::StatusListUnverified {
                url: url.to_string(),
                code: report.error.map(|e| e.code).unwrap_or_default(),
            }),
        }
    }

    /// Verifies a presentation (`challenge` and `domain` bind a Data Integrity proof),
    /// its credentials' status included, fetching status lists and `did:web` documents.
    pub async fn verify_presentation(
        &self,
        input: &[u8],
        challenge: Option<&str>,
        domain: Option<&str>,
        check_status: bool,
    ) -> (VerificationReport, Option<VerifiedW3c>) {
        let options = Options {
            check_status,
            challenge: challenge.map(str::to_string),
            domain: domain.map(str::to_string),
        };
        self.verify(input, DocKind::Presentation, &options).await
    }

    fn prefetched(&self) -> Prefetched {
        Prefetched {
            did_web_allowed: self.did_scope.as_ref().map(|scope| {
                scope()
                    .iter()
                    .filter_map(|did| credentials::did::did_web_url(did).ok())
                    .collect()
            }),
            ..Prefetched::default()
        }
    }

    /// Checks the `credentialStatus` of a verified credential document, fetching its status
    /// lists: for callers that verify without status, decide trust, and only then let the
    /// credential make the verifier fetch anything.
    pub async fn status_of(&self, document: &Value) -> Result<String, w3c::W3cError> {
        let fetched = self.prefetched();
        let mut warnings = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let result = w3c::verify::check_status(document, Some(&fetched), &mut warnings);
            let missing = fetched.take_missing();
            if missing.is_empty() {
                // An entry of a type this verifier cannot read (a VC 1.1 StatusList2021Entry,
                // say) leaves the status unknown, never valid.
                return result.and_then(|detail| match warnings.is_empty() {
                    true => Ok(detail),
                    false => Err(w3c::W3cError::StatusUnknown(warnings.join("; "))),
                });
            }
            for (url, status_list) in missing {
                let v = self.fetch(&url, status_list).await;
                fetched.put(&url, status_list, v);
            }
        }
        w3c::verify::check_status(document, Some(&fetched), &mut warnings)
    }

    /// Verifies `input`, fetching what the verification asks for between passes.
    async fn verify(
        &self,
        input: &[u8],
        kind: DocKind,
        options: &Options,
    ) -> (VerificationReport, Option<VerifiedW3c>) {
        let fetched = self.prefetched();
        let mut round = 0;
        loop {
            let now = self.clock.now();
            let report = {
                let mut o = w3c::VerifyOptions::at(now, kind);
                o.did_web = Some(&fetched);
                if options.check_status {
                    o.status = Some(&fetched);
                }
                o.challenge = options.challenge.as_deref();
                o.domain = options.domain.as_deref();
                w3c::verify::verify_typed(input, &o)
            };
            let missing = fetched.take_missing();
            round += 1;
            if missing.is_empty() || round >= MAX_ROUNDS {
                return report;
            }
            for (url, status_list) in missing {
                let v = self.fetch(&url, status_list).await;
                fetched.put(&url, status_list, v);
            }
        }
    }
}

/// Documents fetched so far, and what the last pass asked for that was not there.
#[derive(Default)]
struct Prefetched {
    docs: Mutex<HashMap<(String, bool), Result<Value, FetchError>>>,
    missing: Mutex<Vec<(String, bool)>>,
    /// The `did:web` document URLs that may be fetched (`None`: any).
    did_web_allowed: Option<HashSet<String>>,
}

impl Prefetched {
    fn get(&self, url: &str, status_list: bool) -> Option<Result<Value, FetchError>> {
        if let (false, Some(allowed)) = (status_list, &self.did_web_allowed) {
            if !allowed.contains(url) {
                return Some(Err(FetchError::NotRegistered(url.to_string())));
            }
        }
        let docs = self.docs.lock().ok()?;
        if let Some(v) = docs.get(&(url.to_string(), status_list)) {
            return Some(v.clone());
        }
        drop(docs);
        if let Ok(mut m) = self.missing.lock() {
            if !m.iter().any(|(u, s)| u == url && *s == status_list) {
                m.push((url.to_string(), status_list));
            }
        }
        None
    }

    fn put(&self, url: &str, status_list: bool, v: Result<Value, FetchError>) {
        if let Ok(mut docs) = self.docs.lock() {
            docs.insert((url.to_string(), status_list), v);
        }
    }

    fn take_missing(&self) -> Vec<(String, bool)> {
        self.missing
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

impl StatusResolver for Prefetched {
    fn status_list_credential(&self, url: &str) -> Result<Value, String> {
        self.get(url, true)
            .unwrap_or_else(|| Err(FetchError::Pending(url.to_string())))
            .map_err(|e| e.to_string())
    }
}

impl DidWebResolver for Prefetched {
    fn fetch(&self, url: &str) -> Result<Value, DidError> {
        self.get(url, false)
            .unwrap_or_else(|| Err(FetchError::Pending(url.to_string())))
            .map_err(|e| match e {
                FetchError::NotRegistered(_) => DidError::NotRegistered(url.to_string()),
                e => DidError::Resolution(e.to_string()),
            })
    }
}

/// What the request's `options` ask for.
struct Options {
    check_status: bool,
    challenge: Option<String>,
    domain: Option<String>,
}

impl Options {
    fn from_request(v: &Value) -> Result<Self, MalformedRequest> {
        let options = match v.get("options") {
            None | Some(Value::Null) => json!({}),
            Some(o @ Value::Object(_)) => o.clone(),
            Some(_) => return Err(MalformedRequest::OptionsNotObject),
        };
        let text = |k: &'static str| -> Result<Option<String>, MalformedRequest> {
            match options.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(MalformedRequest::OptionNotString(k)),
            }
        };
        // `checks` names the checks to run; status is checked unless a list is given
        // without it (the proof is always checked).
        let check_status = match options.get("checks") {
            None | Some(Value::Null) => true,
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
                a.iter().any(|c| c == "credentialStatus" || c == "status")
            }
            Some(_) => return Err(MalformedRequest::ChecksNotStrings),
        };
        Ok(Options {
            check_status,
            challenge: text("challenge")?,
            domain: text("domain")?,
        })
    }
}

/// Why a VC API request is refused before verification (`400`, `malformed_request`): its
/// message is the problem's `detail`.
#[derive(Debug, thiserror::Error)]
enum MalformedRequest {
    /// The body is over [`MAX_BYTES`].
    #[error("the body is too large")]
    TooLarge,
    /// The body is not a JSON object.
    #[error("the body is not a JSON object")]
    NotJsonObject,
    /// `options` is not an object.
    #[error("options must be an object")]
    OptionsNotObject,
    /// An option that must be a string is not.
    #[error("options.{0} must be a string")]
    OptionNotString(&'static str),
    /// `options.checks` is not an array of strings.
    #[error("options.checks must be an array of strings")]
    ChecksNotStrings,
    /// The secured document's field is missing, or neither an object nor a string.
    #[error("{0} is required")]
    MissingDocument(&'static str),
}

fn problem(code: &str, detail: &str) -> Value {
    json!({
        "type": format!("https://vouch.invalid/problems#{code}"),
        "code": code,
        "title": code.replace('_', " "),
        "detail": detail,
    })
}

fn bad_request(detail: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "verified": false,
            "problemDetails": [problem("malformed_request", detail)],
        })),
    )
        .into_response()
}

/// The secured document in `field`: a JSON object (Data Integrity or an enveloped
/// credential) as its bytes, or a string (compact JWS / SD-JWT, or base64 COSE) as is.
fn document_bytes(body: &Value, field: &'static str) -> Result<Vec<u8>, MalformedRequest> {
    match body.get(field) {
        Some(Value::Object(_)) => Ok(serde_json::to_vec(&body[field]).unwrap_or_default()),
        Some(Value::String(s)) => Ok(s.trim().as_bytes().to_vec()),
        _ => Err(MalformedRequest::MissingDocument(field)),
    }
}

fn answer(report: VerificationReport) -> Response {
    let warnings = report
        .extra
        .get("warnings")
        .cloned()
        .unwrap_or_else(|| json!([]));
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| json!({"check": c.name, "ok": c.ok, "detail": c.detail}))
        .collect();
    let problems: Vec<Value> = report
        .error
        .iter()
        .map(|e| problem(&e.code, &e.message))
        .collect();
    let status = if report.valid {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        Json(json!({
            "verified": report.valid,
            "format": report.format,
            "issuer": report.issuer,
            "results": {"checks": checks},
            "warnings": warnings,
            "problemDetails": problems,
        })),
    )
        .into_response()
}

fn parse_body(body: &Bytes) -> Result<Value, MalformedRequest> {
    if body.len() > MAX_BYTES {
        return Err(MalformedRequest::TooLarge);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(MalformedRequest::NotJsonObject),
    }
}

/// Verifies the secured document in `field` of the request as `kind`.
async fn handle(api: &VcApi, body: &Bytes, kind: DocKind, field: &'static str) -> Response {
    let run = async {
        let v = parse_body(body)?;
        let options = Options::from_request(&v)?;
        let input = document_bytes(&v, field)?;
        Ok::<_, MalformedRequest>(api.verify(&input, kind, &options).await.0)
    };
    match run.await {
        Ok(report) => {
            tracing::info!(
                field,
                valid = report.valid,
                code = report.error.as_ref().map(|e| e.code.as_str()),
                "VC API verification"
            );
            answer(report)
        }
        Err(why) => bad_request(&why.to_string()),
    }
}

async fn verify_credential(State(api): State<Arc<VcApi>>, body: Bytes) -> Response {
    handle(&api, &body, DocKind::Credential, "verifiableCredential").await
}

async fn verify_presentation(State(api): State<Arc<VcApi>>, body: Bytes) -> Response {
    handle(&api, &body, DocKind::Presentation, "verifiablePresentation").await
}
