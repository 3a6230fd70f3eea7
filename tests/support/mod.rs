//! Helpers shared by the integration tests (each test file that needs them has `mod support;`).
#![allow(
    dead_code,
    reason = "every test binary includes this module and uses a different part of it"
)]

#[cfg(not(loom))]
pub mod kinds;
pub mod msg;

#[allow(unused_imports, reason = "each test binary uses some of them")]
pub use msg::{counted, drop_counter, dropped, msg, Fifo, Msg};

/// Runs a loom model under every interleaving with at most `bound` preemptions. Each model states
/// its bound beside it, so `LOOM_MAX_PREEMPTIONS` does not change what CI checks.
#[cfg(loom)]
pub fn check(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(f);
}

/// One module of `#[test]`s per generic loom model `$f`, one test per listed instance, each
/// calling `$f` with that instance's type arguments (names from `intrusive_mpsc`): with
/// `models!(f { compact: Compact; padded: Padded; })`, `f::compact` runs `f::<Compact>()`.
#[cfg(loom)]
#[allow(unused_macros, reason = "each loom test binary uses some of them")]
macro_rules! models {
    ($f:ident { $($test:ident: $($kind:ident),+;)+ }) => {
        mod $f {
            $(
                #[test]
                fn $test() {
                    super::$f::<$(::intrusive_mpsc::$kind),+>();
                }
            )+
        }
    };
}

/// Runs each loom model `fn f<L: Layout>()` under both layouts, as `f::compact` and `f::padded`.
#[cfg(loom)]
#[allow(unused_macros, reason = "each loom test binary uses some of them")]
macro_rules! both_layouts {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::models!($f {
            compact: Compact;
            padded: Padded;
        });
    )+};
}

/// Runs each loom model `fn f<L: Layout>()` under the compact layout only, as `f::compact`: for
/// models that do not race the stub's link. The padded layout runs the same code and differs only
/// in where that link sits (beside `head` rather than beside `tail`).
#[cfg(loom)]
#[allow(unused_macros, reason = "each loom test binary uses some of them")]
macro_rules! compact_only {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::models!($f {
            compact: Compact;
        });
    )+};
}

/// Runs each loom model `fn f<B: LoomCapacity, L: Layout>()` (a model of a sleeping consumer) for
/// the four kinds of queue whose consumer can sleep, as `f::unbounded_compact` to
/// `f::bounded_padded`.
#[cfg(loom)]
#[allow(unused_macros, reason = "each loom test binary uses some of them")]
macro_rules! waiting_kinds {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::models!($f {
            unbounded_compact: Unbounded, Compact;
            unbounded_padded: Unbounded, Padded;
            bounded_compact: Bounded, Compact;
            bounded_padded: Bounded, Padded;
        });
    )+};
}

#[cfg(loom)]
#[allow(unused_imports, reason = "each loom test binary uses some of them")]
pub(crate) use {both_layouts, compact_only, models, waiting_kinds};

/// A [`Capacity`](intrusive_mpsc::Capacity) a loom model can build a queue of, so one model body
/// runs on unbounded and bounded queues alike (enqueueing with `try_enqueue`, which every queue
/// has).
#[cfg(loom)]
pub trait LoomCapacity: intrusive_mpsc::Capacity + Sized {
    /// An empty queue, holding at most `capacity` nodes if it is bounded.
    fn queue<N: intrusive_mpsc::Node, W: intrusive_mpsc::Waiting, L: intrusive_mpsc::Layout>(
        capacity: usize,
    ) -> intrusive_mpsc::Queue<N, Self, W, L>;
}

#[cfg(loom)]
impl LoomCapacity for intrusive_mpsc::Unbounded {
    fn queue<N: intrusive_mpsc::Node, W: intrusive_mpsc::Waiting, L: intrusive_mpsc::Layout>(
        _: usize,
    ) -> intrusive_mpsc::Queue<N, Self, W, L> {
        intrusive_mpsc::Queue::new()
    }
}

#[cfg(loom)]
impl LoomCapacity for intrusive_mpsc::Bounded {
    fn queue<N: intrusive_mpsc::Node, W: intrusive_mpsc::Waiting, L: intrusive_mpsc::Layout>(
        capacity: usize,
    ) -> intrusive_mpsc::Queue<N, Self, W, L> {
        intrusive_mpsc::Queue::with_capacity(capacity)
    }
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

/// `count` scaled by the `INTRUSIVE_MPSC_TEST_SCALE` factor (e.g. `0.01` under valgrind), at
/// least 1.
#[cfg(not(loom))]
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
#[cfg(not(loom))]
pub fn from_worker<T>(reports: &std::sync::mpsc::Receiver<T>) -> T {
    reports
        .recv_timeout(STALL)
        .expect("the worker never reported: a wake-up was lost")
}

/// A waker that counts its wake-ups and unparks the thread that made it.
#[cfg(not(loom))]
pub struct CountingWaker {
    thread: std::thread::Thread,
    wakes: std::sync::atomic::AtomicUsize,
}

#[cfg(not(loom))]
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

#[cfg(not(loom))]
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

/// A minimal executor: polls `future` on this thread, parking between polls, and fails if it
/// is not woken within [`STALL`].
#[cfg(not(loom))]
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
#[cfg(not(loom))]
pub struct Rng(u64);

#[cfg(not(loom))]
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
