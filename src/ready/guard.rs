//! [`Ready`]: a queue held by the worker, drained through its consumer; dropping it re-arms the
//! queue.

use super::*;

/// The iterator of [`Ready::drain`]: takes the held queue's nodes in order, as [`Drain`] does for
/// any consumer (it is that `Drain`, over the member's queue).
pub type ReadyDrain<'r, 's, N, B = Unbounded, L = Compact> = Drain<'r, &'s Queue<N, B, NoWait, L>>;

/// A queue of a fixed set ([`ReadySet`], or [`StaticReadySet`] with `S` naming it) that has
/// nodes, held by the worker: drain it with the consumer
/// methods below (the [`Consumer`]'s, for this queue), with a budget.
///
/// Dropping the guard re-arms the queue: if it still has nodes (the budget ran out, or a producer
/// is mid-enqueue) it goes to the back of the ready list; otherwise it is idle until the next
/// enqueue schedules it. A guard that is leaked (`mem::forget`) leaves its queue unscheduled for
/// good; nothing unsafe follows, but its nodes stay until the set is dropped.
pub struct Ready<
    's,
    N: Node,
    B: Capacity = Unbounded,
    L: Layout = Compact,
    S: FixedSet<N, B, L> = ReadySet<N, B, L>,
> {
    pub(super) set: &'s S,
    pub(super) member: &'s Member<N, B, L>,
    pub(super) consumer: Consumer<&'s Queue<N, B, NoWait, L>>,
}

impl<'s, N: Node, B: Capacity, L: Layout, S: FixedSet<N, B, L>> Ready<'s, N, B, L, S> {
    /// The member's index in its set (the peer, connection or actor it serves).
    #[inline]
    #[must_use]
    pub fn index(&self) -> usize {
        self.set.index_of(self.member)
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

    /// Returns the oldest node without taking it; see [`Consumer::try_peek`].
    ///
    /// # Errors
    ///
    /// As [`Consumer::try_peek`].
    #[inline]
    pub fn try_peek(&mut self) -> Result<&N, TryDequeueError> {
        self.consumer.try_peek()
    }

    /// Returns the oldest node without taking it, waiting out a producer that is mid-enqueue;
    /// see [`Consumer::peek`].
    #[inline]
    pub fn peek(&mut self) -> Option<&N> {
        self.consumer.peek()
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
    pub fn drain(&mut self) -> ReadyDrain<'_, 's, N, B, L> {
        self.consumer.drain()
    }

    /// Whether a dequeue now would answer [`Empty`](TryDequeueError::Empty); see
    /// [`Consumer::is_empty`].
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.consumer.is_empty()
    }

    /// Leaves the queue unscheduled, nodes and all, until [`ReadySet::notify`] is called for it:
    /// for a worker that stops at an oldest node which is not ready yet (WireGuard's transmit
    /// path stops at a packet still being encrypted).
    ///
    /// It defers only a queue whose oldest node is peeked (held by [`peek`](Ready::peek) or
    /// [`try_peek`](Ready::try_peek)): that node is the one waited for. Without one, it does what
    /// dropping the guard does (re-arm the queue, or put it back on the list), so that no node is
    /// left where no enqueue would schedule it. New enqueues do not schedule a deferred queue
    /// (nodes behind a node that is not ready cannot be handled either); the next `notify(index)`
    /// does. If a `notify` came while the guard was held, the queue is scheduled again at once
    /// instead, so none is lost. A `notify` that came before the guard held the queue (while it
    /// was scheduled or idle) does not count: see [`ReadySet::notify`].
    ///
    /// See [`ReadySet::notify`] for an example.
    pub fn defer_until_notified(self) {
        if self.consumer.peeked.is_none() {
            return; // dropping `self` re-arms the queue
        }
        let this = core::mem::ManuallyDrop::new(self);
        // AcqRel: Release hands our consumer state to the `notify` that schedules the queue
        // (whose swap acquires it); Acquire on failure pairs with the `notify` that came while we
        // held the queue.
        if this
            .member
            .notify
            .compare_exchange(HELD, DEFERRED, AcqRel, Acquire)
            .is_err()
        {
            // Notified while we held it: look again.
            this.set.schedule(this.member);
        }
        // The consumer holds no resource (an unchecked consumer of a queue that cannot wait):
        // forgetting it (inside `this`) leaves nothing behind.
    }
}

impl<N: Node, B: Capacity, L: Layout, S: FixedSet<N, B, L>> Drop for Ready<'_, N, B, L, S> {
    fn drop(&mut self) {
        // Idle only if empty with nobody mid-enqueue: the mark's compare-and-swap checks exactly
        // that, atomically with the producers' swaps (a peeked node is still queued, so it fails).
        // SAFETY: this guard is the queue's single consumer.
        let idle = unsafe { self.member.queue.try_park() };
        if !idle {
            // Still has nodes (or one is on its way): to the back of the line, so that a flooded
            // queue cannot starve the others.
            self.set.schedule(self.member);
        }
    }
}

impl<N: Node, B: Capacity, L: Layout, S: FixedSet<N, B, L>> fmt::Debug for Ready<'_, N, B, L, S> {
    /// Prints `Ready { index: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("index", &self.index())
            .finish_non_exhaustive()
    }
}
