//! Randomized-schedule tests with [shuttle](https://docs.rs/shuttle), for sizes that loom cannot
//! explore exhaustively: three or four threads and hundreds of queue operations per execution.
//! Loom (tests/loom/) checks every interleaving and the weak-memory orderings of small models;
//! shuttle runs every atomic operation as `SeqCst` but samples schedules of much longer runs, in
//! which the queue goes through many full/empty/asleep cycles while producers race.
//!
//! Built only with `RUSTFLAGS="--cfg shuttle"` (the crate's atomics, parking, yields and spin hints
//! then go through shuttle); run them with
//! `RUSTFLAGS="--cfg shuttle" CARGO_TARGET_DIR=target/shuttle cargo test --release --test shuttle`.
//!
//! # Schedules
//!
//! Every test runs its closure 6,000 times ([`RANDOM_ITERATIONS`]) under shuttle's random
//! scheduler and 6,000 times ([`PCT_ITERATIONS`]) under its PCT scheduler (depth 3,
//! [`PCT_DEPTH`]), both seeded with [`SEED`] (`0x5eed0f5b`), so CI explores the same schedules on
//! every run. Shuttle replaces the seed by the environment variable `SHUTTLE_RANDOM_SEED` when it
//! is set: set it to explore other schedules locally. A failing execution prints its schedule, for
//! `shuttle::replay`.
//!
//! The whole file (84,000 executions) takes about 15 s of CPU time in release mode, under 40 s on a
//! 2-core machine busy with other builds (load average 10).
//!
//! # What fails
//!
//! - A lost wake-up: the tests sleep through the queue's own waits (`dequeue_blocking`,
//!   `dequeue_async`, `wait`, the channel's `recv_blocking`), which park the shuttle thread; a
//!   sleeper whose wake-up was lost parks for good. Shuttle reports a deadlock once no other
//!   thread can run. (While others can, it may wake a parked thread spuriously, which hides the
//!   loss: so the channel tests make their senders wait at a barrier for the receiver's last
//!   wake-ups. In the bounded test the producers keep retrying against the full queue instead,
//!   and the execution fails at the step bound below.)
//! - A lost, duplicated or reordered node: each consumer checks that each producer's nodes arrive
//!   exactly in the order they were enqueued, and each node counts its drops (exactly one).
//! - The bound: a counting handle keeps the number of nodes the queue owns, and the bounded test
//!   checks that it never exceeds the capacity, and that a producer alone is refused only by a
//!   full queue (so no claim outlives its refusal).
//! - A livelock (a producer refused for good, a consumer spinning on a node that never becomes
//!   reachable): shuttle fails an execution after [`MAX_STEPS`] scheduling steps, about 20 times
//!   what the longest passing execution takes (some 2,700 steps, in the bounded test).
#![cfg(shuttle)]

use std::ptr::{self, NonNull};
use std::sync::Arc;

use intrusive_mpsc::channel::{unbounded_channel, SendError};
use intrusive_mpsc::{
    node, Batch, BoundedWaitQueue, Handle, Link, OwnedConsumer, Queue, TryDequeueError, Unbounded,
    Wait, WaitQueue,
};
use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::sync::atomic::AtomicBool;
use shuttle::sync::atomic::Ordering::{Acquire, Release};
use shuttle::sync::Barrier;
use shuttle::{thread, Config, MaxSteps, Runner};

mod dynamic;

/// The schedulers' seed.
const SEED: u64 = 0x5eed_0f5b;
/// Executions under the random scheduler, per test.
const RANDOM_ITERATIONS: usize = 6_000;
/// Executions under the PCT scheduler, per test.
const PCT_ITERATIONS: usize = 6_000;
/// PCT's bug depth: the number of priority changes per execution, plus one.
const PCT_DEPTH: usize = 3;
/// Scheduling steps after which an execution fails as a livelock.
const MAX_STEPS: usize = 50_000;

/// Runs `f` under the seeded random scheduler, then the seeded PCT scheduler, for the fixed
/// numbers of executions.
fn explore(f: impl Fn() + Send + Sync + 'static) {
    let f = Arc::new(f);
    let config = || {
        let mut config = Config::new();
        // Shuttle warns once that it runs non-`SeqCst` orderings as `SeqCst`; loom checks those.
        config.silence_warnings = true;
        config.max_steps = MaxSteps::FailAfter(MAX_STEPS);
        config
    };
    let g = Arc::clone(&f);
    let random = Runner::new(
        RandomScheduler::new_from_seed(SEED, RANDOM_ITERATIONS),
        config(),
    );
    assert_eq!(random.run(move || g()), RANDOM_ITERATIONS);
    let pct = Runner::new(
        PctScheduler::new_from_seed(SEED, PCT_DEPTH, PCT_ITERATIONS),
        config(),
    );
    assert_eq!(pct.run(move || f()), PCT_ITERATIONS);
}

/// A bookkeeping counter beside the queue.
///
/// These are `std`'s atomics, not shuttle's: shuttle runs the threads of an execution as
/// coroutines on the test's one OS thread, one at a time, switching only at its own operations. So
/// these counters add no scheduling points (an update right after a queue call takes effect in the
/// same step as that call's last atomic operation), and `Relaxed` is all they need.
#[derive(Default)]
struct Counter(std::sync::atomic::AtomicIsize);

impl Counter {
    /// Adds `n` and returns the new value.
    fn add(&self, n: isize) -> isize {
        // Relaxed: one OS thread (see the type's docs).
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n
    }

    fn get(&self) -> isize {
        // Relaxed: one OS thread (see the type's docs).
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Raises the value to `n` if it is lower.
    fn raise(&self, n: isize) {
        // Relaxed: one OS thread (see the type's docs).
        self.0.fetch_max(n, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What one execution's nodes record: drops, and the nodes the queue owns.
struct Book {
    /// Nodes per producer; node `(p, seq)` has the id `p * per_producer + seq`.
    per_producer: usize,
    /// Drops, per node id.
    drops: Vec<Counter>,
    /// Nodes the queue owns (see [`Tracked`]).
    inside: Counter,
    /// The most `inside` has been.
    max_inside: Counter,
}

impl Book {
    fn new(producers: usize, per_producer: usize) -> Arc<Book> {
        Arc::new(Book {
            per_producer,
            drops: (0..producers * per_producer)
                .map(|_| Counter::default())
                .collect(),
            inside: Counter::default(),
            max_inside: Counter::default(),
        })
    }

    /// A new node, `seq` of `producer`, counted by the handle unless `batched`.
    fn msg(self: &Arc<Self>, producer: usize, seq: usize, batched: bool) -> Tracked {
        Tracked(Box::new(Msg {
            link: Link::new(),
            producer,
            seq,
            batched,
            book: Arc::clone(self),
        }))
    }

    /// Counts `n` more nodes inside.
    fn entered(&self, n: isize) {
        let inside = self.inside.add(n);
        self.max_inside.raise(inside);
    }

    /// Asserts that every node was dropped exactly once: none leaked, none dropped twice.
    fn assert_all_dropped_once(&self) {
        for (id, drops) in self.drops.iter().enumerate() {
            assert_eq!(drops.get(), 1, "node {id} dropped {} times", drops.get());
        }
        assert_eq!(self.inside.get(), 0, "the queue still owns nodes");
    }
}

/// Not the shared `support::Msg`: its handle ([`Tracked`]) keeps the book of the nodes the queue
/// owns, and its drop checks against that book.
struct Msg {
    link: Link,
    producer: usize,
    seq: usize,
    /// Enqueued in a [`Batch`], which takes the node's raw pointer when the node is pushed into
    /// the batch, long before the queue accepts it: the producer counts it in itself.
    batched: bool,
    book: Arc<Book>,
}

impl Drop for Msg {
    fn drop(&mut self) {
        let id = self.producer * self.book.per_producer + self.seq;
        assert_eq!(self.book.drops[id].add(1), 1, "node {id} dropped twice");
    }
}

/// A `Box<Msg>` that keeps [`Book::inside`] equal to the number of nodes the queue owns (batched
/// nodes aside): `into_raw` is called by an enqueue that was accepted (after its claim, with no
/// scheduling point in between), `from_raw` by the consumer as it takes a node out (right after
/// it counted the hand-over).
struct Tracked(Box<Msg>);

impl std::ops::Deref for Tracked {
    type Target = Msg;

    fn deref(&self) -> &Msg {
        &self.0
    }
}

// SAFETY: forwards to `Box<Msg>`'s implementation, which owns the allocation alone and never moves
// it; the counting only touches the book.
unsafe impl Handle for Tracked {
    type Target = Msg;

    fn into_raw(self) -> NonNull<Msg> {
        if !self.batched {
            self.book.entered(1);
        }
        Handle::into_raw(self.0)
    }

    unsafe fn from_raw(ptr: NonNull<Msg>) -> Self {
        // SAFETY: forwarded: `ptr` came from `into_raw` above, which got it from a `Box<Msg>`.
        let node: Box<Msg> = unsafe { Handle::from_raw(ptr) };
        node.book.inside.add(-1);
        Tracked(node)
    }
}

node!(Msg, link, Tracked);

/// Checks that each producer's nodes arrive exactly once and in order: the next node of producer
/// `p` must be its `next[p]`-th.
struct Order {
    next: Vec<usize>,
}

impl Order {
    fn new(producers: usize) -> Order {
        Order {
            next: vec![0; producers],
        }
    }

    fn check(&mut self, msg: &Msg) {
        let expected = &mut self.next[msg.producer];
        assert_eq!(
            msg.seq, *expected,
            "producer {}: node {} arrived, {} expected (lost, duplicated or reordered)",
            msg.producer, msg.seq, *expected
        );
        *expected += 1;
    }

    fn total(&self) -> usize {
        self.next.iter().sum()
    }
}

/// Checks that each batch reaches the consumer whole, with no other node inside it: remembers
/// which producer's batch is open.
#[derive(Default)]
struct Contiguous {
    open: Option<usize>,
}

impl Contiguous {
    fn check(&mut self, msg: &Msg, batch: usize) {
        if let Some(producer) = self.open {
            assert_eq!(msg.producer, producer, "a batch was split by another node");
        }
        self.open = (msg.batched && msg.seq % batch != batch - 1).then_some(msg.producer);
    }
}

/// The plain queue: four producers (two enqueue single nodes, two batches of three), 60 nodes
/// each, against a polling consumer. Beyond exactly-once and per-producer order, checks the
/// meaning of `Empty`: it is never answered while a node whose enqueue has returned is still
/// inside, and every batch arrives in one piece.
#[test]
fn plain_queue_four_producers_and_batches() {
    const PRODUCERS: usize = 4;
    const PER_PRODUCER: usize = 60;
    const BATCH: usize = 3;
    explore(|| {
        let book = Book::new(PRODUCERS, PER_PRODUCER);
        let queue = Arc::new(Queue::<Msg>::new());
        // Nodes whose enqueue has returned.
        let returned = Arc::new(Counter::default());
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, book, returned) =
                    (Arc::clone(&queue), Arc::clone(&book), Arc::clone(&returned));
                thread::spawn(move || {
                    if p < 2 {
                        for seq in 0..PER_PRODUCER {
                            queue.enqueue(book.msg(p, seq, false));
                            returned.add(1);
                        }
                    } else {
                        for first in (0..PER_PRODUCER).step_by(BATCH) {
                            let batch: Batch<Msg> = (first..first + BATCH)
                                .map(|seq| book.msg(p, seq, true))
                                .collect();
                            queue.enqueue_batch(batch);
                            book.entered(BATCH as isize);
                            returned.add(BATCH as isize);
                        }
                    }
                })
            })
            .collect();

        let mut consumer = queue.consumer().unwrap();
        let mut order = Order::new(PRODUCERS);
        let mut contiguous = Contiguous::default();
        let mut received = 0;
        while received < PRODUCERS * PER_PRODUCER {
            let before = returned.get();
            match consumer.try_dequeue() {
                Ok(msg) => {
                    order.check(&msg);
                    contiguous.check(&msg, BATCH);
                    received += 1;
                }
                Err(error) => {
                    assert!(
                        received as isize >= before || error != TryDequeueError::Empty,
                        "Empty with {received} received of {before} returned enqueues"
                    );
                    thread::yield_now();
                }
            }
        }
        for producer in producers {
            producer.join().unwrap();
        }
        assert_eq!(order.total(), PRODUCERS * PER_PRODUCER);
        assert!(
            consumer.try_dequeue().is_err(),
            "more nodes than were enqueued"
        );
        drop(consumer);
        drop(queue);
        book.assert_all_dropped_once();
    });
}

/// The producers' calls on a bounded queue, for [`Offers::refused`]'s check.
#[derive(Default)]
struct Offers {
    /// Calls in progress.
    active: Counter,
    /// Calls begun.
    begun: Counter,
}

/// One producer call, from [`Offers::begin`].
struct Offer {
    /// [`Book::inside`] as the call began.
    inside: isize,
    /// [`Offers::begun`] after this call began.
    number: isize,
    /// Whether another call was in progress as this one began.
    overlapped: bool,
}

impl Offers {
    fn begin(&self, book: &Book) -> Offer {
        Offer {
            inside: book.inside.get(),
            number: self.begun.add(1),
            overlapped: self.active.add(1) > 1,
        }
    }

    fn end(&self) {
        self.active.add(-1);
    }

    /// Checks a refusal of `n` nodes. A call that no other producer call overlapped sees every
    /// claim settled, so it may be refused only if the nodes inside, plus `n`, exceed the
    /// capacity; only the consumer ran meanwhile, and it can only have made `inside` smaller than
    /// it was when the call began. A claim that is never undone fails this at the next such call.
    fn refused(&self, offer: &Offer, n: usize, capacity: usize) {
        let alone = !offer.overlapped && self.begun.get() == offer.number;
        assert!(
            !alone || offer.inside + n as isize > capacity as isize,
            "{n} node(s) refused with at most {} inside a queue of capacity {capacity}, and no \
             other producer enqueueing: a claim was left over",
            offer.inside
        );
    }
}

/// The bounded waiting queue at its bound: capacity 3, three producers of 40 nodes each (two
/// enqueue single nodes, one batches of two), a consumer sleeping in `dequeue_blocking` and, every
/// other node, in `dequeue_async`. Producers keep offering a refused node until it is accepted.
/// Checks: never more than the capacity inside; a refused node (or batch) is handed back, the
/// very same; a producer alone is refused only when the queue really is full (so every refused
/// claim was undone); every node arrives exactly once and in its producer's order; a batch
/// arrives whole; and at the end the drained queue takes `capacity` nodes again, and no more.
///
/// A lost wake-up here leaves the producers retrying against a full queue: shuttle fails the
/// execution at [`MAX_STEPS`].
#[test]
fn bounded_wait_queue_producers_race_at_the_bound() {
    const PRODUCERS: usize = 3;
    const PER_PRODUCER: usize = 40;
    const CAPACITY: usize = 3;
    const BATCH: usize = 2;
    // Refusals seen over all executions: the producers must really have raced at the bound.
    static REFUSED: Counter = Counter(std::sync::atomic::AtomicIsize::new(0));
    explore(|| {
        // One producer more, for the nodes that refill the drained queue at the end.
        let book = Book::new(PRODUCERS + 1, PER_PRODUCER);
        let queue = Arc::new(BoundedWaitQueue::<Msg>::with_capacity(CAPACITY));
        let offers = Arc::new(Offers::default());
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, book, offers) =
                    (Arc::clone(&queue), Arc::clone(&book), Arc::clone(&offers));
                thread::spawn(move || {
                    if p < 2 {
                        for seq in 0..PER_PRODUCER {
                            let mut msg = book.msg(p, seq, false);
                            let address = ptr::from_ref::<Msg>(&msg);
                            loop {
                                let offer = offers.begin(&book);
                                let result = queue.try_enqueue(msg);
                                offers.end();
                                match result {
                                    Ok(()) => break,
                                    Err(back) => {
                                        assert!(
                                            ptr::eq(address, &*back),
                                            "another node handed back"
                                        );
                                        offers.refused(&offer, 1, CAPACITY);
                                        REFUSED.add(1);
                                        msg = back;
                                        thread::yield_now();
                                    }
                                }
                            }
                        }
                    } else {
                        for first in (0..PER_PRODUCER).step_by(BATCH) {
                            let mut batch: Batch<Msg> = (first..first + BATCH)
                                .map(|seq| book.msg(p, seq, true))
                                .collect();
                            loop {
                                let offer = offers.begin(&book);
                                match queue.try_enqueue_batch(batch) {
                                    Ok(()) => {
                                        // Counted once accepted, before the call counts as
                                        // ended: late, so `inside` can only be lower than the
                                        // truth while the call runs, never a false alarm.
                                        book.entered(BATCH as isize);
                                        offers.end();
                                        break;
                                    }
                                    Err(back) => {
                                        offers.end();
                                        assert_eq!(back.len(), BATCH, "a batch is refused whole");
                                        offers.refused(&offer, BATCH, CAPACITY);
                                        REFUSED.add(1);
                                        batch = back;
                                        thread::yield_now();
                                    }
                                }
                            }
                        }
                    }
                })
            })
            .collect();

        let mut consumer = queue.consumer().unwrap();
        let mut order = Order::new(PRODUCERS);
        let mut contiguous = Contiguous::default();
        for i in 0..PRODUCERS * PER_PRODUCER {
            let msg = if i % 2 == 0 {
                consumer.dequeue_blocking()
            } else {
                shuttle::future::block_on(consumer.dequeue_async())
            };
            order.check(&msg);
            contiguous.check(&msg, BATCH);
            assert!(
                book.max_inside.get() <= CAPACITY as isize,
                "{} nodes inside a queue of capacity {CAPACITY}",
                book.max_inside.get()
            );
        }
        for producer in producers {
            producer.join().unwrap();
        }
        assert!(consumer.is_empty());
        assert_eq!(queue.len(), 0);
        // Every refused claim was undone: the empty queue takes `capacity` nodes, and no more.
        for seq in 0..CAPACITY {
            assert!(
                queue.try_enqueue(book.msg(PRODUCERS, seq, false)).is_ok(),
                "the drained queue refused node {seq} of {CAPACITY}: a claim was never undone"
            );
        }
        assert!(queue
            .try_enqueue(book.msg(PRODUCERS, CAPACITY, false))
            .is_err());
        assert_eq!(queue.len(), CAPACITY);
        assert!(book.max_inside.get() <= CAPACITY as isize);
        for seq in 0..CAPACITY {
            assert_eq!(consumer.try_dequeue().ok().map(|msg| msg.seq), Some(seq));
        }
        drop(consumer);
        drop(queue);
        // The last producer's nodes past the refill were never made.
        for seq in CAPACITY + 1..PER_PRODUCER {
            drop(book.msg(PRODUCERS, seq, false));
        }
        book.assert_all_dropped_once();
    });
    assert!(REFUSED.get() > 0, "no producer was ever refused");
}

/// The channel, with three senders of 40 nodes each and the receiver dropped mid-stream. The
/// senders send 15 nodes each, which the receiver takes through the sleeping `recv_blocking`, and
/// meet it at a barrier (so the receiver's last wake-ups come while nobody else can run: a lost
/// one is a deadlock); then the receiver is dropped while they send the rest. A send after the
/// drop hands its node back (the very same); a send that races with the drop may be accepted, and
/// its node is then dropped with the channel. Checks: the nodes received are each sender's first
/// 15, in order, and every node is dropped exactly once, whichever way it went.
#[test]
fn channel_receiver_dropped_mid_stream() {
    const SENDERS: usize = 3;
    const PER_SENDER: usize = 40;
    const BEFORE_DROP: usize = 15;
    explore(|| {
        let book = Book::new(SENDERS, PER_SENDER);
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let handed_back = Arc::new(Counter::default());
        let barrier = Arc::new(Barrier::new(SENDERS + 1));
        let senders: Vec<_> = (0..SENDERS)
            .map(|p| {
                let (tx, book, handed_back, barrier) = (
                    tx.clone(),
                    Arc::clone(&book),
                    Arc::clone(&handed_back),
                    Arc::clone(&barrier),
                );
                thread::spawn(move || {
                    let mut refused = false;
                    for seq in 0..PER_SENDER {
                        if seq == BEFORE_DROP {
                            barrier.wait();
                        }
                        let msg = book.msg(p, seq, false);
                        let address = ptr::from_ref::<Msg>(&msg);
                        match tx.send(msg) {
                            Ok(()) => assert!(!refused, "accepted after a refusal"),
                            Err(SendError(back)) => {
                                assert!(ptr::eq(address, &*back), "another node handed back");
                                refused = true;
                                handed_back.add(1);
                            }
                        }
                    }
                })
            })
            .collect();
        drop(tx);

        let mut order = Order::new(SENDERS);
        for _ in 0..SENDERS * BEFORE_DROP {
            let msg = rx.recv_blocking().expect("senders are still sending");
            order.check(&msg);
        }
        assert_eq!(order.next, [BEFORE_DROP; SENDERS]);
        barrier.wait();
        drop(rx);
        for sender in senders {
            sender.join().unwrap();
        }
        assert!(handed_back.get() <= (SENDERS * (PER_SENDER - BEFORE_DROP)) as isize);
        // The last sender's drop dropped the channel, and with it any node sent past the
        // receiver's drop.
        book.assert_all_dropped_once();
    });
}

/// The channel's end of stream: three senders of 30 nodes each, and a receiver sleeping in
/// `recv_blocking`. The senders send 20 nodes each and meet the receiver at a barrier once it has
/// them (its last wake-ups come while nobody else can run: a lost one is a deadlock); then they
/// send the rest and leave, while the receiver iterates (`iter_blocking`) until every sender is
/// gone. The last sender's drop must wake it, and it must have every node by then.
#[test]
fn channel_receiver_sleeps_until_the_last_sender_leaves() {
    const SENDERS: usize = 3;
    const PER_SENDER: usize = 30;
    const BEFORE_BARRIER: usize = 20;
    explore(|| {
        let book = Book::new(SENDERS, PER_SENDER);
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let barrier = Arc::new(Barrier::new(SENDERS + 1));
        let senders: Vec<_> = (0..SENDERS)
            .map(|p| {
                let (tx, book, barrier) = (tx.clone(), Arc::clone(&book), Arc::clone(&barrier));
                thread::spawn(move || {
                    for seq in 0..PER_SENDER {
                        if seq == BEFORE_BARRIER {
                            barrier.wait();
                        }
                        assert!(tx.send(book.msg(p, seq, false)).is_ok());
                    }
                })
            })
            .collect();
        drop(tx);
        let mut order = Order::new(SENDERS);
        for _ in 0..SENDERS * BEFORE_BARRIER {
            let msg = rx.recv_blocking().expect("senders are still sending");
            order.check(&msg);
        }
        barrier.wait();
        for msg in rx.iter_blocking() {
            order.check(&msg);
        }
        assert_eq!(order.total(), SENDERS * PER_SENDER);
        assert!(
            rx.recv_blocking().is_none(),
            "disconnected stays disconnected"
        );
        drop(rx);
        for sender in senders {
            sender.join().unwrap();
        }
        book.assert_all_dropped_once();
    });
}

/// WireGuard's pattern at size: two producers enqueue 20 nodes each; three notifiers each make a
/// third of them ready (their own order: descending ids) and call `notify` after each. The
/// consumer peeks at the oldest node and, until it is ready, sleeps in `wait_blocking` (which, with no node
/// peeked, also ends on an enqueue). Checks: a node is only taken once ready, every node in its
/// producer's order, and no notify is lost (else the consumer sleeps for good: a deadlock).
#[test]
fn peek_and_wait_with_several_notifiers() {
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 20;
    const NOTIFIERS: usize = 3;
    explore(|| {
        let book = Book::new(PRODUCERS, PER_PRODUCER);
        let queue = Arc::new(WaitQueue::<Msg>::new());
        let ready: Arc<Vec<AtomicBool>> = Arc::new(
            (0..PRODUCERS * PER_PRODUCER)
                .map(|_| AtomicBool::new(false))
                .collect(),
        );
        let mut threads = Vec::new();
        for p in 0..PRODUCERS {
            let (queue, book) = (Arc::clone(&queue), Arc::clone(&book));
            threads.push(thread::spawn(move || {
                for seq in 0..PER_PRODUCER {
                    queue.enqueue(book.msg(p, seq, false));
                }
            }));
        }
        for n in 0..NOTIFIERS {
            let (queue, ready) = (Arc::clone(&queue), Arc::clone(&ready));
            threads.push(thread::spawn(move || {
                for id in (0..PRODUCERS * PER_PRODUCER)
                    .rev()
                    .filter(|id| id % NOTIFIERS == n)
                {
                    // Release: pairs with the consumer's Acquire load; `notify` publishes it
                    // too.
                    ready[id].store(true, Release);
                    queue.notify();
                }
            }));
        }

        let mut consumer = queue.consumer().unwrap();
        let mut order = Order::new(PRODUCERS);
        while order.total() < PRODUCERS * PER_PRODUCER {
            // Acquire: pairs with the notifier's Release store.
            let oldest_ready = consumer
                .peek()
                .map(|msg| ready[msg.producer * PER_PRODUCER + msg.seq].load(Acquire));
            match oldest_ready {
                Some(true) => {
                    let msg = consumer.take_peeked().expect("a node is peeked");
                    order.check(&msg);
                }
                // Not ready: only a notify ends this wait. Empty: an enqueue or a notify does.
                Some(false) | None => consumer.wait_blocking(),
            }
        }
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(consumer.is_empty());
        drop(consumer);
        drop(queue);
        book.assert_all_dropped_once();
    });
}

/// An owned consumer handed from thread to thread while three producers enqueue 30 nodes each:
/// three consumer threads take 30 nodes each, the first and last sleeping in `dequeue_blocking`,
/// the middle one in `dequeue_async`, and each hands the consumer to the next over a channel.
/// The sleeping consumer's waker must follow it to each new thread (a producer waking the
/// previous thread would leave the new one asleep for good). Checks: exactly once and per-producer
/// order across the hand-overs, one consumer at a time, and the slot freed when the last goes.
#[test]
fn owned_consumer_handed_over_between_threads() {
    const PRODUCERS: usize = 3;
    const PER_PRODUCER: usize = 30;
    const STAGES: usize = 3;
    const PER_STAGE: usize = PRODUCERS * PER_PRODUCER / STAGES;
    explore(|| {
        let book = Book::new(PRODUCERS, PER_PRODUCER);
        // `consumer_owned` takes std's `Arc`.
        let queue = Arc::new(WaitQueue::<Msg>::new());
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, book) = (Arc::clone(&queue), Arc::clone(&book));
                thread::spawn(move || {
                    for seq in 0..PER_PRODUCER {
                        queue.enqueue(book.msg(p, seq, false));
                    }
                })
            })
            .collect();

        let consumer = Arc::clone(&queue)
            .consumer_owned()
            .expect("no other consumer");
        assert!(
            Arc::clone(&queue).consumer_owned().is_err(),
            "one consumer at a time"
        );
        // Stage `s` receives the consumer and the order checker from channel `s`, and passes
        // them on through channel `s + 1`; the last one hands the checker back alone.
        let (first_tx, mut rx) = shuttle::sync::mpsc::channel();
        first_tx
            .send((Some(consumer), Order::new(PRODUCERS)))
            .unwrap();
        let mut stages = Vec::new();
        for stage in 0..STAGES {
            let (tx, next_rx) = shuttle::sync::mpsc::channel();
            let this_rx = std::mem::replace(&mut rx, next_rx);
            stages.push(thread::spawn(move || {
                let (consumer, mut order) = this_rx.recv().unwrap();
                let mut consumer: OwnedConsumer<Msg, Unbounded, Wait> =
                    consumer.expect("handed over by the previous stage");
                assert!(
                    consumer.queue().consumer().is_none(),
                    "one consumer at a time"
                );
                for _ in 0..PER_STAGE {
                    let msg = if stage == 1 {
                        shuttle::future::block_on(consumer.dequeue_async())
                    } else {
                        consumer.dequeue_blocking()
                    };
                    order.check(&msg);
                }
                if stage + 1 == STAGES {
                    drop(consumer);
                    tx.send((None, order)).unwrap();
                } else {
                    tx.send((Some(consumer), order)).unwrap();
                }
            }));
        }
        let (last, order) = rx.recv().unwrap();
        assert!(last.is_none());
        assert_eq!(order.total(), PRODUCERS * PER_PRODUCER);
        for thread in stages.into_iter().chain(producers) {
            thread.join().unwrap();
        }
        let mut consumer = Arc::clone(&queue)
            .consumer_owned()
            .expect("the last consumer freed the slot");
        assert!(
            consumer.try_dequeue().is_err(),
            "more nodes than were enqueued"
        );
        drop(consumer);
        assert_eq!(Arc::strong_count(&queue), 1);
        drop(queue);
        book.assert_all_dropped_once();
    });
}
