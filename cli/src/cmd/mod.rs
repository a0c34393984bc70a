//! One module per command group.

pub mod key;
pub mod sd_jwt;
