//! Issue, present and verify mdocs made by Vouch itself: DeviceSignature and DeviceMac,
//! every algorithm, the age_over_NN nearest-match rule, keyAuthorizations, and a whole
//! proximity session (engagement QR, SessionEstablishment, reader authentication,
//! SessionData, termination) over an in-memory transport.

use std::collections::BTreeMap;
use std::sync::Arc;

use ciborium::Value;
use credentials::keys::{provider, Algorithm, KeyKind, Signer, SoftwareSigner};
use credentials::mdoc::session::{
    DeviceEngagement, MemoryTransport, Role, SessionData, SessionEncryption, SessionEstablishment,
    Transport, STATUS_SESSION_TERMINATION,
};
use credentials::mdoc::{
    device_response, present_document, reader_auth, verify_report, DeviceKeyAuth, DeviceRequest,
    DocRequest, IssueRequest, IssuerSigned, ItemsRequest, MdocIssuer, MdocVerifyOptions, Selection,
    SessionTranscript, ValidityInfo, MDL_DOCTYPE, MDL_NAMESPACE,
};
use credentials::x509::{profile, Certificate};

struct Pki {
    iaca: Certificate,
    ds: Certificate,
    ds_key: SoftwareSigner,
}

fn pki(iaca_alg: Algorithm, ds_alg: Algorithm) -> Pki {
    let iaca_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(iaca_alg).unwrap().0);
    let iaca = profile::iaca(iaca_key.clone(), "GB", "Test IACA", 3650).unwrap();
    let (ds_key, _) = SoftwareSigner::generate(ds_alg).unwrap();
    let ds =
        profile::document_signer(ds_key.public_key(), &iaca, iaca_key, "Test DS", 400).unwrap();
    Pki { iaca, ds, ds_key }
}

fn elements() -> Vec<(String, Vec<(String, Value)>)> {
    vec![(
        MDL_NAMESPACE.to_string(),
        vec![
            ("family_name".into(), Value::Text("Lovelace".into())),
            ("given_name".into(), Value::Text("Ada".into())),
            (
                "birth_date".into(),
                Value::Tag(1004, Box::new(Value::Text("1990-12-10".into()))),
            ),
            ("issuing_country".into(), Value::Text("GB".into())),
            ("age_over_18".into(), Value::Bool(true)),
            ("age_over_21".into(), Value::Bool(true)),
            ("age_over_65".into(), Value::Bool(false)),
            (
                "portrait".into(),
                Value::Bytes(vec![0xff, 0xd8, 0xff, 0xe0]),
            ),
        ],
    )]
}

fn issue(p: &Pki, device: &credentials::keys::PublicKey) -> IssuerSigned {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ns = elements();
    MdocIssuer::new(&p.ds_key, vec![p.ds.clone()])
        .unwrap()
        .issue(&IssueRequest {
            doc_type: MDL_DOCTYPE,
            name_spaces: &ns,
            device_key: device,
            key_authorizations: None,
            validity: ValidityInfo {
                signed: now,
                valid_from: now,
                valid_until: now + 86400,
                expected_update: None,
            },
            decoys: 3,
            status: None,
        })
        .unwrap()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + 10
}

#[test]
fn issued_mdoc_round_trips_with_device_signature_for_every_algorithm() {
    for (iaca_alg, ds_alg, dev_alg) in [
        (Algorithm::Es256, Algorithm::Es256, Algorithm::Es256),
        (Algorithm::Es384, Algorithm::Es256, Algorithm::Es384),
        (Algorithm::Es256, Algorithm::EdDsa, Algorithm::EdDsa),
    ] {
        let p = pki(iaca_alg, ds_alg);
        let (device, _) = SoftwareSigner::generate(dev_alg).unwrap();
        let issued = issue(&p, device.public_key());
        // IssuerSigned survives its own encoding byte for byte.
        let again = IssuerSigned::from_cbor(&issued.to_cbor()).unwrap();
        assert_eq!(again.to_cbor(), issued.to_cbor());
        let t = SessionTranscript::openid4vp(
            "x509_san_dns:rp.example",
            "nonce-1",
            None,
            "https://rp.example/post",
        );
        let chosen = [
            (MDL_NAMESPACE.to_string(), "given_name".to_string()),
            (MDL_NAMESPACE.to_string(), "birth_date".to_string()),
        ];
        let doc = present_document(
            &again,
            &Selection::Elements(&chosen),
            &|_, _| true,
            &DeviceKeyAuth::Signature(&device),
            &t,
        )
        .unwrap();
        let anchors = [p.iaca.clone()];
        let report = verify_report(
            &device_response(&[doc]),
            &MdocVerifyOptions::new(now(), &anchors, &t),
        );
        assert!(
            report.valid,
            "{iaca_alg}/{ds_alg}/{dev_alg}: {:?}",
            report.error
        );
        let claims = &report.claims.unwrap()[MDL_NAMESPACE];
        assert_eq!(claims.as_object().unwrap().len(), 2);
        assert_eq!(claims["birth_date"], "1990-12-10");
    }
}

#[test]
fn device_mac_round_trips_and_needs_the_reader_key() {
    let p = pki(Algorithm::Es256, Algorithm::Es256);
    let device = provider::default().generate(KeyKind::P256).unwrap();
    let reader = provider::default().generate(KeyKind::P256).unwrap();
    let issued = issue(&p, device.public_key());
    let t = SessionTranscript::openid4vp("a", "b", None, "c");
    let chosen = [(MDL_NAMESPACE.to_string(), "family_name".to_string())];
    let auth = DeviceKeyAuth::Mac {
        device_key: &device,
        reader_key: reader.public_key(),
    };
    let response = device_response(&[present_document(
        &issued,
        &Selection::Elements(&chosen),
        &|_, _| true,
        &auth,
        &t,
    )
    .unwrap()]);
    let anchors = [p.iaca.clone()];
    let mut opts = MdocVerifyOptions::new(now(), &anchors, &t);
    opts.reader_key = Some(&reader);
    assert!(verify_report(&response, &opts).valid);
    let other = provider::default().generate(KeyKind::P256).unwrap();
    opts.reader_key = Some(&other);
    assert_eq!(
        verify_report(&response, &opts).error.unwrap().code,
        "device_mac_invalid"
    );
}

#[test]
fn holder_releases_only_requested_and_permitted_elements_with_nearest_age_over() {
    let p = pki(Algorithm::Es256, Algorithm::Es256);
    let (device, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let issued = issue(&p, device.public_key());
    let mut asked = BTreeMap::new();
    for e in ["family_name", "portrait", "age_over_19", "age_over_70"] {
        asked.insert(e.to_string(), false);
    }
    let request = ItemsRequest {
        doc_type: MDL_DOCTYPE.into(),
        name_spaces: BTreeMap::from([(MDL_NAMESPACE.to_string(), asked)]),
    };
    let t = SessionTranscript::openid4vp("a", "b", None, "c");
    // The person declined the portrait.
    let permitted = |_: &str, e: &str| e != "portrait";
    let doc = present_document(
        &issued,
        &Selection::Request(&request),
        &permitted,
        &DeviceKeyAuth::Signature(&device),
        &t,
    )
    .unwrap();
    let anchors = [p.iaca.clone()];
    let report = verify_report(
        &device_response(&[doc]),
        &MdocVerifyOptions::new(now(), &anchors, &t),
    );
    assert!(report.valid, "{:?}", report.error);
    let claims = report.claims.unwrap()[MDL_NAMESPACE]
        .as_object()
        .unwrap()
        .clone();
    let mut names: Vec<_> = claims.keys().cloned().collect();
    names.sort();
    // age_over_19 -> nearest true above it (21); age_over_70 -> nearest false below it (65).
    assert_eq!(names, ["age_over_21", "age_over_65", "family_name"]);
    assert!(!claims.contains_key("given_name") && !claims.contains_key("portrait"));
}

#[test]
fn presenting_with_another_device_key_or_an_absent_element_is_refused() {
    let p = pki(Algorithm::Es256, Algorithm::Es256);
    let (device, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let (other, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let issued = issue(&p, device.public_key());
    let t = SessionTranscript::openid4vp("a", "b", None, "c");
    let chosen = [(MDL_NAMESPACE.to_string(), "family_name".to_string())];
    assert!(present_document(
        &issued,
        &Selection::Elements(&chosen),
        &|_, _| true,
        &DeviceKeyAuth::Signature(&other),
        &t
    )
    .is_err());
    let missing = [(MDL_NAMESPACE.to_string(), "nickname".to_string())];
    assert!(present_document(
        &issued,
        &Selection::Elements(&missing),
        &|_, _| true,
        &DeviceKeyAuth::Signature(&device),
        &t
    )
    .is_err());
}

#[test]
fn ds_from_another_country_than_its_iaca_is_refused() {
    let iaca_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let iaca = profile::iaca(iaca_key.clone(), "GB", "IACA", 10).unwrap();
    let (ds_key, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let spec = credentials::x509::dev::CertSpec {
        common_name: "DS".into(),
        country: Some("FR".into()),
        days: 5,
        eku: vec![profile::EKU_MDL_DS.to_vec()],
        critical_eku: true,
        ..Default::default()
    };
    let ds = credentials::x509::dev::issue(&spec, ds_key.public_key(), &iaca, iaca_key).unwrap();
    let p = Pki { iaca, ds, ds_key };
    let (device, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let issued = issue(&p, device.public_key());
    let t = SessionTranscript::openid4vp("a", "b", None, "c");
    let chosen = [(MDL_NAMESPACE.to_string(), "family_name".to_string())];
    let doc = present_document(
        &issued,
        &Selection::Elements(&chosen),
        &|_, _| true,
        &DeviceKeyAuth::Signature(&device),
        &t,
    )
    .unwrap();
    let anchors = [p.iaca.clone()];
    let report = verify_report(
        &device_response(&[doc]),
        &MdocVerifyOptions::new(now(), &anchors, &t),
    );
    assert_eq!(report.error.unwrap().code, "certificate_wrong_usage");
}

#[test]
fn proximity_session_over_a_transport_with_reader_authentication() {
    let p = pki(Algorithm::Es256, Algorithm::Es256);
    let device_key = provider::default().generate(KeyKind::P256).unwrap();
    let device_signer = SoftwareSigner::new(&device_key).unwrap();
    let issued = issue(&p, device_key.public_key());
    let reader_root_key: Arc<dyn Signer> =
        Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let reader_root = profile::reader_root(reader_root_key.clone(), "Reader Root", 30).unwrap();
    let (reader_signer, _) = SoftwareSigner::generate(Algorithm::Es256).unwrap();
    let reader_cert = profile::reader(
        reader_signer.public_key(),
        &reader_root,
        reader_root_key,
        "Employer Ltd",
        30,
    )
    .unwrap();
    let iaca = p.iaca.clone();

    let (mut holder_end, mut reader_end) = MemoryTransport::pair();
    let e_device = provider::default().generate(KeyKind::P256).unwrap();
    let engagement = DeviceEngagement::new(e_device.public_key(), None);
    let qr = engagement.to_qr();

    let holder = std::thread::spawn(move || {
        let est = SessionEstablishment::from_cbor(&holder_end.receive().unwrap()).unwrap();
        let transcript = SessionTranscript::qr(&engagement.raw, &est.e_reader_key);
        let mut session =
            SessionEncryption::new(Role::Mdoc, &e_device, &est.e_reader_key, &transcript).unwrap();
        let request = DeviceRequest::from_cbor(&session.decrypt(&est.data).unwrap()).unwrap();
        let doc_request = &request.doc_requests[0];
        let reader = reader_auth::verify(doc_request, &transcript, &[reader_root], now()).unwrap();
        assert!(reader.subject().contains("Employer Ltd"));
        let doc = present_document(
            &issued,
            &Selection::Request(&doc_request.items_request),
            &|_, _| true,
            &DeviceKeyAuth::Signature(&device_signer),
            &transcript,
        )
        .unwrap();
        let data = session.encrypt(&device_response(&[doc])).unwrap();
        holder_end
            .send(
                SessionData {
                    data: Some(data),
                    status: None,
                }
                .to_cbor(),
            )
            .unwrap();
        let end = SessionData::from_cbor(&holder_end.receive().unwrap()).unwrap();
        assert_eq!(end.status, Some(STATUS_SESSION_TERMINATION));
    });

    // Reader side: scan the QR, derive keys, send a signed request, verify the answer.
    let engagement = DeviceEngagement::from_qr(&qr).unwrap();
    let e_reader = provider::default().generate(KeyKind::P256).unwrap();
    let transcript = SessionTranscript::qr(&engagement.raw, e_reader.public_key());
    let items = ItemsRequest {
        doc_type: MDL_DOCTYPE.into(),
        name_spaces: BTreeMap::from([(
            MDL_NAMESPACE.to_string(),
            BTreeMap::from([
                ("family_name".to_string(), true),
                ("age_over_18".to_string(), false),
            ]),
        )]),
    };
    let items_raw = credentials::cbor::tag24_bytes(&items.to_cbor());
    let signed =
        reader_auth::sign(&reader_signer, &[reader_cert], &transcript, &items_raw).unwrap();
    let request = DeviceRequest {
        version: "1.0".into(),
        doc_requests: vec![DocRequest {
            items_request_raw: items_raw,
            items_request: items.clone(),
            reader_auth: Some(signed),
        }],
    };
    let mut session = SessionEncryption::new(
        Role::Reader,
        &e_reader,
        &engagement.e_device_key,
        &transcript,
    )
    .unwrap();
    let data = session.encrypt(&request.to_cbor()).unwrap();
    reader_end
        .send(
            SessionEstablishment {
                e_reader_key: e_reader.public_key().clone(),
                data,
            }
            .to_cbor(),
        )
        .unwrap();
    let answer = SessionData::from_cbor(&reader_end.receive().unwrap()).unwrap();
    let response = session.decrypt(&answer.data.unwrap()).unwrap();
    let anchors = [iaca];
    let mut opts = MdocVerifyOptions::new(now(), &anchors, &transcript);
    opts.request = Some(&items);
    let report = verify_report(&response, &opts);
    assert!(report.valid, "{:?}", report.error);
    assert_eq!(
        report.claims.unwrap()[MDL_NAMESPACE]
            .as_object()
            .unwrap()
            .len(),
        2
    );
    // A replayed message does not decrypt again.
    reader_end
        .send(
            SessionData {
                data: None,
                status: Some(STATUS_SESSION_TERMINATION),
            }
            .to_cbor(),
        )
        .unwrap();
    holder.join().unwrap();
}
