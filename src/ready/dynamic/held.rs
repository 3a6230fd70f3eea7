//! [`HeldMember`]: a member held by one worker, drained with a budget; dropping it puts the
//! member back on the ready list or leaves it idle.

use super::*;

/// The iterator of [`HeldMember::drain`]: takes the held member's nodes in order.
pub type HeldDrain<'d, 'w, N, B = Unbounded> = Drain<'d, &'w MemberQueue<N, B>>;

/// A member of a [`DynamicSet`] that has nodes, held by one worker: drain it with a budget and
/// use its state. Dropping the guard puts the member back on the ready list if nodes are left
/// (or one is on its way), or leaves it idle until its next send.
///
/// A guard that is leaked (`mem::forget`) leaves its member unscheduled for good, and its
/// memory allocated; nothing unsafe follows.
///
/// # Examples
///
/// An actor that answers with its own address and stops itself:
///
/// ```
/// use intrusive_mpsc::{node, DynamicSet, Link, MemberHandle, Next};
///
/// struct Msg {
///     link: Link,
///     stop: bool,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let set = DynamicSet::<Msg, u32>::new();
/// let actor = set.add(0);
/// actor.send(Box::new(Msg { link: Link::new(), stop: false })).ok().unwrap();
/// actor.send(Box::new(Msg { link: Link::new(), stop: true })).ok().unwrap();
///
/// let mut worker = set.worker();
/// let Some(Next::Ready(mut held)) = worker.try_next() else { panic!("scheduled") };
/// let me: MemberHandle<Msg, u32> = held.handle();
/// assert!(me.same_member(&actor));
/// while let Some(msg) = held.dequeue() {
///     *held.state() += 1;
///     if msg.stop {
///         held.close(); // later sends are handed back
///     }
/// }
/// assert_eq!(*held.state(), 2);
/// drop(held); // idle: nothing left
/// assert!(actor.send(Box::new(Msg { link: Link::new(), stop: false })).is_err());
/// ```
///
/// # Panics
///
/// Dropping the guard while nodes are left puts the member back on the ready list and may wake
/// a sleeping worker: if that worker's waker (an async worker's) panics, the drop panics.
pub struct HeldMember<'w, N: Node, S = (), B: Capacity = Unbounded> {
    pub(super) set: &'w Arc<Shared<N, S, B>>,
    /// The guard's count of the member; given back (or to the ready list) in `Drop`, after the
    /// consumer is gone.
    pub(super) cell: ManuallyDrop<Arc<Cell<N, S, B>>>,
    /// The member queue's consumer, borrowing the queue inside `cell`.
    pub(super) consumer: ManuallyDrop<Consumer<&'w MemberQueue<N, B>>>,
}

impl<'w, N: Node, S, B: Capacity> HeldMember<'w, N, S, B> {
    /// The member's state, for this worker alone while it holds the member.
    #[inline]
    pub fn state(&mut self) -> &mut S {
        // SAFETY: only the guard that holds the member reaches its state, one guard at a time,
        // each after the previous one (see `SetWorker::hold`); `&mut self` keeps this reference
        // unique for as long as it lives, and the cell outlives the guard's borrow.
        self.cell.state.with_mut(|state| unsafe { &mut *state })
    }

    /// Takes the oldest node without waiting; see [`Consumer::try_dequeue`].
    ///
    /// # Errors
    ///
    /// As [`Consumer::try_dequeue`].
    #[inline]
    pub fn try_dequeue(&mut self) -> Result<N::Handle, TryDequeueError> {
        self.consumer.try_dequeue()
    }

    /// Takes the oldest node, waiting out a producer that is mid-enqueue; see
    /// [`Consumer::dequeue`].
    #[inline]
    pub fn dequeue(&mut self) -> Option<N::Handle> {
        self.consumer.dequeue()
    }

    /// Returns the oldest node without taking it, waiting out a producer that is mid-enqueue;
    /// see [`Consumer::peek`].
    #[inline]
    pub fn peek(&mut self) -> Option<&N> {
        self.consumer.peek()
    }

    /// Returns the oldest node without taking it; see [`Consumer::try_peek`]. The same as
    /// [`Ready::try_peek`](crate::Ready::try_peek) on a fixed set's guard.
    ///
    /// # Errors
    ///
    /// As [`Consumer::try_peek`].
    #[inline]
    pub fn try_peek(&mut self) -> Result<&N, TryDequeueError> {
        self.consumer.try_peek()
    }

    /// Hands over the peeked node; see [`Consumer::take_peeked`].
    #[inline]
    pub fn take_peeked(&mut self) -> Option<N::Handle> {
        self.consumer.take_peeked()
    }

    /// Drops the peeked node; see [`Consumer::drop_peeked`].
    #[inline]
    pub fn drop_peeked(&mut self) -> bool {
        self.consumer.drop_peeked()
    }

    /// An iterator that dequeues until the queue is empty; limit it with
    /// [`take`](Iterator::take) for a budget. See [`Consumer::drain`].
    #[inline]
    pub fn drain(&mut self) -> HeldDrain<'_, 'w, N, B> {
        self.consumer.drain()
    }

    /// Whether a dequeue now would find nothing; see [`Consumer::is_empty`].
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.consumer.is_empty()
    }

    /// A new handle on this member, for an actor that gives out its own address.
    #[must_use]
    pub fn handle(&self) -> MemberHandle<N, S, B> {
        MemberHandle {
            set: Arc::clone(self.set),
            cell: Arc::clone(&self.cell),
        }
    }

    /// Closes the member, as [`MemberHandle::close`]: an actor that stops. Nodes already queued
    /// stay for this and later holders.
    pub fn close(&self) {
        // Relaxed: see `MemberHandle::send`.
        self.cell.closed.store(true, Relaxed);
    }

    /// Whether the member (or the set) is closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        // Relaxed: a snapshot, as in `MemberHandle::send`; nothing is read on the strength of it.
        self.cell.closed.load(Relaxed) || self.set.is_closed()
    }
}

impl<N: Node, S, B: Capacity> Drop for HeldMember<'_, N, S, B> {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, before the count that keeps the queue alive is given up.
        unsafe { ManuallyDrop::drop(&mut self.consumer) };
        // SAFETY: taken once, here; the field is not used again.
        let cell = unsafe { ManuallyDrop::take(&mut self.cell) };
        // Idle only if empty with nobody mid-enqueue: the park mark's compare-and-swap checks
        // exactly that, atomically with the producers' swaps (a peeked node is still queued).
        // SAFETY: this guard was the queue's single consumer, and its consumer is gone.
        let idle = unsafe { cell.queue.try_park() };
        if !idle {
            // Nodes left (or on their way): to the back of the line, so that a flooded member
            // cannot starve the others.
            self.set.schedule(cell);
        }
    }
}

impl<N: Node, S, B: Capacity> fmt::Debug for HeldMember<'_, N, S, B> {
    /// Prints `HeldMember { closed: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldMember")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
