//! Loom models of the channel front: the receiver's wake-ups, closing, and the bounded channel's
//! senders waiting for room (the channel's wait list under loom too). A lost wake-up shows up as a
//! loom deadlock (every thread parked), a lost or stranded node as a failed assertion.
//!
//! Run with `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom
//! -- channel::`.
//!
//! Each model states its preemption bound beside it. Loom explores every interleaving within
//! the bound, not every weak-memory reordering: a pass is strong evidence, not a proof.
//!
//! Where a model joins threads, the thread that joins never waits on the channel itself: a
//! wake-up that arrives after a thread stopped waiting is legitimate, and loom's `join` would
//! mistake such an unpark of the joining thread for its own notification.
use crate::support::{check, msg, once_per_producer, Msg};
use intrusive_mpsc::channel::{bounded, unbounded_channel, Receiver, Sender, TrySendError};
use intrusive_mpsc::Capacity;
use loom::thread;

/// The wait list's own models (re-arm, forgotten futures), the permits', and a consumer's waker
/// taken back.
mod robust;

/// Receives until the channel ends (`recv_blocking` returns `None`), and returns how many nodes
/// came.
fn count_until_end<B: Capacity>(rx: &mut Receiver<Msg, B>) -> usize {
    let mut received = 0;
    while rx.recv_blocking().is_some() {
        received += 1;
    }
    received
}

/// A thread that closes `rx` and then receives until the end; it returns how many nodes came.
fn closing_receiver<B: Capacity + 'static>(rx: Receiver<Msg, B>) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let mut rx = rx;
        rx.close();
        count_until_end(&mut rx)
    })
}

/// Receives until the end, checking that each of `N` senders' one node arrives once; returns
/// which arrived.
fn once_each<const N: usize, B: Capacity>(rx: &mut Receiver<Msg, B>) -> [bool; N] {
    let mut seen = [false; N];
    while let Some(m) = rx.recv_blocking() {
        once_per_producer(&mut seen, &m);
    }
    seen
}

/// Preemption bound 2. Two senders send one node each and leave; the receiver blocks until both
/// nodes arrived and then learns, without a lost wake-up, that every sender is gone.
#[test]
fn receiver_sees_every_node_then_disconnection() {
    check(2, || {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        for s in 0..2 {
            let tx = tx.clone();
            thread::spawn(move || tx.send(msg(s, 0)).unwrap());
        }
        drop(tx);
        let seen = once_each::<2, _>(&mut rx);
        assert_eq!(seen, [true, true], "disconnected before everything arrived");
    });
}

/// Preemption bound 3. An async receiver awaits a sender that sends once and leaves.
#[test]
fn async_receiver_sees_the_node_then_disconnection() {
    check(3, || {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        thread::spawn(move || tx.send(msg(0, 5)).unwrap());
        let (first, second) = loom::future::block_on(async {
            let first = rx.recv().await.map(|m| m.seq);
            let second = rx.recv().await.map(|m| m.seq);
            (first, second)
        });
        assert_eq!(first, Some(5));
        assert_eq!(second, None);
    });
}

/// Preemption bound 3. A bounded channel of one: the sender's second send must wait for the
/// receiver to take the first node, and the receive must wake it (or the sender's look after
/// joining the wait list must see the room). A lost wake-up is a deadlock: the receiver waits
/// for the second node, the sender for room.
#[test]
fn a_sender_waiting_for_room_is_woken_by_a_receive() {
    check(3, || {
        let (tx, mut rx) = bounded::<Msg>(1);
        thread::spawn(move || {
            tx.send_blocking(msg(0, 0)).unwrap();
            tx.send_blocking(msg(0, 1)).unwrap();
        });
        assert_eq!(rx.recv_blocking().unwrap().seq, 0);
        assert_eq!(rx.recv_blocking().unwrap().seq, 1);
        assert!(rx.recv_blocking().is_none());
    });
}

/// Preemption bound 2. The same with the sender a task (`send(node).await` under
/// `loom::future::block_on`) and the receiver awaiting too.
#[test]
fn an_async_sender_waiting_for_room_is_woken_by_an_async_receive() {
    check(2, || {
        let (tx, mut rx) = bounded::<Msg>(1);
        tx.try_send(msg(0, 0)).unwrap();
        thread::spawn(move || {
            loom::future::block_on(tx.send(msg(0, 1))).unwrap();
        });
        loom::future::block_on(async {
            assert_eq!(rx.recv().await.unwrap().seq, 0);
            assert_eq!(rx.recv().await.unwrap().seq, 1);
            assert!(rx.recv().await.is_none());
        });
    });
}

/// Preemption bound 2. A spurious refusal: with one slot, a `try_send` whose claim is counted
/// and then undone can make a waiting sender's claim fail although the slot is free. The undo
/// must wake the waiting sender; otherwise it sleeps beside a free slot while the receiver waits
/// for its node or the end (a deadlock). Both senders start before the receiver's thread sends
/// the first node, so their looks at the counters are not ordered after it.
#[test]
fn an_undone_claim_hands_the_room_on_to_a_waiting_sender() {
    check(1, || {
        let (tx, mut rx) = bounded::<Msg>(1);
        {
            let tx = tx.clone();
            thread::spawn(move || match tx.try_send(msg(1, 0)) {
                Ok(()) | Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Closed(_)) => unreachable!("the receiver outlives us"),
            });
        }
        {
            let tx = tx.clone();
            thread::spawn(move || tx.send_blocking(msg(2, 0)).unwrap());
        }
        // The first node; the slot may already be taken.
        let _ = tx.try_send(msg(0, 0));
        drop(tx);
        let seen = once_each::<3, _>(&mut rx);
        assert!(seen[2], "the waiting sender's node was lost");
    });
}

/// Preemption bound 2. The receiver closes while a sender waits for room: the sender wakes and
/// gets its node back, or its send was accepted before the close and the receiver gets the node
/// before the end. Either way nothing is stranded and nobody hangs.
#[test]
fn close_wakes_a_waiting_sender_and_strands_nothing() {
    check(2, || {
        let (tx, rx) = bounded::<Msg>(1);
        tx.try_send(msg(0, 0)).unwrap();
        let sender = thread::spawn(move || tx.send_blocking(msg(1, 0)).is_ok());
        let receiver = closing_receiver(rx);
        let accepted = sender.join().unwrap();
        let received = receiver.join().unwrap();
        assert_eq!(received, 1 + usize::from(accepted));
    });
}

/// Preemption bound 3. Dropping the receiver wakes a sender waiting for room, which gets its
/// node back; or its send, counted before the close, claims the room the receiver's drain made
/// and succeeds, and the node is dropped with the last sender (as documented). Loom 0.7 does not
/// reach that second outcome here (tokio-rs/loom#392); a patched loom does, so both are accepted.
#[test]
fn receiver_drop_wakes_a_waiting_sender() {
    check(3, || {
        let (tx, rx) = bounded::<Msg>(1);
        tx.try_send(msg(0, 0)).unwrap();
        let sender = thread::spawn(move || tx.send_blocking(msg(1, 0)).map_err(|e| e.0.producer));
        thread::spawn(move || drop(rx));
        let sent = sender.join().unwrap();
        assert!(matches!(sent, Ok(()) | Err(1)), "{sent:?}");
    });
}

/// Preemption bound 3. `closed().await` completes when the receiver is dropped on another
/// thread.
#[test]
fn closed_completes_on_receiver_drop() {
    check(3, || {
        let (tx, rx) = unbounded_channel::<Msg>();
        thread::spawn(move || drop(rx));
        loom::future::block_on(tx.closed());
        assert!(tx.is_closed());
    });
}

/// The body of the close-against-sends models: senders 0 and 1 (clones of `tx`) each `send` one
/// node while a [`closing_receiver`] closes and counts; it must count exactly the nodes whose send
/// was accepted. `tx` itself stays alive until the end, so the last sender's drop cannot end the
/// receiver's wait.
fn close_races_two_senders<B: Capacity + 'static>(
    (tx, rx): (Sender<Msg, B>, Receiver<Msg, B>),
    send: fn(&Sender<Msg, B>, Box<Msg>) -> bool,
) {
    let senders: Vec<_> = (0..2)
        .map(|s| {
            let tx = tx.clone();
            thread::spawn(move || send(&tx, msg(s, 0)))
        })
        .collect();
    let receiver = closing_receiver(rx);
    let accepted = senders
        .into_iter()
        .map(|s| usize::from(s.join().unwrap()))
        .sum::<usize>();
    assert_eq!(receiver.join().unwrap(), accepted);
    drop(tx);
}

/// Preemption bound 2. Two unbounded senders race with `close()`: the receiver gets exactly the
/// nodes whose send was accepted, then the end, however the sends and the close interleave,
/// with a third sender alive throughout (so a sender refused after the close must wake a
/// receiver that waits for its count to come down).
#[test]
fn close_strands_no_accepted_send() {
    // A sender stays alive throughout, so only the close and the count can end the receiver's
    // wait, never the last sender's drop.
    check(2, || {
        close_races_two_senders(unbounded_channel::<Msg>(), |tx, m| tx.send(m).is_ok());
    });
}

/// Preemption bound 2. As [`close_strands_no_accepted_send`] on a bounded channel, which counts
/// its sends on the queue's claim counter instead of `state`: a sender whose claim the closing
/// receiver's look missed must see the close and take the claim back, and a claim that goes down
/// after the close (taken back, or undone after a refusal) must wake a receiver that waits for
/// the claims to settle. With `capacity` 1 the second sender's claim can be refused after it
/// counted (undone); with 2 both fit.
fn bounded_close_strands_no_accepted_send(capacity: usize) {
    // A sender stays alive throughout: only the close and the claims can end the wait.
    check(2, move || {
        close_races_two_senders(bounded::<Msg>(capacity), |tx, m| tx.try_send(m).is_ok());
    });
}

/// See [`bounded_close_strands_no_accepted_send`]: room for both senders.
#[test]
fn bounded_close_strands_no_accepted_send_with_room() {
    bounded_close_strands_no_accepted_send(2);
}

/// See [`bounded_close_strands_no_accepted_send`]: room for one, so a claim can be undone.
#[test]
fn bounded_close_strands_no_accepted_send_at_the_limit() {
    bounded_close_strands_no_accepted_send(1);
}

/// Preemption bound 3. A weak sender upgrades, sends and drops while the last strong sender
/// drops on another thread and the receiver blocks on a third: either the upgrade fails, or its
/// node is received before the end; the receiver sees the end either way (a lost wake-up would
/// be a deadlock), and no sender comes back after it.
#[test]
fn an_upgrade_racing_the_last_drop_loses_no_node_and_no_wake_up() {
    check(3, || {
        let (tx, rx) = unbounded_channel::<Msg>();
        let weak = tx.downgrade();
        let receiver = thread::spawn(move || {
            let mut rx = rx;
            count_until_end(&mut rx)
        });
        thread::spawn(move || drop(tx));
        let sent = weak.upgrade().map(|tx| tx.send(msg(1, 0)).is_ok());
        assert_eq!(receiver.join().unwrap(), usize::from(sent == Some(true)));
        assert!(weak.upgrade().is_none(), "a sender came back after the end");
    });
}
