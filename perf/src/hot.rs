//! One hot queue across cores: the plain harness (each queue polled the way a user writes the
//! loop) beside the tuned one, and the ways a consumer can wait for its next packet.
//!
//! The plain harness is a stream: producers send their shares of one sample's packets as fast as
//! they can, with no rounds and no pause between them, and the consumer takes packets with one
//! of the [`Wait`] loops below until it has them all. The time runs from the producers' start to
//! the consumer's last packet. Packets are allocated before the clock starts.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Release};
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
pub const STREAM: usize = 1 << 17;

/// `producers` threads send their shares of [`STREAM`] packets without pause; the calling thread
/// takes them all with `W`. Returns million packets per second.
pub fn stream<S: Subject, W: Wait<S>>(producers: usize) -> f64 {
    let queue = CachePadded::new(S::new());
    let share = STREAM / producers;
    let total = share * producers;
    let mut shares: Vec<Vec<Box<Packet>>> = (0..producers).map(|_| packets(share)).collect();
    let mut received = Vec::with_capacity(total);
    let ready = CachePadded::new(AtomicUsize::new(0));
    let go = CachePadded::new(AtomicUsize::new(0));
    let pinned = pinning();
    let mut elapsed = Duration::ZERO;
    std::thread::scope(|s| {
        for (i, share) in shares.iter_mut().enumerate() {
            let producer = queue.producer();
            let (ready, go) = (&ready, &go);
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
                for mut packet in share.drain(..) {
                    packet.fill();
                    let mut packet = packet;
                    while let Err(back) = S::push(&producer, packet) {
                        packet = back;
                        std::hint::spin_loop();
                    }
                }
            });
        }
        if pinned {
            pin(Some(0));
        }
        let mut consumer = queue.consumer();
        let mut wait = W::default();
        // Acquire: pairs with each producer's Release increment.
        while ready.load(Acquire) < producers {
            std::thread::yield_now();
        }
        let start = Instant::now();
        // Release: pairs with the producers' Acquire loads of `go`.
        go.store(1, Release);
        let mut checksum = 0u64;
        while received.len() < total {
            let packet = wait.next(&mut consumer);
            checksum = checksum.wrapping_add(packet.read());
            received.push(packet);
        }
        elapsed = start.elapsed();
        std::hint::black_box(checksum);
        if pinned {
            pin(None);
        }
    });
    total as f64 / elapsed.as_secs_f64() / 1e6
}

/// Round trips per ping-pong sample.
pub const ROUND_TRIPS: usize = 20_000;

/// Two threads, two queues, one packet bouncing between them: the calling thread sends it and
/// waits for it back with `W`, the other thread waits for it with `W` and sends it back.
/// Returns nanoseconds per round trip.
pub fn ping_pong<S: Subject + Sync, W: Wait<S>>() -> f64 {
    let there = CachePadded::new(S::new());
    let back = CachePadded::new(S::new());
    let pinned = pinning();
    let mut elapsed = Duration::ZERO;
    std::thread::scope(|s| {
        let (there, back) = (&there, &back);
        s.spawn(move || {
            if pinned {
                pin(Some(1));
            }
            let mut consumer = there.consumer();
            let producer = back.producer();
            let mut wait = W::default();
            for _ in 0..ROUND_TRIPS {
                let mut packet = wait.next(&mut consumer);
                packet.fill();
                if S::push(&producer, packet).is_err() {
                    unreachable!("one packet fits every queue");
                }
            }
        });
        if pinned {
            pin(Some(0));
        }
        let mut consumer = back.consumer();
        let producer = there.producer();
        let mut wait = W::default();
        let mut packet = packets(1).pop().expect("one packet");
        let start = Instant::now();
        for _ in 0..ROUND_TRIPS {
            packet.fill();
            if S::push(&producer, packet).is_err() {
                unreachable!("one packet fits every queue");
            }
            packet = wait.next(&mut consumer);
        }
        elapsed = start.elapsed();
        if pinned {
            pin(None);
        }
    });
    elapsed.as_nanos() as f64 / ROUND_TRIPS as f64
}

/// Exploration: after "nothing", wait `FIRST` spin-loop hints before polling again, doubling the
/// wait after each further "nothing" up to `CAP` hints.
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
