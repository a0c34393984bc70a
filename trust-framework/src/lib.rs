//! The Vouch trust register as a pure library: the regulator's record of certified
//! providers and registered relying parties, its transparency log and signed snapshots, and
//! the trust decisions the wallet and the verifier take from it. No I/O: the running
//! register (store, HTTP API, pages, key files, audit) is the `vouch-registry` crate.
//!
//! - [`admission`]: what the server admits before it logs an event (time, names, `logged_at`).
//! - [`canonical`]: canonical JSON, the exact bytes a log leaf commits to.
//! - [`checkpoint`]: C2SP tlog checkpoints, the signed tree heads.
//! - [`decision`]: trust decisions, [`decision::authorize`] and [`decision::may_request`].
//! - [`events`]: the events of the log, one per change to the register.
//! - [`fixtures`]: fictional register data for tests, benchmarks and demonstrations.
//! - [`genesis`]: starting a log and rotating its key.
//! - [`gpg45`]: GPG 45 levels of confidence and the identity profiles that reach each one.
//! - [`log`]: the transparency log in memory: leaves, Merkle tree and folded register.
//! - [`merkle`]: the RFC 9162 Merkle tree, inclusion and consistency proofs.
//! - [`cosignature`]: witness cosignatures (C2SP `cosignature/v1`) and the quorum policy.
//! - [`model`]: providers, services, CAB certificates, notes, trust anchors, relying parties.
//! - [`note`]: C2SP signed notes with Ed25519 keys.
//! - [`register`]: the register, a pure fold over the log that keeps validity intervals.
//! - [`snapshot`]: signed snapshots for offline use, and the store that refuses rollbacks.
//! - [`registration_certificate`]: the registrar's `rc-wrp+jwt` certificates of relying
//!   parties (ETSI TS 119 475), checked by wallets offline.
//! - [`tiles`]: the log as C2SP `tlog-tiles` (hash tiles, entry bundles) and the compact
//!   range a monitor extends with new leaves only.
//!
//! The register covers certified providers, their services, CAB certificates, supplementary
//! notes and trust anchors, and relying parties with their registered purposes; it is kept
//! as a fold over an append-only event log whose entries are leaves of an RFC 9162 Merkle
//! tree with C2SP signed checkpoints; published as signed snapshots for offline use; and
//! queried through pure trust decisions.
//!
//! Data flows one way: [`events`] are appended to the [`log`] (leaves of the [`merkle`]
//! tree, heads signed as [`checkpoint`]s), folded into the [`register`], published as a
//! [`snapshot`], and read by [`decision`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admission;
pub mod canonical;
pub mod checkpoint;
pub mod cosignature;
pub mod decision;
pub mod events;
pub mod fixtures;
pub mod genesis;
pub mod gpg45;
pub mod log;
pub mod merkle;
pub mod model;
pub mod note;
pub mod register;
pub mod registration_certificate;
pub mod snapshot;
pub mod tiles;
