//! Loom models of the channel's own wait list, of its permits and of a consumer that takes its
//! waker back: a sender that was woken and refused waits again in its place, a forgotten send
//! future keeps nobody's room, a dropped permit wakes a blocked sender (and a closed receiver),
//! and a dropped `DequeueFuture` clears its waker while a producer wakes it. A lost wake-up
//! shows up as a loom deadlock, a race on the waker cell as a loom error.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- channel::robust::` (CI runs them with the `channel` area).
//!
//! Each model states its preemption bound beside it, and the mutation of the code it was seen to
//! catch.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::support::check;
use intrusive_mpsc::channel::bounded;
use intrusive_mpsc::{node, Link, WaitQueue};
use loom::thread;
use std::sync::Arc;

struct Msg {
    link: Link,
    sender: usize,
}
node!(Msg, link, Box<Msg>);

fn msg(sender: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        sender,
    })
}

/// Preemption bound 1. One slot, two senders on their own threads (one async, one blocked), a
/// receiver that takes three nodes: a sender can be woken for a slot the other one takes, and
/// must then wait again and be woken by the next receive. Catches: `Waiters::poll` not
/// re-arming a notified entry (it stays "notified", so later notifications skip it: deadlock).
#[test]
fn a_woken_sender_that_finds_the_room_taken_waits_again() {
    check(1, || {
        let (tx, mut rx) = bounded::<Msg>(1);
        tx.try_send(msg(0)).unwrap();
        {
            let tx = tx.clone();
            thread::spawn(move || {
                loom::future::block_on(tx.send(msg(1))).unwrap();
            });
        }
        {
            let tx = tx.clone();
            thread::spawn(move || tx.send_blocking(msg(2)).unwrap());
        }
        drop(tx);
        let mut seen = [false; 3];
        while let Some(m) = rx.recv_blocking() {
            assert!(!seen[m.sender], "duplicate");
            seen[m.sender] = true;
        }
        assert_eq!(seen, [true; 3]);
    });
}

/// Preemption bound 2. A `send(..).await` polled once and forgotten, ahead of a sender blocked
/// on another thread: the receive must reach the blocked sender. Catches: room notifications
/// counting every entry woken instead of the blocked threads (`Wake::Room(1)` then stops at the
/// forgotten future: deadlock).
#[test]
fn a_forgotten_send_future_keeps_nobodys_room() {
    check(2, || {
        let (tx, mut rx) = bounded::<Msg>(1);
        tx.try_send(msg(0)).unwrap();
        let mut forgotten = tx.send(msg(1));
        let pending = Pin::new(&mut forgotten).poll(&mut Context::from_waker(Waker::noop()));
        assert!(pending.is_pending());
        std::mem::forget(forgotten);
        let blocked = {
            let tx = tx.clone();
            thread::spawn(move || tx.send_blocking(msg(2)).unwrap())
        };
        drop(tx);
        assert_eq!(rx.recv_blocking().unwrap().sender, 0);
        assert_eq!(rx.recv_blocking().unwrap().sender, 2);
        drop(rx);
        blocked.join().unwrap();
    });
}

/// Preemption bound 3. A `DequeueFuture` that waited is dropped while a producer enqueues (and
/// wakes the registered waker): the waker cell stays consistent, the waker does not outlive
/// the producer's wake, and the next wait works. Catches: `AtomicWaker::clear` taking the
/// waker without owning the cell first (a race on the cell with the producer's `take`).
#[test]
fn a_dropped_dequeue_future_clears_its_waker_while_a_producer_wakes() {
    check(3, || {
        let queue = Arc::new(WaitQueue::<Msg>::new());
        let (_, waker) = counting_waker();
        let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.enqueue(msg(4)))
        };
        let mut future = consumer.dequeue_async();
        let got = match Pin::new(&mut future).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(m) => Some(m.sender),
            Poll::Pending => None,
        };
        drop(future);
        producer.join().unwrap();
        let got = got.or_else(|| {
            loom::future::block_on(consumer.dequeue_async())
                .sender
                .into()
        });
        assert_eq!(got, Some(4));
    });
}

/// Preemption bound 1. An owned permit holds the only slot; a sender blocks for room while the
/// permit is dropped on a third thread and the receiver waits: the drop's room must reach the
/// blocked sender. Catches: a give-back that does not notify the waiting senders (deadlock).
#[test]
fn a_dropped_permit_wakes_a_blocked_sender() {
    check(1, || {
        let (tx, mut rx) = bounded::<Msg>(1);
        let permit = tx.clone().try_reserve_owned().unwrap();
        thread::spawn(move || drop(permit));
        let blocked = {
            let tx = tx.clone();
            thread::spawn(move || tx.send_blocking(msg(1)).unwrap())
        };
        drop(tx);
        assert_eq!(rx.recv_blocking().unwrap().sender, 1);
        assert!(rx.recv_blocking().is_none());
        drop(rx);
        blocked.join().unwrap();
    });
}

/// Preemption bound 2. The receiver closes with a permit outstanding on another thread, which
/// sends or is dropped: the receiver gets the node if it was sent, then the end, and is woken
/// for it. Catches: a give-back after the close that does not wake the receiver (deadlock).
#[test]
fn a_closed_receiver_waits_for_an_outstanding_permit() {
    check(2, || {
        let (tx, mut rx) = bounded::<Msg>(2);
        let keep = tx.clone();
        let permit = tx.try_reserve_owned().unwrap();
        let sent = thread::spawn(move || {
            drop(permit);
        });
        rx.close();
        assert!(rx.recv_blocking().is_none());
        sent.join().unwrap();
        drop(keep);
    });
}

/// A waker that does nothing, counted by its `Arc`.
fn counting_waker() -> (std::sync::Arc<Noop>, Waker) {
    let noop = std::sync::Arc::new(Noop);
    (std::sync::Arc::clone(&noop), Waker::from(noop))
}

struct Noop;

impl std::task::Wake for Noop {
    fn wake(self: std::sync::Arc<Self>) {}
}
