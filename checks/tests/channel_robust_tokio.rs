//! The bounded channel's wait list and permits under a real runtime (tokio, multi-thread): send
//! futures forgotten while they wait strand no other sender, and permits reserved, sent and
//! dropped by many tasks keep the count of nodes exact. Every test runs under a `STALL` timeout
//! that only a lost wake-up reaches; nothing asserts on timing.
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;
// The runtimes and the stall guard, shared by the async test files.
mod runtime;

use std::future::{poll_fn, Future};
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::Poll;

use intrusive_mpsc::channel::bounded;
use intrusive_mpsc::{node, Link};
use runtime::multi_thread;
use support::STALL;

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

/// Polls `future` once, in the calling task, and says whether it is still pending.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> bool {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx).is_pending())).await
}

/// Send futures that waited and were then forgotten (never polled nor dropped again), ahead of
/// four tasks that each send 200 nodes through a channel of one: every node arrives.
#[test]
fn forgotten_send_futures_strand_no_other_sender() {
    const SENDERS: usize = 4;
    const EACH: usize = 200;
    multi_thread().block_on(async {
        tokio::time::timeout(STALL, async {
            let (tx, mut rx) = bounded::<Msg>(1);
            tx.try_send(msg(SENDERS)).unwrap();
            let mut forgotten = Vec::new();
            for _ in 0..3 {
                let mut send = tx.send(msg(SENDERS + 1));
                assert!(poll_once(&mut send).await, "full: waits");
                forgotten.push(ManuallyDrop::new(send));
            }
            let senders: Vec<_> = (0..SENDERS)
                .map(|s| {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        for _ in 0..EACH {
                            tx.send(msg(s)).await.unwrap();
                        }
                    })
                })
                .collect();
            let mut counts = [0; SENDERS + 1];
            for _ in 0..SENDERS * EACH + 1 {
                counts[rx.recv().await.unwrap().sender] += 1;
            }
            for sender in senders {
                sender.await.unwrap();
            }
            assert_eq!(counts[..SENDERS], [EACH; SENDERS]);
            assert_eq!(counts[SENDERS], 1);
            // Dropped only now, so that leak checkers see no leak.
            forgotten
                .into_iter()
                .for_each(|f| drop(ManuallyDrop::into_inner(f)));
        })
        .await
        .expect("a sender was stranded: a wake-up was lost");
    });
}

/// Tasks that reserve and send, reserve many and send some, and reserve and drop, through a
/// channel of two: every node sent arrives, and no task hangs.
#[test]
fn permits_reserved_sent_and_dropped_by_many_tasks() {
    const TASKS: usize = 4;
    const ROUNDS: usize = 150;
    multi_thread().block_on(async {
        tokio::time::timeout(STALL, async {
            let (tx, mut rx) = bounded::<Msg>(2);
            let tasks: Vec<_> = (0..TASKS)
                .map(|t| {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let mut sent = 0;
                        for round in 0..ROUNDS {
                            match (t + round) % 3 {
                                0 => {
                                    tx.reserve().await.unwrap().send(msg(t));
                                    sent += 1;
                                }
                                1 => {
                                    let mut permits = tx.reserve_many(2).await.unwrap();
                                    permits.next().unwrap().send(msg(t));
                                    sent += 1;
                                    // The other place is given back with the iterator.
                                }
                                _ => drop(tx.clone().reserve_owned().await.unwrap()),
                            }
                        }
                        sent
                    })
                })
                .collect();
            drop(tx);
            let mut received = [0; TASKS];
            while let Some(m) = rx.recv().await {
                received[m.sender] += 1;
            }
            for (t, task) in tasks.into_iter().enumerate() {
                assert_eq!(task.await.unwrap(), received[t]);
            }
        })
        .await
        .expect("a reservation was stranded: a wake-up was lost");
    });
}
