//! tokio's own tests of `tokio::sync::mpsc`, ported to this channel (issue 18): each test keeps
//! the name it has in tokio, so the two can be read side by side, and is written anew for this
//! API (values travel in [`Item`] nodes; `blocking_recv` / `blocking_send` are `recv_blocking` /
//! `send_blocking`; the async `send_timeout` takes the runtime's sleep future instead of a
//! `Duration`; tokio-test's `task::spawn` is [`Task`]).
//!
//! Ported from tokio-rs/tokio, `tokio/tests/sync_mpsc.rs`, at commit
//! ea91b33ca57ff0581b38e735cc108f831bccbdaa (the file as last changed by dac81bf8c8de).
//! `#[tokio::test]`s run on a current-thread runtime built by hand, as tokio's macro builds one;
//! the tests that tokio runs with a paused clock use a short real sleep instead.
//! `send_recv_stream_with_buffer` and `send_recv_stream_unbounded` use the receiver's `Stream`
//! impl, so they need the feature `futures-core` (`cargo test --all-features`, as CI runs).
//!
//! Where our channel's documented semantics differ from tokio's, the test is adapted and a
//! comment says how; the differences are two:
//! - Room is not handed to a woken waiter: a reservation or send that polls first takes it
//!   (tokio's semaphore assigns it to the first waiter), and a receive may wake more waiting
//!   futures than it made room for. A waiting `reserve_many(n)` holds no room until it gets all
//!   `n` (tokio's takes them one by one).
//! - The check that a blocking call is not made on a runtime's thread runs only when the call
//!   is about to park (tokio's `blocking_send` panics even when there is room).
//!
//! Left out (1 of 105):
//! - `recv_timeout_panic`: checks that tokio's `send_timeout` panics outside a runtime, for want
//!   of a timer; ours takes the caller's timer and has no reactor to miss.
//!
//! The `AssertUnwindSafe` / `AssertRefUnwindSafe` impls at the top of tokio's file (no test of
//! their own there) are checked by `ends_and_permits_are_unwind_safe`.
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;
// The runtimes and the stall guard, shared by the async test files.
mod runtime;
// The ports' node type and hand-polled task.
mod ports;

use std::fmt;
use std::future::Future;
use std::panic::{self, RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use intrusive_mpsc::channel::error::{SendTimeoutError, TryRecvError, TrySendError};
use intrusive_mpsc::channel::{
    channel, unbounded_channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender,
};
use intrusive_mpsc::{Bounded, Unbounded};
use ports::{it, pending, ready, val, Item, Task};
use runtime::{current_thread, multi_thread, run};
use support::{block_on, poll_once, scaled, CountingWaker, STALL};

/// Runs an async test body as `#[tokio::test]` does: on a current-thread runtime (with time),
/// under the `STALL` guard.
fn rt<F: Future>(test: F) -> F::Output {
    run(&current_thread(), test)
}

/// tokio's `Semaphore::MAX_PERMITS`, the most permits tokio's channel can count.
const TOKIO_MAX_PERMITS: usize = usize::MAX >> 3;

fn is_debug<T: fmt::Debug>(_: &T) {}

// The ends and permits may cross `catch_unwind`, as tokio asserts of its own.
#[test]
fn ends_and_permits_are_unwind_safe() {
    fn check<T: UnwindSafe + RefUnwindSafe>() {}
    type I = Item<i32>;
    check::<OwnedPermit<I, Bounded>>();
    check::<Permit<'static, I, Bounded>>();
    check::<PermitIterator<'static, I, Bounded>>();
    check::<Receiver<I, Bounded>>();
    check::<Sender<I, Bounded>>();
    check::<Receiver<I, Unbounded>>();
    check::<Sender<I, Unbounded>>();
    check::<WeakSender<I, Bounded>>();
    check::<WeakSender<I, Unbounded>>();
}

// A permit and a `try_send` each deliver, in order, then the end.
#[test]
fn send_recv_with_buffer() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(16);
        let permit = tx.reserve().await.unwrap();
        permit.send(it(1));
        tx.try_send(it(2)).unwrap();
        drop(tx);
        assert_eq!(val(rx.recv().await), Some(1));
        assert_eq!(val(rx.recv().await), Some(2));
        assert!(rx.recv().await.is_none());
    });
}

// Reservations beyond the capacity wait, and are woken as room is made.
#[test]
fn reserve_disarm() {
    let (tx, mut rx) = channel::<Item<i32>>(2);
    let tx1 = tx.clone();
    let tx2 = tx.clone();
    let tx3 = tx.clone();
    let tx4 = tx;

    let permit1 = block_on(tx1.reserve()).unwrap();
    let permit2 = block_on(tx2.reserve()).unwrap();

    let mut r3 = Task::new(tx3.reserve());
    pending(r3.poll());
    let mut r4 = Task::new(tx4.reserve());
    pending(r4.poll());

    // Sending fills the room; only the receive makes some.
    permit1.send(it(1));
    assert!(!r3.is_woken());
    block_on(rx.recv()).unwrap();
    assert!(r3.is_woken());
    // Adapted: tokio hands the room to r3 alone and asserts r4 is not woken. Our hand-over wakes
    // every waiting future up to the first blocked thread (a waiting future cannot be told from
    // a forgotten one; see `Sender::send`'s costs), so r4 may be woken too, and then waits on.

    drop(permit2);
    assert!(r4.is_woken());

    // Adapted: tokio has assigned both free places to r3 and r4, so a new reservation waits.
    // Here room goes to whoever polls first: r3 and r4 take it when polled, and only then does
    // a new reservation wait.
    let _p3 = ready(r3.poll()).unwrap();
    let _p4 = ready(r4.poll()).unwrap();
    let mut r1 = Task::new(tx1.reserve());
    pending(r1.poll());
}

// Ported with the receiver as a `Stream` (feature `futures-core`), as tokio's test wraps it in one.
#[cfg(feature = "futures-core")]
#[test]
fn send_recv_stream_with_buffer() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(16);
        tokio::spawn(async move {
            tx.send(it(1)).await.unwrap();
            tx.send(it(2)).await.unwrap();
        });
        assert_eq!(val(stream::next(&mut rx).await), Some(1));
        assert_eq!(val(stream::next(&mut rx).await), Some(2));
        assert!(stream::next(&mut rx).await.is_none());
    });
}

// A sender task's `send(..).await`s arrive in order, then the end.
#[test]
fn async_send_recv_with_buffer() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(16);
        tokio::spawn(async move {
            tx.send(it(1)).await.unwrap();
            tx.send(it(2)).await.unwrap();
        });
        assert_eq!(val(rx.recv().await), Some(1));
        assert_eq!(val(rx.recv().await), Some(2));
        assert!(rx.recv().await.is_none());
    });
}

// `recv_many` against a sender task on a channel of 2: limit 0 returns at once, batches append.
#[test]
fn async_send_recv_many_with_buffer() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(2);
        let mut buffer = Vec::with_capacity(3);
        assert_eq!(rx.recv_many(&mut buffer, 0).await, 0);

        let handle = tokio::spawn(async move {
            for v in [1, 2, 7, 0] {
                tx.send(it(v)).await.unwrap();
            }
        });
        let mut received = 0;
        while received < 4 {
            received += rx.recv_many(&mut buffer, 3).await;
            assert_eq!(buffer.len(), received);
        }
        assert_eq!(buffer.iter().map(|m| m.v).collect::<Vec<_>>(), [1, 2, 7, 0]);
        assert_eq!(rx.recv_many(&mut buffer, 3).await, 0);
        handle.await.unwrap();
    });
}

// A reservation dropped while waiting passes its wake-up on to the next one.
#[test]
fn start_send_past_cap() {
    let (tx1, mut rx) = channel::<Item<()>>(1);
    let tx2 = tx1.clone();
    tx1.try_send(it(())).unwrap();

    // Polled in a task of its own (tokio's `t1`), whose waker outlives the future.
    let (t1, t1_waker) = CountingWaker::new();
    let mut r1 = Box::pin(tx1.reserve());
    pending(poll_once(r1.as_mut(), &t1_waker));
    {
        let mut r2 = Task::new(tx2.reserve());
        pending(r2.poll());
        drop(r1);
        assert!(block_on(rx.recv()).is_some());
        assert!(r2.is_woken());
        assert_eq!(t1.wakes(), 0);
    }
    drop(tx1);
    drop(tx2);
    assert!(block_on(rx.recv()).is_none());
}

// A channel of capacity 0 panics (no rendezvous channel here either).
#[test]
#[should_panic]
fn buffer_gteq_one() {
    let _ = channel::<Item<i32>>(0);
}

// Unbounded sends arrive in order, then the end.
#[test]
fn send_recv_unbounded() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        tx.send(it(1)).unwrap();
        tx.send(it(2)).unwrap();
        assert_eq!(val(rx.recv().await), Some(1));
        assert_eq!(val(rx.recv().await), Some(2));
        drop(tx);
        assert!(rx.recv().await.is_none());
    });
}

// `recv_many` on an unbounded channel: limit 0, limit 1, reuse of the buffer's capacity, the end.
#[test]
fn send_recv_many_unbounded() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        let mut buffer = Vec::new();
        rx.recv_many(&mut buffer, 0).await;
        assert!(buffer.is_empty());

        for v in [7, 13, 100, 1002] {
            tx.send(it(v)).unwrap();
        }
        rx.recv_many(&mut buffer, 0).await;
        assert!(buffer.is_empty());

        let mut count = 0;
        while count < 4 {
            count += rx.recv_many(&mut buffer, 1).await;
        }
        assert_eq!(count, 4);
        assert_eq!(
            buffer.iter().map(|m| m.v).collect::<Vec<_>>(),
            [7, 13, 100, 1002]
        );
        let final_capacity = buffer.capacity();
        assert!(final_capacity > 0);

        buffer.clear();
        for v in [5, 6, 7, 2] {
            tx.send(it(v)).unwrap();
        }
        count = rx.recv_many(&mut buffer, 32).await;
        assert_eq!(buffer.capacity(), final_capacity);
        assert_eq!(count, 4);
        assert_eq!(buffer.iter().map(|m| m.v).collect::<Vec<_>>(), [5, 6, 7, 2]);

        drop(tx);
        assert_eq!(rx.recv_many(&mut buffer, 4).await, 0);
        assert!(rx.recv().await.is_none());
    });
}

/// The values of a batch, for comparing with the original's `Vec<String>`.
fn strings(buffer: &[Box<Item<String>>]) -> Vec<String> {
    buffer.iter().map(|m| m.v.clone()).collect()
}

// `recv_many` up to the buffer's capacity on a bounded channel, and a send from a task that
// still arrives after the last sender moved into it.
#[test]
fn send_recv_many_bounded_capacity() {
    rt(async {
        let mut buffer = Vec::with_capacity(9);
        let limit = buffer.capacity();
        let (tx, mut rx) = channel::<Item<String>>(100);

        let mut expected: Vec<String> = (0..limit).map(|x| x.to_string()).collect();
        for x in expected.clone() {
            tx.send(it(x)).await.unwrap();
        }
        tx.send(it("one more".to_string())).await.unwrap();

        assert_eq!(rx.recv_many(&mut buffer, limit).await, buffer.capacity());
        assert_eq!(strings(&buffer), expected);
        assert_eq!(buffer.capacity(), limit);

        assert_eq!(rx.recv_many(&mut buffer, limit).await, 1);
        assert!(buffer.capacity() > limit);
        expected.push("one more".to_string());
        assert_eq!(strings(&buffer), expected);

        tokio::spawn(async move {
            tx.send(it("final".to_string())).await.unwrap();
        });
        assert_eq!(rx.recv_many(&mut buffer, limit).await, 1);
        expected.push("final".to_string());
        assert_eq!(strings(&buffer), expected);
        assert_eq!(rx.recv_many(&mut buffer, limit).await, 0);
        assert_eq!(strings(&buffer), expected);
    });
}

// As `send_recv_many_bounded_capacity`, on an unbounded channel.
#[test]
fn send_recv_many_unbounded_capacity() {
    rt(async {
        let mut buffer = Vec::with_capacity(9);
        let limit = buffer.capacity();
        let (tx, mut rx) = unbounded_channel::<Item<String>>();

        let mut expected: Vec<String> = (0..limit).map(|x| x.to_string()).collect();
        for x in expected.clone() {
            tx.send(it(x)).unwrap();
        }
        tx.send(it("one more".to_string())).unwrap();

        assert_eq!(rx.recv_many(&mut buffer, limit).await, buffer.capacity());
        assert_eq!(strings(&buffer), expected);
        assert_eq!(buffer.capacity(), limit);

        assert_eq!(rx.recv_many(&mut buffer, limit).await, 1);
        assert!(buffer.capacity() > limit);
        expected.push("one more".to_string());
        assert_eq!(strings(&buffer), expected);

        tokio::spawn(async move {
            tx.send(it("final".to_string())).unwrap();
        });
        assert_eq!(rx.recv_many(&mut buffer, limit).await, 1);
        expected.push("final".to_string());
        assert_eq!(strings(&buffer), expected);
        assert_eq!(rx.recv_many(&mut buffer, limit).await, 0);
        assert_eq!(strings(&buffer), expected);
    });
}

// `recv_many` on a closed, empty bounded channel returns 0 and leaves the buffer alone.
#[test]
fn recv_many_with_non_empty_buffer_bounded_rx_closed_and_idle() {
    rt(async {
        let (_tx, mut rx) = channel::<Item<i32>>(1);
        let mut buffer = vec![it(1)];
        rx.close();
        assert_eq!(rx.recv_many(&mut buffer, 1).await, 0);
        assert_eq!(buffer.iter().map(|m| m.v).collect::<Vec<_>>(), [1]);
    });
}

// As above, unbounded.
#[test]
fn recv_many_with_non_empty_buffer_unbounded_rx_closed_and_idle() {
    rt(async {
        let (_tx, mut rx) = unbounded_channel::<Item<i32>>();
        let mut buffer = vec![it(1)];
        rx.close();
        assert_eq!(rx.recv_many(&mut buffer, 1).await, 0);
        assert_eq!(buffer.iter().map(|m| m.v).collect::<Vec<_>>(), [1]);
    });
}

// Unbounded sends from a task arrive in order, then the end.
#[test]
fn async_send_recv_unbounded() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        tokio::spawn(async move {
            tx.send(it(1)).unwrap();
            tx.send(it(2)).unwrap();
        });
        assert_eq!(val(rx.recv().await), Some(1));
        assert_eq!(val(rx.recv().await), Some(2));
        assert!(rx.recv().await.is_none());
    });
}

// As `send_recv_stream_with_buffer`, unbounded.
#[cfg(feature = "futures-core")]
#[test]
fn send_recv_stream_unbounded() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        tokio::spawn(async move {
            tx.send(it(1)).unwrap();
            tx.send(it(2)).unwrap();
        });
        assert_eq!(val(stream::next(&mut rx).await), Some(1));
        assert_eq!(val(stream::next(&mut rx).await), Some(2));
        assert!(stream::next(&mut rx).await.is_none());
    });
}

/// A value with no trait implemented.
struct NoImpls;

// Both ends are `Debug`, and the sender `Clone`, whatever the node carries.
#[test]
fn no_t_bounds_buffer() {
    rt(async {
        let (tx, mut rx) = channel::<Item<NoImpls>>(100);
        is_debug(&tx);
        is_debug(&rx);
        assert!(tx.clone().try_send(it(NoImpls)).is_ok());
        assert!(rx.recv().await.is_some());
    });
}

// As above, unbounded.
#[test]
fn no_t_bounds_unbounded() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<NoImpls>>();
        is_debug(&tx);
        is_debug(&rx);
        assert!(tx.clone().send(it(NoImpls)).is_ok());
        assert!(rx.recv().await.is_some());
    });
}

// A reservation on a full channel of 1 waits, is woken by the receive, then gets the room.
#[test]
fn send_recv_buffer_limited() {
    let (tx, mut rx) = channel::<Item<i32>>(1);
    let p1 = block_on(tx.reserve()).unwrap();
    p1.send(it(1));

    let mut p2 = Task::new(tx.reserve());
    pending(p2.poll());
    assert!(block_on(rx.recv()).is_some());
    assert!(p2.is_woken());

    // Adapted: tokio has assigned the room to p2, so a `try_send` here fails. Here p2 takes the
    // room when it polls, and the `try_send` fails after that.
    let permit = ready(p2.poll()).unwrap();
    assert!(tx.try_send(it(1337)).is_err());
    permit.send(it(2));
    assert!(block_on(rx.recv()).is_some());
}

// After `close`, the receiver gets the end and a send fails.
#[test]
fn recv_close_gets_none_idle() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(10);
        rx.close();
        assert!(rx.recv().await.is_none());
        assert!(tx.send(it(1)).await.is_err());
    });
}

// `close` fails a waiting reservation, while a permit held before it still delivers.
#[test]
fn recv_close_gets_none_reserved() {
    let (tx1, mut rx) = channel::<Item<i32>>(1);
    let tx2 = tx1.clone();

    let permit1 = block_on(tx1.reserve()).unwrap();
    let mut permit2 = Task::new(tx2.reserve());
    pending(permit2.poll());

    rx.close();
    assert!(permit2.is_woken());
    assert!(ready(permit2.poll()).is_err());
    {
        let mut recv = Task::new(rx.recv());
        pending(recv.poll());
        permit1.send(it(123));
        assert!(recv.is_woken());
        assert_eq!(val(ready(recv.poll())), Some(123));
    }
    assert!(block_on(rx.recv()).is_none());
}

// A `reserve_many` that fails on a closed channel leaves the receiver nothing to wait for.
#[test]
fn failed_reserve_many_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(2);
    let permit = tx.try_reserve().unwrap();
    let mut reserve = Task::new(tx.reserve_many(2));
    pending(reserve.poll());

    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());

    // Adapted: tokio's waiting `reserve_many(2)` holds the one free place, so dropping the
    // permit leaves the receiver waiting for it. Ours holds nothing until it gets both, so the
    // drop leaves nothing outstanding and wakes the receiver already.
    drop(permit);
    assert!(ready(reserve.poll()).is_err());
    assert!(recv.is_woken());
    assert!(ready(recv.poll()).is_none());
}

// A `reserve_many` dropped while waiting leaves the closed receiver nothing to wait for.
#[test]
fn cancelled_reserve_many_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(2);
    let permit = tx.try_reserve().unwrap();
    let mut reserve = Task::new(tx.reserve_many(2));
    pending(reserve.poll());

    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());

    // Adapted as `failed_reserve_many_wakes_closed_receiver`: the receiver is woken by the
    // permit's drop already, and the cancelled reservation keeps it from nothing.
    drop(permit);
    drop(reserve);
    assert!(recv.is_woken());
    assert!(ready(recv.poll()).is_none());
}

// A woken `reserve` that fails on the closed channel leaves the receiver nothing to wait for.
#[test]
fn failed_reserve_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(1);
    let permit = tx.try_reserve().unwrap();
    let mut reserve = Task::new(tx.reserve());
    pending(reserve.poll());

    drop(permit);
    assert!(reserve.is_woken());
    rx.close();

    // Adapted: tokio assigned the returned place to the woken reservation, so the receiver
    // waits until it fails. Ours assigns nothing to it: the closed channel has nothing
    // outstanding, and the receive ends at once; the reservation then fails.
    let mut recv = Task::new(rx.recv());
    assert!(ready(recv.poll()).is_none());
    assert!(ready(reserve.poll()).is_err());
}

// A woken `reserve` that is dropped leaves the receiver nothing to wait for.
#[test]
fn cancelled_reserve_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(1);
    let permit = tx.try_reserve().unwrap();
    let mut reserve = Task::new(tx.reserve());
    pending(reserve.poll());

    drop(permit);
    assert!(reserve.is_woken());
    rx.close();

    // Adapted as `failed_reserve_wakes_closed_receiver`: the receive ends at once.
    let mut recv = Task::new(rx.recv());
    assert!(ready(recv.poll()).is_none());
    drop(reserve);
}

// With the only sender dropped at once, the receiver gets the end.
#[test]
fn tx_close_gets_none() {
    rt(async {
        let (_, mut rx) = channel::<Item<i32>>(10);
        assert!(rx.recv().await.is_none());
    });
}

// `try_send` on a full channel fails with `Full`; room comes back after a receive.
#[test]
fn try_send_fail() {
    rt(async {
        let (tx, mut rx) = channel::<Item<&str>>(1);
        tx.try_send(it("hello")).unwrap();
        assert!(matches!(
            tx.try_send(it("fail")),
            Err(TrySendError::Full(_))
        ));
        assert_eq!(val(rx.recv().await), Some("hello"));
        tx.try_send(it("goodbye")).unwrap();
        drop(tx);
        assert_eq!(val(rx.recv().await), Some("goodbye"));
        assert!(rx.recv().await.is_none());
    });
}

// As `try_send_fail`, receiving with `try_recv`.
#[test]
fn try_send_fail_with_try_recv() {
    let (tx, mut rx) = channel::<Item<&str>>(1);
    tx.try_send(it("hello")).unwrap();
    assert!(matches!(
        tx.try_send(it("fail")),
        Err(TrySendError::Full(_))
    ));
    assert_eq!(rx.try_recv().map(|m| m.v), Ok("hello"));
    tx.try_send(it("goodbye")).unwrap();
    drop(tx);
    assert_eq!(rx.try_recv().map(|m| m.v), Ok("goodbye"));
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

// `reserve_many` of more than the capacity fails rather than wait forever.
#[test]
fn reserve_many_above_cap() {
    rt(async {
        let (tx, _rx) = channel::<Item<()>>(1);
        assert!(tx.reserve_many(2).await.is_err());
        assert!(tx.reserve_many(TOKIO_MAX_PERMITS + 1).await.is_err());
        assert!(tx.reserve_many(usize::MAX).await.is_err());
    });
}

// `try_reserve_many(0)` succeeds with no permit, even when full, until the channel closes.
#[test]
fn try_reserve_many_zero() {
    let (tx, rx) = channel::<Item<()>>(1);
    assert!(tx.try_reserve_many(0).unwrap().next().is_none());
    tx.try_send(it(())).unwrap();
    assert!(tx.try_reserve_many(0).unwrap().next().is_none());
    drop(rx);
    assert_eq!(tx.try_reserve_many(0).err(), Some(TrySendError::Closed(())));
}

// As `try_reserve_many_zero`, awaiting `reserve_many(0)`.
#[test]
fn reserve_many_zero() {
    rt(async {
        let (tx, rx) = channel::<Item<()>>(1);
        assert!(tx.reserve_many(0).await.unwrap().next().is_none());
        tx.send(it(())).await.unwrap();
        assert!(tx.reserve_many(0).await.unwrap().next().is_none());
        drop(rx);
        assert!(tx.reserve_many(0).await.is_err());
    });
}

// `try_reserve_many` of more than can ever fit is `Full`; a closed channel fails even 0.
#[test]
fn try_reserve_many_edge_cases() {
    rt(async {
        let (tx, rx) = channel::<Item<()>>(1);
        assert!(tx.try_reserve_many(0).unwrap().next().is_none());
        assert_eq!(
            tx.try_reserve_many(TOKIO_MAX_PERMITS + 1).err(),
            Some(TrySendError::Full(()))
        );
        assert_eq!(
            tx.try_reserve_many(usize::MAX).err(),
            Some(TrySendError::Full(()))
        );
        drop(rx);
        assert!(tx.reserve_many(0).await.is_err());
    });
}

// `try_reserve` fails with `Full` while a permit holds the room; a dropped permit gives it back.
#[test]
fn try_reserve_fails() {
    rt(async {
        let (tx, mut rx) = channel::<Item<&str>>(1);
        let permit = tx.try_reserve().unwrap();
        assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
        permit.send(it("foo"));
        assert_eq!(val(rx.recv().await), Some("foo"));
        let permit = tx.try_reserve().unwrap();
        drop(permit);
        let _permit = tx.try_reserve().unwrap();
    });
}

// `reserve_many(i)` gives `i` permits, each of which delivers one node, for i in 0..100.
#[test]
fn reserve_many_and_send() {
    rt(async {
        let (tx, mut rx) = channel::<Item<&str>>(100);
        for i in 0..100 {
            for permit in tx.reserve_many(i).await.unwrap() {
                permit.send(it("foo"));
                assert_eq!(val(rx.recv().await), Some("foo"));
            }
            assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
        }
    });
}

// As `reserve_many_and_send`, with `try_reserve_many`.
#[test]
fn try_reserve_many_and_send() {
    rt(async {
        let (tx, mut rx) = channel::<Item<&str>>(100);
        for i in 0..100 {
            for permit in tx.try_reserve_many(i).unwrap() {
                permit.send(it("foo"));
                assert_eq!(val(rx.recv().await), Some("foo"));
            }
            assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
        }
    });
}

// `reserve_many` on a channel whose receiver is gone fails.
#[test]
fn reserve_many_on_closed_channel() {
    rt(async {
        let (tx, rx) = channel::<Item<()>>(100);
        drop(rx);
        assert!(tx.reserve_many(10).await.is_err());
    });
}

// `try_reserve_many` on a channel whose receiver is gone fails with `Closed`.
#[test]
fn try_reserve_many_on_closed_channel() {
    let (tx, rx) = channel::<Item<usize>>(100);
    drop(rx);
    assert_eq!(
        tx.try_reserve_many(10).err(),
        Some(TrySendError::Closed(()))
    );
}

// Reserving the whole capacity, sending part of it: `capacity` and further reservations follow.
// Capacities 1..100 as in tokio (fewer under valgrind).
#[test]
fn try_reserve_many_full() {
    rt(async {
        for n in 1..scaled(100).max(2) {
            for k in 0..n {
                let (tx, mut rx) = channel::<Item<usize>>(n);
                let permits = tx.try_reserve_many(n).unwrap();
                assert_eq!(permits.len(), n);
                assert_eq!(tx.capacity(), 0);
                assert!(matches!(
                    tx.try_reserve_many(1),
                    Err(TrySendError::Full(()))
                ));

                for permit in permits.take(k) {
                    permit.send(it(0));
                }
                assert_eq!(tx.capacity(), n - k);
                assert!(tx.try_reserve_many(1).is_ok());
                assert!(matches!(
                    tx.try_reserve_many(n - k + 1),
                    Err(TrySendError::Full(()))
                ));
                for _ in 0..k {
                    assert_eq!(val(rx.recv().await), Some(0));
                }
                assert_eq!(tx.capacity(), n);
            }
        }
    });
}

// Dropping a permit unused wakes a waiting reservation, which then gets the room.
#[test]
fn drop_permit_releases_permit() {
    let (tx1, _rx) = channel::<Item<i32>>(1);
    let tx2 = tx1.clone();
    let permit = block_on(tx1.reserve()).unwrap();
    let mut reserve2 = Task::new(tx2.reserve());
    pending(reserve2.poll());
    drop(permit);
    assert!(reserve2.is_woken());
    assert!(ready(reserve2.poll()).is_ok());
}

// Dropping a whole `PermitIterator` unused wakes a waiting `reserve_many` of the same size.
#[test]
fn drop_permit_iterator_releases_permits() {
    for n in 1..100 {
        let (tx1, _rx) = channel::<Item<i32>>(n);
        let tx2 = tx1.clone();
        let permits = block_on(tx1.reserve_many(n)).unwrap();
        let mut reserve2 = Task::new(tx2.reserve_many(n));
        pending(reserve2.poll());
        drop(permits);
        assert!(reserve2.is_woken());
        let permits = ready(reserve2.poll()).unwrap();
        drop(permits);
        assert_eq!(tx1.capacity(), n);
    }
}

// A closed receiver waits for an outstanding permit, and is woken when it is dropped.
#[test]
fn dropping_last_permit_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    drop(permit);
    assert!(recv.is_woken());
    ready(recv.poll());
}

// As above, with an owned permit.
#[test]
fn dropping_last_owned_permit_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let permit = tx.try_reserve_owned().unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    drop(permit);
    assert!(recv.is_woken());
    ready(recv.poll());
}

// As above, with a permit iterator.
#[test]
fn dropping_last_permit_iterator_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let permits = tx.try_reserve_many(1).unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    drop(permits);
    assert!(recv.is_woken());
    ready(recv.poll());
}

// A closed receiver waiting for an outstanding permit is woken by its send.
#[test]
fn sending_last_permit_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let permit = tx.try_reserve().unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    permit.send(it(()));
    assert!(recv.is_woken());
    ready(recv.poll());
}

// As above, with an owned permit.
#[test]
fn sending_last_owned_permit_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let permit = tx.try_reserve_owned().unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    let _tx = permit.send(it(()));
    assert!(recv.is_woken());
    ready(recv.poll());
}

// As above, with an owned permit released unused.
#[test]
fn releasing_last_owned_permit_wakes_closed_receiver() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let permit = tx.try_reserve_owned().unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    let inert_sender = permit.release();
    assert!(recv.is_woken());
    ready(recv.poll());
    drop(inert_sender);
}

// Dropping the receiver fails reservations and drops the node it did not receive.
#[test]
fn dropping_rx_closes_channel() {
    rt(async {
        let (tx, rx) = channel::<Item<Arc<()>>>(100);
        let msg = Arc::new(());
        tx.try_send(it(Arc::clone(&msg))).unwrap();
        drop(rx);
        assert!(tx.reserve().await.is_err());
        assert!(tx.reserve_many(10).await.is_err());
        assert_eq!(Arc::strong_count(&msg), 1);
    });
}

// As above, for the calls that never wait, each failing with `Closed`.
#[test]
fn dropping_rx_closes_channel_for_try() {
    let (tx, rx) = channel::<Item<Arc<()>>>(100);
    let msg = Arc::new(());
    tx.try_send(it(Arc::clone(&msg))).unwrap();
    drop(rx);
    assert!(matches!(
        tx.try_send(it(Arc::clone(&msg))),
        Err(TrySendError::Closed(_))
    ));
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    assert!(matches!(
        tx.try_reserve_owned(),
        Err(TrySendError::Closed(_))
    ));
    assert_eq!(Arc::strong_count(&msg), 1);
}

// Nodes never received are dropped with the channel.
#[test]
fn unconsumed_messages_are_dropped() {
    let msg = Arc::new(());
    let (tx, rx) = channel::<Item<Arc<()>>>(100);
    tx.try_send(it(Arc::clone(&msg))).unwrap();
    assert_eq!(Arc::strong_count(&msg), 2);
    drop((tx, rx));
    assert_eq!(Arc::strong_count(&msg), 1);
}

// A thread blocked in `recv_blocking` gets what a task sends.
#[test]
fn blocking_recv() {
    let (tx, mut rx) = channel::<Item<u8>>(1);
    let sync_code = std::thread::spawn(move || {
        assert_eq!(val(rx.recv_blocking()), Some(10));
    });
    run(&multi_thread(), async move {
        let _ = tx.send(it(10)).await;
    });
    sync_code.join().unwrap();
}

// `recv_blocking` on the runtime's thread panics rather than hang it.
#[test]
#[should_panic]
fn blocking_recv_async() {
    let (tx, mut rx) = channel::<Item<()>>(1);
    // Should the check ever miss, the receive ends when the sender goes, and the test fails on
    // the missing panic instead of hanging.
    std::thread::spawn(move || {
        std::thread::sleep(STALL);
        drop(tx);
    });
    current_thread().block_on(async {
        let _ = rx.recv_blocking();
    });
}

// A task receives what a thread sends with `send_blocking`.
#[test]
fn blocking_send() {
    let (tx, mut rx) = channel::<Item<u8>>(1);
    let sync_code = std::thread::spawn(move || {
        tx.send_blocking(it(10)).unwrap();
    });
    run(&multi_thread(), async move {
        assert_eq!(val(rx.recv().await), Some(10));
    });
    sync_code.join().unwrap();
}

// `send_blocking` on the runtime's thread panics rather than hang it.
#[test]
#[should_panic]
fn blocking_send_async() {
    let (tx, rx) = channel::<Item<()>>(1);
    // Adapted: tokio's `blocking_send` panics there even with room. Ours checks only when it is
    // about to park, so the channel is filled first.
    tx.try_send(it(())).unwrap();
    // Should the check ever miss, the send fails when the receiver goes, and the test fails on
    // the missing panic instead of hanging.
    std::thread::spawn(move || {
        std::thread::sleep(STALL);
        drop(rx);
    });
    current_thread().block_on(async {
        let _ = tx.send_blocking(it(()));
    });
}

// A closed receiver waits for a permit, and gets the end once it is dropped unused.
#[test]
fn ready_close_cancel_bounded() {
    let (tx, mut rx) = channel::<Item<()>>(100);
    let _tx2 = tx.clone();
    let permit = block_on(tx.reserve()).unwrap();
    rx.close();
    let mut recv = Task::new(rx.recv());
    pending(recv.poll());
    drop(permit);
    assert!(recv.is_woken());
    assert!(ready(recv.poll()).is_none());
}

// A waiting reservation woken after the close and then dropped leaves the receiver the end.
#[test]
fn permit_available_not_acquired_close() {
    let (tx1, mut rx) = channel::<Item<()>>(1);
    let tx2 = tx1.clone();
    let permit1 = block_on(tx1.reserve()).unwrap();
    let mut permit2 = Task::new(tx2.reserve());
    pending(permit2.poll());
    rx.close();
    drop(permit1);
    assert!(permit2.is_woken());
    drop(permit2);
    assert!(block_on(rx.recv()).is_none());
}

// `try_send` / `try_recv` around a full channel of 5, then the end after the last sender.
#[test]
fn try_recv_bounded() {
    let (tx, mut rx) = channel::<Item<&str>>(5);
    let hello = |rx: &mut Receiver<Item<&'static str>, Bounded>| rx.try_recv().map(|m| m.v);

    for _ in 0..5 {
        tx.try_send(it("hello")).unwrap();
    }
    assert!(tx.try_send(it("hello")).is_err());
    for _ in 0..5 {
        assert_eq!(hello(&mut rx), Ok("hello"));
    }
    assert_eq!(hello(&mut rx), Err(TryRecvError::Empty));

    for _ in 0..4 {
        tx.try_send(it("hello")).unwrap();
    }
    assert_eq!(hello(&mut rx), Ok("hello"));
    tx.try_send(it("hello")).unwrap();
    tx.try_send(it("hello")).unwrap();
    assert!(tx.try_send(it("hello")).is_err());
    for _ in 0..5 {
        assert_eq!(hello(&mut rx), Ok("hello"));
    }
    assert_eq!(hello(&mut rx), Err(TryRecvError::Empty));

    for _ in 0..3 {
        tx.try_send(it("hello")).unwrap();
    }
    drop(tx);
    for _ in 0..3 {
        assert_eq!(hello(&mut rx), Ok("hello"));
    }
    assert_eq!(hello(&mut rx), Err(TryRecvError::Disconnected));
}

// `try_recv` in order on unbounded channels of 0 to 99 nodes, then `Empty`, then the end.
#[test]
fn try_recv_unbounded() {
    for num in 0..100 {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        for i in 0..num {
            tx.send(it(i)).unwrap();
        }
        for i in 0..num {
            assert_eq!(rx.try_recv().map(|m| m.v), Ok(i));
        }
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
        drop(tx);
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    }
}

// `try_recv` after `close` with nothing outstanding is the end.
#[test]
fn try_recv_after_receiver_close() {
    let (_tx, mut rx) = channel::<Item<()>>(5);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    rx.close();
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

// `try_recv` after `close` is `Empty` while a permit is outstanding, the end once it is dropped.
#[test]
fn try_recv_after_receiver_close_with_permit() {
    let (tx, mut rx) = channel::<Item<()>>(5);
    let permit = tx.try_reserve().unwrap();
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    rx.close();
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    drop(permit);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

// `try_recv` is `Empty`, then the end once the sender is gone (bounded).
#[test]
fn try_recv_close_while_empty_bounded() {
    let (tx, mut rx) = channel::<Item<()>>(5);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

// As above, unbounded.
#[test]
fn try_recv_close_while_empty_unbounded() {
    let (tx, mut rx) = unbounded_channel::<Item<()>>();
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
}

// (tokio's name; it tests `send_timeout`.) Five fit, the sixth times out, and after the
// receiver is gone a send is `Closed`; each error hands the node back.
#[test]
fn recv_timeout() {
    rt(async {
        // tokio runs this with a paused clock and 1 s timeouts; here a short real sleep.
        let timer = || tokio::time::sleep(Duration::from_millis(10));
        let (tx, rx) = channel::<Item<i32>>(5);
        for v in [10, 20, 30, 40, 50] {
            assert!(tx.send_timeout(it(v), timer()).await.is_ok());
        }
        match tx.send_timeout(it(60), timer()).await {
            Err(SendTimeoutError::Timeout(back)) => assert_eq!(back.v, 60),
            other => panic!("expected a timeout, got {other:?}"),
        }
        drop(rx);
        match tx.send_timeout(it(70), timer()).await {
            Err(SendTimeoutError::Closed(back)) => assert_eq!(back.v, 70),
            other => panic!("expected closed, got {other:?}"),
        }
    });
}

// `capacity` falls with a reservation and with a send; `max_capacity` stays.
#[test]
fn test_tx_capacity() {
    rt(async {
        let (tx, _rx) = channel::<Item<()>>(10);
        assert_eq!(tx.capacity(), 10);
        assert_eq!(tx.max_capacity(), 10);
        let _permit = tx.reserve().await.unwrap();
        assert_eq!(tx.capacity(), 9);
        assert_eq!(tx.max_capacity(), 10);
        tx.send(it(())).await.unwrap();
        assert_eq!(tx.capacity(), 8);
        assert_eq!(tx.max_capacity(), 10);
    });
}

/// Ten nodes sent on `tx`, as several of tokio's `is_closed` / `is_empty` tests start.
async fn send_ten(tx: &Sender<Item<i32>, Bounded>) {
    for i in 0..10 {
        assert!(tx.send(it(i)).await.is_ok());
    }
}

/// Ten nodes sent on an unbounded `tx`.
fn send_ten_unbounded(tx: &Sender<Item<i32>>) {
    for i in 0..10 {
        assert!(tx.send(it(i)).is_ok());
    }
}

// `is_closed` after `close`, though a sender lives.
#[test]
fn test_rx_is_closed_when_calling_close_with_sender() {
    let (_tx, mut rx) = channel::<Item<()>>(10);
    rx.close();
    assert!(rx.is_closed());
}

// `is_closed` once every sender is gone, the last in another task.
#[test]
fn test_rx_is_closed_when_dropping_all_senders() {
    rt(async {
        let (tx, rx) = channel::<Item<()>>(10);
        let another_tx = tx.clone();
        let task = tokio::spawn(async move { drop(another_tx) });
        drop(tx);
        let _ = task.await;
        assert!(rx.is_closed());
    });
}

// Not `is_closed` while a sender lives.
#[test]
fn test_rx_is_not_closed_when_there_are_senders() {
    let (_tx, rx) = channel::<Item<()>>(10);
    assert!(!rx.is_closed());
}

// Not `is_closed` on a full channel whose sender lives.
#[test]
fn test_rx_is_not_closed_when_there_are_senders_and_buffer_filled() {
    rt(async {
        let (tx, rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        assert!(!rx.is_closed());
    });
}

// `is_closed` with nodes still queued once the senders are gone.
#[test]
fn test_rx_is_closed_when_there_are_no_senders_and_there_are_messages() {
    rt(async {
        let (tx, rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        drop(tx);
        assert!(rx.is_closed());
    });
}

// `is_closed` with nodes still queued after `close`.
#[test]
fn test_rx_is_closed_when_there_are_messages_and_close_is_called() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        rx.close();
        assert!(rx.is_closed());
    });
}

// An owned permit holds the sender: not `is_closed`.
#[test]
fn test_rx_is_not_closed_when_there_are_permits_but_not_senders() {
    rt(async {
        let (tx, rx) = channel::<Item<()>>(10);
        let _permit = tx.reserve_owned().await.expect("Failed to reserve permit");
        assert!(!rx.is_closed());
    });
}

// `is_empty` on a new channel.
#[test]
fn test_rx_is_empty_when_no_messages_were_sent() {
    let (_tx, rx) = channel::<Item<()>>(10);
    assert!(rx.is_empty());
}

// Not `is_empty` with a node queued.
#[test]
fn test_rx_is_not_empty_when_there_are_messages_in_the_buffer() {
    rt(async {
        let (tx, rx) = channel::<Item<()>>(10);
        assert!(tx.send(it(())).await.is_ok());
        assert!(!rx.is_empty());
    });
}

// Not `is_empty` when full.
#[test]
fn test_rx_is_not_empty_when_the_buffer_is_full() {
    rt(async {
        let (tx, rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        assert!(!rx.is_empty());
    });
}

// Not `is_empty` with one of ten left.
#[test]
fn test_rx_is_not_empty_when_all_but_one_messages_are_consumed() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        for _ in 0..9 {
            assert!(rx.recv().await.is_some());
        }
        assert!(!rx.is_empty());
    });
}

// `is_empty` once `try_recv` took everything.
#[test]
fn test_rx_is_empty_when_all_messages_are_consumed() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        while rx.try_recv().is_ok() {}
        assert!(rx.is_empty());
    });
}

// `is_empty` once everything was received and the senders are gone.
#[test]
fn test_rx_is_empty_all_senders_are_dropped_and_messages_consumed() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(10);
        send_ten(&tx).await;
        drop(tx);
        for _ in 0..10 {
            assert!(rx.recv().await.is_some());
        }
        assert!(rx.is_empty());
    });
}

// `len` 0 on a new channel.
#[test]
fn test_rx_len_on_empty_channel() {
    let (_tx, rx) = channel::<Item<()>>(100);
    assert_eq!(rx.len(), 0);
}

// `len` 0 once the senders are gone without sending.
#[test]
fn test_rx_len_on_empty_channel_without_senders() {
    let (tx, rx) = channel::<Item<()>>(100);
    drop(tx);
    assert_eq!(rx.len(), 0);
}

// `len` 100 on a full channel of 100.
#[test]
fn test_rx_len_on_filled_channel() {
    rt(async {
        let (tx, rx) = channel::<Item<usize>>(100);
        for i in 0..100 {
            assert!(tx.send(it(i)).await.is_ok());
        }
        assert_eq!(rx.len(), 100);
    });
}

// `len` 100 after the senders are gone.
#[test]
fn test_rx_len_on_filled_channel_without_senders() {
    rt(async {
        let (tx, rx) = channel::<Item<usize>>(100);
        for i in 0..100 {
            assert!(tx.send(it(i)).await.is_ok());
        }
        drop(tx);
        assert_eq!(rx.len(), 100);
    });
}

// `len` follows every send and every receive.
#[test]
fn test_rx_len_when_consuming_all_messages() {
    rt(async {
        let (tx, mut rx) = channel::<Item<usize>>(100);
        for i in 0..100 {
            assert!(tx.send(it(i)).await.is_ok());
            assert_eq!(rx.len(), i + 1);
        }
        drop(tx);
        for i in (0..100).rev() {
            assert!(rx.recv().await.is_some());
            assert_eq!(rx.len(), i);
        }
    });
}

// `close` does not change `len`.
#[test]
fn test_rx_len_when_close_is_called() {
    rt(async {
        let (tx, mut rx) = channel::<Item<()>>(100);
        tx.send(it(())).await.unwrap();
        rx.close();
        assert_eq!(rx.len(), 1);
    });
}

// Nor does `close` then the sender's drop.
#[test]
fn test_rx_len_when_close_is_called_before_dropping_sender() {
    rt(async {
        let (tx, mut rx) = channel::<Item<()>>(100);
        tx.send(it(())).await.unwrap();
        rx.close();
        drop(tx);
        assert_eq!(rx.len(), 1);
    });
}

// Nor the sender's drop then `close`.
#[test]
fn test_rx_len_when_close_is_called_after_dropping_sender() {
    rt(async {
        let (tx, mut rx) = channel::<Item<()>>(100);
        tx.send(it(())).await.unwrap();
        drop(tx);
        rx.close();
        assert_eq!(rx.len(), 1);
    });
}

// Unbounded: `is_closed` after `close`, though a sender lives.
#[test]
fn test_rx_unbounded_is_closed_when_calling_close_with_sender() {
    let (_tx, mut rx) = unbounded_channel::<Item<()>>();
    rx.close();
    assert!(rx.is_closed());
}

// Unbounded: `is_closed` once every sender is gone, the last in another task.
#[test]
fn test_rx_unbounded_is_closed_when_dropping_all_senders() {
    rt(async {
        let (tx, rx) = unbounded_channel::<Item<()>>();
        let another_tx = tx.clone();
        let task = tokio::spawn(async move { drop(another_tx) });
        drop(tx);
        let _ = task.await;
        assert!(rx.is_closed());
    });
}

// Unbounded: not `is_closed` while a sender lives.
#[test]
fn test_rx_unbounded_is_not_closed_when_there_are_senders() {
    let (_tx, rx) = unbounded_channel::<Item<()>>();
    assert!(!rx.is_closed());
}

// Unbounded: `is_closed` with nodes queued once the senders are gone.
#[test]
fn test_rx_unbounded_is_closed_when_there_are_no_senders_and_there_are_messages() {
    let (tx, rx) = unbounded_channel::<Item<i32>>();
    send_ten_unbounded(&tx);
    drop(tx);
    assert!(rx.is_closed());
}

// Unbounded: `is_closed` with nodes queued after `close`.
#[test]
fn test_rx_unbounded_is_closed_when_there_are_messages_and_close_is_called() {
    let (tx, mut rx) = unbounded_channel::<Item<i32>>();
    send_ten_unbounded(&tx);
    rx.close();
    assert!(rx.is_closed());
}

// Unbounded: `is_empty` on a new channel.
#[test]
fn test_rx_unbounded_is_empty_when_no_messages_were_sent() {
    let (_tx, rx) = unbounded_channel::<Item<()>>();
    assert!(rx.is_empty());
}

// Unbounded: not `is_empty` with a node queued.
#[test]
fn test_rx_unbounded_is_not_empty_when_there_are_messages_in_the_buffer() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    assert!(tx.send(it(())).is_ok());
    assert!(!rx.is_empty());
}

// Unbounded: not `is_empty` with one of ten left.
#[test]
fn test_rx_unbounded_is_not_empty_when_all_but_one_messages_are_consumed() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        send_ten_unbounded(&tx);
        for _ in 0..9 {
            assert!(rx.recv().await.is_some());
        }
        assert!(!rx.is_empty());
    });
}

// Unbounded: `is_empty` once `try_recv` took everything.
#[test]
fn test_rx_unbounded_is_empty_when_all_messages_are_consumed() {
    let (tx, mut rx) = unbounded_channel::<Item<i32>>();
    send_ten_unbounded(&tx);
    while rx.try_recv().is_ok() {}
    assert!(rx.is_empty());
}

// Unbounded: `is_empty` once everything was received and the senders are gone.
#[test]
fn test_rx_unbounded_is_empty_all_senders_are_dropped_and_messages_consumed() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        send_ten_unbounded(&tx);
        drop(tx);
        for _ in 0..10 {
            assert!(rx.recv().await.is_some());
        }
        assert!(rx.is_empty());
    });
}

// Unbounded: `len` 0 on a new channel.
#[test]
fn test_rx_unbounded_len_on_empty_channel() {
    let (_tx, rx) = unbounded_channel::<Item<()>>();
    assert_eq!(rx.len(), 0);
}

// Unbounded: `len` 0 once the senders are gone without sending.
#[test]
fn test_rx_unbounded_len_on_empty_channel_without_senders() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    drop(tx);
    assert_eq!(rx.len(), 0);
}

// Unbounded: `len` 100 after 100 sends.
#[test]
fn test_rx_unbounded_len_with_multiple_messages() {
    let (tx, rx) = unbounded_channel::<Item<usize>>();
    for i in 0..100 {
        assert!(tx.send(it(i)).is_ok());
    }
    assert_eq!(rx.len(), 100);
}

// Unbounded: `len` 100 after the senders are gone.
#[test]
fn test_rx_unbounded_len_with_multiple_messages_and_dropped_senders() {
    let (tx, rx) = unbounded_channel::<Item<usize>>();
    for i in 0..100 {
        assert!(tx.send(it(i)).is_ok());
    }
    drop(tx);
    assert_eq!(rx.len(), 100);
}

// Unbounded: `len` follows every send and every receive.
#[test]
fn test_rx_unbounded_len_when_consuming_all_messages() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<usize>>();
        for i in 0..100 {
            assert!(tx.send(it(i)).is_ok());
            assert_eq!(rx.len(), i + 1);
        }
        drop(tx);
        for i in (0..100).rev() {
            assert!(rx.recv().await.is_some());
            assert_eq!(rx.len(), i);
        }
    });
}

// Unbounded: `close` does not change `len`.
#[test]
fn test_rx_unbounded_len_when_close_is_called() {
    let (tx, mut rx) = unbounded_channel::<Item<()>>();
    tx.send(it(())).unwrap();
    rx.close();
    assert_eq!(rx.len(), 1);
}

// Unbounded: nor `close` then the sender's drop.
#[test]
fn test_rx_unbounded_len_when_close_is_called_before_dropping_sender() {
    let (tx, mut rx) = unbounded_channel::<Item<()>>();
    tx.send(it(())).unwrap();
    rx.close();
    drop(tx);
    assert_eq!(rx.len(), 1);
}

// Unbounded: nor the sender's drop then `close`.
#[test]
fn test_rx_unbounded_len_when_close_is_called_after_dropping_sender() {
    let (tx, mut rx) = unbounded_channel::<Item<()>>();
    tx.send(it(())).unwrap();
    drop(tx);
    rx.close();
    assert_eq!(rx.len(), 1);
}

// One send, one receive, 256 times on a channel of 33: `is_empty` after each (tokio #6602).
#[test]
fn test_is_empty_32_msgs() {
    rt(async {
        let (sender, mut receiver) = channel::<Item<i32>>(33);
        for value in 1..257 {
            sender.send(it(value)).await.unwrap();
            receiver.recv().await.unwrap();
            assert!(receiver.is_empty(), "{value}. len: {}", receiver.len());
        }
    });
}

// A node whose drop panics while the receiver drops the rest: every node is still dropped.
#[test]
fn drop_all_elements_during_panic() {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    struct A(bool);
    impl Drop for A {
        fn drop(&mut self) {
            COUNTER.fetch_add(1, Relaxed);
            if self.0 {
                panic!("panic!");
            }
        }
    }

    fn func(tx: Sender<Item<A>>, rx: Receiver<Item<A>>) {
        tx.send(it(A(true))).unwrap();
        tx.send(it(A(false))).unwrap();
        tx.send(it(A(false))).unwrap();
        drop(rx);
    }

    let (tx, rx) = unbounded_channel::<Item<A>>();
    let _ = panic::catch_unwind(panic::AssertUnwindSafe(|| func(tx.clone(), rx)));
    assert_eq!(COUNTER.load(Relaxed), 3);
    drop(tx);
}

// Dropping a receiver that registered a waker releases that waker at once.
#[test]
fn release_waker_on_rx_drop() {
    use std::task::{Context, Wake, Waker};

    struct DummyWaker;
    impl Wake for DummyWaker {
        fn wake(self: Arc<Self>) {}
    }

    let dummy = Arc::new(DummyWaker);
    let waker = Waker::from(Arc::clone(&dummy));
    let mut cx = Context::from_waker(&waker);
    assert_eq!(Arc::strong_count(&dummy), 2);

    let (_tx, mut rx) = channel::<Item<()>>(1);
    pending(rx.poll_recv(&mut cx));
    assert_eq!(Arc::strong_count(&dummy), 3);

    drop(rx);
    assert_eq!(
        Arc::strong_count(&dummy),
        2,
        "dropping rx did not drop its waker"
    );
}

#[cfg(feature = "futures-core")]
mod stream {
    use std::pin::Pin;

    use futures_core::Stream;

    /// The stream's next item: tokio-stream's `StreamExt::next`.
    pub async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
        std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
    }
}
