//! [`Worker`]: the unique right to take queues off a fixed set's ready list, and to take its
//! wakes and its close.

use super::*;

/// The unique right to take queues off a fixed set's ready list: a [`ReadySet`]'s (see
/// [`ReadySet::worker`]) or, with `S` = [`StaticReadySet`], a `static` set's (see
/// [`StaticReadySet::worker`]).
///
/// It speaks the language of every ready set's worker (a [`DynamicSet`]'s [`SetWorker`] too):
/// [`try_next`](Worker::try_next), [`next_blocking`] (feature `std`),
/// [`next_async`](Worker::next_async) and [`poll_next`](Worker::poll_next) return a [`Next`]:
/// [`Next::Ready`] with a [`Ready`] guard, [`Next::Woken`] for each [`wake`](ReadySet::wake) of
/// the set, or [`Next::Closed`] once the set is [closed](ReadySet::close) and nothing is
/// scheduled. A worker's loop runs until `Closed`. The worker is also an [`Iterator`] over the
/// members ready now (see its `Iterator` impl).
///
/// Each [`Ready`] guard it hands out is one queue that has nodes, for the caller to drain. Guards
/// for different queues may be held at once, and sent to other threads when the handles are
/// `Send`: each queue still has one consumer at a time. A worker that is leaked (`mem::forget`)
/// keeps the worker slot taken for good.
///
#[cfg_attr(feature = "alloc", doc = "[`DynamicSet`]: crate::DynamicSet")]
#[cfg_attr(feature = "alloc", doc = "[`SetWorker`]: crate::SetWorker")]
#[cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet`]: crate#features")]
#[cfg_attr(not(feature = "alloc"), doc = "[`SetWorker`]: crate#features")]
#[cfg_attr(feature = "std", doc = "[`next_blocking`]: Worker::next_blocking")]
#[cfg_attr(not(feature = "std"), doc = "[`next_blocking`]: crate#features")]
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

/// What a worker's look found.
enum Found<N: Node, B: Capacity, L: Layout> {
    /// A member, off the ready list.
    Entry(Entry<N, B, L>),
    /// A user's wake.
    Woken,
    /// The set is closed and nothing is left on the ready list.
    Closed,
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

    /// Takes a wake, the next member that has nodes, or the close, without ever waiting: `None`
    /// when there is nothing now.
    ///
    /// In that order, as every worker's `next`: a pending [`wake`](ReadySet::wake) first
    /// ([`Next::Woken`]), then a scheduled member ([`Next::Ready`]), then, once the set is
    /// [closed](ReadySet::close) and no member is scheduled, [`Next::Closed`]. `None` also when
    /// a producer is in the middle of scheduling a member (a few instructions, unless that
    /// producer is preempted): the member is on the list for a later call, and a worker that
    /// sleeps instead is woken by that producer. It never spins or sleeps, even once the set is
    /// closed, so an interrupt handler may call it (a [`SetWorker`]'s `try_next` waits out such
    /// a producer once its set is closed; a fixed set's worker may run in an interrupt handler
    /// that preempted that very producer, so it does not).
    ///
    #[cfg_attr(feature = "alloc", doc = "[`SetWorker`]: crate::SetWorker")]
    #[cfg_attr(not(feature = "alloc"), doc = "[`SetWorker`]: crate#features")]
    #[inline]
    pub fn try_next(&mut self) -> Option<Next<Ready<'s, N, B, L, S>>> {
        let found = self.look().ok()?;
        // Leave the sleeping state a pending `poll_next` may have left (clear its mark, if no
        // producer has replaced it): producers need not wake a worker that found something.
        self.ready.done();
        Some(self.deliver(found))
    }

    /// The set this worker serves.
    #[inline]
    pub fn set(&self) -> &'s S {
        self.set
    }

    /// Takes a wake, the next member that has nodes, or the close (in the order of
    /// [`try_next`](Worker::try_next)), sleeping until there is one.
    ///
    /// Before it parks the thread it waits about a microsecond, looking again between short
    /// waits, as [`Consumer::dequeue_blocking`] does: a member scheduled within that time costs
    /// its producer no wake-up. Two threads passing a message back and forth through two sets
    /// take about 1.4 us per round trip with the wait and 13.3 us without it
    /// (`perf/README.md`, "A worker's wait before it parks").
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): call [`next_async`](Worker::next_async)
    /// there instead.
    #[cfg(feature = "std")]
    pub fn next_blocking(&mut self) -> Next<Ready<'s, N, B, L, S>> {
        self.block(None, ("next_blocking", "next_async().await"))
            .expect("no deadline")
    }

    /// Takes a wake, the next member that has nodes, or the close, sleeping until there is one
    /// or `timeout` has passed; `None` on timeout.
    ///
    /// # Panics
    ///
    /// As [`next_blocking`](Worker::next_blocking).
    #[cfg(feature = "std")]
    pub fn next_timeout_blocking(
        &mut self,
        timeout: core::time::Duration,
    ) -> Option<Next<Ready<'s, N, B, L, S>>> {
        self.block(
            std::time::Instant::now().checked_add(timeout),
            (
                "next_timeout_blocking",
                "next_async() under your runtime's timeout",
            ),
        )
    }

    /// The former name of [`next_timeout_blocking`](Worker::next_timeout_blocking).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    #[deprecated(
        since = "0.1.0",
        note = "renamed `next_timeout_blocking`: it blocks the thread (in async code, await `next_async()` under your runtime's timeout)"
    )]
    pub fn next_timeout(
        &mut self,
        timeout: core::time::Duration,
    ) -> Option<Next<Ready<'s, N, B, L, S>>> {
        self.next_timeout_blocking(timeout)
    }

    /// Polls for a wake, the next member that has nodes, or the close: `Ready` with it, or
    /// `Pending` with the task's waker registered to be woken when one comes.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Next<Ready<'s, N, B, L, S>>> {
        let step = self.step(cx.waker());
        Consumer::<&'s ReadyList<N, B, L>>::poll_step(step, cx).map(|found| self.deliver(found))
    }

    /// Waits asynchronously for a wake, the next member that has nodes, or the close.
    /// Cancel-safe: dropping the future loses no scheduled member and no wake.
    pub fn next_async(&mut self) -> impl Future<Output = Next<Ready<'s, N, B, L, S>>> + '_ {
        core::future::poll_fn(move |cx| self.poll_next(cx))
    }

    /// One look, without registering anything: a wake, then the ready list, then the close.
    /// `Err` as [`Consumer::try_dequeue`] on the ready list when there is nothing (yet).
    #[inline]
    fn look(&mut self) -> Result<Found<N, B, L>, TryDequeueError> {
        Self::look_with(self.set, &mut self.ready)
    }

    /// [`look`](Worker::look), on the worker's parts.
    #[inline]
    fn look_with(
        set: &'s S,
        ready: &mut Consumer<&'s ReadyList<N, B, L>>,
    ) -> Result<Found<N, B, L>, TryDequeueError> {
        let signals = set.signals();
        if signals.take_wake() {
            return Ok(Found::Woken);
        }
        // Before the pop (Acquire, see `closed_for_worker`): a close we see here comes after
        // every scheduling that happened before it, so the pop below sees those members.
        let closed = signals.closed_for_worker();
        match ready.try_dequeue() {
            Ok(entry) => Ok(Found::Entry(entry)),
            Err(TryDequeueError::Empty) if closed => Ok(Found::Closed),
            Err(error) => Err(error),
        }
    }

    /// One step of a wait: what [`look`](Worker::look) finds, or else the worker's waker
    /// registered and the ready list marked "consumer asleep" (`Sleep`): the next scheduling,
    /// `wake` or `close` wakes it.
    ///
    /// No wake-up is lost: the waker is registered before the last look at the wakes and the
    /// close. A scheduling after the last look at the list finds the mark (the mark's
    /// compare-and-swap fails if it came between that look and the mark, and we look again);
    /// a `wake` or `close` after it changes its count or flag and then wakes the ready list's
    /// waker, which this registration is in (or is being put in: `register` then wakes it
    /// itself). A `wake` or `close` before the registration in the waker's state is seen by the
    /// look: its change happens-before our registration (see `Sealed::close_set`).
    fn step(&mut self, waker: &Waker) -> Step<Found<N, B, L>> {
        Self::step_with(self.set, &mut self.ready, waker)
    }

    /// [`step`](Worker::step), on the worker's parts (for `Consumer::block_on`, which lends the
    /// consumer to each step).
    fn step_with(
        set: &'s S,
        ready: &mut Consumer<&'s ReadyList<N, B, L>>,
        waker: &Waker,
    ) -> Step<Found<N, B, L>> {
        let mut registered = false;
        loop {
            match Self::look_with(set, ready) {
                Ok(found) => {
                    // Leave the sleeping state (clear our mark if a previous step left it).
                    ready.done();
                    return Step::Ready(found);
                }
                // The producer that is mid-way will not wake us: look again soon.
                Err(TryDequeueError::Inconsistent) => return Step::Retry,
                Err(TryDequeueError::Empty) => {}
            }
            if !registered {
                ready.register(waker);
                registered = true;
                // Look once more at the wakes and the close, now that a wake-up would reach us.
                // Not at the list: a member scheduled since our look above moved `head` off the
                // stub, so `try_sleep`'s mark fails below and we look again anyway.
                if set.signals().pending() {
                    continue;
                }
            }
            if ready.try_sleep() {
                return Step::Sleep;
            }
            // A member was scheduled (or is being scheduled) since we looked: look again.
        }
    }

    /// Drives [`step`](Worker::step) on this thread, parking it between steps, until it finds
    /// something or `deadline` passes (`None`). `named` as for `Consumer::block_on`.
    #[cfg(feature = "std")]
    fn block(
        &mut self,
        deadline: Option<std::time::Instant>,
        named: (&str, &str),
    ) -> Option<Next<Ready<'s, N, B, L, S>>> {
        // A member or a wake is usually there already: take it before setting up a wait (the
        // thread's waker costs a thread-local look-up and a reference count).
        if let Ok(found) = self.look() {
            self.ready.done();
            return Some(self.deliver(found));
        }
        let set = self.set;
        // Then a moment's wait, as the queue's own blocking dequeue waits (about a microsecond,
        // see `Consumer::look_then_spin`): a member scheduled within it costs its producer no
        // wake-up and us no park.
        if let Some(found) = self
            .ready
            .spin_until(deadline, |ready| Self::look_with(set, ready).ok())
        {
            self.ready.done();
            return Some(self.deliver(found));
        }
        let parked_at = std::time::Instant::now();
        let found = self.ready.block_on(deadline, Some(named), |ready, waker| {
            Self::step_with(set, ready, waker)
        });
        self.ready.parked_wait_ended(found.is_some(), parked_at);
        Some(self.deliver(found?))
    }

    /// What a look found, as the caller sees it.
    #[inline]
    fn deliver(&self, found: Found<N, B, L>) -> Next<Ready<'s, N, B, L, S>> {
        match found {
            Found::Entry(entry) => Next::Ready(self.hold(entry)),
            Found::Woken => Next::Woken,
            Found::Closed => Next::Closed,
        }
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
/// iterator over the members that are ready now, and starts yielding again once a producer
/// schedules a queue (it is not fused). So it ends at the close too: once the set is closed and
/// every member scheduled before the close was yielded, it returns `None` (as
/// [`try_next`](Worker::try_next) returns [`Next::Closed`]). It yields held members only:
/// it never takes a [`wake`](ReadySet::wake), which stays pending for the next `try_next`,
/// `next_blocking` or `next_async`, and it does not tell the close from a moment with nothing
/// scheduled (ask [`is_closed`](ReadySet::is_closed), or use `try_next`, for that).
///
/// Drain (or defer) each queue it yields: a guard dropped with nodes left puts its queue straight
/// back on the list, so a loop that only looks never ends. Each step waits out a producer that is
/// in the middle of scheduling a queue (a few instructions, unless that producer is preempted),
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
