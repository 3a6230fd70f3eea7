//! Loom models of a `ReadySet` over `'static` members (`ReadySet::from_static`): the hand-over of
//! members from a set dropped on one thread to a set claimed on another, and two sets racing to
//! claim overlapping members.
//!
//! The scheduling protocol itself is the one `ready.rs` and `ready_defer.rs` model; what
//! is new here is the claim: every member's consumer flag, taken by the new set and given back by
//! its drop. A missing happens-before between the two sets' uses of a member shows up as a loom
//! causality violation on the queue's consumer state; a member left with nodes but unscheduled by
//! the new set as a failed count; two sets holding one member as a failed assertion.
//!
//! The `const` set (`StaticReadySet`) starts with every member idle: its member queues are built
//! with the park mark already in `head` (`RawQueue::new_parked`), as if a consumer had parked on
//! each, so the first enqueue into a member schedules it. `const_set_first_enqueues_schedule_once`
//! models two producers racing to end one member's first idle period while the worker looks.
//! Mutation it catches: building the members with `RawQueue::new` instead of `new_parked` in
//! `Queue::from_parts` (so `head` holds the plain stub): no enqueue ever schedules a member, and
//! the model fails "every node delivered" (checked: fails at once, in the first interleaving).
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- ready_static::`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within the
//! bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
use crate::support::{check, msg, Msg};
use intrusive_mpsc::{Member, Next, ReadySet, StaticReadySet, TryDequeueError};
use loom::thread;

/// `count` unclaimed members in `'static` storage. (Under loom `Member::new` is not `const`, so
/// they cannot be a `static` array; leaking them gives the same `&'static` slice.)
fn members(count: usize) -> &'static [Member<Msg>] {
    Box::leak((0..count).map(|_| Member::new()).collect::<Box<[_]>>())
}

/// Preemption bound 3. A set on another thread sends two nodes to member 0 and one to member 1,
/// takes one node, and is dropped; meanwhile the main thread tries to claim the same members
/// until it can. The new set must schedule both members that still have nodes, and its worker
/// must see the queues as the old set left them (the flag's Release by the drop, Acquire by the
/// claim).
#[test]
fn members_handed_from_a_dropped_set_to_the_next() {
    check(3, || {
        let members = members(2);
        let first = ReadySet::from_static(members).unwrap();
        let old = thread::spawn(move || {
            first.enqueue(0, msg(0, 0));
            first.enqueue(1, msg(0, 0));
            first.enqueue(0, msg(0, 1));
            let mut worker = first.worker().unwrap();
            let mut ready = worker.next().expect("member 0 is scheduled");
            let taken = (ready.index(), ready.dequeue().map(|m| m.seq));
            drop(ready);
            drop(worker);
            drop(first);
            taken
        });

        let second = loop {
            if let Some(set) = ReadySet::from_static(members) {
                break set;
            }
            thread::yield_now();
        };
        let (index, seq) = old.join().unwrap();
        assert_eq!(
            (index, seq),
            (0, Some(0)),
            "the first set served member 0 first"
        );

        // Member 0 keeps its second node, member 1 its only one: both scheduled at once.
        let mut worker = second.worker().unwrap();
        let mut left = [Vec::new(), Vec::new()];
        for mut ready in worker.by_ref() {
            let index = ready.index();
            left[index].extend(ready.drain().map(|m| m.seq));
        }
        assert_eq!(left, [vec![1], vec![0]], "every node left, once, in order");
    });
}

/// Preemption bound 3. Two threads claim overlapping parts of three members (`0..2` and `1..3`):
/// at most one set may hold member 1, and one of them gets it (the claims go in address order
/// and give back what they took when refused, so they cannot refuse each other); the refused one
/// keeps nothing.
#[test]
fn overlapping_claims_race() {
    check(3, || {
        let members = members(3);
        // The other thread's set, if any, lives until both claims are decided.
        let other = thread::spawn(move || ReadySet::from_static(&members[1..]));
        let mine = ReadySet::from_static(&members[..2]);
        let theirs = other.join().unwrap();
        match (mine.is_some(), theirs.is_some()) {
            (true, false) | (false, true) => {}
            (true, true) => panic!("two sets hold member 1"),
            (false, false) => panic!("each claim refused the other"),
        }
        // The refused claim gave back what it took: once the winner is gone, all are free.
        drop((mine, theirs));
        assert!(
            ReadySet::from_static(members).is_some(),
            "a refused claim kept a member"
        );
    });
}

/// Preemption bound 3. A `const` set (leaked for `'static`: under loom its constructor is not
/// `const`) whose members start idle. Two producers send their first node to member 0 at once,
/// and producer 1 one to member 1, while the worker takes what it can find; once they are done,
/// it takes the rest. Exactly one producer's swap ends member 0's first idle period: its nodes
/// come out once each, from one listing at a time, and member 1's node too.
#[test]
fn const_set_first_enqueues_schedule_once() {
    check(3, || {
        let set: &'static StaticReadySet<Msg, 2> = Box::leak(Box::new(StaticReadySet::new()));
        let producers: Vec<_> = (0..2)
            .map(|producer| {
                thread::spawn(move || {
                    set.enqueue(0, msg(producer, 0));
                    if producer == 1 {
                        set.enqueue(1, msg(producer, 0));
                    }
                })
            })
            .collect();

        let mut worker = set.worker().unwrap();
        let mut got: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        // One look while the producers run: never waits on a producer mid-enqueue.
        if let Some(Next::Ready(mut ready)) = worker.try_next() {
            let index = ready.index();
            loop {
                match ready.try_dequeue() {
                    Ok(m) => got[index].push(m.producer),
                    Err(TryDequeueError::Empty) => break,
                    // Dropping the guard puts the member back: its node is on its way.
                    Err(TryDequeueError::Inconsistent) => break,
                }
            }
        }
        producers.into_iter().for_each(|p| p.join().unwrap());
        for mut ready in worker.by_ref() {
            let index = ready.index();
            got[index].extend(ready.drain().map(|m| m.producer));
        }
        got[0].sort_unstable();
        assert_eq!(got, [vec![0, 1], vec![1]], "every node delivered, once");
        assert!(worker.try_next().is_none(), "nothing listed twice");
    });
}
