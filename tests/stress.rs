//! Stress tests on plain threads, for every kind of queue: 1, 2, 4 and 8 producers with random
//! yields against one consumer that mixes every way of taking nodes out (sleeping for them too,
//! where the consumer can sleep) and checks per-producer FIFO order, no loss and no duplicate,
//! and on a bounded queue that it never holds more than its capacity; and nodes recycled back to
//! their producers through a second queue.
//!
//! Sizes: hundreds of thousands of nodes per test in release builds, fewer in debug builds, so
//! that the 40 tests stay within a few seconds each on two cores. `INTRUSIVE_MPSC_TEST_SCALE` (a
//! factor, e.g. `0.01` under valgrind) scales every count.
#![cfg(not(loom))]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use intrusive_mpsc::{Consumer, Layout, Queue, QueueRef, TryDequeueError};
use support::kinds::{enqueue_retrying, every_kind, CapacityKind, WaitingKind};
use support::{block_on, msg, promptly, scaled, Fifo, Msg, Rng, STALL};

/// Nodes per producer, for `producers` producers: the total is about the same whatever the number
/// of producers (two cores run them all), and smaller in debug builds.
fn per_producer(producers: usize) -> usize {
    let total = if cfg!(debug_assertions) {
        PER_TEST_DEBUG
    } else {
        PER_TEST_RELEASE
    };
    scaled(total / producers)
}

/// Nodes per stress test in debug and release builds.
const PER_TEST_DEBUG: usize = 200_000;
const PER_TEST_RELEASE: usize = 2_000_000;

/// The capacity of the bounded queues: small, so that producers are refused often.
const CAPACITY: usize = 32;

/// The consumer's operations, chosen at random: the first six work on every queue; the last two
/// sleep until a node arrives, where the consumer can sleep.
const OPS: u64 = 6;
const SLEEPING_OPS: u64 = 2;

/// Takes at least one node out with a randomly chosen operation, or reports that none was there.
/// Only called while more nodes are due, so a sleeping operation must return one.
fn take_some<Q>(consumer: &mut Consumer<Q>, rng: &mut Rng, fifo: &mut Fifo) -> bool
where
    Q: QueueRef<Node = Msg>,
    Q::Waiting: WaitingKind,
{
    type W<Q> = <Q as QueueRef>::Waiting;
    let ops = if W::<Q>::WAITS {
        OPS + SLEEPING_OPS
    } else {
        OPS
    };
    match rng.next() % ops {
        0 => match consumer.try_dequeue() {
            Ok(msg) => fifo.take(&msg),
            Err(TryDequeueError::Empty | TryDequeueError::Inconsistent) => return false,
        },
        1 => match consumer.dequeue() {
            Some(msg) => fifo.take(&msg),
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
            fifo.take(&msg);
        }
        3 => {
            let Some(msg) = consumer.peek() else {
                return false;
            };
            fifo.take(msg);
            assert!(consumer.drop_peeked(), "drop the node just peeked");
        }
        4 | 5 => {
            let budget = (rng.next() % 64) as usize + 1;
            let before = fifo.received();
            for msg in consumer.drain().take(budget) {
                fifo.take(&msg);
            }
            return fifo.received() > before;
        }
        6 => {
            let msg = promptly(|| W::<Q>::dequeue_timeout_blocking(consumer, STALL))
                .expect("a sleeping operation")
                .expect("no node within the timeout: a wake-up was lost");
            fifo.take(&msg);
        }
        _ => {
            let msg = block_on(std::future::poll_fn(|cx| {
                W::<Q>::poll_dequeue(consumer, cx).expect("a sleeping operation")
            }));
            fifo.take(&msg);
        }
    }
    true
}

/// Fails if a bounded queue has ever held more than its capacity, by what the threads know:
/// `accepted` counts the nodes whose `try_enqueue` has returned `Ok`, `received` the nodes the
/// consumer has taken out. Every counted acceptance made room for itself out of hand-overs the
/// consumer had already made (its claim read the consumer's count before the producer counted
/// it, and the consumer's load below comes before its later hand-overs), so
/// `accepted - received` is at most the number of nodes inside, and at most the capacity.
fn check_bound<B: CapacityKind>(accepted: &AtomicUsize, received: usize) {
    if B::BOUNDED {
        // Relaxed: see above; the argument needs no ordering beyond the queue's own.
        // Zero while producers have not counted nodes the consumer already took.
        let inside = accepted.load(Ordering::Relaxed).saturating_sub(received);
        assert!(
            inside <= CAPACITY,
            "{inside} nodes inside a queue of capacity {CAPACITY}"
        );
    }
}

/// `producers` threads enqueue their share of the nodes, yielding at random and retrying refused
/// nodes; the consumer checks them.
fn stress<B: CapacityKind, W: WaitingKind, L: Layout>(producers: usize) {
    let per = per_producer(producers);
    let queue = Arc::new(B::queue::<Msg, W, L>(CAPACITY));
    let start = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            let queue = Arc::clone(&queue);
            let start = Arc::clone(&start);
            let accepted = Arc::clone(&accepted);
            thread::spawn(move || {
                let mut rng = Rng::new(p as u64 + 1);
                while !start.load(Ordering::Acquire) {
                    std::hint::spin_loop();
                }
                for seq in 0..per {
                    enqueue_retrying(&*queue, msg(p, seq));
                    // Relaxed: see `check_bound`.
                    accepted.fetch_add(1, Ordering::Relaxed);
                    if rng.one_in(64) {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let total = per * producers;
    let mut consumer = queue.consumer().unwrap();
    let mut fifo = Fifo::new(producers);
    let mut rng = Rng::new(0xC0FFEE);
    let mut last_progress = Instant::now();
    start.store(true, Ordering::Release);
    while fifo.received() < total {
        check_bound::<B>(&accepted, fifo.received());
        if take_some(&mut consumer, &mut rng, &mut fifo) {
            last_progress = Instant::now();
        } else {
            assert!(
                last_progress.elapsed() < STALL,
                "no progress for {STALL:?}: received {} of {total}, next per producer {:?}",
                fifo.received(),
                fifo
            );
            thread::yield_now();
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    fifo.assert_all(per);
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    assert!(consumer.is_empty());
}

fn one_producer<B: CapacityKind, W: WaitingKind, L: Layout>() {
    stress::<B, W, L>(1);
}

fn two_producers<B: CapacityKind, W: WaitingKind, L: Layout>() {
    stress::<B, W, L>(2);
}

fn four_producers<B: CapacityKind, W: WaitingKind, L: Layout>() {
    stress::<B, W, L>(4);
}

fn eight_producers<B: CapacityKind, W: WaitingKind, L: Layout>() {
    stress::<B, W, L>(8);
}

/// Nodes recycled: each producer owns a pool of 32 nodes and gets them back from the consumer
/// through its own return queue, so every node is enqueued many times with a stale link.
fn recycled_nodes_round_trip<B: CapacityKind, W: WaitingKind, L: Layout>() {
    const PRODUCERS: usize = 2;
    const POOL: usize = 32;
    let rounds = scaled(if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    });
    let queue = Arc::new(B::queue::<Msg, W, L>(CAPACITY));
    let returns: Arc<Vec<Queue<Msg>>> = Arc::new((0..PRODUCERS).map(|_| Queue::new()).collect());

    let handles: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = Arc::clone(&queue);
            let returns = Arc::clone(&returns);
            thread::spawn(move || {
                let mut rng = Rng::new(100 + p as u64);
                let mut back = returns[p].consumer().unwrap();
                let mut pool: Vec<Box<Msg>> = (0..POOL).map(|_| msg(p, 0)).collect();
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
                    msg.relabel(seq);
                    enqueue_retrying(&*queue, msg);
                    if rng.one_in(128) {
                        thread::yield_now();
                    }
                }
            })
        })
        .collect();

    let mut consumer = queue.consumer().unwrap();
    let mut fifo = Fifo::new(PRODUCERS);
    let mut last_progress = Instant::now();
    while fifo.received() < rounds * PRODUCERS {
        match consumer.try_dequeue() {
            Ok(msg) => {
                fifo.take(&msg);
                returns[msg.producer].enqueue(msg);
                last_progress = Instant::now();
            }
            Err(_) => {
                assert!(last_progress.elapsed() < STALL, "stalled at {:?}", fifo);
                thread::yield_now();
            }
        }
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
}

every_kind!(
    one_producer,
    two_producers,
    four_producers,
    eight_producers,
    recycled_nodes_round_trip,
);
