//! [`Worker`]: the unique right to take queues off the ready list.

use super::*;

/// The unique right to take queues off a fixed set's ready list: a [`ReadySet`]'s (see
/// [`ReadySet::worker`]) or, with `S` = [`StaticReadySet`], a `static` set's (see
/// [`StaticReadySet::worker`]).
///
/// Each [`Ready`] guard it hands out is one queue that has nodes, for the caller to drain. Guards
/// for different queues may be held at once, and sent to other threads when the handles are
/// `Send`: each queue still has one consumer at a time. A worker that is leaked (`mem::forget`)
/// keeps the worker slot taken for good.
pub struct Worker<
    's,
    N: Node,
    B: Capacity = Unbounded,
    L: Layout = Compact,
    S: FixedSet<N, B, L> = ReadySet<N, B, L>,
> {
    pub(super) set: &'s S,
    pub(super) ready: Consumer<&'s ReadyList<N, B, L>>,
}

impl<'s, N: Node, B: Capacity, L: Layout, S: FixedSet<N, B, L>> Worker<'s, N, B, L, S> {
    /// Becomes `set`'s worker, or returns `None` while another [`Worker`] exists.
    #[inline]
    pub(super) fn claim(set: &'s S) -> Option<Self> {
        Some(Worker {
            set,
            ready: set.ready().consumer()?,
        })
    }

    /// Takes the next queue that has nodes, without ever waiting.
    ///
    /// # Errors
    ///
    /// As [`Consumer::try_dequeue`] on the ready list: [`Empty`](TryDequeueError::Empty) when no
    /// queue is scheduled, [`Inconsistent`](TryDequeueError::Inconsistent) when a producer is in
    /// the middle of scheduling one.
    #[inline]
    pub fn try_next(&mut self) -> Result<Ready<'s, N, B, L, S>, TryDequeueError> {
        let entry = self.ready.try_dequeue()?;
        Ok(self.hold(entry))
    }

    /// The set this worker serves.
    #[inline]
    pub fn set(&self) -> &'s S {
        self.set
    }

    /// Takes the next queue that has nodes, sleeping until one is scheduled.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): call [`next_async`](Worker::next_async)
    /// there instead.
    #[cfg(feature = "std")]
    pub fn next_blocking(&mut self) -> Ready<'s, N, B, L, S> {
        let entry = self
            .ready
            .dequeue_blocking_as(("next_blocking", "next_async().await"));
        self.hold(entry)
    }

    /// Takes the next queue that has nodes, sleeping until one is scheduled or `timeout` has
    /// passed; `None` on timeout.
    ///
    /// # Panics
    ///
    /// As [`next_blocking`](Worker::next_blocking).
    #[cfg(feature = "std")]
    pub fn next_timeout_blocking(
        &mut self,
        timeout: core::time::Duration,
    ) -> Option<Ready<'s, N, B, L, S>> {
        let entry = self.ready.dequeue_timeout_as(
            timeout,
            (
                "next_timeout_blocking",
                "next_async() under your runtime's timeout",
            ),
        )?;
        Some(self.hold(entry))
    }

    /// The former name of [`next_timeout_blocking`](Worker::next_timeout_blocking).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    #[deprecated(
        since = "0.1.0",
        note = "renamed `next_timeout_blocking`: it blocks the thread (in async code, await `next_async()` under your runtime's timeout)"
    )]
    pub fn next_timeout(&mut self, timeout: core::time::Duration) -> Option<Ready<'s, N, B, L, S>> {
        self.next_timeout_blocking(timeout)
    }

    /// Polls for the next queue that has nodes: `Ready` with it, or `Pending` with the task's
    /// waker registered to be woken when one is scheduled.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Ready<'s, N, B, L, S>> {
        self.ready.poll_dequeue(cx).map(|entry| self.hold(entry))
    }

    /// Waits asynchronously for the next queue that has nodes. Cancel-safe: dropping the future
    /// loses no scheduled queue.
    pub fn next_async(&mut self) -> impl Future<Output = Ready<'s, N, B, L, S>> + '_ {
        core::future::poll_fn(move |cx| self.poll_next(cx))
    }

    /// Turns an entry taken off the ready list into a guard on its queue.
    #[inline]
    fn hold(&self, entry: Entry<N, B, L>) -> Ready<'s, N, B, L, S> {
        // SAFETY: every entry on the ready list points to a member of `self.set` (the `Sealed`
        // contract; entries are made by its `schedule`), which stays in place for `'s`.
        // `Entry::member` leads from the slot back to the whole member.
        let member: &'s Member<N, B, L> = unsafe { entry.member().as_ref() };
        // Forget notifications from before we held it: we are about to look at the queue anyway.
        // Acquire: pairs with `notify`'s Release, so what a notifier did before its `notify` is
        // visible to us if we overwrite its flag.
        member.notify.swap(HELD, Acquire);
        // SAFETY: the member is held by this guard alone until it is dropped: it is on no list and
        // idle to no producer, so no other consumer of its queue can exist. The previous consumer
        // (the last guard, or none) happens-before us: its drop scheduled the entry (or marked the
        // queue idle, which the scheduling producer's swap acquired), and we took the entry off
        // the ready list with an Acquire load.
        let consumer = unsafe { member.queue.consumer_unchecked() };
        Ready {
            set: self.set,
            member,
            consumer,
        }
    }
}

/// Takes the next queue that has nodes, or `None` when no queue is scheduled: the worker is an
/// iterator over what is ready now, and starts yielding again once a producer schedules a queue
/// (it is not fused). Drain (or defer) each queue it yields: a guard dropped with nodes left puts
/// its queue straight back on the list, so a loop that only looks never ends. Each step waits out a producer that
/// is in the middle of scheduling a queue (a few instructions, unless that producer is preempted),
/// as [`Consumer::dequeue`] does; it never sleeps.
impl<'s, N: Node, B: Capacity, L: Layout, S: FixedSet<N, B, L>> Iterator
    for Worker<'s, N, B, L, S>
{
    type Item = Ready<'s, N, B, L, S>;

    #[inline]
    fn next(&mut self) -> Option<Ready<'s, N, B, L, S>> {
        let entry = self.ready.dequeue()?;
        Some(self.hold(entry))
    }
}

impl<N: Node, B: Capacity, L: Layout, S: FixedSet<N, B, L>> fmt::Debug for Worker<'_, N, B, L, S> {
    /// Prints `Worker { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker").finish_non_exhaustive()
    }
}
