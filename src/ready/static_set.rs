//! [`StaticReadySet`]: a fixed set whose members live inside it, built in `const`, so that it can
//! be a `static` that interrupt handlers reach directly.

use super::*;

/// A [`ReadySet`] whose `M` members live inside it, built by a `const fn`: declare it `static`
/// and producers (interrupt handlers, other cores, other threads) enqueue into it directly, with
/// no once-cell, no claim at start-up and no allocator.
///
/// It is the same set as a [`ReadySet`] in every other respect (the same protocol, [`Worker`],
/// [`Ready`] guards, budgets, [`notify`](StaticReadySet::notify) and deferral,
/// [`close`](StaticReadySet::close) and [`wake`](StaticReadySet::wake)): only where the
/// members live differs. The methods that put pointers into the set (enqueueing, `notify`,
/// [`worker`](StaticReadySet::worker)) take `&'static self`: a set borrowed for `'static` can
/// never move again, so the pointers its ready list holds into it stay valid. A `static` gives
/// that borrow for free; a set built at run time can be leaked (`Box::leak`, or a
/// `static_cell`).
///
/// Every member starts idle, so the first enqueue into each schedules it, as in any ready set.
/// The members' queues are the set's alone from the start: no [`ReadySet::from_static`] and no
/// [`Queue::consumer`] can take them.
///
/// # Examples
///
/// A `static` set of 8 peers, a `static` pool of packets, producers on threads standing in for
/// interrupt handlers, and a polling worker. Nothing allocates: the crate may be built with
/// `default-features = false` (only the threads are `std`'s).
///
/// ```
/// use intrusive_mpsc::{node, Link, Next, Queue, StaticReadySet};
///
/// struct Packet {
///     link: Link,
///     peer: usize,
/// }
/// node!(Packet, link, &'static mut Packet);
///
/// static PEERS: StaticReadySet<Packet, 8> = StaticReadySet::new();
/// // Free packets, from a static pool (see `Handle` for how to hand one out once).
/// static FREE: Queue<Packet> = Queue::new();
/// # static mut POOL: [Packet; 4] = [const { Packet { link: Link::new(), peer: 0 } }; 4];
/// # // SAFETY: the only reference to `POOL` ever made.
/// # for packet in unsafe { &mut *core::ptr::addr_of_mut!(POOL) } { FREE.enqueue(packet); }
///
/// // An interrupt handler, say: two packets for peer 5, one for peer 2.
/// std::thread::spawn(|| {
///     let mut free = FREE.consumer().unwrap();
///     for peer in [5, 2, 5] {
///         let packet = free.dequeue().unwrap();
///         packet.peer = peer;
///         PEERS.enqueue(peer, packet);
///     }
/// })
/// .join()
/// .unwrap();
///
/// // The worker: claimed once, polls with a budget of 16 packets per peer.
/// let mut worker = PEERS.worker().expect("one worker at a time");
/// let mut served = [0; 8];
/// while let Some(Next::Ready(mut ready)) = worker.try_next() {
///     let peer = ready.index();
///     for packet in ready.drain().take(16) {
///         assert_eq!(packet.peer, peer);
///         served[peer] += 1;
///         FREE.enqueue(packet); // back to the pool
///     }
/// }
/// assert_eq!(served, [0, 0, 1, 0, 0, 2, 0, 0], "peer 5 first, then peer 2; no other");
/// ```
///
/// Methods that would point into a set that may still move do not compile:
///
/// ```compile_fail
/// use intrusive_mpsc::{node, Link, StaticReadySet};
///
/// struct Packet {
///     link: Link,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// let local = StaticReadySet::<Packet, 4>::new();
/// local.enqueue(0, Box::new(Packet { link: Link::new() })); // needs `&'static self`
/// ```
#[cfg_attr(not(feature = "alloc"), doc = "[`ReadySet`]: crate::ReadySet")]
pub struct StaticReadySet<N: Node, const M: usize, B: Capacity = Unbounded, L: Layout = Compact> {
    /// The entries of the members that have nodes and are not held.
    ready: ReadyList<N, B, L>,
    /// The closed flag and the pending wakes.
    signals: Signals,
    /// The members, each claimed and parked from the start (`Member::idle`).
    members: [Member<N, B, L>; M],
}

/// `M` members, each made by `$member` (an expression evaluated once per member), in a `const`
/// context: no closure and no `array::from_fn` there, so a loop over uninitialized slots.
macro_rules! idle_members {
    ($member:expr) => {{
        let mut slots: [core::mem::MaybeUninit<Member<N, B, L>>; M] =
            [const { core::mem::MaybeUninit::uninit() }; M];
        let mut i = 0;
        while i < M {
            slots[i] = core::mem::MaybeUninit::new($member);
            i += 1;
        }
        let slots = core::ptr::addr_of!(slots).cast::<[Member<N, B, L>; M]>();
        // SAFETY: every slot was written by the loop above, and `[MaybeUninit<T>; M]` has the
        // layout of `[T; M]`. The slots' array is not dropped afterwards as `T`s (`MaybeUninit`
        // has no drop glue), so each member is owned once, by the array we return.
        unsafe { core::ptr::read(slots) }
    }};
}

impl<N: Node, const M: usize, L: Layout> StaticReadySet<N, M, Unbounded, L> {
    const_fn! {
        /// Creates a set of `M` empty, unbounded, idle members. It does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`), so
        /// the set can be a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, Link, StaticReadySet};
        ///
        /// struct Event {
        ///     link: Link,
        /// }
        /// node!(Event, link, &'static mut Event);
        ///
        /// static MAILBOXES: StaticReadySet<Event, 16> = StaticReadySet::new();
        /// assert_eq!(MAILBOXES.len(), 16);
        /// ```
        #[must_use]
        pub fn new() -> StaticReadySet<N, M, Unbounded, L> {
            type B = Unbounded;
            StaticReadySet {
                ready: Queue::new(),
                signals: Signals::new(),
                members: idle_members!(Member::idle(Queue::new_claimed_parked())),
            }
        }
    }

    /// Adds a node at the back of member `index`'s queue, and schedules that queue if it was
    /// idle; see [`ReadySet::enqueue`]. Wait-free, like [`Queue::enqueue`].
    /// It accepts nodes after [`close`](StaticReadySet::close) too, as [`ReadySet::enqueue`]
    /// does.
    ///
    /// # Panics
    ///
    /// If `index >= M`.
    #[inline]
    pub fn enqueue(&'static self, index: usize, handle: N::Handle) {
        let member = &self.members[index];
        if member.queue.push(handle) {
            // Our swap read the park mark: we alone end this idle period.
            self.schedule(member);
        }
    }
}

impl<N: Node, const M: usize, L: Layout> Default for StaticReadySet<N, M, Unbounded, L> {
    /// Same as [`StaticReadySet::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node, const M: usize, L: Layout> StaticReadySet<N, M, Bounded, L> {
    const_fn! {
        /// Creates a set of `M` empty, idle members, each holding at most `capacity` nodes. It
        /// does not allocate.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`), so
        /// the set can be a `static`.
        ///
        /// # Panics
        ///
        /// If `capacity` is 0 or greater than `isize::MAX`, as [`Queue::with_capacity`]; in a
        /// `const` context this is a compile error.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, Bounded, Link, StaticReadySet};
        ///
        /// struct Packet {
        ///     link: Link,
        /// }
        /// node!(Packet, link, &'static mut Packet);
        ///
        /// // Eight peers, each with a queue of at most 64 packets.
        /// static PEERS: StaticReadySet<Packet, 8, Bounded> = StaticReadySet::with_capacity(64);
        /// assert_eq!(PEERS.member(7).map(|peer| peer.capacity()), Some(64));
        /// ```
        #[must_use]
        pub fn with_capacity(capacity: usize) -> StaticReadySet<N, M, Bounded, L> {
            type B = Bounded;
            StaticReadySet {
                ready: Queue::new(),
                signals: Signals::new(),
                members: idle_members!(Member::idle(Queue::with_capacity_claimed_parked(capacity))),
            }
        }
    }
}

impl<N: Node, const M: usize, B: Capacity, L: Layout> StaticReadySet<N, M, B, L> {
    /// The number of member queues, `M`.
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        M
    }

    /// Whether the set has no member queue at all (`M` is 0).
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        M == 0
    }

    /// Member `index`, for what any thread may ask of its queue (such as its
    /// [`len`](Member::len) when bounded), or `None` if out of range.
    #[inline]
    #[must_use]
    pub fn member(&self, index: usize) -> Option<&Member<N, B, L>> {
        self.members.get(index)
    }

    /// Adds a node at the back of member `index`'s queue if the set is open and the member has
    /// room, or hands it back; on success, schedules the queue if it was idle. See
    /// [`ReadySet::try_enqueue`].
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when the set is [closed](StaticReadySet::close), or when
    /// member `index` is bounded and full.
    ///
    /// # Panics
    ///
    /// If `index >= M`.
    #[inline]
    pub fn try_enqueue(&'static self, index: usize, handle: N::Handle) -> Result<(), N::Handle> {
        self.try_enqueue_at(index, handle)
    }

    /// Schedules member `index` if the worker left it with [`Ready::defer_until_notified`]; see
    /// [`ReadySet::notify`], whose rules this follows exactly.
    ///
    /// # Panics
    ///
    /// If `index >= M`.
    pub fn notify(&'static self, index: usize) {
        self.notify_at(index);
    }

    /// Closes the set: the worker takes what is still scheduled, then gets [`Next::Closed`],
    /// and [`try_enqueue`](StaticReadySet::try_enqueue) is refused from now on; see
    /// [`ReadySet::close`], whose rules this follows exactly. Nodes that no worker takes stay
    /// in their members' queues, inside the set (a `static` is never dropped).
    ///
    /// It takes `&self`: it puts no pointer into the set. It never waits, so an interrupt
    /// handler may call it.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Next, StaticReadySet};
    ///
    /// struct Event {
    ///     link: Link,
    /// }
    /// node!(Event, link, &'static mut Event);
    ///
    /// static EVENTS: StaticReadySet<Event, 4> = StaticReadySet::new();
    /// let mut worker = EVENTS.worker().unwrap();
    /// std::thread::spawn(|| EVENTS.close()).join().unwrap();
    /// assert!(matches!(worker.next_blocking(), Next::Closed));
    /// let event = Box::leak(Box::new(Event { link: Link::new() }));
    /// assert!(EVENTS.try_enqueue(0, event).is_err(), "refused: the event comes back");
    /// ```
    pub fn close(&self) {
        self.close_set();
    }

    /// Whether [`close`](StaticReadySet::close) was called.
    #[inline]
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.signals().is_closed()
    }

    /// Wakes the worker once with [`Next::Woken`], for events of your own; see
    /// [`ReadySet::wake`], whose rules this follows exactly. It takes `&self` and never waits,
    /// as [`close`](StaticReadySet::close).
    pub fn wake(&self) {
        self.wake_set();
    }

    /// Becomes the set's worker, or returns `None` while another [`Worker`] exists. Dropping
    /// the worker gives the right back: a later call claims it again, and finds every member
    /// scheduled meanwhile. Its type has a short name, [`StaticWorker<N, M, B, L>`](StaticWorker),
    /// for a field that keeps it.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, StaticReadySet};
    ///
    /// struct Event {
    ///     link: Link,
    /// }
    /// node!(Event, link, &'static mut Event);
    ///
    /// static SET: StaticReadySet<Event, 4> = StaticReadySet::new();
    /// let worker = SET.worker().unwrap();
    /// assert!(SET.worker().is_none(), "one worker at a time");
    /// drop(worker);
    /// assert!(SET.worker().is_some());
    /// ```
    #[inline]
    pub fn worker(&'static self) -> Option<Worker<'static, N, B, L, Self>> {
        Worker::claim(self)
    }
}

/// The worker of a [`StaticReadySet`], as [`StaticReadySet::worker`] returns it: a name for a
/// field or a function's signature, where the [`Worker`] type would otherwise be spelled with the
/// set's own type as its last parameter.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, Next, StaticReadySet, StaticWorker};
///
/// struct Event {
///     link: Link,
///     code: u8,
/// }
/// node!(Event, link, &'static mut Event);
///
/// static EVENTS: StaticReadySet<Event, 2> = StaticReadySet::new();
///
/// /// The main loop's state: the worker, kept between turns.
/// struct MainLoop {
///     worker: StaticWorker<Event, 2>,
/// }
///
/// impl MainLoop {
///     fn turn(&mut self) -> Vec<u8> {
///         let mut codes = Vec::new();
///         while let Some(Next::Ready(mut ready)) = self.worker.try_next() {
///             codes.extend(ready.drain().map(|event| event.code));
///         }
///         codes
///     }
/// }
///
/// let mut main_loop = MainLoop { worker: EVENTS.worker().unwrap() };
/// let event = Box::leak(Box::new(Event { link: Link::new(), code: 7 }));
/// EVENTS.enqueue(1, event);
/// assert_eq!(main_loop.turn(), [7]);
/// assert!(main_loop.turn().is_empty());
/// ```
pub type StaticWorker<N, const M: usize, B = Unbounded, L = Compact> =
    Worker<'static, N, B, L, StaticReadySet<N, M, B, L>>;

/// A member of a [`StaticReadySet`] held by its worker, as [`StaticWorker::try_next`] returns
/// it in [`Next::Ready`] (see [`Ready`]).
pub type StaticReady<N, const M: usize, B = Unbounded, L = Compact> =
    Ready<'static, N, B, L, StaticReadySet<N, M, B, L>>;

// SAFETY: every member's consumer flag is taken by its construction (`Member::idle` over a queue
// made claimed), so no `Consumer` and no other set can take it, ever; the members live inside
// the set, and the only code that puts pointers to them anywhere (enqueue, `notify`, `worker`,
// and the `Worker`/`Ready` made by `worker`) needs `&'static self`: the set is then borrowed for
// good, so never moved or dropped again; only this set's code schedules them, on its own ready
// list.
unsafe impl<N: Node, const M: usize, B: Capacity, L: Layout> sealed::Sealed<N, B, L>
    for StaticReadySet<N, M, B, L>
{
    #[inline(always)]
    fn ready(&self) -> &ReadyList<N, B, L> {
        &self.ready
    }

    #[inline(always)]
    fn members(&self) -> &[Member<N, B, L>] {
        &self.members
    }

    #[inline(always)]
    fn signals(&self) -> &Signals {
        &self.signals
    }
}

impl<N: Node, const M: usize, B: Capacity, L: Layout> FixedSet<N, B, L>
    for StaticReadySet<N, M, B, L>
{
}

impl<N: Node, const M: usize, B: Capacity, L: Layout> fmt::Debug for StaticReadySet<N, M, B, L> {
    /// Prints `StaticReadySet { len: .., closed: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticReadySet")
            .field("len", &M)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
