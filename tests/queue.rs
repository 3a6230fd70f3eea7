//! Integration tests of the unbounded queue through its public API, each behavioural test run
//! for both layouts (`Queue` and `PaddedQueue`).
#![cfg(not(loom))]

mod support;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use intrusive_mpsc::{
    node, Consumer, Layout, Link, NoWait, PaddedQueue, Queue, QueueRef, RawHandle, TryDequeueError,
    Unbounded,
};
use support::kinds::every_layout;
use support::{counted, msg, scaled, Fifo, Msg};

/// The unbounded, non-waiting queue of `N` with layout `L`: `Queue<N>` or `PaddedQueue<N>`.
type Unb<N, L> = Queue<N, Unbounded, NoWait, L>;

fn seqs<Q: QueueRef<Node = Msg>>(consumer: &mut Consumer<Q>) -> Vec<usize> {
    consumer.drain().map(|m| m.seq).collect()
}

fn fifo_from_one_producer_thread<L: Layout>() {
    let n = scaled(50_000);
    let queue = Unb::<Msg, L>::new();
    thread::scope(|s| {
        s.spawn(|| {
            for seq in 0..n {
                queue.enqueue(msg(0, seq));
            }
        });
        let mut consumer = queue.consumer().unwrap();
        let mut next = 0;
        while next < n {
            if let Some(msg) = consumer.dequeue() {
                assert_eq!(msg.seq, next, "FIFO order");
                next += 1;
            } else {
                thread::yield_now();
            }
        }
        assert!(consumer.dequeue().is_none());
    });
}

fn four_producers_deliver_every_node_once_in_per_producer_order<L: Layout>() {
    const PRODUCERS: usize = 4;
    let per_producer = scaled(100_000);
    let queue = Unb::<Msg, L>::new();
    let start = Barrier::new(PRODUCERS + 1);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, start) = (&queue, &start);
            s.spawn(move || {
                start.wait();
                for seq in 0..per_producer {
                    queue.enqueue(msg(p, seq));
                }
            });
        }
        start.wait();
        let mut consumer = queue.consumer().unwrap();
        // Checks order, loss and duplication at once.
        let mut fifo = Fifo::new(PRODUCERS);
        while fifo.received() < PRODUCERS * per_producer {
            match consumer.try_dequeue() {
                Ok(msg) => fifo.take(&msg),
                Err(_) => thread::yield_now(),
            }
        }
        fifo.assert_all(per_producer);
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    });
}

fn empty_is_never_answered_while_a_completed_enqueue_is_pending<L: Layout>() {
    // Producers publish how many enqueues have *returned*; the consumer may then never see
    // `Empty` before it has received that many, whatever other producers are doing.
    const PRODUCERS: usize = 3;
    let per_producer = scaled(20_000);
    let queue = Unb::<Msg, L>::new();
    let completed = AtomicUsize::new(0);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, completed) = (&queue, &completed);
            s.spawn(move || {
                for seq in 0..per_producer {
                    queue.enqueue(msg(p, seq));
                    // Release: the enqueue above happens-before a consumer that reads this.
                    completed.fetch_add(1, Ordering::Release);
                }
            });
        }
        let mut consumer = queue.consumer().unwrap();
        let mut received = 0;
        while received < PRODUCERS * per_producer {
            let known = completed.load(Ordering::Acquire);
            match consumer.try_dequeue() {
                Ok(_) => received += 1,
                Err(TryDequeueError::Empty) => assert!(
                    received >= known,
                    "Empty with {} completed enqueues not yet received",
                    known - received
                ),
                Err(TryDequeueError::Inconsistent) => thread::yield_now(),
            }
        }
    });
}

/// A queue holding messages `0..count` of producer 0, and the counter their drops add to.
fn counted_queue<L: Layout>(count: usize) -> (Unb<Msg, L>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Unb::<Msg, L>::new();
    for seq in 0..count {
        queue.enqueue(counted(0, seq, &drops));
    }
    (queue, drops)
}

fn dropping_a_non_empty_queue_drops_each_node_once<L: Layout>() {
    let (queue, drops) = counted_queue::<L>(10);
    let mut consumer = queue.consumer().unwrap();
    assert_eq!(consumer.dequeue().unwrap().seq, 0);
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(consumer.peek().unwrap().seq, 1);
    drop(consumer);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "nothing dropped with the consumer"
    );
    drop(queue);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        10,
        "queued and peeked nodes dropped once"
    );
}

fn consumer_dropped_mid_drain_leaves_the_rest_queued<L: Layout>() {
    let (queue, drops) = counted_queue::<L>(6);
    {
        let mut consumer = queue.consumer().unwrap();
        let mut drain = consumer.drain();
        assert_eq!(drain.next().unwrap().seq, 0);
        assert_eq!(drain.next().unwrap().seq, 1);
    }
    assert_eq!(drops.load(Ordering::Relaxed), 2);
    let mut consumer = queue.consumer().unwrap();
    assert_eq!(seqs(&mut consumer), [2, 3, 4, 5]);
    assert_eq!(drops.load(Ordering::Relaxed), 6);
    drop(consumer);
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), 6, "no node dropped twice");
}

fn peek_take_and_drop<L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Unb::<Msg, L>::new();
    let mut consumer = queue.consumer().unwrap();
    assert!(consumer.peek().is_none());
    assert_eq!(consumer.try_peek().err(), Some(TryDequeueError::Empty));
    assert!(!consumer.drop_peeked());
    assert!(consumer.take_peeked().is_none());

    for seq in 0..4 {
        queue.enqueue(counted(0, seq, &drops));
    }
    assert_eq!(consumer.peek().unwrap().seq, 0);
    assert_eq!(
        consumer.peek().unwrap().seq,
        0,
        "peeking twice returns the same node"
    );
    assert_eq!(consumer.take_peeked().unwrap().seq, 0);
    assert_eq!(drops.load(Ordering::Relaxed), 1);

    assert_eq!(consumer.try_peek().unwrap().seq, 1);
    assert!(consumer.drop_peeked());
    assert_eq!(drops.load(Ordering::Relaxed), 2);

    assert_eq!(consumer.peek().unwrap().seq, 2);
    assert_eq!(
        consumer.try_dequeue().unwrap().seq,
        2,
        "dequeue hands over the peeked node first"
    );
    assert_eq!(consumer.peek().unwrap().seq, 3);
    assert_eq!(
        seqs(&mut consumer),
        [3],
        "drain starts with the peeked node"
    );
    assert!(consumer.is_empty());
    assert_eq!(drops.load(Ordering::Relaxed), 4);
}

fn peeked_node_survives_consumer_handover_to_another_thread<L: Layout>() {
    let queue = Unb::<Msg, L>::new();
    queue.enqueue(msg(0, 7));
    queue.enqueue(msg(0, 8));
    let mut consumer = queue.consumer().unwrap();
    assert_eq!(consumer.peek().unwrap().seq, 7);
    drop(consumer);
    thread::scope(|s| {
        s.spawn(|| {
            let mut consumer = queue.consumer().unwrap();
            assert_eq!(seqs(&mut consumer), [7, 8]);
        });
    });
}

/// Builds a queue with nodes in it inside a function and returns it by value.
fn make_queue<L: Layout>(n: usize) -> Unb<Msg, L> {
    let queue = Queue::new();
    for seq in 0..n {
        queue.enqueue(msg(0, seq));
    }
    queue
}

fn non_empty_queue_can_be_moved_and_used<L: Layout>() {
    // Returned from a function, half drained, moved into a Box, then into an Arc shared with
    // another thread, then back out: every move carries nodes.
    let queue = make_queue::<L>(4);
    assert_eq!(queue.consumer().unwrap().dequeue().unwrap().seq, 0);
    let boxed = Box::new(queue);
    boxed.enqueue(msg(0, 4));
    let shared = Arc::new(*boxed);
    let producer = {
        let shared = Arc::clone(&shared);
        thread::spawn(move || shared.enqueue(msg(0, 5)))
    };
    producer.join().unwrap();
    let queue = Arc::into_inner(shared).unwrap();
    let moved = [queue];
    moved[0].enqueue(msg(0, 6));
    let mut consumer = moved[0].consumer().unwrap();
    assert_eq!(seqs(&mut consumer), [1, 2, 3, 4, 5, 6]);
}

fn static_queue_with_boxed_nodes<L: Layout>(queue: &'static Unb<Msg, L>) {
    thread::spawn(|| queue.enqueue(msg(0, 1))).join().unwrap();
    let mut consumer = queue.consumer().unwrap();
    assert_eq!(seqs(&mut consumer), [1]);
}

#[test]
fn static_queues_with_boxed_nodes() {
    static QUEUE: Queue<Msg> = Queue::new();
    static PADDED: PaddedQueue<Msg> = PaddedQueue::new();
    static_queue_with_boxed_nodes(&QUEUE);
    static_queue_with_boxed_nodes(&PADDED);
}

fn only_one_consumer_at_a_time<L: Layout>() {
    let queue = Unb::<Msg, L>::new();
    let first = queue.consumer().unwrap();
    assert!(queue.consumer().is_none());
    thread::scope(|s| {
        s.spawn(|| assert!(queue.consumer().is_none(), "not from another thread either"));
    });
    drop(first);
    let second = queue.consumer();
    assert!(second.is_some());
    drop(second);
    // The flag is released even when the consumer moved to another thread and dropped there.
    let consumer = queue.consumer().unwrap();
    thread::scope(|s| {
        s.spawn(move || drop(consumer));
    });
    assert!(queue.consumer().is_some());
}

fn unchecked_consumer_does_not_release_the_flag<L: Layout>() {
    let queue = Unb::<Msg, L>::new();
    queue.enqueue(msg(0, 1));
    {
        // SAFETY: no other consumer exists or is used while this one lives.
        let mut consumer = unsafe { queue.consumer_unchecked() };
        assert_eq!(consumer.dequeue().unwrap().seq, 1);
    }
    let checked = queue.consumer().unwrap();
    {
        // An unchecked consumer dropping must not clear the checked consumer's flag. (Only the
        // drop is exercised: using both would break `consumer_unchecked`'s contract.)
        // SAFETY: this consumer is never used.
        let unused = unsafe { queue.consumer_unchecked() };
        drop(unused);
    }
    assert!(queue.consumer().is_none());
    drop(checked);
}

fn drain_with_budget_and_is_empty<L: Layout>() {
    let queue = make_queue::<L>(10);
    let mut consumer = queue.consumer().unwrap();
    let budget: Vec<usize> = consumer.drain().take(3).map(|m| m.seq).collect();
    assert_eq!(budget, [0, 1, 2]);
    assert!(!consumer.is_empty());
    assert_eq!(consumer.drain().count(), 7);
    assert!(consumer.is_empty());
    // Not fused: a later enqueue makes the same kind of iterator yield again.
    queue.enqueue(msg(0, 10));
    assert!(!consumer.is_empty());
    assert_eq!(seqs(&mut consumer), [10]);
}

/// A pinned, `!Unpin` node type.
struct Pinned {
    link: Link,
    value: u32,
}
node!(Pinned, link, Pin<Box<Pinned>>);

fn pinned_boxes_travel_pinned<L: Layout>() {
    let queue = Unb::<Pinned, L>::new();
    let node = Box::pin(Pinned {
        link: Link::new(),
        value: 5,
    });
    let before: *const Pinned = &*node;
    queue.enqueue(node);
    let node: Pin<Box<Pinned>> = queue.consumer().unwrap().dequeue().unwrap();
    assert_eq!(node.value, 5);
    assert!(core::ptr::eq(before, &*node), "the node never moved");
}

struct Pooled {
    link: Link,
    value: u32,
}
node!(Pooled, link, RawHandle<Pooled>);

fn raw_handles_from_a_caller_managed_pool<L: Layout>() {
    let mut pool: Vec<Pooled> = (0..8)
        .map(|value| Pooled {
            link: Link::new(),
            value,
        })
        .collect();
    let queue = Unb::<Pooled, L>::new();
    for slot in pool.iter_mut() {
        // SAFETY: each slot is handed out once and the pool is not touched until the queue has
        // given every handle back (or been dropped).
        queue.enqueue(unsafe { RawHandle::new(slot.into()) });
    }
    let mut consumer = queue.consumer().unwrap();
    let values: Vec<u32> = consumer
        .drain()
        // SAFETY: the node is out of the queue and the pool is alive.
        .map(|handle| unsafe { handle.into_ptr().as_ref() }.value)
        .collect();
    assert_eq!(values, (0..8).collect::<Vec<_>>());
    drop(consumer);
    drop(queue);
    assert_eq!(pool[3].value, 3);
}

#[test]
fn queue_is_send_and_sync_for_send_handles() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Queue<Msg>>();
    assert_send_sync::<Queue<Pinned>>();
    assert_send_sync::<Queue<Pooled>>();
    assert_send_sync::<PaddedQueue<Msg>>();
    fn assert_send<T: Send>() {}
    assert_send::<Consumer<&'static Queue<Msg>>>();
    assert_send::<Consumer<&'static PaddedQueue<Msg>>>();
}

#[test]
fn queue_is_four_words() {
    assert_eq!(
        core::mem::size_of::<Queue<Msg>>(),
        4 * core::mem::size_of::<usize>()
    );
    assert_eq!(core::mem::size_of::<Link>(), core::mem::size_of::<usize>());
}

/// A node generic over a lifetime and a bounded type parameter, declared with the macro.
struct Tagged<'a, T> {
    tag: &'a str,
    link: Link,
    value: T,
}
node!(impl['a, T: Send] Tagged<'a, T>, link, Box<Tagged<'a, T>>);

fn generic_nodes_with_lifetimes_and_bounds<L: Layout>() {
    let tag = String::from("borrowed");
    let queue = Unb::<Tagged<'_, u64>, L>::new();
    queue.enqueue(Box::new(Tagged {
        tag: &tag,
        link: Link::new(),
        value: 42,
    }));
    let node = queue.consumer().unwrap().dequeue().unwrap();
    assert_eq!((node.tag, node.value), ("borrowed", 42));
}

#[test]
fn padded_queue_is_whole_cache_lines() {
    let line = core::mem::align_of::<PaddedQueue<Msg>>();
    assert!(line >= 32, "aligned to a cache line");
    assert_eq!(
        core::mem::size_of::<PaddedQueue<Msg>>(),
        2 * line,
        "one line per end"
    );
}

every_layout!(
    fifo_from_one_producer_thread,
    four_producers_deliver_every_node_once_in_per_producer_order,
    empty_is_never_answered_while_a_completed_enqueue_is_pending,
    dropping_a_non_empty_queue_drops_each_node_once,
    consumer_dropped_mid_drain_leaves_the_rest_queued,
    peek_take_and_drop,
    peeked_node_survives_consumer_handover_to_another_thread,
    non_empty_queue_can_be_moved_and_used,
    only_one_consumer_at_a_time,
    unchecked_consumer_does_not_release_the_flag,
    drain_with_budget_and_is_empty,
    pinned_boxes_travel_pinned,
    raw_handles_from_a_caller_managed_pool,
    generic_nodes_with_lifetimes_and_bounds,
);
