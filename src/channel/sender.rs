//! [`Sender`]: the cloneable sending half.

use super::*;

/// The sending half of a channel. Clone it for each producer.
///
/// `B` is the channel's [`Capacity`]: [`Unbounded`] for [`unbounded_channel()`], [`Bounded`] for
/// [`channel(capacity)`](channel()). It is `Send` and `Sync` when the handles are `Send`.
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
/// let tx2 = tx.clone();
/// tx2.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(rx);
/// assert!(tx.send(Box::new(Msg { link: Link::new() })).is_err(), "receiver gone");
/// ```
pub struct Sender<N: Node, B: Capacity = Unbounded> {
    pub(super) shared: Arc<Shared<N, B>>,
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

    /// Sends a node, waiting asynchronously for room when the channel is bounded:
    /// `tx.send_async(node).await`. The one way to send that compiles and means the same on
    /// both kinds of channel, for code generic over the [`Capacity`] `B`.
    ///
    /// On a bounded channel it is [`send`](Sender#method.send-1). On an unbounded one it
    /// completes on its first poll, as the unbounded [`send`](Sender::send) would.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the node if the receiver closes the channel or is gone, before or while
    /// this waits.
    ///
    /// # Examples
    ///
    /// A producer written once for both kinds:
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::channel::{channel, unbounded_channel, Sender};
    /// use intrusive_mpsc::{node, Capacity, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// async fn produce<B: Capacity>(tx: Sender<Msg, B>, count: u32) {
    ///     for n in 0..count {
    ///         tx.send_async(Box::new(Msg { link: Link::new(), n })).await.unwrap();
    ///     }
    /// }
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// block_on(produce(tx, 3));
    /// assert_eq!(rx.iter_blocking().count(), 3);
    ///
    /// let (tx, mut rx) = channel::<Msg>(1);
    /// let consumer = std::thread::spawn(move || rx.iter_blocking().count());
    /// block_on(produce(tx, 3));
    /// assert_eq!(consumer.join().unwrap(), 3);
    /// ```
    pub fn send_async(&self, handle: N::Handle) -> SendFuture<'_, N, B> {
        SendFuture {
            sender: self,
            node: Some(handle),
            place: None,
        }
    }

    /// Whether the receiver closed the channel ([`Receiver::close`]) or is gone; sends fail from
    /// then on.
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
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, rx) = unbounded_channel::<Msg>();
    /// std::thread::spawn(move || drop(rx));
    /// block_on(tx.closed());
    /// assert!(tx.is_closed());
    /// ```
    pub fn closed(&self) -> ClosedFuture<'_, N, B> {
        ClosedFuture {
            sender: self,
            place: None,
        }
    }

    /// Whether `self` and `other` send on the same channel.
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
    /// let (tx, _rx) = unbounded_channel::<Msg>();
    /// let (other, _other_rx) = unbounded_channel::<Msg>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    #[must_use]
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The number of [`Sender`]s of the channel, this one included. Weak senders
    /// ([`downgrade`](Sender::downgrade)) are not counted.
    ///
    /// A snapshot: other threads may clone or drop senders at any time.
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
    /// let (tx, _rx) = unbounded_channel::<Msg>();
    /// let tx2 = tx.clone();
    /// let _weak = tx.downgrade();
    /// assert_eq!(tx.strong_count(), 2);
    /// drop(tx2);
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    #[must_use]
    pub fn strong_count(&self) -> usize {
        self.shared.strong_count()
    }

    /// The number of [`WeakSender`]s of the channel.
    ///
    /// A snapshot: other threads may make or drop weak senders at any time.
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
    /// let (tx, _rx) = unbounded_channel::<Msg>();
    /// assert_eq!(tx.weak_count(), 0);
    /// let weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(tx.weak_count(), 0);
    /// ```
    #[must_use]
    pub fn weak_count(&self) -> usize {
        self.shared.weak_count()
    }

    /// A [`WeakSender`] for this channel: it does not keep the channel open (the receiver sees
    /// the end once every `Sender` is gone), and [`upgrade`](WeakSender::upgrade) gives a
    /// `Sender` back while one still exists. As tokio's `Sender::downgrade`.
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
    /// let weak = tx.downgrade();
    /// weak.upgrade().unwrap().send(Box::new(Msg { link: Link::new() })).unwrap();
    /// drop(tx);
    /// assert!(weak.upgrade().is_none(), "the last sender is gone");
    /// assert!(rx.try_recv().is_ok());
    /// assert!(rx.try_recv().is_err(), "the end, although a weak sender lives");
    /// ```
    #[must_use]
    pub fn downgrade(&self) -> WeakSender<N, B> {
        WeakSender::new(&self.shared)
    }
}

impl<N: Node> Sender<N> {
    /// Sends a node, waking the receiver if it sleeps. Wait-free: an unbounded channel never
    /// makes a sender wait, so this is not `async` (as tokio's `UnboundedSender::send`). Code
    /// generic over the capacity sends with [`send_async`](Sender::send_async).
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
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u8,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
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
    /// wake-up meant for it passes to the next waiting sender). Forgetting it
    /// ([`mem::forget`](core::mem::forget)) after it waited loses its own place and nothing else:
    /// see the cost below.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the node if the receiver closes the channel or is gone, before or while
    /// this waits.
    ///
    /// # Cost
    ///
    /// A send that finds room costs what [`try_send`](Sender::try_send) costs; one that waits
    /// allocates its place in the wait list (only when the list grows). In exchange, every
    /// hand-over of a bounded channel's receiver issues one `SeqCst` fence and reads the count of
    /// waiting senders; it takes the wait list's lock only while a sender waits.
    ///
    /// A waiting future cannot be told from a forgotten one, so a hand-over wakes, in the order
    /// they began to wait, every waiting `send(..).await` up to the first thread blocked in
    /// [`send_blocking`][Sender::send_blocking] or [`send_timeout`][Sender::send_timeout] (which
    /// cannot be forgotten): with async senders alone, all of them that have looked since they
    /// were last woken. Those that find the room taken wait again in their place, at the cost of
    /// a poll each; a forgotten future is woken once and skipped from then on.
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
    ///
    #[cfg_attr(not(feature = "std"), doc = "[Sender::send_blocking]: crate#features")]
    #[cfg_attr(not(feature = "std"), doc = "[Sender::send_timeout]: crate#features")]
    pub fn send(&self, handle: N::Handle) -> SendFuture<'_, N> {
        self.send_async(handle)
    }

    /// Sends a node, blocking the thread until there is room.
    ///
    /// A full channel first makes it wait a few microseconds without parking (spinning briefly,
    /// then yielding the thread, as crossbeam's and kanal's channels do): room made meanwhile is
    /// taken without a park and a wake-up. Then it parks until a receive makes room.
    ///
    /// Do not call it from an async task: it blocks the executor's thread. Use
    /// `send(node).await` there.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would block a thread that is running a tokio runtime's
    /// tasks (see the [module docs](mod@crate::channel#blocking-inside-an-async-runtime)).
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
    #[doc(alias = "blocking_send")]
    pub fn send_blocking(&self, handle: N::Handle) -> Result<(), SendError<N::Handle>> {
        self.send_until(handle, None).map_err(|error| match error {
            SendTimeoutError::Closed(handle) | SendTimeoutError::Timeout(handle) => {
                SendError(handle)
            }
        })
    }

    /// Sends a node, blocking the thread for at most `timeout` while there is no room. It waits
    /// as [`send_blocking`](Sender::send_blocking) does: briefly without parking first.
    ///
    /// In async code, use [`send_timeout`](Sender::send_timeout) with your runtime's sleep
    /// future instead: this one blocks the executor's thread.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if no room came in time, [`SendTimeoutError::Closed`] if the
    /// receiver closes the channel or is gone; either hands the node back.
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
    /// use intrusive_mpsc::channel::{channel, error::SendTimeoutError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = channel::<Msg>(1);
    /// let timeout = Duration::from_millis(5);
    /// tx.send_timeout_blocking(Box::new(Msg { link: Link::new() }), timeout).unwrap();
    /// let error = tx
    ///     .send_timeout_blocking(Box::new(Msg { link: Link::new() }), timeout)
    ///     .unwrap_err();
    /// assert!(matches!(error, SendTimeoutError::Timeout(_)));
    /// ```
    #[cfg(feature = "std")]
    pub fn send_timeout_blocking(
        &self,
        handle: N::Handle,
        timeout: core::time::Duration,
    ) -> Result<(), SendTimeoutError<N::Handle>> {
        self.send_until(handle, std::time::Instant::now().checked_add(timeout))
    }

    /// The most nodes the channel holds at once: the capacity it was made with. As tokio's
    /// `Sender::max_capacity`; [`capacity`](Sender::capacity) is the room left now.
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
    /// let (tx, _rx) = channel::<Msg>(16);
    /// assert_eq!(tx.max_capacity(), 16);
    /// ```
    #[must_use]
    pub fn max_capacity(&self) -> usize {
        self.shared.queue.capacity()
    }

    /// The room left now: how many more nodes could be sent before the channel is full, that
    /// is [`max_capacity`](Sender::max_capacity) minus [`len`](Sender::len). As tokio's
    /// `Sender::capacity`.
    ///
    /// A snapshot, like [`len`](Sender::len).
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
    /// let (tx, mut rx) = channel::<Msg>(4);
    /// assert_eq!(tx.capacity(), 4);
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert_eq!(tx.capacity(), 3);
    /// rx.try_recv().unwrap();
    /// assert_eq!(tx.capacity(), 4);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.max_capacity().saturating_sub(self.len())
    }

    /// The number of nodes in the channel: sent and not yet received.
    ///
    /// Exact when no send or receive is in progress, an estimate otherwise: it counts sends that
    /// have begun (and, for a moment, ones about to be refused), and is always at most
    /// [`max_capacity`](Sender::max_capacity). (On an unbounded channel only the
    /// [`Receiver`] has `len`: the senders of an unbounded channel keep no count, which would
    /// cost every send.)
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
    /// let (tx, mut rx) = channel::<Msg>(4);
    /// assert_eq!(tx.len(), 0);
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert_eq!(tx.len(), 2);
    /// rx.try_recv().unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shared.queue.len()
    }

    /// Whether [`len`](Sender::len) is 0.
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
    /// let (tx, _rx) = channel::<Msg>(4);
    /// assert!(tx.is_empty());
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert!(!tx.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel holds [`max_capacity`](Sender::max_capacity) nodes: a
    /// [`try_send`](Sender::try_send) now would be refused. A snapshot, like
    /// [`len`](Sender::len).
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
    /// let (tx, _rx) = channel::<Msg>(1);
    /// assert!(!tx.is_full());
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert!(tx.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.len() >= self.max_capacity()
    }

    /// The blocking send: the loop of [`SendFuture::poll`], parking the thread.
    #[cfg(feature = "std")]
    fn send_until(
        &self,
        handle: N::Handle,
        deadline: Option<std::time::Instant>,
    ) -> Result<(), SendTimeoutError<N::Handle>> {
        let mut handle = Some(handle);
        let mut attempt = || {
            let node = handle.take().expect("taken back when refused");
            match self.shared.try_send(node) {
                Ok(()) => Some(Ok(())),
                Err(TrySendError::Closed(back)) => Some(Err(SendTimeoutError::Closed(back))),
                Err(TrySendError::Full(back)) => {
                    handle = Some(back);
                    None
                }
            }
        };
        // Room usually comes within microseconds while the receiver runs: wait for it without
        // the wait list first.
        if let Some(sent) = spin_before_parking(&mut SEND_SPIN.into(), deadline, &mut attempt) {
            return sent;
        }
        let sent = self.shared.room.block_until(deadline, attempt, || {
            // About to park: refuse if this thread runs an async runtime's tasks.
            if !runtime::may_block() {
                match deadline {
                    None => runtime::refuse("send_blocking", "send(node).await"),
                    Some(_) => {
                        runtime::refuse("send_timeout_blocking", "send_timeout(node, sleep).await")
                    }
                }
            }
        });
        match sent {
            Some(sent) => sent,
            None => Err(SendTimeoutError::Timeout(
                handle.expect("handed back by the last refused attempt"),
            )),
        }
    }
}

impl<N: Node, B: Capacity> Clone for Sender<N, B> {
    /// Another sender for the same channel.
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
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = unbounded_channel::<Msg>();
    /// assert_eq!(format!("{tx:?}"), "Sender { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}
