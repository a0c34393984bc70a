//! Consent and over-asking: what the app shows before anything is released.
//!
//! The verifier is looked up in the trust register by its client identifier; what it asks
//! is compared with the claims it registered for the stated purpose
//! ([`trust_framework::decision::may_request`]).

use credentials::dcql::PathElement;
use credentials::openid4vp::ClientId;
use serde::Serialize;
use trust_framework::decision::{may_request, Reason};
use trust_framework::register::Register;

/// How long a verifier keeps what it is given, as its registration says.
pub use trust_framework::model::Retention;

/// How the verifier stands in the trust register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TrustFinding {
    /// Registered, and everything asked is registered for the purpose.
    Registered,
    /// The wallet has no trust register to check against.
    NoRegister,
    /// No relying party with this client identifier is registered.
    UnregisteredVerifier,
    /// The request states no purpose.
    NoPurpose,
    /// The relying party did not register this purpose.
    PurposeNotRegistered {
        /// The purpose stated.
        purpose: String,
    },
    /// It asks for claims or credential types beyond its registration.
    OverAsking {
        /// What is beyond the registration.
        beyond: Vec<String>,
    },
}

impl TrustFinding {
    /// Whether the request goes beyond what the verifier registered.
    pub fn is_beyond_registration(&self) -> bool {
        matches!(
            self,
            TrustFinding::OverAsking { .. } | TrustFinding::PurposeNotRegistered { .. }
        )
    }
}

/// The verifier as the app shows it.
#[derive(Clone, Debug, Serialize)]
pub struct VerifierInfo {
    /// The client identifier, with its prefix.
    pub client_id: String,
    /// The registered organisation name, if any.
    pub name: Option<String>,
    /// Whether the register knows it.
    pub registered: bool,
    /// The subject of the request-signing certificate, if signed.
    pub certificate_subject: Option<String>,
}

/// One claim asked for.
#[derive(Clone, Debug, Serialize)]
pub struct RequestedClaim {
    /// A unique key to approve it by (`query_id/pointer`).
    pub key: String,
    /// The name shown and compared with the registration (`address/locality`, mdoc element).
    pub name: String,
    /// The value that would be released (shown to the person only).
    pub value: serde_json::Value,
    /// Whether the registration covers it.
    pub registered: bool,
}

/// One credential that would answer one credential query.
#[derive(Clone, Debug, Serialize)]
pub struct RequestedCredential {
    /// The DCQL credential query id.
    pub query_id: String,
    /// The stored credential.
    pub credential_id: String,
    /// vct or docType.
    pub type_name: String,
    /// The claims asked.
    pub claims: Vec<RequestedClaim>,
    /// Whether this credential was shown before (no fresh one of its batch left).
    pub reused: bool,
}

/// What the app shows the person before anything is released.
#[derive(Clone, Debug, Serialize)]
pub struct ConsentRequest {
    /// The pending presentation's id.
    pub id: String,
    /// Who asks.
    pub verifier: VerifierInfo,
    /// The purpose stated in the request.
    pub purpose: Option<String>,
    /// The registered description of that purpose.
    pub purpose_description: Option<String>,
    /// How long the verifier keeps what it is given for that purpose, as registered.
    pub retention: Option<Retention>,
    /// What would be released.
    pub credentials: Vec<RequestedCredential>,
    /// The trust finding.
    pub trust: TrustFinding,
    /// Set when the wallet refuses whatever the person says (the reason shown).
    pub refused: Option<String>,
}

/// The person's answer.
#[derive(Clone, Debug, Default)]
pub struct Consent {
    /// Whether to answer at all.
    pub approve: bool,
    /// The keys of the approved claims ([`RequestedClaim::key`]); nothing else is released.
    pub claims: Vec<String>,
}

impl Consent {
    /// Declines.
    pub fn deny() -> Self {
        Consent::default()
    }

    /// Approves every claim shown.
    pub fn approve_all(req: &ConsentRequest) -> Self {
        Consent {
            approve: true,
            claims: req
                .credentials
                .iter()
                .flat_map(|c| c.claims.iter().map(|k| k.key.clone()))
                .collect(),
        }
    }
}

/// The name of a concrete claim path as registrations write it: SD-JWT keys joined by `/`
/// (array indices dropped), or the mdoc element identifier.
pub fn claim_name(format: &str, path: &[PathElement]) -> String {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|p| match p {
            PathElement::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    if format == credentials::mdoc::FORMAT && keys.len() >= 2 {
        return keys[1].to_string();
    }
    // W3C VCs: the subject's claims under `credentialSubject`, named as the register does.
    if crate::w3c::is_w3c(format) && keys.len() >= 2 && keys[0] == "credentialSubject" {
        return keys[1..].join("/");
    }
    keys.join("/")
}

/// The relying party a client identifier names in the register, if any.
pub fn relying_party_id(register: &Register, client_id: &ClientId) -> Option<String> {
    let full = client_id.as_string();
    let mut tries = vec![full.clone()];
    match client_id {
        ClientId::X509SanDns(d) => {
            tries.push(d.clone());
            tries.push(format!("https://{d}"));
        }
        ClientId::RedirectUri(u) | ClientId::DecentralizedIdentifier(u) => {
            tries.push(u.clone());
            if let Ok(url) = url::Url::parse(u) {
                tries.push(url.origin().ascii_serialization());
            }
        }
        ClientId::X509Hash(h) => tries.push(h.clone()),
        ClientId::VerifierAttestation(s) | ClientId::PreRegistered(s) => tries.push(s.clone()),
    }
    tries
        .into_iter()
        .find(|t| register.relying_parties.contains_key(t))
}

/// Looks the verifier up and marks each asked claim registered or not.
/// `asked` is `(credential type, claim names)` per credential. Returns the finding, the
/// registered name, the registered purpose (its description and retention) and what is
/// beyond the registration.
pub fn evaluate(
    register: Option<&Register>,
    client_id: &ClientId,
    purpose: Option<&str>,
    asked: &[(String, Vec<String>)],
) -> (
    TrustFinding,
    Option<String>,
    Option<trust_framework::model::Purpose>,
    Vec<String>,
) {
    let Some(register) = register else {
        return (TrustFinding::NoRegister, None, None, Vec::new());
    };
    let Some(rp_id) = relying_party_id(register, client_id) else {
        return (TrustFinding::UnregisteredVerifier, None, None, Vec::new());
    };
    if register.relying_parties[&rp_id].removed_at.is_some() {
        // Taken off the register: it is no longer a registered verifier at all.
        return (TrustFinding::UnregisteredVerifier, None, None, Vec::new());
    }
    let rp = &register.relying_parties[&rp_id].relying_party;
    let name = Some(rp.name.clone());
    let Some(purpose) = purpose else {
        return (TrustFinding::NoPurpose, name, None, Vec::new());
    };
    let registered = rp.purposes.iter().find(|p| p.purpose == purpose);
    let found = registered.cloned();
    // A registered claim covers what is beneath it (`address` covers `address/locality`).
    let covering = |n: &str| -> String {
        registered
            .and_then(|p| {
                p.claims
                    .iter()
                    .find(|r| n == r.as_str() || n.starts_with(&format!("{r}/")))
                    .cloned()
            })
            .unwrap_or_else(|| n.to_string())
    };
    let names: Vec<String> = asked
        .iter()
        .flat_map(|(_, c)| c.iter().map(|n| covering(n)))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let decision = may_request(register, &rp_id, purpose, &refs);
    let mut beyond = match decision.reason {
        Reason::Authorized => Vec::new(),
        Reason::PurposeNotRegistered { purpose } => {
            return (
                TrustFinding::PurposeNotRegistered { purpose },
                name,
                found,
                Vec::new(),
            )
        }
        Reason::ClaimsNotRegistered { claims } => claims,
        _ => return (TrustFinding::UnregisteredVerifier, None, None, Vec::new()),
    };
    if let Some(p) = registered {
        if !p.credential_types.is_empty() {
            for (t, _) in asked {
                if !p.credential_types.iter().any(|c| c == t) {
                    beyond.push(format!("credential type {t}"));
                }
            }
        }
    }
    beyond.sort();
    beyond.dedup();
    if beyond.is_empty() {
        (TrustFinding::Registered, name, found, Vec::new())
    } else {
        (
            TrustFinding::OverAsking {
                beyond: beyond.clone(),
            },
            name,
            found,
            beyond,
        )
    }
}
