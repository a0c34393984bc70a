//! HAIP 1.0 on the issuer's side: every SD-JWT VC and status list token names its signer by
//! `x5c` (the credential signer certificate, not self-signed, without the trust anchor),
//! and the anchors the issuer asks the register to record make a register that recognises
//! both that chain and the mdocs' IACA.
//!
//! The chain is read here with `x509-cert` and `ciborium` directly, not through the issuer's
//! key store; an independent reader (`@peculiar/x509` and `@sd-jwt/sd-jwt-vc`) checks the same
//! credentials in `tests/interop-oid4vci/x5c.mjs`.

mod support;

use base64::Engine;
use credentials::keys::{Algorithm, SoftwareSigner};
use credentials::sd_jwt::SdJwt;
use credentials::x509::Certificate;
use support::*;
use time::OffsetDateTime;
use trust_framework::decision::{authorize, Evidence, Reason};
use trust_framework::fixtures::{certificate, event, operator, registration};
use trust_framework::genesis;
use trust_framework::log::Log;
use x509_cert::der::Decode;

/// The register an operator would build from the issuer's own registration request.
fn register_of(t: &TestIssuer, now: OffsetDateTime) -> Log {
    let since = now - time::Duration::days(1);
    let until = now + time::Duration::days(365);
    let log_key = SoftwareSigner::generate(Algorithm::EdDsa).unwrap().0;
    let mut log = Log::new();
    log.append(genesis::genesis("register.test/log", &log_key, since).unwrap())
        .unwrap();
    let reg = registration(
        "idsp",
        "Vouch Test IDSP Ltd",
        &["urn:vouch:uk:pid:1", "org.iso.18013.5.1.mDL"],
        certificate("idsp-1", "cab-a", since, until),
        issuer::registration::anchors(&t.issuer),
        until,
    );
    log.append(event(since, operator(), reg)).unwrap();
    log
}

fn header(jwt: &str) -> serde_json::Value {
    let h = jwt.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn sd_jwt_vcs_and_status_lists_carry_the_signer_chain_to_the_registered_root() {
    let t = issuer().await;
    t.subject("x5c-1").await;
    let offer = t.offer("x5c-1", &["pid_sd_jwt"], false).await;
    let w = t.wallet();
    let token = w
        .token_pre_authorized(&pre_code(&offer), None)
        .await
        .unwrap();
    let device = holder();
    let creds = w.issue(&token, "pid_sd_jwt", &[&device]).await.unwrap();
    let jws = creds[0].split('~').next().unwrap();

    // The header's x5c: one certificate, the signer's, issued by (not equal to) the root.
    let h = header(jws);
    let x5c = h["x5c"].as_array().expect("an x5c header");
    assert_eq!(x5c.len(), 1, "the chain without its trust anchor");
    let der = base64::engine::general_purpose::STANDARD
        .decode(x5c[0].as_str().unwrap())
        .unwrap();
    let leaf = x509_cert::Certificate::from_der(&der).unwrap();
    let root = x509_cert::Certificate::from_der(t.issuer.keys.iaca().der()).unwrap();
    assert_ne!(
        leaf.tbs_certificate.issuer, leaf.tbs_certificate.subject,
        "the signer is not self-signed"
    );
    assert_eq!(leaf.tbs_certificate.issuer, root.tbs_certificate.subject);
    assert_eq!(
        leaf.tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes(),
        t.issuer.keys.active().signer.public_key().as_bytes(),
        "the certificate is the signing key's"
    );
    let leaf_text = format!("{:?}", leaf.tbs_certificate.extensions);
    assert!(
        der.windows(ISSUER.len()).any(|w| w == ISSUER.as_bytes()),
        "the issuer identifier is named in the certificate: {leaf_text}"
    );

    // The register built from the issuer's registration recognises the chain and the iss.
    let now = OffsetDateTime::now_utc();
    let log = register_of(&t, now);
    let chain = [Certificate::from_der(&der).unwrap()];
    let d = authorize(
        log.register(),
        &Evidence::X5c {
            chain: &chain,
            iss: Some(ISSUER),
        },
        "urn:vouch:uk:pid:1",
        "",
        now,
    );
    assert_eq!(d.reason, Reason::Authorized, "{d:?}");
    assert!(SdJwt::parse(&creds[0]).is_ok());

    // The status list token, JWT and CWT, names the same signer.
    let uri = {
        let payload: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jws.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        payload["status"]["status_list"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = w.transport.send("GET", &uri, &[], vec![]).await;
    assert_eq!(r.status, 200);
    let list_header = header(std::str::from_utf8(&r.body).unwrap());
    assert_eq!(list_header["typ"], "statuslist+jwt");
    assert_eq!(list_header["x5c"], h["x5c"]);
    let r = w
        .transport
        .send(
            "GET",
            &uri,
            &[("accept", "application/statuslist+cwt".into())],
            vec![],
        )
        .await;
    let cose: ciborium::Value = ciborium::from_reader(&r.body[..]).unwrap();
    let ciborium::Value::Tag(18, inner) = cose else {
        panic!("a tagged COSE_Sign1")
    };
    let protected = match &*inner {
        ciborium::Value::Array(a) => a[0].as_bytes().unwrap().clone(),
        _ => panic!("a COSE_Sign1 array"),
    };
    let protected: ciborium::Value = ciborium::from_reader(&protected[..]).unwrap();
    let x5chain = protected
        .as_map()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_integer() == Some(33.into()))
        .map(|(_, v)| v.clone())
        .expect("a protected x5chain (label 33)");
    assert_eq!(x5chain.as_bytes(), Some(&der));
}

#[tokio::test]
async fn the_registration_anchors_recognise_the_mdoc_root() {
    let t = issuer().await;
    let now = OffsetDateTime::now_utc();
    let log = register_of(&t, now);
    let d = authorize(
        log.register(),
        &Evidence::Iaca(t.issuer.keys.iaca()),
        "org.iso.18013.5.1.mDL",
        "",
        now,
    );
    assert_eq!(d.reason, Reason::Authorized, "{d:?}");
}

#[tokio::test]
async fn a_key_store_of_the_previous_version_gets_its_signer_certificate() {
    let t = issuer().await;
    let kid = t.issuer.keys.active().kid.clone();
    let keys = t.dir.path().join("keys");
    let path = keys.join(format!("signing-{kid}.x5c.pem"));
    assert!(path.exists());
    // A data directory of the version before: no credential signer certificate.
    std::fs::remove_file(&path).unwrap();
    let again =
        issuer::keys::KeyRing::open(t.dir.path(), "Vouch Test IDSP", "GB", ISSUER, None).unwrap();
    assert_eq!(again.active().kid, kid);
    assert_eq!(again.active().x5c.len(), 1);
    assert!(path.exists(), "made and kept");
    let made = std::fs::read(&path).unwrap();
    let reopened =
        issuer::keys::KeyRing::open(t.dir.path(), "Vouch Test IDSP", "GB", ISSUER, None).unwrap();
    assert_eq!(reopened.active().x5c, again.active().x5c);
    assert_eq!(std::fs::read(&path).unwrap(), made, "not made twice");
}
