//! [`ReadySet`]: many queues served by one worker that never scans: a queue schedules itself
//! when a node arrives while it is idle. The protocol is documented on [`ReadySet`].

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use core::task::{Context, Poll};

use crate::sync::const_fn;
use crate::{
    Bounded, Capacity, Compact, Consumer, Drain, Layout, Link, NoWait, Node, Queue,
    TryDequeueError, Unbounded, Wait,
};

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
    notify: crate::sync::AtomicUsize,
    /// The queue.
    queue: Queue<N, B, NoWait, L>,
}

/// [`Member::notify`]: a worker holds the queue (or it is idle or scheduled).
const HELD: usize = 0;
/// [`Member::notify`]: the worker left the queue, which has nodes, until the next `notify`.
const DEFERRED: usize = 1;
/// [`Member::notify`]: `notify` came while the queue was held (or idle or scheduled).
const NOTIFIED: usize = 2;

/// A member's place on the set's ready list: the list's node type, a [`Link`] and nothing else.
///
/// It is the member's first field, so a pointer to the slot made from a pointer to the member is
/// a pointer to the member again. Only the ready list reaches it, through the member's one
/// [`Entry`] at a time.
#[repr(transparent)]
pub struct Slot<N: Node, B: Capacity, L: Layout> {
    link: Link,
    /// The member type the slot belongs to; it holds no member.
    _member: PhantomData<MemberType<N, B, L>>,
}

/// Names a member type without holding one (and without its auto traits).
type MemberType<N, B, L> = fn() -> Member<N, B, L>;

// SAFETY: `Slot` is `repr(transparent)` over its `Link`, so the slot's address is its link's and
// back, with the same provenance; `link` only casts.
unsafe impl<N: Node, B: Capacity, L: Layout> Node for Slot<N, B, L> {
    type Handle = Entry<N, B, L>;

    #[inline(always)]
    unsafe fn link(node: NonNull<Self>) -> NonNull<Link> {
        node.cast()
    }

    #[inline(always)]
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
        link.cast()
    }
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
    unsafe fn new(member: &Member<N, B, L>) -> Self {
        // The slot is the member's first field (`repr(C)`), so the member's address is the
        // slot's, and the pointer keeps the whole member's provenance for `member()`.
        Entry(NonNull::from(member).cast())
    }

    /// The member whose slot this is.
    #[inline(always)]
    fn member(&self) -> NonNull<Member<N, B, L>> {
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
                slot: Slot {
                    link: Link::new(),
                    _member: PhantomData,
                },
                notify: crate::sync::AtomicUsize::new(HELD),
                queue,
            }
        }
    }

    /// Gives the member's consumer flag back, for the next set over the same storage.
    fn release(&self) {
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
        /// This is a `const fn` (except under `cfg(loom)`), so members can be a `static` array.
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
        /// This is a `const fn` (except under `cfg(loom)`), so members can be a `static` array.
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

/// The set's ready list: the entries of the members that have nodes and are not held.
type ReadyList<N, B, L> = Queue<Slot<N, B, L>, Unbounded, Wait, Compact>;

/// Takes every member's consumer flag for a new set, which keeps them until its drop: taking a
/// flag makes `consumer()` on that queue, and every other set's claim, fail. If one is taken
/// already, gives back those it took and returns `false`.
fn claim<N: Node, B: Capacity, L: Layout>(members: &[Member<N, B, L>]) -> bool {
    for (claimed, member) in members.iter().enumerate() {
        if !member.queue.claim_consumer() {
            members[..claimed].iter().for_each(Member::release);
            return false;
        }
    }
    true
}

/// Many queues and one ready list: a worker takes the next queue that has nodes, without ever
/// looking at the idle ones.
///
/// This is what WireGuard gets from its workqueue (`queue_work` / `napi_schedule` after each
/// enqueue) and what an actor runtime needs for its mailboxes: a queue per peer is only practical
/// when something schedules the peer whose queue just got packets and never touches the thousands
/// that are idle. Producers enqueue into member `i` through the set; the producer whose enqueue
/// ends the queue's idleness puts it on the ready list (no other producer pays anything extra);
/// the [`Worker`] takes [`Ready`] queues in turn, drains each with a budget, and drops the guard,
/// which re-arms the queue or sends it to the back of the list. See the protocol below, and
/// `examples/many_peers.rs`.
///
/// The members are allocated once, when the set is made ([`new`][ReadySet::new],
/// [`with_capacity`][ReadySet::with_capacity], feature `alloc`), or are a `static` array you
/// declare ([`from_static`](ReadySet::from_static), for targets without an allocator); nothing
/// allocates afterwards. Members may be [`Bounded`] or [`Unbounded`], [`Compact`] or
/// [`Padded`](crate::Padded); every member of one set is of the same kind.
///
/// # The protocol
///
/// Every member queue is, at any time, in exactly one of four states:
///
/// - **idle**: empty, with the "consumer asleep" mark in its `head` (the mark a sleeping consumer
///   leaves, see [`Wait`](crate::Wait));
/// - **scheduled**: its entry is in the set's ready list;
/// - **held**: the worker holds it as a [`Ready`] guard and drains it;
/// - **deferred**: the worker left it, with a peeked node that is not ready, until
///   [`notify`](ReadySet::notify) (see [`Ready::defer_until_notified`]).
///
/// The producer whose swap of an idle queue's `head` returns the mark (exactly one producer per
/// idle period, since the swaps are read-modify-writes of one word) pushes the queue's entry into
/// the ready list after linking its node, and that push wakes the worker if it sleeps. Every other
/// producer pays nothing: the mark is tested only on the path that links behind the stub, as for a
/// sleeping consumer. When the worker drops a [`Ready`] guard, the queue goes to the back of the
/// ready list if it still has nodes (so a flooded queue cannot starve the others), or is marked
/// idle again with the same compare-and-swap a sleeping consumer uses, which succeeds only on an
/// empty queue with no producer mid-enqueue; if it fails, the queue is scheduled again.
///
/// So a queue with a node is always scheduled, held, or deferred until a `notify` that the caller
/// owes it (no lost wake-up); it is never scheduled twice (only the producer that ends an idle
/// period, the worker that held it, or the `notify` that ends a deferral schedules it); and the
/// worker's cost per node does not depend on how many queues are idle.
///
/// The ready list is a [`WaitQueue`](crate::WaitQueue) of entries, one [`Link`] inside each member,
/// so the worker blocks, times out or awaits with the same no-lost-wake-up protocol as any sleeping
/// consumer.
///
/// # Without an allocator
///
/// With `default-features = false` the crate needs neither `std` nor `alloc`, and neither does
/// a set over `static` members: declare them with the `const` [`Member::new`] or
/// [`Member::with_capacity`], and let [`from_static`](ReadySet::from_static) claim them at
/// start-up. The set itself is built at run time (claiming marks every member idle, which no
/// `const fn` can do), then kept where producers and the worker reach it: a `static` cell
/// (`static_cell::StaticCell`, or your RTOS's), a shared resource of your framework, or a local
/// that scoped threads borrow. Producers may run in interrupt handlers (an enqueue never waits);
/// the worker polls with [`Worker::try_next`] or awaits with [`Worker::poll_next`] /
/// [`Worker::next_async`] (an executor such as embassy's), the blocking methods being the only
/// ones that need `std`. As everywhere in this crate, a consumer in an interrupt handler uses
/// the `try_` methods ([`Worker::try_next`], [`Ready::try_dequeue`]): see the crate docs on
/// interrupt handlers.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, ReadySet};
///
/// struct Packet {
///     link: Link,
///     seq: u32,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// // 10,000 peers, each with a bounded queue of 1024 packets.
/// let peers = ReadySet::<Packet, _>::with_capacity(10_000, 1024);
/// let mut worker = peers.worker().expect("one worker");
/// assert!(worker.next().is_none(), "nothing scheduled");
///
/// for seq in 0..3 {
///     assert!(peers.try_enqueue(42, Box::new(Packet { link: Link::new(), seq })).is_ok());
/// }
/// assert!(peers.try_enqueue(7, Box::new(Packet { link: Link::new(), seq: 0 })).is_ok());
///
/// // Peer 42 became ready first, then peer 7; nobody looked at the 9,998 others.
/// let mut ready = worker.next().unwrap();
/// assert_eq!(ready.index(), 42);
/// let seqs: Vec<u32> = ready.drain().take(2).map(|p| p.seq).collect(); // a budget of 2
/// assert_eq!(seqs, [0, 1]);
/// drop(ready); // still has a packet: back of the line
///
/// let mut ready = worker.next().unwrap();
/// assert_eq!((ready.index(), ready.drain().count()), (7, 1));
/// drop(ready); // empty: idle again
///
/// let mut ready = worker.next().unwrap();
/// assert_eq!((ready.index(), ready.dequeue().map(|p| p.seq)), (42, Some(2)));
/// drop(ready); // empty: idle again until its next packet
/// assert!(worker.next().is_none());
/// ```
///
#[cfg_attr(not(feature = "alloc"), doc = "[ReadySet::new]: crate#features")]
#[cfg_attr(
    not(feature = "alloc"),
    doc = "[ReadySet::with_capacity]: crate#features"
)]
pub struct ReadySet<N: Node, B: Capacity = Unbounded, L: Layout = Compact> {
    /// The entries of the members with nodes that no [`Ready`] guard holds. Dropped by hand,
    /// before the members are freed or released: dropping it walks their entries.
    ready: core::mem::ManuallyDrop<ReadyList<N, B, L>>,
    /// The members: a boxed slice taken apart (`Box::leak`) so that moving the set moves no
    /// `Box` that the ready list's pointers into the allocation would depend on, or a `'static`
    /// slice. Every member's consumer flag is the set's until `Drop`.
    members: NonNull<[Member<N, B, L>]>,
    /// Where `members` lives, and so what `Drop` does with it.
    storage: Storage,
}

/// Where a [`ReadySet`]'s members live.
#[derive(Clone, Copy)]
enum Storage {
    /// A boxed slice the set allocated: `Drop` frees it, with the nodes still queued.
    #[cfg(feature = "alloc")]
    Boxed,
    /// A `'static` slice the set claimed ([`ReadySet::from_static`]): `Drop` gives the members'
    /// consumer flags back, nodes and all, for the next set over them.
    Static,
}

// SAFETY: the set owns its members (as a `Box<[Member]>` would) or holds their consumer flags
// (`'static` members, which no one else can reach the queues of meanwhile), and owns its ready
// list; sending the set sends both, which `Member: Send` (the handles are `Send`) and the ready
// list allow.
unsafe impl<N: Node, B: Capacity, L: Layout> Send for ReadySet<N, B, L> where N::Handle: Send {}

// SAFETY: `&ReadySet` gives `&Member`s (shared between threads as a `&[Member]` would be, fine
// when the handles are `Send`, which makes `Member: Sync`) and the ready list's own `&self`
// operations, which are thread-safe for `Send` entries.
unsafe impl<N: Node, B: Capacity, L: Layout> Sync for ReadySet<N, B, L> where N::Handle: Send {}

impl<N: Node, B: Capacity, L: Layout> Drop for ReadySet<N, B, L> {
    /// Frees the members the set allocated, dropping their nodes; or gives `'static` members
    /// back, nodes and all, so that a later [`from_static`](ReadySet::from_static) can take them.
    fn drop(&mut self) {
        // SAFETY: the ready list is dropped once, here, and not used afterwards.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.ready) };
        match self.storage {
            #[cfg(feature = "alloc")]
            Storage::Boxed => {
                // SAFETY: `members` came from `Box::leak` in `from_members` and is freed
                // once, here, after the ready list that pointed into it.
                drop(unsafe { alloc::boxed::Box::from_raw(self.members.as_ptr()) });
            }
            // After the ready list is gone (a next set may link the entries at once), and with
            // no guard or worker left (they borrow the set): nothing of ours touches them again.
            Storage::Static => self.members().iter().for_each(Member::release),
        }
    }
}

impl<N: Node, L: Layout> ReadySet<N, Unbounded, L> {
    /// Creates a set of `count` empty, unbounded, idle queues. Allocates the members once.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, ReadySet};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let mailboxes = ReadySet::<Msg>::new(100);
    /// assert_eq!(mailboxes.len(), 100);
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn new(count: usize) -> Self {
        Self::from_members((0..count).map(|_| Member::new()))
    }

    /// Adds a node at the back of member `index`'s queue, and schedules that queue if it was
    /// idle. Wait-free, like [`Queue::enqueue`]; only the enqueue that ends an idle period does
    /// more (one enqueue into the ready list).
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    #[inline]
    pub fn enqueue(&self, index: usize, handle: N::Handle) {
        let member = &self.members()[index];
        if member.queue.push(handle) {
            self.schedule(member);
        }
    }
}

impl<N: Node, L: Layout> ReadySet<N, Bounded, L> {
    /// Creates a set of `count` empty, idle queues, each holding at most `capacity` nodes.
    /// Allocates the members once.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or greater than `isize::MAX`, as [`Queue::with_capacity`].
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn with_capacity(count: usize, capacity: usize) -> Self {
        Self::from_members((0..count).map(|_| Member::with_capacity(capacity)))
    }
}

impl<N: Node, B: Capacity, L: Layout> ReadySet<N, B, L> {
    /// A set of these new members, allocated once, every one idle.
    #[cfg(feature = "alloc")]
    fn from_members(members: impl Iterator<Item = Member<N, B, L>>) -> Self {
        let members = members.collect::<alloc::boxed::Box<[_]>>();
        // No one else can reach members we just made: claiming cannot fail.
        assert!(claim(&members), "new members have no consumer");
        // Leaked, to be freed by `Drop` (`Storage::Boxed`): the allocation stays in place.
        let members = NonNull::from(alloc::boxed::Box::leak(members));
        // SAFETY: we claimed every member above, and they stay in place until `Drop`.
        unsafe { Self::with_claimed(members, Storage::Boxed) }
    }

    /// Makes a set of `'static` members, declared with [`Member::new`] or
    /// [`Member::with_capacity`], for targets without an allocator; or returns `None` if another
    /// set holds any of them.
    ///
    /// The set claims each member's queue as its consumer until it is dropped, so no two sets
    /// ever consume one member (sets over disjoint parts of one array are fine). Dropping the set
    /// gives the members back with their nodes, in order: a later set over them schedules at
    /// once each member that has nodes (a deferral is forgotten: see
    /// [`Ready::defer_until_notified`]), and the others are idle.
    ///
    /// Claiming takes one compare-and-swap per member and marks each idle, so the set is built
    /// at run time, once, at start-up (see [Without an allocator](ReadySet#without-an-allocator)
    /// for where to keep it).
    ///
    /// # Examples
    ///
    /// A `static` pool of packets and `static` peers: nothing here allocates, and the crate can
    /// be built with `default-features = false` (only the threads are `std`'s).
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Member, Queue, ReadySet};
    ///
    /// struct Packet {
    ///     link: Link,
    ///     peer: usize,
    /// }
    /// node!(Packet, link, &'static mut Packet);
    ///
    /// static PEERS: [Member<Packet>; 64] = [const { Member::new() }; 64];
    /// // Free packets, from a static pool (see `Handle` for how to hand one out once).
    /// static FREE: Queue<Packet> = Queue::new();
    /// # static mut POOL: [Packet; 4] = [const { Packet { link: Link::new(), peer: 0 } }; 4];
    /// # // SAFETY: the only reference to `POOL` ever made.
    /// # for packet in unsafe { &mut *core::ptr::addr_of_mut!(POOL) } { FREE.enqueue(packet); }
    ///
    /// let peers = ReadySet::from_static(&PEERS).expect("first claim");
    /// assert!(ReadySet::from_static(&PEERS[10..20]).is_none(), "one set per member");
    ///
    /// std::thread::scope(|s| {
    ///     // An interrupt handler, say: two packets for peer 9, one for peer 40.
    ///     s.spawn(|| {
    ///         let mut free = FREE.consumer().unwrap();
    ///         for peer in [9, 40, 9] {
    ///             let packet = free.dequeue().unwrap();
    ///             packet.peer = peer;
    ///             peers.enqueue(peer, packet);
    ///         }
    ///     });
    /// });
    ///
    /// // The worker: polls, with a budget of 16 packets per peer.
    /// let mut worker = peers.worker().unwrap();
    /// let mut served = [0; 64];
    /// while let Ok(mut ready) = worker.try_next() {
    ///     let peer = ready.index();
    ///     for packet in ready.drain().take(16) {
    ///         assert_eq!(packet.peer, peer);
    ///         served[peer] += 1;
    ///         FREE.enqueue(packet); // back to the pool
    ///     }
    /// }
    /// assert_eq!((served[9], served[40]), (2, 1));
    /// assert_eq!(served.iter().sum::<usize>(), 3, "no other peer was scheduled");
    /// ```
    pub fn from_static(members: &'static [Member<N, B, L>]) -> Option<Self> {
        if !claim(members) {
            return None;
        }
        // SAFETY: we claimed every member above, and `'static` members stay in place for good.
        Some(unsafe { Self::with_claimed(NonNull::from(members), Storage::Static) })
    }

    /// A set over `members`, each made idle, or scheduled if it still has nodes.
    ///
    /// # Safety
    ///
    /// The caller claimed every member's consumer flag ([`claim`]) for the new set, and the
    /// members stay live and in place until its `Drop`, which `storage` describes.
    unsafe fn with_claimed(members: NonNull<[Member<N, B, L>]>, storage: Storage) -> Self {
        let set = ReadySet {
            ready: core::mem::ManuallyDrop::new(Queue::new()),
            members,
            storage,
        };
        for member in set.members() {
            // Relaxed: the member is ours alone (its flag's Acquire ordered the previous set's
            // uses of it before this), and no other thread can reach it through `set` yet.
            member.notify.store(HELD, Relaxed);
            // SAFETY: the set is the queue's single consumer (the caller claimed the flag).
            let idle = unsafe { member.queue.try_park() };
            if !idle {
                // Nodes left by an earlier set over these `'static` members: the member is on
                // no live list and held by no one, so this is its one entry.
                set.schedule(member);
            }
        }
        set
    }

    /// The members.
    #[inline(always)]
    fn members(&self) -> &[Member<N, B, L>] {
        // SAFETY: `members` is a live boxed slice owned by the set until its drop, or a
        // `'static` one, and nothing ever takes `&mut` to it.
        unsafe { self.members.as_ref() }
    }

    /// The number of member queues.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// Whether the set has no member queue at all.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members().is_empty()
    }

    /// Member `index`, for what any thread may ask of its queue (such as its
    /// [`len`](Queue::len) when bounded), or `None` if out of range.
    #[inline]
    #[must_use]
    pub fn member(&self, index: usize) -> Option<&Member<N, B, L>> {
        self.members().get(index)
    }

    /// Adds a node at the back of member `index`'s queue if there is room, or hands it back; on
    /// success, schedules the queue if it was idle.
    ///
    /// On unbounded members this always succeeds, so code can be generic over the capacity.
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when member `index` is bounded and full (see
    /// [`Queue::try_enqueue`]).
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    #[inline]
    pub fn try_enqueue(&self, index: usize, handle: N::Handle) -> Result<(), N::Handle> {
        let member = &self.members()[index];
        if member.queue.try_push_parked(handle)? {
            self.schedule(member);
        }
        Ok(())
    }

    /// Schedules member `index` if the worker left it with [`Ready::defer_until_notified`], and
    /// otherwise makes that call return at once the next time: call it when whatever the worker
    /// waits for has happened, such as the oldest packet of that queue becoming ready.
    ///
    /// Each `notify` schedules the queue at most once; calls while it is scheduled, idle or held
    /// cost one atomic swap and do nothing else.
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use intrusive_mpsc::{node, Link, ReadySet};
    ///
    /// struct Packet {
    ///     link: Link,
    ///     ready: Arc<AtomicBool>, // set by an encryption worker
    /// }
    /// node!(Packet, link, Box<Packet>);
    ///
    /// let peers = ReadySet::<Packet>::new(8);
    /// let mut worker = peers.worker().unwrap();
    /// let ready = Arc::new(AtomicBool::new(false));
    /// peers.enqueue(3, Box::new(Packet { link: Link::new(), ready: Arc::clone(&ready) }));
    ///
    /// let mut peer = worker.next().unwrap();
    /// assert!(!peer.peek().unwrap().ready.load(Ordering::Acquire));
    /// peer.defer_until_notified(); // the oldest packet is not ready: leave the queue
    /// assert!(worker.next().is_none(), "not rescheduled by itself");
    ///
    /// ready.store(true, Ordering::Release); // encryption finished
    /// peers.notify(3);
    /// let mut peer = worker.next().unwrap();
    /// assert!(peer.take_peeked().is_some() || peer.dequeue().is_some());
    /// ```
    pub fn notify(&self, index: usize) {
        let member = &self.members()[index];
        // AcqRel: Release publishes what the caller did before (the packet's ready state) to the
        // worker that next holds the queue, whose swap in `Worker::hold` acquires it, or that
        // `defer_until_notified` fails to defer (its compare-exchange acquires). Acquire pairs with
        // the deferring compare-exchange: the worker's last uses of the queue and of the member's
        // entry happen-before our re-linking of that entry into the ready list (loom finds the
        // entry listed twice without it).
        if member.notify.swap(NOTIFIED, AcqRel) == DEFERRED {
            // We replaced `DEFERRED`: we alone end the deferral.
            self.schedule(member);
        }
    }

    /// Puts `member` on the ready list. The caller has just ended its idle period (its swap
    /// replaced the mark) or held it as a [`Ready`] guard: either way nobody else can schedule it
    /// until it is marked idle again.
    #[inline]
    fn schedule(&self, member: &Member<N, B, L>) {
        // SAFETY: the one entry for this member: an idle or deferred member is on no list and
        // held by nobody, and the caller is the one thread that ended that.
        let entry = unsafe { Entry::new(member) };
        self.ready.enqueue(entry);
    }

    /// Becomes the set's worker, or returns `None` while another [`Worker`] exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, ReadySet};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let set = ReadySet::<Msg>::new(4);
    /// let worker = set.worker().unwrap();
    /// assert!(set.worker().is_none(), "one worker at a time");
    /// drop(worker);
    /// assert!(set.worker().is_some());
    /// ```
    #[inline]
    pub fn worker(&self) -> Option<Worker<'_, N, B, L>> {
        Some(Worker {
            set: self,
            ready: self.ready.consumer()?,
        })
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

impl<N: Node, B: Capacity, L: Layout> fmt::Debug for ReadySet<N, B, L> {
    /// Prints `ReadySet { len: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadySet")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The unique right to take queues off a [`ReadySet`]'s ready list; see [`ReadySet::worker`].
///
/// Each [`Ready`] guard it hands out is one queue that has nodes, for the caller to drain. Guards
/// for different queues may be held at once, and sent to other threads when the handles are
/// `Send`: each queue still has one consumer at a time. A worker that is leaked (`mem::forget`)
/// keeps the worker slot taken for good.
pub struct Worker<'s, N: Node, B: Capacity = Unbounded, L: Layout = Compact> {
    set: &'s ReadySet<N, B, L>,
    ready: Consumer<&'s ReadyList<N, B, L>>,
}

impl<'s, N: Node, B: Capacity, L: Layout> Worker<'s, N, B, L> {
    /// Takes the next queue that has nodes, without ever waiting.
    ///
    /// # Errors
    ///
    /// As [`Consumer::try_dequeue`] on the ready list: [`Empty`](TryDequeueError::Empty) when no
    /// queue is scheduled, [`Inconsistent`](TryDequeueError::Inconsistent) when a producer is in
    /// the middle of scheduling one.
    #[inline]
    pub fn try_next(&mut self) -> Result<Ready<'s, N, B, L>, TryDequeueError> {
        let entry = self.ready.try_dequeue()?;
        Ok(self.hold(entry))
    }

    /// The set this worker serves.
    #[inline]
    pub fn set(&self) -> &'s ReadySet<N, B, L> {
        self.set
    }

    /// Takes the next queue that has nodes, sleeping until one is scheduled.
    #[cfg(feature = "std")]
    pub fn next_blocking(&mut self) -> Ready<'s, N, B, L> {
        let entry = self.ready.dequeue_blocking();
        self.hold(entry)
    }

    /// Takes the next queue that has nodes, sleeping until one is scheduled or `timeout` has
    /// passed; `None` on timeout.
    #[cfg(feature = "std")]
    pub fn next_timeout(&mut self, timeout: core::time::Duration) -> Option<Ready<'s, N, B, L>> {
        let entry = self.ready.dequeue_timeout(timeout)?;
        Some(self.hold(entry))
    }

    /// Polls for the next queue that has nodes: `Ready` with it, or `Pending` with the task's
    /// waker registered to be woken when one is scheduled.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Ready<'s, N, B, L>> {
        self.ready.poll_dequeue(cx).map(|entry| self.hold(entry))
    }

    /// Waits asynchronously for the next queue that has nodes. Cancel-safe: dropping the future
    /// loses no scheduled queue.
    pub fn next_async(&mut self) -> impl Future<Output = Ready<'s, N, B, L>> + '_ {
        core::future::poll_fn(move |cx| self.poll_next(cx))
    }

    /// Turns an entry taken off the ready list into a guard on its queue.
    #[inline]
    fn hold(&self, entry: Entry<N, B, L>) -> Ready<'s, N, B, L> {
        // SAFETY: every entry on the ready list points to a member of `self.set` (see
        // `ReadySet::schedule`), which lives for `'s`.
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
impl<'s, N: Node, B: Capacity, L: Layout> Iterator for Worker<'s, N, B, L> {
    type Item = Ready<'s, N, B, L>;

    #[inline]
    fn next(&mut self) -> Option<Ready<'s, N, B, L>> {
        let entry = self.ready.dequeue()?;
        Some(self.hold(entry))
    }
}

impl<N: Node, B: Capacity, L: Layout> fmt::Debug for Worker<'_, N, B, L> {
    /// Prints `Worker { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker").finish_non_exhaustive()
    }
}

/// A queue of a [`ReadySet`] that has nodes, held by the worker: drain it with the consumer
/// methods below (the [`Consumer`]'s, for this queue), with a budget.
///
/// Dropping the guard re-arms the queue: if it still has nodes (the budget ran out, or a producer
/// is mid-enqueue) it goes to the back of the ready list; otherwise it is idle until the next
/// enqueue schedules it. A guard that is leaked (`mem::forget`) leaves its queue unscheduled for
/// good; nothing unsafe follows, but its nodes stay until the set is dropped.
pub struct Ready<'s, N: Node, B: Capacity = Unbounded, L: Layout = Compact> {
    set: &'s ReadySet<N, B, L>,
    member: &'s Member<N, B, L>,
    consumer: Consumer<&'s Queue<N, B, NoWait, L>>,
}

impl<'s, N: Node, B: Capacity, L: Layout> Ready<'s, N, B, L> {
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
    pub fn drain(&mut self) -> Drain<'_, &'s Queue<N, B, NoWait, L>> {
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
    /// instead, so none is lost.
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

impl<N: Node, B: Capacity, L: Layout> Drop for Ready<'_, N, B, L> {
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

impl<N: Node, B: Capacity, L: Layout> fmt::Debug for Ready<'_, N, B, L> {
    /// Prints `Ready { index: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("index", &self.index())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "alloc", not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::node;

    struct Msg {
        link: Link,
    }
    node!(Msg, link, alloc::boxed::Box<Msg>);

    #[test]
    fn the_set_holds_every_members_consumer_slot() {
        // A second consumer of a member (through `Queue::consumer`) would race the worker's
        // guards; the set takes every member's slot for good.
        let set = ReadySet::<Msg>::new(3);
        set.enqueue(1, alloc::boxed::Box::new(Msg { link: Link::new() }));
        let mut worker = set.worker().unwrap();
        let ready = worker.next().unwrap();
        for member in set.members() {
            assert!(member.queue.consumer().is_none());
        }
        drop(ready);
        for member in set.members() {
            assert!(member.queue.consumer().is_none());
        }
    }
}
