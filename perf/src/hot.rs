//! One hot queue across cores: the plain harness (each queue polled the way a user writes the
//! loop) beside the tuned one, and the ways a consumer can wait for its next packet.
//!
//! The plain harness ([`stream`]): producers send their shares of 4096 packets as fast as they
//! can, and the consumer takes them with one of the [`Wait`] loops below; one untimed pass, then
//! two timed passes over the same packets. The tuned harness is [`threaded`](crate::threaded);
//! [`passes`] runs its structure with any loop.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::time::{Duration, Instant};

use crossbeam_utils::{Backoff, CachePadded};
use intrusive_mpsc::{Bounded, NoWait, Queue, Unbounded};

use crate::{packets, pin, pinning, Cordyceps, Named, Ours, OursBounded, Packet, Seg, Subject};

/// A subject the plain harness can poll once without waiting at all: `try_dequeue` for ours (an
/// `Inconsistent` answer is "nothing" too), `try_recv`, `pop`.
pub trait Plain: Subject {
    /// One poll, never waiting.
    fn try_pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>>;
}

impl<L: Named> Plain for Ours<L> {
    #[inline]
    fn try_pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.try_dequeue().ok()
    }
}

impl<L: Named> Plain for OursBounded<L> {
    #[inline]
    fn try_pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.try_dequeue().ok()
    }
}

impl Plain for Cordyceps {
    #[inline]
    fn try_pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.dequeue()
    }
}

impl Plain for Seg {
    #[inline]
    fn try_pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.pop()
    }
}

impl Plain for crate::CbChannel {
    #[inline]
    fn try_pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.try_recv().ok()
    }
}

/// How a consumer waits for its next packet: a loop around polls, with its own state.
pub trait Wait<S: Subject>: Default {
    /// The next packet, waiting as long as it takes.
    fn next(&mut self, c: &mut S::Consumer<'_>) -> Box<Packet>;
}

/// A user's loop: poll again at once until something comes (`loop { if let Ok(p) =
/// c.try_dequeue() { break p } }`).
#[derive(Default)]
pub struct Tight;

impl<S: Plain> Wait<S> for Tight {
    #[inline]
    fn next(&mut self, c: &mut S::Consumer<'_>) -> Box<Packet> {
        loop {
            if let Some(p) = S::try_pop(c) {
                return p;
            }
        }
    }
}

/// A user's loop with a spin-loop hint between polls (`std::hint::spin_loop()`).
#[derive(Default)]
pub struct TightHint;

impl<S: Plain> Wait<S> for TightHint {
    #[inline]
    fn next(&mut self, c: &mut S::Consumer<'_>) -> Box<Packet> {
        loop {
            if let Some(p) = S::try_pop(c) {
                return p;
            }
            std::hint::spin_loop();
        }
    }
}

/// The tuned harness's loop (`threaded` in this crate): poll, and when nothing came, crossbeam's
/// `Backoff::snooze` (1, 2, 4 .. 64 spin-loop hints, then yielding the thread), reset by a packet.
/// Through `Subject::pop`: ours by `dequeue`, which waits out a producer that is mid-enqueue.
#[derive(Default)]
pub struct Tuned;

impl<S: Subject> Wait<S> for Tuned {
    #[inline]
    fn next(&mut self, c: &mut S::Consumer<'_>) -> Box<Packet> {
        let backoff = Backoff::new();
        loop {
            if let Some(p) = S::pop(c) {
                return p;
            }
            backoff.snooze();
        }
    }
}

/// The policy: after an answer of "nothing", the next 63 polls answer "nothing" without
/// touching the queue, and the 64th asks again.
#[derive(Default)]
pub struct Skip63 {
    skip: u32,
}

impl<S: Plain> Wait<S> for Skip63 {
    #[inline]
    fn next(&mut self, c: &mut S::Consumer<'_>) -> Box<Packet> {
        loop {
            if self.skip > 0 {
                self.skip -= 1;
                // The skipped poll's cost, without touching the queue.
                std::hint::black_box(&self.skip);
                continue;
            }
            if let Some(p) = S::try_pop(c) {
                return p;
            }
            self.skip = 63;
        }
    }
}

/// crossbeam-channel's own blocking `recv`.
#[derive(Default)]
pub struct Recv;

impl Wait<crate::CbChannel> for Recv {
    #[inline]
    fn next(&mut self, c: &mut &crossbeam_channel::Receiver<Box<Packet>>) -> Box<Packet> {
        c.recv().expect("a sender lives")
    }
}

/// The crate's busy-polling consumer, `Consumer::dequeue_spin`.
#[derive(Default)]
pub struct DequeueSpin;

impl<L: Named> Wait<Ours<L>> for DequeueSpin {
    #[inline]
    fn next(
        &mut self,
        c: &mut intrusive_mpsc::Consumer<&Queue<Packet, Unbounded, NoWait, L>>,
    ) -> Box<Packet> {
        c.dequeue_spin()
    }
}

impl<L: Named> Wait<OursBounded<L>> for DequeueSpin {
    #[inline]
    fn next(
        &mut self,
        c: &mut intrusive_mpsc::Consumer<&Queue<Packet, Bounded, NoWait, L>>,
    ) -> Box<Packet> {
        c.dequeue_spin()
    }
}

/// One sample: the figure, and whether any thread of the sample was preempted (an involuntary
/// context switch) while the clock ran.
#[derive(Clone, Copy)]
pub struct Sample {
    /// Million messages per second, or nanoseconds per round trip.
    pub value: f64,
    /// Whether a thread was preempted during the timed part.
    pub preempted: bool,
}

/// Passes over the same packets before the clock starts in the plain harness: the packets and
/// the threads' allocators reach their steady state (a packet that has been through the queue
/// before sits in the caches as it does in a running program; a fresh one does not, and a stream of
/// fresh packets measured something else: the consumer never caught up with the producer).
pub const WARM_PASSES: usize = 1;

/// Timed passes in the plain harness.
pub const TIMED_PASSES: usize = 2;

/// Packets per pass of the plain harness: short passes, so that on a machine shared with other
/// work some samples escape preemption even for the slower queues.
pub const PASS: usize = 4096;

/// The plain harness: `producers` threads send their shares of [`PASS`] packets without pause,
/// [`WARM_PASSES`] + [`TIMED_PASSES`] times over the same packets, and the calling thread takes
/// them with `W`. Between passes the producers wait by spinning (never yielding the thread), and
/// the clock runs over the timed passes only. Million messages per second.
pub fn stream<S: Subject, W: Wait<S>>(producers: usize) -> Sample {
    passes::<S, W>(
        producers,
        PASS,
        WARM_PASSES,
        TIMED_PASSES,
        Between::Spin,
        false,
    )
}

/// The plain harness with producers that block between passes, as a producer that waits for its
/// input does (on a condition variable, woken when the pass starts): with more threads than cores,
/// the spinning producers of [`stream`] keep a core from the consumer, or the consumer from them,
/// until the scheduler's time slice ends, and the figures are the scheduler's.
pub fn stream_blocking<S: Subject, W: Wait<S>>(producers: usize) -> Sample {
    passes::<S, W>(
        producers,
        PASS,
        WARM_PASSES,
        TIMED_PASSES,
        Between::Block,
        false,
    )
}

/// How the producers wait for the next pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Between {
    /// Spinning with `spin_loop` hints: never yields the thread.
    Spin,
    /// With crossbeam's `Backoff::snooze`, which yields the thread after a few rounds.
    Snooze,
    /// Blocked on a condition variable until the consumer starts the pass.
    Block,
}

/// `warm` untimed then `timed` timed passes of `round` packets, each drained before the next
/// starts; between passes the producers wait as `between` says. With `fresh`, each pass sends
/// packets newly allocated (by the consumer's thread, before the clock starts) instead of the
/// last pass's.
pub fn passes<S: Subject, W: Wait<S>>(
    producers: usize,
    round: usize,
    warm: usize,
    timed: usize,
    between: Between,
    fresh: bool,
) -> Sample {
    let queue = CachePadded::new(S::new());
    let share = round / producers;
    let total = share * producers;
    let slots: Vec<std::sync::Mutex<Vec<Box<Packet>>>> = (0..producers)
        .map(|_| std::sync::Mutex::new(Vec::with_capacity(share)))
        .collect();
    let mut received = packets(total);
    let go = CachePadded::new(AtomicUsize::new(0));
    // For `Between::Block`: the pass that may start, under a lock, and the producers' wake-up.
    let started = (std::sync::Mutex::new(0usize), std::sync::Condvar::new());
    let preempted = AtomicU64::new(0);
    let pinned = pinning();
    let mut elapsed = Duration::ZERO;
    let passes = warm + timed;
    std::thread::scope(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let producer = queue.producer();
            let (go, preempted, started) = (&go, &preempted, &started);
            s.spawn(move || {
                if pinned {
                    pin(Some(i + 1));
                }
                let mut before = thread_preemptions();
                for pass in 1..=passes {
                    if between == Between::Block {
                        let (lock, wake) = started;
                        let mut now = lock.lock().unwrap();
                        while *now < pass {
                            now = wake.wait(now).unwrap();
                        }
                    }
                    let backoff = Backoff::new();
                    // Acquire: pairs with the consumer's Release store of `pass`.
                    while go.load(Acquire) < pass {
                        if between == Between::Snooze {
                            backoff.snooze();
                        } else {
                            std::hint::spin_loop();
                        }
                    }
                    if pass == warm + 1 {
                        before = thread_preemptions();
                    }
                    let mut share = slot.lock().unwrap();
                    for mut packet in share.drain(..) {
                        packet.fill();
                        let mut packet = packet;
                        while let Err(back) = S::push(&producer, packet) {
                            packet = back;
                            std::hint::spin_loop();
                        }
                    }
                }
                // Relaxed: read after the scope joins this thread.
                preempted.fetch_add(thread_preemptions() - before, Relaxed);
            });
        }
        if pinned {
            pin(Some(0));
        }
        let mut consumer = queue.consumer();
        let mut wait = W::default();
        let mut before = thread_preemptions();
        for pass in 1..=passes {
            if fresh {
                // Outside the clock: the packets of the last pass go, new ones come.
                received.clear();
                received.extend(packets(total));
            }
            for slot in &slots {
                slot.lock()
                    .unwrap()
                    .extend(received.drain(received.len() - share..));
            }
            if pass == warm + 1 {
                before = thread_preemptions();
            }
            let start = Instant::now();
            // Release: pairs with the producers' Acquire loads of `go`.
            go.store(pass, Release);
            if between == Between::Block {
                let (lock, wake) = &started;
                *lock.lock().unwrap() = pass;
                wake.notify_all();
            }
            let mut checksum = 0u64;
            while received.len() < total {
                let packet = wait.next(&mut consumer);
                checksum = checksum.wrapping_add(packet.read());
                received.push(packet);
            }
            if pass > warm {
                elapsed += start.elapsed();
            }
            std::hint::black_box(checksum);
        }
        // Relaxed: as above.
        preempted.fetch_add(thread_preemptions() - before, Relaxed);
        if pinned {
            pin(None);
        }
    });
    Sample {
        value: (timed * total) as f64 / elapsed.as_secs_f64() / 1e6,
        // Relaxed: every thread that added to it has been joined.
        preempted: preempted.load(Relaxed) > 0,
    }
}

/// Round trips per ping-pong sample.
pub const ROUND_TRIPS: usize = 2_000;

/// Two threads, two queues, one packet bouncing between them: the calling thread sends it and
/// waits for it back with `W`, the other thread waits for it with `W` and sends it back.
/// Returns nanoseconds per round trip.
pub fn ping_pong<S: Subject + Sync, W: Wait<S>>() -> Sample {
    let there = CachePadded::new(S::new());
    let back = CachePadded::new(S::new());
    let pinned = pinning();
    let mut elapsed = Duration::ZERO;
    let ready = CachePadded::new(AtomicUsize::new(0));
    let preempted = AtomicU64::new(0);
    std::thread::scope(|s| {
        let (there, back, ready, preempted) = (&there, &back, &ready, &preempted);
        s.spawn(move || {
            if pinned {
                pin(Some(1));
            }
            let mut consumer = there.consumer();
            let producer = back.producer();
            let mut wait = W::default();
            // Release: pairs with the Acquire load below, so the clock starts with both threads
            // running.
            let before = thread_preemptions();
            ready.store(1, Release);
            for _ in 0..ROUND_TRIPS {
                let mut packet = wait.next(&mut consumer);
                packet.fill();
                if S::push(&producer, packet).is_err() {
                    unreachable!("one packet fits every queue");
                }
            }
            // Relaxed: read after the scope joins this thread.
            preempted.fetch_add(thread_preemptions() - before, Relaxed);
        });
        if pinned {
            pin(Some(0));
        }
        let mut consumer = back.consumer();
        let producer = there.producer();
        let mut wait = W::default();
        let mut packet = packets(1).pop().expect("one packet");
        // Acquire: pairs with the other thread's Release store.
        while ready.load(Acquire) == 0 {
            std::hint::spin_loop();
        }
        let before = thread_preemptions();
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            packet.fill();
            if S::push(&producer, packet).is_err() {
                unreachable!("one packet fits every queue");
            }
            packet = wait.next(&mut consumer);
        }
        elapsed = start.elapsed();
        // Relaxed: as above.
        preempted.fetch_add(thread_preemptions() - before, Relaxed);
        if pinned {
            pin(None);
        }
    });
    Sample {
        value: elapsed.as_nanos() as f64 / ROUND_TRIPS as f64,
        // Relaxed: the other thread has been joined.
        preempted: preempted.load(Relaxed) > 0,
    }
}

/// Exploration: after "nothing", wait `FIRST` spin-loop hints before polling again; after each
/// further "nothing", twice the last wait but never more than `CAP` (so with `CAP` below `FIRST`,
/// `FIRST` and then `CAP` each time).
#[derive(Default)]
pub struct Expo<const FIRST: u32, const CAP: u32>;

impl<S: Plain, const FIRST: u32, const CAP: u32> Wait<S> for Expo<FIRST, CAP> {
    #[inline]
    fn next(&mut self, c: &mut S::Consumer<'_>) -> Box<Packet> {
        let mut wait = FIRST;
        loop {
            if let Some(p) = S::try_pop(c) {
                return p;
            }
            for _ in 0..wait {
                std::hint::spin_loop();
            }
            wait = (wait * 2).min(CAP);
        }
    }
}

/// Involuntary context switches of the calling thread so far. Linux only; 0 elsewhere.
pub fn thread_preemptions() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `rusage` is plain integers, for which all zeroes is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage`.
        if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } == 0 {
            return u64::try_from(usage.ru_nivcsw).unwrap_or(0);
        }
    }
    0
}

/// Involuntary context switches of the whole process so far (every thread, those that ended
/// included): a sample during which this grew was preempted somewhere, by another process or by
/// its own threads sharing a core. Linux only; 0 elsewhere.
pub fn preemptions() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `rusage` is plain integers, for which all zeroes is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage`.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            return u64::try_from(usage.ru_nivcsw).unwrap_or(0);
        }
    }
    0
}

/// This crate's unbounded queue whose consumer can sleep ([`Wait`](intrusive_mpsc::Wait)), padded
/// layout: for the blocking consumer's loops below.
pub struct OursWaitPadded(Queue<Packet, Unbounded, intrusive_mpsc::Wait, intrusive_mpsc::Padded>);

impl Subject for OursWaitPadded {
    const NAME: &'static str = "WaitQueue, padded";
    type Producer<'a> = &'a Queue<Packet, Unbounded, intrusive_mpsc::Wait, intrusive_mpsc::Padded>;
    type Consumer<'a> = intrusive_mpsc::Consumer<
        &'a Queue<Packet, Unbounded, intrusive_mpsc::Wait, intrusive_mpsc::Padded>,
    >;
    fn new() -> Self {
        OursWaitPadded(Queue::new())
    }
    fn producer(&self) -> Self::Producer<'_> {
        &self.0
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self.0.consumer().expect("one consumer")
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.enqueue(packet);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.dequeue()
    }
}

/// The blocking consumer as it is: `dequeue_blocking`, which parks the thread as soon as the
/// queue answers "nothing".
#[derive(Default)]
pub struct Blocking;

impl Wait<OursWaitPadded> for Blocking {
    #[inline]
    fn next(&mut self, c: &mut <OursWaitPadded as Subject>::Consumer<'_>) -> Box<Packet> {
        c.dequeue_blocking()
    }
}

/// A spin phase before parking: `dequeue_spin_for(SPINS)`, then `dequeue_blocking`.
#[derive(Default)]
pub struct SpinThenBlock<const SPINS: u32>;

impl<const SPINS: u32> Wait<OursWaitPadded> for SpinThenBlock<SPINS> {
    #[inline]
    fn next(&mut self, c: &mut <OursWaitPadded as Subject>::Consumer<'_>) -> Box<Packet> {
        match c.dequeue_spin_for(SPINS) {
            Some(packet) => packet,
            None => c.dequeue_blocking(),
        }
    }
}
