//! Who may do what in the employer's workspace. Every check, record, download and API route
//! (all but the wallet-facing OpenID4VP request and response endpoints) answers only a
//! signed-in member of the organisation that owns it, in a role that allows the action, or
//! that organisation's HR systems with its API key. The transaction id travels in the QR
//! code and the wallet link, so it grants nothing by itself; anyone else gets the same "not
//! found" as for an id that does not exist.
//!
//! - A member signs in with email and password (`password`: Argon2id). The session is an
//!   `HttpOnly`, `SameSite=Lax` cookie holding a random token (`Secure` over HTTPS); only
//!   its SHA-256 is stored. Every form a session posts carries the session's own form token
//!   (CSRF), compared in constant time.
//! - HR systems send the organisation's API key as a bearer token (`Authorization: Bearer`),
//!   looked up by its SHA-256.
//! - A same-device `response_code` is accepted only in the browser session that started the
//!   check.

use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::store::{Role, Session, Store, StoreError, Transaction};

pub mod password;

/// The session cookie.
pub const COOKIE: &str = "vouch_session";

/// How long a session lasts, seconds (a working day).
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// How long an invitation link can be used, seconds (7 days).
pub const INVITATION_SECONDS: i64 = 7 * 86_400;

/// The actor named in the access log for the organisation's HR systems.
pub const API_ACTOR: &str = "api";

/// SHA-256 (hex) of a secret, as stored.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether two secrets are equal, compared in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A fresh secret token (256 bits, base64url, 43 characters).
pub fn new_token() -> String {
    credentials::b64::encode(credentials::keys::provider::random_bytes::<32>())
}

/// Whether `v` has the shape of a token from [`new_token`].
fn token_shaped(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The session token from the `Cookie` header, if it carries a well-formed one.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|v| token_shaped(v))
}

/// The `Set-Cookie` value starting a session with `token`; `Secure` over HTTPS.
pub fn set_cookie(token: &str, secure: bool) -> HeaderValue {
    let v = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECONDS}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).expect("a token is a valid header value")
}

/// The `Set-Cookie` value ending the session.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("vouch_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The bearer token of the request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Whether the request carries the API key whose digest is `key_digest`; never when no key
/// is configured.
pub fn api_key_ok(headers: &HeaderMap, key_digest: Option<&str>) -> bool {
    match (key_digest, bearer(headers)) {
        (Some(want), Some(t)) => same(&digest(t), want),
        _ => false,
    }
}

/// What a caller may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Start a right-to-work check.
    StartCheck,
    /// See checks and records, and download records.
    ViewRecords,
    /// Compare the photo with the person and keep the record.
    ConfirmLikeness,
    /// Enter or change an employment end date.
    ChangeRecord,
    /// Export records for an inspection.
    Export,
    /// Read the access log.
    ReadAccessLog,
    /// Invite members.
    ManageMembers,
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in member.
    Member(Session),
    /// An organisation's HR system (its API key).
    HrSystem {
        /// The organisation.
        org_id: String,
    },
    /// Nobody known.
    Anonymous,
}

impl Caller {
    /// Resolves the caller of a request: the API key first (HR systems send no cookie), then
    /// the session cookie. `default_key` is the digest of the default organisation's key
    /// configured at start.
    pub async fn of(
        store: &Store,
        headers: &HeaderMap,
        default_key: Option<&str>,
        now: i64,
    ) -> Result<Caller, StoreError> {
        if let Some(key) = bearer(headers) {
            if api_key_ok(headers, default_key) {
                return Ok(Caller::HrSystem {
                    org_id: "default".into(),
                });
            }
            if let Some(org_id) = store.organisation_by_api_key(&digest(key)).await? {
                return Ok(Caller::HrSystem { org_id });
            }
        }
        if let Some(token) = session_token(headers) {
            if let Some(s) = store.session(&digest(&token), now).await? {
                return Ok(Caller::Member(s));
            }
        }
        Ok(Caller::Anonymous)
    }

    /// The organisation the caller acts for.
    pub fn org(&self) -> Option<&str> {
        match self {
            Caller::Member(s) => Some(&s.member.org_id),
            Caller::HrSystem { org_id } => Some(org_id),
            Caller::Anonymous => None,
        }
    }

    /// The name the access log gives the caller.
    pub fn actor(&self) -> &str {
        match self {
            Caller::Member(s) => &s.member.id,
            Caller::HrSystem { .. } => API_ACTOR,
            Caller::Anonymous => "anonymous",
        }
    }

    /// The signed-in session, if the caller is a member.
    pub fn session(&self) -> Option<&Session> {
        match self {
            Caller::Member(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the caller may take `action` at all.
    pub fn may(&self, action: Action) -> bool {
        use Action::*;
        match self {
            Caller::Member(s) => match s.member.role {
                Role::Admin => true,
                Role::Recruiter => {
                    matches!(action, StartCheck | ViewRecords | ConfirmLikeness | Export)
                }
                Role::Auditor => matches!(action, ViewRecords | Export | ReadAccessLog),
            },
            Caller::HrSystem { .. } => matches!(action, StartCheck | ViewRecords | Export),
            Caller::Anonymous => false,
        }
    }

    /// Whether the caller may take `action` on something organisation `org` owns.
    pub fn may_in(&self, org: &str, action: Action) -> bool {
        self.org().is_some_and(|o| same(o, org)) && self.may(action)
    }

    /// Whether the caller may see transaction `t`.
    pub fn may_see(&self, t: &Transaction) -> bool {
        self.may_in(&t.org_id, Action::ViewRecords)
    }

    /// Whether a form posted by this caller carries its session's form token (in the `csrf`
    /// field, or the `X-CSRF-Token` header that cross-site forms cannot set). HR systems
    /// send no cookie, so no form token is asked of them.
    pub fn form_ok(&self, headers: &HeaderMap, field: Option<&str>) -> bool {
        match self {
            Caller::Member(s) => field
                .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
                .is_some_and(|t| same(t, &s.csrf)),
            Caller::HrSystem { .. } => true,
            Caller::Anonymous => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Member;

    fn member(role: Role, org: &str) -> Caller {
        Caller::Member(Session {
            member: Member {
                id: "m1".into(),
                org_id: org.into(),
                email: "a@example.org".into(),
                name: "A".into(),
                role,
            },
            csrf: "form-token".into(),
            token_hash: "h".into(),
        })
    }

    #[test]
    fn roles_allow_what_their_job_needs_and_no_more() {
        let admin = member(Role::Admin, "acme");
        let recruiter = member(Role::Recruiter, "acme");
        let auditor = member(Role::Auditor, "acme");
        assert!(admin.may(Action::ManageMembers));
        assert!(recruiter.may(Action::StartCheck) && recruiter.may(Action::ConfirmLikeness));
        assert!(!recruiter.may(Action::ManageMembers));
        assert!(!recruiter.may(Action::ChangeRecord));
        assert!(!recruiter.may(Action::ReadAccessLog));
        assert!(auditor.may(Action::ReadAccessLog) && auditor.may(Action::Export));
        assert!(!auditor.may(Action::StartCheck) && !auditor.may(Action::ChangeRecord));
        assert!(!Caller::Anonymous.may(Action::ViewRecords));
        let hr = Caller::HrSystem {
            org_id: "acme".into(),
        };
        assert!(hr.may(Action::StartCheck) && !hr.may(Action::ManageMembers));
    }

    #[test]
    fn nothing_of_another_organisation() {
        let admin = member(Role::Admin, "acme");
        assert!(admin.may_in("acme", Action::ViewRecords));
        assert!(!admin.may_in("globex", Action::ViewRecords));
        let t = Transaction {
            org_id: "globex".into(),
            ..Transaction::default()
        };
        assert!(!admin.may_see(&t));
    }

    #[test]
    fn a_form_needs_its_session_token() {
        let admin = member(Role::Admin, "acme");
        let none = HeaderMap::new();
        assert!(admin.form_ok(&none, Some("form-token")));
        assert!(!admin.form_ok(&none, Some("form-tokeN")));
        assert!(!admin.form_ok(&none, None));
        let mut h = HeaderMap::new();
        h.insert("x-csrf-token", HeaderValue::from_static("form-token"));
        assert!(admin.form_ok(&h, None));
        assert!(!Caller::Anonymous.form_ok(&h, Some("form-token")));
    }

    #[test]
    fn a_malformed_cookie_is_no_session() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("vouch_session=short"),
        );
        assert_eq!(session_token(&h), None);
        let t = new_token();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE}={t}")).unwrap(),
        );
        assert_eq!(session_token(&h), Some(t));
    }
}
