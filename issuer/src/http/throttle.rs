//! A growing delay after wrong sign-in codes, per subject: after the n-th wrong code for an
//! account, the next attempt is not even checked for 2^(n-1) seconds (at most 5 minutes).
//! Not a lock: the right code works again once the delay has passed, so no one can lock a
//! citizen out for good by guessing, while guessing at scale becomes slow. Each pushed
//! authorization request also survives only [`crate::store::MAX_SIGN_IN_FAILURES`] wrong
//! codes (counted in the database).
//!
//! Kept in memory, per issuer: several issuer processes each keep their own delays (the
//! per-request count in the database is shared).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The longest delay.
pub const MAX_DELAY: Duration = Duration::from_secs(300);
/// Subjects remembered at most (the oldest are dropped past it).
const MAX_TRACKED: usize = 100_000;

struct Failures {
    count: u32,
    not_before: Instant,
}

static FAILURES: LazyLock<Mutex<HashMap<(usize, String), Failures>>> =
    LazyLock::new(Default::default);

/// The delay after `count` wrong codes.
pub fn delay_after(count: u32) -> Duration {
    let secs = 1u64 << count.saturating_sub(1).min(16);
    Duration::from_secs(secs).min(MAX_DELAY)
}

/// How long `subject` must still wait before a code is checked (`None`: check it now).
/// `issuer` tells issuers of one process apart.
pub fn wait(issuer: usize, subject: &str) -> Option<Duration> {
    let map = FAILURES.lock().ok()?;
    let f = map.get(&(issuer, subject.to_string()))?;
    let now = Instant::now();
    (f.not_before > now).then(|| f.not_before - now)
}

/// Records a wrong code for `subject`; returns the delay now in force.
pub fn failed(issuer: usize, subject: &str) -> Duration {
    let Ok(mut map) = FAILURES.lock() else {
        return MAX_DELAY;
    };
    if map.len() >= MAX_TRACKED {
        let now = Instant::now();
        map.retain(|_, f| f.not_before > now);
    }
    let f = map
        .entry((issuer, subject.to_string()))
        .or_insert(Failures {
            count: 0,
            not_before: Instant::now(),
        });
    f.count = f.count.saturating_add(1);
    let d = delay_after(f.count);
    f.not_before = Instant::now() + d;
    d
}

/// Forgets the failures of `subject` (it signed in).
pub fn succeeded(issuer: usize, subject: &str) {
    if let Ok(mut map) = FAILURES.lock() {
        map.remove(&(issuer, subject.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_and_is_capped() {
        assert_eq!(delay_after(1), Duration::from_secs(1));
        assert_eq!(delay_after(2), Duration::from_secs(2));
        assert_eq!(delay_after(5), Duration::from_secs(16));
        assert_eq!(delay_after(40), MAX_DELAY);
    }

    #[test]
    fn a_subject_waits_after_a_wrong_code_and_not_after_success() {
        let issuer = 0xdead_beef;
        assert_eq!(wait(issuer, "s1"), None);
        failed(issuer, "s1");
        assert!(wait(issuer, "s1").is_some());
        assert_eq!(wait(issuer, "s2"), None, "other subjects are not delayed");
        assert_eq!(
            wait(issuer + 1, "s1"),
            None,
            "other issuers are not affected"
        );
        succeeded(issuer, "s1");
        assert_eq!(wait(issuer, "s1"), None);
    }
}
