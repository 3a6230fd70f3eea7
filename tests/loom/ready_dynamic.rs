//! Loom models of the `DynamicSet` protocol: members added and closed while producers send,
//! several workers taking members off one shared ready list, and the set's close and wake
//! reaching sleeping workers.
//!
//! Workers sleep in `next_blocking`, so a lost wake-up shows up as a loom deadlock; a member held
//! by two workers at once as a failed assertion (a flag in its state) or a causality violation on
//! its queue's consumer state or on the state itself; a lost or duplicated node as a failed
//! count.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- ready_dynamic::`.
//!
//! Each model has one or two spawned threads besides the main one, and states its preemption bound
//! beside it. Loom explores every interleaving within the bound, not every weak-memory
//! reordering: a pass is strong evidence, not a proof.
//!
//! The main thread never sleeps on the set itself (it only adds, sends, closes and joins): a
//! wake-up that arrives after a worker stopped waiting is legitimate, and loom's `join` would
//! mistake such an unpark of the joining thread for its own notification.
//!
//! # Mutations caught
//!
//! Each change below, applied to the library alone, makes the model beside it fail (checked by
//! applying it and running the model, then reverting):
//!
//! | Change in `src/ready/dynamic/` | Model that fails | How |
//! |---|---|---|
//! | `Cell::new` (`member.rs`) leaves the new queue unparked (`try_park` not called) | `a_member_added_while_a_producer_sends_to_another` | the new member's first send does not schedule it: the worker ends at the close one node short |
//! | `SetWorker::find` (`worker.rs`) drops the entry of a member that is closed and pops again, instead of handing the member out | `a_member_closed_while_a_producer_sends_to_it` | a send accepted before the close is neither delivered nor handed back |
//! | `Shared::pop` (`list.rs`) takes `popping` with `Relaxed` instead of `Acquire` | `two_workers_race_for_one_ready_member` | two workers' pops of the ready list are unordered: causality violation on the list's consumer state |
//! | `DynamicSet::close` (`mod.rs`) notifies one sleeper (`notify(1)`) instead of all | `close_wakes_every_sleeping_worker` | the other worker sleeps for good: deadlock |
//! | `DynamicSet::wake` (`mod.rs`) adds to `wakes` after notifying instead of before | `a_wake_reaches_a_sleeping_worker_without_a_member` | the notified worker looks before the wake is there and sleeps through it: deadlock |
//! | `SetWorker::find` (`worker.rs`) does not wake the next sleeper when it takes an entry and sees more | `a_second_member_reaches_the_second_sleeping_worker` | the second send skipped the wake-up for the woken worker's look, which took the first member: the other worker sleeps, deadlock |
//!
//! And in the wait list the set's workers sleep on (`src/policy/waiters.rs`):
//!
//! | Change in `Waiters` | Model that fails | How |
//! |---|---|---|
//! | `poll` does not decrement the count of woken threads when it takes a notification | both `a_second_member_reaches_the_second_sleeping_worker` and `a_worker_that_leaves_with_an_unused_notification_is_woken_again` | the count stays up, every later send skips its wake-up: deadlock |
//! | `leave` does not decrement it for an entry that leaves notified | `a_worker_that_leaves_with_an_unused_notification_is_woken_again` | the second send finds the count up and skips waking the sleeping worker: deadlock |
//! | `wake_with` does not increment it when it notifies a thread | both models above | `poll`'s decrement wraps the count: every later send skips: deadlock |
//! | `notify_unless_woken` reads the counts without its `SeqCst` fence | both models above | a send reads the counts from before the worker armed: deadlock |
//! | `poll` skips its `SeqCst` fence after taking a notification | both models above | the woken worker's look misses an entry whose send counted on it: deadlock |
//!
//! Counting woken tasks as well as threads (a stalled or forgotten task would hold back every
//! later wake-up) is caught by `a_stalled_async_worker_keeps_no_sleeping_thread_from_its_wake_up`
//! in `tests/ready_dynamic.rs`, outside loom (the sleeping thread's watchdog fires).
use crate::support::check;
use intrusive_mpsc::{node, DynamicSet, Link, Next, SetWorker};
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::Arc;
use loom::thread;

struct Msg {
    link: Link,
    member: usize,
    seq: usize,
}
node!(Msg, link, Box<Msg>);

fn msg(member: usize, seq: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        member,
        seq,
    })
}

/// A member's state: its id, the next sequence number it expects, and a flag set while a worker
/// holds it (a second holder fails the swap).
struct State {
    id: usize,
    next: usize,
    held: Arc<AtomicBool>,
}

fn state(id: usize) -> State {
    State {
        id,
        next: 0,
        held: Arc::new(AtomicBool::new(false)),
    }
}

/// Runs a worker until the set is closed and nothing is scheduled, taking one node per holding
/// (so that every guard's drop decides between re-arming and re-queueing), checking each node
/// against its member's state; returns how many nodes it took.
fn work(mut worker: SetWorker<Msg, State>) -> usize {
    let mut taken = 0;
    loop {
        match worker.next_blocking() {
            Next::Ready(mut held) => {
                let state = held.state();
                assert!(
                    !state.held.swap(true, SeqCst),
                    "a member held by two workers"
                );
                let id = state.id;
                let m = held
                    .dequeue()
                    .expect("a member was handed out without a node: scheduled twice");
                let state = held.state();
                assert_eq!(m.member, id, "a node reached another member");
                assert_eq!(m.seq, state.next, "lost, duplicated or reordered");
                state.next += 1;
                state.held.store(false, SeqCst);
                taken += 1;
            }
            Next::Woken => {}
            Next::Closed => return taken,
        }
    }
}

/// Preemption bound 3. Member 0 exists; a producer thread sends it a node while the main thread
/// adds member 1 and sends it a node; a worker thread serves the set until the main thread
/// closes it. Adding a member touches nothing the other member's producer or the worker use,
/// and the new member's first send schedules it like any other: the worker takes both nodes.
#[test]
fn a_member_added_while_a_producer_sends_to_another() {
    check(3, || {
        let set = DynamicSet::<Msg, State>::new();
        let first = set.add(state(0));
        let worker = thread::spawn({
            let worker = set.worker();
            move || work(worker)
        });
        let producer = thread::spawn(move || first.send(msg(0, 0)).ok().unwrap());
        let second = set.add(state(1));
        second.send(msg(1, 0)).ok().unwrap();
        producer.join().unwrap();
        set.close();
        assert_eq!(worker.join().unwrap(), 2, "every node delivered once");
    });
}

/// Preemption bound 4. A producer thread sends one node to a member while the main thread closes
/// the member; a worker thread serves the set until the main thread closes it, after the
/// producer is done. The producer gets its node back, or the node is delivered: never both,
/// never neither.
#[test]
fn a_member_closed_while_a_producer_sends_to_it() {
    check(4, || {
        let set = DynamicSet::<Msg, State>::new();
        let member = set.add(state(0));
        let worker = thread::spawn({
            let worker = set.worker();
            move || work(worker)
        });
        let producer = thread::spawn({
            let member = member.clone();
            move || member.send(msg(0, 0)).is_ok()
        });
        member.close();
        let accepted = producer.join().unwrap();
        set.close();
        let delivered = worker.join().unwrap();
        assert_eq!(delivered, usize::from(accepted), "delivered iff accepted");
    });
}

/// Preemption bound 3. One member with two nodes, scheduled before the workers start, and the
/// main thread sending a third; two worker threads race for the member, one node per holding.
/// The member must never be held by both (the flag in its state, and loom's causality checks on
/// its queue's consumer state and on the state itself), and every node must arrive once, in
/// order.
#[test]
fn two_workers_race_for_one_ready_member() {
    check(3, || {
        let set = DynamicSet::<Msg, State>::new();
        let member = set.add(state(0));
        member.send(msg(0, 0)).ok().unwrap();
        member.send(msg(0, 1)).ok().unwrap();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let worker = set.worker();
                thread::spawn(move || work(worker))
            })
            .collect();
        member.send(msg(0, 2)).ok().unwrap();
        set.close();
        let taken: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(taken, 3, "every node delivered once");
    });
}

/// Preemption bound 4. Two worker threads with nothing to do go to sleep; the set's close, from
/// the main thread, must wake both, and each must end its loop.
#[test]
fn close_wakes_every_sleeping_worker() {
    check(4, || {
        let set = DynamicSet::<Msg, State>::new();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let worker = set.worker();
                thread::spawn(move || work(worker))
            })
            .collect();
        set.close();
        for worker in workers {
            assert_eq!(worker.join().unwrap(), 0);
        }
    });
}

/// Preemption bound 4. A worker thread sleeping with nothing scheduled is woken by the main
/// thread's `wake`, without a member, while a producer thread schedules a member: the worker gets
/// both the wake and the member, in either order.
#[test]
fn a_wake_reaches_a_sleeping_worker_without_a_member() {
    check(4, || {
        let set = DynamicSet::<Msg, State>::new();
        let member = set.add(state(0));
        let worker = thread::spawn({
            let mut worker = set.worker();
            move || {
                let (mut woken, mut taken) = (false, 0);
                while !(woken && taken == 1) {
                    match worker.next_blocking() {
                        Next::Woken => woken = true,
                        Next::Ready(mut held) => taken += held.drain().count(),
                        Next::Closed => unreachable!("not closed"),
                    }
                }
            }
        });
        let producer = thread::spawn(move || member.send(msg(0, 0)).ok().unwrap());
        set.wake();
        producer.join().unwrap();
        worker.join().unwrap();
    });
}

/// Preemption bound 2. Two worker threads with nothing to do go to sleep; the main thread
/// schedules two members, one node each. A worker that takes a member holds it until the other
/// member is taken too (a rendezvous on a loom condition variable), so the second member can
/// only be taken by the other worker: it must be woken for it, by the second send or by the
/// hand-on of the worker that took the first (a send skips the notification while a notified
/// worker thread has not looked yet). A member left on the ready list while a worker sleeps
/// un-notified shows up as a deadlock.
#[test]
fn a_second_member_reaches_the_second_sleeping_worker() {
    use loom::sync::{Condvar, Mutex};
    check(2, || {
        let set = DynamicSet::<Msg, State>::new();
        let members = [set.add(state(0)), set.add(state(1))];
        let taken = Arc::new((Mutex::new(0), Condvar::new()));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let mut worker = set.worker();
                let taken = Arc::clone(&taken);
                thread::spawn(move || {
                    let Next::Ready(mut held) = worker.next_blocking() else {
                        unreachable!("neither closed nor woken");
                    };
                    let (count, changed) = &*taken;
                    let mut count = count.lock().unwrap();
                    *count += 1;
                    changed.notify_all();
                    while *count < 2 {
                        count = changed.wait(count).unwrap();
                    }
                    drop(count);
                    held.drain().count()
                })
            })
            .collect();
        for (id, member) in members.iter().enumerate() {
            member.send(msg(id, 0)).ok().unwrap();
        }
        for worker in workers {
            assert_eq!(worker.join().unwrap(), 1, "one member each");
        }
    });
}

/// Preemption bound 3. One worker thread takes two members that the main thread schedules one
/// after the other. The first send may notify the worker after it joined the sleepers' list and
/// before its look finds that very member: it leaves the list with a notification it did not use
/// (passed on, to nobody), and must not be counted as a woken thread that has yet to look, or
/// the second send, finding it counted, would skip waking it once it sleeps: a deadlock.
#[test]
fn a_worker_that_leaves_with_an_unused_notification_is_woken_again() {
    check(3, || {
        let set = DynamicSet::<Msg, State>::new();
        let members = [set.add(state(0)), set.add(state(1))];
        let worker = thread::spawn({
            let mut worker = set.worker();
            move || {
                let mut taken = 0;
                while taken < 2 {
                    match worker.next_blocking() {
                        Next::Ready(mut held) => taken += held.drain().count(),
                        Next::Woken | Next::Closed => unreachable!("neither woken nor closed"),
                    }
                }
            }
        });
        for (id, member) in members.iter().enumerate() {
            member.send(msg(id, 0)).ok().unwrap();
        }
        worker.join().unwrap();
    });
}
