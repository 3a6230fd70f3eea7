//! [`Queue`]: the struct, its aliases and its constructors, over the raw queue and the choices.
//! Its methods are grouped by role in the submodules: `producer` (enqueueing, a bounded queue's
//! room), `consumer` (becoming the [`Consumer`](crate::Consumer), and the consumer itself),
//! `sleep` (the consumer that sleeps until a node arrives), `batch`, `reserve` and `owned`
//! (a consumer that holds the queue through an `Arc`).

pub(crate) mod batch;
pub(crate) mod consumer;
#[cfg(feature = "alloc")]
pub(crate) mod owned;
pub(crate) mod producer;
pub(crate) mod reserve;
pub(crate) mod sleep;
pub(crate) mod spin;

use core::fmt;
use core::marker::PhantomData;

use crate::policy::capacity::{self, Claims};
use crate::policy::waiting;
use crate::raw::RawQueue;
use crate::sync::{const_fn, AtomicBool, AtomicUsize};
use crate::{Bounded, Capacity, Compact, Layout, NoWait, Node, Unbounded, Wait, Waiting};

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
///   [`try_dequeue`](crate::Consumer::try_dequeue) tells
///   [`Empty`](crate::TryDequeueError::Empty) from
///   [`Inconsistent`](crate::TryDequeueError::Inconsistent) (a producer preempted mid-enqueue), and
///   [`dequeue`](crate::Consumer::dequeue) waits out only the latter.
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
///
/// [`Consumer`]: crate::Consumer
pub struct Queue<N: Node, B: Capacity = Unbounded, W: Waiting = NoWait, L: Layout = Compact> {
    /// The algorithm proper, with the layers' state on the side that writes it.
    pub(crate) raw: RawQueue<N, L, ConsumerSide<B, W>, <B as capacity::sealed::Capacity>::Claims>,
    /// The queue owns the handles inside it: they are dropped with it.
    _handles: PhantomData<N::Handle>,
}

/// A queue that holds at most a capacity fixed at construction; see [`Bounded`].
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
/// let queue = BoundedQueue::<Packet>::with_capacity(2);
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
pub type BoundedQueue<N, L = Compact> = Queue<N, Bounded, NoWait, L>;

/// A queue whose consumer can sleep until a node arrives; see [`Wait`].
///
/// ```
/// use intrusive_mpsc::{node, Link, WaitQueue};
///
/// struct Job {
///     link: Link,
///     id: u32,
/// }
/// node!(Job, link, Box<Job>);
///
/// let queue = WaitQueue::<Job>::new();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         for id in 0..3 {
///             queue.enqueue(Box::new(Job { link: Link::new(), id }));
///         }
///     });
///     let mut consumer = queue.consumer().unwrap();
///     for expected in 0..3 {
///         // Sleeps until the producer has enqueued the next job.
///         assert_eq!(consumer.dequeue_blocking().id, expected);
///     }
/// });
/// ```
pub type WaitQueue<N, L = Compact> = Queue<N, Unbounded, Wait, L>;

/// A bounded queue whose consumer can sleep until a node arrives: WireGuard's per-peer queue,
/// with the wake-up built in. See [`Bounded`] and [`Wait`].
///
/// ```
/// use intrusive_mpsc::{node, BoundedWaitQueue, Link};
///
/// struct Packet {
///     link: Link,
///     seq: u32,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// let queue = BoundedWaitQueue::<Packet>::with_capacity(1024);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         for seq in 0..2000 {
///             // A full queue hands the packet back: WireGuard drops it.
///             let _ = queue.try_enqueue(Box::new(Packet { link: Link::new(), seq }));
///         }
///     });
///     let mut consumer = queue.consumer().unwrap();
///     // Sleeps until the producer's first packet arrives; the first is never dropped.
///     assert_eq!(consumer.dequeue_blocking().seq, 0);
/// });
/// ```
pub type BoundedWaitQueue<N, L = Compact> = Queue<N, Bounded, Wait, L>;

/// An unbounded queue with its two ends on cache lines of their own, for one hot queue shared
/// across cores; see [`Padded`](crate::Padded).
///
/// ```
/// use intrusive_mpsc::{node, Link, PaddedQueue};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let queue = PaddedQueue::<Msg>::new();
/// queue.enqueue(Box::new(Msg { link: Link::new() }));
/// assert!(queue.consumer().unwrap().dequeue().is_some());
/// ```
pub type PaddedQueue<N> = Queue<N, Unbounded, NoWait, crate::Padded>;

/// The state the consumer writes (beside the queue's `tail`), for every layer.
pub(crate) struct ConsumerSide<B: Capacity, W: Waiting> {
    /// Set while a checked [`Consumer`] exists.
    pub(crate) has_consumer: AtomicBool,
    /// The bounded queue's count of nodes handed over (nothing when unbounded).
    pub(crate) handed_over: <B as capacity::sealed::Capacity>::HandedOver,
    /// The sleeping consumer's waker and notification flag (nothing when it cannot sleep).
    pub(crate) wait: <W as waiting::sealed::Waiting>::Shared,
}

// SAFETY: handles enter on the producers' threads and leave (or are dropped) on the consumer's or
// the dropping thread; with `N::Handle: Send` that is allowed. The queue's own state is atomics
// and a waker cell (both `Send` and `Sync`), plus consumer-only cells whose accesses the consumer
// flag (or `consumer_unchecked`'s contract) serialises.
unsafe impl<N: Node, B: Capacity, W: Waiting, L: Layout> Send for Queue<N, B, W, L> where
    N::Handle: Send
{
}

// SAFETY: as for `Send`: `&Queue` lets any thread enqueue (moving a handle in) or become the
// consumer (moving handles out), both fine for `Send` handles; no `&N` is ever given to two
// threads at once.
unsafe impl<N: Node, B: Capacity, W: Waiting, L: Layout> Sync for Queue<N, B, W, L> where
    N::Handle: Send
{
}

impl<N: Node, W: Waiting, L: Layout> Queue<N, Unbounded, W, L> {
    const_fn! {
        /// Creates an empty unbounded queue. It does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`), so
        /// a queue can be a `static`.
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
        pub fn new() -> Queue<N, Unbounded, W, L> {
            Queue::from_parts((), (), false)
        }
    }

    const_fn! {
        /// An empty unbounded queue whose consumer flag is taken for good and whose consumer is
        /// parked from the start, as `from_parts` says.
        pub(crate) fn new_claimed_parked() -> Queue<N, Unbounded, W, L> {
            Queue::from_parts((), (), true)
        }
    }
}

impl<N: Node, W: Waiting, L: Layout> Queue<N, Bounded, W, L> {
    const_fn! {
        /// Creates an empty queue that holds at most `capacity` nodes. It does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`), so
        /// a bounded queue can be a `static`.
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
        /// static RX: BoundedQueue<Packet> = BoundedQueue::with_capacity(1024);
        /// assert_eq!(RX.capacity(), 1024);
        /// ```
        ///
        /// ```should_panic
        /// # use intrusive_mpsc::{node, BoundedQueue, Link};
        /// # struct Packet { link: Link }
        /// # node!(Packet, link, Box<Packet>);
        /// let _ = BoundedQueue::<Packet>::with_capacity(0);
        /// ```
        #[must_use]
        pub fn with_capacity(capacity: usize) -> Queue<N, Bounded, W, L> {
            Queue::from_parts(AtomicUsize::new(0), Claims::new(capacity), false)
        }
    }

    const_fn! {
        /// An empty queue of `capacity` nodes whose consumer flag is taken for good and whose
        /// consumer is parked from the start, as `from_parts` says.
        ///
        /// # Panics
        ///
        /// As [`with_capacity`](Queue::with_capacity).
        pub(crate) fn with_capacity_claimed_parked(capacity: usize) -> Queue<N, Bounded, W, L> {
            Queue::from_parts(AtomicUsize::new(0), Claims::new(capacity), true)
        }
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    const_fn! {
        /// An empty queue with the capacity's state already built: free for a consumer to
        /// claim, or, if `claimed_parked`, claimed and parked from the start.
        ///
        /// A queue built claimed and parked is for a `const` ready set, whose code alone
        /// consumes it: its consumer flag is taken before anyone can reach the queue (so
        /// [`consumer`](Queue::consumer) and every other claim of it fail for good), and
        /// its `head` holds the park mark, as if that consumer had parked on the empty queue
        /// (so the first enqueue reports that it replaced the mark, and schedules the queue).
        fn from_parts(
            handed_over: <B as capacity::sealed::Capacity>::HandedOver,
            claims: <B as capacity::sealed::Capacity>::Claims,
            claimed_parked: bool,
        ) -> Queue<N, B, W, L> {
            #[cfg(not(any(loom, shuttle)))]
            let wait = <W as waiting::sealed::Waiting>::SHARED;
            #[cfg(any(loom, shuttle))]
            let wait = <W as waiting::sealed::Waiting>::shared();
            let consumer = ConsumerSide {
                has_consumer: AtomicBool::new(claimed_parked),
                handed_over,
                wait,
            };
            Queue {
                raw: if claimed_parked {
                    RawQueue::new_parked(consumer, claims)
                } else {
                    RawQueue::new(consumer, claims)
                },
                _handles: PhantomData,
            }
        }
    }
}

impl<N: Node, W: Waiting, L: Layout> Default for Queue<N, Unbounded, W, L> {
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

impl<N: Node, B: Capacity, W: Waiting, L: Layout> fmt::Debug for Queue<N, B, W, L> {
    /// Prints `Queue { .. }`: the contents can only be inspected by the consumer. A bounded queue
    /// also prints its capacity and its [`len`](Queue::len) (an estimate while other threads use
    /// the queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, BoundedQueue, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// assert_eq!(format!("{:?}", Queue::<Job>::new()), "Queue { .. }");
    /// let bounded = BoundedQueue::<Job>::with_capacity(8);
    /// assert!(bounded.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert_eq!(format!("{bounded:?}"), "Queue { capacity: 8, len: 1, .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Queue");
        <B as capacity::sealed::Capacity>::debug_fields(
            self.raw.producer_extra(),
            &self.raw.consumer_extra().handed_over,
            &mut out,
        );
        out.finish_non_exhaustive()
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use core::mem::size_of;

    use crate::{node, Bounded, Link, NoWait, Padded, Queue, Unbounded, Wait};

    struct Msg {
        link: Link,
    }
    node!(Msg, link, &'static mut Msg);

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn compact_sizes_are_what_the_docs_say() {
        assert_eq!(size_of::<Queue<Msg>>(), 32);
        assert_eq!(size_of::<Queue<Msg, Bounded>>(), 64);
        assert_eq!(size_of::<Queue<Msg, Unbounded, Wait>>(), 64);
        assert_eq!(size_of::<Queue<Msg, Bounded, Wait>>(), 96);
    }

    #[test]
    fn padded_ends_fill_one_line_each() {
        let line = core::mem::align_of::<crossbeam_utils::CachePadded<u8>>();
        assert_eq!(size_of::<Queue<Msg, Unbounded, NoWait, Padded>>(), 2 * line);
        assert_eq!(size_of::<Queue<Msg, Bounded, Wait, Padded>>(), 2 * line);
        assert_eq!(
            core::mem::align_of::<Queue<Msg, Bounded, NoWait, Padded>>(),
            line
        );
    }
}
