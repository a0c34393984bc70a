//! Reading the forgery corpus from Rust tests, shared by the crates that test it
//! (`verifier/tests/forgery.rs`, `wallet-core/tests/receipt_forgery.rs`, included with
//! `#[path]`): the manifest, its files, its clock, and the register in which the corpus's
//! provider is the one certified entry.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use credentials::b64;
use credentials::keys::Signer;
use serde_json::Value;
use time::OffsetDateTime;
use trust_framework::fixtures::{certificate, event, operator, registration};
use trust_framework::genesis;
use trust_framework::log::Log;
use trust_framework::model::{AnchorKey, TrustAnchor};

/// The log origin of the story's register.
pub const ORIGIN: &str = "register.test/log";

/// The corpus folder.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/forgery")
}

/// A corpus file.
pub fn read(p: &str) -> Vec<u8> {
    std::fs::read(dir().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// `manifest.json`.
pub fn manifest() -> Value {
    serde_json::from_slice(&read("manifest.json")).unwrap()
}

/// The corpus's verification time.
pub fn at(m: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(
        m["at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

/// The provider's anchors: its root (SD-JWT VC `x5c`), its IACA (mdoc) and its DIDs.
pub fn provider_anchors(m: &Value) -> Vec<TrustAnchor> {
    let t = &m["trust"];
    let cert = |k: &str| b64::encode(read(t[k].as_str().unwrap()));
    let mut anchors = vec![
        TrustAnchor {
            anchor_id: "root".into(),
            key: AnchorKey::X5cRoot {
                certificate: cert("provider_root"),
            },
        },
        TrustAnchor {
            anchor_id: "iaca".into(),
            key: AnchorKey::Iaca {
                certificate: cert("provider_iaca"),
            },
        },
    ];
    // Its issuer identifier: the `iss` of its SD-JWT VCs, with its issuing key.
    let keys: Value = serde_json::from_slice(&read("corpus/keys.json")).unwrap();
    anchors.push(TrustAnchor {
        anchor_id: "iss".into(),
        key: AnchorKey::IssKey {
            iss: t["provider_iss"].as_str().unwrap().into(),
            jwk: keys["provider"]["sd-jwt-issuer"]["public_jwk"].clone(),
        },
    });
    for (i, d) in t["provider_dids"].as_array().unwrap().iter().enumerate() {
        anchors.push(TrustAnchor {
            anchor_id: format!("did-{i}"),
            key: AnchorKey::Did {
                did: d.as_str().unwrap().into(),
            },
        });
    }
    anchors
}

/// The register's log: the genesis, then the provider registered 200 days before the
/// corpus's time, certified for every type of the corpus for a year after it.
pub fn provider_log(m: &Value, log_key: &dyn Signer) -> Log {
    let now = at(m);
    let since = now - time::Duration::days(200);
    let until = now + time::Duration::days(365);
    let mut log = Log::new();
    log.append(genesis::genesis(ORIGIN, log_key, since).unwrap())
        .unwrap();
    let reg = registration(
        "provider",
        "Provider Ltd",
        &[
            "VerifiableCredential",
            "urn:vouch:uk:right-to-work:1",
            "org.iso.18013.5.1.mDL",
        ],
        certificate("provider-1", "cab-a", since, until),
        provider_anchors(m),
        until,
    );
    log.append(event(since, operator(), reg)).unwrap();
    log
}
