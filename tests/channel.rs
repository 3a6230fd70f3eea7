//! The unbounded channel: many senders, one receiver, disconnection both ways (the bounded
//! channel has tests/channel_bounded.rs).
#![cfg(not(loom))]

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::channel::{unbounded_channel, RecvTimeoutError, SendError, TryRecvError};
use support::{counted, msg, promptly, CountingWaker, Fifo, Msg, STALL};

#[test]
fn iter_receives_everything_in_per_sender_order_and_ends_when_senders_are_gone() {
    const SENDERS: usize = 4;
    const PER_SENDER: usize = 25_000;
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let handles: Vec<_> = (0..SENDERS)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || {
                for seq in 0..PER_SENDER {
                    tx.send(msg(s, seq)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut fifo = Fifo::new(SENDERS);
    for m in rx.iter_blocking() {
        fifo.take(&m);
    }
    fifo.assert_all(PER_SENDER);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn a_blocked_receiver_is_woken_by_the_last_sender_leaving() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let tx2 = tx.clone();
    let leaver = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        drop(tx);
        thread::sleep(Duration::from_millis(20));
        drop(tx2);
    });
    assert_eq!(
        promptly(|| rx.recv_timeout_blocking(STALL)).err(),
        Some(RecvTimeoutError::Disconnected),
        "woken by the disconnection, not by the timeout"
    );
    leaver.join().unwrap();
}

#[test]
fn disconnection_is_reported_only_after_draining() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    tx.send(msg(0, 0)).unwrap();
    tx.send(msg(0, 1)).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(rx.recv_blocking().unwrap().seq, 1);
    assert!(rx.recv_blocking().is_none());
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    assert_eq!(
        rx.recv_timeout_blocking(Duration::from_millis(1)).err(),
        Some(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn timeouts_and_empty() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    assert_eq!(
        rx.recv_timeout_blocking(Duration::from_millis(10)).err(),
        Some(RecvTimeoutError::Timeout)
    );
    tx.send(msg(0, 3)).unwrap();
    assert_eq!(promptly(|| rx.recv_timeout_blocking(STALL)).unwrap().seq, 3);
}

#[test]
fn send_after_the_receiver_is_gone_hands_the_node_back_and_nothing_leaks() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = unbounded_channel::<Msg>();
    tx.send(counted(0, 0, &drops)).unwrap();
    tx.send(counted(0, 1, &drops)).unwrap();
    drop(rx);
    assert_eq!(drops.load(Ordering::Relaxed), 2, "unreceived nodes dropped");
    let SendError(back) = tx.send(counted(0, 2, &drops)).unwrap_err();
    assert_eq!(back.seq, 2);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        2,
        "the refused node is handed back"
    );
    drop(back);
    drop(tx);
    assert_eq!(drops.load(Ordering::Relaxed), 3, "each node dropped once");
}

#[test]
fn async_receiver_is_woken_by_sends_and_by_disconnection() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    {
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        tx.send(msg(0, 0)).unwrap();
        assert_eq!(counter.wakes(), 1);
        assert!(matches!(recv.as_mut().poll(&mut cx), Poll::Ready(Some(m)) if m.seq == 0));
    }
    assert!(rx.poll_recv(&mut cx).is_pending());
    drop(tx);
    assert_eq!(counter.wakes(), 2, "the last sender woke us");
    assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
}

#[test]
fn receiver_moves_between_threads() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    tx.send(msg(0, 0)).unwrap();
    assert_eq!(rx.recv_blocking().unwrap().seq, 0);
    let rx = thread::spawn(move || {
        tx.send(msg(0, 1)).unwrap();
        assert_eq!(rx.recv_blocking().unwrap().seq, 1);
        rx
    })
    .join()
    .unwrap();
    let mut rx = rx;
    assert!(
        rx.recv_blocking().is_none(),
        "the sender died with the thread"
    );
}

#[test]
fn a_receiver_moved_after_a_timed_wait_is_woken_on_its_new_thread() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    assert_eq!(
        rx.recv_timeout_blocking(Duration::from_millis(1)).err(),
        Some(RecvTimeoutError::Timeout)
    );
    let waiter = thread::spawn(move || promptly(|| rx.recv_timeout_blocking(STALL)).map(|m| m.seq));
    thread::sleep(Duration::from_millis(20));
    tx.send(msg(0, 11)).unwrap();
    assert_eq!(waiter.join().unwrap().ok(), Some(11));
}

#[test]
fn dropping_the_receiver_drops_what_it_did_not_receive() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = unbounded_channel::<Msg>();
    for seq in 0..3 {
        tx.send(counted(0, seq, &drops)).unwrap();
    }
    drop(rx);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        3,
        "dropped with the receiver, as std::sync::mpsc does, not with the last sender"
    );
    drop(tx);
    assert_eq!(drops.load(Ordering::Relaxed), 3, "and only once");
}
