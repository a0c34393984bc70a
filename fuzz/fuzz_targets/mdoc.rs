//! Any bytes as a DeviceResponse, DeviceRequest, SessionEstablishment, SessionData,
//! DeviceEngagement or IssuerSigned: parsing and verification never panic.
#![no_main]

use std::sync::OnceLock;

use credentials::mdoc::session::{DeviceEngagement, SessionData, SessionEstablishment};
use credentials::mdoc::{verify_report, DeviceRequest, IssuerSigned, MdocVerifyOptions, SessionTranscript};
use credentials::x509::Certificate;
use libfuzzer_sys::fuzz_target;

fn anchors() -> &'static [Certificate] {
    static A: OnceLock<Vec<Certificate>> = OnceLock::new();
    A.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors");
        std::fs::read(format!("{dir}/iso18013-5/annex-d/certs/iaca_cert.der"))
            .ok()
            .and_then(|d| Certificate::from_der(&d).ok())
            .into_iter()
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let transcript = SessionTranscript::openid4vp("client", "nonce", None, "https://rp.example/post");
    let opts = MdocVerifyOptions::new(1_609_459_200, anchors(), &transcript);
    let _ = verify_report(data, &opts);
    let _ = DeviceRequest::from_cbor(data);
    let _ = SessionEstablishment::from_cbor(data);
    let _ = SessionData::from_cbor(data);
    let _ = DeviceEngagement::from_cbor(data);
    let _ = SessionTranscript::from_cbor(data);
    if let Ok(issued) = IssuerSigned::from_cbor(data) {
        let _ = issued.to_cbor();
    }
});
