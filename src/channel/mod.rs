//! A channel-style front: cloneable [`Sender`]s and a unique [`Receiver`] that own a shared
//! waiting queue, with disconnection and closing in both directions, as `std::sync::mpsc` and
//! tokio users expect. The names and their meanings are tokio's where they match.
//!
//! - [`channel(capacity)`](channel()) (also [`bounded`]): at most `capacity` nodes queued, with
//!   backpressure: [`try_send`](Sender::try_send) hands the node back when full,
//!   [`send(node).await`](Sender#method.send-1) waits for room, and
//!   [`send_blocking`][Sender::send_blocking] blocks a thread until there is room.
//! - [`unbounded_channel()`] (also [`unbounded`]): [`Sender::send`] never waits (it is
//!   wait-free).
//!
//! # Async or blocking: the name says which
//!
//! | | in an async task | on a thread (feature `std`) |
//! |---|---|---|
//! | receive | [`rx.recv().await`](Receiver::recv), [`recv_many`](Receiver::recv_many), `Stream` (feature `futures-core`) | [`recv_blocking`][Receiver::recv_blocking], [`recv_many_blocking`][Receiver::recv_many_blocking], [`iter_blocking`][Receiver::iter_blocking] |
//! | receive, for a limited time | [`rx.recv_timeout(sleep).await`](Receiver::recv_timeout) | [`recv_timeout_blocking`][Receiver::recv_timeout_blocking] |
//! | send on a bounded channel | [`tx.send(node).await`](Sender#method.send-1) | [`send_blocking`][Sender::send_blocking] |
//! | send on a bounded channel, for a limited time | [`tx.send_timeout(node, sleep).await`](Sender::send_timeout) | [`send_timeout_blocking`][Sender::send_timeout_blocking] |
//! | send on either kind (generic code) | [`tx.send_async(node).await`](Sender::send_async) | — |
//! | wait for the receiver to go | [`tx.closed().await`](Sender::closed) | — |
//!
//! Every method that can park a thread ends in `_blocking`; the `_timeout_blocking` ones park it
//! for at most their timeout. Calling a blocking method inside an async task blocks the
//! executor's thread: on a current-thread runtime, a sender on another task of that runtime can
//! then never run. Use the async methods there.
//!
//! The methods that never wait ([`Sender::try_send`], [`Receiver::try_recv`],
//! [`Receiver::try_recv_many`], and the unbounded [`Sender::send`]) work anywhere.
//!
//! # Timeouts in async code
//!
//! The crate has no timer, so the async timeouts take your runtime's sleep future (any
//! [`Timer`], that is any future) where tokio's take a `Duration`:
//! `rx.recv_timeout(tokio::time::sleep(d)).await`. A `Duration` there does not compile, and the
//! message says what to pass (and to call `recv_timeout_blocking` on a thread). Putting
//! `recv()` under your runtime's own timeout (`tokio::time::timeout(d, rx.recv())`) works as
//! well; `send_timeout` has the advantage of handing the node back.
//!
//! # Blocking inside an async runtime
//!
//! With the feature `tokio`, a blocking call that is about to park a thread that drives a tokio
//! runtime's tasks (a worker thread, or the thread inside `block_on`) panics, as tokio's own
//! `blocking_recv` does, with a message naming the async method to call instead. Inside
//! `tokio::task::spawn_blocking` or `block_in_place`, or on a thread of your own, blocking is
//! legitimate and is not caught. The check runs only on the path that is about to park, so a
//! blocking call that finds a node or room at once costs nothing more; and it relies on tokio's
//! own view of the thread, which only tokio has (there is no runtime-agnostic way to tell).
//! Without the feature, or under another runtime, nothing is caught: the call blocks the
//! runtime's thread (and can hang a current-thread runtime). When it panics, tokio's own
//! message ("Cannot start a runtime from within a runtime") is printed just before ours: tokio
//! tells only by panicking.
//!
//! # Tokio's habits
//!
//! - `channel(8)` is a bounded channel; [`unbounded_channel()`] the unbounded one.
//! - tokio's `blocking_recv` and `blocking_send` are [`recv_blocking`][Receiver::recv_blocking]
//!   and [`send_blocking`][Sender::send_blocking] here: every blocking call's name ends in
//!   `_blocking`.
//! - [`Sender::capacity`] is the room left now and [`Sender::max_capacity`] the bound, as in
//!   tokio; [`len`](Receiver::len) and [`is_empty`](Receiver::is_empty) exist on both ends
//!   (except on an unbounded channel's sender, whose sends keep no count), `is_full` on a
//!   bounded channel's.
//! - [`Sender::downgrade`] gives a [`WeakSender`], which does not keep the channel open;
//!   [`Sender::strong_count`], [`Sender::weak_count`] and [`Sender::same_channel`] as in tokio.
//! - The errors are in [`error`] (and re-exported here). [`TryRecvError`] has a third variant,
//!   [`Inconsistent`](TryRecvError::Inconsistent): a sender is in the middle of sending.
//! - `tx.send(node);` on a bounded channel, without `.await`, sends nothing: the warning says to
//!   write `.await`, or to call `send_blocking` or `try_send` outside async code.
//!
//! The habits that would change meaning here fail to compile instead. The zero-argument
//! constructor of earlier versions is gone (an unbounded channel is `unbounded_channel()`):
//!
//! ```compile_fail,E0061
//! use intrusive_mpsc::{channel::channel, node, Link};
//!
//! struct Msg {
//!     link: Link,
//! }
//! node!(Msg, link, Box<Msg>);
//!
//! let (tx, rx) = channel::<Msg>();
//! ```
//!
//! A two-arm match on [`TryRecvError`], as for tokio's, misses `Inconsistent`:
//!
//! ```compile_fail,E0004
//! use intrusive_mpsc::channel::{error::TryRecvError, unbounded_channel};
//! use intrusive_mpsc::{node, Link};
//!
//! struct Msg {
//!     link: Link,
//! }
//! node!(Msg, link, Box<Msg>);
//!
//! let (_tx, mut rx) = unbounded_channel::<Msg>();
//! match rx.try_recv() {
//!     Ok(_) => {}
//!     Err(TryRecvError::Empty) => {}
//!     Err(TryRecvError::Disconnected) => {}
//! }
//! ```
//!
//! A bounded send without `.await` sends nothing; rustc cannot refuse it, but warns, with the
//! message above (here the warning is denied, so it fails):
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! use intrusive_mpsc::{channel::channel, node, Link};
//!
//! struct Msg {
//!     link: Link,
//! }
//! node!(Msg, link, Box<Msg>);
//!
//! let (tx, _rx) = channel::<Msg>(8);
//! tx.send(Box::new(Msg { link: Link::new() }));
//! ```
//!
//! A `Duration` where the async timeouts take a sleep future fails as shown under [`Timer`].
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
//! let (tx, mut rx) = channel::unbounded_channel::<Job>();
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
//! let (tx, mut rx) = channel::channel::<Job>(2);
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
//! A bounded channel's senders that wait for room sit in a wait list of the channel's own, in
//! the order they began to wait; the receiver pays a fence per hand-over for it, and the list's
//! lock only while a sender waits. The unbounded channel carries none of it.
//!
//! A thread that finds the channel full ([`send_blocking`][Sender::send_blocking] and the other
//! blocking sends) first waits a few microseconds without joining the list (spinning briefly,
//! then yielding), and [`recv_blocking`][Receiver::recv_blocking] about a microsecond on an
//! empty channel: while both ends run, the room or the node comes within that time, and nobody
//! parks or wakes anybody. A wait that lasts longer parks.
//!
//! # Misbehaving users
//!
//! A waker is the user's code: the channel never runs one while it holds a lock, so a waker may
//! poll or drop a send future inline. If a waker panics, every other waiter is still woken, no
//! node is lost (a receive that a waiting sender's waker interrupted leaves its node for the
//! next receive), and the panic goes on to the caller. A `send(..).await` that waited and was
//! then forgotten (`mem::forget`) loses its own place, never another sender's room: see
//! [`Sender#method.send-1`]'s costs.
//!
#![cfg_attr(not(feature = "std"), doc = "[Sender::send_blocking]: crate#features")]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Sender::send_timeout_blocking]: crate#features"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Receiver::recv_blocking]: crate#features"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Receiver::recv_many_blocking]: crate#features"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Receiver::recv_timeout_blocking]: crate#features"
)]
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

use crate::policy::capacity::sealed::Capacity as SealedCapacity;
use crate::policy::capacity::Claim;
#[cfg(feature = "std")]
use crate::policy::park::spin_before_parking;
#[cfg(feature = "std")]
use crate::policy::runtime;
use crate::policy::waiters::Waiters;
use crate::queue::consumer::sealed::QueueRef as SealedQueueRef;
#[cfg(feature = "std")]
use crate::queue::sleep::Step;
use crate::sync::{fence, Arc, AtomicUsize};
use crate::{Bounded, Capacity, Consumer, Node, Padded, Queue, QueueRef, TryDequeueError};
use crate::{Unbounded, Wait};
use crossbeam_utils::CachePadded;

pub mod error;
mod futures;
mod permit;
mod receiver;
mod sender;
mod timeout;
mod weak;

// Also here, where they were before the `error` module, as `std::sync::mpsc` has them.
pub use error::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
#[cfg(feature = "std")]
pub use futures::BlockingIter;
pub use futures::{ClosedFuture, RecvFuture, RecvManyFuture, SendFuture};
pub use permit::{
    OwnedPermit, Permit, PermitIterator, ReserveFuture, ReserveManyFuture, ReserveOwnedFuture,
};
pub use receiver::Receiver;
use receiver::SharedRef;
pub use sender::Sender;
pub use timeout::{RecvTimeoutFuture, SendTimeoutFuture, Timer};
pub use weak::WeakSender;

/// Creates a bounded channel: at most `capacity` nodes are queued at once, and senders that find
/// it full wait ([`send(node).await`](Sender#method.send-1), [`send_blocking`][Sender::send_blocking])
/// or get their node back ([`try_send`](Sender::try_send)). As tokio's `mpsc::channel(capacity)`;
/// [`bounded`] is the same function under crossbeam's and flume's name, and
/// [`unbounded_channel`] makes a channel without a bound.
///
/// The queue is a [`BoundedWaitQueue`](crate::BoundedWaitQueue) in the [`Padded`] layout
/// (senders and receiver on different cores do not fight over one cache line), allocated once,
/// here, with the rest of the channel: about 640 bytes on x86-64. Sending and receiving never
/// allocate; a sender that has to wait for room allocates its place in the wait list.
///
/// # Panics
///
/// If `capacity` is 0 or greater than `isize::MAX`.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::{channel, TrySendError};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = channel::<Msg>(1);
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
pub fn channel<N: Node>(capacity: usize) -> (Sender<N, Bounded>, Receiver<N, Bounded>) {
    with_queue(Queue::with_capacity(capacity))
}

/// Creates a bounded channel: the same function as [`channel`], under crossbeam's and flume's
/// name.
///
/// # Panics
///
/// If `capacity` is 0 or greater than `isize::MAX`.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::bounded;
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, _rx) = bounded::<Msg>(4);
/// assert_eq!(tx.max_capacity(), 4);
/// ```
#[must_use]
#[inline]
pub fn bounded<N: Node>(capacity: usize) -> (Sender<N, Bounded>, Receiver<N, Bounded>) {
    channel(capacity)
}

/// Creates an unbounded channel: a [`Sender`] to clone for each producer, and the one
/// [`Receiver`]. As tokio's `mpsc::unbounded_channel()`; [`unbounded`] is the same function under
/// crossbeam's and flume's name.
///
/// [`Sender::send`] never waits (it is wait-free). The queue ([`Padded`], as for [`channel`]) is
/// allocated once, here, with the rest of the channel: about 512 bytes on x86-64; sending and
/// receiving never allocate.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded_channel::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// assert!(rx.try_recv().is_ok());
/// ```
#[must_use]
pub fn unbounded_channel<N: Node>() -> (Sender<N>, Receiver<N>) {
    with_queue(Queue::new())
}

/// Creates an unbounded channel: the same function as [`unbounded_channel`], under crossbeam's
/// and flume's name.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::unbounded, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// assert!(rx.try_recv().is_ok());
/// ```
#[must_use]
#[inline]
pub fn unbounded<N: Node>() -> (Sender<N>, Receiver<N>) {
    unbounded_channel()
}

/// Both ends around `queue`.
fn with_queue<N: Node, B: Capacity>(
    queue: Queue<N, B, Wait, Padded>,
) -> (Sender<N, B>, Receiver<N, B>) {
    let shared = Arc::new(Shared {
        queue,
        state: AtomicUsize::new(0),
        senders: AtomicUsize::new(1),
        weak_senders: AtomicUsize::new(0),
        closed: Waiters::new(),
        room: B::when_bounded(|| CachePadded::new(Waiters::new())),
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
        stash: receiver::Stash::EMPTY,
    };
    (sender, receiver)
}

/// How long a blocking send (or reservation) that finds a bounded channel full waits for room
/// before it joins the wait list and parks: 2 short rounds of spinning (3 spin hints), then 10
/// yields of the thread, a few microseconds in all. While the receiver runs, room comes within
/// that time, and the sender takes it without the list's lock, a park or a wake-up; the
/// receiver's hand-overs then find nobody to wake. It yields early rather than spinning long:
/// when the receiver shares the sender's core (more threads than cores), only a yield lets it
/// make room (measured in `perf/CHANNELS.md`: 7 rounds of spinning, 127 hints, before the
/// yields moved 0.6-0.75x what 2 rounds did under backpressure with blocking senders).
#[cfg(feature = "std")]
const SEND_SPIN: (u32, u32) = (2, 10);

/// `state` bit: the receiver closed the channel or is gone. Senders fail from then on.
const CLOSED: usize = 1;
/// `state` unit: one send, counted (before its node is enqueued) unless the channel is closed.
const ONE_SEND: usize = 2;

/// What the ends share. `repr(C)`, so that the fields stay on the cache lines laid out here
/// (lever 2 of `perf/CHANNELS.md`): the queue's two ends on lines of their own, then `state`
/// (written by every send) with the fields that change only now and then, then the room's wait
/// list, whose count the receiver reads after every hand-over, on a line of its own away from
/// `state`. A bounded channel is 512 bytes (plus the `Arc`'s counts, on a line before it), an
/// unbounded one 384, on 64-bit targets whose lines `CachePadded` takes as 128 bytes.
#[repr(C)]
struct Shared<N: Node, B: Capacity> {
    /// The queue, in the [`Padded`] layout: the senders' claims and swaps and the receiver's
    /// walk and count of nodes handed over do not share a line.
    queue: Queue<N, B, Wait, Padded>,
    /// [`CLOSED`], plus, on an unbounded channel, [`ONE_SEND`] for every send that got past the
    /// closed check (accepted, or about to take itself back), wrapping. Once `CLOSED` is set no
    /// send is counted for good any more, so a receiver that has taken as many nodes as the
    /// count says has taken everything it will ever get. A bounded channel counts its sends on
    /// the queue's claim counter instead (see [`Shared::finished`]).
    state: AtomicUsize,
    /// Live senders. The last one to go wakes the receiver. Once 0 it stays 0: a
    /// [`WeakSender`] upgrades only from a live count.
    senders: AtomicUsize,
    /// Live [`WeakSender`]s, for [`Sender::weak_count`] alone.
    weak_senders: AtomicUsize,
    /// Tasks in [`Sender::closed`].
    closed: Waiters,
    /// Senders waiting for room: a [`Waiters`] list when bounded, on a line of its own, nothing
    /// when unbounded.
    room: <B as SealedCapacity>::WhenBounded<CachePadded<Waiters>>,
}

// The channel's ends are `UnwindSafe` and `RefUnwindSafe`, as tokio's are (its tests assert
// both): after a panic in user code (a node's `Drop`, a waker), what stays observable is the
// shared state below, which no such panic leaves torn: each update of it is one atomic operation
// or runs under the wait list's own lock, and the queue's consumer side is the receiver's alone.
// The cells inside (the queue's links, the receiver's waker slot) hide that from the auto traits.
// Neither trait is `unsafe`: memory safety never rests on them.
impl<N: Node, B: Capacity> core::panic::RefUnwindSafe for Shared<N, B> {}

impl<N: Node, B: Capacity> Shared<N, B> {
    /// Whether the receiver that has taken `received / ONE_SEND` nodes (wrapping) will get no
    /// more: every sender is gone, or the channel is closed and every counted send was received.
    /// Call it only with the queue found empty after the receiver registered its waker: a sender
    /// that changes the answer later wakes it.
    ///
    /// How sends are counted differs with the capacity:
    ///
    /// - Unbounded: `state` counts them ([`begin_send`](Shared::begin_send)). The receiver's
    ///   close is a read-modify-write of the same word, so every send either is counted before
    ///   it (and the load below, made after it, sees that count) or sees `CLOSED` and fails.
    /// - Bounded: the queue's claim counter counts them, with the room they take, so a send
    ///   costs one read-modify-write fewer. A granted claim is a counted send; the sender then
    ///   issues a `SeqCst` fence and looks at `CLOSED` ([`open_after_claim`]), and takes the
    ///   claim back if it is set ([`take_back`]). The receiver, closed, issues a `SeqCst` fence
    ///   and then compares the claim counter with the nodes it handed over. Of the two fences
    ///   one comes first in their total order (C++20's rules for `SeqCst` fences, which Rust
    ///   follows, hold across `happens-before`, so a receiver moved to another thread since its
    ///   close changes nothing): if the sender's, the receiver's load sees the claim, and waits
    ///   for its node or its give-back; if the receiver's, the sender sees `CLOSED` (set before
    ///   the receiver's fence) and gives the claim back without sending. A claim that goes down
    ///   again (given back, or undone after a refusal) is followed by the same fence and look,
    ///   and wakes the receiver if the channel is closed ([`claims_dropped`]): either the
    ///   receiver's load sees the decrement, or the sender sees `CLOSED` and the wake-up reaches
    ///   the waker the receiver registered before its look. Claims that are never taken back
    ///   are the room of a forgotten permit, which the receiver waits for, as documented.
    ///
    /// [`open_after_claim`]: Shared::open_after_claim
    /// [`take_back`]: Shared::take_back
    /// [`claims_dropped`]: Shared::claims_dropped
    fn finished(&self, received: usize) -> bool {
        // Acquire: pairs with the last sender's AcqRel decrement, so every node it sent
        // happens-before this returns `true`.
        if self.senders.load(Acquire) == 0 {
            return true;
        }
        // Relaxed: coherence alone decides (see above). `CLOSED` is the receiver's own write.
        // Nodes are published by the queue, not by this count.
        let state = self.state.load(Relaxed);
        if state & CLOSED == 0 {
            return false;
        }
        if self.bounded() {
            // SeqCst: pairs with the senders' fences in `open_after_claim` and `claims_dropped`
            // (see above); the claim counter's load in `claims_settled` comes after it.
            fence(SeqCst);
            self.queue.claims_settled()
        } else {
            state & !CLOSED == received
        }
    }

    /// Counts a send on an unbounded channel, unless the channel is closed (then nothing stays
    /// counted). Returns whether the send may go on.
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

    /// After a granted claim on a bounded channel: whether the channel is still open, so that
    /// the receiver waits for the send the claim counts (see `finished`). If not, the caller
    /// takes the claim back ([`take_back`](Shared::take_back)).
    #[inline]
    fn open_after_claim(&self) -> bool {
        // SeqCst: pairs with the receiver's fence in `finished`, between our claim and this
        // look (see there).
        fence(SeqCst);
        // Relaxed: ordered by the fences.
        self.state.load(Relaxed) & CLOSED == 0
    }

    /// Takes back `n` places of room that granted claims will not use, on a bounded channel:
    /// gives the room back, wakes a receiver that waits for the claims to settle, and hands the
    /// room on to the senders waiting for it.
    #[cold]
    fn take_back(&self, n: usize) {
        self.queue.give_back(n);
        self.claims_dropped();
        if let Some(room) = self.room() {
            room.notify(n);
        }
    }

    /// After the claim counter of a bounded channel went down (room given back, or a refused
    /// claim undone): wakes the receiver if the channel is closed, as it may be waiting for the
    /// claims to settle (see `finished`).
    fn claims_dropped(&self) {
        // SeqCst: pairs with the receiver's fence in `finished`, between our decrement and this
        // look (see there).
        fence(SeqCst);
        // Relaxed: ordered by the fences.
        if self.state.load(Relaxed) & CLOSED != 0 {
            // The receiver registers its waker before its look: either it saw our decrement, or
            // this wakes it.
            self.queue.shared().wake();
        }
    }

    /// Sends `handle` if the channel is open and has room.
    #[inline]
    fn try_send(&self, handle: N::Handle) -> Result<(), TrySendError<N::Handle>> {
        if self.bounded() {
            return self.try_send_bounded(handle);
        }
        if !self.begin_send() {
            return Err(TrySendError::Closed(handle));
        }
        // Unbounded: no room to claim. Wakes the receiver if it sleeps.
        self.queue.push(handle);
        Ok(())
    }

    /// [`try_send`](Shared::try_send) on a bounded channel, whose claim counts the send (see
    /// `finished`).
    #[inline]
    fn try_send_bounded(&self, handle: N::Handle) -> Result<(), TrySendError<N::Handle>> {
        match self.claim_sends(1) {
            Ok(()) => {
                // Wakes the receiver if it sleeps.
                self.queue.push(handle);
                Ok(())
            }
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(handle)),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(handle)),
        }
    }

    /// Claims room for `n >= 1` sends on a bounded channel, if it is open and has room for all
    /// of them: the granted claim counts the sends (see `finished`). For a send and for a
    /// reservation alike.
    #[inline]
    fn claim_sends(&self, n: usize) -> Result<(), TrySendError<()>> {
        if self.is_closed() {
            return Err(TrySendError::Closed(()));
        }
        match self.queue.try_claim(n) {
            Claim::Granted if self.open_after_claim() => Ok(()),
            Claim::Granted => {
                // Closed since our look above.
                self.take_back(n);
                Err(TrySendError::Closed(()))
            }
            Claim::Undone => {
                self.claims_dropped();
                // While our claim counted, another sender's claim may have been refused
                // because of it; that sender may be about to wait. Hand the room on.
                if let Some(room) = self.room() {
                    room.notify(1);
                }
                Err(TrySendError::Full(()))
            }
            Claim::Refused => Err(TrySendError::Full(())),
        }
    }

    /// Closes the channel: senders fail from now on, and every waiting sender and
    /// [`Sender::closed`] task is woken. If a waker panics, the others are still woken, then the
    /// panic goes on.
    fn close(&self) {
        // Release: pairs with `Shared::is_closed`'s Acquire. The count needs no more than the
        // read-modify-write itself (see `Shared::finished`).
        self.state.fetch_or(CLOSED, Release);
        /// Wakes the waiting senders even if a `closed()` task's waker unwinds (without `std`,
        /// where its panic cannot be caught).
        struct CloseRoom<'a>(Option<&'a Waiters>);
        impl Drop for CloseRoom<'_> {
            fn drop(&mut self) {
                if let Some(room) = self.0.take() {
                    room.notify_all().resume();
                }
            }
        }
        let mut room = CloseRoom(self.room());
        let first = self.closed.notify_all();
        let second = room.0.take().map(Waiters::notify_all).unwrap_or_default();
        first.or(second).resume();
    }

    /// Whether the channel is bounded: known at compile time.
    #[inline(always)]
    fn bounded(&self) -> bool {
        self.room().is_some()
    }

    /// The senders waiting for room, when bounded.
    #[inline(always)]
    fn room(&self) -> Option<&Waiters> {
        B::bounded_part(&self.room).map(|room| &**room)
    }

    /// The number of live senders, for information.
    fn strong_count(&self) -> usize {
        // Relaxed: a snapshot; nothing is read through it.
        self.senders.load(Relaxed)
    }

    /// The number of live weak senders, for information.
    fn weak_count(&self) -> usize {
        // Relaxed: a snapshot; nothing is read through it.
        self.weak_senders.load(Relaxed)
    }

    /// Whether the receiver closed the channel or is gone.
    fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release of the receiver's close, so what it did before closing
        // is visible once a sender sees the channel closed.
        self.state.load(Acquire) & CLOSED != 0
    }
}

#[cfg(all(test, target_pointer_width = "64", not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::{node, Link};
    use alloc::boxed::Box;

    struct Msg {
        link: Link,
    }
    node!(Msg, link, Box<Msg>);

    #[test]
    fn shared_sizes_are_what_the_docs_say() {
        let line = core::mem::align_of::<CachePadded<u8>>();
        if line == 128 {
            assert_eq!(core::mem::size_of::<Shared<Msg, Bounded>>(), 512);
            assert_eq!(core::mem::size_of::<Shared<Msg, Unbounded>>(), 384);
        }
    }
}
