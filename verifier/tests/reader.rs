//! mdoc through the verifier: the ISO 18013-5 reader (QR engagement, session establishment,
//! reader-authenticated DeviceRequest, response through the pipeline with the trust
//! register) against a holder built from `credentials::mdoc` over a `MemoryTransport`; and
//! the mdoc path of the OpenID4VP endpoint (DeviceResponse bound to the OpenID4VPHandover
//! transcript, `direct_post` and `direct_post.jwt`).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use ciborium::Value as Cbor;
use common::{client, now, signer, wallet, MemFetcher, Scheme, Story, STATUS_URI};
use credentials::b64;
use credentials::dcql::DcqlQuery;
use credentials::jose::jwe::Enc;
use credentials::keys::{provider, KeyKind, PublicKey, Signer, SoftwareSigner};
use credentials::mdoc::session::{
    DeviceEngagement, MemoryTransport, Role, SessionData, SessionEncryption, SessionEstablishment,
    Transport, STATUS_SESSION_TERMINATION,
};
use credentials::mdoc::{
    device_response, present_document, reader_auth, DeviceKeyAuth, DeviceRequest, IssueRequest,
    IssuerSigned, ItemsRequest, MdocIssuer, Selection, SessionTranscript, ValidityInfo,
    MDL_DOCTYPE, MDL_NAMESPACE,
};
use credentials::openid4vp::AuthorizationResponse;
use credentials::x509::{profile, Certificate};
use serde_json::{json, Value};
use trust_framework::model::{AnchorKey, TrustAnchor};
use verifier::oid4vp::SystemClock;
use verifier::policy::Policy;
use verifier::reader::{self, Reader, ReaderError};

struct Pki {
    iaca: Certificate,
    ds: Certificate,
    ds_key: SoftwareSigner,
}

fn pki(name: &str) -> Pki {
    let iaca_key: Arc<dyn Signer> = Arc::new(signer());
    let iaca = profile::iaca(iaca_key.clone(), "GB", name, 3650).unwrap();
    let ds_key = signer();
    let ds =
        profile::document_signer(ds_key.public_key(), &iaca, iaca_key, "Test DS", 400).unwrap();
    Pki { iaca, ds, ds_key }
}

fn iaca_anchor(c: &Certificate) -> TrustAnchor {
    TrustAnchor {
        anchor_id: "iaca-1".into(),
        key: AnchorKey::Iaca {
            certificate: b64::encode(c.der()),
        },
    }
}

fn issue(p: &Pki, device: &PublicKey) -> IssuerSigned {
    let t = now().unix_timestamp();
    let ns = vec![(
        MDL_NAMESPACE.to_string(),
        vec![
            ("family_name".into(), Cbor::Text("Lovelace".into())),
            ("given_name".into(), Cbor::Text("Ada".into())),
            (
                "birth_date".into(),
                Cbor::Tag(1004, Box::new(Cbor::Text("1990-12-10".into()))),
            ),
            ("issuing_country".into(), Cbor::Text("GB".into())),
            ("age_over_18".into(), Cbor::Bool(true)),
        ],
    )];
    MdocIssuer::new(&p.ds_key, vec![p.ds.clone()])
        .unwrap()
        .issue(&IssueRequest {
            doc_type: MDL_DOCTYPE,
            name_spaces: &ns,
            device_key: device,
            key_authorizations: None,
            validity: ValidityInfo {
                signed: t,
                valid_from: t,
                valid_until: t + 86400,
                expected_update: None,
            },
            decoys: 2,
            status: None,
        })
        .unwrap()
}

fn items(names: &[&str]) -> ItemsRequest {
    ItemsRequest {
        doc_type: MDL_DOCTYPE.into(),
        name_spaces: BTreeMap::from([(
            MDL_NAMESPACE.to_string(),
            names.iter().map(|n| (n.to_string(), false)).collect(),
        )]),
    }
}

/// A scheme whose provider also issues mDLs under a registered IACA root.
fn mdl_scheme(p: &Pki) -> Scheme {
    Scheme::build(
        Story::Good,
        signer(),
        &[MDL_DOCTYPE],
        vec![iaca_anchor(&p.iaca)],
    )
}

struct ReaderPki {
    root: Certificate,
    reader: Reader,
}

fn reader_pki(name: &str) -> ReaderPki {
    let root_key: Arc<dyn Signer> = Arc::new(signer());
    let root = profile::reader_root(root_key.clone(), "Reader Root", 30).unwrap();
    let key = signer();
    let cert = profile::reader(key.public_key(), &root, root_key, name, 30).unwrap();
    ReaderPki {
        root,
        reader: Reader {
            signer: Arc::new(key),
            chain: vec![cert],
        },
    }
}

/// The holder: shows `qr`, answers one request over `end` after checking the reader's
/// authentication against `reader_roots`; refuses (status 10) a reader it cannot authenticate.
/// Returns the reader subject it saw.
fn holder(
    mut end: MemoryTransport,
    e_device: credentials::keys::SecretKey,
    engagement: DeviceEngagement,
    issued: IssuerSigned,
    device: SoftwareSigner,
    reader_roots: Vec<Certificate>,
) -> std::thread::JoinHandle<Result<String, String>> {
    std::thread::spawn(move || {
        let est = SessionEstablishment::from_cbor(&end.receive().unwrap()).unwrap();
        let transcript = SessionTranscript::qr(&engagement.raw, &est.e_reader_key);
        let mut session =
            SessionEncryption::new(Role::Mdoc, &e_device, &est.e_reader_key, &transcript).unwrap();
        let request = DeviceRequest::from_cbor(&session.decrypt(&est.data).unwrap()).unwrap();
        let doc_request = &request.doc_requests[0];
        let reader = match reader_auth::verify(
            doc_request,
            &transcript,
            &reader_roots,
            now().unix_timestamp(),
        ) {
            Ok(r) => r,
            Err(e) => {
                // 10: error, session encryption; the holder ends the session without data.
                end.send(
                    SessionData {
                        data: None,
                        status: Some(10),
                    }
                    .to_cbor(),
                )
                .unwrap();
                return Err(e.to_string());
            }
        };
        let doc = present_document(
            &issued,
            &Selection::Request(&doc_request.items_request),
            &|_, _| true,
            &DeviceKeyAuth::Signature(&device),
            &transcript,
        )
        .unwrap();
        let data = session.encrypt(&device_response(&[doc])).unwrap();
        end.send(
            SessionData {
                data: Some(data),
                status: None,
            }
            .to_cbor(),
        )
        .unwrap();
        let bye = SessionData::from_cbor(&end.receive().unwrap()).unwrap();
        assert_eq!(bye.status, Some(STATUS_SESSION_TERMINATION));
        Ok(reader.subject())
    })
}

/// One proximity session; the outcome and what the holder said.
async fn proximity(
    scheme: &Scheme,
    issuer_pki: &Pki,
    rp: ReaderPki,
    holder_trusts: Vec<Certificate>,
    ask: ItemsRequest,
) -> (
    Result<verifier::pipeline::Outcome, ReaderError>,
    Result<String, String>,
) {
    let r = common::running(
        scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
    )
    .await;
    let device_key = provider::default().generate(KeyKind::P256).unwrap();
    let device = SoftwareSigner::new(&device_key).unwrap();
    let issued = issue(issuer_pki, device_key.public_key());
    let e_device = provider::default().generate(KeyKind::P256).unwrap();
    let engagement = DeviceEngagement::new(e_device.public_key(), None);
    let qr = engagement.to_qr();
    let (holder_end, mut reader_end) = MemoryTransport::pair();
    let h = holder(
        holder_end,
        e_device,
        engagement,
        issued,
        device,
        holder_trusts,
    );
    let exchanged = tokio::task::spawn_blocking(move || {
        rp.reader
            .exchange(&qr, std::slice::from_ref(&ask), &mut reader_end)
    })
    .await
    .unwrap();
    let seen = h.join().unwrap();
    let out = match exchanged {
        Ok(x) => Ok(reader::verify(&r.service.verifier, &x, now()).await),
        Err(e) => Err(e),
    };
    (out, seen)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proximity_reader_authenticates_and_verifies_through_the_trust_register() {
    let p = pki("Test IACA");
    let scheme = mdl_scheme(&p);
    let rp = reader_pki("Employer Ltd");
    let root = rp.root.clone();
    let (out, seen) = proximity(
        &scheme,
        &p,
        rp,
        vec![root],
        items(&["family_name", "given_name", "birth_date"]),
    )
    .await;
    assert!(
        seen.unwrap().contains("Employer Ltd"),
        "the holder authenticated the reader"
    );
    let out = out.unwrap();
    let report = serde_json::to_value(&out.report).unwrap();
    assert_eq!(report["valid"], true, "{report:#}");
    assert_eq!(check(&report, "trust_register")["ok"], true);
    assert!(check(&report, "trust_register")["detail"]
        .as_str()
        .unwrap()
        .contains("Test Identity Ltd"));
    assert_eq!(check(&report, "request")["ok"], true, "{report:#}");
    assert_eq!(out.trust.unwrap().entry_id.as_deref(), Some("idp"));
    let claims = &report["claims"][MDL_NAMESPACE];
    assert_eq!(claims["family_name"], "Lovelace");
    assert_eq!(claims.as_object().unwrap().len(), 3, "only what was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proximity_refusals_unregistered_iaca_and_unauthenticated_reader() {
    // An mDL under an IACA the register does not know: unknown anchor.
    let registered = pki("Test IACA");
    let scheme = mdl_scheme(&registered);
    let rogue = pki("Rogue IACA");
    let rp = reader_pki("Employer Ltd");
    let root = rp.root.clone();
    let (out, _) = proximity(&scheme, &rogue, rp, vec![root], items(&["family_name"])).await;
    let report = serde_json::to_value(out.unwrap().report).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["error"]["code"], "unknown_anchor", "{report:#}");
    assert_eq!(check(&report, "trust_register")["ok"], false);

    // A holder that does not trust this reader's root ends the session: no response.
    let rp = reader_pki("Employer Ltd");
    let other_root = reader_pki("Someone").root;
    let (out, seen) = proximity(
        &scheme,
        &registered,
        rp,
        vec![other_root],
        items(&["family_name"]),
    )
    .await;
    assert!(seen.is_err());
    assert!(
        matches!(out, Err(ReaderError::Ended(10))),
        "{:?}",
        out.err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid4vp_mdoc_response_bound_to_the_handover_is_verified() {
    let p = pki("Test IACA");
    let scheme = mdl_scheme(&p);
    let query = DcqlQuery::from_json(&json!({"credentials": [{
        "id": "mdl", "format": "mso_mdoc", "meta": {"doctype_value": MDL_DOCTYPE},
        "claims": [{"path": [MDL_NAMESPACE, "family_name"]}, {"path": [MDL_NAMESPACE, "birth_date"]}]
    }]}))
    .unwrap();
    let r = common::verifier_with_templates(
        &scheme,
        MemFetcher::serving(STATUS_URI, scheme.status_token(0)),
        Policy::default(),
        Arc::new(SystemClock),
        BTreeMap::from([("mdl".to_string(), query)]),
    )
    .await;
    let device_key = provider::default().generate(KeyKind::P256).unwrap();
    let device = SoftwareSigner::new(&device_key).unwrap();
    let issued = issue(&p, device_key.public_key());

    for (mode, bind_to_other_nonce) in [
        ("direct_post.jwt", false),
        ("direct_post", false),
        ("direct_post.jwt", true),
    ] {
        let created: Value = client()
            .post(format!("{}/api/transactions", r.base))
            .json(&json!({"template": "mdl", "response_mode": mode}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        let req = wallet::request_from_link(&r, created["wallet_url"].as_str().unwrap()).await;
        let thumb = req
            .encryption_keys
            .first()
            .map(|k| b64::decode(&k.thumbprint()).unwrap());
        let nonce = if bind_to_other_nonce {
            "another-nonce".to_string()
        } else {
            req.nonce.clone()
        };
        let transcript = SessionTranscript::openid4vp(
            &req.client_id.as_string(),
            &nonce,
            thumb.as_deref(),
            &req.response_uri,
        );
        let ask = items(&["family_name", "birth_date"]);
        let doc = present_document(
            &issued,
            &Selection::Request(&ask),
            &|_, _| true,
            &DeviceKeyAuth::Signature(&device),
            &transcript,
        )
        .unwrap();
        let resp = AuthorizationResponse {
            vp_token: [(
                "mdl".to_string(),
                vec![Value::String(b64::encode(device_response(&[doc])))],
            )]
            .into(),
            state: req.state.clone(),
            error: None,
            error_description: None,
        };
        let posted = if mode == "direct_post.jwt" {
            let jwe = resp.encrypt(&req.encryption_keys[0], Enc::A128Gcm).unwrap();
            client()
                .post(&req.response_uri)
                .form(&[("response", jwe)])
                .send()
                .await
                .unwrap()
        } else {
            client()
                .post(&req.response_uri)
                .form(&resp.to_form())
                .send()
                .await
                .unwrap()
        };
        assert_eq!(posted.status(), 200, "{mode}");
        let t: Value = client()
            .get(format!("{}/api/transactions/{id}", r.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let report = &t["outcome"]["report"];
        if bind_to_other_nonce {
            assert_eq!(report["valid"], false, "{report:#}");
            assert_eq!(check(report, "holder_binding")["ok"], false, "{report:#}");
            assert_eq!(report["error"]["code"], "device_signature_invalid");
            continue;
        }
        assert_eq!(report["valid"], true, "{mode}: {report:#}");
        assert_eq!(report["format"], "mso_mdoc");
        assert_eq!(check(report, "trust_register")["ok"], true);
        assert_eq!(check(report, "request")["ok"], true);
        assert_eq!(report["claims"][MDL_NAMESPACE]["family_name"], "Lovelace");
        assert_eq!(t["outcome"]["entry_id"], "idp");
    }
}
