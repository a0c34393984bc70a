//! DCQL, the Digital Credentials Query Language of OpenID4VP 1.0 (section 6), and claims
//! path pointers (section 7).
//!
//! The same query serves both sides: the wallet [`select`]s which of its credentials and
//! which of their claims answer it; the verifier [`check_response`]s that what came back
//! satisfies it.

mod check;
mod path;
mod query;
mod select;

pub use check::{check_response, PresentedCredential, Unsatisfied};
pub use path::{ClaimsPath, PathElement};
pub use query::{ClaimsQuery, CredentialQuery, CredentialSetQuery, DcqlError, DcqlQuery, Meta};
pub use select::{aki_values, select, Candidate, CredentialMatch, Selection};
