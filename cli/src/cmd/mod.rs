//! One module per command group.

pub mod issuer;
pub mod key;
pub mod mdoc;
pub mod pki;
pub mod registry;
pub mod sd_jwt;
pub mod verifier;
pub mod wallet;
