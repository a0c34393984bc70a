//! The register knows what each service is certified for (issue 17): an identity
//! credential comes only from a certified identity service provider (`role_not_certified`
//! for a wallet provider's), and a credential stating a level of confidence above the one the
//! service's certificate covers is refused (`assurance_not_certified`); certificates logged
//! before the level was recorded keep deciding as before.

use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use time::OffsetDateTime;
use trust_framework::decision::{authorize_at_level, Evidence, Reason};
use trust_framework::events::EventKind;
use trust_framework::fixtures::{certificate, event, iss_anchor, operator, registration, RTW_VCT};
use trust_framework::genesis;
use trust_framework::gpg45::Level;
use trust_framework::log::Log;
use trust_framework::model::Role;

const ISS: &str = "https://provider.example";

fn t(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

/// A register with one service of `roles`, certified up to `max` (none: not recorded).
fn register(roles: Vec<Role>, max: Option<Level>) -> (Log, SoftwareSigner) {
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let key = SoftwareSigner::generate(Algorithm::Es256).unwrap().0;
    let since = t("2026-01-01T00:00:00Z");
    let until = t("2029-01-01T00:00:00Z");
    let mut log = Log::new();
    log.append(genesis::genesis("register.test/log", &log_key, since).unwrap())
        .unwrap();
    let mut cert = certificate("C-1", "cab-a", since, until);
    cert.max_confidence = max;
    let anchor = iss_anchor("iss", ISS, key.public_key().to_jwk().to_value());
    let mut kind = registration("p", "P Ltd", &[RTW_VCT], cert, vec![anchor], until);
    if let EventKind::EntryRegistered { service, .. } = &mut kind {
        service.roles = roles;
    }
    log.append(event(since, operator(), kind)).unwrap();
    (log, key)
}

fn decide(log: &Log, key: &SoftwareSigner, level: Option<Level>) -> Reason {
    let ev = Evidence::IssKey {
        iss: ISS,
        key: key.public_key(),
    };
    authorize_at_level(
        log.register(),
        &ev,
        RTW_VCT,
        "identity_check",
        t("2026-06-01T12:00:00Z"),
        level,
    )
    .reason
}

#[test]
fn a_wallet_providers_right_to_work_credential_is_refused_for_its_role() {
    let (log, key) = register(vec![Role::HolderServiceProvider], Some(Level::High));
    assert!(matches!(
        decide(&log, &key, Some(Level::Medium)),
        Reason::RoleNotCertified {
            role: Role::IdentityServiceProvider,
            ..
        }
    ));
    let (log, key) = register(
        vec![Role::HolderServiceProvider, Role::IdentityServiceProvider],
        Some(Level::High),
    );
    assert_eq!(decide(&log, &key, Some(Level::Medium)), Reason::Authorized);
}

#[test]
fn a_level_above_the_certified_one_is_refused() {
    let (log, key) = register(vec![Role::IdentityServiceProvider], Some(Level::Low));
    assert_eq!(
        decide(&log, &key, Some(Level::Medium)),
        Reason::AssuranceNotCertified {
            level: Level::Medium,
            certified: Level::Low
        }
    );
    assert_eq!(decide(&log, &key, Some(Level::Low)), Reason::Authorized);
    let (log, key) = register(vec![Role::IdentityServiceProvider], Some(Level::Medium));
    assert_eq!(decide(&log, &key, Some(Level::Medium)), Reason::Authorized);
    assert!(matches!(
        decide(&log, &key, Some(Level::High)),
        Reason::AssuranceNotCertified { .. }
    ));
    // The reason's code is what reports and pages carry.
    let v = serde_json::to_value(decide(&log, &key, Some(Level::High))).unwrap();
    assert_eq!(v["code"], "assurance_not_certified");
}

/// Data outlives code: a certificate logged without a level (every one before this rule)
/// still decides as before, and its leaf's bytes do not change.
#[test]
fn certificates_logged_without_a_level_keep_deciding_as_before() {
    let (log, key) = register(vec![Role::IdentityServiceProvider], None);
    assert_eq!(decide(&log, &key, Some(Level::High)), Reason::Authorized);
    let leaf = String::from_utf8(log.leaf(1).unwrap().to_vec()).unwrap();
    assert!(!leaf.contains("max_confidence"), "{leaf}");
}
