//! `DynamicSet`: members added and removed while producers and workers run, several owned
//! workers. Behaviour (FIFO per member, the per-member state, closing a member hands later sends
//! back and delivers what was queued, members freed with their last handle, no handle reaching
//! a later member, bounded members, the set's close ending every worker's loop, user wakes, the
//! async form), and stress: producers, churn and several workers, every node delivered once in
//! order or handed back, and nothing leaked (counted drops).
//!
//! A lost wake-up leaves a worker asleep for good; the support watchdogs (`from_worker`,
//! `block_on`) turn that into a failure instead of a hang.
#![cfg(not(loom))]

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread;

use intrusive_mpsc::{node, Bounded, DynamicSet, Link, MemberHandle, Next, SetWorker};
use support::{block_on, from_worker, scaled, CountingWaker, Rng};

/// Counts drops of nodes and states, to show that nothing leaks and nothing is dropped twice.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

impl Drops {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

struct Msg {
    link: Link,
    producer: usize,
    seq: usize,
    drops: Drops,
}
node!(Msg, link, Box<Msg>);

impl Drop for Msg {
    fn drop(&mut self) {
        self.drops.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn msg(producer: usize, seq: usize, drops: &Drops) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        producer,
        seq,
        drops: drops.clone(),
    })
}

/// A member's state that counts its drop.
struct State {
    id: usize,
    seen: Vec<usize>,
    drops: Drops,
}

impl Drop for State {
    fn drop(&mut self) {
        self.drops.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn state(id: usize, drops: &Drops) -> State {
    State {
        id,
        seen: Vec::new(),
        drops: drops.clone(),
    }
}

/// The held member of `next`, or a panic.
macro_rules! ready {
    ($next:expr) => {
        match $next {
            Some(Next::Ready(held)) => held,
            other => panic!("expected a ready member, got {other:?}"),
        }
    };
}

#[test]
fn workers_and_handles_are_send_and_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<SetWorker<Msg, State>>();
    send::<MemberHandle<Msg, State>>();
    sync::<MemberHandle<Msg, State>>();
    send::<DynamicSet<Msg, State, Bounded>>();
    sync::<DynamicSet<Msg, State, Bounded>>();
}

#[test]
fn one_member_in_fifo_order_with_its_state() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let mut worker = set.worker();
    assert!(worker.try_next().is_none(), "nothing added");
    let a = set.add(state(1, &drops));
    let b = set.add(state(2, &drops));
    assert!(worker.try_next().is_none(), "nothing sent");

    for seq in 0..3 {
        a.send(msg(0, seq, &drops)).ok().unwrap();
    }
    b.send(msg(1, 0, &drops)).ok().unwrap();

    // `a` became ready first. A budget of 2, then the back of the line.
    let mut held = ready!(worker.try_next());
    assert_eq!(held.state().id, 1);
    let seqs: Vec<_> = held.drain().take(2).map(|m| m.seq).collect();
    held.state().seen.extend(&seqs);
    drop(held);

    let mut held = ready!(worker.try_next());
    assert_eq!(held.state().id, 2);
    assert_eq!(held.drain().count(), 1);
    drop(held);

    let mut held = ready!(worker.try_next());
    assert_eq!(held.state().id, 1);
    let seq = held.dequeue().unwrap().seq;
    held.state().seen.push(seq);
    assert_eq!(
        held.state().seen,
        [0, 1, 2],
        "the state stays with the member"
    );
    drop(held);
    assert!(worker.try_next().is_none(), "both idle again");
    assert_eq!(drops.count(), 4, "the four messages, dropped once each");

    drop((a, b));
    assert_eq!(drops.count(), 6, "idle members go with their last handle");
}

#[test]
fn a_closed_member_refuses_later_sends_and_delivers_what_was_queued() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let mut worker = set.worker();
    let member = set.add(state(0, &drops));
    let other = member.clone();
    member.send(msg(0, 0, &drops)).ok().unwrap();
    member.close();
    assert!(other.is_closed(), "every handle sees the close");
    let refused = other.send(msg(0, 1, &drops)).unwrap_err();
    assert_eq!(refused.seq, 1, "the very node comes back");
    drop(refused);

    let mut held = ready!(worker.try_next());
    assert!(held.is_closed());
    assert_eq!(
        held.dequeue().map(|m| m.seq),
        Some(0),
        "queued before the close"
    );
    assert!(held.dequeue().is_none());
    drop(held);
    assert!(worker.try_next().is_none());
    drop((member, other));
    assert_eq!(drops.count(), 3, "two messages and the state");
}

#[test]
fn a_worker_closes_the_member_it_holds() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let mut worker = set.worker();
    let member = set.add(state(0, &drops));
    member.send(msg(0, 0, &drops)).ok().unwrap();
    member.send(msg(0, 1, &drops)).ok().unwrap();
    let mut held = ready!(worker.try_next());
    assert_eq!(held.dequeue().unwrap().seq, 0);
    held.close(); // the actor stops after its first message
    assert!(member.send(msg(0, 2, &drops)).is_err());
    drop(held); // one message left: scheduled again
    let mut held = ready!(worker.try_next());
    assert_eq!(held.dequeue().unwrap().seq, 1, "delivered, not lost");
    drop(held);
    drop(member);
    assert_eq!(drops.count(), 4);
}

#[test]
fn a_member_lives_while_scheduled_or_held_and_goes_with_its_last_count() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let mut worker = set.worker();
    let member = set.add(state(0, &drops));
    member.send(msg(0, 0, &drops)).ok().unwrap();
    member.send(msg(0, 1, &drops)).ok().unwrap();
    drop(member); // scheduled: the ready list keeps it
    assert_eq!(drops.count(), 0);

    let mut held = ready!(worker.try_next());
    let handle = held.handle();
    assert_eq!(held.dequeue().unwrap().seq, 0);
    drop(held); // still has a node: back on the list
    drop(handle);
    assert_eq!(drops.count(), 1, "only the message taken");

    let mut held = ready!(worker.try_next());
    assert_eq!(held.dequeue().unwrap().seq, 1);
    assert_eq!(drops.count(), 2);
    drop(held); // empty, no handle: freed with its state
    assert_eq!(drops.count(), 3);
}

#[test]
fn dropping_the_set_with_scheduled_members_drops_their_nodes_and_states() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let worker = set.worker();
    for id in 0..10 {
        let member = set.add(state(id, &drops));
        for seq in 0..3 {
            member.send(msg(id, seq, &drops)).ok().unwrap();
        }
    }
    assert_eq!(drops.count(), 0, "the members are scheduled, so alive");
    drop(worker);
    drop(set);
    assert_eq!(drops.count(), 40, "30 messages and 10 states, once each");
}

#[test]
fn a_handle_never_reaches_a_later_member() {
    // No index, no generation: a handle is its member's allocation. Close and drop members, add
    // new ones (which may reuse the memory); the old handle's clone keeps its own member.
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let mut worker = set.worker();
    let old = set.add(state(0, &drops));
    let stale = old.clone();
    old.close();
    drop(old);
    let new: Vec<_> = (1..100).map(|id| set.add(state(id, &drops))).collect();
    assert!(
        stale.send(msg(0, 0, &drops)).is_err(),
        "still the closed member"
    );
    assert!(new.iter().all(|member| !member.same_member(&stale)));
    assert!(worker.try_next().is_none(), "no new member got the node");
    drop(stale);
    drop(new);
    assert_eq!(drops.count(), 101);
}

#[test]
fn a_bounded_member_hands_back_what_does_not_fit() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State, Bounded>::new();
    let mut worker = set.worker();
    let member = set.add_with_capacity(state(0, &drops), 2);
    member.send(msg(0, 0, &drops)).ok().unwrap();
    member.send(msg(0, 1, &drops)).ok().unwrap();
    assert_eq!(member.send(msg(0, 2, &drops)).unwrap_err().seq, 2);
    let mut held = ready!(worker.try_next());
    assert_eq!(held.dequeue().unwrap().seq, 0);
    drop(held);
    member.send(msg(0, 3, &drops)).ok().unwrap();
    let mut held = ready!(worker.try_next());
    let seqs: Vec<_> = held.drain().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 3]);
}

#[test]
fn closing_the_set_refuses_sends_and_drains_what_is_scheduled_first() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, State>::new();
    let mut worker = set.worker();
    let member = set.add(state(0, &drops));
    member.send(msg(0, 0, &drops)).ok().unwrap();
    set.close();
    assert!(set.is_closed() && member.is_closed());
    assert!(member.send(msg(0, 1, &drops)).is_err());
    let mut held = ready!(worker.try_next());
    assert_eq!(held.dequeue().unwrap().seq, 0);
    drop(held);
    assert!(matches!(worker.try_next(), Some(Next::Closed)));
    assert!(
        matches!(worker.next_blocking(), Next::Closed),
        "never sleeps once closed"
    );
}

#[test]
fn close_wakes_every_sleeping_worker() {
    let set = DynamicSet::<Msg>::new();
    let (reports, from_workers) = mpsc::channel();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let mut worker = set.worker();
            let reports = reports.clone();
            thread::spawn(move || {
                let closed = matches!(worker.next_blocking(), Next::Closed);
                reports.send(closed).unwrap();
            })
        })
        .collect();
    set.close();
    for _ in 0..3 {
        assert!(
            from_worker(&from_workers),
            "each worker's loop ends with Closed"
        );
    }
    threads.into_iter().for_each(|t| t.join().unwrap());
}

#[test]
fn each_wake_is_taken_by_one_worker_before_scheduled_members() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg>::new();
    let mut worker = set.worker();
    let member = set.add(());
    member.send(msg(0, 0, &drops)).ok().unwrap();
    set.wake();
    set.wake();
    assert!(matches!(worker.try_next(), Some(Next::Woken)));
    assert!(matches!(worker.try_next(), Some(Next::Woken)));
    assert_eq!(ready!(worker.try_next()).drain().count(), 1);
    assert!(worker.try_next().is_none());

    // A sleeping worker, woken without a member.
    let (reports, from_thread) = mpsc::channel();
    let mut sleeper = set.worker();
    let thread = thread::spawn(move || {
        let woken = matches!(sleeper.next_blocking(), Next::Woken);
        reports.send(woken).unwrap();
    });
    set.wake();
    assert!(from_worker(&from_thread));
    thread.join().unwrap();
}

#[test]
fn the_async_worker_is_woken_by_a_send_a_wake_and_the_close() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg>::new();
    let mut worker = set.worker();
    let member = set.add(());
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    assert!(worker.poll_next(&mut cx).is_pending());
    member.send(msg(0, 0, &drops)).ok().unwrap();
    assert_eq!(
        counter.wakes(),
        1,
        "the send that scheduled the member woke the task"
    );
    match worker.poll_next(&mut cx) {
        Poll::Ready(Next::Ready(mut held)) => assert_eq!(held.dequeue().unwrap().seq, 0),
        other => panic!("expected the member, got {other:?}"),
    }
    assert!(worker.poll_next(&mut cx).is_pending());
    set.wake();
    assert!(matches!(
        worker.poll_next(&mut cx),
        Poll::Ready(Next::Woken)
    ));

    let closer = set.clone();
    let thread = thread::spawn(move || closer.close());
    assert!(matches!(block_on(worker.next_async()), Next::Closed));
    thread.join().unwrap();
}

/// A send skips waking a sleeper while a worker thread that was notified has not looked yet;
/// a task's notification never counts for that: a task may never be polled again (its future
/// forgotten, or merely stalled), and the sleeping thread must still be woken.
#[test]
fn a_stalled_async_worker_keeps_no_sleeping_thread_from_its_wake_up() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg>::new();
    let (first, second) = (set.add(()), set.add(()));
    let mut stalled = set.worker();
    let (_counter, waker) = CountingWaker::new();
    assert!(stalled
        .poll_next(&mut Context::from_waker(&waker))
        .is_pending());
    // Notifies the task, which is never polled again while the thread works.
    first.send(msg(0, 0, &drops)).ok().unwrap();

    let (reports, from_thread) = mpsc::channel();
    let mut sleeper = set.worker();
    let thread = thread::spawn(move || {
        for _ in 0..2 {
            let Next::Ready(mut held) = sleeper.next_blocking() else {
                panic!("neither woken nor closed")
            };
            reports.send(held.drain().count()).unwrap();
        }
    });
    // The first member was scheduled before the thread looked: it takes it at once.
    assert_eq!(from_worker(&from_thread), 1);
    // Most likely asleep by now; if not, its next look finds the member anyway.
    thread::sleep(std::time::Duration::from_millis(20));
    second.send(msg(0, 1, &drops)).ok().unwrap();
    assert_eq!(
        from_worker(&from_thread),
        1,
        "the sleeping thread was woken"
    );
    thread.join().unwrap();
    drop(stalled);
}

/// A stress member: its state and a flag set while a worker holds it.
type Actor = MemberHandle<Msg, (State, Arc<AtomicBool>)>;

/// Producers send numbered messages to members that churners add and close; several workers
/// serve them. Every message is delivered once, in order per producer and member, or handed
/// back; a member is never held by two workers at once; every message and state is dropped
/// exactly once.
fn stress(workers: usize, producers: usize, per_producer: usize) {
    let drops = Drops::default();
    let set = DynamicSet::<Msg, (State, Arc<AtomicBool>)>::new();
    let members: Arc<std::sync::Mutex<Vec<Actor>>> = Arc::new(std::sync::Mutex::new(
        (0..64)
            .map(|id| set.add((state(id, &drops), Arc::default())))
            .collect(),
    ));
    let delivered = Arc::new(AtomicUsize::new(0));
    let added = Arc::new(AtomicUsize::new(64));

    let worker_threads: Vec<_> = (0..workers)
        .map(|_| {
            let mut worker = set.worker();
            let delivered = Arc::clone(&delivered);
            thread::spawn(move || loop {
                match worker.next_blocking() {
                    Next::Ready(mut held) => {
                        let busy = Arc::clone(&held.state().1);
                        assert!(!busy.swap(true, Ordering::SeqCst), "held by two workers");
                        let mut last: HashMap<usize, usize> = HashMap::new();
                        for _ in 0..8 {
                            let Some(m) = held.dequeue() else { break };
                            // Within one holding, per-producer order; across holdings the
                            // state remembers.
                            let state = &mut held.state().0;
                            let key = m.producer;
                            if let Some(&prev) = last.get(&key) {
                                assert!(prev < m.seq, "FIFO per producer and member");
                            }
                            last.insert(key, m.seq);
                            while state.seen.len() <= key {
                                state.seen.push(0);
                            }
                            assert!(state.seen[key] <= m.seq, "FIFO across holdings");
                            state.seen[key] = m.seq + 1;
                            delivered.fetch_add(1, Ordering::Relaxed);
                        }
                        busy.store(false, Ordering::SeqCst);
                    }
                    Next::Woken => {}
                    Next::Closed => return,
                }
            })
        })
        .collect();

    let producer_threads: Vec<_> = (0..producers)
        .map(|p| {
            let members = Arc::clone(&members);
            let drops = drops.clone();
            thread::spawn(move || {
                let mut rng = Rng::new(p as u64 + 1);
                let mut refused = 0;
                for seq in 0..per_producer {
                    let member = {
                        let members = members.lock().unwrap();
                        members[rng.next() as usize % members.len()].clone()
                    };
                    if member.send(msg(p, seq, &drops)).is_err() {
                        refused += 1;
                    }
                }
                refused
            })
        })
        .collect();

    // Two threads replace members while the producers send: each adds a new member and closes
    // the one it replaces, whose handles producers may still hold.
    let churn = per_producer / 4;
    let churners: Vec<_> = (0..2)
        .map(|c| {
            let members = Arc::clone(&members);
            let set = set.clone();
            let drops = drops.clone();
            let added = Arc::clone(&added);
            thread::spawn(move || {
                let mut rng = Rng::new(99 + c as u64);
                let first = 64 + c * churn;
                for id in first..first + churn {
                    let new = set.add((state(id, &drops), Arc::default()));
                    added.fetch_add(1, Ordering::Relaxed);
                    let old = {
                        let mut members = members.lock().unwrap();
                        let at = rng.next() as usize % members.len();
                        std::mem::replace(&mut members[at], new)
                    };
                    // Closed outside the lock, racing with producers that cloned it.
                    old.close();
                }
            })
        })
        .collect();

    let refused: usize = producer_threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .sum();
    churners.into_iter().for_each(|t| t.join().unwrap());
    set.close();
    worker_threads.into_iter().for_each(|t| t.join().unwrap());
    let sent = producers * per_producer;
    assert_eq!(
        delivered.load(Ordering::Relaxed) + refused,
        sent,
        "every message delivered once or handed back"
    );
    drop(members);
    drop(set);
    assert_eq!(
        drops.count(),
        sent + added.load(Ordering::Relaxed),
        "every message and every state dropped once: nothing leaked"
    );
}

#[test]
fn stress_one_worker() {
    stress(1, 3, scaled(20_000));
}

#[test]
fn stress_three_workers_with_churn() {
    stress(3, 3, scaled(20_000));
}

/// The held member's peek methods, named as on a fixed set's `Ready` guard: a peeked node stays
/// first until taken or dropped, and a guard dropped with it puts the member back on the list.
#[test]
fn held_member_peeks_as_the_fixed_guard_does() {
    let drops = Drops::default();
    let set = DynamicSet::<Msg>::new();
    let member = set.add(());
    for seq in 0..3 {
        member.send(msg(0, seq, &drops)).ok().unwrap();
    }
    let mut worker = set.worker();
    let Some(Next::Ready(mut held)) = worker.try_next() else {
        panic!("scheduled")
    };
    assert_eq!(held.try_peek().map(|m| m.seq).ok(), Some(0));
    assert!(held.drop_peeked(), "the peeked node is dropped");
    assert_eq!(drops.count(), 1);
    assert_eq!(held.try_peek().map(|m| m.seq).ok(), Some(1));
    assert_eq!(held.take_peeked().map(|m| m.seq), Some(1));
    assert_eq!(held.peek().map(|m| m.seq), Some(2));
    drop(held); // the peeked node is still queued: back on the list
    let Some(Next::Ready(mut held)) = worker.try_next() else {
        panic!("rescheduled")
    };
    assert_eq!(held.dequeue().map(|m| m.seq), Some(2));
}

/// Takes the next message out of the one member of `worker`'s set, waiting in `next_blocking`.
fn catch(worker: &mut SetWorker<Msg>) -> Box<Msg> {
    loop {
        match worker.next_blocking() {
            Next::Ready(mut held) => {
                if let Some(msg) = held.dequeue() {
                    return msg;
                }
            }
            Next::Woken | Next::Closed => panic!("never woken or closed"),
        }
    }
}

/// Two threads pass one message back and forth through two sets, each waiting in
/// `next_blocking`: whether the other side's send comes while the worker still looks (its wait
/// before it sleeps) or after it sleeps, the member is delivered, every time. A lost wake-up
/// stops the rally, which the watchdog turns into a failure (the threads are not joined, so a
/// stuck one cannot hang the test).
#[test]
fn ping_pong_between_blocking_workers() {
    let trips = scaled(5_000);
    let drops = Drops::default();
    let (ping, pong) = (DynamicSet::<Msg>::new(), DynamicSet::<Msg>::new());
    let (to_ping, to_pong) = (ping.add(()), pong.add(()));
    let (reports, reported) = mpsc::channel();
    let (mut ping_worker, mut pong_worker) = (ping.worker(), pong.worker());
    let ping_reports = reports.clone();
    let ping_side = to_ping.clone();
    thread::spawn(move || {
        for trip in 0..trips {
            let mut msg = catch(&mut ping_worker);
            assert_eq!(msg.seq, 2 * trip, "ping got the rally's message in turn");
            msg.seq += 1;
            assert!(to_pong.send(msg).is_ok(), "pong's member is open");
        }
        ping_reports.send(trips).unwrap();
    });
    let first = Box::new(Msg {
        link: Link::new(),
        producer: 0,
        seq: 0,
        drops: drops.clone(),
    });
    thread::spawn(move || {
        assert!(ping_side.send(first).is_ok(), "ping's member is open");
        let mut last = None;
        for trip in 0..trips {
            let mut msg = catch(&mut pong_worker);
            assert_eq!(
                msg.seq,
                2 * trip + 1,
                "pong got the rally's message in turn"
            );
            msg.seq += 1;
            if trip + 1 < trips {
                assert!(ping_side.send(msg).is_ok(), "ping's member is open");
            } else {
                last = Some(msg);
            }
        }
        let seq = last.expect("the last trip").seq;
        // Dropped before the report: the count below reads after it.
        reports.send(seq).unwrap();
    });
    let mut ends = [from_worker(&reported), from_worker(&reported)];
    ends.sort_unstable();
    assert_eq!(ends, [trips, 2 * trips], "every trip made, both ways");
    drop((ping, pong, to_ping));
    assert_eq!(drops.count(), 1, "the one message, dropped once");
}
