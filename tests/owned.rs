//! Owned consumers (`consumer_owned`, `OwnedConsumer`), for every kind of queue: one at a time,
//! the slot freed when one drops, worker threads, a consumer that outlives every other `Arc` of
//! its queue, hand-overs between threads, and a sleeping owned consumer woken by producers.
#![cfg(not(loom))]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{Consumer, Layout, OwnedConsumer, Queue, QueueRef, Wait};
use support::kinds::{
    enqueue_now, every_kind, every_waiting_kind, spawn_producers, CapacityKind, WaitingKind,
};
use support::{from_worker, logged, msg, scaled, Fifo, Msg, STALL};

/// A shared queue of messages of the given kind; `capacity` when bounded.
fn shared<B: CapacityKind, W: WaitingKind, L: Layout>(capacity: usize) -> Arc<Queue<Msg, B, W, L>> {
    Arc::new(B::queue(capacity))
}

/// Claims the consumer slot through the `Arc`, retrying while another consumer holds it.
fn claim<B: CapacityKind, W: WaitingKind, L: Layout>(
    queue: &Arc<Queue<Msg, B, W, L>>,
) -> OwnedConsumer<Msg, B, W, L> {
    let deadline = Instant::now() + STALL;
    loop {
        match Arc::clone(queue).consumer_owned() {
            Ok(consumer) => return consumer,
            Err(back) => {
                assert!(Arc::ptr_eq(&back, queue), "the same queue comes back");
                assert!(
                    Instant::now() < deadline,
                    "the consumer slot was never freed"
                );
                thread::yield_now();
            }
        }
    }
}

/// `producers` threads each enqueue messages 0 to `per_producer`, retrying refused ones.
fn produce<B: CapacityKind, W: WaitingKind, L: Layout>(
    queue: &Queue<Msg, B, W, L>,
    producers: usize,
    per_producer: usize,
) {
    thread::scope(|s| spawn_producers(s, queue, producers, per_producer, |_| {}));
}

/// Takes `count` messages out, as (producer, seq), polling; fails if they stop coming.
fn receive<Q: QueueRef<Node = Msg>>(
    consumer: &mut Consumer<Q>,
    count: usize,
) -> Vec<(usize, usize)> {
    let mut received = Vec::new();
    let deadline = Instant::now() + STALL;
    while received.len() < count {
        match consumer.dequeue() {
            Some(m) => received.push((m.producer, m.seq)),
            None => {
                assert!(Instant::now() < deadline, "messages stopped coming");
                thread::yield_now();
            }
        }
    }
    received
}

/// Per-producer FIFO, no loss, no duplicate: `received` holds (producer, seq) pairs in the order
/// the consumers took them.
fn assert_every_message_once_in_order(received: &[(usize, usize)], per_producer: &[usize]) {
    let mut fifo = Fifo::new(per_producer.len());
    for &(p, seq) in received {
        fifo.take_seq(p, seq);
    }
    assert_eq!(fifo.counts(), per_producer);
}

/// One consumer at a time, whichever way it was claimed; a refused claim hands the `Arc` back;
/// dropping an owned consumer frees the slot and its `Arc`.
fn one_consumer_at_a_time_and_the_arc_comes_back<B: CapacityKind, W: WaitingKind, L: Layout>() {
    fn assert_send<T: Send>() {}
    assert_send::<OwnedConsumer<Msg, B, W, L>>();

    let queue = shared::<B, W, L>(4);
    let owned = Arc::clone(&queue).consumer_owned().unwrap();
    assert_eq!(Arc::strong_count(&queue), 2, "the consumer holds an Arc");
    let back = Arc::clone(&queue).consumer_owned().unwrap_err();
    assert!(Arc::ptr_eq(&back, &queue));
    assert_eq!(Arc::strong_count(&queue), 3);
    drop(back);
    assert!(queue.consumer().is_none(), "a borrowed consumer neither");
    drop(owned);
    assert_eq!(
        Arc::strong_count(&queue),
        1,
        "the consumer's Arc is released"
    );

    let borrowed = queue.consumer().unwrap();
    assert!(
        Arc::clone(&queue).consumer_owned().is_err(),
        "no owned consumer while a borrowed one lives"
    );
    drop(borrowed);
    let owned = Arc::clone(&queue).consumer_owned().unwrap();
    assert!(queue.consumer().is_none());
    // Dropped on another thread, it frees the slot all the same.
    thread::spawn(move || drop(owned)).join().unwrap();
    assert!(queue.consumer().is_some());
    assert_eq!(Arc::strong_count(&queue), 1);
}

/// Producers on two threads, the owned consumer moved into a third; once the worker is done and
/// its consumer dropped there, the slot is free again.
fn an_owned_consumer_works_in_a_worker_thread<B: CapacityKind, W: WaitingKind, L: Layout>() {
    const PRODUCERS: usize = 2;
    let per_producer = scaled(20_000);
    let queue = shared::<B, W, L>(16);
    let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
    let worker = thread::spawn(move || {
        let received = receive(&mut consumer, PRODUCERS * per_producer);
        assert!(consumer.is_empty());
        received
    });
    produce(&queue, PRODUCERS, per_producer);
    let received = worker.join().unwrap();
    assert_every_message_once_in_order(&received, &[per_producer; PRODUCERS]);
    assert!(
        queue.consumer().is_some(),
        "the worker's consumer freed the slot"
    );
}

/// The consumer keeps the queue alive after every other `Arc` is gone; the nodes it leaves, a
/// peeked one included, are dropped exactly once, oldest first, when it goes.
fn an_owned_consumer_keeps_the_queue_alive<B: CapacityKind, W: WaitingKind, L: Layout>() {
    let drops = Arc::new(Mutex::new(Vec::new()));
    let queue = shared::<B, W, L>(8);
    for seq in 0..5 {
        enqueue_now(&*queue, logged(0, seq, &drops));
    }
    let alive = Arc::downgrade(&queue);
    let mut consumer = queue.consumer_owned().unwrap();
    assert!(alive.upgrade().is_some(), "the consumer holds the queue");
    assert_eq!(consumer.dequeue().map(|m| m.seq), Some(0));
    assert_eq!(consumer.peek().map(|m| m.seq), Some(1));
    enqueue_now(consumer.queue(), logged(0, 5, &drops));
    assert_eq!(*drops.lock().unwrap(), [0]);
    // Moved to another thread and dropped there, with the last Arc.
    thread::spawn(move || drop(consumer)).join().unwrap();
    assert!(
        alive.upgrade().is_none(),
        "the queue went with its consumer"
    );
    assert_eq!(
        *drops.lock().unwrap(),
        [0, 1, 2, 3, 4, 5],
        "each node dropped once, the peeked one first"
    );
}

/// An owned consumer on one thread takes part of a stream that producers are still sending,
/// leaves a node peeked, and drops; another, on a second thread, claims the slot as soon as it
/// is free and takes the rest. Together they receive everything, in per-producer order.
fn a_hand_over_between_threads_loses_nothing<B: CapacityKind, W: WaitingKind, L: Layout>() {
    const PRODUCERS: usize = 2;
    let per_producer = scaled(10_000);
    let total = PRODUCERS * per_producer;
    let queue = shared::<B, W, L>(16);
    // How many the first consumer took: written before it drops, read after the second
    // consumer's claim (ordered by the slot's Release and Acquire).
    let first_took = Arc::new(AtomicUsize::new(0));

    let mut first_consumer = Arc::clone(&queue).consumer_owned().unwrap();
    let first = {
        let first_took = Arc::clone(&first_took);
        thread::spawn(move || {
            let received = receive(&mut first_consumer, total / 2);
            while first_consumer.peek().is_none() && received.len() < total {
                thread::yield_now();
            }
            first_took.store(received.len(), Ordering::Relaxed);
            received
        })
    };
    let second = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            let mut consumer = claim(&queue);
            let received = receive(&mut consumer, total - first_took.load(Ordering::Relaxed));
            assert!(consumer.is_empty());
            received
        })
    };
    produce(&queue, PRODUCERS, per_producer);
    let mut received = first.join().unwrap();
    received.extend(second.join().unwrap());
    assert_every_message_once_in_order(&received, &[per_producer; PRODUCERS]);
}

/// An owned consumer blocked in `dequeue_blocking` on a worker thread is woken by each enqueue
/// (one node at a time, so a bounded queue of capacity 1 never refuses). The watchdog on its
/// reports fails the test, rather than hanging it, if a wake-up is lost.
fn a_blocked_owned_consumer_is_woken_by_producers<B: CapacityKind, L: Layout>() {
    const ROUNDS: usize = 200;
    let queue = shared::<B, Wait, L>(1);
    let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
    let (report, reports) = mpsc::channel();
    let worker = thread::spawn(move || {
        for _ in 0..ROUNDS {
            report.send(consumer.dequeue_blocking().seq).unwrap();
        }
    });
    for seq in 0..ROUNDS {
        if seq % 2 == 0 {
            // Give the worker a moment to fall asleep.
            thread::sleep(Duration::from_micros(200));
        }
        enqueue_now(&*queue, msg(0, seq));
        assert_eq!(from_worker(&reports), seq);
    }
    worker.join().unwrap();
    assert!(queue.consumer().is_some());
}

every_kind!(
    one_consumer_at_a_time_and_the_arc_comes_back,
    an_owned_consumer_works_in_a_worker_thread,
    an_owned_consumer_keeps_the_queue_alive,
    a_hand_over_between_threads_loses_nothing,
);

every_waiting_kind!(a_blocked_owned_consumer_is_woken_by_producers);
