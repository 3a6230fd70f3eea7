//! What a [`Receiver`] can tell about its channel: room, length, the senders left.

use super::*;

impl<N: Node> Receiver<N, Bounded> {
    /// The most nodes the channel holds at once: the capacity it was made with. As tokio's
    /// `Receiver::max_capacity`; [`capacity`](Receiver::capacity) is the room left now.
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
    /// let (_tx, rx) = channel::<Msg>(16);
    /// assert_eq!(rx.max_capacity(), 16);
    /// ```
    #[must_use]
    pub fn max_capacity(&self) -> usize {
        self.shared().queue.capacity()
    }

    /// The room left now: [`max_capacity`](Receiver::max_capacity) minus the nodes in the
    /// channel, as [`Sender::capacity`]. As tokio's `Receiver::capacity`.
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
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert_eq!(rx.capacity(), 3);
    /// rx.try_recv().unwrap();
    /// assert_eq!(rx.capacity(), 4);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.max_capacity()
            .saturating_sub(self.shared().queue.len())
    }

    /// Whether the channel holds [`max_capacity`](Receiver::max_capacity) nodes, as
    /// [`Sender::is_full`].
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
    /// let (tx, mut rx) = channel::<Msg>(1);
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert!(rx.is_full());
    /// rx.try_recv().unwrap();
    /// assert!(!rx.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.shared().queue.len() >= self.max_capacity()
    }
}

impl<N: Node, B: Capacity> Receiver<N, B> {
    /// The number of nodes in the channel: sent and not yet received. On both kinds of channel.
    ///
    /// Exact when no send is in progress, an estimate otherwise: it counts sends that have begun
    /// (and, for a moment, ones about to be refused).
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
    /// assert_eq!(rx.len(), 0);
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// rx.try_recv().unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        if self.shared().bounded() {
            // The claims count the sends (see `Shared::finished`): the queue's own count.
            return self.shared().queue.claimed_len();
        }
        // Relaxed: a count, not a publication. Every node this receiver took was counted by its
        // send before it was enqueued, and that count happens-before our dequeue of it: the
        // count read here is never below `received`.
        let sent = self.shared().state.load(Relaxed) & !CLOSED;
        sent.wrapping_sub(self.received) / ONE_SEND
    }

    /// Whether [`len`](Receiver::len) is 0.
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
    /// assert!(rx.is_empty());
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of [`Sender`]s of the channel, as [`Sender::strong_count`]. As tokio's
    /// `Receiver::sender_strong_count`.
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
    /// assert_eq!(rx.sender_strong_count(), 2);
    /// drop((tx, tx2));
    /// assert_eq!(rx.sender_strong_count(), 0);
    /// ```
    #[must_use]
    pub fn sender_strong_count(&self) -> usize {
        self.shared().strong_count()
    }

    /// The number of [`WeakSender`]s of the channel, as [`Sender::weak_count`]. As tokio's
    /// `Receiver::sender_weak_count`.
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
    /// let weak = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// drop(weak);
    /// assert_eq!(rx.sender_weak_count(), 0);
    /// ```
    #[must_use]
    pub fn sender_weak_count(&self) -> usize {
        self.shared().weak_count()
    }
}
