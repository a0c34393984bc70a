//! The demo web wallet (`vouch wallet serve`), on the wallet core: accept an offer, list
//! credentials, open a presentation request and answer it on a consent screen, read the
//! activity log. Server-rendered HTML in the GOV.UK Design System style, written by hand: no
//! JavaScript, no external assets, `lang="en"`, one `h1` a page, every input labelled.
//!
//! It stands in for the citizen's phone app on one machine (`vouch up`); it listens on
//! localhost only and keeps no session: whoever reaches it is the holder. It is a crate of
//! its own so that the wallet core, the library a phone app embeds, links no web server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod display;
pub mod scan;
pub mod words;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use credentials::keys::Jwk;
use serde_json::Value;

use display::{type_label, value_html, Names};
use vouch_ops::html::{escape as esc, Page};
use wallet_core::activity::Outcome;
use wallet_core::consent::{Consent, ConsentRequest, TrustFinding};
use wallet_core::model::Batch;
use wallet_core::receipt::Standing;
use wallet_core::Wallet;

/// Counters for `/metrics` (Prometheus text format).
#[derive(Default)]
struct Metrics {
    requests: AtomicU64,
    offers_accepted: AtomicU64,
    offers_failed: AtomicU64,
    presentations_shared: AtomicU64,
    presentations_declined: AtomicU64,
    presentations_failed: AtomicU64,
    snapshot_refreshes: AtomicU64,
}

struct Web {
    wallet: Arc<Wallet>,
    /// Consent requests waiting for the person's answer, by id.
    pending: Mutex<HashMap<String, ConsentRequest>>,
    metrics: Metrics,
}

type Shared = Arc<Web>;

/// Where the web wallet refreshes the trust register from.
#[derive(Clone, Debug)]
pub struct RegisterSource {
    /// The registry's base URL (`GET /snapshot`).
    pub registry_url: String,
    /// The pinned snapshot key.
    pub snapshot_key: Jwk,
    /// The pinned genesis log key (`name+id+key`).
    pub log_vkey: String,
}

/// Fetches the registry's current snapshot and pins it in the wallet.
pub async fn refresh_register(wallet: &Wallet, source: &RegisterSource) -> wallet_core::Result<()> {
    wallet
        .refresh_register(&source.registry_url, &source.snapshot_key, &source.log_vkey)
        .await
}

/// Serves the web wallet on `listener` until Ctrl-C or SIGTERM, then finishes the requests in
/// flight. With `register`, the trust register snapshot is refreshed at start and every
/// `refresh` after.
pub async fn serve(
    listener: tokio::net::TcpListener,
    wallet: Arc<Wallet>,
    register: Option<RegisterSource>,
    refresh: std::time::Duration,
) -> std::io::Result<()> {
    serve_until(listener, wallet, register, refresh, vouch_ops::signal()).await
}

/// [`serve`] until `stop` resolves instead of a signal.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    wallet: Arc<Wallet>,
    register: Option<RegisterSource>,
    refresh: std::time::Duration,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(Web {
        wallet,
        pending: Mutex::new(HashMap::new()),
        metrics: Metrics::default(),
    });
    if let Some(source) = register {
        let s = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(refresh);
            loop {
                tick.tick().await;
                match refresh_register(&s.wallet, &source).await {
                    Ok(()) => {
                        s.metrics.snapshot_refreshes.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot refresh the trust register")
                    }
                }
            }
        });
    }
    vouch_ops::serve_with(listener, router(state), "wallet", stop).await
}

fn router(state: Shared) -> Router {
    let app = Router::new()
        .route("/", get(home))
        .route("/offer", get(offer_page).post(offer_submit))
        .route("/credentials/{id}", get(credential_page))
        .route("/present", get(present_get).post(present_post))
        .route("/consent/{id}", get(consent_page).post(consent_submit))
        .route("/activity", get(activity_page))
        .route("/assets/scan.js", get(scan::scan_js))
        .route("/assets/jsQR.js", get(scan::jsqr_js))
        .route(
            "/healthz",
            get(|| async { vouch_ops::health::answer("wallet", vec![], Default::default()) }),
        )
        .route("/metrics", get(metrics))
        .layer(axum::middleware::from_fn(same_origin_posts))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state);
    vouch_ops::metrics::layer(app, "wallet")
}

async fn count_requests(
    State(s): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    s.metrics.requests.fetch_add(1, Ordering::Relaxed);
    next.run(req).await
}

async fn metrics(State(s): State<Shared>) -> Response {
    let m = &s.metrics;
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, v: &AtomicU64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        let _ = writeln!(out, "{name} {}", v.load(Ordering::Relaxed));
    };
    counter(
        "vouch_wallet_http_requests_total",
        "HTTP requests served.",
        &m.requests,
    );
    counter(
        "vouch_wallet_offers_accepted_total",
        "Credential offers accepted.",
        &m.offers_accepted,
    );
    counter(
        "vouch_wallet_offers_failed_total",
        "Credential offers that failed.",
        &m.offers_failed,
    );
    counter(
        "vouch_wallet_presentations_shared_total",
        "Presentations shared with consent.",
        &m.presentations_shared,
    );
    counter(
        "vouch_wallet_presentations_declined_total",
        "Presentations declined or refused.",
        &m.presentations_declined,
    );
    counter(
        "vouch_wallet_presentations_failed_total",
        "Presentation requests that could not be opened or answered.",
        &m.presentations_failed,
    );
    counter(
        "vouch_wallet_snapshot_refreshes_total",
        "Trust register snapshots fetched and pinned.",
        &m.snapshot_refreshes,
    );
    vouch_ops::metrics::response(out)
}

// ---------------------------------------------------------------------------------------
// HTML

/// The wallet's own rules, after the shared stylesheet (`vouch_ops::html::BASE_CSS`).
const STYLE: &str = r#"
.scanner video{display:block;width:100%;max-width:320px;height:auto;border:1px solid #b1b4b6;margin:0 0 10px}
.caption{color:#505a5f;font-size:19px;font-weight:400;display:block;margin-bottom:5px}
.input-short{max-width:12em}
.tag-grey{background:#e5e6e7;color:#383f43}
.warning{border-left:10px solid #d4351c;padding:15px;margin-bottom:30px;background:#fef7f6}
.inset{border-left:10px solid #b1b4b6;padding:15px;margin-bottom:30px}
.portrait{width:160px;min-width:120px;height:auto;border:1px solid #b1b4b6}
"#;

/// The service's name, in every page's header and title.
const SERVICE: &str = "Vouch wallet";

/// Every page's navigation.
const NAV: &[(&str, &str)] = &[("/", "Your credentials"), ("/activity", "Activity log")];

/// The web wallet's anti-forgery token: random per process, put in every form by [`shell`]
/// and required by every `POST` ([`csrf_ok`]); another site can post to the wallet but
/// cannot read the token.
fn csrf_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        credentials::keys::provider::random_bytes::<24>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// `html` with the anti-forgery token in every `POST` form.
fn with_csrf(html: &str) -> String {
    let field = format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        csrf_token()
    );
    let mut out = String::with_capacity(html.len() + 128);
    let mut rest = html;
    while let Some(i) = rest.find(r#"<form method="post""#) {
        let Some(end) = rest[i..].find('>') else {
            break;
        };
        out.push_str(&rest[..i + end + 1]);
        out.push_str(&field);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether a form carries this process's anti-forgery token (compared in constant time).
fn csrf_ok(f: &HashMap<String, String>) -> bool {
    let given = f.get("csrf").map(String::as_bytes).unwrap_or_default();
    let want = csrf_token().as_bytes();
    given.len() == want.len() && subtle::ConstantTimeEq::ct_eq(given, want).into()
}

fn forbidden() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "This form did not come from your wallet",
        "Go back to your wallet and try again",
    )
}

/// Refuses a request for another host name than this machine's (a DNS-rebinding page
/// would name its own: it could otherwise read the anti-forgery token and post with it), and
/// a `POST` that a browser says came from another site (`Origin` or `Sec-Fetch-Site`),
/// before any handler runs.
async fn same_origin_posts(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host_name = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(|h| match h.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => h,
        })
        .unwrap_or_default();
    let probe = matches!(req.uri().path(), "/healthz" | "/metrics");
    if !probe && !matches!(host_name, "127.0.0.1" | "localhost" | "[::1]") {
        tracing::warn!("request for another host name refused");
        return error_page(
            StatusCode::MISDIRECTED_REQUEST,
            "This is not your wallet's address",
            "Open your wallet at its own address",
        );
    }
    if req.method() == axum::http::Method::POST {
        let h = req.headers();
        let text = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
        let host = text("host").unwrap_or_default();
        let site = text("sec-fetch-site");
        // An opaque origin (`null`: a sandboxed frame, a page under `no-referrer`) counts as
        // another site unless the browser says the post is same-origin.
        let cross_origin = text("origin").is_some_and(|o| {
            if o == "null" {
                return site != Some("same-origin");
            }
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                != Some(host)
        });
        let cross_site = site.is_some_and(|s| !matches!(s, "same-origin" | "none"));
        if cross_origin || cross_site {
            tracing::warn!("cross-site form post refused");
            return forbidden();
        }
    }
    next.run(req).await
}

fn page(title: &str, body: &str) -> Html<String> {
    shell(title, false, body)
}

/// A whole page in the shared shell, every `POST` form carrying the anti-forgery token;
/// `error` prefixes its title with `Error: `.
fn shell(title: &str, error: bool, body: &str) -> Html<String> {
    let page = Page::new(SERVICE, title)
        .error(error)
        .badge("demo")
        .css(STYLE)
        .nav("Wallet", NAV);
    // On an error, focus moves to the error summary (GOV.UK error pattern).
    let page = if error {
        page.script(vouch_ops::html::FOCUS_ERROR_SUMMARY)
    } else {
        page
    };
    Html(page.render(&with_csrf(body)))
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        r#"<h1>{t}</h1>
<div class="error-summary" role="alert" tabindex="-1" id="error-summary"><h2>There is a problem</h2><p id="error">{m}</p></div>
<p><a href="/" class="button button-secondary">Back to your wallet</a></p>"#,
        t = esc(title),
        m = esc(message)
    );
    (status, shell(title, true, &body)).into_response()
}

fn when(secs: i64) -> String {
    words::moment(secs)
}

/// `(path, value)` rows of a claims object, nested objects flattened with `/`.
/// The rows of a credential page: one per claim, named as consent names them (keys joined
/// by `/`); an array of objects (version 2's evidence and checks) gives the rows of each
/// element under the array's name, an array of values one row.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}/{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
            for item in items {
                flatten(prefix, item, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn form_fields(body: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// Every batch the wallet holds, by id (none if the store cannot be read).
async fn batches_by_id(wallet: &Wallet) -> HashMap<String, Batch> {
    wallet
        .batches()
        .await
        .map(|bs| {
            bs.into_iter()
                .map(|b| (b.value.id.clone(), b.value))
                .collect()
        })
        .unwrap_or_default()
}

/// The names of a credential type, with the issuer's metadata the batch kept.
fn names_of(type_name: &str, batch: Option<&Batch>) -> Names {
    Names::new(
        type_name,
        batch.and_then(|b| b.credential_metadata.as_ref()),
    )
}

/// The issuer as a person knows it: the provider's registered name when the register
/// confirmed it on receipt, otherwise the issuer's address.
fn issuer_name(batch: Option<&Batch>, issuer: &str) -> String {
    match batch.and_then(|b| b.standing.as_ref()) {
        Some(Standing::Registered { provider }) => provider.clone(),
        _ => issuer.to_string(),
    }
}

/// How many more times a credential can be shared without being recognised, in words.
fn copies_left(batch: Option<&Batch>, fresh: usize) -> String {
    if !batch.is_some_and(|b| b.single_use) {
        return "Yes, as often as you choose".into();
    }
    match fresh {
        0 => "No unused copies left: sharing it again reuses one".into(),
        1 => "1 single-use copy left".into(),
        n => format!("{n} single-use copies left"),
    }
}

// ---------------------------------------------------------------------------------------
// Pages

async fn home(State(s): State<Shared>) -> Response {
    let list = match s.wallet.credentials().await {
        Ok(l) => l,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Your wallet",
                &e.to_string(),
            )
        }
    };
    let batches = batches_by_id(&s.wallet).await;
    // One row per batch: single-use credentials of one batch are one credential to a person.
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = String::new();
    let mut count = 0;
    for c in &list {
        if !seen.insert(c.value.batch_id.clone()) {
            continue;
        }
        count += 1;
        let batch = batches.get(&c.value.batch_id);
        let fresh = list
            .iter()
            .filter(|x| x.value.batch_id == c.value.batch_id && !x.used)
            .count();
        let names = names_of(c.value.type_name(), batch);
        let _ = write!(
            rows,
            r#"<tr data-type="{ty}"><td><a href="/credentials/{id}">{label}</a></td><td>{issuer}</td><td>{got}</td><td data-unused="{fresh}">{copies}</td></tr>"#,
            ty = esc(c.value.type_name()),
            id = esc(&c.id),
            label = esc(&names.credential()),
            issuer = esc(&issuer_name(batch, &c.value.issuer)),
            got = esc(&when(c.value.received_at)),
            copies = esc(&copies_left(batch, fresh)),
        );
    }
    let credentials = if count == 0 {
        r#"<p class="inset" id="no-credentials">You have no credentials yet. Add one with the link your identity provider gave you.</p>"#.to_string()
    } else {
        format!(
            r#"<table id="credentials"><caption class="caption">{count} credential{s}</caption>
<thead><tr><th scope="col">Credential</th><th scope="col">Issued by</th><th scope="col">Received</th><th scope="col">Can you share it again?</th></tr></thead>
<tbody>{rows}</tbody></table>"#,
            s = if count == 1 { "" } else { "s" }
        )
    };
    let body = format!(
        r#"<h1>Your credentials</h1>
{credentials}
<h2>Add a credential</h2>
<form method="post" action="/offer">
<label class="label" for="offer">Credential offer link</label>
<span class="hint" id="offer-hint">Scan the QR code your identity provider shows, or paste the link that starts with openid-credential-offer://</span>
<textarea id="offer" name="offer" aria-describedby="offer-hint" spellcheck="false"></textarea>
{scan_offer}
<label class="label" for="tx_code">Transaction code, if you were sent one</label>
<input class="input-short" type="text" id="tx_code" name="tx_code" inputmode="numeric" autocomplete="one-time-code">
<button class="button" type="submit">Add to wallet</button>
</form>
<h2>Answer a request</h2>
<form method="post" action="/present">
<label class="label" for="request">Presentation request link</label>
<span class="hint" id="request-hint">Scan the QR code the organisation shows, or paste the link that starts with openid4vp://</span>
<input type="text" id="request" name="request" aria-describedby="request-hint" spellcheck="false">
{scan_request}
<button class="button" type="submit">Open the request</button>
</form>
{script}"#,
        scan_offer = scan::controls("offer"),
        scan_request = scan::controls("request"),
        script = scan::SCRIPT_TAG,
    );
    page("Your credentials", &body).into_response()
}

#[derive(serde::Deserialize)]
struct OfferQuery {
    offer: Option<String>,
}

async fn offer_page(State(s): State<Shared>, Query(q): Query<OfferQuery>) -> Response {
    let Some(url) = q.offer.filter(|u| !u.trim().is_empty()) else {
        return Redirect::to("/").into_response();
    };
    offer_form(&s, &url, None).await
}

/// The offer as the person confirms it: who offers what, and the code field if needed.
async fn offer_form(s: &Web, url: &str, problem: Option<&str>) -> Response {
    let offer = match s.wallet.resolve_offer(url).await {
        Ok(o) => o,
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "This offer cannot be used",
                &e.to_string(),
            )
        }
    };
    let items: String = offer
        .credential_configuration_ids
        .iter()
        .map(|c| format!("<li>{}</li>", esc(&config_label(c))))
        .collect();
    let tx = offer
        .grants
        .pre_authorized_code
        .as_ref()
        .and_then(|g| g.tx_code.as_ref());
    let tx_field = match tx {
        Some(t) => format!(
            r#"<label class="label" for="tx_code">Transaction code</label>
<span class="hint" id="tx-hint">{}</span>
<input class="input-short" type="text" id="tx_code" name="tx_code" inputmode="numeric" autocomplete="one-time-code" aria-describedby="tx-hint">"#,
            esc(t
                .description
                .as_deref()
                .unwrap_or("Enter the code you were sent"))
        ),
        None => String::new(),
    };
    // GOV.UK error pattern: the summary first, linked to the code field when there is one.
    let problem = problem
        .map(|p| {
            if tx.is_some() {
                vouch_ops::html::error_summary(&[("tx_code", p)])
            } else {
                format!(
                    r#"<div class="error-summary" role="alert" tabindex="-1" id="error-summary"><h2>There is a problem</h2><p id="error">{}</p></div>"#,
                    esc(p)
                )
            }
        })
        .unwrap_or_default();
    let body = format!(
        r#"{problem}<h1>Add credentials from {issuer}</h1>
<p>{issuer} offers you:</p>
<ul id="offered">{items}</ul>
<form method="post" action="/offer">
<input type="hidden" name="offer" value="{url}">
{tx_field}
<button class="button" type="submit">Add to wallet</button>
<a class="button button-secondary" href="/">Cancel</a>
</form>"#,
        issuer = esc(&offer.credential_issuer),
        url = esc(url),
    );
    shell("Add credentials", !problem.is_empty(), &body).into_response()
}

fn config_label(id: &str) -> String {
    match id {
        "pid_sd_jwt" => "Person identification data (PID)".into(),
        "right_to_work_sd_jwt" => "Right to work".into(),
        "mdl_mdoc" => "Mobile driving licence".into(),
        "pid_mdoc" => "Person identification data (mdoc)".into(),
        other => other.into(),
    }
}

async fn offer_submit(State(s): State<Shared>, body: String) -> Response {
    let f = form_fields(&body);
    if !csrf_ok(&f) {
        return forbidden();
    }
    let url = f.get("offer").map(|x| x.trim()).unwrap_or("");
    if url.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Add a credential",
            "Paste the credential offer link",
        );
    }
    let tx = f.get("tx_code").map(|x| x.trim()).filter(|x| !x.is_empty());
    match s.wallet.accept_offer(url, tx).await {
        Ok(received) => {
            s.metrics.offers_accepted.fetch_add(1, Ordering::Relaxed);
            let items: String = received
                .iter()
                .map(|r| {
                    format!(
                        r#"<li data-type="{}">{}</li>"#,
                        esc(&r.type_name),
                        esc(&type_label(&r.type_name))
                    )
                })
                .collect();
            let body = format!(
                r#"<div class="panel"><h1>Credentials added</h1></div>
<p>Your wallet now holds:</p>
<ul id="received">{items}</ul>
<p><a class="button" href="/">View your credentials</a></p>"#
            );
            page("Credentials added", &body).into_response()
        }
        Err(e) => {
            s.metrics.offers_failed.fetch_add(1, Ordering::Relaxed);
            let msg = e.to_string();
            if msg.contains("tx_code") || msg.contains("transaction code") {
                return offer_form(&s, url, Some("Enter the transaction code you were sent")).await;
            }
            error_page(
                StatusCode::BAD_GATEWAY,
                "The credentials could not be added",
                &msg,
            )
        }
    }
}

async fn credential_page(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let c = match s.wallet.credential(&id).await {
        Ok(c) => c,
        Err(_) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "Credential not found",
                "No such credential",
            )
        }
    };
    let batches = batches_by_id(&s.wallet).await;
    let batch = batches.get(&c.batch_id);
    let names = names_of(c.type_name(), batch);
    let mut rows = Vec::new();
    flatten("", &c.claims, &mut rows);
    let rows: String = rows
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<tr data-claim="{}"><th scope="row">{}</th><td>{}</td></tr>"#,
                esc(k),
                esc(&names.claim(k)),
                value_html(k, v)
            )
        })
        .collect();
    // What the wallet found of the issuer on receipt (receipt::Standing), in plain words.
    let standing = match batch.and_then(|b| b.standing.as_ref()) {
        Some(Standing::Registered { provider }) => format!(
            r#"<p id="standing">Issued by {}, a certified provider in the trust register.</p>"#,
            esc(provider)
        ),
        Some(Standing::Unverified { reason }) => format!(
            r#"<div class="warning" id="standing"><strong>This wallet could not confirm who issued this credential.</strong> {}.</div>"#,
            esc(reason)
        ),
        None => String::new(),
    };
    let label = names.credential();
    let body = format!(
        r#"<span class="caption">Issued by {issuer}</span>
<h1>{label}</h1>
{standing}
<table id="claims"><thead><tr><th scope="col">Detail</th><th scope="col">Value</th></tr></thead><tbody>{rows}</tbody></table>
<p>Received {got}{exp}.</p>
<details class="details" id="technical"><summary>Technical details</summary>
<p>Issuer {issuer_id}, format {format}, type {ty}.</p></details>
<p><a href="/">Back to your credentials</a></p>"#,
        issuer = esc(&issuer_name(batch, &c.issuer)),
        issuer_id = esc(&c.issuer),
        label = esc(&label),
        format = esc(&c.format),
        ty = esc(c.type_name()),
        got = esc(&when(c.received_at)),
        exp = c
            .expires_at
            .map(|e| format!("; valid until {}", esc(&when(e))))
            .unwrap_or_default(),
    );
    page(&label, &body).into_response()
}

#[derive(serde::Deserialize)]
struct PresentQuery {
    request: Option<String>,
}

/// A wallet link (`/present?request=...`) fetches nothing and answers no one by itself: it
/// shows what was opened and lets the person choose to look at the request.
async fn present_get(Query(q): Query<PresentQuery>) -> Response {
    match q.request.filter(|u| !u.trim().is_empty()) {
        Some(r) => {
            let host = url::Url::parse(r.trim())
                .ok()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "request_uri")
                        .and_then(|(_, v)| url::Url::parse(&v).ok())
                        .and_then(|v| v.host_str().map(str::to_string))
                })
                .unwrap_or_else(|| "an organisation".into());
            let body = format!(
                r#"<h1>Someone is asking for your details</h1>
<p>A link from {} asks this wallet to share details. Nothing has been sent. Open the request to see who is asking and what for; you can still decline.</p>
<form method="post" action="/present"><input type="hidden" name="request" value="{}">
<button type="submit" class="button">Open the request</button></form>
<p><a href="/">Not now</a></p>"#,
                esc(&host),
                esc(r.trim())
            );
            page("A request for your details", &body).into_response()
        }
        None => Redirect::to("/").into_response(),
    }
}

async fn present_post(State(s): State<Shared>, body: String) -> Response {
    let f = form_fields(&body);
    if !csrf_ok(&f) {
        return forbidden();
    }
    match f.get("request").map(|x| x.trim()).filter(|x| !x.is_empty()) {
        Some(r) => open_request(&s, r).await,
        None => error_page(
            StatusCode::BAD_REQUEST,
            "Answer a request",
            "Paste the presentation request link",
        ),
    }
}

async fn open_request(s: &Web, url: &str) -> Response {
    // wallet-core's presentation future is not `Send` (it holds `&dyn Candidate`s across an
    // await), so it runs to completion on a blocking thread with the runtime's handle.
    let (w, u) = (s.wallet.clone(), url.to_string());
    let handle = tokio::runtime::Handle::current();
    let prepared = tokio::task::spawn_blocking(move || {
        handle.block_on(async move { w.prepare_presentation(&u).await })
    })
    .await
    .unwrap_or_else(|e| {
        Err(wallet_core::Error::Http(format!(
            "the request task failed: {e}"
        )))
    });
    match prepared {
        Ok(req) => {
            let id = req.id.clone();
            s.pending
                .lock()
                .expect("pending lock")
                .insert(id.clone(), req);
            Redirect::to(&format!("/consent/{id}")).into_response()
        }
        Err(e) => {
            s.metrics
                .presentations_failed
                .fetch_add(1, Ordering::Relaxed);
            error_page(
                StatusCode::BAD_REQUEST,
                "This request cannot be answered",
                &e.to_string(),
            )
        }
    }
}

fn purpose_label(p: &str) -> String {
    match p {
        "right_to_work" => "Right-to-work check".into(),
        "right_to_rent" => "Right-to-rent check".into(),
        "dbs_check" => "DBS check".into(),
        other => other.replace('_', " "),
    }
}

/// What the wallet holds of a credential a request would use, for the consent screen.
#[derive(Clone, Debug, Default)]
pub struct Held {
    /// The issuer's `credential_metadata` for the credential's configuration, if kept.
    pub credential_metadata: Option<Value>,
    /// The provider's registered name, if the register confirmed the issuer on receipt.
    pub provider: Option<String>,
}

async fn consent_page(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let Some(req) = s.pending.lock().expect("pending lock").get(&id).cloned() else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Request not found",
            "This request was already answered or has expired",
        );
    };
    let batches = batches_by_id(&s.wallet).await;
    let mut held = HashMap::new();
    for c in &req.credentials {
        let Ok(stored) = s.wallet.credential(&c.credential_id).await else {
            continue;
        };
        let batch = batches.get(&stored.batch_id);
        held.insert(
            c.credential_id.clone(),
            Held {
                credential_metadata: batch.and_then(|b| b.credential_metadata.clone()),
                provider: match batch.and_then(|b| b.standing.as_ref()) {
                    Some(Standing::Registered { provider }) => Some(provider.clone()),
                    _ => None,
                },
            },
        );
    }
    Html(consent_html(&req, &held)).into_response()
}

/// The consent screen for `req` as a whole page: who asks and whether the register knows
/// them, why (once), what would be shared in plain words, Share or Decline, and the technical
/// details (client identifier, certificate subject, codes) folded away. `held` is what the
/// wallet holds of each credential used, by credential id.
pub fn consent_html(req: &ConsentRequest, held: &HashMap<String, Held>) -> String {
    let id = &req.id;
    let who = req
        .verifier
        .name
        .clone()
        .unwrap_or_else(|| "An organisation this wallet does not know".into());
    let registered = if req.verifier.registered {
        format!(
            r#"<p id="verifier-registered"><span class="tag">On the trust register</span> The trust register names {}, so your wallet could check who is asking.</p>"#,
            esc(&who)
        )
    } else {
        r#"<p id="verifier-registered"><span class="tag tag-red">Not on the trust register</span> Your wallet could not check who is asking.</p>"#.into()
    };
    let finding = match &req.trust {
        TrustFinding::Registered => String::new(),
        TrustFinding::NoRegister => r#"<div class="warning" id="finding" data-finding="no_register"><strong>Warning:</strong> this wallet has no trust register to check the organisation against.</div>"#.into(),
        TrustFinding::UnregisteredVerifier => r#"<div class="warning" id="finding" data-finding="unregistered_verifier"><strong>Warning:</strong> this organisation is not on the trust register.</div>"#.into(),
        TrustFinding::NoPurpose => r#"<div class="warning" id="finding" data-finding="no_purpose"><strong>Warning:</strong> the request does not say why it is made.</div>"#.into(),
        TrustFinding::PurposeNotRegistered { purpose } => format!(
            r#"<div class="warning" id="finding" data-finding="purpose_not_registered"><strong>Warning:</strong> this organisation is not registered to ask for this reason (“{}”).</div>"#,
            esc(&purpose_label(purpose))
        ),
        TrustFinding::OverAsking { beyond } => format!(
            r#"<div class="warning" id="finding" data-finding="over_asking"><strong>Warning:</strong> this organisation asks for more than it registered for this reason: <span id="beyond">{}</span>.</div>"#,
            esc(&beyond_words(req, beyond).join(", "))
        ),
    };
    let none = Held::default();
    let mut tables = String::new();
    let mut technical = String::new();
    for c in &req.credentials {
        let h = held.get(&c.credential_id).unwrap_or(&none);
        let names = Names::new(&c.type_name, h.credential_metadata.as_ref());
        let mut rows = String::new();
        for k in &c.claims {
            let mark = if k.registered {
                String::new()
            } else {
                r#" <span class="tag tag-red">not registered</span>"#.into()
            };
            let _ = write!(
                rows,
                r#"<tr data-claim="{n}"><th scope="row">{label}{mark}</th><td>{v}</td></tr>"#,
                n = esc(&k.name),
                label = esc(&names.claim(&k.name)),
                v = value_html(&k.name, &k.value),
            );
        }
        let from = match &h.provider {
            Some(p) => format!("From your {}, issued by {}", names.credential(), p),
            None => format!("From your {}", names.credential()),
        };
        let reused = if c.reused {
            r#"<p class="hint">You have shared this credential before and it has no unused copies left, so whoever saw it then could tell it is the same one.</p>"#
        } else {
            ""
        };
        let _ = write!(
            tables,
            r#"<h3 class="caption">{from}</h3><table data-credential="{q}"><thead><tr><th scope="col">Detail</th><th scope="col">What they will see</th></tr></thead><tbody>{rows}</tbody></table>{reused}"#,
            q = esc(&c.query_id),
            from = esc(&from),
        );
        let _ = write!(
            technical,
            "<tr><th scope=\"row\">Credential type</th><td><code>{}</code>: {}</td></tr>",
            esc(&c.type_name),
            esc(&c
                .claims
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")),
        );
    }
    // The registered description when the register has one, otherwise the purpose in words:
    // said once.
    let purpose = match (&req.purpose_description, &req.purpose) {
        (Some(d), _) => d.clone(),
        (None, Some(p)) => purpose_label(p),
        (None, None) => "They did not say.".into(),
    };
    let actions = match &req.refused {
        Some(reason) => format!(
            r#"<div class="warning" id="refused"><strong>Your wallet will not share these details:</strong> {}</div>
<form method="post" action="/consent/{id}"><input type="hidden" name="action" value="decline">
<button class="button button-warning" type="submit" name="decline">Decline</button></form>"#,
            esc(reason),
            id = esc(id)
        ),
        None => format!(
            r#"<form method="post" action="/consent/{id}">
<button class="button" type="submit" name="action" value="share">Share</button>
<button class="button button-secondary" type="submit" name="action" value="decline">Decline</button>
</form>"#,
            id = esc(id)
        ),
    };
    let body = format!(
        r#"<h1><span id="verifier-name">{who}</span> wants to see your details</h1>
{registered}
<h2>Why they are asking</h2>
<p id="purpose">{purpose}</p>
{finding}
<h2>What will be shared</h2>
<div id="requested-claims">{tables}</div>
<p>Only these details are sent. Your wallet keeps a note of this in your activity log.</p>
<h2>How long they will keep it</h2>
<p id="retention">{retention}</p>
{actions}
<details class="details" id="technical"><summary>Technical details</summary>
<table><tbody>
<tr><th scope="row">Client identifier</th><td><code id="client-id">{client}</code></td></tr>
<tr><th scope="row">Request signed by</th><td id="certificate-subject">{cert}</td></tr>
<tr><th scope="row">Purpose code</th><td>{code}</td></tr>
{technical}
</tbody></table></details>"#,
        who = esc(&who),
        purpose = esc(&purpose),
        retention = esc(&req
            .retention
            .as_ref()
            .map(|r| r.description.clone())
            .unwrap_or_else(|| {
                "They have not registered how long they keep it. Ask them before you share.".into()
            })),
        client = esc(&req.verifier.client_id),
        cert = esc(req
            .verifier
            .certificate_subject
            .as_deref()
            .unwrap_or("Not signed")),
        code = esc(req.purpose.as_deref().unwrap_or("none")),
    );
    page(&format!("{who} wants to see your details"), &body).0
}

/// Claim names (`document/expiry_date`) as the labels of the first of `types` that has one.
fn claim_words(types: &[String], claims: &[String]) -> Vec<String> {
    let names: Vec<Names> = types.iter().map(|t| Names::new(t, None)).collect();
    claims
        .iter()
        .map(|c| {
            names
                .iter()
                .find_map(|n| n.labelled(c))
                .unwrap_or_else(|| words::sentence(c.rsplit('/').next().unwrap_or(c)))
        })
        .collect()
}

/// What a request asks beyond its registration, in the names the person reads.
fn beyond_words(req: &ConsentRequest, beyond: &[String]) -> Vec<String> {
    beyond
        .iter()
        .map(|b| {
            req.credentials
                .iter()
                .find(|c| c.claims.iter().any(|k| &k.name == b))
                .map(|c| Names::new(&c.type_name, None).claim(b))
                .or_else(|| {
                    b.strip_prefix("credential type ")
                        .map(|t| format!("a {} credential", type_label(t)))
                })
                .unwrap_or_else(|| b.clone())
        })
        .collect()
}

async fn consent_submit(State(s): State<Shared>, Path(id): Path<String>, body: String) -> Response {
    let f = form_fields(&body);
    if !csrf_ok(&f) {
        return forbidden();
    }
    let Some(req) = s.pending.lock().expect("pending lock").remove(&id) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Request not found",
            "This request was already answered or has expired",
        );
    };
    let share = f.get("action").map(String::as_str) == Some("share") && req.refused.is_none();
    let consent = if share {
        Consent::approve_all(&req)
    } else {
        Consent::deny()
    };
    let who = req
        .verifier
        .name
        .clone()
        .unwrap_or_else(|| req.verifier.client_id.clone());
    match s.wallet.respond(&id, &consent).await {
        Ok(out) => {
            // Only https (or http to this machine) is followed: a `javascript:` or `data:`
            // redirect_uri from a verifier is never rendered as a link.
            let next = out
                .redirect_uri
                .as_deref()
                .filter(|u| wallet_core::present::safe_redirect(u))
                .map(|u| {
                    format!(
                        r#"<p><a class="button" id="continue" href="{}">Continue to {}</a></p>"#,
                        esc(u),
                        esc(&who)
                    )
                })
                .unwrap_or_default();
            let body = if out.shared {
                s.metrics
                    .presentations_shared
                    .fetch_add(1, Ordering::Relaxed);
                format!(
                    r#"<div class="panel" id="result" data-result="shared"><h1>Details shared</h1></div>
<p>You shared {n} detail{pl} with {who}: {claims}.</p>{next}
<p><a href="/activity">See your activity log</a></p>"#,
                    n = out.claims.len(),
                    pl = if out.claims.len() == 1 { "" } else { "s" },
                    who = esc(&who),
                    claims = esc(&claim_words(
                        &req.credentials
                            .iter()
                            .map(|c| c.type_name.clone())
                            .collect::<Vec<_>>(),
                        &out.claims
                    )
                    .join(", ")),
                )
            } else {
                s.metrics
                    .presentations_declined
                    .fetch_add(1, Ordering::Relaxed);
                format!(
                    r#"<h1 id="result" data-result="declined">Nothing was shared</h1>
<p>{who} was told you declined{err}.</p>{next}
<p><a href="/activity">See your activity log</a></p>"#,
                    who = esc(&who),
                    err = out
                        .error
                        .as_deref()
                        .map(|e| format!(" ({})", esc(e)))
                        .unwrap_or_default(),
                )
            };
            page(
                if out.shared {
                    "Details shared"
                } else {
                    "Nothing was shared"
                },
                &body,
            )
            .into_response()
        }
        Err(e) => {
            s.metrics
                .presentations_failed
                .fetch_add(1, Ordering::Relaxed);
            error_page(
                StatusCode::BAD_GATEWAY,
                "Your answer could not be sent",
                &e.to_string(),
            )
        }
    }
}

async fn activity_page(State(s): State<Shared>) -> Response {
    let entries = match s.wallet.activity().await {
        Ok(e) => e,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Activity log",
                &e.to_string(),
            )
        }
    };
    let rows: String = entries
        .iter()
        .rev()
        .map(|a| {
            let (tag, what) = match a.outcome {
                Outcome::Shared => ("tag", "Shared"),
                Outcome::Declined => ("tag tag-grey", "Declined"),
                Outcome::Refused => ("tag tag-red", "Refused"),
                Outcome::Received => ("tag", "Received"),
            };
            let outcome = serde_json::to_value(a.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            format!(
                r#"<tr data-outcome="{outcome}"><td>{at}</td><td><span class="{tag}">{what}</span></td><td>{who}</td><td>{purpose}</td><td>{claims}</td></tr>"#,
                at = esc(&when(a.at)),
                who = esc(a.counterparty_name.as_deref().unwrap_or(&a.counterparty)),
                purpose = esc(&a.purpose.as_deref().map(purpose_label).unwrap_or_default()),
                claims = esc(&if a.claims.is_empty() {
                    a.credential_types
                        .iter()
                        .map(|t| type_label(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                } else {
                    claim_words(&a.credential_types, &a.claims).join(", ")
                }),
            )
        })
        .collect();
    let table = if entries.is_empty() {
        r#"<p class="inset">Nothing yet.</p>"#.to_string()
    } else {
        format!(
            r#"<table id="activity"><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">With</th><th scope="col">Purpose</th><th scope="col">Details</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let body = format!(
        r#"<h1>Activity log</h1>
<p>What your wallet received and shared, newest first. It is kept on this device only and never sent anywhere.</p>
{table}"#
    );
    page("Activity log", &body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(single_use: bool, standing: Option<Standing>) -> Batch {
        Batch {
            id: "b".into(),
            issuer: "http://127.0.0.1:7071".into(),
            configuration_id: "right_to_work_sd_jwt".into(),
            format: "dc+sd-jwt".into(),
            type_name: "urn:vouch:uk:right-to-work:1".into(),
            single_use,
            batch_size: 10,
            refresh_token: None,
            dpop_key: None,
            standing,
            credential_metadata: None,
        }
    }

    #[test]
    fn the_list_names_the_provider_and_counts_copies_in_words() {
        let registered = batch(
            true,
            Some(Standing::Registered {
                provider: "Vouch Test IDSP Ltd".into(),
            }),
        );
        assert_eq!(
            issuer_name(Some(&registered), &registered.issuer),
            "Vouch Test IDSP Ltd"
        );
        let unknown = batch(false, None);
        assert_eq!(
            issuer_name(Some(&unknown), &unknown.issuer),
            "http://127.0.0.1:7071"
        );
        assert_eq!(
            copies_left(Some(&registered), 10),
            "10 single-use copies left"
        );
        assert_eq!(copies_left(Some(&registered), 1), "1 single-use copy left");
        assert_eq!(
            copies_left(Some(&unknown), 1),
            "Yes, as often as you choose"
        );
        assert_eq!(when(1_796_650_074), "7 December 2026 at 1:27pm (UTC)");
        assert_eq!(
            claim_words(
                &["urn:vouch:uk:right-to-work:1".into()],
                &["given_name".into(), "document/expiry_date".into()]
            ),
            ["Given names", "Document expiry date"]
        );
        assert_eq!(
            claim_words(
                &["urn:vouch:uk:right-to-work:2".into()],
                &[
                    "verified_claims/claims/given_name".into(),
                    "verified_claims/verification/evidence/document_details/date_of_expiry".into()
                ]
            ),
            ["Given names", "Document expiry date"]
        );
    }

    /// A version 2 credential's page: a row per claim, nested ones included, the evidence
    /// and each check flattened under their names so each row has its label.
    #[test]
    fn a_version_2_credential_flattens_to_labelled_rows() {
        let claims: Value = serde_json::from_str(include_str!(
            "../../specs/examples/right-to-work-v2.claims.json"
        ))
        .unwrap();
        let mut rows = Vec::new();
        flatten("", &claims, &mut rows);
        let names: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        let organizations = names
            .iter()
            .filter(|n| **n == "verified_claims/verification/evidence/check_details/organization")
            .count();
        assert_eq!(organizations, 2, "{names:?}");
        assert!(names.contains(&"verified_claims/claims/nationalities"));
        let n = Names::new("urn:vouch:uk:right-to-work:2", None);
        for (k, _) in &rows {
            assert!(n.labelled(k).is_some(), "{k} has no label");
        }
    }
}
