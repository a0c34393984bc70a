//! Fixtures shared by the benchmarks and the `verify_cost` example: one SD-JWT VC
//! presentation with 10 Disclosures and a KB-JWT, one mdoc DeviceResponse with 10 elements
//! and a DeviceSignature.
#![allow(dead_code)]

use std::sync::Arc;

use ciborium::Value;
use credentials::keys::{Algorithm, Signer, SoftwareSigner};
use credentials::mdoc::{
    device_response, present_document, DeviceKeyAuth, IssueRequest, IssuerSigned, MdocIssuer,
    Selection, SessionTranscript, ValidityInfo, MDL_DOCTYPE, MDL_NAMESPACE,
};
use credentials::sd_jwt::{present, DisclosureFrame, KeyBindingJwt, SdAlg, SdJwt};
use credentials::sd_jwt_vc::{SdJwtVcIssuer, VcEnvelope};
use credentials::x509::{profile, Certificate};
use serde_json::json;

/// The allocator the services run with (`vouch`'s global allocator), so that the figures
/// are the deployed ones.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The verifier's clock in the SD-JWT fixture.
pub const NOW: i64 = 1_800_000_000;
/// The KB-JWT audience and nonce.
pub const AUD: &str = "https://rp.example";
/// The KB-JWT nonce.
pub const NONCE: &str = "nonce-1";

/// The ten claims disclosed.
pub const TEN: [&str; 10] = [
    "/given_name",
    "/family_name",
    "/birthdate",
    "/birth_place",
    "/nationalities",
    "/issuing_authority",
    "/issuing_country",
    "/document_number",
    "/address",
    "/address/locality",
];

/// An issued PID-like SD-JWT VC with the ten claims disclosable, and its presentation.
pub fn sd_jwt(issuer: &SoftwareSigner, holder: &SoftwareSigner) -> (SdJwt, String) {
    let issued = issue_sd_jwt(issuer, holder);
    let p = present(&issued, &TEN).unwrap();
    assert_eq!(p.disclosures().len(), 10);
    let presentation = KeyBindingJwt::attach(p, holder, AUD, NONCE, NOW, SdAlg::Sha256)
        .unwrap()
        .to_compact();
    (issued, presentation)
}

/// Issues the PID-like SD-JWT VC (one ES256 signature).
pub fn issue_sd_jwt(issuer: &SoftwareSigner, holder: &SoftwareSigner) -> SdJwt {
    let claims = json!({
        "given_name": "Ada", "family_name": "Lovelace", "birthdate": "1990-12-10",
        "birth_place": "London", "nationalities": ["GB"], "issuing_authority": "HMPO",
        "issuing_country": "GB", "document_number": "123456789",
        "address": {"street_address": "1 Example Street", "locality": "London"}
    });
    let frame = TEN
        .iter()
        .try_fold(DisclosureFrame::none(), |f, p| f.pointer(p))
        .unwrap();
    let envelope = VcEnvelope {
        iss: "https://idp.example".into(),
        vct: "urn:vouch:uk:pid:1".into(),
        iat: NOW - 10,
        nbf: None,
        exp: Some(NOW + 3600),
        holder: Some(holder.public_key().clone()),
        status: Some(json!({"status_list": {"idx": 4711, "uri": "https://idp.example/status/1"}})),
    };
    SdJwtVcIssuer::new(issuer)
        .issue(&envelope, claims.as_object().unwrap(), &frame, false)
        .unwrap()
}

/// An mdoc fixture: the IACA, the mdoc as issued, the elements, the transcript and the response.
pub struct Mdoc {
    /// The trust anchor.
    pub iaca: Certificate,
    /// IssuerSigned.
    pub issued: IssuerSigned,
    /// The ten elements presented.
    pub chosen: Vec<(String, String)>,
    /// The OpenID4VP session transcript.
    pub transcript: SessionTranscript,
    /// The DeviceResponse.
    pub response: Vec<u8>,
}

/// An mDL with ten elements, signed by `ds_key` under a fresh IACA, presented by `device`.
pub fn mdoc(ds_key: &SoftwareSigner, device: &SoftwareSigner, now: i64) -> Mdoc {
    let iaca_key: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(Algorithm::Es256).unwrap().0);
    let iaca = profile::iaca(iaca_key.clone(), "GB", "Bench IACA", 30).unwrap();
    let ds =
        profile::document_signer(ds_key.public_key(), &iaca, iaca_key, "Bench DS", 30).unwrap();
    let names = [
        "family_name",
        "given_name",
        "birth_date",
        "issue_date",
        "expiry_date",
        "issuing_country",
        "issuing_authority",
        "document_number",
        "age_over_18",
        "nationality",
    ];
    let ns = vec![(
        MDL_NAMESPACE.to_string(),
        names
            .iter()
            .map(|n| {
                let v = if *n == "issuing_country" {
                    "GB".to_string()
                } else {
                    format!("value of {n}")
                };
                (n.to_string(), Value::Text(v))
            })
            .collect(),
    )];
    let issued = MdocIssuer::new(ds_key, vec![ds])
        .unwrap()
        .issue(&IssueRequest {
            doc_type: MDL_DOCTYPE,
            name_spaces: &ns,
            device_key: device.public_key(),
            key_authorizations: None,
            validity: ValidityInfo {
                signed: now,
                valid_from: now,
                valid_until: now + 86400,
                expected_update: None,
            },
            decoys: 0,
            status: None,
        })
        .unwrap();
    let transcript = SessionTranscript::openid4vp(
        "x509_san_dns:rp.example",
        "nonce",
        None,
        "https://rp.example/post",
    );
    let chosen: Vec<(String, String)> = names
        .iter()
        .map(|n| (MDL_NAMESPACE.to_string(), n.to_string()))
        .collect();
    let doc = present_document(
        &issued,
        &Selection::Elements(&chosen),
        &|_, _| true,
        &DeviceKeyAuth::Signature(device),
        &transcript,
    )
    .unwrap();
    Mdoc {
        iaca,
        issued,
        chosen,
        transcript,
        response: device_response(&[doc]),
    }
}
