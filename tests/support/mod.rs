//! Helpers shared by the integration tests (each test file that needs them has `mod support;`).

/// Runs a loom model under every interleaving with at most `bound` preemptions. Each model states
/// its bound beside it, so `LOOM_MAX_PREEMPTIONS` does not change what CI checks.
#[cfg(loom)]
pub fn check(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(f);
}

/// The timeout of every wait that a producer must end: long enough never to expire on a loaded
/// machine unless a wake-up was really lost.
#[cfg(not(loom))]
pub const STALL: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs a wait that only a lost wake-up would stretch to its [`STALL`] timeout, and fails if it
/// took that long. A timed-out wait looks at the queue once more and may still succeed, so its
/// result alone cannot show a lost wake-up. With microseconds expected against ten seconds
/// allowed, this is a liveness check, not a timing assertion.
#[cfg(not(loom))]
pub fn promptly<T>(f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let value = f();
    assert!(
        start.elapsed() < STALL / 2,
        "woken only by the timeout: a wake-up was lost"
    );
    value
}
