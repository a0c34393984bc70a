//! Trust decisions as pure functions of a register (usually a verified snapshot's):
//! may this issuer be trusted for this credential type and purpose at this time, and may
//! this relying party ask for these claims.

use std::fmt;

use credentials::b64;
use credentials::keys::{Jwk, PublicKey};
use credentials::x509::{validate_chain, Certificate, LeafProfile};
use serde::Serialize;
use time::OffsetDateTime;

use crate::gpg45::Level;
use crate::model::{AnchorKey, NoteCode, RemovalReason, Role};
use crate::register::{
    AnchorRecord, CertificateRecord, CertificateStatus, Entry, EntryState, Register,
};

/// What an issuer presented to be recognised.
#[derive(Clone, Copy, Debug)]
pub enum Evidence<'a> {
    /// An `x5c` chain, leaf first, and the `iss` the credential names (SD-JWT VC). The chain
    /// proves which entry's key signed; `iss`, when given, must be an issuer identifier that
    /// entry registered ([`crate::register::Entry::issuer_identifiers`]), else the decision
    /// is `iss_not_registered`.
    X5c {
        /// The chain, leaf first.
        chain: &'a [Certificate],
        /// The credential's `iss`, if it has one.
        iss: Option<&'a str>,
    },
    /// An `iss` and the key its credential verified with.
    IssKey {
        /// The issuer identifier.
        iss: &'a str,
        /// The public key.
        key: &'a PublicKey,
    },
    /// The IACA root an mdoc's document-signer chain validated to.
    Iaca(&'a Certificate),
    /// A DID the credential's issuer signature resolved to.
    Did(&'a str),
}

/// Why a decision came out as it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// Every check passed.
    Authorized,
    /// No service on the register has this key, certificate chain or IACA root.
    UnknownAnchor,
    /// The service was not yet registered at that time.
    NotYetRegistered {
        /// When it was registered.
        #[serde(with = "time::serde::rfc3339")]
        registered_at: OffsetDateTime,
    },
    /// The entry was removed from the register.
    EntryRemoved {
        /// Since when.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
        /// Why.
        reason: Option<RemovalReason>,
    },
    /// The entry had lapsed (not renewed).
    EntryLapsed {
        /// When it lapsed.
        #[serde(with = "time::serde::rfc3339")]
        expired_at: OffsetDateTime,
    },
    /// A certificate was suspended.
    CertificateSuspended {
        /// Its number.
        number: String,
        /// Since when.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// A certificate was withdrawn.
    CertificateWithdrawn {
        /// Its number.
        number: String,
        /// Since when.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// A certificate had expired.
    CertificateExpired {
        /// Its number.
        number: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// A certificate was not yet issued.
    CertificateNotYetValid {
        /// Its number.
        number: String,
    },
    /// The purpose needs a supplementary note the service did not hold.
    NoteMissing {
        /// Which note.
        note: NoteCode,
    },
    /// The anchor had been retired before that time.
    AnchorRetired {
        /// The anchor.
        anchor_id: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// The anchor was compromised and is not trusted after a time before that time.
    AnchorCompromised {
        /// The anchor.
        anchor_id: String,
        /// The last trusted moment.
        #[serde(with = "time::serde::rfc3339")]
        not_trusted_after: OffsetDateTime,
    },
    /// The x5c chain names a registered root but does not validate to it.
    ChainInvalid {
        /// The X.509 error code.
        error: String,
    },
    /// The x5c chain validates to an entry's root, but the credential's `iss` is not an
    /// issuer identifier that entry registered.
    IssNotRegistered {
        /// The `iss` the credential names.
        iss: String,
    },
    /// The service may not issue this credential type.
    CredentialTypeNotCovered {
        /// The type asked about.
        credential_type: String,
    },
    /// The credential type is one only a role the service is not certified for may issue
    /// (a wallet provider's right-to-work credential, say).
    RoleNotCertified {
        /// The role the type needs.
        role: Role,
        /// The type asked about.
        credential_type: String,
    },
    /// The credential states a level of confidence above the one the service's certificate
    /// covers.
    AssuranceNotCertified {
        /// The level the credential states.
        level: Level,
        /// The highest level the certificate covers.
        certified: Level,
    },
    /// No relying party with this id.
    UnknownRelyingParty,
    /// The relying party was removed from the register.
    RelyingPartyRemoved {
        /// Since when.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// The relying party did not register this purpose.
    PurposeNotRegistered {
        /// The purpose asked about.
        purpose: String,
    },
    /// The request asks for claims the purpose does not cover.
    ClaimsNotRegistered {
        /// The over-asked claims.
        claims: Vec<String>,
    },
}

fn day(t: &OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Authorized => write!(f, "authorized"),
            Reason::UnknownAnchor => write!(
                f,
                "no registered service has this issuer key or certificate"
            ),
            Reason::NotYetRegistered { registered_at } => {
                write!(
                    f,
                    "the service was not registered until {}",
                    day(registered_at)
                )
            }
            Reason::EntryRemoved { since, reason } => match reason {
                Some(r) => write!(
                    f,
                    "the service was removed from the register on {} ({r})",
                    day(since)
                ),
                None => write!(
                    f,
                    "the service was removed from the register on {}",
                    day(since)
                ),
            },
            Reason::EntryLapsed { expired_at } => {
                write!(f, "the register entry lapsed on {}", day(expired_at))
            }
            Reason::CertificateSuspended { number, since } => {
                write!(f, "certificate {number} was suspended on {}", day(since))
            }
            Reason::CertificateWithdrawn { number, since } => {
                write!(f, "certificate {number} was withdrawn on {}", day(since))
            }
            Reason::CertificateExpired { number, since } => {
                write!(f, "certificate {number} expired on {}", day(since))
            }
            Reason::CertificateNotYetValid { number } => {
                write!(f, "certificate {number} was not yet issued")
            }
            Reason::NoteMissing { note } => write!(
                f,
                "the service held no {note} supplementary note at that time"
            ),
            Reason::AnchorRetired { anchor_id, since } => {
                write!(f, "trust anchor {anchor_id} was retired on {}", day(since))
            }
            Reason::AnchorCompromised {
                anchor_id,
                not_trusted_after,
            } => {
                write!(
                    f,
                    "trust anchor {anchor_id} is compromised and not trusted after {}",
                    day(not_trusted_after)
                )
            }
            Reason::ChainInvalid { error } => {
                write!(f, "the certificate chain does not validate: {error}")
            }
            Reason::IssNotRegistered { iss } => write!(
                f,
                "the certificate chain leads to this provider's root, but the credential names {iss}, which the provider did not register as its issuer identifier"
            ),
            Reason::CredentialTypeNotCovered { credential_type } => {
                write!(
                    f,
                    "the service is not registered to issue {credential_type}"
                )
            }
            Reason::RoleNotCertified {
                role,
                credential_type,
            } => write!(
                f,
                "{credential_type} is issued only by a certified {}, which this service is not",
                serde_json::to_value(role)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                    .unwrap_or_default()
            ),
            Reason::AssuranceNotCertified { level, certified } => write!(
                f,
                "the credential states a {} level of confidence, but the service is certified only up to {}",
                level.name().replace('_', " "),
                certified.name().replace('_', " ")
            ),
            Reason::UnknownRelyingParty => write!(f, "the relying party is not registered"),
            Reason::RelyingPartyRemoved { since } => {
                write!(f, "the relying party was removed from the register on {}", since.date())
            }
            Reason::PurposeNotRegistered { purpose } => {
                write!(
                    f,
                    "the relying party did not register the purpose {purpose}"
                )
            }
            Reason::ClaimsNotRegistered { claims } => {
                write!(
                    f,
                    "the request asks for claims not registered for this purpose: {}",
                    claims.join(", ")
                )
            }
        }
    }
}

/// Who a decision is about, for showing a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// The entry id.
    pub entry_id: String,
    /// The provider's legal name.
    pub provider: String,
    /// The service's name.
    pub service: String,
    /// The service certificate in force at that time (number, CAB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// The matching trust anchor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor_id: Option<String>,
}

/// The outcome of a trust decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the issuer (or request) is allowed.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// The service or relying party it is about, when one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
}

impl Decision {
    fn deny(reason: Reason, subject: Option<Subject>) -> Self {
        Decision {
            allowed: false,
            reason,
            subject,
        }
    }
}

fn certificate_reason(record: &CertificateRecord, at: OffsetDateTime) -> Option<Reason> {
    let number = record.certificate.number.clone();
    match record.status_at(at) {
        CertificateStatus::Valid => None,
        CertificateStatus::NotYetValid => Some(Reason::CertificateNotYetValid { number }),
        CertificateStatus::Suspended(since) => Some(Reason::CertificateSuspended { number, since }),
        CertificateStatus::Withdrawn(since) => Some(Reason::CertificateWithdrawn { number, since }),
        CertificateStatus::Expired(since) => Some(Reason::CertificateExpired { number, since }),
    }
}

fn decode_cert(b64url: &str) -> Option<Certificate> {
    Certificate::from_der(&b64::decode(b64url)?).ok()
}

/// Whether the top of `chain` is `root` or was issued under its name.
fn names_root(chain: &[Certificate], root: &Certificate) -> bool {
    chain.last().is_some_and(|last| {
        last == root || last.inner().tbs_certificate.issuer == root.inner().tbs_certificate.subject
    })
}

/// Whether any entry's `x5c_root` anchor, an anchor at `at`, names the root of `chain`,
/// valid or not: when none does, [`authorize`] says [`Reason::UnknownAnchor`] of it. No
/// signature is checked, so it costs no cryptography on the verification path.
pub fn x5c_root_named(register: &Register, chain: &[Certificate], at: OffsetDateTime) -> bool {
    register.entries.values().any(|e| {
        e.anchors.iter().any(|a| match &a.anchor.key {
            AnchorKey::X5cRoot { certificate } => {
                a.added_at <= at && decode_cert(certificate).is_some_and(|r| names_root(chain, &r))
            }
            _ => false,
        })
    })
}

/// Whether `anchor` recognises `evidence`; `Err` when it names the anchor but fails.
fn matches(
    anchor: &AnchorRecord,
    evidence: &Evidence<'_>,
    at: OffsetDateTime,
) -> Option<Result<(), Reason>> {
    match (&anchor.anchor.key, evidence) {
        (AnchorKey::X5cRoot { certificate }, Evidence::X5c { chain, .. }) => {
            let root = decode_cert(certificate)?;
            if !names_root(chain, &root) {
                return None;
            }
            Some(
                validate_chain(
                    chain,
                    std::slice::from_ref(&root),
                    at.unix_timestamp(),
                    &LeafProfile::default(),
                )
                .map(|_| ())
                .map_err(|e| Reason::ChainInvalid {
                    error: e.code().to_string(),
                }),
            )
        }
        (AnchorKey::IssKey { iss, jwk }, Evidence::IssKey { iss: got, key }) => {
            let registered = Jwk::from_value(jwk).ok()?;
            (iss == got && registered.public_key() == *key).then_some(Ok(()))
        }
        (AnchorKey::Iaca { certificate }, Evidence::Iaca(root)) => {
            let registered = decode_cert(certificate)?;
            (&registered == *root).then_some(Ok(()))
        }
        (AnchorKey::Did { did }, Evidence::Did(got)) => (did == got).then_some(Ok(())),
        _ => None,
    }
}

fn subject(entry: &Entry, at: OffsetDateTime, anchor_id: Option<&str>) -> Subject {
    Subject {
        entry_id: entry.entry_id.clone(),
        provider: entry.provider.legal_name.clone(),
        service: entry.service.name.clone(),
        certificate: entry
            .service_certificate_at(at)
            .map(|c| format!("{} ({})", c.certificate.number, c.certificate.body.name)),
        anchor_id: anchor_id.map(str::to_string),
    }
}

/// Decides whether the issuer behind `evidence` was a certified, registered provider of
/// `credential_type` for `purpose` at time `at`.
///
/// `purpose` names the check (`right_to_work`, `right_to_rent`, `dbs_check` need the
/// matching supplementary note; any other purpose needs none). When several entries match,
/// the first allowed wins, otherwise the first refusal is reported.
pub fn authorize(
    register: &Register,
    evidence: &Evidence<'_>,
    credential_type: &str,
    purpose: &str,
    at: OffsetDateTime,
) -> Decision {
    authorize_at_level(register, evidence, credential_type, purpose, at, None)
}

/// The role a credential type needs of its issuer, beyond being registered for the type:
/// identity credentials (right to work, PID) come only from a certified identity service
/// provider.
pub fn required_role(credential_type: &str) -> Option<Role> {
    let identity = credential_type.starts_with("urn:vouch:uk:right-to-work:")
        || credential_type.starts_with("urn:vouch:uk:pid:")
        || credential_type == "eu.europa.ec.eudi.pid.1"
        || credential_type == "urn:eudi:pid:1"
        || credential_type == "RightToWorkCredential";
    identity.then_some(Role::IdentityServiceProvider)
}

/// [`authorize`] for a credential that states the GPG 45 level of confidence `level` of its
/// identity check: the service's certificate must cover that level
/// (`assurance_not_certified`) when it records the highest level it covers.
pub fn authorize_at_level(
    register: &Register,
    evidence: &Evidence<'_>,
    credential_type: &str,
    purpose: &str,
    at: OffsetDateTime,
    level: Option<Level>,
) -> Decision {
    let mut first_refusal: Option<Decision> = None;
    for entry in register.entries.values() {
        for anchor in &entry.anchors {
            let Some(mut matched) = matches(anchor, evidence, at) else {
                continue;
            };
            if let (Ok(()), Evidence::X5c { iss, .. }) = (&matched, evidence) {
                // An entry that registered issuer identifiers speaks only under them; a
                // credential that names none cannot be one of them.
                let ids = entry.issuer_identifiers();
                if !ids.is_empty() && !iss.is_some_and(|iss| ids.iter().any(|i| i == iss)) {
                    matched = Err(Reason::IssNotRegistered {
                        iss: iss.unwrap_or("(none)").to_string(),
                    });
                }
            }
            let decision = decide_for(entry, anchor, matched, credential_type, purpose, at, level);
            if decision.allowed {
                return decision;
            }
            first_refusal.get_or_insert(decision);
        }
    }
    first_refusal.unwrap_or_else(|| Decision::deny(Reason::UnknownAnchor, None))
}

/// Decides whether the wallet provider behind `chain` (the `x5c` of a wallet attestation
/// or key attestation, leaf first) was a certified, registered holder service provider at
/// `at`: an entry's `x5c_root` anchor validates the chain, the entry stood on the register
/// then, and its service is certified for the role `holder_service_provider`.
pub fn authorize_wallet_provider(
    register: &Register,
    chain: &[Certificate],
    at: OffsetDateTime,
) -> Decision {
    let evidence = Evidence::X5c { chain, iss: None };
    let mut first_refusal: Option<Decision> = None;
    for entry in register.entries.values() {
        for anchor in &entry.anchors {
            if !matches!(anchor.anchor.key, AnchorKey::X5cRoot { .. }) {
                continue;
            }
            let Some(matched) = matches(anchor, &evidence, at) else {
                continue;
            };
            let who = subject(entry, at, Some(&anchor.anchor.anchor_id));
            let decision = match standing(entry, anchor, matched, at) {
                Err(reason) => Decision::deny(reason, Some(who)),
                Ok(_) if !entry.service.roles.contains(&Role::HolderServiceProvider) => {
                    Decision::deny(
                        Reason::RoleNotCertified {
                            role: Role::HolderServiceProvider,
                            credential_type: WALLET_ATTESTATION.to_string(),
                        },
                        Some(who),
                    )
                }
                Ok(_) => Decision {
                    allowed: true,
                    reason: Reason::Authorized,
                    subject: Some(who),
                },
            };
            if decision.allowed {
                return decision;
            }
            first_refusal.get_or_insert(decision);
        }
    }
    first_refusal.unwrap_or_else(|| Decision::deny(Reason::UnknownAnchor, None))
}

/// What [`authorize_wallet_provider`] names as the "credential type" a wallet provider's
/// role is needed for, in a `role_not_certified` refusal.
pub const WALLET_ATTESTATION: &str = "wallet attestation";

/// Whether `entry`, recognised through `anchor` (`matched`), stood on the register at `at`:
/// the anchor trusted then, the entry registered and not lapsed, its service certificate
/// valid. `Ok` gives the highest level of confidence the certificate covers, if it says.
fn standing(
    entry: &Entry,
    anchor: &AnchorRecord,
    matched: Result<(), Reason>,
    at: OffsetDateTime,
) -> Result<Option<Level>, Reason> {
    let anchor_id = anchor.anchor.anchor_id.clone();
    if let Some(nta) = anchor.not_trusted_after {
        if at > nta {
            return Err(Reason::AnchorCompromised {
                anchor_id,
                not_trusted_after: nta,
            });
        }
    }
    if let Some(retired) = anchor.retired_at {
        if at >= retired {
            return Err(Reason::AnchorRetired {
                anchor_id,
                since: retired,
            });
        }
    }
    matched?;
    match entry.state_at(at) {
        None => {
            return Err(Reason::NotYetRegistered {
                registered_at: entry.registered_at,
            })
        }
        Some(s) if s.state == EntryState::Removed => {
            return Err(Reason::EntryRemoved {
                since: s.at,
                reason: s.reason,
            })
        }
        Some(_) => {}
    }
    if anchor.added_at > at {
        // The key exists now but was not an anchor of the service at that time.
        return Err(Reason::UnknownAnchor);
    }
    if at >= entry.expires_at {
        return Err(Reason::EntryLapsed {
            expired_at: entry.expires_at,
        });
    }
    match entry.service_certificate_at(at) {
        None => Err(Reason::CertificateNotYetValid {
            number: String::new(),
        }),
        Some(c) => {
            if let Some(reason) = certificate_reason(c, at) {
                return Err(reason);
            }
            Ok(c.certificate.max_confidence)
        }
    }
}

fn decide_for(
    entry: &Entry,
    anchor: &AnchorRecord,
    matched: Result<(), Reason>,
    credential_type: &str,
    purpose: &str,
    at: OffsetDateTime,
    level: Option<Level>,
) -> Decision {
    let who = subject(entry, at, Some(&anchor.anchor.anchor_id));
    let deny = |reason| Decision::deny(reason, Some(who.clone()));
    let certified = match standing(entry, anchor, matched, at) {
        Ok(certified) => certified,
        Err(reason) => return deny(reason),
    };
    if !entry
        .service
        .credential_types
        .iter()
        .any(|t| t == credential_type)
    {
        return deny(Reason::CredentialTypeNotCovered {
            credential_type: credential_type.to_string(),
        });
    }
    if let Some(role) = required_role(credential_type) {
        if !entry.service.roles.contains(&role) {
            return deny(Reason::RoleNotCertified {
                role,
                credential_type: credential_type.to_string(),
            });
        }
    }
    if let (Some(level), Some(certified)) = (level, certified) {
        if level > certified {
            return deny(Reason::AssuranceNotCertified { level, certified });
        }
    }
    if let Some(code) = NoteCode::required_for(purpose) {
        let Some(note) = entry.note_at(code, at) else {
            return deny(Reason::NoteMissing { note: code });
        };
        match entry.certificate(&note.certificate_number) {
            None => return deny(Reason::NoteMissing { note: code }),
            Some(c) => {
                if let Some(reason) = certificate_reason(c, at) {
                    return deny(reason);
                }
            }
        }
    }
    Decision {
        allowed: true,
        reason: Reason::Authorized,
        subject: Some(who),
    }
}

/// Decides whether relying party `relying_party_id` may request `claims` for `purpose`;
/// a refusal names every over-asked claim.
pub fn may_request(
    register: &Register,
    relying_party_id: &str,
    purpose: &str,
    claims: &[&str],
) -> Decision {
    let Some(rp) = register.relying_parties.get(relying_party_id) else {
        return Decision::deny(Reason::UnknownRelyingParty, None);
    };
    if let Some(since) = rp.removed_at {
        return Decision::deny(Reason::RelyingPartyRemoved { since }, None);
    }
    let who = Subject {
        entry_id: rp.relying_party.relying_party_id.clone(),
        provider: rp.relying_party.name.clone(),
        service: purpose.to_string(),
        certificate: None,
        anchor_id: None,
    };
    let Some(registered) = rp
        .relying_party
        .purposes
        .iter()
        .find(|p| p.purpose == purpose)
    else {
        return Decision::deny(
            Reason::PurposeNotRegistered {
                purpose: purpose.to_string(),
            },
            Some(who),
        );
    };
    let over: Vec<String> = claims
        .iter()
        .filter(|c| !registered.claims.iter().any(|r| r == *c))
        .map(|c| c.to_string())
        .collect();
    if !over.is_empty() {
        return Decision::deny(Reason::ClaimsNotRegistered { claims: over }, Some(who));
    }
    Decision {
        allowed: true,
        reason: Reason::Authorized,
        subject: Some(who),
    }
}
