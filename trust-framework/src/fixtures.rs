//! Example register data for tests, benchmarks and demonstrations: fictional organisations,
//! certificates and keys, never real ones.

use time::macros::datetime;
use time::OffsetDateTime;

use crate::events::{Actor, ActorRole, Event, EventKind};
use crate::model::{
    AnchorKey, CabCertificate, CertifyingBody, NoteCode, Provider, Purpose, RelyingParty,
    Retention, Role, Service, SupplementaryNote, TrustAnchor,
};

/// The right-to-work credential type (SD-JWT VC `vct`), version 1 (flat claims).
pub const RTW_VCT: &str = "urn:vouch:uk:right-to-work:1";
/// The right-to-work credential type, version 2 (OIDC4IA `verified_claims`).
pub const RTW_V2_VCT: &str = "urn:vouch:uk:right-to-work:2";
/// The claims of a version 2 right-to-work credential an employer registers for (claim
/// names as registrations write them: keys joined by `/`, array elements dropped), as the
/// verifier's right-to-work DCQL template asks for them.
pub const RTW_V2_CLAIMS: [&str; 15] = [
    "verified_claims/claims/given_name",
    "verified_claims/claims/family_name",
    "verified_claims/claims/birthdate",
    "portrait",
    "verified_claims/claims/nationalities",
    "verified_claims/verification/trust_framework",
    "verified_claims/verification/assurance_level",
    "verified_claims/verification/assurance_process/policy",
    "verified_claims/verification/assurance_process/procedure",
    "verified_claims/verification/time",
    "verified_claims/verification/evidence/type",
    "verified_claims/verification/evidence/document_details/type",
    "verified_claims/verification/evidence/document_details/document_number",
    "verified_claims/verification/evidence/document_details/date_of_expiry",
    "verified_claims/verification/evidence/check_details/organization",
];
/// The PID credential type.
pub const PID_VCT: &str = "urn:vouch:uk:pid:1";
/// The mDL docType.
pub const MDL_DOCTYPE: &str = "org.iso.18013.5.1.mDL";

/// The scheme operator actor.
pub fn operator() -> Actor {
    Actor {
        role: ActorRole::SchemeOperator,
        id: "ofdia".into(),
    }
}

/// A certifying-body actor.
pub fn cab_actor(cab_id: &str) -> Actor {
    Actor {
        role: ActorRole::CertifyingBody,
        id: cab_id.into(),
    }
}

/// An example CAB.
pub fn cab(cab_id: &str) -> CertifyingBody {
    CertifyingBody {
        cab_id: cab_id.into(),
        name: format!("{cab_id} Certification Ltd"),
        ukas_accreditation: "0001".into(),
    }
}

/// An example CAB certificate.
pub fn certificate(
    number: &str,
    cab_id: &str,
    issued_at: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> CabCertificate {
    CabCertificate {
        number: number.into(),
        body: cab(cab_id),
        framework_version: "1.0".into(),
        issued_at,
        expires_at,
        document_digest: Some(format!("sha-256:{}", "ab".repeat(32))),
        max_confidence: None,
    }
}

/// An event by `actor` at `at`.
pub fn event(at: OffsetDateTime, actor: Actor, kind: EventKind) -> Event {
    Event {
        occurred_at: at,
        logged_at: None,
        actor,
        legal_basis: None,
        evidence: vec![],
        kind,
    }
}

/// An `entry.registered` for an identity service provider of `credential_types`.
pub fn registration(
    entry_id: &str,
    legal_name: &str,
    credential_types: &[&str],
    certificate: CabCertificate,
    anchors: Vec<TrustAnchor>,
    expires_at: OffsetDateTime,
) -> EventKind {
    EventKind::EntryRegistered {
        entry_id: entry_id.into(),
        provider: Provider {
            provider_id: format!("provider-{entry_id}"),
            legal_name: legal_name.into(),
            company_number: "01234567".into(),
            jurisdiction: "GB".into(),
            website: Some(format!("https://{entry_id}.example")),
        },
        service: Service {
            name: format!("{legal_name} identity service"),
            roles: vec![Role::IdentityServiceProvider],
            credential_types: credential_types.iter().map(|s| s.to_string()).collect(),
            url: None,
        },
        certificate,
        anchors,
        expires_at,
    }
}

/// An `iss` + JWK anchor.
pub fn iss_anchor(anchor_id: &str, iss: &str, jwk: serde_json::Value) -> TrustAnchor {
    TrustAnchor {
        anchor_id: anchor_id.into(),
        key: AnchorKey::IssKey {
            iss: iss.into(),
            jwk,
        },
    }
}

/// A supplementary note with its certificate.
pub fn note(code: NoteCode, certificate: CabCertificate) -> SupplementaryNote {
    SupplementaryNote {
        code,
        code_version: "1.0".into(),
        certificate,
    }
}

/// An employer's verifier registered for right-to-work checks, with either version of the
/// right-to-work credential.
pub fn employer() -> RelyingParty {
    RelyingParty {
        relying_party_id: "https://hr.employer.example".into(),
        name: "Example Employer plc".into(),
        company_number: Some("07654321".into()),
        purposes: vec![Purpose {
            purpose: "right_to_work".into(),
            description: "Right-to-work check before employment starts".into(),
            credential_types: vec![RTW_V2_VCT.into(), RTW_VCT.into()],
            claims: [
                "given_name",
                "family_name",
                "birthdate",
                "portrait",
                "document_number",
                "document_expiry",
                "nationality",
            ]
            .iter()
            .chain(RTW_V2_CLAIMS.iter().filter(|c| **c != "portrait"))
            .map(|s| s.to_string())
            .collect(),
            retention: Some(Retention {
                period: "P2Y".into(),
                description: "For your employment and 2 years after it ends; 6 months after the check if you are not employed".into(),
            }),
        }],
    }
}

/// A register of `n` entries with certificates, anchors and notes, for benchmarks: the
/// events after genesis, timestamps one minute apart from 2026-01-01.
pub fn bulk_events(n: usize) -> Vec<Event> {
    let start = datetime!(2026-01-01 00:00 UTC);
    let jwk = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
    (0..n)
        .map(|i| {
            let at = start + time::Duration::minutes(i as i64);
            let id = format!("entry-{i:07}");
            let cert = certificate(
                &format!("C-{i}"),
                "cab-a",
                start,
                start + time::Duration::days(1095),
            );
            event(
                at,
                operator(),
                registration(
                    &id,
                    &format!("Provider {i} Ltd"),
                    &[RTW_V2_VCT, RTW_VCT, PID_VCT],
                    cert,
                    vec![iss_anchor(
                        "k1",
                        &format!("https://{id}.example"),
                        jwk.clone(),
                    )],
                    start + time::Duration::days(1095),
                ),
            )
        })
        .collect()
}
