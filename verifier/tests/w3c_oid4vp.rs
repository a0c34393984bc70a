//! W3C VC 2.0 presentations answering an OpenID4VP DCQL query (`jwt_vc_json` as a
//! `vp+jwt` with nonce and aud, `ldp_vc` as a Data Integrity presentation with challenge and
//! domain), issued by a provider whose `did:key` is a Did anchor in the register.

mod common;

use std::sync::Arc;

use common::{running, signer, Scheme, Story};
use credentials::dcql::DcqlQuery;
use credentials::did;
use credentials::keys::{Signer, SoftwareSigner};
use credentials::w3c::data_integrity::Cryptosuite;
use credentials::w3c::jose::DocKind;
use credentials::w3c::verify::Secured;
use credentials::w3c::{self, IssueOptions, Securing};
use serde_json::{json, Value};
use time::OffsetDateTime;
use trust_framework::model::{AnchorKey, TrustAnchor};
use verifier::oid4vp::SystemClock;
use verifier::pipeline::Expect;
use verifier::status::NoNetwork;
use verifier::vc_api::VcApi;

const CLIENT_ID: &str = "x509_san_dns:employer.example";
const NONCE: &str = "n-0S6_WzA2Mj";

fn scheme(story: Story, idp: SoftwareSigner) -> Scheme {
    let anchor = TrustAnchor {
        anchor_id: "did".into(),
        key: AnchorKey::Did {
            did: did::did_key(idp.public_key()),
        },
    };
    Scheme::build(story, idp, &["RightToWorkCredential"], vec![anchor])
}

fn query(types: &[&str]) -> DcqlQuery {
    DcqlQuery::from_json(&json!({"credentials": [
        {"id": "rtw", "format": "jwt_vc_json", "meta": {"type_values": [types]},
         "claims": [{"path": ["credentialSubject", "given_name"]}, {"path": ["credentialSubject", "family_name"]}]},
        {"id": "rtw_ldp", "format": "ldp_vc", "meta": {"type_values": [types]},
         "claims": [{"path": ["credentialSubject", "given_name"]}]}
    ], "credential_sets": [{"options": [["rtw"], ["rtw_ldp"]]}]}))
    .unwrap()
}

fn credential(issuer: &SoftwareSigner, subject: &SoftwareSigner) -> Value {
    credential_with_status(issuer, subject, None)
}

fn credential_with_status(
    issuer: &SoftwareSigner,
    subject: &SoftwareSigner,
    status_list: Option<&str>,
) -> Value {
    let mut vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "RightToWorkCredential"],
        "issuer": did::did_key(issuer.public_key()),
        "validFrom": yesterday(),
        "validUntil": "2099-01-01T00:00:00Z",
        "credentialSubject": {
            "id": did::did_jwk(subject.public_key()),
            "given_name": "Ada",
            "family_name": "Lovelace",
        }
    });
    if let Some(url) = status_list {
        vc["credentialStatus"] = json!({
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "7", "statusListCredential": url
        });
    }
    vc
}

fn yesterday() -> String {
    (now() - time::Duration::days(1))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A `vp+jwt` holding the issuer's `vc+jwt`, signed by `holder` for `aud` and `nonce`.
fn jwt_vp(
    issuer: &SoftwareSigner,
    subject: &SoftwareSigner,
    holder: &SoftwareSigner,
    aud: &str,
    nonce: &str,
) -> Value {
    jwt_vp_of(&credential(issuer, subject), issuer, holder, aud, nonce)
}

fn jwt_vp_of(
    credential: &Value,
    issuer: &SoftwareSigner,
    holder: &SoftwareSigner,
    aud: &str,
    nonce: &str,
) -> Value {
    let opts = IssueOptions::new(Securing::Jwt, DocKind::Credential);
    let Secured::Compact(vc) = w3c::issue(credential, &opts, issuer, now()).unwrap() else {
        panic!("a vc+jwt is compact")
    };
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did::did_jwk(holder.public_key()),
        "verifiableCredential": [{
            "@context": "https://www.w3.org/ns/credentials/v2",
            "type": "EnvelopedVerifiableCredential",
            "id": format!("data:application/vc+jwt,{vc}"),
        }],
        "nonce": nonce,
        "aud": aud,
    });
    let opts = IssueOptions::new(Securing::Jwt, DocKind::Presentation);
    let Secured::Compact(vp) = w3c::issue(&vp, &opts, holder, now()).unwrap() else {
        panic!("a vp+jwt is compact")
    };
    Value::String(vp)
}

/// A Data Integrity presentation of the issuer's Data Integrity credential.
fn ldp_vp(
    issuer: &SoftwareSigner,
    holder: &SoftwareSigner,
    challenge: &str,
    domain: &str,
) -> Value {
    let suite = Securing::DataIntegrity(Cryptosuite::EcdsaJcs2019);
    let Secured::Document(vc) = w3c::issue(
        &credential(issuer, holder),
        &IssueOptions::new(suite, DocKind::Credential),
        issuer,
        now(),
    )
    .unwrap() else {
        panic!("a Data Integrity credential is a document")
    };
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": did::did_jwk(holder.public_key()),
        "verifiableCredential": [vc],
    });
    let mut opts = IssueOptions::new(suite, DocKind::Presentation);
    opts.verification_method = Some(format!("{}#0", did::did_jwk(holder.public_key())));
    opts.challenge = Some(challenge.into());
    opts.domain = Some(domain.into());
    let Secured::Document(vp) = w3c::issue(&vp, &opts, holder, now()).unwrap() else {
        panic!("a Data Integrity presentation is a document")
    };
    vp
}

async fn check(s: &Scheme, format: &str, item: &Value, q: &DcqlQuery) -> (bool, String, Value) {
    check_with(s, format, item, q, VcApi::new(Arc::new(SystemClock))).await
}

async fn check_with(
    s: &Scheme,
    format: &str,
    item: &Value,
    q: &DcqlQuery,
    fetch: VcApi,
) -> (bool, String, Value) {
    let r = running(s, Arc::new(NoNetwork)).await;
    let id = if format == "ldp_vc" { "rtw_ldp" } else { "rtw" };
    let ex = Expect {
        client_id: CLIENT_ID,
        nonce: NONCE,
        transcript: None,
        query: Some((q, id)),
        now: now(),
    };
    let out = r
        .service
        .verifier
        .verify_w3c(&fetch, format, item, &ex)
        .await;
    let code = out
        .report
        .error
        .as_ref()
        .map(|e| e.code.clone())
        .unwrap_or_default();
    let report = serde_json::to_value(&out.report).unwrap();
    (out.report.valid, code, report)
}

#[tokio::test]
async fn registered_issuer_holder_bound_presentations_verify_in_both_formats() {
    let s = scheme(Story::Good, signer());
    let idp = &s.idp;
    let q = query(&["VerifiableCredential", "RightToWorkCredential"]);
    let jwt = jwt_vp(idp, &s.holder, &s.holder, CLIENT_ID, NONCE);
    let (valid, code, report) = check(&s, "jwt_vc_json", &jwt, &q).await;
    assert!(valid, "{code}: {report}");
    assert_eq!(report["claims"]["given_name"], "Ada");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for n in [
        "issuer_signature",
        "trust_register",
        "holder_binding",
        "status",
        "request",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let ldp = ldp_vp(idp, &s.holder, NONCE, CLIENT_ID);
    let (valid, code, report) = check(&s, "ldp_vc", &ldp, &q).await;
    assert!(valid, "{code}: {report}");
}

#[tokio::test]
async fn each_broken_binding_trust_or_query_is_refused_with_its_code() {
    let s = scheme(Story::Good, signer());
    let idp = &s.idp;
    let q = query(&["VerifiableCredential", "RightToWorkCredential"]);
    let other = signer();
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "wrong nonce",
            "jwt_vc_json",
            jwt_vp(idp, &s.holder, &s.holder, CLIENT_ID, "replayed"),
            "nonce_mismatch",
        ),
        (
            "another verifier",
            "jwt_vc_json",
            jwt_vp(
                idp,
                &s.holder,
                &s.holder,
                "x509_san_dns:other.example",
                NONCE,
            ),
            "aud_mismatch",
        ),
        (
            "credential of someone else",
            "jwt_vc_json",
            jwt_vp(idp, &other, &s.holder, CLIENT_ID, NONCE),
            "holder_mismatch",
        ),
        (
            "unregistered issuer",
            "jwt_vc_json",
            jwt_vp(&other, &s.holder, &s.holder, CLIENT_ID, NONCE),
            "unknown_anchor",
        ),
        (
            "wrong challenge",
            "ldp_vc",
            ldp_vp(idp, &s.holder, "replayed", CLIENT_ID),
            "wrong_challenge",
        ),
        (
            "wrong domain",
            "ldp_vc",
            ldp_vp(idp, &s.holder, NONCE, "x509_san_dns:other.example"),
            "wrong_domain",
        ),
        (
            "a string for ldp_vc",
            "ldp_vc",
            json!("eyJ.e30.sig"),
            "format_mismatch",
        ),
        (
            "an object for jwt_vc_json",
            "jwt_vc_json",
            json!({}),
            "format_mismatch",
        ),
    ];
    for (what, format, item, want) in cases {
        let (valid, code, report) = check(&s, format, &item, &q).await;
        assert!(!valid, "{what}");
        assert_eq!(code, want, "{what}: {report}");
        assert!(report["claims"].is_null(), "{what}: no claims on failure");
    }
    // The query asks for another type.
    let passport = query(&["VerifiableCredential", "PassportCredential"]);
    let jwt = jwt_vp(idp, &s.holder, &s.holder, CLIENT_ID, NONCE);
    let (valid, code, _) = check(&s, "jwt_vc_json", &jwt, &passport).await;
    assert!(!valid);
    assert_eq!(code, "request_not_satisfied");
    // The tampered presentation signature.
    let Value::String(text) = jwt_vp(idp, &s.holder, &s.holder, CLIENT_ID, NONCE) else {
        unreachable!()
    };
    let mut parts: Vec<String> = text.split('.').map(str::to_string).collect();
    parts[2] = format!("A{}", &parts[2][1..]);
    let (valid, code, _) = check(&s, "jwt_vc_json", &Value::String(parts.join(".")), &q).await;
    assert!(!valid);
    assert!(!code.is_empty());
}

#[tokio::test]
async fn a_suspended_provider_certificate_fails_the_trust_check() {
    let s = scheme(Story::Suspended, signer());
    let idp = &s.idp;
    let q = query(&["VerifiableCredential", "RightToWorkCredential"]);
    let jwt = jwt_vp(idp, &s.holder, &s.holder, CLIENT_ID, NONCE);
    let (valid, code, report) = check(&s, "jwt_vc_json", &jwt, &q).await;
    assert!(!valid);
    let failed = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["ok"] == false)
        .unwrap();
    assert_eq!(failed["name"], "trust_register", "{code}: {report}");
}

/// Issue 16, "fetches a status list only after the signature and register checks pass": a
/// presentation of a credential from an issuer the register does not name, whose status
/// list is on a host the fetch policy allows, is refused by the register without a
/// connection to that host; the registered issuer's credential naming the same list does
/// make the verifier connect (and, nothing answering there, its status is unknown).
#[tokio::test]
async fn a_status_list_is_fetched_only_for_a_credential_the_register_trusts() {
    use std::sync::atomic::Ordering;
    let (port, conns) = vouch_ops::loopback::counting_port().await.unwrap();
    let list = format!("http://127.0.0.1:{port}/status/1");
    let fetch = || {
        VcApi::with_policy(
            Arc::new(SystemClock),
            vouch_fetch::FetchPolicy {
                allowed_origins: vec![format!("http://127.0.0.1:{port}")],
                ..Default::default()
            },
        )
    };
    let s = scheme(Story::Good, signer());
    let q = query(&["VerifiableCredential", "RightToWorkCredential"]);
    let stranger = signer();
    let forged = credential_with_status(&stranger, &s.holder, Some(&list));
    let vp = jwt_vp_of(&forged, &stranger, &s.holder, CLIENT_ID, NONCE);
    let (valid, code, report) = check_with(&s, "jwt_vc_json", &vp, &q, fetch()).await;
    assert!(!valid, "{report}");
    assert_eq!(code, "unknown_anchor", "{report}");
    assert_eq!(
        conns.load(Ordering::SeqCst),
        0,
        "the verifier fetched the list"
    );

    let genuine = credential_with_status(&s.idp, &s.holder, Some(&list));
    let vp = jwt_vp_of(&genuine, &s.idp, &s.holder, CLIENT_ID, NONCE);
    let (valid, code, report) = check_with(&s, "jwt_vc_json", &vp, &q, fetch()).await;
    assert!(!valid, "{report}");
    assert_eq!(code, "status_unknown", "{report}");
    assert!(conns.load(Ordering::SeqCst) >= 1, "{report}");
}

/// A presentation is bound to the request whatever carries it: a holder's `vp+jwt` wrapped
/// in an `EnvelopedVerifiablePresentation` and answered as `ldp_vc` (whose binding is a
/// Data Integrity `challenge`) is refused, made for another request (`nonce_mismatch`) or
/// for this one (`format_mismatch`: an `ldp_vc` answer is a Data Integrity presentation).
/// On main neither nonce nor challenge was compared on that path.
#[tokio::test]
async fn an_enveloped_jwt_presentation_cannot_stand_in_for_ldp_vc() {
    let s = scheme(Story::Good, signer());
    let q = query(&["VerifiableCredential", "RightToWorkCredential"]);
    for (nonce, code) in [
        ("another-request", "nonce_mismatch"),
        (NONCE, "format_mismatch"),
    ] {
        let Value::String(jwt) = jwt_vp(&s.idp, &s.holder, &s.holder, CLIENT_ID, nonce) else {
            panic!("a vp+jwt is a string")
        };
        let envelope = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "EnvelopedVerifiablePresentation",
            "id": format!("data:application/vp+jwt,{jwt}"),
        });
        let (valid, got, report) = check(&s, "ldp_vc", &envelope, &q).await;
        assert!(!valid, "{report}");
        assert_eq!(got, code, "{report}");
    }
}

/// The register decides on the type that needs a role of its issuer: a wallet provider
/// registered for `OtherType` and `RightToWorkCredential` cannot pass a right-to-work
/// credential off by listing `OtherType` first (`role_not_certified`). On main the decision
/// took the first type and passed.
#[tokio::test]
async fn the_register_judges_the_right_to_work_type_whatever_comes_first() {
    let idp = signer();
    let anchor = TrustAnchor {
        anchor_id: "did".into(),
        key: AnchorKey::Did {
            did: did::did_key(idp.public_key()),
        },
    };
    let s = Scheme::build(
        Story::WalletProvider,
        idp,
        &["OtherType", "RightToWorkCredential"],
        vec![anchor],
    );
    let mut vc = credential(&s.idp, &s.holder);
    vc["type"] = json!(["VerifiableCredential", "OtherType", "RightToWorkCredential"]);
    let vp = jwt_vp_of(&vc, &s.idp, &s.holder, CLIENT_ID, NONCE);
    let q = query(&["VerifiableCredential", "RightToWorkCredential"]);
    let (valid, code, report) = check(&s, "jwt_vc_json", &vp, &q).await;
    assert!(!valid, "{report}");
    assert_eq!(code, "role_not_certified", "{report}");
}
