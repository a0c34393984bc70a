//! The register as registrar (ETSI TS 119 475): each registered relying party gets an
//! `rc-wrp+jwt` over HTTP whose chain leads to the registrar CA its snapshot names, and a
//! removed relying party gets none and shows revoked in the registrar's status list.
//!
//! The certificate's chain and signature are checked here with `x509-cert` and the JOSE
//! verifier against the CA taken from the snapshot, the way a wallet does offline.

mod common;

use credentials::jose::CompactJws;
use credentials::status::{StatusListToken, StatusReference, INVALID, VALID};
use credentials::x509::Certificate;
use trust_framework::events::EventKind;
use trust_framework::fixtures;
use trust_framework::registration_certificate::{RegistrationCertificate, TYP};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[tokio::test]
async fn relying_parties_get_registration_certificates_until_they_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let r = common::open(dir.path(), dir.path()).await;
    common::add_relying_parties(&r, 0, 3).await;
    let (base, state) = common::serve(r).await;
    state.registry.set_public_url(&base);
    let http = reqwest::Client::new();

    // The registrar CA, as the snapshot names it.
    let snapshot = state.registry.snapshot().await.unwrap();
    let payload: serde_json::Value =
        serde_json::from_slice(CompactJws::parse(&snapshot.jws).unwrap().payload()).unwrap();
    let roots: Vec<Certificate> = payload["registrar_roots"]
        .as_array()
        .expect("the snapshot names the registrar root")
        .iter()
        .map(|r| {
            Certificate::from_der(&credentials::b64::decode(r.as_str().unwrap()).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(roots.len(), 1);

    let get = |path: String| {
        let http = http.clone();
        async move { http.get(path).send().await.unwrap() }
    };
    let certificate = |id: &str| {
        get(format!(
            "{base}/relying-parties/{id}/registration-certificate"
        ))
    };
    let r = certificate("rp-000001").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/rc-wrp+jwt"
    );
    let jwt = r.text().await.unwrap();
    assert_eq!(CompactJws::parse(&jwt).unwrap().header().typ(), Some(TYP));
    let rc = RegistrationCertificate::verify(&jwt, &roots, now()).unwrap();
    assert_eq!(rc.sub, "rp-000001");
    assert_eq!(rc.name, fixtures::employer().name);
    assert_eq!(rc.purposes, fixtures::employer().purposes);
    let status = StatusReference::from_json(rc.status.as_ref().unwrap()).unwrap();
    assert_eq!(status.idx, 1, "its place in order of registration");
    assert!(status.uri.starts_with(&base));

    // Not under another root.
    let stranger = credentials::x509::dev::self_signed(
        &credentials::x509::dev::CertSpec {
            common_name: "Other registrar".into(),
            days: 30,
            ca: Some(Some(0)),
            ..Default::default()
        },
        std::sync::Arc::new(
            credentials::keys::SoftwareSigner::generate(credentials::keys::Algorithm::Es256)
                .unwrap()
                .0,
        ),
    )
    .unwrap();
    assert!(RegistrationCertificate::verify(&jwt, &[stranger], now()).is_err());

    let remove = |id: &'static str| {
        let state = state.clone();
        async move {
            state
                .registry
                .append(fixtures::event(
                    time::OffsetDateTime::now_utc(),
                    fixtures::operator(),
                    EventKind::RelyingPartyRemoved {
                        relying_party_id: id.into(),
                        reason: "asked for more than it registered".into(),
                    },
                ))
                .await
        }
    };
    let list_status = |text: String| {
        let jws = CompactJws::parse(&text).unwrap();
        let leaf = Certificate::from_der(&jws.header().x5c().unwrap().unwrap()[0]).unwrap();
        credentials::x509::validate_chain(
            std::slice::from_ref(&leaf),
            &roots,
            now(),
            &Default::default(),
        )
        .unwrap();
        StatusListToken::verify_jwt(&text, &leaf.public_key().unwrap(), &status.uri, now())
            .unwrap()
            .status(status.idx)
            .unwrap()
    };
    let text = get(status.uri.clone()).await.text().await.unwrap();
    assert_eq!(list_status(text), VALID);

    // Removed: no new certificate, and the old one shows revoked.
    remove("rp-000001").await.unwrap();
    let r = certificate("rp-000001").await;
    assert_eq!(r.status(), 404);
    let text = get(status.uri.clone()).await.text().await.unwrap();
    assert_eq!(list_status(text), INVALID);
    // The others are untouched.
    let r = certificate("rp-000002").await;
    assert_eq!(r.status(), 200);
    // Removing it twice is refused.
    let again = remove("rp-000001").await.unwrap_err().to_string();
    assert!(again.contains("no relying party"), "{again}");
}
