//! A growing delay after wrong sign-in codes, per subject: after the n-th wrong code for an
//! account, the next attempt is not even checked for 2^(n-1) seconds (at most 5 minutes).
//! Not a lock: the right code works again once the delay has passed, so no one can lock a
//! citizen out for good by guessing, while guessing at scale becomes slow. Each pushed
//! authorization request also survives only [`crate::store::MAX_SIGN_IN_FAILURES`] wrong
//! codes (counted in the database).
//!
//! Each attempt is reserved before its code is checked ([`begin`]), so parallel guesses
//! cannot share one open window. Kept in memory, per issuer: several issuer processes each
//! keep their own delays (the per-request count in the database is shared).

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

/// Reserves one attempt for `subject`, atomically: `Err(wait)` while its delay runs (the
/// code is then not checked at all); otherwise the attempt is counted before the code is
/// checked and the next delay armed, so parallel guesses cannot all slip through one open
/// window. A right code then calls [`succeeded`]. `issuer` tells issuers of one process
/// apart.
pub fn begin(issuer: usize, subject: &str) -> Result<(), Duration> {
    let Ok(mut map) = FAILURES.lock() else {
        return Err(MAX_DELAY);
    };
    let now = Instant::now();
    if map.len() >= MAX_TRACKED {
        // Only entries whose delay has lapsed and that never failed twice are dropped: a
        // flood of other names cannot reset a subject that is being guessed at.
        map.retain(|_, f| f.not_before > now || f.count > 1);
        if map.len() >= MAX_TRACKED {
            return Err(Duration::from_secs(1));
        }
    }
    let f = map
        .entry((issuer, subject.to_string()))
        .or_insert(Failures {
            count: 0,
            not_before: now,
        });
    if f.not_before > now {
        return Err(f.not_before - now);
    }
    f.count = f.count.saturating_add(1);
    f.not_before = now + delay_after(f.count);
    Ok(())
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
    fn an_attempt_is_reserved_before_its_code_is_checked() {
        let issuer = 0xdead_beef;
        assert_eq!(begin(issuer, "s1"), Ok(()));
        // A second, parallel attempt for the same account waits: the first one holds it.
        assert!(begin(issuer, "s1").is_err());
        assert_eq!(
            begin(issuer, "s2"),
            Ok(()),
            "other subjects are not delayed"
        );
        assert_eq!(
            begin(issuer + 1, "s1"),
            Ok(()),
            "other issuers are not affected"
        );
        // A right code frees the account at once.
        succeeded(issuer, "s1");
        assert_eq!(begin(issuer, "s1"), Ok(()));
    }
}
