//! The bounded queue: FIFO, refusals that hand the node back, all-or-nothing batches,
//! reservations, the peek accounting, and the capacity under racing producers.
#![cfg(not(loom))]

mod support;

use std::mem::size_of;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::addr_of;
use std::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{
    Batch, Bounded, BoundedQueue, BoundedWaitQueue, Compact, Layout, NoWait, Padded, Queue,
    Reservation, TryDequeueError, Wait, Waiting,
};
use support::kinds::every_bounded_kind;
use support::{counted, scaled, Fifo, Msg, STALL};

/// The bounded queue of items, whichever its waiting choice and layout.
type Bq<W, L> = Queue<Msg, Bounded, W, L>;

/// Message `seq` of producer 0, counted in `drops`.
fn item(seq: usize, drops: &Arc<AtomicUsize>) -> Box<Msg> {
    counted(0, seq, drops)
}

/// Messages `seqs` of `producer`, counted in `drops`, in a batch.
fn batch(producer: usize, seqs: std::ops::Range<usize>, drops: &Arc<AtomicUsize>) -> Batch<Msg> {
    seqs.map(|seq| counted(producer, seq, drops)).collect()
}

fn fifo_up_to_the_capacity_and_the_refused_node_comes_back<W: Waiting, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bq::<W, L>::with_capacity(3);
    assert_eq!((queue.capacity(), queue.len()), (3, 0));
    assert!(queue.is_empty());
    for id in 0..3 {
        queue.try_enqueue(item(id, &drops)).unwrap();
        assert_eq!(queue.len(), id + 1);
    }
    let refused = item(3, &drops);
    let address = addr_of!(*refused);
    let refused = queue.try_enqueue(refused).unwrap_err();
    assert_eq!(addr_of!(*refused), address, "the very same node");
    assert_eq!(queue.len(), 3);
    assert_eq!(drops.load(Relaxed), 0);

    let mut consumer = queue.consumer().unwrap();
    assert_eq!(consumer.try_dequeue().unwrap().seq, 0);
    assert_eq!(queue.len(), 2);
    queue.try_enqueue(refused).unwrap();
    assert!(queue.try_enqueue(item(4, &drops)).is_err());
    let ids: Vec<usize> = consumer.drain().map(|i| i.seq).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    assert!(consumer.is_empty() && queue.is_empty());
    assert_eq!(drops.load(Relaxed), 5);
}

fn room_is_made_by_every_kind_of_hand_over_and_not_by_peek<W: Waiting, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bq::<W, L>::with_capacity(2);
    let mut consumer = queue.consumer().unwrap();
    let fill = |next: &mut usize| {
        while queue.try_enqueue(item(*next, &drops)).is_ok() {
            *next += 1;
        }
        assert_eq!(queue.len(), 2);
    };
    let mut next = 0;
    fill(&mut next);

    assert_eq!(consumer.peek().unwrap().seq, 0);
    assert!(
        queue.try_enqueue(item(100, &drops)).is_err(),
        "a peeked node counts"
    );
    assert_eq!(consumer.try_peek().unwrap().seq, 0);
    assert!(queue.try_enqueue(item(100, &drops)).is_err());
    assert!(!consumer.is_empty());

    assert_eq!(consumer.take_peeked().unwrap().seq, 0);
    fill(&mut next);
    consumer.peek();
    assert!(consumer.drop_peeked());
    assert!(!consumer.drop_peeked(), "nothing held: no room made");
    fill(&mut next);
    consumer.peek();
    assert_eq!(
        consumer.try_dequeue().unwrap().seq,
        2,
        "dequeue takes the peeked node first"
    );
    fill(&mut next);
    assert!(consumer.dequeue().is_some());
    fill(&mut next);
    assert_eq!(consumer.drain().take(1).count(), 1);
    fill(&mut next);
    assert_eq!(consumer.drain().count(), 2);
    assert_eq!(queue.len(), 0);
    assert_eq!(next, 2 + 5);
}

fn the_dequeue_count_survives_the_consumer<W: Waiting, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bq::<W, L>::with_capacity(2);
    for round in 0..10 {
        queue.try_enqueue(item(round, &drops)).unwrap();
        queue.try_enqueue(item(round, &drops)).unwrap();
        assert!(queue.try_enqueue(item(round, &drops)).is_err());
        // A new consumer each time, on another thread every other round.
        if round % 2 == 0 {
            assert_eq!(queue.consumer().unwrap().drain().count(), 2);
        } else {
            thread::scope(|s| {
                s.spawn(|| assert_eq!(queue.consumer().unwrap().drain().count(), 2));
            });
        }
        assert_eq!(queue.len(), 0);
    }
    // SAFETY: this thread is the only consumer.
    let mut consumer = unsafe { queue.consumer_unchecked() };
    queue.try_enqueue(item(0, &drops)).unwrap();
    assert!(consumer.dequeue().is_some());
    assert_eq!(queue.len(), 0);
}

fn batches_are_all_or_nothing_at_the_limit<W: Waiting, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bq::<W, L>::with_capacity(5);
    queue.try_enqueue_batch(batch(0, 0..3, &drops)).unwrap();
    assert_eq!(queue.len(), 3);

    let refused = queue.try_enqueue_batch(batch(0, 3..6, &drops)).unwrap_err();
    assert_eq!(queue.len(), 3, "none of a refused batch goes in");
    let ids: Vec<usize> = refused.into_iter().map(|i| i.seq).collect();
    assert_eq!(
        ids,
        [3, 4, 5],
        "the refused batch comes back whole and in order"
    );

    queue.try_enqueue_batch(batch(0, 6..8, &drops)).unwrap();
    assert_eq!(queue.len(), 5);
    queue.try_enqueue_batch(Batch::new()).unwrap();
    assert!(queue.try_enqueue(item(8, &drops)).is_err());
    assert!(queue.try_enqueue_batch(batch(0, 9..10, &drops)).is_err());

    let mut consumer = queue.consumer().unwrap();
    let ids: Vec<usize> = consumer.drain().map(|i| i.seq).collect();
    assert_eq!(ids, [0, 1, 2, 6, 7]);

    // Longer than the capacity: refused even when the queue is empty, and nothing is claimed.
    let refused = queue
        .try_enqueue_batch(batch(0, 10..16, &drops))
        .unwrap_err();
    assert_eq!(refused.len(), 6);
    drop(refused);
    queue.try_enqueue_batch(batch(0, 16..21, &drops)).unwrap();
    assert_eq!(queue.len(), 5);
    drop(consumer);
    drop(queue);
    assert_eq!(drops.load(Relaxed), 21);
}

fn reservations_hold_room_until_used_or_dropped<W: Waiting, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bq::<W, L>::with_capacity(5);
    assert!(queue.try_reserve(6).is_none(), "more than the capacity");
    assert_eq!(queue.len(), 0, "a refused reservation claims nothing");

    let mut room = queue.try_reserve(3).unwrap();
    assert_eq!((room.remaining(), queue.len()), (3, 3));
    assert!(queue.try_reserve(3).is_none(), "only 2 places are left");
    // Others still get the room that is not reserved, in FIFO order with the reserved nodes.
    queue.try_enqueue(item(0, &drops)).unwrap();
    room.try_enqueue(item(1, &drops)).unwrap();
    queue.try_enqueue(item(2, &drops)).unwrap();
    assert!(
        queue.try_enqueue(item(99, &drops)).is_err(),
        "full: 3 in, 2 reserved"
    );
    assert_eq!(queue.len(), 5);

    // A batch longer than the room remaining comes back whole; one that fits goes in as a run.
    let refused = room.try_enqueue_batch(batch(0, 3..6, &drops)).unwrap_err();
    assert_eq!(refused.len(), 3);
    drop(refused);
    assert_eq!(room.remaining(), 2);
    room.try_enqueue_batch(batch(0, 3..5, &drops)).unwrap();
    assert_eq!(room.remaining(), 0);
    let back = room.try_enqueue(item(5, &drops)).unwrap_err();
    assert_eq!(back.seq, 5, "a used-up reservation hands the node back");
    drop(back);
    drop(room);
    assert_eq!(queue.len(), 5, "nothing left to give back");

    let mut consumer = queue.consumer().unwrap();
    let ids: Vec<usize> = consumer.drain().map(|i| i.seq).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4]);

    // Dropped unused: the whole room comes back, and a sleeping consumer is not woken for it.
    let room = queue.try_reserve(5).unwrap();
    assert!(queue.try_enqueue(item(6, &drops)).is_err());
    drop(room);
    assert_eq!(queue.len(), 0);
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    // Filled one short: one place comes back, and at rest the queue takes exactly the rest.
    let mut room = queue.try_reserve(4).unwrap();
    for id in 7..10 {
        room.try_enqueue(item(id, &drops)).unwrap();
    }
    drop(room);
    assert_eq!(queue.len(), 3);
    queue.try_enqueue(item(10, &drops)).unwrap();
    queue.try_enqueue(item(11, &drops)).unwrap();
    assert!(queue.try_enqueue(item(12, &drops)).is_err());
    // Zero is always granted, full or not, and holds nothing.
    let none = queue.try_reserve(0).unwrap();
    assert_eq!((none.remaining(), queue.len()), (0, 5));
    drop(none);
    let ids: Vec<usize> = consumer.drain().map(|i| i.seq).collect();
    assert_eq!(ids, [7, 8, 9, 10, 11]);
    drop(consumer);
    drop(queue);
    // 0..=4 and 7..=11 delivered; 99, 6 and 12 refused; the batch of 3 and 5 handed back.
    assert_eq!(drops.load(Relaxed), 17);
}

fn a_bounded_queue_dropped_non_empty_drops_each_node_once<W: Waiting, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bq::<W, L>::with_capacity(8);
    queue.try_enqueue_batch(batch(0, 0..5, &drops)).unwrap();
    queue.try_enqueue(item(5, &drops)).unwrap();
    {
        let mut consumer = queue.consumer().unwrap();
        assert!(consumer.dequeue().is_some());
        consumer.peek();
    }
    assert_eq!(drops.load(Relaxed), 1);
    // Moved with its nodes, and dropped on another thread.
    thread::spawn(move || drop(queue)).join().unwrap();
    assert_eq!(drops.load(Relaxed), 6);
}

#[test]
fn capacity_must_be_between_one_and_isize_max() {
    assert!(catch_unwind(|| BoundedQueue::<Msg>::with_capacity(0)).is_err());
    assert!(catch_unwind(|| BoundedQueue::<Msg>::with_capacity(isize::MAX as usize + 1)).is_err());
    assert!(catch_unwind(|| BoundedQueue::<Msg>::with_capacity(usize::MAX)).is_err());
    let huge = BoundedQueue::<Msg>::with_capacity(isize::MAX as usize);
    let drops = Arc::new(AtomicUsize::new(0));
    huge.try_enqueue(item(0, &drops)).unwrap();
    huge.try_enqueue_batch(batch(0, 1..4, &drops)).unwrap();
    assert_eq!(huge.len(), 4);
    assert_eq!(huge.consumer().unwrap().drain().count(), 4);
    assert_eq!(BoundedQueue::<Msg>::with_capacity(1).capacity(), 1);
}

#[test]
fn size_is_the_queue_plus_four_words() {
    assert_eq!(
        size_of::<BoundedQueue<Msg>>(),
        size_of::<Queue<Msg>>() + 4 * size_of::<usize>()
    );
    assert_eq!(size_of::<Batch<Msg>>(), 3 * size_of::<usize>());
    fn send_sync<T: Send + Sync>() {}
    send_sync::<BoundedQueue<Msg>>();
    send_sync::<BoundedWaitQueue<Msg>>();
    send_sync::<Reservation<'static, Msg, Bounded, NoWait, Compact>>();
    send_sync::<Reservation<'static, Msg, Bounded, Wait, Padded>>();
}

/// A reservation made on one thread is filled and dropped on another: its enqueues and its
/// give-back land in the queue as if made where it was claimed.
#[test]
fn a_reservation_moves_to_another_thread() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = BoundedQueue::<Msg>::with_capacity(3);
    let mut room = queue.try_reserve(3).unwrap();
    room.try_enqueue(item(0, &drops)).unwrap();
    let moved = &drops;
    thread::scope(|s| {
        s.spawn(move || {
            room.try_enqueue(item(1, moved)).unwrap();
            assert_eq!(room.remaining(), 1);
        });
    });
    assert_eq!(
        queue.len(),
        2,
        "the unused place came back from the other thread"
    );
    queue.try_enqueue(item(2, &drops)).unwrap();
    assert!(queue.try_enqueue(item(3, &drops)).is_err());
    let ids: Vec<usize> = queue.consumer().unwrap().drain().map(|i| i.seq).collect();
    assert_eq!(ids, [0, 1, 2]);
}

#[test]
fn an_unbounded_queue_grants_every_reservation() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::<Msg>::new();
    let mut room = queue.try_reserve(usize::MAX).unwrap();
    room.try_enqueue(item(0, &drops)).unwrap();
    room.try_enqueue_batch(batch(0, 1..3, &drops)).unwrap();
    assert_eq!(room.remaining(), usize::MAX - 3);
    drop(room);
    let ids: Vec<usize> = queue.consumer().unwrap().drain().map(|i| i.seq).collect();
    assert_eq!(ids, [0, 1, 2]);
}

/// Reservations filled from several threads at once, each thread with its own, while the consumer
/// drains: every node arrives once, each thread's in order, and once all are dropped the room is
/// exactly the capacity again.
#[test]
fn reservations_from_several_threads() {
    const PRODUCERS: usize = 3;
    const CAPACITY: usize = 8;
    let per_producer = scaled(20_000);
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = BoundedQueue::<Msg>::with_capacity(CAPACITY);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, drops) = (&queue, &drops);
            s.spawn(move || {
                let mut seq = 0;
                let mut want = 1;
                // Fail rather than hang if room given back is lost: no reservation for `STALL`.
                let mut progress = Instant::now();
                while seq < per_producer {
                    // 1 to 3 places at a time, the last one of every third left unused.
                    want = want % 3 + 1;
                    let Some(mut room) = queue.try_reserve(want) else {
                        assert!(progress.elapsed() < STALL, "refused for good");
                        thread::yield_now();
                        continue;
                    };
                    progress = Instant::now();
                    let fill = if seq % 3 == 0 { want - 1 } else { want };
                    for _ in 0..fill.min(per_producer - seq) {
                        room.try_enqueue(counted(p, seq, drops)).unwrap();
                        seq += 1;
                    }
                }
            });
        }
        let mut consumer = queue.consumer().unwrap();
        let mut fifo = Fifo::new(PRODUCERS);
        let mut progress = Instant::now();
        while fifo.received() < PRODUCERS * per_producer {
            match consumer.try_dequeue() {
                Ok(node) => {
                    fifo.take(&node);
                    progress = Instant::now();
                }
                Err(_) => {
                    let total = fifo.received();
                    assert!(progress.elapsed() < STALL, "{total} received, then none");
                    thread::yield_now();
                }
            }
        }
    });
    assert_eq!(queue.len(), 0, "every unused place was given back");
    let room = queue
        .try_reserve(CAPACITY)
        .expect("the whole capacity at rest");
    drop(room);
    assert_eq!(drops.load(Relaxed), PRODUCERS * per_producer);
}

#[test]
fn debug_output() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = BoundedQueue::<Msg>::with_capacity(2);
    assert_eq!(format!("{queue:?}"), "Queue { capacity: 2, len: 0, .. }");
    queue.try_enqueue(item(0, &drops)).unwrap();
    let room = queue.try_reserve(1).unwrap();
    assert_eq!(format!("{queue:?}"), "Queue { capacity: 2, len: 2, .. }");
    assert_eq!(format!("{room:?}"), "Reservation { remaining: 1 }");
    drop(room);
    assert_eq!(
        format!("{queue:#?}"),
        "Queue {\n    capacity: 2,\n    len: 1,\n    ..\n}"
    );
}

/// What the test knows of the queue's contents, from the results its threads saw.
#[derive(Default)]
struct Tally {
    /// Nodes whose `try_enqueue` (or batch) returned `Ok`.
    accepted: AtomicUsize,
    /// Nodes the consumer has received.
    received: AtomicUsize,
}

/// Producers race at the limit, with batches, single nodes and reservations (some filled one
/// short), while the consumer takes nodes out in bursts. Whenever every thread is paused (a barrier), the nodes inside (accepted minus
/// received) must be at most the capacity, `len()` must match, and the queue must accept exactly
/// as many more as there is room (no spurious refusal when nobody is enqueueing).
fn racing_at_the_limit<W: Waiting, L: Layout>(capacity: usize, consume_concurrently: bool) {
    const PRODUCERS: usize = 3;
    let rounds = if cfg!(miri) { 4 } else { scaled(400) };
    let drops = Arc::new(AtomicUsize::new(0));
    let created = AtomicUsize::new(0);
    let queue = Bq::<W, L>::with_capacity(capacity);
    let tally = Tally::default();
    let refused_within_reservation = AtomicBool::new(false);
    let barrier = Barrier::new(PRODUCERS + 1);
    let mut consumer = queue.consumer().unwrap();
    // Per producer, the last sequence number received, for FIFO and exactly-once delivery.
    let mut last_seen = [None::<usize>; PRODUCERS + 1];
    let mut failure = None;
    let receive = |node: Box<Msg>, last_seen: &mut [Option<usize>]| {
        let (p, seq) = (node.producer, node.seq);
        assert!(last_seen[p] < Some(seq), "per-producer FIFO, exactly once");
        last_seen[p] = Some(seq);
        tally.received.fetch_add(1, Relaxed);
    };

    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, drops, tally, barrier, created, refused_within_reservation) = (
                &queue,
                &drops,
                &tally,
                &barrier,
                &created,
                &refused_within_reservation,
            );
            s.spawn(move || {
                let mut seq = 0;
                for round in 0..rounds {
                    barrier.wait();
                    for attempt in 0..capacity {
                        let len = attempt % 3 + 1;
                        if (attempt + p) % 4 == 3 {
                            // A reservation of `len`, filled whole or one short: the unused
                            // place is given back when it is dropped.
                            let used = len - (round + attempt) % 2;
                            if let Some(mut room) = queue.try_reserve(len) {
                                created.fetch_add(used, Relaxed);
                                for _ in 0..used {
                                    // Not an assert: a panic here would leave the other threads
                                    // waiting at the barrier; the flag is checked after the scope.
                                    if room.try_enqueue(counted(p, seq, drops)).is_ok() {
                                        tally.accepted.fetch_add(1, Relaxed);
                                        seq += 1;
                                    } else {
                                        refused_within_reservation.store(true, Relaxed);
                                    }
                                }
                            }
                            continue;
                        }
                        created.fetch_add(len, Relaxed);
                        let ok = if len == 1 {
                            queue.try_enqueue(counted(p, seq, drops)).is_ok()
                        } else {
                            let b = batch(p, seq..seq + len, drops);
                            queue.try_enqueue_batch(b).is_ok()
                        };
                        if ok {
                            tally.accepted.fetch_add(len, Relaxed);
                            seq += len;
                        }
                    }
                    barrier.wait();
                }
            });
        }

        let mut main_seq = 0;
        // A failed check must not leave the producers waiting at the barrier forever: the first
        // failure is kept, the rounds run on without checks, and it is raised after the scope.
        macro_rules! guarded {
            ($body:block) => {
                if failure.is_none() {
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| $body)) {
                        failure = Some(panic);
                    }
                }
            };
        }
        for round in 0..rounds {
            barrier.wait();
            if consume_concurrently {
                guarded!({
                    for _ in 0..capacity {
                        match consumer.try_dequeue() {
                            Ok(node) => receive(node, &mut last_seen),
                            Err(_) => thread::yield_now(),
                        }
                    }
                });
            }
            barrier.wait();
            guarded!({
                // Everyone is paused: the books must balance.
                let inside = tally.accepted.load(Relaxed) - tally.received.load(Relaxed);
                assert!(
                    inside <= capacity,
                    "{inside} nodes inside, capacity {capacity}"
                );
                assert_eq!(queue.len(), inside);
                // Exactly the room left is accepted now.
                let mut filled = 0;
                loop {
                    created.fetch_add(1, Relaxed);
                    let node = counted(PRODUCERS, main_seq, &drops);
                    if queue.try_enqueue(node).is_err() {
                        break;
                    }
                    main_seq += 1;
                    filled += 1;
                }
                tally.accepted.fetch_add(filled, Relaxed);
                assert_eq!(inside + filled, capacity, "no spurious refusal at rest");
                // Make room for the next round: take out a varying number of nodes, peeking too.
                let take = round % (capacity + 1);
                for _ in 0..take {
                    consumer.peek().unwrap();
                    if round % 2 == 0 {
                        assert!(consumer.drop_peeked());
                        tally.received.fetch_add(1, Relaxed);
                    } else {
                        let node = consumer.take_peeked().unwrap();
                        receive(node, &mut last_seen);
                    }
                }
                if round % 3 == 0 {
                    // Leave a peeked node in place: it must keep counting.
                    let _ = consumer.try_peek();
                }
            });
        }
    });
    if let Some(panic) = failure {
        resume_unwind(panic);
    }
    assert!(
        !refused_within_reservation.load(Relaxed),
        "a reservation refused a node it had room for"
    );
    let rest = consumer.drain();
    let rest: Vec<Box<Msg>> = rest.collect();
    for node in rest {
        receive(node, &mut last_seen);
    }
    assert_eq!(
        tally.accepted.load(Relaxed),
        tally.received.load(Relaxed),
        "every accepted node delivered"
    );
    drop(consumer);
    drop(queue);
    assert_eq!(
        drops.load(Relaxed),
        created.load(Relaxed),
        "refused nodes came back"
    );
}

fn racing_producers_never_exceed_the_capacity<W: Waiting, L: Layout>() {
    racing_at_the_limit::<W, L>(4, false);
    racing_at_the_limit::<W, L>(1, false);
}

fn racing_producers_and_consumer_never_exceed_the_capacity<W: Waiting, L: Layout>() {
    racing_at_the_limit::<W, L>(4, true);
    racing_at_the_limit::<W, L>(7, true);
}

/// Producers enqueue as fast as they can, retrying refused nodes, while the consumer drains; all
/// arrive in per-producer order, and every batch contiguous.
#[test]
fn retrying_producers_deliver_everything_in_order() {
    const PRODUCERS: usize = 3;
    let per_producer = if cfg!(miri) { 50 } else { scaled(20_000) };
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = BoundedQueue::<Msg>::with_capacity(16);
    // Fail rather than hang if the queue stops making room.
    let deadline = Instant::now() + Duration::from_secs(30);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, drops) = (&queue, &drops);
            s.spawn(move || {
                let mut seq = 0;
                while seq < per_producer {
                    // A single node at every multiple of 4, then a batch of 3.
                    let len = if seq % 4 == 0 { 1 } else { 3 }.min(per_producer - seq);
                    let mut pending = batch(p, seq..seq + len, drops);
                    while let Err(back) = queue.try_enqueue_batch(pending) {
                        assert!(Instant::now() < deadline, "refused for good");
                        pending = back;
                        thread::yield_now();
                    }
                    seq += len;
                }
            });
        }
        let mut consumer = queue.consumer().unwrap();
        let mut fifo = Fifo::new(PRODUCERS);
        let mut last_producer = None;
        while fifo.received() < PRODUCERS * per_producer {
            match consumer.try_dequeue() {
                Ok(node) => {
                    fifo.take(&node);
                    // Inside a batch (not at its start), the previous node is the same
                    // producer's.
                    if node.seq % 4 >= 2 {
                        assert_eq!(last_producer, Some(node.producer), "batch contiguity");
                    }
                    last_producer = Some(node.producer);
                    assert!(queue.len() <= queue.capacity());
                }
                Err(_) => {
                    let received = fifo.received();
                    assert!(
                        Instant::now() < deadline,
                        "{received} nodes received, then none"
                    );
                    thread::yield_now();
                }
            }
        }
    });
    assert_eq!(drops.load(Relaxed), PRODUCERS * per_producer);
}

/// Each producer waits for its previous node to be received before it enqueues the next, so the
/// nodes inside plus the claims in flight never exceed the capacity, and no enqueue may be
/// refused, not even spuriously. Catches a claim that misreads a negative count difference (the
/// consumer handed over a node claimed after ours) as "full".
#[test]
fn never_refused_while_below_the_capacity() {
    const PRODUCERS: usize = 3;
    let per_producer = if cfg!(miri) { 20 } else { scaled(50_000) };
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = BoundedQueue::<Msg>::with_capacity(PRODUCERS);
    let received: [AtomicUsize; PRODUCERS] = Default::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Set by a producer that was refused, so everyone stops at once and the test fails fast.
    let refused = AtomicBool::new(false);
    thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, drops, received, refused) = (&queue, &drops, &received, &refused);
            s.spawn(move || {
                for seq in 0..per_producer {
                    let node = counted(p, seq, drops);
                    if queue.try_enqueue(node).is_err() {
                        refused.store(true, Relaxed);
                        return;
                    }
                    // Acquire: pairs with the consumer's Release increment, so the hand-over
                    // of our node (the queue's count, stored before that increment) happens-
                    // before our next claim. With Relaxed, the claim could read an older count
                    // and be refused rightly (Miri's weak-memory emulation found such a run).
                    while received[p].load(Acquire) <= seq && !refused.load(Relaxed) {
                        assert!(Instant::now() < deadline, "node never received");
                        thread::yield_now();
                    }
                }
            });
        }
        let mut consumer = queue.consumer().unwrap();
        let mut total = 0;
        while total < PRODUCERS * per_producer && !refused.load(Relaxed) {
            match consumer.try_dequeue() {
                Ok(node) => {
                    // Release: pairs with the producer's Acquire load above.
                    received[node.producer].fetch_add(1, Release);
                    total += 1;
                }
                Err(_) => {
                    assert!(Instant::now() < deadline, "{total} received, then none");
                    thread::yield_now();
                }
            }
        }
    });
    assert!(!refused.load(Relaxed), "refused below the capacity");
    assert_eq!(drops.load(Relaxed), PRODUCERS * per_producer);
}

every_bounded_kind!(
    fifo_up_to_the_capacity_and_the_refused_node_comes_back,
    room_is_made_by_every_kind_of_hand_over_and_not_by_peek,
    the_dequeue_count_survives_the_consumer,
    batches_are_all_or_nothing_at_the_limit,
    reservations_hold_room_until_used_or_dropped,
    a_bounded_queue_dropped_non_empty_drops_each_node_once,
    racing_producers_never_exceed_the_capacity,
    racing_producers_and_consumer_never_exceed_the_capacity,
);
