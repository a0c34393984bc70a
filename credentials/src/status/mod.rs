//! Credential status: whether an issued credential is still valid, revoked or suspended.
//!
//! [`token_status_list`] is the IETF Token Status List (draft-ietf-oauth-status-list): a
//! bit-packed, ZLIB-compressed list of statuses published as a signed JWT or CWT, which
//! SD-JWT VCs (`status.status_list`) and mdocs (MSO `status`) point into by index. The W3C
//! Bitstring Status List (opposite bit order, GZIP) will sit beside it as its own module.

pub mod bitstring_status_list;
pub mod token_status_list;

pub use token_status_list::{
    StatusList, StatusListError, StatusListToken, StatusReference, INVALID, SUSPENDED, VALID,
};
