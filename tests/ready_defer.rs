//! `Ready::defer_until_notified` and `ReadySet::notify`: a worker that stops at an oldest node
//! which is not ready yet (WireGuard's transmit worker at a packet still being encrypted) leaves
//! its queue unscheduled until whoever makes the node ready notifies it.
//!
//! Behaviour, for every kind of member: a deferred queue is not handed out, not even after more
//! enqueues; a notify schedules it once, however many come; a notify while the queue is held makes
//! the deferral fail and reschedule at once; a notify on an idle, scheduled or held queue schedules
//! nothing (and is forgotten once the queue is held again); a deferral without a peeked node
//! re-arms the queue as dropping the guard does; a deferred queue's nodes are dropped with the
//! set; and a sleeping worker (timeout, waker) is woken by the notify. Then a stress test:
//! producers send packets to 256 members (bounded to 1024 packets, or unbounded), "encryption"
//! threads mark them ready out of order and notify, and one worker with a budget defers at every
//! packet that is not ready yet.
//!
//! Queues listed twice (a duplicated scheduling) are caught by holding every listed guard at once
//! and comparing their indices; a lost wake-up by the `promptly` and `from_worker` watchdogs,
//! which turn a wait that only a timeout ends into a failure instead of a hang.
#![cfg(not(loom))]

mod support;

use support::kinds::{every_capacity_and_layout, send_retrying, ROOMY};
use support::stress::StressWorker;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::{
    node, Bounded, Capacity, Layout, Link, Next, Node, Padded, Ready, ReadySet, Unbounded,
    WaitQueue, Worker,
};
use support::{
    counted, drop_counted, flag, held, is_ready, mark_ready, packet, per_producer, promptly,
    scaled, stress_producer, CountingWaker, MemberOrder, Msg, Packet, Rng, STALL,
};

/// A member kind the tests can build a set of.
trait Kind: Capacity + Sized {
    /// A set of `count` members, each holding at most `capacity` packets when bounded.
    fn set<L: Layout>(count: usize, capacity: usize) -> ReadySet<Packet, Self, L>;

    /// The number of packets in member `index`, if bounded members count them.
    fn len<L: Layout>(set: &ReadySet<Packet, Self, L>, index: usize) -> Option<usize>;
}

impl Kind for Unbounded {
    fn set<L: Layout>(count: usize, _: usize) -> ReadySet<Packet, Self, L> {
        ReadySet::new(count)
    }

    fn len<L: Layout>(_: &ReadySet<Packet, Self, L>, _: usize) -> Option<usize> {
        None
    }
}

impl Kind for Bounded {
    fn set<L: Layout>(count: usize, capacity: usize) -> ReadySet<Packet, Self, L> {
        ReadySet::with_capacity(count, capacity)
    }

    fn len<L: Layout>(set: &ReadySet<Packet, Self, L>, index: usize) -> Option<usize> {
        Some(set.member(index).unwrap().len())
    }
}

/// Enqueues packet `seq` of `producer` into member `index` (it must be accepted), ready or not,
/// and returns its ready flag.
fn put<B: Capacity, L: Layout>(
    set: &ReadySet<Packet, B, L>,
    index: usize,
    producer: usize,
    seq: usize,
    ready: bool,
) -> Arc<AtomicBool> {
    let flag = flag(ready);
    assert!(set.try_enqueue(index, packet(producer, seq, &flag)).is_ok());
    flag
}

/// Owns a set and drops it at the end of a test, but leaks it when the test is failing: under a
/// broken scheduling (an entry linked twice, a cycle in the ready list) the set's drop, which walks
/// the ready list, would never return, and the failure would become a hang.
struct LeakOnPanic<T>(Option<T>);

impl<T> LeakOnPanic<T> {
    fn new(value: T) -> Self {
        Self(Some(value))
    }
}

impl<T> std::ops::Deref for LeakOnPanic<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("taken only by the drop")
    }
}

impl<T> Drop for LeakOnPanic<T> {
    fn drop(&mut self) {
        if thread::panicking() {
            std::mem::forget(self.0.take());
        }
    }
}

/// The next listed queue, without waiting (`None` when nothing is listed). In these tests nobody
/// is enqueueing while the worker looks, so `try_next` never meets a producer mid-scheduling:
/// its `None` means an empty list (an entry linked twice, which leaves the list inconsistent,
/// also answers `None`, and then fails the test's next expected guard). Nobody wakes or closes
/// these sets: `Woken` or `Closed` fails.
fn next_listed<'s, N: Node, B: Capacity, L: Layout>(
    worker: &mut Worker<'s, N, B, L>,
) -> Option<Ready<'s, N, B, L>> {
    worker.try_next().map(held)
}

/// Notifies queue `index`, which must not be listed for it (`why`: what keeps it off the list).
fn notify_lists_nothing<B: Capacity, L: Layout>(
    worker: &mut Worker<'_, Packet, B, L>,
    index: usize,
    why: &str,
) {
    worker.set().notify(index);
    assert!(next_listed(worker).is_none(), "{why}");
}

/// Everything listed now, each queue drained: `(index, sequence numbers)` in the order the
/// queues were handed out. Every guard is held until all are taken, so a queue listed twice shows
/// up as a second guard for a queue already held (forgotten, not dropped, so that the broken
/// state goes no further), and the count is capped, so a cycle in the list fails instead of
/// looping.
fn listed<B: Capacity, L: Layout>(
    worker: &mut Worker<'_, Packet, B, L>,
) -> Vec<(usize, Vec<usize>)> {
    let limit = worker.set().len() + 1;
    let mut held: Vec<Ready<'_, Packet, B, L>> = Vec::new();
    let mut indices = HashSet::new();
    while let Some(ready) = next_listed(worker) {
        let index = ready.index();
        if !indices.insert(index) {
            std::mem::forget(ready);
            panic!("queue {index} handed out while already held: scheduled twice");
        }
        held.push(ready);
        assert!(held.len() <= limit, "more guards than queues");
    }
    held.into_iter()
        .map(|mut ready| {
            let seqs = ready.drain().map(|p| p.seq).collect();
            (ready.index(), seqs)
        })
        .collect()
}

/// Takes the next queue, which must be `index`, and checks that its oldest packet is `seq` and
/// not ready yet.
fn hold_not_ready<'s, B: Capacity, L: Layout>(
    worker: &mut Worker<'s, Packet, B, L>,
    index: usize,
    seq: usize,
) -> Ready<'s, Packet, B, L> {
    let mut ready = next_listed(worker).expect("the queue is scheduled");
    assert_eq!(ready.index(), index);
    let oldest = ready.peek().expect("a scheduled queue has a packet");
    assert_eq!(oldest.seq, seq);
    assert!(!is_ready(oldest));
    ready
}

every_capacity_and_layout!(
    a_deferred_queue_waits_for_a_notify_not_for_enqueues,
    many_notifies_schedule_a_deferred_queue_once,
    a_notify_while_held_makes_the_deferral_reschedule_at_once,
    a_notify_on_an_idle_queue_schedules_nothing_and_is_forgotten_once_held,
    a_notify_on_a_scheduled_queue_does_not_list_it_twice,
    a_notify_on_a_held_queue_does_not_list_it,
    a_deferral_without_a_peeked_node_rearms_the_queue,
    deferred_queues_on_other_threads_are_notified_from_others,
    stress_deferring_worker,
);

fn a_deferred_queue_waits_for_a_notify_not_for_enqueues<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(8, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    let first = put(set, 2, 0, 0, false);
    hold_not_ready(&mut worker, 2, 0).defer_until_notified();
    assert!(
        next_listed(&mut worker).is_none(),
        "a deferred queue is not listed"
    );
    assert!(worker.try_next().is_none());

    // More packets, ready ones too: they wait behind the oldest, and schedule nothing. Another
    // queue is scheduled meanwhile, as usual.
    for seq in 1..4 {
        put(set, 2, 0, seq, true);
    }
    put(set, 5, 1, 100, true);
    assert_eq!(listed(&mut worker), [(5, vec![100])]);
    assert!(
        next_listed(&mut worker).is_none(),
        "still deferred after three enqueues"
    );
    if let Some(len) = B::len(set, 2) {
        assert_eq!(len, 4, "the deferred queue keeps every packet");
    }

    // The oldest is ready: the notify schedules the queue, with everything in order.
    mark_ready(&first);
    set.notify(2);
    assert_eq!(listed(&mut worker), [(2, vec![0, 1, 2, 3])]);
    assert!(next_listed(&mut worker).is_none(), "emptied, so idle");
    // Idle again: the next enqueue schedules it, as for a queue never deferred.
    put(set, 2, 0, 4, true);
    assert_eq!(listed(&mut worker), [(2, vec![4])]);
}

fn many_notifies_schedule_a_deferred_queue_once<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(4, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    for round in 0..3 {
        let flag = put(set, 1, 0, 2 * round, false);
        put(set, 1, 0, 2 * round + 1, true);
        hold_not_ready(&mut worker, 1, 2 * round).defer_until_notified();
        assert!(next_listed(&mut worker).is_none(), "deferred: not listed");
        mark_ready(&flag);
        // Five notifies (the encryption of every packet of the queue ends in one): the first
        // ends the deferral, the others find the queue scheduled.
        for _ in 0..5 {
            set.notify(1);
        }
        assert_eq!(
            listed(&mut worker),
            [(1, vec![2 * round, 2 * round + 1])],
            "scheduled exactly once"
        );
        // Late notifies find the queue idle and do nothing.
        notify_lists_nothing(&mut worker, 1, "idle: not listed by a late notify");
    }
}

fn a_notify_while_held_makes_the_deferral_reschedule_at_once<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(4, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    let flag = put(set, 3, 0, 0, false);
    put(set, 3, 0, 1, true);

    // A notify for another packet (not the oldest) while held: the deferral fails and the queue
    // is listed at once; the next look finds the oldest still not ready, and that deferral holds.
    let ready = hold_not_ready(&mut worker, 3, 0);
    notify_lists_nothing(&mut worker, 3, "held: the notify lists nothing");
    ready.defer_until_notified();
    let ready = hold_not_ready(&mut worker, 3, 0);
    assert!(next_listed(&mut worker).is_none(), "listed once");
    ready.defer_until_notified();
    assert!(
        next_listed(&mut worker).is_none(),
        "no notify since it was held: deferred"
    );

    // The oldest becomes ready and is notified between the worker's look and its deferral: the
    // deferral must not swallow that notify.
    set.notify(3); // ends the deferral above
    let ready = hold_not_ready(&mut worker, 3, 0);
    mark_ready(&flag);
    set.notify(3);
    ready.defer_until_notified();
    let mut ready = next_listed(&mut worker)
        .expect("notified while held: rescheduled at once, not left deferred");
    assert_eq!(ready.index(), 3);
    assert!(next_listed(&mut worker).is_none(), "listed once");
    assert!(ready.peek().is_some_and(is_ready));
    assert_eq!(ready.drain().map(|p| p.seq).collect::<Vec<_>>(), [0, 1]);
    drop(ready);
    assert!(next_listed(&mut worker).is_none(), "emptied: idle");
}

fn a_notify_on_an_idle_queue_schedules_nothing_and_is_forgotten_once_held<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(4, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    // Never used, and emptied then re-armed: both idle.
    put(set, 1, 0, 0, true);
    assert_eq!(listed(&mut worker), [(1, vec![0])]);
    for index in [0, 1, 0, 1] {
        set.notify(index);
    }
    assert!(
        next_listed(&mut worker).is_none(),
        "a notify schedules no idle queue"
    );

    // The next enqueues schedule them once each, notified or not.
    put(set, 0, 0, 1, false);
    put(set, 1, 0, 2, false);
    // A notify that came before the queue was held is forgotten by the hold (the worker looks at
    // the packet anyway): deferring now waits for the next notify.
    hold_not_ready(&mut worker, 0, 1).defer_until_notified();
    hold_not_ready(&mut worker, 1, 2).defer_until_notified();
    assert!(
        next_listed(&mut worker).is_none(),
        "a notify from before the hold does not end a later deferral"
    );
    set.notify(1);
    set.notify(0);
    let order: Vec<usize> = listed(&mut worker).into_iter().map(|(i, _)| i).collect();
    assert_eq!(order, [1, 0], "each scheduled once, in the order notified");
}

fn a_notify_on_a_scheduled_queue_does_not_list_it_twice<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(4, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    // Scheduled by an enqueue.
    put(set, 1, 0, 0, true);
    put(set, 3, 0, 1, true);
    for index in [1, 1, 3, 1] {
        set.notify(index);
    }
    assert_eq!(listed(&mut worker), [(1, vec![0]), (3, vec![1])]);

    // Scheduled by a guard that ran out of budget.
    for seq in 0..3 {
        put(set, 2, 0, seq, true);
    }
    let mut ready = next_listed(&mut worker).unwrap();
    assert_eq!(ready.drain().next().map(|p| p.seq), Some(0));
    drop(ready);
    set.notify(2);
    set.notify(2);
    assert_eq!(listed(&mut worker), [(2, vec![1, 2])]);

    // Scheduled by a notify (after a deferral).
    let flag = put(set, 0, 0, 5, false);
    hold_not_ready(&mut worker, 0, 5).defer_until_notified();
    mark_ready(&flag);
    set.notify(0);
    set.notify(0);
    put(set, 0, 0, 6, true);
    set.notify(0);
    assert_eq!(listed(&mut worker), [(0, vec![5, 6])]);
    assert!(next_listed(&mut worker).is_none(), "emptied: idle");
}

fn a_notify_on_a_held_queue_does_not_list_it<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(4, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    for seq in 0..2 {
        put(set, 2, 0, seq, true);
    }
    let mut ready = next_listed(&mut worker).unwrap();
    for _ in 0..3 {
        set.notify(2);
    }
    assert!(
        next_listed(&mut worker).is_none(),
        "held: not listed by a notify"
    );
    // Dropped with a packet left: listed once, by the drop.
    assert_eq!(ready.dequeue().map(|p| p.seq), Some(0));
    drop(ready);
    set.notify(2);
    let mut ready = next_listed(&mut worker).unwrap();
    notify_lists_nothing(&mut worker, 2, "held again: not listed");
    assert_eq!(ready.dequeue().map(|p| p.seq), Some(1));
    // Dropped empty: idle, whatever the notifies.
    drop(ready);
    notify_lists_nothing(&mut worker, 2, "emptied: idle, whatever the notifies");
}

fn a_deferral_without_a_peeked_node_rearms_the_queue<B: Kind, L: Layout>() {
    let owner = LeakOnPanic::new(B::set::<L>(4, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();

    // Packets, none peeked: back on the list, as a dropped guard would be.
    put(set, 1, 0, 0, false);
    put(set, 1, 0, 1, false);
    let ready = next_listed(&mut worker).unwrap();
    ready.defer_until_notified();
    assert_eq!(
        listed(&mut worker),
        [(1, vec![0, 1])],
        "not deferred: nothing was peeked"
    );

    // Emptied: idle, so the next enqueue schedules it, and a notify does nothing.
    put(set, 1, 0, 2, true);
    let mut ready = next_listed(&mut worker).unwrap();
    assert_eq!(ready.dequeue().map(|p| p.seq), Some(2));
    assert!(ready.peek().is_none(), "empty: nothing peeked");
    ready.defer_until_notified();
    assert!(next_listed(&mut worker).is_none(), "idle");
    notify_lists_nothing(&mut worker, 1, "idle, not deferred: a notify lists nothing");
    put(set, 1, 0, 3, true);
    assert_eq!(listed(&mut worker), [(1, vec![3])]);

    // Peeked, then taken: nothing peeked any more, so re-armed (listed with the packet left,
    // then idle once empty).
    put(set, 1, 0, 4, true);
    put(set, 1, 0, 5, false);
    let mut ready = next_listed(&mut worker).unwrap();
    assert!(ready.peek().is_some_and(is_ready));
    assert_eq!(ready.take_peeked().map(|p| p.seq), Some(4));
    ready.defer_until_notified();
    let mut ready = next_listed(&mut worker).expect("re-queued with a packet left");
    assert!(ready.peek().is_some_and(|p| !is_ready(p)));
    assert!(ready.drop_peeked());
    ready.defer_until_notified();
    assert!(next_listed(&mut worker).is_none(), "emptied: idle");
    put(set, 1, 0, 6, true);
    assert_eq!(listed(&mut worker), [(1, vec![6])]);
}

fn deferred_queues_on_other_threads_are_notified_from_others<B: Kind, L: Layout>() {
    // Guards deferred on other threads; notifies from yet others; the worker sleeping in
    // `next_timeout_blocking` is woken by each notify that ends a deferral.
    const ROUNDS: usize = 50;
    let owner = LeakOnPanic::new(B::set::<L>(16, ROOMY));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    for round in 0..ROUNDS {
        let index = (round * 5) % 16;
        let flag = put(set, index, 0, round, false);
        let ready = hold_not_ready(&mut worker, index, round);
        thread::scope(|s| {
            s.spawn(move || ready.defer_until_notified())
                .join()
                .unwrap();
            assert!(
                next_listed(&mut worker).is_none(),
                "deferred on another thread"
            );
            s.spawn(|| {
                if round % 2 == 0 {
                    // Give the worker time to fall asleep first, most of the time.
                    thread::sleep(Duration::from_micros(200));
                }
                mark_ready(&flag);
                set.notify(index);
            });
            let mut ready = promptly(|| worker.next_timeout_blocking(STALL).map(held))
                .expect("no queue within the timeout: the notify's wake-up was lost");
            assert_eq!(ready.index(), index);
            let packet = ready.dequeue().expect("the deferred packet");
            assert!(is_ready(&packet));
            assert_eq!(packet.seq, round);
        });
    }
    assert!(
        next_listed(&mut worker).is_none(),
        "every queue emptied: idle"
    );
}

#[test]
fn a_notify_that_ends_a_deferral_wakes_a_polling_worker_once() {
    let owner = LeakOnPanic::new(ReadySet::<Packet>::new(4));
    let set = &*owner;
    let mut worker = set.worker().unwrap();
    let flag = put(set, 2, 0, 0, false);
    hold_not_ready(&mut worker, 2, 0).defer_until_notified();

    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    assert!(worker.poll_next(&mut cx).is_pending());
    // Enqueues into the deferred queue and notifies that end nothing wake nobody.
    put(set, 2, 0, 1, true);
    set.notify(1);
    assert_eq!(counter.wakes(), 0, "nothing was scheduled");
    mark_ready(&flag);
    thread::scope(|s| {
        s.spawn(|| set.notify(2));
    });
    assert_eq!(
        counter.wakes(),
        1,
        "the notify that scheduled the queue woke the worker"
    );
    set.notify(2);
    assert_eq!(
        counter.wakes(),
        1,
        "listed already: no second scheduling, no wake"
    );
    let Poll::Ready(Next::Ready(mut ready)) = worker.poll_next(&mut cx) else {
        panic!("the notified queue is listed");
    };
    assert_eq!(ready.index(), 2);
    assert_eq!(ready.drain().map(|p| p.seq).collect::<Vec<_>>(), [0, 1]);
    drop(ready);
    assert!(worker.poll_next(&mut cx).is_pending());
}

#[test]
fn dropping_the_set_drops_a_deferred_queues_nodes_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let set = ReadySet::<Msg, Bounded, Padded>::with_capacity(4, 8);
    for index in [0, 0, 2, 3, 3] {
        assert!(set.try_enqueue(index, counted(0, 0, &drops)).is_ok());
    }
    {
        let mut worker = set.worker().unwrap();
        // Queue 0 deferred at its peeked first node, with another enqueued behind it; queue 2
        // deferred then notified (listed); queue 3 left listed untouched.
        for _ in 0..2 {
            let mut ready = next_listed(&mut worker).unwrap();
            assert!(ready.peek().is_some());
            ready.defer_until_notified();
        }
        assert!(set.try_enqueue(0, counted(0, 0, &drops)).is_ok());
        set.notify(2);
    }
    drop_counted(
        set,
        &drops,
        0,
        6,
        "each node dropped exactly once, deferred ones included",
    );
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn notify_out_of_range_panics() {
    let set = ReadySet::<Packet>::new(3);
    set.notify(3);
}

// --- Stress -------------------------------------------------------------------------------

const STRESS_MEMBERS: usize = 256;
/// The capacity of bounded members (a WireGuard peer's queue).
const STRESS_CAPACITY: usize = 1024;
const STRESS_PRODUCERS: usize = 3;
const STRESS_ENCRYPTORS: usize = 2;
/// How many packets the worker takes from a queue per turn.
const STRESS_BUDGET: usize = 8;
/// How many jobs an encryption thread takes at once, to mark ready in shuffled order.
const STRESS_BATCH: usize = 16;
/// Packets per test, over all producers.
const STRESS_PACKETS_DEBUG: usize = 500_000;
const STRESS_PACKETS_RELEASE: usize = 2_000_000;

/// A packet to encrypt, for an encryption thread; `None` when its producer is done.
struct Job {
    link: Link,
    work: Option<(usize, Arc<AtomicBool>)>,
}
node!(Job, link, Box<Job>);

/// Producers send packets (not ready) to random members of a set of 256 (scaled), now and then a
/// burst into one member; after each packet, they hand its ready flag to a random encryption
/// thread through that thread's `WaitQueue` of jobs. The encryption threads take up to 16 jobs
/// at a time, mark them ready in shuffled order (so a queue's later packets are often ready
/// before its oldest) and notify each packet's member. One worker holds up to three guards and
/// takes at most `STRESS_BUDGET` packets per turn, each only once it is ready; at the first one
/// that is not, it defers the queue. It checks that every packet arrives exactly once, ready,
/// and per member in each producer's order; that a queue handed out is never already held and
/// has a packet; and at the end that nothing is left on the list. It sleeps in `next_timeout_blocking`
/// (in the `promptly` watchdog) whenever it holds nothing and nothing is listed, so a lost
/// wake-up fails the test; the test thread's `from_worker` watchdog catches a worker stuck
/// anywhere else.
fn stress_deferring_worker<B: Kind, L: Layout>() {
    let members = scaled(STRESS_MEMBERS);
    let (per_producer, _) = per_producer(
        STRESS_PACKETS_DEBUG,
        STRESS_PACKETS_RELEASE,
        STRESS_PRODUCERS,
    );
    let set = Arc::new(B::set::<L>(members, STRESS_CAPACITY));
    let jobs: Arc<Vec<WaitQueue<Job>>> =
        Arc::new((0..STRESS_ENCRYPTORS).map(|_| WaitQueue::new()).collect());

    let producers: Vec<_> = (0..STRESS_PRODUCERS)
        .map(|p| {
            let (set, jobs) = (Arc::clone(&set), Arc::clone(&jobs));
            thread::spawn(move || {
                let pause = Duration::from_micros(300);
                stress_producer(p, per_producer, members, 64, pause, |rng, index, seq| {
                    let flag = flag(false);
                    // Full (bounded members only): the worker makes room once the packets in it
                    // are encrypted.
                    send_retrying(&set, index, packet(p, seq, &flag));
                    let encryptor = rng.below(STRESS_ENCRYPTORS);
                    jobs[encryptor].enqueue(Box::new(Job {
                        link: Link::new(),
                        work: Some((index, flag)),
                    }));
                });
                for queue in jobs.iter() {
                    queue.enqueue(Box::new(Job {
                        link: Link::new(),
                        work: None,
                    }));
                }
            })
        })
        .collect();

    let encryptors: Vec<_> = (0..STRESS_ENCRYPTORS)
        .map(|e| {
            let (set, jobs) = (Arc::clone(&set), Arc::clone(&jobs));
            thread::spawn(move || {
                let mut rng = Rng::new(100 + e as u64);
                let mut consumer = jobs[e].consumer().unwrap();
                let mut batch = Vec::with_capacity(STRESS_BATCH);
                let mut done = 0;
                while done < STRESS_PRODUCERS {
                    batch.push(
                        promptly(|| consumer.dequeue_timeout_blocking(STALL))
                            .expect("no job within the timeout: a wake-up was lost"),
                    );
                    while batch.len() < STRESS_BATCH {
                        match consumer.try_dequeue() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    for i in (1..batch.len()).rev() {
                        batch.swap(i, rng.below(i + 1));
                    }
                    for job in batch.drain(..) {
                        match &job.work {
                            Some((index, flag)) => {
                                mark_ready(flag);
                                set.notify(*index);
                            }
                            None => done += 1,
                        }
                    }
                }
            })
        })
        .collect();

    // At the end, late notifies (for packets already taken) find their queues idle or held,
    // never deferred: the worker's check that nothing is listed holds.
    // At the end, late notifies (for packets already taken) find their queues idle or held,
    // never deferred: the worker's check that nothing is listed holds.
    let worker = StressWorker::spawn(
        &set,
        MemberOrder::new(members, STRESS_PRODUCERS, per_producer),
        |worker, sleep| {
            if !sleep {
                return worker.try_next().map(held);
            }
            Some(
                promptly(|| worker.next_timeout_blocking(STALL).map(held))
                    .expect("nothing scheduled within the timeout: a wake-up was lost"),
            )
        },
        |index, mut ready, order| {
            let mut taken = 0;
            let mut waiting = false;
            while taken < STRESS_BUDGET {
                let Some(oldest) = ready.peek() else {
                    break;
                };
                if !is_ready(oldest) {
                    waiting = true;
                    break;
                }
                let packet = ready.take_peeked().expect("peeked");
                order.take(index, packet.producer, packet.seq);
                taken += 1;
            }
            assert!(
                taken > 0 || waiting,
                "queue {index} was handed out without a packet"
            );
            if waiting {
                ready.defer_until_notified();
            } else {
                drop(ready);
            }
            taken
        },
    );

    worker.finish();
    for thread in producers.into_iter().chain(encryptors) {
        thread.join().unwrap();
    }
    // Every notify has returned: still nothing listed.
    let mut worker = set.worker().unwrap();
    assert!(worker.try_next().is_none());
}
