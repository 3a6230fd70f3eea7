//! The busy-polling consumer, `Consumer::dequeue_spin` and `dequeue_spin_for`, on every kind of
//! queue: every node delivered once, in per-producer FIFO order, under several producers; a wait
//! that ends when a late node arrives; a budget that ends a wait on an empty queue; a peeked node
//! first; room given back on a bounded queue.
#![cfg(not(loom))]

mod support;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use intrusive_mpsc::{Layout, TryDequeueError};
use support::kinds::{enqueue_now, enqueue_retrying, every_kind, CapacityKind, WaitingKind};
use support::{from_worker, msg, scaled, Fifo, Msg};

/// The capacity of the bounded queues: small, so that producers are refused often.
const CAPACITY: usize = 16;

/// Three producers, one consumer taking every node with `dequeue_spin`: each node once, each
/// producer's nodes in the order it enqueued them, and the queue empty at the end.
fn several_producers_in_order<B: CapacityKind, W: WaitingKind, L: Layout>() {
    const PRODUCERS: usize = 3;
    let per_producer = scaled(if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    });
    let queue = B::queue::<Msg, W, L>(CAPACITY);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let queue = &queue;
            s.spawn(move || {
                for seq in 0..per_producer {
                    enqueue_retrying(queue, msg(p, seq));
                }
            });
        }
        let mut consumer = queue.consumer().expect("one consumer");
        let mut fifo = Fifo::new(PRODUCERS);
        for _ in 0..PRODUCERS * per_producer {
            fifo.take(&consumer.dequeue_spin());
        }
        assert_eq!(fifo.counts(), [per_producer; PRODUCERS]);
        // Every producer has finished (each sent its last node): nothing is left.
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    });
}

/// A consumer waiting in `dequeue_spin` on an empty queue returns the node enqueued long after
/// the wait began, and the one after it.
fn returns_after_a_late_enqueue<B: CapacityKind, W: WaitingKind, L: Layout>() {
    let queue = B::queue::<Msg, W, L>(CAPACITY);
    let (report, reports) = mpsc::channel();
    thread::scope(|s| {
        let queue = &queue;
        s.spawn(move || {
            let mut consumer = queue.consumer().expect("one consumer");
            let first = consumer.dequeue_spin().seq;
            let second = consumer.dequeue_spin().seq;
            report.send((first, second)).expect("the test waits");
        });
        thread::sleep(Duration::from_millis(20));
        enqueue_now(queue, msg(0, 1));
        thread::sleep(Duration::from_millis(5));
        enqueue_now(queue, msg(0, 2));
        assert_eq!(from_worker(&reports), (1, 2));
    });
}

/// `dequeue_spin_for` gives up on an empty queue (whatever the budget), returns a queued node at
/// once, and one that arrives while it waits with budget left.
fn a_budget_ends_the_wait<B: CapacityKind, W: WaitingKind, L: Layout>() {
    let queue = B::queue::<Msg, W, L>(CAPACITY);
    let (report, reports) = mpsc::channel::<Option<usize>>();
    thread::scope(|s| {
        let queue = &queue;
        s.spawn(move || {
            let mut consumer = queue.consumer().expect("one consumer");
            for budget in [0, 1, 7, 1000, 100_000] {
                assert!(consumer.dequeue_spin_for(budget).is_none(), "empty");
            }
            enqueue_now(queue, msg(0, 1));
            assert_eq!(consumer.dequeue_spin_for(0).map(|m| m.seq), Some(1));
            report.send(None).expect("the test waits");
            // Waits until the node below arrives: the budget (seconds of hints even at a hint
            // per nanosecond) runs out only if the wait missed it.
            let late = consumer.dequeue_spin_for(u32::MAX).map(|m| m.seq);
            report.send(late).expect("the test waits");
        });
        assert_eq!(from_worker(&reports), None);
        thread::sleep(Duration::from_millis(10));
        enqueue_now(queue, msg(0, 2));
        assert_eq!(
            from_worker(&reports),
            Some(2),
            "the late node, before the budget ran out"
        );
    });
}

/// A peeked node comes first, and on a bounded queue each node `dequeue_spin` returns gives its
/// room back.
fn peeked_first_and_room_back<B: CapacityKind, W: WaitingKind, L: Layout>() {
    let queue = B::queue::<Msg, W, L>(2);
    enqueue_now(&queue, msg(0, 0));
    enqueue_now(&queue, msg(0, 1));
    let mut consumer = queue.consumer().expect("one consumer");
    assert_eq!(consumer.peek().map(|m| m.seq), Some(0));
    assert_eq!(consumer.dequeue_spin().seq, 0, "the peeked node first");
    if B::BOUNDED {
        assert_eq!(B::len(&queue), Some(1));
    }
    enqueue_now(&queue, msg(0, 2));
    assert_eq!(consumer.dequeue_spin_for(10).map(|m| m.seq), Some(1));
    assert_eq!(consumer.dequeue_spin().seq, 2);
    assert!(consumer.is_empty());
    if B::BOUNDED {
        assert_eq!(B::len(&queue), Some(0), "every node's room is back");
    }
}

every_kind!(
    several_producers_in_order,
    returns_after_a_late_enqueue,
    a_budget_ends_the_wait,
    peeked_first_and_room_back,
);
