//! The watchdogs and stress helpers of the tests on threads: timeouts that only a lost wake-up
//! reaches, the size factor, a counting waker, a minimal executor, a random number generator and
//! the check of order per member of a ready set.
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

/// A stress test's node count per producer, and in all: `debug` or `release` nodes by build,
/// [`scaled`], split evenly over `producers`.
pub fn per_producer(debug: usize, release: usize, producers: usize) -> (usize, usize) {
    let total = if cfg!(debug_assertions) {
        debug
    } else {
        release
    };
    let per_producer = scaled(total) / producers;
    (per_producer, per_producer * producers)
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

/// What a stress test's worker guards check, per member of a ready set: that each producer's
/// nodes arrive exactly once and, within a member, in that producer's order (a member may see
/// any subset of a producer's numbers, never one below the last it saw).
pub struct MemberOrder {
    producers: usize,
    /// Per member and producer, the next sequence number may not be below this.
    next: Vec<usize>,
    /// Per producer and sequence number, whether it has arrived.
    seen: Vec<Vec<bool>>,
}

impl MemberOrder {
    /// Nothing received yet from `producers` producers of `per_producer` nodes each, spread over
    /// `members` members.
    pub fn new(members: usize, producers: usize, per_producer: usize) -> Self {
        Self {
            producers,
            next: vec![0; members * producers],
            seen: vec![vec![false; per_producer]; producers],
        }
    }

    /// Checks node `seq` of `producer`, taken from member `index`: not before a later one of the
    /// same producer in that member, and not twice.
    pub fn take(&mut self, index: usize, producer: usize, seq: usize) {
        let slot = &mut self.next[index * self.producers + producer];
        assert!(
            seq >= *slot,
            "member {index}, producer {producer}: {seq} after {} (reordered)",
            *slot
        );
        *slot = seq + 1;
        assert!(
            !std::mem::replace(&mut self.seen[producer][seq], true),
            "node {seq} of producer {producer} delivered twice"
        );
    }

    /// How many nodes it expects in all.
    pub fn total(&self) -> usize {
        self.seen.iter().map(Vec::len).sum()
    }

    /// Asserts that every node of every producer arrived.
    pub fn assert_all(&self) {
        assert!(
            self.seen.iter().flatten().all(|&s| s),
            "every node delivered"
        );
    }
}

/// The guards a stress test's worker holds at once (a ready set's `Ready`s), oldest first, with
/// their members: a member handed out while already held was scheduled twice.
pub struct Held<G> {
    guards: std::collections::VecDeque<(usize, G)>,
    held: Vec<bool>,
}

impl<G> Held<G> {
    /// Holding nothing, of a set of `members` members.
    pub fn new(members: usize) -> Self {
        Self {
            guards: std::collections::VecDeque::new(),
            held: vec![false; members],
        }
    }

    /// Takes guards until it holds `limit`: `next(true)` when it holds none (the worker sleeps
    /// for one), `next(false)` otherwise, where `None` ends the round. Fails if a guard's member
    /// (`index_of`) is already held, forgetting that guard rather than dropping it in the unwind.
    /// Returns how many guards it took.
    pub fn fill(
        &mut self,
        limit: usize,
        index_of: impl Fn(&G) -> usize,
        mut next: impl FnMut(bool) -> Option<G>,
    ) -> usize {
        let mut taken = 0;
        while self.guards.len() < limit {
            let Some(guard) = next(self.guards.is_empty()) else {
                break;
            };
            let index = index_of(&guard);
            if std::mem::replace(&mut self.held[index], true) {
                std::mem::forget(guard);
                panic!("queue {index} handed out while already held: scheduled twice");
            }
            taken += 1;
            self.guards.push_back((index, guard));
        }
        taken
    }

    /// The oldest guard held and its member, which no longer counts as held.
    pub fn pop(&mut self) -> (usize, G) {
        let (index, guard) = self.guards.pop_front().expect("holding at least one guard");
        self.held[index] = false;
        (index, guard)
    }

    /// Asserts that no guard is held, once every node has arrived: a held queue would have one.
    pub fn assert_none(&self) {
        assert!(
            self.guards.is_empty(),
            "a held queue has a node, but every node has arrived"
        );
    }
}

/// What a stress test's worker thread tells the test thread, which reads it with
/// [`from_worker`].
pub enum Report<T = ()> {
    /// Still making progress: so many nodes received.
    Progress(usize),
    /// Done, with what the worker reports at the end.
    Done(T),
}

/// Sends `Progress(received)` on `report` each time `received`, just raised by `taken`, passes a
/// multiple of 4096.
pub fn report_progress<T>(
    report: &std::sync::mpsc::Sender<Report<T>>,
    received: usize,
    taken: usize,
) {
    if received / 4096 != (received - taken) / 4096 {
        report.send(Report::Progress(received)).unwrap();
    }
}

/// Reads a stress worker's reports (with [`from_worker`]'s watchdog) until it is `Done`, checking
/// that no progress report counts more than the `total` nodes sent; returns what `Done` carries.
pub fn until_done<T>(reports: &std::sync::mpsc::Receiver<Report<T>>, total: usize) -> T {
    loop {
        match from_worker(reports) {
            Report::Progress(received) => assert!(received <= total),
            Report::Done(done) => return done,
        }
    }
}

/// Producer `p` of a ready-set stress test: `per_producer` calls of `send(rng, member, seq)`, to
/// random ones of `members` members, now and then a burst into one (to use up the worker's budget
/// on it); after each pick of a member, one time in `pause_one_in` a sleep of `pause`, to let the
/// worker catch up and fall asleep. `send` may draw on the producer's generator too.
pub fn stress_producer(
    p: usize,
    per_producer: usize,
    members: usize,
    pause_one_in: u64,
    pause: std::time::Duration,
    mut send: impl FnMut(&mut Rng, usize, usize),
) {
    let mut rng = Rng::new(p as u64 + 1);
    let mut seq = 0;
    while seq < per_producer {
        let index = rng.below(members);
        let burst = rng.burst();
        for _ in 0..burst.min(per_producer - seq) {
            send(&mut rng, index, seq);
            seq += 1;
        }
        if rng.one_in(pause_one_in) {
            std::thread::sleep(pause);
        }
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

    /// How many nodes a stress producer sends in a row to the member it picked: 1, or one time in
    /// 16 a burst of 1 to 40 (to use up a worker's budget on one member).
    pub fn burst(&mut self) -> usize {
        if self.one_in(16) {
            1 + self.below(40)
        } else {
            1
        }
    }
}
