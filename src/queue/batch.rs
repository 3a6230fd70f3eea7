//! [`Batch`]: nodes linked privately by one producer, spliced into a queue with one swap.

use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::Relaxed;

use crate::node::link::link_of;
use crate::{Capacity, Handle, Layout, Node, Queue, Unbounded, Waiting};

/// A chain of nodes that one producer links privately and then enqueues all at once.
///
/// [`push`](Batch::push) links each node behind the previous one through the nodes' own
/// [`Link`](crate::Link)s: no allocation, no atomic read-modify-write, nothing shared. [`Queue::enqueue_batch`]
/// then splices the whole chain in with **one atomic swap and one store**, however long it is
/// (a single [`enqueue`](Queue::enqueue) costs the same). The consumer sees the batch in order and
/// contiguous: no other producer's node lands between two nodes of one batch. This is Linux's
/// `llist_add_batch`, but FIFO and wait-free.
///
/// A batch holds only pointers to its first and last node (the nodes point to one another, never
/// into the batch), so it can be moved freely while it holds nodes. It owns them as their handles
/// did: dropping a batch that was not enqueued drops each handle once, in order, and
/// [`pop_front`](Batch::pop_front) or iteration gives them back. `size_of::<Batch<_>>()` is three
/// words (24 bytes on 64-bit targets).
///
/// `Batch<N>` is `Send` exactly when `N::Handle` is `Send`. It is never `Sync`.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Batch, Link, Queue};
///
/// struct Segment {
///     link: Link,
///     seq: u32,
/// }
/// node!(Segment, link, Box<Segment>);
///
/// let queue = Queue::<Segment>::new();
/// // A GSO burst: three segments, one swap.
/// let burst: Batch<Segment> = (0..3).map(|seq| Box::new(Segment { link: Link::new(), seq })).collect();
/// assert_eq!(burst.len(), 3);
/// queue.enqueue_batch(burst);
///
/// let mut consumer = queue.consumer().unwrap();
/// let seqs: Vec<u32> = consumer.drain().map(|s| s.seq).collect();
/// assert_eq!(seqs, [0, 1, 2]);
/// ```
///
/// A batch of handles that are not `Send` cannot move to another thread:
///
/// ```compile_fail
/// use std::rc::Rc;
/// use intrusive_mpsc::{node, Batch, Link};
///
/// struct Local {
///     link: Link,
///     shared: Rc<u32>,
/// }
/// node!(Local, link, Box<Local>);
///
/// let mut batch = Batch::<Local>::new();
/// batch.push(Box::new(Local { link: Link::new(), shared: Rc::new(1) }));
/// std::thread::spawn(move || drop(batch));
/// ```
pub struct Batch<N: Node> {
    /// The oldest node, or `None` when the batch is empty.
    first: Option<NonNull<N>>,
    /// The newest node, or `None` when the batch is empty. Its link is meaningless: the batch
    /// counts its nodes instead of ending the chain with null.
    last: Option<NonNull<N>>,
    /// How many nodes the chain holds.
    len: usize,
    /// The batch owns the handles of its nodes: they are dropped with it.
    _handles: PhantomData<N::Handle>,
}

// SAFETY: a batch is the sole owner of its nodes (each came from a unique handle), and nothing
// else can reach them, so moving the batch to another thread moves those handles, which is fine
// when they are `Send`. No `Sync` impl: none is needed.
unsafe impl<N: Node> Send for Batch<N> where N::Handle: Send {}

impl<N: Node> Batch<N> {
    /// Creates an empty batch. It does not allocate, and it is a `const fn`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// const EMPTY: Batch<Job> = Batch::new();
    /// assert!(EMPTY.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Self {
            first: None,
            last: None,
            len: 0,
            _handles: PhantomData,
        }
    }

    /// Appends a node at the back of the batch.
    ///
    /// One plain (`Relaxed`) store into the previous node's link: the batch's nodes are private
    /// to it until [`Queue::enqueue_batch`] publishes them all.
    ///
    /// # Panics
    ///
    /// Never, short of `usize::MAX` nodes, which cannot all be in memory at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let mut batch = Batch::<Job>::new();
    /// batch.push(Box::new(Job { link: Link::new() }));
    /// batch.push(Box::new(Job { link: Link::new() }));
    /// assert_eq!(batch.len(), 2);
    /// ```
    #[inline]
    pub fn push(&mut self, handle: N::Handle) {
        // `node` points to a live node that the handle owned alone (the `Handle` contract); the
        // batch owns it from now on.
        let node = handle.into_raw();
        match self.last {
            None => self.first = Some(node),
            Some(last) => {
                // SAFETY: `last` is a live node the batch owns, so its link lies at `link_of`
                // (the `Node` contract).
                let last_next = unsafe { &(*link_of::<N>(last.as_ptr().cast())).next };
                // Relaxed: nobody else can reach this link. The store is published, with the rest
                // of the chain, by the `Release` link store in `RawQueue::push_chain`, which the
                // consumer acquires before it follows the chain.
                last_next.store(node.as_ptr().cast(), Relaxed);
            }
        }
        self.last = Some(node);
        self.len += 1;
    }

    /// Takes the oldest node out of the batch.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let mut batch: Batch<Job> = (1..=2).map(|id| Box::new(Job { link: Link::new(), id })).collect();
    /// assert_eq!(batch.pop_front().unwrap().id, 1);
    /// assert_eq!(batch.pop_front().unwrap().id, 2);
    /// assert!(batch.pop_front().is_none());
    /// ```
    #[inline]
    pub fn pop_front(&mut self) -> Option<N::Handle> {
        let first = self.first?;
        self.len -= 1;
        if self.len == 0 {
            self.first = None;
            self.last = None;
        } else {
            // SAFETY: `first` is a live node the batch owns, its link at `link_of`.
            let first_next = unsafe { &(*link_of::<N>(first.as_ptr().cast())).next };
            // Relaxed: the batch's own earlier store in `push` (same thread, or handed over
            // with the batch).
            let next = first_next.load(Relaxed).cast::<N>();
            // SAFETY: with more nodes behind it, `first`'s link holds the next node, non-null.
            self.first = Some(unsafe { NonNull::new_unchecked(next) });
        }
        // SAFETY: `push` got `first` from `Handle::into_raw`; it leaves the batch once, here.
        Some(unsafe { N::Handle::from_raw(first) })
    }

    /// The number of nodes in the batch.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let mut batch = Batch::<Job>::new();
    /// assert_eq!(batch.len(), 0);
    /// batch.push(Box::new(Job { link: Link::new() }));
    /// assert_eq!(batch.len(), 1);
    /// ```
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Returns `true` if the batch holds no node.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let mut batch = Batch::<Job>::default();
    /// assert!(batch.is_empty());
    /// batch.push(Box::new(Job { link: Link::new() }));
    /// assert!(!batch.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives up the chain: its first and last nodes and its length, or `None` if it is empty.
    /// The caller owns the nodes from now on.
    #[inline]
    pub(crate) fn into_chain(self) -> Option<(NonNull<N>, NonNull<N>, usize)> {
        let this = ManuallyDrop::new(self);
        Some((this.first?, this.last?, this.len))
    }
}

impl<N: Node, W: Waiting, L: Layout> Queue<N, Unbounded, W, L> {
    /// Adds every node of `batch` at the back of the queue, in the batch's order, with one
    /// atomic swap and one store.
    ///
    /// Wait-free, like [`enqueue`](Queue::enqueue), and as cheap whatever the batch's length.
    /// The batch is contiguous in the queue: the consumer gets its nodes one after the other,
    /// with no other producer's node between them. They become visible to the consumer together:
    /// the consumer reaches the first one exactly when it can reach all of them. An empty batch
    /// does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link, Queue};
    ///
    /// struct Task {
    ///     link: Link,
    ///     id: u32,
    /// }
    /// node!(Task, link, Box<Task>);
    ///
    /// let queue = Queue::<Task>::new();
    /// queue.enqueue(Box::new(Task { link: Link::new(), id: 0 }));
    /// let mut batch = Batch::new();
    /// for id in 1..=3 {
    ///     batch.push(Box::new(Task { link: Link::new(), id }));
    /// }
    /// queue.enqueue_batch(batch);
    /// queue.enqueue_batch(Batch::new()); // no-op
    ///
    /// let mut consumer = queue.consumer().unwrap();
    /// let ids: Vec<u32> = consumer.drain().map(|t| t.id).collect();
    /// assert_eq!(ids, [0, 1, 2, 3]);
    /// ```
    #[inline]
    pub fn enqueue_batch(&self, batch: Batch<N>) {
        self.push_batch(batch);
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    /// Adds every node of `batch` at the back of the queue, all or none.
    ///
    /// If the whole batch fits, it is enqueued as by [`enqueue_batch`](Queue::enqueue_batch)
    /// (one swap and one store, contiguous and in order); on a bounded queue the claim is the same
    /// single `fetch_add` as for one node. An empty batch is accepted and costs nothing. On an
    /// unbounded queue this always succeeds.
    ///
    /// # Errors
    ///
    /// `Err(batch)`, unchanged, when the batch does not fit a bounded queue: it is longer than the
    /// room left (room held by a [`Reservation`](crate::Reservation) is not left; spuriously so
    /// near the limit, as for [`try_enqueue`](Queue::try_enqueue)), or longer than the capacity,
    /// in which case it never will.
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
    /// let queue = BoundedQueue::<Segment>::with_capacity(4);
    /// assert!(queue.try_enqueue_batch(segments(3)).is_ok());
    /// let refused = queue.try_enqueue_batch(segments(2)).unwrap_err();
    /// assert_eq!((refused.len(), queue.len()), (2, 3), "nothing of it went in");
    /// assert!(queue.try_enqueue_batch(segments(1)).is_ok());
    /// ```
    #[inline]
    pub fn try_enqueue_batch(&self, batch: Batch<N>) -> Result<(), Batch<N>> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.claim(batch.len()) {
            self.push_batch(batch);
            Ok(())
        } else {
            Err(batch)
        }
    }

    /// Splices `batch` in with room already claimed, and wakes a sleeping consumer.
    #[inline]
    pub(crate) fn push_batch(&self, batch: Batch<N>) {
        let parked = match batch.into_chain() {
            // SAFETY: the batch owned every node of the chain alone (each came from a unique
            // handle), linked `first` through to `last` in `push`, and hands that ownership to
            // the queue, which keeps the nodes until the consumer turns them back into handles
            // or the queue's `Drop` does.
            Some((first, last, _)) => unsafe { self.raw.push_chain(first, last) },
            None => false,
        };
        if parked {
            self.wake_parked();
        }
    }
}

impl<N: Node> Drop for Batch<N> {
    /// Drops the batch's nodes, oldest first, each exactly once.
    ///
    /// If dropping a node panics, the remaining nodes are still dropped (a second panic aborts)
    /// and then the panic continues.
    fn drop(&mut self) {
        /// Keeps dropping nodes if dropping one of them panics.
        struct Guard<'b, N: Node>(&'b mut Batch<N>);

        impl<N: Node> Drop for Guard<'_, N> {
            fn drop(&mut self) {
                while let Some(handle) = self.0.pop_front() {
                    drop(handle);
                }
            }
        }

        while let Some(handle) = self.pop_front() {
            let guard = Guard(self);
            drop(handle);
            core::mem::forget(guard);
        }
    }
}

impl<N: Node> Default for Batch<N> {
    /// Same as [`Batch::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let batch: Batch<Job> = Default::default();
    /// assert!(batch.is_empty());
    /// ```
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node> fmt::Debug for Batch<N> {
    /// Prints `Batch { len: .., .. }`: the nodes themselves need not be `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let mut batch = Batch::<Job>::new();
    /// batch.push(Box::new(Job { link: Link::new() }));
    /// assert_eq!(format!("{batch:?}"), "Batch { len: 1, .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<N: Node> Extend<N::Handle> for Batch<N> {
    /// Pushes every handle of the iterator, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let mut batch = Batch::<Job>::new();
    /// batch.extend((0..4).map(|_| Box::new(Job { link: Link::new() })));
    /// assert_eq!(batch.len(), 4);
    /// ```
    fn extend<I: IntoIterator<Item = N::Handle>>(&mut self, iter: I) {
        for handle in iter {
            self.push(handle);
        }
    }
}

impl<N: Node> FromIterator<N::Handle> for Batch<N> {
    /// Collects handles into a batch, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let batch: Batch<Job> = (0..3).map(|_| Box::new(Job { link: Link::new() })).collect();
    /// assert_eq!(batch.len(), 3);
    /// ```
    fn from_iter<I: IntoIterator<Item = N::Handle>>(iter: I) -> Self {
        let mut batch = Self::new();
        batch.extend(iter);
        batch
    }
}

impl<N: Node> IntoIterator for Batch<N> {
    type Item = N::Handle;
    type IntoIter = BatchIntoIter<N>;

    /// Gives the handles back, oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let batch: Batch<Job> = (0..3).map(|id| Box::new(Job { link: Link::new(), id })).collect();
    /// let ids: Vec<u8> = batch.into_iter().map(|job| job.id).collect();
    /// assert_eq!(ids, [0, 1, 2]);
    /// ```
    #[inline]
    fn into_iter(self) -> BatchIntoIter<N> {
        BatchIntoIter { batch: self }
    }
}

/// An iterator that takes the handles out of a [`Batch`], oldest first; see
/// [`Batch::into_iter`](IntoIterator::into_iter). Handles not taken are dropped with it.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Batch, Link};
///
/// struct Job {
///     link: Link,
/// }
/// node!(Job, link, Box<Job>);
///
/// let batch: Batch<Job> = (0..2).map(|_| Box::new(Job { link: Link::new() })).collect();
/// let mut iter = batch.into_iter();
/// assert_eq!(iter.len(), 2);
/// assert!(iter.next().is_some());
/// assert_eq!(format!("{iter:?}"), "BatchIntoIter { len: 1, .. }");
/// ```
pub struct BatchIntoIter<N: Node> {
    batch: Batch<N>,
}

impl<N: Node> Iterator for BatchIntoIter<N> {
    type Item = N::Handle;

    #[inline]
    fn next(&mut self) -> Option<N::Handle> {
        self.batch.pop_front()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.batch.len, Some(self.batch.len))
    }
}

impl<N: Node> ExactSizeIterator for BatchIntoIter<N> {}

impl<N: Node> FusedIterator for BatchIntoIter<N> {}

impl<N: Node> fmt::Debug for BatchIntoIter<N> {
    /// Prints `BatchIntoIter { len: .., .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let iter = Batch::<Job>::new().into_iter();
    /// assert_eq!(format!("{iter:?}"), "BatchIntoIter { len: 0, .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchIntoIter")
            .field("len", &self.batch.len)
            .finish_non_exhaustive()
    }
}
