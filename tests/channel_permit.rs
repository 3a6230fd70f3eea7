//! Permits: room reserved ahead of a send, with tokio's meanings. Liveness is checked with the
//! stall timeout that only a lost wake-up reaches; nothing asserts on timing.
#![cfg(not(loom))]

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread;

use intrusive_mpsc::channel::{bounded, unbounded_channel, SendError, TryRecvError, TrySendError};
use support::{block_on, from_worker, msg, CountingWaker, Msg};

fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

#[test]
fn a_permit_sends_in_its_room_and_a_dropped_one_gives_it_back() {
    let (tx, mut rx) = bounded::<Msg>(2);
    let first = tx.try_reserve().unwrap();
    assert_eq!(
        tx.capacity(),
        1,
        "tokio's capacity: the room left, reserved room taken"
    );
    let second = tx.try_reserve().unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    assert!(matches!(tx.try_send(msg(0, 9)), Err(TrySendError::Full(_))));
    second.send(msg(0, 2));
    drop(first);
    tx.try_send(msg(0, 3)).unwrap();
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    assert_eq!(rx.try_recv().unwrap().seq, 2);
    assert_eq!(rx.try_recv().unwrap().seq, 3);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
}

/// Nodes queued plus places reserved never exceed the capacity, whatever the mix.
#[test]
fn queued_and_reserved_never_exceed_the_capacity() {
    const CAPACITY: usize = 5;
    let (tx, mut rx) = bounded::<Msg>(CAPACITY);
    let mut queued = 0;
    let mut permits = Vec::new();
    let mut many = Vec::new();
    let mut reserved_in_many = 0;
    for step in 0..200usize {
        match step % 7 {
            0 | 3 => {
                if let Ok(permit) = tx.try_reserve() {
                    permits.push(permit);
                }
            }
            1 => {
                if tx.try_send(msg(0, step)).is_ok() {
                    queued += 1;
                }
            }
            2 => {
                if let Some(permit) = permits.pop() {
                    permit.send(msg(0, step));
                    queued += 1;
                }
            }
            4 => {
                if let Ok(iter) = tx.try_reserve_many(2) {
                    reserved_in_many += iter.len();
                    many.push(iter);
                }
            }
            5 => {
                if let Some(mut iter) = many.pop() {
                    // Use one, give the rest back.
                    if let Some(permit) = iter.next() {
                        permit.send(msg(0, step));
                        queued += 1;
                    }
                    reserved_in_many -= 2;
                }
            }
            _ => {
                if step % 3 == 0 && rx.try_recv().is_ok() {
                    queued -= 1;
                }
                permits.truncate(permits.len().saturating_sub(1));
            }
        }
        let held = queued + permits.len() + reserved_in_many;
        assert!(held <= CAPACITY, "{held} held at step {step}");
        // `len` counts queued nodes and reserved room alike, as the bound does.
        assert_eq!(tx.len(), held, "at step {step}");
        assert_eq!(tx.capacity(), CAPACITY - held);
        // The room left is exactly what a reservation can take now.
        let room = CAPACITY - held;
        if room != 0 {
            let probe = tx.try_reserve_many(room).expect("the room left is free");
            assert!(tx.try_reserve().is_err());
            drop(probe);
        } else {
            assert!(tx.try_reserve().is_err());
        }
    }
}

#[test]
fn reserve_many_hands_out_exactly_n_permits() {
    let (tx, mut rx) = bounded::<Msg>(4);
    let mut permits = tx.try_reserve_many(3).unwrap();
    assert_eq!(permits.len(), 3);
    permits.next().unwrap().send(msg(0, 0));
    permits.next().unwrap().send(msg(0, 1));
    assert_eq!(permits.len(), 1);
    assert!(
        tx.try_reserve_many(2).is_err(),
        "one free, one still reserved"
    );
    drop(permits);
    assert_eq!(tx.try_reserve_many(2).unwrap().len(), 2);
    assert!(matches!(
        tx.try_reserve_many(5),
        Err(TrySendError::Full(()))
    ));
    assert!(matches!(block_on(tx.reserve_many(5)), Err(SendError(()))));
    assert_eq!(tx.try_reserve_many(0).unwrap().len(), 0);
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(rx.try_recv().unwrap().seq, 1);
}

/// A dropped permit wakes a sender waiting for room, async and blocked.
#[test]
fn a_dropped_permit_wakes_a_waiting_sender() {
    let (tx, mut rx) = bounded::<Msg>(1);
    let permit = tx.try_reserve().unwrap();
    let (woken, waker) = CountingWaker::new();
    let mut waiting = tx.send(msg(0, 1));
    assert!(poll_once(&mut waiting, &waker).is_pending());
    drop(permit);
    assert_eq!(woken.wakes(), 1);
    assert!(matches!(
        poll_once(&mut waiting, &waker),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(rx.try_recv().unwrap().seq, 1);

    let permit = tx.try_reserve().unwrap();
    let (reports, results) = mpsc::channel();
    thread::scope(|s| {
        s.spawn(|| reports.send(tx.send_blocking(msg(0, 2)).is_ok()).unwrap());
        s.spawn(|| {
            let reserved = tx.reserve_blocking().map(|permit| permit.send(msg(0, 3)));
            reports.send(reserved.is_ok()).unwrap();
        });
        drop(permit);
        assert!(from_worker(&results));
        assert!(rx.recv_blocking().is_some());
        assert!(from_worker(&results));
        assert!(rx.recv_blocking().is_some());
    });
}

/// An async `reserve` waits for room, and its permit sends.
#[test]
fn reserve_waits_for_room() {
    let (tx, mut rx) = bounded::<Msg>(1);
    tx.try_send(msg(0, 0)).unwrap();
    let (woken, waker) = CountingWaker::new();
    let mut reserve = tx.reserve();
    assert!(poll_once(&mut reserve, &waker).is_pending());
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(woken.wakes(), 1);
    let Poll::Ready(Ok(permit)) = poll_once(&mut reserve, &waker) else {
        panic!("room was made");
    };
    assert!(tx.try_send(msg(0, 9)).is_err(), "reserved");
    permit.send(msg(0, 1));
    assert_eq!(rx.try_recv().unwrap().seq, 1);
}

/// A closed channel refuses reservations and wakes waiting ones; a permit taken before the
/// close still sends, and the receiver reports the end only after it did (tokio's meaning).
#[test]
fn close_refuses_reservations_and_waits_for_outstanding_permits() {
    let (tx, mut rx) = bounded::<Msg>(2);
    let permit = tx.try_reserve().unwrap();
    tx.try_send(msg(0, 0)).unwrap();
    let (woken, waker) = CountingWaker::new();
    let mut waiting = tx.reserve_many(2);
    assert!(poll_once(&mut waiting, &waker).is_pending());
    rx.close();
    assert_eq!(woken.wakes(), 1);
    assert!(matches!(
        poll_once(&mut waiting, &waker),
        Poll::Ready(Err(SendError(())))
    ));
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(
        rx.try_recv().err(),
        Some(TryRecvError::Empty),
        "a permit is outstanding"
    );
    permit.send(msg(0, 1));
    assert_eq!(rx.try_recv().unwrap().seq, 1);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

/// A permit dropped after the close lets the closed receiver report the end, waking it.
#[test]
fn a_permit_dropped_after_the_close_ends_the_stream() {
    let (tx, mut rx) = bounded::<Msg>(2);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let (woken, waker) = CountingWaker::new();
    assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
    drop(permit);
    assert_eq!(woken.wakes(), 1);
    assert!(matches!(
        rx.poll_recv(&mut Context::from_waker(&waker)),
        Poll::Ready(None)
    ));
}

/// A permit whose receiver is gone: its send succeeds and the node is dropped with the channel.
#[test]
fn a_permit_sends_into_a_dropped_receiver_without_failing() {
    let (tx, rx) = bounded::<Msg>(1);
    let permit = tx.try_reserve().unwrap();
    drop(rx);
    permit.send(msg(0, 0));
    assert!(tx.try_reserve().is_err());
}

/// Owned permits move to other threads, and hand the sender back.
#[test]
fn owned_permits_across_threads() {
    const SENDERS: usize = 4;
    const EACH: usize = 200;
    let (tx, mut rx) = bounded::<Msg>(3);
    let workers: Vec<_> = (0..SENDERS)
        .map(|s| {
            let mut tx = tx.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    let permit = block_on(tx.reserve_owned()).unwrap();
                    tx = thread::scope(|scope| {
                        scope
                            .spawn(move || permit.send(msg(0, s * EACH + i)))
                            .join()
                            .unwrap()
                    });
                }
            })
        })
        .collect();
    drop(tx);
    let mut seen = vec![false; SENDERS * EACH];
    while let Some(m) = rx.recv_blocking() {
        assert!(!std::mem::replace(&mut seen[m.seq], true), "duplicate");
    }
    assert!(seen.iter().all(|&s| s));
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn try_reserve_owned_hands_the_sender_back_when_refused() {
    let (tx, mut rx) = bounded::<Msg>(1);
    let permit = tx.clone().try_reserve_owned().unwrap();
    let Err(TrySendError::Full(tx)) = tx.try_reserve_owned() else {
        panic!("full");
    };
    let tx2 = permit.release();
    let permit = tx2.try_reserve_owned().unwrap();
    let tx2 = permit.send(msg(0, 5));
    assert_eq!(rx.try_recv().unwrap().seq, 5);
    rx.close();
    assert!(matches!(
        tx2.try_reserve_owned(),
        Err(TrySendError::Closed(_))
    ));
    assert!(matches!(block_on(tx.reserve_owned()), Err(SendError(()))));
}

/// On an unbounded channel permits are free: any number, refused only once closed.
#[test]
fn unbounded_permits_only_fail_when_closed() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let permits = tx.try_reserve_many(1000).unwrap();
    let one = block_on(tx.reserve()).unwrap();
    let blocking = tx.reserve_blocking().unwrap();
    for (n, permit) in permits.enumerate().take(3) {
        permit.send(msg(0, n));
    }
    one.send(msg(0, 3));
    drop(blocking);
    tx.send(msg(0, 4)).unwrap();
    let mut got = Vec::new();
    assert_eq!(rx.try_recv_many(&mut got, 10), Ok(5));
    rx.close();
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    assert!(matches!(block_on(tx.reserve()), Err(SendError(()))));
}
