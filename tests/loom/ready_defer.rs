//! Loom models of `Ready::defer_until_notified` and `ReadySet::notify`: a worker that peeked an
//! oldest packet which is not ready yet leaves its queue unscheduled until the thread that makes
//! the packet ready (marking it with Release) calls `notify`.
//!
//! The worker sleeps in `next_blocking` after each deferral, so a lost wake-up (a deferred queue
//! that a notify should have scheduled, or a notify swallowed by the deferral it raced) shows up
//! as a loom deadlock; a notify that does not publish the packet's ready state shows up the same
//! way (the worker defers again on a stale flag); a queue scheduled twice as a guard listed while
//! the queue is held, or left listed at the end; a missing happens-before between the guard that
//! deferred and the next one as a loom causality violation on the queue's consumer state.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- ready_defer::`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within the
//! bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! As in `ready.rs`, the models do not join their threads: a wake-up that arrives after the
//! worker stopped waiting is legitimate, and loom's `join` mistakes such an unpark of the joining
//! thread for its own notification. A model that must know its notifiers are done waits for a
//! counter instead.
use crate::support::{check, flag, held, is_ready, mark_ready, packet, Packet};
use intrusive_mpsc::{Ready, ReadySet, Worker};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::Ordering::{Acquire, Release};

/// What an encryption thread does when it is done with a packet of member `index`.
fn mark_ready_and_notify(set: &ReadySet<Packet>, index: usize, ready: &AtomicBool) {
    // `notify` must carry the flag's Release (in `mark_ready`) to the worker.
    mark_ready(ready);
    set.notify(index);
}

/// The most deferrals a model's worker may make: each ends with one notify (or is failed by one),
/// so a worker that defers more often than its model has notifies, plus one, deferred on a state
/// that a notify should have changed.
fn deferrals_allowed(notifies: usize) -> usize {
    notifies + 1
}

/// The worker's side: starting from `ready`, takes `packets` packets of member 0 in order,
/// deferring the queue whenever its oldest packet is not ready and sleeping in `next_blocking`
/// for the next guard (a lost wake-up is a deadlock). Returns the guard that took the last packet,
/// still held, and how many times it deferred.
fn take_in_order<'s>(
    worker: &mut Worker<'s, Packet>,
    mut ready: Ready<'s, Packet>,
    packets: usize,
    notifies: usize,
) -> (Ready<'s, Packet>, usize) {
    let (mut taken, mut deferrals) = (0, 0);
    loop {
        match ready.peek() {
            Some(oldest) if is_ready(oldest) => {
                let p = ready.take_peeked().expect("peeked");
                assert_eq!(p.seq, taken, "packets out of order, lost or duplicated");
                taken += 1;
                if taken == packets {
                    return (ready, deferrals);
                }
            }
            Some(_) => {
                deferrals += 1;
                assert!(
                    deferrals <= deferrals_allowed(notifies),
                    "deferred {deferrals} times with {notifies} notifies: a notify was forgotten \
                     or did not publish the packet's ready state"
                );
                ready.defer_until_notified();
                ready = held(worker.next_blocking());
            }
            None => {
                // Emptied, with packets still to come: re-armed, their enqueue schedules it.
                drop(ready);
                ready = held(worker.next_blocking());
            }
        }
        assert_eq!(ready.index(), 0);
    }
}

/// Everything has arrived and every guard is dropped: nothing may be left on the ready list. (The
/// iterator, not `try_next`: it waits out an entry that is still being linked, which `try_next`
/// would report as nothing now.)
fn nothing_listed(worker: &mut Worker<'_, Packet>) {
    assert!(
        worker.next().is_none(),
        "a queue is still listed after everything arrived: scheduled twice"
    );
}

/// Enqueues packet 0 of producer 0, not ready, into member 0 of `set`, and returns its flag.
fn enqueue_unready(set: &ReadySet<Packet>) -> Arc<AtomicBool> {
    let ready0 = flag(false);
    set.enqueue(0, packet(0, 0, &ready0));
    ready0
}

/// A set of one member holding one packet, not ready ([`enqueue_unready`]), and its flag.
fn one_unready_member() -> (Arc<ReadySet<Packet>>, Arc<AtomicBool>) {
    let set = Arc::new(ReadySet::<Packet>::new(1));
    let ready0 = enqueue_unready(&set);
    (set, ready0)
}

/// The guard the enqueue scheduled, whose oldest packet nobody has marked ready yet.
fn first_guard_unready<'s>(worker: &mut Worker<'s, Packet>) -> Ready<'s, Packet> {
    let mut ready = worker.next().expect("scheduled by the enqueue");
    assert!(!ready.peek().is_some_and(is_ready), "nobody marked it yet");
    ready
}

/// Defers `ready` (member 0's guard) and sleeps in `next_blocking` for the next guard, which must
/// be member 0's again.
fn defer_and_sleep<'s>(
    worker: &mut Worker<'s, Packet>,
    ready: Ready<'s, Packet>,
) -> Ready<'s, Packet> {
    ready.defer_until_notified();
    let ready = held(worker.next_blocking());
    assert_eq!(ready.index(), 0);
    ready
}

/// [`take_in_order`], then drops the last guard: nothing may be left listed.
fn take_all_then_nothing_listed<'s>(
    worker: &mut Worker<'s, Packet>,
    ready: Ready<'s, Packet>,
    packets: usize,
    notifies: usize,
) {
    let (ready, _) = take_in_order(worker, ready, packets, notifies);
    drop(ready);
    nothing_listed(worker);
}

/// Preemption bound 3. The worker holds a queue whose only packet is not ready, and defers it
/// while an encryption thread marks the packet ready and notifies: the notify lands before the
/// worker's look, between its look and its deferral (the deferral must fail and reschedule at
/// once, and the worker must then see the packet ready), or after the deferral (it must schedule
/// the queue and wake the worker, which sleeps in `next_blocking`). A lost wake-up is a deadlock.
#[test]
fn a_notify_racing_the_deferral_is_not_lost() {
    check(6, || {
        let (set, ready0) = one_unready_member();
        let mut worker = set.worker().unwrap();
        let ready = worker.next().expect("scheduled by the enqueue");
        {
            let set = Arc::clone(&set);
            thread::spawn(move || mark_ready_and_notify(&set, 0, &ready0));
        }
        // A notify still to come finds the queue idle (or held) and schedules nothing.
        take_all_then_nothing_listed(&mut worker, ready, 1, 1);
    });
}

/// Preemption bound 3. Two notifiers race one deferral: the encryption thread of the oldest
/// packet (marks it ready, then notifies) and that of a later packet (only notifies, so the
/// worker may find the oldest still not ready and defer again). Whatever the order, the queue is
/// scheduled exactly once per deferral: once the worker has the packet, it keeps the guard until
/// both notifiers are done, and the queue must not be listed meanwhile, nor after the guard is
/// dropped.
#[test]
fn two_notifiers_racing_one_deferral_schedule_the_queue_once() {
    check(3, || {
        let (set, ready0) = one_unready_member();
        let mut worker = set.worker().unwrap();
        let ready = first_guard_unready(&mut worker);
        let done = Arc::new(AtomicUsize::new(0));
        for oldest in [true, false] {
            let (set, ready0, done) = (Arc::clone(&set), Arc::clone(&ready0), Arc::clone(&done));
            thread::spawn(move || {
                if oldest {
                    mark_ready_and_notify(&set, 0, &ready0);
                } else {
                    set.notify(0);
                }
                // Release: the worker's Acquire load below sees this notify finished.
                done.fetch_add(1, Release);
            });
        }
        let ready = defer_and_sleep(&mut worker, ready);
        let (ready, _) = take_in_order(&mut worker, ready, 1, 2);
        while done.load(Acquire) < 2 {
            thread::yield_now();
        }
        assert!(
            worker.next().is_none(),
            "the held queue is listed too: scheduled twice"
        );
        drop(ready);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 3. The worker defers a queue at its oldest packet (not ready) while a producer
/// enqueues a second packet (ready) into it and the encryption thread marks the first ready and
/// notifies. The enqueue must not schedule the deferred queue (a queue scheduled twice shows up
/// as a listed guard at the end, or as a guard handed out while one is held), the notify must,
/// and both packets must arrive in order whether the second lands while the queue is held,
/// deferred, listed or idle again.
#[test]
fn a_notify_races_an_enqueue_into_the_deferred_queue() {
    check(4, || {
        let (set, ready0) = one_unready_member();
        let mut worker = set.worker().unwrap();
        let ready = first_guard_unready(&mut worker);
        {
            let set = Arc::clone(&set);
            thread::spawn(move || set.enqueue(0, packet(0, 1, &flag(true))));
        }
        {
            let set = Arc::clone(&set);
            thread::spawn(move || mark_ready_and_notify(&set, 0, &ready0));
        }
        let ready = defer_and_sleep(&mut worker, ready);
        take_all_then_nothing_listed(&mut worker, ready, 2, 1);
    });
}

/// Preemption bound 3. The guard is sent to another thread, which peeks and defers it there while
/// the encryption thread marks the packet ready and notifies; the worker then takes the queue on
/// its own thread. The guard that takes the packet must see everything the deferring guard did to
/// the queue: the happens-before runs from the deferral's compare-exchange through the notify's
/// swap and the ready list (a missing link shows up as a causality violation on the queue's
/// `tail`), or, when the notify came first, through the failed deferral's own rescheduling.
///
/// The guard borrows the set and loom's threads need `'static` values, so the set is leaked (one
/// small allocation per execution, with no packet left in it).
#[test]
fn a_deferral_on_another_thread_hands_the_queue_to_the_notified_worker() {
    check(5, || {
        let set: &'static ReadySet<Packet> = Box::leak(Box::new(ReadySet::new(1)));
        let ready0 = enqueue_unready(set);
        let mut worker = set.worker().unwrap();
        let first = worker.next().expect("scheduled by the enqueue");
        thread::spawn(move || {
            let mut first = first;
            // Peeking moves the queue's `tail` on this thread.
            if !first.peek().is_some_and(is_ready) {
                first.defer_until_notified();
            }
            // Ready already: dropping the guard puts the queue back on the list.
        });
        thread::spawn(move || mark_ready_and_notify(set, 0, &ready0));
        let ready = held(worker.next_blocking());
        assert_eq!(ready.index(), 0);
        take_all_then_nothing_listed(&mut worker, ready, 1, 1);
    });
}
