//! The VICAL (ISO/IEC 18013-5 Annex C): the register's live IACAs as a CBOR `COSE_Sign1`
//! with the register's VICAL signing certificate in its `x5chain`, read and its signature
//! checked by an independent reader (Python cbor2 and cryptography, from the standard and
//! RFC 9052); its issue id grows with the log; a retired provider's IACA leaves it.

use std::sync::Arc;

use credentials::keys::{Algorithm, SoftwareSigner};
use credentials::x509::dev::{self_signed, CertSpec};
use time::OffsetDateTime;
use trust_framework::events::EventKind;
use trust_framework::fixtures;
use trust_framework::model::{AnchorKey, RemovalReason, TrustAnchor};
use vouch_registry::service::{Registry, Settings};

#[tokio::test]
async fn the_vical_lists_the_live_iacas_signed_for_an_independent_reader() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    let r = Registry::open(
        &url,
        &dir.path().join("keys"),
        Settings {
            origin: "register.test.vouch.example/log".into(),
            snapshot_validity: time::Duration::hours(24),
            write_policy: Default::default(),
        },
    )
    .await
    .unwrap();
    let now = OffsetDateTime::now_utc();
    for (id, name) in [("dvla", "Driver Licensing Agency"), ("other", "Other Ltd")] {
        let (iaca_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
        let iaca = self_signed(
            &CertSpec {
                common_name: format!("{name} IACA"),
                country: Some("GB".into()),
                days: 3650,
                ca: Some(Some(0)),
                ..Default::default()
            },
            Arc::new(iaca_key),
        )
        .unwrap();
        r.append(fixtures::event(
            now,
            fixtures::operator(),
            fixtures::registration(
                id,
                name,
                &["org.iso.18013.5.1.mDL"],
                fixtures::certificate(
                    &format!("{id}-1"),
                    "cab-a",
                    now - time::Duration::days(1),
                    now + time::Duration::days(365),
                ),
                vec![TrustAnchor {
                    anchor_id: "iaca-1".into(),
                    key: AnchorKey::Iaca {
                        certificate: credentials::b64::encode(iaca.der()),
                    },
                }],
                now + time::Duration::days(365),
            ),
        ))
        .await
        .unwrap();
    }
    r.append(fixtures::event(
        now,
        fixtures::operator(),
        EventKind::EntryRemoved {
            entry_id: "other".into(),
            reason: RemovalReason::ProviderRequest,
        },
    ))
    .await
    .unwrap();
    let vical = r.vical_cbor().await.unwrap();
    let (file, cert) = (dir.path().join("vical.cose"), dir.path().join("signer.pem"));
    std::fs::write(&file, &vical).unwrap();
    std::fs::write(&cert, r.vical_certificate()).unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vical/check_vical.py");
    let out = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .arg(&cert)
        .output()
        .await
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(read["provider"], "register.test.vouch.example/log");
    assert_eq!(
        read["issue_id"], 4,
        "genesis, two registrations, one removal"
    );
    let infos = read["infos"].as_array().unwrap();
    assert_eq!(
        infos.len(),
        1,
        "the removed provider's IACA is not listed: {read}"
    );
    assert_eq!(infos[0]["issuingAuthority"], "Driver Licensing Agency");
    assert_eq!(infos[0]["docType"][0], "org.iso.18013.5.1.mDL");
}
