//! [`Queue`]: the producers' side and ownership of the nodes inside.

use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

use crate::loom::{const_fn, AtomicBool};
use crate::raw::RawQueue;
use crate::{Consumer, Handle, Node};

/// An intrusive, lock-free, multi-producer single-consumer FIFO queue of `N` nodes.
///
/// Any number of threads [`enqueue`](Queue::enqueue) owned node handles through a shared
/// reference; one [`Consumer`] at a time takes them out, in the order their enqueues took effect
/// (and so, per producer, in the order that producer enqueued them). The queue never allocates:
/// it threads nodes together through the [`Link`](crate::Link) each one embeds.
///
/// - **Producers are wait-free**: an enqueue is one atomic swap and one store, whatever the other
///   threads do.
/// - **The consumer never blocks on a producer unless asked to**:
///   [`try_dequeue`](Consumer::try_dequeue) tells [`Empty`](crate::TryDequeueError::Empty) from
///   [`Inconsistent`](crate::TryDequeueError::Inconsistent) (a producer preempted mid-enqueue), and
///   [`dequeue`](Consumer::dequeue) waits out only the latter.
/// - **Movable**: a queue holds no pointer to itself, so it can be returned from a function,
///   boxed, or placed in a `static`, with nodes inside or not. No stub node is needed from you.
/// - **Small**: four words on 64-bit targets (`size_of::<Queue<_>>() == 32`; 16 bytes on 32-bit
///   targets): the embedded stub's link, the producers' head, the consumer's tail, and a flag
///   that makes the consumer unique. That is small enough to keep one queue per peer, connection
///   or actor by the hundreds of thousands. The three pointers share a cache line, which is what
///   keeps the queue this small; the price is that a producer and a consumer running truly in
///   parallel pass that line back and forth.
///
/// `Queue<N>` is `Send` and `Sync` exactly when `N::Handle` is `Send`: handles go in on one thread
/// and come out (or are dropped) on another.
///
/// # Memory ordering
///
/// An enqueue *happens-before* the dequeue that returns its node: whatever the producer wrote to
/// the node before `enqueue` is visible to the consumer. Releasing a [`Consumer`] happens-before
/// the next one is acquired, so consumer-side state passes cleanly between threads. The details,
/// operation by operation, are in the [crate documentation](crate#memory-ordering).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use intrusive_mpsc::{node, Link, Queue};
///
/// struct Task {
///     link: Link,
///     id: u32,
/// }
/// node!(Task, link, Box<Task>);
///
/// let queue = Arc::new(Queue::<Task>::new());
/// let producers: Vec<_> = (0..4)
///     .map(|p| {
///         let queue = Arc::clone(&queue);
///         thread::spawn(move || {
///             for i in 0..100 {
///                 queue.enqueue(Box::new(Task { link: Link::new(), id: p * 1000 + i }));
///             }
///         })
///     })
///     .collect();
/// for p in producers {
///     p.join().unwrap();
/// }
///
/// let mut consumer = queue.consumer().expect("no other consumer");
/// let mut last = [None; 4];
/// let mut count = 0;
/// while let Some(task) = consumer.dequeue() {
///     let (p, i) = ((task.id / 1000) as usize, task.id % 1000);
///     assert!(last[p].map_or(true, |l| l < i), "per-producer FIFO");
///     last[p] = Some(i);
///     count += 1;
/// }
/// assert_eq!(count, 400);
/// ```
///
/// A queue whose handles are not `Send` is not `Sync`, so it cannot be shared with another thread:
///
/// ```compile_fail
/// use std::rc::Rc;
/// use intrusive_mpsc::{node, Link, Queue};
///
/// struct Local {
///     link: Link,
///     shared: Rc<u32>, // makes `Box<Local>` !Send
/// }
/// node!(Local, link, Box<Local>);
///
/// let queue = Queue::<Local>::new();
/// std::thread::scope(|s| {
///     s.spawn(|| queue.enqueue(Box::new(Local { link: Link::new(), shared: Rc::new(1) })));
/// });
/// ```
pub struct Queue<N: Node> {
    /// The algorithm proper.
    pub(crate) raw: RawQueue,
    /// Set while a checked [`Consumer`] exists.
    pub(crate) has_consumer: AtomicBool,
    /// The queue owns the handles inside it: they are dropped with it.
    _handles: PhantomData<N::Handle>,
}

// SAFETY: handles enter on the producers' threads and leave (or are dropped) on the consumer's or
// the dropping thread; with `N::Handle: Send` that is allowed. The queue's own state is atomics,
// plus consumer-only cells whose accesses the consumer flag (or `consumer_unchecked`'s contract)
// serialises.
unsafe impl<N: Node> Send for Queue<N> where N::Handle: Send {}

// SAFETY: as for `Send`: `&Queue` lets any thread enqueue (moving a handle in) or become the
// consumer (moving handles out), both fine for `Send` handles; no `&N` is ever given to two
// threads at once.
unsafe impl<N: Node> Sync for Queue<N> where N::Handle: Send {}

impl<N: Node> Queue<N> {
    const_fn! {
        /// Creates an empty queue. It does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)`), so a queue can be a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, Link, Queue};
        ///
        /// struct Event {
        ///     link: Link,
        /// }
        /// node!(Event, link, &'static mut Event);
        ///
        /// static EVENTS: Queue<Event> = Queue::new();
        /// assert!(EVENTS.consumer().unwrap().is_empty());
        /// ```
        #[must_use]
        pub fn new() -> Queue<N> {
            Queue {
                raw: RawQueue::new(),
                has_consumer: AtomicBool::new(false),
                _handles: PhantomData,
            }
        }
    }

    /// Adds a node at the back of the queue.
    ///
    /// Wait-free: one atomic swap and one store, never a loop, never a failure. The node is
    /// visible to the consumer once this returns; it may become visible earlier, and it may be
    /// briefly hidden behind another producer that is still inside `enqueue` (see
    /// [`Inconsistent`](crate::TryDequeueError::Inconsistent)). A consumer that sleeps while the
    /// queue is empty needs a wake-up from the producer *after* this returns.
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
        // A plain queue's consumer never parks, so there is nobody to wake.
        let _parked = self.enqueue_and_check_parked(handle);
    }

    /// [`enqueue`](Queue::enqueue), returning whether the consumer was parked on the empty queue
    /// and must be woken (for the waiting front ends).
    #[inline(always)]
    pub(crate) fn enqueue_and_check_parked(&self, handle: N::Handle) -> bool {
        let node = handle.into_raw();
        // SAFETY: `node` points to a live node that the handle owned alone (the `Handle`
        // contract).
        let link = unsafe { N::link(node) };
        // SAFETY: the handle's ownership now belongs to the queue: the link is live, in no other
        // queue (a handle is unique), and stays put until the consumer turns it back into a
        // handle or the queue's `Drop` does.
        unsafe { self.raw.push(link) }
    }

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
    pub fn consumer(&self) -> Option<Consumer<'_, N>> {
        // Acquire: pairs with the Release in `Consumer::drop`, so this consumer sees the tail as
        // the previous one left it. Relaxed on failure: we touch nothing then.
        self.has_consumer
            .compare_exchange(false, true, Acquire, Relaxed)
            .ok()
            // SAFETY: the flag was clear and is now ours, so no other checked consumer exists,
            // and unchecked ones may not coexist with checked ones by their own contract.
            .map(|_| unsafe { Consumer::new(self, true) })
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
    pub unsafe fn consumer_unchecked(&self) -> Consumer<'_, N> {
        // SAFETY: forwarded to our caller.
        unsafe { Consumer::new(self, false) }
    }
}

impl<N: Node> Default for Queue<N> {
    /// Same as [`Queue::new`].
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
    /// let queue: Queue<Job> = Default::default();
    /// assert!(queue.consumer().unwrap().is_empty());
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node> fmt::Debug for Queue<N> {
    /// Prints `Queue { .. }`: the contents can only be inspected by the consumer.
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
    /// assert_eq!(format!("{:?}", Queue::<Job>::new()), "Queue { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue").finish_non_exhaustive()
    }
}

impl<N: Node> Drop for Queue<N> {
    /// Drops every node still in the queue (a peeked one included) exactly once each, oldest
    /// first.
    ///
    /// If dropping a node panics, the remaining nodes are still dropped (a second panic aborts the
    /// process, as for any panic during unwinding) and then the panic continues.
    fn drop(&mut self) {
        /// Keeps dropping nodes if dropping one of them panics.
        struct Guard<'c, 'q, N: Node>(&'c mut Consumer<'q, N>);

        impl<N: Node> Drop for Guard<'_, '_, N> {
            fn drop(&mut self) {
                while let Ok(handle) = self.0.try_dequeue() {
                    drop(handle);
                }
            }
        }

        // With `&mut self`, no producer is inside `enqueue`, so the queue is consistent and
        // `try_dequeue` answers `Empty` only once every node is out.
        // SAFETY: `&mut self` proves that no other consumer exists.
        let mut consumer = unsafe { Consumer::new(self, false) };
        while let Ok(handle) = consumer.try_dequeue() {
            let guard = Guard(&mut consumer);
            drop(handle);
            core::mem::forget(guard);
        }
    }
}
