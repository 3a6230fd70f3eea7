//! The channel under a real runtime (tokio), current-thread and multi-thread: `recv().await`
//! and `send(node).await` never hang, closing, `closed().await`, `recv_many`, and the `Stream`
//! impls (feature `futures-core`). Every test runs under a `STALL` timeout that only a lost
//! wake-up reaches; nothing asserts on timing.
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;
// The runtimes and the stall guard, shared by the async test files.
mod runtime;

use intrusive_mpsc::channel::{bounded, unbounded_channel, Receiver, Sender, TrySendError};
use intrusive_mpsc::Capacity;
use runtime::{current_thread, multi_thread, run};
use support::{msg, scaled, Fifo, Msg};
use tokio::task::yield_now;

/// The case: on a current-thread runtime the receiver awaits while the sender is
/// another task of the same runtime, so a receive that blocked the thread would hang forever.
#[test]
fn recv_await_on_a_current_thread_runtime_lets_the_sender_task_run() {
    let runtime = current_thread();
    run(&runtime, async {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let sender = tokio::spawn(async move {
            for seq in 0..1_000 {
                tx.send(msg(0, seq)).unwrap();
                if seq % 10 == 0 {
                    yield_now().await;
                }
            }
        });
        let mut next = 0;
        while let Some(m) = rx.recv().await {
            assert_eq!(m.seq, next);
            next += 1;
        }
        assert_eq!(next, 1_000);
        sender.await.unwrap();
    });
}

/// Many sender tasks on a multi-thread runtime; the receiver awaits every node, in per-sender
/// order, then the end.
fn receives_everything<B: Capacity>(
    runtime: &tokio::runtime::Runtime,
    (tx, mut rx): (Sender<Msg, B>, Receiver<Msg, B>),
    send: fn(Sender<Msg, B>, usize, usize) -> tokio::task::JoinHandle<()>,
) {
    const SENDERS: usize = 4;
    // Scaled down under valgrind (`.ci/valgrind`), where a bounded(1) hand-over per node between
    // tasks on a loaded 2-core machine could otherwise run into the `STALL` timeout.
    let per_sender = scaled(5_000);
    run(runtime, async move {
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| send(tx.clone(), s, per_sender))
            .collect();
        drop(tx);
        let mut fifo = Fifo::new(SENDERS);
        while let Some(m) = rx.recv().await {
            fifo.take(&m);
        }
        fifo.assert_all(per_sender);
        for s in senders {
            s.await.unwrap();
        }
    });
}

fn spawn_unbounded(tx: Sender<Msg>, s: usize, count: usize) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for seq in 0..count {
            tx.send(msg(s, seq)).unwrap();
            if seq % 64 == 0 {
                yield_now().await;
            }
        }
    })
}

fn spawn_bounded(
    tx: Sender<Msg, intrusive_mpsc::Bounded>,
    s: usize,
    count: usize,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for seq in 0..count {
            tx.send(msg(s, seq)).await.unwrap();
        }
    })
}

#[test]
fn unbounded_multi_thread_runtime() {
    receives_everything(&multi_thread(), unbounded_channel(), spawn_unbounded);
}

#[test]
fn unbounded_current_thread_runtime() {
    receives_everything(&current_thread(), unbounded_channel(), spawn_unbounded);
}

/// `send(node).await` on a full channel suspends the task until the receiver takes a node; on a
/// current-thread runtime the receiver task must get to run meanwhile.
#[test]
fn bounded_send_await_current_thread_runtime() {
    receives_everything(&current_thread(), bounded(1), spawn_bounded);
}

#[test]
fn bounded_send_await_multi_thread_runtime() {
    receives_everything(&multi_thread(), bounded(4), spawn_bounded);
}

/// A bounded sender task awaits room while the receiver is a plain thread that blocks.
#[test]
fn bounded_send_await_against_a_blocking_receiver_thread() {
    let runtime = current_thread();
    let (tx, mut rx) = bounded::<Msg>(2);
    let receiver = std::thread::spawn(move || {
        let mut next = 0;
        while let Some(m) = rx.recv_blocking() {
            assert_eq!(m.seq, next);
            next += 1;
        }
        next
    });
    run(&runtime, async move {
        for seq in 0..2_000 {
            tx.send(msg(0, seq)).await.unwrap();
        }
    });
    assert_eq!(receiver.join().unwrap(), 2_000);
}

#[test]
fn closed_completes_when_the_receiver_closes_or_goes() {
    for runtime in [current_thread(), multi_thread()] {
        run(&runtime, async {
            let (tx, mut rx) = unbounded_channel::<Msg>();
            let watcher = {
                let tx = tx.clone();
                tokio::spawn(async move {
                    tx.closed().await;
                    assert!(tx.is_closed());
                })
            };
            yield_now().await;
            tx.send(msg(0, 0)).unwrap();
            rx.close();
            watcher.await.unwrap();
            assert!(tx.send(msg(0, 1)).is_err());
            assert_eq!(rx.recv().await.unwrap().seq, 0, "sent before the close");
            assert!(rx.recv().await.is_none());

            let (tx, rx) = bounded::<Msg>(1);
            let watcher = tokio::spawn(async move {
                tx.closed().await;
                tx
            });
            yield_now().await;
            drop(rx);
            assert!(watcher.await.unwrap().is_closed());
        });
    }
}

#[test]
fn close_wakes_a_sender_awaiting_room() {
    run(&multi_thread(), async {
        let (tx, mut rx) = bounded::<Msg>(1);
        tx.try_send(msg(0, 0)).unwrap();
        let waiting = tokio::spawn(async move { tx.send(msg(0, 1)).await });
        yield_now().await;
        rx.close();
        let back = waiting.await.unwrap().unwrap_err().0;
        assert_eq!(back.seq, 1);
        assert_eq!(rx.recv().await.unwrap().seq, 0);
        assert!(rx.recv().await.is_none());
    });
}

#[test]
fn recv_many_takes_batches_and_reports_the_end_with_zero() {
    run(&multi_thread(), async {
        let (tx, mut rx) = bounded::<Msg>(16);
        let sender = tokio::spawn(async move {
            for seq in 0..10_000 {
                tx.send(msg(0, seq)).await.unwrap();
            }
        });
        let mut batch = Vec::with_capacity(32);
        let mut next = 0;
        loop {
            batch.clear();
            let n = rx.recv_many(&mut batch, 32).await;
            if n == 0 {
                break;
            }
            assert_eq!(n, batch.len());
            assert!(n <= 32);
            for m in batch.drain(..) {
                assert_eq!(m.seq, next);
                next += 1;
            }
        }
        assert_eq!(next, 10_000);
        assert_eq!(rx.recv_many(&mut batch, 0).await, 0);
        sender.await.unwrap();
    });
}

/// Closing while sender tasks race: each accepted send is received before the end.
#[test]
fn close_under_racing_sender_tasks_strands_nothing() {
    run(&multi_thread(), async {
        for round in 0..50 {
            let (tx, mut rx) = bounded::<Msg>(8);
            let senders: Vec<_> = (0..3)
                .map(|s| {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let mut accepted = 0;
                        for seq in 0.. {
                            match tx.send(msg(s, seq)).await {
                                Ok(()) => accepted += 1,
                                Err(_) => break,
                            }
                        }
                        accepted
                    })
                })
                .collect();
            drop(tx);
            let mut received = 0;
            for _ in 0..round % 5 {
                rx.recv().await.unwrap();
                received += 1;
            }
            rx.close();
            while rx.recv().await.is_some() {
                received += 1;
            }
            let mut accepted = 0;
            for s in senders {
                accepted += s.await.unwrap();
            }
            assert_eq!(received, accepted, "round {round}");
            assert!(matches!(
                rx.try_recv(),
                Err(intrusive_mpsc::channel::TryRecvError::Disconnected)
            ));
        }
    });
}

#[test]
fn try_send_full_then_room_after_an_awaited_receive() {
    run(&current_thread(), async {
        let (tx, mut rx) = bounded::<Msg>(1);
        tx.try_send(msg(0, 0)).unwrap();
        assert!(matches!(tx.try_send(msg(0, 1)), Err(TrySendError::Full(_))));
        assert_eq!(rx.recv().await.unwrap().seq, 0);
        tx.try_send(msg(0, 2)).unwrap();
    });
}

#[cfg(feature = "futures-core")]
mod stream {
    use std::pin::Pin;
    use std::sync::Arc;

    use futures_core::{FusedStream, Stream};
    use intrusive_mpsc::channel::{bounded, unbounded_channel};
    use intrusive_mpsc::WaitQueue;

    use super::{msg, multi_thread, run, yield_now, Msg};

    async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
        std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
    }

    #[test]
    fn the_receiver_is_a_stream_that_ends_and_stays_ended() {
        run(&multi_thread(), async {
            let (tx, mut rx) = bounded::<Msg>(2);
            let sender = tokio::spawn(async move {
                for seq in 0..500 {
                    tx.send(msg(0, seq)).await.unwrap();
                }
            });
            let mut count = 0;
            while let Some(m) = next(&mut rx).await {
                assert_eq!(m.seq, count);
                count += 1;
                assert!(!rx.is_terminated());
            }
            assert_eq!(count, 500);
            assert!(rx.is_terminated());
            assert!(next(&mut rx).await.is_none(), "fused");
            sender.await.unwrap();

            let (tx, mut rx) = unbounded_channel::<Msg>();
            tx.send(msg(0, 0)).unwrap();
            rx.close();
            assert!(next(&mut rx).await.is_some(), "sent before the close");
            assert!(next(&mut rx).await.is_none());
            assert!(rx.is_terminated());
        });
    }

    #[test]
    fn an_owned_sleeping_consumer_is_a_stream_in_a_task() {
        run(&multi_thread(), async {
            let queue = Arc::new(WaitQueue::<Msg>::new());
            let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
            let worker = tokio::spawn(async move {
                let mut sum = 0;
                for _ in 0..100 {
                    sum += next(&mut consumer).await.expect("endless").seq;
                }
                sum
            });
            for seq in 0..100 {
                queue.enqueue(msg(0, seq));
                if seq % 10 == 0 {
                    yield_now().await;
                }
            }
            assert_eq!(worker.await.unwrap(), (0..100).sum::<usize>());
        });
    }
}
