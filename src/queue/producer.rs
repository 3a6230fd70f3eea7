//! The producers' side of a [`Queue`]: enqueueing a node, and the room a bounded queue has.
//! The enqueue hot path reads top to bottom in [`push`](Queue::push) here, then the raw queue's
//! `push`.

use crate::{Bounded, Capacity, Handle, Layout, Node, Queue, Unbounded, Waiting};

impl<N: Node, W: Waiting, L: Layout> Queue<N, Unbounded, W, L> {
    /// Adds a node at the back of the queue.
    ///
    /// Wait-free: one atomic swap and one store, never a loop, never a failure. The node is
    /// visible to the consumer once this returns; it may become visible earlier, and it may be
    /// briefly hidden behind another producer that is still inside `enqueue` (see
    /// [`Inconsistent`](crate::TryDequeueError::Inconsistent)). If the queue's consumer sleeps
    /// ([`Wait`](crate::Wait)), the producer whose enqueue ends its sleep wakes it, after linking.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     text: &'static str,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let queue = Queue::<Msg>::new();
    /// queue.enqueue(Box::new(Msg { link: Link::new(), text: "first" }));
    /// queue.enqueue(Box::new(Msg { link: Link::new(), text: "second" }));
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.dequeue().unwrap().text, "first");
    /// assert_eq!(consumer.dequeue().unwrap().text, "second");
    /// assert!(consumer.dequeue().is_none());
    /// ```
    #[inline]
    pub fn enqueue(&self, handle: N::Handle) {
        let _parked = self.push(handle);
    }
}

impl<N: Node, W: Waiting, L: Layout> Queue<N, Bounded, W, L> {
    /// The most nodes the queue holds at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// assert_eq!(BoundedQueue::<Job>::with_capacity(8).capacity(), 8);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.raw.producer_extra().capacity()
    }

    /// The number of nodes in the queue, a peeked one included: exact when no enqueue or dequeue
    /// is in progress, an estimate otherwise.
    ///
    /// While producers are enqueueing it counts nodes whose enqueue has begun (claims in flight,
    /// refused ones too), and it is always between 0 and the capacity. Room held by a
    /// [`Reservation`](crate::Reservation) counts until it is used or given back.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::with_capacity(8);
    /// assert_eq!(queue.len(), 0);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// let mut consumer = queue.consumer().unwrap();
    /// consumer.peek();
    /// assert_eq!(queue.len(), 2, "a peeked node still counts");
    /// consumer.drop_peeked();
    /// assert_eq!(queue.len(), 1);
    /// ```
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        let handed_over = &self.raw.consumer_extra().handed_over;
        self.raw.producer_extra().len(handed_over)
    }

    /// Returns `true` if [`len`](Queue::len) is 0. An estimate like `len` while other threads use
    /// the queue, and `false` while a [`Reservation`](crate::Reservation) holds room even if no node
    /// is inside; a consumer can ask [`Consumer::is_empty`](crate::Consumer::is_empty) for an answer about the nodes alone that
    /// cannot be stale.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::with_capacity(8);
    /// assert!(queue.is_empty());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert!(!queue.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    /// Adds a node at the back of the queue if there is room, or hands it back.
    ///
    /// On an unbounded queue this always succeeds, exactly like [`enqueue`](Queue::enqueue): it
    /// exists on every queue so that code generic over the [`Capacity`] can call it. On a
    /// [`Bounded`] queue it costs two loads and, when accepted, one `fetch_add` beyond the
    /// enqueue itself (see [`Bounded`]).
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when a bounded queue holds its capacity (a peeked node
    /// counts, and so does room held by a [`Reservation`](crate::Reservation)). Near the limit the
    /// refusal can be spurious, while other producers' claims are in flight; see [`Bounded`].
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Packet {
    ///     link: Link,
    /// }
    /// node!(Packet, link, Box<Packet>);
    ///
    /// let queue = BoundedQueue::<Packet>::with_capacity(1);
    /// let mut dropped = 0;
    /// for _ in 0..3 {
    ///     if let Err(packet) = queue.try_enqueue(Box::new(Packet { link: Link::new() })) {
    ///         dropped += 1; // WireGuard drops and counts
    ///         drop(packet);
    ///     }
    /// }
    /// assert_eq!((queue.len(), dropped), (1, 2));
    /// ```
    #[inline]
    pub fn try_enqueue(&self, handle: N::Handle) -> Result<(), N::Handle> {
        self.try_push_parked(handle).map(|_parked| ())
    }

    /// Claims room for `n >= 1` nodes on a bounded queue (always granted when unbounded).
    #[inline(always)]
    pub(crate) fn claim(&self, n: usize) -> bool {
        B::claim(
            self.raw.producer_extra(),
            &self.raw.consumer_extra().handed_over,
            n,
        )
    }

    /// Claims room for `n >= 1` nodes, as [`claim`](Queue::claim), and says how it went: the
    /// channel hands the room of an undone claim on to a waiting sender.
    #[cfg(feature = "alloc")]
    #[inline(always)]
    pub(crate) fn try_claim(&self, n: usize) -> crate::policy::capacity::Claim {
        B::try_claim(
            self.raw.producer_extra(),
            &self.raw.consumer_extra().handed_over,
            n,
        )
    }

    /// Adds a node if there is room, as [`try_enqueue`](Queue::try_enqueue), and says whether
    /// this enqueue replaced the park mark (for the [`ReadySet`](crate::ReadySet), which then
    /// schedules the queue).
    #[inline]
    pub(crate) fn try_push_parked(&self, handle: N::Handle) -> Result<bool, N::Handle> {
        if self.claim(1) {
            Ok(self.push(handle))
        } else {
            Err(handle)
        }
    }

    /// Enqueues `handle` with room already claimed, and wakes a sleeping consumer. Returns
    /// whether our swap replaced the park mark.
    #[inline(always)]
    pub(crate) fn push(&self, handle: N::Handle) -> bool {
        let node = handle.into_raw();
        // SAFETY: `node` points to a live node that the handle owned alone (the `Handle`
        // contract), and that ownership now belongs to the queue: the node is in no other queue
        // (a handle is unique), nobody else touches it or its link, and it stays put until the
        // consumer turns it back into a handle or the queue's `Drop` does.
        let parked = unsafe { self.raw.push(node) };
        if parked {
            // Only a queue that can sleep wakes anyone; for the others this is nothing.
            self.wake_parked();
        }
        parked
    }

    /// Wakes the consumer whose park mark our swap replaced (after our link store).
    #[inline(always)]
    pub(crate) fn wake_parked(&self) {
        W::wake(&self.raw.consumer_extra().wait);
    }
}
