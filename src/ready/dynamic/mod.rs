//! [`DynamicSet`]: a ready set whose members come and go while producers and workers run, served
//! by any number of owned workers. The protocol is documented on [`DynamicSet`].
//!
//! One concept per module: `list`, the ready list the workers share (a member's slot and entry
//! on it, the hand-off between pops, the set's shared state); `member`, a member's allocation
//! and the producers' [`MemberHandle`]; `worker`, [`SetWorker`] and its [`NextFuture`]; `held`, the
//! [`HeldMember`] guard.

use core::fmt;
use core::future::Future;
use core::mem::ManuallyDrop;
use core::pin::Pin;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use core::task::{Context, Poll};

use super::Next;
use crate::policy::waiters::{Key, Waiters};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Backoff, UnsafeCell};
use crate::{
    Bounded, Capacity, Compact, Consumer, Drain, NoWait, Node, Queue, TryDequeueError, Unbounded,
};

mod held;
mod list;
mod member;
mod worker;

pub use held::{HeldDrain, HeldMember};
use list::{Entry, Pop, Shared, Slot};
pub use member::MemberHandle;
use member::{Cell, MemberQueue};
pub use worker::{NextFuture, SetWorker};

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
/// It is the general form of the crate's one ready-set design: a [`ReadySet`](crate::ReadySet)
/// (or a `static` [`StaticReadySet`](crate::StaticReadySet)) is its fixed special case, with
/// members by index, one worker and no allocation after start-up, and the same worker language:
/// its [`Worker`](crate::Worker) returns the same [`Next`] (with a [`Ready`](crate::Ready)
/// guard), and the set has the same `close`, `is_closed` and `wake`. Pick this one when members
/// come and go, carry state, or need several workers; see [`ReadySet`](crate::ReadySet) for
/// the comparison.
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
/// on a wait list. A scheduling wakes one sleeper, unless a worker thread woken earlier has not
/// looked at the list yet: that look comes after the scheduling and sees it (tokio's "searching
/// worker" rule). A worker that takes an entry and sees more, or takes a [`wake`](DynamicSet::wake)
/// instead of an entry, wakes the next sleeper under the same rule. So **a ready member never
/// waits while a worker sleeps un-notified**: while a member is scheduled and a worker sleeps, a
/// notified worker has yet to look, or a worker is awake and about to pop. A burst of schedulings
/// wakes sleepers one after another, each woken worker waking the next if it leaves entries
/// behind, rather than one per scheduling at once: with `k` workers asleep, the last of them
/// starts up to `k` wake-ups in a row after the burst began, instead of one. In exchange,
/// producers do not pay a wake-up (the wait list's lock and an unpark) for each member they
/// schedule while a woken worker is on its way.
///
/// One shared list, rather than a list per worker with stealing (tokio's shape), keeps the order
/// in which members became ready across workers and needs no stealing; its price is that pops by
/// different workers take turns on one flag. A member's turn carries up to a budget of messages,
/// so the flag is taken once per turn, not once per message. Measured against a prototype with a
/// list per worker and stealing (the performance docs, `perf/README.md`, "Multi-worker design"),
/// the two were within noise of each other in the actor benchmark on 2 cores, flat out and at
/// 1 µs per message; per-worker lists did 2.3x the turns of two workers sharing the list only
/// when turns carried no work and both workers ran at once, still fewer than one worker alone.
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
            shared: Arc::new(Shared::new()),
        }
    }

    /// A member of this set around `queue`, idle.
    fn add_queue(&self, queue: MemberQueue<N, B>, state: S) -> MemberHandle<N, S, B> {
        MemberHandle {
            set: Arc::clone(&self.shared),
            cell: Cell::new(queue, state),
        }
    }

    /// A new worker for this set: `Send`, to move into a thread or a task. Any number of
    /// workers may serve one set; each member is held by at most one of them at a time.
    #[must_use]
    pub fn worker(&self) -> SetWorker<N, S, B> {
        SetWorker::new(Arc::clone(&self.shared))
    }

    /// Closes the set: every send is refused from now on (the node comes back), and every
    /// worker, sleeping or not, takes what is still scheduled and then gets [`Next::Closed`].
    /// Members keep their queued nodes until they are held or freed.
    ///
    /// # Panics
    ///
    /// If the waker of a sleeping async worker panics when this wakes it: the panic goes on here
    /// once every other sleeper it wakes was woken. Blocked threads' wakers never panic.
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
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, DynamicSet, Link, Next};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let set = DynamicSet::<Msg>::new();
    /// let mut worker = set.worker();
    /// let timer = set.clone();
    /// std::thread::spawn(move || timer.wake());
    /// // Sleeps until the wake, with no member scheduled.
    /// assert!(matches!(worker.next_blocking(), Next::Woken));
    /// ```
    ///
    /// # Panics
    ///
    /// If the waker of a sleeping async worker panics when this wakes it: the panic goes on here
    /// once every other sleeper it wakes was woken. Blocked threads' wakers never panic.
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
