//! The channel's API under tokio (issue 18): tokio's habits that now compile and do the right
//! thing, and the feature `tokio`'s check that a blocking call never parks a thread that runs
//! the runtime's tasks, current-thread and multi-thread, while `spawn_blocking`,
//! `block_in_place` and plain threads may block. The habits that must not compile are
//! `compile_fail` doctests in the library (`channel` module and `Timer`).
//!
//! Waits that a peer must end run under `STALL`, which only a lost wake-up reaches; nothing
//! asserts on timing.
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;
// The runtimes and the stall guard, shared by the async test files.
mod runtime;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use intrusive_mpsc::channel::error::{RecvTimeoutError, SendTimeoutError};
use intrusive_mpsc::channel::{channel, unbounded_channel, Receiver, Sender};
use intrusive_mpsc::{node, Capacity, Link};
use runtime::{assert_refused, current_thread, in_a_task, message, multi_thread, run};
use support::STALL;
use tokio::time::sleep;

struct Msg {
    link: Link,
    n: usize,
}
node!(Msg, link, Box<Msg>);

fn msg(n: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        n,
    })
}

/// Drops `end` (the other end of the channel a blocking call waits on) after `STALL`, on a
/// thread of its own: should the check ever miss, the blocking call then returns, and the test
/// fails on the missing panic instead of hanging its runtime's only thread.
fn rescue<T: Send + 'static>(end: T) {
    std::thread::spawn(move || {
        std::thread::sleep(STALL);
        drop(end);
    });
}

// ---- a blocking call inside the runtime is caught -------------------------------------------------

#[test]
fn recv_blocking_in_a_task_panics_naming_recv_await_current_thread() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    rescue(tx);
    let result = in_a_task(&current_thread(), move || {
        rx.recv_blocking();
    });
    assert_refused(result, "recv_blocking", "recv().await");
}

#[test]
fn recv_blocking_in_a_task_panics_naming_recv_await_multi_thread() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    rescue(tx);
    let result = in_a_task(&multi_thread(), move || {
        rx.recv_blocking();
    });
    assert_refused(result, "recv_blocking", "recv().await");
}

#[test]
fn recv_blocking_in_block_on_panics_on_both_runtimes() {
    for runtime in [current_thread(), multi_thread()] {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        rescue(tx);
        let result = catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                rx.recv_blocking();
            })
        }))
        .map_err(message);
        assert_refused(result, "recv_blocking", "recv().await");
    }
}

#[test]
fn every_blocking_call_that_would_park_in_a_task_panics_with_its_async_name() {
    let runtime = multi_thread();

    let (tx, mut rx) = unbounded_channel::<Msg>();
    rescue(tx);
    let result = in_a_task(&runtime, move || {
        let _ = rx.recv_timeout_blocking(STALL);
    });
    assert_refused(result, "recv_timeout_blocking", "recv_timeout(sleep).await");

    let (tx, mut rx) = unbounded_channel::<Msg>();
    rescue(tx);
    let result = in_a_task(&runtime, move || {
        rx.recv_many_blocking(&mut Vec::new(), 4);
    });
    assert_refused(
        result,
        "recv_many_blocking",
        "recv_many(buffer, limit).await",
    );

    let (tx, mut rx) = unbounded_channel::<Msg>();
    rescue(tx);
    let result = in_a_task(&runtime, move || {
        rx.iter_blocking().next();
    });
    assert_refused(result, "recv_blocking", "recv().await");

    let (tx, rx) = channel::<Msg>(1);
    rescue(rx);
    tx.try_send(msg(0)).unwrap();
    let result = in_a_task(&runtime, move || {
        let _ = tx.send_blocking(msg(1));
    });
    assert_refused(result, "send_blocking", "send(node).await");

    let (tx, rx) = channel::<Msg>(1);
    rescue(rx);
    tx.try_send(msg(0)).unwrap();
    let result = in_a_task(&runtime, move || {
        let _ = tx.send_timeout_blocking(msg(1), STALL);
    });
    assert_refused(
        result,
        "send_timeout_blocking",
        "send_timeout(node, sleep).await",
    );
}

#[test]
fn the_receiver_stays_usable_after_the_panic() {
    let runtime = current_thread();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    // Should the check miss, this node ends the blocking receive (and the test fails).
    let late = tx.clone();
    std::thread::spawn(move || {
        std::thread::sleep(STALL);
        let _ = late.send(msg(99));
    });
    let result = catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(async {
            rx.recv_blocking();
        })
    }))
    .map_err(message);
    assert_refused(result, "recv_blocking", "recv().await");
    // Outside the runtime the same receiver blocks, and is woken, as usual.
    let sender = std::thread::spawn({
        let tx = tx.clone();
        move || {
            std::thread::sleep(Duration::from_millis(5));
            tx.send(msg(4)).unwrap();
        }
    });
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().n, 4);
    sender.join().unwrap();
    // And inside it, asynchronously.
    let got = run(&runtime, async {
        tokio::spawn(async move { tx.send(msg(5)).unwrap() });
        rx.recv_timeout(sleep(STALL)).await
    });
    assert_eq!(got.unwrap().n, 5);
}

// ---- where blocking is legitimate, it is not caught ----------------------------------------------

#[test]
fn a_blocking_call_that_need_not_park_is_not_checked() {
    let runtime = current_thread();
    let (tx, mut rx) = channel::<Msg>(2);
    let result = in_a_task(&runtime, move || {
        tx.send_blocking(msg(1)).unwrap();
        assert_eq!(rx.recv_blocking().unwrap().n, 1);
        drop(tx);
        assert!(rx.recv_blocking().is_none(), "the end, without parking");
    });
    assert_eq!(result, Ok(()));
}

#[test]
fn spawn_blocking_may_block_on_both_runtimes() {
    for runtime in [current_thread(), multi_thread()] {
        let (tx, mut rx) = channel::<Msg>(1);
        let got = run(&runtime, async move {
            let receiver = tokio::task::spawn_blocking(move || {
                let first = rx.recv_blocking().map(|m| m.n);
                let second = rx.recv_timeout_blocking(STALL).map(|m| m.n).ok();
                (first, second)
            });
            let sender = tokio::task::spawn_blocking({
                let tx = tx.clone();
                move || {
                    tx.send_blocking(msg(1)).unwrap();
                    tx.send_timeout_blocking(msg(2), STALL).map_err(|_| ())
                }
            });
            // Let the blocking threads park before the async side sends nothing more.
            tokio::task::yield_now().await;
            drop(tx);
            sender.await.unwrap().unwrap();
            receiver.await.unwrap()
        });
        assert_eq!(got, (Some(1), Some(2)));
    }
}

#[test]
fn block_in_place_may_block() {
    let runtime = multi_thread();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let got = run(&runtime, async move {
        let sender = tokio::spawn(async move {
            sleep(Duration::from_millis(5)).await;
            tx.send(msg(6)).unwrap();
        });
        let got = tokio::task::block_in_place(|| rx.recv_blocking().map(|m| m.n));
        sender.await.unwrap();
        got
    });
    assert_eq!(got, Some(6));
}

#[test]
fn a_thread_that_only_entered_the_runtime_may_block() {
    let runtime = multi_thread();
    let _entered = runtime.enter();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5));
        tx.send(msg(2)).unwrap();
    });
    assert_eq!(rx.recv_timeout_blocking(STALL).unwrap().n, 2);
    sender.join().unwrap();
}

// ---- tokio's habits, written the way this crate takes them ----------------------------------------

/// The case: on a current-thread runtime the blocking `send_timeout` timed out 4 sends
/// of 5 while the receiver task could not run. The async one, with tokio's sleep, sends all.
#[test]
fn send_timeout_with_tokio_sleep_lets_the_receiver_task_run_current_thread() {
    let runtime = current_thread();
    let (tx, mut rx) = channel::<Msg>(1);
    let got = run(&runtime, async move {
        let receiver = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Ok(m) = rx.recv_timeout(sleep(STALL)).await {
                got.push(m.n);
            }
            got
        });
        for n in 0..5 {
            tx.send_timeout(msg(n), sleep(STALL))
                .await
                .map_err(|_| ())
                .expect("room was made: the receiver task ran");
        }
        drop(tx);
        receiver.await.unwrap()
    });
    assert_eq!(got, [0, 1, 2, 3, 4]);
}

#[test]
fn recv_timeout_with_tokio_sleep_times_out_on_both_runtimes() {
    for runtime in [current_thread(), multi_thread()] {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let result = run(&runtime, async {
            rx.recv_timeout(sleep(Duration::from_millis(1))).await
        });
        assert_eq!(result.err(), Some(RecvTimeoutError::Timeout));
        drop(tx);
    }
}

#[test]
fn send_timeout_with_tokio_sleep_hands_the_node_back_when_full() {
    let runtime = current_thread();
    let (tx, mut rx) = channel::<Msg>(1);
    tx.try_send(msg(1)).unwrap();
    let result = run(&runtime, async {
        tx.send_timeout(msg(2), sleep(Duration::from_millis(1)))
            .await
    });
    match result {
        Err(SendTimeoutError::Timeout(back)) => assert_eq!(back.n, 2),
        _ => panic!("expected the node back, timed out"),
    }
    assert_eq!(rx.try_recv().unwrap().n, 1);
}

#[test]
fn tokio_timeout_around_recv_works_too() {
    let runtime = current_thread();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let got = run(&runtime, async {
        assert!(tokio::time::timeout(Duration::from_millis(1), rx.recv())
            .await
            .is_err());
        tokio::spawn(async move { tx.send(msg(3)).unwrap() });
        tokio::time::timeout(STALL, rx.recv()).await
    });
    assert_eq!(got.unwrap().unwrap().n, 3);
}

/// `channel(8)` is bounded, as in tokio: the ninth `send(..).await` waits for the receiver.
#[test]
fn channel_8_is_bounded_and_send_await_waits_for_room() {
    let runtime = current_thread();
    let (tx, mut rx) = channel::<Msg>(8);
    let got = run(&runtime, async move {
        for n in 0..8 {
            tx.send(msg(n)).await.unwrap();
        }
        assert_eq!(tx.capacity(), 0);
        let receiver = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(m) = rx.recv().await {
                got.push(m.n);
            }
            got
        });
        tx.send(msg(8)).await.unwrap();
        drop(tx);
        receiver.await.unwrap()
    });
    assert_eq!(got, (0..9).collect::<Vec<_>>());
}

/// Code generic over the capacity sends one way, `send_async`, on both kinds.
async fn produce<B: Capacity>(tx: Sender<Msg, B>, count: usize) {
    for n in 0..count {
        tx.send_async(msg(n)).await.unwrap();
    }
}

async fn consume<B: Capacity>(mut rx: Receiver<Msg, B>) -> Vec<usize> {
    let mut got = Vec::new();
    while let Some(m) = rx.recv().await {
        got.push(m.n);
    }
    got
}

#[test]
fn a_generic_producer_task_sends_on_both_kinds() {
    let runtime = multi_thread();
    let (tx, rx) = unbounded_channel::<Msg>();
    let unbounded = run(&runtime, async move {
        let consumer = tokio::spawn(consume(rx));
        tokio::spawn(produce(tx, 200)).await.unwrap();
        consumer.await.unwrap()
    });
    let (tx, rx) = channel::<Msg>(4);
    let bounded = run(&runtime, async move {
        let consumer = tokio::spawn(consume(rx));
        tokio::spawn(produce(tx, 200)).await.unwrap();
        consumer.await.unwrap()
    });
    assert_eq!(unbounded, (0..200).collect::<Vec<_>>());
    assert_eq!(bounded, (0..200).collect::<Vec<_>>());
}
