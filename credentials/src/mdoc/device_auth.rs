//! mdoc authentication (18013-5 clause 9.1.3): DeviceAuthentication bytes, and the
//! DeviceSignature (COSE_Sign1) or DeviceMac (COSE_Mac0, EMacKey from ECDH + HKDF).

use coset::{iana, CoseMac0, CoseMac0Builder, CoseSign1, CoseSign1Builder, HeaderBuilder};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::session::{derive_session_key, SessionTranscript};
use super::MdocError;
use crate::cbor;
use crate::keys::{provider, PublicKey, SecretKey, Signer};

/// How the holder authenticates a Document.
pub enum DeviceKeyAuth<'a> {
    /// DeviceSignature with the device key (the key in the MSO).
    Signature(&'a dyn Signer),
    /// DeviceMac: EMacKey from the device key and the reader's ephemeral public key.
    Mac {
        /// The device private key.
        device_key: &'a SecretKey,
        /// The reader's ephemeral public key (EReaderKey).
        reader_key: &'a PublicKey,
    },
}

/// `DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
/// DocType, DeviceNameSpacesBytes])`, splicing the transcript and namespaces as received.
pub fn device_authentication_bytes(
    transcript: &SessionTranscript,
    doc_type: &str,
    device_name_spaces_raw: &[u8],
) -> Vec<u8> {
    let mut inner = cbor::array_header(4);
    inner.extend(cbor::text("DeviceAuthentication"));
    inner.extend_from_slice(transcript.raw());
    inner.extend(cbor::text(doc_type));
    inner.extend_from_slice(device_name_spaces_raw);
    cbor::tag24_bytes(&inner)
}

/// The COSE algorithm for a signer.
pub(crate) fn cose_alg(alg: crate::keys::Algorithm) -> iana::Algorithm {
    match alg {
        crate::keys::Algorithm::Es256 => iana::Algorithm::ES256,
        crate::keys::Algorithm::Es384 => iana::Algorithm::ES384,
        crate::keys::Algorithm::EdDsa => iana::Algorithm::EdDSA,
        crate::keys::Algorithm::Es512 => iana::Algorithm::ES512,
    }
}

/// A COSE_Sign1 with a detached payload, signed by `signer`.
pub(crate) fn sign_detached(
    signer: &dyn Signer,
    unprotected: coset::Header,
    payload: &[u8],
) -> Result<CoseSign1, MdocError> {
    let mut sign1 = CoseSign1Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(cose_alg(signer.algorithm()))
                .build(),
        )
        .unprotected(unprotected)
        .build();
    let tbs = sign1_tbs(&sign1, payload);
    sign1.signature = signer
        .sign(&tbs)
        .map_err(|e| MdocError::Usage(format!("signing failed: {e}")))?;
    Ok(sign1)
}

/// The DeviceMac tag key: HKDF-SHA-256(ECDH(a, B), SHA-256(SessionTranscriptBytes), "EMacKey").
pub(crate) fn emac_key(
    secret: &SecretKey,
    peer: &PublicKey,
    transcript: &SessionTranscript,
) -> Result<[u8; 32], MdocError> {
    let z = provider::default()
        .ecdh(secret, peer)
        .map_err(|e| MdocError::Usage(format!("ECDH for DeviceMac failed: {e}")))?;
    Ok(derive_session_key(&z, transcript, "EMacKey"))
}

/// HMAC-SHA-256 of `data`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// DeviceMac: COSE_Mac0 (HMAC 256/256) with a detached payload.
pub(crate) fn mac_detached(key: &[u8], payload: &[u8]) -> CoseMac0 {
    let mut mac0 = CoseMac0Builder::new()
        .protected(
            HeaderBuilder::new()
                .algorithm(iana::Algorithm::HMAC_256_256)
                .build(),
        )
        .build();
    let tbs = mac0_tbs(&mac0, payload);
    mac0.tag = hmac_sha256(key, &tbs);
    mac0
}

/// MAC_structure `["MAC0", protected (as received), h'', payload]` for a detached payload.
pub(crate) fn mac0_tbs(mac0: &CoseMac0, payload: &[u8]) -> Vec<u8> {
    coset::mac_structure_data(
        coset::MacContext::CoseMac0,
        mac0.protected.clone(),
        &[],
        payload,
    )
}

/// Sig_structure `["Signature1", protected (as received), h'', payload]` for a detached
/// payload (coset's own helper panics when a payload is attached; input must never panic).
pub(crate) fn sign1_tbs(sign1: &CoseSign1, payload: &[u8]) -> Vec<u8> {
    coset::sig_structure_data(
        coset::SignatureContext::CoseSign1,
        sign1.protected.clone(),
        None,
        &[],
        payload,
    )
}
