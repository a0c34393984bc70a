//! The read-only web page for people: the register, each entry's history, the log's state.
//!
//! Server-rendered HTML that needs no JavaScript, styled after the GOV.UK Design System by
//! hand (no external assets): a skip link, one `h1` per page, tables with captions and
//! scoped headers, tags that say their state in words, and colours that meet WCAG AA.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use time::OffsetDateTime;

use crate::http::AppState;
use crate::store::hex;
use trust_framework::events::EventKind;
use trust_framework::register::{CertificateStatus, EntryState};
use vouch_ops::html::{escape as esc, Page};

/// The web routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(register_page))
        .route("/register/{entry_id}", get(entry_page))
        .route("/log", get(log_page))
}

fn date(t: &OffsetDateTime) -> String {
    format!("{} {} {}", t.day(), t.month(), t.year())
}

/// The register's own rules, after the shared stylesheet (`vouch_ops::html::BASE_CSS`).
const CSS: &str = r#"
.govuk-tag{display:inline-block;padding:2px 8px;font-weight:400;font-size:16px}
.govuk-tag--green{color:#005a30;background:#cce2d8}
.govuk-tag--red{color:#2a0b06;background:#f4cdc6}
.govuk-tag--yellow{color:#594d00;background:#fff7bf}
.govuk-tag--grey{color:#282d30;background:#e5e6e7}
.govuk-summary-list{margin:0 0 30px}
.govuk-summary-list div{display:flex;flex-wrap:wrap;border-bottom:1px solid #b1b4b6;padding:10px 0}
.govuk-summary-list dt{font-weight:700;width:30%;min-width:10em;padding-right:20px}
.govuk-summary-list dd{margin:0;flex:1 1 15em}
"#;

/// The service's name, in every page's header and title.
const SERVICE: &str = "Register of digital verification services";

/// Every page's navigation.
const NAV: &[(&str, &str)] = &[("/", "Register"), ("/log", "Transparency log")];

/// Every page's footer: the log and the machine-readable views.
const FOOTER: &str = "Every change to this register is an entry in a public transparency log. Machine-readable: <a href=\"/entries\">/entries</a>, <a href=\"/snapshot\">/snapshot</a>, <a href=\"/log/checkpoint\">/log/checkpoint</a>.";

/// A whole page in the shared shell; `error` prefixes its title with `Error: `.
fn shell(title: &str, error: bool, body: &str) -> Html<String> {
    Html(
        Page::new(SERVICE, title)
            .error(error)
            .css(CSS)
            .nav("Service", NAV)
            .footer(FOOTER)
            .render(body),
    )
}

fn page(title: &str, body: &str) -> Html<String> {
    shell(title, false, body)
}

fn tag(text: &str, colour: &str) -> String {
    format!(
        r#"<strong class="govuk-tag govuk-tag--{colour}">{}</strong>"#,
        esc(text)
    )
}

fn error_page(status: StatusCode, message: &str) -> Response {
    (
        status,
        shell(
            "Page not found",
            true,
            &format!(
                "<h1>Page not found</h1><p class=\"lead\">{}</p>",
                esc(message)
            ),
        ),
    )
        .into_response()
}

async fn register_page(State(s): State<Arc<AppState>>) -> Response {
    let Ok(log) = s.registry.log().await else {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The register is unavailable.",
        );
    };
    let now = OffsetDateTime::now_utc();
    let reg = log.register();
    let mut rows = String::new();
    for e in reg.entries.values() {
        let state = match e.current_state() {
            EntryState::Registered => tag("Registered", "green"),
            EntryState::Removed => tag("Removed", "red"),
        };
        let cert = match e.service_certificate_at(now) {
            Some(c) => {
                let st = match c.status_at(now) {
                    CertificateStatus::Valid => tag("Valid", "green"),
                    CertificateStatus::Suspended(_) => tag("Suspended", "yellow"),
                    CertificateStatus::Withdrawn(_) => tag("Withdrawn", "red"),
                    CertificateStatus::Expired(_) => tag("Expired", "grey"),
                    CertificateStatus::NotYetValid => tag("Not yet valid", "grey"),
                };
                let level = match c.certificate.max_confidence {
                    Some(l) => format!(
                        "<br>Identity checks up to {} confidence",
                        l.name().replace('_', " ")
                    ),
                    None => String::new(),
                };
                format!(
                    "{} ({})<br>{st}{level}",
                    esc(&c.certificate.number),
                    esc(&c.certificate.body.name)
                )
            }
            None => "None".into(),
        };
        let notes: Vec<String> = e
            .notes
            .iter()
            .filter(|n| n.held_at(now))
            .map(|n| esc(&n.code.to_string()))
            .collect();
        rows.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"/register/{id}\">{service}</a></th><td>{provider}</td><td>{state}</td><td>{cert}</td><td>{notes}</td></tr>\n",
            id = esc(&e.entry_id),
            service = esc(&e.service.name),
            provider = esc(&e.provider.legal_name),
            notes = if notes.is_empty() { "None".into() } else { notes.join(", ") },
        ));
    }
    if rows.is_empty() {
        rows.push_str("<tr><td colspan=\"5\">No services are registered yet.</td></tr>");
    }
    let body = format!(
        r#"<h1>Register of digital verification services</h1>
<p class="lead">Certified services, their certificates and supplementary notes, as of log entry {size}.</p>
<table>
<caption>Registered and removed services ({count})</caption>
<thead><tr><th scope="col">Service</th><th scope="col">Provider</th><th scope="col">Register status</th><th scope="col">Certificate</th><th scope="col">Supplementary notes</th></tr></thead>
<tbody>
{rows}</tbody>
</table>"#,
        size = log.len(),
        count = reg.entries.len()
    );
    page("Register", &body).into_response()
}

fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::EntryRegistered { certificate, .. } => {
            format!("Registered with certificate {}", certificate.number)
        }
        EventKind::CertificateIssued { certificate, .. } => {
            format!("Certificate {} issued", certificate.number)
        }
        EventKind::CertificateSuspended(r) => {
            format!("Certificate {} suspended", r.certificate_number)
        }
        EventKind::CertificateReinstated(r) => {
            format!("Certificate {} reinstated", r.certificate_number)
        }
        EventKind::CertificateWithdrawn(r) => {
            format!("Certificate {} withdrawn", r.certificate_number)
        }
        EventKind::CertificateExpired(r) => format!("Certificate {} expired", r.certificate_number),
        EventKind::NoteAdded { note, .. } => format!("{} supplementary note added", note.code),
        EventKind::NoteRemoved { code, .. } => format!("{code} supplementary note removed"),
        EventKind::AnchorAdded { anchor, .. } => format!("Trust anchor {} added", anchor.anchor_id),
        EventKind::AnchorRetired(r) => format!("Trust anchor {} retired", r.anchor_id),
        EventKind::AnchorCompromised {
            anchor_id,
            not_trusted_after,
            ..
        } => {
            format!(
                "Trust anchor {anchor_id} compromised, not trusted after {}",
                date(not_trusted_after)
            )
        }
        EventKind::EntryRemoved { reason, .. } => format!("Removed from the register: {reason}"),
        EventKind::CorrectionRecorded { corrects, .. } => {
            format!("Correction of log entry {corrects}")
        }
        other => other.type_name().to_string(),
    }
}

async fn entry_page(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Ok(log) = s.registry.log().await else {
        return error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The register is unavailable.",
        );
    };
    let Some(e) = log.register().entries.get(&id) else {
        return error_page(
            StatusCode::NOT_FOUND,
            &format!("There is no register entry “{id}”."),
        );
    };
    let mut summary = String::new();
    for (k, v) in [
        ("Provider", esc(&e.provider.legal_name)),
        ("Company number", esc(&e.provider.company_number)),
        ("Registered", date(&e.registered_at)),
        ("Entry expires", date(&e.expires_at)),
        (
            "Credential types",
            esc(&e.service.credential_types.join(", ")),
        ),
    ] {
        summary.push_str(&format!("<div><dt>{k}</dt><dd>{v}</dd></div>"));
    }
    let mut certs = String::new();
    for c in &e.certificates {
        let what = match c.note {
            Some(code) => format!("{code} code"),
            None => "Trust framework".into(),
        };
        certs.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{} to {}</td><td>{}</td></tr>",
            esc(&c.certificate.number),
            esc(&what),
            esc(&c.certificate.body.name),
            date(&c.certificate.issued_at),
            date(&c.certificate.expires_at),
            esc(&c.recorded_state().to_string())
        ));
    }
    let mut hist = String::new();
    for &i in &e.history {
        let ev = &log.events()[i as usize];
        hist.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/log/entries/{i}\">{i}</a></td><td><code>{}</code></td></tr>",
            date(&ev.occurred_at),
            esc(&describe(&ev.kind)),
            esc(ev.legal_basis.as_deref().unwrap_or("–")),
            &hex(&log.tree().leaf(i).unwrap_or_default())[..16]
        ));
    }
    let body = format!(
        r#"<h1>{name}</h1>
<dl class="govuk-summary-list">{summary}</dl>
<table>
<caption>Certificates</caption>
<thead><tr><th scope="col">Number</th><th scope="col">Against</th><th scope="col">Certifying body</th><th scope="col">Validity</th><th scope="col">State</th></tr></thead>
<tbody>{certs}</tbody>
</table>
<table>
<caption>History of this entry</caption>
<thead><tr><th scope="col">Date</th><th scope="col">Change</th><th scope="col">Legal basis</th><th scope="col">Log entry</th><th scope="col">Leaf hash</th></tr></thead>
<tbody>{hist}</tbody>
</table>"#,
        name = esc(&e.service.name)
    );
    page(&e.service.name, &body).into_response()
}

async fn log_page(State(s): State<Arc<AppState>>) -> Response {
    // The checkpoint first: the registry's log lock is not re-entrant.
    let checkpoint = s.registry.checkpoint().await.unwrap_or_default();
    let Ok(log) = s.registry.log().await else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "The log is unavailable.");
    };
    let reg = log.register();
    let mut keys = String::new();
    for k in &reg.log_keys {
        keys.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            esc(&k.vkey),
            k.from_size
        ));
    }
    let mut recent = String::new();
    let start = log.len().saturating_sub(20);
    for i in (start..log.len()).rev() {
        let ev = &log.events()[i as usize];
        recent.push_str(&format!(
            "<tr><td><a href=\"/log/entries/{i}\">{i}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            date(&ev.occurred_at),
            esc(ev.kind.type_name()),
            esc(&describe(&ev.kind))
        ));
    }
    let body = format!(
        r#"<h1>Transparency log</h1>
<p class="lead">The log holds {size} entries. Its latest signed checkpoint:</p>
<pre aria-label="Latest signed checkpoint">{checkpoint}</pre>
<table>
<caption>Log keys</caption>
<thead><tr><th scope="col">Verifier key</th><th scope="col">Signs checkpoints from size</th></tr></thead>
<tbody>{keys}</tbody>
</table>
<table>
<caption>Latest log entries</caption>
<thead><tr><th scope="col">Index</th><th scope="col">Took effect</th><th scope="col">Type</th><th scope="col">Change</th></tr></thead>
<tbody>{recent}</tbody>
</table>"#,
        size = log.len(),
        checkpoint = esc(&checkpoint)
    );
    page("Transparency log", &body).into_response()
}
