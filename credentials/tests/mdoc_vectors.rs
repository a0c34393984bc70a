//! The ISO/IEC 18013-5 vectors of `tests/vectors/iso18013-5/`, handled as their README
//! says: the Annex D response verifies at 2021-01-01 with its six elements and is expired
//! now; the session keys, EMacKey and MAC tag are reproduced; SessionEstablishment and
//! SessionData decrypt to the request and the response; reader auth verifies; each
//! `online/` response verifies with its transcript and the tampered one fails.

use std::fs;
use std::path::{Path, PathBuf};

use credentials::keys::{KeyKind, PublicKey, SecretKey};
use credentials::mdoc::session::{
    derive_session_key, DeviceEngagement, Role, SessionData, SessionEncryption,
    SessionEstablishment,
};
use credentials::mdoc::{
    parse_rfc3339, reader_auth, verify_issuer_signed, verify_report, verify_response,
    DeviceRequest, IssuerSigned, MdocVerifyOptions, SessionTranscript,
};
use credentials::report::CheckLog;
use credentials::x509::Certificate;
use serde_json::json;

fn dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.join("../tests/vectors/iso18013-5")
}

fn read(p: &str) -> Vec<u8> {
    fs::read(dir().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn hex(p: &str) -> Vec<u8> {
    let t = String::from_utf8(read(p)).unwrap();
    let t = t.trim();
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
        .collect()
}

fn key(prefix: &str) -> SecretKey {
    let public = PublicKey::from_coordinates(
        KeyKind::P256,
        &hex(&format!("{prefix}_x.hex")),
        &hex(&format!("{prefix}_y.hex")),
    )
    .unwrap();
    SecretKey::new(public, hex(&format!("{prefix}_d.hex"))).unwrap()
}

fn cert(p: &str) -> Certificate {
    Certificate::from_der(&read(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn t(s: &str) -> i64 {
    parse_rfc3339(s).unwrap()
}

fn annex_d_transcript() -> SessionTranscript {
    SessionTranscript::from_cbor(&read("annex-d/session_transcript_bytes.cbor")).unwrap()
}

#[test]
fn annex_d_response_verifies_at_2021_with_its_six_elements() {
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = annex_d_transcript();
    let reader = key("annex-d/keys/e_reader_key");
    let mut opts = MdocVerifyOptions::new(t("2021-01-01T00:00:00Z"), &anchors, &transcript);
    opts.reader_key = Some(&reader);
    for p in credentials::keys::provider::all() {
        opts.provider = p;
        let report = verify_report(&read("annex-d/device_response.cbor"), &opts);
        assert!(report.valid, "{}: {:?}", p.name(), report.error);
        let claims = &report.claims.as_ref().unwrap()["org.iso.18013.5.1"];
        assert_eq!(claims.as_object().unwrap().len(), 6);
        assert_eq!(claims["family_name"], "Doe");
        assert_eq!(claims["issue_date"], "2019-10-20");
        assert_eq!(claims["expiry_date"], "2024-10-20");
        assert_eq!(claims["document_number"], "123456789");
        assert_eq!(
            claims["driving_privileges"],
            json!([{"vehicle_category_code": "A", "issue_date": "2018-08-09", "expiry_date": "2024-10-20"},
                   {"vehicle_category_code": "B", "issue_date": "2017-02-23", "expiry_date": "2024-10-20"}])
        );
        let portrait = claims["portrait"]["bytes_b64"].as_str().unwrap();
        use base64::Engine;
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(portrait)
                .unwrap(),
            read("annex-d/portrait.jpg")
        );
        assert_eq!(report.extra["doctype"], "org.iso.18013.5.1.mDL");
        let names: Vec<_> = report.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "parse",
                "response_status",
                "issuer_signature",
                "issuer_key",
                "mso",
                "doc_type",
                "validity",
                "digests",
                "holder_binding",
                "issuing_country"
            ]
        );
    }
}

#[test]
fn annex_d_response_is_rejected_as_expired_today() {
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = annex_d_transcript();
    let reader = key("annex-d/keys/e_reader_key");
    let mut opts = MdocVerifyOptions::new(t("2026-11-26T00:00:00Z"), &anchors, &transcript);
    opts.reader_key = Some(&reader);
    let report = verify_report(&read("annex-d/device_response.cbor"), &opts);
    assert!(!report.valid);
    assert!(report.claims.is_none());
    assert_eq!(report.error.unwrap().code, "certificate_expired");
    // The last day the DS certificate is valid still verifies; an hour after it does not.
    opts.now = t("2021-09-30T23:00:00Z");
    let report = verify_report(&read("annex-d/device_response.cbor"), &opts);
    assert!(report.valid, "{:?}", report.error);
    opts.now = t("2021-10-01T01:00:00Z");
    assert_eq!(
        verify_report(&read("annex-d/device_response.cbor"), &opts)
            .error
            .unwrap()
            .code,
        "certificate_expired"
    );
}

#[test]
fn annex_d_tampered_family_name_fails_its_digest() {
    // Multipaz's negative test: byte 200 ('D' of "Doe") changed to 'F'.
    let mut bytes = read("annex-d/device_response.cbor");
    assert_eq!(bytes[200], 0x44);
    bytes[200] = 0x46;
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = annex_d_transcript();
    let reader = key("annex-d/keys/e_reader_key");
    let mut opts = MdocVerifyOptions::new(t("2021-01-01T00:00:00Z"), &anchors, &transcript);
    opts.reader_key = Some(&reader);
    let report = verify_report(&bytes, &opts);
    assert_eq!(report.error.unwrap().code, "digest_mismatch");
}

#[test]
fn annex_d_device_mac_needs_the_right_reader_key() {
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = annex_d_transcript();
    let mut opts = MdocVerifyOptions::new(t("2021-01-01T00:00:00Z"), &anchors, &transcript);
    let bytes = read("annex-d/device_response.cbor");
    assert_eq!(
        verify_report(&bytes, &opts).error.unwrap().code,
        "reader_key_missing"
    );
    let wrong = key("annex-d/keys/e_device_key");
    opts.reader_key = Some(&wrong);
    assert_eq!(
        verify_report(&bytes, &opts).error.unwrap().code,
        "device_mac_invalid"
    );
}

#[test]
fn annex_d_session_keys_emac_key_and_mac_tag_are_reproduced() {
    let transcript = annex_d_transcript();
    let reader = key("annex-d/keys/e_reader_key");
    let device = key("annex-d/keys/e_device_key");
    let sdevice = key("annex-d/keys/sdevice_key");
    for p in credentials::keys::provider::all() {
        let z = p.ecdh(&reader, device.public_key()).unwrap();
        assert_eq!(
            *z,
            hex("annex-d/derived/session_shared_secret_z.hex"),
            "{}",
            p.name()
        );
        assert_eq!(
            derive_session_key(&z, &transcript, "SKReader").to_vec(),
            hex("annex-d/derived/sk_reader.hex")
        );
        assert_eq!(
            derive_session_key(&z, &transcript, "SKDevice").to_vec(),
            hex("annex-d/derived/sk_device.hex")
        );
        let zab = p.ecdh(&reader, sdevice.public_key()).unwrap();
        assert_eq!(*zab, hex("annex-d/derived/emac_zab.hex"));
        assert_eq!(
            derive_session_key(&zab, &transcript, "EMacKey").to_vec(),
            hex("annex-d/derived/emac_key.hex")
        );
        // The holder side derives the same EMacKey from its static key and the reader's ephemeral key.
        assert_eq!(*p.ecdh(&sdevice, reader.public_key()).unwrap(), *zab);
    }
    let mac_structure = read("annex-d/device_mac_structure.cbor");
    use hmac::Mac;
    let mut mac =
        <hmac::Hmac<sha2::Sha256>>::new_from_slice(&hex("annex-d/derived/emac_key.hex")).unwrap();
    mac.update(&mac_structure);
    assert_eq!(
        mac.finalize().into_bytes().to_vec(),
        hex("annex-d/derived/device_mac_tag.hex")
    );
    // And the DeviceAuthenticationBytes we build equal the published ones.
    let built = credentials::mdoc::device_authentication_bytes(
        &transcript,
        "org.iso.18013.5.1.mDL",
        &[0xd8, 0x18, 0x41, 0xa0],
    );
    assert_eq!(built, read("annex-d/device_authentication_bytes.cbor"));
}

#[test]
fn annex_d_session_messages_decrypt_to_the_request_and_the_response() {
    let transcript = annex_d_transcript();
    let device = key("annex-d/keys/e_device_key");
    let est = SessionEstablishment::from_cbor(&read("annex-d/session_establishment.cbor")).unwrap();
    assert_eq!(
        est.e_reader_key,
        *key("annex-d/keys/e_reader_key").public_key()
    );
    let mut mdoc =
        SessionEncryption::new(Role::Mdoc, &device, &est.e_reader_key, &transcript).unwrap();
    assert_eq!(
        mdoc.decrypt(&est.data).unwrap(),
        read("annex-d/device_request.cbor")
    );
    // The mdoc's first message is the response, and it encrypts to the published bytes.
    let data = SessionData::from_cbor(&read("annex-d/session_data.cbor")).unwrap();
    assert_eq!(
        mdoc.encrypt(&read("annex-d/device_response.cbor")).unwrap(),
        data.data.clone().unwrap()
    );
    let reader = key("annex-d/keys/e_reader_key");
    let mut r = SessionEncryption::new(
        Role::Reader,
        &reader,
        &device.public_key().clone(),
        &transcript,
    )
    .unwrap();
    assert_eq!(
        r.encrypt(&read("annex-d/device_request.cbor")).unwrap(),
        est.data
    );
    assert_eq!(
        r.decrypt(&data.data.unwrap()).unwrap(),
        read("annex-d/device_response.cbor")
    );
    assert_eq!(
        SessionData::from_cbor(&read("annex-d/session_termination.cbor"))
            .unwrap()
            .status,
        Some(20)
    );
}

#[test]
fn annex_d_engagements_parse_and_the_transcript_embeds_the_nfc_engagement() {
    let qr = DeviceEngagement::from_cbor(&read("annex-d/device_engagement_qr.cbor")).unwrap();
    let nfc = DeviceEngagement::from_cbor(&read("annex-d/device_engagement_nfc.cbor")).unwrap();
    assert_eq!(
        qr.e_device_key,
        *key("annex-d/keys/e_device_key").public_key()
    );
    assert_eq!(nfc.e_device_key, qr.e_device_key);
    assert_eq!(DeviceEngagement::from_qr(&qr.to_qr()).unwrap().raw, qr.raw);
    let rebuilt = SessionTranscript::nfc(
        &nfc.raw,
        key("annex-d/keys/e_reader_key").public_key(),
        &read("annex-d/nfc_handover_select.ndef"),
        Some(&read("annex-d/nfc_handover_request.ndef")),
    );
    assert_eq!(rebuilt, annex_d_transcript());
}

#[test]
fn annex_d_reader_auth_verifies_and_fails_for_another_transcript() {
    let request = DeviceRequest::from_cbor(&read("annex-d/device_request.cbor")).unwrap();
    assert_eq!(request.to_cbor(), read("annex-d/device_request.cbor"));
    let doc = &request.doc_requests[0];
    assert_eq!(doc.items_request.name_spaces["org.iso.18013.5.1"].len(), 6);
    let anchors = [cert("annex-d/certs/reader_root_cert.der")];
    let reader = reader_auth::verify(
        doc,
        &annex_d_transcript(),
        &anchors,
        t("2021-01-01T00:00:00Z"),
    )
    .unwrap();
    assert!(reader.subject().contains("reader"));
    let other = SessionTranscript::openid4vp("x", "y", None, "z");
    assert_eq!(
        reader_auth::verify(doc, &other, &anchors, t("2021-01-01T00:00:00Z"))
            .unwrap_err()
            .code(),
        "reader_auth_invalid"
    );
    assert_eq!(
        reader_auth::verify(
            doc,
            &annex_d_transcript(),
            &[cert("annex-d/certs/iaca_cert.der")],
            t("2021-01-01T00:00:00Z")
        )
        .unwrap_err()
        .code(),
        "reader_auth_invalid"
    );
}

#[test]
fn annex_d_response_satisfies_its_own_request_and_not_a_bigger_one() {
    let request = DeviceRequest::from_cbor(&read("annex-d/device_request.cbor")).unwrap();
    let items = request.doc_requests[0].items_request.clone();
    let mut bigger = items.clone();
    bigger
        .name_spaces
        .get_mut("org.iso.18013.5.1")
        .unwrap()
        .insert("given_name".into(), false);
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = annex_d_transcript();
    let reader = key("annex-d/keys/e_reader_key");
    let mut opts = MdocVerifyOptions::new(t("2021-01-01T00:00:00Z"), &anchors, &transcript);
    opts.reader_key = Some(&reader);
    opts.request = Some(&items);
    assert!(verify_report(&read("annex-d/device_response.cbor"), &opts).valid);
    opts.request = Some(&bigger);
    assert_eq!(
        verify_report(&read("annex-d/device_response.cbor"), &opts)
            .error
            .unwrap()
            .code,
        "request_not_satisfied"
    );
}

struct Online {
    name: &'static str,
    anchor: &'static str,
    transcript: &'static str,
    now: &'static str,
    ds_eku: bool,
}

const ONLINE: &[Online] = &[
    Online {
        name: "animo-paradym-oid4vp-1.0",
        anchor: "iaca_cert.der",
        transcript: "session_transcript.cbor",
        now: "2026-01-12T00:00:00Z",
        ds_eku: true,
    },
    Online {
        name: "france-playground-oid4vp-draft18",
        anchor: "../../annex-d/certs/iaca_cert.der",
        transcript: "session_transcript.cbor",
        now: "2021-09-25T00:00:00Z",
        ds_eku: true,
    },
    Online {
        name: "google-cmwallet-dcapi-draft24",
        anchor: "ds_cert.der",
        transcript: "session_transcript.cbor",
        now: "2025-02-20T00:00:00Z",
        ds_eku: false,
    },
    Online {
        name: "auth0-example1",
        anchor: "../auth0-issuer_cert.der",
        transcript: "session_transcript_bytes.cbor",
        now: "2024-01-01T00:00:00Z",
        ds_eku: false,
    },
    Online {
        name: "auth0-example2",
        anchor: "../auth0-issuer_cert.der",
        transcript: "session_transcript_bytes.cbor",
        now: "2024-01-01T00:00:00Z",
        ds_eku: false,
    },
];

fn verify_online(o: &Online, bytes: &[u8]) -> credentials::report::VerificationReport {
    let base = format!("online/{}", o.name);
    let anchors = [cert(&format!("{base}/{}", o.anchor))];
    let transcript =
        SessionTranscript::from_cbor(&read(&format!("{base}/{}", o.transcript))).unwrap();
    let mut opts = MdocVerifyOptions::new(t(o.now), &anchors, &transcript);
    opts.require_ds_eku = o.ds_eku;
    verify_report(bytes, &opts)
}

#[test]
fn online_responses_from_real_wallets_verify_with_their_transcripts() {
    for o in ONLINE {
        let report = verify_online(o, &read(&format!("online/{}/device_response.cbor", o.name)));
        assert!(
            report.valid,
            "{}: {:?} {:?}",
            o.name,
            report.error,
            report.checks.last()
        );
        let claims = report.claims.unwrap();
        assert!(
            claims
                .as_object()
                .unwrap()
                .values()
                .any(|ns| ns.get("family_name").is_some()),
            "{}",
            o.name
        );
    }
}

#[test]
fn online_tampered_auth0_example3_fails_its_digest() {
    let o = Online {
        name: "auth0-example3",
        ..ONLINE[3]
    };
    let report = verify_online(&o, &read("online/auth0-example3/device_response.cbor"));
    assert_eq!(report.error.unwrap().code, "digest_mismatch");
}

#[test]
fn online_responses_fail_with_another_sessions_transcript() {
    let o = &ONLINE[0];
    let anchors = [cert(&format!("online/{}/{}", o.name, o.anchor))];
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:playground.animo.id",
        "another-nonce",
        None,
        "https://x",
    );
    let opts = MdocVerifyOptions::new(t(o.now), &anchors, &transcript);
    let report = verify_report(
        &read(&format!("online/{}/device_response.cbor", o.name)),
        &opts,
    );
    assert_eq!(report.error.unwrap().code, "device_signature_invalid");
}

#[test]
fn bdr_issuer_signed_verifies_on_the_issuer_side() {
    let issued =
        IssuerSigned::from_cbor(&read("online/bdr-issuer-signed/issuer_signed.cbor")).unwrap();
    let anchors = [cert("online/bdr-issuer-signed/ds_cert.der")];
    let transcript = SessionTranscript::openid4vp("a", "b", None, "c");
    let mut opts = MdocVerifyOptions::new(t("2025-06-01T00:00:00Z"), &anchors, &transcript);
    opts.require_ds_eku = false;
    let mut log = CheckLog::default();
    let credentials::mdoc::VerifiedIssuerSigned { mso, claims, .. } =
        verify_issuer_signed(&issued, "org.iso.18013.5.1.mDL", &opts, &mut log).unwrap();
    assert_eq!(mso.doc_type, "org.iso.18013.5.1.mDL");
    assert_eq!(claims["org.iso.18013.5.1"].len(), 17);
    // Every item keeps the exact bytes it was received as.
    let original = read("online/bdr-issuer-signed/issuer_signed.cbor");
    for (_, items) in &issued.name_spaces {
        for i in items {
            assert!(original.windows(i.raw.len()).any(|w| w == i.raw.as_slice()));
        }
    }
}

#[test]
fn pymdoccbor_variant_verifies_issuer_side_but_not_its_device_mac() {
    let bytes = read("variants/pymdoccbor_annex_d_variant_device_response.cbor");
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = annex_d_transcript();
    let reader = key("annex-d/keys/e_reader_key");
    let mut opts = MdocVerifyOptions::new(t("2021-01-01T00:00:00Z"), &anchors, &transcript);
    opts.reader_key = Some(&reader);
    let mut log = CheckLog::default();
    assert_eq!(
        verify_response(&bytes, &opts, &mut log).unwrap_err().code(),
        "device_mac_invalid"
    );
    assert!(log.checks().iter().any(|c| c.name == "digests" && c.ok));
}

#[test]
fn ubique_document_signer_with_a_32_byte_serial_is_refused_as_malformed() {
    // RFC 5280 4.1.2.2 caps serial numbers at 20 octets; this DS certificate has 32, and
    // the strict parser refuses it rather than guess. The response is rejected, fail-closed.
    let der = read("online/ubique-oid4vp-draft18/ds_cert.der");
    assert!(Certificate::from_der(&der).is_err());
    let anchors = [cert("annex-d/certs/iaca_cert.der")];
    let transcript = SessionTranscript::from_cbor(&read(
        "online/ubique-oid4vp-draft18/session_transcript.cbor",
    ))
    .unwrap();
    let opts = MdocVerifyOptions::new(t("2025-02-01T00:00:00Z"), &anchors, &transcript);
    let report = verify_report(
        &read("online/ubique-oid4vp-draft18/device_response.cbor"),
        &opts,
    );
    assert_eq!(report.error.unwrap().code, "certificate_malformed");
}

#[test]
fn auth0_example4_device_signed_element_without_key_authorization_is_refused() {
    // The response carries a device-signed org.iso.wallet.mDL element, but the MSO's
    // deviceKeyInfo has no keyAuthorizations: the device key may not vouch for it.
    let o = Online {
        name: "auth0-example4",
        ..ONLINE[3]
    };
    let report = verify_online(&o, &read("online/auth0-example4/device_response.cbor"));
    assert_eq!(report.error.unwrap().code, "device_key_unauthorized");
}
