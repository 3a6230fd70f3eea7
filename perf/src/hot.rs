//! One hot queue across cores: the plain harness (each queue polled the way a user writes the
//! loop) beside the tuned one, and the ways a consumer can wait for its next packet.
//!
//! The plain harness is a stream: producers send their shares of one sample's packets as fast as
//! they can, with no rounds and no pause between them, and the consumer takes packets with one
//! of the [`Wait`] loops below until it has them all. The clock runs from the consumer's
//! [`WARM_UP`]th packet to its last. Packets are allocated before the producers start.

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

/// Packets per sample of the stream.
pub const STREAM: usize = 1 << 16;

/// Packets of each stream taken before the clock starts: the threads are new in each sample, and
/// their first sends pay for warming up (a fresh thread's allocator arena faults its pages in as
/// a block-based channel allocates its first blocks), which is no part of the steady rate.
pub const WARM_UP: usize = 1 << 14;

/// One sample: the figure, and whether any thread of the sample was preempted (an involuntary
/// context switch) while the clock ran.
#[derive(Clone, Copy)]
pub struct Sample {
    /// Million messages per second, or nanoseconds per round trip.
    pub value: f64,
    /// Whether a thread was preempted during the timed part.
    pub preempted: bool,
}

/// `producers` threads send their shares of [`STREAM`] packets without pause; the calling thread
/// takes them all with `W`. Returns million packets per second.
pub fn stream<S: Subject, W: Wait<S>>(producers: usize) -> Sample {
    let queue = CachePadded::new(S::new());
    let share = STREAM / producers;
    let total = share * producers;
    let mut shares: Vec<Vec<Box<Packet>>> = (0..producers).map(|_| packets(share)).collect();
    let mut received: Vec<Box<Packet>> = Vec::with_capacity(total);
    // Fault the list's pages in now: a consumer that stopped for a page fault every 512 packets
    // would let the producers get ahead of it, and a consumer that polls without pausing would
    // look better than it is.
    // SAFETY: the writes stay within the capacity just allocated, and write bytes, not boxes: the
    // length stays 0, so nothing reads them as boxes.
    unsafe { std::ptr::write_bytes(received.as_mut_ptr(), 0, total) };
    let ready = CachePadded::new(AtomicUsize::new(0));
    let go = CachePadded::new(AtomicUsize::new(0));
    let preempted = AtomicU64::new(0);
    let pinned = pinning();
    let mut elapsed = Duration::ZERO;
    std::thread::scope(|s| {
        for (i, share) in shares.iter_mut().enumerate() {
            let producer = queue.producer();
            let (ready, go, preempted) = (&ready, &go, &preempted);
            s.spawn(move || {
                if pinned {
                    pin(Some(i + 1));
                }
                // Release: pairs with the consumer's Acquire load, which waits for every
                // producer to be running before starting the clock.
                ready.fetch_add(1, Release);
                // Acquire: pairs with the consumer's Release store of `go`.
                while go.load(Acquire) == 0 {
                    std::hint::spin_loop();
                }
                let before = thread_preemptions();
                for mut packet in share.drain(..) {
                    packet.fill();
                    let mut packet = packet;
                    while let Err(back) = S::push(&producer, packet) {
                        packet = back;
                        std::hint::spin_loop();
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
        // Acquire: pairs with each producer's Release increment.
        while ready.load(Acquire) < producers {
            std::hint::spin_loop();
        }
        // Release: pairs with the producers' Acquire loads of `go`.
        go.store(1, Release);
        let mut checksum = 0u64;
        let mut before = 0;
        let mut start = Instant::now();
        while received.len() < total {
            if received.len() == WARM_UP {
                before = thread_preemptions();
                start = Instant::now();
            }
            let packet = wait.next(&mut consumer);
            checksum = checksum.wrapping_add(packet.read());
            received.push(packet);
        }
        elapsed = start.elapsed();
        // Relaxed: as above.
        preempted.fetch_add(thread_preemptions() - before, Relaxed);
        std::hint::black_box(checksum);
        if pinned {
            pin(None);
        }
    });
    Sample {
        value: (total - WARM_UP) as f64 / elapsed.as_secs_f64() / 1e6,
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

/// The tuned harness's structure ([`threaded`](crate::threaded): rounds of [`ROUND`](crate::ROUND)
/// packets, the producers waiting for each round's start with `Backoff::snooze`, the packets
/// handed back between rounds outside the clock) with the consumer's loop `W` in place of its own:
/// to tell what the rounds do to a figure from what the loop does. `rounds` rounds; million
/// messages per second.
pub fn rounds<S: Subject, W: Wait<S>>(producers: usize, rounds: usize) -> Sample {
    let queue = CachePadded::new(S::new());
    let share = crate::ROUND / producers;
    let total = share * producers;
    let slots: Vec<std::sync::Mutex<Vec<Box<Packet>>>> = (0..producers)
        .map(|_| std::sync::Mutex::new(Vec::with_capacity(share)))
        .collect();
    let mut received = packets(total);
    let go = CachePadded::new(AtomicUsize::new(0));
    let preempted = AtomicU64::new(0);
    let pinned = pinning();
    let mut elapsed = Duration::ZERO;
    std::thread::scope(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let producer = queue.producer();
            let (go, preempted) = (&go, &preempted);
            s.spawn(move || {
                if pinned {
                    pin(Some(i + 1));
                }
                let before = thread_preemptions();
                for round in 1..=rounds {
                    let backoff = Backoff::new();
                    // Acquire: pairs with the consumer's Release store of `round`.
                    while go.load(Acquire) < round {
                        backoff.snooze();
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
        let before = thread_preemptions();
        for round in 1..=rounds {
            for slot in &slots {
                slot.lock()
                    .unwrap()
                    .extend(received.drain(received.len() - share..));
            }
            let start = Instant::now();
            // Release: pairs with the producers' Acquire loads of `go`.
            go.store(round, Release);
            let mut checksum = 0u64;
            while received.len() < total {
                let packet = wait.next(&mut consumer);
                checksum = checksum.wrapping_add(packet.read());
                received.push(packet);
            }
            elapsed += start.elapsed();
            std::hint::black_box(checksum);
        }
        // Relaxed: as above.
        preempted.fetch_add(thread_preemptions() - before, Relaxed);
        if pinned {
            pin(None);
        }
    });
    Sample {
        value: (rounds * total) as f64 / elapsed.as_secs_f64() / 1e6,
        // Relaxed: every thread that added to it has been joined.
        preempted: preempted.load(Relaxed) > 0,
    }
}
