//! `ReadySet` over `'static` members, the set-up of a target without an allocator: CI runs this
//! file with `--no-default-features` too, so the crate is built without `std` and `alloc` (the
//! test harness still uses `std`, for threads). Behaviour: members declared in `static` arrays
//! with the `const` constructors, a queue scheduled once per idle period, the budget's re-queue
//! to the back, bounded members refusing nodes, the worker's non-blocking paths (`try_next`,
//! `poll_next`), every node delivered once and in order, the guard that keeps two sets from
//! holding one member, members given back (nodes and all) when a set drops, and producers on
//! several threads.
//!
//! The `const` set (`StaticReadySet`, a `static` with its members inside) has tests of its own at
//! the end: the first enqueue into each member schedules it, the worker is claimed once and
//! again after it is dropped (finding what was scheduled meanwhile), its members cannot be taken
//! by a `ReadySet`, bounded members refuse, deferral and `notify`, `wake` and `close` from
//! other threads reaching a waiting worker (`Woken` once per wake; what was scheduled, then
//! `Closed`; `try_enqueue` refused after the close), and producers on threads (standing in for
//! interrupt handlers) whose every node arrives once and in order per member.
//!
//! Neither members nor nodes are allocated: the members are `static` arrays (one per test and
//! kind), and the nodes come from a `static` pool as `&'static mut Frame` handles, which each test
//! gives back.
#![cfg(not(loom))]

// Only the helpers that need nothing of the crate: the rest of `support` uses `Box` handles and
// timed waits, which this build (without `std` and `alloc`) does not have.
#[path = "support/next.rs"]
mod next;
#[path = "support/harness.rs"]
mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::task::{Context, Poll};
use std::thread;
use std::time::Instant;

use intrusive_mpsc::{
    node, Bounded, Capacity, Compact, FixedSet, Layout, Link, Member, Next, Padded, Queue,
    ReadySet, StaticReadySet, Unbounded,
};
use next::{held, held_now};
use support::{scaled, CountingWaker, STALL};

/// Not the shared `support::Msg`: that one is a `Box` handle, and this file runs without the
/// crate's `alloc` feature, so its nodes are `&'static mut` frames from a static pool.
struct Frame {
    link: Link,
    producer: usize,
    seq: usize,
}
node!(Frame, link, &'static mut Frame);

/// The frames of the static pool that no test holds, shared by all the tests running at once.
static FREE: Queue<Frame> = Queue::new();

/// Takes a frame from the static pool, as firmware would, and labels it. `FREE`'s consumer is a
/// try-lock that the tests' threads take in turn.
fn frame(producer: usize, seq: usize) -> &'static mut Frame {
    static FILLED: Once = Once::new();
    FILLED.call_once(|| {
        static mut SLOTS: [Frame; 4096] = [const {
            Frame {
                link: Link::new(),
                producer: 0,
                seq: 0,
            }
        }; 4096];
        let slots = core::ptr::addr_of_mut!(SLOTS);
        // SAFETY: `call_once` runs this once, so this is the only reference to `SLOTS` ever made.
        let slots = unsafe { &mut *slots };
        slots.iter_mut().for_each(|slot| FREE.enqueue(slot));
    });
    let start = Instant::now();
    loop {
        if let Some(frame) = FREE.consumer().and_then(|mut free| free.dequeue()) {
            frame.producer = producer;
            frame.seq = seq;
            return frame;
        }
        assert!(
            start.elapsed() < STALL,
            "the pool ran dry: frames not given back"
        );
        thread::yield_now();
    }
}

/// The members of each generic test: `static` arrays of 16, bounded ones holding 1024 nodes each.
const COUNT: usize = 16;
const CAPACITY: usize = 1024;

/// One `#[test]` per member kind for each generic `fn f(members: &'static [Member<Frame, B, L>])`,
/// `f::bounded_padded` and so on, each with a `static` array of its own built by the `const`
/// constructors.
macro_rules! for_each_member_kind {
    ($($f:ident),+ $(,)?) => {$(
        mod $f {
            use super::*;

            #[test]
            fn unbounded_compact() {
                static MEMBERS: [Member<Frame, Unbounded, Compact>; COUNT] =
                    [const { Member::new() }; COUNT];
                $f(&MEMBERS)
            }

            #[test]
            fn unbounded_padded() {
                static MEMBERS: [Member<Frame, Unbounded, Padded>; COUNT] =
                    [const { Member::new() }; COUNT];
                $f(&MEMBERS)
            }

            #[test]
            fn bounded_compact() {
                static MEMBERS: [Member<Frame, Bounded, Compact>; COUNT] =
                    [const { Member::with_capacity(CAPACITY) }; COUNT];
                $f(&MEMBERS)
            }

            #[test]
            fn bounded_padded() {
                static MEMBERS: [Member<Frame, Bounded, Padded>; COUNT] =
                    [const { Member::with_capacity(CAPACITY) }; COUNT];
                $f(&MEMBERS)
            }
        }
    )+};
}

for_each_member_kind!(
    scheduled_once_per_idle_period,
    budget_sends_a_flooded_queue_to_the_back,
    every_node_once_and_in_order,
    a_dropped_set_gives_its_members_back_nodes_and_all,
    poll_next_registers_and_is_woken,
);

/// Enqueues `frame` into member `index`, which has room.
fn send<B: Capacity, L: Layout>(
    set: &ReadySet<Frame, B, L>,
    index: usize,
    frame: &'static mut Frame,
) {
    if set.try_enqueue(index, frame).is_err() {
        panic!("member {index} is full");
    }
}

/// The next ready member's index and the `seq`s of at most `budget` of its nodes.
fn serve<B: Capacity, L: Layout, S: FixedSet<Frame, B, L>>(
    worker: &mut intrusive_mpsc::Worker<'_, Frame, B, L, S>,
    budget: usize,
) -> Option<(usize, Vec<usize>)> {
    let mut ready = worker.try_next().map(held)?;
    let seqs = ready
        .drain()
        .take(budget)
        .map(|frame| {
            let seq = frame.seq;
            FREE.enqueue(frame);
            seq
        })
        .collect();
    Some((ready.index(), seqs))
}

/// A polling stress worker's check of the frames it takes from `PRODUCERS` producers over
/// `MEMBERS` members: each producer's frames arrive once and in order per member, and something
/// is scheduled at least once per [`STALL`] until every frame has arrived.
struct InOrder<const MEMBERS: usize, const PRODUCERS: usize> {
    /// Per producer and member, the `seq` of the next frame.
    next: [[usize; MEMBERS]; PRODUCERS],
    delivered: usize,
    total: usize,
    /// When the worker last found something scheduled.
    progress: Instant,
    /// What was lost if nothing is scheduled for `STALL`, for the failure message.
    lost: &'static str,
}

impl<const MEMBERS: usize, const PRODUCERS: usize> InOrder<MEMBERS, PRODUCERS> {
    /// Nothing received yet of `per_producer` frames from each producer.
    fn new(per_producer: usize, lost: &'static str) -> Self {
        Self {
            next: [[0; MEMBERS]; PRODUCERS],
            delivered: 0,
            total: PRODUCERS * per_producer,
            progress: Instant::now(),
            lost,
        }
    }

    /// Checks `frames`, taken from member `index`: each the next of its producer in that member.
    /// Hands each to `give_back`.
    fn take(
        &mut self,
        index: usize,
        frames: impl Iterator<Item = &'static mut Frame>,
        mut give_back: impl FnMut(&'static mut Frame),
    ) {
        for frame in frames {
            let expected = &mut self.next[frame.producer][index];
            assert_eq!(frame.seq, *expected, "member {index}: once, in order");
            *expected += 1;
            self.delivered += 1;
            give_back(frame);
        }
        self.progress = Instant::now();
    }

    /// The worker found nothing scheduled: fails if nothing has been for `STALL`, else yields.
    fn idle(&self) {
        assert!(
            self.progress.elapsed() < STALL,
            "nothing scheduled for {STALL:?} with {} nodes missing: {} was lost",
            self.total - self.delivered,
            self.lost
        );
        thread::yield_now();
    }
}

fn scheduled_once_per_idle_period<B: Capacity, L: Layout>(members: &'static [Member<Frame, B, L>]) {
    let set = ReadySet::from_static(members).unwrap();
    let mut worker = set.worker().unwrap();
    assert!(worker.try_next().is_none());

    // Three enqueues into one idle member schedule it once, then another member once.
    for seq in 0..3 {
        send(&set, 5, frame(0, seq));
    }
    send(&set, 2, frame(0, 0));
    assert_eq!(serve(&mut worker, 16), Some((5, vec![0, 1, 2])));
    assert_eq!(serve(&mut worker, 16), Some((2, vec![0])));
    assert!(worker.try_next().is_none(), "each once");

    // Emptied and re-armed: the next enqueue schedules it again, once.
    send(&set, 5, frame(0, 3));
    send(&set, 5, frame(0, 4));
    assert_eq!(serve(&mut worker, 16), Some((5, vec![3, 4])));
    assert!(worker.try_next().is_none());
}

fn budget_sends_a_flooded_queue_to_the_back<B: Capacity, L: Layout>(
    members: &'static [Member<Frame, B, L>],
) {
    let set = ReadySet::from_static(members).unwrap();
    let mut worker = set.worker().unwrap();
    for seq in 0..5 {
        send(&set, 0, frame(0, seq));
    }
    send(&set, 3, frame(0, 0));
    // A budget of 2: the flooded member goes behind the other one each time it has nodes left.
    assert_eq!(serve(&mut worker, 2), Some((0, vec![0, 1])));
    assert_eq!(serve(&mut worker, 2), Some((3, vec![0])));
    send(&set, 3, frame(0, 1));
    assert_eq!(serve(&mut worker, 2), Some((0, vec![2, 3])));
    assert_eq!(serve(&mut worker, 2), Some((3, vec![1])));
    assert_eq!(serve(&mut worker, 2), Some((0, vec![4])));
    assert!(worker.try_next().is_none());
}

fn every_node_once_and_in_order<B: Capacity, L: Layout>(members: &'static [Member<Frame, B, L>]) {
    let total = scaled(20_000);
    let set = ReadySet::from_static(members).unwrap();
    let mut worker = set.worker().unwrap();
    let mut sent = [0; COUNT];
    let mut next = [0; COUNT];
    let mut state = 0x2545_f491_u32;
    let mut delivered = 0;
    while delivered < total {
        // Two nodes into pseudo-random members, then one member served with a budget of 3 (so
        // that the nodes in flight, and the frames they take from the pool, stay few).
        for _ in 0..2 {
            if sent.iter().sum::<usize>() < total {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let index = state as usize % COUNT;
                send(&set, index, frame(index, sent[index]));
                sent[index] += 1;
            }
        }
        match serve(&mut worker, 3) {
            Some((index, seqs)) => {
                for seq in seqs {
                    assert_eq!(seq, next[index], "member {index}: each node once, in order");
                    next[index] += 1;
                    delivered += 1;
                }
            }
            // One thread: no enqueue is ever in progress here, so nothing scheduled means no
            // member has nodes, unless one was lost.
            None => assert!(
                sent.iter().sum::<usize>() < total,
                "{} nodes in members that are not scheduled",
                total - delivered
            ),
        }
    }
    assert_eq!(next, sent);
    assert!(worker.try_next().is_none(), "nothing left scheduled");
}

fn a_dropped_set_gives_its_members_back_nodes_and_all<B: Capacity, L: Layout>(
    members: &'static [Member<Frame, B, L>],
) {
    let set = ReadySet::from_static(members).unwrap();
    for seq in 0..4 {
        send(&set, 1, frame(0, seq));
    }
    send(&set, 4, frame(0, 0));
    send(&set, 2, frame(0, 0));
    let mut worker = set.worker().unwrap();
    assert_eq!(serve(&mut worker, 1), Some((1, vec![0])));
    // Member 4: its node peeked and deferred until a notify that never comes.
    let mut ready = held_now(worker.try_next());
    assert_eq!(ready.index(), 4);
    assert!(ready.peek().is_some());
    ready.defer_until_notified();
    drop(worker);
    drop(set);

    // The next set over the same members schedules the ones with nodes at once (member 4's
    // deferral is forgotten), in member order; the others are idle.
    let set = ReadySet::from_static(members).unwrap();
    let mut worker = set.worker().unwrap();
    assert_eq!(serve(&mut worker, 16), Some((1, vec![1, 2, 3])));
    assert_eq!(serve(&mut worker, 16), Some((2, vec![0])));
    assert_eq!(serve(&mut worker, 16), Some((4, vec![0])));
    assert!(worker.try_next().is_none());
    send(&set, 0, frame(0, 0));
    assert_eq!(
        serve(&mut worker, 16),
        Some((0, vec![0])),
        "idle members schedule"
    );
}

fn poll_next_registers_and_is_woken<B: Capacity, L: Layout>(
    members: &'static [Member<Frame, B, L>],
) {
    let set = ReadySet::from_static(members).unwrap();
    let mut worker = set.worker().unwrap();
    let (wakes, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    assert!(worker.poll_next(&mut cx).is_pending());
    assert_eq!(wakes.wakes(), 0);

    // The enqueue that schedules a member wakes the worker; later ones into it do not.
    send(&set, 2, frame(0, 0));
    send(&set, 2, frame(0, 1));
    assert_eq!(wakes.wakes(), 1);
    let Poll::Ready(Next::Ready(mut ready)) = worker.poll_next(&mut cx) else {
        panic!("a member was scheduled");
    };
    assert_eq!(ready.index(), 2);
    assert_eq!(ready.drain().count(), 2);
    drop(ready);
    assert!(worker.poll_next(&mut cx).is_pending());
}

/// Members in real `static`s, built by the `const` constructors.
static PEERS: [Member<Frame>; 8] = [const { Member::new() }; 8];
static BOUNDED_PEERS: [Member<Frame, Bounded, Padded>; 4] = [const { Member::with_capacity(2) }; 4];

#[test]
fn static_members_one_set_at_a_time() {
    let first = ReadySet::from_static(&PEERS[2..4]).expect("unclaimed");
    assert!(
        ReadySet::from_static(&PEERS).is_none(),
        "overlaps the first"
    );
    assert!(
        ReadySet::from_static(&PEERS[3..6]).is_none(),
        "overlaps the first"
    );
    // The refused claim of 0..8 took 0 and 1 before it met 2, and gave them back.
    let second = ReadySet::from_static(&PEERS[..2]).expect("given back by the refused claims");
    let third = ReadySet::from_static(&PEERS[4..]).expect("disjoint from the others");
    assert_eq!((first.len(), second.len(), third.len()), (2, 2, 4));

    // Each set indexes its own part, and schedules only into its own ready list.
    second.enqueue(1, frame(0, 0));
    third.enqueue(1, frame(0, 1));
    let (mut w2, mut w3) = (second.worker().unwrap(), third.worker().unwrap());
    assert!(first.worker().unwrap().try_next().is_none());
    assert_eq!(serve(&mut w2, 8), Some((1, vec![0])));
    assert_eq!(serve(&mut w3, 8), Some((1, vec![1])));
    drop((w2, w3));

    drop(first);
    assert!(
        ReadySet::from_static(&PEERS).is_none(),
        "still held by the others"
    );
    drop((second, third));
    let all = ReadySet::from_static(&PEERS).expect("every set is gone");
    assert_eq!(all.len(), 8);
}

#[test]
fn static_bounded_members_refuse_when_full() {
    let set = ReadySet::from_static(&BOUNDED_PEERS).unwrap();
    assert_eq!(set.member(3).map(Member::capacity), Some(2));
    assert!(set.try_enqueue(3, frame(0, 0)).is_ok());
    assert!(set.try_enqueue(3, frame(0, 1)).is_ok());
    let refused = set.try_enqueue(3, frame(0, 2)).unwrap_err();
    assert_eq!(refused.seq, 2, "the very node comes back");
    assert_eq!(set.member(3).map(Member::len), Some(2));

    let mut worker = set.worker().unwrap();
    let mut ready = held_now(worker.try_next());
    assert_eq!(ready.try_dequeue().map(|f| f.seq), Ok(0));
    // Each node handed over frees room, while the member is held too.
    assert!(set.try_enqueue(3, refused).is_ok());
    drop(ready);
    assert_eq!(serve(&mut worker, 8), Some((3, vec![1, 2])));
}

/// Several producers on their own threads (interrupt handlers, on a target) send to random
/// members of a `static` array while one worker serves them with a budget, polling: every node
/// arrives once and in each producer's order per member. A member left with a node and never
/// scheduled again would stall the worker, which fails after a long time without progress.
#[test]
fn producers_on_threads_and_a_polling_worker() {
    const MEMBERS: usize = 64;
    const PRODUCERS: usize = 3;
    static MANY: [Member<Frame>; MEMBERS] = [const { Member::new() }; MEMBERS];
    /// Each producer's frames, taken from the pool once: the worker gives each frame back to
    /// its producer.
    static OWN: [Queue<Frame>; PRODUCERS] = [const { Queue::new() }; PRODUCERS];
    const IN_FLIGHT: usize = 256;
    let per_producer = scaled(if cfg!(debug_assertions) {
        50_000
    } else {
        400_000
    });

    /// Set when the worker stops, even by failing: producers waiting for frames stop too, so
    /// that the scope can end and report the failure.
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    let set = ReadySet::from_static(&MANY).unwrap();
    let mut worker = set.worker().unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for (producer, free) in OWN.iter().enumerate() {
            let (set, stop) = (&set, &stop);
            s.spawn(move || {
                for _ in 0..IN_FLIGHT {
                    free.enqueue(frame(producer, 0));
                }
                let mut free = free.consumer().unwrap();
                let mut next = [0; MEMBERS];
                let mut state = 0x9e37_79b9_u32 + producer as u32;
                for _ in 0..per_producer {
                    let frame = loop {
                        match free.dequeue() {
                            Some(frame) => break frame,
                            None if stop.load(Ordering::Relaxed) => return,
                            None => thread::yield_now(),
                        }
                    };
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    let index = state as usize % MEMBERS;
                    frame.seq = next[index];
                    next[index] += 1;
                    set.enqueue(index, frame);
                }
            });
        }

        let _stop = StopOnDrop(&stop);
        let mut order = InOrder::<MEMBERS, PRODUCERS>::new(per_producer, "a queue");
        while order.delivered < order.total {
            match worker.try_next() {
                Some(Next::Ready(mut ready)) => {
                    let index = ready.index();
                    order.take(index, ready.drain().take(8), |frame| {
                        OWN[frame.producer].enqueue(frame);
                    });
                }
                Some(next) => panic!("nobody wakes or closes this set: {next:?}"),
                None => order.idle(),
            }
        }
    });
    assert!(worker.try_next().is_none(), "nothing left scheduled");
    for own in &OWN {
        own.consumer()
            .unwrap()
            .drain()
            .for_each(|frame| FREE.enqueue(frame));
    }
}

/// The `const` set's tests: each has a `static` set of its own (a worker is one per set).
mod const_set {
    use super::*;

    /// The `seq`s of every node the worker can take now, member by member in the order the
    /// members were scheduled, with a budget of `budget` per turn.
    fn drain_all<B: Capacity, L: Layout, S: FixedSet<Frame, B, L>>(
        worker: &mut intrusive_mpsc::Worker<'_, Frame, B, L, S>,
        budget: usize,
    ) -> Vec<(usize, Vec<usize>)> {
        core::iter::from_fn(|| serve(worker, budget)).collect()
    }

    #[test]
    fn the_first_enqueue_schedules_each_member_once() {
        static SET: StaticReadySet<Frame, COUNT> = StaticReadySet::new();
        assert_eq!((SET.len(), SET.is_empty()), (COUNT, false));
        let mut worker = SET.worker().expect("the first claim");
        assert!(worker.try_next().is_none());

        // Idle from the start: the first enqueue into member 9 schedules it, later ones do not.
        SET.enqueue(9, frame(0, 0));
        SET.enqueue(9, frame(0, 1));
        SET.enqueue(3, frame(0, 0));
        SET.enqueue(9, frame(0, 2));
        assert_eq!(
            drain_all(&mut worker, 2),
            [(9, vec![0, 1]), (3, vec![0]), (9, vec![2])],
            "member 9 once on the list, then to the back after its budget"
        );
        // Idle again: scheduled again by the next enqueue.
        SET.enqueue(9, frame(0, 3));
        assert_eq!(drain_all(&mut worker, 8), [(9, vec![3])]);
    }

    #[test]
    fn the_worker_is_claimed_once_and_again_after_its_drop() {
        static SET: StaticReadySet<Frame, 4, Unbounded, Padded> = StaticReadySet::new();
        let worker = SET.worker().unwrap();
        assert!(SET.worker().is_none(), "one worker at a time");
        assert!(std::ptr::eq(worker.set(), &SET));

        // Scheduled while the worker is away, and a member left with nodes by a guard.
        SET.enqueue(1, frame(0, 0));
        SET.enqueue(1, frame(0, 1));
        let mut worker = worker;
        let mut ready = held_now(worker.try_next());
        assert_eq!(
            (ready.index(), ready.dequeue().map(|f| f.seq)),
            (1, Some(0))
        );
        FREE.enqueue(ready.dequeue().unwrap());
        SET.enqueue(1, frame(0, 2));
        drop(ready); // a node left: back on the list
        drop(worker);
        SET.enqueue(2, frame(0, 0));

        let mut again = SET.worker().expect("given back by the drop");
        assert_eq!(drain_all(&mut again, 8), [(1, vec![2]), (2, vec![0])]);
        drop(again);
        assert_eq!(SET.worker().map(|mut w| w.try_next().is_none()), Some(true));
    }

    #[test]
    fn its_members_are_its_alone() {
        static SET: StaticReadySet<Frame, 2> = StaticReadySet::new();
        let member: &'static Member<Frame> = SET.member(1).unwrap();
        assert!(
            ReadySet::from_static(core::slice::from_ref(member)).is_none(),
            "a const set's member is claimed from the start"
        );
        assert!(SET.member(2).is_none());
    }

    #[test]
    fn bounded_members_refuse_when_full() {
        static SET: StaticReadySet<Frame, 3, Bounded> = StaticReadySet::with_capacity(2);
        assert_eq!(SET.member(0).map(Member::capacity), Some(2));
        assert!(SET.try_enqueue(0, frame(0, 0)).is_ok());
        assert!(SET.try_enqueue(0, frame(0, 1)).is_ok());
        let refused = SET.try_enqueue(0, frame(0, 2)).unwrap_err();
        assert_eq!(refused.seq, 2, "the very node comes back");
        let mut worker = SET.worker().unwrap();
        let mut ready = held_now(worker.try_next());
        assert_eq!(ready.try_dequeue().map(|f| f.seq), Ok(0));
        assert!(SET.try_enqueue(0, refused).is_ok(), "room again");
        drop(ready);
        assert_eq!(drain_all(&mut worker, 8), [(0, vec![1, 2])]);
    }

    #[test]
    fn wake_and_close_from_another_thread_reach_the_waiting_worker() {
        static SET: StaticReadySet<Frame, 4> = StaticReadySet::new();
        let mut worker = SET.worker().unwrap();
        let (wakes, waker) = CountingWaker::new();
        let mut cx = Context::from_waker(&waker);
        assert!(worker.poll_next(&mut cx).is_pending());

        // A wake from another thread (an interrupt handler, on a target): one `Woken`.
        thread::spawn(|| SET.wake()).join().unwrap();
        assert_eq!(wakes.wakes(), 1, "the wake woke the waiting worker");
        assert!(matches!(
            worker.poll_next(&mut cx),
            Poll::Ready(Next::Woken)
        ));
        assert!(worker.try_next().is_none(), "one `Woken` per wake");

        // The close: what was scheduled first, then `Closed`; a later `try_enqueue` is refused.
        SET.enqueue(1, frame(0, 0));
        let mut ready = held_now(worker.try_next());
        assert_eq!(ready.try_peek().map(|f| f.seq), Ok(0));
        SET.enqueue(3, frame(0, 1));
        assert!(!SET.is_closed());
        thread::spawn(|| SET.close()).join().unwrap();
        assert!(SET.is_closed());
        let refused = SET.try_enqueue(2, frame(0, 2)).unwrap_err();
        assert_eq!(refused.seq, 2, "the very node comes back");
        FREE.enqueue(refused);
        drop(ready); // member 1 still has its node: back on the list, behind member 3
        assert_eq!(serve(&mut worker, 8), Some((3, vec![1])));
        assert_eq!(serve(&mut worker, 8), Some((1, vec![0])));
        assert!(matches!(worker.try_next(), Some(Next::Closed)));
        assert!(worker.next().is_none(), "the iterator ends at the close");
        assert!(matches!(
            worker.poll_next(&mut cx),
            Poll::Ready(Next::Closed)
        ));
    }

    #[test]
    fn close_from_another_thread_wakes_the_waiting_worker() {
        static SET: StaticReadySet<Frame, 2, Bounded> = StaticReadySet::with_capacity(4);
        let mut worker = SET.worker().unwrap();
        let (wakes, waker) = CountingWaker::new();
        let mut cx = Context::from_waker(&waker);
        assert!(worker.poll_next(&mut cx).is_pending());
        let closer = thread::spawn(|| SET.close());
        let deadline = Instant::now() + STALL;
        while wakes.wakes() == 0 {
            assert!(Instant::now() < deadline, "the close never woke the worker");
            thread::park_timeout(deadline - Instant::now());
        }
        closer.join().unwrap();
        assert!(matches!(
            worker.poll_next(&mut cx),
            Poll::Ready(Next::Closed)
        ));
    }

    #[test]
    fn a_deferred_member_waits_for_notify() {
        static SET: StaticReadySet<Frame, 4> = StaticReadySet::new();
        let mut worker = SET.worker().unwrap();
        SET.enqueue(2, frame(0, 0));
        let mut ready = held_now(worker.try_next());
        assert_eq!(ready.peek().map(|f| f.seq), Some(0));
        ready.defer_until_notified();
        SET.enqueue(2, frame(0, 1));
        assert!(
            worker.try_next().is_none(),
            "deferred: enqueues do not schedule it"
        );
        SET.notify(2);
        assert_eq!(drain_all(&mut worker, 8), [(2, vec![0, 1])]);
    }

    /// Producers on threads of their own, `'static` like interrupt handlers (no scope: they reach
    /// the `static` set directly), send to random members while the worker polls with a budget.
    /// Every node arrives once, in each producer's order per member; halfway, the worker is
    /// dropped and claimed again, and finds everything scheduled meanwhile.
    #[test]
    fn producers_on_threads_every_node_once_and_in_order() {
        const MEMBERS: usize = 32;
        const PRODUCERS: usize = 3;
        static SET: StaticReadySet<Frame, MEMBERS> = StaticReadySet::new();
        let per_producer = scaled(if cfg!(debug_assertions) {
            20_000
        } else {
            200_000
        });
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                thread::spawn(move || {
                    let mut next = [0; MEMBERS];
                    let mut state = 0x2545_f491_u32 + producer as u32;
                    for _ in 0..per_producer {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        let index = state as usize % MEMBERS;
                        SET.enqueue(index, frame(producer, next[index]));
                        next[index] += 1;
                    }
                })
            })
            .collect();

        let mut worker = Some(SET.worker().unwrap());
        let mut order = InOrder::<MEMBERS, PRODUCERS>::new(per_producer, "a member");
        let mut reclaimed = false;
        while order.delivered < order.total {
            if !reclaimed && order.delivered >= order.total / 2 {
                drop(worker.take());
                thread::yield_now();
                worker = Some(SET.worker().expect("given back by the drop"));
                reclaimed = true;
            }
            match worker.as_mut().unwrap().try_next() {
                Some(Next::Ready(mut ready)) => {
                    let index = ready.index();
                    order.take(index, ready.drain().take(8), |frame| FREE.enqueue(frame));
                }
                Some(next) => panic!("nobody wakes or closes this set: {next:?}"),
                None => order.idle(),
            }
        }
        producers.into_iter().for_each(|p| p.join().unwrap());
        assert!(
            worker.unwrap().try_next().is_none(),
            "nothing left scheduled"
        );
    }
}
