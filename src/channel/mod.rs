//! A channel-style front: cloneable [`Sender`]s and a unique [`Receiver`] that own a shared
//! waiting queue, with disconnection and closing in both directions, as `std::sync::mpsc` and
//! tokio users expect.
//!
//! - [`channel()`]: unbounded. [`Sender::send`] never waits (it is wait-free).
//! - [`bounded()`]: at most `capacity` nodes queued, with backpressure: [`try_send`](Sender::try_send)
//!   hands the node back when full, [`send(node).await`](Sender#method.send-1) waits for room, and [`send_blocking`][Sender::send_blocking] blocks a thread until
//!   there is room.
//!
//! # Async or blocking: the name says which
//!
//! | | in an async task | on a thread (feature `std`) |
//! |---|---|---|
//! | receive | [`rx.recv().await`](Receiver::recv), [`recv_many`](Receiver::recv_many), `Stream` (feature `futures-core`) | [`recv_blocking`][Receiver::recv_blocking], [`recv_timeout`][Receiver::recv_timeout], [`iter_blocking`][Receiver::iter_blocking] |
//! | send on a bounded channel | [`tx.send(node).await`](Sender#method.send-1) | [`send_blocking`][Sender::send_blocking], [`send_timeout`][Sender::send_timeout] |
//! | wait for the receiver to go | [`tx.closed().await`](Sender::closed) | — |
//!
//! Every method that can park a thread for good ends in `_blocking`; the `_timeout` ones park it
//! for at most their timeout. Calling a blocking method inside an async task blocks the
//! executor's thread: on a current-thread runtime, a sender on another task of that runtime can
//! then never run. Use the async methods there.
//!
//! The methods that never wait ([`Sender::try_send`], [`Receiver::try_recv`],
//! [`Receiver::try_recv_many`], and the unbounded [`Sender::send`]) work anywhere.
//!
//! # Closing
//!
//! [`Receiver::close`] stops the senders (their sends fail from then on) while the receiver can
//! still take what was sent before; once it has, receives report the end. Dropping the receiver
//! closes the channel and drops what it did not receive. Dropping the last sender ends the
//! stream too, after everything sent was received. [`Sender::closed`] waits for the receiver to
//! close or go, and `is_closed` on either end tells.
//!
//! # Examples
//!
//! ```
//! use std::thread;
//! use intrusive_mpsc::{channel, node, Link};
//!
//! struct Job {
//!     link: Link,
//!     id: u32,
//! }
//! node!(Job, link, Box<Job>);
//!
//! let (tx, mut rx) = channel::channel::<Job>();
//! for worker in 0..3 {
//!     let tx = tx.clone();
//!     thread::spawn(move || tx.send(Box::new(Job { link: Link::new(), id: worker })).unwrap());
//! }
//! drop(tx);
//! // Ends when all senders are gone.
//! let mut ids: Vec<u32> = rx.iter_blocking().map(|job| job.id).collect();
//! ids.sort();
//! assert_eq!(ids, [0, 1, 2]);
//! ```
//!
//! A bounded channel between async tasks:
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop {
//! #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
//! #     }
//! # }
//! use intrusive_mpsc::{channel, node, Link};
//!
//! struct Job {
//!     link: Link,
//!     id: u32,
//! }
//! node!(Job, link, Box<Job>);
//!
//! let (tx, mut rx) = channel::bounded::<Job>(2);
//! block_on(async {
//!     tx.send(Box::new(Job { link: Link::new(), id: 1 })).await.unwrap();
//!     tx.send(Box::new(Job { link: Link::new(), id: 2 })).await.unwrap();
//!     // Full: a third `send(..).await` would wait until the receiver takes one.
//!     assert!(tx.try_send(Box::new(Job { link: Link::new(), id: 3 })).is_err());
//!     assert_eq!(rx.recv().await.unwrap().id, 1);
//!     tx.send(Box::new(Job { link: Link::new(), id: 3 })).await.unwrap();
//! });
//! ```
//!
//! # Waiting senders
//!
//! A bounded channel's senders that wait for room sit in an [`event_listener`] list, the one
//! async-channel uses; the receiver pays a fence per hand-over for it, and the list's lock only
//! while a sender waits. The unbounded channel carries none of it.
//!
#![cfg_attr(not(feature = "std"), doc = "[Sender::send_blocking]: crate#features")]
#![cfg_attr(not(feature = "std"), doc = "[Sender::send_timeout]: crate#features")]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Receiver::recv_blocking]: crate#features"
)]
#![cfg_attr(not(feature = "std"), doc = "[Receiver::recv_timeout]: crate#features")]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Receiver::iter_blocking]: crate#features"
)]

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use core::task::{Context, Poll};

use alloc::vec::Vec;
use event_listener::{Event, EventListener, IntoNotification};

use crate::policy::capacity::sealed::Capacity as SealedCapacity;
use crate::policy::capacity::Claim;
use crate::queue::consumer::sealed::QueueRef as SealedQueueRef;
use crate::sync::{fence, Arc, AtomicUsize};
use crate::{Bounded, Capacity, Compact, Consumer, Node, Queue, QueueRef, TryDequeueError};
use crate::{Unbounded, Wait};

/// Creates an unbounded channel: a [`Sender`] to clone for each producer, and the one
/// [`Receiver`].
///
/// The queue is allocated once, here; sending and receiving never allocate.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// assert!(rx.try_recv().is_ok());
/// ```
#[must_use]
pub fn channel<N: Node>() -> (Sender<N>, Receiver<N>) {
    with_queue(Queue::new())
}

/// Creates a bounded channel: at most `capacity` nodes are queued at once, and senders that find
/// it full wait ([`send(node).await`](Sender#method.send-1), [`send_blocking`][Sender::send_blocking])
/// or get their node back ([`try_send`](Sender::try_send)).
///
/// The queue is a [`BoundedWaitQueue`](crate::BoundedWaitQueue), allocated once, here. Sending
/// and receiving never allocate; a sender that has to wait for room allocates its place in the
/// wait list.
///
/// # Panics
///
/// If `capacity` is 0 or greater than `isize::MAX`.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::{bounded, TrySendError};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = bounded::<Msg>(1);
/// tx.try_send(Box::new(Msg { link: Link::new(), n: 1 })).unwrap();
/// let Err(TrySendError::Full(back)) = tx.try_send(Box::new(Msg { link: Link::new(), n: 2 }))
/// else {
///     panic!("room for one");
/// };
/// assert_eq!(back.n, 2);
/// assert_eq!(rx.try_recv().unwrap().n, 1);
/// tx.try_send(back).unwrap();
/// ```
///
#[cfg_attr(not(feature = "std"), doc = "[Sender::send_blocking]: crate#features")]
#[must_use]
pub fn bounded<N: Node>(capacity: usize) -> (Sender<N, Bounded>, Receiver<N, Bounded>) {
    with_queue(Queue::with_capacity(capacity))
}

/// Both ends around `queue`.
fn with_queue<N: Node, B: Capacity>(queue: Queue<N, B, Wait>) -> (Sender<N, B>, Receiver<N, B>) {
    let shared = Arc::new(Shared {
        queue,
        state: AtomicUsize::new(0),
        senders: AtomicUsize::new(1),
        closed: Waiters::new(),
        room: B::when_bounded(Waiters::new),
    });
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    // The receiver is the queue's consumer for good: taking the flag (never given back) keeps
    // `consumer()` failing should the queue ever become reachable.
    let claimed = shared.queue.claim_consumer();
    debug_assert!(claimed, "a new queue has no consumer");
    // SAFETY: the receiver is the channel's only consumer: it holds the flag, it is not `Clone`,
    // and nothing else reaches the queue's consumer side. Moving it to another thread orders its
    // uses by happens-before.
    let consumer = unsafe { Consumer::new(SharedRef(shared), false) };
    let receiver = Receiver {
        consumer,
        received: 0,
        terminated: false,
    };
    (sender, receiver)
}

/// `state` bit: the receiver closed the channel or is gone. Senders fail from then on.
const CLOSED: usize = 1;
/// `state` unit: one send, counted (before its node is enqueued) unless the channel is closed.
const ONE_SEND: usize = 2;

struct Shared<N: Node, B: Capacity> {
    queue: Queue<N, B, Wait>,
    /// [`CLOSED`], plus [`ONE_SEND`] for every send that got past the closed check (accepted,
    /// or refused for want of room and about to take itself back), wrapping. Once `CLOSED` is
    /// set no send is counted for good any more, so a receiver that has taken as many nodes as
    /// the count says has taken everything it will ever get.
    state: AtomicUsize,
    /// Live senders. The last one to go wakes the receiver.
    senders: AtomicUsize,
    /// Tasks in [`Sender::closed`].
    closed: Waiters,
    /// Senders waiting for room: a [`Waiters`] list when bounded, nothing when unbounded.
    room: <B as SealedCapacity>::WhenBounded<Waiters>,
}

impl<N: Node, B: Capacity> Shared<N, B> {
    /// Whether the receiver that has taken `received / ONE_SEND` nodes (wrapping) will get no
    /// more: every sender is gone, or the channel is closed and every counted send was received.
    /// Call it only with the queue found empty after the receiver registered its waker: a sender
    /// that changes the answer later wakes it.
    fn finished(&self, received: usize) -> bool {
        // Acquire: pairs with the last sender's AcqRel decrement, so every node it sent
        // happens-before this returns `true`.
        if self.senders.load(Acquire) == 0 {
            return true;
        }
        // Relaxed: coherence alone decides. The receiver's close is a read-modify-write of this
        // word, so every send either is counted before it (and this load, made after it, sees
        // that count) or sees `CLOSED` and fails. Nodes are published by the queue, not by
        // this count.
        let state = self.state.load(Relaxed);
        state & CLOSED != 0 && state & !CLOSED == received
    }

    /// Counts a send, unless the channel is closed (then nothing stays counted). Returns whether
    /// the send may go on.
    #[inline]
    fn begin_send(&self) -> bool {
        // Relaxed: the count only needs its place in this word's modification order relative to
        // the receiver's close (see `finished`); the node itself is published by the queue.
        let state = self.state.fetch_add(ONE_SEND, Relaxed);
        if state & CLOSED == 0 {
            return true;
        }
        self.cancel_send();
        false
    }

    /// Takes back a counted send whose node did not go in, waking a receiver that may be
    /// waiting for the count to come down.
    #[cold]
    fn cancel_send(&self) {
        // Relaxed: as in `begin_send`. If `CLOSED` was not set yet, the receiver's close comes
        // after this in the word's modification order and sees the count without us.
        let state = self.state.fetch_sub(ONE_SEND, Relaxed);
        if state & CLOSED != 0 {
            // The receiver registers its waker before it reads the count (`poll_node`): either
            // it reads our decrement, or this wakes it.
            self.queue.shared().wake();
        }
    }

    /// Sends `handle` if the channel is open and has room.
    #[inline]
    fn try_send(&self, handle: N::Handle) -> Result<(), TrySendError<N::Handle>> {
        if !self.begin_send() {
            return Err(TrySendError::Closed(handle));
        }
        match self.queue.try_claim(1) {
            Claim::Granted => {
                // Wakes the receiver if it sleeps.
                self.queue.push(handle);
                Ok(())
            }
            claim => {
                self.cancel_send();
                if claim == Claim::Undone {
                    // While our claim counted, another sender's claim may have been refused
                    // because of it; that sender may be about to wait. Hand the room on.
                    if let Some(room) = self.room() {
                        room.undone();
                    }
                }
                Err(TrySendError::Full(handle))
            }
        }
    }

    /// The senders waiting for room, when bounded.
    #[inline(always)]
    fn room(&self) -> Option<&Waiters> {
        B::bounded_part(&self.room)
    }

    /// Whether the receiver closed the channel or is gone.
    fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release of the receiver's close, so what it did before closing
        // is visible once a sender sees the channel closed.
        self.state.load(Acquire) & CLOSED != 0
    }
}

use room::Waiters;

/// The wait lists: the senders waiting for room and the tasks waiting for the close.
mod room {
    use super::*;

    /// A list of waiting tasks and threads, with the count of those on it, so that a notifier with
    /// nobody to wake pays a fence and a load, not the list's lock.
    ///
    /// A waiter joins the list ([`listen`](Waiters::listen): registers a listener, counts itself,
    /// then a `SeqCst` fence) and only then looks at its condition again; a notifier changes the
    /// condition, then issues a `SeqCst` fence and reads the count. Of the two fences, one comes
    /// first in their total order: if the waiter's, the notifier sees the count and notifies (and
    /// the listener is in the list by then, being registered before the count went up); if the
    /// notifier's, the waiter's second look sees the change. Either way no waiter sleeps through a
    /// change it waits for.
    pub struct Waiters {
        event: Event,
        /// Waiters counted in, from their first `listen` until they leave.
        count: AtomicUsize,
    }

    impl Waiters {
        pub(super) fn new() -> Self {
            Waiters {
                event: Event::new(),
                count: AtomicUsize::new(0),
            }
        }

        /// Registers a listener, counting the caller in the first time (`counted` remembers); the
        /// caller must look at its condition again before it waits on the listener.
        #[cold]
        pub(super) fn listen(&self, counted: &mut bool) -> EventListener {
            let listener = self.event.listen();
            if !*counted {
                // Relaxed: ordered before notifiers' loads by the fence below.
                self.count.fetch_add(1, Relaxed);
                *counted = true;
            }
            // SeqCst: pairs with the notifier's fence in `notify` (see the type's docs).
            fence(SeqCst);
            listener
        }

        /// Counts a waiter out, for good.
        pub(super) fn leave(&self) {
            // Relaxed: a stale count only costs a notifier a look at the list.
            self.count.fetch_sub(1, Relaxed);
        }

        /// After a change that may end waits: delivers `notification` if anybody waits.
        #[inline]
        pub(super) fn notify(&self, notification: impl IntoNotification<Tag = ()>) {
            // SeqCst: pairs with the waiter's fence in `listen`.
            fence(SeqCst);
            // Relaxed: ordered by the fences.
            if self.count.load(Relaxed) != 0 {
                self.notify_listeners(notification);
            }
        }

        #[cold]
        #[inline(never)]
        pub(super) fn notify_listeners(&self, notification: impl IntoNotification<Tag = ()>) {
            // Relaxed: without the list's own fence; ours in `notify` came first.
            self.event.notify(notification.relaxed());
        }
    }

    /// The bounded channel's senders waiting for room.
    ///
    /// # No sender sleeps while it could send
    ///
    /// A sender waits only after a refused attempt made after it joined the list. Each way an
    /// attempt can turn from refused to accepted notifies, after the change, at least as many
    /// listeners as it made room for: the receiver's hand-over of `n` nodes notifies `n` more
    /// ([`made`](Waiters::made)), a claim that counted itself and took itself back, which may have made
    /// a concurrent claim fail spuriously, notifies one more ([`undone`](Waiters::undone)), and a close
    /// notifies all. A claim refused without counting itself changed nothing and notifies nobody,
    /// so senders of a full channel do not wake each other in a circle. Notifications are
    /// *additional*: a listener already notified but not yet running does not absorb the next one,
    /// so two slots freed in a row wake two senders. A notified listener that is dropped unused (a
    /// cancelled `send(..).await`) passes its notification on (`event-listener` does that).
    impl Waiters {
        /// The receiver handed `n` nodes over, making room for `n`.
        #[inline]
        pub(super) fn made(&self, n: usize) {
            self.notify(n.additional());
        }

        /// A refused claim took itself back (see [`Claim::Undone`]).
        #[inline]
        pub(super) fn undone(&self) {
            self.notify(1.additional());
        }

        /// The channel closed: every waiting sender must look.
        pub(super) fn close(&self) {
            self.notify(usize::MAX);
        }
    }
}

/// The sending half of a channel. Clone it for each producer.
///
/// `B` is the channel's [`Capacity`]: [`Unbounded`] for [`channel()`], [`Bounded`] for
/// [`bounded()`]. It is `Send` and `Sync` when the handles are `Send`.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, rx) = channel::<Msg>();
/// let tx2 = tx.clone();
/// tx2.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(rx);
/// assert!(tx.send(Box::new(Msg { link: Link::new() })).is_err(), "receiver gone");
/// ```
pub struct Sender<N: Node, B: Capacity = Unbounded> {
    shared: Arc<Shared<N, B>>,
}

impl<N: Node, B: Capacity> Sender<N, B> {
    /// Sends a node if the channel is open and, when bounded, has room; never waits.
    ///
    /// # Errors
    ///
    /// - [`TrySendError::Full`]: a bounded channel holds its capacity (near the limit this can be
    ///   spurious while another sender's attempt is in flight, as for
    ///   [`Queue::try_enqueue`]). Never on an unbounded channel.
    /// - [`TrySendError::Closed`]: the receiver closed the channel or is gone.
    ///
    /// Either hands the node back.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{bounded, TrySendError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(4);
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// rx.close();
    /// let error = tx.try_send(Box::new(Msg { link: Link::new() })).unwrap_err();
    /// assert!(matches!(error, TrySendError::Closed(_)));
    /// assert!(rx.try_recv().is_ok(), "what was sent before the close is still received");
    /// ```
    #[inline]
    pub fn try_send(&self, handle: N::Handle) -> Result<(), TrySendError<N::Handle>> {
        self.shared.try_send(handle)
    }

    /// Whether the receiver closed the channel ([`Receiver::close`]) or is gone; sends fail from
    /// then on.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, rx) = channel::<Msg>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Waits until the receiver closes the channel or is gone: for a producer that should stop
    /// producing once nobody listens (tokio's `Sender::closed`).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, rx) = channel::<Msg>();
    /// std::thread::spawn(move || drop(rx));
    /// block_on(tx.closed());
    /// assert!(tx.is_closed());
    /// ```
    pub fn closed(&self) -> ClosedFuture<'_, N, B> {
        ClosedFuture {
            sender: self,
            listener: None,
            counted: false,
        }
    }
}

impl<N: Node> Sender<N> {
    /// Sends a node, waking the receiver if it sleeps. Wait-free: an unbounded channel never
    /// makes a sender wait, so this is not `async`.
    ///
    /// # Errors
    ///
    /// Hands the node back in a [`SendError`] if the receiver closed the channel or is gone. A
    /// node whose send was under way when the receiver was dropped may be accepted; it is then
    /// dropped with the channel. (A close, unlike a drop, never strands a node: the receiver
    /// gets every node whose send was accepted.)
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u8,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// tx.send(Box::new(Msg { link: Link::new(), n: 1 })).unwrap();
    /// assert_eq!(rx.try_recv().unwrap().n, 1);
    /// ```
    #[inline]
    pub fn send(&self, handle: N::Handle) -> Result<(), SendError<N::Handle>> {
        match self.shared.try_send(handle) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(handle) | TrySendError::Full(handle)) => {
                Err(SendError(handle))
            }
        }
    }
}

impl<N: Node> Sender<N, Bounded> {
    /// Sends a node, waiting asynchronously for room: `tx.send(node).await`. The receiver's
    /// hand-overs wake waiting senders, one per node taken, in the order they started waiting.
    ///
    /// Dropping the future before it completes drops the node with it; nothing else is lost (a
    /// wake-up meant for it passes to the next waiting sender).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the node if the receiver closes the channel or is gone, before or while
    /// this waits.
    ///
    /// # Cost
    ///
    /// A send that finds room costs what [`try_send`](Sender::try_send) costs; one that waits
    /// allocates its place in the wait list. In exchange, every hand-over of a bounded channel's
    /// receiver issues one `SeqCst` fence and reads the count of waiting senders; it takes the
    /// wait list's lock only while a sender waits.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(1);
    /// let consumer = std::thread::spawn(move || {
    ///     (0..3).map(|_| rx.recv_blocking().unwrap().n).collect::<Vec<_>>()
    /// });
    /// block_on(async {
    ///     for n in 0..3 {
    ///         tx.send(Box::new(Msg { link: Link::new(), n })).await.unwrap();
    ///     }
    /// });
    /// assert_eq!(consumer.join().unwrap(), [0, 1, 2]);
    /// ```
    pub fn send(&self, handle: N::Handle) -> SendFuture<'_, N> {
        SendFuture {
            sender: self,
            node: Some(handle),
            listener: None,
            counted: false,
        }
    }

    /// Sends a node, blocking the thread until there is room.
    ///
    /// Do not call it from an async task: it blocks the executor's thread. Use
    /// `send(node).await` there.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the node if the receiver closes the channel or is gone, before or while
    /// this waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(1);
    /// let producer = std::thread::spawn(move || {
    ///     for n in 0..3 {
    ///         tx.send_blocking(Box::new(Msg { link: Link::new(), n })).unwrap();
    ///     }
    /// });
    /// let got: Vec<u32> = rx.iter_blocking().map(|m| m.n).collect();
    /// assert_eq!(got, [0, 1, 2]);
    /// producer.join().unwrap();
    /// ```
    #[cfg(feature = "std")]
    pub fn send_blocking(&self, handle: N::Handle) -> Result<(), SendError<N::Handle>> {
        self.send_until(handle, None).map_err(|error| match error {
            SendTimeoutError::Closed(handle) | SendTimeoutError::Timeout(handle) => {
                SendError(handle)
            }
        })
    }

    /// Sends a node, blocking the thread for at most `timeout` while there is no room.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if no room came in time, [`SendTimeoutError::Closed`] if the
    /// receiver closes the channel or is gone; either hands the node back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use intrusive_mpsc::channel::{bounded, SendTimeoutError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = bounded::<Msg>(1);
    /// let timeout = Duration::from_millis(5);
    /// tx.send_timeout(Box::new(Msg { link: Link::new() }), timeout).unwrap();
    /// let error = tx.send_timeout(Box::new(Msg { link: Link::new() }), timeout).unwrap_err();
    /// assert!(matches!(error, SendTimeoutError::Timeout(_)));
    /// ```
    #[cfg(feature = "std")]
    pub fn send_timeout(
        &self,
        handle: N::Handle,
        timeout: core::time::Duration,
    ) -> Result<(), SendTimeoutError<N::Handle>> {
        self.send_until(handle, std::time::Instant::now().checked_add(timeout))
    }

    /// The capacity of the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = bounded::<Msg>(16);
    /// assert_eq!(tx.capacity(), 16);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.shared.queue.capacity()
    }

    /// The blocking send: the loop of [`SendFuture::poll`], parking the thread.
    #[cfg(feature = "std")]
    fn send_until(
        &self,
        mut handle: N::Handle,
        deadline: Option<std::time::Instant>,
    ) -> Result<(), SendTimeoutError<N::Handle>> {
        use event_listener::Listener as _;

        /// Counts the thread out of the wait list however it leaves.
        struct Leave<'w>(&'w Waiters, bool);

        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                if self.1 {
                    self.0.leave();
                }
            }
        }

        let room = &self.shared.room;
        let mut counted = Leave(room, false);
        let mut listener: Option<EventListener> = None;
        loop {
            match self.shared.try_send(handle) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(back)) => return Err(SendTimeoutError::Closed(back)),
                Err(TrySendError::Full(back)) => handle = back,
            }
            match listener.take() {
                // Join the list, then look again (the loop) before sleeping.
                None => listener = Some(room.listen(&mut counted.1)),
                Some(listening) => match deadline {
                    None => listening.wait(),
                    Some(deadline) => {
                        if listening.wait_deadline(deadline).is_none() {
                            return Err(SendTimeoutError::Timeout(handle));
                        }
                    }
                },
            }
        }
    }
}

impl<N: Node, B: Capacity> Clone for Sender<N, B> {
    /// Another sender for the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// let tx2 = tx.clone();
    /// drop(tx);
    /// tx2.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert!(rx.try_recv().is_ok());
    /// ```
    fn clone(&self) -> Self {
        // Relaxed: the new sender is made from a live one, so the count cannot reach zero in
        // between; nothing is published.
        self.shared.senders.fetch_add(1, Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<N: Node, B: Capacity> Drop for Sender<N, B> {
    fn drop(&mut self) {
        // AcqRel: Release publishes this sender's nodes to a receiver that sees the count reach
        // zero; Acquire makes the last sender see the others' (for its wake-up's sake).
        if self.shared.senders.fetch_sub(1, AcqRel) == 1 {
            // The receiver registers its waker before it checks the count: either it sees zero,
            // or this wake-up reaches it.
            self.shared.queue.shared().wake();
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for Sender<N, B> {
    /// Prints `Sender { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = channel::<Msg>();
    /// assert_eq!(format!("{tx:?}"), "Sender { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The future of a bounded sender's [`send`](Sender#method.send-1).
///
/// It holds the node until there is room. Dropping it drops the node.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use intrusive_mpsc::{channel::bounded, node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = bounded::<Msg>(1);
/// tx.try_send(Box::new(Msg { link: Link::new(), n: 1 })).unwrap();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut send = pin!(tx.send(Box::new(Msg { link: Link::new(), n: 2 })));
/// assert!(send.as_mut().poll(&mut cx).is_pending(), "full: waits");
/// assert_eq!(rx.try_recv().unwrap().n, 1);
/// assert!(matches!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
/// assert_eq!(rx.try_recv().unwrap().n, 2);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'s, N: Node> {
    sender: &'s Sender<N, Bounded>,
    /// The node, until it is sent or handed back.
    node: Option<N::Handle>,
    /// Our place in the wait list, once the channel was found full.
    listener: Option<EventListener>,
    /// Whether we are counted among the waiting senders.
    counted: bool,
}

// The node is only ever moved, never pinned: the future is `Unpin` whatever the handle.
impl<N: Node> Unpin for SendFuture<'_, N> {}

// SAFETY: `&SendFuture` gives access to nothing (no method takes `&self`), so sharing it between
// threads shares no handle; `Send` of the node is all the future needs to be `Sync`, as for
// `Consumer`.
unsafe impl<N: Node> Sync for SendFuture<'_, N> where N::Handle: Send {}

impl<N: Node> Future for SendFuture<'_, N> {
    type Output = Result<(), SendError<N::Handle>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &*this.sender.shared;
        loop {
            let handle = this
                .node
                .take()
                .expect("`SendFuture` polled after it completed");
            match shared.try_send(handle) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(TrySendError::Closed(back)) => return Poll::Ready(Err(SendError(back))),
                Err(TrySendError::Full(back)) => this.node = Some(back),
            }
            match &mut this.listener {
                // Join the list, then look again (the loop) before waiting: a room made or a
                // close after our look above either shows in the next look or notifies us.
                None => this.listener = Some(shared.room.listen(&mut this.counted)),
                Some(listener) => match Pin::new(listener).poll(cx) {
                    // Notified: this listener is used up; look again.
                    Poll::Ready(()) => this.listener = None,
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}

impl<N: Node> Drop for SendFuture<'_, N> {
    fn drop(&mut self) {
        if self.counted {
            self.sender.shared.room.leave();
        }
        // Our listener, dropped after this, passes a notification it got but did not use to
        // the next waiting sender.
    }
}

impl<N: Node> fmt::Debug for SendFuture<'_, N> {
    /// Prints `SendFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`]: completes once the receiver closed the channel or is gone.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Waker};
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut closed = pin!(tx.closed());
/// assert!(closed.as_mut().poll(&mut cx).is_pending());
/// rx.close();
/// assert!(closed.as_mut().poll(&mut cx).is_ready());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ClosedFuture<'s, N: Node, B: Capacity = Unbounded> {
    sender: &'s Sender<N, B>,
    listener: Option<EventListener>,
    /// Whether we are counted among the waiters.
    counted: bool,
}

impl<N: Node, B: Capacity> Future for ClosedFuture<'_, N, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &*this.sender.shared;
        loop {
            if shared.is_closed() {
                return Poll::Ready(());
            }
            match &mut this.listener {
                // Join the list, then look again.
                None => this.listener = Some(shared.closed.listen(&mut this.counted)),
                Some(listener) => match Pin::new(listener).poll(cx) {
                    Poll::Ready(()) => this.listener = None,
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}

impl<N: Node, B: Capacity> Drop for ClosedFuture<'_, N, B> {
    fn drop(&mut self) {
        if self.counted {
            self.sender.shared.closed.leave();
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for ClosedFuture<'_, N, B> {
    /// Prints `ClosedFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClosedFuture").finish_non_exhaustive()
    }
}

/// The receiving half of a channel: the queue's only consumer.
///
/// It is `Send` and `Sync` when the handles are `Send`. With the feature `futures-core` it is a
/// `Stream` of nodes, fused once it has reported the end.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(tx);
/// assert!(rx.recv_blocking().is_some());
/// assert!(rx.recv_blocking().is_none(), "disconnected and drained");
/// ```
pub struct Receiver<N: Node, B: Capacity = Unbounded> {
    /// The channel's one consumer, holding the shared state.
    consumer: Consumer<SharedRef<N, B>>,
    /// [`ONE_SEND`] times the nodes handed over, wrapping, to compare with `Shared::state`.
    received: usize,
    /// Whether a receive reported the end (for `FusedStream`).
    terminated: bool,
}

/// The channel's shared state, as the pointer its consumer holds.
struct SharedRef<N: Node, B: Capacity>(Arc<Shared<N, B>>);

impl<N: Node, B: Capacity> SealedQueueRef for SharedRef<N, B> {}

impl<N: Node, B: Capacity> QueueRef for SharedRef<N, B> {
    type Node = N;
    type Capacity = B;
    type Waiting = Wait;
    type Layout = Compact;

    #[inline(always)]
    fn queue(&self) -> &Queue<N, B, Wait> {
        &self.0.queue
    }
}

impl<N: Node, B: Capacity> Receiver<N, B> {
    /// The shared state.
    #[inline(always)]
    fn shared(&self) -> &Shared<N, B> {
        &self.consumer.queue.0
    }

    /// Accounts for `n` nodes handed over: the count of received sends, and (when bounded) room
    /// for waiting senders. Every receive goes through here, after its hand-over.
    #[inline]
    fn handed_over(&mut self, n: usize) {
        self.received = self.received.wrapping_add(n.wrapping_mul(ONE_SEND));
        if let Some(room) = self.shared().room() {
            room.made(n);
        }
    }

    /// Accounts for a poll's answer: a node, or the end.
    #[inline]
    fn received(&mut self, handle: Option<N::Handle>) -> Option<N::Handle> {
        match handle {
            Some(_) => self.handed_over(1),
            None => self.terminated = true,
        }
        handle
    }

    /// Receives a node without waiting.
    ///
    /// # Errors
    ///
    /// - [`TryRecvError::Empty`]: nothing to receive now.
    /// - [`TryRecvError::Inconsistent`]: a sender is in the middle of sending; try again.
    /// - [`TryRecvError::Disconnected`]: every sender is gone, or the channel was closed, and
    ///   everything sent was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{channel, TryRecvError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<N::Handle, TryRecvError> {
        let received = match self.consumer.try_dequeue() {
            Ok(handle) => Ok(handle),
            Err(TryDequeueError::Inconsistent) => Err(TryRecvError::Inconsistent),
            Err(TryDequeueError::Empty) if self.shared().finished(self.received) => {
                // Everything the senders sent happens-before the count we just read: one more
                // look settles it.
                match self.consumer.try_dequeue() {
                    Ok(handle) => Ok(handle),
                    Err(TryDequeueError::Inconsistent) => Err(TryRecvError::Inconsistent),
                    Err(TryDequeueError::Empty) => {
                        self.terminated = true;
                        Err(TryRecvError::Disconnected)
                    }
                }
            }
            Err(TryDequeueError::Empty) => Err(TryRecvError::Empty),
        };
        if received.is_ok() {
            self.handed_over(1);
        }
        received
    }

    /// Polls for a node: `Ready(Some)` with one, `Ready(None)` once every sender is gone (or the
    /// channel was closed) and everything was received, `Pending` otherwise (the task is woken
    /// when that changes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// drop(tx);
    /// assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<N::Handle>> {
        let received = self.received;
        let step = self
            .consumer
            .poll_node(cx.waker(), |shared| shared.0.finished(received));
        match Consumer::<SharedRef<N, B>>::poll_step(step, cx) {
            Poll::Ready(handle) => Poll::Ready(self.received(handle)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Receives a node asynchronously: `rx.recv().await`; `None` once every sender is gone (or
    /// the channel was closed) and everything was received. Cancel-safe: dropping the future
    /// before it completes loses no node.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// drop(tx);
    /// assert!(block_on(rx.recv()).is_some());
    /// assert!(block_on(rx.recv()).is_none());
    /// ```
    pub fn recv(&mut self) -> RecvFuture<'_, N, B> {
        RecvFuture { receiver: self }
    }

    /// Receives a node, blocking the thread until one arrives; `None` once every sender is gone
    /// (or the channel was closed) and everything was received.
    ///
    /// Do not call it from an async task: it blocks the executor's thread, and on a
    /// current-thread runtime the senders of that runtime can then never run. Use
    /// `recv().await` there.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// std::thread::spawn(move || tx.send(Box::new(Msg { link: Link::new() })).unwrap());
    /// assert!(rx.recv_blocking().is_some());
    /// assert!(rx.recv_blocking().is_none());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_blocking(&mut self) -> Option<N::Handle> {
        self.recv_until(None).ok()
    }

    /// Receives a node, blocking the thread for at most `timeout`.
    ///
    /// This blocks like [`recv_blocking`](Receiver::recv_blocking), for at most `timeout`; in
    /// async code, put `recv()` under your runtime's timeout instead.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing arrived in time, [`RecvTimeoutError::Disconnected`]
    /// once every sender is gone (or the channel was closed) and everything was received.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use intrusive_mpsc::channel::{channel, RecvTimeoutError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// let timeout = Duration::from_millis(5);
    /// assert_eq!(rx.recv_timeout(timeout).err(), Some(RecvTimeoutError::Timeout));
    /// drop(tx);
    /// assert_eq!(rx.recv_timeout(timeout).err(), Some(RecvTimeoutError::Disconnected));
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_timeout(
        &mut self,
        timeout: core::time::Duration,
    ) -> Result<N::Handle, RecvTimeoutError> {
        self.recv_until(std::time::Instant::now().checked_add(timeout))
    }

    #[cfg(feature = "std")]
    fn recv_until(
        &mut self,
        deadline: Option<std::time::Instant>,
    ) -> Result<N::Handle, RecvTimeoutError> {
        let received = self.received;
        let step = self.consumer.block_on(deadline, |consumer, waker| {
            consumer.poll_node(waker, |shared| shared.0.finished(received))
        });
        match step {
            Some(handle) => self.received(handle).ok_or(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Receives up to `limit` nodes into `buffer` (appending), waiting asynchronously until there
    /// is at least one: `rx.recv_many(&mut buffer, limit).await`. Returns how many it appended;
    /// 0 only when `limit` is 0 or once every sender is gone (or the channel was closed) and
    /// everything was received. As tokio's `Receiver::recv_many`.
    ///
    /// After the first node it takes only what is there without waiting. On a bounded channel
    /// the senders waiting for room are woken once for the whole batch. `buffer` grows as a
    /// `Vec` does: reserve room first to receive without allocating. Cancel-safe.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// for n in 0..5 {
    ///     tx.send(Box::new(Msg { link: Link::new(), n })).unwrap();
    /// }
    /// drop(tx);
    /// let mut batch = Vec::with_capacity(4);
    /// assert_eq!(block_on(rx.recv_many(&mut batch, 4)), 4);
    /// assert_eq!(block_on(rx.recv_many(&mut batch, 4)), 1);
    /// assert_eq!(block_on(rx.recv_many(&mut batch, 4)), 0, "disconnected and drained");
    /// assert_eq!(batch.iter().map(|m| m.n).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    /// ```
    pub fn recv_many<'r>(
        &'r mut self,
        buffer: &'r mut Vec<N::Handle>,
        limit: usize,
    ) -> RecvManyFuture<'r, N, B> {
        RecvManyFuture {
            receiver: self,
            buffer,
            limit,
        }
    }

    /// Polls for up to `limit` nodes, appending them to `buffer`: `Ready(n)` with `n >= 1`
    /// appended, `Ready(0)` when `limit` is 0 or at the end (as [`poll_recv`](Receiver::poll_recv)
    /// returns `None`), `Pending` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut batch = Vec::new();
    /// assert!(rx.poll_recv_many(&mut cx, &mut batch, 8).is_pending());
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert_eq!(rx.poll_recv_many(&mut cx, &mut batch, 8), Poll::Ready(2));
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<N::Handle>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let received = self.received;
        let step = self
            .consumer
            .poll_node(cx.waker(), |shared| shared.0.finished(received));
        match Consumer::<SharedRef<N, B>>::poll_step(step, cx) {
            Poll::Ready(Some(first)) => {
                buffer.push(first);
                Poll::Ready(self.take_more(buffer, 1, limit - 1) + 1)
            }
            Poll::Ready(None) => {
                self.terminated = true;
                Poll::Ready(0)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Receives up to `limit` nodes into `buffer` (appending) without waiting, and says how many.
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Receiver::try_recv), when it could not take a single node (and `limit` is
    /// not 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{channel, TryRecvError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// let mut batch = Vec::new();
    /// assert_eq!(rx.try_recv_many(&mut batch, 8), Err(TryRecvError::Empty));
    /// for _ in 0..3 {
    ///     tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// }
    /// assert_eq!(rx.try_recv_many(&mut batch, 2), Ok(2));
    /// assert_eq!(rx.try_recv_many(&mut batch, 2), Ok(1));
    /// assert_eq!(batch.len(), 3);
    /// ```
    pub fn try_recv_many(
        &mut self,
        buffer: &mut Vec<N::Handle>,
        limit: usize,
    ) -> Result<usize, TryRecvError> {
        if limit == 0 {
            return Ok(0);
        }
        buffer.push(self.try_recv()?);
        Ok(self.take_more(buffer, 0, limit - 1) + 1)
    }

    /// Appends up to `limit` more nodes that are there now, and accounts for them in one go,
    /// together with `taken` nodes taken before and not accounted for yet (the one that
    /// `poll_recv_many` waited for): every node taken must be counted, or the receiver never
    /// sees that it has taken everything a closed channel will get.
    fn take_more(&mut self, buffer: &mut Vec<N::Handle>, mut taken: usize, limit: usize) -> usize {
        let before = taken;
        let limit = limit + taken;
        while taken < limit {
            match self.consumer.try_dequeue() {
                Ok(handle) => {
                    buffer.push(handle);
                    taken += 1;
                }
                // Empty, or a sender mid-way: what we have is the batch.
                Err(_) => break,
            }
        }
        if taken != 0 {
            self.handed_over(taken);
        }
        taken - before
    }

    /// Closes the channel: senders fail from now on ([`TrySendError::Closed`], [`SendError`]),
    /// waiting senders and [`Sender::closed`] wake up, and the receiver still gets every node
    /// whose send was accepted, then the end. Closing twice does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{channel, TryRecvError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// rx.close();
    /// assert!(tx.send(Box::new(Msg { link: Link::new() })).is_err());
    /// assert!(rx.try_recv().is_ok(), "sent before the close");
    /// assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    /// ```
    pub fn close(&mut self) {
        let shared = self.shared();
        // Release: pairs with `Shared::is_closed`'s Acquire. The count needs no more than the
        // read-modify-write itself (see `Shared::finished`).
        shared.state.fetch_or(CLOSED, Release);
        shared.closed.notify(usize::MAX);
        if let Some(room) = shared.room() {
            room.close();
        }
    }

    /// Whether the channel is closed: by [`close`](Receiver::close), the receiver's own, or
    /// because every sender is gone. Nodes sent before may still be waiting to be received.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, rx) = channel::<Msg>();
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        // Acquire, both: as in `Shared::is_closed` and `Shared::finished`.
        self.shared().is_closed() || self.shared().senders.load(Acquire) == 0
    }

    /// A blocking iterator over received nodes; it ends once every sender is gone (or the channel
    /// was closed) and everything was received. Each step is a
    /// [`recv_blocking`](Receiver::recv_blocking): do not use it in async code (the receiver is
    /// a `Stream` there, with the feature `futures-core`).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>();
    /// std::thread::spawn(move || {
    ///     for n in 0..5 {
    ///         tx.send(Box::new(Msg { link: Link::new(), n })).unwrap();
    ///     }
    /// });
    /// assert_eq!(rx.iter_blocking().map(|m| m.n).sum::<u32>(), 10);
    /// ```
    #[cfg(feature = "std")]
    pub fn iter_blocking(&mut self) -> BlockingIter<'_, N, B> {
        BlockingIter { receiver: self }
    }
}

impl<N: Node> Receiver<N, Bounded> {
    /// The capacity of the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (_tx, rx) = bounded::<Msg>(16);
    /// assert_eq!(rx.capacity(), 16);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.shared().queue.capacity()
    }
}

impl<N: Node, B: Capacity> Drop for Receiver<N, B> {
    /// Closes the channel and drops the nodes sent but not received, as `std::sync::mpsc` does;
    /// senders get their nodes back from then on. A node whose send is still under way when the
    /// receiver drops is dropped with the last sender instead.
    fn drop(&mut self) {
        self.close();
        self.consumer.done();
        // If a node's drop panics, the rest stay queued and go with the last `Arc`.
        while let Ok(handle) = self.consumer.try_dequeue() {
            drop(handle);
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for Receiver<N, B> {
    /// Prints `Receiver { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (_tx, rx) = channel::<Msg>();
    /// assert_eq!(format!("{rx:?}"), "Receiver { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// A `Stream` of received nodes; it ends (and stays ended: `FusedStream`) once every sender is
/// gone, or the channel was closed, and everything was received.
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// use futures_core::stream::{FusedStream, Stream};
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>();
/// let mut cx = Context::from_waker(Waker::noop());
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(tx);
/// assert!(matches!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(Some(_))));
/// assert!(!rx.is_terminated());
/// assert!(matches!(Pin::new(&mut rx).poll_next(&mut cx), Poll::Ready(None)));
/// assert!(rx.is_terminated());
/// ```
#[cfg(feature = "futures-core")]
impl<N: Node, B: Capacity> futures_core::Stream for Receiver<N, B> {
    type Item = N::Handle;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<N::Handle>> {
        let this = self.get_mut();
        if this.terminated {
            return Poll::Ready(None);
        }
        this.poll_recv(cx)
    }
}

#[cfg(feature = "futures-core")]
impl<N: Node, B: Capacity> futures_core::FusedStream for Receiver<N, B> {
    fn is_terminated(&self) -> bool {
        self.terminated
    }
}

/// The future of [`Receiver::recv`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut recv = pin!(rx.recv());
/// assert!(recv.as_mut().poll(&mut cx).is_pending());
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// assert!(matches!(recv.as_mut().poll(&mut cx), Poll::Ready(Some(_))));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'r, N: Node, B: Capacity = Unbounded> {
    receiver: &'r mut Receiver<N, B>,
}

impl<N: Node, B: Capacity> Future for RecvFuture<'_, N, B> {
    type Output = Option<N::Handle>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<N::Handle>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<N: Node, B: Capacity> fmt::Debug for RecvFuture<'_, N, B> {
    /// Prints `RecvFuture { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (_tx, mut rx) = channel::<Msg>();
    /// assert_eq!(format!("{:?}", rx.recv()), "RecvFuture { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv_many`]: resolves to the number of nodes appended.
#[must_use = "futures do nothing unless polled"]
pub struct RecvManyFuture<'r, N: Node, B: Capacity = Unbounded> {
    receiver: &'r mut Receiver<N, B>,
    buffer: &'r mut Vec<N::Handle>,
    limit: usize,
}

impl<N: Node, B: Capacity> Future for RecvManyFuture<'_, N, B> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.receiver.poll_recv_many(cx, this.buffer, this.limit)
    }
}

impl<N: Node, B: Capacity> fmt::Debug for RecvManyFuture<'_, N, B> {
    /// Prints `RecvManyFuture { limit: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvManyFuture")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// The iterator of [`Receiver::iter_blocking`].
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(tx);
/// assert_eq!(rx.iter_blocking().count(), 1);
/// ```
#[cfg(feature = "std")]
pub struct BlockingIter<'r, N: Node, B: Capacity = Unbounded> {
    receiver: &'r mut Receiver<N, B>,
}

#[cfg(feature = "std")]
impl<N: Node, B: Capacity> Iterator for BlockingIter<'_, N, B> {
    type Item = N::Handle;

    fn next(&mut self) -> Option<N::Handle> {
        self.receiver.recv_blocking()
    }
}

#[cfg(feature = "std")]
impl<N: Node, B: Capacity> fmt::Debug for BlockingIter<'_, N, B> {
    /// Prints `BlockingIter { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (_tx, mut rx) = channel::<Msg>();
    /// assert_eq!(format!("{:?}", rx.iter_blocking()), "BlockingIter { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingIter").finish_non_exhaustive()
    }
}

/// The node a send could not deliver because the receiver closed the channel or is gone.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::{channel, SendError};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, rx) = channel::<Msg>();
/// drop(rx);
/// let SendError(back) = tx.send(Box::new(Msg { link: Link::new(), n: 7 })).unwrap_err();
/// assert_eq!(back.n, 7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    /// Prints `SendError { .. }`, without requiring the node to be `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = intrusive_mpsc::channel::SendError(1u8);
    /// assert_eq!(format!("{error:?}"), "SendError { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    /// Says that the channel is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = intrusive_mpsc::channel::SendError(1u8);
    /// assert_eq!(error.to_string(), "sending on a closed channel");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> core::error::Error for SendError<T> {}

/// Why [`Sender::try_send`] handed the node back.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::TrySendError;
/// assert_eq!(TrySendError::Full(1u8).to_string(), "sending on a full channel");
/// assert_eq!(TrySendError::Full(1u8).into_inner(), 1);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// A bounded channel holds its capacity.
    Full(T),
    /// The receiver closed the channel or is gone.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The node that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(node) | TrySendError::Closed(node) => node,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    /// Prints `Full(..)` or `Closed(..)`, without requiring the node to be `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::TrySendError;
    /// assert_eq!(format!("{:?}", TrySendError::Closed(1u8)), "Closed(..)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    /// A short lower-case description.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "sending on a full channel",
            TrySendError::Closed(_) => "sending on a closed channel",
        })
    }
}

impl<T> core::error::Error for TrySendError<T> {}

/// Why [`Sender::send_timeout`] handed the node back.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::SendTimeoutError;
/// assert_eq!(SendTimeoutError::Timeout(1u8).to_string(), "timed out waiting for room");
/// ```
///
#[cfg_attr(not(feature = "std"), doc = "[`Sender::send_timeout`]: crate#features")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// No room came in time.
    Timeout(T),
    /// The receiver closed the channel or is gone.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The node that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(node) | SendTimeoutError::Closed(node) => node,
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    /// Prints `Timeout(..)` or `Closed(..)`, without requiring the node to be `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "Timeout(..)",
            SendTimeoutError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    /// A short lower-case description.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "timed out waiting for room",
            SendTimeoutError::Closed(_) => "sending on a closed channel",
        })
    }
}

impl<T> core::error::Error for SendTimeoutError<T> {}

/// Why [`Receiver::try_recv`] returned no node.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::TryRecvError;
/// assert_eq!(TryRecvError::Disconnected.to_string(), "channel is disconnected");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing to receive now, and no completed send is pending.
    Empty,
    /// A sender is in the middle of sending: something is coming.
    Inconsistent,
    /// Every sender is gone, or the channel was closed, and everything sent was received.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    /// A short lower-case description.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::TryRecvError;
    /// assert_eq!(TryRecvError::Empty.to_string(), "channel is empty");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "channel is empty",
            TryRecvError::Inconsistent => "channel is inconsistent: a sender is mid-send",
            TryRecvError::Disconnected => "channel is disconnected",
        })
    }
}

impl core::error::Error for TryRecvError {}

/// Why [`Receiver::recv_timeout`] returned no node.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::RecvTimeoutError;
/// assert_eq!(RecvTimeoutError::Timeout.to_string(), "timed out waiting on a channel");
/// ```
///
#[cfg_attr(
    not(feature = "std"),
    doc = "[`Receiver::recv_timeout`]: crate#features"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// Nothing arrived in time.
    Timeout,
    /// Every sender is gone, or the channel was closed, and everything sent was received.
    Disconnected,
}

impl fmt::Display for RecvTimeoutError {
    /// A short lower-case description.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::RecvTimeoutError;
    /// assert_eq!(RecvTimeoutError::Disconnected.to_string(), "channel is disconnected");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out waiting on a channel",
            RecvTimeoutError::Disconnected => "channel is disconnected",
        })
    }
}

impl core::error::Error for RecvTimeoutError {}
