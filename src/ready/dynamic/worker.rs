//! [`SetWorker`]: one of a [`DynamicSet`]'s workers.

use super::*;

/// What a worker found.
enum Found<N: Node, S, B: Capacity> {
    /// A member, off the ready list.
    Entry(Entry<N, S, B>),
    /// A user's wake.
    Woken,
    /// The set is closed and nothing is left on the ready list.
    Closed,
}

/// One of a [`DynamicSet`]'s workers: takes members that have nodes, one at a time. `Send`, so it
/// moves into the thread or task that runs it; see [`DynamicSet::worker`].
///
/// A worker loops on one of [`next_blocking`] (a thread, feature `std`),
/// [`next_async`](SetWorker::next_async) (a task) or [`try_next`](SetWorker::try_next) (a loop
/// of your own), until [`Next::Closed`].
///
/// # Examples
///
/// An async worker (any executor; here a minimal one that polls in a loop):
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #     }
/// # }
/// use intrusive_mpsc::{node, DynamicSet, Link, Next, SetWorker};
///
/// struct Msg {
///     link: Link,
///     n: u64,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// async fn run(mut worker: SetWorker<Msg, u64>) -> u64 {
///     let mut total = 0;
///     loop {
///         match worker.next_async().await {
///             Next::Ready(mut actor) => {
///                 // A budget of 8 messages per turn: the member goes to the back of the line.
///                 while let Some(msg) = actor.drain().take(8).next() {
///                     *actor.state() += msg.n;
///                     total += msg.n;
///                 }
///             }
///             Next::Woken => {}
///             Next::Closed => return total,
///         }
///     }
/// }
///
/// let set = DynamicSet::<Msg, u64>::new();
/// let actor = set.add(0);
/// for n in 1..=10 {
///     actor.send(Box::new(Msg { link: Link::new(), n })).ok().unwrap();
/// }
/// set.close();
/// assert_eq!(block_on(run(set.worker())), 55);
/// ```
#[cfg_attr(feature = "std", doc = "[`next_blocking`]: SetWorker::next_blocking")]
#[cfg_attr(not(feature = "std"), doc = "[`next_blocking`]: crate#features")]
pub struct SetWorker<N: Node, S = (), B: Capacity = Unbounded> {
    set: Arc<Shared<N, S, B>>,
    /// This worker's place on the sleepers' list while a `poll_next` is pending.
    key: Option<Key>,
    /// How long `next_blocking` spins before it joins the sleepers, from how its last wait ended.
    #[cfg(feature = "std")]
    budget: crate::policy::park::WaitBudget,
}

impl<N: Node, S, B: Capacity> SetWorker<N, S, B> {
    /// A worker of `set`, on no list.
    pub(super) fn new(set: Arc<Shared<N, S, B>>) -> Self {
        SetWorker {
            set,
            key: None,
            #[cfg(feature = "std")]
            budget: Default::default(),
        }
    }

    /// Looks for work: a wake first, then the ready list, then the close.
    fn find(&self) -> Option<Found<N, S, B>> {
        if self.set.take_wake() {
            // This look may be one a producer counted on when it skipped a wake-up (see
            // `Shared::schedule`): it does not pop, so it hands the ready list on to a sleeping
            // worker, if any, as a pop that leaves entries behind does. Wakes are rare.
            self.set.sleepers.notify_unless_woken();
            return Some(Found::Woken);
        }
        // Read before the pop, with Acquire: everything that happened before the close (the
        // last sends' scheduling, joined threads) is then visible to the pop below, so an empty
        // list after a close we saw really is the end.
        let closed = self.set.closed.load(Acquire);
        let backoff = Backoff::default();
        loop {
            match self.set.pop() {
                Pop::Entry(entry, more) => {
                    if more {
                        // Hand the rest on to a sleeping worker, if any, while we work; not if
                        // a worker thread was notified and has not looked yet: it will.
                        self.set.sleepers.notify_unless_woken();
                    }
                    return Some(Found::Entry(entry));
                }
                Pop::Empty if closed => return Some(Found::Closed),
                Pop::Empty => return None,
                // Once closed, a worker never sleeps: wait out the producer here.
                Pop::Pending if closed => backoff.snooze(),
                // Its producer notifies a sleeper once its enqueue returns.
                Pop::Pending => return None,
            }
        }
    }

    /// What `find` found, as the caller sees it.
    fn deliver(&self, found: Found<N, S, B>) -> Next<HeldMember<'_, N, S, B>> {
        match found {
            Found::Entry(entry) => Next::Ready(self.hold(entry)),
            Found::Woken => Next::Woken,
            Found::Closed => Next::Closed,
        }
    }

    /// Turns an entry taken off the ready list into a guard on its member.
    fn hold(&self, entry: Entry<N, S, B>) -> HeldMember<'_, N, S, B> {
        let cell = entry.into_cell();
        // SAFETY: the queue lives in the cell's allocation, which the guard keeps (its `cell`
        // field, released only after the consumer is dropped, in `HeldMember::drop`), so the
        // reference stays valid for as long as the consumer that carries it; no method gives
        // out a reference to the queue that outlives a borrow of the guard.
        let queue: &MemberQueue<N, B> = unsafe { &*core::ptr::addr_of!(cell.queue) };
        // SAFETY: the member is held by this guard alone until it is dropped: it is on no list
        // (we took its one entry) and not idle, so no other consumer of its queue exists. The
        // previous consumer (the last guard) happens-before us: its drop put the entry on the
        // ready list (or marked the queue idle, which the scheduling producer's swap acquired,
        // before it put the entry on the list), and we took the entry off it after acquiring
        // `popping` and with the list's Acquire loads.
        let consumer = unsafe { queue.consumer_unchecked() };
        HeldMember {
            set: &self.set,
            cell: ManuallyDrop::new(cell),
            consumer: ManuallyDrop::new(consumer),
        }
    }

    /// Takes a wake, the next member that has nodes, or the close, without ever sleeping; `None`
    /// when there is nothing now (or a producer is in the middle of scheduling a member: it
    /// will be there on the next call).
    pub fn try_next(&mut self) -> Option<Next<HeldMember<'_, N, S, B>>> {
        let found = self.find()?;
        Some(self.deliver(found))
    }

    /// Takes a wake, the next member that has nodes, or the close, sleeping until there is one.
    ///
    /// Before it sleeps it waits about a microsecond, looking again between short waits, as a
    /// fixed set's [`Worker::next_blocking`](crate::Worker::next_blocking) does: a member
    /// scheduled within that time costs its producer no wake-up. A worker that waits this way
    /// is not yet among the sleepers, so a producer wakes a sleeping sibling rather than count
    /// on it.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): call [`next_async`](SetWorker::next_async)
    /// there instead.
    #[cfg(feature = "std")]
    pub fn next_blocking(&mut self) -> Next<HeldMember<'_, N, S, B>> {
        self.leave();
        if let Some(found) = self.find() {
            return self.deliver(found);
        }
        // A moment's wait first, looking between short waits, as a fixed set's worker and the
        // queue's blocking dequeue wait (about a microsecond, see `Consumer::look_then_spin`):
        // a member scheduled within it costs its producer no wake-up and us no park. Off the
        // sleepers' list meanwhile, so producers count on a sleeping sibling, not on us.
        let mut budget = self.budget;
        let spun = budget.spin_until(None, || self.find());
        self.budget = budget;
        if let Some(found) = spun {
            return self.deliver(found);
        }
        let parked_at = std::time::Instant::now();
        // Looks, joins the sleepers' list, looks again, and parks between looks until notified:
        // no lost wake-up (see `Waiters`).
        let found = self
            .set
            .sleepers
            .block_until(None, || self.find(), {
                let mut checked = false;
                move || {
                    // About to park for the first time in this call: only now is the runtime
                    // check worth its cost. The panic leaves the sleepers' list on the way out.
                    if !core::mem::replace(&mut checked, true)
                        && !crate::policy::runtime::may_block()
                    {
                        crate::policy::runtime::refuse("next_blocking", "next_async().await");
                    }
                }
            })
            .expect("no deadline");
        self.budget.parked_wait_ended(true, parked_at);
        self.deliver(found)
    }

    /// Polls for a wake, the next member that has nodes, or the close: `Pending` with the
    /// task's waker registered until one of them comes.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Next<HeldMember<'_, N, S, B>>> {
        match self.poll_find(cx) {
            Poll::Ready(found) => Poll::Ready(self.deliver(found)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// `poll_next`'s protocol, up to what it found.
    fn poll_find(&mut self, cx: &mut Context<'_>) -> Poll<Found<N, S, B>> {
        let sleepers = &self.set.sleepers;
        match &self.key {
            None => {
                if let Some(found) = self.find() {
                    return Poll::Ready(found);
                }
                // Join, then look again before waiting.
                self.key = Some(sleepers.listen(cx.waker(), false));
            }
            Some(key) => {
                // Not notified since the last look: nothing changed that we wait for.
                if !sleepers.poll(key, cx.waker()) {
                    return Poll::Pending;
                }
            }
        }
        match self.find() {
            Some(found) => {
                self.leave();
                Poll::Ready(found)
            }
            None => Poll::Pending,
        }
    }

    /// Leaves the sleepers' list, if a pending `poll_next` joined it (a notification it got and
    /// did not use goes on to another sleeper).
    fn leave(&mut self) {
        if let Some(key) = self.key.take() {
            self.set.sleepers.leave(key);
        }
    }

    /// Waits asynchronously for a wake, the next member that has nodes, or the close.
    /// Cancel-safe: dropping the future loses nothing. The worker keeps its place on the
    /// sleepers' list until its next `next_*` call or its drop; leaving passes a notification it
    /// got and did not use on to another sleeper.
    pub fn next_async(&mut self) -> NextFuture<'_, N, S, B> {
        NextFuture { worker: Some(self) }
    }

    /// The set this worker serves.
    #[must_use]
    pub fn set(&self) -> DynamicSet<N, S, B> {
        DynamicSet {
            shared: Arc::clone(&self.set),
        }
    }
}

impl<N: Node, S, B: Capacity> Drop for SetWorker<N, S, B> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl<N: Node, S, B: Capacity> fmt::Debug for SetWorker<N, S, B> {
    /// Prints `SetWorker { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetWorker").finish_non_exhaustive()
    }
}

/// The future of [`SetWorker::next_async`].
#[must_use = "futures do nothing unless polled"]
pub struct NextFuture<'w, N: Node, S = (), B: Capacity = Unbounded> {
    worker: Option<&'w mut SetWorker<N, S, B>>,
}

impl<'w, N: Node, S, B: Capacity> Future for NextFuture<'w, N, S, B> {
    type Output = Next<HeldMember<'w, N, S, B>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Next<HeldMember<'w, N, S, B>>> {
        let worker = self
            .worker
            .take()
            .expect("`NextFuture` polled after it completed");
        match worker.poll_find(cx) {
            Poll::Ready(found) => {
                let worker: &'w SetWorker<N, S, B> = worker;
                Poll::Ready(worker.deliver(found))
            }
            Poll::Pending => {
                self.worker = Some(worker);
                Poll::Pending
            }
        }
    }
}

impl<N: Node, S, B: Capacity> fmt::Debug for NextFuture<'_, N, S, B> {
    /// Prints `NextFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NextFuture").finish_non_exhaustive()
    }
}
