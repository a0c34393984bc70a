//! One story of a register, used by the decision, snapshot and interop tests.
#![allow(dead_code)]

use std::sync::Arc;

use credentials::b64;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::x509::dev::{self, CertSpec};
use credentials::x509::Certificate;
use time::OffsetDateTime;
use trust_framework::events::{AnchorRef, CertificateRef, EventKind};
use trust_framework::fixtures::{
    self, cab_actor, certificate, event, iss_anchor, operator, registration,
};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::{AnchorKey, NoteCode, RemovalReason, TrustAnchor};

pub const ORIGIN: &str = "register.vouch.example/log";

/// Keys and certificates of the story.
pub struct World {
    pub log: Log,
    pub log_key: SoftwareSigner,
    pub snapshot_key: SoftwareSigner,
    /// Acme's SD-JWT VC issuer key (anchored as iss + JWK).
    pub acme_key: SoftwareSigner,
    /// Acme's old key, retired on 2026-02-01.
    pub acme_old_key: SoftwareSigner,
    /// Acme's leaked key, compromised: not trusted after 2026-01-10.
    pub acme_leaked_key: SoftwareSigner,
    /// Beta's x5c root and a leaf chain under it.
    pub beta_root: Certificate,
    pub beta_chain: Vec<Certificate>,
    /// Another root nobody registered, with a chain.
    pub stranger_chain: Vec<Certificate>,
    /// Gamma's IACA root (mdoc).
    pub gamma_iaca: Certificate,
}

pub fn t(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

fn signer() -> SoftwareSigner {
    SoftwareSigner::generate(Algorithm::Es256).unwrap().0
}

fn ca(name: &str, key: Arc<dyn Signer>) -> Certificate {
    let spec = CertSpec {
        common_name: name.into(),
        days: 3650,
        ca: Some(Some(0)),
        not_before: Some(t("2025-01-01T00:00:00Z").unix_timestamp()),
        ..Default::default()
    };
    dev::self_signed(&spec, key).unwrap()
}

fn leaf(root: &Certificate, root_key: Arc<dyn Signer>, not_before: &str, days: u32) -> Certificate {
    let spec = CertSpec {
        common_name: "Issuer".into(),
        days,
        not_before: Some(t(not_before).unix_timestamp()),
        ..Default::default()
    };
    dev::issue(&spec, signer().public_key(), root, root_key).unwrap()
}

/// The story, one event per line:
///
/// - acme (IDSP, RtW + PID): registered 2025-07-01, RtW note 2025-08-01, certificate
///   ACME-1 suspended 2026-04-01 and reinstated 2026-05-01, RtW note removed 2026-06-01,
///   removed from the register 2026-09-01 (provider request).
/// - beta (x5c root): registered 2025-07-01, certificate BETA-1 withdrawn 2026-02-15.
/// - gamma (IACA, mDL): registered 2025-07-01 with a certificate expiring 2026-01-01 and
///   an entry expiring 2027-01-01.
/// - an employer registered for right_to_work.
pub fn world() -> World {
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let snapshot_key = signer();
    let (acme_key, acme_old_key, acme_leaked_key) = (signer(), signer(), signer());
    let beta_root_key: Arc<dyn Signer> = Arc::new(signer());
    let beta_root = ca("Beta Root CA", beta_root_key.clone());
    let beta_chain = vec![leaf(
        &beta_root,
        beta_root_key,
        "2025-06-01T00:00:00Z",
        1000,
    )];
    let stranger_key: Arc<dyn Signer> = Arc::new(signer());
    let stranger_root = ca("Beta Root CA", stranger_key.clone());
    let stranger_chain = vec![leaf(
        &stranger_root,
        stranger_key,
        "2025-06-01T00:00:00Z",
        1500,
    )];
    let gamma_iaca = ca("Gamma IACA", Arc::new(signer()));

    let mut log = Log::new();
    let mut push = |kind: EventKind, at: &str, actor| {
        log.append(event(t(at), actor, kind)).unwrap();
    };
    let jwk = |s: &SoftwareSigner| s.public_key().to_jwk().to_value();
    let far = t("2028-06-30T00:00:00Z");

    push_genesis(&mut push, &log_key);

    push(
        registration(
            "acme",
            "Acme Identity Ltd",
            &[fixtures::RTW_VCT, fixtures::PID_VCT],
            certificate("ACME-1", "cab-a", t("2025-06-01T00:00:00Z"), far),
            vec![
                iss_anchor("k-current", "https://id.acme.example", jwk(&acme_key)),
                iss_anchor("k-old", "https://id.acme.example", jwk(&acme_old_key)),
                iss_anchor("k-leaked", "https://id.acme.example", jwk(&acme_leaked_key)),
            ],
            far,
        ),
        "2025-07-01T00:00:00Z",
        operator(),
    );
    push(
        registration(
            "beta",
            "Beta Verify Ltd",
            &[fixtures::RTW_VCT],
            certificate("BETA-1", "cab-b", t("2025-06-01T00:00:00Z"), far),
            vec![TrustAnchor {
                anchor_id: "root".into(),
                key: AnchorKey::X5cRoot {
                    certificate: b64::encode(beta_root.der()),
                },
            }],
            far,
        ),
        "2025-07-01T00:00:00Z",
        operator(),
    );
    push(
        registration(
            "gamma",
            "Gamma Licensing Agency",
            &[fixtures::MDL_DOCTYPE],
            certificate(
                "GAMMA-1",
                "cab-a",
                t("2025-01-01T00:00:00Z"),
                t("2026-01-01T00:00:00Z"),
            ),
            vec![TrustAnchor {
                anchor_id: "iaca".into(),
                key: AnchorKey::Iaca {
                    certificate: b64::encode(gamma_iaca.der()),
                },
            }],
            t("2027-01-01T00:00:00Z"),
        ),
        "2025-07-01T00:00:00Z",
        operator(),
    );
    push(
        EventKind::NoteAdded {
            entry_id: "acme".into(),
            note: fixtures::note(
                NoteCode::RightToWork,
                certificate("ACME-RTW-1", "cab-a", t("2025-07-15T00:00:00Z"), far),
            ),
        },
        "2025-08-01T00:00:00Z",
        operator(),
    );
    push(
        EventKind::AnchorCompromised {
            entry_id: "acme".into(),
            anchor_id: "k-leaked".into(),
            not_trusted_after: t("2026-01-10T00:00:00Z"),
        },
        "2026-01-12T00:00:00Z",
        operator(),
    );
    push(
        EventKind::AnchorRetired(AnchorRef {
            entry_id: "acme".into(),
            anchor_id: "k-old".into(),
        }),
        "2026-02-01T00:00:00Z",
        operator(),
    );
    push(
        EventKind::CertificateWithdrawn(CertificateRef {
            entry_id: "beta".into(),
            certificate_number: "BETA-1".into(),
        }),
        "2026-02-15T00:00:00Z",
        cab_actor("cab-b"),
    );
    push(
        EventKind::CertificateSuspended(CertificateRef {
            entry_id: "acme".into(),
            certificate_number: "ACME-1".into(),
        }),
        "2026-04-01T00:00:00Z",
        cab_actor("cab-a"),
    );
    push(
        EventKind::CertificateReinstated(CertificateRef {
            entry_id: "acme".into(),
            certificate_number: "ACME-1".into(),
        }),
        "2026-05-01T00:00:00Z",
        cab_actor("cab-a"),
    );
    push(
        EventKind::NoteRemoved {
            entry_id: "acme".into(),
            code: NoteCode::RightToWork,
        },
        "2026-06-01T00:00:00Z",
        operator(),
    );
    push(
        EventKind::RelyingPartyRegistered {
            relying_party: fixtures::employer(),
        },
        "2026-01-01T00:00:00Z",
        operator(),
    );
    push(
        EventKind::EntryRemoved {
            entry_id: "acme".into(),
            reason: RemovalReason::ProviderRequest,
        },
        "2026-09-01T00:00:00Z",
        operator(),
    );
    World {
        log,
        log_key,
        snapshot_key,
        acme_key,
        acme_old_key,
        acme_leaked_key,
        beta_root,
        beta_chain,
        stranger_chain,
        gamma_iaca,
    }
}

fn push_genesis(
    push: &mut impl FnMut(EventKind, &str, trust_framework::events::Actor),
    log_key: &SoftwareSigner,
) {
    let g = genesis::genesis(ORIGIN, log_key, t("2025-06-01T00:00:00Z")).unwrap();
    push(g.kind, "2025-06-01T00:00:00Z", g.actor);
}
