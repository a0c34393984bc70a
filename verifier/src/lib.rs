//! The Vouch verifier: turns a presentation into a [`VerificationReport`] of named checks
//! (in the report order of [`CheckName`]), runs OpenID4VP 1.0 transactions and ISO 18013-5
//! reader sessions, and serves the employer's right-to-work check with its signed, retained
//! records.
//!
//! - [`access`]: who may see a check: the browser that started it, or the API key.
//! - [`export`]: the Home Office inspection export: records, pages and the access log.
//! - [`http`]: the HTTP surface: OpenID4VP endpoints, the employer's pages, records.
//! - [`oid4vp`]: the OpenID4VP 1.0 verifier: transactions, request objects, responses.
//! - [`pipeline`]: the verification pipeline: one presentation in, one report out.
//! - [`policy`]: how old trust data may be and how strict time checks are.
//! - [`reader`]: the ISO/IEC 18013-5 reader (proximity), its answer through the pipeline.
//! - [`record`]: the signed, retained record of a check and its offline verification.
//! - [`rtw`]: the employer's rules for a digital right-to-work check.
//! - [`status`]: Token Status Lists, fetched and cached.
//! - [`store`]: transactions and retained records in SQLite or PostgreSQL, through sqlx.
//! - [`trust`]: trust data from the registry: a verified snapshot and Merkle proofs.
//! - [`vc_api`]: the W3C VC API verifier endpoints.
//! - [`web`]: the server-rendered pages of the right-to-work check.
//! - [`webhook`]: signed completion notices to the organisation's HR system.
//! - [`words`]: dates, times, nationalities and documents in the words people read.
//!
//! Data flows one way: trust data ([`trust`], [`status`]) feeds the [`pipeline`]; the
//! [`oid4vp`] service and the [`reader`] call the pipeline; [`rtw`] applies the employer's
//! rules to a verified presentation; [`record`] signs what was decided; [`store`] keeps
//! transactions and records; [`http`] and [`web`] serve them.
//!
//! [`VerificationReport`]: credentials::report::VerificationReport
//! [`CheckName`]: credentials::report::CheckName
#![forbid(unsafe_code)]

pub mod access;
pub mod export;
pub mod http;
pub mod oid4vp;
pub mod pipeline;
pub mod policy;
pub mod reader;
pub mod record;
pub mod rtw;
pub mod status;
pub mod store;
pub mod trust;
pub mod vc_api;
pub mod web;
pub mod webhook;
pub mod words;

/// Seconds since the epoch of a time.
pub fn ts(t: time::OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// A time from seconds since the epoch (the epoch itself if out of range).
pub fn from_ts(s: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(s).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339 text of a time.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A human duration: "3 minutes", "2 days".
pub fn human_age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = if s < 120 {
        (s, "second")
    } else if s < 7200 {
        (s / 60, "minute")
    } else if s < 172_800 {
        (s / 3600, "hour")
    } else {
        (s / 86_400, "day")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}
