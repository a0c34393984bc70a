//! What the register server admits: a writer cannot backdate history, schedule changes far
//! ahead, rewrite an entry's past out of order, or register a root that copies another
//! provider's root by name. The roots are the independent forgery corpus's
//! (`tests/forgery/`, made by a Python generator that shares no code with Vouch).

use std::time::Duration;

use credentials::b64;
use credentials::keys::{Algorithm, SoftwareSigner};
use time::OffsetDateTime;
use trust_framework::admission::{admit, Refusal, WritePolicy};
use trust_framework::events::{CertificateRef, EventKind};
use trust_framework::fixtures::{cab_actor, certificate, event, operator, registration};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::{AnchorKey, TrustAnchor};

const ORIGIN: &str = "register.vouch.example/log";

fn t(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

fn pki(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/forgery/corpus/pki/");
    b64::encode(std::fs::read(format!("{path}{name}")).unwrap())
}

fn root_anchor(id: &str, der: String) -> TrustAnchor {
    TrustAnchor {
        anchor_id: id.into(),
        key: AnchorKey::X5cRoot { certificate: der },
    }
}

/// A log with the genesis and one registered provider (at `at`) whose root is the corpus's
/// provider root.
fn log_at(at: OffsetDateTime) -> Log {
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let mut log = Log::new();
    log.append(genesis::genesis(ORIGIN, &log_key, at).unwrap())
        .unwrap();
    let reg = registration(
        "provider",
        "Provider Ltd",
        &["urn:vouch:uk:right-to-work:1"],
        certificate("provider-1", "cab-a", at, at + time::Duration::days(700)),
        vec![root_anchor("root", pki("provider-root.der"))],
        at + time::Duration::days(700),
    );
    log.append(event(at, operator(), reg)).unwrap();
    log
}

fn suspension(at: OffsetDateTime) -> trust_framework::events::Event {
    event(
        at,
        cab_actor("cab-a"),
        EventKind::CertificateSuspended(CertificateRef {
            entry_id: "provider".into(),
            certificate_number: "provider-1".into(),
        }),
    )
}

#[test]
fn a_backdated_event_is_refused() {
    let now = t("2026-12-07T12:00:00Z");
    let log = log_at(now - time::Duration::days(30));
    let e = admit(
        &log,
        &suspension(now - time::Duration::days(10)),
        now,
        &WritePolicy::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Refusal::Backdated { .. }), "{e}");
    assert_eq!(e.code(), "occurred_at_backdated");
    // Within the five minutes the clocks of two honest machines may differ: admitted.
    admit(
        &log,
        &suspension(now - time::Duration::minutes(4)),
        now,
        &WritePolicy::default(),
    )
    .unwrap();
}

#[test]
fn a_far_future_event_is_refused() {
    let now = t("2026-12-07T12:00:00Z");
    let log = log_at(now - time::Duration::days(30));
    let e = admit(
        &log,
        &suspension(now + time::Duration::days(3 * 365)),
        now,
        &WritePolicy::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "occurred_at_in_future");
    admit(
        &log,
        &suspension(now + time::Duration::minutes(4)),
        now,
        &WritePolicy::default(),
    )
    .unwrap();
}

#[test]
fn an_event_before_the_entrys_previous_event_is_refused_even_within_the_skew() {
    let now = t("2026-12-07T12:00:00Z");
    // The entry was registered a minute "after" the event now written (a wide skew lets
    // the writer's clock be the judge, as an operator importing history would allow).
    let log = log_at(now + time::Duration::minutes(1));
    let wide = WritePolicy {
        max_skew: Duration::from_secs(3600),
    };
    let e = admit(&log, &suspension(now), now, &wide).unwrap_err();
    assert_eq!(e.code(), "occurred_at_out_of_order");
}

#[test]
fn a_root_copying_another_providers_subject_is_refused() {
    let now = t("2026-12-07T12:00:00Z");
    let log = log_at(now - time::Duration::days(30));
    let copied = registration(
        "attacker",
        "Attacker Ltd",
        &["urn:vouch:uk:right-to-work:1"],
        certificate("attacker-1", "cab-b", now, now + time::Duration::days(700)),
        vec![root_anchor("root", pki("attacker-root-copied-name.der"))],
        now + time::Duration::days(700),
    );
    let e = admit(
        &log,
        &event(now, operator(), copied),
        now,
        &WritePolicy::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "anchor_subject_taken");
    assert!(
        e.to_string().contains("entry provider"),
        "names the entry: {e}"
    );
    // The same attacker with a root of its own name is admitted (the decision then judges
    // it on its own certificate).
    let own = registration(
        "attacker",
        "Attacker Ltd",
        &["urn:vouch:uk:right-to-work:1"],
        certificate("attacker-1", "cab-b", now, now + time::Duration::days(700)),
        vec![root_anchor("root", pki("attacker-lookalike-root.der"))],
        now + time::Duration::days(700),
    );
    admit(
        &log,
        &event(now, operator(), own),
        now,
        &WritePolicy::default(),
    )
    .unwrap();
    // A second root of the provider itself (a rollover under the same name) is its own.
    let rollover = EventKind::AnchorAdded {
        entry_id: "provider".into(),
        anchor: root_anchor("root-2", pki("provider-root.der")),
    };
    admit(
        &log,
        &event(now, operator(), rollover),
        now,
        &WritePolicy::default(),
    )
    .unwrap();
}

#[test]
fn a_root_given_as_pem_is_refused_since_no_verifier_could_match_it() {
    let now = t("2026-12-07T12:00:00Z");
    let log = log_at(now - time::Duration::days(30));
    let der = b64::decode(&pki("attacker-lookalike-root.der")).unwrap();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der)
    );
    for key in [
        AnchorKey::Iaca {
            certificate: pem.clone(),
        },
        AnchorKey::X5cRoot { certificate: pem },
    ] {
        let reg = registration(
            "newcomer",
            "Newcomer Ltd",
            &["org.iso.18013.5.1.mDL"],
            certificate("newcomer-1", "cab-b", now, now + time::Duration::days(700)),
            vec![TrustAnchor {
                anchor_id: "root".into(),
                key,
            }],
            now + time::Duration::days(700),
        );
        let e = admit(
            &log,
            &event(now, operator(), reg),
            now,
            &WritePolicy::default(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            Refusal::BadAnchor {
                anchor_id: "root".into()
            }
        );
        assert_eq!(e.code(), "bad_anchor");
    }
}
