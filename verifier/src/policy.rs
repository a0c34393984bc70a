//! How old trust data may be and how strict time checks are: what an employer configures.

use time::Duration;

/// The verifier's policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The purpose checks serve (`right_to_work` needs the right-to-work note).
    pub purpose: String,
    /// The oldest registry snapshot (by its issue time) the verifier decides from.
    pub max_snapshot_age: Duration,
    /// The oldest cached status list the verifier accepts when a fresh one cannot be had.
    pub max_status_age: Duration,
    /// Clock tolerance for `exp` / `nbf`, seconds.
    pub leeway: i64,
    /// How old a KB-JWT may be, seconds.
    pub kb_max_age: i64,
    /// Largest presentation accepted, bytes.
    pub max_presentation_bytes: usize,
    /// Whether status lists are consulted. Off only when a stored record is verified again
    /// later and offline: the day's status lists are not archived, and the record carries
    /// the status result of the day.
    pub check_status: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            purpose: "right_to_work".into(),
            max_snapshot_age: Duration::days(7),
            max_status_age: Duration::days(1),
            leeway: 60,
            kb_max_age: 300,
            max_presentation_bytes: 256 * 1024,
            check_status: true,
        }
    }
}
