//! Every decision reason, historical questions, and relying-party requests.

mod common;

use common::{t, world, World};
use credentials::keys::Signer;
use trust_framework::decision::{authorize, may_request, Evidence, Reason};
use trust_framework::fixtures::{MDL_DOCTYPE, PID_VCT, RTW_VCT};
use trust_framework::model::{NoteCode, RemovalReason};

fn acme(
    w: &World,
    key: &credentials::keys::SoftwareSigner,
    ty: &str,
    purpose: &str,
    at: &str,
) -> trust_framework::decision::Decision {
    let ev = Evidence::IssKey {
        iss: "https://id.acme.example",
        key: key.public_key(),
    };
    authorize(w.log.register(), &ev, ty, purpose, t(at))
}

#[test]
fn authorizes_a_certified_provider_with_a_right_to_work_note() {
    let w = world();
    let d = acme(
        &w,
        &w.acme_key,
        RTW_VCT,
        "right_to_work",
        "2026-03-01T12:00:00Z",
    );
    assert!(d.allowed, "{}", d.reason);
    assert_eq!(d.reason, Reason::Authorized);
    let s = d.subject.unwrap();
    assert_eq!(
        (s.entry_id.as_str(), s.provider.as_str()),
        ("acme", "Acme Identity Ltd")
    );
    assert_eq!(
        s.certificate.as_deref(),
        Some("ACME-1 (cab-a Certification Ltd)")
    );
}

#[test]
fn refuses_an_unknown_anchor() {
    let w = world();
    let other = credentials::keys::SoftwareSigner::generate(credentials::keys::Algorithm::Es256)
        .unwrap()
        .0;
    let d = acme(&w, &other, RTW_VCT, "right_to_work", "2026-03-01T12:00:00Z");
    assert_eq!((d.allowed, d.reason), (false, Reason::UnknownAnchor));
    // The right key under another iss is unknown too.
    let ev = Evidence::IssKey {
        iss: "https://evil.example",
        key: w.acme_key.public_key(),
    };
    assert_eq!(
        authorize(
            w.log.register(),
            &ev,
            RTW_VCT,
            "x",
            t("2026-03-01T00:00:00Z")
        )
        .reason,
        Reason::UnknownAnchor
    );
}

#[test]
fn refuses_a_removed_entry_from_its_removal_on_and_not_before() {
    let w = world();
    let d = acme(&w, &w.acme_key, PID_VCT, "general", "2026-10-01T00:00:00Z");
    assert_eq!(
        d.reason,
        Reason::EntryRemoved {
            since: t("2026-09-01T00:00:00Z"),
            reason: Some(RemovalReason::ProviderRequest)
        }
    );
    assert_eq!(d.reason.to_string(), "the service was removed from the register on 2026-09-01T00:00:00Z (at the provider's request)");
    assert!(acme(&w, &w.acme_key, PID_VCT, "general", "2026-08-31T23:59:59Z").allowed);
}

#[test]
fn refuses_before_registration() {
    let w = world();
    let d = acme(&w, &w.acme_key, PID_VCT, "general", "2025-06-15T00:00:00Z");
    assert!(
        matches!(d.reason, Reason::NotYetRegistered { .. }),
        "{:?}",
        d.reason
    );
}

#[test]
fn refuses_while_the_certificate_is_suspended_and_allows_after_reinstatement() {
    let w = world();
    let d = acme(&w, &w.acme_key, PID_VCT, "general", "2026-04-15T00:00:00Z");
    assert_eq!(
        d.reason,
        Reason::CertificateSuspended {
            number: "ACME-1".into(),
            since: t("2026-04-01T00:00:00Z")
        }
    );
    assert!(acme(&w, &w.acme_key, PID_VCT, "general", "2026-05-15T00:00:00Z").allowed);
}

#[test]
fn refuses_a_withdrawn_certificate() {
    let w = world();
    let d = authorize(
        w.log.register(),
        &Evidence::X5c {
            chain: &w.beta_chain,
            iss: None,
        },
        RTW_VCT,
        "general",
        t("2026-03-01T00:00:00Z"),
    );
    assert_eq!(
        d.reason,
        Reason::CertificateWithdrawn {
            number: "BETA-1".into(),
            since: t("2026-02-15T00:00:00Z")
        }
    );
    // Before the withdrawal the same chain was trusted.
    let before = authorize(
        w.log.register(),
        &Evidence::X5c {
            chain: &w.beta_chain,
            iss: None,
        },
        RTW_VCT,
        "general",
        t("2026-02-01T00:00:00Z"),
    );
    assert!(before.allowed, "{}", before.reason);
}

#[test]
fn refuses_an_expired_certificate_at_that_time() {
    let w = world();
    let iaca = Evidence::Iaca(&w.gamma_iaca);
    let d = authorize(
        w.log.register(),
        &iaca,
        MDL_DOCTYPE,
        "general",
        t("2026-02-01T00:00:00Z"),
    );
    assert_eq!(
        d.reason,
        Reason::CertificateExpired {
            number: "GAMMA-1".into(),
            since: t("2026-01-01T00:00:00Z")
        }
    );
    assert!(
        authorize(
            w.log.register(),
            &iaca,
            MDL_DOCTYPE,
            "general",
            t("2025-12-01T00:00:00Z")
        )
        .allowed
    );
}

#[test]
fn refuses_a_right_to_work_check_without_the_note() {
    let w = world();
    // Registered, certified, but the note was only added on 2025-08-01 and removed on 2026-06-01.
    for at in ["2025-07-15T00:00:00Z", "2026-07-01T00:00:00Z"] {
        let d = acme(&w, &w.acme_key, RTW_VCT, "right_to_work", at);
        assert_eq!(
            d.reason,
            Reason::NoteMissing {
                note: NoteCode::RightToWork
            },
            "{at}"
        );
        assert_eq!(
            d.reason.to_string(),
            "the service held no right to work supplementary note at that time"
        );
        // The same credential for a purpose that needs no note is fine.
        assert!(acme(&w, &w.acme_key, RTW_VCT, "general", at).allowed);
    }
}

#[test]
fn answers_did_the_provider_hold_a_right_to_work_note_on_a_past_day() {
    let w = world();
    let entry = &w.log.register().entries["acme"];
    assert!(entry
        .note_at(NoteCode::RightToWork, t("2026-03-01T00:00:00Z"))
        .is_some());
    assert!(entry
        .note_at(NoteCode::RightToWork, t("2026-06-02T00:00:00Z"))
        .is_none());
    assert!(
        acme(
            &w,
            &w.acme_key,
            RTW_VCT,
            "right_to_work",
            "2026-03-01T00:00:00Z"
        )
        .allowed
    );
}

#[test]
fn refuses_a_retired_anchor_after_retirement_only() {
    let w = world();
    let d = acme(
        &w,
        &w.acme_old_key,
        PID_VCT,
        "general",
        "2026-03-01T00:00:00Z",
    );
    assert_eq!(
        d.reason,
        Reason::AnchorRetired {
            anchor_id: "k-old".into(),
            since: t("2026-02-01T00:00:00Z")
        }
    );
    assert!(
        acme(
            &w,
            &w.acme_old_key,
            PID_VCT,
            "general",
            "2026-01-15T00:00:00Z"
        )
        .allowed
    );
}

#[test]
fn refuses_a_compromised_anchor_after_its_not_trusted_after_time() {
    let w = world();
    let d = acme(
        &w,
        &w.acme_leaked_key,
        PID_VCT,
        "general",
        "2026-01-11T00:00:00Z",
    );
    assert_eq!(
        d.reason,
        Reason::AnchorCompromised {
            anchor_id: "k-leaked".into(),
            not_trusted_after: t("2026-01-10T00:00:00Z")
        }
    );
    // Logged on 2026-01-12 but effective from 2026-01-10; before that it was trusted.
    assert!(
        acme(
            &w,
            &w.acme_leaked_key,
            PID_VCT,
            "general",
            "2026-01-09T00:00:00Z"
        )
        .allowed
    );
}

#[test]
fn refuses_a_credential_type_the_service_may_not_issue() {
    let w = world();
    let d = acme(
        &w,
        &w.acme_key,
        MDL_DOCTYPE,
        "general",
        "2026-03-01T00:00:00Z",
    );
    assert_eq!(
        d.reason,
        Reason::CredentialTypeNotCovered {
            credential_type: MDL_DOCTYPE.into()
        }
    );
}

#[test]
fn refuses_an_x5c_chain_to_an_unregistered_root_with_the_same_name() {
    let w = world();
    let d = authorize(
        w.log.register(),
        &Evidence::X5c {
            chain: &w.stranger_chain,
            iss: None,
        },
        RTW_VCT,
        "general",
        t("2026-01-01T00:00:00Z"),
    );
    assert!(!d.allowed);
    assert_eq!(
        d.reason,
        Reason::ChainInvalid {
            error: "certificate_signature_invalid".into()
        }
    );
}

#[test]
fn refuses_an_x5c_chain_outside_its_validity() {
    let w = world();
    // The leaf is valid from 2025-06-01 for 1000 days; in March 2028 it has expired.
    let d = authorize(
        w.log.register(),
        &Evidence::X5c {
            chain: &w.beta_chain,
            iss: None,
        },
        RTW_VCT,
        "general",
        t("2028-03-01T00:00:00Z"),
    );
    assert_eq!(
        d.reason,
        Reason::ChainInvalid {
            error: "certificate_expired".into()
        }
    );
}

#[test]
fn relying_party_may_request_registered_claims_only() {
    let w = world();
    let reg = w.log.register();
    let rp = "https://hr.employer.example";
    assert!(
        may_request(
            reg,
            rp,
            "right_to_work",
            &["given_name", "family_name", "portrait"]
        )
        .allowed
    );
    let d = may_request(
        reg,
        rp,
        "right_to_work",
        &["given_name", "address", "email"],
    );
    assert_eq!(
        d.reason,
        Reason::ClaimsNotRegistered {
            claims: vec!["address".into(), "email".into()]
        }
    );
    assert_eq!(
        d.reason.to_string(),
        "the request asks for claims not registered for this purpose: address, email"
    );
    assert_eq!(
        may_request(reg, rp, "marketing", &["given_name"]).reason,
        Reason::PurposeNotRegistered {
            purpose: "marketing".into()
        }
    );
    assert_eq!(
        may_request(reg, "https://unknown.example", "right_to_work", &[]).reason,
        Reason::UnknownRelyingParty
    );
    // The employer registered version 2 of the right-to-work credential too: its claims,
    // as the verifier's template asks for them, nested names and all.
    let employer = &reg.relying_parties[rp].relying_party.purposes[0];
    assert!(employer
        .credential_types
        .iter()
        .any(|t| t == trust_framework::fixtures::RTW_V2_VCT));
    assert!(
        may_request(
            reg,
            rp,
            "right_to_work",
            &trust_framework::fixtures::RTW_V2_CLAIMS
        )
        .allowed
    );
    assert!(
        !may_request(
            reg,
            rp,
            "right_to_work",
            &["verified_claims/verification/evidence/document_details/personal_number"]
        )
        .allowed
    );
}

#[test]
fn decision_serializes_with_a_stable_code() {
    let w = world();
    let d = acme(
        &w,
        &w.acme_key,
        RTW_VCT,
        "right_to_work",
        "2026-07-01T00:00:00Z",
    );
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["allowed"], false);
    assert_eq!(v["reason"]["code"], "note_missing");
    assert_eq!(v["subject"]["entry_id"], "acme");
}

#[test]
fn recognises_a_registered_did_and_no_other() {
    let mut w = world();
    let anchor = trust_framework::model::TrustAnchor {
        anchor_id: "did".into(),
        key: trust_framework::model::AnchorKey::Did {
            did: "did:web:id.delta.example".into(),
        },
    };
    let cert = trust_framework::fixtures::certificate(
        "DELTA-1",
        "cab-a",
        t("2025-06-01T00:00:00Z"),
        t("2028-06-01T00:00:00Z"),
    );
    let reg = trust_framework::fixtures::registration(
        "delta",
        "Delta Ltd",
        &[PID_VCT],
        cert,
        vec![anchor],
        t("2028-06-01T00:00:00Z"),
    );
    w.log
        .append(trust_framework::fixtures::event(
            t("2025-07-02T00:00:00Z"),
            trust_framework::fixtures::operator(),
            reg,
        ))
        .unwrap();
    let reg = w.log.register();
    let at = t("2026-03-01T00:00:00Z");
    assert!(
        authorize(
            reg,
            &Evidence::Did("did:web:id.delta.example"),
            PID_VCT,
            "general",
            at
        )
        .allowed
    );
    assert_eq!(
        authorize(
            reg,
            &Evidence::Did("did:web:evil.example"),
            PID_VCT,
            "general",
            at
        )
        .reason,
        Reason::UnknownAnchor
    );
    // Registered on 2025-07-02: not yet the day before.
    assert!(matches!(
        authorize(
            reg,
            &Evidence::Did("did:web:id.delta.example"),
            PID_VCT,
            "general",
            t("2025-07-01T12:00:00Z")
        )
        .reason,
        Reason::NotYetRegistered { .. }
    ));
}
