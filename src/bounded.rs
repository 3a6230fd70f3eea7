//! [`BoundedQueue`]: the queue with a capacity, and its [`BoundedConsumer`].
//!
//! A thin layer over [`Queue`]: two counters and the capacity beside it. The unbounded queue does
//! not know about it and pays nothing for it.
//!
//! # How the bound is kept
//!
//! - `enqueued` counts claims: every producer adds the number of nodes it wants to enqueue with one
//!   `fetch_add`, and subtracts it again (`fetch_sub`) if the claim does not fit. Failed claims are
//!   therefore counted for a moment: that is the source of the rare spurious "full".
//! - `dequeued` counts nodes the consumer has handed over. Only the consumer writes it, with a
//!   plain store of its own running count: no read-modify-write on the consumer's side.
//! - A claim of `n` that returned `e` from the `fetch_add`, having read `d` from `dequeued`, is
//!   accepted when `e - d + n <= capacity` (in signed arithmetic, since `d` may be newer than `e`).
//!
//! Why this never exceeds the capacity: take all accepted claims so far, and the one of them that
//! comes last in `enqueued`'s modification order, `Q` (which returned `e_Q` and read `d_Q`). Every
//! other accepted claim is before it and is never undone, so together they are at most `e_Q`
//! nodes, and all accepted nodes at most `e_Q + n_Q <= d_Q + capacity`. The consumer has handed
//! over at least `d_Q` nodes (it publishes only counts it has reached, and they only grow), and
//! with the `Acquire`/`Release` pair on `dequeued` those hand-overs happen-before `Q`'s enqueue.
//! So at most `capacity` accepted nodes are inside at any time. Nothing here depends on the order
//! of a producer's `fetch_add` and its load of `dequeued`.
//!
//! The counters wrap around; differences are read as `isize`. They stay far from `isize::MAX` in
//! magnitude: nodes inside plus claims in flight, and at most `usize::MAX / size_of::<Link>()`
//! links fit in memory, fewer than `isize::MAX`.

use core::fmt;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::loom::{const_fn, AtomicUsize};
use crate::{Batch, Consumer, Node, Queue, TryDequeueError};

/// A [`Queue`] that holds at most a fixed number of nodes: producers are refused, and get their
/// node back, when it is full.
///
/// WireGuard caps each peer's queue the same way (1024 packets) so that a flood cannot pin
/// unbounded memory. Its counter costs an atomic compare-and-swap loop per enqueue and an atomic
/// decrement per dequeue, the hottest instructions of its queue. Here:
///
/// - **an enqueue** costs one `fetch_add` on a claim counter and one load of the consumer's
///   published count, beyond the queue's own swap; a producer that overshoots undoes its claim
///   with one `fetch_sub` (only when refused);
/// - **a dequeue** costs one plain `Release` store: the consumer keeps its own count and
///   publishes it. No atomic read-modify-write.
///
/// The number of nodes inside never exceeds [`capacity`](BoundedQueue::capacity). A node held by
/// [`peek`](BoundedConsumer::peek) counts as inside until it is handed over or dropped, as in
/// WireGuard: a consumer that stalls on a not-ready first node cannot let the queue grow past the
/// bound behind it.
///
/// The price of the cheap counters is a rare spurious refusal near the limit: while another
/// producer's claim that is about to be refused is in flight (between its `fetch_add` and its
/// undo), it still counts, so an enqueue that would fit can be refused. An enqueue is refused
/// only when the nodes inside, plus those that concurrent calls are in the middle of claiming,
/// would exceed the capacity. Never when the queue is empty and no other producer is enqueueing.
///
/// [Batches](Batch) are all-or-nothing: [`try_enqueue_batch`](BoundedQueue::try_enqueue_batch)
/// claims the whole batch with the same single `fetch_add`.
///
/// `size_of::<BoundedQueue<N>>()` is `size_of::<Queue<N>>()` plus three words (the two counters
/// and the capacity): 56 bytes on 64-bit targets, less than a cache line. The counters are not
/// padded apart: producers and the consumer already share the queue's line, and padding would
/// multiply the size. `BoundedQueue<N>` is `Send` and `Sync` exactly when `N::Handle` is `Send`,
/// like [`Queue`].
///
/// # Memory ordering
///
/// As for [`Queue`], an enqueue happens-before the dequeue that returns its node. In addition, a
/// dequeue happens-before every enqueue that sees its count, and in particular before an enqueue
/// that is accepted only because that dequeue made room: whatever the consumer did before taking
/// a node out is visible to the producer that reuses the room, as with a semaphore's permit.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, BoundedQueue, Link};
///
/// struct Packet {
///     link: Link,
///     seq: u32,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// let queue = BoundedQueue::<Packet>::new(2);
/// assert!(queue.try_enqueue(Box::new(Packet { link: Link::new(), seq: 0 })).is_ok());
/// assert!(queue.try_enqueue(Box::new(Packet { link: Link::new(), seq: 1 })).is_ok());
/// let refused = queue.try_enqueue(Box::new(Packet { link: Link::new(), seq: 2 })).unwrap_err();
/// assert_eq!(refused.seq, 2, "the packet comes back: drop it, count it, or retry later");
///
/// let mut consumer = queue.consumer().unwrap();
/// assert_eq!(consumer.dequeue().unwrap().seq, 0);
/// assert!(queue.try_enqueue(refused).is_ok(), "room again");
/// assert_eq!(queue.len(), 2);
/// ```
pub struct BoundedQueue<N: Node> {
    /// The queue proper. Never exposed: an enqueue that bypasses the counters would break the
    /// bound.
    queue: Queue<N>,
    /// Nodes claimed by producers, wrapping: every accepted node, plus claims in flight.
    enqueued: AtomicUsize,
    /// Nodes the consumer has handed over, wrapping. Written only by the consumer.
    dequeued: AtomicUsize,
    /// The bound, in `1..=isize::MAX`.
    capacity: usize,
}

impl<N: Node> BoundedQueue<N> {
    const_fn! {
        /// Creates an empty queue that holds at most `capacity` nodes. It does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)`), so a bounded queue can be a `static`.
        ///
        /// # Panics
        ///
        /// If `capacity` is 0 (a queue that refuses everything is almost certainly a mistake,
        /// such as a configuration where 0 meant "unbounded") or greater than `isize::MAX` (the
        /// counters are compared as signed differences). In a `const` context this is a compile
        /// error.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, BoundedQueue, Link};
        ///
        /// struct Packet {
        ///     link: Link,
        /// }
        /// node!(Packet, link, &'static mut Packet);
        ///
        /// // WireGuard's per-peer bound.
        /// static RX: BoundedQueue<Packet> = BoundedQueue::new(1024);
        /// assert_eq!(RX.capacity(), 1024);
        /// ```
        ///
        /// ```should_panic
        /// # use intrusive_mpsc::{node, BoundedQueue, Link};
        /// # struct Packet { link: Link }
        /// # node!(Packet, link, Box<Packet>);
        /// let _ = BoundedQueue::<Packet>::new(0);
        /// ```
        #[must_use]
        pub fn new(capacity: usize) -> BoundedQueue<N> {
            assert!(
                capacity != 0 && capacity <= isize::MAX as usize,
                "BoundedQueue capacity must be in 1..=isize::MAX"
            );
            BoundedQueue {
                queue: Queue::new(),
                enqueued: AtomicUsize::new(0),
                dequeued: AtomicUsize::new(0),
                capacity,
            }
        }
    }

    /// Adds a node at the back of the queue, or hands it back if the queue is full.
    ///
    /// Wait-free: one `fetch_add` and one load, then the queue's swap and store; one `fetch_sub`
    /// more when refused. Otherwise as [`Queue::enqueue`].
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when the queue holds [`capacity`](BoundedQueue::capacity)
    /// nodes (a peeked node counts). Near the limit the refusal can be spurious, while other
    /// producers' claims are in flight; see the [type documentation](BoundedQueue).
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
    /// let queue = BoundedQueue::<Packet>::new(1);
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
        if self.claim(1) {
            self.queue.enqueue(handle);
            Ok(())
        } else {
            Err(handle)
        }
    }

    /// Adds every node of `batch` at the back of the queue, all or none.
    ///
    /// If the whole batch fits, it is enqueued as by [`Queue::enqueue_batch`] (one swap and one
    /// store, contiguous and in order); the claim is the same single `fetch_add` as for one node.
    /// An empty batch is accepted and costs nothing.
    ///
    /// # Errors
    ///
    /// `Err(batch)`, unchanged, when the batch does not fit: it is longer than the room left
    /// (spuriously so near the limit, as for [`try_enqueue`](BoundedQueue::try_enqueue)), or
    /// longer than the capacity, in which case it never will.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, BoundedQueue, Link};
    ///
    /// struct Segment {
    ///     link: Link,
    /// }
    /// node!(Segment, link, Box<Segment>);
    ///
    /// let segments = |n| (0..n).map(|_| Box::new(Segment { link: Link::new() })).collect::<Batch<_>>();
    /// let queue = BoundedQueue::<Segment>::new(4);
    /// assert!(queue.try_enqueue_batch(segments(3)).is_ok());
    /// let refused = queue.try_enqueue_batch(segments(2)).unwrap_err();
    /// assert_eq!((refused.len(), queue.len()), (2, 3), "nothing of it went in");
    /// assert!(queue.try_enqueue_batch(segments(1)).is_ok());
    /// ```
    #[inline]
    pub fn try_enqueue_batch(&self, batch: Batch<N>) -> Result<(), Batch<N>> {
        let n = batch.len();
        if n == 0 {
            return Ok(());
        }
        if n > self.capacity {
            return Err(batch);
        }
        if self.claim(n) {
            self.queue.enqueue_batch(batch);
            Ok(())
        } else {
            Err(batch)
        }
    }

    /// Claims room for `n` nodes, `1 <= n <= capacity`, or returns `false` having claimed nothing.
    #[inline(always)]
    fn claim(&self, n: usize) -> bool {
        // Relaxed: the claim needs only its place in this counter's modification order, which
        // every read-modify-write gets; it publishes nothing (the nodes are published by the
        // queue's own swap and link store).
        let enqueued = self.enqueued.fetch_add(n, Relaxed);
        // Acquire: pairs with the consumer's Release store in `BoundedConsumer::handed_over`, so
        // the dequeues we count on happen-before our enqueue.
        let dequeued = self.dequeued.load(Acquire);
        // Claims ahead of ours that the consumer has not handed over yet. Negative when the
        // consumer has already handed over nodes whose claims came after ours.
        let ahead = enqueued.wrapping_sub(dequeued) as isize;
        // `n <= capacity <= isize::MAX`, so neither side overflows.
        if ahead <= (self.capacity - n) as isize {
            true
        } else {
            // Relaxed: undoes our own claim; as above, it only needs to be atomic.
            self.enqueued.fetch_sub(n, Relaxed);
            false
        }
    }

    /// The number of nodes in the queue, a peeked one included: exact when no enqueue or dequeue
    /// is in progress, an estimate otherwise.
    ///
    /// While producers are enqueueing it counts nodes whose enqueue has begun (claims in flight,
    /// refused ones too), and it is always between 0 and the capacity.
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
    /// let queue = BoundedQueue::<Job>::new(8);
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
        // Relaxed, both: a snapshot that nothing is read through. Loading `dequeued` first keeps
        // the difference from going negative in the common case; it is clamped anyway.
        let dequeued = self.dequeued.load(Relaxed);
        let enqueued = self.enqueued.load(Relaxed);
        let len = enqueued.wrapping_sub(dequeued) as isize;
        // `capacity <= isize::MAX`, so the cast and the clamp's bounds are exact.
        len.clamp(0, self.capacity as isize) as usize
    }

    /// Returns `true` if [`len`](BoundedQueue::len) is 0. An estimate like `len` while other
    /// threads use the queue; a consumer can ask [`BoundedConsumer::is_empty`] for an answer that
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
    /// let queue = BoundedQueue::<Job>::new(8);
    /// assert!(queue.is_empty());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert!(!queue.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most nodes the queue holds at once, as given to [`new`](BoundedQueue::new).
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
    /// assert_eq!(BoundedQueue::<Job>::new(16).capacity(), 16);
    /// ```
    #[inline]
    #[must_use]
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Becomes the queue's consumer, or returns `None` while another consumer exists.
    ///
    /// As [`Queue::consumer`]: one compare-and-swap here, one store when the consumer is
    /// dropped, and a load of the published dequeue count.
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
    /// let queue = BoundedQueue::<Job>::new(4);
    /// let first = queue.consumer().unwrap();
    /// assert!(queue.consumer().is_none(), "only one consumer at a time");
    /// drop(first);
    /// assert!(queue.consumer().is_some());
    /// ```
    #[inline]
    pub fn consumer(&self) -> Option<BoundedConsumer<'_, N>> {
        let inner = self.queue.consumer()?;
        Some(BoundedConsumer::new(self, inner))
    }

    /// Returns a consumer without checking or claiming the consumer flag; see
    /// [`Queue::consumer_unchecked`].
    ///
    /// # Safety
    ///
    /// While the returned consumer lives, no other consumer of this queue (checked or not) may be
    /// used, and consumers used one after the other on different threads must be ordered by
    /// happens-before.
    ///
    /// Here "lives" is meant strictly: a bounded consumer reads the dequeue count when it is
    /// created and publishes its own running count, so two unchecked consumers whose lifetimes
    /// overlap, even if used in turn, can set the count back and leave the queue reporting
    /// "full" for good. Create each one after the previous one is dropped.
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
    /// let queue = BoundedQueue::<Job>::new(4);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// // SAFETY: this thread is the only one that ever consumes from `queue`.
    /// let mut consumer = unsafe { queue.consumer_unchecked() };
    /// assert!(consumer.dequeue().is_some());
    /// ```
    #[inline]
    pub unsafe fn consumer_unchecked(&self) -> BoundedConsumer<'_, N> {
        // SAFETY: forwarded to our caller; the dequeue count, like the rest of the consumer's
        // state, is ordered by the same happens-before.
        let inner = unsafe { self.queue.consumer_unchecked() };
        BoundedConsumer::new(self, inner)
    }
}

impl<N: Node> fmt::Debug for BoundedQueue<N> {
    /// Prints the capacity and the current [`len`](BoundedQueue::len).
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
    /// let queue = BoundedQueue::<Job>::new(4);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert_eq!(format!("{queue:?}"), "BoundedQueue { capacity: 4, len: 1, .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedQueue")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The unique right to take nodes out of a [`BoundedQueue`], making room for producers.
///
/// The same surface as [`Consumer`]. Every node it hands over (by a dequeue,
/// [`take_peeked`](BoundedConsumer::take_peeked) or [`drop_peeked`](BoundedConsumer::drop_peeked))
/// frees one place, published with one plain store; [`peek`](BoundedConsumer::peek) frees nothing.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, BoundedQueue, Link, TryDequeueError};
///
/// struct Packet {
///     link: Link,
///     seq: u32,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// let queue = BoundedQueue::<Packet>::new(3);
/// for seq in 0..3 {
///     assert!(queue.try_enqueue(Box::new(Packet { link: Link::new(), seq })).is_ok());
/// }
/// let mut consumer = queue.consumer().unwrap();
/// assert_eq!(consumer.try_dequeue().unwrap().seq, 0);
/// let rest: Vec<u32> = consumer.drain().map(|p| p.seq).collect();
/// assert_eq!(rest, [1, 2]);
/// assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
/// ```
pub struct BoundedConsumer<'q, N: Node> {
    inner: Consumer<'q, N>,
    queue: &'q BoundedQueue<N>,
    /// The consumer's own copy of `queue.dequeued`, the only writer's.
    dequeued: usize,
}

impl<'q, N: Node> BoundedConsumer<'q, N> {
    #[inline]
    fn new(queue: &'q BoundedQueue<N>, inner: Consumer<'q, N>) -> Self {
        // Relaxed: we are the only writer from now on, and the previous consumer's last store is
        // ordered before us by whatever made us the consumer (the flag's Acquire, or
        // `consumer_unchecked`'s contract), so coherence gives us its latest value.
        let dequeued = queue.dequeued.load(Relaxed);
        Self {
            inner,
            queue,
            dequeued,
        }
    }

    /// Counts one node handed over and publishes the count.
    #[inline(always)]
    fn handed_over(&mut self) {
        self.dequeued = self.dequeued.wrapping_add(1);
        // Release: pairs with the producers' Acquire load in `BoundedQueue::claim`, so this
        // dequeue happens-before any enqueue that counts on the room it made. A plain store: the
        // consumer is the only writer, so no read-modify-write is needed.
        self.queue.dequeued.store(self.dequeued, Release);
    }

    /// Counts a node if there is one.
    #[inline(always)]
    fn count<T>(&mut self, node: Option<T>) -> Option<T> {
        if node.is_some() {
            self.handed_over();
        }
        node
    }

    /// Takes the oldest node out of the queue, without ever waiting, and makes room for one more.
    ///
    /// A node held by [`peek`](BoundedConsumer::peek) comes first.
    ///
    /// # Errors
    ///
    /// As [`Consumer::try_dequeue`]: [`TryDequeueError::Empty`] when nothing is queued,
    /// [`TryDequeueError::Inconsistent`] when a producer is mid-enqueue.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link, TryDequeueError};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::new(1);
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id: 1 })).is_ok());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id: 2 })).is_err());
    /// assert_eq!(consumer.try_dequeue().unwrap().id, 1);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id: 2 })).is_ok());
    /// ```
    #[inline]
    pub fn try_dequeue(&mut self) -> Result<N::Handle, TryDequeueError> {
        let handle = self.inner.try_dequeue()?;
        self.handed_over();
        Ok(handle)
    }

    /// Takes the oldest node out of the queue, waiting out a producer that is mid-enqueue; `None`
    /// when the queue is empty. See [`Consumer::dequeue`].
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
    /// let queue = BoundedQueue::<Job>::new(4);
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.dequeue().is_none());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert!(consumer.dequeue().is_some());
    /// ```
    #[inline]
    pub fn dequeue(&mut self) -> Option<N::Handle> {
        let handle = self.inner.dequeue();
        self.count(handle)
    }

    /// Returns the oldest node without handing it over, without ever waiting. The node still
    /// counts as inside the queue. See [`Consumer::try_peek`].
    ///
    /// # Errors
    ///
    /// As for [`try_dequeue`](BoundedConsumer::try_dequeue), when no node is held yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::new(1);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id: 9 })).is_ok());
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.try_peek().unwrap().id, 9);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id: 10 })).is_err(), "still full");
    /// ```
    #[inline]
    pub fn try_peek(&mut self) -> Result<&N, TryDequeueError> {
        self.inner.try_peek()
    }

    /// Returns the oldest node without handing it over, waiting out a producer that is
    /// mid-enqueue; `None` when the queue is empty. The node still counts as inside the queue.
    /// See [`Consumer::peek`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Packet {
    ///     link: Link,
    ///     ready: AtomicBool,
    /// }
    /// node!(Packet, link, Box<Packet>);
    ///
    /// let queue = BoundedQueue::<Packet>::new(1024);
    /// assert!(queue.try_enqueue(Box::new(Packet { link: Link::new(), ready: AtomicBool::new(true) })).is_ok());
    /// assert!(queue.try_enqueue(Box::new(Packet { link: Link::new(), ready: AtomicBool::new(false) })).is_ok());
    /// let mut consumer = queue.consumer().unwrap();
    /// while let Some(packet) = consumer.peek() {
    ///     if !packet.ready.load(Ordering::Acquire) {
    ///         break;
    ///     }
    ///     consumer.drop_peeked();
    /// }
    /// assert_eq!(queue.len(), 1, "the not-ready packet still takes its place");
    /// ```
    #[inline]
    pub fn peek(&mut self) -> Option<&N> {
        self.inner.peek()
    }

    /// Hands over the node held by [`peek`](BoundedConsumer::peek), if any, making room for one
    /// more. It never takes a new node out of the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::new(1);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id: 4 })).is_ok());
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.take_peeked().is_none(), "nothing peeked yet");
    /// consumer.peek();
    /// assert_eq!(consumer.take_peeked().unwrap().id, 4);
    /// assert_eq!(queue.len(), 0);
    /// ```
    #[inline]
    pub fn take_peeked(&mut self) -> Option<N::Handle> {
        let handle = self.inner.take_peeked();
        self.count(handle)
    }

    /// Drops the node held by [`peek`](BoundedConsumer::peek), if any, making room for one more,
    /// and says whether there was one.
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
    /// let queue = BoundedQueue::<Job>::new(1);
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// let mut consumer = queue.consumer().unwrap();
    /// consumer.peek();
    /// assert!(consumer.drop_peeked());
    /// assert!(!consumer.drop_peeked());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// ```
    #[inline]
    pub fn drop_peeked(&mut self) -> bool {
        self.take_peeked().is_some()
    }

    /// Returns an iterator that dequeues nodes until the queue is empty; see
    /// [`Consumer::drain`]. Each node it yields makes room for one more.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u32,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::new(10);
    /// for id in 0..10 {
    ///     assert!(queue.try_enqueue(Box::new(Job { link: Link::new(), id })).is_ok());
    /// }
    /// let mut consumer = queue.consumer().unwrap();
    /// let first: Vec<u32> = consumer.drain().take(4).map(|j| j.id).collect();
    /// assert_eq!(first, [0, 1, 2, 3]);
    /// assert_eq!(queue.len(), 6);
    /// ```
    #[inline]
    pub fn drain(&mut self) -> BoundedDrain<'_, 'q, N> {
        BoundedDrain { consumer: self }
    }

    /// Returns `true` if a [`try_dequeue`](BoundedConsumer::try_dequeue) now would answer
    /// [`Empty`](TryDequeueError::Empty). A peeked node, or a producer mid-enqueue, makes the
    /// queue not empty. See [`Consumer::is_empty`].
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
    /// let queue = BoundedQueue::<Job>::new(1);
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.is_empty());
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert!(!consumer.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The queue this consumer takes from.
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
    /// let queue = BoundedQueue::<Job>::new(2);
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.queue().try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert_eq!(consumer.queue().len(), 1);
    /// ```
    #[inline]
    #[must_use]
    pub fn queue(&self) -> &'q BoundedQueue<N> {
        self.queue
    }
}

impl<N: Node> fmt::Debug for BoundedConsumer<'_, N> {
    /// Prints `BoundedConsumer { checked: .. }`, whether it holds the consumer flag.
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
    /// let queue = BoundedQueue::<Job>::new(2);
    /// let consumer = queue.consumer().unwrap();
    /// assert_eq!(format!("{consumer:?}"), "BoundedConsumer { inner: Consumer { checked: true, .. }, .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedConsumer")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// An iterator that dequeues nodes from a [`BoundedQueue`] until it is empty; see
/// [`BoundedConsumer::drain`].
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
/// let queue = BoundedQueue::<Job>::new(2);
/// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
/// let mut consumer = queue.consumer().unwrap();
/// let mut drain = consumer.drain();
/// assert!(drain.next().is_some());
/// assert!(drain.next().is_none());
/// ```
pub struct BoundedDrain<'c, 'q, N: Node> {
    consumer: &'c mut BoundedConsumer<'q, N>,
}

impl<N: Node> Iterator for BoundedDrain<'_, '_, N> {
    type Item = N::Handle;

    #[inline]
    fn next(&mut self) -> Option<N::Handle> {
        self.consumer.dequeue()
    }
}

impl<N: Node> fmt::Debug for BoundedDrain<'_, '_, N> {
    /// Prints `BoundedDrain { .. }`.
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
    /// let queue = BoundedQueue::<Job>::new(2);
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(format!("{:?}", consumer.drain()), "BoundedDrain { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedDrain").finish_non_exhaustive()
    }
}
