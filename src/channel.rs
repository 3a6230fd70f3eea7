//! A channel-style front: cloneable [`Sender`]s and a unique [`Receiver`] that own a shared
//! [`WaitQueue`], with disconnection in both directions, as `std::sync::mpsc` users expect.
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
//! let mut ids: Vec<u32> = rx.iter().map(|job| job.id).collect(); // ends when all senders are gone
//! ids.sort();
//! assert_eq!(ids, [0, 1, 2]);
//! ```

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use core::task::{Context, Poll};

use crate::consumer::sealed::QueueRef as SealedQueueRef;
use crate::loom::{Arc, AtomicBool, AtomicUsize};
use crate::{Compact, Consumer, Node, QueueRef, TryDequeueError, Unbounded, Wait, WaitQueue};

/// Creates a channel: a [`Sender`] to clone for each producer, and the one [`Receiver`].
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
    let shared = Arc::new(Shared {
        queue: WaitQueue::new(),
        senders: AtomicUsize::new(1),
        receiver_alive: AtomicBool::new(true),
    });
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    // SAFETY: the receiver is the channel's only consumer: it is not `Clone`, and nothing else
    // reaches the queue's consumer side. Moving it to another thread orders its uses by
    // happens-before.
    let consumer = unsafe { Consumer::new(SharedRef(shared), false) };
    (sender, Receiver { consumer })
}

struct Shared<N: Node> {
    queue: WaitQueue<N>,
    /// Live senders. The last one to go wakes the receiver.
    senders: AtomicUsize,
    /// Cleared when the receiver is dropped; senders then hand nodes back.
    receiver_alive: AtomicBool,
}

impl<N: Node> Shared<N> {
    /// Whether every sender is gone. Acquire: pairs with the last sender's AcqRel decrement, so
    /// every node it sent happens-before this returns `true`.
    fn disconnected(&self) -> bool {
        self.senders.load(Acquire) == 0
    }
}

/// The sending half of a [`channel`]. Clone it for each producer.
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
pub struct Sender<N: Node> {
    shared: Arc<Shared<N>>,
}

impl<N: Node> Sender<N> {
    /// Sends a node, waking the receiver if it sleeps. Wait-free.
    ///
    /// # Errors
    ///
    /// Hands the node back in a [`SendError`] if the receiver has been dropped. A node sent while
    /// the receiver is being dropped may be accepted; it is then dropped with the channel.
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
    /// assert_eq!(rx.recv().unwrap().n, 1);
    /// ```
    #[inline]
    pub fn send(&self, handle: N::Handle) -> Result<(), SendError<N::Handle>> {
        // Relaxed: a hint only; a node that slips past a concurrent receiver drop is dropped with
        // the shared queue.
        if !self.shared.receiver_alive.load(Relaxed) {
            return Err(SendError(handle));
        }
        self.shared.queue.enqueue(handle);
        Ok(())
    }
}

impl<N: Node> Clone for Sender<N> {
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
    /// assert!(rx.recv().is_some());
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

impl<N: Node> Drop for Sender<N> {
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

impl<N: Node> fmt::Debug for Sender<N> {
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

/// The receiving half of a [`channel`]: the queue's only consumer.
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
/// assert!(rx.recv().is_some());
/// assert!(rx.recv().is_none(), "disconnected and drained");
/// ```
pub struct Receiver<N: Node> {
    /// The channel's one consumer, holding the shared state.
    consumer: Consumer<SharedRef<N>>,
}

/// The channel's shared state, as the pointer its consumer holds.
struct SharedRef<N: Node>(Arc<Shared<N>>);

impl<N: Node> SealedQueueRef for SharedRef<N> {}

impl<N: Node> QueueRef for SharedRef<N> {
    type Node = N;
    type Capacity = Unbounded;
    type Waiting = Wait;
    type Layout = Compact;

    #[inline(always)]
    fn queue(&self) -> &WaitQueue<N> {
        &self.0.queue
    }
}

impl<N: Node> Receiver<N> {
    /// The shared state.
    #[inline(always)]
    fn shared(&self) -> &Shared<N> {
        &self.consumer.queue.0
    }

    /// Receives a node without waiting.
    ///
    /// # Errors
    ///
    /// - [`TryRecvError::Empty`]: nothing to receive now.
    /// - [`TryRecvError::Inconsistent`]: a sender is in the middle of sending; try again.
    /// - [`TryRecvError::Disconnected`]: every sender is gone and everything sent was received.
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
        match self.consumer.try_dequeue() {
            Ok(handle) => Ok(handle),
            Err(TryDequeueError::Inconsistent) => Err(TryRecvError::Inconsistent),
            Err(TryDequeueError::Empty) if self.shared().disconnected() => {
                // Everything the senders sent happens-before the count we just read: one more
                // look settles it.
                match self.consumer.try_dequeue() {
                    Ok(handle) => Ok(handle),
                    Err(TryDequeueError::Inconsistent) => Err(TryRecvError::Inconsistent),
                    Err(TryDequeueError::Empty) => Err(TryRecvError::Disconnected),
                }
            }
            Err(TryDequeueError::Empty) => Err(TryRecvError::Empty),
        }
    }

    /// Polls for a node: `Ready(Some)` with one, `Ready(None)` once every sender is gone and
    /// everything was received, `Pending` otherwise (the task is woken when that changes).
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
        let step = self
            .consumer
            .poll_node(cx.waker(), |shared| shared.0.disconnected());
        Consumer::<SharedRef<N>>::poll_step(step, cx)
    }

    /// Receives a node asynchronously; `None` once every sender is gone and everything was
    /// received. Cancel-safe.
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
    /// assert!(block_on(rx.recv_async()).is_some());
    /// assert!(block_on(rx.recv_async()).is_none());
    /// ```
    pub fn recv_async(&mut self) -> RecvFuture<'_, N> {
        RecvFuture { receiver: self }
    }

    /// Receives a node, blocking the thread until one arrives; `None` once every sender is gone
    /// and everything was received.
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
    /// assert!(rx.recv().is_some());
    /// assert!(rx.recv().is_none());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv(&mut self) -> Option<N::Handle> {
        self.recv_until(None).ok()
    }

    /// Receives a node, blocking the thread for at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing arrived in time, [`RecvTimeoutError::Disconnected`]
    /// once every sender is gone and everything was received.
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
        let received = self.consumer.block_on(deadline, |consumer, waker| {
            consumer.poll_node(waker, |shared| shared.0.disconnected())
        });
        match received {
            Some(Some(handle)) => Ok(handle),
            Some(None) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// A blocking iterator over received nodes; it ends once every sender is gone and
    /// everything was received.
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
    /// assert_eq!(rx.iter().map(|m| m.n).sum::<u32>(), 10);
    /// ```
    #[cfg(feature = "std")]
    pub fn iter(&mut self) -> Iter<'_, N> {
        Iter { receiver: self }
    }
}

impl<N: Node> Drop for Receiver<N> {
    /// Drops the nodes sent but not received, as `std::sync::mpsc` does; senders get their nodes
    /// back from then on. A node whose send is still under way when the receiver drops is dropped
    /// with the last sender instead.
    fn drop(&mut self) {
        // Relaxed: senders use it as a hint (see `Sender::send`).
        self.shared().receiver_alive.store(false, Relaxed);
        self.consumer.done();
        // If a node's drop panics, the rest stay queued and go with the last `Arc`.
        while let Ok(handle) = self.consumer.try_dequeue() {
            drop(handle);
        }
    }
}

impl<N: Node> fmt::Debug for Receiver<N> {
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

/// The future of [`Receiver::recv_async`].
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
/// let mut recv = pin!(rx.recv_async());
/// assert!(recv.as_mut().poll(&mut cx).is_pending());
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// assert!(matches!(recv.as_mut().poll(&mut cx), Poll::Ready(Some(_))));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'r, N: Node> {
    receiver: &'r mut Receiver<N>,
}

impl<N: Node> Future for RecvFuture<'_, N> {
    type Output = Option<N::Handle>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<N::Handle>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<N: Node> fmt::Debug for RecvFuture<'_, N> {
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
    /// assert_eq!(format!("{:?}", rx.recv_async()), "RecvFuture { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

/// The iterator of [`Receiver::iter`].
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
/// assert_eq!(rx.iter().count(), 1);
/// ```
#[cfg(feature = "std")]
pub struct Iter<'r, N: Node> {
    receiver: &'r mut Receiver<N>,
}

#[cfg(feature = "std")]
impl<N: Node> Iterator for Iter<'_, N> {
    type Item = N::Handle;

    fn next(&mut self) -> Option<N::Handle> {
        self.receiver.recv()
    }
}

#[cfg(feature = "std")]
impl<N: Node> fmt::Debug for Iter<'_, N> {
    /// Prints `Iter { .. }`.
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
    /// assert_eq!(format!("{:?}", rx.iter()), "Iter { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// The node a [`Sender::send`] could not deliver because the receiver is gone.
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
    /// Says that the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = intrusive_mpsc::channel::SendError(1u8);
    /// assert_eq!(error.to_string(), "sending on a channel whose receiver is gone");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a channel whose receiver is gone")
    }
}

impl<T> core::error::Error for SendError<T> {}

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
    /// Every sender is gone and everything sent was received.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// Nothing arrived in time.
    Timeout,
    /// Every sender is gone and everything sent was received.
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
