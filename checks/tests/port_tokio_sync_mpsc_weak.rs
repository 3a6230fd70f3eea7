//! tokio's tests of `tokio::sync::mpsc`'s weak senders and sender counts, ported to this channel
//! (issue 18): each test keeps the name it has in tokio, so the two can be read side by side, and
//! is written anew for this API (values travel in [`Item`] nodes; tokio's `WeakUnboundedSender`
//! is our `WeakSender` of an unbounded channel).
//!
//! Ported from tokio-rs/tokio, `tokio/tests/sync_mpsc_weak.rs`, at commit
//! ea91b33ca57ff0581b38e735cc108f831bccbdaa (the file as last changed by fe7285d3d167).
//! `#[tokio::test]`s run on a current-thread runtime built by hand, as tokio's macro builds one.
//! The actor tests answer through a channel of one of ours where tokio uses a `oneshot`, and
//! share one body for both kinds of channel (sending with `send_async`, which both have); the
//! drop-counting tests count with a counter of their own instead of a `static`.
//!
//! Left out: none (28 of 28 ported).
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;
// The runtimes and the stall guard, shared by the async test files.
mod runtime;
// The ports' node type.
mod ports;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use intrusive_mpsc::channel::{channel, unbounded_channel, Receiver, Sender, WeakSender};
use intrusive_mpsc::{Bounded, Capacity};
use ports::{it, Item};
use runtime::{current_thread, run};

/// Runs an async test body as `#[tokio::test]` does: on a current-thread runtime (with time),
/// under the `STALL` guard.
fn rt<F: Future>(test: F) -> F::Output {
    run(&current_thread(), test)
}

// A weak sender upgraded inside a task sends; once every sender is gone it no longer upgrades.
#[test]
fn weak_sender() {
    rt(async {
        let (tx, mut rx) = channel::<Item<i32>>(11);
        let tx_weak = tokio::spawn(async move {
            let tx_weak = tx.clone().downgrade();
            for i in 0..10 {
                if tx.send(it(i)).await.is_err() {
                    return None;
                }
            }
            let tx2 = tx_weak
                .upgrade()
                .expect("expected to be able to upgrade tx_weak");
            let _ = tx2.send(it(20)).await;
            Some(tx2.downgrade())
        })
        .await
        .unwrap();

        for i in 0..12 {
            match rx.recv().await {
                Some(msg) if i == 10 => assert_eq!(msg.v, 20),
                Some(_) => {}
                None => {
                    assert_eq!(i, 11);
                    break;
                }
            }
        }
        assert!(tx_weak.unwrap().upgrade().is_none());
    });
}

/// tokio's actor example with a weak sender to itself, on the channel `make` creates.
mod actor {
    use super::*;

    pub enum ActorMessage {
        GetUniqueId {
            respond_to: Sender<Item<u32>, Bounded>,
        },
        SelfMessage,
    }

    pub struct MyActor<B: Capacity> {
        receiver: Receiver<Item<ActorMessage>, B>,
        sender: WeakSender<Item<ActorMessage>, B>,
        next_id: u32,
        received_self_msg: bool,
    }

    impl<B: Capacity> MyActor<B> {
        fn handle_message(&mut self, msg: ActorMessage) {
            match msg {
                ActorMessage::GetUniqueId { respond_to } => {
                    self.next_id += 1;
                    let _ = respond_to.try_send(it(self.next_id));
                }
                ActorMessage::SelfMessage => self.received_self_msg = true,
            }
        }

        async fn send_message_to_self(&mut self) {
            if let Some(sender) = self.sender.upgrade() {
                let _ = sender.send_async(it(ActorMessage::SelfMessage)).await;
                self.sender = sender.downgrade();
            }
        }

        pub async fn run(&mut self) {
            let mut i = 0;
            while let Some(msg) = self.receiver.recv().await {
                self.handle_message(msg.v);
                if i == 0 {
                    self.send_message_to_self().await;
                }
                i += 1;
            }
            assert!(self.received_self_msg);
        }
    }

    pub struct MyActorHandle<B: Capacity> {
        sender: Sender<Item<ActorMessage>, B>,
    }

    impl<B: Capacity> MyActorHandle<B> {
        pub fn new(
            (sender, receiver): (
                Sender<Item<ActorMessage>, B>,
                Receiver<Item<ActorMessage>, B>,
            ),
        ) -> (Self, MyActor<B>) {
            let actor = MyActor {
                receiver,
                sender: sender.clone().downgrade(),
                next_id: 0,
                received_self_msg: false,
            };
            (MyActorHandle { sender }, actor)
        }

        pub async fn get_unique_id(&self) -> u32 {
            let (send, mut recv) = channel(1);
            let msg = ActorMessage::GetUniqueId { respond_to: send };
            let _ = self.sender.send_async(it(msg)).await;
            recv.recv().await.expect("Actor task has been killed").v
        }
    }

    /// The test's body: the actor ends once the handle is gone, having received its own message.
    pub async fn test<B: Capacity>(
        ends: (
            Sender<Item<ActorMessage>, B>,
            Receiver<Item<ActorMessage>, B>,
        ),
    ) {
        let (handle, mut actor) = MyActorHandle::new(ends);
        let actor_handle = tokio::spawn(async move { actor.run().await });
        let _ = tokio::spawn(async move {
            let _ = handle.get_unique_id().await;
            drop(handle);
        })
        .await;
        actor_handle.await.unwrap();
    }
}

// An actor holding a weak sender to itself ends once its handle is gone (bounded).
#[test]
fn actor_weak_sender() {
    rt(actor::test(channel(8)));
}

/// A value whose drop is counted.
struct Msg(Arc<AtomicUsize>);

impl Drop for Msg {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

// The receiver's drop drops what it did not receive, and later sends are refused (bounded).
#[test]
fn test_msgs_dropped_on_rx_drop() {
    rt(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let msg = || it(Msg(Arc::clone(&dropped)));
        let (tx, mut rx) = channel::<Item<Msg>>(3);
        tx.send(msg()).await.unwrap();
        tx.send(msg()).await.unwrap();
        // Made now, polled only after the receives.
        let sent_fut = tx.send(msg());
        let _ = rx.recv().await.unwrap();
        let _ = rx.recv().await.unwrap();
        sent_fut.await.unwrap();
        drop(rx);
        assert_eq!(dropped.load(Relaxed), 3);
        assert!(tx.send(msg()).await.is_err());
        assert_eq!(dropped.load(Relaxed), 4);
    });
}

// A weak sender upgrades while a sender lives.
#[test]
fn downgrade_upgrade_sender_success() {
    let (tx, _rx) = channel::<Item<i32>>(1);
    let weak_tx = tx.downgrade();
    assert!(weak_tx.upgrade().is_some());
}

// A weak sender does not upgrade once the last sender is gone.
#[test]
fn downgrade_upgrade_sender_failure() {
    let (tx, _rx) = channel::<Item<i32>>(1);
    let weak_tx = tx.downgrade();
    drop(tx);
    assert!(weak_tx.upgrade().is_none());
}

// Nor when it was made from a clone that is gone too.
#[test]
fn downgrade_drop_upgrade() {
    let (tx, _rx) = channel::<Item<i32>>(1);
    let weak_tx = tx.clone().downgrade();
    drop(tx);
    assert!(weak_tx.upgrade().is_none());
}

// An owned permit holds a sender, so a weak sender upgrades.
#[test]
fn downgrade_get_permit_upgrade_no_senders() {
    rt(async {
        let (tx, _rx) = channel::<Item<i32>>(1);
        let weak_tx = tx.downgrade();
        let _permit = tx.reserve_owned().await.unwrap();
        assert!(weak_tx.upgrade().is_some());
    });
}

// As above, downgrading after the permit was taken and the other sender is gone.
#[test]
fn downgrade_upgrade_get_permit_no_senders() {
    rt(async {
        let (tx, _rx) = channel::<Item<i32>>(1);
        let tx2 = tx.clone();
        let _permit = tx.reserve_owned().await.unwrap();
        let weak_tx = tx2.downgrade();
        drop(tx2);
        assert!(weak_tx.upgrade().is_some());
    });
}

// Weak senders do not count as senders.
#[test]
fn test_tx_count_weak_sender() {
    let (tx, _rx) = channel::<Item<i32>>(1);
    let tx_weak = tx.downgrade();
    let tx_weak2 = tx.downgrade();
    drop(tx);
    assert!(tx_weak.upgrade().is_none() && tx_weak2.upgrade().is_none());
}

// As `weak_sender`, unbounded.
#[test]
fn weak_unbounded_sender() {
    rt(async {
        let (tx, mut rx) = unbounded_channel::<Item<i32>>();
        let tx_weak = tokio::spawn(async move {
            let tx_weak = tx.clone().downgrade();
            for i in 0..10 {
                if tx.send(it(i)).is_err() {
                    return None;
                }
            }
            let tx2 = tx_weak
                .upgrade()
                .expect("expected to be able to upgrade tx_weak");
            let _ = tx2.send(it(20));
            Some(tx2.downgrade())
        })
        .await
        .unwrap();

        for i in 0..12 {
            match rx.recv().await {
                Some(msg) if i == 10 => assert_eq!(msg.v, 20),
                Some(_) => {}
                None => {
                    assert_eq!(i, 11);
                    break;
                }
            }
        }
        assert!(tx_weak.unwrap().upgrade().is_none());
    });
}

// As `actor_weak_sender`, unbounded.
#[test]
fn actor_weak_unbounded_sender() {
    rt(actor::test(unbounded_channel()));
}

// As `test_msgs_dropped_on_rx_drop`, unbounded.
#[test]
fn test_msgs_dropped_on_unbounded_rx_drop() {
    rt(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let msg = || it(Msg(Arc::clone(&dropped)));
        let (tx, mut rx) = unbounded_channel::<Item<Msg>>();
        tx.send(msg()).unwrap();
        tx.send(msg()).unwrap();
        let sent = tx.send(msg());
        let _ = rx.recv().await.unwrap();
        let _ = rx.recv().await.unwrap();
        assert!(sent.is_ok());
        drop(rx);
        assert_eq!(dropped.load(Relaxed), 3);
        assert!(tx.send(msg()).is_err());
        assert_eq!(dropped.load(Relaxed), 4);
    });
}

// Unbounded: a weak sender upgrades while a sender lives.
#[test]
fn downgrade_upgrade_unbounded_sender_success() {
    let (tx, _rx) = unbounded_channel::<Item<i32>>();
    let weak_tx = tx.downgrade();
    assert!(weak_tx.upgrade().is_some());
}

// Unbounded: a weak sender does not upgrade once the last sender is gone.
#[test]
fn downgrade_upgrade_unbounded_sender_failure() {
    let (tx, _rx) = unbounded_channel::<Item<i32>>();
    let weak_tx = tx.downgrade();
    drop(tx);
    assert!(weak_tx.upgrade().is_none());
}

// Unbounded: nor when it was made from a clone that is gone too.
#[test]
fn downgrade_drop_upgrade_unbounded() {
    let (tx, _rx) = unbounded_channel::<Item<i32>>();
    let weak_tx = tx.clone().downgrade();
    drop(tx);
    assert!(weak_tx.upgrade().is_none());
}

// Unbounded: weak senders do not count as senders.
#[test]
fn test_tx_count_weak_unbounded_sender() {
    let (tx, _rx) = unbounded_channel::<Item<i32>>();
    let tx_weak = tx.downgrade();
    let tx_weak2 = tx.downgrade();
    drop(tx);
    assert!(tx_weak.upgrade().is_none() && tx_weak2.upgrade().is_none());
}

// `is_closed` once only weak senders are left.
#[test]
fn test_rx_is_closed_when_dropping_all_senders_except_weak_senders() {
    let (tx, rx) = channel::<Item<()>>(10);
    let _weak_sender = tx.clone().downgrade();
    drop(tx);
    assert!(rx.is_closed());
}

// Unbounded: `is_closed` once only weak senders are left.
#[test]
fn test_rx_unbounded_is_closed_when_dropping_all_senders_except_weak_senders() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    let _weak_sender = tx.clone().downgrade();
    drop(tx);
    assert!(rx.is_closed());
}

// `strong_count` counts the clones, on every sender and on the receiver.
#[test]
fn sender_strong_count_when_cloned() {
    let (tx, rx) = channel::<Item<()>>(1);
    let tx2 = tx.clone();
    assert_eq!(tx.strong_count(), 2);
    assert_eq!(tx2.strong_count(), 2);
    assert_eq!(rx.sender_strong_count(), 2);
}

// `weak_count` counts a downgrade, on the sender and on the weak sender.
#[test]
fn sender_weak_count_when_downgraded() {
    let (tx, _rx) = channel::<Item<()>>(1);
    let weak = tx.downgrade();
    assert_eq!(tx.weak_count(), 1);
    assert_eq!(weak.weak_count(), 1);
}

// `strong_count` falls when a clone is dropped.
#[test]
fn sender_strong_count_when_dropped() {
    let (tx, rx) = channel::<Item<()>>(1);
    let tx2 = tx.clone();
    drop(tx2);
    assert_eq!(tx.strong_count(), 1);
    assert_eq!(rx.sender_strong_count(), 1);
}

// `weak_count` falls when a weak sender is dropped.
#[test]
fn sender_weak_count_when_dropped() {
    let (tx, rx) = channel::<Item<()>>(1);
    let weak = tx.downgrade();
    drop(weak);
    assert_eq!(tx.weak_count(), 0);
    assert_eq!(rx.sender_weak_count(), 0);
}

/// Both counts as seen from each handle: `strong` and `weak` on every sender, weak sender and
/// the receiver.
fn assert_counts<B: Capacity>(
    senders: &[&Sender<Item<()>, B>],
    weaks: &[&WeakSender<Item<()>, B>],
    rx: &Receiver<Item<()>, B>,
    strong: usize,
    weak: usize,
) {
    for tx in senders {
        assert_eq!((tx.strong_count(), tx.weak_count()), (strong, weak));
    }
    for w in weaks {
        assert_eq!((w.strong_count(), w.weak_count()), (strong, weak));
    }
    assert_eq!(
        (rx.sender_strong_count(), rx.sender_weak_count()),
        (strong, weak)
    );
}

// Both counts, from every handle, with two of each and after one of each is dropped.
// (tokio's name, typo included.)
#[test]
fn sender_strong_and_weak_conut() {
    let (tx, rx) = channel::<Item<()>>(1);
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let weak2 = tx2.downgrade();
    assert_counts(&[&tx, &tx2], &[&weak, &weak2], &rx, 2, 2);
    drop(tx2);
    drop(weak2);
    assert_counts(&[&tx], &[&weak], &rx, 1, 1);
}

// Unbounded: `strong_count` counts the clones.
#[test]
fn unbounded_sender_strong_count_when_cloned() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    let tx2 = tx.clone();
    assert_eq!(tx.strong_count(), 2);
    assert_eq!(tx2.strong_count(), 2);
    assert_eq!(rx.sender_strong_count(), 2);
}

// Unbounded: `weak_count` counts a downgrade, on every handle.
#[test]
fn unbounded_sender_weak_count_when_downgraded() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    let weak = tx.downgrade();
    assert_eq!(tx.weak_count(), 1);
    assert_eq!(weak.weak_count(), 1);
    assert_eq!(rx.sender_weak_count(), 1);
}

// Unbounded: `strong_count` falls when a clone is dropped.
#[test]
fn unbounded_sender_strong_count_when_dropped() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    let tx2 = tx.clone();
    drop(tx2);
    assert_eq!(tx.strong_count(), 1);
    assert_eq!(rx.sender_strong_count(), 1);
}

// Unbounded: `weak_count` falls when a weak sender is dropped.
#[test]
fn unbounded_sender_weak_count_when_dropped() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    let weak = tx.downgrade();
    drop(weak);
    assert_eq!(tx.weak_count(), 0);
    assert_eq!(rx.sender_weak_count(), 0);
}

// Unbounded: both counts, from every handle (tokio's name, typo included).
#[test]
fn unbounded_sender_strong_and_weak_conut() {
    let (tx, rx) = unbounded_channel::<Item<()>>();
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let weak2 = tx2.downgrade();
    assert_counts(&[&tx, &tx2], &[&weak, &weak2], &rx, 2, 2);
    drop(tx2);
    drop(weak2);
    assert_counts(&[&tx], &[&weak], &rx, 1, 1);
}
