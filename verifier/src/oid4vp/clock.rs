//! The clock transactions, request objects and records are dated by: the system clock in
//! service, a fixed one in tests.

use std::sync::Mutex;

use time::OffsetDateTime;

/// A clock (a fake one in tests).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stays where it is set.
pub struct FixedClock(pub Mutex<OffsetDateTime>);

impl FixedClock {
    /// At `t`.
    pub fn new(t: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(t))
    }
    /// Moves to `t`.
    pub fn set(&self, t: OffsetDateTime) {
        *self.0.lock().expect("clock") = t;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}
