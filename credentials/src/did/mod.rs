//! Decentralized identifiers.
