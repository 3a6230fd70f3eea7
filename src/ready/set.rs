//! [`ReadySet`]: the members, the ready list, and scheduling: how a queue gets on the list.

use super::*;

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
/// **Which ready set?** One design, three shapes, all scheduling a member the same way (the
/// enqueue that ends its idle period lists it; the guard's drop re-lists or idles it), and all
/// with one worker language: `try_next`, `next_blocking` and `next_async` return a [`Next`]
/// (a held member, [`Woken`](Next::Woken) for each `wake`, or [`Closed`](Next::Closed) after
/// `close` once nothing is scheduled), so a worker's loop reads the same for every set:
///
/// - [`DynamicSet`] (feature `alloc`): the general form. Members added and closed at run time,
///   each with a state of yours, reached through handles rather than indices, served by any
///   number of owned workers. For actors, or peers that come and go.
/// - `ReadySet`: its fixed special case. A fixed number of members, by index, one borrowed
///   [`Worker`]; nothing allocates after it is made. For a known set of peers or mailboxes
///   served by one thread or task.
/// - [`StaticReadySet`]: the same fixed set, built in `const` with its members inside, for a
///   `static` that interrupt handlers reach (no allocator at all).
///
/// All three have [`close`](ReadySet::close), `is_closed` and [`wake`](ReadySet::wake), with the
/// same meaning; members have no `close` of their own in a fixed set (they are the set's for
/// good).
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
/// The ready list is a [`WaitQueue`](crate::WaitQueue) of entries, one [`Link`](crate::Link)
/// inside each member, so the worker blocks, times out or awaits with the same no-lost-wake-up
/// protocol as any sleeping consumer.
///
/// # Without an allocator
///
/// With `default-features = false` the crate needs neither `std` nor `alloc`, and neither does
/// a ready set. The simplest is a [`StaticReadySet`]: the same set with its members inside it,
/// built by a `const fn`, so it is a `static` that producers reach directly, with no once-cell
/// and no claim at start-up. A `ReadySet` over `static` members is the other way, for members
/// that several sets take in turn: declare them with the `const` [`Member::new`] or
/// [`Member::with_capacity`], and let [`from_static`](ReadySet::from_static) claim them at
/// run time; that set is then kept where producers and the worker reach it (a `static` cell, a
/// shared resource of your framework, or a local that scoped threads borrow). Producers may run in interrupt handlers (an enqueue never waits);
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
#[cfg_attr(feature = "alloc", doc = "[`DynamicSet`]: crate::DynamicSet")]
#[cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet`]: crate#features")]
#[cfg_attr(not(feature = "alloc"), doc = "[ReadySet::new]: crate#features")]
#[cfg_attr(
    not(feature = "alloc"),
    doc = "[ReadySet::with_capacity]: crate#features"
)]
pub struct ReadySet<N: Node, B: Capacity = Unbounded, L: Layout = Compact> {
    /// The entries of the members with nodes that no [`Ready`] guard holds. Dropped by hand,
    /// before the members are freed or released: dropping it walks their entries.
    ready: core::mem::ManuallyDrop<ReadyList<N, B, L>>,
    /// The closed flag and the pending wakes.
    signals: Signals,
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
    /// It cannot hand a node back, so it accepts nodes after [`close`](ReadySet::close) too
    /// (use [`try_enqueue`](ReadySet::try_enqueue) to be refused): see `close` for where they go.
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    #[inline]
    pub fn enqueue(&self, index: usize, handle: N::Handle) {
        let member = &self.members()[index];
        if member.queue.push(handle) {
            // Our swap read the park mark: we alone end this idle period.
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
    /// use intrusive_mpsc::{node, Link, Member, Next, Queue, ReadySet};
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
    /// while let Some(Next::Ready(mut ready)) = worker.try_next() {
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
            signals: Signals::new(),
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

    /// Adds a node at the back of member `index`'s queue if the set is open and the member has
    /// room, or hands it back; on success, schedules the queue if it was idle.
    ///
    /// On unbounded members of an open set this always succeeds, so code can be generic over
    /// the capacity.
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when the set is [closed](ReadySet::close), or when member
    /// `index` is bounded and full (see [`Queue::try_enqueue`]). One that races with the close
    /// may be accepted; see `close` for where that node goes.
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    #[inline]
    pub fn try_enqueue(&self, index: usize, handle: N::Handle) -> Result<(), N::Handle> {
        self.try_enqueue_at(index, handle)
    }

    /// Schedules member `index` if the worker left it with [`Ready::defer_until_notified`]: call
    /// it when whatever the worker waits for has happened, such as the oldest packet of that
    /// queue becoming ready.
    ///
    /// What a `notify` does depends on where the member is when it comes:
    ///
    /// - **deferred**: the member goes back on the ready list (each deferral is ended by one
    ///   `notify`, the first);
    /// - **held** by a [`Ready`] guard: the notification is kept for that guard, whose
    ///   [`defer_until_notified`](Ready::defer_until_notified) then puts the member straight back
    ///   on the ready list instead of deferring it, so a notify that races the deferral is not
    ///   lost;
    /// - **scheduled or idle**: nothing is kept. The next guard that holds the member forgets the
    ///   notification when it is made, and a later `defer_until_notified` waits for a new
    ///   `notify`. Nothing is lost by that either: that guard looks at the queue after the
    ///   notify, and sees everything the notifier published before calling it (the oldest
    ///   packet's ready state, for instance), so it only defers on a node that is still not
    ///   ready.
    ///
    /// Each call costs one atomic swap, plus one enqueue into the ready list when it ends a
    /// deferral.
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
        self.notify_at(index);
    }

    /// Closes the set: the worker takes what is still scheduled, then gets [`Next::Closed`]
    /// from [`try_next`](Worker::try_next), `next_blocking`, `next_timeout_blocking` and
    /// [`next_async`](Worker::next_async) (a worker sleeping in one of them wakes up for it).
    /// Pending [`wake`](ReadySet::wake)s still come first, as [`Next::Woken`]. Closing twice
    /// does nothing more; a set is never opened again. The same close as
    /// [`DynamicSet::close`], for a set whose members are fixed.
    ///
    /// Where the nodes go:
    ///
    /// - **queued before the close**: a scheduled member is handed out before `Closed`. A
    ///   member held by a [`Ready`] guard goes back on the list when the guard is dropped with
    ///   nodes left, as always: dropped before the worker asks again, it is handed out before
    ///   `Closed` too (a worker that keeps a guard while it asks may get `Closed` first, and
    ///   then finds the member listed if it asks once more). A member left
    ///   [deferred](Ready::defer_until_notified) is not scheduled, so the close does not wait for
    ///   it: its nodes stay queued, and a later [`notify`](ReadySet::notify) schedules it (still
    ///   allowed) for a worker that asks again.
    /// - **[`try_enqueue`](ReadySet::try_enqueue) after the close** is refused: it hands the
    ///   node back (`Err(handle)`), as for a full member.
    /// - **[`enqueue`](ReadySet::enqueue) after the close** (unbounded members) cannot hand a
    ///   node back, so it still accepts it: the node is queued and its member scheduled as
    ///   usual, and a worker that asks again after `Closed` gets it (`Closed` says "closed, and
    ///   nothing scheduled now"). So does a `try_enqueue` that races with the close and is
    ///   accepted after the worker's last look.
    ///
    /// Nodes that no worker takes stay in their members' queues: dropping the set drops them
    /// (members it allocated), or gives them back with its `'static` members (see
    /// [`from_static`](ReadySet::from_static)). Nothing is dropped by the close itself.
    ///
    /// Like an enqueue that wakes the worker, it never waits: an interrupt handler may call it.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Next, ReadySet};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let set = ReadySet::<Msg>::new(4);
    /// std::thread::scope(|s| {
    ///     let worker = s.spawn(|| {
    ///         let mut worker = set.worker().unwrap();
    ///         let mut handled = 0;
    ///         loop {
    ///             match worker.next_blocking() {
    ///                 Next::Ready(mut member) => handled += member.drain().count(),
    ///                 Next::Woken => {}
    ///                 Next::Closed => return handled,
    ///             }
    ///         }
    ///     });
    ///     set.enqueue(1, Box::new(Msg { link: Link::new() }));
    ///     set.close(); // the worker takes the node, then stops
    ///     let back = set.try_enqueue(2, Box::new(Msg { link: Link::new() }));
    ///     assert!(back.is_err(), "refused after the close: the node comes back");
    ///     assert_eq!(worker.join().unwrap(), 1);
    /// });
    /// assert!(set.is_closed());
    /// ```
    ///
    #[cfg_attr(
        feature = "alloc",
        doc = "[`DynamicSet::close`]: crate::DynamicSet::close"
    )]
    #[cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet::close`]: crate#features")]
    pub fn close(&self) {
        self.close_set();
    }

    /// Whether [`close`](ReadySet::close) was called.
    #[inline]
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.signals().is_closed()
    }

    /// Wakes the worker once with [`Next::Woken`], for events of your own (a timer, a shutdown
    /// request): the wait it sleeps in returns `Woken` now, or, if it is not waiting, its next
    /// `try_next` or `next_*` does. Each call is one `Woken` (wakes are counted), returned
    /// before any scheduled member; no member is scheduled for it. The worker's [`Iterator`]
    /// never takes a wake: it stays pending for those methods. The same wake as
    /// [`DynamicSet::wake`], for the set's one worker.
    ///
    /// Like an enqueue that wakes the worker, it never waits: an interrupt handler may call it.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Next, ReadySet};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let set = ReadySet::<Msg>::new(4);
    /// let mut worker = set.worker().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| set.wake()); // a timer, say
    ///     // Sleeps until the wake, with no member scheduled.
    ///     assert!(matches!(worker.next_blocking(), Next::Woken));
    /// });
    /// assert!(worker.try_next().is_none(), "one `Woken` per wake");
    /// ```
    ///
    #[cfg_attr(
        feature = "alloc",
        doc = "[`DynamicSet::wake`]: crate::DynamicSet::wake"
    )]
    #[cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet::wake`]: crate#features")]
    pub fn wake(&self) {
        self.wake_set();
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
        Worker::claim(self)
    }
}

// SAFETY: every member's consumer flag is the set's from `with_claimed` to `Drop`; the members
// live in the set's allocation (freed in `Drop`, after the ready list) or are `'static`, and are
// never moved; only this set's code schedules them, on its own ready list; and a `Worker` or
// `Ready` borrows the set, which can then be neither moved nor dropped.
unsafe impl<N: Node, B: Capacity, L: Layout> sealed::Sealed<N, B, L> for ReadySet<N, B, L> {
    #[inline(always)]
    fn ready(&self) -> &ReadyList<N, B, L> {
        &self.ready
    }

    #[inline(always)]
    fn members(&self) -> &[Member<N, B, L>] {
        // SAFETY: `members` is a live boxed slice owned by the set until its drop, or a
        // `'static` one, and nothing ever takes `&mut` to it.
        unsafe { self.members.as_ref() }
    }

    #[inline(always)]
    fn signals(&self) -> &Signals {
        &self.signals
    }
}

impl<N: Node, B: Capacity, L: Layout> FixedSet<N, B, L> for ReadySet<N, B, L> {}

impl<N: Node, B: Capacity, L: Layout> fmt::Debug for ReadySet<N, B, L> {
    /// Prints `ReadySet { len: .., closed: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadySet")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "alloc", not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use crate::{node, Link};

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
