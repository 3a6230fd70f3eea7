//! [`WeakSender`]: a sender that does not keep the channel open.

use super::*;

/// A sender that does not keep the channel open: the receiver sees the end once every
/// [`Sender`] is gone, whatever weak senders remain. [`upgrade`](WeakSender::upgrade) gives a
/// `Sender` back while one still exists. Made by [`Sender::downgrade`]; as tokio's
/// `WeakSender`.
///
/// It keeps the channel's memory, not the channel: for a task that should send only as long as
/// somebody else still does (a timer that pings a worker, say).
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
/// if let Some(tx) = weak.upgrade() {
///     tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// }
/// drop(tx);
/// assert!(rx.recv_blocking().is_some());
/// assert!(rx.recv_blocking().is_none(), "the end: only a weak sender is left");
/// assert!(weak.upgrade().is_none());
/// ```
pub struct WeakSender<N: Node, B: Capacity = Unbounded> {
    shared: Arc<Shared<N, B>>,
}

impl<N: Node, B: Capacity> WeakSender<N, B> {
    /// A weak sender of the channel `shared`, counted.
    pub(super) fn new(shared: &Arc<Shared<N, B>>) -> Self {
        // Relaxed: the count is for information (`weak_count`) and guards nothing.
        shared.weak_senders.fetch_add(1, Relaxed);
        WeakSender {
            shared: Arc::clone(shared),
        }
    }

    /// A [`Sender`] for the channel, if one still exists; `None` once every sender is gone (the
    /// channel then stays without senders for good, and the receiver sees the end after
    /// everything sent was received).
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
    /// let weak = tx.downgrade();
    /// let tx2 = weak.upgrade().expect("`tx` is alive");
    /// assert!(tx2.same_channel(&tx));
    /// drop((tx, tx2));
    /// assert!(weak.upgrade().is_none());
    /// ```
    #[must_use]
    pub fn upgrade(&self) -> Option<Sender<N, B>> {
        let senders = &self.shared.senders;
        // Relaxed, load and CAS: only the count's modification order matters here. A CAS that
        // succeeds moved the count from non-zero, so the last sender's decrement to zero comes
        // after it in that order and is not the last after all (the upgraded sender's own drop
        // is then the last, with its wake-up); and nothing increments from zero, so a receiver
        // that saw the end never sees a sender again. The CAS is a read-modify-write, so it
        // extends the release sequence of the earlier senders' `AcqRel` decrements that the
        // receiver's `Acquire` load of zero pairs with. The new sender publishes its nodes
        // through the queue, as every sender does.
        let mut count = senders.load(Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            match senders.compare_exchange_weak(count, count + 1, Relaxed, Relaxed) {
                Ok(_) => {
                    return Some(Sender {
                        shared: Arc::clone(&self.shared),
                    })
                }
                Err(now) => count = now,
            }
        }
    }

    /// The number of [`Sender`]s of the channel, as [`Sender::strong_count`].
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
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.strong_count(), 1);
    /// drop(tx);
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    #[must_use]
    pub fn strong_count(&self) -> usize {
        self.shared.strong_count()
    }

    /// The number of weak senders of the channel, this one included, as
    /// [`Sender::weak_count`].
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
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.clone().weak_count(), 2);
    /// assert_eq!(weak.weak_count(), 1);
    /// ```
    #[must_use]
    pub fn weak_count(&self) -> usize {
        self.shared.weak_count()
    }
}

impl<N: Node, B: Capacity> Clone for WeakSender<N, B> {
    /// Another weak sender for the same channel.
    fn clone(&self) -> Self {
        WeakSender::new(&self.shared)
    }
}

impl<N: Node, B: Capacity> Drop for WeakSender<N, B> {
    fn drop(&mut self) {
        // Relaxed: as in `new`.
        self.shared.weak_senders.fetch_sub(1, Relaxed);
    }
}

impl<N: Node, B: Capacity> fmt::Debug for WeakSender<N, B> {
    /// Prints `WeakSender { .. }`.
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
    /// assert_eq!(format!("{:?}", tx.downgrade()), "WeakSender { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}
