//! [`FixedSet`]: what the two homes of a fixed set's members ([`ReadySet`] and
//! [`StaticReadySet`](super::StaticReadySet)) share: the ready list, the members by index, and
//! the scheduling operations on them. [`Worker`] and [`Ready`] are written once, over this trait.

use super::*;

/// The set's ready list: the entries of the members that have nodes and are not held.
pub(super) type ReadyList<N, B, L> = Queue<Slot<N, B, L>, Unbounded, Wait, Compact>;

/// What a fixed set says to its worker besides the ready list: whether it is closed, and how
/// many `wake`s the worker has yet to take. Both reach a sleeping worker through the ready list's
/// waker: the setter changes the flag or the count, then wakes the waker the worker registered
/// before its last look (see [`Worker`]'s `step`), so no close and no wake is slept through.
/// (`pub` in a private module: the sealed trait names it, users never do.)
pub struct Signals {
    /// Set by `close`, never cleared.
    closed: AtomicBool,
    /// `wake`s not yet taken by the worker.
    wakes: AtomicUsize,
}

impl Signals {
    const_fn! {
        /// Open, no wake pending.
        pub(super) fn new() -> Signals {
            Signals {
                closed: AtomicBool::new(false),
                wakes: AtomicUsize::new(0),
            }
        }
    }

    /// Whether the set is closed, for a producer deciding whether to refuse a node (or a user's
    /// snapshot).
    #[inline]
    pub(super) fn is_closed(&self) -> bool {
        // Relaxed: a `try_enqueue` that happens-after `close` reads the store or a later value
        // (coherence), and nothing else is read on the strength of this load. The worker reads
        // the flag with Acquire, in `closed_for_worker`.
        self.closed.load(Relaxed)
    }

    /// Whether the set is closed, for the worker about to look at the ready list: if so, every
    /// member scheduled before the close is on the list for the look that follows.
    #[inline]
    pub(super) fn closed_for_worker(&self) -> bool {
        // Acquire: pairs with `close`'s Release, so the schedulings that happened before the
        // close (the last enqueues', and those of threads joined before it) are visible to the
        // pop that follows: an empty list after a close we saw really is the end (for what was
        // sent before it).
        self.closed.load(Acquire)
    }

    /// Whether a wake is pending or the set is closed: what a worker that registered its waker
    /// after finding nothing must look at again before it sleeps (see `Worker`'s `step`).
    #[inline]
    pub(super) fn pending(&self) -> bool {
        // Relaxed, both: the caller registered its waker after the `wake` or `close` it must not
        // miss, or before it. If after, that setter's change happens-before the registration
        // (the waker's state is one read-modify-write chain, and the setter wakes it after its
        // change), so these loads see it; if before, the setter's wake-up finds the waker. A
        // `true` only sends the caller to a full look (`take_wake`, `closed_for_worker`).
        self.wakes.load(Relaxed) != 0 || self.closed.load(Relaxed)
    }

    /// Takes one pending wake, if any.
    #[inline]
    pub(super) fn take_wake(&self) -> bool {
        super::next::take_wake(&self.wakes)
    }
}

/// A ready set with a fixed number of members, addressed by index: [`ReadySet`] (members
/// allocated by the set, or a `'static` slice it claims) or
/// [`StaticReadySet`](super::StaticReadySet) (members inside it, built in `const`).
///
/// Both have one protocol, documented on [`ReadySet`], and one [`Worker`] and [`Ready`] guard,
/// which name the set they serve as their last type parameter (`ReadySet` unless said
/// otherwise). The trait is sealed: it has nothing to implement, and only says which sets a
/// worker can serve.
pub trait FixedSet<N: Node, B: Capacity, L: Layout>: sealed::Sealed<N, B, L> {}

pub(super) mod sealed {
    use super::*;

    /// What a [`FixedSet`] gives the shared code: its ready list and its members.
    ///
    /// # Safety
    ///
    /// Every member of [`members`](Sealed::members) is the set's alone to consume (the set holds
    /// its queue's consumer flag, so no `Consumer` of it can be made elsewhere), stays in place
    /// for as long as the set is borrowed, and is scheduled on [`ready`](Sealed::ready) and on
    /// no other list; the ready list's entries all point to those members; the members and the
    /// list are not moved or freed while an entry is listed or a [`Worker`] or [`Ready`] borrows
    /// the set.
    pub unsafe trait Sealed<N: Node, B: Capacity, L: Layout> {
        /// The ready list.
        fn ready(&self) -> &ReadyList<N, B, L>;

        /// The members, by index.
        fn members(&self) -> &[Member<N, B, L>];

        /// The set's closed flag and pending wakes.
        fn signals(&self) -> &Signals;

        /// Closes the set; see [`ReadySet::close`].
        fn close_set(&self) {
            // Release: pairs with the worker's Acquire load (`closed_for_worker`), so a worker
            // that sees the close also sees every member scheduled before it.
            self.signals().closed.store(true, Release);
            // After the flag: the worker registers its waker before its last look at the flag
            // (`Worker`'s `step`), so either that look sees the flag, or this finds the waker
            // registered (or being registered, and `register` wakes it itself): the waker's
            // state is one read-modify-write chain, ordering our `wake` after or before the
            // registration. A worker that does not sleep sees the flag on its next look.
            self.ready().shared().wake();
        }

        /// Wakes the worker once with [`Next::Woken`]; see [`ReadySet::wake`].
        fn wake_set(&self) {
            // Release: pairs with the Acquire of the worker taking the wake (`take_wake`): what
            // we did before is visible to it. Before the wake-up, for the reason `close_set`
            // gives.
            self.signals().wakes.fetch_add(1, Release);
            self.ready().shared().wake();
        }

        /// Adds a node at the back of member `index`'s queue if the set is open and there is
        /// room, or hands it back; on success, schedules the queue if it was idle. Panics if
        /// `index` is out of range.
        #[inline]
        fn try_enqueue_at(&self, index: usize, handle: N::Handle) -> Result<(), N::Handle> {
            let member = &self.members()[index];
            if self.signals().is_closed() {
                return Err(handle);
            }
            if member.queue.try_push_parked(handle)? {
                // Our swap read the park mark: we alone end this idle period.
                self.schedule(member);
            }
            Ok(())
        }

        /// Schedules member `index` if the worker deferred it; see [`ReadySet::notify`].
        /// Panics if `index` is out of range.
        fn notify_at(&self, index: usize) {
            let member = &self.members()[index];
            // AcqRel: Release publishes what the caller did before (the packet's ready state) to
            // the worker that next holds the queue, whose swap in `Worker::hold` acquires it, or
            // that `defer_until_notified` fails to defer (its compare-exchange acquires). Acquire
            // pairs with the deferring compare-exchange: the worker's last uses of the queue and
            // of the member's entry happen-before our re-linking of that entry into the ready
            // list (loom finds the entry listed twice without it).
            if member.notify.swap(NOTIFIED, AcqRel) == DEFERRED {
                // We replaced `DEFERRED`: we alone end the deferral.
                self.schedule(member);
            }
        }

        /// Puts `member`, one of ours, on the ready list. The caller has just ended its idle
        /// period (its swap replaced the mark), held it as a [`Ready`] guard, or ended its
        /// deferral: either way nobody else can schedule it until it is idle (or deferred)
        /// again.
        #[inline]
        fn schedule(&self, member: &Member<N, B, L>) {
            // SAFETY: the one entry for this member: an idle or deferred member is on no list
            // and held by nobody, and the caller is the one thread that ended that.
            let entry = unsafe { Entry::new(member) };
            self.ready().enqueue(entry);
        }

        /// The index of `member`, a member of this set.
        #[inline]
        fn index_of(&self, member: &Member<N, B, L>) -> usize {
            let offset = (member as *const Member<N, B, L> as usize)
                .wrapping_sub(self.members().as_ptr() as usize);
            // A zero-sized member is impossible: it holds at least its entry's link.
            offset / core::mem::size_of::<Member<N, B, L>>()
        }
    }
}
