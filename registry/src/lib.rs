//! The Vouch trust register's service: what runs the register the pure library
//! (`trust_framework`) describes. It stores the log, checkpoints and snapshots (SQLite by
//! default, PostgreSQL at scale, through `sqlx`), serves the register's HTTP API and pages,
//! keeps the log and snapshot keys on disk, and audits a register as a regulator would.
//!
//! - [`store`]: the database (log entries, checkpoints, snapshots), with the log lock.
//! - [`service`]: the register service: admission of events, appends, checkpoints, snapshots.
//! - [`http`]: the HTTP API (read, write, authentication) and the audit's HTTP client.
//! - [`web`]: the public pages of the register.
//! - [`keys`]: the log and snapshot signing keys, in files of their own.
//! - [`audit`]: replays a register (over HTTP or from its database) and checks every leaf,
//!   checkpoint and snapshot.
//! - [`monitor`]: follows the log through its tiles, reading only what is new, and finds
//!   rewrites, shrinking and tiles that disagree with their entries.
//! - [`vical`]: the IACA list as an ISO/IEC 18013-5 Annex C VICAL (CBOR, `COSE_Sign1`).
//! - [`witness`]: a C2SP `tlog-witness` (verifies consistency before it cosigns), and the
//!   register's client that gathers its cosignatures.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
pub mod http;
pub mod keys;
pub mod monitor;
pub mod service;
pub mod store;
pub mod vical;
pub mod web;
pub mod witness;
