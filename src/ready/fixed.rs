//! [`FixedSet`]: what the two homes of a fixed set's members ([`ReadySet`] and
//! [`StaticReadySet`](super::StaticReadySet)) share: the ready list, the members by index, and
//! the scheduling operations on them. [`Worker`] and [`Ready`] are written once, over this trait.

use super::*;

/// The set's ready list: the entries of the members that have nodes and are not held.
pub(super) type ReadyList<N, B, L> = Queue<Slot<N, B, L>, Unbounded, Wait, Compact>;

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

        /// Adds a node at the back of member `index`'s queue if there is room, or hands it
        /// back; on success, schedules the queue if it was idle. Panics if `index` is out of
        /// range.
        #[inline]
        fn try_enqueue_at(&self, index: usize, handle: N::Handle) -> Result<(), N::Handle> {
            let member = &self.members()[index];
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
