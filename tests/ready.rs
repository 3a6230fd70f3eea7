//! `ReadySet`: many queues served by one worker. Behaviour (the order queues are handed out in, the
//! budget's re-queue to the back, re-arming an empty queue, a peeked node keeping its queue
//! scheduled, bounded members refusing nodes, guards held at once and sent to other threads, the
//! worker's sleeping methods woken by an enqueue, the accessors) for every kind of member; the
//! set's `close` and `wake` (scheduled members delivered before `Closed`, `try_enqueue` refused
//! after the close, `Woken` once per wake, the iterator ending at the close, sleeping and async
//! workers woken by both); and a stress test: thousands of queues, several producers, one worker
//! with a budget that sleeps whenever nothing is ready.
//!
//! A lost wake-up makes a sleeping worker wait for a timeout it should never reach; the support
//! watchdogs (`promptly`, `from_worker`, `block_on`) turn that into a failure instead of a hang.
#![cfg(not(loom))]

mod support;

use support::kinds::{every_capacity_and_layout, send_retrying, ROOMY};
use support::stress::StressWorker;

use std::pin::pin;
use std::sync::atomic::AtomicUsize;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::{Bounded, Capacity, Layout, Next, Padded, Ready, ReadySet, Unbounded};
use support::{
    block_on, counted, drop_counted, flag, from_worker, held, held_now, is_ready, mark_ready, msg,
    per_producer, poll_once, promptly, scaled, stress_producer, CountingWaker, MemberOrder, Msg,
    Packet, Rng, STALL,
};

/// A member kind the tests can build a set of.
trait Kind: Capacity + Sized {
    /// A set of `count` members, each holding at most `capacity` nodes when bounded.
    fn set<L: Layout>(count: usize, capacity: usize) -> ReadySet<Msg, Self, L>;
}

impl Kind for Unbounded {
    fn set<L: Layout>(count: usize, _: usize) -> ReadySet<Msg, Self, L> {
        ReadySet::new(count)
    }
}

impl Kind for Bounded {
    fn set<L: Layout>(count: usize, capacity: usize) -> ReadySet<Msg, Self, L> {
        ReadySet::with_capacity(count, capacity)
    }
}

/// Enqueues a node that must be accepted (the behaviour tests never fill a roomy member).
fn put<B: Capacity, L: Layout>(
    set: &ReadySet<Msg, B, L>,
    index: usize,
    producer: usize,
    seq: usize,
) {
    assert!(set.try_enqueue(index, msg(producer, seq)).is_ok());
}

/// The sequence numbers of up to `budget` nodes taken out of a held queue.
fn take<B: Capacity, L: Layout>(ready: &mut Ready<'_, Msg, B, L>, budget: usize) -> Vec<usize> {
    ready.drain().take(budget).map(|m| m.seq).collect()
}

every_capacity_and_layout!(
    queues_are_handed_out_in_the_order_they_became_ready,
    a_queue_over_budget_goes_to_the_back,
    an_emptied_queue_is_rearmed_and_scheduled_again_by_its_next_enqueue,
    enqueues_into_a_held_queue_do_not_schedule_it,
    a_peeked_node_keeps_its_queue_scheduled,
    guards_for_two_members_are_held_at_once_and_dropped_on_other_threads,
    dropping_the_set_drops_every_queued_node_once,
    stress_one_worker_many_queues,
);

fn queues_are_handed_out_in_the_order_they_became_ready<B: Kind, L: Layout>() {
    let set = B::set::<L>(16, ROOMY);
    let mut worker = set.worker().unwrap();
    assert!(worker.next().is_none(), "a new set has nothing scheduled");
    assert!(worker.try_next().is_none());

    // Queues become ready in the order 9, 3, 12; later enqueues into a scheduled queue do not
    // move it or schedule it again.
    for (seq, index) in [9, 3, 9, 12, 3, 9].into_iter().enumerate() {
        put(&set, index, 0, seq);
    }
    let mut order = Vec::new();
    for mut ready in worker.by_ref() {
        order.push((ready.index(), take(&mut ready, usize::MAX)));
    }
    assert_eq!(
        order,
        [(9, vec![0, 2, 5]), (3, vec![1, 4]), (12, vec![3])],
        "each queue once, in the order it became ready, with its nodes in order"
    );
    assert!(worker.try_next().is_none());
}

fn a_queue_over_budget_goes_to_the_back<B: Kind, L: Layout>() {
    let set = B::set::<L>(4, ROOMY);
    let worker = set.worker().unwrap();
    for seq in 0..5 {
        put(&set, 0, 0, seq);
    }
    put(&set, 1, 0, 100);
    put(&set, 2, 0, 200);

    // A budget of 2: queue 0 needs three turns, and the others get theirs in between.
    let mut turns = Vec::new();
    for mut ready in worker {
        turns.push((ready.index(), take(&mut ready, 2)));
    }
    assert_eq!(
        turns,
        [
            (0, vec![0, 1]),
            (1, vec![100]),
            (2, vec![200]),
            (0, vec![2, 3]),
            (0, vec![4]),
        ]
    );
}

fn an_emptied_queue_is_rearmed_and_scheduled_again_by_its_next_enqueue<B: Kind, L: Layout>() {
    let set = B::set::<L>(3, ROOMY);
    let mut worker = set.worker().unwrap();
    for round in 0..4 {
        put(&set, 1, 0, round);
        let mut ready = worker.next().expect("the enqueue scheduled the idle queue");
        assert_eq!(ready.index(), 1);
        assert_eq!(ready.dequeue().map(|m| m.seq), Some(round));
        assert!(ready.is_empty());
        drop(ready);
        assert!(
            worker.next().is_none(),
            "an emptied queue is idle, not scheduled"
        );
    }
}

fn enqueues_into_a_held_queue_do_not_schedule_it<B: Kind, L: Layout>() {
    let set = B::set::<L>(3, ROOMY);
    let mut worker = set.worker().unwrap();
    put(&set, 0, 0, 0);
    let mut ready = worker.next().unwrap();
    assert_eq!(ready.index(), 0);
    // Producers keep sending to the held queue, and another queue becomes ready meanwhile.
    put(&set, 0, 0, 1);
    put(&set, 2, 0, 10);
    put(&set, 0, 0, 2);
    {
        let mut other = worker.next().expect("queue 2 was scheduled");
        assert_eq!(other.index(), 2, "never the held queue");
        assert_eq!(take(&mut other, usize::MAX), [10]);
    }
    assert!(worker.next().is_none(), "the held queue is not on the list");
    // The guard sees what arrived while it was held; it leaves one node behind, so dropping it
    // schedules the queue again (once).
    assert_eq!(take(&mut ready, 2), [0, 1]);
    drop(ready);
    let mut ready = worker.next().expect("re-queued with a node left");
    assert_eq!((ready.index(), take(&mut ready, usize::MAX)), (0, vec![2]));
    drop(ready);
    assert!(worker.next().is_none());
}

fn a_peeked_node_keeps_its_queue_scheduled<B: Kind, L: Layout>() {
    let set = B::set::<L>(2, ROOMY);
    let mut worker = set.worker().unwrap();
    put(&set, 1, 0, 7);
    let mut ready = worker.next().unwrap();
    assert_eq!(ready.peek().map(|m| m.seq), Some(7));
    // Not taken: the node is still queued, so the queue is not idle.
    drop(ready);
    let mut ready = worker
        .next()
        .expect("a peeked node keeps the queue scheduled");
    assert_eq!(ready.index(), 1);
    // The new guard has nothing peeked; its first look returns that same node.
    assert_eq!(ready.try_peek().map(|m| m.seq).ok(), Some(7));
    assert_eq!(ready.take_peeked().map(|m| m.seq), Some(7));
    drop(ready);
    assert!(worker.next().is_none());
}

fn guards_for_two_members_are_held_at_once_and_dropped_on_other_threads<B: Kind, L: Layout>() {
    let set = B::set::<L>(3, ROOMY);
    let mut worker = set.worker().unwrap();
    for seq in 0..3 {
        put(&set, 0, 0, seq);
        put(&set, 2, 2, seq);
    }
    let a = worker.next().unwrap();
    let b = worker.next().unwrap();
    assert_eq!((a.index(), b.index()), (0, 2));
    assert!(worker.next().is_none(), "both held, nothing else scheduled");
    let drained = thread::scope(|s| {
        let drain = |mut ready: Ready<'_, Msg, B, L>| {
            let index = ready.index();
            let got: Vec<_> = ready.drain().map(|m| (m.producer, m.seq)).collect();
            // The guard is dropped here, on this thread: the queue is empty, so it is re-armed.
            (index, got)
        };
        let a = s.spawn(move || drain(a));
        let b = s.spawn(move || drain(b));
        [a.join().unwrap(), b.join().unwrap()]
    });
    assert_eq!(drained[0], (0, vec![(0, 0), (0, 1), (0, 2)]));
    assert_eq!(drained[1], (2, vec![(2, 0), (2, 1), (2, 2)]));
    assert!(worker.next().is_none(), "both re-armed, neither scheduled");
    // Re-armed on the other threads: the next enqueues schedule them again.
    put(&set, 2, 2, 3);
    put(&set, 0, 0, 3);
    let order: Vec<_> = worker
        .by_ref()
        .map(|mut r| (r.index(), take(&mut r, usize::MAX)))
        .collect();
    assert_eq!(order, [(2, vec![3]), (0, vec![3])]);
}

fn dropping_the_set_drops_every_queued_node_once<B: Kind, L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let set = B::set::<L>(5, ROOMY);
    for index in [0, 1, 1, 3, 3, 3] {
        assert!(set.try_enqueue(index, counted(0, 0, &drops)).is_ok());
    }
    {
        let mut worker = set.worker().unwrap();
        // Queue 0 emptied and re-armed, queue 1 re-queued with a node left, queue 3 left on the
        // list untouched.
        let mut ready = worker.next().unwrap();
        drop(ready.dequeue());
        drop(ready);
        let mut ready = worker.next().unwrap();
        drop(ready.dequeue());
        drop(ready);
    }
    drop_counted(set, &drops, 2, 6, "each node dropped exactly once");
}

#[test]
fn bounded_members_refuse_when_full_and_a_refused_enqueue_schedules_nothing() {
    let set = ReadySet::<Msg, Bounded>::with_capacity(3, 2);
    let mut worker = set.worker().unwrap();
    assert_eq!(set.member(1).unwrap().capacity(), 2);
    put(&set, 1, 0, 0);
    put(&set, 1, 0, 1);
    assert_eq!(set.member(1).unwrap().len(), 2);
    // Full: the very node comes back.
    let refused = set.try_enqueue(1, msg(0, 2)).unwrap_err();
    assert_eq!((refused.producer, refused.seq), (0, 2));
    // Other members have their own room.
    put(&set, 0, 0, 50);

    let mut ready = worker.next().unwrap();
    assert_eq!(ready.index(), 1);
    assert!(
        set.try_enqueue(1, refused).is_err(),
        "still full while held"
    );
    let mut other = worker.next().expect("queue 0");
    assert_eq!(other.index(), 0);
    assert!(
        worker.next().is_none(),
        "the refused enqueues scheduled nothing: queue 1 is held, not listed again"
    );
    drop(other.dequeue());
    drop(other);

    // Taking a node out makes room for one more, which a producer adds while the queue is held.
    assert_eq!(ready.dequeue().map(|m| m.seq), Some(0));
    assert_eq!(set.member(1).unwrap().len(), 1);
    put(&set, 1, 0, 2);
    assert!(set.try_enqueue(1, msg(0, 3)).is_err());
    drop(ready);
    let mut ready = worker.next().expect("re-queued with nodes left");
    assert_eq!(
        (ready.index(), take(&mut ready, usize::MAX)),
        (1, vec![1, 2])
    );
    drop(ready);
    assert_eq!(set.member(1).unwrap().len(), 0);
    assert!(worker.next().is_none());
}

#[test]
fn a_refused_enqueue_into_a_full_scheduled_queue_leaves_it_listed_once() {
    let set = ReadySet::<Msg, Bounded, Padded>::with_capacity(2, 1);
    let mut worker = set.worker().unwrap();
    put(&set, 0, 0, 0);
    for seq in 1..4 {
        assert!(set.try_enqueue(0, msg(0, seq)).is_err());
    }
    let listed: Vec<_> = worker
        .by_ref()
        .map(|mut r| (r.index(), take(&mut r, usize::MAX)))
        .collect();
    assert_eq!(listed, [(0, vec![0])]);
}

#[test]
fn accessors() {
    let set = ReadySet::<Msg>::new(10);
    assert_eq!(set.len(), 10);
    assert!(!set.is_empty());
    assert!(set.member(9).is_some());
    assert!(set.member(10).is_none());
    assert_eq!(
        format!("{set:?}"),
        "ReadySet { len: 10, closed: false, .. }"
    );
    let closed = ReadySet::<Msg>::new(2);
    closed.close();
    assert_eq!(
        format!("{closed:?}"),
        "ReadySet { len: 2, closed: true, .. }"
    );

    let mut worker = set.worker().unwrap();
    assert!(set.worker().is_none(), "one worker at a time");
    assert!(std::ptr::eq(worker.set(), &set));
    assert_eq!(format!("{worker:?}"), "Worker { .. }");
    for index in [9, 0, 5] {
        put(&set, index, 0, index);
    }
    for index in [9, 0, 5] {
        let mut ready = worker.next().unwrap();
        assert_eq!(ready.index(), index);
        assert_eq!(
            format!("{ready:?}"),
            format!("Ready {{ index: {index}, .. }}")
        );
        assert_eq!(ready.dequeue().map(|m| m.seq), Some(index));
    }
    drop(worker);
    assert!(set.worker().is_some(), "the worker's drop frees the slot");

    let none = ReadySet::<Msg>::new(0);
    assert!(none.is_empty());
    assert!(none.member(0).is_none());
    assert!(none.worker().unwrap().next().is_none());
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn enqueue_out_of_range_panics() {
    let set = ReadySet::<Msg>::new(3);
    set.enqueue(3, msg(0, 0));
}

#[test]
fn next_blocking_is_woken_by_an_enqueue() {
    // The worker sleeps on its own thread, so that a lost wake-up is reported (by `from_worker`)
    // rather than hanging the test.
    const ROUNDS: usize = 200;
    let set = Arc::new(ReadySet::<Msg>::new(64));
    let (asked, asked_rx) = mpsc::channel::<usize>();
    let (report, reports) = mpsc::channel();
    {
        let set = Arc::clone(&set);
        thread::spawn(move || {
            let mut worker = set.worker().unwrap();
            for round in 0..ROUNDS {
                asked.send(round).unwrap();
                let mut ready = held(worker.next_blocking());
                let got = (ready.index(), ready.dequeue().map(|m| m.seq));
                drop(ready);
                report.send(got).unwrap();
            }
        });
    }
    for round in 0..ROUNDS {
        assert_eq!(asked_rx.recv().unwrap(), round);
        if round % 2 == 0 {
            // Give the worker time to fall asleep first, most of the time.
            thread::sleep(Duration::from_micros(200));
        }
        let index = (round * 7) % 64;
        set.enqueue(index, msg(0, round));
        assert_eq!(from_worker(&reports), (index, Some(round)));
    }
}

#[test]
fn next_timeout_times_out_and_is_woken_by_an_enqueue() {
    let set = ReadySet::<Msg>::new(8);
    let mut worker = set.worker().unwrap();
    assert!(worker
        .next_timeout_blocking(Duration::from_millis(10))
        .is_none());
    for round in 0..100 {
        let index = round % 8;
        thread::scope(|s| {
            s.spawn(|| {
                if round % 2 == 0 {
                    thread::sleep(Duration::from_micros(200));
                }
                set.enqueue(index, msg(0, round));
            });
            let mut ready = promptly(|| worker.next_timeout_blocking(STALL).map(held))
                .expect("no queue within the timeout: a wake-up was lost");
            assert_eq!(ready.index(), index);
            assert_eq!(ready.dequeue().map(|m| m.seq), Some(round));
        });
    }
    // A timed-out wait left nothing behind that would swallow the next wake-up.
    assert!(worker
        .next_timeout_blocking(Duration::from_millis(1))
        .is_none());
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            set.enqueue(3, msg(0, 1000));
        });
        let ready =
            promptly(|| worker.next_timeout_blocking(STALL).map(held)).expect("lost wake-up");
        assert_eq!(ready.index(), 3);
    });
}

#[test]
fn poll_next_registers_and_the_scheduling_enqueue_wakes_once() {
    let set = ReadySet::<Msg>::new(4);
    let mut worker = set.worker().unwrap();
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    assert!(worker.poll_next(&mut cx).is_pending());
    assert_eq!(counter.wakes(), 0);
    thread::scope(|s| {
        s.spawn(|| set.enqueue(2, msg(0, 0)));
    });
    assert_eq!(
        counter.wakes(),
        1,
        "the enqueue that scheduled a queue woke the worker"
    );
    // Another queue scheduled behind it, and another node into the listed queue: no more wakes
    // (the worker is not asleep any more as far as the list knows).
    set.enqueue(1, msg(0, 1));
    set.enqueue(2, msg(0, 2));
    assert_eq!(counter.wakes(), 1);
    let Poll::Ready(Next::Ready(mut ready)) = worker.poll_next(&mut cx) else {
        panic!("a queue was scheduled");
    };
    assert_eq!(
        (ready.index(), take(&mut ready, usize::MAX)),
        (2, vec![0, 2])
    );
    drop(ready);
    let Poll::Ready(Next::Ready(ready)) = worker.poll_next(&mut cx) else {
        panic!("a queue was scheduled");
    };
    assert_eq!(ready.index(), 1);
}

#[test]
fn next_async_is_woken_by_an_enqueue_and_cancel_safe() {
    let set = ReadySet::<Msg>::new(32);
    let mut worker = set.worker().unwrap();

    // Cancelled while pending: nothing is lost, the next wait finds the queue.
    {
        let mut future = pin!(worker.next_async());
        let (_counter, waker) = CountingWaker::new();
        assert!(poll_once(future.as_mut(), &waker).is_pending());
    }
    set.enqueue(5, msg(0, 0));
    let mut ready = held(block_on(worker.next_async()));
    assert_eq!((ready.index(), take(&mut ready, usize::MAX)), (5, vec![0]));
    drop(ready);

    for round in 1..50 {
        let index = (round * 11) % 32;
        thread::scope(|s| {
            s.spawn(|| {
                thread::sleep(Duration::from_micros(100));
                set.enqueue(index, msg(0, round));
            });
            // `block_on` fails if the future is not woken within the stall timeout.
            let mut ready = held(block_on(worker.next_async()));
            assert_eq!(ready.index(), index);
            assert_eq!(ready.dequeue().map(|m| m.seq), Some(round));
        });
    }
}

// --- Close and wake ----------------------------------------------------------------------

every_capacity_and_layout!(
    scheduled_members_are_delivered_before_closed,
    try_enqueue_after_close_hands_the_node_back,
    wake_returns_woken_once_per_wake,
    the_iterator_ends_at_the_close_and_leaves_wakes_pending,
);

/// Members scheduled before the close, and a member whose guard is dropped with nodes left
/// after it, all come out before `Closed`; `Closed` then stays, until a node accepted after the
/// close schedules a member again.
fn scheduled_members_are_delivered_before_closed<B: Kind, L: Layout>() {
    let set = B::set::<L>(8, ROOMY);
    let mut worker = set.worker().unwrap();
    put(&set, 3, 0, 0);
    put(&set, 5, 0, 1);
    put(&set, 5, 0, 2);
    put(&set, 1, 0, 3);
    assert!(!set.is_closed());
    let mut first = held_now(worker.try_next());
    set.close();
    assert!(set.is_closed());
    set.close(); // closing twice does nothing more
    assert_eq!((first.index(), take(&mut first, usize::MAX)), (3, vec![0]));
    drop(first);
    let mut second = held_now(worker.try_next());
    assert_eq!((second.index(), take(&mut second, 1)), (5, vec![1]));
    drop(second); // a node left: back on the list, behind member 1
    let mut third = held_now(worker.try_next());
    assert_eq!((third.index(), take(&mut third, 1)), (1, vec![3]));
    drop(third);
    let mut fourth = held_now(worker.try_next());
    assert_eq!((fourth.index(), take(&mut fourth, 1)), (5, vec![2]));
    drop(fourth);
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
    assert!(
        matches!(worker.try_next(), Some(Next::Closed)),
        "stays closed"
    );
    assert!(matches!(
        worker.next_timeout_blocking(Duration::ZERO),
        Some(Next::Closed)
    ));
    assert!(matches!(worker.next_blocking(), Next::Closed));
    assert!(matches!(block_on(worker.next_async()), Next::Closed));
}

/// After the close, `try_enqueue` hands the very node back; the infallible `enqueue` of an
/// unbounded set still accepts, and its node reaches a worker that asks again after `Closed`.
fn try_enqueue_after_close_hands_the_node_back<B: Kind, L: Layout>() {
    let set = B::set::<L>(4, ROOMY);
    let mut worker = set.worker().unwrap();
    set.close();
    let back = set
        .try_enqueue(2, msg(7, 42))
        .expect_err("refused after the close");
    assert_eq!(
        (back.producer, back.seq),
        (7, 42),
        "the very node came back"
    );
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
    assert!(worker.next().is_none(), "nothing was queued");
}

#[test]
fn enqueue_after_close_is_accepted_and_delivered_to_a_worker_that_asks_again() {
    let set = ReadySet::<Msg>::new(4);
    let mut worker = set.worker().unwrap();
    set.close();
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
    set.enqueue(1, msg(0, 9)); // cannot hand the node back: accepted
    let mut ready = held_now(worker.try_next());
    assert_eq!((ready.index(), take(&mut ready, usize::MAX)), (1, vec![9]));
    drop(ready);
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
}

#[test]
fn nodes_nobody_takes_after_the_close_are_dropped_with_the_set() {
    let drops = Arc::new(AtomicUsize::new(0));
    let set = ReadySet::<Msg>::new(4);
    set.enqueue(0, counted(0, 0, &drops));
    set.close();
    set.enqueue(2, counted(0, 1, &drops));
    drop_counted(
        set,
        &drops,
        0,
        2,
        "each node dropped once, with the set, none by the close",
    );
}

/// Each wake is one `Woken`, taken before any scheduled member, with no member behind it.
fn wake_returns_woken_once_per_wake<B: Kind, L: Layout>() {
    let set = B::set::<L>(4, ROOMY);
    let mut worker = set.worker().unwrap();
    assert!(worker.try_next().is_none());
    put(&set, 2, 0, 0);
    set.wake();
    set.wake();
    assert!(matches!(worker.try_next(), Some(Next::Woken)));
    assert!(matches!(worker.try_next(), Some(Next::Woken)));
    let mut ready = held_now(worker.try_next());
    assert_eq!((ready.index(), take(&mut ready, usize::MAX)), (2, vec![0]));
    drop(ready);
    assert!(worker.try_next().is_none(), "two wakes, two `Woken`s");
    set.wake();
    assert!(matches!(worker.next_blocking(), Next::Woken));
    set.wake();
    assert!(matches!(
        worker.next_timeout_blocking(Duration::ZERO),
        Some(Next::Woken)
    ));
    set.wake();
    assert!(matches!(block_on(worker.next_async()), Next::Woken));
    assert!(worker
        .next_timeout_blocking(Duration::from_millis(1))
        .is_none());
    // Wakes pending at the close still come first.
    set.wake();
    set.close();
    assert!(matches!(worker.try_next(), Some(Next::Woken)));
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
}

/// The iterator yields the members scheduled before the close and then ends; it never takes a
/// wake, which stays for `try_next`.
fn the_iterator_ends_at_the_close_and_leaves_wakes_pending<B: Kind, L: Layout>() {
    let set = B::set::<L>(4, ROOMY);
    let mut worker = set.worker().unwrap();
    put(&set, 0, 0, 0);
    put(&set, 3, 0, 1);
    set.wake();
    set.close();
    let mut seen = Vec::new();
    for mut ready in worker.by_ref() {
        seen.push((ready.index(), take(&mut ready, usize::MAX)));
    }
    assert_eq!(seen, [(0, vec![0]), (3, vec![1])]);
    assert!(worker.next().is_none(), "ended at the close");
    assert!(
        matches!(worker.try_next(), Some(Next::Woken)),
        "the wake was left"
    );
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
}

#[test]
fn close_ends_next_blocking_of_a_sleeping_worker() {
    // The worker sleeps on its own thread, so that a close slept through is reported (by
    // `from_worker`) rather than hanging the test.
    for round in 0..50 {
        let set = Arc::new(ReadySet::<Msg>::new(4));
        let (report, reports) = mpsc::channel();
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                let mut worker = set.worker().unwrap();
                let mut handled = Vec::new();
                loop {
                    match worker.next_blocking() {
                        Next::Ready(mut ready) => handled.extend(take(&mut ready, usize::MAX)),
                        Next::Woken => panic!("nobody wakes this set"),
                        Next::Closed => break,
                    }
                }
                report.send(handled).unwrap();
            });
        }
        if round % 2 == 0 {
            // Give the worker time to fall asleep first, most of the time.
            thread::sleep(Duration::from_micros(200));
        }
        if round % 3 == 0 {
            set.enqueue(round % 4, msg(0, round));
        }
        set.close();
        let expected = if round % 3 == 0 { vec![round] } else { vec![] };
        assert_eq!(
            from_worker(&reports),
            expected,
            "what was sent before the close, then `Closed`"
        );
    }
}

#[test]
fn close_and_wake_end_next_timeout_blocking_of_a_sleeping_worker() {
    let set = ReadySet::<Msg>::new(4);
    let mut worker = set.worker().unwrap();
    for round in 0..50 {
        thread::scope(|s| {
            s.spawn(|| {
                if round % 2 == 0 {
                    thread::sleep(Duration::from_micros(200));
                }
                set.wake();
            });
            let next = promptly(|| worker.next_timeout_blocking(STALL));
            assert!(matches!(next, Some(Next::Woken)), "a wake-up was lost");
        });
    }
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(2));
            set.close();
        });
        let next = promptly(|| worker.next_timeout_blocking(STALL));
        assert!(
            matches!(next, Some(Next::Closed)),
            "the close was slept through"
        );
    });
}

#[test]
fn close_and_wake_end_next_async() {
    let set = ReadySet::<Msg>::new(4);
    let mut worker = set.worker().unwrap();
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    assert!(worker.poll_next(&mut cx).is_pending());
    thread::scope(|s| {
        s.spawn(|| set.wake());
    });
    assert_eq!(counter.wakes(), 1, "the wake woke the waiting task");
    assert!(matches!(
        worker.poll_next(&mut cx),
        Poll::Ready(Next::Woken)
    ));
    assert!(worker.poll_next(&mut cx).is_pending());
    thread::scope(|s| {
        s.spawn(|| set.close());
    });
    assert_eq!(counter.wakes(), 2, "the close woke the waiting task");
    assert!(matches!(
        worker.poll_next(&mut cx),
        Poll::Ready(Next::Closed)
    ));

    // And through `next_async`, woken from another thread while it waits.
    let set = ReadySet::<Msg>::new(4);
    let mut worker = set.worker().unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(2));
            set.close();
        });
        // `block_on` fails if the future is not woken within the stall timeout.
        assert!(matches!(block_on(worker.next_async()), Next::Closed));
    });
}

// --- Deferring until notified ----------------------------------------------------------

every_capacity_and_layout!(
    a_deferred_queue_waits_for_notify_not_for_enqueues,
    a_notify_while_held_makes_the_deferral_reschedule_at_once,
);

fn a_deferred_queue_waits_for_notify_not_for_enqueues<B: Kind, L: Layout>() {
    let set = B::set::<L>(4, ROOMY);
    let mut worker = set.worker().unwrap();
    put(&set, 2, 0, 0);
    let mut ready = worker.next().unwrap();
    assert_eq!(ready.peek().map(|m| m.seq), Some(0));
    // The oldest node "is not ready": leave the queue, nodes and all.
    ready.defer_until_notified();
    assert!(worker.next().is_none(), "a deferred queue is not listed");
    // Enqueues do not schedule it (its oldest node still is not ready), nor do notifies of
    // other queues.
    put(&set, 2, 0, 1);
    set.notify(1);
    assert!(worker.next().is_none());
    set.notify(2);
    set.notify(2); // a second notify schedules nothing more
    let mut ready = worker.next().expect("notify schedules the deferred queue");
    assert_eq!(ready.index(), 2);
    assert!(worker.next().is_none(), "scheduled once");
    assert_eq!(take(&mut ready, usize::MAX), [0, 1]);
    drop(ready);
    assert!(worker.next().is_none(), "emptied: idle");
    // Once idle again, the queue is scheduled by enqueues as before; the notifies that came while
    // it was scheduled or idle are forgotten when it is next held, so a deferral waits for a new
    // one.
    set.notify(2);
    put(&set, 2, 0, 2);
    set.notify(2);
    let mut ready = worker.next().unwrap();
    assert_eq!(ready.peek().map(|m| m.seq), Some(2));
    ready.defer_until_notified();
    assert!(
        worker.next().is_none(),
        "earlier notifies do not end a later deferral"
    );
    set.notify(2);
    let mut ready = worker.next().unwrap();
    assert_eq!(
        ready.take_peeked().map(|m| m.seq),
        None,
        "a new guard has nothing peeked"
    );
    assert_eq!(ready.dequeue().map(|m| m.seq), Some(2));
}

fn a_notify_while_held_makes_the_deferral_reschedule_at_once<B: Kind, L: Layout>() {
    let set = B::set::<L>(2, ROOMY);
    let mut worker = set.worker().unwrap();
    put(&set, 0, 0, 0);
    put(&set, 1, 0, 10);
    let mut ready = worker.next().unwrap();
    assert_eq!(ready.peek().map(|m| m.seq), Some(0));
    // The node becomes ready while the worker is looking at it: the notify must not be lost.
    set.notify(0);
    ready.defer_until_notified();
    let order: Vec<_> = worker
        .by_ref()
        .map(|mut r| (r.index(), take(&mut r, usize::MAX)))
        .collect();
    assert_eq!(
        order,
        [(1, vec![10]), (0, vec![0])],
        "re-queued at the back"
    );

    // Without a peeked node, deferring is dropping: an empty queue is re-armed, one with nodes
    // goes back on the list (nothing is left where no enqueue would schedule it).
    put(&set, 1, 0, 11);
    put(&set, 1, 0, 12);
    let mut ready = worker.next().unwrap();
    assert_eq!(ready.dequeue().map(|m| m.seq), Some(11));
    ready.defer_until_notified();
    let mut ready = worker.next().expect("not deferred: nothing was peeked");
    assert_eq!(take(&mut ready, usize::MAX), [12]);
    ready.defer_until_notified();
    assert!(worker.next().is_none());
    put(&set, 1, 0, 13);
    assert_eq!(
        worker.next().map(|r| r.index()),
        Some(1),
        "re-armed, not deferred"
    );
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn notify_out_of_range_panics() {
    ReadySet::<Msg>::new(3).notify(3);
}

/// WireGuard's transmit path on threads: a producer queues packets to random peers and hands each
/// to an "encryption" thread, which finishes them in order, now and then after a pause, and
/// notifies the packet's peer. The worker sends each peer's packets in order, stopping at the
/// first one not finished and deferring the peer until notified. It sleeps in `next_timeout_blocking`
/// (under the watchdog) whenever nothing is listed, so a lost notify or enqueue stalls it; every
/// packet must be sent once, in order.
#[test]
fn deferred_peers_are_scheduled_by_the_encryption_threads_notify() {
    const PEERS: usize = 64;
    let packets = scaled(if cfg!(debug_assertions) {
        20_000
    } else {
        100_000
    });
    let set = ReadySet::<Packet>::new(PEERS);
    let (to_encrypt, encrypt) = mpsc::channel();
    thread::scope(|s| {
        s.spawn(|| {
            let mut rng = Rng::new(7);
            let mut seq = [0; PEERS];
            for _ in 0..packets {
                let peer = rng.below(PEERS);
                let ready = flag(false);
                to_encrypt.send((peer, Arc::clone(&ready))).unwrap();
                set.enqueue(peer, Packet::new(0, seq[peer], ready));
                seq[peer] += 1;
            }
            drop(to_encrypt);
        });
        s.spawn(|| {
            let mut rng = Rng::new(8);
            for (peer, ready) in encrypt {
                if rng.below(64) == 0 {
                    thread::sleep(Duration::from_micros(100));
                }
                mark_ready(&ready);
                set.notify(peer);
            }
        });
        let mut worker = set.worker().unwrap();
        let mut next = [0; PEERS];
        let (mut sent, mut deferrals) = (0, 0);
        while sent < packets {
            let mut ready = promptly(|| worker.next_timeout_blocking(STALL).map(held))
                .expect("nothing scheduled within the timeout: a notify or enqueue was lost");
            let peer = ready.index();
            // A budget of 8 packets per turn.
            for _ in 0..8 {
                let Some(packet) = ready.peek() else {
                    break;
                };
                if !is_ready(packet) {
                    break;
                }
                let packet = ready.take_peeked().expect("just peeked");
                assert_eq!(packet.seq, next[peer], "peer {peer}: out of order");
                next[peer] += 1;
                sent += 1;
            }
            if ready.try_peek().is_ok_and(|p| !is_ready(p)) {
                deferrals += 1;
                ready.defer_until_notified();
            }
        }
        assert_eq!(next.iter().sum::<usize>(), packets);
        assert!(
            deferrals > 0,
            "the worker never caught up with the encryption thread"
        );
    });
}

// --- Stress -------------------------------------------------------------------------------

const STRESS_PRODUCERS: usize = 3;
/// How many nodes the worker takes from a queue per turn: small, so that busy queues go to the
/// back of the list often.
const STRESS_BUDGET: usize = 4;
/// The capacity of bounded members: small, so that producers are refused.
const STRESS_CAPACITY: usize = 8;
/// Nodes per test, over all producers.
const STRESS_NODES_DEBUG: usize = 150_000;
const STRESS_NODES_RELEASE: usize = 400_000;

/// Thousands of queues (4096, scaled), three producers sending to random queues (now and then a
/// burst into one queue, to use up the budget), one worker that holds up to three guards at once
/// and takes at most `STRESS_BUDGET` nodes per turn. The worker checks that every node arrives
/// exactly once and, per queue, in each producer's order; that a queue handed out is never
/// already held and always has a node; and, when everything has arrived, that nothing is left
/// on the list. It sleeps (`next_blocking`, or `next_timeout` in the watchdog) whenever it holds
/// nothing and nothing is listed, so a lost wake-up stalls it, and the test thread's watchdog
/// (`from_worker`) fails the test.
fn stress_one_worker_many_queues<B: Kind, L: Layout>() {
    let queues = scaled(4096);
    let (per_producer, total) =
        per_producer(STRESS_NODES_DEBUG, STRESS_NODES_RELEASE, STRESS_PRODUCERS);
    let set = Arc::new(B::set::<L>(queues, STRESS_CAPACITY));

    let producers: Vec<_> = (0..STRESS_PRODUCERS)
        .map(|p| {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                // Now and then a pause: the worker is slower than three producers when unbounded.
                let pause = Duration::from_micros(500);
                stress_producer(p, per_producer, queues, 32, pause, |_, index, seq| {
                    // Full (bounded members only): waits for the worker to make room.
                    send_retrying(&set, index, msg(p, seq));
                });
            })
        })
        .collect();

    let mut sleeps = 0;
    let worker = StressWorker::spawn(
        &set,
        MemberOrder::new(queues, STRESS_PRODUCERS, per_producer),
        // Takes more guards while there are some, up to the limit; sleeps for one when holding
        // none, in `next_blocking` every other time.
        move |worker, sleep| {
            if !sleep {
                return worker.try_next().map(held);
            }
            sleeps += 1;
            Some(if sleeps % 2 == 0 {
                held(worker.next_blocking())
            } else {
                promptly(|| worker.next_timeout_blocking(STALL).map(held))
                    .expect("nothing scheduled within the timeout: a wake-up was lost")
            })
        },
        |index, mut ready, order| {
            let mut taken = 0;
            for m in ready.drain().take(STRESS_BUDGET) {
                order.take(index, m.producer, m.seq);
                taken += 1;
            }
            assert!(taken > 0, "queue {index} was handed out without a node");
            taken
        },
    );

    let guards = worker.finish();
    assert!(guards > 0, "the worker took guards");
    assert!(guards <= total, "each guard delivered at least one node");
    for producer in producers {
        producer.join().unwrap();
    }
}
