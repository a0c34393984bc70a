//! Client identifier prefixes (OpenID4VP 1.0 section 5.9).

use sha2::{Digest, Sha256};

use crate::b64;
use crate::x509::Certificate;

/// A verifier's client identifier, by prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientId {
    /// `x509_san_dns:<dns name>`: a DNS subjectAltName of the request object's signing certificate.
    X509SanDns(String),
    /// `x509_hash:<base64url SHA-256 of the leaf certificate DER>`.
    X509Hash(String),
    /// `redirect_uri:<uri>`: unsigned requests only.
    RedirectUri(String),
    /// `decentralized_identifier:<did>`.
    DecentralizedIdentifier(String),
    /// `verifier_attestation:<sub>`.
    VerifierAttestation(String),
    /// No prefix: pre-registered with the wallet.
    PreRegistered(String),
}

impl ClientId {
    /// Parses a client identifier.
    pub fn parse(s: &str) -> Self {
        let split = s.split_once(':');
        match split {
            Some(("x509_san_dns", v)) => ClientId::X509SanDns(v.to_string()),
            Some(("x509_hash", v)) => ClientId::X509Hash(v.to_string()),
            Some(("redirect_uri", v)) => ClientId::RedirectUri(v.to_string()),
            Some(("decentralized_identifier", v)) => {
                ClientId::DecentralizedIdentifier(v.to_string())
            }
            Some(("verifier_attestation", v)) => ClientId::VerifierAttestation(v.to_string()),
            _ => ClientId::PreRegistered(s.to_string()),
        }
    }

    /// The `x509_hash` value for a certificate.
    pub fn x509_hash_of(cert: &Certificate) -> String {
        b64::encode(Sha256::digest(cert.der()))
    }

    /// The full identifier, with its prefix (what a KB-JWT `aud` must equal).
    pub fn as_string(&self) -> String {
        match self {
            ClientId::X509SanDns(v) => format!("x509_san_dns:{v}"),
            ClientId::X509Hash(v) => format!("x509_hash:{v}"),
            ClientId::RedirectUri(v) => format!("redirect_uri:{v}"),
            ClientId::DecentralizedIdentifier(v) => format!("decentralized_identifier:{v}"),
            ClientId::VerifierAttestation(v) => format!("verifier_attestation:{v}"),
            ClientId::PreRegistered(v) => v.clone(),
        }
    }

    /// Whether `leaf` is the certificate this identifier names (for the x509 prefixes).
    pub fn bound_to(&self, leaf: &Certificate) -> bool {
        match self {
            ClientId::X509SanDns(dns) => leaf
                .subject_alt_names()
                .0
                .iter()
                .any(|d| d.eq_ignore_ascii_case(dns)),
            ClientId::X509Hash(h) => *h == Self::x509_hash_of(leaf),
            _ => false,
        }
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_string())
    }
}
