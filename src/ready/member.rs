//! [`Member`]: one queue of a ready set, with its place on the set's ready list ([`Slot`]) and
//! the ready list's handle kind ([`Entry`]).

use super::*;

/// One queue of a [`ReadySet`]: a [`Queue`] that cannot wait (the set waits for it), plus the entry
/// that puts it on the set's ready list.
///
/// A set either creates its members ([`ReadySet::new`], [`ReadySet::with_capacity`], feature
/// `alloc`) or takes `'static` ones you declared with the `const` constructors
/// [`Member::new`] and [`Member::with_capacity`] ([`ReadySet::from_static`], no allocator
/// needed). Either way you reach them through the set, by index, and through [`Ready`] guards: a
/// member that no set holds takes no nodes.
///
#[cfg_attr(not(feature = "alloc"), doc = "[`ReadySet::new`]: crate#features")]
#[cfg_attr(
    not(feature = "alloc"),
    doc = "[`ReadySet::with_capacity`]: crate#features"
)]
#[repr(C)]
pub struct Member<N: Node, B: Capacity = Unbounded, L: Layout = Compact> {
    /// The member's place in the ready list. First, so that the slot's address is the member's.
    /// Only the ready list touches it, through the member's one [`Entry`]: no code names this
    /// field after [`Member::from_queue`] made it.
    slot: Slot<N, B, L>,
    /// Whether the worker left the queue waiting for [`ReadySet::notify`] ([`DEFERRED`]), holds
    /// it ([`HELD`]), or was notified while holding it ([`NOTIFIED`]).
    pub(super) notify: crate::sync::AtomicUsize,
    /// The queue.
    pub(super) queue: Queue<N, B, NoWait, L>,
}

/// [`Member::notify`]: a worker holds the queue (or it is idle or scheduled).
pub(super) const HELD: usize = 0;
/// [`Member::notify`]: the worker left the queue, which has nodes, until the next `notify`.
pub(super) const DEFERRED: usize = 1;
/// [`Member::notify`]: `notify` came while the queue was held (or idle or scheduled).
pub(super) const NOTIFIED: usize = 2;

/// A member's place on the set's ready list (see [`slot::Slot`](super::slot::Slot)).
pub(super) type Slot<N, B, L> = super::slot::Slot<Member<N, B, L>>;

impl<N: Node, B: Capacity, L: Layout> super::slot::Listed for Member<N, B, L> {
    type Entry = Entry<N, B, L>;
}

/// A member on the ready list: the set's own handle kind, the one owner of the member's [`Slot`].
///
/// Its pointer was made from a pointer to the whole member (see [`ReadySet::schedule`]), so it
/// also leads back to the member ([`Entry::member`]), which producers, the set and `Ready` guards
/// share through `&Member` all along; the entry owns only the slot, which none of them touches.
pub struct Entry<N: Node, B: Capacity, L: Layout>(NonNull<Slot<N, B, L>>);

impl<N: Node, B: Capacity, L: Layout> Entry<N, B, L> {
    /// The one entry of `member`.
    ///
    /// # Safety
    ///
    /// No other entry of `member` exists, and none is made until this one (or the queue that
    /// takes it) is gone: the member's slot then has this entry as its only owner.
    #[inline(always)]
    pub(super) unsafe fn new(member: &Member<N, B, L>) -> Self {
        // The slot is the member's first field (`repr(C)`), so the member's address is the
        // slot's, and the pointer keeps the whole member's provenance for `member()`.
        Entry(NonNull::from(member).cast())
    }

    /// The member whose slot this is.
    #[inline(always)]
    pub(super) fn member(&self) -> NonNull<Member<N, B, L>> {
        self.0.cast()
    }
}

// SAFETY: the ready list moves entries between threads; an entry owns only its slot (a `Link`,
// atomics), and the member it leads to is only ever read through `&Member` (never `&mut`, never
// dropped by an entry, whose drop does nothing), so sending an entry needs exactly what sharing
// a member needs: `Member: Sync`.
unsafe impl<N: Node, B: Capacity, L: Layout> Send for Entry<N, B, L> where Member<N, B, L>: Sync {}

// SAFETY: the handle contract, for the slot an entry points to:
// - nothing but the entry reaches the slot while the entry exists: the slot is a private field
//   that no code names after the member is made, and at most one entry per member exists
//   (`Entry::new`'s contract: made by the one thread that ended the member's idle period, gave up
//   its guard, or replaced `DEFERRED` in `notify`, or by the set's construction for a `'static`
//   member that an earlier set left with nodes, once that set's ready list is gone);
// - from `into_raw` to `from_raw` the slot stays valid and in place: members live in the set's
//   allocation, which is freed only after the ready list is gone (`ReadySet::drop`), or are
//   `'static`. The queue writes to it only through the `Link`'s atomics, so a pointer made from
//   `&Member` allows those writes;
// - `from_raw` rebuilds the entry from the same pointer;
// - borrowing a slot (`&Slot`, a `Link`) or dropping it (nothing to drop) is fine on any thread.
unsafe impl<N: Node, B: Capacity, L: Layout> crate::Handle for Entry<N, B, L> {
    type Target = Slot<N, B, L>;

    #[inline(always)]
    fn into_raw(self) -> NonNull<Slot<N, B, L>> {
        self.0
    }

    #[inline(always)]
    unsafe fn from_raw(ptr: NonNull<Slot<N, B, L>>) -> Self {
        Entry(ptr)
    }
}

impl<N: Node, B: Capacity, L: Layout> Member<N, B, L> {
    const_fn! {
        /// A member around `queue`, on no list, with no notification pending.
        fn from_queue(queue: Queue<N, B, NoWait, L>) -> Member<N, B, L> {
            Member {
                slot: Slot::new(),
                notify: crate::sync::AtomicUsize::new(HELD),
                queue,
            }
        }
    }

    const_fn! {
        /// A member around `queue`, a queue made claimed and parked (`Queue::new_claimed_parked`
        /// or `with_capacity_claimed_parked`), for a [`StaticReadySet`]: its consumer flag is
        /// taken for good, so no other set and no `Consumer` can ever take the queue, and it is
        /// idle from the start, so the first enqueue schedules it.
        pub(super) fn idle(queue: Queue<N, B, NoWait, L>) -> Member<N, B, L> {
            Member::from_queue(queue)
        }
    }

    /// Gives the member's consumer flag back, for the next set over the same storage.
    pub(super) fn release(&self) {
        // Its Release pairs with the Acquire of the next `claim_consumer`, so the next set sees
        // the queue, the entry and the notification flag as this set left them.
        self.queue.release_consumer();
    }
}

impl<N: Node, L: Layout> Member<N, Unbounded, L> {
    const_fn! {
        /// Creates an unbounded member for [`ReadySet::from_static`], held by no set yet. It does
        /// not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`), so
        /// members can be a `static` array.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, Link, Member, ReadySet};
        ///
        /// struct Event {
        ///     link: Link,
        /// }
        /// node!(Event, link, &'static mut Event);
        ///
        /// static MAILBOXES: [Member<Event>; 16] = [const { Member::new() }; 16];
        /// let set = ReadySet::from_static(&MAILBOXES).expect("no other set holds them");
        /// assert_eq!(set.len(), 16);
        /// ```
        #[must_use]
        pub fn new() -> Member<N, Unbounded, L> {
            Member::from_queue(Queue::new())
        }
    }
}

impl<N: Node, L: Layout> Default for Member<N, Unbounded, L> {
    /// Same as [`Member::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node, L: Layout> Member<N, Bounded, L> {
    const_fn! {
        /// Creates a member for [`ReadySet::from_static`] whose queue holds at most `capacity`
        /// nodes, held by no set yet. It does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`), so
        /// members can be a `static` array.
        ///
        /// # Panics
        ///
        /// If `capacity` is 0 or greater than `isize::MAX`, as [`Queue::with_capacity`]; in a
        /// `const` context this is a compile error.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, Bounded, Link, Member, ReadySet};
        ///
        /// struct Packet {
        ///     link: Link,
        /// }
        /// node!(Packet, link, &'static mut Packet);
        ///
        /// // Eight peers, each with a queue of at most 64 packets.
        /// static PEERS: [Member<Packet, Bounded>; 8] = [const { Member::with_capacity(64) }; 8];
        /// assert_eq!(PEERS[0].capacity(), 64);
        /// let set = ReadySet::from_static(&PEERS).unwrap();
        /// assert_eq!(set.member(7).map(Member::capacity), Some(64));
        /// ```
        #[must_use]
        pub fn with_capacity(capacity: usize) -> Member<N, Bounded, L> {
            Member::from_queue(Queue::with_capacity(capacity))
        }
    }

    /// The number of nodes in this member's queue: an estimate while others use it, as
    /// [`Queue::len`].
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether [`len`](Member::len) is 0.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The most nodes this member's queue holds.
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.queue.capacity()
    }
}

impl<N: Node, B: Capacity, L: Layout> fmt::Debug for Member<N, B, L> {
    /// Prints `Member { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member").finish_non_exhaustive()
    }
}
