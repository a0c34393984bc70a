//! The HTTP surface: OpenID4VP endpoints (request objects, responses), the employer's
//! pages, records, `/healthz` and `/metrics`. Bodies are size-limited; errors carry the
//! OAuth `error` / `error_description` and the status the spec names.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use qrcode::render::svg;
use qrcode::QrCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::oid4vp::{CheckOutcome, Oid4vpError, Service};
use crate::store::Transaction;
use crate::{access, from_ts, rfc3339, web};

/// The largest request body accepted (a presentation with a photo fits well within it).
pub const MAX_BODY: usize = 512 * 1024;

/// An error as the OpenID4VP endpoints answer it.
pub struct ApiError(pub Oid4vpError);

impl From<Oid4vpError> for ApiError {
    fn from(e: Oid4vpError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            Json(json!({"error": self.0.code(), "error_description": self.0.to_string()})),
        )
            .into_response()
    }
}

fn html_error(e: Oid4vpError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let title = if status == StatusCode::NOT_FOUND {
        "Page not found"
    } else {
        "Sorry, there is a problem"
    };
    (status, Html(web::error(title, &e.to_string()))).into_response()
}

/// The router.
pub fn router(s: Arc<Service>) -> Router {
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(|| async { Html(web::start()) }))
        .route("/checks", post(start_check))
        .route("/checks/{id}", get(check_page))
        .route("/checks/{id}/state", get(check_state))
        .route("/checks/{id}/likeness", post(likeness))
        .route("/request/{id}", get(request_get).post(request_post))
        .route("/response/{id}", post(response))
        .route("/api/transactions", post(api_create))
        .route("/api/transactions/{id}", get(api_transaction))
        .route("/records", get(records_list))
        .route("/records/{id}", get(record_page))
        .route("/records/{id}/download", get(record_download))
        .route("/records/{id}/employment-end", post(employment_end))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(s.clone())
        .merge(
            Arc::new(
                crate::vc_api::VcApi::new(s.clock.clone())
                    .resolving_only(s.verifier.trust.did_scope()),
            )
            .router(),
        );
    vouch_ops::metrics::layer(app, "verifier")
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, s: Arc<Service>) -> std::io::Result<()> {
    let app = router(s);
    describe_metrics();
    vouch_ops::serve(listener, app, "verifier").await
}

/// Verifications by outcome (`passed`, `failed`, `wallet_error`) and failure reason code.
pub const VERIFICATIONS: &str = "vouch_verifier_verifications_total";

fn describe_metrics() {
    vouch_ops::metrics::describe_counter!(
        VERIFICATIONS,
        "Wallet responses verified, by outcome and failure reason code."
    );
    crate::trust::describe_metrics();
}

/// Ready when the database answers and the trust snapshot is within the policy's age.
async fn healthz(State(s): State<Arc<Service>>) -> Response {
    use vouch_ops::health::Check;
    let trust = s.verifier.trust.current();
    let now = s.clock.now();
    let age = trust.age(now);
    let database = match s.store.transaction("healthz-probe").await {
        Ok(_) => Check::ok("database"),
        Err(e) => {
            tracing::warn!(error = %e, "healthz: the database does not answer");
            Check::failed("database", "unreachable")
        }
    };
    let max = s.verifier.policy.max_snapshot_age.whole_seconds();
    let snapshot = if age > max {
        Check::failed(
            "trust_snapshot",
            format!("older than {max} s: refresh it from the register"),
        )
    } else {
        Check::ok("trust_snapshot")
    };
    let mut extra = Map::new();
    extra.insert(
        "client_id".into(),
        s.request_signer.client_id.as_string().into(),
    );
    extra.insert(
        "snapshot_sequence".into(),
        trust.snapshot.payload.sequence.into(),
    );
    extra.insert("snapshot_age_seconds".into(), age.into());
    vouch_ops::health::answer("verifier", vec![database, snapshot], extra)
}

/// `GET /metrics`: the shared families plus the trust snapshot's age and sequence.
async fn metrics(State(s): State<Arc<Service>>) -> Response {
    crate::trust::record_snapshot_gauges(&s.verifier.trust.current(), s.clock.now());
    vouch_ops::metrics::response(String::new())
}

/// Counts a verified response by outcome; the reason is the failed check's code, never a
/// claim or an identifier.
fn count_outcome(o: &CheckOutcome) {
    let outcome = if o.passed {
        "passed"
    } else if o.wallet_error.is_some() {
        "wallet_error"
    } else {
        "failed"
    };
    let reason = o.report["error"]["code"]
        .as_str()
        .filter(|c| c.len() <= 48 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .or(o.rule_failure.as_ref().map(|_| "right_to_work_rule"))
        .unwrap_or(if o.passed { "none" } else { "other" });
    vouch_ops::metrics::counter!(VERIFICATIONS, "outcome" => outcome, "reason" => reason.to_string())
        .increment(1);
}

#[derive(Deserialize)]
struct StartForm {
    response_mode: Option<String>,
    template: Option<String>,
    planned_start: Option<String>,
}

/// A `YYYY-MM-DD` date field: `None` when empty, an error naming the field when not a date.
fn date_field(v: Option<&str>, name: &str) -> Result<Option<time::Date>, Oid4vpError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => time::Date::parse(
            v,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(Some)
        .map_err(|_| {
            Oid4vpError::InvalidRequest(format!(
                "enter the {name} as a date, for example 2027-03-31"
            ))
        }),
    }
}

async fn start_check(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(f): Form<StartForm>,
) -> Response {
    let planned_start = match date_field(f.planned_start.as_deref(), "planned start date") {
        Ok(d) => d,
        Err(e) => return html_error(e),
    };
    // The check belongs to this browser: its token (kept across checks) is set as an
    // HttpOnly cookie, and only its digest is stored.
    let token = access::browser_token(&headers).unwrap_or_else(access::new_token);
    match s
        .create_for(
            f.template.as_deref().unwrap_or("right-to-work"),
            f.response_mode.as_deref().unwrap_or("direct_post.jwt"),
            planned_start,
            Some(access::digest(&token)),
        )
        .await
    {
        Ok(t) => {
            let mut r = Redirect::to(&format!("/checks/{}", t.id)).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                access::set_cookie(&token, s.base_url.starts_with("https://")),
            );
            r
        }
        Err(e) => html_error(e),
    }
}

/// The transaction `id` if this request may see it (the browser that started it, or the
/// API key); anyone else gets "not found", as for an id that does not exist.
async fn owned(s: &Service, headers: &HeaderMap, id: &str) -> Result<Transaction, Oid4vpError> {
    let t = s
        .store
        .transaction(id)
        .await?
        .ok_or(Oid4vpError::UnknownTransaction)?;
    if access::may_see(headers, &t, s.api_key_digest.as_deref()) {
        Ok(t)
    } else {
        Err(Oid4vpError::UnknownTransaction)
    }
}

/// The record `id` if this request may see the check it records.
async fn owned_record(
    s: &Service,
    headers: &HeaderMap,
    id: &str,
) -> Result<crate::store::StoredRecord, Oid4vpError> {
    let r = s
        .store
        .record(id)
        .await?
        .ok_or(Oid4vpError::UnknownTransaction)?;
    owned(s, headers, &r.transaction_id).await?;
    Ok(r)
}

/// The provider's details from the register, for the page.
fn provider_rows(s: &Service, o: &CheckOutcome) -> Vec<(String, String)> {
    let trust = s.verifier.trust.current();
    let mut rows = vec![];
    let subject = &o.trust["at_check"]["subject"];
    if let Some(p) = subject["provider"].as_str() {
        rows.push(("Provider".into(), p.to_string()));
        rows.push((
            "Service".into(),
            subject["service"].as_str().unwrap_or("").to_string(),
        ));
        rows.push((
            "Certificate".into(),
            subject["certificate"].as_str().unwrap_or("").to_string(),
        ));
    }
    if let Some(entry) = o
        .entry_id
        .as_deref()
        .and_then(|e| trust.register().entries.get(e))
    {
        let now = s.clock.now();
        match entry.note_at(trust_framework::model::NoteCode::RightToWork, now) {
            Some(n) => {
                let cab = entry
                    .certificate(&n.certificate_number)
                    .map(|c| c.certificate.body.name.clone())
                    .unwrap_or_default();
                rows.push((
                    "Right to work note".into(),
                    format!(
                        "held since {} (certificate {} by {cab})",
                        n.added_at.date(),
                        n.certificate_number
                    ),
                ));
            }
            None => rows.push(("Right to work note".into(), "none".into())),
        }
        rows.push(("Register entry".into(), entry.entry_id.clone()));
    }
    rows
}

#[derive(Deserialize)]
struct CheckQuery {
    /// Set by the wallet's redirect in a same-device flow (OpenID4VP 1.0 section 8.2).
    response_code: Option<String>,
}

async fn check_page(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Response {
    let t = match owned(&s, &headers, &id).await {
        Ok(t) => t,
        Err(e) => return html_error(e),
    };
    // Back from a same-device wallet: the response code must be the one this response was
    // given, or this browser is not where the wallet answered.
    if let Some(code) = q.response_code.as_deref() {
        if !t
            .response_code
            .as_deref()
            .is_some_and(|want| access::same(want, code))
        {
            return html_error(Oid4vpError::InvalidRequest(
                "this link's response code is not the one the wallet's answer was given".into(),
            ));
        }
    }
    match t.state.as_str() {
        "pending" | "processing" => {
            let url = s.wallet_url(&t.id);
            let qr = QrCode::new(url.as_bytes())
                .map(|q| q.render::<svg::Color>().min_dimensions(240, 240).build())
                .unwrap_or_default();
            Html(web::pending(&t.id, &url, &qr)).into_response()
        }
        "responded" => {
            let o: CheckOutcome =
                serde_json::from_str(t.outcome.as_deref().unwrap_or("{}")).unwrap_or_default();
            let rows = provider_rows(&s, &o);
            let at = rfc3339(from_ts(t.responded_at.unwrap_or(t.created_at)));
            Html(web::outcome(&t.id, &o, &rows, None, &at)).into_response()
        }
        _ => match t.record_id {
            Some(r) => Redirect::to(&format!("/records/{r}")).into_response(),
            None => html_error(Oid4vpError::UnknownTransaction),
        },
    }
}

async fn check_state(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let t = owned(&s, &headers, &id).await?;
    Ok(Json(json!({"state": t.state})))
}

#[derive(Deserialize)]
struct LikenessForm {
    likeness: Option<String>,
    checked_by: Option<String>,
}

async fn likeness(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<LikenessForm>,
) -> Response {
    if let Err(e) = owned(&s, &headers, &id).await {
        return html_error(e);
    }
    let checked_by = f.checked_by.unwrap_or_default().trim().to_string();
    let err = match (f.likeness.as_deref(), checked_by.is_empty()) {
        (None, _) => Some("Select yes if the person in front of you is the person in the photo"),
        (_, true) => Some("Enter your full name"),
        _ => None,
    };
    if let Some(e) = err {
        let t = match s.store.transaction(&id).await {
            Ok(Some(t)) if t.state == "responded" => t,
            Ok(_) => return html_error(Oid4vpError::UnknownTransaction),
            Err(e) => return html_error(e.into()),
        };
        let o: CheckOutcome =
            serde_json::from_str(t.outcome.as_deref().unwrap_or("{}")).unwrap_or_default();
        let rows = provider_rows(&s, &o);
        let at = rfc3339(from_ts(t.responded_at.unwrap_or(t.created_at)));
        return (
            StatusCode::BAD_REQUEST,
            Html(web::outcome(&id, &o, &rows, Some(e), &at)),
        )
            .into_response();
    }
    match s
        .complete(&id, f.likeness.as_deref() == Some("yes"), &checked_by, None)
        .await
    {
        Ok(r) => Redirect::to(&format!("/records/{r}")).into_response(),
        Err(e) => html_error(e),
    }
}

const JWT_TYPE: &str = "application/oauth-authz-req+jwt";

async fn request_get(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let jwt = s.request_object(&id, None).await?;
    Ok(([(header::CONTENT_TYPE, JWT_TYPE)], jwt).into_response())
}

async fn request_post(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
    Form(f): Form<Map<String, Value>>,
) -> Result<Response, ApiError> {
    if let Some(meta) = f.get("wallet_metadata").and_then(Value::as_str) {
        serde_json::from_str::<Value>(meta)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                Oid4vpError::InvalidRequest("wallet_metadata is not a JSON object".into())
            })?;
    }
    let jwt = s
        .request_object(&id, f.get("wallet_nonce").and_then(Value::as_str))
        .await?;
    Ok(([(header::CONTENT_TYPE, JWT_TYPE)], jwt).into_response())
}

async fn response(
    State(s): State<Arc<Service>>,
    Path(id): Path<String>,
    form: Result<Form<Map<String, Value>>, axum::extract::rejection::FormRejection>,
) -> Result<Json<Value>, ApiError> {
    let Form(params) = form.map_err(|e| {
        Oid4vpError::InvalidRequest(format!("the body is not a form: {}", e.body_text()))
    })?;
    let ack = s.respond(&id, &params).await?;
    if let Ok(Some(t)) = s.store.transaction(&id).await {
        if let Some(o) = t
            .outcome
            .as_deref()
            .and_then(|o| serde_json::from_str::<CheckOutcome>(o).ok())
        {
            count_outcome(&o);
        }
    }
    Ok(Json(json!({"redirect_uri": ack.redirect_uri})))
}

#[derive(Deserialize, Default)]
struct CreateBody {
    template: Option<String>,
    response_mode: Option<String>,
    /// The candidate's planned start date (`YYYY-MM-DD`).
    planned_start: Option<String>,
}

async fn api_create(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    body: Option<Json<CreateBody>>,
) -> Result<Response, ApiError> {
    if !access::api_key_ok(&headers, s.api_key_digest.as_deref()) {
        return Ok(unauthorized());
    }
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let planned_start = date_field(b.planned_start.as_deref(), "planned start date")?;
    let t = s
        .create_for(
            b.template.as_deref().unwrap_or("right-to-work"),
            b.response_mode.as_deref().unwrap_or("direct_post"),
            planned_start,
            None,
        )
        .await?;
    Ok(Json(json!({
        "id": t.id,
        "client_id": t.client_id,
        "nonce": t.nonce,
        "request_uri": s.request_uri(&t.id),
        "response_uri": s.response_uri(&t.id),
        "wallet_url": s.wallet_url(&t.id),
    }))
    .into_response())
}

/// 401 for the JSON API without the organisation's API key (RFC 6750 section 3).
fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({"error": "invalid_token", "error_description": "the organisation's API key is required"})),
    )
        .into_response()
}

async fn api_transaction(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let t = owned(&s, &headers, &id).await?;
    let outcome: Value =
        serde_json::from_str(t.outcome.as_deref().unwrap_or("null")).unwrap_or_default();
    Ok(Json(
        json!({"id": t.id, "state": t.state, "record_id": t.record_id, "outcome": outcome}),
    ))
}

#[derive(Deserialize, Default)]
struct RecordSearch {
    /// Part of the person's name.
    q: Option<String>,
    /// Checks on or after this date.
    from: Option<String>,
    /// Checks on or before this date.
    to: Option<String>,
    /// `passed` (a statutory excuse) or `failed`.
    outcome: Option<String>,
}

/// The employer's records (this browser's checks, or every record with the API key),
/// searched by name, date and outcome.
async fn records_list(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Query(q): Query<RecordSearch>,
) -> Response {
    let (from, to) = match (
        date_field(q.from.as_deref(), "from date"),
        date_field(q.to.as_deref(), "to date"),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return html_error(e),
    };
    let scope = if access::api_key_ok(&headers, s.api_key_digest.as_deref()) {
        None
    } else {
        match access::browser_token(&headers) {
            Some(t) => Some(access::digest(&t)),
            None => return Html(web::records_list(&[], &Default::default())).into_response(),
        }
    };
    let records = match s.store.records_of(scope.as_deref()).await {
        Ok(r) => r,
        Err(e) => return html_error(e.into()),
    };
    let filter = web::RecordFilter {
        name: q.q.unwrap_or_default().trim().to_lowercase(),
        from,
        to,
        outcome: q.outcome.filter(|o| o == "passed" || o == "failed"),
    };
    let rows: Vec<web::RecordRow> = records
        .iter()
        .map(web::RecordRow::of)
        .filter(|r| filter.admits(r))
        .collect();
    Html(web::records_list(&rows, &filter)).into_response()
}

async fn record_page(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let r = match owned_record(&s, &headers, &id).await {
        Ok(r) => r,
        Err(e) => return html_error(e),
    };
    if let Err(e) = s
        .store
        .log_access(&r.id, "viewed", s.clock.now().unix_timestamp())
        .await
    {
        return html_error(e.into());
    }
    Html(web::stored_record(&r)).into_response()
}

async fn record_download(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match owned_record(&s, &headers, &id).await {
        Ok(r) => {
            if let Err(e) = s
                .store
                .log_access(&r.id, "downloaded", s.clock.now().unix_timestamp())
                .await
            {
                return html_error(e.into());
            }
            (
                [
                    (header::CONTENT_TYPE, "application/jose".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"right-to-work-{}.jws\"", r.id),
                    ),
                ],
                r.record,
            )
                .into_response()
        }
        Err(e) => html_error(e),
    }
}

#[derive(Deserialize)]
struct EndForm {
    employment_end: String,
}

async fn employment_end(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<EndForm>,
) -> Response {
    if let Err(e) = owned_record(&s, &headers, &id).await {
        return html_error(e);
    }
    let date = match date_field(Some(&f.employment_end), "employment end date") {
        Ok(Some(d)) => d,
        Ok(None) => {
            return html_error(Oid4vpError::InvalidRequest(
                "enter the employment end date".into(),
            ))
        }
        Err(e) => return html_error(e),
    };
    match s.set_employment_end(&id, date).await {
        Ok(()) => Redirect::to(&format!("/records/{id}")).into_response(),
        Err(e) => html_error(e),
    }
}
