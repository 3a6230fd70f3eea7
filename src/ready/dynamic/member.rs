//! A member of a [`DynamicSet`]: its allocation (queue, state, closed flag, place on the ready
//! list) and the producers' [`MemberHandle`].

use super::*;

/// A member's queue: it never sleeps (the set's workers do).
pub(super) type MemberQueue<N, B> = Queue<N, B, NoWait, Compact>;

/// Members added to dynamic sets, each its own allocation, shared by its [`MemberHandle`]s, by its
/// entry while it is on the ready list and by the [`HeldMember`] guard while a worker holds it.
/// The last of those frees it, with the nodes still queued and its state.
#[repr(C)]
pub struct Cell<N: Node, S, B: Capacity> {
    /// The member's place in the ready list. First, so that the slot's address is the cell's.
    /// Only the ready list touches it, through the member's one [`Entry`].
    slot: Slot<N, S, B>,
    /// Set by [`MemberHandle::close`] or [`HeldMember::close`]: sends are refused from then on.
    pub(super) closed: AtomicBool,
    /// The member's queue. Idle (nothing queued, nobody holding it, not scheduled) exactly when
    /// its `head` holds the park mark, as for the members of a [`ReadySet`](crate::ReadySet).
    pub(super) queue: MemberQueue<N, B>,
    /// The user's state, for the worker that holds the member.
    pub(super) state: UnsafeCell<S>,
}

impl<N: Node, S, B: Capacity> Cell<N, S, B> {
    /// A new member around `queue`, idle: on no list, held by nobody, its queue parked so that
    /// the first send schedules it.
    pub(super) fn new(queue: MemberQueue<N, B>, state: S) -> Arc<Self> {
        let cell = Arc::new(Cell {
            slot: Slot::new(),
            closed: AtomicBool::new(false),
            queue,
            state: UnsafeCell::new(state),
        });
        // SAFETY: nobody else can reach the new queue yet, so we are its single consumer.
        let idle = unsafe { cell.queue.try_park() };
        debug_assert!(idle, "a new queue is empty");
        cell
    }
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

/// A member of a [`DynamicSet`], for producers: clone it, send through it, close it.
///
/// The member lives as long as one of its handles does, or while it has a worker or is
/// scheduled; the last of those frees it, with any node still queued (dropped) and its state.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, DynamicSet, Link, Next};
///
/// struct Msg {
///     link: Link,
///     n: u32,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let set = DynamicSet::<Msg>::new();
/// let member = set.add(());
/// let producer = member.clone();
/// std::thread::spawn(move || producer.send(Box::new(Msg { link: Link::new(), n: 1 })).ok())
///     .join()
///     .unwrap();
///
/// // Removed: later sends hand the node back.
/// member.close();
/// let back = member.send(Box::new(Msg { link: Link::new(), n: 2 })).unwrap_err();
/// assert_eq!(back.n, 2);
///
/// // What was sent before the close still reaches a worker.
/// let mut worker = set.worker();
/// let Some(Next::Ready(mut held)) = worker.try_next() else { panic!("scheduled") };
/// assert!(held.is_closed());
/// assert_eq!(held.dequeue().unwrap().n, 1);
/// ```
pub struct MemberHandle<N: Node, S = (), B: Capacity = Unbounded> {
    pub(super) set: Arc<Shared<N, S, B>>,
    pub(super) cell: Arc<Cell<N, S, B>>,
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
    /// `Err(handle)`, the very node, when the member or the set is closed, or when a bounded
    /// member is full. A send that happens after [`close`](MemberHandle::close) returns is always
    /// refused; one racing with it is either refused or delivered to a worker, never both, never
    /// neither. A send racing with the set's [`close`](DynamicSet::close) may be accepted after
    /// the workers' last look: its node stays queued and is dropped with the member, unless a
    /// worker asks for work again.
    ///
    /// # Panics
    ///
    /// If the waker of a sleeping async worker panics when this wakes it: the panic goes on here
    /// once every other sleeper it wakes was woken. Blocked threads' wakers never panic.
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
        // Relaxed: a snapshot, as in `MemberHandle::send`; nothing is read on the strength of it.
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
