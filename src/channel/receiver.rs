//! [`Receiver`]: the receiving half, the queue's only consumer.

use super::*;

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
    pub(super) consumer: Consumer<SharedRef<N, B>>,
    /// [`ONE_SEND`] times the nodes handed over, wrapping, to compare with `Shared::state`.
    pub(super) received: usize,
    /// Whether a receive reported the end (for `FusedStream`).
    pub(super) terminated: bool,
}

/// The channel's shared state, as the pointer its consumer holds.
pub(super) struct SharedRef<N: Node, B: Capacity>(pub(super) Arc<Shared<N, B>>);

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
