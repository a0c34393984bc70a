//! Shared by the CLI tests: wait for a condition (a process exited, a counter reached, a line
//! logged), bounded by a deadline, never for a fixed time.
#![allow(dead_code)]

use std::process::Child;
use std::time::{Duration, Instant};

/// How often a condition is looked at again (the poll interval, not a wait for anything).
const POLL: Duration = Duration::from_millis(20);

/// Looks at `probe` until it gives `Some`, for at most `within`; `None` when it never did.
pub fn poll_until<T>(within: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Looks at `probe` until it gives `Some`; panics naming `what` when it has not within
/// `within`.
pub fn wait_until<T>(what: &str, within: Duration, probe: impl FnMut() -> Option<T>) -> T {
    poll_until(within, probe)
        .unwrap_or_else(|| panic!("timed out after {within:?} waiting for {what}"))
}

/// [`wait_until`] from inside a runtime: the runtime's thread is not blocked in between.
pub async fn wait_until_async<T>(
    what: &str,
    within: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The exit code of `child` once it has exited; killed, and a panic, when it has not within
/// `within`.
pub fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    match poll_until(within, || child.try_wait().ok().flatten()) {
        Some(status) => status.code(),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("timed out after {within:?} waiting for the process to exit");
        }
    }
}

/// Whether the text of `path` contains `what` (an empty text while it does not exist yet).
pub fn file_contains(path: &std::path::Path, what: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(what))
}
