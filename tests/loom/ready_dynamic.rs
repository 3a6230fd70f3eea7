//! Loom models of the `DynamicSet` protocol: members added and closed while producers send,
//! several workers taking members off one shared ready list, and the set's close waking every
//! sleeping worker.
//!
//! Workers sleep in `next_blocking`, so a lost wake-up shows up as a loom deadlock; a member held
//! by two workers at once as a failed assertion (a flag in its state) or a causality violation on
//! its queue's consumer state or on the state itself; a lost or duplicated node as a failed
//! count.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- ready_dynamic::`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within the
//! bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! Threads that join never sleep on the set themselves: a wake-up that arrives after a worker
//! stopped waiting is legitimate, and loom's `join` would mistake such an unpark of the joining
//! thread for its own notification.
use crate::support::check;
use intrusive_mpsc::{node, DynamicSet, Link, Next};
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

fn state(id: usize) -> (State, Arc<AtomicBool>) {
    let held = Arc::new(AtomicBool::new(false));
    (
        State {
            id,
            next: 0,
            held: Arc::clone(&held),
        },
        held,
    )
}

/// Runs a worker until the set is closed and nothing is scheduled, taking one node per holding
/// (so that every guard's drop decides between re-arming and re-queueing), checking each node
/// against its member's state; returns how many nodes it took.
fn work(mut worker: intrusive_mpsc::SetWorker<Msg, State>) -> usize {
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

/// Preemption bound 2. Member 0 exists; a producer sends a node to it while another thread
/// adds member 1 and sends it one node; one worker takes both. Adding a member touches
/// nothing the other member's producer or the worker use, and the new member's first send
/// schedules it like any other.
///
/// Mutation caught: a new member left unparked (`try_park` skipped in `add_queue`): its first
/// send no longer schedules it, and the worker ends at the close without its node (failed
/// count).
#[test]
fn a_member_added_while_a_producer_sends_to_another() {
    check(2, || {
        let set = DynamicSet::<Msg, State>::new();
        let first = set.add(state(0).0);
        let worker = thread::spawn({
            let worker = set.worker();
            move || work(worker)
        });
        let producer = thread::spawn(move || {
            first.send(msg(0, 0)).ok().unwrap();
        });
        let adder = thread::spawn({
            let set = set.clone();
            move || {
                let second = set.add(state(1).0);
                second.send(msg(1, 0)).ok().unwrap();
            }
        });
        producer.join().unwrap();
        adder.join().unwrap();
        set.close();
        assert_eq!(worker.join().unwrap(), 2, "every node delivered once");
    });
}

/// Preemption bound 3. A producer sends one node to a member while another thread closes the
/// member; a worker serves the set until it is closed (after both are done). The producer gets
/// its node back, or the node is delivered: never both, never neither.
///
/// Mutation caught: a worker that stops at the close without taking what is still scheduled
/// (`find` checking `closed` before popping): an accepted node is never delivered.
#[test]
fn a_member_closed_while_a_producer_sends_to_it() {
    check(3, || {
        let set = DynamicSet::<Msg, State>::new();
        let member = set.add(state(0).0);
        let worker = thread::spawn({
            let worker = set.worker();
            move || work(worker)
        });
        let producer = thread::spawn({
            let member = member.clone();
            move || member.send(msg(0, 0)).is_ok()
        });
        let closer = thread::spawn(move || member.close());
        let accepted = producer.join().unwrap();
        closer.join().unwrap();
        set.close();
        let delivered = worker.join().unwrap();
        assert_eq!(delivered, usize::from(accepted), "delivered iff accepted");
    });
}

/// Preemption bound 2. One member with two nodes, scheduled before the workers start, and a
/// producer sending a third; two workers race for it, one node per holding. The member must
/// never be held by both (the flag in its state, and loom's causality checks on its queue's
/// consumer state and on the state itself), and every node must arrive once, in order.
///
/// Mutation caught: the ready list's hand-off flag taken with `Relaxed` instead of `Acquire`
/// (in `Shared::pop`): two workers' pops of the ready list are no longer ordered, and loom
/// reports a causality violation on the list's consumer state.
#[test]
fn two_workers_race_for_one_ready_member() {
    check(2, || {
        let set = DynamicSet::<Msg, State>::new();
        let member = set.add(state(0).0);
        member.send(msg(0, 0)).ok().unwrap();
        member.send(msg(0, 1)).ok().unwrap();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let worker = set.worker();
                thread::spawn(move || work(worker))
            })
            .collect();
        let producer = thread::spawn(move || member.send(msg(0, 2)).ok().unwrap());
        producer.join().unwrap();
        set.close();
        let taken: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(taken, 3, "every node delivered once");
    });
}

/// Preemption bound 3. Two workers with nothing to do go to sleep; the set's close must wake
/// both, and each must end its loop.
///
/// Mutation caught: `close` waking one sleeper (`notify(1)`) instead of all: the other
/// sleeps for good (deadlock).
#[test]
fn close_wakes_every_sleeping_worker() {
    check(3, || {
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

/// Preemption bound 3. A worker sleeping with nothing scheduled is woken by a user's `wake`,
/// without a member, while a producer schedules a member: the worker gets both the wake and
/// the member, in either order.
///
/// Mutation caught: `wake` publishing its pending count after notifying instead of before: the
/// notified worker can look before the count is there, find nothing, and sleep through the wake
/// for good (deadlock).
#[test]
fn a_wake_reaches_a_sleeping_worker_without_a_member() {
    check(3, || {
        let set = DynamicSet::<Msg, State>::new();
        let member = set.add(state(0).0);
        let worker = thread::spawn({
            let mut worker = set.worker();
            move || {
                let (mut woken, mut taken) = (false, 0);
                while !(woken && taken == 1) {
                    match worker.next_blocking() {
                        Next::Woken => woken = true,
                        Next::Ready(mut held) => {
                            taken += held.drain().count();
                        }
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
