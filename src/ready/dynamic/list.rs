//! The ready list that a [`DynamicSet`]'s workers share: the member's place on it (its slot, and
//! the entry that owns a count of the member while it is listed), the hand-off between the
//! workers' pops, and the rest of what the set's handles share.

use super::*;

/// The set's ready list: an entry per member that has nodes and no worker.
pub(super) type ReadyList<N, S, B> = Queue<Slot<N, S, B>, Unbounded, NoWait, Compact>;

/// A member's place on the ready list (see [`slot::Slot`](crate::ready::slot::Slot)).
pub(super) type Slot<N, S, B> = crate::ready::slot::Slot<Cell<N, S, B>>;

impl<N: Node, S, B: Capacity> crate::ready::slot::Listed for Cell<N, S, B> {
    type Entry = Entry<N, S, B>;
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
    pub(super) fn new(cell: Arc<Cell<N, S, B>>) -> Self {
        let cell = Arc::into_raw(cell).cast_mut();
        // SAFETY: `Arc::into_raw` never returns null.
        let cell = unsafe { NonNull::new_unchecked(cell) };
        // The slot is the cell's first field (`repr(C)`): same address, the whole cell's
        // provenance, which `into_cell` needs.
        Entry(cell.cast())
    }

    /// Gives the count back as an `Arc`.
    #[inline(always)]
    pub(super) fn into_cell(self) -> Arc<Cell<N, S, B>> {
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
pub(super) struct Shared<N: Node, S, B: Capacity> {
    /// The entries of the members that have nodes and no worker.
    ready: ReadyList<N, S, B>,
    /// Held by the worker taking an entry off the ready list: the list has one consumer at a
    /// time, and each pop happens-before the next.
    popping: AtomicBool,
    /// Set by [`DynamicSet::close`].
    pub(super) closed: AtomicBool,
    /// [`DynamicSet::wake`]s not yet taken by a worker.
    pub(super) wakes: AtomicUsize,
    /// Workers sleeping until a member is scheduled, a wake, or the close.
    pub(super) sleepers: Waiters,
}

/// What one pop of the ready list got.
pub(super) enum Pop<N: Node, S, B: Capacity> {
    /// An entry; `more` if the list did not look empty after it.
    Entry(Entry<N, S, B>, bool),
    /// Nothing is scheduled.
    Empty,
    /// A producer is in the middle of scheduling a member: it notifies a sleeper once done.
    Pending,
}

impl<N: Node, S, B: Capacity> Shared<N, S, B> {
    /// A new set's: nothing scheduled, open, nobody sleeping.
    pub(super) fn new() -> Self {
        Shared {
            ready: Queue::new(),
            popping: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            wakes: AtomicUsize::new(0),
            sleepers: Waiters::new(),
        }
    }

    /// Puts the member on the ready list and makes sure a sleeping worker, if any, will look:
    /// one is woken, or a worker thread woken earlier has yet to look.
    /// The caller ended the member's idle period or held it: nobody else can schedule it until
    /// it is idle again.
    #[inline]
    pub(super) fn schedule(&self, cell: Arc<Cell<N, S, B>>) {
        self.ready.enqueue(Entry::new(cell));
        // One more notified sleeper (a thread; and every waiting task), unless a worker thread
        // was notified and has not looked yet: its look sees this entry. The one that looks
        // takes an entry and, seeing more, wakes the next (`SetWorker::find`). The fence inside
        // pairs with the one a woken worker issues before it looks, and with the one in
        // `Waiters::listen`.
        self.sleepers.notify_unless_woken();
    }

    /// Takes the oldest entry off the ready list, waiting for another worker's pop (a few
    /// instructions) if one is under way.
    pub(super) fn pop(&self) -> Pop<N, S, B> {
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
    pub(super) fn take_wake(&self) -> bool {
        crate::ready::next::take_wake(&self.wakes)
    }

    /// Whether the set is closed.
    #[inline]
    pub(super) fn is_closed(&self) -> bool {
        // Relaxed: a send that happens-after `close` reads the store or a later value
        // (coherence), and nothing else is read on the strength of this load. (Workers read the
        // flag with Acquire, in `SetWorker::find`.)
        self.closed.load(Relaxed)
    }
}
