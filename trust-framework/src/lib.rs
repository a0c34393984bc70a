//! The Vouch trust register: certified providers, their services, CAB certificates,
//! supplementary notes and trust anchors, and relying parties with their registered
//! purposes; kept as a fold over an append-only event log whose entries are leaves of an
//! RFC 9162 Merkle tree with C2SP signed checkpoints; published as signed snapshots for
//! offline use; and queried through pure trust decisions.
//!
//! Data flows one way: [`events`] are appended to the [`log`] (leaves of the [`merkle`]
//! tree, heads signed as [`checkpoint`]s), folded into the [`register`], published as a
//! [`snapshot`], and read by [`decision`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admission;
pub mod canonical;
pub mod checkpoint;
pub mod decision;
pub mod events;
pub mod fixtures;
pub mod genesis;
pub mod log;
pub mod merkle;
pub mod model;
pub mod note;
pub mod register;
pub mod snapshot;
