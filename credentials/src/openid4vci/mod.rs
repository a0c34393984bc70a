//! OpenID for Verifiable Credential Issuance 1.0: the messages a wallet and a credential
//! issuer exchange, typed once for the issuer, the wallet and the CLI.
//!
//! - [`offer`]: the credential offer (section 4.1) by value or by reference, and its link.
//! - [`request`]: the credential request (section 8.2): which credential, the key proofs, the
//!   response encryption asked for.
//! - [`response`]: the nonce response (section 7.2), the credential response (section 8.3)
//!   and the notification request (section 11.1).
//! - [`proof`]: the two proof-of-possession JWTs a wallet signs: key proofs
//!   (`openid4vci-proof+jwt`, Appendix F.1) and DPoP proofs (RFC 9449 section 4.2).
//! - [`client_attestation`]: wallet attestations (OAuth 2.0 Attestation-Based Client
//!   Authentication, HAIP 1.0 section 4.4.1) at PAR and the token endpoint.
//! - [`error`]: the error codes of the credential and notification endpoints (sections
//!   8.3.1.2 and 11.3) and the typed error that carries one.
//!
//! Reading a request is strict about its shape (each member of the type the specification
//! gives, exactly one credential selector, exactly one proof type); what a given issuer
//! accepts (its configurations, its key attestation policy, its batch size) is the issuer's.

pub mod client_attestation;
pub mod error;
pub mod offer;
pub mod proof;
pub mod request;
pub mod response;

pub use error::{ErrorCode, VciError};
pub use offer::{
    AuthorizationCodeGrant, CredentialOffer, Grants, OfferRef, PreAuthorizedGrant, TxCode,
};
pub use proof::{DpopClaims, KeyProofClaims, DPOP_TYP, KEY_PROOF_TYP};
pub use request::{CredentialRequest, CredentialSelector, Proofs, ResponseEncryption};
pub use response::{
    CredentialResponse, IssuedCredential, NonceResponse, NotificationEvent, NotificationRequest,
};

/// The pre-authorized code grant type (section 4.1.1).
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
