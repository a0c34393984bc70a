//! The things the register is about: providers, their certified services, CAB certificates,
//! supplementary notes, trust anchors and relying parties (DUAA 2025 Part 2; the DVS trust
//! framework). Organisation data and document digests only: no personal data.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A provider: the organisation that runs one or more certified services.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// Stable identifier of the provider on the register.
    pub provider_id: String,
    /// The registered legal name.
    pub legal_name: String,
    /// Companies House (or equivalent) number.
    pub company_number: String,
    /// ISO 3166 jurisdiction, e.g. `GB`.
    pub jurisdiction: String,
    /// Public website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
}

/// A role a service is certified for under the trust framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Proves and verifies who someone is (IDSP).
    IdentityServiceProvider,
    /// Creates and shares attributes.
    AttributeServiceProvider,
    /// Digital wallets.
    HolderServiceProvider,
    /// Routes identity and attribute data.
    OrchestrationServiceProvider,
    /// Supplies one part of a service (biometrics, say).
    ComponentServiceProvider,
}

/// One certified service (one register entry per service).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The service's name.
    pub name: String,
    /// Roles it is certified for.
    pub roles: Vec<Role>,
    /// Credential types it may issue: SD-JWT VC `vct` or mdoc docType.
    pub credential_types: Vec<String>,
    /// Public service URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The conformity assessment body (CAB) that issued a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifyingBody {
    /// Stable identifier, also the CAB's actor id on the write API.
    pub cab_id: String,
    /// The CAB's name.
    pub name: String,
    /// Its UKAS accreditation number.
    pub ukas_accreditation: String,
}

/// A CAB certificate: for the service against the trust framework, or for a supplementary code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CabCertificate {
    /// The certificate number (unique per CAB).
    pub number: String,
    /// Who issued it.
    pub body: CertifyingBody,
    /// The trust framework (or code) version certified against, e.g. `1.0`.
    pub framework_version: String,
    /// When it was issued (start of validity).
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it expires (typically three years after issue).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// SHA-256 of the certificate document, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_digest: Option<String>,
    /// The highest GPG 45 level of confidence the service is certified to check identities
    /// to. Absent in certificates logged before it was recorded (no assurance rule applies
    /// to those).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_confidence: Option<crate::gpg45::Level>,
}

/// The state of a CAB certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateState {
    /// In force.
    Valid,
    /// Suspended by the CAB (treated as not valid).
    Suspended,
    /// Withdrawn by the CAB.
    Withdrawn,
    /// Past its expiry.
    Expired,
}

impl fmt::Display for CertificateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateState::Valid => "valid",
            CertificateState::Suspended => "suspended",
            CertificateState::Withdrawn => "withdrawn",
            CertificateState::Expired => "expired",
        })
    }
}

/// A supplementary code a service can hold a note for (DUAA s.36).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteCode {
    /// Digital right-to-work checks.
    RightToWork,
    /// Digital right-to-rent checks.
    RightToRent,
    /// Disclosure and Barring Service checks.
    Dbs,
}

impl NoteCode {
    /// The note a check for `purpose` needs, if any (`right_to_work`, `right_to_rent`, `dbs_check`).
    pub fn required_for(purpose: &str) -> Option<NoteCode> {
        match purpose {
            "right_to_work" => Some(NoteCode::RightToWork),
            "right_to_rent" => Some(NoteCode::RightToRent),
            "dbs_check" => Some(NoteCode::Dbs),
            _ => None,
        }
    }
}

impl fmt::Display for NoteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoteCode::RightToWork => "right to work",
            NoteCode::RightToRent => "right to rent",
            NoteCode::Dbs => "DBS",
        })
    }
}

/// A supplementary note as added to an entry, with the certificate that backs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementaryNote {
    /// Which code.
    pub code: NoteCode,
    /// The code's version, e.g. `1.0`.
    pub code_version: String,
    /// The CAB certificate against the code.
    pub certificate: CabCertificate,
}

/// Why an entry was removed from the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// The provider asked (s.42(1)(a)).
    ProviderRequest,
    /// The provider stopped providing the service (s.42(1)(b)).
    CeasedToProvide,
    /// Its certificate expired (s.42(1)(c)).
    CertificateExpired,
    /// Its certificate was withdrawn by the CAB (s.42(1)(c)).
    CertificateWithdrawn,
    /// A trust-framework revision made its certificate ignorable.
    CertificateIgnoredTfRevision,
    /// Removed under the Secretary of State's power (s.41).
    RemovedBySecretaryOfState,
    /// Registered in error.
    RegisteredInError,
}

impl fmt::Display for RemovalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RemovalReason::ProviderRequest => "at the provider's request",
            RemovalReason::CeasedToProvide => "the provider ceased to provide it",
            RemovalReason::CertificateExpired => "its certificate expired",
            RemovalReason::CertificateWithdrawn => "its certificate was withdrawn",
            RemovalReason::CertificateIgnoredTfRevision => {
                "its certificate is ignored after a framework revision"
            }
            RemovalReason::RemovedBySecretaryOfState => "removed by the Secretary of State",
            RemovalReason::RegisteredInError => "registered in error",
        })
    }
}

/// How a verifier recognises a service's signatures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnchorKey {
    /// A root (or intermediate) CA certificate, DER base64url: `x5c` chains must lead to it.
    X5cRoot {
        /// DER, base64url.
        certificate: String,
    },
    /// An `iss` URL with the public JWK its credentials are signed with.
    IssKey {
        /// The issuer identifier (`iss`).
        iss: String,
        /// The public JWK.
        jwk: serde_json::Value,
    },
    /// An ISO 18013-5 IACA root certificate, DER base64url.
    Iaca {
        /// DER, base64url.
        certificate: String,
    },
    /// A DID the service signs as.
    Did {
        /// The DID.
        did: String,
    },
}

/// A trust anchor of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustAnchor {
    /// Identifier of this anchor within the entry.
    pub anchor_id: String,
    /// The key or certificate.
    #[serde(flatten)]
    pub key: AnchorKey,
}

/// One purpose a relying party registered, with exactly the claims it may request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    /// The purpose identifier, e.g. `right_to_work`.
    pub purpose: String,
    /// What it is for, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Credential types it may ask for.
    pub credential_types: Vec<String>,
    /// Claims it may request (names or JSON pointer-like paths).
    pub claims: Vec<String>,
    /// How long it keeps what it is given for this purpose: one source for the wallet's
    /// consent screen (and, later, registration certificates). Optional: registrations
    /// made before it existed carry none, and their log entries are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

/// How long a relying party keeps what it is given for a purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// The longest it keeps it, as an ISO 8601 duration (`P6M`, `P2Y`), from the moment it
    /// is given unless `description` says otherwise.
    pub period: String,
    /// The rule in words for the person deciding, e.g. "For your employment and 2 years
    /// after it ends; 6 months if you are not employed".
    pub description: String,
}

impl Retention {
    /// Whether `period` is an ISO 8601 duration of whole years, months, weeks or days
    /// (`P2Y`, `P6M`, `P1Y6M`, `P30D`), the forms a retention period takes.
    pub fn period_is_valid(&self) -> bool {
        let Some(rest) = self.period.strip_prefix('P') else {
            return false;
        };
        let mut digits = 0;
        let mut units = 0;
        let mut last = 0;
        for c in rest.chars() {
            match c {
                '0'..='9' => digits += 1,
                'Y' | 'M' | 'W' | 'D' => {
                    let rank = match c {
                        'Y' => 1,
                        'M' => 2,
                        'W' => 3,
                        _ => 4,
                    };
                    if digits == 0 || digits > 4 || rank <= last {
                        return false;
                    }
                    last = rank;
                    digits = 0;
                    units += 1;
                }
                _ => return false,
            }
        }
        digits == 0 && units > 0
    }
}

/// A relying party (a verifier, e.g. an employer) and its registered purposes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingParty {
    /// Stable identifier (the client id a wallet sees).
    pub relying_party_id: String,
    /// Organisation name.
    pub name: String,
    /// Companies House (or equivalent) number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
    /// Registered purposes.
    pub purposes: Vec<Purpose>,
}

#[cfg(test)]
mod retention_tests {
    use super::*;

    fn r(period: &str) -> Retention {
        Retention {
            period: period.into(),
            description: "x".into(),
        }
    }

    #[test]
    fn retention_periods_are_whole_iso_8601_durations() {
        for ok in ["P6M", "P2Y", "P1Y6M", "P30D", "P2W", "P1Y2M3D"] {
            assert!(r(ok).period_is_valid(), "{ok}");
        }
        for bad in [
            "", "P", "6M", "PM", "P6", "P6M2Y", "P1.5Y", "PT6H", "P6m", "P99999Y", "P6M6M",
        ] {
            assert!(!r(bad).period_is_valid(), "{bad}");
        }
    }

    #[test]
    fn a_purpose_registered_before_retention_existed_reads_and_writes_the_same_bytes() {
        let old = r#"{"purpose":"right_to_work","description":"Checks","credential_types":["t"],"claims":["given_name"]}"#;
        let p: Purpose = serde_json::from_str(old).unwrap();
        assert_eq!(p.retention, None);
        assert_eq!(serde_json::to_string(&p).unwrap(), old);
    }
}
