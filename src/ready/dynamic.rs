//! [`DynamicSet`]: a ready set whose members come and go while producers and workers run, served
//! by any number of owned workers. The protocol is documented on [`DynamicSet`].

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::task::{Context, Poll};

use crate::policy::waiters::{Key, Waiters};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Backoff, UnsafeCell};
use crate::{
    Bounded, Capacity, Compact, Consumer, Drain, Link, NoWait, Node, Queue, TryDequeueError,
    Unbounded,
};

/// A member's queue: it never sleeps (the set's workers do).
type MemberQueue<N, B> = Queue<N, B, NoWait, Compact>;

/// The set's ready list: an entry per member that has nodes and no worker.
type ReadyList<N, S, B> = Queue<Slot<N, S, B>, Unbounded, NoWait, Compact>;

/// Members added to dynamic sets, each its own allocation, shared by its [`MemberHandle`]s, by its
/// entry while it is on the ready list and by the [`HeldMember`] guard while a worker holds it.
/// The last of those frees it, with the nodes still queued and its state.
#[repr(C)]
struct Cell<N: Node, S, B: Capacity> {
    /// The member's place in the ready list. First, so that the slot's address is the cell's.
    /// Only the ready list touches it, through the member's one [`Entry`].
    slot: Slot<N, S, B>,
    /// Set by [`MemberHandle::close`] or [`HeldMember::close`]: sends are refused from then on.
    closed: AtomicBool,
    /// The member's queue. Idle (nothing queued, nobody holding it, not scheduled) exactly when
    /// its `head` holds the park mark, as for the members of a [`ReadySet`](crate::ReadySet).
    queue: MemberQueue<N, B>,
    /// The user's state, for the worker that holds the member.
    state: UnsafeCell<S>,
}

// SAFETY: the cell is shared between the producers (which touch only `closed` and enqueue into
// the queue, both thread-safe for `Send` handles) and the one worker that holds it at a time
// (which alone touches `state` and consumes the queue, each holder happening-before the next: see
// `SetWorker::hold`). So sharing it moves `S` between threads, one at a time, as a `Mutex<S>`
// does, which needs `S: Send` alone; and the handles move between threads, which needs
// `N::Handle: Send`.
unsafe impl<N: Node, S: Send, B: Capacity> Sync for Cell<N, S, B> where N::Handle: Send {}

// SAFETY: sending the cell (its last `Arc` dropped on another thread) drops `S` and the queued
// handles there: `S: Send` and `N::Handle: Send` allow it. The slot's link is atomics.
unsafe impl<N: Node, S: Send, B: Capacity> Send for Cell<N, S, B> where N::Handle: Send {}

/// A member's place on the ready list: the list's node type, a [`Link`] and nothing else.
#[repr(transparent)]
pub struct Slot<N: Node, S, B: Capacity> {
    link: Link,
    /// The cell type the slot belongs to; it holds no cell.
    _cell: PhantomData<CellType<N, S, B>>,
}

/// Names a cell type without holding one (and without its auto traits).
type CellType<N, S, B> = fn() -> Cell<N, S, B>;

// SAFETY: `LINK_OFFSET` is the offset of `link`, a `Link` field of the slot itself (zero: `Slot` is
// `repr(transparent)` over it), used by the set's ready list alone.
unsafe impl<N: Node, S, B: Capacity> Node for Slot<N, S, B> {
    type Handle = Entry<N, S, B>;

    const LINK_OFFSET: usize = core::mem::offset_of!(Self, link);
}

/// A member on the ready list: owns one count of the member's `Arc`, and is the one owner of
/// its slot.
pub struct Entry<N: Node, S, B: Capacity>(NonNull<Slot<N, S, B>>);

impl<N: Node, S, B: Capacity> Entry<N, S, B> {
    /// The one entry of `cell`, owning the count `cell` held.
    ///
    /// The caller ended the member's idle period (its swap replaced the park mark) or gives up
    /// holding it: either way no other entry of the member exists, and none is made until this
    /// one is gone.
    #[inline(always)]
    fn new(cell: Arc<Cell<N, S, B>>) -> Self {
        let cell = Arc::into_raw(cell).cast_mut();
        // SAFETY: `Arc::into_raw` never returns null.
        let cell = unsafe { NonNull::new_unchecked(cell) };
        // The slot is the cell's first field (`repr(C)`): same address, the whole cell's
        // provenance, which `into_cell` needs.
        Entry(cell.cast())
    }

    /// Gives the count back as an `Arc`.
    #[inline(always)]
    fn into_cell(self) -> Arc<Cell<N, S, B>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the pointer came from `Arc::into_raw` in `new`, and this entry owned that count,
        // which `ManuallyDrop` keeps our `Drop` from giving back a second time.
        unsafe { Arc::from_raw(this.0.cast::<Cell<N, S, B>>().as_ptr()) }
    }
}

impl<N: Node, S, B: Capacity> Drop for Entry<N, S, B> {
    /// An entry dropped by the ready list's own drop (the set is gone): gives its count back,
    /// which frees the member if nobody else has it.
    fn drop(&mut self) {
        // SAFETY: as in `into_cell`: the entry owns one count, given back once, here.
        drop(unsafe { Arc::from_raw(self.0.cast::<Cell<N, S, B>>().as_ptr()) });
    }
}

// SAFETY: an entry is an `Arc<Cell>` in disguise: sendable when that `Arc` is, that is when the
// cell is `Send` and `Sync`.
unsafe impl<N: Node, S, B: Capacity> Send for Entry<N, S, B> where Cell<N, S, B>: Send + Sync {}

// SAFETY: the handle contract, for the slot an entry points to:
// - nothing but the entry reaches the slot while the entry exists: the slot is a private field
//   that no code names after the cell is made, and at most one entry per member exists (made by
//   the one producer whose swap ended the member's idle period, or by the worker giving up the
//   member it held, see `Entry::new`);
// - from `into_raw` to `from_raw` the slot stays valid and in place: the entry owns a count of
//   the cell's `Arc` all along. The queue writes to it only through the `Link`'s atomics;
// - `from_raw` rebuilds the entry from the same pointer;
// - borrowing a slot (a `Link`) or dropping an entry (an `Arc` count) is fine on any thread.
unsafe impl<N: Node, S, B: Capacity> crate::Handle for Entry<N, S, B> {
    type Target = Slot<N, S, B>;

    #[inline(always)]
    fn into_raw(self) -> NonNull<Slot<N, S, B>> {
        ManuallyDrop::new(self).0
    }

    #[inline(always)]
    unsafe fn from_raw(ptr: NonNull<Slot<N, S, B>>) -> Self {
        Entry(ptr)
    }
}

/// What the set's handles share: the ready list, its hand-off between workers, the set's
/// closed flag, user wakes, and the sleeping workers.
struct Shared<N: Node, S, B: Capacity> {
    /// The entries of the members that have nodes and no worker.
    ready: ReadyList<N, S, B>,
    /// Held by the worker taking an entry off the ready list: the list has one consumer at a
    /// time, and each pop happens-before the next.
    popping: AtomicBool,
    /// Set by [`DynamicSet::close`].
    closed: AtomicBool,
    /// [`DynamicSet::wake`]s not yet taken by a worker.
    wakes: AtomicUsize,
    /// Workers sleeping until a member is scheduled, a wake, or the close.
    sleepers: Waiters,
}

/// What a worker found.
enum Found<N: Node, S, B: Capacity> {
    /// A member, off the ready list.
    Entry(Entry<N, S, B>),
    /// A user's wake.
    Woken,
    /// The set is closed and nothing is left on the ready list.
    Closed,
}

/// What one pop of the ready list got.
enum Pop<N: Node, S, B: Capacity> {
    /// An entry; `more` if the list did not look empty after it.
    Entry(Entry<N, S, B>, bool),
    /// Nothing is scheduled.
    Empty,
    /// A producer is in the middle of scheduling a member: it notifies a sleeper once done.
    Pending,
}

impl<N: Node, S, B: Capacity> Shared<N, S, B> {
    /// Puts the member on the ready list and makes sure a sleeping worker, if any, will look.
    /// The caller ended the member's idle period or held it: nobody else can schedule it until
    /// it is idle again.
    #[inline]
    fn schedule(&self, cell: Arc<Cell<N, S, B>>) {
        self.ready.enqueue(Entry::new(cell));
        // One more notified sleeper (a thread; and every waiting task): it wakes, takes an
        // entry and, seeing more, wakes the next (`SetWorker::find`). The fence inside pairs
        // with the one in `Waiters::listen`.
        self.sleepers.notify(1);
    }

    /// Takes the oldest entry off the ready list, waiting for another worker's pop (a few
    /// instructions) if one is under way.
    fn pop(&self) -> Pop<N, S, B> {
        let backoff = Backoff::default();
        // Acquire: pairs with the Release that ends the previous pop, so its consumer-side view
        // of the ready list (its `tail`) is ours now. Relaxed on failure: we touch nothing.
        while self
            .popping
            .compare_exchange(false, true, Acquire, Relaxed)
            .is_err()
        {
            backoff.snooze();
        }
        // SAFETY: we hold `popping`: no other consumer of the ready list is used until we clear
        // it, and the previous one happened-before us (the Acquire above).
        let mut consumer = unsafe { self.ready.consumer_unchecked() };
        let popped = match consumer.try_dequeue() {
            Ok(entry) => Pop::Entry(entry, !consumer.is_empty()),
            Err(TryDequeueError::Empty) => Pop::Empty,
            Err(TryDequeueError::Inconsistent) => Pop::Pending,
        };
        drop(consumer);
        // Release: pairs with the next pop's Acquire (see above).
        self.popping.store(false, Release);
        popped
    }

    /// Takes one pending wake, if any.
    fn take_wake(&self) -> bool {
        // Relaxed: a stale 0 is a wake whose notification is still on its way to the sleepers.
        let mut wakes = self.wakes.load(Relaxed);
        while wakes != 0 {
            // Acquire: pairs with `wake`'s Release, so what the waker did before is visible to
            // the worker that takes its wake.
            match self
                .wakes
                .compare_exchange(wakes, wakes - 1, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => wakes = now,
            }
        }
        false
    }

    /// Whether the set is closed.
    #[inline]
    fn is_closed(&self) -> bool {
        // Relaxed: a send that happens-after `close` reads the store or a later value
        // (coherence), and nothing else is read on the strength of this load. (Workers read the
        // flag with Acquire, in `SetWorker::find`.)
        self.closed.load(Relaxed)
    }
}

/// A ready set whose members are added and removed at any time, served by any number of owned
/// workers: peers that come and go, actors by the thousand, every core busy. Feature `alloc`.
///
/// - [`add`](DynamicSet::add) makes a member, with a state `S` of yours (an actor's state, a
///   peer's keys), and returns its [`MemberHandle`]: producers clone it and
///   [`send`](MemberHandle::send) through it. No index: a handle reaches its own member and no
///   other, ever.
/// - [`worker`](DynamicSet::worker) makes a [`SetWorker`], `Send`, to move into a thread or a
///   task; start as many as you like. Each takes the next member that has nodes as a
///   [`HeldMember`], drains it with a budget and gets its state as `&mut S`; dropping the guard
///   puts the member back on the ready list if it still has nodes, or leaves it idle.
/// - [`MemberHandle::close`] removes a member: later sends are refused and hand the node back.
///   What was queued before still goes to a worker, which sees [`is_closed`](HeldMember::is_closed).
///   The member's memory (queue, state) is freed when its last handle is gone and no worker or
///   ready list has it.
/// - [`close`](DynamicSet::close) closes the whole set: sends are refused, every worker wakes,
///   takes what is still scheduled and then gets [`Next::Closed`]. [`wake`](DynamicSet::wake)
///   wakes one worker with [`Next::Woken`] for events of your own (timers, shutdown).
///
/// # The protocol
///
/// Each member is scheduled exactly as a [`ReadySet`](crate::ReadySet)'s member is: the producer
/// whose enqueue ends the member's idle period (its swap reads the park mark, exactly one per
/// period) puts the member's entry on the ready list; a worker holds it alone; dropping the
/// guard marks it idle with the compare-and-swap a sleeping consumer uses, or, if nodes are left
/// (or a producer is mid-enqueue), puts it at the back of the ready list. So a member is on the
/// list at most once, held by at most one worker, and its nodes come out in FIFO order.
///
/// The ready list is one [`Queue`] of entries shared by every worker: a worker takes the next
/// entry under a flag held only for that pop (a few instructions), so pops by different workers
/// are ordered and the list keeps a single consumer at a time. Workers with nothing to do sleep
/// on a wait list; each scheduling makes sure at least one sleeper is notified, and a worker
/// that takes an entry and sees more notifies the next one. So **a ready member never waits for
/// a sleeping worker longer than one worker's wake-up**: while a member is scheduled and a worker
/// sleeps, some worker has been notified, or is awake and about to pop.
///
/// One shared list, rather than a list per worker with stealing (tokio's shape), keeps the order
/// in which members became ready across workers and makes the bound above hold without the
/// "searching worker" bookkeeping stealing needs; its price is that pops by different workers
/// take turns on one flag. A member's turn carries up to a budget of messages, so the flag is
/// taken once per turn, not once per message.
///
/// Each member and each ready-list entry holds the member's allocation (an `Arc`), so there are
/// no indices and no generations: a handle always reaches its own member.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, DynamicSet, Link, Next};
///
/// struct Msg {
///     link: Link,
///     n: u64,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// // Actors whose state is a running sum.
/// let set = DynamicSet::<Msg, u64>::new();
/// let workers: Vec<_> = (0..2)
///     .map(|_| {
///         let mut worker = set.worker();
///         std::thread::spawn(move || {
///             let mut handled = 0;
///             loop {
///                 match worker.next_blocking() {
///                     Next::Ready(mut actor) => {
///                         for msg in actor.drain().take(16).collect::<Vec<_>>() {
///                             *actor.state() += msg.n;
///                             handled += 1;
///                         }
///                     }
///                     Next::Woken => {}
///                     Next::Closed => return handled,
///                 }
///             }
///         })
///     })
///     .collect();
///
/// let actors: Vec<_> = (0..100).map(|_| set.add(0)).collect();
/// for (i, actor) in actors.iter().enumerate() {
///     actor.send(Box::new(Msg { link: Link::new(), n: i as u64 })).ok().unwrap();
/// }
/// actors[7].close(); // removed: a later send hands the message back
/// assert!(actors[7].send(Box::new(Msg { link: Link::new(), n: 0 })).is_err());
///
/// set.close(); // the workers finish what is scheduled, then stop
/// let handled: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
/// assert_eq!(handled, 100);
/// ```
pub struct DynamicSet<N: Node, S = (), B: Capacity = Unbounded> {
    shared: Arc<Shared<N, S, B>>,
}

impl<N: Node, S, B: Capacity> DynamicSet<N, S, B> {
    /// Creates an empty set. Members are allocated by [`add`](DynamicSet::add) (or
    /// [`add_with_capacity`](DynamicSet::add_with_capacity) for a `Bounded` set).
    #[must_use]
    pub fn new() -> Self {
        DynamicSet {
            shared: Arc::new(Shared {
                ready: Queue::new(),
                popping: AtomicBool::new(false),
                closed: AtomicBool::new(false),
                wakes: AtomicUsize::new(0),
                sleepers: Waiters::new(),
            }),
        }
    }

    /// A member of this set around `queue`, idle.
    fn add_queue(&self, queue: MemberQueue<N, B>, state: S) -> MemberHandle<N, S, B> {
        let cell = Arc::new(Cell {
            slot: Slot {
                link: Link::new(),
                _cell: PhantomData,
            },
            closed: AtomicBool::new(false),
            queue,
            state: UnsafeCell::new(state),
        });
        // SAFETY: nobody else can reach the new queue yet, so we are its single consumer.
        let idle = unsafe { cell.queue.try_park() };
        debug_assert!(idle, "a new queue is empty");
        MemberHandle {
            set: Arc::clone(&self.shared),
            cell,
        }
    }

    /// A new worker for this set: `Send`, to move into a thread or a task. Any number of
    /// workers may serve one set; each member is held by at most one of them at a time.
    #[must_use]
    pub fn worker(&self) -> SetWorker<N, S, B> {
        SetWorker {
            set: Arc::clone(&self.shared),
            key: None,
        }
    }

    /// Closes the set: every send is refused from now on (the node comes back), and every
    /// worker, sleeping or not, takes what is still scheduled and then gets [`Next::Closed`].
    /// Members keep their queued nodes until they are held or freed.
    pub fn close(&self) {
        // Release: pairs with the Acquire load in `SetWorker::find`, so a worker that sees the
        // close also sees every member scheduled before it. The notification's `SeqCst` fence
        // after it pairs with the fence a worker issues after joining the sleepers' list (see
        // `Waiters`), so no worker sleeps through the close.
        self.shared.closed.store(true, Release);
        self.shared.sleepers.notify_all().resume();
    }

    /// Whether [`close`](DynamicSet::close) was called.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Wakes one worker with [`Next::Woken`], for events of your own (a timer, a shutdown
    /// request): a sleeping one, or the next one to look if none sleeps. Each wake is taken by
    /// exactly one worker's `next`; wakes are taken before scheduled members.
    pub fn wake(&self) {
        // Release: pairs with the Acquire of the worker taking the wake (`take_wake`): what we
        // did before is visible to it.
        self.shared.wakes.fetch_add(1, Release);
        // One more sleeper than those already notified (notifications skip them), so that the
        // wake cannot be absorbed by a worker that was notified for a member.
        self.shared.sleepers.notify(1);
    }
}

impl<N: Node, S> DynamicSet<N, S, Unbounded> {
    /// Adds a member with an unbounded queue and `state`, idle, and returns its first handle.
    /// Allocates the member (its queue, state and place on the ready list) in one allocation.
    ///
    /// Adding works while producers send and workers run; a set that is closed still adds
    /// members, whose sends are refused.
    pub fn add(&self, state: S) -> MemberHandle<N, S, Unbounded> {
        self.add_queue(Queue::new(), state)
    }
}

impl<N: Node, S> DynamicSet<N, S, Bounded> {
    /// Adds a member whose queue holds at most `capacity` nodes, with `state`, idle, and returns
    /// its first handle.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0 or greater than `isize::MAX`, as [`Queue::with_capacity`].
    pub fn add_with_capacity(&self, state: S, capacity: usize) -> MemberHandle<N, S, Bounded> {
        self.add_queue(Queue::with_capacity(capacity), state)
    }
}

impl<N: Node, S, B: Capacity> Default for DynamicSet<N, S, B> {
    /// Same as [`DynamicSet::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node, S, B: Capacity> Clone for DynamicSet<N, S, B> {
    /// Another handle on the same set.
    fn clone(&self) -> Self {
        DynamicSet {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<N: Node, S, B: Capacity> fmt::Debug for DynamicSet<N, S, B> {
    /// Prints `DynamicSet { closed: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicSet")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// A member of a [`DynamicSet`], for producers: clone it, send through it, close it.
///
/// The member lives as long as one of its handles does, or while it has a worker or is
/// scheduled; the last of those frees it, with any node still queued (dropped) and its state.
pub struct MemberHandle<N: Node, S = (), B: Capacity = Unbounded> {
    set: Arc<Shared<N, S, B>>,
    cell: Arc<Cell<N, S, B>>,
}

impl<N: Node, S, B: Capacity> MemberHandle<N, S, B> {
    /// Adds a node at the back of the member's queue and schedules the member if it was idle;
    /// or hands the node back.
    ///
    /// Wait-free, as [`Queue::enqueue`]: two loads (the member's and the set's closed flags)
    /// before the enqueue, and only the send that ends the member's idle period does more (one
    /// enqueue into the ready list, and a fence to see whether a worker sleeps).
    ///
    /// # Errors
    ///
    /// `Err(handle)`, the very node, when the member or the set is closed (a send that happens
    /// after [`close`](MemberHandle::close) returns is always refused; one racing with it is
    /// either refused or delivered to a worker, never both, never neither), or when a bounded
    /// member is full.
    #[inline]
    pub fn send(&self, handle: N::Handle) -> Result<(), N::Handle> {
        // Relaxed: see `Shared::is_closed`; the member's flag likewise.
        if self.cell.closed.load(Relaxed) || self.set.is_closed() {
            return Err(handle);
        }
        if self.cell.queue.try_push_parked(handle)? {
            // Our swap read the park mark: we alone end this idle period.
            self.set.schedule(Arc::clone(&self.cell));
        }
        Ok(())
    }

    /// Closes (removes) the member: every later send is refused and hands its node back. Nodes
    /// already queued still go to a worker, which sees [`HeldMember::is_closed`]; the member is
    /// freed once its last handle is gone and no worker holds it.
    pub fn close(&self) {
        // Relaxed: see `send`.
        self.cell.closed.store(true, Relaxed);
    }

    /// Whether the member (or its whole set) is closed: a send now would be refused.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.cell.closed.load(Relaxed) || self.set.is_closed()
    }

    /// Whether two handles reach the same member.
    #[must_use]
    pub fn same_member(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.cell, &other.cell)
    }
}

impl<N: Node, S, B: Capacity> Clone for MemberHandle<N, S, B> {
    /// Another handle on the same member.
    fn clone(&self) -> Self {
        MemberHandle {
            set: Arc::clone(&self.set),
            cell: Arc::clone(&self.cell),
        }
    }
}

impl<N: Node, S, B: Capacity> fmt::Debug for MemberHandle<N, S, B> {
    /// Prints `MemberHandle { closed: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberHandle")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// One of a [`DynamicSet`]'s workers: takes members that have nodes, one at a time. `Send`, so it
/// moves into the thread or task that runs it; see [`DynamicSet::worker`].
pub struct SetWorker<N: Node, S = (), B: Capacity = Unbounded> {
    set: Arc<Shared<N, S, B>>,
    /// This worker's place on the sleepers' list while a `poll_next` is pending.
    key: Option<Key>,
}

/// What a worker's `next` returns.
pub enum Next<'w, N: Node, S = (), B: Capacity = Unbounded> {
    /// A member that has nodes, held by this worker until the guard is dropped.
    Ready(HeldMember<'w, N, S, B>),
    /// A [`DynamicSet::wake`].
    Woken,
    /// The set is closed and nothing is scheduled any more: the worker's loop should end.
    Closed,
}

impl<N: Node, S, B: Capacity> fmt::Debug for Next<'_, N, S, B> {
    /// Prints `Ready(..)`, `Woken` or `Closed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Next::Ready(held) => f.debug_tuple("Ready").field(held).finish(),
            Next::Woken => f.write_str("Woken"),
            Next::Closed => f.write_str("Closed"),
        }
    }
}

impl<N: Node, S, B: Capacity> SetWorker<N, S, B> {
    /// Looks for work: a wake first, then the ready list, then the close.
    fn find(&self) -> Option<Found<N, S, B>> {
        if self.set.take_wake() {
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
                        // Hand the rest on to a sleeping worker, if any, while we work.
                        self.set.sleepers.notify(1);
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
    fn deliver(&self, found: Found<N, S, B>) -> Next<'_, N, S, B> {
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
    pub fn try_next(&mut self) -> Option<Next<'_, N, S, B>> {
        let found = self.find()?;
        Some(self.deliver(found))
    }

    /// Takes a wake, the next member that has nodes, or the close, sleeping until there is one.
    #[cfg(feature = "std")]
    pub fn next_blocking(&mut self) -> Next<'_, N, S, B> {
        self.leave();
        // Looks, joins the sleepers' list, looks again, and parks between looks until notified:
        // no lost wake-up (see `Waiters`).
        let found = self
            .set
            .sleepers
            .block_until(None, || self.find(), || {})
            .expect("no deadline");
        self.deliver(found)
    }

    /// Polls for a wake, the next member that has nodes, or the close: `Pending` with the
    /// task's waker registered until one of them comes.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Next<'_, N, S, B>> {
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
    type Output = Next<'w, N, S, B>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Next<'w, N, S, B>> {
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

/// The iterator of [`HeldMember::drain`]: takes the held member's nodes in order.
pub type HeldDrain<'d, 'w, N, B = Unbounded> = Drain<'d, &'w MemberQueue<N, B>>;

/// A member of a [`DynamicSet`] that has nodes, held by one worker: drain it with a budget and
/// use its state. Dropping the guard puts the member back on the ready list if nodes are left
/// (or one is on its way), or leaves it idle until its next send.
///
/// A guard that is leaked (`mem::forget`) leaves its member unscheduled for good, and its
/// memory allocated; nothing unsafe follows.
pub struct HeldMember<'w, N: Node, S = (), B: Capacity = Unbounded> {
    set: &'w Arc<Shared<N, S, B>>,
    /// The guard's count of the member; given back (or to the ready list) in `Drop`, after the
    /// consumer is gone.
    cell: ManuallyDrop<Arc<Cell<N, S, B>>>,
    /// The member queue's consumer, borrowing the queue inside `cell`.
    consumer: ManuallyDrop<Consumer<&'w MemberQueue<N, B>>>,
}

impl<'w, N: Node, S, B: Capacity> HeldMember<'w, N, S, B> {
    /// The member's state, for this worker alone while it holds the member.
    #[inline]
    pub fn state(&mut self) -> &mut S {
        // SAFETY: only the guard that holds the member reaches its state, one guard at a time,
        // each after the previous one (see `SetWorker::hold`); `&mut self` keeps this reference
        // unique for as long as it lives, and the cell outlives the guard's borrow.
        self.cell.state.with_mut(|state| unsafe { &mut *state })
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

    /// Returns the oldest node without taking it, waiting out a producer that is mid-enqueue;
    /// see [`Consumer::peek`].
    #[inline]
    pub fn peek(&mut self) -> Option<&N> {
        self.consumer.peek()
    }

    /// An iterator that dequeues until the queue is empty; limit it with
    /// [`take`](Iterator::take) for a budget. See [`Consumer::drain`].
    #[inline]
    pub fn drain(&mut self) -> HeldDrain<'_, 'w, N, B> {
        self.consumer.drain()
    }

    /// Whether a dequeue now would find nothing; see [`Consumer::is_empty`].
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.consumer.is_empty()
    }

    /// A new handle on this member, for an actor that gives out its own address.
    #[must_use]
    pub fn handle(&self) -> MemberHandle<N, S, B> {
        MemberHandle {
            set: Arc::clone(self.set),
            cell: Arc::clone(&self.cell),
        }
    }

    /// Closes the member, as [`MemberHandle::close`]: an actor that stops. Nodes already queued
    /// stay for this and later holders.
    pub fn close(&self) {
        // Relaxed: see `MemberHandle::send`.
        self.cell.closed.store(true, Relaxed);
    }

    /// Whether the member (or the set) is closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.cell.closed.load(Relaxed) || self.set.is_closed()
    }
}

impl<N: Node, S, B: Capacity> Drop for HeldMember<'_, N, S, B> {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, before the count that keeps the queue alive is given up.
        unsafe { ManuallyDrop::drop(&mut self.consumer) };
        // SAFETY: taken once, here; the field is not used again.
        let cell = unsafe { ManuallyDrop::take(&mut self.cell) };
        // Idle only if empty with nobody mid-enqueue: the park mark's compare-and-swap checks
        // exactly that, atomically with the producers' swaps (a peeked node is still queued).
        // SAFETY: this guard was the queue's single consumer, and its consumer is gone.
        let idle = unsafe { cell.queue.try_park() };
        if !idle {
            // Nodes left (or on their way): to the back of the line, so that a flooded member
            // cannot starve the others.
            self.set.schedule(cell);
        }
    }
}

impl<N: Node, S, B: Capacity> fmt::Debug for HeldMember<'_, N, S, B> {
    /// Prints `HeldMember { closed: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldMember")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
