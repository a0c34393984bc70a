//! ISO/IEC 18013-5 Annex B certificate profiles: the IACA root, the Document Signer, the
//! reader root and the reader authentication certificate; how to make them and how to
//! check a Document Signer against its IACA. Beside them, the issuer's JOSE credential
//! signer certificate (HAIP `x5c`) under the same root.

use std::sync::Arc;

use super::dev::{self, CertSpec, DevPkiError};
use super::{Certificate, ChainError};
use crate::keys::{PublicKey, Signer};

/// mdlDS extended key usage arcs (1.0.18013.5.1.2).
pub const EKU_MDL_DS: [u64; 6] = [1, 0, 18013, 5, 1, 2];
/// mdlReaderAuth extended key usage arcs (1.0.18013.5.1.6).
pub const EKU_MDL_READER_AUTH: [u64; 6] = [1, 0, 18013, 5, 1, 6];

/// An IACA root: self-signed, CA with path length 0, keyCertSign and cRLSign, country set.
pub fn iaca(
    signer: Arc<dyn Signer>,
    country: &str,
    name: &str,
    days: u32,
) -> Result<Certificate, DevPkiError> {
    let spec = CertSpec {
        common_name: name.into(),
        country: Some(country.into()),
        days,
        ca: Some(Some(0)),
        issuer_alt_uri: Some(format!("https://{}.invalid/iaca", slug(name))),
        ..Default::default()
    };
    dev::self_signed(&spec, signer)
}

/// A Document Signer certificate for `ds_key`, issued by the IACA: mdlDS EKU (critical),
/// digitalSignature, the IACA's country (and jurisdiction, if it has one).
pub fn document_signer(
    ds_key: &PublicKey,
    iaca: &Certificate,
    iaca_signer: Arc<dyn Signer>,
    name: &str,
    days: u32,
) -> Result<Certificate, DevPkiError> {
    let spec = CertSpec {
        common_name: name.into(),
        country: subject_attr(iaca, "2.5.4.6"),
        state: subject_attr(iaca, "2.5.4.8"),
        days,
        eku: vec![EKU_MDL_DS.to_vec()],
        critical_eku: true,
        issuer_alt_uri: Some(format!("https://{}.invalid/iaca", slug(&iaca.subject()))),
        crl_uri: Some(format!("https://{}.invalid/crl", slug(&iaca.subject()))),
        ..Default::default()
    };
    dev::issue(&spec, ds_key, iaca, iaca_signer)
}

/// The certificate of an issuer's JOSE signing key (SD-JWT VC and status list token `x5c`,
/// HAIP 1.0 section 6.1), issued by the provider's root (its IACA): digitalSignature, the
/// issuer identifier as a URI subjectAltName (SD-JWT VC section 3.5 binds an HTTPS `iss` to
/// the leaf that way), the provider's name and country in the subject, and no mdoc EKU (it
/// is not a Document Signer).
pub fn credential_signer(
    key: &PublicKey,
    root: &Certificate,
    root_signer: Arc<dyn Signer>,
    name: &str,
    issuer_id: &str,
    days: u32,
) -> Result<Certificate, DevPkiError> {
    let spec = CertSpec {
        common_name: format!("{name} credential signer"),
        organization: Some(name.into()),
        country: subject_attr(root, "2.5.4.6"),
        days,
        uris: vec![issuer_id.into()],
        ..Default::default()
    };
    dev::issue(&spec, key, root, root_signer)
}

/// A reader root CA.
pub fn reader_root(
    signer: Arc<dyn Signer>,
    name: &str,
    days: u32,
) -> Result<Certificate, DevPkiError> {
    dev::self_signed(
        &CertSpec {
            common_name: name.into(),
            days,
            ca: Some(Some(0)),
            ..Default::default()
        },
        signer,
    )
}

/// A reader authentication certificate (mdlReaderAuth EKU, critical).
pub fn reader(
    key: &PublicKey,
    root: &Certificate,
    root_signer: Arc<dyn Signer>,
    name: &str,
    days: u32,
) -> Result<Certificate, DevPkiError> {
    let spec = CertSpec {
        common_name: name.into(),
        days,
        eku: vec![EKU_MDL_READER_AUTH.to_vec()],
        critical_eku: true,
        ..Default::default()
    };
    dev::issue(&spec, key, root, root_signer)
}

/// A subject attribute (by OID, e.g. `2.5.4.6` for the country) as text.
pub fn subject_attr(cert: &Certificate, oid: &str) -> Option<String> {
    cert.inner()
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|a| a.oid.to_string() == oid)
        .and_then(|a| {
            der::asn1::PrintableStringRef::try_from(&a.value)
                .map(|s| s.to_string())
                .ok()
                .or_else(|| {
                    der::asn1::Utf8StringRef::try_from(&a.value)
                        .map(|s| s.to_string())
                        .ok()
                })
        })
}

/// Annex B: the DS certificate's country (and stateOrProvinceName, if the IACA has one)
/// must be the IACA's.
pub fn check_ds_against_iaca(ds: &Certificate, iaca: &Certificate) -> Result<(), ChainError> {
    if subject_attr(ds, "2.5.4.6") != subject_attr(iaca, "2.5.4.6") {
        return Err(ChainError::WrongUsage(
            "the Document Signer's country differs from its IACA's",
        ));
    }
    if let Some(st) = subject_attr(iaca, "2.5.4.8") {
        if subject_attr(ds, "2.5.4.8").as_deref() != Some(st.as_str()) {
            return Err(ChainError::WrongUsage(
                "the Document Signer's jurisdiction differs from its IACA's",
            ));
        }
    }
    Ok(())
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}
