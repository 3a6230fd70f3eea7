//! The waiting consumer: blocking and async dequeues, notify/wait with a peeked node, and the
//! lost-wakeup scenarios they must survive; each for every kind whose consumer can sleep
//! (unbounded and bounded, both layouts). On a bounded queue the producers retry refused nodes,
//! so a sleeping consumer is woken by accepted enqueues only.
#![cfg(not(loom))]

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{
    Batch, BoundedWaitQueue, Capacity, Consumer, Layout, Queue, TryDequeueError, Wait, WaitQueue,
};
use support::kinds::{enqueue_now, every_waiting_kind, spawn_producers, CapacityKind};
use support::{block_on, msg, promptly, scaled, CountingWaker, Fifo, Msg, STALL};

/// A queue of messages whose consumer can sleep, holding at most `capacity` when bounded.
fn queue<B: CapacityKind, L: Layout>(capacity: usize) -> Queue<Msg, B, Wait, L> {
    B::queue(capacity)
}

/// `producers` threads each send `per_producer` messages into a queue of capacity 64, calling
/// `pause(seq)` after each (see `spawn_producers`), while `receive(consumer, fifo, total)` takes
/// all `total` of them on this thread, checking their order with `fifo`; then every message of
/// every producer must have arrived.
fn from_producers<B: CapacityKind, L: Layout>(
    producers: usize,
    per_producer: usize,
    pause: fn(usize),
    receive: impl FnOnce(&mut Consumer<&Queue<Msg, B, Wait, L>>, &mut Fifo, usize),
) {
    let queue = queue::<B, L>(64);
    thread::scope(|s| {
        spawn_producers(s, &queue, producers, per_producer, pause);
        let mut consumer = queue.consumer().unwrap();
        let mut fifo = Fifo::new(producers);
        receive(&mut consumer, &mut fifo, producers * per_producer);
        fifo.assert_all(per_producer);
    });
}

fn blocking_consumer_receives_everything_from_several_producers<B: CapacityKind, L: Layout>() {
    let pause = |seq| {
        if seq % 64 == 0 {
            // Let the consumer catch up and fall asleep now and then.
            thread::yield_now();
        }
    };
    from_producers::<B, L>(4, scaled(20_000), pause, |consumer, fifo, total| {
        for _ in 0..total {
            let m = promptly(|| consumer.dequeue_timeout_blocking(STALL))
                .expect("a wake-up was lost: the consumer slept through an enqueue");
            fifo.take(&m);
        }
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    });
}

fn every_single_enqueue_wakes_a_sleeping_consumer<B: CapacityKind, L: Layout>() {
    // One node at a time, with the consumer asleep before each: each enqueue must find the mark
    // and wake it. A bounded queue holds one node: the previous one has been taken, so it is
    // never refused.
    let rounds = scaled(2_000);
    let queue = queue::<B, L>(1);
    let asleep = AtomicUsize::new(0);
    thread::scope(|s| {
        s.spawn(|| {
            for seq in 0..rounds {
                // Wait until the consumer has asked for node `seq`, then give it a moment to
                // fall asleep.
                while asleep.load(Ordering::Acquire) <= seq {
                    thread::yield_now();
                }
                if seq % 2 == 0 {
                    thread::sleep(Duration::from_micros(50));
                }
                enqueue_now(&queue, msg(0, seq));
            }
        });
        let mut consumer = queue.consumer().unwrap();
        for seq in 0..rounds {
            asleep.store(seq + 1, Ordering::Release);
            let m = promptly(|| consumer.dequeue_timeout_blocking(STALL)).expect("lost wake-up");
            assert_eq!(m.seq, seq);
        }
    });
}

fn dequeue_timeout_times_out_and_then_still_wakes<B: CapacityKind, L: Layout>() {
    let queue = queue::<B, L>(1);
    let mut consumer = queue.consumer().unwrap();
    let start = Instant::now();
    assert!(consumer
        .dequeue_timeout_blocking(Duration::from_millis(20))
        .is_none());
    assert!(start.elapsed() >= Duration::from_millis(20));
    // The timed-out wait must leave no stale state: a later enqueue still wakes a new wait.
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            enqueue_now(&queue, msg(0, 1));
        });
        assert_eq!(
            promptly(|| consumer.dequeue_timeout_blocking(STALL))
                .unwrap()
                .seq,
            1
        );
    });
}

fn dequeue_blocking_returns_queued_nodes_without_sleeping<B: CapacityKind, L: Layout>() {
    let queue = queue::<B, L>(2);
    enqueue_now(&queue, msg(0, 0));
    enqueue_now(&queue, msg(0, 1));
    let mut consumer = queue.consumer().unwrap();
    assert_eq!(consumer.dequeue_blocking().seq, 0);
    assert_eq!(consumer.dequeue_blocking().seq, 1);
}

fn async_consumer_receives_everything<B: CapacityKind, L: Layout>() {
    let pause = |seq| {
        if seq % 128 == 0 {
            thread::sleep(Duration::from_micros(20));
        }
    };
    from_producers::<B, L>(3, scaled(10_000), pause, |consumer, fifo, total| {
        block_on(async {
            for _ in 0..total {
                let m = consumer.dequeue_async().await;
                fifo.take(&m);
            }
        });
    });
}

fn a_dropped_pending_dequeue_future_takes_its_waker_and_loses_nothing<
    B: CapacityKind,
    L: Layout,
>() {
    let queue = queue::<B, L>(2);
    let mut consumer = queue.consumer().unwrap();
    let (waker, task_waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&task_waker);
    {
        let mut future = pin!(consumer.dequeue_async());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    } // dropped while pending: takes its waker out of the queue
    enqueue_now(&queue, msg(0, 5));
    assert_eq!(waker.wakes(), 0, "the dropped future's waker is gone");
    assert_eq!(consumer.try_dequeue().map(|m| m.seq).ok(), Some(5));
    // A new wait registers afresh and is woken.
    assert!(consumer.poll_dequeue(&mut cx).is_pending());
    enqueue_now(&queue, msg(0, 6));
    assert_eq!(waker.wakes(), 1, "the enqueue woke the registered waker");
    enqueue_now(&queue, msg(0, 7));
    assert_eq!(waker.wakes(), 1, "only the first");
    assert!(matches!(consumer.poll_dequeue(&mut cx), Poll::Ready(m) if m.seq == 6));
    assert!(matches!(consumer.poll_dequeue(&mut cx), Poll::Ready(m) if m.seq == 7));
    // After a completed wait the mark is gone: enqueues wake nobody.
    enqueue_now(&queue, msg(0, 8));
    assert_eq!(waker.wakes(), 1);
}

fn notify_ends_a_wait_on_a_peeked_node_and_enqueues_do_not<B: CapacityKind, L: Layout>() {
    let queue = queue::<B, L>(2);
    let (waker, task_waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&task_waker);
    let mut consumer = queue.consumer().unwrap();

    // Nothing queued: the wait sleeps, and an enqueue ends it.
    assert!(consumer.poll_wait(&mut cx).is_pending());
    enqueue_now(&queue, msg(0, 0));
    assert_eq!(waker.wakes(), 1);
    assert!(consumer.poll_wait(&mut cx).is_ready());

    // A peeked node that is not ready: only `notify` ends the wait.
    assert_eq!(consumer.peek().unwrap().seq, 0);
    assert!(consumer.poll_wait(&mut cx).is_pending());
    enqueue_now(&queue, msg(0, 1));
    assert!(
        consumer.poll_wait(&mut cx).is_pending(),
        "enqueue does not end it"
    );
    queue.notify();
    assert!(waker.wakes() >= 2);
    assert!(consumer.poll_wait(&mut cx).is_ready());
    assert!(
        consumer.poll_wait(&mut cx).is_pending(),
        "one notify ends one wait"
    );
}

fn wireguard_stall_peeked_packet_becomes_ready_later<B: CapacityKind, L: Layout>() {
    // The threaded-NAPI stall: the queue fills, the consumer stops at a head packet that is not
    // ready yet, and it must be rescheduled when that packet becomes ready, not by an enqueue.
    // "Encryption" finishes out of order; the consumer must still deliver in queue order and
    // never sleep through a `notify`.
    const PACKETS: usize = 1024;
    // A bounded queue is full: exactly WireGuard's stall.
    let queue = queue::<B, L>(PACKETS);
    // Readiness lives beside the queue, where the "encryptor" can reach it while the packets
    // are queued.
    let ready: Vec<AtomicBool> = (0..PACKETS).map(|_| AtomicBool::new(false)).collect();
    for seq in 0..PACKETS {
        enqueue_now(&queue, msg(0, seq));
    }
    thread::scope(|s| {
        let ready = &ready;
        let queue = &queue;
        s.spawn(move || {
            // Finish packets in a scrambled order, with pauses, notifying after each.
            let mut order: Vec<usize> = (0..PACKETS).collect();
            for i in 0..PACKETS {
                order.swap(i, (i * 7919 + 13) % PACKETS);
            }
            for (n, seq) in order.into_iter().enumerate() {
                ready[seq].store(true, Ordering::Release);
                queue.notify();
                if n % 100 == 0 {
                    thread::sleep(Duration::from_millis(1));
                }
            }
        });
        let mut consumer = queue.consumer().unwrap();
        let mut delivered = 0;
        while delivered < PACKETS {
            while let Some(head) = consumer.peek() {
                if !ready[head.seq].load(Ordering::Acquire) {
                    break; // not encrypted yet: stays at the head of the queue
                }
                let packet = consumer.take_peeked().unwrap();
                assert_eq!(packet.seq, delivered, "queue order");
                delivered += 1;
            }
            if delivered < PACKETS {
                assert!(
                    promptly(|| consumer.wait_timeout_blocking(STALL)),
                    "stalled at packet {delivered}: a notify was lost"
                );
            }
        }
    });
    assert!(ready.iter().all(|flag| flag.load(Ordering::Relaxed)));
}

fn wait_without_peek_returns_for_queued_nodes<B: CapacityKind, L: Layout>() {
    let queue = queue::<B, L>(1);
    let mut consumer = queue.consumer().unwrap();
    assert!(!consumer.wait_timeout_blocking(Duration::from_millis(5)));
    enqueue_now(&queue, msg(0, 0));
    assert!(consumer.wait_timeout_blocking(Duration::from_millis(5)));
    consumer.wait_blocking(); // still a node available: returns at once
    assert_eq!(consumer.drain().count(), 1);
}

#[test]
fn wait_queue_is_small_and_shares_like_a_queue() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WaitQueue<Msg>>();
    assert_send_sync::<BoundedWaitQueue<Msg>>();
    assert_eq!(
        std::mem::size_of::<WaitQueue<Msg>>(),
        8 * std::mem::size_of::<usize>()
    );
    assert_eq!(
        std::mem::size_of::<BoundedWaitQueue<Msg>>(),
        12 * std::mem::size_of::<usize>()
    );
}

fn a_batch_wakes_a_sleeping_consumer_and_arrives_contiguous<B: CapacityKind, L: Layout>() {
    let queue = queue::<B, L>(4);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            let batch: Batch<Msg> = (0..4).map(|seq| msg(1, seq)).collect();
            assert!(queue.try_enqueue_batch(batch).is_ok(), "room for 4");
        });
        let mut consumer = queue.consumer().unwrap();
        for seq in 0..4 {
            let m = promptly(|| consumer.dequeue_timeout_blocking(STALL)).expect("lost wake-up");
            assert_eq!((m.producer, m.seq), (1, seq));
        }
    });
}

fn a_consumer_moved_to_another_thread_is_woken_there<B: CapacityKind, L: Layout>() {
    // The first blocking wait happens on this thread; the consumer then moves, and producers
    // must wake the thread it now waits on, not the first one.
    let queue = queue::<B, L>(1);
    let mut consumer = queue.consumer().unwrap();
    assert!(consumer
        .dequeue_timeout_blocking(Duration::from_millis(1))
        .is_none());
    woken_on_another_thread(&queue, consumer, 9);
}

/// Moves `consumer` to a thread of its own, where it waits for a node; a moment later, node `seq`
/// enqueued on this thread must wake it there, promptly.
fn woken_on_another_thread<B: Capacity, L: Layout>(
    queue: &Queue<Msg, B, Wait, L>,
    mut consumer: Consumer<&Queue<Msg, B, Wait, L>>,
    seq: usize,
) {
    thread::scope(|s| {
        let waiter =
            s.spawn(move || promptly(|| consumer.dequeue_timeout_blocking(STALL)).map(|m| m.seq));
        thread::sleep(Duration::from_millis(20));
        enqueue_now(queue, msg(0, seq));
        assert_eq!(waiter.join().unwrap(), Some(seq));
    });
}

/// A waker whose first `clone` panics.
mod panicking_waker {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{RawWaker, RawWakerVTable, Waker};

    static ARMED: AtomicBool = AtomicBool::new(true);
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);

    fn clone(data: *const ()) -> RawWaker {
        assert!(!ARMED.swap(false, Ordering::Relaxed), "waker clone panics");
        RawWaker::new(data, &VTABLE)
    }

    fn noop(_: *const ()) {}

    pub fn waker() -> Waker {
        // SAFETY: every vtable function ignores the data pointer and is safe to call from any
        // thread, any number of times.
        unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
    }
}

#[test]
fn a_panicking_waker_does_not_wedge_the_queue() {
    let queue = WaitQueue::<Msg>::new();
    let mut consumer = queue.consumer().unwrap();
    let waker = panicking_waker::waker();
    let poll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        consumer
            .poll_dequeue(&mut Context::from_waker(&waker))
            .is_ready()
    }));
    assert!(poll.is_err(), "the waker's clone panicked inside the poll");
    // Later waits must still be woken by producers.
    woken_on_another_thread(&queue, consumer, 4);
}

/// The former names of the blocking calls (`wait`, `wait_timeout`, `dequeue_timeout`) still
/// compile, warn, and do what the `_blocking` names do.
#[test]
#[allow(deprecated)]
fn the_former_blocking_names_still_forward() {
    let queue = WaitQueue::<Msg>::new();
    let mut consumer = queue.consumer().unwrap();
    assert!(
        !consumer.wait_timeout(Duration::from_millis(5)),
        "empty: times out"
    );
    assert!(consumer.dequeue_timeout(Duration::from_millis(5)).is_none());
    enqueue_now(&queue, msg(0, 0));
    enqueue_now(&queue, msg(0, 1));
    assert!(consumer.wait_timeout(Duration::ZERO), "a node is queued");
    consumer.wait();
    assert_eq!(consumer.dequeue_timeout(STALL).unwrap().seq, 0);
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(10));
            enqueue_now(&queue, msg(0, 2));
        });
        assert_eq!(consumer.dequeue_timeout(STALL).unwrap().seq, 1);
        // Sleeps until the producer's enqueue wakes it.
        assert!(promptly(|| consumer.wait_timeout(STALL)));
        assert_eq!(consumer.dequeue_timeout(STALL).unwrap().seq, 2);
    });
}

every_waiting_kind!(
    blocking_consumer_receives_everything_from_several_producers,
    every_single_enqueue_wakes_a_sleeping_consumer,
    dequeue_timeout_times_out_and_then_still_wakes,
    dequeue_blocking_returns_queued_nodes_without_sleeping,
    async_consumer_receives_everything,
    a_dropped_pending_dequeue_future_takes_its_waker_and_loses_nothing,
    notify_ends_a_wait_on_a_peeked_node_and_enqueues_do_not,
    wireguard_stall_peeked_packet_becomes_ready_later,
    wait_without_peek_returns_for_queued_nodes,
    a_batch_wakes_a_sleeping_consumer_and_arrives_contiguous,
    a_consumer_moved_to_another_thread_is_woken_there,
);
