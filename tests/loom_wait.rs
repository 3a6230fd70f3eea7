//! Loom models of the waiting consumer's park/wake protocol: a lost wake-up shows up as a loom
//! deadlock (every thread parked), a lost or duplicated node as a failed assertion.
//!
//! Built only with `RUSTFLAGS="--cfg loom"`; run them with
//! `RUSTFLAGS="--cfg loom" cargo test --release --test loom_wait`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within
//! the bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! The models do not join their threads (loom runs every thread to its end anyway): a wake-up
//! that arrives after the consumer stopped waiting is legitimate, and loom's `join` mistakes such
//! an unpark of the joining thread for its own notification.
#![cfg(loom)]

mod support;

use intrusive_mpsc::{node, Link, WaitQueue};
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::{Acquire, Release};
use loom::sync::Arc;
use loom::thread;
use support::check;

struct Msg {
    link: Link,
    producer: usize,
    seq: usize,
}
node!(Msg, link, Box<Msg>);

fn msg(producer: usize, seq: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        producer,
        seq,
    })
}

/// Preemption bound 3. Two producers, one node each; the consumer blocks for both. It may
/// park before, between or after the enqueues, including while a producer is between its swap
/// and its link store: it must always be woken, and get each node once.
#[test]
fn blocking_consumer_is_woken_by_every_producer() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        for p in 0..2 {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.enqueue(msg(p, 0)));
        }
        let mut consumer = queue.consumer().unwrap();
        let mut seen = [false; 2];
        for _ in 0..2 {
            let m = consumer.dequeue_blocking();
            assert!(!seen[m.producer], "duplicate");
            seen[m.producer] = true;
        }
        assert!(consumer.try_dequeue().is_err());
    });
}

/// Preemption bound 3. One producer, two nodes, in order; the consumer blocks for each, so it
/// sleeps and wakes twice, with the stub re-enqueued in between.
#[test]
fn blocking_consumer_sleeps_and_wakes_repeatedly_in_order() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                queue.enqueue(msg(0, 0));
                queue.enqueue(msg(0, 1));
            });
        }
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.dequeue_blocking().seq, 0);
        assert_eq!(consumer.dequeue_blocking().seq, 1);
    });
}

/// Preemption bound 3. An async consumer awaits two nodes from two producers under
/// `loom::future::block_on`: every poll registers the task's waker in the waker cell, racing
/// with the producers' wakes.
#[test]
fn async_consumer_is_woken_by_every_producer() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        for p in 0..2 {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.enqueue(msg(p, 0)));
        }
        let mut consumer = queue.consumer().unwrap();
        let seen = loom::future::block_on(async {
            let mut seen = [false; 2];
            for _ in 0..2 {
                let m = consumer.dequeue_async().await;
                assert!(!seen[m.producer], "duplicate");
                seen[m.producer] = true;
            }
            seen
        });
        assert_eq!(seen, [true, true]);
    });
}

/// Preemption bound 3. WireGuard's stall: the consumer stops at a peeked node that is not
/// ready and waits; another thread makes it ready and calls `notify`, while a producer enqueues
/// behind it (which must not end the wait by itself, nor hide the notify).
#[test]
fn notify_wakes_a_consumer_waiting_on_its_peeked_node() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        queue.enqueue(msg(0, 0));
        let ready = Arc::new(AtomicBool::new(false));
        {
            let (queue, ready) = (Arc::clone(&queue), Arc::clone(&ready));
            thread::spawn(move || {
                ready.store(true, Release);
                queue.notify();
            });
        }
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.enqueue(msg(0, 1)));
        }
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.peek().unwrap().seq, 0);
        while !ready.load(Acquire) {
            consumer.wait();
        }
        assert_eq!(consumer.take_peeked().unwrap().seq, 0);
        assert_eq!(consumer.dequeue_blocking().seq, 1);
    });
}

/// Preemption bound 3. A consumer waiting without a peeked node is woken by an enqueue, and
/// then finds the node.
#[test]
fn wait_without_peek_is_ended_by_an_enqueue() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.enqueue(msg(0, 7)));
        }
        let mut consumer = queue.consumer().unwrap();
        let m = loop {
            if let Ok(m) = consumer.try_dequeue() {
                break m;
            }
            consumer.wait();
        };
        assert_eq!(m.seq, 7);
    });
}

/// Preemption bound 3. The channel front: two senders send one node each and leave; the
/// receiver blocks until both nodes arrived and then learns, without a lost wake-up, that every
/// sender is gone.
#[test]
fn channel_receiver_sees_every_node_then_disconnection() {
    check(3, || {
        let (tx, mut rx) = intrusive_mpsc::channel::channel::<Msg>();
        for p in 0..2 {
            let tx = tx.clone();
            thread::spawn(move || tx.send(msg(p, 0)).unwrap());
        }
        drop(tx);
        let mut seen = [false; 2];
        while let Some(m) = rx.recv() {
            assert!(!seen[m.producer], "duplicate");
            seen[m.producer] = true;
        }
        assert_eq!(seen, [true, true], "disconnected before everything arrived");
    });
}

/// Preemption bound 3. An async receiver awaits a sender that sends once and leaves.
#[test]
fn async_channel_receiver_sees_the_node_then_disconnection() {
    check(3, || {
        let (tx, mut rx) = intrusive_mpsc::channel::channel::<Msg>();
        thread::spawn(move || tx.send(msg(0, 5)).unwrap());
        let (first, second) = loom::future::block_on(async {
            let first = rx.recv_async().await.map(|m| m.seq);
            let second = rx.recv_async().await.map(|m| m.seq);
            (first, second)
        });
        assert_eq!(first, Some(5));
        assert_eq!(second, None);
    });
}

/// Preemption bound 3. A batch spliced in with one swap wakes a consumer blocked on the empty
/// queue, and arrives in order.
#[test]
fn batch_enqueue_wakes_a_blocked_consumer() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let batch: intrusive_mpsc::Batch<Msg> = (0..2).map(|seq| msg(0, seq)).collect();
                queue.enqueue_batch(batch);
            });
        }
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.dequeue_blocking().seq, 0);
        assert_eq!(consumer.dequeue_blocking().seq, 1);
    });
}
