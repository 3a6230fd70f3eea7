//! [`Consumer`]: the single consumer's side, with peeking and draining, written once for every
//! kind of queue and for both ways of holding one ([`QueueRef`]).

use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::policy::capacity::sealed::Capacity as _;
use crate::policy::waiting::sealed::Waiting as _;
use crate::sync::Backoff;
use crate::{Capacity, Handle, Layout, Node, Queue, TryDequeueError, Waiting};

/// How a [`Consumer`] holds its queue: borrowed (`&Queue`) or shared (`Arc<Queue>`, feature
/// `alloc`).
///
/// `Consumer<&'q Queue<..>>` is what [`Queue::consumer`] returns: it borrows the queue, like a
/// `MutexGuard`. `Consumer<Arc<Queue<..>>>` ([`OwnedConsumer`][crate::OwnedConsumer]) is what
/// [`Queue::consumer_owned`] returns: it keeps the queue alive and can be moved into a worker
/// thread or task. Both have the same methods, because there is one `Consumer`.
///
/// The associated types name the queue's node type and its three choices, so code can be
/// generic over every consumer:
///
/// ```
/// use intrusive_mpsc::{node, Consumer, Link, Queue, QueueRef};
///
/// struct Packet {
///     link: Link,
///     len: usize,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// /// Sends at most `budget` packets from any queue, borrowed or owned, of any kind.
/// fn poll<Q: QueueRef<Node = Packet>>(consumer: &mut Consumer<Q>, budget: usize) -> usize {
///     consumer.drain().take(budget).map(|packet| packet.len).sum()
/// }
///
/// let queue = Queue::<Packet>::new();
/// queue.enqueue(Box::new(Packet { link: Link::new(), len: 1420 }));
/// assert_eq!(poll(&mut queue.consumer().unwrap(), 64), 1420);
/// ```
///
/// The trait is sealed: these are the only implementations.
///
#[cfg_attr(not(feature = "alloc"), doc = "[crate::OwnedConsumer]: crate#features")]
#[cfg_attr(
    not(feature = "alloc"),
    doc = "[`Queue::consumer_owned`]: crate#features"
)]
pub trait QueueRef: sealed::QueueRef {
    /// The node type.
    type Node: Node;
    /// The queue's [`Capacity`] choice.
    type Capacity: Capacity;
    /// The queue's [`Waiting`] choice.
    type Waiting: Waiting;
    /// The queue's [`Layout`] choice.
    type Layout: Layout;

    /// The queue.
    fn queue(&self) -> &QueueOf<Self>;
}

/// The queue type a [`QueueRef`] points to: `QueueOf<&'q Queue<N, B, W, L>>` is
/// `Queue<N, B, W, L>`. [`Consumer::queue`] returns it.
pub type QueueOf<Q> = Queue<
    <Q as QueueRef>::Node,
    <Q as QueueRef>::Capacity,
    <Q as QueueRef>::Waiting,
    <Q as QueueRef>::Layout,
>;

/// The handle type a [`Consumer`] of `Q` hands out: the [`Handle`] of `Q`'s [`Node`] type
/// (`Box<Packet>` for a queue of `Packet`s declared with `node!(Packet, link, Box<Packet>)`).
///
/// It names what the consumer's methods return, such as `dequeue() -> Option<HandleOf<Q>>`; for a
/// concrete queue it is the handle type itself.
pub type HandleOf<Q> = <<Q as QueueRef>::Node as Node>::Handle;

/// The consumer-side state of the queue's waiting choice.
type WaiterOf<Q> = <<Q as QueueRef>::Waiting as crate::policy::waiting::sealed::Waiting>::Waiter;

pub(crate) mod sealed {
    /// Seals [`QueueRef`](super::QueueRef): only the crate's pointers to a queue implement it,
    /// each a stable address for as long as it lives.
    pub trait QueueRef {}
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> sealed::QueueRef for &Queue<N, B, W, L> {}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> QueueRef for &Queue<N, B, W, L> {
    type Node = N;
    type Capacity = B;
    type Waiting = W;
    type Layout = L;

    #[inline(always)]
    fn queue(&self) -> &Queue<N, B, W, L> {
        self
    }
}

/// # Becoming the consumer
impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    /// Becomes the queue's consumer, or returns `None` while another [`Consumer`] exists.
    ///
    /// The claim is one atomic compare-and-swap here and one store when the consumer is dropped;
    /// dequeueing never touches it. Consumers may come and go on different threads; each sees
    /// everything the previous one did (the release on drop pairs with the acquire here).
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
    /// let first = queue.consumer().unwrap();
    /// assert!(queue.consumer().is_none(), "only one consumer at a time");
    /// drop(first);
    /// assert!(queue.consumer().is_some());
    /// ```
    #[inline]
    pub fn consumer(&self) -> Option<Consumer<&Self>> {
        if self.claim_consumer() {
            // SAFETY: the flag was clear and is now ours, so no other checked consumer exists,
            // and unchecked ones may not coexist with checked ones by their own contract.
            Some(unsafe { Consumer::new(self, true) })
        } else {
            None
        }
    }

    /// Returns a consumer without checking or claiming the consumer flag.
    ///
    /// For designs that already guarantee a single consumer, such as a work item that the
    /// scheduler never runs twice at once (as WireGuard's per-peer queues do). It saves the
    /// compare-and-swap of [`consumer`](Queue::consumer), which is the only cost a checked
    /// consumer has.
    ///
    /// # Safety
    ///
    /// While the returned consumer lives, no other [`Consumer`] of this queue (checked or not) may
    /// be used, and consumers used one after the other on different threads must be ordered by
    /// happens-before (for instance by the lock, channel or scheduler that hands the work over).
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
    /// // SAFETY: this thread is the only one that ever consumes from `queue`.
    /// let mut consumer = unsafe { queue.consumer_unchecked() };
    /// assert!(consumer.dequeue().is_some());
    /// ```
    #[inline]
    pub unsafe fn consumer_unchecked(&self) -> Consumer<&Self> {
        // SAFETY: forwarded to our caller.
        unsafe { Consumer::new(self, false) }
    }

    /// Sets the consumer flag if it was clear, and says whether it did.
    #[inline]
    pub(crate) fn claim_consumer(&self) -> bool {
        // Acquire: pairs with the Release in `Consumer::drop`, so this consumer sees the tail as
        // the previous one left it. Relaxed on failure: we touch nothing then.
        self.raw
            .consumer_extra()
            .has_consumer
            .compare_exchange(false, true, Acquire, Relaxed)
            .is_ok()
    }

    /// Clears the consumer flag that [`claim_consumer`](Queue::claim_consumer) set, handing the
    /// consumer's view of the queue to the next one.
    #[inline]
    pub(crate) fn release_consumer(&self) {
        // Release: pairs with the Acquire in `claim_consumer`, handing our view of the tail to
        // the next consumer.
        self.raw.consumer_extra().has_consumer.store(false, Release);
    }

    /// Marks the queue "consumer asleep" if it is empty with no producer mid-enqueue, and says
    /// whether it did: the next producer then wakes the consumer (see the raw queue's
    /// `try_park`). The ready set uses the mark to tell an idle member from a busy one.
    ///
    /// # Safety
    ///
    /// Called by the queue's single consumer (the holder of the consumer flag, or of the
    /// promise [`consumer_unchecked`](Queue::consumer_unchecked) asks for).
    #[inline]
    pub(crate) unsafe fn try_park(&self) -> bool {
        // SAFETY: forwarded to our caller.
        unsafe { self.raw.try_park() }
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Drop for Queue<N, B, W, L> {
    /// Drops every node still in the queue (a peeked one included) exactly once each, oldest
    /// first.
    ///
    /// If dropping a node panics, the remaining nodes are still dropped (a second panic aborts the
    /// process, as for any panic during unwinding) and then the panic continues.
    fn drop(&mut self) {
        /// Keeps dropping nodes if dropping one of them panics.
        struct Guard<'c, Q: QueueRef>(&'c mut Consumer<Q>);

        impl<Q: QueueRef> Drop for Guard<'_, Q> {
            fn drop(&mut self) {
                while let Ok(handle) = self.0.try_dequeue() {
                    drop(handle);
                }
            }
        }

        // With `&mut self`, no producer is inside `enqueue`, so the queue is consistent and
        // `try_dequeue` answers `Empty` only once every node is out.
        // SAFETY: `&mut self` proves that no other consumer exists.
        let mut consumer = unsafe { Consumer::new(&*self, false) };
        while let Ok(handle) = consumer.try_dequeue() {
            let guard = Guard(&mut consumer);
            drop(handle);
            core::mem::forget(guard);
        }
    }
}

/// The unique right to take nodes out of a queue.
///
/// Get one with [`Queue::consumer`] (borrowing the queue; `None` while another consumer exists),
/// [`Queue::consumer_owned`] (holding an `Arc` of the queue, to move into a worker), or
/// [`Queue::consumer_unchecked`]. Dropping it gives the right back; nodes still in the queue,
/// including one it peeked at, stay there, in order, for the next consumer.
///
/// Every kind of queue has this one consumer type: the methods below work on all of them, and a
/// queue whose consumer can sleep ([`Wait`](crate::Wait)) adds the
/// [waiting methods](Consumer#waiting-for-nodes). A bounded queue counts each node handed over
/// (by a dequeue, [`take_peeked`](Consumer::take_peeked) or
/// [`drop_peeked`](Consumer::drop_peeked)) as room for producers.
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
///
#[cfg_attr(
    not(feature = "alloc"),
    doc = "[`Queue::consumer_owned`]: crate#features"
)]
pub struct Consumer<Q: QueueRef> {
    pub(crate) queue: Q,
    /// The node `peek` returned, still first in the queue (see [`RawQueue::unpop`]).
    ///
    /// [`RawQueue::unpop`]: crate::raw::RawQueue::unpop
    pub(crate) peeked: Option<NonNull<Q::Node>>,
    /// Whether this consumer holds the queue's consumer flag (and clears it on drop).
    checked: bool,
    /// The waiting choice's consumer-side state (nothing for a queue that cannot wait).
    pub(crate) waiter: WaiterOf<Q>,
}

// SAFETY: `Consumer` is a pointer to the queue (sendable when the queue is `Sync`, that is when the
// handles are `Send`, and `Q: Send` says the pointer itself may move), the address of the peeked
// node, which stays in the queue (sending the consumer sends the right to take that node out,
// which `Handle: Send` allows), and the waiter (a flag and a `Waker`, both `Send`).
unsafe impl<Q: QueueRef + Send> Send for Consumer<Q> where HandleOf<Q>: Send {}

// SAFETY: through `&Consumer` only `is_empty` and `queue` can be called; neither touches the
// peeked node or the waiter, and `is_empty` only reads consumer state that `&mut self` methods
// alone change.
unsafe impl<Q: QueueRef + Sync> Sync for Consumer<Q> where HandleOf<Q>: Send {}

impl<Q: QueueRef> Consumer<Q> {
    /// # Safety
    ///
    /// No other consumer of `queue` is used while this one lives, and consumers on different
    /// threads are ordered by happens-before. `checked` says whether the caller set the flag.
    #[inline]
    pub(crate) unsafe fn new(queue: Q, checked: bool) -> Self {
        Self {
            queue,
            peeked: None,
            checked,
            waiter: Default::default(),
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
    pub fn try_dequeue(&mut self) -> Result<HandleOf<Q>, TryDequeueError> {
        // A peeked node is still first in the queue: `pop` returns it.
        self.peeked = None;
        let queue = self.queue.queue();
        // SAFETY: we are the queue's single consumer (the contract of `Consumer::new`).
        let node = unsafe { queue.raw.pop() }?;
        // Room for producers, on a bounded queue; nothing otherwise.
        Q::Capacity::handed_over(&queue.raw.consumer_extra().handed_over);
        // SAFETY: the node came out of the queue, so `Queue::enqueue` got it from
        // `Handle::into_raw`, and it is ours alone now: it comes back once.
        Ok(unsafe { HandleOf::<Q>::from_raw(node) })
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
    pub fn dequeue(&mut self) -> Option<HandleOf<Q>> {
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
    fn dequeue_contended(&mut self) -> Option<HandleOf<Q>> {
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
    pub fn try_peek(&mut self) -> Result<&Q::Node, TryDequeueError> {
        let node = match self.peeked {
            Some(node) => node,
            None => {
                // Take the node out and put it straight back: `pop` does the work of making it
                // reachable (stepping past the stub, or putting the stub behind it), and the
                // node then stays first, linked, until a dequeue returns it.
                // SAFETY: we are the queue's single consumer.
                let node = unsafe { self.queue.queue().raw.pop() }?;
                // SAFETY: as above; `node` is what this `pop` returned.
                unsafe { self.queue.queue().raw.unpop(node) };
                self.peeked = Some(node);
                node
            }
        };
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
    pub fn peek(&mut self) -> Option<&Q::Node> {
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
    pub fn take_peeked(&mut self) -> Option<HandleOf<Q>> {
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
    pub fn drain(&mut self) -> Drain<'_, Q> {
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
        unsafe { self.queue.queue().raw.is_empty() }
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
    pub fn queue(&self) -> &QueueOf<Q> {
        self.queue.queue()
    }
}

impl<Q: QueueRef> Drop for Consumer<Q> {
    fn drop(&mut self) {
        let queue = self.queue.queue();
        if Q::Waiting::take_parked(&mut self.waiter) {
            // SAFETY: we are still the queue's single consumer.
            unsafe { queue.raw.unpark() };
        }
        // The next consumer registers its own; ours must not outlive us in the queue.
        Q::Waiting::forget_waker(&queue.raw.consumer_extra().wait, &mut self.waiter);
        if self.checked {
            queue.release_consumer();
        }
    }
}

impl<Q: QueueRef> fmt::Debug for Consumer<Q> {
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
pub struct Drain<'c, Q: QueueRef> {
    consumer: &'c mut Consumer<Q>,
}

impl<Q: QueueRef> Iterator for Drain<'_, Q> {
    type Item = HandleOf<Q>;

    #[inline]
    fn next(&mut self) -> Option<HandleOf<Q>> {
        self.consumer.dequeue()
    }
}

impl<Q: QueueRef> fmt::Debug for Drain<'_, Q> {
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
