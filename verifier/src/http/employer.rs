//! The employer's checks and records: starting a check, its page while the wallet has not
//! answered, the outcome and the photo confirmation, the records list, each record, its
//! download and employment end, and the JSON API for HR systems. Every route answers only
//! the organisation that owns the check or record (see [`crate::access`]).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use qrcode::render::svg;
use qrcode::QrCode;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{html_error, ApiError};
use crate::access::{Action, Caller};
use crate::oid4vp::{CheckOutcome, Oid4vpError, Owner, Service};
use crate::store::{StoredRecord, Transaction};
use crate::web::{self, Viewer};
use crate::{from_ts, rfc3339};

/// The caller of a request.
pub(crate) async fn caller(s: &Service, headers: &HeaderMap) -> Result<Caller, Oid4vpError> {
    Ok(Caller::of(
        &s.store,
        headers,
        s.api_key_digest.as_deref(),
        s.clock.now().unix_timestamp(),
    )
    .await?)
}

/// For a page: the caller, or what an anonymous browser gets instead (the sign-in page).
pub(crate) async fn signed_in(s: &Service, headers: &HeaderMap) -> Result<Caller, Response> {
    match caller(s, headers).await {
        Ok(Caller::Anonymous) => Err(Redirect::to("/sign-in").into_response()),
        Ok(c) => Ok(c),
        Err(e) => Err(html_error(e)),
    }
}

/// 403 for a signed-in member whose role does not allow what they asked.
pub(crate) fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(web::error(
            "You cannot do this",
            "Your role in your organisation does not allow this. Ask your HR administrator.",
        )),
    )
        .into_response()
}

/// 400 for a form without its session's form token, or posted from elsewhere.
pub(crate) fn expired_form() -> Response {
    html_error(Oid4vpError::InvalidRequest(
        "this form has expired: go back, reload the page and try again".into(),
    ))
}

/// For a form a member posts: the caller (signed in, the form carrying the session's token)
/// and their organisation, when their role allows `action`; otherwise the answer to send
/// (the sign-in page, 400, or 403), in that order.
pub(crate) async fn member_form(
    s: &Service,
    headers: &HeaderMap,
    csrf: Option<&str>,
    action: Action,
) -> Result<(Caller, String), Response> {
    let c = signed_in(s, headers).await?;
    if !c.form_ok(headers, csrf) {
        return Err(expired_form());
    }
    match c.org().filter(|_| c.may(action)).map(str::to_string) {
        Some(org) => Ok((c, org)),
        None => Err(forbidden()),
    }
}

/// The caller's organisation as its pages show it: its name and time zone.
pub(crate) struct OrgView {
    /// Its name.
    pub name: String,
    /// The zone its members read times in.
    pub zone: crate::words::Zone,
}

/// The caller's organisation, for the page header and the times on its pages.
pub(crate) async fn organisation_name(s: &Service, c: &Caller) -> OrgView {
    let org = match c.org() {
        Some(id) => s.store.organisation(id).await.ok().flatten(),
        None => None,
    };
    OrgView {
        zone: org
            .as_ref()
            .and_then(|o| crate::words::Zone::named(&o.time_zone))
            .unwrap_or_else(crate::words::Zone::utc),
        name: org.map(|o| o.name).unwrap_or_default(),
    }
}

/// The viewer of a page, when the caller is a member.
pub(crate) fn viewer<'a>(c: &'a Caller, org: &'a OrgView) -> Option<Viewer<'a>> {
    c.session().map(|session| Viewer {
        session,
        organisation: &org.name,
        zone: &org.zone,
    })
}

/// A `YYYY-MM-DD` date field: `None` when empty, an error naming the field when not a date.
pub(crate) fn date_field(v: Option<&str>, name: &str) -> Result<Option<time::Date>, Oid4vpError> {
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

/// `GET /`: the start page for a member who may start checks.
pub(crate) async fn start_page(State(s): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !c.may(Action::StartCheck) {
        return Redirect::to("/records").into_response();
    }
    let org = organisation_name(&s, &c).await;
    match viewer(&c, &org) {
        Some(v) => Html(web::start(&v)).into_response(),
        None => Redirect::to("/records").into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct StartForm {
    response_mode: Option<String>,
    template: Option<String>,
    planned_start: Option<String>,
    csrf: Option<String>,
}

/// `POST /checks`: a member starts a check, owned by their organisation and bound to
/// their browser session.
pub(crate) async fn start_check(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(f): Form<StartForm>,
) -> Response {
    let c = match member_form(&s, &headers, f.csrf.as_deref(), Action::StartCheck).await {
        Ok((c, _)) => c,
        Err(r) => return r,
    };
    let Some(session) = c.session() else {
        return forbidden();
    };
    let planned_start = match date_field(f.planned_start.as_deref(), "planned start date") {
        Ok(d) => d,
        Err(e) => return html_error(e),
    };
    let owner = Owner {
        org_id: session.member.org_id.clone(),
        member_id: Some(session.member.id.clone()),
        browser_hash: Some(session.token_hash.clone()),
    };
    match s
        .create_for(
            f.template.as_deref().unwrap_or("right-to-work"),
            f.response_mode.as_deref().unwrap_or("direct_post.jwt"),
            planned_start,
            owner,
        )
        .await
    {
        Ok(t) => Redirect::to(&format!("/checks/{}", t.id)).into_response(),
        Err(e) => html_error(e),
    }
}

/// The transaction `id` if `c` may see it; anyone else gets "not found", as for an id that
/// does not exist.
async fn owned(s: &Service, c: &Caller, id: &str) -> Result<Transaction, Oid4vpError> {
    let t = s
        .store
        .transaction(id)
        .await?
        .ok_or(Oid4vpError::UnknownTransaction)?;
    if c.may_see(&t) {
        Ok(t)
    } else {
        Err(Oid4vpError::UnknownTransaction)
    }
}

/// The record `id` if `c` may see it.
async fn owned_record(s: &Service, c: &Caller, id: &str) -> Result<StoredRecord, Oid4vpError> {
    s.store
        .record(id)
        .await?
        .filter(|r| c.may_in(&r.org_id, Action::ViewRecords))
        .ok_or(Oid4vpError::UnknownTransaction)
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
pub(crate) struct CheckQuery {
    /// Set by the wallet's redirect in a same-device flow (OpenID4VP 1.0 section 8.2).
    response_code: Option<String>,
}

/// The outcome page of a responded transaction.
fn outcome_page(
    s: &Service,
    t: &Transaction,
    errors: &[(&str, &str)],
    v: Option<&Viewer<'_>>,
) -> String {
    let o: CheckOutcome =
        serde_json::from_str(t.outcome.as_deref().unwrap_or("{}")).unwrap_or_default();
    let rows = provider_rows(s, &o);
    let at = rfc3339(from_ts(t.responded_at.unwrap_or(t.created_at)));
    web::outcome(&t.id, &o, &rows, errors, &at, v)
}

/// `GET /checks/{id}`: the QR code while the wallet has not answered, then the outcome.
pub(crate) async fn check_page(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let t = match owned(&s, &c, &id).await {
        Ok(t) => t,
        Err(e) => return html_error(e),
    };
    // Back from a same-device wallet: the response code must be the one this response was
    // given, and this must be the browser session that started the check.
    if let Some(code) = q.response_code.as_deref() {
        let code_ok = t
            .response_code
            .as_deref()
            .is_some_and(|want| crate::access::same(want, code));
        let session_ok = match (c.session(), t.browser_hash.as_deref()) {
            (Some(s), Some(bound)) => crate::access::same(&s.token_hash, bound),
            _ => false,
        };
        if !(code_ok && session_ok) {
            return html_error(Oid4vpError::InvalidRequest(
                "this link's response code is not the one the wallet's answer was given in this browser"
                    .into(),
            ));
        }
    }
    let org = organisation_name(&s, &c).await;
    let v = viewer(&c, &org);
    match t.state.as_str() {
        "pending" | "processing" => {
            let url = s.wallet_url(&t);
            let qr = QrCode::new(url.as_bytes())
                .map(|q| q.render::<svg::Color>().min_dimensions(240, 240).build())
                .unwrap_or_default();
            Html(web::pending(&t.id, &url, &qr, v.as_ref())).into_response()
        }
        "responded" => Html(outcome_page(&s, &t, &[], v.as_ref())).into_response(),
        _ => match t.record_id {
            Some(r) => Redirect::to(&format!("/records/{r}")).into_response(),
            None => html_error(Oid4vpError::UnknownTransaction),
        },
    }
}

/// `GET /checks/{id}/state`: what the pending page polls.
pub(crate) async fn check_state(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = caller(&s, &headers).await?;
    let t = owned(&s, &c, &id).await?;
    Ok(Json(json!({"state": t.state})))
}

#[derive(Deserialize)]
pub(crate) struct LikenessForm {
    likeness: Option<String>,
    checked_by: Option<String>,
    csrf: Option<String>,
}

/// `POST /checks/{id}/likeness`: the member compared the photo with the person.
pub(crate) async fn likeness(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<LikenessForm>,
) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let t = match owned(&s, &c, &id).await {
        Ok(t) => t,
        Err(e) => return html_error(e),
    };
    if !c.form_ok(&headers, f.csrf.as_deref()) {
        return expired_form();
    }
    if !c.may(Action::ConfirmLikeness) {
        return forbidden();
    }
    let checked_by = f.checked_by.unwrap_or_default().trim().to_string();
    // Every error at once, each linked to its field (GOV.UK error pattern).
    let mut errors = vec![];
    if f.likeness.is_none() {
        errors.push((
            "likeness-yes",
            "Select yes if the person in front of you is the person in the photo",
        ));
    }
    if checked_by.is_empty() {
        errors.push(("checked-by", "Enter your full name"));
    }
    if !errors.is_empty() {
        if t.state != "responded" {
            return html_error(Oid4vpError::UnknownTransaction);
        }
        let org = organisation_name(&s, &c).await;
        let v = viewer(&c, &org);
        return (
            StatusCode::BAD_REQUEST,
            Html(outcome_page(&s, &t, &errors, v.as_ref())),
        )
            .into_response();
    }
    match s
        .complete(
            &id,
            f.likeness.as_deref() == Some("yes"),
            &checked_by,
            None,
            c.actor(),
        )
        .await
    {
        Ok(r) => Redirect::to(&format!("/records/{r}")).into_response(),
        Err(e) => html_error(e),
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct CreateBody {
    template: Option<String>,
    response_mode: Option<String>,
    /// The candidate's planned start date (`YYYY-MM-DD`).
    planned_start: Option<String>,
}

/// 401 for the JSON API without an organisation's API key (RFC 6750 section 3).
fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({"error": "invalid_token", "error_description": "the organisation's API key is required"})),
    )
        .into_response()
}

/// `POST /api/transactions`: an HR system (or a signed-in member's script, with the
/// session's form token in `X-CSRF-Token`) starts a check.
pub(crate) async fn api_create(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    body: Option<Json<CreateBody>>,
) -> Result<Response, ApiError> {
    let c = caller(&s, &headers).await?;
    let owner = match &c {
        Caller::HrSystem { org_id } => Owner::hr_system(org_id),
        Caller::Member(m) if c.form_ok(&headers, None) && c.may(Action::StartCheck) => Owner {
            org_id: m.member.org_id.clone(),
            member_id: Some(m.member.id.clone()),
            browser_hash: Some(m.token_hash.clone()),
        },
        _ => return Ok(unauthorized()),
    };
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let planned_start = date_field(b.planned_start.as_deref(), "planned start date")?;
    let t = s
        .create_for(
            b.template.as_deref().unwrap_or("right-to-work"),
            b.response_mode.as_deref().unwrap_or("direct_post"),
            planned_start,
            owner,
        )
        .await?;
    Ok(Json(json!({
        "id": t.id,
        "client_id": t.client_id,
        "nonce": t.nonce,
        "request_uri": s.request_uri(&t.id),
        "response_uri": s.response_uri(&t.id),
        "wallet_url": s.wallet_url(&t),
    }))
    .into_response())
}

/// `GET /api/transactions/{id}`: a check's state and outcome, to its organisation.
pub(crate) async fn api_transaction(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = caller(&s, &headers).await?;
    let t = owned(&s, &c, &id).await?;
    let outcome: Value =
        serde_json::from_str(t.outcome.as_deref().unwrap_or("null")).unwrap_or_default();
    Ok(Json(
        json!({"id": t.id, "state": t.state, "record_id": t.record_id, "outcome": outcome}),
    ))
}

#[derive(Deserialize, Default)]
pub(crate) struct RecordSearch {
    /// Part of the person's name.
    q: Option<String>,
    /// Checks on or after this date.
    from: Option<String>,
    /// Checks on or before this date.
    to: Option<String>,
    /// `passed` (a statutory excuse) or `failed`.
    outcome: Option<String>,
}

/// `GET /records`: the organisation's records, searched by name, date and outcome.
pub(crate) async fn records_list(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Query(q): Query<RecordSearch>,
) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(org_id) = c.org().filter(|_| c.may(Action::ViewRecords)) else {
        return forbidden();
    };
    let (from, to) = match (
        date_field(q.from.as_deref(), "from date"),
        date_field(q.to.as_deref(), "to date"),
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return html_error(e),
    };
    let records = match s.store.records_of(org_id).await {
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
    let org = organisation_name(&s, &c).await;
    let v = viewer(&c, &org);
    Html(web::records_list(&rows, &filter, v.as_ref())).into_response()
}

/// The record `id` for a signed-in caller of its organisation, with `action` on it logged
/// as theirs; or the answer to send instead.
async fn logged_record(
    s: &Service,
    headers: &HeaderMap,
    id: &str,
    action: &str,
) -> Result<(Caller, StoredRecord), Response> {
    let c = signed_in(s, headers).await?;
    let r = owned_record(s, &c, id).await.map_err(html_error)?;
    let now = s.clock.now().unix_timestamp();
    s.store
        .log_access(&r.org_id, &r.id, action, c.actor(), now)
        .await
        .map_err(|e| html_error(e.into()))?;
    Ok((c, r))
}

/// `GET /records/{id}`: one record, its view logged.
pub(crate) async fn record_page(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (c, r) = match logged_record(&s, &headers, &id, "viewed").await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let org = organisation_name(&s, &c).await;
    let v = viewer(&c, &org);
    Html(web::stored_record(&r, v.as_ref())).into_response()
}

/// `GET /records/{id}/download`: the signed record, its download logged.
pub(crate) async fn record_download(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let r = match logged_record(&s, &headers, &id, "downloaded").await {
        Ok((_, r)) => r,
        Err(resp) => return resp,
    };
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

#[derive(Deserialize)]
pub(crate) struct EndForm {
    employment_end: String,
    csrf: Option<String>,
}

/// `POST /records/{id}/employment-end`: an HR administrator enters the employment end.
pub(crate) async fn employment_end(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<EndForm>,
) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(e) = owned_record(&s, &c, &id).await {
        return html_error(e);
    }
    if !c.form_ok(&headers, f.csrf.as_deref()) {
        return expired_form();
    }
    if !c.may(Action::ChangeRecord) {
        return forbidden();
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
    match s.set_employment_end(&id, date, c.actor()).await {
        Ok(()) => Redirect::to(&format!("/records/{id}")).into_response(),
        Err(e) => html_error(e),
    }
}
