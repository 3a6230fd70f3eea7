//! Stress tests on plain threads: 1, 2, 4 and 8 producers with random yields against one
//! consumer that mixes every way of taking nodes out and checks per-producer FIFO order, no loss
//! and no duplicate; and nodes recycled back to their producers through a second queue.
//!
//! Sizes: hundreds of thousands of nodes per producer, fewer in debug builds, so that each test
//! stays within a few seconds. `INTRUSIVE_MPSC_TEST_SCALE` (a factor, e.g. `0.01` under
//! valgrind) scales every count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{node, Consumer, Link, Queue, TryDequeueError};

/// `count` scaled by `INTRUSIVE_MPSC_TEST_SCALE`, at least 1.
fn scaled(count: usize) -> usize {
    let scale: f64 = std::env::var("INTRUSIVE_MPSC_TEST_SCALE")
        .ok()
        .map(|s| s.parse().expect("INTRUSIVE_MPSC_TEST_SCALE is a number"))
        .unwrap_or(1.0);
    ((count as f64 * scale) as usize).max(1)
}

/// Nodes per producer: two million in release builds, 500 000 in debug builds (a few seconds for
/// eight producers on two cores either way).
fn per_producer() -> usize {
    scaled(if cfg!(debug_assertions) {
        500_000
    } else {
        2_000_000
    })
}

/// Fails the test instead of hanging it when the consumer stops making progress.
const STALL: Duration = Duration::from_secs(20);

/// A small, fast, deterministic random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability 1 / `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

struct Msg {
    link: Link,
    producer: usize,
    seq: usize,
    /// Derived from `producer` and `seq`: a torn or stale node shows up as a mismatch.
    check: u64,
}
node!(Msg, link, Box<Msg>);

fn check_of(producer: usize, seq: usize) -> u64 {
    ((producer as u64) << 40 ^ seq as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Msg {
    fn new(producer: usize, seq: usize) -> Box<Msg> {
        Box::new(Msg {
            link: Link::new(),
            producer,
            seq,
            check: check_of(producer, seq),
        })
    }
}

/// The consumer's view: next expected sequence number per producer.
struct Tally {
    next: Vec<usize>,
    received: usize,
}

impl Tally {
    fn new(producers: usize) -> Self {
        Self {
            next: vec![0; producers],
            received: 0,
        }
    }

    fn got(&mut self, msg: &Msg) {
        self.got_fields(msg.producer, msg.seq, msg.check);
    }

    fn got_fields(&mut self, p: usize, seq: usize, check: u64) {
        assert_eq!(
            seq, self.next[p],
            "producer {p}: got {seq} expected {} (lost, duplicated or reordered)",
            self.next[p]
        );
        assert_eq!(check, check_of(p, seq), "corrupt node");
        self.next[p] += 1;
        self.received += 1;
    }
}

/// Takes at least one node out with a randomly chosen operation, or reports that none was there.
fn take_some(consumer: &mut Consumer<'_, Msg>, rng: &mut Rng, tally: &mut Tally) -> bool {
    match rng.next() % 6 {
        0 => match consumer.try_dequeue() {
            Ok(msg) => tally.got(&msg),
            Err(TryDequeueError::Empty | TryDequeueError::Inconsistent) => return false,
        },
        1 => match consumer.dequeue() {
            Some(msg) => tally.got(&msg),
            None => return false,
        },
        2 => {
            let Ok(msg) = consumer.try_peek() else {
                return false;
            };
            let (producer, seq) = (msg.producer, msg.seq);
            if rng.one_in(2) {
                // Leave it peeked: the next operation, whichever it is, must return it first.
                return true;
            }
            let msg = consumer.take_peeked().expect("just peeked");
            assert_eq!((msg.producer, msg.seq), (producer, seq));
            tally.got(&msg);
        }
        3 => {
            let Some(msg) = consumer.peek() else {
                return false;
            };
            tally.got_fields(msg.producer, msg.seq, msg.check);
            assert!(consumer.drop_peeked(), "drop the node just peeked");
        }
        _ => {
            let budget = (rng.next() % 64) as usize + 1;
            let before = tally.received;
            for msg in consumer.drain().take(budget) {
                tally.got(&msg);
            }
            return tally.received > before;
        }
    }
    true
}

/// `producers` threads enqueue `per` nodes each, yielding at random; the consumer checks them.
fn stress(producers: usize) {
    let per = per_producer();
    let queue = Arc::new(Queue::<Msg>::new());
    let start = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            let queue = Arc::clone(&queue);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let mut rng = Rng::new(p as u64 + 1);
                while !start.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                for seq in 0..per {
                    queue.enqueue(Msg::new(p, seq));
                    if rng.one_in(64) {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let total = per * producers;
    let mut consumer = queue.consumer().unwrap();
    let mut tally = Tally::new(producers);
    let mut rng = Rng::new(0xC0FFEE);
    let mut last_progress = Instant::now();
    start.store(true, Ordering::Release);
    while tally.received < total {
        if take_some(&mut consumer, &mut rng, &mut tally) {
            last_progress = Instant::now();
        } else {
            assert!(
                last_progress.elapsed() < STALL,
                "no progress for {STALL:?}: received {} of {total}, next per producer {:?}",
                tally.received,
                tally.next
            );
            thread::yield_now();
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert!(tally.next.iter().all(|&n| n == per), "{:?}", tally.next);
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    assert!(consumer.is_empty());
}

#[test]
fn one_producer() {
    stress(1);
}

#[test]
fn two_producers() {
    stress(2);
}

#[test]
fn four_producers() {
    stress(4);
}

#[test]
fn eight_producers() {
    stress(8);
}

/// Nodes recycled: each producer owns a pool of 32 nodes and gets them back from the consumer
/// through its own return queue, so every node is enqueued many times with a stale link.
#[test]
fn recycled_nodes_round_trip() {
    const PRODUCERS: usize = 2;
    const POOL: usize = 32;
    let rounds = scaled(if cfg!(debug_assertions) {
        200_000
    } else {
        2_000_000
    });
    let queue = Arc::new(Queue::<Msg>::new());
    let returns: Arc<Vec<Queue<Msg>>> = Arc::new((0..PRODUCERS).map(|_| Queue::new()).collect());

    let handles: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = Arc::clone(&queue);
            let returns = Arc::clone(&returns);
            thread::spawn(move || {
                let mut rng = Rng::new(100 + p as u64);
                let mut back = returns[p].consumer().unwrap();
                let mut pool: Vec<Box<Msg>> = (0..POOL).map(|_| Msg::new(p, 0)).collect();
                let start = Instant::now();
                for seq in 0..rounds {
                    let mut msg = loop {
                        if let Some(msg) = pool.pop() {
                            break msg;
                        }
                        if let Some(msg) = back.dequeue() {
                            break msg;
                        }
                        assert!(start.elapsed() < STALL * 3, "producer {p} starved");
                        thread::yield_now();
                    };
                    assert_eq!(msg.producer, p, "a node came back to the wrong producer");
                    msg.seq = seq;
                    msg.check = check_of(p, seq);
                    queue.enqueue(msg);
                    if rng.one_in(128) {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let mut consumer = queue.consumer().unwrap();
    let mut tally = Tally::new(PRODUCERS);
    let mut last_progress = Instant::now();
    while tally.received < rounds * PRODUCERS {
        match consumer.try_dequeue() {
            Ok(msg) => {
                tally.got(&msg);
                returns[msg.producer].enqueue(msg);
                last_progress = Instant::now();
            }
            Err(_) => {
                assert!(
                    last_progress.elapsed() < STALL,
                    "stalled at {:?}",
                    tally.next
                );
                thread::yield_now();
            }
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
}
