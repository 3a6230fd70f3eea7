//! The watchdogs and stress helpers of the tests on threads: timeouts that only a lost wake-up
//! reaches, the size factor, a counting waker, a minimal executor and a random number generator.
//!
//! Only `std` of the test harness, nothing of the crate's: the tests of a build without the
//! crate's `alloc` feature (`ready_static`) include this file alone as their `support`.
#![allow(dead_code, reason = "each test binary uses a different part of it")]

/// The timeout of every wait that a producer must end: long enough never to expire on a loaded
/// machine unless a wake-up was really lost.
pub const STALL: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs a wait that only a lost wake-up would stretch to its [`STALL`] timeout, and fails if it
/// took that long. A timed-out wait looks at the queue once more and may still succeed, so its
/// result alone cannot show a lost wake-up. With microseconds expected against ten seconds
/// allowed, this is a liveness check, not a timing assertion.
pub fn promptly<T>(f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let value = f();
    assert!(
        start.elapsed() < STALL / 2,
        "woken only by the timeout: a wake-up was lost"
    );
    value
}

/// `count` scaled by the `INTRUSIVE_MPSC_TEST_SCALE` factor (e.g. `0.01` under valgrind), at
/// least 1.
pub fn scaled(count: usize) -> usize {
    let scale: f64 = std::env::var("INTRUSIVE_MPSC_TEST_SCALE")
        .ok()
        .map(|s| s.parse().expect("INTRUSIVE_MPSC_TEST_SCALE is a number"))
        .unwrap_or(1.0);
    ((count as f64 * scale) as usize).max(1)
}

/// Receives what a worker thread reports, failing (instead of hanging) if it reports nothing
/// within [`STALL`]: for a worker blocked in a wait without a timeout, such as
/// `dequeue_blocking`, that only a lost wake-up would leave blocked.
pub fn from_worker<T>(reports: &std::sync::mpsc::Receiver<T>) -> T {
    reports
        .recv_timeout(STALL)
        .expect("the worker never reported: a wake-up was lost")
}

/// A waker that counts its wake-ups and unparks the thread that made it.
pub struct CountingWaker {
    thread: std::thread::Thread,
    wakes: std::sync::atomic::AtomicUsize,
}

impl CountingWaker {
    /// A counting waker for the current thread, and the `Waker` to hand out.
    pub fn new() -> (std::sync::Arc<Self>, std::task::Waker) {
        let counter = std::sync::Arc::new(CountingWaker {
            thread: std::thread::current(),
            wakes: std::sync::atomic::AtomicUsize::new(0),
        });
        let waker = std::task::Waker::from(std::sync::Arc::clone(&counter));
        (counter, waker)
    }

    /// How many times it has been woken.
    pub fn wakes(&self) -> usize {
        self.wakes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl std::task::Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.wakes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.thread.unpark();
    }
}

/// Polls `future` once, in a context of `waker`.
pub fn poll_once<F: std::future::Future + ?Sized>(
    future: std::pin::Pin<&mut F>,
    waker: &std::task::Waker,
) -> std::task::Poll<F::Output> {
    future.poll(&mut std::task::Context::from_waker(waker))
}

/// A minimal executor: polls `future` on this thread, parking between polls, and fails if it
/// is not woken within [`STALL`].
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let (_counter, waker) = CountingWaker::new();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    let deadline = std::time::Instant::now() + STALL;
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let now = std::time::Instant::now();
        assert!(now < deadline, "the future was never woken");
        std::thread::park_timeout(deadline - now);
    }
}

/// A small, fast, deterministic random number generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability 1 / `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}
