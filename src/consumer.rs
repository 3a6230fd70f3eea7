//! [`Consumer`]: the single consumer's side, with peeking and draining.

use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::Release;

use crate::loom::Backoff;
use crate::{Handle, Link, Node, Queue, TryDequeueError};

/// The unique right to take nodes out of a [`Queue`].
///
/// Get one with [`Queue::consumer`] (checked: `None` while another exists) or
/// [`Queue::consumer_unchecked`]. Dropping it gives the right back; nodes still in the queue,
/// including one it peeked at, stay there, in order, for the next consumer.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, Queue, TryDequeueError};
///
/// struct Packet {
///     link: Link,
///     seq: u32,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// let queue = Queue::<Packet>::new();
/// for seq in 0..3 {
///     queue.enqueue(Box::new(Packet { link: Link::new(), seq }));
/// }
/// let mut consumer = queue.consumer().unwrap();
/// assert_eq!(consumer.try_dequeue().unwrap().seq, 0);
/// let rest: Vec<u32> = consumer.drain().map(|p| p.seq).collect();
/// assert_eq!(rest, [1, 2]);
/// assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
/// ```
pub struct Consumer<'q, N: Node> {
    queue: &'q Queue<N>,
    /// The node `peek` returned, still first in the queue (see [`RawQueue::unpop`]).
    ///
    /// [`RawQueue::unpop`]: crate::raw::RawQueue::unpop
    peeked: Option<NonNull<Link>>,
    /// Whether this consumer holds the queue's consumer flag (and clears it on drop).
    checked: bool,
}

// SAFETY: `Consumer` is a `&Queue<N>` (sendable when `Queue<N>: Sync`, that is when
// `N::Handle: Send`) plus the address of the peeked node, which stays in the queue: sending the
// consumer sends the right to take that node out, which those same bounds allow.
unsafe impl<N: Node> Send for Consumer<'_, N> where N::Handle: Send {}

// SAFETY: through `&Consumer` only `is_empty` and `queue` can be called; neither touches the
// peeked node, and `is_empty` only reads consumer state that `&mut self` methods alone change.
unsafe impl<N: Node> Sync for Consumer<'_, N> where N::Handle: Send {}

impl<'q, N: Node> Consumer<'q, N> {
    /// # Safety
    ///
    /// No other consumer of `queue` is used while this one lives, and consumers on different
    /// threads are ordered by happens-before. `checked` says whether the caller set the flag.
    #[inline]
    pub(crate) unsafe fn new(queue: &'q Queue<N>, checked: bool) -> Self {
        Self {
            queue,
            peeked: None,
            checked,
        }
    }

    /// Takes the oldest node out of the queue, without ever waiting.
    ///
    /// A node held by [`peek`](Consumer::peek) comes first.
    ///
    /// # Errors
    ///
    /// - [`TryDequeueError::Empty`]: no node is queued and no enqueue that has returned is
    ///   pending. Stopping here strands nothing.
    /// - [`TryDequeueError::Inconsistent`]: a producer is between the two steps of its enqueue,
    ///   and the next node cannot be reached yet. The queue is not empty: try again (or use
    ///   [`dequeue`](Consumer::dequeue), which does), or count on that producer waking the consumer
    ///   once its `enqueue` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue, TryDequeueError};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 1 }));
    /// match consumer.try_dequeue() {
    ///     Ok(job) => assert_eq!(job.id, 1),
    ///     Err(TryDequeueError::Inconsistent) => unreachable!("no producer is mid-way here"),
    ///     Err(TryDequeueError::Empty) => unreachable!("the enqueue above returned"),
    /// }
    /// ```
    #[inline]
    pub fn try_dequeue(&mut self) -> Result<N::Handle, TryDequeueError> {
        // A peeked node is still first in the queue: `pop` returns it.
        self.peeked = None;
        // SAFETY: we are the queue's single consumer (the contract of `Consumer::new`).
        let link = unsafe { self.queue.raw.pop() }?;
        // SAFETY: the link came out of the queue, so it is the link of a live node that
        // `Queue::enqueue` turned into a raw pointer, and it is ours alone now.
        Ok(unsafe { Self::handle_from_link(link) })
    }

    /// Takes the oldest node out of the queue, waiting out a producer that is mid-enqueue.
    ///
    /// Returns `None` only when the queue is [`Empty`](TryDequeueError::Empty). When it is
    /// [`Inconsistent`](TryDequeueError::Inconsistent), this spins briefly and then (with the `std`
    /// feature) yields the thread until the producer finishes its enqueue: usually a few
    /// instructions, but as long as that producer stays preempted. Use
    /// [`try_dequeue`](Consumer::try_dequeue) where the consumer must never wait for a producer.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.dequeue().is_none());
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(consumer.dequeue().is_some());
    /// ```
    #[inline]
    pub fn dequeue(&mut self) -> Option<N::Handle> {
        match self.try_dequeue() {
            Ok(handle) => Some(handle),
            Err(TryDequeueError::Empty) => None,
            Err(TryDequeueError::Inconsistent) => self.dequeue_contended(),
        }
    }

    /// The waiting part of [`dequeue`](Consumer::dequeue), out of line so that the fast path
    /// carries no backoff state.
    #[cold]
    #[inline(never)]
    fn dequeue_contended(&mut self) -> Option<N::Handle> {
        let backoff = Backoff::default();
        loop {
            backoff.snooze();
            match self.try_dequeue() {
                Ok(handle) => return Some(handle),
                Err(TryDequeueError::Empty) => return None,
                Err(TryDequeueError::Inconsistent) => {}
            }
        }
    }

    /// Returns the oldest node without handing it over, without ever waiting.
    ///
    /// The node stays first in the queue until [`take_peeked`](Consumer::take_peeked) hands it
    /// over, [`drop_peeked`](Consumer::drop_peeked) drops it, or a dequeue returns it. Peeking
    /// again returns the same node. The peek belongs to this consumer: a consumer that takes over
    /// later has nothing peeked, and its first `peek` or dequeue returns that same node. This is for a
    /// consumer that must leave the oldest node in place until it is ready (WireGuard keeps a
    /// packet queued until its encryption has finished).
    ///
    /// # Errors
    ///
    /// As for [`try_dequeue`](Consumer::try_dequeue), when no node is held yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.try_peek().is_err());
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 9 }));
    /// assert_eq!(consumer.try_peek().unwrap().id, 9);
    /// assert_eq!(consumer.try_peek().unwrap().id, 9, "peeking twice returns the same node");
    /// ```
    #[inline]
    pub fn try_peek(&mut self) -> Result<&N, TryDequeueError> {
        let link = match self.peeked {
            Some(link) => link,
            None => {
                // Take the node out and put it straight back: `pop` does the work of making it
                // reachable (stepping past the stub, or putting the stub behind it), and the
                // node then stays first, linked, until a dequeue returns it.
                // SAFETY: we are the queue's single consumer.
                let link = unsafe { self.queue.raw.pop() }?;
                // SAFETY: as above; `link` is what this `pop` returned.
                unsafe { self.queue.raw.unpop(link) };
                self.peeked = Some(link);
                link
            }
        };
        // SAFETY: the link came from `N::link` for a live node (it was enqueued).
        let node = unsafe { N::from_link(link) };
        // SAFETY: the node is first in the queue with its link set, so producers no longer touch
        // it, and only this consumer can take it out; the returned borrow keeps `self` borrowed,
        // so nothing can release the node while it lives.
        Ok(unsafe { node.as_ref() })
    }

    /// Returns the oldest node without handing it over, waiting out a producer that is
    /// mid-enqueue.
    ///
    /// Like [`try_peek`](Consumer::try_peek), but returns `None` only when the queue is
    /// [`Empty`](TryDequeueError::Empty), waiting as [`dequeue`](Consumer::dequeue) does.
    ///
    /// # Examples
    ///
    /// WireGuard's pattern: process packets in order, stopping at the first that is not ready.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Packet {
    ///     link: Link,
    ///     ready: AtomicBool,
    /// }
    /// node!(Packet, link, Box<Packet>);
    ///
    /// let queue = Queue::<Packet>::new();
    /// queue.enqueue(Box::new(Packet { link: Link::new(), ready: AtomicBool::new(true) }));
    /// queue.enqueue(Box::new(Packet { link: Link::new(), ready: AtomicBool::new(false) }));
    ///
    /// let mut consumer = queue.consumer().unwrap();
    /// let mut sent = 0;
    /// while let Some(packet) = consumer.peek() {
    ///     if !packet.ready.load(Ordering::Acquire) {
    ///         break; // stays first in line; whoever makes it ready reschedules us
    ///     }
    ///     let packet = consumer.take_peeked().unwrap();
    ///     sent += 1;
    ///     drop(packet);
    /// }
    /// assert_eq!(sent, 1);
    /// assert!(!consumer.peek().unwrap().ready.load(Ordering::Acquire));
    /// ```
    #[inline]
    pub fn peek(&mut self) -> Option<&N> {
        let backoff = Backoff::default();
        // Probe first, then borrow: returning the borrow from inside the loop would keep `self`
        // borrowed for the whole loop.
        loop {
            match self.try_peek() {
                Ok(_) => break,
                Err(TryDequeueError::Empty) => return None,
                Err(TryDequeueError::Inconsistent) => backoff.snooze(),
            }
        }
        self.try_peek().ok()
    }

    /// Hands over the node held by [`peek`](Consumer::peek), if any. It never takes a new node out
    /// of the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 4 }));
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.take_peeked().is_none(), "nothing peeked yet");
    /// consumer.peek();
    /// let job: Box<Job> = consumer.take_peeked().unwrap();
    /// assert_eq!(job.id, 4);
    /// ```
    #[inline]
    pub fn take_peeked(&mut self) -> Option<N::Handle> {
        self.peeked?;
        // The peeked node is first and linked, so this dequeue returns it at once.
        let handle = self.try_dequeue();
        debug_assert!(handle.is_ok(), "a peeked node is always ready to dequeue");
        handle.ok()
    }

    /// Drops the node held by [`peek`](Consumer::peek), if any, and says whether there was one.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 1 }));
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 2 }));
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.peek().unwrap().id, 1);
    /// assert!(consumer.drop_peeked());
    /// assert!(!consumer.drop_peeked());
    /// assert_eq!(consumer.peek().unwrap().id, 2);
    /// ```
    #[inline]
    pub fn drop_peeked(&mut self) -> bool {
        self.take_peeked().is_some()
    }

    /// Returns an iterator that dequeues nodes until the queue is [`Empty`](TryDequeueError::Empty).
    ///
    /// Each step is a [`dequeue`](Consumer::dequeue): it waits out a producer that is
    /// mid-enqueue, so when the iterator ends, every enqueue that had returned by then has been
    /// delivered. Limit the work per call with [`Iterator::take`], as a NAPI-style poll with a
    /// budget does. Nodes not yet yielded stay in the queue when the iterator is dropped.
    ///
    /// The iterator is not fused: after it returned `None`, it yields again once a producer
    /// enqueues.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u32,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// for id in 0..10 {
    ///     queue.enqueue(Box::new(Job { link: Link::new(), id }));
    /// }
    /// let mut consumer = queue.consumer().unwrap();
    /// const BUDGET: usize = 4;
    /// let first: Vec<u32> = consumer.drain().take(BUDGET).map(|j| j.id).collect();
    /// assert_eq!(first, [0, 1, 2, 3]);
    /// assert!(!consumer.is_empty(), "over budget: reschedule the poll");
    /// assert_eq!(consumer.drain().count(), 6);
    /// assert!(consumer.is_empty());
    /// ```
    #[inline]
    pub fn drain(&mut self) -> Drain<'_, 'q, N> {
        Drain { consumer: self }
    }

    /// Returns `true` if a [`try_dequeue`](Consumer::try_dequeue) now would answer
    /// [`Empty`](TryDequeueError::Empty).
    ///
    /// A queue that is [`Inconsistent`](TryDequeueError::Inconsistent) is not empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.is_empty());
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(!consumer.is_empty());
    /// consumer.peek();
    /// assert!(!consumer.is_empty(), "a peeked node still counts");
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        // A peeked node is still in the queue, so the raw queue counts it.
        // SAFETY: we are the queue's single consumer.
        unsafe { self.queue.raw.is_empty() }
    }

    /// The queue this consumer takes from, for example to enqueue into it from the consumer's own
    /// thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// consumer.queue().enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(consumer.dequeue().is_some());
    /// ```
    #[inline]
    pub fn queue(&self) -> &'q Queue<N> {
        self.queue
    }

    /// Whether this consumer has a peeked node.
    #[inline]
    pub(crate) fn has_peeked(&self) -> bool {
        self.peeked.is_some()
    }

    /// Turns a link that left the queue back into the handle that was enqueued.
    ///
    /// # Safety
    ///
    /// `link` came out of this queue, and is handed over once.
    #[inline(always)]
    unsafe fn handle_from_link(link: NonNull<Link>) -> N::Handle {
        // SAFETY: `Queue::enqueue` produced the link with `N::link` from a live node.
        let node = unsafe { N::from_link(link) };
        // SAFETY: `Queue::enqueue` got `node` from `Handle::into_raw`; it comes back once.
        unsafe { N::Handle::from_raw(node) }
    }
}

impl<N: Node> Drop for Consumer<'_, N> {
    fn drop(&mut self) {
        if self.checked {
            // Release: pairs with the Acquire in `Queue::consumer`, handing our view of the
            // tail to the next consumer.
            self.queue.has_consumer.store(false, Release);
        }
    }
}

impl<N: Node> fmt::Debug for Consumer<'_, N> {
    /// Prints `Consumer { checked: .. }`, whether it holds the consumer flag.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let consumer = queue.consumer().unwrap();
    /// assert_eq!(format!("{consumer:?}"), "Consumer { checked: true, .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("checked", &self.checked)
            .finish_non_exhaustive()
    }
}

/// An iterator that dequeues nodes until the queue is empty; see [`Consumer::drain`].
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, Queue};
///
/// struct Job {
///     link: Link,
/// }
/// node!(Job, link, Box<Job>);
///
/// let queue = Queue::<Job>::new();
/// queue.enqueue(Box::new(Job { link: Link::new() }));
/// let mut consumer = queue.consumer().unwrap();
/// let mut drain = consumer.drain();
/// assert!(drain.next().is_some());
/// assert!(drain.next().is_none());
/// ```
pub struct Drain<'c, 'q, N: Node> {
    consumer: &'c mut Consumer<'q, N>,
}

impl<N: Node> Iterator for Drain<'_, '_, N> {
    type Item = N::Handle;

    #[inline]
    fn next(&mut self) -> Option<N::Handle> {
        self.consumer.dequeue()
    }
}

impl<N: Node> fmt::Debug for Drain<'_, '_, N> {
    /// Prints `Drain { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(format!("{:?}", consumer.drain()), "Drain { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain").finish_non_exhaustive()
    }
}
