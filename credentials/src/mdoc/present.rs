//! The holder's side (18013-5 clause 8.3.2.1.2.2): a Document with only the elements
//! requested and permitted, authenticated by DeviceSignature or DeviceMac.

use coset::{CborSerializable, HeaderBuilder};

use super::device_auth::{
    device_authentication_bytes, emac_key, mac_detached, sign_detached, DeviceKeyAuth,
};
use super::issue::encode_issuer_signed;
use super::model::map_header;
use super::{
    IssuerSigned, IssuerSignedItemBytes, ItemsRequest, MdocError, MobileSecurityObject,
    SessionTranscript,
};
use crate::cbor;

/// What the holder releases.
pub enum Selection<'a> {
    /// The elements of a reader's ItemsRequest (with the age_over_NN nearest-match rule).
    Request(&'a ItemsRequest),
    /// An explicit list of `(namespace, element)`.
    Elements(&'a [(String, String)]),
}

/// The empty DeviceNameSpaces: `#6.24(h'a0')`.
const EMPTY_DEVICE_NAME_SPACES: [u8; 4] = [0xd8, 0x18, 0x41, 0xa0];

/// Builds one Document (CBOR) from an issued mdoc: only the selected elements that
/// `permitted` allows, then device authentication over the session transcript.
pub fn present_document(
    issuer_signed: &IssuerSigned,
    selection: &Selection<'_>,
    permitted: &dyn Fn(&str, &str) -> bool,
    auth: &DeviceKeyAuth<'_>,
    transcript: &SessionTranscript,
) -> Result<Vec<u8>, MdocError> {
    let payload = issuer_signed
        .issuer_auth
        .sign1
        .payload
        .as_deref()
        .ok_or_else(|| MdocError::Usage("issuerAuth has no payload".into()))?;
    let mso = MobileSecurityObject::from_payload(payload)?;
    if let Selection::Request(r) = selection {
        if r.doc_type != mso.doc_type {
            return Err(MdocError::Usage(format!(
                "the request is for {}, this mdoc is a {}",
                r.doc_type, mso.doc_type
            )));
        }
    }
    let mut released: Vec<(String, Vec<&IssuerSignedItemBytes>)> = Vec::new();
    for (ns, items) in &issuer_signed.name_spaces {
        let wanted = |name: &str| match selection {
            Selection::Elements(list) => list.iter().any(|(n, e)| n == ns && e == name),
            Selection::Request(r) => r.name_spaces.get(ns).is_some_and(|e| e.contains_key(name)),
        };
        let mut chosen: Vec<&IssuerSignedItemBytes> = items
            .iter()
            .filter(|i| {
                wanted(&i.item.element_identifier) && permitted(ns, &i.item.element_identifier)
            })
            .collect();
        if let Selection::Request(r) = selection {
            if let Some(asked) = r.name_spaces.get(ns) {
                for nn in asked.keys().filter_map(|k| age_over(k)) {
                    if chosen
                        .iter()
                        .any(|i| age_over(&i.item.element_identifier) == Some(nn))
                    {
                        continue;
                    }
                    if let Some(i) = nearest_age_over(items, nn) {
                        if permitted(ns, &i.item.element_identifier)
                            && !chosen.iter().any(|c| std::ptr::eq(*c, i))
                        {
                            chosen.push(i);
                        }
                    }
                }
            }
        }
        if let Selection::Elements(list) = selection {
            for (n, e) in list.iter().filter(|(n, _)| n == ns) {
                if !items.iter().any(|i| &i.item.element_identifier == e) {
                    return Err(MdocError::Usage(format!("the mdoc has no element {n}/{e}")));
                }
            }
        }
        if !chosen.is_empty() {
            released.push((ns.clone(), chosen));
        }
    }
    if let Selection::Elements(list) = selection {
        if let Some((n, e)) = list
            .iter()
            .find(|(n, _)| !issuer_signed.name_spaces.iter().any(|(ns, _)| ns == n))
        {
            return Err(MdocError::Usage(format!(
                "the mdoc has no namespace {n} (asked for {n}/{e})"
            )));
        }
    }
    let issuer_part = encode_issuer_signed(&released, &issuer_signed.issuer_auth.raw);
    let da_bytes =
        device_authentication_bytes(transcript, &mso.doc_type, &EMPTY_DEVICE_NAME_SPACES);
    let device_auth = match auth {
        DeviceKeyAuth::Signature(signer) => {
            if signer.public_key() != &mso.device_key {
                return Err(MdocError::Usage(
                    "the device key is not the one this mdoc was issued to".into(),
                ));
            }
            let sign1 = sign_detached(*signer, HeaderBuilder::new().build(), &da_bytes)?;
            let mut m = map_header(1);
            m.extend(cbor::text("deviceSignature"));
            m.extend(
                sign1
                    .to_vec()
                    .map_err(|_| MdocError::Usage("COSE encoding failed".into()))?,
            );
            m
        }
        DeviceKeyAuth::Mac {
            device_key,
            reader_key,
        } => {
            if device_key.public_key() != &mso.device_key {
                return Err(MdocError::Usage(
                    "the device key is not the one this mdoc was issued to".into(),
                ));
            }
            let key = emac_key(device_key, reader_key, transcript)?;
            let mac0 = mac_detached(&key, &da_bytes);
            let mut m = map_header(1);
            m.extend(cbor::text("deviceMac"));
            m.extend(
                mac0.to_vec()
                    .map_err(|_| MdocError::Usage("COSE encoding failed".into()))?,
            );
            m
        }
    };
    let mut doc = map_header(3);
    doc.extend(cbor::text("docType"));
    doc.extend(cbor::text(&mso.doc_type));
    doc.extend(cbor::text("issuerSigned"));
    doc.extend(issuer_part);
    doc.extend(cbor::text("deviceSigned"));
    doc.extend(map_header(2));
    doc.extend(cbor::text("nameSpaces"));
    doc.extend_from_slice(&EMPTY_DEVICE_NAME_SPACES);
    doc.extend(cbor::text("deviceAuth"));
    doc.extend(device_auth);
    Ok(doc)
}

/// A DeviceResponse (version 1.0, status OK) around encoded Documents.
pub fn device_response(documents: &[Vec<u8>]) -> Vec<u8> {
    let mut out = map_header(3);
    out.extend(cbor::text("version"));
    out.extend(cbor::text("1.0"));
    out.extend(cbor::text("documents"));
    out.extend(cbor::array_header(documents.len()));
    for d in documents {
        out.extend_from_slice(d);
    }
    out.extend(cbor::text("status"));
    out.push(0x00);
    out
}

/// `NN` of an `age_over_NN` element name.
pub(crate) fn age_over(name: &str) -> Option<u32> {
    name.strip_prefix("age_over_")
        .and_then(|n| n.parse().ok())
        .filter(|n: &u32| *n < 100)
}

/// 18013-5 clause 7.2.5: if `age_over_NN` is absent, the nearest `age_over_MM` that still
/// answers the question: the smallest MM > NN that is true, else the largest MM < NN that is false.
fn nearest_age_over(items: &[IssuerSignedItemBytes], nn: u32) -> Option<&IssuerSignedItemBytes> {
    let with_age = || {
        items
            .iter()
            .filter_map(|i| age_over(&i.item.element_identifier).map(|a| (a, i)))
    };
    let is = |i: &IssuerSignedItemBytes, b: bool| i.item.element_value == ciborium::Value::Bool(b);
    with_age()
        .filter(|(a, i)| *a > nn && is(i, true))
        .min_by_key(|(a, _)| *a)
        .or_else(|| {
            with_age()
                .filter(|(a, i)| *a < nn && is(i, false))
                .max_by_key(|(a, _)| *a)
        })
        .map(|(_, i)| i)
}
