//! Fault tests: a producer that panics mid-stream, and nodes whose `Drop` panics while the queue
//! drops them.
//!
//! `Queue`'s `Drop` documents: if dropping a node panics, the remaining nodes are still dropped
//! (oldest first) and then the panic continues. These tests check exactly that, with per-node
//! drop counts so that a double drop (a double free for boxed nodes) is caught too.
#![cfg(not(loom))]

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use intrusive_mpsc::{node, Consumer, Link, Queue, TryDequeueError};
use support::{msg, Fifo, Msg};

/// A node that records its drop and may panic in it (the reason it is not the shared
/// `support::Msg`).
struct Bomb {
    link: Link,
    id: usize,
    explode: bool,
    log: Arc<Mutex<Vec<usize>>>,
}
node!(Bomb, link, Box<Bomb>);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.log.lock().unwrap().push(self.id);
        if self.explode {
            panic!("bomb {} went off", self.id);
        }
    }
}

fn bomb(id: usize, explode: bool, log: &Arc<Mutex<Vec<usize>>>) -> Box<Bomb> {
    Box::new(Bomb {
        link: Link::new(),
        id,
        explode,
        log: Arc::clone(log),
    })
}

/// A queue of bombs `0..count`, of which bomb `exploding` panics when dropped, and the log of
/// their drops.
fn bombs(count: usize, exploding: usize) -> (Queue<Bomb>, Arc<Mutex<Vec<usize>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let queue = Queue::<Bomb>::new();
    for id in 0..count {
        queue.enqueue(bomb(id, id == exploding, &log));
    }
    (queue, log)
}

/// Drops `queue`, expecting the panic of bomb `exploding`; returns the drop order.
fn drop_expecting_panic(
    queue: Queue<Bomb>,
    exploding: usize,
    log: &Mutex<Vec<usize>>,
) -> Vec<usize> {
    let result = panic::catch_unwind(AssertUnwindSafe(move || drop(queue)));
    let payload = result.expect_err("the node's panic continues out of the queue's drop");
    let message = payload
        .downcast_ref::<String>()
        .expect("the node's own panic payload");
    assert_eq!(*message, format!("bomb {exploding} went off"));
    log.lock().unwrap().clone()
}

#[test]
fn panicking_drop_in_the_middle_still_drops_the_rest_once() {
    let (queue, log) = bombs(6, 2);
    let order = drop_expecting_panic(queue, 2, &log);
    assert_eq!(order, [0, 1, 2, 3, 4, 5], "each node once, oldest first");
}

#[test]
fn panicking_first_and_last_nodes() {
    for exploding in [0, 4] {
        let (queue, log) = bombs(5, exploding);
        let order = drop_expecting_panic(queue, exploding, &log);
        assert_eq!(order, [0, 1, 2, 3, 4], "exploding node {exploding}");
    }
}

#[test]
fn panicking_peeked_node_still_drops_the_queued_ones() {
    let (queue, log) = bombs(4, 0);
    {
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.peek().unwrap().id, 0);
    }
    let order = drop_expecting_panic(queue, 0, &log);
    assert_eq!(order, [0, 1, 2, 3], "the peeked node first, then the rest");
}

#[test]
fn panicking_node_after_a_partial_drain() {
    let (queue, log) = bombs(6, 4);
    {
        let mut consumer = queue.consumer().unwrap();
        let taken: Vec<usize> = consumer.drain().take(2).map(|b| b.id).collect();
        assert_eq!(taken, [0, 1]);
    }
    let order = drop_expecting_panic(queue, 4, &log);
    assert_eq!(order, [0, 1, 2, 3, 4, 5]);
}

/// Takes one message, checking its producer's order; false if none was there.
fn take(consumer: &mut Consumer<&Queue<Msg>>, fifo: &mut Fifo) -> bool {
    match consumer.try_dequeue() {
        Ok(m) => {
            fifo.take(&m);
            true
        }
        Err(_) => false,
    }
}

/// A producer panics after `PANIC_AT` enqueues while another keeps going and the consumer runs:
/// everything the panicking producer enqueued is delivered in order, nothing else from it
/// appears, and the queue keeps working afterwards.
#[test]
fn producer_panicking_mid_stream() {
    const PANIC_AT: usize = 500;
    const STEADY: usize = 5_000;
    let queue = Arc::new(Queue::<Msg>::new());
    let enqueued = Arc::new(AtomicUsize::new(0));

    let doomed = {
        let queue = Arc::clone(&queue);
        let enqueued = Arc::clone(&enqueued);
        thread::spawn(move || {
            for seq in 0.. {
                if seq == PANIC_AT {
                    panic!("producer failed mid-stream");
                }
                queue.enqueue(msg(0, seq));
                enqueued.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let steady = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for seq in 0..STEADY {
                queue.enqueue(msg(1, seq));
            }
        })
    };

    let mut consumer = queue.consumer().unwrap();
    let mut fifo = Fifo::new(2);
    // Consume while both run.
    while !doomed.is_finished() || !steady.is_finished() {
        if !take(&mut consumer, &mut fifo) {
            thread::yield_now();
        }
    }
    let err = doomed.join().expect_err("the producer panicked");
    assert_eq!(
        err.downcast_ref::<&str>(),
        Some(&"producer failed mid-stream")
    );
    steady.join().unwrap();
    while take(&mut consumer, &mut fifo) {}
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    assert_eq!(enqueued.load(Ordering::Relaxed), PANIC_AT);
    assert_eq!(
        (fifo.received_from(0), fifo.received_from(1)),
        (PANIC_AT, STEADY)
    );

    // Still usable.
    queue.enqueue(msg(0, PANIC_AT));
    assert_eq!(
        consumer.dequeue().map(|m| (m.producer, m.seq)),
        Some((0, PANIC_AT))
    );
    assert!(consumer.is_empty());
}
