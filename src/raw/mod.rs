//! The algorithm: Dmitry Vyukov's intrusive MPSC node-based queue, on raw node pointers.
//!
//! This module knows nothing of handles, and of a node type only where its [`Link`] sits
//! ([`Linked`]): the link's offset from the start of the node, which folds into the address of
//! each access. Both hot paths, [`RawQueue::push`] and [`RawQueue::pop`], read top to bottom here.
//!
//! # Shape
//!
//! The queue is a singly linked list from `tail` (oldest, the consumer's end) to `head` (newest,
//! the producers' end), threaded through each node's [`Link`]. A *stub* stands in for a node
//! whenever the list would otherwise be empty, so `head` and `tail` are never null.
//!
//! Each pointer names what its reader uses. The consumer hands nodes out, so `tail` and every
//! link name the *start* of a node: a popped node needs no arithmetic to become the user's
//! pointer again. The producers write into the previous head's link, so `head` names the newest
//! node's *link*: the producer stores through the pointer its swap returned, and computes the
//! address of its own link once, in the instruction that copies its node for the swap. (The
//! consumer only compares `head`, with its node's link.)
//!
//! The stub is not a node in memory: it is a sentinel address ([`stub`] where nodes are named,
//! [`STUB_LINK`] in `head`), whose link is the queue's own `stub_next` field. Nothing ever stores
//! the queue's address, so a queue can be moved whenever nobody borrows it, with or without nodes
//! inside. The price is one comparison with the sentinel when a producer links its predecessor
//! (a conditional move between the predecessor's link and the queue's `stub_next`, which is the
//! queue's first field: see [`RawQueue`]). The consumer pays nothing for it on its common path:
//! the stub's name in `tail` has a readable link that is always null (a shared static, see
//! [`stub`]), so a node with a successor is told from the stub without a comparison.
//!
//! A second sentinel, [`PARKED`], is the stub as `head` holds it while a waiting consumer sleeps
//! on the empty queue ([`RawQueue::try_park`]): the producer whose swap returns it learns that it
//! must wake the consumer. The plain [`Queue`](crate::Queue) never parks.
//!
//! Besides [`RawQueue::pop`], the consumer has [`RawQueue::unpop`] (put the node just popped back
//! at the front, which is how peeking works), [`RawQueue::probe`] (what `pop` would answer) and
//! [`RawQueue::is_empty`].
//!
//! # Memory ordering
//!
//! - A producer first clears its node's link (`Relaxed`), then swaps that link into `head`
//!   (`AcqRel`), then stores the node into its predecessor's link (`Release`).
//! - The swap's `Release` half publishes the cleared link to the next producer, whose swap's
//!   `Acquire` half reads it. Why a release-only swap (the kernel's `xchg_release`) would lose
//!   nodes here is argued once, in the [crate docs](crate#memory-ordering).
//! - The link store's `Release` pairs with the consumer's `Acquire` load of that link: everything
//!   the producer wrote to the node before `enqueue` is visible once the consumer can reach it.
//! - The consumer compares `head` with its position only to tell "empty" from "a producer is
//!   mid-way". Those loads are `Relaxed`: they are never dereferenced, and write-read coherence is
//!   enough for "empty means empty": if an enqueue happened-before the load, the load sees that
//!   enqueue's swap or a later one (see [`RawQueue::pop`]).
//! - The consumer re-enqueues the stub with the same swap and store as a producer.

pub(crate) mod layout;

use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::node::link::{link_of, AnyNode, Linked};
use crate::raw::layout::{sealed::Layout, Line};
use crate::sync::{const_fn, AtomicPtr, UnsafeCell};
use crate::Link;

/// Two links that no one ever writes, so always null: the link of the stub's name in `tail` and
/// in links is one of them ([`stub`]). Shared by every queue, since they are only read.
///
/// Two, at an address that is a multiple of 16 and `size_of::<Link>()` apart (a pointer's size,
/// or loom's and shuttle's sizes; never a multiple of 16, which is checked below), so that for any
/// link offset one of them is not at that very address: see [`stub`].
#[repr(C, align(16))]
struct NullLinks([Link; 2]);

const _: () = assert!(core::mem::size_of::<Link>() % 16 != 0);

#[cfg(not(any(loom, shuttle)))]
static NULL_LINKS: NullLinks = NullLinks([Link::new(), Link::new()]);

/// The stub's name in `tail` and in links, where pointers name the start of nodes: the address an
/// `A` would start at if its link were one of [`NULL_LINKS`]. No node starts there (a node's link
/// is part of the node, not of the static), and the stub is never handed out or written through,
/// but its link can be read like any node's, and is always null. So the consumer loads the link
/// of whatever `tail` names and tells the stub from a node only when that link is null: the
/// common case, a node with a successor, takes one load and one test. The stub's real link, the
/// one producers write behind it, is the queue's own [`RawQueue::stub_next`].
///
/// Made with wrapping arithmetic from the static's address, so the pointer keeps the static's
/// provenance, and [`link_of`] brings it back inside the static before any access.
///
/// Never null, so never taken for "no successor" in a link: the name is null only if the chosen
/// link's address equals `A::OFFSET`. The first link's address is a multiple of 16, the second's
/// is not (they are `size_of::<Link>()` apart, not a multiple of 16). So if `A::OFFSET` is a
/// multiple of 16 the second link is taken, and otherwise the first: in both cases the link's
/// address and the offset differ modulo 16. (The name is a raw pointer, not a `NonNull`: const
/// evaluation cannot tell that an address computed from a `static`'s is not null, and `new` is
/// `const`.)
///
/// Under loom and shuttle, atomics belong to one execution of a model and cannot be in a
/// `static`: each queue has its own pair of links instead ([`ModelNullLinks`]), and
/// [`RawQueue::stub`] names the stub through them.
#[cfg(not(any(loom, shuttle)))]
#[inline(always)]
const fn stub<A: Linked>() -> *mut AnyNode {
    stub_beside::<A>(ptr::addr_of!(NULL_LINKS))
}

/// Under loom and shuttle, a queue's own pair of always-null links (see [`stub`]), on the heap so
/// that the stub's name stays valid when the queue moves, and freed with the queue.
#[cfg(any(loom, shuttle))]
struct ModelNullLinks(NonNull<NullLinks>);

#[cfg(any(loom, shuttle))]
impl ModelNullLinks {
    fn new() -> ModelNullLinks {
        // Loom and shuttle run on `std` whatever the crate's features.
        extern crate std;
        let links = std::boxed::Box::new(NullLinks([Link::new(), Link::new()]));
        ModelNullLinks(NonNull::from(std::boxed::Box::leak(links)))
    }
}

#[cfg(any(loom, shuttle))]
impl Drop for ModelNullLinks {
    fn drop(&mut self) {
        extern crate std;
        // SAFETY: the pointer came from `Box::leak` in `new` and is freed once, here. The queue
        // that held it is being dropped, so nothing reads through the stub's name any more.
        drop(unsafe { std::boxed::Box::from_raw(self.0.as_ptr()) });
    }
}

// SAFETY: the links are atomics, only ever read; owning or sharing the pointer to them is like
// owning or sharing them, which is `Send` and `Sync`.
#[cfg(any(loom, shuttle))]
unsafe impl Send for ModelNullLinks {}
// SAFETY: as above.
#[cfg(any(loom, shuttle))]
unsafe impl Sync for ModelNullLinks {}

/// [`stub`], given the address of [`NULL_LINKS`].
#[inline(always)]
const fn stub_beside<A: Linked>(links: *const NullLinks) -> *mut AnyNode {
    // Not null: the name is null only if the chosen link's address equals `A::OFFSET` (modulo
    // the address space). The links' addresses are `16 * k` and `16 * k + size_of::<Link>()`,
    // and that size is not a multiple of 16 (asserted above): so when `A::OFFSET` is a multiple
    // of 16 the second link's address is not, and when it is not, the first link's address is.
    let index = if A::OFFSET % 16 == 0 { 1 } else { 0 };
    links
        .cast::<Link>()
        .wrapping_add(index)
        .cast_mut()
        .cast::<AnyNode>()
        .wrapping_byte_sub(A::OFFSET)
}

/// The stub's name in `head`, where pointers name links: an odd address, which no `Link` can have
/// (the atomic pointer in it is at least 2-aligned), never dereferenced. The producer that swaps
/// it out writes the queue's own [`RawQueue::stub_next`] instead.
const STUB_LINK: *mut Link = 1 as *mut Link;

/// The stub again, as `head` holds it while the consumer sleeps on an empty queue: written by
/// [`RawQueue::try_park`], and replaced by the next producer's swap, which tells that producer to
/// wake the consumer. Like [`STUB_LINK`] it is odd, so one bit test tells either from a link.
const PARKED: *mut Link = 3 as *mut Link;

/// Whether `ptr`, a value of `head`, names the stub ([`STUB_LINK`] or [`PARKED`]) rather than a
/// node's link.
#[inline(always)]
fn is_stub(ptr: *mut Link) -> bool {
    ptr as usize & 1 != 0
}

/// The node `ptr` names, as the `A` it was pushed as.
///
/// # Safety
///
/// `ptr` names a node (not the stub), so it is a pointer that was pushed as a `NonNull<A>`.
#[inline(always)]
unsafe fn node_of<A>(ptr: *mut AnyNode) -> NonNull<A> {
    // SAFETY: the caller's contract: `ptr` came from a `NonNull<A>`. The assertion tells the
    // compiler so, and a caller that matches on the result tests nothing again.
    unsafe { core::hint::assert_unchecked(!ptr.is_null()) };
    // SAFETY: as above.
    unsafe { NonNull::new_unchecked(ptr.cast::<A>()) }
}

/// Why a consumer got no node.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, Queue, TryDequeueError};
///
/// struct Job {
///     link: Link,
/// }
/// node!(Job, link, Box<Job>);
///
/// let queue = Queue::<Job>::new();
/// let mut consumer = queue.consumer().unwrap();
/// assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryDequeueError {
    /// No node is in the queue, and no enqueue that has returned is pending.
    ///
    /// A consumer that goes to sleep on `Empty` strands nothing: any node it has not seen belongs
    /// to an `enqueue` call that had not returned when the consumer looked, and that call's caller
    /// can wake the consumer afterwards.
    Empty,
    /// A producer is between its swap of the queue's head and its link store, so the next node
    /// cannot be reached yet, although the queue is not empty.
    ///
    /// The window is a few instructions long, but lasts as long as that producer is preempted.
    /// Nodes enqueued later, even completely, wait behind it. Try again, or rely on the producer to
    /// wake the consumer after its `enqueue` returns.
    Inconsistent,
}

impl core::fmt::Display for TryDequeueError {
    /// Describes the error in a short lower-case phrase.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::TryDequeueError;
    /// assert_eq!(TryDequeueError::Empty.to_string(), "queue is empty");
    /// ```
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TryDequeueError::Empty => "queue is empty",
            TryDequeueError::Inconsistent => "queue is inconsistent: a producer is mid-enqueue",
        })
    }
}

impl core::error::Error for TryDequeueError {}

/// Vyukov's queue on raw pointers to nodes of type `A`, of which it knows only where the link
/// sits. See the module docs for the shape and the orderings.
///
/// The fields are grouped by the side that writes them: [`ProducerEnd`] (the stub's link, `head`,
/// plus `P`, state of the layers above that the producers write) and [`ConsumerEnd`] (`tail`,
/// plus `C`, state the consumer writes). The layout `L` decides whether the two groups share a
/// cache line; the algorithm is the same either way.
///
/// `repr(C)` with the producers' end first, and the stub's link first in it: in both layouts the
/// stub's link sits at the queue's own address, so a producer that finds the stub stores through
/// the queue pointer it already holds, with no offset to add.
#[repr(C)]
pub(crate) struct RawQueue<A, L: Layout, C, P> {
    producer: Line<ProducerEnd<P>, L>,
    consumer: Line<ConsumerEnd<C>, L>,
    /// Under loom and shuttle, the links the stub's name reads through (see [`stub`]).
    #[cfg(any(loom, shuttle))]
    null_links: ModelNullLinks,
    /// The node type, of which only [`Linked::OFFSET`] is used. A function pointer, so that the
    /// queue's auto traits and variance are its fields' alone.
    _nodes: PhantomData<fn(A) -> A>,
}

/// The fields the producers write.
#[repr(C)]
struct ProducerEnd<P> {
    /// The stub's link: the first node enqueued behind the stub, or null.
    ///
    /// Written by the producer that links behind the stub (the one whose swap of `head` returned
    /// the stub), and reset by the consumer just before it swaps the stub back into `head`; read
    /// by the consumer while `tail` is the stub. Both writers have just taken, or are about to
    /// take, the producers' cache line for that swap, so it sits on that line, beside `head`: in
    /// the [`Padded`](crate::Padded) layout the producer that links behind the stub writes a line
    /// it already owns, and the consumer's line, which holds `tail`, stays with the consumer.
    /// The consumer, at the stub, reads the producers' line anyway when it asks `head` whether
    /// the queue is empty, or about the node that follows the stub.
    stub_next: Link,
    /// The newest node's link, or [`STUB_LINK`] (or [`PARKED`]). Swapped by every producer;
    /// loaded by the consumer, only to be compared.
    head: AtomicPtr<Link>,
    /// The layers' producer-side state.
    extra: P,
}

/// The fields the consumer writes.
#[repr(C)]
struct ConsumerEnd<C> {
    /// The oldest node, or the stub's name ([`stub`]). Owned by the single consumer.
    tail: UnsafeCell<*mut AnyNode>,
    /// The layers' consumer-side state.
    extra: C,
}

impl<A: Linked, L: Layout, C, P> RawQueue<A, L, C, P> {
    const_fn! {
        /// An empty queue: the stub alone, with nothing behind it, and the layers' state.
        pub(crate) fn new(consumer_extra: C, producer_extra: P) -> RawQueue<A, L, C, P> {
            RawQueue::with_head(STUB_LINK, consumer_extra, producer_extra)
        }
    }

    const_fn! {
        /// An empty queue whose consumer is parked from the start, as if it had made the queue
        /// and called [`try_park`](Self::try_park) at once: the first [`push`](Self::push)
        /// returns `true`. For queues that are built in `const` and must tell their first
        /// producer to schedule them (the members of a `const` ready set).
        ///
        /// The state is exactly the one `try_park` leaves on a new queue: `tail` at the stub,
        /// nothing behind it, [`PARKED`] in `head`. What `try_park`'s Release would publish to
        /// the producer that reads the mark (the consumer's writes before parking) is here only
        /// the queue's initial value, which whoever reaches the queue already sees: a `static`'s
        /// initializer, or the move that shared the queue with other threads.
        pub(crate) fn new_parked(consumer_extra: C, producer_extra: P) -> RawQueue<A, L, C, P> {
            RawQueue::with_head(PARKED, consumer_extra, producer_extra)
        }
    }

    const_fn! {
        /// An empty queue: the stub alone, `head` naming it as `head` (the stub, or the stub
        /// parked), and the layers' state. Under loom and shuttle, with its own always-null
        /// links, through which the stub is named ([`ModelNullLinks`]).
        fn with_head(head: *mut Link, consumer_extra: C, producer_extra: P) -> RawQueue<A, L, C, P> {
            #[cfg(any(loom, shuttle))]
            let null_links = ModelNullLinks::new();
            #[cfg(any(loom, shuttle))]
            let tail = stub_beside::<A>(null_links.0.as_ptr());
            #[cfg(not(any(loom, shuttle)))]
            let tail = stub::<A>();
            RawQueue {
                producer: Line::new(ProducerEnd {
                    stub_next: Link::new(),
                    head: AtomicPtr::new(head),
                    extra: producer_extra,
                }),
                consumer: Line::new(ConsumerEnd {
                    tail: UnsafeCell::new(tail),
                    extra: consumer_extra,
                }),
                #[cfg(any(loom, shuttle))]
                null_links,
                _nodes: PhantomData,
            }
        }
    }

    /// The stub's name in `tail` and in links ([`stub`]).
    #[inline(always)]
    fn stub(&self) -> *mut AnyNode {
        #[cfg(not(any(loom, shuttle)))]
        return stub::<A>();
        #[cfg(any(loom, shuttle))]
        return stub_beside::<A>(self.null_links.0.as_ptr());
    }

    /// The stub's link, first in the queue.
    #[inline(always)]
    fn stub_next(&self) -> &Link {
        &self.producer.stub_next
    }

    /// The layers' consumer-side state.
    #[inline(always)]
    pub(crate) fn consumer_extra(&self) -> &C {
        &self.consumer.extra
    }

    /// The layers' producer-side state.
    #[inline(always)]
    pub(crate) fn producer_extra(&self) -> &P {
        &self.producer.extra
    }

    /// Appends `node` at the head. Wait-free: one swap, one store.
    ///
    /// Returns `true` if the consumer was parked on the empty queue (see
    /// [`try_park`](Self::try_park)) and must now be woken by the caller.
    ///
    /// # Safety
    ///
    /// `node` points to a live `A` that is in no queue, and stays live and in place, its link
    /// touched by no one else, until [`pop`](Self::pop) returns it.
    #[inline]
    pub(crate) unsafe fn push(&self, node: NonNull<A>) -> bool {
        // SAFETY: the caller hands us a live node that no one else uses.
        unsafe { self.push_chain(node, node) }
    }

    /// Appends the chain `first ..= last`, already linked from `first` to `last`, at the head in
    /// one step: the consumer sees it contiguous and in order.
    ///
    /// # Safety
    ///
    /// Every node of the chain is a live `A`, in no queue, and stays live and in place, its link
    /// touched by no one else, until `pop` returns it; following the links from `first` reaches
    /// `last`.
    #[inline]
    pub(crate) unsafe fn push_chain(&self, first: NonNull<A>, last: NonNull<A>) -> bool {
        let last_link = link_of::<A>(last.as_ptr().cast());
        // SAFETY: the caller guarantees `last` is a live `A` and ours alone, so its link lies at
        // `link_of` (the `Linked` contract).
        let last_next = unsafe { &(*last_link).next };
        // Relaxed: published to the next producer by the swap's Release half below.
        last_next.store(ptr::null_mut(), Relaxed);
        // SAFETY: `last` is live and ours, as above, and `last_link` is its link.
        unsafe { self.append(first.as_ptr().cast(), last_link.cast_mut()) }
    }

    /// Swaps `last_link` into `head` and links the previous head to `first`.
    ///
    /// # Safety
    ///
    /// `first ..= last` is a chain of live `A`s that no one else can reach, `last_link` is the
    /// link of `last` and already cleared; or `first` is [`stub`] and `last_link` [`STUB_LINK`]
    /// (the stub alone, its link cleared).
    #[inline(always)]
    unsafe fn append(&self, first: *mut AnyNode, last_link: *mut Link) -> bool {
        let append = || {
            // SAFETY: forwarded from our caller.
            let prev = unsafe { self.swap_head(last_link) };
            // The window of inconsistency: `head` reaches our chain, `prev` does not yet.
            // SAFETY: `prev` is what our swap returned.
            unsafe { self.link_behind(prev, first) }
        };
        // With the feature, nothing on this core (an interrupt handler that consumes, say) can run
        // inside the window; on other cores it changes nothing.
        #[cfg(feature = "critical-section")]
        return critical_section::with(|_| append());
        #[cfg(not(feature = "critical-section"))]
        append()
    }

    /// The first half of an append: makes `last_link` the head and returns the previous head.
    ///
    /// # Safety
    ///
    /// As for [`append`](Self::append); [`link_behind`](Self::link_behind) must follow.
    #[inline(always)]
    unsafe fn swap_head(&self, last_link: *mut Link) -> *mut Link {
        // AcqRel: Release publishes our cleared link (and for the stub, the consumer's reset) to
        // the producer that swaps after us; Acquire orders the previous swapper's cleared link
        // before our store into it in `link_behind` (the crate docs' "Memory ordering" says why
        // Release alone loses nodes), and, when we replace `PARKED`, the consumer's waker
        // registration before our wake-up.
        self.producer.head.swap(last_link, AcqRel)
    }

    /// The second half of an append: links the previous head `prev` to `first`.
    ///
    /// # Safety
    ///
    /// `prev` was returned by [`swap_head`](Self::swap_head), and this is the only call for it.
    #[inline(always)]
    unsafe fn link_behind(&self, prev: *mut Link, first: *mut AnyNode) -> bool {
        // `head` names links, so the previous head is the very link to write: the predecessor's,
        // or, for the stub, the queue's own. No offset to add, on either path.
        let prev_link = if is_stub(prev) {
            ptr::from_ref(self.stub_next())
        } else {
            prev.cast_const()
        };
        // SAFETY: if `prev` is a node's link, that node was the head, so it is a queued, live `A`,
        // and only we, who swapped it out, may store into its link. It stays live: the consumer
        // cannot take it out until it has a successor, which is what we write here. If `prev` is
        // the stub, the link is the queue's own, which we borrow; only we, who swapped the stub
        // out, may store into it.
        let prev_next = unsafe { &(*prev_link).next };
        // Release: pairs with the consumer's Acquire load of this link in `pop`, so the consumer
        // sees the node's contents (and our cleared link) once it can reach it.
        prev_next.store(first, Release);
        // Whether we replaced the park mark: a sleeping consumer to wake.
        prev == PARKED
    }

    /// Takes the oldest node out of the queue.
    ///
    /// `Empty` is only answered when `head` is the stub too: every enqueue that happened before
    /// this call has swapped `head` away from the stub, so the load of `head` (write-read coherence
    /// with that swap) cannot see the stub, unless the consumer itself re-enqueued the stub
    /// afterwards, which it does only after moving past every earlier node.
    ///
    /// # Safety
    ///
    /// Only one thread at a time may call `pop` or `is_empty` (the single consumer), and calls
    /// on different threads must be ordered by happens-before.
    #[inline]
    pub(crate) unsafe fn pop(&self) -> Result<NonNull<A>, TryDequeueError> {
        // SAFETY: we are the single consumer (our caller's contract).
        let tail = unsafe { self.tail() };
        // The common case first: `tail` is a node with a successor. The stub's name in `tail`
        // has a link too (one of `NULL_LINKS`, always null), so this load is valid whatever
        // `tail` is, and the stub is told apart only when there is no successor.
        // Acquire: pairs with the Release link store in `link_behind`, so the successor (and
        // everything its producer wrote to it) is visible.
        // SAFETY: `tail` is a live queued `A` (its link at `link_of`), which the queue keeps
        // until we pop it, or the stub's name, whose link is one of `NULL_LINKS`.
        let next = unsafe { &(*link_of::<A>(tail)).next }.load(Acquire);
        if !next.is_null() {
            // `tail` has a successor, so no producer will touch it again: it is ours.
            // SAFETY: we are the single consumer (our caller's contract).
            unsafe { self.set_tail(next) };
            // SAFETY: `tail` is not the stub, whose link is always null, so it is a node, pushed
            // as a non-null `A`. (Said to the compiler so that callers need not test it again.)
            return Ok(unsafe { node_of::<A>(tail) });
        }
        // SAFETY: forwarded; `tail` is the current tail and has no successor.
        unsafe { self.pop_unlinked(tail) }
    }

    /// The rest of [`pop`](Self::pop), for a `tail` without a successor: the stub (step past it
    /// if a node is behind it), or a node that is the newest (take it out by putting the stub
    /// behind it), or one whose producer is mid-way.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop); `tail` is the consumer's current tail, and its link was null.
    #[inline]
    unsafe fn pop_unlinked(&self, mut tail: *mut AnyNode) -> Result<NonNull<A>, TryDequeueError> {
        if tail == self.stub() {
            // Acquire: pairs with the Release link store in `link_behind`, so the node behind
            // the stub is visible.
            let first = self.stub_next().next.load(Acquire);
            if first.is_null() {
                return Err(self.nothing_behind_stub());
            }
            // Step past the stub; it stays out of the queue until we re-enqueue it.
            tail = first;
            // SAFETY: we are the single consumer (our caller's contract).
            unsafe { self.set_tail(tail) };
            // Acquire: as above.
            // SAFETY: `tail` is a live queued `A`, which the queue keeps until we pop it.
            let next = unsafe { &(*link_of::<A>(tail)).next }.load(Acquire);
            if !next.is_null() {
                // SAFETY: we are the single consumer (our caller's contract).
                unsafe { self.set_tail(next) };
                // SAFETY: `tail` is a node (it followed the stub), pushed as a non-null `A`.
                return Ok(unsafe { node_of::<A>(tail) });
            }
        }
        // `tail` is a node without a successor: the newest, or a producer is mid-way.
        // If `head` has moved past `tail`'s link, a producer is mid-way.
        // Relaxed: only compared, never dereferenced.
        if self.producer.head.load(Relaxed).cast_const() != link_of::<A>(tail) {
            return Err(TryDequeueError::Inconsistent);
        }
        // SAFETY: forwarded; `tail` is the newest node.
        unsafe { self.take_last(tail) }
    }

    /// Takes out `tail`, which was the newest node when the caller loaded `head`, by putting the
    /// stub behind it.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop); `tail` is the consumer's current tail, a live queued node, and
    /// `head` named it at the caller's last load.
    #[inline]
    unsafe fn take_last(&self, tail: *mut AnyNode) -> Result<NonNull<A>, TryDequeueError> {
        // The stub is out of the queue (we stepped past it), so its link is ours to reset.
        // Relaxed: published by the swap in `append`.
        self.stub_next().next.store(ptr::null_mut(), Relaxed);
        // SAFETY: the stub is out of the queue and its link is cleared. `head` is a node, not
        // `PARKED`: the consumer parks only with `tail` at the stub.
        let parked = unsafe { self.append(self.stub(), STUB_LINK) };
        debug_assert!(!parked);

        // Either our append linked `tail` to the stub, or a producer swapped in between our load
        // of `head` and our swap, and `tail`'s link is that producer's to write.
        // Acquire: as in `pop`.
        // SAFETY: `tail` is still a live queued `A`.
        let next = unsafe { &(*link_of::<A>(tail)).next }.load(Acquire);
        if next.is_null() {
            // That producer has not linked yet; `tail` stays, and the next `pop` finds `head`
            // past it and answers `Inconsistent` until the link is stored.
            return Err(TryDequeueError::Inconsistent);
        }
        // SAFETY: we are the single consumer (our caller's contract).
        unsafe { self.set_tail(next) };
        // SAFETY: `tail` is a node, not the stub, pushed as a non-null `A`.
        Ok(unsafe { node_of::<A>(tail) })
    }

    /// Puts back the node that [`pop`](Self::pop) just returned, at the front: `pop` returns it
    /// again next, at once (its link is already set), and nothing else changes. This is how the
    /// consumer peeks without a slot of its own in the queue.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop); `node` was returned by the latest `pop`, and no `pop` or
    /// `unpop` came after it.
    #[inline]
    pub(crate) unsafe fn unpop(&self, node: NonNull<A>) {
        // `pop` returned `node` only once its link was set (to a node or the stub), and moved
        // `tail` there; setting `tail` back makes `node` the front again, linked as before.
        // SAFETY: we are the single consumer (our caller's contract).
        unsafe { self.set_tail(node.as_ptr().cast()) };
    }

    /// Whether [`pop`](Self::pop) would answer `Empty` right now.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop): called by the single consumer.
    #[inline]
    pub(crate) unsafe fn is_empty(&self) -> bool {
        // SAFETY: we are the single consumer (our caller's contract).
        let tail = unsafe { self.tail() };
        // While `tail` is the stub, `head` is the stub exactly when nothing is behind it: the
        // consumer never re-enqueues the stub while it sits at it. Relaxed: as in `pop`.
        tail == self.stub() && is_stub(self.producer.head.load(Relaxed))
    }

    /// What [`pop`](Self::pop) would answer now, without taking anything: `Ok` if it would
    /// return a node.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop): called by the single consumer.
    #[inline]
    pub(crate) unsafe fn probe(&self) -> Result<(), TryDequeueError> {
        // SAFETY: we are the single consumer (our caller's contract).
        let mut first = unsafe { self.tail() };
        if first == self.stub() {
            // Acquire: as in `pop`, pairs with the producer's link store.
            first = self.stub_next().next.load(Acquire);
            if first.is_null() {
                return Err(self.nothing_behind_stub());
            }
        }
        // `first` is the oldest node. `pop` returns it if it has a successor, or if it is the
        // newest (then `pop` puts the stub behind it).
        // SAFETY: `first` is a live queued `A`.
        let linked = !unsafe { &(*link_of::<A>(first)).next }
            .load(Acquire)
            .is_null();
        // Relaxed: only compared.
        if linked || self.producer.head.load(Relaxed).cast_const() == link_of::<A>(first) {
            Ok(())
        } else {
            Err(TryDequeueError::Inconsistent)
        }
    }

    /// Marks the queue "consumer asleep" if it is empty, and says whether it did.
    ///
    /// On `true`, the next producer's swap returns [`PARKED`] and [`push`](Self::push) tells that
    /// producer to wake the consumer: there is no window in which a node can arrive unnoticed,
    /// because the mark and the producers' swaps are read-modify-writes of the same word. A
    /// producer that is mid-enqueue has already moved `head` off the stub, so the mark fails and
    /// the consumer does not sleep on an inconsistent queue. Costs producers nothing: telling
    /// [`PARKED`] from [`STUB_LINK`] happens only on the stub path.
    ///
    /// Whatever the consumer must publish to the waking producer (its waker) it writes before
    /// this call.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop): called by the single consumer.
    #[inline]
    pub(crate) unsafe fn try_park(&self) -> bool {
        // SAFETY: we are the single consumer (our caller's contract).
        if unsafe { self.tail() } != self.stub() {
            // A node is queued (possibly with the stub re-enqueued behind it).
            return false;
        }
        // With `tail` at the stub, `head` names the stub exactly when nothing is behind it. The
        // mark may already be set by an earlier wait that ended without a producer: set it again,
        // so our new registration is published by this write too.
        // Release: pairs with the Acquire half of the producer's swap that reads the mark.
        [STUB_LINK, PARKED].into_iter().any(|current| {
            self.producer
                .head
                .compare_exchange(current, PARKED, Release, Relaxed)
                .is_ok()
        })
    }

    /// Clears the mark of [`try_park`](Self::try_park) if no producer has replaced it yet, so
    /// that producers stop waking a consumer that no longer waits.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop): called by the single consumer.
    #[inline]
    pub(crate) unsafe fn unpark(&self) {
        // Relaxed, and it must stay a read-modify-write: a producer that swaps after us reads our
        // `STUB_LINK` and must still see the consumer's reset of the stub's link (made before the swap
        // that put the stub back, in `take_last`). A read-modify-write continues the release
        // sequence of that swap and of the park CAS, so the producer's Acquire swap still
        // synchronizes with them; a plain store here would break that chain.
        let _ = self
            .producer
            .head
            .compare_exchange(PARKED, STUB_LINK, Relaxed, Relaxed);
    }

    /// Why there is nothing to take while `tail` is the stub and the stub has no successor:
    /// `Empty`, unless a producer has swapped in behind the stub and not linked yet (possibly with
    /// more, complete, enqueues behind that one).
    #[inline(always)]
    fn nothing_behind_stub(&self) -> TryDequeueError {
        // Relaxed: only compared, never dereferenced (see the module docs).
        if is_stub(self.producer.head.load(Relaxed)) {
            TryDequeueError::Empty
        } else {
            TryDequeueError::Inconsistent
        }
    }

    /// The consumer's end: the oldest node, or the stub's name.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop): called by the single consumer.
    #[inline(always)]
    unsafe fn tail(&self) -> *mut AnyNode {
        // SAFETY: the caller is the only consumer, and the consumer alone touches `tail`.
        self.consumer.tail.with(|t| unsafe { *t })
    }

    /// Moves the consumer's end to `tail`.
    ///
    /// # Safety
    ///
    /// As for [`pop`](Self::pop): called by the single consumer.
    #[inline(always)]
    unsafe fn set_tail(&self, tail: *mut AnyNode) {
        // SAFETY: the caller is the only consumer, and the consumer alone touches `tail`.
        self.consumer.tail.with_mut(|t| unsafe { *t = tail });
    }
}

#[cfg(all(test, not(shuttle)))]
mod tests;
