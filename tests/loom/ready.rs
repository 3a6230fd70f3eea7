//! Loom models of the `ReadySet` protocol: a queue is scheduled by the producer whose enqueue ends
//! its idle period, drained by the worker through a `Ready` guard, and re-armed (or sent to the
//! back of the list) when the guard is dropped.
//!
//! The worker sleeps in `next_blocking`, so a lost wake-up (a queue with a node that is neither
//! scheduled nor held) shows up as a loom deadlock; a queue scheduled twice shows up as a second
//! guard for a queue already held, or as a guard with no node; a lost or duplicated node as a
//! failed assertion; a missing happens-before between two guards of one queue as a loom causality
//! violation on the queue's consumer state.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- ready::`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within the
//! bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! As in `wait.rs`, the models do not join their threads (loom runs every thread to its end
//! anyway): a wake-up that arrives after the worker stopped waiting is legitimate, and loom's
//! `join` mistakes such an unpark of the joining thread for its own notification.
//!
//! # Close and wake
//!
//! The last three models race the set's `close` and `wake` against a worker that is about to
//! sleep (in `next_blocking`, or in `next_async`): a close or wake slept through is a deadlock,
//! and a `Closed` that comes before a member scheduled before the close is a failed count. Each
//! change below, applied to the library alone, makes the models beside it fail (checked by
//! applying it and running each model alone, then reverting):
//!
//! | Change in `src/ready/` | Models that fail | How |
//! |---|---|---|
//! | `Sealed::close_set` (`fixed.rs`) sets the flag but does not wake the ready list's waker | `a_close_reaches_a_worker_about_to_sleep`, `a_close_reaches_an_async_worker` | the worker sleeps through the close: deadlock |
//! | `Sealed::close_set` wakes the waker before setting the flag instead of after | the same two | the woken worker looks before the flag is set and sleeps again: deadlock |
//! | `Sealed::wake_set` (`fixed.rs`) adds to the count but does not wake the waker | `each_wake_ends_one_wait_of_a_worker_about_to_sleep` | the worker sleeps through the wake: deadlock |
//! | `Worker::step_with` (`worker.rs`) registers its waker but does not look at the wakes and the close again (`Signals::pending`) before marking the list asleep | all three (re-checked after the look was narrowed to the signals: `a_close_reaches_an_async_worker`) | a close or wake between the look and the registration is seen by neither: deadlock |
//! | `Signals::closed_for_worker` (`fixed.rs`) loads the flag with `Relaxed` instead of `Acquire` | `a_close_reaches_a_worker_about_to_sleep`, `a_close_reaches_an_async_worker` | the worker sees the close but not the member scheduled before it: `Closed` with the node undelivered, a failed count |
use crate::support::{check, flag, held, is_ready, mark_ready, msg, Msg, Packet};
use intrusive_mpsc::{
    Bounded, Capacity, Compact, Layout, Next, Node, Padded, Ready, ReadySet, Unbounded, Worker,
};
use loom::sync::Arc;
use loom::thread;

/// Takes one node out of a guard (a budget of 1, so that every guard's drop has to decide
/// between re-arming and re-queueing while producers may still be sending), and checks it
/// against what already came from its producer through that queue: `next[queue][producer]` is
/// one more than the last sequence number seen there, so a duplicate or a reordering fails here
/// and a loss shows in the final values (or as a deadlock).
fn take_one<B: Capacity, L: Layout>(ready: &mut Ready<'_, Msg, B, L>, next: &mut [[usize; 2]]) {
    let index = ready.index();
    let m = ready
        .dequeue()
        .expect("a queue was handed out without a node: scheduled when it should not be");
    assert!(
        m.seq >= next[index][m.producer],
        "queue {index}, producer {}: {} after {} (duplicated or reordered)",
        m.producer,
        m.seq,
        next[index][m.producer]
    );
    next[index][m.producer] = m.seq + 1;
}

/// Everything has arrived and every guard is dropped: nothing may be left on the ready list. (The
/// iterator, not `try_next`: it waits out an entry that is still being linked, which `try_next`
/// would report as nothing now.)
fn nothing_listed<N: Node, B: Capacity, L: Layout>(worker: &mut Worker<'_, N, B, L>) {
    assert!(
        worker.next().is_none(),
        "a queue is still listed after everything arrived: scheduled twice"
    );
}

/// One `#[test]` per layout for each model `fn f<L: Layout>()`: `f::compact` and `f::padded` (the
/// padded layout keeps the stub's link beside `head`, so the re-arm's park and the producers'
/// links behind the stub go through a different field).
macro_rules! both_layouts {
    ($($f:ident),+ $(,)?) => {$(
        mod $f {
            #[test]
            fn compact() {
                super::$f::<super::Compact>();
            }

            #[test]
            fn padded() {
                super::$f::<super::Padded>();
            }
        }
    )+};
}

both_layouts!(
    a_producer_races_the_rearm,
    a_queue_over_budget_is_requeued_while_a_producer_enqueues,
    a_guard_dropped_on_another_thread_hands_the_queue_back,
);

/// Preemption bound 5. One queue, one producer sending two nodes, a worker taking one node per
/// guard: the producer's second enqueue races the drop of the first guard, which must either
/// re-arm the queue (then that enqueue schedules it) or re-queue it (when the node is already
/// there, or its producer is mid-enqueue). Neither may lose the node.
fn a_producer_races_the_rearm<L: Layout>() {
    check(5, || {
        let set = Arc::new(ReadySet::<Msg, Unbounded, L>::new(1));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                set.enqueue(0, msg(0, 0));
                set.enqueue(0, msg(0, 1));
            });
        }
        let mut worker = set.worker().unwrap();
        let mut next = [[0; 2]; 1];
        for _ in 0..2 {
            let mut ready = held(worker.next_blocking());
            assert_eq!(ready.index(), 0);
            take_one(&mut ready, &mut next);
        }
        assert_eq!(next, [[2, 0]]);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 2. Two queues, two producers: producer `p` sends one node to queue `p`,
/// then one to the other queue, so both producers schedule queues into the ready list while
/// the worker sleeps on it, re-arms queues, or holds one. The worker holds a second guard
/// whenever one is listed: the two must be different queues.
#[test]
fn two_queues_two_producers() {
    check(2, || {
        let set = Arc::new(ReadySet::<Msg>::new(2));
        for p in 0..2 {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                set.enqueue(p, msg(p, 0));
                set.enqueue(1 - p, msg(p, 1));
            });
        }
        let mut worker = set.worker().unwrap();
        let mut next = [[0; 2]; 2];
        let mut received = 0;
        while received < 4 {
            let mut first = held(worker.next_blocking());
            if let Some(Next::Ready(mut second)) = worker.try_next() {
                assert_ne!(first.index(), second.index(), "one queue held twice");
                take_one(&mut second, &mut next);
                received += 1;
            }
            take_one(&mut first, &mut next);
            received += 1;
        }
        // Queue q got producer q's first node (seq 0) and the other producer's second (seq 1).
        assert_eq!(next, [[1, 2], [2, 1]]);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 5. One queue with two nodes, scheduled before the worker starts; the worker
/// takes one node per guard, so its first guard goes back to the ready list with a node left,
/// while a producer enqueues a third node into the queue. The queue must never be listed while
/// held (the worker looks for a second guard each time it holds one) nor listed twice, and
/// every node must arrive once, in order.
fn a_queue_over_budget_is_requeued_while_a_producer_enqueues<L: Layout>() {
    check(5, || {
        let set = Arc::new(ReadySet::<Msg, Unbounded, L>::new(1));
        set.enqueue(0, msg(0, 0));
        set.enqueue(0, msg(0, 1));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || set.enqueue(0, msg(1, 0)));
        }
        let mut worker = set.worker().unwrap();
        let mut next = [[0; 2]; 1];
        for _ in 0..3 {
            let mut ready = held(worker.next_blocking());
            // With one queue, held, nothing can be listed or on its way onto the list.
            assert!(
                worker.next().is_none(),
                "the held queue is listed too: scheduled twice"
            );
            take_one(&mut ready, &mut next);
        }
        assert_eq!(next, [[2, 1]]);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 5. A guard is sent to another thread, which takes the queue's node and drops
/// the guard there (re-arming the queue, or re-queueing it if the producer got in first) while a
/// producer sends the next node; the worker then takes the queue again on its own thread. The
/// second guard must see everything the first did (a missing happens-before between the two
/// consumers shows up as a causality violation on the queue's `tail`), and the node must arrive.
///
/// The guard borrows the set and loom's threads need `'static` values, so the set is leaked (one
/// small allocation per execution).
fn a_guard_dropped_on_another_thread_hands_the_queue_back<L: Layout>() {
    check(5, || {
        let set: &'static ReadySet<Msg, Unbounded, L> = Box::leak(Box::new(ReadySet::new(1)));
        set.enqueue(0, msg(0, 0));
        let mut worker = set.worker().unwrap();
        let first = worker.next().expect("scheduled by the enqueue above");
        thread::spawn(move || {
            let mut first = first;
            let mut next = [[0; 2]; 1];
            take_one(&mut first, &mut next);
            assert_eq!(next, [[1, 0]]);
        });
        thread::spawn(move || set.enqueue(0, msg(1, 0)));
        let mut ready = held(worker.next_blocking());
        let m = ready.dequeue().expect("a scheduled queue has a node");
        assert_eq!((m.producer, m.seq), (1, 0));
        drop(ready);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 4. An async worker (`next_async` under `loom::future::block_on`) and one
/// producer sending a node to each of two queues: every poll registers the task's waker on the
/// ready list, racing with the scheduling enqueues' wakes.
#[test]
fn an_async_worker_is_woken_by_each_scheduling_enqueue() {
    check(4, || {
        let set = Arc::new(ReadySet::<Msg>::new(2));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                set.enqueue(1, msg(0, 0));
                set.enqueue(0, msg(0, 1));
            });
        }
        let mut worker = set.worker().unwrap();
        let next = loom::future::block_on(async {
            let mut next = [[0; 2]; 2];
            for _ in 0..2 {
                let mut ready = held(worker.next_async().await);
                take_one(&mut ready, &mut next);
            }
            next
        });
        assert_eq!(next, [[2, 0], [1, 0]]);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 5. A bounded member of capacity 1: the producer's second node is refused
/// until the worker has taken the first, and is retried. A refused enqueue must schedule nothing,
/// and the accepted retry must still reach the worker, whether it lands while the queue is held
/// (the guard's drop re-queues it) or after it was re-armed (the retry schedules it).
#[test]
fn a_full_bounded_member_refuses_and_the_retry_is_delivered() {
    check(5, || {
        let set = Arc::new(ReadySet::<Msg, Bounded>::with_capacity(1, 1));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                for seq in 0..2 {
                    let mut node = msg(0, seq);
                    while let Err(refused) = set.try_enqueue(0, node) {
                        node = refused;
                        thread::yield_now();
                    }
                }
            });
        }
        let mut worker = set.worker().unwrap();
        let mut next = [[0; 2]; 1];
        for _ in 0..2 {
            let mut ready = held(worker.next_blocking());
            take_one(&mut ready, &mut next);
        }
        assert_eq!(next, [[2, 0]]);
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 3. WireGuard's transmit path: the worker stops at a peeked packet that is not
/// finished and defers its queue; a "crypto" thread finishes it and calls `notify`, racing the
/// worker's look at the packet, its deferral, and its taking of the queue (which forgets earlier
/// notifications); a producer enqueues a finished packet behind it, which must not schedule the
/// deferred queue by itself. The worker sleeps in `next_blocking`: a lost notify is a deadlock.
#[test]
fn a_deferred_queue_is_scheduled_by_a_racing_notify() {
    check(3, || {
        let set = Arc::new(ReadySet::<Packet>::new(1));
        let packet = |seq, ready| Packet::new(0, seq, flag(ready));
        let first = packet(0, false);
        let ready = Arc::clone(&first.ready);
        set.enqueue(0, first);
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                mark_ready(&ready);
                set.notify(0);
            });
        }
        {
            let set = Arc::clone(&set);
            thread::spawn(move || set.enqueue(0, packet(1, true)));
        }
        let mut worker = set.worker().unwrap();
        let mut sent = 0;
        'turns: while sent < 2 {
            let mut ready = held(worker.next_blocking());
            while let Some(oldest) = ready.peek() {
                if !is_ready(oldest) {
                    ready.defer_until_notified();
                    continue 'turns;
                }
                let oldest = ready.take_peeked().expect("just peeked");
                assert_eq!(oldest.seq, sent, "lost, duplicated or reordered");
                sent += 1;
            }
        }
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 3. A producer sends one node and closes the set, racing a worker that loops
/// on `next_blocking` until `Closed`: the close must reach the worker wherever it is (looking at
/// the list, registered but not yet marked asleep, or asleep), and only after the node sent
/// before it was handed out. A close slept through is a deadlock; `Closed` before the node, a
/// failed count.
#[test]
fn a_close_reaches_a_worker_about_to_sleep() {
    check(3, || {
        let set = Arc::new(ReadySet::<Msg>::new(1));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                set.enqueue(0, msg(0, 0));
                set.close();
            });
        }
        let mut worker = set.worker().unwrap();
        let mut next = [[0; 2]; 1];
        loop {
            match worker.next_blocking() {
                Next::Ready(mut ready) => take_one(&mut ready, &mut next),
                Next::Woken => panic!("nobody wakes this set"),
                Next::Closed => break,
            }
        }
        assert_eq!(
            next,
            [[1, 0]],
            "the node sent before the close, then `Closed`"
        );
        nothing_listed(&mut worker);
    });
}

/// Preemption bound 3. Another thread wakes the set twice while the worker, with nothing
/// scheduled, sleeps in `next_blocking` twice: each wake must end one wait with `Woken` (a wake
/// slept through is a deadlock), and no third `Woken` may follow.
#[test]
fn each_wake_ends_one_wait_of_a_worker_about_to_sleep() {
    check(3, || {
        let set = Arc::new(ReadySet::<Msg>::new(1));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                set.wake();
                set.wake();
            });
        }
        let mut worker = set.worker().unwrap();
        for _ in 0..2 {
            assert!(matches!(worker.next_blocking(), Next::Woken));
        }
        assert!(worker.try_next().is_none(), "one `Woken` per wake");
    });
}

/// Preemption bound 3. The close of `a_close_reaches_a_worker_about_to_sleep`, racing an async
/// worker (`next_async` under `loom::future::block_on`): each poll registers the task's waker,
/// which the close must wake.
#[test]
fn a_close_reaches_an_async_worker() {
    check(3, || {
        let set = Arc::new(ReadySet::<Msg>::new(1));
        {
            let set = Arc::clone(&set);
            thread::spawn(move || {
                set.enqueue(0, msg(0, 0));
                set.close();
            });
        }
        let mut worker = set.worker().unwrap();
        let next = loom::future::block_on(async {
            let mut next = [[0; 2]; 1];
            loop {
                match worker.next_async().await {
                    Next::Ready(mut ready) => take_one(&mut ready, &mut next),
                    Next::Woken => panic!("nobody wakes this set"),
                    Next::Closed => return next,
                }
            }
        });
        assert_eq!(
            next,
            [[1, 0]],
            "the node sent before the close, then `Closed`"
        );
        nothing_listed(&mut worker);
    });
}
