//! In-process peers for the wallet's tests: an OpenID4VCI issuer and an OpenID4VP verifier
//! that follow the specs (the real `issuer` and `verifier` services were not ready when
//! these tests were written; swap them in when they are).
#![allow(dead_code)]

pub mod bindings;
pub mod issuer;
pub mod verifier;

use std::collections::BTreeMap;

use time::OffsetDateTime;
use trust_framework::model::{Purpose, RelyingParty};
use trust_framework::register::{Register, RelyingPartyRecord};

pub const PID_VCT: &str = "urn:vouch:uk:pid:1";
pub const FAMILY_NAME: &str = "Lovelace-claim-7f3a";

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A register where the employer at `https://localhost` registered `right_to_work`.
pub fn register() -> Register {
    let mut r = Register::default();
    r.relying_parties.insert(
        "https://localhost".into(),
        RelyingPartyRecord {
            relying_party: RelyingParty {
                relying_party_id: "https://localhost".into(),
                name: "Example Employer plc".into(),
                company_number: None,
                purposes: vec![Purpose {
                    purpose: "right_to_work".into(),
                    description: "Right-to-work check".into(),
                    credential_types: vec![PID_VCT.into(), credentials::mdoc::MDL_DOCTYPE.into()],
                    claims: ["given_name", "family_name", "birthdate", "portrait"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                    retention: None,
                }],
            },
            registered_at: OffsetDateTime::now_utc(),
            log_index: 1,
            removed_at: None,
        },
    );
    let _ = BTreeMap::<(), ()>::new();
    r
}

pub async fn serve(router: axum::Router) -> u16 {
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}
