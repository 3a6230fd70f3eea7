//! The bounded channel on threads: backpressure, waiting senders woken by receives and by the
//! receiver's close or drop, and closing that strands no accepted node. Liveness is checked with
//! the `promptly` watchdog (a lost wake-up shows as a wait that only its 20 s timeout ends);
//! nothing asserts on timing.
#![cfg(not(loom))]

mod support;

use std::pin::Pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::channel::{
    bounded, unbounded_channel, Receiver, SendError, SendFuture, SendTimeoutError, Sender,
    TryRecvError, TrySendError,
};
use intrusive_mpsc::Bounded;
use support::{from_worker, msg, poll_once, promptly, scaled, CountingWaker, Fifo, Msg, STALL};

#[test]
fn the_handles_are_send_and_sync_when_the_nodes_are() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sender<Msg>>();
    send_sync::<Receiver<Msg>>();
    send_sync::<Sender<Msg, Bounded>>();
    send_sync::<Receiver<Msg, Bounded>>();
    send_sync::<intrusive_mpsc::channel::SendFuture<'static, Msg>>();
    send_sync::<intrusive_mpsc::channel::ClosedFuture<'static, Msg, Bounded>>();
    send_sync::<intrusive_mpsc::channel::RecvFuture<'static, Msg, Bounded>>();
    send_sync::<intrusive_mpsc::channel::RecvManyFuture<'static, Msg, Bounded>>();
}

#[test]
fn try_send_refuses_when_full_and_when_closed_handing_the_node_back() {
    let (tx, mut rx) = bounded::<Msg>(2);
    assert_eq!(tx.max_capacity(), 2);
    assert_eq!(rx.max_capacity(), 2);
    tx.try_send(msg(0, 0)).unwrap();
    tx.try_send(msg(0, 1)).unwrap();
    match tx.try_send(msg(0, 2)) {
        Err(TrySendError::Full(back)) => assert_eq!(back.seq, 2),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    tx.try_send(msg(0, 3)).unwrap();
    rx.close();
    assert!(tx.is_closed() && rx.is_closed());
    let error = tx.try_send(msg(0, 4)).unwrap_err();
    assert!(matches!(error, TrySendError::Closed(_)));
    assert_eq!(error.into_inner().seq, 4);
    assert_eq!(rx.try_recv().unwrap().seq, 1);
    assert_eq!(rx.try_recv().unwrap().seq, 3);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

#[test]
fn send_blocking_waits_for_room_and_delivers_everything_in_order() {
    const SENDERS: usize = 4;
    let per_sender = scaled(20_000);
    let (tx, mut rx) = bounded::<Msg>(4);
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || {
                for seq in 0..per_sender {
                    tx.send_blocking(msg(s, seq)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut fifo = Fifo::new(SENDERS);
    // The watchdog is per receive: each must end well before the stall timeout, however slow the
    // machine (valgrind) makes the whole run.
    while let Ok(m) = promptly(|| rx.recv_timeout_blocking(STALL)) {
        fifo.take(&m);
    }
    fifo.assert_all(per_sender);
    for s in senders {
        s.join().unwrap();
    }
}

#[test]
fn recv_many_makes_room_for_waiting_senders() {
    const SENDERS: usize = 3;
    let per_sender = scaled(10_000);
    let (tx, mut rx) = bounded::<Msg>(8);
    for s in 0..SENDERS {
        let tx = tx.clone();
        thread::spawn(move || {
            for seq in 0..per_sender {
                tx.send_blocking(msg(s, seq)).unwrap();
            }
        });
    }
    drop(tx);
    let mut batch = Vec::with_capacity(8);
    let mut fifo = Fifo::new(SENDERS);
    let mut batches = 0;
    loop {
        batch.clear();
        match rx.try_recv_many(&mut batch, 8) {
            Ok(n) => {
                assert!((1..=8).contains(&n));
                assert_eq!(n, batch.len());
                batches += 1;
            }
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty | TryRecvError::Inconsistent) => {
                // Sleep for one, then take the rest without waiting.
                match promptly(|| rx.recv_timeout_blocking(STALL)) {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
        }
        for m in batch.drain(..) {
            fifo.take(&m);
        }
    }
    fifo.assert_all(per_sender);
    assert!(batches > 0);
}

#[test]
fn close_wakes_every_waiting_sender_and_keeps_what_was_sent() {
    let (tx, mut rx) = bounded::<Msg>(1);
    tx.try_send(msg(9, 0)).unwrap();
    let (reports, results) = mpsc::channel();
    for s in 0..3 {
        let (tx, reports) = (tx.clone(), reports.clone());
        thread::spawn(move || {
            let result = tx.send_blocking(msg(s, 1));
            reports
                .send(result.map_err(|SendError(back)| back.producer))
                .unwrap();
        });
    }
    // Let them reach the wait (not required for correctness: a sender that comes late sees the
    // close on its first look).
    thread::sleep(Duration::from_millis(20));
    rx.close();
    let mut refused = [false; 3];
    for _ in 0..3 {
        let sender = from_worker(&results).expect_err("closed while full: no send can succeed");
        refused[sender] = true;
    }
    assert_eq!(refused, [true; 3]);
    assert_eq!(
        rx.try_recv().unwrap().producer,
        9,
        "queued before the close"
    );
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

#[test]
fn dropping_the_receiver_wakes_waiting_senders_with_their_nodes() {
    let (tx, rx) = bounded::<Msg>(1);
    tx.try_send(msg(9, 0)).unwrap();
    let (reports, results) = mpsc::channel();
    for s in 0..2 {
        let (tx, reports) = (tx.clone(), reports.clone());
        thread::spawn(move || {
            let SendError(back) = tx.send_blocking(msg(s, 1)).unwrap_err();
            reports.send(back.producer).unwrap();
        });
    }
    thread::sleep(Duration::from_millis(20));
    drop(rx);
    let mut back = [from_worker(&results), from_worker(&results)];
    back.sort();
    assert_eq!(back, [0, 1]);
    assert!(tx.is_closed());
}

#[test]
fn send_timeout_times_out_when_full_and_succeeds_once_there_is_room() {
    let (tx, mut rx) = bounded::<Msg>(1);
    tx.try_send(msg(0, 0)).unwrap();
    match tx.send_timeout_blocking(msg(0, 1), Duration::from_millis(5)) {
        Err(SendTimeoutError::Timeout(back)) => assert_eq!(back.seq, 1),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let waiter = thread::spawn(move || promptly(|| tx.send_timeout_blocking(msg(0, 2), STALL)));
    thread::sleep(Duration::from_millis(20));
    assert_eq!(rx.recv_blocking().unwrap().seq, 0);
    waiter.join().unwrap().unwrap();
    assert_eq!(rx.recv_blocking().unwrap().seq, 2);
    assert!(
        rx.recv_blocking().is_none(),
        "the sender left with its thread"
    );
}

/// Two senders wait on a full channel of two; two receives in a row must wake both. With a
/// plain `notify(1)` the second receive would find the first sender notified but not yet
/// running, notify nobody, and leave the second sender asleep beside a free slot.
#[test]
fn each_freed_slot_wakes_another_waiting_sender() {
    let (tx, mut rx) = bounded::<Msg>(2);
    tx.try_send(msg(0, 0)).unwrap();
    tx.try_send(msg(0, 1)).unwrap();
    let mut first = WaitingSend::new(&tx, msg(1, 0));
    let mut second = WaitingSend::new(&tx, msg(2, 0));
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(rx.try_recv().unwrap().seq, 1);
    assert_eq!(first.woken.wakes(), 1);
    assert_eq!(
        second.woken.wakes(),
        1,
        "the second free slot woke the second sender"
    );
    second.assert_sent();
    first.assert_sent();
    let mut order: Vec<usize> = [rx.try_recv().unwrap(), rx.try_recv().unwrap()]
        .iter()
        .map(|m| m.producer)
        .collect();
    order.sort();
    assert_eq!(order, [1, 2]);
}

/// `poll_recv_many` counts the node it waited for with the rest: after a close, the receive that
/// finds everything taken reports the end instead of waiting for a node that was already taken.
#[test]
fn recv_many_reports_the_end_after_a_close() {
    let (tx, mut rx) = bounded::<Msg>(4);
    for seq in 0..3 {
        tx.try_send(msg(0, seq)).unwrap();
    }
    rx.close();
    let mut cx = Context::from_waker(Waker::noop());
    let mut batch = Vec::new();
    assert_eq!(rx.poll_recv_many(&mut cx, &mut batch, 8), Poll::Ready(3));
    assert_eq!(rx.poll_recv_many(&mut cx, &mut batch, 8), Poll::Ready(0));
    assert_eq!(rx.poll_recv_many(&mut cx, &mut batch, 1), Poll::Ready(0));
    assert_eq!(batch.len(), 3);
    drop(tx);
}

/// A sender that was woken for a free slot but is dropped before it runs leaves the slot to the
/// next. Async senders alone are all woken by a receive (any of them might be a forgotten
/// future), so the next one was woken already, once.
#[test]
fn a_cancelled_waiting_send_passes_its_wake_up_on() {
    let (tx, mut rx) = bounded::<Msg>(1);
    tx.try_send(msg(0, 0)).unwrap();
    let first = WaitingSend::new(&tx, msg(1, 0));
    let mut second = WaitingSend::new(&tx, msg(2, 0));
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(first.woken.wakes(), 1);
    assert_eq!(second.woken.wakes(), 1);
    drop(first); // cancelled: drops its node and leaves the slot
    assert_eq!(
        second.woken.wakes(),
        1,
        "woken once, and not again while it has not looked"
    );
    second.assert_sent();
    assert_eq!(rx.try_recv().unwrap().producer, 2);
}

/// A send into a full channel, polled once (it must wait) with a counting waker of its own.
struct WaitingSend<'a> {
    future: Pin<Box<SendFuture<'a, Msg>>>,
    woken: Arc<CountingWaker>,
    waker: Waker,
}

impl<'a> WaitingSend<'a> {
    fn new(tx: &'a Sender<Msg, Bounded>, node: Box<Msg>) -> Self {
        let (woken, waker) = CountingWaker::new();
        let mut future = Box::pin(tx.send(node));
        assert!(poll_once(future.as_mut(), &waker).is_pending());
        Self {
            future,
            woken,
            waker,
        }
    }

    /// Polls it again: it must have sent its node.
    fn assert_sent(&mut self) {
        assert!(matches!(
            poll_once(self.future.as_mut(), &self.waker),
            Poll::Ready(Ok(()))
        ));
    }
}

/// Both ends of a channel.
type Ends<B> = (Sender<Msg, B>, Receiver<Msg, B>);

/// Senders race with `close()`: every send that was accepted is received before the receiver
/// sees the end, and none after. Run for the unbounded and the bounded channel.
fn close_strands_no_accepted_node<B: intrusive_mpsc::Capacity>(make: fn() -> Ends<B>) {
    const SENDERS: usize = 3;
    // A sender stops after this many attempts even if the close has not come yet, so that an
    // unbounded channel cannot fill without limit while a slow machine (valgrind) delays the
    // receiver: a send that races the close still races it in most rounds.
    let attempts = scaled(100_000).max(100);
    for round in 0..scaled(100).max(10) {
        let (tx, mut rx) = make();
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let tx = tx.clone();
                thread::spawn(move || {
                    let mut accepted = 0;
                    for seq in 0..attempts {
                        match tx.try_send(msg(s, seq)) {
                            Ok(()) => accepted += 1,
                            Err(TrySendError::Full(_)) => thread::yield_now(),
                            Err(TrySendError::Closed(_)) => break,
                        }
                    }
                    accepted
                })
            })
            .collect();
        drop(tx);
        let mut received = 0;
        // Receive a little (more in later rounds), then close while the senders are sending.
        for _ in 0..round % 7 {
            if rx.recv_timeout_blocking(STALL).is_ok() {
                received += 1;
            }
        }
        rx.close();
        // The watchdog is per receive: an unbounded channel may hold many nodes by now, and
        // draining them all may take long under valgrind.
        while promptly(|| rx.recv_timeout_blocking(STALL)).is_ok() {
            received += 1;
        }
        let accepted: usize = senders.into_iter().map(|s| s.join().unwrap()).sum();
        assert_eq!(received, accepted, "round {round}");
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    }
}

#[test]
fn close_strands_no_accepted_node_unbounded() {
    close_strands_no_accepted_node(unbounded_channel::<Msg>);
}

#[test]
fn close_strands_no_accepted_node_bounded() {
    close_strands_no_accepted_node(|| bounded::<Msg>(4));
}
