//! The [`Capacity`] choice: [`Unbounded`], or [`Bounded`] by a capacity fixed at construction.
//!
//! A thin layer over the algorithm: two counters and the capacity beside it. An unbounded queue
//! carries none of it and pays nothing for it.
//!
//! # How the bound is kept
//!
//! - `enqueued` counts claims (on the producers' side of the queue): every producer adds the number of nodes it wants to enqueue with one
//!   `fetch_add`, and subtracts it again (`fetch_sub`) if the claim does not fit. Failed claims are
//!   therefore counted for a moment: that is the source of the rare spurious "full".
//! - `dequeued` counts nodes the consumer has handed over (on the consumer's side). Only the
//!   consumer writes it, with a plain store of its own running count: no read-modify-write on the
//!   consumer's side.
//! - Before claiming, a producer reads both counters and gives up at once if the queue looks full:
//!   a refusal then writes nothing, so producers hammering a full queue do not pull the claim
//!   counter's cache line away from each other, or the consumer's count from the consumer. The
//!   pre-check only ever refuses, which the bound always allows; acceptance is decided by the
//!   claim below.
//! - A claim of `n` that returned `e` from the `fetch_add`, having read `d` from `dequeued`, is
//!   accepted when `e - d + n <= capacity` (in signed arithmetic, since `d` may be newer than `e`).
//!
//! Why this never exceeds the capacity: take all accepted claims so far, and the one of them that
//! comes last in `enqueued`'s modification order, `Q` (which returned `e_Q` and read `d_Q`). Every
//! other accepted claim is before it and is never undone, so together they are at most `e_Q`
//! nodes, and all accepted nodes at most `e_Q + n_Q <= d_Q + capacity`. The consumer has handed
//! over at least `d_Q` nodes (it publishes only counts it has reached, and they only grow), and
//! with the `Acquire`/`Release` pair on `dequeued` those hand-overs happen-before `Q`'s enqueue.
//! So at most `capacity` accepted nodes are inside at any time. Nothing here depends on the order
//! of a producer's `fetch_add` and its load of `dequeued`.
//!
//! The counters wrap around; differences are read as `isize`. They stay far from `isize::MAX` in
//! magnitude: nodes inside plus claims in flight, and at most `usize::MAX / size_of::<Link>()`
//! links fit in memory, fewer than `isize::MAX`.

use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::loom::AtomicUsize;

/// Whether a queue holds any number of nodes ([`Unbounded`]) or at most a capacity fixed at
/// construction ([`Bounded`]).
///
/// This is the second type parameter of [`Queue`](crate::Queue). An unbounded queue has
/// [`enqueue`](crate::Queue::enqueue), which cannot fail; a bounded one has
/// [`try_enqueue`](crate::Queue::try_enqueue) alone, which hands the node back when the queue is
/// full, and [`len`](crate::Queue::len). Every queue has `try_enqueue` (on an unbounded queue it
/// always succeeds), so code generic over the capacity can use it.
///
/// The trait is sealed: these two are the only choices.
pub trait Capacity: sealed::Capacity {}

/// No capacity: [`enqueue`](crate::Queue::enqueue) always succeeds, and the queue carries no
/// counter at all.
///
/// A type-level marker; it has no values.
#[derive(Debug)]
pub enum Unbounded {}

/// At most a capacity fixed at construction ([`Queue::with_capacity`](crate::Queue::with_capacity) takes it):
/// [`try_enqueue`](crate::Queue::try_enqueue) hands the node back when the queue is full.
///
/// WireGuard caps each peer's queue the same way (1024 packets) so that a flood cannot pin
/// unbounded memory or slow down the path that drains it. Its counter costs an atomic
/// compare-and-swap loop per enqueue and an atomic decrement per dequeue, the hottest
/// instructions of its queue. Here:
///
/// - **an accepted enqueue** costs one `fetch_add` on a claim counter and two loads, beyond the
///   queue's own swap;
/// - **a refused enqueue** usually costs two loads and writes nothing, so a flood against a full
///   queue does not slow its consumer down; a claim that loses a race near the limit is undone with
///   one `fetch_sub`;
/// - **a dequeue** costs one plain `Release` store: the consumer publishes its running count. No
///   atomic read-modify-write.
///
/// The number of nodes inside never exceeds the capacity. A node held by
/// [`peek`](crate::Consumer::peek) counts as inside until it is handed over or dropped, as in
/// WireGuard: a consumer that stalls on a not-ready first node cannot let the queue grow past the
/// bound behind it.
///
/// The price of the cheap counters is a rare spurious refusal near the limit: while another
/// producer's claim that is about to be refused is in flight (between its `fetch_add` and its
/// undo), it still counts, so an enqueue that would fit can be refused. An enqueue is refused
/// only when the nodes inside, plus those that concurrent calls are in the middle of claiming,
/// would exceed the capacity; never when the queue is empty and no other producer is enqueueing.
///
/// [Batches](crate::Batch) are all-or-nothing:
/// [`try_enqueue_batch`](crate::Queue::try_enqueue_batch) claims the whole batch with the same
/// single `fetch_add`.
///
/// # Memory ordering
///
/// As for any queue, an enqueue happens-before the dequeue that returns its node. In addition, a
/// dequeue happens-before every enqueue that sees its count, and in particular before an enqueue
/// that is accepted only because that dequeue made room: whatever the consumer did before taking
/// a node out is visible to the producer that reuses the room, as with a semaphore's permit.
///
/// A type-level marker; it has no values.
#[derive(Debug)]
pub enum Bounded {}

impl Capacity for Unbounded {}
impl Capacity for Bounded {}

/// What a claim for room did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The room is ours.
    Granted,
    /// Refused without writing anything: it cannot have made another claim fail.
    Refused,
    /// Refused after counting itself and undoing that: while it counted, a concurrent claim may
    /// have been refused spuriously because of it.
    Undone,
}

pub(crate) mod sealed {
    use super::Claim;

    /// What a capacity decides: the state on each side of the queue, and the two hooks that keep
    /// it.
    pub trait Capacity: 'static {
        /// State the producers write: the claim counter and the capacity.
        type Claims: Send + Sync;
        /// State the consumer writes: the count of nodes handed over.
        type HandedOver: Send + Sync;
        /// The channel's senders waiting for room: none when unbounded.
        #[cfg(feature = "alloc")]
        type Room: crate::channel::Room;

        /// Claims room for `n` nodes, `n >= 1`, and says how it went.
        fn try_claim(claims: &Self::Claims, handed_over: &Self::HandedOver, n: usize) -> Claim;

        /// Claims room for `n` nodes, `n >= 1`, or returns `false` having claimed nothing.
        #[inline(always)]
        fn claim(claims: &Self::Claims, handed_over: &Self::HandedOver, n: usize) -> bool {
            Self::try_claim(claims, handed_over, n) == Claim::Granted
        }

        /// Records that the single consumer handed one node over.
        fn handed_over(handed_over: &Self::HandedOver);
    }
}

impl sealed::Capacity for Unbounded {
    type Claims = ();
    type HandedOver = ();
    #[cfg(feature = "alloc")]
    type Room = ();

    #[inline(always)]
    fn try_claim(_: &(), _: &(), _: usize) -> Claim {
        Claim::Granted
    }

    #[inline(always)]
    fn handed_over(_: &()) {}
}

/// The producers' side of a bounded queue.
pub struct Claims {
    /// Nodes claimed by producers, wrapping: every accepted node, plus claims in flight.
    enqueued: AtomicUsize,
    /// The bound, in `1..=isize::MAX`.
    capacity: usize,
}

impl Claims {
    crate::loom::const_fn! {
        /// No claim yet, and room for `capacity` nodes.
        ///
        /// # Panics
        ///
        /// If `capacity` is 0 or greater than `isize::MAX`.
        pub(crate) fn new(capacity: usize) -> Claims {
            assert!(
                capacity != 0 && capacity <= isize::MAX as usize,
                "a bounded queue's capacity must be in 1..=isize::MAX"
            );
            Claims {
                enqueued: AtomicUsize::new(0),
                capacity,
            }
        }
    }

    /// The capacity.
    #[inline(always)]
    pub(crate) const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of nodes inside: exact when no enqueue or dequeue is in progress, an estimate
    /// otherwise, always in `0..=capacity`.
    #[inline]
    pub(crate) fn len(&self, handed_over: &AtomicUsize) -> usize {
        // Relaxed, both: a snapshot that nothing is read through. Loading `dequeued` first keeps
        // the difference from going negative in the common case; it is clamped anyway.
        let dequeued = handed_over.load(Relaxed);
        let enqueued = self.enqueued.load(Relaxed);
        let len = enqueued.wrapping_sub(dequeued) as isize;
        // `capacity <= isize::MAX`, so the cast and the clamp's bounds are exact.
        len.clamp(0, self.capacity as isize) as usize
    }

    /// Whether `n` more nodes fit when `enqueued` claims are counted and `dequeued` nodes have been
    /// handed over.
    #[inline(always)]
    fn fits(&self, enqueued: usize, dequeued: usize, n: usize) -> bool {
        // Claims not handed over yet. Negative when the consumer has already handed over nodes
        // whose claims came after `enqueued` was read.
        let ahead = enqueued.wrapping_sub(dequeued) as isize;
        // `n <= capacity <= isize::MAX` (the callers check), so neither side overflows.
        ahead <= (self.capacity - n) as isize
    }
}

impl sealed::Capacity for Bounded {
    type Claims = Claims;
    type HandedOver = AtomicUsize;
    #[cfg(feature = "alloc")]
    type Room = crate::channel::Waiters;

    #[inline(always)]
    fn try_claim(claims: &Claims, dequeued: &AtomicUsize, n: usize) -> Claim {
        if n > claims.capacity {
            return Claim::Refused;
        }
        // The read-only pre-check: refuse without writing when the queue looks full. Relaxed on
        // `enqueued`: a stale (smaller) value only lets us go on to the real claim. Acquire on
        // `dequeued`: as below; a stale (smaller) value can only refuse, which is allowed.
        if !claims.fits(claims.enqueued.load(Relaxed), dequeued.load(Acquire), n) {
            return Claim::Refused;
        }
        // Relaxed: the claim needs only its place in this counter's modification order, which
        // every read-modify-write gets; it publishes nothing (the nodes are published by the
        // queue's own swap and link store).
        let enqueued = claims.enqueued.fetch_add(n, Relaxed);
        // Acquire: pairs with the consumer's Release store in `handed_over`, so the dequeues we
        // count on happen-before our enqueue.
        if claims.fits(enqueued, dequeued.load(Acquire), n) {
            Claim::Granted
        } else {
            // Relaxed: undoes our own claim; as above, it only needs to be atomic.
            claims.enqueued.fetch_sub(n, Relaxed);
            Claim::Undone
        }
    }

    #[inline(always)]
    fn handed_over(dequeued: &AtomicUsize) {
        // Relaxed load: the consumer is the only writer, so this reads its own latest store (or,
        // for a new consumer, the previous one's, ordered before it by the consumer hand-over).
        let count = dequeued.load(Relaxed).wrapping_add(1);
        // Release: pairs with the producers' Acquire loads in `claim`, so this dequeue
        // happens-before any enqueue that counts on the room it made. A plain store: the consumer
        // is the only writer, so no read-modify-write is needed.
        dequeued.store(count, Release);
    }
}
