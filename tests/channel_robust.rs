//! The channel against misbehaving users: a forgotten send future, wakers that panic or re-enter
//! the channel, nodes whose drop panics, and futures dropped while their waker is registered.
//! Each test fails on the channel as it was before its fix. Liveness is checked with the stall
//! timeout that only a lost wake-up reaches; nothing asserts on timing.
#![cfg(not(loom))]

mod support;

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::channel::{
    bounded, unbounded_channel, Receiver, SendFuture, SendTimeoutError, Sender, TryRecvError,
};
use intrusive_mpsc::{node, Bounded, Link, WaitQueue};
use support::{from_worker, CountingWaker, STALL};

struct Msg {
    link: Link,
    id: usize,
    /// Counts this node's drops.
    drops: Arc<AtomicUsize>,
    /// Whether this node's drop panics.
    panics: bool,
}
node!(Msg, link, Box<Msg>);

impl Drop for Msg {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
        if self.panics && !thread::panicking() {
            panic!("node {} panics in its drop", self.id);
        }
    }
}

fn msg(id: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        id,
        drops: Arc::new(AtomicUsize::new(0)),
        panics: false,
    })
}

/// A node and the counter of its drops.
fn counted(id: usize, panics: bool) -> (Box<Msg>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let node = Box::new(Msg {
        link: Link::new(),
        id,
        drops: Arc::clone(&drops),
        panics,
    });
    (node, drops)
}

/// A waker that panics when woken (and counts the attempts).
struct Panicking(AtomicUsize);

impl Wake for Panicking {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        panic!("a user's waker panics");
    }
}

fn panicking() -> (Arc<Panicking>, Waker) {
    let waker = Arc::new(Panicking(AtomicUsize::new(0)));
    (Arc::clone(&waker), Waker::from(waker))
}

fn poll_once<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// `tx.send(node)`, polled once with `waker`: it must wait (the channel is full).
fn waiting_send<'a>(
    tx: &'a Sender<Msg, Bounded>,
    node: Box<Msg>,
    waker: &Waker,
) -> SendFuture<'a, Msg> {
    let mut future = tx.send(node);
    assert!(poll_once(&mut future, waker).is_pending(), "full: waits");
    future
}

/// A thread blocked in `send_timeout_blocking(node, STALL)` on a clone of `tx`, and where it
/// reports how that send ended (`Err("timeout")` or `Err("closed")` if it failed).
fn blocked_sender(
    tx: &Sender<Msg, Bounded>,
    node: Box<Msg>,
) -> (
    thread::JoinHandle<()>,
    mpsc::Receiver<Result<(), &'static str>>,
) {
    let (reports, results) = mpsc::channel();
    let tx = tx.clone();
    let blocked = thread::spawn(move || {
        let sent = tx
            .send_timeout_blocking(node, STALL)
            .map_err(|error| match error {
                SendTimeoutError::Timeout(_) => "timeout",
                SendTimeoutError::Closed(_) => "closed",
            });
        reports.send(sent).unwrap();
    });
    (blocked, results)
}

/// A `send(..).await` that waited and was then forgotten must not keep the room a receive makes
/// from the sender that waited after it.
#[test]
fn a_forgotten_send_future_does_not_swallow_another_senders_room() {
    behind_a_forgotten_send(|tx, rx| {
        let (second, second_waker) = CountingWaker::new();
        let mut waiting = waiting_send(tx, msg(2), &second_waker);
        assert_eq!(rx.try_recv().unwrap().id, 0, "makes room for one");
        assert!(
            second.wakes() >= 1,
            "the waiting sender was not woken: the forgotten future took its notification"
        );
        assert!(matches!(
            poll_once(&mut waiting, &second_waker),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(rx.try_recv().unwrap().id, 2);
    });
}

/// A channel of capacity 1 holding node 0, and a `send` of node 1 that waited and was then
/// forgotten: never polled nor dropped again until `body(tx, rx)` has run (then dropped, so that
/// leak checkers see no leak).
fn behind_a_forgotten_send(body: impl FnOnce(&Sender<Msg, Bounded>, &mut Receiver<Msg, Bounded>)) {
    let (tx, mut rx) = bounded::<Msg>(1);
    tx.try_send(msg(0)).unwrap();
    let (_, noop) = CountingWaker::new();
    let forgotten = ManuallyDrop::new(waiting_send(&tx, msg(1), &noop));
    body(&tx, &mut rx);
    drop(ManuallyDrop::into_inner(forgotten));
}

/// The same on a thread: a sender blocked in `send_timeout` behind a forgotten future gets the
/// room, instead of timing out.
#[test]
fn a_forgotten_send_future_does_not_strand_a_blocked_sender() {
    behind_a_forgotten_send(|tx, rx| {
        let (blocked, results) = blocked_sender(tx, msg(2));
        // Give the sender time to block behind the forgotten future (if it has not yet, the
        // test only checks less, and cannot fail for it).
        thread::sleep(Duration::from_millis(50));
        assert_eq!(rx.try_recv().unwrap().id, 0);
        assert_eq!(from_worker(&results), Ok(()), "room was made");
        blocked.join().unwrap();
        assert_eq!(rx.try_recv().unwrap().id, 2);
    });
}

/// A waiting sender's waker and a `closed()` waiter's waker that panic: the close still reaches
/// every other waiter, and the panic reaches the closer.
#[test]
fn a_panicking_waker_does_not_keep_close_from_the_other_waiters() {
    let (tx, mut rx) = bounded::<Msg>(1);
    tx.try_send(msg(0)).unwrap();
    let (bad, bad_waker) = panicking();
    let (good, good_waker) = CountingWaker::new();

    let mut closed_bad = pin!(tx.closed());
    assert!(closed_bad
        .as_mut()
        .poll(&mut Context::from_waker(&bad_waker))
        .is_pending());
    let mut closed_good = pin!(tx.closed());
    assert!(closed_good
        .as_mut()
        .poll(&mut Context::from_waker(&good_waker))
        .is_pending());
    let _send_bad = waiting_send(&tx, msg(1), &bad_waker);
    let mut send_good = waiting_send(&tx, msg(2), &good_waker);

    let closing = catch_unwind(AssertUnwindSafe(|| rx.close()));
    assert!(closing.is_err(), "the waker's panic reaches the closer");
    assert!(bad.0.load(Ordering::Relaxed) >= 1);
    assert!(good.wakes() >= 2, "both good waiters are woken");
    assert!(closed_good
        .as_mut()
        .poll(&mut Context::from_waker(&good_waker))
        .is_ready());
    assert!(matches!(
        poll_once(&mut send_good, &good_waker),
        Poll::Ready(Err(_))
    ));
    assert!(rx.is_closed());
    assert_eq!(rx.try_recv().unwrap().id, 0, "sent before the close");
}

/// A sender blocked in `send_timeout` gets `Closed` from the receiver's drop, although an async
/// waiter before it in the list has a waker that panics.
#[test]
fn a_panicking_waker_does_not_keep_the_receivers_drop_from_a_blocked_sender() {
    let (tx, rx) = bounded::<Msg>(1);
    tx.try_send(msg(0)).unwrap();
    let (_, bad_waker) = panicking();
    let _send_bad = waiting_send(&tx, msg(1), &bad_waker);
    let (blocked, results) = blocked_sender(&tx, msg(2));
    thread::sleep(Duration::from_millis(50));
    assert!(catch_unwind(AssertUnwindSafe(move || drop(rx))).is_err());
    assert_eq!(from_worker(&results), Err("closed"));
    blocked.join().unwrap();
}

/// A waiting sender's waker that panics while `try_recv` hands room over: the node that left
/// the queue is not dropped in the unwind; the next receive returns it.
#[test]
fn a_panicking_waker_in_try_recv_loses_no_node() {
    let (tx, mut rx) = bounded::<Msg>(1);
    let (node, drops) = counted(7, false);
    tx.try_send(node).unwrap();
    let (_, bad_waker) = panicking();
    let send_bad = waiting_send(&tx, msg(8), &bad_waker);

    let received = catch_unwind(AssertUnwindSafe(|| rx.try_recv().map(|m| m.id)));
    if let Ok(received) = received {
        // A channel may also deliver the node and swallow nothing: then it is here.
        assert_eq!(received, Ok(7));
    } else {
        assert_eq!(drops.load(Ordering::Relaxed), 0, "dropped in the unwind");
        let node = rx.try_recv().expect("the node is still delivered");
        assert_eq!(node.id, 7);
    }
    drop(send_bad);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
}

/// A waker that, when woken, polls its send future once more and drops it, inline: holds the
/// future it wakes.
struct Reentrant {
    future: Mutex<Option<SendFuture<'static, Msg>>>,
    woken: AtomicBool,
}

impl Wake for Reentrant {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Relaxed);
        let future = self.future.lock().unwrap().take();
        if let Some(mut future) = future {
            let waker = Waker::from(Arc::clone(self));
            let _ = poll_once(&mut future, &waker);
            drop(future);
        }
    }
}

/// A waker that polls and drops its send future inline, on the receiving thread, does not
/// deadlock the receive that wakes it.
#[test]
fn a_waker_that_drops_its_send_future_inline_does_not_deadlock_the_receiver() {
    // The future the waker holds must be `'static`: so must its sender (kept in a static, for
    // the rest of the process).
    static SENDER: OnceLock<Sender<Msg, Bounded>> = OnceLock::new();
    let (tx, mut rx) = bounded::<Msg>(1);
    assert!(SENDER.set(tx).is_ok(), "the test runs once");
    let tx = SENDER.get().unwrap();
    tx.try_send(msg(0)).unwrap();
    let reentrant = Arc::new(Reentrant {
        future: Mutex::new(None),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&reentrant));
    let future = waiting_send(tx, msg(1), &waker);
    *reentrant.future.lock().unwrap() = Some(future);

    let (reports, results) = mpsc::channel();
    thread::spawn(move || {
        let first = rx.try_recv().map(|m| m.id);
        let second = rx.try_recv().map(|m| m.id);
        reports.send((first, second)).unwrap();
    });
    let (first, second) = from_worker(&results);
    assert_eq!(first, Ok(0));
    assert!(reentrant.woken.load(Ordering::Relaxed));
    assert_eq!(second, Ok(1), "the woken future sent its node inline");
}

/// A waker that counts the clones of itself alive (its `Arc`'s strong count).
struct Tracked;

impl Wake for Tracked {
    fn wake(self: Arc<Self>) {}
}

impl Tracked {
    /// A tracked waker, and its count.
    fn new() -> (Arc<Tracked>, Waker) {
        let tracked = Arc::new(Tracked);
        let waker = Waker::from(Arc::clone(&tracked));
        (tracked, waker)
    }

    /// Asserts that no clone of the waker is left, now that it is dropped (`why`: who would
    /// still hold one).
    fn assert_released(self: &Arc<Self>, why: &str) {
        assert_eq!(Arc::strong_count(self), 1, "{why}");
    }
}

/// A `DequeueFuture` dropped while it waits takes its task's waker out of the queue.
#[test]
fn a_dropped_dequeue_future_leaves_no_waker_behind() {
    let queue = WaitQueue::<Msg>::new();
    let mut consumer = queue.consumer().unwrap();
    let (tracked, waker) = Tracked::new();
    let mut future = consumer.dequeue_async();
    assert!(poll_once(&mut future, &waker).is_pending());
    drop(future);
    drop(waker);
    tracked.assert_released("the queue still holds the waker");
    // The consumer still works, and a new wait registers afresh.
    queue.enqueue(msg(3));
    assert_eq!(consumer.try_dequeue().map(|m| m.id).ok(), Some(3));
}

/// A receiver that was polled and then dropped takes its task's waker with it, though senders
/// remain.
#[test]
fn a_dropped_receiver_leaves_no_waker_behind() {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let (tracked, waker) = Tracked::new();
    assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
    drop(waker);
    drop(rx);
    tracked.assert_released("the channel still holds the receiver's waker");
    assert!(tx.send(msg(0)).is_err());
}

/// A node whose drop panics while the receiver's drop drops the nodes it did not receive: the
/// nodes after it are still dropped, each exactly once, and the panic reaches the dropper.
#[test]
fn a_node_whose_drop_panics_in_the_receivers_drop() {
    let (tx, rx) = unbounded_channel::<Msg>();
    let mut counters = Vec::new();
    for id in 0..4 {
        let (node, drops) = counted(id, id == 1);
        tx.send(node).unwrap();
        counters.push(drops);
    }
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(rx)));
    assert!(dropped.is_err(), "the node's panic reaches the dropper");
    let drops: Vec<usize> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert_eq!(
        drops,
        [1, 1, 1, 1],
        "every node dropped once, at the receiver's drop"
    );
    assert!(tx.is_closed());
    assert!(tx.send(msg(9)).is_err());
    drop(tx);
    let drops: Vec<usize> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert_eq!(drops, [1, 1, 1, 1], "no node dropped twice");
}
