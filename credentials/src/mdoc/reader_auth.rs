//! Reader authentication (18013-5 clause 9.1.4): the reader signs
//! `ReaderAuthenticationBytes = #6.24(bstr .cbor ["ReaderAuthentication", SessionTranscript,
//! ItemsRequestBytes])` with a key certified for reader authentication; the mdoc verifies it
//! before it shows the request to the person.

use ciborium::Value;
use coset::{CborSerializable, HeaderBuilder};

use super::device_auth::{sign1_tbs, sign_detached};
use super::{DocRequest, MdocError, RawSign1, SessionTranscript, EKU_MDL_READER_AUTH, X5CHAIN};
use crate::cbor;
use crate::keys::Signer;
use crate::x509::{self, Certificate, LeafProfile};

/// The bytes the reader signs.
pub fn reader_authentication_bytes(
    transcript: &SessionTranscript,
    items_request_raw: &[u8],
) -> Vec<u8> {
    let mut inner = cbor::array_header(3);
    inner.extend(cbor::text("ReaderAuthentication"));
    inner.extend_from_slice(transcript.raw());
    inner.extend_from_slice(items_request_raw);
    cbor::tag24_bytes(&inner)
}

/// Signs a DocRequest's readerAuth with the reader key and its certificate chain (leaf first).
pub fn sign(
    signer: &dyn Signer,
    chain: &[Certificate],
    transcript: &SessionTranscript,
    items_request_raw: &[u8],
) -> Result<RawSign1, MdocError> {
    let x5chain = match chain {
        [one] => Value::Bytes(one.der().to_vec()),
        many => Value::Array(
            many.iter()
                .map(|c| Value::Bytes(c.der().to_vec()))
                .collect(),
        ),
    };
    let sign1 = sign_detached(
        signer,
        HeaderBuilder::new().value(X5CHAIN, x5chain).build(),
        &reader_authentication_bytes(transcript, items_request_raw),
    )?;
    let raw = sign1
        .clone()
        .to_vec()
        .map_err(|_| MdocError::Usage("COSE encoding failed".into()))?;
    Ok(RawSign1 { raw, sign1 })
}

/// Verifies a DocRequest's readerAuth against reader trust anchors at `now`; returns the
/// reader's certificate (whose subject the wallet shows the person).
pub fn verify(
    request: &DocRequest,
    transcript: &SessionTranscript,
    anchors: &[Certificate],
    now: i64,
) -> Result<Certificate, MdocError> {
    let ra = request
        .reader_auth
        .as_ref()
        .ok_or_else(|| MdocError::ReaderAuth("the request is not signed".into()))?;
    let chain = super::verify::x5chain(&ra.sign1)
        .map_err(|_| MdocError::ReaderAuth("readerAuth has no x5chain".into()))?;
    let key = chain[0]
        .public_key()
        .map_err(|e| MdocError::ReaderAuth(e.to_string()))?;
    let alg = super::verify::sign1_algorithm(&ra.sign1)
        .map_err(|e| MdocError::ReaderAuth(e.to_string()))?;
    let payload = reader_authentication_bytes(transcript, &request.items_request_raw);
    if ra.sign1.payload.as_ref().is_some_and(|p| p != &payload) {
        return Err(MdocError::ReaderAuth(
            "readerAuth carries a different payload".into(),
        ));
    }
    let tbs = sign1_tbs(&ra.sign1, &payload);
    key.verify(alg, &tbs, &ra.sign1.signature)
        .map_err(|_| MdocError::ReaderAuth("the signature does not verify".into()))?;
    x509::validate_chain(
        &chain,
        anchors,
        now,
        &LeafProfile {
            required_eku: Some(EKU_MDL_READER_AUTH),
        },
    )
    .map_err(|e| MdocError::ReaderAuth(format!("reader certificate: {e}")))?;
    Ok(chain[0].clone())
}
