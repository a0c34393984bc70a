//! The workspace's pages: sign-in, accepting an invitation, the members page (with the
//! one-time invitation link shown to the administrator) and the access log. Forms follow
//! the GOV.UK error pattern: every error at once in a summary that takes focus, each linked
//! to its field, and the title prefixed "Error:".

use vouch_ops::html::{error_summary, escape as esc, field_error, FOCUS_ERROR_SUMMARY};

use super::{shell, Viewer};
use crate::store::{AccessEntry, Invitation, Member, Role};

/// A form's errors: `(field id, message)`.
pub type Errors<'a> = [(&'a str, &'a str)];

fn form_page(title: &str, body: &str, errors: &Errors<'_>, v: Option<&Viewer<'_>>) -> String {
    let script = (!errors.is_empty()).then_some(FOCUS_ERROR_SUMMARY);
    shell(
        title,
        !errors.is_empty(),
        &format!("{}{body}", error_summary(errors)),
        script,
        v,
    )
}

fn group(errors: &Errors<'_>, field: &str) -> &'static str {
    if errors.iter().any(|(f, _)| *f == field) {
        "form-group error"
    } else {
        "form-group"
    }
}

/// The sign-in page, with the email given back after an error.
pub fn sign_in(email: &str, errors: &Errors<'_>) -> String {
    let body = format!(
        r#"<h1>Sign in</h1>
<p>Sign in to check right to work and keep your organisation's records. Your HR administrator invites you.</p>
<form method="post" action="/sign-in" novalidate>
<div class="{ge}"><label for="email">Email address</label>{ee}<input type="email" id="email" name="email" autocomplete="username" spellcheck="false" value="{email}"></div>
<div class="{gp}"><label for="password">Password</label>{ep}<input type="password" id="password" name="password" autocomplete="current-password"></div>
<button class="button" type="submit" id="sign-in">Sign in</button>
</form>"#,
        ge = group(errors, "email"),
        ee = field_error(errors, "email"),
        gp = group(errors, "password"),
        ep = field_error(errors, "password"),
        email = esc(email),
    );
    form_page("Sign in", &body, errors, None)
}

/// The page that accepts an invitation: the new member's name and password.
pub fn accept(organisation: &str, inv: &Invitation, name: &str, errors: &Errors<'_>) -> String {
    let body = format!(
        r#"<h1>Join {org}</h1>
<p>You are invited as <strong>{role}</strong> with the email address <strong>{email}</strong>. Choose your password: at least 12 characters (a few unrelated words work well).</p>
<form method="post" novalidate>
<div class="{gn}"><label for="name">Full name</label>{en}<input type="text" id="name" name="name" autocomplete="name" value="{name}"></div>
<div class="{gp}"><label for="password">Password</label>{ep}<input type="password" id="password" name="password" autocomplete="new-password"></div>
<div class="{gc}"><label for="confirm">Confirm the password</label>{ec}<input type="password" id="confirm" name="confirm" autocomplete="new-password"></div>
<button class="button" type="submit" id="accept">Join and sign in</button>
</form>"#,
        org = esc(organisation),
        role = esc(inv.role.label()),
        email = esc(&inv.email),
        gn = group(errors, "name"),
        en = field_error(errors, "name"),
        name = esc(name),
        gp = group(errors, "password"),
        ep = field_error(errors, "password"),
        gc = group(errors, "confirm"),
        ec = field_error(errors, "confirm"),
    );
    form_page(&format!("Join {organisation}"), &body, errors, None)
}

/// What the members page shows besides the lists: the link of an invitation just made, or
/// the form given back with its errors.
#[derive(Clone, Copy, Debug, Default)]
pub struct MembersForm<'a> {
    /// The one-time link of the invitation just made (shown once, to the administrator).
    pub link: Option<&'a str>,
    /// The email typed, given back after an error.
    pub email: &'a str,
    /// The role chosen.
    pub role: Option<Role>,
}

/// The members page: members, pending invitations and the invitation form.
pub fn members(
    members: &[Member],
    pending: &[Invitation],
    form: &MembersForm<'_>,
    errors: &Errors<'_>,
    v: &Viewer<'_>,
) -> String {
    let mut b = String::from("<h1>Members</h1>");
    if let Some(link) = form.link {
        b.push_str(&format!(
            r#"<div class="status-line" role="status"><h2>Invitation made</h2><p>Send this link to the person you invited. It works once, for 7 days, and is not shown again.</p><p class="one-time" id="invitation-link">{}</p></div>"#,
            esc(link)
        ));
    }
    b.push_str("<div class=\"table-scroll\" role=\"region\" aria-label=\"Members\" tabindex=\"0\"><table class=\"summary\" id=\"members\"><caption>Members of your organisation</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Email address</th><th scope=\"col\">Role</th><th scope=\"col\">Access</th></tr></thead><tbody>");
    for m in members {
        let remove = if m.id == v.session.member.id {
            "You".to_string()
        } else {
            format!(
                r#"<form method="post" action="/members/{id}/remove">{csrf}<button class="link" type="submit" data-remove="{email}">Remove<span class="visually-hidden"> {name}</span></button></form>"#,
                id = esc(&m.id),
                csrf = v.csrf_field(),
                email = esc(&m.email),
                name = esc(&m.name),
            )
        };
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{remove}</td></tr>",
            esc(&m.name),
            esc(&m.email),
            esc(m.role.label())
        ));
    }
    b.push_str("</tbody></table></div>");
    if !pending.is_empty() {
        b.push_str("<h2>Invitations not yet used</h2><ul id=\"pending\">");
        for i in pending {
            b.push_str(&format!(
                "<li>{} as {}, until {}</li>",
                esc(&i.email),
                esc(i.role.label()),
                esc(&v.zone.time(&crate::rfc3339(crate::from_ts(i.expires_at))))
            ));
        }
        b.push_str("</ul>");
    }
    let radios: String = Role::ALL
        .iter()
        .map(|r| {
            format!(
                r#"<div class="radio"><input type="radio" id="role-{n}" name="role" value="{n}"{c}><label for="role-{n}">{l}</label></div>"#,
                n = r.as_str(),
                l = esc(r.label()),
                c = if form.role == Some(*r) { " checked" } else { "" },
            )
        })
        .collect();
    b.push_str(&format!(
        r#"<h2>Invite someone</h2>
<form method="post" action="/members" novalidate>{csrf}
<div class="{ge}"><label for="email">Email address</label>{ee}<input type="email" id="email" name="email" spellcheck="false" value="{email}"></div>
<div class="{gr}"><fieldset><legend>Role</legend>{er}{radios}</fieldset></div>
<button class="button" type="submit" id="invite">Make an invitation link</button>
</form>
<h2>Times on your pages</h2>
<form method="post" action="/organisation/time-zone" novalidate>{csrf}
<div class="{gz}"><label for="time-zone">Time zone</label><p class="hint" id="time-zone-hint">The place name of a time zone, for example Europe/London. Times on your checks and records are shown in it, with summer time.</p>{ez}<input type="text" id="time-zone" name="time_zone" aria-describedby="time-zone-hint" spellcheck="false" value="{zone}"></div>
<button class="button button-secondary" type="submit" id="save-time-zone">Save the time zone</button>
</form>"#,
        csrf = v.csrf_field(),
        ge = group(errors, "email"),
        ee = field_error(errors, "email"),
        email = esc(form.email),
        gr = group(errors, "role-recruiter"),
        er = field_error(errors, "role-recruiter"),
        gz = group(errors, "time-zone"),
        ez = field_error(errors, "time-zone"),
        zone = esc(v.zone.name()),
    ));
    form_page("Members", &b, errors, Some(v))
}

/// Who an access-log actor is, in words.
fn actor_words(actor: &str, members: &[Member]) -> String {
    match actor {
        "" => "not recorded (before member accounts)".into(),
        crate::access::API_ACTOR => "your HR system (API key)".into(),
        "system" => "automatic deletion (retention period over)".into(),
        "operator" => "the service operator (command line)".into(),
        id => members
            .iter()
            .find(|m| m.id == id)
            .map(|m| format!("{} ({})", m.name, m.email))
            .unwrap_or_else(|| "a former member".into()),
    }
}

fn action_words(action: &str) -> &str {
    match action {
        "created" => "Record kept",
        "viewed" => "Viewed",
        "downloaded" => "Downloaded",
        "exported" => "Exported for inspection",
        "employment_end_set" => "Employment end date set",
        "purged" => "Deleted",
        other => other,
    }
}

/// The organisation's access log, newest first, and whether its hash chain is intact.
pub fn access_log(
    entries: &[AccessEntry],
    intact: bool,
    members: &[Member],
    v: &Viewer<'_>,
) -> String {
    let mut b = String::from("<h1>Access log</h1>");
    b.push_str(if intact {
        "<p class=\"status-line\" id=\"chain\" data-intact=\"true\">Every entry is in place: each is chained to the one before, so none can be changed or removed unnoticed.</p>"
    } else {
        "<div class=\"failed\" id=\"chain\" data-intact=\"false\"><h2>The access log has been tampered with</h2><p>An entry was changed or removed. Tell your service operator.</p></div>"
    });
    b.push_str("<div class=\"table-scroll\" role=\"region\" aria-label=\"Access log entries\" tabindex=\"0\"><table class=\"summary\" id=\"access-log\"><caption>Every view, download, change, export and deletion of a record</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">What</th><th scope=\"col\">Record</th><th scope=\"col\">Who</th></tr></thead><tbody>");
    for e in entries.iter().rev() {
        b.push_str(&format!(
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            esc(&v.zone.time(&crate::rfc3339(crate::from_ts(e.at)))),
            esc(action_words(&e.action)),
            if e.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(&e.detail))
            },
            esc(&e.record_id),
            esc(&actor_words(&e.actor, members)),
        ));
    }
    b.push_str("</tbody></table></div>");
    shell("Access log", false, &b, None, Some(v))
}
