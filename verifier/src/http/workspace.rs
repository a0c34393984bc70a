//! The workspace's routes: signing in and out, invitations (made by an HR administrator,
//! accepted once through their link), the members page, the access log and the inspection
//! export. Forms posted from another site are refused (`Sec-Fetch-Site: cross-site`), and a
//! signed-in member's forms must carry their session's form token.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::employer::{expired_form, forbidden, member_form, organisation_name, signed_in, viewer};
use super::html_error;
use crate::access::{self, password, Action};
use crate::oid4vp::{Oid4vpError, Service};
use crate::store::{Acceptance, AccessEntry, Invitation, Role};
use crate::web::workspace as pages;

/// Whether a form comes from anywhere but this service's own pages: by Fetch Metadata
/// (`Sec-Fetch-Site` other than `same-origin` or `none`; other services on the same site,
/// such as the other ports of `vouch up` on `localhost`, included), or else by an `Origin`
/// other than the service's own. A client that sends neither is not a browser.
fn foreign_form(headers: &HeaderMap, base_url: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site != "same-origin" && site != "none";
    }
    match (header("origin"), url::Url::parse(base_url)) {
        (Some(origin), Ok(base)) => origin != base.origin().ascii_serialization(),
        (Some(_), Err(_)) => true,
        (None, _) => false,
    }
}

/// 503 when sign-ins queue beyond their turn.
fn too_busy(e: password::Busy) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(crate::web::error(
            "Sorry, the service is busy",
            &e.to_string(),
        )),
    )
        .into_response()
}

/// Starts a session for `member_id`: the response redirects to `/` with its cookie.
async fn start_session(s: &Service, member_id: &str) -> Result<Response, Oid4vpError> {
    let token = access::new_token();
    let now = s.clock.now().unix_timestamp();
    s.store
        .create_session(
            &access::digest(&token),
            member_id,
            &access::new_token(),
            now,
            now + access::SESSION_SECONDS,
        )
        .await?;
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        access::set_cookie(&token, s.base_url.starts_with("https://")),
    );
    Ok(r)
}

/// `GET /sign-in`.
pub(crate) async fn sign_in_page() -> Html<String> {
    Html(pages::sign_in("", &[]))
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    email: Option<String>,
    password: Option<String>,
}

/// `POST /sign-in`: the same answer for an unknown email as for a wrong password, after the
/// same work.
pub(crate) async fn sign_in(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    if foreign_form(&headers, &s.base_url) {
        return expired_form();
    }
    let email = f.email.unwrap_or_default().trim().to_lowercase();
    let pw = f.password.unwrap_or_default();
    let mut errors = vec![];
    if email.is_empty() {
        errors.push(("email", "Enter your email address"));
    }
    if pw.is_empty() {
        errors.push(("password", "Enter your password"));
    }
    if errors.is_empty() {
        let found = match s.store.member_by_email(&email).await {
            Ok(m) => m,
            Err(e) => return html_error(e.into()),
        };
        let (member, phc) = match found {
            Some((m, hash)) => (Some(m), hash),
            None => (None, password::decoy().to_string()),
        };
        let ok = match password::verify_in_turn(pw, phc).await {
            Ok(ok) => ok,
            Err(busy) => return too_busy(busy),
        };
        match (member, ok) {
            (Some(m), true) => {
                // A new session each time: a token set before sign-in is never reused.
                if let Some(old) = access::session_token(&headers) {
                    let _ = s.store.delete_session(&access::digest(&old)).await;
                }
                tracing::info!(member = %m.id, "member signed in");
                return start_session(&s, &m.id).await.unwrap_or_else(html_error);
            }
            _ => errors.push((
                "email",
                "Enter the email address and password of your account",
            )),
        }
    }
    (
        StatusCode::BAD_REQUEST,
        Html(pages::sign_in(&email, &errors)),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /sign-out`: ends the session.
pub(crate) async fn sign_out(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(session) = c.session() else {
        return Redirect::to("/sign-in").into_response();
    };
    if !c.form_ok(&headers, f.csrf.as_deref()) {
        return expired_form();
    }
    if let Err(e) = s.store.delete_session(&session.token_hash).await {
        return html_error(e.into());
    }
    let mut r = Redirect::to("/sign-in").into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, access::clear_cookie());
    r
}

/// The invitation behind link token `token`, if it can still be used.
async fn usable_invitation(s: &Service, token: &str) -> Result<Invitation, Oid4vpError> {
    let now = s.clock.now().unix_timestamp();
    s.store
        .invitation(&access::digest(token))
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > now)
        .ok_or_else(|| {
            Oid4vpError::InvalidRequest(
                "this invitation link has been used or has expired: ask your HR administrator for a new one"
                    .into(),
            )
        })
}

/// `GET /invitations/{token}`.
pub(crate) async fn invitation_page(
    State(s): State<Arc<Service>>,
    Path(token): Path<String>,
) -> Response {
    match usable_invitation(&s, &token).await {
        Ok(inv) => {
            let org = org_name(&s, &inv.org_id).await;
            Html(pages::accept(&org, &inv, "", &[])).into_response()
        }
        Err(e) => html_error(e),
    }
}

async fn org_name(s: &Service, id: &str) -> String {
    s.store
        .organisation(id)
        .await
        .ok()
        .flatten()
        .map(|o| o.name)
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub(crate) struct AcceptForm {
    name: Option<String>,
    password: Option<String>,
    confirm: Option<String>,
}

/// `POST /invitations/{token}`: the invited person joins (once) and is signed in.
pub(crate) async fn accept_invitation(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    if foreign_form(&headers, &s.base_url) {
        return expired_form();
    }
    let inv = match usable_invitation(&s, &token).await {
        Ok(i) => i,
        Err(e) => return html_error(e),
    };
    let name = f.name.unwrap_or_default().trim().to_string();
    let (pw, confirm) = (
        f.password.unwrap_or_default(),
        f.confirm.unwrap_or_default(),
    );
    let mut errors = vec![];
    if name.is_empty() {
        errors.push(("name", "Enter your full name"));
    } else if name.chars().count() > 200 {
        errors.push(("name", "Enter a name of at most 200 characters"));
    }
    if let Some(e) = password::refusal(&pw, &confirm) {
        errors.push((
            if e.contains("same") {
                "confirm"
            } else {
                "password"
            },
            e,
        ));
    }
    if !errors.is_empty() {
        let org = org_name(&s, &inv.org_id).await;
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::accept(&org, &inv, &name, &errors)),
        )
            .into_response();
    }
    let hash = match password::hash_in_turn(pw).await {
        Ok(Ok(h)) => h,
        Ok(Err(e)) => return html_error(Oid4vpError::Server(format!("password hashing: {e}"))),
        Err(busy) => return too_busy(busy),
    };
    let id = format!("m-{}", &access::new_token()[..16]);
    let now = s.clock.now().unix_timestamp();
    match s
        .store
        .accept_invitation(&access::digest(&token), &id, &name, &hash, now)
        .await
    {
        Ok(Acceptance::Joined(m)) => {
            tracing::info!(member = %m.id, role = m.role.as_str(), "member joined");
            // Whoever was signed in in this browser is signed out.
            if let Some(old) = access::session_token(&headers) {
                let _ = s.store.delete_session(&access::digest(&old)).await;
            }
            start_session(&s, &m.id).await.unwrap_or_else(html_error)
        }
        Ok(Acceptance::Unusable) => html_error(Oid4vpError::InvalidRequest(
            "this invitation link has been used or has expired".into(),
        )),
        Ok(Acceptance::EmailTaken) => html_error(Oid4vpError::InvalidRequest(
            "this invitation cannot be used: ask your HR administrator".into(),
        )),
        Err(e) => html_error(e.into()),
    }
}

/// `GET /members`: an HR administrator's view of the members.
pub(crate) async fn members_page(State(s): State<Arc<Service>>, headers: HeaderMap) -> Response {
    members_answer(&s, &headers, &pages::MembersForm::default(), &[]).await
}

async fn members_answer(
    s: &Service,
    headers: &HeaderMap,
    form: &pages::MembersForm<'_>,
    errors: &pages::Errors<'_>,
) -> Response {
    let c = match signed_in(s, headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (Some(org_id), true) = (c.org(), c.may(Action::ManageMembers)) else {
        return forbidden();
    };
    let now = s.clock.now().unix_timestamp();
    let (members, pending) = match (
        s.store.members_of(org_id, false).await,
        s.store.pending_invitations(org_id, now).await,
    ) {
        (Ok(m), Ok(p)) => (m, p),
        (Err(e), _) | (_, Err(e)) => return html_error(e.into()),
    };
    let org = organisation_name(s, &c).await;
    let Some(v) = viewer(&c, &org) else {
        return forbidden();
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        Html(pages::members(&members, &pending, form, errors, &v)),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    email: Option<String>,
    role: Option<String>,
    csrf: Option<String>,
}

/// Whether `email` looks like an email address (one `@`, something either side, no spaces).
fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains('@'))
}

/// `POST /members`: an HR administrator invites someone; the one-time link is shown once.
pub(crate) async fn invite(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(f): Form<InviteForm>,
) -> Response {
    let (c, org_id) =
        match member_form(&s, &headers, f.csrf.as_deref(), Action::ManageMembers).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let org_id = org_id.as_str();
    let email = f.email.unwrap_or_default().trim().to_lowercase();
    let role = f.role.as_deref().and_then(Role::parse);
    let mut errors = vec![];
    if email.is_empty() {
        errors.push(("email", "Enter the email address of the person to invite"));
    } else if !plausible_email(&email) {
        errors.push((
            "email",
            "Enter an email address in the right format, like name@example.com",
        ));
    } else {
        let org = s.store.organisation(org_id).await.ok().flatten();
        let existing = s.store.member_by_email(&email).await.ok().flatten();
        if !org.as_ref().is_some_and(|o| o.admits_email(&email)) {
            errors.push((
                "email",
                "Enter an email address at your organisation's own domain",
            ));
        } else if let Some((m, _)) = existing {
            // Another organisation's member is not named as such.
            errors.push((
                "email",
                if m.org_id == org_id {
                    "Someone with this email address is a member already"
                } else {
                    "This email address cannot be invited"
                },
            ));
        }
    }
    if role.is_none() {
        errors.push(("role-recruiter", "Select the role of the person to invite"));
    }
    let form = pages::MembersForm {
        link: None,
        email: &email,
        role,
    };
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return members_answer(&s, &headers, &form, &errors).await;
    };
    let token = access::new_token();
    let now = s.clock.now().unix_timestamp();
    let inv = Invitation {
        org_id: org_id.to_string(),
        email: email.clone(),
        role,
        expires_at: now + access::INVITATION_SECONDS,
        accepted_at: None,
    };
    if let Err(e) = s
        .store
        .create_invitation(&access::digest(&token), &inv, c.actor(), now)
        .await
    {
        return html_error(e.into());
    }
    tracing::info!(role = role.as_str(), "invitation made");
    let link = format!("{}/invitations/{token}", s.base_url);
    let form = pages::MembersForm {
        link: Some(&link),
        email: "",
        role: None,
    };
    members_answer(&s, &headers, &form, &[]).await
}

/// `POST /members/{id}/remove`: an HR administrator removes another member of their
/// organisation; their sessions end at once.
pub(crate) async fn remove_member(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (c, org_id) =
        match member_form(&s, &headers, f.csrf.as_deref(), Action::ManageMembers).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let org_id = org_id.as_str();
    if c.actor() == id {
        return html_error(Oid4vpError::InvalidRequest(
            "you cannot remove yourself: ask another HR administrator".into(),
        ));
    }
    match s
        .store
        .remove_member(org_id, &id, s.clock.now().unix_timestamp())
        .await
    {
        Ok(true) => {
            tracing::info!(member = %id, "member removed");
            Redirect::to("/members").into_response()
        }
        Ok(false) => html_error(Oid4vpError::UnknownTransaction),
        Err(e) => html_error(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct ZoneForm {
    time_zone: Option<String>,
    csrf: Option<String>,
}

/// `POST /organisation/time-zone`: an HR administrator sets the time zone of the
/// organisation's pages (an IANA name the tz database knows).
pub(crate) async fn set_time_zone(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(f): Form<ZoneForm>,
) -> Response {
    let (_, org_id) =
        match member_form(&s, &headers, f.csrf.as_deref(), Action::ManageMembers).await {
            Ok(x) => x,
            Err(r) => return r,
        };
    let org_id = org_id.as_str();
    let name = f.time_zone.unwrap_or_default().trim().to_string();
    if crate::words::Zone::named(&name).is_none() {
        return members_answer(
            &s,
            &headers,
            &pages::MembersForm::default(),
            &[(
                "time-zone",
                "Enter a time zone by its place name, for example Europe/London",
            )],
        )
        .await;
    }
    match s.store.set_time_zone(org_id, &name).await {
        Ok(_) => Redirect::to("/members").into_response(),
        Err(e) => html_error(e.into()),
    }
}

/// `GET /access-log`: the organisation's access log, for HR administrators and auditors.
pub(crate) async fn access_log(State(s): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let c = match signed_in(&s, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (Some(org_id), true) = (c.org(), c.may(Action::ReadAccessLog)) else {
        return forbidden();
    };
    let (entries, members) = match (
        s.store.access_log(org_id).await,
        s.store.members_of(org_id, true).await,
    ) {
        (Ok(e), Ok(m)) => (e, m),
        (Err(e), _) | (_, Err(e)) => return html_error(e.into()),
    };
    let intact = AccessEntry::verify_chain(&entries).is_ok();
    let org = organisation_name(&s, &c).await;
    let Some(v) = viewer(&c, &org) else {
        return forbidden();
    };
    Html(pages::access_log(&entries, intact, &members, &v)).into_response()
}

/// The most records one export names.
const MAX_EXPORT: usize = 1000;

/// `POST /records/export`: the inspection archive of the records named (`record` fields),
/// or of every record of the organisation when none is named.
pub(crate) async fn export(
    State(s): State<Arc<Service>>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    let (c, org_id) = match member_form(&s, &headers, csrf, Action::Export).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let org_id = org_id.as_str();
    let ids: Vec<String> = fields
        .into_iter()
        .filter(|(k, _)| k == "record")
        .map(|(_, v)| v)
        .collect();
    if ids.len() > MAX_EXPORT {
        return html_error(Oid4vpError::InvalidRequest(format!(
            "export at most {MAX_EXPORT} records at a time: narrow the search"
        )));
    }
    match s.inspection_export(org_id, c.actor(), &ids).await {
        Ok(bytes) => {
            let day = s.clock.now().date();
            (
                [
                    (header::CONTENT_TYPE, "application/gzip".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"right-to-work-inspection-{day}.tar.gz\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => html_error(e),
    }
}
