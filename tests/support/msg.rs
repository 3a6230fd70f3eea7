//! The message every test sends unless it needs a node of its own, and the check of the order a
//! consumer receives messages in. Built under loom too (its models use the same message).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use intrusive_mpsc::{node, Link};

/// A test message: which producer (or sender) sent it, its sequence number there, a check word
/// derived from both (so a torn or stale node shows up as a mismatch), and, if the test counts
/// drops, the counter its drop adds one to (or the log it writes to).
#[derive(Debug)]
pub struct Msg {
    pub link: Link,
    pub producer: usize,
    pub seq: usize,
    check: u64,
    drops: Option<Arc<AtomicUsize>>,
    log: Option<DropLog>,
}

/// Where [`logged`] messages write their sequence numbers as they are dropped, in drop order.
pub type DropLog = Arc<Mutex<Vec<usize>>>;
node!(Msg, link, Box<Msg>);

/// Message `seq` of `producer`.
pub fn msg(producer: usize, seq: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        producer,
        seq,
        check: check_of(producer, seq),
        drops: None,
        log: None,
    })
}

/// Message `seq` of `producer`, whose drop adds one to `drops`.
pub fn counted(producer: usize, seq: usize, drops: &Arc<AtomicUsize>) -> Box<Msg> {
    let mut m = msg(producer, seq);
    m.drops = Some(Arc::clone(drops));
    m
}

/// Drops `owner` (a queue, set or channel end holding [`counted`] messages): `drops` counts
/// `before` while it lives and `after` once it is gone, so each message it held dropped with it,
/// once (`why` says what the test checks).
pub fn drop_counted<T>(owner: T, drops: &AtomicUsize, before: usize, after: usize, why: &str) {
    assert_eq!(drops.load(Relaxed), before, "dropped before their owner");
    drop(owner);
    assert_eq!(drops.load(Relaxed), after, "{why}");
}

/// Message `seq` of `producer`, whose drop appends `seq` to `log`.
pub fn logged(producer: usize, seq: usize, log: &DropLog) -> Box<Msg> {
    let mut m = msg(producer, seq);
    m.log = Some(Arc::clone(log));
    m
}

fn check_of(producer: usize, seq: usize) -> u64 {
    ((producer as u64) << 40 ^ seq as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Msg {
    /// Whether the check word still matches the producer and sequence number.
    pub fn is_intact(&self) -> bool {
        self.check == check_of(self.producer, self.seq)
    }

    /// Gives a message that came back to its producer the sequence number `seq`, to send again.
    pub fn relabel(&mut self, seq: usize) {
        self.seq = seq;
        self.check = check_of(self.producer, seq);
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        if let Some(drops) = &self.drops {
            // Relaxed: each test reads the counter on the thread that dropped the messages, or
            // after joining the threads that did.
            drops.fetch_add(1, Relaxed);
        }
        if let Some(log) = &self.log {
            log.lock().unwrap().push(self.seq);
        }
    }
}

/// Marks `m`'s producer in `seen`, failing if it was already marked: for tests and models in
/// which each producer sends one message, which must arrive once.
pub fn once_per_producer(seen: &mut [bool], m: &Msg) {
    assert!(!seen[m.producer], "duplicate");
    seen[m.producer] = true;
}

/// Checks that each producer's messages arrive exactly once and in order (per-producer FIFO):
/// the next message of producer `p` must be its `next[p]`-th.
#[derive(Debug)]
pub struct Fifo {
    next: Vec<usize>,
}

impl Fifo {
    /// Nothing received yet from any of `producers` producers.
    pub fn new(producers: usize) -> Self {
        Self {
            next: vec![0; producers],
        }
    }

    /// Checks that `m` is intact and the next message of its producer, and counts it.
    pub fn take(&mut self, m: &Msg) {
        assert!(m.is_intact(), "a torn or stale message");
        self.take_seq(m.producer, m.seq);
    }

    /// Checks that `seq` is the next sequence number of `producer`, and counts it.
    pub fn take_seq(&mut self, producer: usize, seq: usize) {
        assert_eq!(
            seq, self.next[producer],
            "producer {producer}'s messages out of order, duplicated or lost"
        );
        self.next[producer] += 1;
    }

    /// How many messages of each producer have been received.
    pub fn counts(&self) -> &[usize] {
        &self.next
    }

    /// How many messages of `producer` have been received.
    pub fn received_from(&self, producer: usize) -> usize {
        self.next[producer]
    }

    /// How many messages have been received in all.
    pub fn received(&self) -> usize {
        self.next.iter().sum()
    }

    /// Asserts that every producer's `per_producer` messages all arrived.
    pub fn assert_all(&self, per_producer: usize) {
        assert!(
            self.next.iter().all(|&n| n == per_producer),
            "received {:?} of {per_producer} per producer",
            self.next
        );
    }
}
