//! The channel's API as tokio (and crossbeam, flume) users expect it (issue 18): the
//! constructors' names, the `_blocking` renames, the `error` module, the query methods with
//! tokio's meanings, weak senders, `send_async` in code generic over the capacity, the async
//! timeouts driven by a timer the test controls, and the unwind-safety markers.
//!
//! Waits that a peer must end run under `STALL`, a timeout that only a lost wake-up reaches;
//! nothing asserts on timing. The tokio-based checks (runtime detection, tokio's sleep as the
//! timer) are in `checks/tests/channel_api_tokio.rs`.
#![cfg(not(loom))]

mod support;

use std::future::Future;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::channel::error::{
    RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use intrusive_mpsc::channel::{
    bounded, channel, unbounded, unbounded_channel, Receiver, Sender, WeakSender,
};
use intrusive_mpsc::{Bounded, Capacity, Unbounded};
use support::{block_on, msg, scaled, Msg, STALL};

/// A timer the test fires by hand: pending until `fire`, waking whoever polled it.
#[derive(Clone, Default)]
struct Trigger {
    fired: Arc<AtomicBool>,
    waker: Arc<std::sync::Mutex<Option<Waker>>>,
}

impl Trigger {
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }
}

impl Future for Trigger {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.fired.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

// ---- constructors -----------------------------------------------------------------------------

/// Sends `capacity + 1` nodes with `try_send` and says how many were accepted.
fn accepted<B: Capacity>(tx: &Sender<Msg, B>, capacity: usize) -> usize {
    (0..=capacity)
        .filter(|&n| tx.try_send(msg(0, n)).is_ok())
        .count()
}

#[test]
fn channel_with_a_capacity_is_bounded_as_in_tokio() {
    let (tx, _rx): (Sender<Msg, Bounded>, Receiver<Msg, Bounded>) = channel::<Msg>(8);
    assert_eq!(
        accepted(&tx, 8),
        8,
        "`channel(8)` holds 8, and refuses the 9th"
    );
    assert!(matches!(tx.try_send(msg(0, 9)), Err(TrySendError::Full(_))));
}

#[test]
fn bounded_is_the_same_constructor() {
    let (tx, _rx) = bounded::<Msg>(3);
    assert_eq!(accepted(&tx, 3), 3);
}

#[test]
fn the_crate_root_channel_is_the_bounded_constructor() {
    let (tx, _rx): (Sender<Msg, Bounded>, _) = intrusive_mpsc::channel::<Msg>(2);
    assert_eq!(accepted(&tx, 2), 2);
}

#[test]
fn unbounded_channel_and_unbounded_never_refuse() {
    let (tx, mut rx): (Sender<Msg, Unbounded>, _) = unbounded_channel::<Msg>();
    let (tx2, mut rx2): (Sender<Msg, Unbounded>, _) = unbounded::<Msg>();
    for n in 0..1000 {
        tx.send(msg(0, n)).unwrap();
        tx2.try_send(msg(0, n)).unwrap();
    }
    assert_eq!(rx.len(), 1000);
    assert_eq!(rx2.len(), 1000);
    assert_eq!(rx.try_recv().unwrap().seq, 0);
    assert_eq!(rx2.try_recv().unwrap().seq, 0);
}

// ---- error module -----------------------------------------------------------------------------

#[test]
fn the_error_module_holds_the_types_that_channel_re_exports() {
    fn same<T>(_: T, _: T) {}
    same(
        intrusive_mpsc::channel::TryRecvError::Empty,
        TryRecvError::Empty,
    );
    same(
        intrusive_mpsc::channel::RecvTimeoutError::Timeout,
        RecvTimeoutError::Timeout,
    );
    same(intrusive_mpsc::channel::SendError(1u8), SendError(1u8));
    same(
        intrusive_mpsc::channel::TrySendError::Full(1u8),
        TrySendError::Full(1u8),
    );
    same(
        intrusive_mpsc::channel::SendTimeoutError::Timeout(1u8),
        SendTimeoutError::Timeout(1u8),
    );
}

#[test]
fn try_recv_tells_empty_from_disconnected() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let answer = |rx: &mut Receiver<Msg>| match rx.try_recv() {
        Ok(_) => "node",
        Err(TryRecvError::Empty) => "empty",
        Err(TryRecvError::Inconsistent) => "inconsistent",
        Err(TryRecvError::Disconnected) => "disconnected",
    };
    assert_eq!(answer(&mut rx), "empty");
    tx.send(msg(0, 0)).unwrap();
    drop(tx);
    assert_eq!(answer(&mut rx), "node");
    assert_eq!(answer(&mut rx), "disconnected");
}

// ---- the `_blocking` renames --------------------------------------------------------------------

#[test]
fn send_timeout_blocking_times_out_when_full_and_sends_once_there_is_room() {
    let (tx, mut rx) = channel::<Msg>(1);
    tx.send_timeout_blocking(msg(0, 1), STALL).unwrap();
    match tx.send_timeout_blocking(msg(0, 2), Duration::from_millis(1)) {
        Err(SendTimeoutError::Timeout(back)) => assert_eq!(back.seq, 2),
        other => panic!("expected a timeout, got {:?}", other.map(|_| ())),
    }
    let sender = thread::spawn(move || tx.send_timeout_blocking(msg(0, 3), STALL).map_err(|_| ()));
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().seq, 1);
    sender
        .join()
        .unwrap()
        .expect("room was made before the stall timeout");
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().seq, 3);
}

#[test]
fn recv_timeout_blocking_times_out_then_reports_the_end() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    assert_eq!(
        rx.recv_timeout_blocking(Duration::from_millis(1)).err(),
        Some(RecvTimeoutError::Timeout)
    );
    let sender = thread::spawn(move || tx.send(msg(0, 7)).unwrap());
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().seq, 7);
    sender.join().unwrap();
    assert_eq!(
        rx.recv_timeout_blocking(STALL).err(),
        Some(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn recv_many_blocking_takes_every_node_in_order_then_returns_zero() {
    let (tx, mut rx) = channel::<Msg>(4);
    let producer = thread::spawn(move || {
        for n in 0..100 {
            tx.send_blocking(msg(0, n)).unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        let before = got.len();
        let taken = rx.recv_many_blocking(&mut got, 3);
        assert_eq!(taken, got.len() - before);
        assert!(taken <= 3);
        if taken == 0 {
            break;
        }
    }
    producer.join().unwrap();
    assert_eq!(
        got.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (0..100).collect::<Vec<_>>()
    );
    assert_eq!(rx.recv_many_blocking(&mut got, 3), 0, "stays at the end");
}

#[test]
fn recv_many_blocking_with_a_limit_of_zero_takes_nothing() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    tx.send(msg(0, 0)).unwrap();
    let mut got = Vec::new();
    assert_eq!(rx.recv_many_blocking(&mut got, 0), 0);
    assert!(got.is_empty());
    assert_eq!(rx.len(), 1, "the node is still there");
}

#[test]
fn recv_many_blocking_accounts_every_node_for_waiting_senders() {
    // Two senders wait for room; one batch of two must let both in.
    let (tx, mut rx) = channel::<Msg>(2);
    tx.try_send(msg(0, 0)).unwrap();
    tx.try_send(msg(0, 1)).unwrap();
    let waiters: Vec<_> = (2..4)
        .map(|n| {
            let tx = tx.clone();
            thread::spawn(move || tx.send_timeout_blocking(msg(0, n), STALL).is_ok())
        })
        .collect();
    drop(tx);
    let mut got = Vec::new();
    while rx.recv_many_blocking(&mut got, 2) != 0 {}
    for waiter in waiters {
        assert!(waiter.join().unwrap(), "a waiting sender was never let in");
    }
    let mut ns: Vec<usize> = got.iter().map(|m| m.seq).collect();
    ns.sort_unstable();
    assert_eq!(ns, [0, 1, 2, 3]);
}

// ---- tokio's meanings: capacity, max_capacity, len, is_empty, is_full --------------------------

#[test]
fn capacity_is_the_room_left_and_max_capacity_the_bound() {
    let (tx, mut rx) = channel::<Msg>(3);
    for (sent, room) in [(0, 3), (1, 2), (2, 1), (3, 0)] {
        assert_eq!(tx.max_capacity(), 3);
        assert_eq!(rx.max_capacity(), 3);
        assert_eq!(tx.capacity(), room, "after {sent} sends");
        assert_eq!(rx.capacity(), room, "after {sent} sends");
        assert_eq!(tx.len(), sent);
        assert_eq!(rx.len(), sent);
        assert_eq!(tx.is_empty(), sent == 0);
        assert_eq!(rx.is_empty(), sent == 0);
        assert_eq!(tx.is_full(), sent == 3);
        assert_eq!(rx.is_full(), sent == 3);
        if sent < 3 {
            tx.try_send(msg(0, sent)).unwrap();
        }
    }
    rx.try_recv().unwrap();
    assert_eq!(tx.capacity(), 1);
    assert_eq!(rx.len(), 2);
    assert!(!tx.is_full());
}

#[test]
fn the_unbounded_receiver_counts_what_is_sent_and_not_received() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    assert!(rx.is_empty());
    for n in 0..5 {
        tx.send(msg(0, n)).unwrap();
    }
    assert_eq!(rx.len(), 5);
    let mut batch = Vec::new();
    assert_eq!(rx.try_recv_many(&mut batch, 3), Ok(3));
    assert_eq!(rx.len(), 2);
    rx.close();
    assert!(tx.send(msg(0, 9)).is_err());
    assert_eq!(rx.len(), 2, "a refused send is not counted");
    while rx.try_recv().is_ok() {}
    assert!(rx.is_empty());
}

#[test]
fn len_counts_everything_sent_by_many_threads() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let producers: Vec<_> = (0..4)
        .map(|_| {
            let tx = tx.clone();
            thread::spawn(move || {
                for n in 0..250 {
                    tx.send(msg(0, n)).unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    assert_eq!(rx.len(), 1000);
    let mut taken = 0;
    while rx.try_recv().is_ok() {
        taken += 1;
        assert_eq!(rx.len(), 1000 - taken);
    }
    assert_eq!(taken, 1000);
}

// ---- weak senders and sender counts -----------------------------------------------------------

#[test]
fn counts_follow_clones_downgrades_and_drops() {
    let (tx, rx) = channel::<Msg>(1);
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 0));
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((tx.strong_count(), tx.weak_count()), (2, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (2, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    drop(tx2);
    drop(weak2);
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 1));
    let upgraded = weak.upgrade().unwrap();
    assert_eq!(rx.sender_strong_count(), 2);
    drop((tx, upgraded));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (0, 1));
    drop(weak);
    assert_eq!(rx.sender_weak_count(), 0);
}

#[test]
fn same_channel_tells_channels_apart() {
    let (tx, _rx) = unbounded_channel::<Msg>();
    let (other, _other_rx) = unbounded_channel::<Msg>();
    assert!(tx.same_channel(&tx));
    assert!(tx.same_channel(&tx.clone()));
    assert!(tx.same_channel(&tx.downgrade().upgrade().unwrap()));
    assert!(!tx.same_channel(&other));
}

#[test]
fn a_weak_sender_does_not_keep_the_channel_open() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let weak: WeakSender<Msg> = tx.downgrade();
    weak.upgrade().unwrap().send(msg(0, 1)).unwrap();
    let dropper = thread::spawn(move || drop(tx));
    // The receiver blocks until the last strong sender goes, then sees the end.
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().seq, 1);
    assert_eq!(
        rx.recv_timeout_blocking(STALL).err(),
        Some(RecvTimeoutError::Disconnected),
        "the end, with a weak sender alive"
    );
    dropper.join().unwrap();
    assert!(rx.is_closed());
    assert!(
        weak.upgrade().is_none(),
        "no sender comes back after the end"
    );
}

#[test]
fn a_weak_sender_of_a_bounded_channel_upgrades_to_a_bounded_sender() {
    let (tx, mut rx) = channel::<Msg>(1);
    let weak: WeakSender<Msg, Bounded> = tx.downgrade();
    drop(tx);
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));

    let (tx, mut rx) = channel::<Msg>(1);
    let weak = tx.downgrade();
    let upgraded = weak.upgrade().unwrap();
    drop(tx);
    upgraded.try_send(msg(0, 4)).unwrap();
    assert!(matches!(
        upgraded.try_send(msg(0, 5)),
        Err(TrySendError::Full(_))
    ));
    drop(upgraded);
    assert_eq!(rx.try_recv().unwrap().seq, 4);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

/// Upgrades race the last strong sender's drop: every node sent through an upgraded sender is
/// received before the end, and the receiver sees the end (no lost wake-up) however the race
/// goes.
#[test]
fn upgrades_racing_the_last_drop_lose_no_node_and_no_wake_up() {
    for _ in 0..scaled(200) {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let weak = tx.downgrade();
        let upgraders: Vec<_> = (0..2)
            .map(|id| {
                let weak = weak.clone();
                thread::spawn(move || match weak.upgrade() {
                    Some(tx) => tx.send(msg(0, id)).is_ok() as usize,
                    None => 0,
                })
            })
            .collect();
        let dropper = thread::spawn(move || drop(tx));
        let mut received = 0;
        while rx.recv_timeout_blocking(STALL).is_ok() {
            received += 1;
        }
        dropper.join().unwrap();
        let sent: usize = upgraders.into_iter().map(|u| u.join().unwrap()).sum();
        assert_eq!(received, sent, "a node sent by an upgraded sender was lost");
        assert!(weak.upgrade().is_none());
    }
}

// ---- one send for code generic over the capacity ------------------------------------------------

/// Sends `0..count` through whichever kind of channel it is given.
async fn produce<B: Capacity>(tx: Sender<Msg, B>, count: usize) -> Result<(), SendError<usize>> {
    for n in 0..count {
        tx.send_async(msg(0, n))
            .await
            .map_err(|SendError(m)| SendError(m.seq))?;
    }
    Ok(())
}

/// Receives until the end, on a thread.
fn consume<B: Capacity>(mut rx: Receiver<Msg, B>) -> thread::JoinHandle<Vec<usize>>
where
    Receiver<Msg, B>: Send + 'static,
{
    thread::spawn(move || rx.iter_blocking().map(|m| m.seq).collect())
}

#[test]
fn send_async_works_the_same_on_both_kinds() {
    let (tx, rx) = unbounded_channel::<Msg>();
    let consumer = consume(rx);
    block_on(produce(tx, 100)).unwrap();
    assert_eq!(consumer.join().unwrap(), (0..100).collect::<Vec<_>>());

    let (tx, rx) = channel::<Msg>(2);
    let consumer = consume(rx);
    block_on(produce(tx, 100)).unwrap();
    assert_eq!(consumer.join().unwrap(), (0..100).collect::<Vec<_>>());
}

#[test]
fn send_async_on_an_unbounded_channel_completes_at_the_first_poll() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let mut cx = Context::from_waker(Waker::noop());
    let mut send = pin!(tx.send_async(msg(0, 3)));
    assert!(matches!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv().unwrap().seq, 3);
}

#[test]
fn send_async_hands_the_node_back_once_the_receiver_is_gone() {
    let (tx, rx) = unbounded_channel::<Msg>();
    drop(rx);
    assert_eq!(block_on(produce(tx, 1)), Err(SendError(0)));
    let (tx, rx) = channel::<Msg>(1);
    drop(rx);
    assert_eq!(block_on(produce(tx, 1)), Err(SendError(0)));
}

// ---- async timeouts, with a timer the test fires ------------------------------------------------

#[test]
fn recv_timeout_ends_when_the_timer_fires() {
    let (_tx, mut rx) = unbounded_channel::<Msg>();
    let timer = Trigger::default();
    let firing = timer.clone();
    let firer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        firing.fire();
    });
    assert_eq!(
        block_on(rx.recv_timeout(timer)).err(),
        Some(RecvTimeoutError::Timeout)
    );
    firer.join().unwrap();
}

#[test]
fn recv_timeout_receives_a_node_sent_while_it_waits() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        tx.send(msg(0, 8)).unwrap();
        tx
    });
    // A timer that never fires: only the node can end the wait.
    let got = block_on(rx.recv_timeout(std::future::pending::<()>()));
    assert_eq!(got.unwrap().seq, 8);
    drop(sender.join().unwrap());
    assert_eq!(
        block_on(rx.recv_timeout(std::future::pending::<()>())).err(),
        Some(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn recv_timeout_prefers_a_node_that_is_there_to_a_timer_that_is_due() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    tx.send(msg(0, 1)).unwrap();
    assert_eq!(
        block_on(rx.recv_timeout(std::future::ready(())))
            .unwrap()
            .seq,
        1
    );
    assert_eq!(
        block_on(rx.recv_timeout(std::future::ready(()))).err(),
        Some(RecvTimeoutError::Timeout)
    );
}

#[test]
fn recv_timeout_is_cancel_safe() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut recv = pin!(rx.recv_timeout(std::future::pending::<()>()));
        assert!(recv.as_mut().poll(&mut cx).is_pending());
    }
    tx.send(msg(0, 2)).unwrap();
    assert_eq!(rx.try_recv().unwrap().seq, 2, "a dropped wait took nothing");
}

#[test]
fn send_timeout_hands_the_node_back_when_the_timer_fires() {
    let (tx, mut rx) = channel::<Msg>(1);
    tx.try_send(msg(0, 1)).unwrap();
    let timer = Trigger::default();
    let mut cx = Context::from_waker(Waker::noop());
    let mut send = pin!(tx.send_timeout(msg(0, 2), timer.clone()));
    assert!(send.as_mut().poll(&mut cx).is_pending(), "full: waits");
    timer.fire();
    match send.as_mut().poll(&mut cx) {
        Poll::Ready(Err(SendTimeoutError::Timeout(back))) => assert_eq!(back.seq, 2),
        _ => panic!("expected the node back with a timeout"),
    }
    assert_eq!(rx.try_recv().unwrap().seq, 1);
    assert_eq!(
        rx.try_recv().err(),
        Some(TryRecvError::Empty),
        "the timed-out node was not sent"
    );
}

#[test]
fn send_timeout_sends_once_room_is_made_before_the_timer() {
    let (tx, mut rx) = channel::<Msg>(1);
    tx.try_send(msg(0, 1)).unwrap();
    let receiver = thread::spawn(move || {
        let first = rx.recv_timeout_blocking(STALL).unwrap().seq;
        let second = rx.recv_timeout_blocking(STALL).unwrap().seq;
        (first, second)
    });
    block_on(tx.send_timeout(msg(0, 2), std::future::pending::<()>())).unwrap();
    assert_eq!(receiver.join().unwrap(), (1, 2));
}

#[test]
fn send_timeout_reports_a_close_with_the_node() {
    let (tx, mut rx) = channel::<Msg>(1);
    tx.try_send(msg(0, 1)).unwrap();
    let closer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        rx.close();
        rx
    });
    match block_on(tx.send_timeout(msg(0, 2), std::future::pending::<()>())) {
        Err(SendTimeoutError::Closed(back)) => assert_eq!(back.seq, 2),
        _ => panic!("expected the node back, closed"),
    }
    let mut rx = closer.join().unwrap();
    assert_eq!(rx.try_recv().unwrap().seq, 1);
}

#[test]
fn a_timed_out_send_leaves_the_wait_list_so_room_goes_to_the_next_sender() {
    let (tx, mut rx) = channel::<Msg>(1);
    tx.try_send(msg(0, 1)).unwrap();
    let timer = Trigger::default();
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut send = pin!(tx.send_timeout(msg(0, 2), timer.clone()));
        assert!(send.as_mut().poll(&mut cx).is_pending());
        timer.fire();
        assert!(matches!(
            send.as_mut().poll(&mut cx),
            Poll::Ready(Err(SendTimeoutError::Timeout(_)))
        ));
    }
    let tx2 = tx.clone();
    let waiter = thread::spawn(move || tx2.send_timeout_blocking(msg(0, 3), STALL).is_ok());
    // Give the waiter time to join the wait list; correctness does not depend on it.
    thread::sleep(Duration::from_millis(5));
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().seq, 1);
    assert!(waiter.join().unwrap(), "the room went to nobody");
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().seq, 3);
}

// ---- unwind safety, as tokio asserts for its ends ------------------------------------------------

#[test]
fn the_ends_are_unwind_safe() {
    fn is_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}
    is_unwind_safe::<Sender<Msg>>();
    is_unwind_safe::<Sender<Msg, Bounded>>();
    is_unwind_safe::<Receiver<Msg>>();
    is_unwind_safe::<Receiver<Msg, Bounded>>();
    is_unwind_safe::<WeakSender<Msg>>();
    is_unwind_safe::<WeakSender<Msg, Bounded>>();
}

#[test]
fn the_ends_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<WeakSender<Msg>>();
    send_sync::<WeakSender<Msg, Bounded>>();
    send_sync::<intrusive_mpsc::channel::SendFuture<'static, Msg, Unbounded>>();
    send_sync::<intrusive_mpsc::channel::RecvTimeoutFuture<'static, Msg, Bounded, Trigger>>();
    send_sync::<intrusive_mpsc::channel::SendTimeoutFuture<'static, Msg, Trigger>>();
}
