//! Server-rendered pages of the right-to-work check, after the GOV.UK Design System:
//! written by hand, no external assets, working without JavaScript.

use serde_json::Value;

use crate::human_age;
use crate::oid4vp::CheckOutcome;
use crate::rtw::Person;
use crate::words;
use vouch_ops::html::{escape as esc, Page};

use crate::access::{Action, Caller};

pub mod workspace;
use crate::store::Session;

/// The verifier's own rules, after the shared stylesheet (`vouch_ops::html::BASE_CSS`).
const CSS: &str = r#"
.summary th{width:35%}
.failed{border:5px solid #d4351c;padding:20px;margin:0 0 30px}.failed h2{margin-top:0;color:#d4351c}
.form-group{margin:0 0 30px}.form-group.error{border-left:5px solid #d4351c;padding-left:15px}
.form-group input[type=text],.form-group input[type=date]{max-width:20em;margin:0}
fieldset{border:0;padding:0;margin:0;min-width:0}legend{font-weight:700;font-size:24px;margin:0 0 15px}
.radio{display:flex;align-items:center;margin:0 0 10px}.radio input{flex:none;width:40px;height:40px;margin:0 10px 0 0}.radio label{font-weight:400;margin:0}
.qr svg{width:260px;height:260px}
.portrait{width:240px;max-width:100%;height:auto;border:1px solid #b1b4b6;image-rendering:auto}
.status-line{font-size:19px;border-left:5px solid #1d70b8;padding:10px 15px;margin:0 0 30px}
details{margin:0 0 30px}summary{cursor:pointer;color:#1d70b8;text-decoration:underline;font-size:19px}
.signed-in p{font-size:16px;margin:0 0 20px}button.link{background:none;border:0;padding:0;color:#1d70b8;text-decoration:underline;font:inherit;cursor:pointer}
.one-time{word-break:break-all;background:#f3f2f1;padding:10px;border-left:5px solid #1d70b8}
@media print{form,.footer{display:none}}
"#;

/// The service's name, in every page's header and title.
const SERVICE: &str = "Right to work check";

/// Every page's footer.
const FOOTER: &str = "Digital identity check through a certified identity service provider (UK digital verification services trust framework). The employer must keep this record for the employment and two years after it ends.";

/// Who is looking at a page: a signed-in member (their session's form token goes into every
/// form) of a named organisation.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    /// The member's session.
    pub session: &'a Session,
    /// Their organisation's name.
    pub organisation: &'a str,
    /// The time zone their organisation reads times in.
    pub zone: &'a words::Zone,
}

/// A time in the viewer's zone (UTC without a viewer, as in the inspection archive).
fn time_for(v: Option<&Viewer<'_>>, rfc3339: &str) -> String {
    match v {
        Some(v) => v.zone.time(rfc3339),
        None => words::time(rfc3339),
    }
}

impl Viewer<'_> {
    /// The hidden field carrying the session's form token (CSRF), for every `POST` form.
    pub fn csrf_field(&self) -> String {
        format!(
            r#"<input type="hidden" name="csrf" value="{}">"#,
            esc(&self.session.csrf)
        )
    }

    /// Whether the member's role allows `action`.
    pub fn may(&self, action: Action) -> bool {
        Caller::Member(self.session.clone()).may(action)
    }
}

/// The form token field for `v`, or nothing.
pub fn csrf(v: Option<&Viewer<'_>>) -> String {
    v.map(|v| v.csrf_field()).unwrap_or_default()
}

/// A whole page, in the shared shell, with an optional inline script.
pub fn page(title: &str, body: &str, script: Option<&str>, v: Option<&Viewer<'_>>) -> String {
    shell(title, false, body, script, v)
}

/// A whole page; `error` prefixes its title with `Error: `. With a viewer, the header's
/// navigation offers what their role allows, and the page opens with who is signed in.
pub fn shell(
    title: &str,
    error: bool,
    body: &str,
    script: Option<&str>,
    v: Option<&Viewer<'_>>,
) -> String {
    let mut links: Vec<(&str, &str)> = vec![];
    let mut top = String::new();
    if let Some(v) = v {
        for (action, href, text) in [
            (Action::StartCheck, "/", "Start a check"),
            (Action::ViewRecords, "/records", "Records"),
            (Action::ManageMembers, "/members", "Members"),
            (Action::ReadAccessLog, "/access-log", "Access log"),
        ] {
            if v.may(action) {
                links.push((href, text));
            }
        }
        let m = &v.session.member;
        top = format!(
            r#"<form method="post" action="/sign-out" class="signed-in">{csrf}<p>Signed in as <strong>{name}</strong> ({role}, {org}) <button class="link" type="submit" id="sign-out">Sign out</button></p></form>"#,
            csrf = v.csrf_field(),
            name = esc(&m.name),
            role = esc(m.role.label()),
            org = esc(v.organisation),
        );
    }
    let body = format!("{top}{body}");
    let mut page = Page::new(SERVICE, title)
        .error(error)
        .css(CSS)
        .footer(FOOTER);
    if !links.is_empty() {
        page = page.nav("Employer", &links);
    }
    match script {
        Some(js) => page.script(js).render(&body),
        None => page.render(&body),
    }
}

/// One row of the records list, read from a stored record's signed payload.
#[derive(Clone, Debug)]
pub struct RecordRow {
    /// The record id.
    pub id: String,
    /// The person's name as the credential gave it.
    pub name: String,
    /// The day of the check.
    pub checked_on: time::Date,
    /// Whether the check gives a statutory excuse (passed and the photo matched).
    pub passed: bool,
}

impl RecordRow {
    /// The row of a stored record.
    pub fn of(r: &crate::store::StoredRecord) -> Self {
        let payload = credentials::jose::CompactJws::parse(&r.record)
            .ok()
            .and_then(|j| serde_json::from_slice::<Value>(j.payload()).ok())
            .unwrap_or_default();
        let o: CheckOutcome =
            serde_json::from_value(payload["outcome"].clone()).unwrap_or_default();
        let name = o
            .person
            .as_ref()
            .map(|p| format!("{} {}", p.given_name, p.family_name))
            .unwrap_or_default();
        RecordRow {
            id: r.id.clone(),
            name,
            checked_on: crate::from_ts(r.created_at).date(),
            passed: o.passed && payload["likeness"]["confirmed"].as_bool() == Some(true),
        }
    }
}

/// What the records list is searched by.
#[derive(Clone, Debug, Default)]
pub struct RecordFilter {
    /// Part of the name, lower-case (empty: any).
    pub name: String,
    /// Checks on or after.
    pub from: Option<time::Date>,
    /// Checks on or before.
    pub to: Option<time::Date>,
    /// `passed` or `failed` (`None`: both).
    pub outcome: Option<String>,
}

impl RecordFilter {
    /// Whether `r` is in the result.
    pub fn admits(&self, r: &RecordRow) -> bool {
        (self.name.is_empty() || r.name.to_lowercase().contains(&self.name))
            && self.from.is_none_or(|f| r.checked_on >= f)
            && self.to.is_none_or(|t| r.checked_on <= t)
            && match self.outcome.as_deref() {
                Some("passed") => r.passed,
                Some("failed") => !r.passed,
                _ => true,
            }
    }
}

/// The records list with its search form, and (for a member who may) the export of the
/// records shown for an inspection.
pub fn records_list(rows: &[RecordRow], f: &RecordFilter, v: Option<&Viewer<'_>>) -> String {
    let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let sel = |v: &str| {
        if f.outcome.as_deref() == Some(v) {
            " selected"
        } else {
            ""
        }
    };
    let mut b = format!(
        r#"<h1>Right to work records</h1>
<form method="get" action="/records" class="search">
<div class="form-group"><label for="q">Name</label><input type="text" id="q" name="q" value="{q}"></div>
<div class="form-group"><label for="from">Checked on or after</label><input type="date" id="from" name="from" value="{from}"></div>
<div class="form-group"><label for="to">Checked on or before</label><input type="date" id="to" name="to" value="{to}"></div>
<div class="form-group"><label for="outcome">Outcome</label><select id="outcome" name="outcome"><option value="">Any</option><option value="passed"{p}>Statutory excuse</option><option value="failed"{x}>No statutory excuse</option></select></div>
<button class="button" type="submit">Search</button>
</form>"#,
        q = esc(&f.name),
        from = date(f.from),
        to = date(f.to),
        p = sel("passed"),
        x = sel("failed"),
    );
    if rows.is_empty() {
        b.push_str("<p id=\"records-none\">No records match.</p>");
    } else {
        b.push_str(&format!(
            "<p>{} record(s).</p><table class=\"summary\" id=\"records\"><caption>Records found</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Checked</th><th scope=\"col\">Outcome</th></tr></thead><tbody>",
            rows.len()
        ));
        for r in rows {
            b.push_str(&format!(
                "<tr data-record=\"{id}\"><td><a href=\"/records/{id}\">{name}</a></td><td>{on}</td><td>{out}</td></tr>",
                id = esc(&r.id),
                name = esc(&r.name),
                on = esc(&words::date(&r.checked_on.to_string())),
                out = if r.passed { "Statutory excuse" } else { "No statutory excuse" },
            ));
        }
        b.push_str("</tbody></table>");
        if v.is_some_and(|v| v.may(Action::Export)) {
            let ids: String = rows
                .iter()
                .map(|r| {
                    format!(
                        r#"<input type="hidden" name="record" value="{}">"#,
                        esc(&r.id)
                    )
                })
                .collect();
            b.push_str(&format!(
                r#"<h2>Inspection</h2><form method="post" action="/records/export">{csrf}{ids}<p>Download the records shown, their printable pages and the access log in one archive for a Home Office inspection.</p><button class="button button-secondary" type="submit" id="export">Export these records</button></form>"#,
                csrf = csrf(v),
            ));
        }
    }
    page("Right to work records", &b, None, v)
}

/// The start page.
pub fn start(v: &Viewer<'_>) -> String {
    let body = START.replace("{csrf}", &v.csrf_field());
    page("Check someone's right to work", &body, None, Some(v))
}

const START: &str = r#"<h1>Check someone's right to work</h1>
<p class="lead">Use this service to check a British or Irish citizen's right to work with the digital identity in their wallet.</p>
<p>The person needs a right-to-work credential from a certified identity service provider, based on a valid British or Irish passport or Irish passport card. Everyone else must show you a share code from the Home Office online service.</p>
<p>You will see their name, date of birth, photo, nationality and passport details. You must then check the photo against the person.</p>
<form method="post" action="/checks">{csrf}
<input type="hidden" name="response_mode" value="direct_post.jwt">
<div class="form-group"><label for="planned-start">Planned start date (optional)</label><p class="hint">The day the person is due to start work, for example 2027-03-31. The check must be made before it.</p><input type="date" id="planned-start" name="planned_start"></div>
<button class="button" type="submit" id="start">Start a check</button>
<p><a href="/records">Your right to work records</a></p>
</form>"#;

/// The page while the wallet has not answered.
pub fn pending(id: &str, wallet_url: &str, qr_svg: &str, v: Option<&Viewer<'_>>) -> String {
    let body = format!(
        r#"<h1>Ask the person to share their right to work</h1>
<p>Ask them to scan this QR code with their digital identity wallet.</p>
<div class="qr" role="img" aria-label="QR code for the wallet request">{qr_svg}</div>
<p>If the wallet is on this device, <a id="wallet-link" href="{url}">open the wallet on this device</a>.</p>
<p class="hint">This page updates when the wallet answers.</p>
<p class="noprint"><a class="button button-secondary" id="refresh" href="/checks/{id}">Check for an answer</a></p>"#,
        url = esc(wallet_url),
        id = esc(id),
    );
    let script = format!(
        "(function(){{var s='pending';function p(){{fetch('/checks/{id}/state').then(function(r){{return r.json()}}).then(function(j){{if(j.state!==s){{location.reload()}}else{{setTimeout(p,1500)}}}}).catch(function(){{setTimeout(p,3000)}})}}setTimeout(p,1500)}})();",
        id = id
    );
    page(
        "Ask the person to share their right to work",
        &body,
        Some(&script),
        v,
    )
}

fn row(k: &str, v: &str) -> String {
    format!("<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(k), v)
}

/// Plain words for a failed check.
pub fn plain_failure(code: &str) -> &'static str {
    match code {
        "unknown_anchor" => "The credential was not issued by a service on the register of certified digital identity services.",
        "entry_removed" => "The identity provider has been removed from the register of certified digital identity services.",
        "entry_lapsed" => "The identity provider's register entry has lapsed.",
        "certificate_suspended" => "The identity provider's certificate is suspended, so it is not certified.",
        "certificate_withdrawn" => "The identity provider's certificate was withdrawn, so it is not certified.",
        "certificate_expired" => "The identity provider's certificate has expired.",
        "note_missing" => "The identity provider is not certified for right-to-work checks (it holds no right-to-work supplementary note).",
        "anchor_retired" | "anchor_compromised" => "The key that signed the credential is no longer trusted.",
        "credential_type_not_covered" => "The identity provider is not registered to issue this credential.",
        "revoked" => "The identity provider has revoked this credential.",
        "suspended" => "The identity provider has suspended this credential.",
        "status_unknown" => "We could not find out whether the credential has been revoked, and the last copy we have is too old. Try again when you are online.",
        "expired" => "The credential has expired.",
        "not_yet_valid" => "The credential is not valid yet.",
        "snapshot_stale" => "Our copy of the register of certified services is too old. Connect to the internet to update it and try again.",
        "request_not_satisfied" => "The wallet did not share everything a right-to-work check needs.",
        _ => "The credential did not pass verification.",
    }
}

/// The outcome of a response, with the likeness form when the verification passed.
pub fn outcome(
    id: &str,
    o: &CheckOutcome,
    provider: &[(String, String)],
    errors: &[(&str, &str)],
    checked_at: &str,
    v: Option<&Viewer<'_>>,
) -> String {
    let mut b = String::new();
    if let Some(e) = &o.wallet_error {
        b.push_str(&format!(
            "<h1>The person did not share their details</h1><div class=\"failed\" id=\"outcome\" data-outcome=\"declined\"><p>The wallet answered: {}.</p></div><p><a class=\"button\" href=\"/\">Start a new check</a></p>",
            esc(e)
        ));
        return page("The person did not share their details", &b, None, v);
    }
    let report = &o.report;
    let failed_code = report["error"]["code"].as_str().unwrap_or("");
    if !o.passed {
        b.push_str("<h1>The right to work check did not pass</h1><div class=\"failed\" id=\"outcome\" data-outcome=\"failed\">");
        b.push_str("<h2>What failed</h2>");
        if let Some(r) = &o.rule_failure {
            b.push_str(&format!("<p id=\"failure\">{}</p><p>The digital route is only for British or Irish citizens with a valid (unexpired on the day of the check) British or Irish passport or Irish passport card. Anyone else must give you a share code from the Home Office online service.</p>", esc(r)));
        } else {
            b.push_str(&format!(
                "<p id=\"failure\" data-code=\"{c}\">{p}</p><p><strong>Why:</strong> {m}</p>",
                c = esc(failed_code),
                p = esc(plain_failure(failed_code)),
                m = esc(report["error"]["message"].as_str().unwrap_or("")),
            ));
        }
        b.push_str("<p>You do not have a statutory excuse from this check. Do not let the person start work until their right to work is checked another way.</p></div>");
    } else {
        // Not "confirmed" yet: the right to work is confirmed only once the employer has
        // matched the photo to the person.
        b.push_str("<h1>Check the photo against the person</h1><p class=\"status-line\" id=\"outcome\" data-outcome=\"passed\">The digital identity checks passed. The right to work is confirmed once you confirm the photo is of the person in front of you.</p>");
    }
    if let Some(p) = &o.person {
        let name = provider
            .iter()
            .find(|(k, _)| k == "Provider")
            .map(|(_, v)| v.as_str());
        b.push_str(&person_table(p, name, checked_at, v));
    }
    let how = how_checked(provider, report);
    if !o.passed {
        b.push_str(&how);
    }
    if o.passed && v.is_some_and(|v| v.may(Action::ConfirmLikeness)) {
        b.insert_str(0, &vouch_ops::html::error_summary(errors));
        b.push_str(&format!(
            r#"<form method="post" action="/checks/{id}/likeness" novalidate>{csrf}
<div class="form-group{cls}"><fieldset aria-describedby="likeness-hint">
<legend>Is the person in front of you the person in the photo?</legend>
<p class="hint" id="likeness-hint">Compare the photo with the person, in person or on a live video call.</p>
{msg}
<div class="radio"><input type="radio" id="likeness-yes" name="likeness" value="yes"><label for="likeness-yes">Yes, the photo is of this person</label></div>
<div class="radio"><input type="radio" id="likeness-no" name="likeness" value="no"><label for="likeness-no">No, the photo is not of this person</label></div>
</fieldset></div>
<div class="form-group{name_cls}"><label for="checked-by">Your full name</label>{name_msg}<input type="text" id="checked-by" name="checked_by" autocomplete="name"></div>
<button class="button" type="submit" id="confirm">Confirm and save the record</button>
</form>"#,
            id = esc(id),
            csrf = csrf(v),
            cls = if errors.iter().any(|(f, _)| *f == "likeness-yes") { " error" } else { "" },
            msg = vouch_ops::html::field_error(errors, "likeness-yes"),
            name_cls = if errors.iter().any(|(f, _)| *f == "checked-by") { " error" } else { "" },
            name_msg = vouch_ops::html::field_error(errors, "checked-by"),
        ));
        b.push_str(&how);
    } else if o.passed {
        b.push_str(&how);
    }
    shell(
        if o.passed {
            "Check the photo against the person"
        } else {
            "The right to work check did not pass"
        },
        !errors.is_empty(),
        &b,
        (!errors.is_empty()).then_some(vouch_ops::html::FOCUS_ERROR_SUMMARY),
        v,
    )
}

/// The person, photo first and large enough to compare with a face.
fn person_table(
    p: &Person,
    provider: Option<&str>,
    checked_at: &str,
    v: Option<&Viewer<'_>>,
) -> String {
    let mut t = String::from("<h2>The person</h2>");
    if let Some(img) = &p.portrait {
        if img.starts_with("data:image/") {
            t.push_str(&format!(
                "<p><img class=\"portrait\" id=\"portrait\" width=\"240\" src=\"{}\" alt=\"Photo of {} {} from their identity provider\"></p>",
                esc(img),
                esc(&p.given_name),
                esc(&p.family_name)
            ));
        }
    }
    t.push_str("<table class=\"summary\"><tbody>");
    t.push_str(&row(
        "Name",
        &format!(
            "<span id=\"name\">{} {}</span>",
            esc(&p.given_name),
            esc(&p.family_name)
        ),
    ));
    t.push_str(&row(
        "Date of birth",
        &format!(
            "<span id=\"birthdate\">{}</span>",
            esc(&words::date(&p.birthdate))
        ),
    ));
    t.push_str(&row(
        "Nationality",
        &format!(
            "<span id=\"nationality\">{}</span>",
            esc(&words::nationality(&p.nationality))
        ),
    ));
    t.push_str(&row(
        "Document",
        &format!(
            "{} number {}",
            esc(&words::document(&p.document_type)),
            esc(&p.document_number)
        ),
    ));
    t.push_str(&row(
        "Document expires",
        &format!(
            "<span id=\"expiry\">{}</span>",
            esc(&words::date(&p.document_expiry))
        ),
    ));
    if let Some(words) = p.identity_check_words() {
        t.push_str(&row("Identity checked by the provider", &esc(&words)));
    }
    if let Some(name) = provider {
        t.push_str(&row(
            "Identity provider",
            &format!("{} (certified in the register)", esc(name)),
        ));
    }
    t.push_str(&row(
        "Date of this check",
        &format!(
            "<span id=\"check-date\">{}</span>",
            esc(&time_for(v, checked_at))
        ),
    ));
    t.push_str("</tbody></table>");
    t
}

/// "How this was checked", folded: the identity provider from the register, the level of
/// confidence and every check the verifier made.
fn how_checked(provider: &[(String, String)], report: &Value) -> String {
    let mut t = String::from("<details id=\"how-checked\"><summary>How this was checked</summary><h2>The identity provider</h2><table class=\"summary\"><tbody>");
    for (k, v) in provider {
        t.push_str(&row(k, &esc(v)));
    }
    t.push_str("</tbody></table>");
    t.push_str(&checks_table(report));
    t.push_str("</details>");
    t
}

fn checks_table(report: &Value) -> String {
    let mut t = String::from("<h2>Checks</h2><table class=\"summary\" id=\"checks\"><tbody>");
    for c in report["checks"].as_array().into_iter().flatten() {
        let ok = c["ok"].as_bool() == Some(true);
        t.push_str(&format!(
            "<tr data-check=\"{n}\"><th scope=\"row\">{n}</th><td><strong class=\"tag{cls}\">{s}</strong> {d}</td></tr>",
            n = esc(c["name"].as_str().unwrap_or("")),
            cls = if ok { "" } else { " tag-red" },
            s = if ok { "passed" } else { "failed" },
            d = esc(c["detail"].as_str().unwrap_or("")),
        ));
    }
    if let Some(f) = report.get("freshness") {
        let status = f["status_list_age_seconds"]
            .as_i64()
            .map(human_age)
            .unwrap_or_else(|| "not used".into());
        t.push_str(&format!(
            "<tr><th scope=\"row\">Trust data</th><td id=\"freshness\">Register snapshot {} is {} old; status list {} old</td></tr>",
            f["snapshot_sequence"], human_age(f["snapshot_age_seconds"].as_i64().unwrap_or(0)), status
        ));
    }
    t.push_str("</tbody></table>");
    t
}

/// The dates of a record the page shows: employment end, deletion, planned start.
pub struct RecordDates<'a> {
    /// The employment end date, once entered.
    pub employment_end: Option<&'a str>,
    /// When the record is deleted.
    pub delete_after: Option<&'a str>,
    /// The candidate's planned start date, if given when the check started.
    pub planned_start: Option<&'a str>,
    /// Whether the check was made after the planned start date.
    pub checked_after_start: bool,
}

/// A stored record's page: its signed payload read back, its dates, and whether its check
/// came after the planned start date.
pub fn stored_record(r: &crate::store::StoredRecord, v: Option<&Viewer<'_>>) -> String {
    let payload = credentials::jose::CompactJws::parse(&r.record)
        .ok()
        .and_then(|j| serde_json::from_slice::<Value>(j.payload()).ok())
        .unwrap_or_default();
    let delete_after = r.delete_after.map(|d| crate::rfc3339(crate::from_ts(d)));
    let checked = crate::from_ts(r.created_at).date().to_string();
    record(
        &r.id,
        &payload,
        &RecordDates {
            employment_end: r.employment_end.as_deref(),
            delete_after: delete_after.as_deref(),
            planned_start: r.planned_start.as_deref(),
            checked_after_start: r
                .planned_start
                .as_deref()
                .is_some_and(|p| checked.as_str() > p),
        },
        v,
    )
}

/// A retained record's page; the employment end form only for a member who may change it.
pub fn record(
    record_id: &str,
    payload: &Value,
    dates: &RecordDates<'_>,
    v: Option<&Viewer<'_>>,
) -> String {
    let (employment_end, delete_after) = (dates.employment_end, dates.delete_after);
    let o: CheckOutcome = serde_json::from_value(payload["outcome"].clone()).unwrap_or_default();
    let mut b = String::new();
    let passed = o.passed && payload["likeness"]["confirmed"].as_bool() == Some(true);
    if passed {
        b.push_str("<div class=\"panel\" id=\"record-outcome\" data-outcome=\"passed\"><h1>Right to work check complete</h1><p>You have a statutory excuse from this check. Keep this record.</p></div>");
    } else {
        b.push_str("<div class=\"failed\" id=\"record-outcome\" data-outcome=\"failed\"><h1>Right to work check: no statutory excuse</h1><p>The check did not pass or the photo did not match the person.</p></div>");
    }
    if dates.checked_after_start {
        b.push_str(&format!(
            "<div class=\"failed\" id=\"late-check\"><h2>This check was made after the planned start date</h2><p>The planned start date was {}. A right to work check must be made before employment starts.</p></div>",
            esc(&words::date(dates.planned_start.unwrap_or("")))
        ));
    }
    b.push_str(&format!(
        "<p>Record reference: <strong id=\"record-id\">{}</strong></p>",
        esc(record_id)
    ));
    b.push_str(&format!(
        "<p class=\"noprint\"><a class=\"button\" id=\"download\" href=\"/records/{id}/download\" download>Download the signed record</a> <a class=\"button button-secondary\" href=\"javascript:window.print()\">Print this page</a></p>",
        id = esc(record_id)
    ));
    if let Some(p) = &o.person {
        let checked = payload["timestamps"]["responded_at"].as_str().unwrap_or("");
        b.push_str(&person_table(p, None, checked, v));
    }
    b.push_str(&format!(
        "<h2>Photo check</h2><table class=\"summary\"><tbody>{}{}</tbody></table>",
        row(
            "Photo matches the person",
            if payload["likeness"]["confirmed"].as_bool() == Some(true) {
                "Yes"
            } else {
                "No"
            }
        ),
        row(
            "Checked by",
            &esc(&format!(
                "{}, {}",
                payload["likeness"]["checked_by"].as_str().unwrap_or(""),
                time_for(v, payload["likeness"]["at"].as_str().unwrap_or(""))
            ))
        )
    ));
    let entry = [(
        "Register entry".to_string(),
        payload["registry"]["entry_id"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )];
    b.push_str(&how_checked(&entry, &payload["outcome"]["report"]));
    b.push_str(&format!(
        "<h2>Keeping this record</h2><p>If you employ the person, keep it for the employment and two years after it ends. If you do not employ them, it is deleted six months after the check unless you enter an employment end date.</p><table class=\"summary\"><tbody>{}{}{}</tbody></table>",
        row("Planned start date", &esc(&dates.planned_start.map(words::date).unwrap_or_else(|| "not given".into()))),
        row("Employment ends", &esc(&employment_end.map(words::date).unwrap_or_else(|| "not set".into()))),
        row("Deleted after", &esc(&delete_after.map(|d| time_for(v, d)).unwrap_or_else(|| "not set".into())))
    ));
    if v.is_some_and(|v| v.may(Action::ChangeRecord)) {
        b.push_str(&format!(
        r#"<form method="post" action="/records/{id}/employment-end">{csrf}<div class="form-group"><label for="employment-end">Employment end date</label><p class="hint">For example, 2027-03-31</p><input type="date" id="employment-end" name="employment_end"></div><button class="button button-secondary" type="submit">Save the end date</button></form>"#,
        id = esc(record_id),
        csrf = csrf(v),
    ));
    }
    page("Right to work check record", &b, None, v)
}

/// An error page.
pub fn error(title: &str, message: &str) -> String {
    shell(
        title,
        true,
        &format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/\">Start a new check</a></p>",
            esc(title),
            esc(message)
        ),
        None,
        None,
    )
}
