//! Loom models of every queue operation, each asserting outcomes, not just "did not crash".
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- queue::`.
//!
//! Every model fixes its own preemption bound (`loom::model::Builder::preemption_bound`), stated
//! beside it, so the result does not depend on `LOOM_MAX_PREEMPTIONS`. Bound 3 wherever the model
//! finishes in reasonable time, 2 where it cannot. Loom explores every interleaving within the
//! bound, but not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! Each model is a function generic over the [`Layout`] (`name::compact`, `name::padded`): the
//! two layouts run the same algorithm but keep the stub's link on different ends (beside `tail` in
//! the compact layout, beside `head` in the padded one), so its reset and its stores race through
//! different fields. The models where that link is raced run on both layouts; the rest (listed at
//! the end) and the user-style model on the compact layout only.
use std::sync::atomic::{AtomicBool as StdAtomicBool, Ordering::SeqCst as StdSeqCst};
use std::sync::Arc as StdArc;

use crate::support::{both_layouts, check, compact_only};
use intrusive_mpsc::{
    node, Consumer, Layout, Link, NoWait, Queue, QueueRef, TryDequeueError, Unbounded,
};
use loom::alloc::Track;
use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use loom::sync::Arc;
use loom::thread;

/// A test message: which producer sent it, its sequence number there, and a body written by the
/// producer that loom checks the consumer may read (it is a loom cell, so reading it without a
/// happens-before edge from the producer's write is reported as a data race). Not the shared
/// `support::Msg` for that body, and for loom's leak tracker and drop mask.
struct Msg {
    link: Link,
    producer: usize,
    seq: usize,
    body: UnsafeCell<usize>,
    /// One bit per message, set on drop: a second drop of the same message fails its assertion.
    dropped: Arc<AtomicUsize>,
    /// Loom reports a leak at the end of an execution if this was never dropped.
    _alive: Track<()>,
}
node!(Msg, link, Box<Msg>);

/// The bit of a message in the `dropped` mask.
fn bit(producer: usize, seq: usize) -> usize {
    1 << (producer * 8 + seq)
}

/// The body a message carries, so a torn or stale read is visible.
fn body_of(producer: usize, seq: usize) -> usize {
    1000 * (producer + 1) + seq
}

impl Msg {
    fn new(producer: usize, seq: usize, dropped: &Arc<AtomicUsize>) -> Box<Msg> {
        let msg = Box::new(Msg {
            link: Link::new(),
            producer,
            seq,
            body: UnsafeCell::new(0),
            dropped: Arc::clone(dropped),
            _alive: Track::new(()),
        });
        // Written after construction, on the producer's thread, right before `enqueue`.
        // SAFETY: the message is not shared yet.
        msg.body
            .with_mut(|b| unsafe { *b = body_of(producer, seq) });
        msg
    }

    /// Reads the body on the consumer's side (a race here is a missing happens-before edge).
    fn body(&self) -> usize {
        // SAFETY: the consumer owns the message now; loom checks the producer's write is visible.
        self.body.with(|b| unsafe { *b })
    }

    fn id(&self) -> (usize, usize) {
        (self.producer, self.seq)
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        let bit = bit(self.producer, self.seq);
        let before = self.dropped.fetch_or(bit, Relaxed);
        assert_eq!(before & bit, 0, "message {:?} dropped twice", self.id());
    }
}

/// The queue of the models: unbounded, no sleeping, in layout `L`.
type MsgQueue<L> = Queue<Msg, Unbounded, NoWait, L>;

/// What the producers have done, shared with the consumer.
struct Shared<L: Layout> {
    /// In a `std` `Arc` so that owned consumers ([`Queue::consumer_owned`]) can hold it too. Only
    /// the models of owned consumers clone it, and they join every thread before `Shared` drops;
    /// otherwise the queue drops with `Shared`, whose loom `Arc` orders that drop after every
    /// thread's last use of the queue.
    queue: StdArc<MsgQueue<L>>,
    /// Per producer: how many of its `enqueue` calls have returned (stored with `Release` right
    /// after each one), so the consumer knows which nodes it may no longer call absent.
    published: [AtomicUsize; 2],
    dropped: Arc<AtomicUsize>,
}

impl<L: Layout> Shared<L> {
    fn new() -> Arc<Shared<L>> {
        Arc::new(Shared {
            queue: StdArc::new(Queue::new()),
            published: [AtomicUsize::new(0), AtomicUsize::new(0)],
            dropped: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Enqueues `count` messages as `producer`, publishing each once its `enqueue` has returned.
    fn produce(&self, producer: usize, count: usize) {
        for seq in 0..count {
            self.queue.enqueue(Msg::new(producer, seq, &self.dropped));
            self.published[producer].store(seq + 1, Release);
        }
    }

    /// Spawns a producer thread.
    fn spawn_producer(this: &Arc<Self>, producer: usize, count: usize) -> thread::JoinHandle<()> {
        let shared = Arc::clone(this);
        thread::spawn(move || shared.produce(producer, count))
    }

    /// A fresh `Shared` and its producers, spawned in order: producer `p` sends `counts[p]`
    /// messages.
    fn start<const N: usize>(counts: [usize; N]) -> (Arc<Self>, [thread::JoinHandle<()>; N]) {
        let shared = Self::new();
        let producers = std::array::from_fn(|p| Self::spawn_producer(&shared, p, counts[p]));
        (shared, producers)
    }

    fn published(&self) -> [usize; 2] {
        [
            self.published[0].load(Acquire),
            self.published[1].load(Acquire),
        ]
    }
}

/// The consumer's bookkeeping: next expected sequence number per producer.
struct Received {
    next: [usize; 2],
    expected: [usize; 2],
}

impl Received {
    fn new(expected: [usize; 2]) -> Self {
        Self {
            next: [0; 2],
            expected,
        }
    }

    /// Checks a delivered message: exactly once, in its producer's order, with its body visible.
    fn got(&mut self, msg: &Msg) {
        let (p, s) = msg.id();
        assert_eq!(
            s, self.next[p],
            "producer {p}: got seq {s}, expected {} (lost, duplicated or reordered)",
            self.next[p]
        );
        assert_eq!(msg.body(), body_of(p, s), "body of {:?}", msg.id());
        self.next[p] += 1;
        assert!(self.next[p] <= self.expected[p], "more messages than sent");
    }

    /// `Empty` is only allowed once every enqueue that had returned before the call is delivered.
    fn check_empty(&self, published_before: [usize; 2]) {
        for (p, (&next, &published)) in self.next.iter().zip(&published_before).enumerate() {
            assert!(
                next >= published,
                "Empty, although producer {p}'s enqueue #{next} had returned and was not delivered"
            );
        }
    }

    fn done(&self) -> bool {
        self.next == self.expected
    }

    /// One `try_dequeue`, checked against what had been published before it.
    fn try_once<L: Layout, Q: QueueRef<Node = Msg>>(
        &mut self,
        shared: &Shared<L>,
        consumer: &mut Consumer<Q>,
    ) -> TryResult {
        let published = shared.published();
        match consumer.try_dequeue() {
            Ok(msg) => {
                self.got(&msg);
                TryResult::Got
            }
            Err(TryDequeueError::Empty) => {
                self.check_empty(published);
                TryResult::Empty
            }
            Err(TryDequeueError::Inconsistent) => TryResult::Inconsistent,
        }
    }

    /// With every producer joined: the queue is consistent, so every remaining message comes out
    /// with `try_dequeue` at once, and then it is `Empty`.
    fn finish<Q: QueueRef<Node = Msg>>(&mut self, consumer: &mut Consumer<Q>) {
        while !self.done() {
            match consumer.try_dequeue() {
                Ok(msg) => self.got(&msg),
                Err(e) => panic!(
                    "{e:?} with every producer finished and {:?} left",
                    self.left()
                ),
            }
        }
        assert_empty(consumer);
    }

    /// Joins `producers`, then [`finish`](Self::finish)es.
    fn finish_after<Q: QueueRef<Node = Msg>>(
        &mut self,
        producers: impl IntoIterator<Item = thread::JoinHandle<()>>,
        consumer: &mut Consumer<Q>,
    ) {
        join_all(producers);
        self.finish(consumer);
    }

    fn left(&self) -> [usize; 2] {
        [
            self.expected[0] - self.next[0],
            self.expected[1] - self.next[1],
        ]
    }
}

#[derive(Debug, PartialEq)]
enum TryResult {
    Got,
    Empty,
    Inconsistent,
}

/// Whether some execution of a model reached a state, for models that assert that loom explored
/// it. A plain `std` flag outside loom's view (loom would reset its own atomics for each
/// execution), shared between the model's closure and the test; one per test, so the layouts'
/// tests, which may run at the same time, do not see each other's.
#[derive(Clone)]
struct Reached(StdArc<StdAtomicBool>);

impl Reached {
    fn new() -> Self {
        Reached(StdArc::new(StdAtomicBool::new(false)))
    }

    fn set(&self) {
        self.0.store(true, StdSeqCst);
    }

    fn get(&self) -> bool {
        self.0.load(StdSeqCst)
    }
}

/// Calls `attempt` until it succeeds, yielding to the model's other threads after each failure,
/// and returns what it gave.
fn until_ok<T, E>(mut attempt: impl FnMut() -> Result<T, E>) -> T {
    loop {
        match attempt() {
            Ok(value) => return value,
            Err(_) => thread::yield_now(),
        }
    }
}

/// The first of two consumers in turn, on producer 0's two messages: takes message 0 if it is
/// there (checking its body too if `check_body`), peeks the next without taking it (it stays first
/// in line), and returns how many it took (0 or 1).
fn take_first_leave_next_peeked<Q: QueueRef<Node = Msg>>(
    consumer: &mut Consumer<Q>,
    check_body: bool,
) -> usize {
    let mut got = 0;
    if let Ok(msg) = consumer.try_dequeue() {
        assert_eq!(msg.id(), (0, 0));
        if check_body {
            assert_eq!(msg.body(), body_of(0, 0));
        }
        got = 1;
    }
    if let Ok(msg) = consumer.try_peek() {
        // Left first in line for the next consumer.
        assert_eq!(msg.id(), (0, got));
    }
    got
}

/// The second of two consumers in turn: takes producer 0's messages from `next` to the last of
/// two, retrying until each arrives, each in order and with its body visible.
fn take_the_rest_in_order<Q: QueueRef<Node = Msg>>(consumer: &mut Consumer<Q>, mut next: usize) {
    while next < 2 {
        match consumer.try_dequeue() {
            Ok(msg) => {
                assert_eq!(msg.id(), (0, next));
                assert_eq!(msg.body(), body_of(0, next));
                next += 1;
            }
            Err(_) => thread::yield_now(),
        }
    }
}

/// The queue is empty, by both `try_dequeue` (which answers `Empty`) and `is_empty`.
fn assert_empty<Q: QueueRef<Node = Msg>>(consumer: &mut Consumer<Q>) {
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    assert!(consumer.is_empty());
}

/// Joins every thread of `threads`, in order, failing if one panicked.
fn join_all(threads: impl IntoIterator<Item = thread::JoinHandle<()>>) {
    for t in threads {
        t.join().unwrap();
    }
}

/// Runs `model` as [`check`] does, and fails unless some execution reached the state the model
/// marks with [`Reached::set`]; `never` says which state, when none did.
fn check_reaching(bound: usize, never: &str, model: impl Fn(&Reached) + Sync + Send + 'static) {
    let saw = Reached::new();
    let reached = saw.clone();
    check(bound, move || model(&reached));
    assert!(saw.get(), "{never}");
}

/// Every message was dropped exactly once (double drops fail in `Msg::drop`).
fn assert_all_dropped(dropped: &AtomicUsize, expected: [usize; 2]) {
    let mut all = 0;
    for (p, &n) in expected.iter().enumerate() {
        for s in 0..n {
            all |= bit(p, s);
        }
    }
    assert_eq!(dropped.load(Relaxed), all, "messages not dropped");
}

// --- 1. Two producers, two nodes each, one consumer ------------------------------------------

/// Bound 3. Two producers enqueue two messages each while the consumer tries three times, then
/// empties the queue once they are done: every message exactly once, per-producer FIFO, bodies
/// visible, and `Empty` never while a returned enqueue is undelivered.
fn two_producers_two_nodes_each<L: Layout>() {
    check(3, || {
        let (shared, producers) = Shared::<L>::start([2, 2]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([2, 2]);
        for _ in 0..3 {
            received.try_once(&shared, &mut consumer);
        }
        received.finish_after(producers, &mut consumer);
        drop(consumer);
        assert_all_dropped(&shared.dropped, [2, 2]);
    });
}

// --- 2. The window of inconsistency ----------------------------------------------------------

/// Bound 3. One producer, one message. The consumer may see `Inconsistent` (the producer between
/// its swap and its link store); then `dequeue` must return that very message without any join,
/// and nothing is lost or duplicated.
fn inconsistent_window_then_dequeue<L: Layout>() {
    check_reaching(3, "the model never reached the window", |reached| {
        let (shared, [producer]) = Shared::<L>::start([1]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([1, 0]);
        if received.try_once(&shared, &mut consumer) == TryResult::Inconsistent {
            reached.set();
            let msg = consumer
                .dequeue()
                .expect("dequeue after Inconsistent returns the node once the producer finishes");
            received.got(&msg);
        }
        producer.join().unwrap();
        received.finish(&mut consumer);
    });
}

/// Bound 3. Two producers, one message each. When the consumer sees `Inconsistent`, `dequeue`
/// returns a message; a completed enqueue hidden behind an unfinished one is never reported
/// `Empty`, and comes out once the first producer finishes.
fn inconsistent_window_hides_completed_enqueue<L: Layout>() {
    const NEVER: &str = "the model never hid a completed enqueue behind an unfinished one";
    check_reaching(3, NEVER, |reached| {
        let (shared, producers) = Shared::<L>::start([1, 1]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([1, 1]);
        let published = shared.published();
        if received.try_once(&shared, &mut consumer) == TryResult::Inconsistent {
            if published != [0, 0] && received.next == [0, 0] {
                reached.set();
            }
            let msg = consumer.dequeue().expect("Inconsistent means not empty");
            received.got(&msg);
        }
        received.finish_after(producers, &mut consumer);
    });
}

// --- 3. "Empty means empty" ------------------------------------------------------------------

/// Bound 3. Producer 0 enqueues one message and then signals (release store); producer 1 enqueues
/// one message with no signal and may stall mid-enqueue ahead of producer 0. Once the consumer
/// has seen the signal (acquire load), `try_dequeue` must not answer `Empty` until it has
/// received producer 0's message. The consumer polls until it has it.
fn empty_means_empty<L: Layout>() {
    const NEVER: &str = "the model never had producer 1 stalled ahead of a signalled message";
    check_reaching(3, NEVER, |reached| {
        let (shared, producers) = Shared::<L>::start([1, 1]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([1, 1]);
        while received.next[0] == 0 {
            let signalled = shared.published[0].load(Acquire) == 1;
            match consumer.try_dequeue() {
                Ok(msg) => received.got(&msg),
                Err(TryDequeueError::Empty) => {
                    assert!(!signalled, "Empty after the signal, before its message");
                    thread::yield_now();
                }
                Err(TryDequeueError::Inconsistent) => {
                    if signalled && received.next[1] == 0 {
                        reached.set();
                    }
                    thread::yield_now();
                }
            }
        }
        received.finish_after(producers, &mut consumer);
    });
}

/// Bound 3. As [`empty_means_empty`], but producer 0 sends two
/// messages and signals after each, so the consumer takes the last node out through the stub
/// while producer 1 may swap in between. `Empty` is never answered while a signalled message is
/// undelivered.
fn empty_means_empty_across_stub_reenqueue<L: Layout>() {
    check(3, || {
        let (shared, producers) = Shared::<L>::start([2, 1]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([2, 1]);
        while received.next[0] < 2 {
            if received.try_once(&shared, &mut consumer) != TryResult::Got {
                thread::yield_now();
            }
        }
        received.finish_after(producers, &mut consumer);
    });
}

// --- 4. Peek ---------------------------------------------------------------------------------

/// Bound 3. One producer sends two messages. The consumer peeks the first (twice: the same
/// node), takes it, peeks the second and drops it in place: dropped exactly then, exactly once.
fn peek_then_take_then_peek_then_drop<L: Layout>() {
    check(3, || {
        let (shared, [producer]) = Shared::<L>::start([2]);
        let mut consumer = shared.queue.consumer().unwrap();

        let first = until_ok(|| {
            consumer
                .try_peek()
                .map(|msg| (msg.id(), msg.body(), msg as *const Msg))
        });
        assert_eq!((first.0, first.1), ((0, 0), body_of(0, 0)));
        let again = consumer.try_peek().expect("a peeked node stays peeked");
        assert_eq!(again as *const Msg, first.2, "peek twice, same node");
        assert!(!consumer.is_empty(), "a peeked node still counts");
        let taken = consumer.take_peeked().expect("the peeked node");
        assert_eq!(taken.id(), (0, 0));
        assert!(consumer.take_peeked().is_none());
        drop(taken);

        let second = loop {
            if let Some(msg) = consumer.peek() {
                break msg.id();
            }
            thread::yield_now();
        };
        assert_eq!(second, (0, 1));
        assert_eq!(shared.dropped.load(Relaxed), bit(0, 0));
        assert!(consumer.drop_peeked());
        assert_eq!(shared.dropped.load(Relaxed), bit(0, 0) | bit(0, 1));
        assert!(!consumer.drop_peeked());

        producer.join().unwrap();
        assert_empty(&mut consumer);
    });
}

/// Bound 3. Two producers race while the consumer holds a peeked node: dequeues return the
/// peeked node first, then the rest in order; nothing lost, duplicated or dropped early.
fn peek_across_producer_race<L: Layout>() {
    check(3, || {
        let (shared, producers) = Shared::<L>::start([1, 1]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([1, 1]);

        let peeked = until_ok(|| consumer.try_peek().map(|msg| (msg.id(), msg as *const Msg)));
        // The other producer races with these calls; the peeked node comes out first regardless.
        assert!(!consumer.is_empty());
        let again = consumer.try_peek().expect("still peeked");
        assert_eq!((again.id(), again as *const Msg), peeked);
        let msg = consumer.try_dequeue().expect("the peeked node comes first");
        assert_eq!(msg.id(), peeked.0);
        received.got(&msg);
        drop(msg);
        assert!(consumer.take_peeked().is_none());
        assert_eq!(shared.dropped.load(Relaxed), bit(peeked.0 .0, 0));

        received.try_once(&shared, &mut consumer);
        received.finish_after(producers, &mut consumer);
    });
}

/// Bound 3. A node comes back into the queue after a dequeue (its link still points at its old
/// successor) while a producer races: the stale link must not resurface, so the node arrives
/// twice in all and its old successor once, then the queue is empty.
fn dequeued_node_enqueued_again<L: Layout>() {
    check(3, || {
        let (shared, [producer]) = Shared::<L>::start([2]);
        let mut consumer = shared.queue.consumer().unwrap();
        let first = until_ok(|| consumer.try_dequeue());
        assert_eq!(first.id(), (0, 0));
        consumer.queue().enqueue(first);
        producer.join().unwrap();
        let mut seen = Vec::new();
        while let Ok(msg) = consumer.try_dequeue() {
            seen.push(msg.id());
            assert!(seen.len() <= 2, "more nodes than queued: {seen:?}");
        }
        seen.sort_unstable();
        assert_eq!(seen, [(0, 0), (0, 1)]);
        assert!(consumer.is_empty());
    });
}

// --- 5. Drain, and the consumer moving between threads ---------------------------------------

/// Bound 3. Two producers, two messages and one. The consumer drains while they run; when the
/// iterator ends, every enqueue that had returned before its last step has been delivered.
/// After the producers finish, a second drain yields exactly the rest.
fn drain_races_producers<L: Layout>() {
    check(3, || {
        let (shared, producers) = Shared::<L>::start([2, 1]);
        let mut consumer = shared.queue.consumer().unwrap();
        let mut received = Received::new([2, 1]);
        {
            let mut drain = consumer.drain();
            loop {
                let published = shared.published();
                match drain.next() {
                    Some(msg) => received.got(&msg),
                    None => {
                        received.check_empty(published);
                        break;
                    }
                }
            }
        }
        join_all(producers);
        for msg in consumer.drain() {
            received.got(&msg);
        }
        assert!(
            received.done(),
            "left after the final drain: {:?}",
            received.left()
        );
        assert!(consumer.is_empty());
    });
}

/// Bound 3. The consumer is released on one thread, with a node possibly peeked, and claimed on
/// another. Only one consumer exists at a time; the second sees the first's tail and bookkeeping
/// (loom checks the hand-over edge on every consumer-owned cell); together they receive both
/// messages exactly once, in order, and a peek does not pass to the second consumer (the node
/// stays first in line).
fn consumer_released_and_reacquired_on_another_thread<L: Layout>() {
    check(3, || {
        let (shared, [producer]) = Shared::<L>::start([2]);
        // What the first consumer received, handed over by the consumer flag alone.
        let first_got = Arc::new(UnsafeCell::new(0usize));

        let mut consumer = shared.queue.consumer().unwrap();
        let second = {
            let shared = Arc::clone(&shared);
            let first_got = Arc::clone(&first_got);
            thread::spawn(move || {
                let mut consumer = until_ok(|| shared.queue.consumer().ok_or(()));
                assert!(shared.queue.consumer().is_none(), "two consumers at once");
                // SAFETY: written by the first consumer before it released the flag we claimed.
                let next = first_got.with(|n| unsafe { *n });
                take_the_rest_in_order(&mut consumer, next);
                assert!(consumer.take_peeked().is_none());
            })
        };

        let got = take_first_leave_next_peeked(&mut consumer, false);
        // SAFETY: we hold the consumer flag; the next consumer reads this after claiming it.
        first_got.with_mut(|n| unsafe { *n = got });
        drop(consumer);

        second.join().unwrap();
        producer.join().unwrap();
        assert_all_dropped(&shared.dropped, [2, 0]);
    });
}

/// Bound 3. The same hand-over with owned consumers ([`Queue::consumer_owned`]): the first is
/// made on the main thread, moved into a thread of its own, takes at most one message there (and
/// may leave the next one peeked), and is dropped there. The main thread meanwhile takes over with
/// a second owned consumer as soon as the flag lets it, without joining the first thread: the
/// flag's release on drop and acquire on claim are the only edge between the two consumers, and
/// loom checks every consumer-owned cell (the queue's tail and our count below) against it. Together they receive both messages exactly once, in order, with
/// their bodies.
///
/// The queue is held through a `std` `Arc`, which loom does not see: every thread is joined
/// before the main thread drops the last reference (with `Shared`).
fn owned_consumer_handed_over_between_threads<L: Layout>() {
    check(3, || {
        let (shared, [producer]) = Shared::<L>::start([2]);
        // What the first consumer received, handed over by the consumer flag alone.
        let first_got = Arc::new(UnsafeCell::new(0usize));

        let first = StdArc::clone(&shared.queue)
            .consumer_owned()
            .expect("no other consumer");
        assert!(
            StdArc::clone(&shared.queue).consumer_owned().is_err(),
            "two consumers at once"
        );
        let first_thread = {
            let first_got = Arc::clone(&first_got);
            thread::spawn(move || {
                let mut consumer = first;
                let got = take_first_leave_next_peeked(&mut consumer, true);
                // SAFETY: we hold the consumer flag; the next consumer reads this after claiming
                // it.
                first_got.with_mut(|n| unsafe { *n = got });
                drop(consumer);
            })
        };

        let mut second = until_ok(|| StdArc::clone(&shared.queue).consumer_owned());
        assert!(shared.queue.consumer().is_none(), "two consumers at once");
        // SAFETY: written by the first consumer before it released the flag we claimed.
        let next = first_got.with(|n| unsafe { *n });
        assert!(
            second.take_peeked().is_none(),
            "a peek does not pass to the next consumer"
        );
        take_the_rest_in_order(&mut second, next);
        assert_eq!(second.try_dequeue().err(), Some(TryDequeueError::Empty));
        drop(second);

        first_thread.join().unwrap();
        producer.join().unwrap();
        assert!(shared.queue.consumer().is_some(), "the flag is free again");
        assert_all_dropped(&shared.dropped, [2, 0]);
    });
}

// --- 6. Dropping a queue with nodes inside ---------------------------------------------------

/// Bound 3. Two producers, two messages each, hold the queue with the consumer's thread, which
/// may take one message and peek another before letting go. Whichever thread drops the queue
/// last drops every message still inside, and the peeked one, exactly once (checked per message;
/// `Track` reports any that leak).
fn queue_dropped_with_nodes_inside<L: Layout>() {
    check(3, || {
        let shared = Shared::<L>::new();
        let dropped = Arc::clone(&shared.dropped);
        let producers = [0, 1].map(|p| Shared::spawn_producer(&shared, p, 2));
        {
            let mut consumer = shared.queue.consumer().unwrap();
            let mut received = Received::new([2, 2]);
            received.try_once(&shared, &mut consumer);
            let _ = consumer.try_peek();
        }
        drop(shared);
        join_all(producers);
        assert_all_dropped(&dropped, [2, 2]);
    });
}

// The padded layout runs the compact layout's code; only the place of the stub's link differs
// (beside `head`, not beside `tail`). So it is modelled where that link is raced: producers linking
// behind the stub while the consumer resets it and re-enqueues the stub, or reads it to tell
// `Empty` from `Inconsistent`. Three of these four padded instances catch the padded-only mutant
// tried (the stub's link reset after the consumer's swap). The rest, the biggest model included, run on the
// compact layout only, to keep CI's time.
compact_only!(
    two_producers_two_nodes_each,
    inconsistent_window_hides_completed_enqueue,
    empty_means_empty,
    peek_then_take_then_peek_then_drop,
    dequeued_node_enqueued_again,
    consumer_released_and_reacquired_on_another_thread,
    owned_consumer_handed_over_between_threads,
    queue_dropped_with_nodes_inside,
);

both_layouts!(
    inconsistent_window_then_dequeue,
    empty_means_empty_across_stub_reenqueue,
    peek_across_producer_race,
    drain_races_producers,
);

// --- 7. A user's model -----------------------------------------------------------------------

/// Written exactly as a user of the crate would in their own repository: their own packet type
/// with our `Link`, their own threads, plain `loom::model`. The README shows this pattern.
mod user_style {
    use intrusive_mpsc::{node, Link, Queue};
    use loom::sync::Arc;
    use loom::thread;

    struct Packet {
        link: Link,
        seq: u32,
    }
    node!(Packet, link, Box<Packet>);

    /// No preemption bound set here, as in a user's `loom::model`: exhaustive unless
    /// `LOOM_MAX_PREEMPTIONS` is set.
    #[test]
    fn packets_arrive_once_in_order() {
        loom::model(|| {
            let queue = Arc::new(Queue::<Packet>::new());

            let producer = {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    for seq in 0..2 {
                        queue.enqueue(Box::new(Packet {
                            link: Link::new(),
                            seq,
                        }));
                    }
                })
            };

            let mut consumer = queue.consumer().unwrap();
            let mut next = 0;
            while next < 2 {
                match consumer.dequeue() {
                    Some(packet) => {
                        assert_eq!(packet.seq, next);
                        next += 1;
                    }
                    None => thread::yield_now(),
                }
            }
            producer.join().unwrap();
            assert!(consumer.dequeue().is_none());
        });
    }
}
