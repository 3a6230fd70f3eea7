//! [`Reservation`]: room claimed ahead on a queue, for enqueues that touch no counter.
//!
//! A thin layer over the bound: one claim for several nodes, then plain enqueues, then the unused
//! rest given back (see the `bound` module for why the bound still holds).

use core::fmt;

use crate::node::Node;
use crate::policy::capacity::{self, Capacity};
use crate::policy::waiting::Waiting;
use crate::queue::Queue;
use crate::raw::layout::Layout;
use crate::Batch;

/// Room for up to a fixed number of nodes, claimed ahead on a queue; its enqueues touch no
/// counter.
///
/// Made by [`Queue::try_reserve`]. On a [`Bounded`](crate::Bounded) queue every
/// [`try_enqueue`](Queue::try_enqueue) claims its room with one atomic read-modify-write on the
/// producers' claim counter, and with one producer feeding a consumer on another core that one
/// instruction costs a fifth to a third of the rate (the performance docs, `perf/README.md`, have the
/// figures). A reservation makes one claim for `n` nodes: its enqueues cost what an unbounded
/// queue's do, and when it is dropped, the room it did not use is given back with one more
/// read-modify-write.
///
/// Until then that room counts as taken: [`len`](Queue::len) includes it, and other producers may
/// be refused for it. Keep a reservation for a burst you are about to send, not across a wait. A
/// reservation that is never dropped ([`mem::forget`](core::mem::forget)) keeps the room it has
/// left taken for the rest of the queue's life, and an enqueue that unwinds out of a handle's
/// [`into_raw`](crate::Handle::into_raw) keeps that node's place: the queue gets smaller, which
/// is safe, and its capacity is never exceeded.
///
/// It borrows the queue, so the queue outlives it; it can be sent to another thread with the
/// borrow (it is `Send` when the queue is `Sync`).
///
/// # Examples
///
/// A producer that sends packets in bursts claims the room for each burst once:
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
/// let queue = BoundedQueue::<Packet>::with_capacity(4);
/// let mut room = queue.try_reserve(3).expect("an empty queue has room for 3");
/// assert_eq!(queue.len(), 3, "reserved room counts as taken");
/// for seq in 0..2 {
///     assert!(room.try_enqueue(Box::new(Packet { link: Link::new(), seq })).is_ok());
/// }
/// assert_eq!(room.remaining(), 1);
/// drop(room); // gives the unused place back
/// assert_eq!(queue.len(), 2);
///
/// let mut consumer = queue.consumer().unwrap();
/// assert_eq!(consumer.dequeue().map(|p| p.seq), Some(0));
/// assert_eq!(consumer.dequeue().map(|p| p.seq), Some(1));
/// ```
#[must_use = "a reservation holds room in the queue until it is used or dropped"]
pub struct Reservation<'q, N: Node, B: Capacity, W: Waiting, L: Layout> {
    queue: &'q Queue<N, B, W, L>,
    /// Room claimed and not used yet; given back on drop.
    remaining: usize,
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    /// Claims room for `n` nodes at once, all or nothing, to be filled by the returned
    /// [`Reservation`] without touching any counter again.
    ///
    /// On a [`Bounded`](crate::Bounded) queue this is one claim, as for
    /// [`try_enqueue_batch`](Queue::try_enqueue_batch) of `n` nodes; on an unbounded queue it
    /// always succeeds and costs nothing. A reservation of 0 always succeeds.
    ///
    /// Returns `None` when `n` nodes do not fit: more than the room left, counting other
    /// reservations (and, near the limit, other producers' claims in flight, as for
    /// `try_enqueue`), or more than the capacity.
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
    /// let queue = BoundedQueue::<Job>::with_capacity(2);
    /// assert!(queue.try_reserve(3).is_none(), "more than the capacity");
    /// let held = queue.try_reserve(2).unwrap();
    /// assert!(queue.try_reserve(1).is_none(), "the room is reserved");
    /// assert!(queue.try_enqueue(Box::new(Job { link: Link::new() })).is_err());
    /// drop(held);
    /// assert!(queue.try_reserve(1).is_some());
    /// ```
    #[inline]
    #[must_use = "the room is given back at once if the reservation is not kept"]
    pub fn try_reserve(&self, n: usize) -> Option<Reservation<'_, N, B, W, L>> {
        if n == 0 || self.claim(n) {
            Some(Reservation {
                queue: self,
                remaining: n,
            })
        } else {
            None
        }
    }
}

/// The claim and give-back underneath the channel's permits.
#[cfg(feature = "alloc")]
impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    /// Gives back room for `n` nodes that a granted claim will not use (see the `capacity`
    /// module on give-backs).
    #[inline]
    pub(crate) fn give_back(&self, n: usize) {
        <B as capacity::sealed::Capacity>::give_back(self.raw.producer_extra(), n);
    }

    /// Whether every claim so far was handed over (see the capacity's `claims_settled`): for
    /// the consumer only; `true` when unbounded.
    #[inline]
    pub(crate) fn claims_settled(&self) -> bool {
        <B as capacity::sealed::Capacity>::claims_settled(
            self.raw.producer_extra(),
            &self.raw.consumer_extra().handed_over,
        )
    }

    /// [`len`](Queue::len) on a queue of either capacity: 0 when unbounded, which keeps no
    /// count.
    #[inline]
    pub(crate) fn claimed_len(&self) -> usize {
        <B as capacity::sealed::Capacity>::claimed_len(
            self.raw.producer_extra(),
            &self.raw.consumer_extra().handed_over,
        )
    }

    /// The most nodes one claim can ever be granted: the capacity, or `usize::MAX` when
    /// unbounded.
    #[inline]
    pub(crate) fn max_claim(&self) -> usize {
        <B as capacity::sealed::Capacity>::max_claim(self.raw.producer_extra())
    }
}

impl<'q, N: Node, B: Capacity, W: Waiting, L: Layout> Reservation<'q, N, B, W, L> {
    /// Adds a node at the back of the queue in room the reservation holds, or hands it back when
    /// that room is used up.
    ///
    /// This is [`Queue::enqueue`] (wait-free, and it wakes a sleeping consumer): the room was
    /// claimed by [`try_reserve`](Queue::try_reserve).
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when [`remaining`](Reservation::remaining) is 0.
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
    /// let mut room = queue.try_reserve(1).unwrap();
    /// assert!(room.try_enqueue(Box::new(Job { link: Link::new() })).is_ok());
    /// assert!(room.try_enqueue(Box::new(Job { link: Link::new() })).is_err(), "used up");
    /// ```
    #[inline]
    pub fn try_enqueue(&mut self, handle: N::Handle) -> Result<(), N::Handle> {
        if self.remaining == 0 {
            return Err(handle);
        }
        // Counted as used before the push: if waking the consumer unwinds after the node is in,
        // the room must not be given back for it.
        self.remaining -= 1;
        // Whether our swap replaced the park mark only matters to a ready set, which schedules
        // its queue then; a member's queue is never reachable here (nor is a channel's, whose
        // waiting senders a give-back would have to wake).
        let _parked = self.queue.push(handle);
        Ok(())
    }

    /// Adds every node of `batch` at the back of the queue in room the reservation holds, as one
    /// contiguous run, or hands the batch back whole when it needs more room than is
    /// [`remaining`](Reservation::remaining).
    ///
    /// # Errors
    ///
    /// `Err(batch)`, the very batch, when it is longer than the room remaining.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, BoundedQueue, Link};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = BoundedQueue::<Job>::with_capacity(8);
    /// let mut room = queue.try_reserve(4).unwrap();
    /// let batch: Batch<Job> = (0..3).map(|_| Box::new(Job { link: Link::new() })).collect();
    /// assert!(room.try_enqueue_batch(batch).is_ok());
    /// assert_eq!(room.remaining(), 1);
    /// ```
    #[inline]
    pub fn try_enqueue_batch(&mut self, batch: Batch<N>) -> Result<(), Batch<N>> {
        if batch.len() > self.remaining {
            return Err(batch);
        }
        self.remaining -= batch.len();
        self.queue.push_batch(batch);
        Ok(())
    }

    /// How many more nodes the reservation has room for.
    #[inline]
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.remaining
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Drop for Reservation<'_, N, B, W, L> {
    /// Gives the room not used back to the queue (one atomic read-modify-write on a bounded
    /// queue, if any is left).
    fn drop(&mut self) {
        if self.remaining != 0 {
            <B as capacity::sealed::Capacity>::give_back(
                self.queue.raw.producer_extra(),
                self.remaining,
            );
        }
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> fmt::Debug for Reservation<'_, N, B, W, L> {
    /// Prints the room remaining, e.g. `Reservation { remaining: 3 }`.
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
    /// let room = queue.try_reserve(3).unwrap();
    /// assert_eq!(format!("{room:?}"), "Reservation { remaining: 3 }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation")
            .field("remaining", &self.remaining)
            .finish()
    }
}
