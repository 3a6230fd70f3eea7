//! [`Receiver`]: the receiving half, the queue's only consumer.

use super::*;

mod many;
mod query;

/// The receiving half of a channel: the queue's only consumer.
///
/// It is `Send` and `Sync` when the handles are `Send`. With the feature `futures-core` it is a
/// `Stream` of nodes, fused once it has reported the end.
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
/// drop(tx);
/// assert!(rx.recv_blocking().is_some());
/// assert!(rx.recv_blocking().is_none(), "disconnected and drained");
/// ```
pub struct Receiver<N: Node, B: Capacity = Unbounded> {
    /// The channel's one consumer, holding the shared state.
    pub(super) consumer: Consumer<SharedRef<N, B>>,
    /// [`ONE_SEND`] times the nodes handed over, wrapping, to compare with `Shared::state`.
    pub(super) received: usize,
    /// Whether a receive reported the end (for `FusedStream`).
    pub(super) terminated: bool,
    /// A node taken and accounted for whose delivery a waiting sender's panicking waker
    /// interrupted: the next receive returns it.
    pub(super) stash: Stash<N::Handle>,
}

/// Where a node waits while the wakers of waiting senders run: the next receive returns it.
pub(super) struct Stash<H>(Option<H>);

impl<H> Stash<H> {
    pub(super) const EMPTY: Stash<H> = Stash(None);

    /// The node, if one waits.
    #[inline(always)]
    fn take(&mut self) -> Option<H> {
        self.0.take()
    }
}

// The node is only ever moved, never pinned: the receiver is `Unpin` whatever the handle.
impl<H> Unpin for Stash<H> {}

// SAFETY: `&Receiver` gives no access to the stash (only `&mut self` methods touch it), so
// sharing the receiver shares no handle; `Send` of the handle is all it needs, as for
// `Consumer`.
unsafe impl<H: Send> Sync for Stash<H> {}

/// The channel's shared state, as the pointer its consumer holds.
pub(super) struct SharedRef<N: Node, B: Capacity>(pub(super) Arc<Shared<N, B>>);

impl<N: Node, B: Capacity> SealedQueueRef for SharedRef<N, B> {}

impl<N: Node, B: Capacity> QueueRef for SharedRef<N, B> {
    type Node = N;
    type Capacity = B;
    type Waiting = Wait;
    type Layout = Padded;

    #[inline(always)]
    fn queue(&self) -> &Queue<N, B, Wait, Padded> {
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
            // Room for `n` senders.
            room.notify(n);
        }
    }

    /// Accounts for a poll's answer: a node, or the end.
    #[inline]
    fn received(&mut self, handle: Option<N::Handle>) -> Option<N::Handle> {
        match handle {
            Some(handle) => Some(self.deliver(handle)),
            None => {
                self.terminated = true;
                None
            }
        }
    }

    /// Accounts for one node handed over, as [`handed_over`](Receiver::handed_over), and returns
    /// it.
    #[inline]
    fn deliver(&mut self, handle: N::Handle) -> N::Handle {
        self.received = self.received.wrapping_add(ONE_SEND);
        match self.shared().room() {
            Some(room) if room.anybody_waits() => self.deliver_waking(handle),
            _ => handle,
        }
    }

    /// [`deliver`](Receiver::deliver) when senders wait: their wakers are the user's code and
    /// may panic, so the node waits in the stash meanwhile; it is not dropped in the unwind.
    #[cold]
    #[inline(never)]
    fn deliver_waking(&mut self, handle: N::Handle) -> N::Handle {
        self.stash.0 = Some(handle);
        if let Some(room) = self.consumer.queue.0.room() {
            room.wake(1);
        }
        self.stash.take().expect("put in the stash above")
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
    /// use intrusive_mpsc::channel::{unbounded_channel, TryRecvError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<N::Handle, TryRecvError> {
        if let Some(handle) = self.stash.take() {
            return Ok(handle);
        }
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
        received.map(|handle| self.deliver(handle))
    }

    /// Polls for a node: `Ready(Some)` with one, `Ready(None)` once every sender is gone (or the
    /// channel was closed) and everything was received, `Pending` otherwise (the task is woken
    /// when that changes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(rx.poll_recv(&mut cx).is_pending());
    /// drop(tx);
    /// assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<N::Handle>> {
        if let Some(handle) = self.stash.take() {
            return Poll::Ready(Some(handle));
        }
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
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
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
    /// An empty channel first makes it wait a microsecond or so without parking (spinning
    /// briefly, then yielding the thread twice): a node sent meanwhile is taken without a park,
    /// and its sender pays no wake-up. Then it parks until a node arrives. The budget is short,
    /// so an idle receiver costs next to nothing; after a wait that a few more yields would have
    /// spared (a peer answering within microseconds, as in ping-pong), the next one yields up
    /// to 8 times.
    ///
    /// Do not call it from an async task: it blocks the executor's thread, and on a
    /// current-thread runtime the senders of that runtime can then never run. Use
    /// `recv().await` there.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would block a thread that is running a tokio runtime's
    /// tasks (see the [module docs](mod@crate::channel#blocking-inside-an-async-runtime)).
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
    /// std::thread::spawn(move || tx.send(Box::new(Msg { link: Link::new() })).unwrap());
    /// assert!(rx.recv_blocking().is_some());
    /// assert!(rx.recv_blocking().is_none());
    /// ```
    #[cfg(feature = "std")]
    #[doc(alias = "blocking_recv")]
    pub fn recv_blocking(&mut self) -> Option<N::Handle> {
        self.recv_until(None, "recv_blocking", "recv().await").ok()
    }

    /// Receives a node, blocking the thread for at most `timeout`.
    ///
    /// This blocks like [`recv_blocking`](Receiver::recv_blocking), for at most `timeout`; in
    /// async code, use [`recv_timeout`](Receiver::recv_timeout) with your runtime's sleep future
    /// instead.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if nothing arrived in time, [`RecvTimeoutError::Disconnected`]
    /// once every sender is gone (or the channel was closed) and everything was received.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would block a thread that is running a tokio runtime's
    /// tasks (see the [module docs](mod@crate::channel#blocking-inside-an-async-runtime)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use intrusive_mpsc::channel::{error::RecvTimeoutError, unbounded_channel};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// let timeout = Duration::from_millis(5);
    /// assert_eq!(rx.recv_timeout_blocking(timeout).err(), Some(RecvTimeoutError::Timeout));
    /// drop(tx);
    /// assert_eq!(
    ///     rx.recv_timeout_blocking(timeout).err(),
    ///     Some(RecvTimeoutError::Disconnected)
    /// );
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_timeout_blocking(
        &mut self,
        timeout: core::time::Duration,
    ) -> Result<N::Handle, RecvTimeoutError> {
        self.recv_until(
            std::time::Instant::now().checked_add(timeout),
            "recv_timeout_blocking",
            "recv_timeout(sleep).await",
        )
    }

    /// The blocking receive: `blocking` and `instead` name the caller and its async form, for
    /// the panic if this would block an async runtime's thread.
    #[cfg(feature = "std")]
    fn recv_until(
        &mut self,
        deadline: Option<std::time::Instant>,
        blocking: &str,
        instead: &str,
    ) -> Result<N::Handle, RecvTimeoutError> {
        if let Some(handle) = self.stash.take() {
            return Ok(handle);
        }
        // A node is usually there already under load, or comes within microseconds from a
        // sender on another core: take it, waiting a moment if need be, before setting up a wait
        // (the thread's waker costs a thread-local look-up and two reference counts per call,
        // and parking costs the sender a wake-up). See `Consumer::look_then_spin`.
        if let Some(handle) = self.consumer.look_then_spin(deadline) {
            return Ok(self.deliver(handle));
        }
        let parked_at = std::time::Instant::now();
        let received = self.received;
        let mut checked = false;
        let step = self.consumer.block_on(deadline, None, |consumer, waker| {
            let step = consumer.poll_node(waker, |shared| shared.0.finished(received));
            if matches!(step, Step::Sleep) && !checked {
                // About to park, for the first time in this call: only now is the runtime
                // check worth its cost.
                checked = true;
                if !runtime::may_block() {
                    // Leave the sleeping state first: the receiver stays usable.
                    consumer.done();
                    runtime::refuse(blocking, instead);
                }
            }
            step
        });
        // How long the next receive spins depends on how soon this one's node came.
        self.consumer
            .parked_wait_ended(matches!(step, Some(Some(_))), parked_at);
        match step {
            Some(handle) => self.received(handle).ok_or(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Closes the channel: senders fail from now on ([`TrySendError::Closed`], [`SendError`]),
    /// waiting senders and [`Sender::closed`] wake up, and the receiver still gets every node
    /// whose send was accepted, then the end. Closing twice does nothing more.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{unbounded_channel, TryRecvError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// rx.close();
    /// assert!(tx.send(Box::new(Msg { link: Link::new() })).is_err());
    /// assert!(rx.try_recv().is_ok(), "sent before the close");
    /// assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    /// ```
    pub fn close(&mut self) {
        self.shared().close();
    }

    /// Whether the channel is closed: by [`close`](Receiver::close), the receiver's own, or
    /// because every sender is gone. Nodes sent before may still be waiting to be received.
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
    /// let (tx, rx) = unbounded_channel::<Msg>();
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
    ///    /// # Panics
    ///
    /// With the feature `tokio`, a step that would block a thread that is running a tokio
    /// runtime's tasks (see the [module docs](mod@crate::channel#blocking-inside-an-async-runtime)).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
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

impl<N: Node, B: Capacity> Drop for Receiver<N, B> {
    /// Closes the channel and drops the nodes sent but not received, as `std::sync::mpsc` does;
    /// senders get their nodes back from then on. A node whose send is still under way when the
    /// receiver drops is dropped with the last sender instead.
    ///
    /// If a node's drop panics, the nodes after it are still dropped, each once, and then the
    /// panic goes on (a second panic aborts the process, as for any panic during unwinding, and
    /// as when a `Vec` drops its elements). If a waiting sender's waker panics, the others are
    /// still woken and the nodes still dropped.
    fn drop(&mut self) {
        /// Drops the nodes left in the queue, and goes on if one of their drops panics.
        struct DropRest<'c, N: Node, B: Capacity>(&'c mut Consumer<SharedRef<N, B>>);

        impl<N: Node, B: Capacity> Drop for DropRest<'_, N, B> {
            fn drop(&mut self) {
                while let Ok(handle) = self.0.try_dequeue() {
                    let rest = DropRest(&mut *self.0);
                    drop(handle);
                    core::mem::forget(rest);
                }
            }
        }

        let rest = DropRest(&mut self.consumer);
        // If a waker panics, `rest` still drops the nodes.
        rest.0.queue.0.close();
        rest.0.done();
        drop(rest);
    }
}

impl<N: Node, B: Capacity> fmt::Debug for Receiver<N, B> {
    /// Prints `Receiver { .. }`.
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
    /// let (_tx, rx) = unbounded_channel::<Msg>();
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
/// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded_channel::<Msg>();
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
