//! Loom models of the bounded queue and of batch enqueue.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- bounded::`.
//!
//! Every model fixes its own preemption bound (`loom::model::Builder::preemption_bound`), stated
//! beside it: 3 where the model finishes quickly, 2 otherwise (all are 3 today, and the whole file
//! runs in well under a minute). Loom explores every interleaving within the bound, but not every
//! weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! Each model is a function generic over the [`Layout`]. The bounded counters are the same code in
//! both layouts (only their place in memory differs, which loom does not see); the padded layout
//! keeps the stub's link beside `head` instead of beside `tail`, so a model runs under both layouts
//! where its consumer pops while producers enqueue, and under the compact layout alone where it pops only once the
//! producers are done.
use crate::support::{both_layouts, check, compact_only};
use intrusive_mpsc::{node, Batch, BoundedQueue, Layout, Link, NoWait, Queue, Unbounded};
use loom::alloc::Track;
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use loom::sync::Arc;
use loom::thread;

/// A test node: an id, a bit set on drop (a second drop fails), and a leak tracker. Not the
/// shared `support::Msg`: loom's leak tracker and a loom counter make a lost or twice-dropped
/// node fail the model.
struct Msg {
    link: Link,
    id: usize,
    dropped: Arc<AtomicUsize>,
    _alive: Track<()>,
}
node!(Msg, link, Box<Msg>);

impl Msg {
    fn new(id: usize, dropped: &Arc<AtomicUsize>) -> Box<Msg> {
        Box::new(Msg {
            link: Link::new(),
            id,
            dropped: Arc::clone(dropped),
            _alive: Track::new(()),
        })
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        let before = self.dropped.fetch_or(1 << self.id, Relaxed);
        assert_eq!(
            before & 1 << self.id,
            0,
            "message {} dropped twice",
            self.id
        );
    }
}

/// Ids (as bits) of the messages of `batch`, checking it is intact and in order.
fn batch_ids(batch: Batch<Msg>, expected: &[usize]) -> usize {
    let ids: Vec<usize> = batch.into_iter().map(|m| m.id).collect();
    assert_eq!(
        ids, expected,
        "a refused batch comes back whole and in order"
    );
    ids.iter().map(|id| 1 << id).sum()
}

/// Three producers (two threads and the main one) race for the last two places of a bounded
/// queue. Exactly two are accepted (the first two claims in the counter's order), the third gets
/// its very node back, every accepted node is delivered once, and afterwards, at rest, the
/// queue accepts exactly as many nodes as it has room for: a refused claim was undone.
///
/// Preemption bound 3.
fn producers_race_at_the_limit<L: Layout>() {
    check(3, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(BoundedQueue::<Msg, L>::with_capacity(2));
        let try_one =
            |queue: &BoundedQueue<Msg, L>, id: usize, dropped: &Arc<AtomicUsize>| -> usize {
                match queue.try_enqueue(Msg::new(id, dropped)) {
                    Ok(()) => 1 << id,
                    Err(back) => {
                        assert_eq!(back.id, id, "the refused node is the producer's own");
                        0
                    }
                }
            };
        let producers: Vec<_> = (0..2)
            .map(|id| {
                let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
                thread::spawn(move || try_one(&queue, id, &dropped))
            })
            .collect();
        let mut accepted = try_one(&queue, 2, &dropped);
        for p in producers {
            accepted |= p.join().unwrap();
        }
        assert_eq!(accepted.count_ones(), 2, "exactly the capacity is accepted");
        assert_eq!(queue.len(), 2);

        let mut consumer = queue.consumer().unwrap();
        let mut delivered = 0;
        while let Some(msg) = consumer.dequeue() {
            assert_eq!(delivered & 1 << msg.id, 0, "delivered once");
            delivered |= 1 << msg.id;
        }
        assert_eq!(delivered, accepted, "every accepted node is delivered");
        // At rest, no spurious refusal: the room is exactly the capacity.
        assert_eq!(queue.len(), 0);
        assert!(queue.try_enqueue(Msg::new(3, &dropped)).is_ok());
        assert!(queue.try_enqueue(Msg::new(4, &dropped)).is_ok());
        assert!(queue.try_enqueue(Msg::new(5, &dropped)).is_err());
        drop(consumer);
        drop(queue);
        assert_eq!(dropped.load(Relaxed), 0b11_1111, "every node dropped once");
    });
}

/// One producer's `try_enqueue` of node `id` into a queue whose consumer wrote 7 into `scratch`
/// before making room: the node's bit if it got in, after checking that the consumer's write is
/// visible (loom reports a data race on the cell if the dequeue that made the room does not
/// happen-before the enqueue); 0 if refused, with the node handed back.
fn attempt_after_write<L: Layout>(
    id: usize,
    queue: &BoundedQueue<Msg, L>,
    dropped: &Arc<AtomicUsize>,
    scratch: &UnsafeCell<usize>,
) -> usize {
    match queue.try_enqueue(Msg::new(id, dropped)) {
        Ok(()) => {
            // SAFETY: the consumer writes the cell before the dequeue that makes room, so a
            // producer that got in reads it only after that write if the ordering holds; loom
            // checks exactly that.
            assert_eq!(scratch.with(|s| unsafe { *s }), 7);
            1 << id
        }
        Err(back) => {
            assert_eq!(back.id, id);
            0
        }
    }
}

/// The set-up of the models in which producers race the consumer's hand-over: a full queue of
/// capacity 2 (nodes 0 and 1), a plain cell, and the consumer's thread, which writes 7 into the
/// cell and then takes node 0 out (it has a successor, so the consumer never swaps `head`: the
/// count it publishes is the only edge to a producer), and node 1 too if `then_node_1`.
struct FullPair<L: Layout> {
    queue: Arc<BoundedQueue<Msg, L>>,
    dropped: Arc<AtomicUsize>,
    scratch: Arc<UnsafeCell<usize>>,
}

impl<L: Layout> FullPair<L> {
    /// The set-up, and the consumer's thread for the model to join.
    fn start(then_node_1: bool) -> (Self, thread::JoinHandle<()>) {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(BoundedQueue::<Msg, L>::with_capacity(2));
        let scratch = Arc::new(UnsafeCell::new(0usize));
        assert!(queue.try_enqueue(Msg::new(0, &dropped)).is_ok());
        assert!(queue.try_enqueue(Msg::new(1, &dropped)).is_ok());
        let consumer = {
            let (queue, scratch) = (Arc::clone(&queue), Arc::clone(&scratch));
            thread::spawn(move || {
                let mut consumer = queue.consumer().unwrap();
                // SAFETY: no producer reads the cell before it is accepted, which it cannot be
                // before the first dequeue below (the queue is full); loom checks exactly that.
                scratch.with_mut(|s| unsafe { *s = 7 });
                assert_eq!(consumer.try_dequeue().unwrap().id, 0);
                if then_node_1 {
                    // Waits out a producer that has swapped in behind the last node.
                    assert_eq!(consumer.dequeue().unwrap().id, 1);
                }
            })
        };
        (
            FullPair {
                queue,
                dropped,
                scratch,
            },
            consumer,
        )
    }

    /// A producer thread trying to enqueue node `id` ([`attempt_after_write`]).
    fn attempt(&self, id: usize) -> thread::JoinHandle<usize> {
        let (queue, dropped, scratch) = (
            Arc::clone(&self.queue),
            Arc::clone(&self.dropped),
            Arc::clone(&self.scratch),
        );
        thread::spawn(move || attempt_after_write(id, &queue, &dropped, &scratch))
    }
}

/// At rest, once a model's threads are joined: the queue of capacity 2 holds `inside` nodes and
/// accepts exactly the room left (no spurious refusal, no overshoot) of nodes `ids`, tried in turn.
fn takes_exactly_the_room_left<L: Layout>(
    queue: &BoundedQueue<Msg, L>,
    dropped: &Arc<AtomicUsize>,
    inside: usize,
    ids: std::ops::Range<usize>,
) {
    assert_eq!(queue.len(), inside);
    let mut more = 0;
    for id in ids {
        if queue.try_enqueue(Msg::new(id, dropped)).is_ok() {
            more += 1;
        }
    }
    assert_eq!(
        inside + more,
        2,
        "no spurious refusal at rest, no overshoot"
    );
}

/// A full queue of capacity 2; the consumer takes the first node out (after writing to a plain
/// cell) while two producers each try to enqueue one. At most one of them gets in (one place was
/// freed), and one that gets in sees the consumer's write: the dequeue that made room
/// happens-before the enqueue that takes it. The node taken out has a successor, so the consumer
/// never swaps the queue's head: the `Release` store of the dequeue count, paired with the
/// producers' `Acquire` load, is the only edge (loom reports a data race on the cell otherwise).
/// At rest, the queue is full again, or accepts exactly one more.
///
/// Preemption bound 3.
fn consumer_publication_races_producers<L: Layout>() {
    check(3, || {
        let (pair, consumer) = FullPair::<L>::start(false);
        let producers: Vec<_> = (2..4).map(|id| pair.attempt(id)).collect();
        let FullPair { queue, dropped, .. } = pair;
        consumer.join().unwrap();
        let mut accepted = 0usize;
        for p in producers {
            accepted |= p.join().unwrap();
        }
        assert!(accepted.count_ones() <= 1, "one place was freed, not two");
        assert_eq!(queue.len(), 1 + accepted.count_ones() as usize);

        // At rest: exactly the room left is accepted.
        let more = queue.try_enqueue(Msg::new(4, &dropped)).is_ok();
        assert_eq!(
            more,
            accepted == 0,
            "no spurious refusal at rest, no overshoot"
        );
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.dequeue().unwrap().id, 1);
        let delivered = consumer.dequeue().map_or(0, |m| 1 << m.id);
        assert_eq!(delivered, if more { 1 << 4 } else { accepted });
        assert!(consumer.dequeue().is_none());
    });
}

/// A batch of three and a single node race into an unbounded queue while the consumer takes them
/// out: the batch arrives contiguous and in order, the single node before or after it, and every
/// node body written before the enqueue is visible.
///
/// Preemption bound 3.
fn batch_is_contiguous_with_a_concurrent_producer<L: Layout>() {
    check(3, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(Queue::<Msg, Unbounded, NoWait, L>::new());
        let batch_producer = {
            let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
            thread::spawn(move || {
                let batch: Batch<Msg> = (0..3).map(|id| Msg::new(id, &dropped)).collect();
                queue.enqueue_batch(batch);
            })
        };
        let single_producer = {
            let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
            thread::spawn(move || queue.enqueue(Msg::new(3, &dropped)))
        };
        let mut consumer = queue.consumer().unwrap();
        let mut order = Vec::new();
        while order.len() < 4 {
            match consumer.try_dequeue() {
                Ok(msg) => order.push(msg.id),
                Err(_) => thread::yield_now(),
            }
        }
        assert!(
            order == [0, 1, 2, 3] || order == [3, 0, 1, 2],
            "batch contiguous and in order: {order:?}"
        );
        assert!(consumer.is_empty());
        batch_producer.join().unwrap();
        single_producer.join().unwrap();
        assert_eq!(dropped.load(Relaxed), 0b1111);
    });
}

/// A batch of two and two single nodes race for a bounded queue of capacity 3 while the consumer
/// takes one node out. The batch is all or nothing (refused, it comes back whole), accepted
/// nodes never exceed the capacity plus the one place the consumer freed, the batch is
/// contiguous, and everything accepted is delivered once.
///
/// Preemption bound 3.
fn bounded_batch_is_all_or_nothing_at_the_limit<L: Layout>() {
    check(3, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(BoundedQueue::<Msg, L>::with_capacity(3));
        let batch_producer = {
            let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
            thread::spawn(move || {
                let batch: Batch<Msg> = (0..2).map(|id| Msg::new(id, &dropped)).collect();
                match queue.try_enqueue_batch(batch) {
                    Ok(()) => 0b11usize,
                    Err(back) => {
                        batch_ids(back, &[0, 1]);
                        0
                    }
                }
            })
        };
        let single_producer = {
            let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
            thread::spawn(move || {
                let mut accepted = 0;
                for id in 2..4 {
                    if queue.try_enqueue(Msg::new(id, &dropped)).is_ok() {
                        accepted |= 1 << id;
                    }
                }
                accepted
            })
        };
        // The consumer takes out at most one node while the producers run.
        let mut consumer = queue.consumer().unwrap();
        let mut order = Vec::new();
        if let Some(msg) = consumer.dequeue() {
            order.push(msg.id);
        }
        let accepted = batch_producer.join().unwrap() | single_producer.join().unwrap();
        let inside = accepted.count_ones() as usize - order.len();
        assert!(inside <= 3, "{inside} nodes inside a queue of capacity 3");
        assert_eq!(queue.len(), inside);
        while let Some(msg) = consumer.dequeue() {
            order.push(msg.id);
        }
        let delivered: usize = order.iter().map(|id| 1 << id).sum();
        assert_eq!(delivered, accepted, "every accepted node delivered once");
        if let Some(at) = order.iter().position(|&id| id == 0) {
            assert_eq!(order.get(at + 1), Some(&1), "batch contiguous: {order:?}");
        }
        drop(consumer);
        drop(queue);
        assert_eq!(dropped.load(Relaxed), 0b1111);
    });
}

/// Below the capacity nothing is ever refused, even when the consumer hands over a node whose
/// claim came after a producer's own claim (that producer's count difference is then negative,
/// which must read as "room", not as a huge unsigned number).
///
/// The consumer is a thread of its own that tries once, rather than a loop that yields: loom
/// schedules a yielding thread only reluctantly, and the interleaving that matters here (one
/// producer paused between its claim and its load while the other producer's node is enqueued
/// and handed over) was never explored with the consumer spinning.
///
/// Preemption bound 3.
fn never_refused_below_the_capacity<L: Layout>() {
    check(3, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(BoundedQueue::<Msg, L>::with_capacity(2));
        // Built here, so the producers' threads do nothing but enqueue (fewer steps to explore).
        let producers: Vec<_> = (0..2)
            .map(|id| {
                let (queue, msg) = (Arc::clone(&queue), Msg::new(id, &dropped));
                thread::spawn(move || {
                    assert!(
                        queue.try_enqueue(msg).is_ok(),
                        "refused with room for every node"
                    );
                })
            })
            .collect();
        let consumer_thread = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut consumer = queue.consumer().unwrap();
                consumer.try_dequeue().map_or(0, |msg| 1 << msg.id)
            })
        };
        for p in producers {
            p.join().unwrap();
        }
        let mut delivered: usize = consumer_thread.join().unwrap();
        let mut consumer = queue.consumer().unwrap();
        while let Some(msg) = consumer.dequeue() {
            assert_eq!(delivered & 1 << msg.id, 0, "delivered once");
            delivered |= 1 << msg.id;
        }
        assert_eq!(delivered, 0b11);
        assert_eq!(queue.len(), 0);
    });
}

/// Two producers and the consumer race at the limit of a full queue of capacity 1, where the
/// read-only pre-check decides most refusals. The consumer hands the one node over and then
/// raises a flag; producer A tries once at any time; producer B tries once after seeing the flag.
/// At most one of them gets in (one place was freed). And once the race is over, the refusal is
/// exact: if A had finished, refused, before B began, B is accepted (the room the consumer made is
/// visible to B's pre-check and claim, and A's undone claim no longer counts); if A had finished,
/// accepted, B is refused. Each refused producer gets its own node back, and every accepted node
/// is delivered once.
///
/// Preemption bound 3.
fn producers_and_consumer_race_at_the_limit<L: Layout>() {
    check(3, || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(BoundedQueue::<Msg, L>::with_capacity(1));
        assert!(queue.try_enqueue(Msg::new(0, &dropped)).is_ok());
        // Raised by the consumer after its hand-over; by A after its try (1 refused, 2 accepted).
        let room = Arc::new(AtomicUsize::new(0));
        let a_done = Arc::new(AtomicUsize::new(0));

        let consumer_thread = {
            let (queue, room) = (Arc::clone(&queue), Arc::clone(&room));
            thread::spawn(move || {
                let mut consumer = queue.consumer().unwrap();
                assert_eq!(consumer.try_dequeue().unwrap().id, 0);
                // Release: B's Acquire load then happens-after the hand-over.
                room.store(1, Release);
            })
        };
        let producer_a = {
            let (queue, dropped, a_done) = (
                Arc::clone(&queue),
                Arc::clone(&dropped),
                Arc::clone(&a_done),
            );
            thread::spawn(move || {
                let accepted = match queue.try_enqueue(Msg::new(1, &dropped)) {
                    Ok(()) => true,
                    Err(back) => {
                        assert_eq!(back.id, 1, "the refused node is the producer's own");
                        false
                    }
                };
                // Release: B's Acquire load then happens-after our whole try.
                a_done.store(if accepted { 2 } else { 1 }, Release);
                accepted
            })
        };

        // Producer B, on the main thread.
        while room.load(Acquire) == 0 {
            thread::yield_now();
        }
        let a_before = a_done.load(Acquire);
        let b_accepted = match queue.try_enqueue(Msg::new(2, &dropped)) {
            Ok(()) => true,
            Err(back) => {
                assert_eq!(back.id, 2, "the refused node is the producer's own");
                false
            }
        };
        match a_before {
            1 => assert!(
                b_accepted,
                "refused with the room free and no claim in flight"
            ),
            2 => assert!(!b_accepted, "accepted past the capacity"),
            _ => {}
        }
        let a_accepted = producer_a.join().unwrap();
        consumer_thread.join().unwrap();
        assert!(!(a_accepted && b_accepted), "one place was freed, not two");

        let accepted = usize::from(a_accepted) << 1 | usize::from(b_accepted) << 2;
        assert_eq!(queue.len(), accepted.count_ones() as usize);
        let mut consumer = queue.consumer().unwrap();
        let delivered = consumer.dequeue().map_or(0, |msg| 1 << msg.id);
        assert_eq!(delivered, accepted, "every accepted node is delivered once");
        assert!(consumer.dequeue().is_none());
        drop(consumer);
        drop(queue);
        assert_eq!(dropped.load(Relaxed), 0b111, "every node dropped once");
    });
}

// The consumer of `producers_race_at_the_limit` pops only after joining the producers, so the
// layouts differ there only in steps that race with nothing.
/// A full queue of capacity 2; the consumer writes a plain cell and then takes both nodes out,
/// while two producers each try to enqueue one. Whichever producer passes the shared limit reads
/// the consumer's count and publishes a new limit, which the other may then claim within without
/// reading the count. Any producer that gets in sees the consumer's write, and at rest the queue
/// holds what was accepted and takes exactly the rest: no overshoot through a limit, no spurious
/// refusal left behind by one. (Catches the limit's `Acquire` load or its first `Release` store
/// made `Relaxed`, a limit that lets one node past and one that refuses an exact fit.)
///
/// The second producer waits a little (two tries) for the first to finish its attempt, on a
/// `Relaxed` flag that adds no happens-before. Without it, loom 0.7 never runs the first
/// producer's store of the limit before the second's load of it: it does not reverse a write
/// that follows the writer's own load of the same atomic when another thread's load came first
/// (tokio-rs/loom#392), and the model never reached the case it is named for.
///
/// Preemption bound 3.
fn a_limit_published_by_one_producer_carries_the_room_to_another<L: Layout>() {
    check(3, || {
        let (pair, consumer) = FullPair::<L>::start(true);
        let attempted = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let first = {
            let (queue, dropped, scratch, attempted) = (
                Arc::clone(&pair.queue),
                Arc::clone(&pair.dropped),
                Arc::clone(&pair.scratch),
                Arc::clone(&attempted),
            );
            thread::spawn(move || {
                let accepted = attempt_after_write(2, &queue, &dropped, &scratch);
                // Relaxed: orders the other attempt after ours in loom's trace only; it must
                // carry no happens-before.
                attempted.store(true, Relaxed);
                accepted
            })
        };
        // Bounded: a Relaxed load may keep reading `false`; then attempt anyway, racing.
        for _ in 0..2 {
            if attempted.load(Relaxed) {
                break;
            }
            thread::yield_now();
        }
        let mut accepted = attempt_after_write(3, &pair.queue, &pair.dropped, &pair.scratch);
        accepted |= first.join().unwrap();
        let FullPair { queue, dropped, .. } = pair;
        consumer.join().unwrap();
        // At rest: exactly the room left is accepted, whatever the limit says.
        takes_exactly_the_room_left(&queue, &dropped, accepted.count_ones() as usize, 4..6);
        drop(queue);
    });
}

/// A queue of capacity 2 holds one node; the consumer takes it out while one producer reserves
/// room for 2, fills one place and drops the reservation (giving the other back), and another
/// producer tries to enqueue one. The reservation gets in only once the consumer made room, the
/// other producer may be refused while the reservation holds the room, and the room given back
/// is room again: at rest the queue holds what was accepted and takes exactly the rest. (Catches
/// a give-back that is missing, which leaves a place lost, and one that gives back a place too
/// many, which lets the queue overshoot.)
///
/// Preemption bound 3.
fn a_reservation_gives_back_what_it_did_not_use<L: Layout>() {
    // Outcomes seen across the executions (outside the model): reservation only, single only,
    // both. Each must occur, or the model no longer explores the races it is about.
    let seen: std::sync::Arc<[std::sync::atomic::AtomicUsize; 3]> = Default::default();
    let counts = std::sync::Arc::clone(&seen);
    check(3, move || {
        let dropped = Arc::new(AtomicUsize::new(0));
        let queue = Arc::new(BoundedQueue::<Msg, L>::with_capacity(2));
        assert!(queue.try_enqueue(Msg::new(0, &dropped)).is_ok());

        let reserving = {
            let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
            thread::spawn(move || match queue.try_reserve(2) {
                Some(mut room) => {
                    assert!(room.try_enqueue(Msg::new(1, &dropped)).is_ok());
                    assert_eq!(room.remaining(), 1);
                    1 << 1
                }
                None => 0,
            })
        };
        let single = {
            let (queue, dropped) = (Arc::clone(&queue), Arc::clone(&dropped));
            thread::spawn(move || match queue.try_enqueue(Msg::new(2, &dropped)) {
                Ok(()) => 1 << 2,
                Err(back) => {
                    assert_eq!(back.id, 2);
                    0
                }
            })
        };
        let mut consumer = queue.consumer().unwrap();
        let mut delivered = 0usize;
        if let Ok(msg) = consumer.try_dequeue() {
            assert_eq!(msg.id, 0, "the node inside from the start comes first");
            delivered |= 1 << msg.id;
        }
        let accepted = 1 | reserving.join().unwrap() | single.join().unwrap();
        if accepted & 1 << 1 != 0 {
            assert_ne!(delivered, 0, "the reservation needed the consumer's room");
        }
        let outcome = match accepted {
            0b011 => Some(0),
            0b101 => Some(1),
            0b111 => Some(2),
            _ => None,
        };
        if let Some(i) = outcome {
            counts[i].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let inside = (accepted & !delivered).count_ones() as usize;
        assert!(inside <= 2);
        assert_eq!(queue.len(), inside);
        while let Some(msg) = consumer.dequeue() {
            assert_eq!(delivered & 1 << msg.id, 0, "delivered once");
            delivered |= 1 << msg.id;
        }
        assert_eq!(delivered, accepted, "every accepted node is delivered");
        // At rest and empty: exactly the capacity is accepted.
        assert!(queue.try_enqueue(Msg::new(3, &dropped)).is_ok());
        assert!(queue.try_enqueue(Msg::new(4, &dropped)).is_ok());
        assert!(queue.try_enqueue(Msg::new(5, &dropped)).is_err());
        drop(consumer);
        drop(queue);
    });
    for (i, outcome) in ["the reservation alone", "the single enqueue alone", "both"]
        .iter()
        .enumerate()
    {
        assert_ne!(
            seen[i].load(std::sync::atomic::Ordering::Relaxed),
            0,
            "no execution where {outcome} got in"
        );
    }
}

/// A full queue of capacity 2; the consumer writes a plain cell, then takes the first node out
/// (it has a successor, so the consumer never swaps `head`), while one producer reserves the
/// place (once it is free) and drops the reservation unused, and another tries to enqueue. Room
/// given back never held a node and publishes nothing: a producer that gets in, through the room
/// given back or not, must still see the consumer's write, through the consumer's count or a limit
/// published from it by the reserving producer (loom reports a data race on the cell otherwise).
/// At rest, the queue takes exactly the room left. (Catches the limit's `Release` store made
/// `Relaxed`, here with a give-back between the publication and its use.)
///
/// Preemption bound 3.
fn room_given_back_still_carries_the_consumers_hand_over<L: Layout>() {
    let granted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&granted);
    check(3, move || {
        let (pair, consumer) = FullPair::<L>::start(false);
        let reserving = {
            let queue = Arc::clone(&pair.queue);
            thread::spawn(move || queue.try_reserve(1).is_some())
        };
        // On a thread of its own too: with this attempt on the main thread, loom explored far
        // fewer schedules.
        let single = pair.attempt(2);
        let accepted = single.join().unwrap();
        if reserving.join().unwrap() {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let FullPair { queue, dropped, .. } = pair;
        consumer.join().unwrap();
        // Node 1 is still inside.
        takes_exactly_the_room_left(&queue, &dropped, 1 + accepted.count_ones() as usize, 3..4);
        drop(queue);
    });
    assert_ne!(
        granted.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no execution where the reservation got the room"
    );
}

compact_only!(producers_race_at_the_limit);

both_layouts!(
    a_reservation_gives_back_what_it_did_not_use,
    room_given_back_still_carries_the_consumers_hand_over,
    consumer_publication_races_producers,
    a_limit_published_by_one_producer_carries_the_room_to_another,
    batch_is_contiguous_with_a_concurrent_producer,
    bounded_batch_is_all_or_nothing_at_the_limit,
    never_refused_below_the_capacity,
    producers_and_consumer_race_at_the_limit,
);
