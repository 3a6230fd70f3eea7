//! Loom models of the waiting consumer's park/wake protocol: a lost wake-up shows up as a loom
//! deadlock (every thread parked), a lost or duplicated node as a failed assertion.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- wait::`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within
//! the bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! The consumer's thread never joins a producer (loom runs every thread to its end anyway): a
//! wake-up that arrives after the consumer stopped waiting is legitimate, and loom's `join`
//! mistakes such an unpark of the joining thread for its own notification. Where a model must
//! join (an owned consumer's queue is held through a `std` `Arc`, which loom does not see, so
//! every thread must be done before the last reference drops), the consumer runs on a thread of
//! its own and the main thread, which nobody wakes, joins.
//!
//! Each model is a function generic over the kind of queue and runs once per kind: every model of
//! the protocol on the four kinds whose consumer can sleep (`name::unbounded_compact` to
//! `name::bounded_padded`; a bounded queue there has room for every node, so the outcomes are the
//! same), and the models of a bounded queue at its limit on both layouts (`name::compact`,
//! `name::padded`). The layouts matter here because the padded layout keeps the stub's link beside
//! `head` rather than beside `tail`, and every model has the consumer pop while producers enqueue. The
//! channel's models are in `channel.rs`.
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst as StdSeqCst};
use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};

use crate::support::{
    both_layouts, check, msg, once_per_producer, waiting_kinds, LoomCapacity, Msg,
};
use intrusive_mpsc::{Batch, BoundedWaitQueue, Layout, Queue, TryDequeueError, Wait};
use loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;

/// The capacity of a bounded queue in the models that run on every kind: more than they ever
/// hold, so nothing is refused and the models assert the same outcomes for every kind.
const ROOM: usize = 4;

/// Enqueues `msg` with `try_enqueue`, which every kind of queue has: never refused here.
fn send<B: LoomCapacity, L: Layout>(queue: &Queue<Msg, B, Wait, L>, msg: Box<Msg>) {
    assert!(queue.try_enqueue(msg).is_ok(), "refused below the capacity");
}

/// Spawns producers 0 and 1, which [`send`] one node each into `queue`.
fn two_producers_one_node_each<B: LoomCapacity, L: Layout>(queue: &Arc<Queue<Msg, B, Wait, L>>) {
    for p in 0..2 {
        let queue = Arc::clone(queue);
        thread::spawn(move || send(&queue, msg(p, 0)));
    }
}

/// Preemption bound 3. Two producers, one node each; the consumer blocks for both. It may
/// park before, between or after the enqueues, including while a producer is between its swap
/// and its link store: it must always be woken, and get each node once.
fn blocking_consumer_is_woken_by_every_producer<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = Arc::new(B::queue::<Msg, Wait, L>(ROOM));
        two_producers_one_node_each(&queue);
        let mut consumer = queue.consumer().unwrap();
        let mut seen = [false; 2];
        for _ in 0..2 {
            let m = consumer.dequeue_blocking();
            once_per_producer(&mut seen, &m);
        }
        assert!(consumer.try_dequeue().is_err());
    });
}

/// Preemption bound 3. One producer, two nodes, in order; the consumer blocks for each, so it
/// sleeps and wakes twice, with the stub re-enqueued in between.
fn blocking_consumer_sleeps_and_wakes_repeatedly_in_order<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = Arc::new(B::queue::<Msg, Wait, L>(ROOM));
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                send(&queue, msg(0, 0));
                send(&queue, msg(0, 1));
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
fn async_consumer_is_woken_by_every_producer<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = Arc::new(B::queue::<Msg, Wait, L>(ROOM));
        two_producers_one_node_each(&queue);
        let mut consumer = queue.consumer().unwrap();
        let seen = loom::future::block_on(async {
            let mut seen = [false; 2];
            for _ in 0..2 {
                let m = consumer.dequeue_async().await;
                once_per_producer(&mut seen, &m);
            }
            seen
        });
        assert_eq!(seen, [true, true]);
    });
}

/// Preemption bound 3. WireGuard's stall: the consumer stops at a peeked node that is not
/// ready and waits; another thread makes it ready and calls `notify`, while a producer enqueues
/// behind it (which must not end the wait by itself, nor hide the notify).
fn notify_wakes_a_consumer_waiting_on_its_peeked_node<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = Arc::new(B::queue::<Msg, Wait, L>(ROOM));
        send(&queue, msg(0, 0));
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
            thread::spawn(move || send(&queue, msg(0, 1)));
        }
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.peek().unwrap().seq, 0);
        while !ready.load(Acquire) {
            consumer.wait_blocking();
        }
        assert_eq!(consumer.take_peeked().unwrap().seq, 0);
        assert_eq!(consumer.dequeue_blocking().seq, 1);
    });
}

/// Preemption bound 3. A consumer waiting without a peeked node is woken by an enqueue, and
/// then finds the node.
fn wait_without_peek_is_ended_by_an_enqueue<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = Arc::new(B::queue::<Msg, Wait, L>(ROOM));
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || send(&queue, msg(0, 7)));
        }
        let mut consumer = queue.consumer().unwrap();
        let m = loop {
            if let Ok(m) = consumer.try_dequeue() {
                break m;
            }
            consumer.wait_blocking();
        };
        assert_eq!(m.seq, 7);
    });
}

/// Preemption bound 3. A batch spliced in with one swap wakes a consumer blocked on the empty
/// queue, and arrives in order.
fn batch_enqueue_wakes_a_blocked_consumer<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = Arc::new(B::queue::<Msg, Wait, L>(ROOM));
        {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let batch: Batch<Msg> = (0..2).map(|seq| msg(0, seq)).collect();
                assert!(
                    queue.try_enqueue_batch(batch).is_ok(),
                    "refused below the capacity"
                );
            });
        }
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.dequeue_blocking().seq, 0);
        assert_eq!(consumer.dequeue_blocking().seq, 1);
    });
}

// --- A bounded queue whose consumer sleeps ---------------------------------------------------

/// Whether `queue.try_enqueue(msg(producer, seq))` was accepted, checking that a refused node
/// comes back to its producer.
fn try_send<L: Layout>(queue: &BoundedWaitQueue<Msg, L>, producer: usize, seq: usize) -> bool {
    match queue.try_enqueue(msg(producer, seq)) {
        Ok(()) => true,
        Err(back) => {
            assert_eq!(
                (back.producer, back.seq),
                (producer, seq),
                "the refused node is the producer's own"
            );
            false
        }
    }
}

/// Preemption bound 3. Two producers race to put one node each into a bounded queue of capacity
/// 1 while its consumer sleeps for a node: one is accepted (the first claim finds the queue
/// empty) and wakes the consumer; the other may be refused, at the pre-check or at its claim, and
/// must neither wake the consumer nor leave it asleep. Once both producers are done, the consumer
/// takes the second node if it was accepted (it made it in after the first was handed over):
/// every accepted node exactly once, no refused one.
fn bounded_consumer_sleeps_while_a_producer_is_refused<L: Layout>() {
    check(3, || {
        let queue = Arc::new(BoundedWaitQueue::<Msg, L>::with_capacity(1));
        // One bit per accepted producer, and how many producers are done (Release after their
        // try, so the consumer's Acquire load sees their bits).
        let accepted = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        for p in 0..2 {
            let (queue, accepted, finished) = (
                Arc::clone(&queue),
                Arc::clone(&accepted),
                Arc::clone(&finished),
            );
            thread::spawn(move || {
                if try_send(&queue, p, 0) {
                    accepted.fetch_or(1 << p, Relaxed);
                }
                finished.fetch_add(1, Release);
            });
        }
        let mut consumer = queue.consumer().unwrap();
        // A lost wake-up, or both producers refused, leaves the consumer asleep: a loom deadlock.
        let mut delivered = 1 << consumer.dequeue_blocking().producer;
        while finished.load(Acquire) < 2 {
            thread::yield_now();
        }
        let accepted = accepted.load(Relaxed);
        assert_ne!(accepted & delivered, 0, "delivered a refused node");
        if accepted.count_ones() == 2 {
            // Accepted, so enqueued before `finished` said so: the consumer must not sleep.
            delivered |= 1 << consumer.dequeue_blocking().producer;
        }
        assert_eq!(delivered, accepted, "every accepted node, once");
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
        assert_eq!(queue.len(), 0);
    });
}

/// Preemption bound 3. One producer tries three nodes into a bounded queue of capacity 2 whose
/// consumer sleeps for each of the first two (they always fit); the third fits only if the
/// consumer's first hand-over was visible to its claim, which races with the consumer's second
/// sleep. The consumer sleeps and wakes up to twice, with the stub re-enqueued in between; the
/// accepted nodes arrive in order, the refused one comes back to the producer.
fn bounded_consumer_sleeps_and_wakes_in_order_at_the_limit<L: Layout>() {
    check(3, || {
        let queue = Arc::new(BoundedWaitQueue::<Msg, L>::with_capacity(2));
        // Whether the third node was accepted: 1 refused, 2 accepted (Release, after the try).
        let third = Arc::new(AtomicUsize::new(0));
        {
            let (queue, third) = (Arc::clone(&queue), Arc::clone(&third));
            thread::spawn(move || {
                assert!(try_send(&queue, 0, 0), "refused by an empty queue");
                assert!(try_send(&queue, 0, 1), "refused below the capacity");
                third.store(if try_send(&queue, 0, 2) { 2 } else { 1 }, Release);
            });
        }
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.dequeue_blocking().seq, 0);
        assert_eq!(consumer.dequeue_blocking().seq, 1);
        let accepted = loop {
            match third.load(Acquire) {
                0 => thread::yield_now(),
                outcome => break outcome == 2,
            }
        };
        if accepted {
            assert_eq!(consumer.dequeue_blocking().seq, 2);
        }
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
        assert_eq!(queue.len(), 0);
    });
}

// --- Owned consumers -------------------------------------------------------------------------

/// Preemption bound 3. An owned consumer ([`Queue::consumer_owned`]) made on the main thread
/// is moved into a worker thread and sleeps there in `dequeue_blocking` for two nodes that a
/// producer enqueues: it is woken (its thread's waker is made on the worker, not where the
/// consumer was made), and gets them in order. The worker's consumer drops with it, releasing
/// the flag: afterwards another owned consumer finds the queue empty.
fn owned_consumer_sleeps_in_a_worker_thread<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = StdArc::new(B::queue::<Msg, Wait, L>(ROOM));
        let consumer = StdArc::clone(&queue)
            .consumer_owned()
            .expect("no other consumer");
        let worker = thread::spawn(move || {
            let mut consumer = consumer;
            let first = consumer.dequeue_blocking().seq;
            let second = consumer.dequeue_blocking().seq;
            (first, second)
        });
        let producer = {
            let queue = StdArc::clone(&queue);
            thread::spawn(move || {
                send(&queue, msg(0, 0));
                send(&queue, msg(0, 1));
            })
        };
        // Nobody wakes the main thread, so it may join (see the module docs).
        assert_eq!(worker.join().unwrap(), (0, 1));
        producer.join().unwrap();
        let mut next = StdArc::clone(&queue)
            .consumer_owned()
            .expect("the worker's consumer released the flag");
        assert_eq!(next.try_dequeue().err(), Some(TryDequeueError::Empty));
    });
}

/// A waker that only counts its wake-ups.
#[derive(Default)]
struct CountingWaker(StdAtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.fetch_add(1, StdSeqCst);
    }
}

/// Preemption bound 3. An owned consumer in a thread of its own polls `dequeue_async` once on the
/// empty queue (it parks, with its task's waker registered), starts a producer, drops the future
/// and then itself: it leaves mid-wait, while the producer enqueues one node. A second owned
/// consumer takes over on another thread as soon as the flag is free and sleeps in
/// `dequeue_blocking`. The second consumer is woken and gets the node; and the first one's waker
/// is never woken by an enqueue that began after the first consumer was gone: its drop took the
/// "asleep" mark back.
fn consumer_leaving_mid_wait_hands_over_cleanly<B: LoomCapacity, L: Layout>() {
    check(3, || {
        let queue = StdArc::new(B::queue::<Msg, Wait, L>(ROOM));
        let counter = StdArc::new(CountingWaker::default());
        // Raised (Release) once the first consumer is dropped.
        let gone = Arc::new(AtomicBool::new(false));

        let first = StdArc::clone(&queue)
            .consumer_owned()
            .expect("no other consumer");
        let leaver = {
            let waker = Waker::from(StdArc::clone(&counter));
            let (queue, gone) = (StdArc::clone(&queue), Arc::clone(&gone));
            thread::spawn(move || {
                let mut consumer = first;
                let mut cx = Context::from_waker(&waker);
                {
                    let mut future = pin!(consumer.dequeue_async());
                    assert!(
                        future.as_mut().poll(&mut cx).is_pending(),
                        "nothing enqueued yet"
                    );
                }
                // Started only now, so that the node is the second consumer's. (A producer that
                // waited for a flag would spin beside the second consumer, and two threads that
                // spin at once can yield to each other for ever under loom.)
                let producer = {
                    let gone = Arc::clone(&gone);
                    thread::spawn(move || {
                        let after_drop = gone.load(Acquire);
                        send(&queue, msg(0, 7));
                        after_drop
                    })
                };
                drop(consumer);
                gone.store(true, Release);
                producer
            })
        };
        let taker = {
            let queue = StdArc::clone(&queue);
            thread::spawn(move || {
                let mut consumer = loop {
                    match StdArc::clone(&queue).consumer_owned() {
                        Ok(consumer) => break consumer,
                        Err(_) => thread::yield_now(),
                    }
                };
                consumer.dequeue_blocking().seq
            })
        };
        // Nobody wakes the main thread, so it may join (see the module docs).
        let producer = leaver.join().unwrap();
        assert_eq!(taker.join().unwrap(), 7);
        let after_drop = producer.join().unwrap();
        let wakes = counter.0.load(StdSeqCst);
        assert!(
            wakes <= 1,
            "one enqueue woke the first consumer {wakes} times"
        );
        assert!(
            !(after_drop && wakes > 0),
            "an enqueue after the consumer's drop woke the consumer that was gone"
        );
        assert!(
            queue.consumer().is_some(),
            "every consumer released the flag"
        );
    });
}

waiting_kinds!(
    blocking_consumer_is_woken_by_every_producer,
    blocking_consumer_sleeps_and_wakes_repeatedly_in_order,
    async_consumer_is_woken_by_every_producer,
    notify_wakes_a_consumer_waiting_on_its_peeked_node,
    wait_without_peek_is_ended_by_an_enqueue,
    batch_enqueue_wakes_a_blocked_consumer,
    owned_consumer_sleeps_in_a_worker_thread,
    consumer_leaving_mid_wait_hands_over_cleanly,
);

both_layouts!(
    bounded_consumer_sleeps_while_a_producer_is_refused,
    bounded_consumer_sleeps_and_wakes_in_order_at_the_limit,
);
