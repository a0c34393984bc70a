//! Issuing certificates with Vouch keys (any [`Signer`], so an HSM key too): development
//! PKI for tests and `vouch pki`, and the issuer certificates an operator requests.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, RemoteKeyPair, SanType, SignatureAlgorithm,
};

use super::Certificate;
use crate::keys::{ecdsa_der, KeyKind, PublicKey, Signer};

/// What goes into a certificate.
#[derive(Clone, Debug, Default)]
pub struct CertSpec {
    /// Subject CN.
    pub common_name: String,
    /// Subject C (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Subject O.
    pub organization: Option<String>,
    /// Subject ST (an mdoc issuing jurisdiction, ISO 3166-2).
    pub state: Option<String>,
    /// notBefore, seconds since the epoch (now if `None`).
    pub not_before: Option<i64>,
    /// Validity in days from notBefore.
    pub days: u32,
    /// Whether this is a CA, and its path length constraint.
    pub ca: Option<Option<u8>>,
    /// subjectAltName DNS names.
    pub dns_names: Vec<String>,
    /// subjectAltName URIs.
    pub uris: Vec<String>,
    /// Extended key usages (OID arcs).
    pub eku: Vec<Vec<u64>>,
    /// Mark the extended key usage critical (18013-5 Annex B requires it for DS and reader certs).
    pub critical_eku: bool,
    /// issuerAltName as a URI (18013-5 Annex B asks IACA and DS certificates for one).
    pub issuer_alt_uri: Option<String>,
    /// A CRL distribution point URI.
    pub crl_uri: Option<String>,
}

/// Certificate issuance failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot issue certificate: {0}")]
pub struct DevPkiError(String);

fn err(e: impl std::fmt::Display) -> DevPkiError {
    DevPkiError(e.to_string())
}

fn rcgen_alg(kind: KeyKind) -> &'static SignatureAlgorithm {
    match kind {
        KeyKind::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyKind::P384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyKind::Ed25519 => &rcgen::PKCS_ED25519,
        KeyKind::P521 => &rcgen::PKCS_ECDSA_P521_SHA512,
    }
}

/// Lets rcgen sign through a Vouch [`Signer`] (converting to the DER signature X.509 uses).
struct RemoteSigner(Arc<dyn Signer>);

impl RemoteKeyPair for RemoteSigner {
    fn public_key(&self) -> &[u8] {
        self.0.public_key().as_bytes()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let sig = self.0.sign(msg).map_err(|_| rcgen::Error::RemoteKeyError)?;
        Ok(match self.0.public_key().kind() {
            KeyKind::Ed25519 => sig,
            _ => ecdsa_der::fixed_to_der(&sig),
        })
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        rcgen_alg(self.0.public_key().kind())
    }
}

struct SubjectKey<'a>(&'a PublicKey);

impl rcgen::PublicKeyData for SubjectKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    fn algorithm(&self) -> &SignatureAlgorithm {
        rcgen_alg(self.0.kind())
    }
}

fn params(spec: &CertSpec) -> Result<CertificateParams, DevPkiError> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(c) = &spec.country {
        dn.push(DnType::CountryName, c.as_str());
    }
    if let Some(st) = &spec.state {
        dn.push(DnType::StateOrProvinceName, st.as_str());
    }
    if let Some(o) = &spec.organization {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    dn.push(DnType::CommonName, spec.common_name.as_str());
    p.distinguished_name = dn;
    let start = match spec.not_before {
        Some(t) => time::OffsetDateTime::from_unix_timestamp(t).map_err(err)?,
        None => time::OffsetDateTime::now_utc(),
    };
    p.not_before = start;
    p.not_after = start + time::Duration::days(i64::from(spec.days.max(1)));
    p.serial_number = Some(rcgen::SerialNumber::from_slice(
        &crate::keys::provider::random_bytes::<16>().map(|b| b & 0x7f),
    ));
    match spec.ca {
        Some(path_len) => {
            p.is_ca = IsCa::Ca(match path_len {
                Some(n) => BasicConstraints::Constrained(n),
                None => BasicConstraints::Unconstrained,
            });
            p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        None => {
            // No basicConstraints at all: DER forbids writing the default cA FALSE.
            p.is_ca = IsCa::NoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        }
    }
    for d in &spec.dns_names {
        p.subject_alt_names
            .push(SanType::DnsName(d.clone().try_into().map_err(err)?));
    }
    for u in &spec.uris {
        p.subject_alt_names
            .push(SanType::URI(u.clone().try_into().map_err(err)?));
    }
    if spec.critical_eku && !spec.eku.is_empty() {
        let oids = spec
            .eku
            .iter()
            .map(|arcs| {
                let dotted = arcs
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(".");
                der::oid::ObjectIdentifier::new(&dotted).map_err(err)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let content =
            der::Encode::to_der(&x509_cert::ext::pkix::ExtendedKeyUsage(oids)).map_err(err)?;
        let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], content);
        ext.set_criticality(true);
        p.custom_extensions.push(ext);
    } else {
        p.extended_key_usages = spec
            .eku
            .iter()
            .map(|o| ExtendedKeyUsagePurpose::Other(o.clone()))
            .collect();
    }
    if let Some(uri) = &spec.issuer_alt_uri {
        // GeneralNames ::= SEQUENCE OF GeneralName; uniformResourceIdentifier is [6] IA5String.
        let mut name = vec![0x86];
        der_len(&mut name, uri.len());
        name.extend_from_slice(uri.as_bytes());
        let mut content = vec![0x30];
        der_len(&mut content, name.len());
        content.extend(name);
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[2, 5, 29, 18],
                content,
            ));
    }
    if let Some(uri) = &spec.crl_uri {
        p.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec![uri.clone()],
        }];
    }
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
}

fn key_pair(signer: Arc<dyn Signer>) -> Result<KeyPair, DevPkiError> {
    KeyPair::from_remote(Box::new(RemoteSigner(signer))).map_err(err)
}

fn to_cert(c: &rcgen::Certificate) -> Result<Certificate, DevPkiError> {
    Certificate::from_der(c.der()).map_err(err)
}

/// A self-signed certificate (a root CA when `spec.ca` is set).
pub fn self_signed(spec: &CertSpec, signer: Arc<dyn Signer>) -> Result<Certificate, DevPkiError> {
    to_cert(&params(spec)?.self_signed(&key_pair(signer)?).map_err(err)?)
}

/// A certificate for `subject` issued by the CA in `issuer` (whose key `issuer_signer` holds).
pub fn issue(
    spec: &CertSpec,
    subject: &PublicKey,
    issuer: &Certificate,
    issuer_signer: Arc<dyn Signer>,
) -> Result<Certificate, DevPkiError> {
    let issuer_key = key_pair(issuer_signer)?;
    let issuer_cert = CertificateParams::from_ca_cert_pem(&issuer.to_pem())
        .map_err(err)?
        .self_signed(&issuer_key)
        .map_err(err)?;
    to_cert(
        &params(spec)?
            .signed_by(&SubjectKey(subject), &issuer_cert, &issuer_key)
            .map_err(err)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Algorithm, SoftwareSigner};
    use crate::x509::{validate_chain, ChainError, LeafProfile};

    fn signer(alg: Algorithm) -> Arc<dyn Signer> {
        Arc::new(SoftwareSigner::generate(alg).unwrap().0)
    }

    #[test]
    fn issued_chain_validates_and_fails_outside_validity() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for (root_alg, leaf_alg) in [
            (Algorithm::Es384, Algorithm::Es256),
            (Algorithm::Es256, Algorithm::EdDsa),
        ] {
            let root_key = signer(root_alg);
            let root = self_signed(
                &CertSpec {
                    common_name: "Root".into(),
                    country: Some("GB".into()),
                    days: 10,
                    ca: Some(Some(0)),
                    ..Default::default()
                },
                root_key.clone(),
            )
            .unwrap();
            let leaf_key = signer(leaf_alg);
            let leaf = issue(
                &CertSpec {
                    common_name: "Issuer".into(),
                    days: 5,
                    dns_names: vec!["issuer.example".into()],
                    ..Default::default()
                },
                leaf_key.public_key(),
                &root,
                root_key,
            )
            .unwrap();
            assert_eq!(leaf.public_key().unwrap(), *leaf_key.public_key());
            let chain = [leaf.clone()];
            assert_eq!(
                validate_chain(
                    &chain,
                    std::slice::from_ref(&root),
                    now,
                    &LeafProfile::default()
                ),
                Ok(0)
            );
            assert!(matches!(
                validate_chain(
                    &chain,
                    std::slice::from_ref(&root),
                    now + 6 * 86400,
                    &LeafProfile::default()
                ),
                Err(ChainError::Expired { index: 0, .. })
            ));
            assert_eq!(
                validate_chain(
                    &chain,
                    &[root],
                    now,
                    &LeafProfile {
                        required_eku: Some("1.0.18013.5.1.2")
                    }
                ),
                Err(ChainError::WrongUsage(
                    "the required extended key usage is missing"
                ))
            );
            assert_eq!(
                leaf.subject_alt_names().0,
                vec!["issuer.example".to_string()]
            );
        }
    }

    #[test]
    fn chain_cache_answers_again_but_still_enforces_expiry_and_anchors() {
        use crate::x509::ChainCache;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let spec_ca = CertSpec {
            common_name: "Root".into(),
            days: 10,
            ca: Some(None),
            ..Default::default()
        };
        let (k1, k2) = (signer(Algorithm::Es256), signer(Algorithm::Es256));
        let root = self_signed(&spec_ca, k1.clone()).unwrap();
        let other = self_signed(&spec_ca, k2).unwrap();
        let leaf_spec = CertSpec {
            common_name: "Leaf".into(),
            days: 5,
            ..Default::default()
        };
        let leaf = issue(&leaf_spec, signer(Algorithm::Es256).public_key(), &root, k1).unwrap();
        let cache = ChainCache::new();
        let chain = std::slice::from_ref(&leaf);
        let p = LeafProfile::default();
        assert_eq!(
            cache.validate(chain, std::slice::from_ref(&root), now, &p),
            Ok(0)
        );
        assert_eq!(
            cache.validate(chain, std::slice::from_ref(&root), now + 60, &p),
            Ok(0)
        );
        assert!(matches!(
            cache.validate(chain, std::slice::from_ref(&root), now + 6 * 86400, &p),
            Err(ChainError::Expired { .. })
        ));
        assert_eq!(
            cache.validate(chain, std::slice::from_ref(&other), now, &p),
            Err(ChainError::BadSignature(0))
        );
    }

    #[test]
    fn chain_cache_reuses_a_parsed_certificate_only_for_the_same_bytes() {
        use crate::x509::ChainCache;
        let spec = CertSpec {
            common_name: "Root".into(),
            days: 10,
            ca: Some(None),
            ..Default::default()
        };
        let a = self_signed(&spec, signer(Algorithm::Es256)).unwrap();
        let b = self_signed(&spec, signer(Algorithm::Es256)).unwrap();
        let cache = ChainCache::new();
        assert_eq!(cache.certificate(a.der()).unwrap(), a);
        assert_eq!(cache.certificate(a.der()).unwrap(), a);
        // Same subject, other key and signature: parsed afresh, never the cached one.
        assert_eq!(cache.certificate(b.der()).unwrap(), b);
        assert_ne!(cache.certificate(b.der()).unwrap(), a);
        // One byte changed in the signature: a different certificate, parsed on its own.
        let mut der = a.der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 1;
        let tampered = cache.certificate(&der).unwrap();
        assert_ne!(tampered, a);
        assert_eq!(tampered.der(), der.as_slice());
        assert_eq!(
            cache.certificate(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            Err(ChainError::Malformed(0))
        );
    }

    #[test]
    fn rejects_chain_to_another_root_and_leaf_acting_as_ca() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let spec_ca = CertSpec {
            common_name: "Root".into(),
            days: 10,
            ca: Some(None),
            ..Default::default()
        };
        let (k1, k2) = (signer(Algorithm::Es256), signer(Algorithm::Es256));
        let root1 = self_signed(&spec_ca, k1.clone()).unwrap();
        let root2 = self_signed(&spec_ca, k2).unwrap();
        let leaf_key = signer(Algorithm::Es256);
        let leaf_spec = CertSpec {
            common_name: "Leaf".into(),
            days: 5,
            ..Default::default()
        };
        let leaf = issue(&leaf_spec, leaf_key.public_key(), &root1, k1).unwrap();
        // Same subject name, other key: the signature must fail.
        assert_eq!(
            validate_chain(
                std::slice::from_ref(&leaf),
                &[root2],
                now,
                &LeafProfile::default()
            ),
            Err(ChainError::BadSignature(0))
        );
        // A non-CA leaf cannot issue.
        let sub = issue(
            &leaf_spec,
            signer(Algorithm::Es256).public_key(),
            &leaf,
            leaf_key,
        )
        .unwrap();
        assert_eq!(
            validate_chain(&[sub, leaf], &[root1], now, &LeafProfile::default()),
            Err(ChainError::NotCa(1))
        );
    }
}
