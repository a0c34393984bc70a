//! X.509 certificates for credential issuers: parsing, the public key, and chain
//! validation to a trust anchor (validity, signatures, CA constraints, key usage, EKU).
//!
//! Signatures are checked over the `tbsCertificate` bytes exactly as received.

pub mod dev;
pub mod profile;

use der::{Decode, Encode};
use x509_cert::ext::pkix::{
    name::GeneralName, AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::Certificate as X509;

use crate::keys::{HashAlg, KeyKind, PublicKey};

const ECDSA_SHA256: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const ED25519: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.101.112");
const EC_PUBLIC_KEY: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SUBJECT_KEY_IDENTIFIER: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.5.29.14");
const AUTHORITY_KEY_IDENTIFIER: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.5.29.35");
const BASIC_CONSTRAINTS: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.5.29.19");
const KEY_USAGE: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_KEY_USAGE: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.5.29.37");
const SUBJECT_ALT_NAME: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("2.5.29.17");

/// Why a certificate or chain was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A certificate is not valid DER or not a certificate.
    #[error("certificate {0} is malformed")]
    Malformed(usize),
    /// A certificate's key or signature algorithm is not supported.
    #[error("certificate {0} uses an unsupported algorithm")]
    UnsupportedAlgorithm(usize),
    /// A certificate is outside its validity period.
    #[error("certificate {index} is not valid at {at} (valid {not_before} to {not_after})")]
    Expired {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// The time checked.
        at: i64,
        /// notBefore.
        not_before: i64,
        /// notAfter.
        not_after: i64,
    },
    /// A certificate's signature does not verify with its issuer's key.
    #[error("the signature on certificate {0} does not verify")]
    BadSignature(usize),
    /// A certificate's issuer name is not the next certificate's subject.
    #[error("certificate {0} was not issued by the next certificate in the chain")]
    NameMismatch(usize),
    /// An issuing certificate is not a CA or may not sign certificates.
    #[error("certificate {0} is not a CA allowed to sign certificates")]
    NotCa(usize),
    /// The leaf may not sign (key usage) or lacks the required extended key usage.
    #[error("the leaf certificate may not be used for this purpose: {0}")]
    WrongUsage(&'static str),
    /// No trust anchor issued the chain.
    #[error("the chain does not lead to a trusted root")]
    UntrustedRoot,
    /// The chain is empty or too long.
    #[error("the chain is empty or longer than the maximum")]
    Length,
}

impl ChainError {
    /// The stable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            ChainError::Malformed(_) => "certificate_malformed",
            ChainError::UnsupportedAlgorithm(_) => "certificate_unsupported_algorithm",
            ChainError::Expired { .. } => "certificate_expired",
            ChainError::BadSignature(_) => "certificate_signature_invalid",
            ChainError::NameMismatch(_) => "certificate_chain_broken",
            ChainError::NotCa(_) => "certificate_not_ca",
            ChainError::WrongUsage(_) => "certificate_wrong_usage",
            ChainError::UntrustedRoot => "untrusted_root",
            ChainError::Length => "certificate_chain_length",
        }
    }
}

/// A parsed certificate that keeps its DER bytes.
#[derive(Clone, Debug)]
pub struct Certificate {
    // Shared: a verifier hands the same cached Document Signer to every verification, and a
    // clone must not copy or re-parse it.
    der: std::sync::Arc<[u8]>,
    tbs_range: (usize, usize),
    cert: std::sync::Arc<X509>,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Certificate {
    /// Parses one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, ChainError> {
        let cert = X509::from_der(der).map_err(|_| ChainError::Malformed(0))?;
        let tbs_range = tbs_range(der).ok_or(ChainError::Malformed(0))?;
        Ok(Certificate {
            der: der.into(),
            tbs_range,
            cert: std::sync::Arc::new(cert),
        })
    }

    /// Parses every certificate in PEM text, in order.
    pub fn from_pem_chain(pem: &str) -> Result<Vec<Self>, ChainError> {
        let mut out = Vec::new();
        let mut rest = pem;
        while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
            let end = rest[start..]
                .find("-----END CERTIFICATE-----")
                .ok_or(ChainError::Malformed(out.len()))?
                + start
                + "-----END CERTIFICATE-----".len();
            let (_, der) = der::pem::decode_vec(&rest.as_bytes()[start..end])
                .map_err(|_| ChainError::Malformed(out.len()))?;
            out.push(Self::from_der(&der).map_err(|_| ChainError::Malformed(out.len()))?);
            rest = &rest[end..];
        }
        if out.is_empty() {
            return Err(ChainError::Length);
        }
        Ok(out)
    }

    /// The DER bytes as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text of this certificate.
    pub fn to_pem(&self) -> String {
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &self.der)
            .unwrap_or_default()
    }

    /// The parsed certificate (x509-cert), for profile checks.
    pub fn inner(&self) -> &X509 {
        &self.cert
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey, ChainError> {
        let spki = &self.cert.tbs_certificate.subject_public_key_info;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or(ChainError::Malformed(0))?;
        let kind = if spki.algorithm.oid == ED25519 {
            KeyKind::Ed25519
        } else if spki.algorithm.oid == EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::oid::ObjectIdentifier>().ok())
                .ok_or(ChainError::UnsupportedAlgorithm(0))?;
            match curve {
                c if c == P256 => KeyKind::P256,
                c if c == P384 => KeyKind::P384,
                _ => return Err(ChainError::UnsupportedAlgorithm(0)),
            }
        } else {
            return Err(ChainError::UnsupportedAlgorithm(0));
        };
        PublicKey::from_bytes(kind, bits).map_err(|_| ChainError::Malformed(0))
    }

    /// `(notBefore, notAfter)` in seconds since the epoch.
    pub fn validity(&self) -> (i64, i64) {
        let v = &self.cert.tbs_certificate.validity;
        let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        (secs(&v.not_before), secs(&v.not_after))
    }

    fn extension<T: for<'a> Decode<'a>>(
        &self,
        oid: der::oid::ObjectIdentifier,
    ) -> Result<Option<T>, ChainError> {
        let Some(exts) = &self.cert.tbs_certificate.extensions else {
            return Ok(None);
        };
        match exts.iter().find(|e| e.extn_id == oid) {
            None => Ok(None),
            Some(e) => T::from_der(e.extn_value.as_bytes())
                .map(Some)
                .map_err(|_| ChainError::Malformed(0)),
        }
    }

    /// Whether basicConstraints says this is a CA.
    pub fn is_ca(&self) -> bool {
        matches!(self.extension::<BasicConstraints>(BASIC_CONSTRAINTS), Ok(Some(bc)) if bc.ca)
    }

    /// The key usage bits, if the extension is present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.extension::<KeyUsage>(KEY_USAGE).ok().flatten()
    }

    /// The extended key usage OIDs, if the extension is present.
    pub fn extended_key_usage(&self) -> Option<Vec<String>> {
        self.extension::<ExtendedKeyUsage>(EXT_KEY_USAGE)
            .ok()
            .flatten()
            .map(|eku| eku.0.iter().map(|o| o.to_string()).collect())
    }

    /// DNS names and URIs in subjectAltName.
    pub fn subject_alt_names(&self) -> (Vec<String>, Vec<String>) {
        let mut dns = Vec::new();
        let mut uris = Vec::new();
        if let Ok(Some(san)) = self.extension::<SubjectAltName>(SUBJECT_ALT_NAME) {
            for name in san.0 {
                match name {
                    GeneralName::DnsName(d) => dns.push(d.to_string()),
                    GeneralName::UniformResourceIdentifier(u) => uris.push(u.to_string()),
                    _ => {}
                }
            }
        }
        (dns, uris)
    }

    /// The subjectKeyIdentifier extension's value, if present.
    pub fn subject_key_identifier(&self) -> Option<Vec<u8>> {
        self.extension::<SubjectKeyIdentifier>(SUBJECT_KEY_IDENTIFIER)
            .ok()
            .flatten()
            .map(|s| s.0.as_bytes().to_vec())
    }

    /// The keyIdentifier of the authorityKeyIdentifier extension, if present (what a DCQL
    /// `aki` trusted authority names, OpenID4VP 1.0 section 6.1.1.1).
    pub fn authority_key_identifier(&self) -> Option<Vec<u8>> {
        self.extension::<AuthorityKeyIdentifier>(AUTHORITY_KEY_IDENTIFIER)
            .ok()
            .flatten()
            .and_then(|a| a.key_identifier)
            .map(|k| k.as_bytes().to_vec())
    }

    /// The serial number's bytes (big-endian, as encoded).
    pub fn serial_number(&self) -> Vec<u8> {
        self.cert.tbs_certificate.serial_number.as_bytes().to_vec()
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// Whether `issuer` issued this certificate: names chain and the signature verifies.
    fn verify_issued_by(&self, issuer: &Certificate, index: usize) -> Result<(), ChainError> {
        let (a, b) = (
            self.cert
                .tbs_certificate
                .issuer
                .to_der()
                .map_err(|_| ChainError::Malformed(index))?,
            issuer
                .cert
                .tbs_certificate
                .subject
                .to_der()
                .map_err(|_| ChainError::Malformed(index + 1))?,
        );
        if a != b {
            return Err(ChainError::NameMismatch(index));
        }
        let key = issuer
            .public_key()
            .map_err(|_| ChainError::UnsupportedAlgorithm(index + 1))?;
        let oid = self.cert.signature_algorithm.oid;
        let hash = match oid {
            o if o == ECDSA_SHA256 => HashAlg::Sha256,
            o if o == ECDSA_SHA384 => HashAlg::Sha384,
            o if o == ECDSA_SHA512 => HashAlg::Sha512,
            o if o == ED25519 => HashAlg::Sha512,
            _ => return Err(ChainError::UnsupportedAlgorithm(index)),
        };
        if (oid == ED25519) != (key.kind() == KeyKind::Ed25519) {
            return Err(ChainError::UnsupportedAlgorithm(index));
        }
        let raw = self
            .cert
            .signature
            .as_bytes()
            .ok_or(ChainError::Malformed(index))?;
        let sig = if oid == ED25519 {
            raw.to_vec()
        } else {
            crate::keys::ecdsa_der::der_to_fixed(raw, key.kind().coordinate_len())
                .ok_or(ChainError::BadSignature(index))?
        };
        let tbs = &self.der[self.tbs_range.0..self.tbs_range.1];
        crate::keys::provider::default()
            .verify(&key, hash, tbs, &sig)
            .map_err(|_| ChainError::BadSignature(index))
    }

    fn check_time(&self, index: usize, at: i64) -> Result<(), ChainError> {
        let (not_before, not_after) = self.validity();
        if at < not_before || at > not_after {
            return Err(ChainError::Expired {
                index,
                at,
                not_before,
                not_after,
            });
        }
        Ok(())
    }

    fn check_ca(&self, index: usize) -> Result<(), ChainError> {
        let can_sign = self
            .key_usage()
            .is_none_or(|ku| ku.0.contains(KeyUsages::KeyCertSign));
        if !self.is_ca() || !can_sign {
            return Err(ChainError::NotCa(index));
        }
        Ok(())
    }
}

/// What the leaf certificate must be allowed to do.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeafProfile<'a> {
    /// An extended key usage OID the leaf must carry (`1.0.18013.5.1.2` for an mdoc DS).
    pub required_eku: Option<&'a str>,
}

/// The maximum chain length accepted (leaf, intermediates, root).
pub const MAX_CHAIN: usize = 5;

/// Validates `chain` (leaf first) at time `at` against `anchors`: every certificate within
/// its validity, each signed by the next, issuers are CAs, the leaf may sign, and the last
/// certificate is an anchor or was issued by one. Returns the index of the anchor used.
pub fn validate_chain(
    chain: &[Certificate],
    anchors: &[Certificate],
    at: i64,
    profile: &LeafProfile<'_>,
) -> Result<usize, ChainError> {
    if chain.is_empty() || chain.len() > MAX_CHAIN {
        return Err(ChainError::Length);
    }
    let leaf = &chain[0];
    if leaf
        .key_usage()
        .is_some_and(|ku| !ku.0.contains(KeyUsages::DigitalSignature))
    {
        return Err(ChainError::WrongUsage(
            "key usage does not include digitalSignature",
        ));
    }
    if let Some(eku) = profile.required_eku {
        if !leaf
            .extended_key_usage()
            .is_some_and(|l| l.iter().any(|o| o == eku))
        {
            return Err(ChainError::WrongUsage(
                "the required extended key usage is missing",
            ));
        }
    }
    for (i, cert) in chain.iter().enumerate() {
        cert.check_time(i, at)?;
        if let Some(issuer) = chain.get(i + 1) {
            issuer.check_ca(i + 1)?;
            cert.verify_issued_by(issuer, i)?;
        }
    }
    let last_index = chain.len() - 1;
    let last = &chain[last_index];
    if let Some(pos) = anchors.iter().position(|a| a == last) {
        return Ok(pos);
    }
    // Every anchor whose subject names the chain's issuer is tried: a second root that copies
    // a first one's name must neither hide the first nor be taken for it. The anchor returned
    // is the one whose key verified the chain.
    let mut failure = None;
    for (pos, anchor) in anchors.iter().enumerate() {
        if last.cert.tbs_certificate.issuer != anchor.cert.tbs_certificate.subject {
            continue;
        }
        let tried = anchor
            .check_time(last_index + 1, at)
            .and_then(|()| anchor.check_ca(last_index + 1))
            .and_then(|()| last.verify_issued_by(anchor, last_index));
        match tried {
            Ok(()) => return Ok(pos),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    Err(failure.unwrap_or(ChainError::UntrustedRoot))
}

/// The byte range of `tbsCertificate` inside a DER certificate.
fn tbs_range(der: &[u8]) -> Option<(usize, usize)> {
    let (outer_hdr, _) = tlv_header(der)?;
    let (hdr, len) = tlv_header(&der[outer_hdr..])?;
    Some((outer_hdr, outer_hdr + hdr + len))
}

/// A DER TLV header: (header length, content length).
fn tlv_header(input: &[u8]) -> Option<(usize, usize)> {
    if input.len() < 2 || input[0] != 0x30 {
        return None;
    }
    let first = input[1];
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 || input.len() < 2 + n {
        return None;
    }
    let len = input[2..2 + n]
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    (input.len() >= 2 + n + len).then_some((2 + n, len))
}

/// Remembers chains already validated, so a verifier that sees the same Document Signer
/// again skips re-verifying its certificate signatures (perf.md: cache verified chains by
/// certificate digest). An entry holds only while `at` lies inside every certificate's
/// validity, so expiry is still enforced on every use.
#[derive(Debug, Default)]
pub struct ChainCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (usize, i64, i64)>>,
    /// Certificates already parsed, by their exact DER bytes.
    parsed: std::sync::Mutex<std::collections::HashMap<std::sync::Arc<[u8]>, Certificate>>,
}

/// Entries kept at most; the cache is cleared when it is full (Document Signers are few).
const CHAIN_CACHE_MAX: usize = 4096;

impl ChainCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one DER certificate, or returns the one parsed before from the same bytes
    /// (compared in full, so a different certificate never matches).
    pub fn certificate(&self, der: &[u8]) -> Result<Certificate, ChainError> {
        if let Ok(parsed) = self.parsed.lock() {
            if let Some(c) = parsed.get(der) {
                return Ok(c.clone());
            }
        }
        let c = Certificate::from_der(der)?;
        if let Ok(mut parsed) = self.parsed.lock() {
            if parsed.len() >= CHAIN_CACHE_MAX {
                parsed.clear();
            }
            parsed.insert(c.der.clone(), c.clone());
        }
        Ok(c)
    }

    /// [`validate_chain`], answered from the cache when this exact chain, anchor set and
    /// profile validated before and `at` is inside the chain's common validity.
    pub fn validate(
        &self,
        chain: &[Certificate],
        anchors: &[Certificate],
        at: i64,
        profile: &LeafProfile<'_>,
    ) -> Result<usize, ChainError> {
        // One length-prefixed buffer hashed once by the default provider (its SHA-256 is
        // several times faster than a software one on this path).
        let size = chain
            .iter()
            .chain(anchors)
            .map(|c| c.der.len() + 8)
            .sum::<usize>()
            + 64;
        let mut buf = Vec::with_capacity(size);
        for c in chain {
            buf.extend_from_slice(&(c.der.len() as u64).to_be_bytes());
            buf.extend_from_slice(&c.der);
        }
        buf.extend_from_slice(b"anchors");
        for a in anchors {
            buf.extend_from_slice(&(a.der.len() as u64).to_be_bytes());
            buf.extend_from_slice(&a.der);
        }
        buf.extend_from_slice(profile.required_eku.unwrap_or("").as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(
            &crate::keys::provider::default().hash(crate::keys::HashAlg::Sha256, &buf),
        );
        if let Ok(entries) = self.entries.lock() {
            if let Some(&(anchor, from, until)) = entries.get(&key) {
                if at >= from && at <= until {
                    return Ok(anchor);
                }
            }
        }
        let anchor = validate_chain(chain, anchors, at, profile)?;
        let from = chain
            .iter()
            .chain(std::iter::once(&anchors[anchor]))
            .map(|c| c.validity().0)
            .max()
            .unwrap_or(at);
        let until = chain
            .iter()
            .chain(std::iter::once(&anchors[anchor]))
            .map(|c| c.validity().1)
            .min()
            .unwrap_or(at);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CHAIN_CACHE_MAX {
                entries.clear();
            }
            entries.insert(key, (anchor, from, until));
        }
        Ok(anchor)
    }
}

/// A certificate chain (leaf first) as a JOSE `x5c` header value: each certificate's DER in
/// standard base64 with padding (RFC 7515 section 4.1.6).
pub fn x5c_value(chain: &[Certificate]) -> serde_json::Value {
    use base64::Engine;
    serde_json::Value::Array(
        chain
            .iter()
            .map(|c| {
                base64::engine::general_purpose::STANDARD
                    .encode(c.der())
                    .into()
            })
            .collect(),
    )
}

/// Parses a chain received as DER certificates (an `x5c` header, leaf first); the error
/// names the position of the first that is not a certificate.
pub fn parse_chain(ders: &[Vec<u8>]) -> Result<Vec<Certificate>, ChainError> {
    ders.iter()
        .enumerate()
        .map(|(i, d)| Certificate::from_der(d).map_err(|_| ChainError::Malformed(i)))
        .collect()
}
