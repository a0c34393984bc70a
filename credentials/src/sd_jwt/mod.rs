//! Selective Disclosure for JWTs (RFC 9901): issue, present (with a Key Binding JWT) and
//! verify, in the compact and the JSON serialization.
//!
//! Digests are always computed over the Disclosure string exactly as received, and the
//! KB-JWT `sd_hash` over the exact presented `<JWT>~<D1>~...~<Dn>~`.

mod disclosure;
mod error;
mod issue;
mod kb;
mod present;
mod serialization;
mod verify;

pub use disclosure::Disclosure;
pub use error::SdJwtError;
pub use issue::{DisclosureFrame, SdJwtIssuer};
pub use kb::{KeyBindingJwt, KB_JWT_TYP};
pub use present::present;
pub use serialization::SdJwt;
pub use verify::{process_disclosures, verify, VerifiedSdJwt, VerifyOptions};

/// The `_sd` claim: digests of an object's selectively disclosable properties.
pub const SD: &str = "_sd";
/// The `...` key of an array element replaced by a digest.
pub const ELLIPSIS: &str = "...";
/// The `_sd_alg` claim: the hash algorithm of the digests.
pub const SD_ALG: &str = "_sd_alg";

/// The hash algorithm of Disclosure digests and `sd_hash` (IANA "Named Information" names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SdAlg {
    /// `sha-256`, the default when `_sd_alg` is absent.
    #[default]
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl SdAlg {
    /// The `_sd_alg` value.
    pub fn name(self) -> &'static str {
        match self {
            SdAlg::Sha256 => "sha-256",
            SdAlg::Sha384 => "sha-384",
            SdAlg::Sha512 => "sha-512",
        }
    }

    /// Parses an `_sd_alg` value.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha-256" => Some(SdAlg::Sha256),
            "sha-384" => Some(SdAlg::Sha384),
            "sha-512" => Some(SdAlg::Sha512),
            _ => None,
        }
    }

    /// `BASE64URL(HASH(ASCII(input)))`.
    pub fn digest(self, input: &str) -> String {
        let alg = match self {
            SdAlg::Sha256 => crate::keys::HashAlg::Sha256,
            SdAlg::Sha384 => crate::keys::HashAlg::Sha384,
            SdAlg::Sha512 => crate::keys::HashAlg::Sha512,
        };
        crate::b64::encode(crate::keys::provider::default().hash(alg, input.as_bytes()))
    }
}
