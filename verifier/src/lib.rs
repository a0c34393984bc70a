//! The Vouch verifier: turns a presentation into a [`VerificationReport`] of named checks
//! (the order of `ARCHITECTURE.md`), runs OpenID4VP 1.0 transactions and ISO 18013-5 reader
//! sessions, and serves the employer's right-to-work check with its signed, retained records.
//!
//! Data flows one way: trust data ([`trust`], [`status`]) feeds the [`pipeline`]; the
//! [`oid4vp`] service and the [`reader`] call the pipeline; [`rtw`] applies the employer's
//! rules to a verified presentation; [`record`] signs what was decided; [`store`] keeps
//! transactions and records; [`http`] and [`web`] serve them.
//!
//! [`VerificationReport`]: credentials::report::VerificationReport
#![forbid(unsafe_code)]

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
