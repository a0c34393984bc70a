//! One module per command group.

pub mod employer;
pub mod issuer;
pub mod key;
pub mod mdoc;
pub mod pki;
pub mod registry;
pub mod sd_jwt;
pub mod up;
pub mod vc;
pub mod verifier;
pub mod wallet;
pub mod wallet_web;
