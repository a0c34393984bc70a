//! Shared by the registry's tests and load examples: a register on SQLite in a temporary
//! folder, filled with relying-party registrations, served on loopback.
#![allow(dead_code)]

use std::sync::Arc;

use trust_framework::events::EventKind;
use trust_framework::fixtures;
use trust_framework::model::RelyingParty;
use vouch_registry::http::auth::Tokens;
use vouch_registry::http::AppState;
use vouch_registry::service::{Registry, Settings};

pub const ORIGIN: &str = "register.test.vouch.example/log";

pub async fn open(dir: &std::path::Path, keys: &std::path::Path) -> Registry {
    let url = format!("sqlite://{}?mode=rwc", dir.join("registry.db").display());
    Registry::open(
        &url,
        keys,
        Settings {
            origin: ORIGIN.into(),
            snapshot_validity: time::Duration::hours(24),
            write_policy: Default::default(),
        },
    )
    .await
    .unwrap()
}

pub async fn add_relying_parties(r: &Registry, from: usize, n: usize) {
    for i in from..from + n {
        r.append(fixtures::event(
            time::OffsetDateTime::now_utc(),
            fixtures::operator(),
            EventKind::RelyingPartyRegistered {
                relying_party: RelyingParty {
                    relying_party_id: format!("rp-{i:06}"),
                    ..fixtures::employer()
                },
            },
        ))
        .await
        .unwrap();
    }
}

/// Serves `r`; returns its base URL.
pub async fn serve(r: Registry) -> (String, Arc<AppState>) {
    let state = Arc::new(AppState {
        registry: r,
        tokens: Tokens::new("ofdia", "operator-token-0123456789abcdef"),
    });
    let listener = vouch_ops::loopback::listener().await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let s = state.clone();
    tokio::spawn(async move { vouch_registry::http::serve(listener, s).await });
    (base, state)
}
