//! The [`Capacity`] choice: [`Unbounded`], or [`Bounded`] by a capacity fixed at construction.
//!
//! A thin layer over the algorithm: two counters, a limit and the capacity beside it. An
//! unbounded queue carries none of it and pays nothing for it.
//!
//! # How the bound is kept
//!
//! - `enqueued` counts claims (on the producers' side of the queue): every producer adds the
//!   number of nodes it wants to enqueue with one `fetch_add`, and subtracts it again
//!   (`fetch_sub`) if the claim does not fit. Failed claims are therefore counted for a moment:
//!   that is the source of the rare spurious "full".
//! - `dequeued` counts nodes the consumer has handed over (on the consumer's side). Only the
//!   consumer writes it, with a plain store of its own running count: no read-modify-write on the
//!   consumer's side.
//! - `limit` (on the producers' side) is `d + capacity` for some count `d` that a producer read
//!   from `dequeued`, published for the other producers. A claim that stays within it never reads
//!   `dequeued`, so while the queue has room the consumer's line stays with the consumer: its
//!   store of `dequeued` hits its own cache instead of taking the line back from every producer
//!   each time. Only a claim that would pass the limit reads `dequeued` and publishes the new
//!   limit (JCTools's bounded queues keep the same "producer limit").
//! - Before claiming, a producer reads `enqueued` and the limit (and `dequeued` if past it), and
//!   gives up at once if the queue looks full: a refusal then writes nothing, so producers
//!   hammering a full queue do not pull the claim counter's line away from each other. The
//!   pre-check only ever refuses, which the bound always allows; acceptance is decided by the
//!   claim below.
//! - A claim of `n` that returned `e` from the `fetch_add` is accepted when `e + n <= L` (in
//!   signed arithmetic on the difference), where `L` is the limit it read or, failing that, the
//!   limit from a fresh read of `dequeued`.
//! - A [`Reservation`](crate::Reservation) is one accepted claim of `n` whose nodes are enqueued
//!   later, one by one or in batches, with no counter touched; when it is dropped, the room it did
//!   not use is given back with one `fetch_sub` (a *give-back*).
//!
//! Why this never exceeds the capacity: take all accepted claims so far, and the one of them that
//! comes last in `enqueued`'s modification order, `Q` (which returned `e_Q` and accepted under
//! `L_Q = d_Q + capacity`). `e_Q` is the sum of every change to `enqueued` before `Q`'s. Every
//! other accepted claim `c` is among them (an addition of `n_c`), and puts at most `n_c` nodes in;
//! a give-back before `Q` subtracts room its claim never uses (that claim is before `Q` too: the
//! give-back happens after its claim, in the claiming thread or through the send that moved the
//! reservation, and write-write coherence keeps that order in `enqueued`), and a refused claim's
//! undo cancels an addition before it. So the other accepted claims put in at most `e_Q` nodes,
//! and all accepted claims at most `e_Q + n_Q <= d_Q + capacity`. The consumer has handed over at
//! least `d_Q` nodes (it publishes only counts it has reached, and they only grow), and those
//! hand-overs happen-before every enqueue under `Q`'s claim (each happens after the claim, in its
//! thread or through the send of the reservation): `Q` read `d_Q` from `dequeued` with `Acquire`
//! (pairing with the consumer's `Release` store), or read `L_Q` from `limit` with `Acquire`,
//! pairing with the `Release` store of the producer that read `d_Q` so. So at most `capacity`
//! accepted nodes are inside at any time. A stale limit (one published late, after a newer one) is
//! smaller than the newest, so it only refuses or sends producers to `dequeued` sooner. Nothing
//! here depends on the order of a producer's `fetch_add` and its loads.
//!
//! # Refusals
//!
//! A claim is refused only when the queue was full in the producer's view, and that view is kept
//! recent enough for a producer that knows the queue has room to be granted: if the hand-overs
//! that made the room happen-before the claim (the producer saw its own earlier node received,
//! say), the claim is not refused, except while other claims are in flight. Every claim's
//! `fetch_add` is `AcqRel` and the pre-check loads `enqueued` with `Acquire`, so a producer that
//! reads a count including another producer's claim also has every hand-over that happened
//! before that claim; its `Acquire` load of `dequeued` then reads those hand-overs or later
//! ones. With `Relaxed` claims, a producer could count the claims of producers that had seen the
//! consumer's newer count while reading an older count itself, and be refused with room to
//! spare (Miri's weak-memory emulation found such a run of the test
//! `never_refused_while_below_the_capacity`). The undoing and give-back `fetch_sub`s can stay
//! `Relaxed`: they add no claim, and as read-modify-writes they do not break the chain of
//! releases (a release sequence) that later claims acquire.
//!
//! The channel (`crate::channel`) also counts a bounded channel's sends on `enqueued`: a granted
//! claim is a send the receiver waits for once it has closed the channel, and the receiver tells
//! that every such send arrived by comparing `enqueued` with `dequeued` (`claims_settled`). That
//! adds no write here: a sender whose claim was granted after the close gives it back, which is a
//! give-back as above (in the claiming thread, after its claim), so the argument covers it. The
//! orderings of that end-of-stream check are the channel's own (a `SeqCst` fence on each side, see
//! its `Shared::finished`); the counters' orderings here are unchanged.
//!
//! The counters wrap around; differences are read as `isize`, which is exact while they stay below
//! `isize::MAX` in magnitude. `enqueued - dequeued` is at most the room taken (nodes inside and
//! room held by reservations, together at most `capacity`) plus the claims in flight, at most one
//! per thread and each at most `capacity`: below `isize::MAX` for any capacity up to `2^32` with
//! fewer than `2^30` threads on a 64-bit target. (Without reservations every claim is backed by
//! nodes, and at most `usize::MAX / size_of::<Link>()` links fit in memory, fewer than
//! `isize::MAX`, whatever the capacity.) Past that, a claim could be granted wrongly; with a
//! capacity so large, no memory could hold the nodes anyway. A limit stored late lags by the
//! nodes that went through while its producer was preempted between its load and its store, far
//! fewer again.

use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::sync::AtomicUsize;

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
/// - **an accepted enqueue** costs one `fetch_add` on a claim counter and two loads on the
///   producers' own cache line, beyond the queue's own swap; it reads the consumer's count (and
///   publishes a new limit for the other producers) only when the limit it has would be passed;
/// - **a refused enqueue** costs three loads and writes nothing; a claim that loses a race near the
///   limit is undone with one `fetch_sub`;
/// - **a dequeue** costs one plain `Release` store: the consumer publishes its running count. No
///   atomic read-modify-write, and while the queue has room no producer reads that count, so the
///   store stays in the consumer's cache;
/// - **a [reservation](crate::Reservation)** ([`try_reserve`](crate::Queue::try_reserve)) claims
///   room for several nodes with the same single `fetch_add`; its enqueues then cost what an
///   unbounded queue's do, and room left unused is given back with one `fetch_sub` when it is
///   dropped. With one producer and the consumer on different cores, the claim's read-modify-write
///   on every message is most of what a bounded queue loses against an unbounded one (the
///   performance docs, `perf/README.md`, have the figures); a reservation pays it once per burst.
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
/// plus the room held by [reservations](crate::Reservation), would exceed the capacity; never
/// when the queue is empty, no reservation holds room and no other producer is enqueueing.
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
        /// State that a front above the queue keeps only when the queue is bounded (the
        /// channel's list of senders waiting for room): `T` itself when bounded, nothing when
        /// unbounded. The fronts name it; this layer knows nothing of them.
        type WhenBounded<T: Send + Sync + 'static>: Send + Sync + 'static;

        /// The [`WhenBounded`](Capacity::WhenBounded) state, made by `make` when bounded.
        fn when_bounded<T: Send + Sync + 'static>(make: impl FnOnce() -> T)
            -> Self::WhenBounded<T>;

        /// The `T` inside, when bounded.
        fn bounded_part<T: Send + Sync + 'static>(state: &Self::WhenBounded<T>) -> Option<&T>;

        /// Claims room for `n` nodes, `n >= 1`, and says how it went.
        fn try_claim(claims: &Self::Claims, handed_over: &Self::HandedOver, n: usize) -> Claim;

        /// Claims room for `n` nodes, `n >= 1`, or returns `false` having claimed nothing.
        #[inline(always)]
        fn claim(claims: &Self::Claims, handed_over: &Self::HandedOver, n: usize) -> bool {
            Self::try_claim(claims, handed_over, n) == Claim::Granted
        }

        /// Gives back `n >= 1` nodes' worth of room that an accepted claim will never use (the
        /// unused rest of a [`Reservation`](crate::Reservation)).
        fn give_back(claims: &Self::Claims, n: usize);

        /// The most nodes one claim can ever be granted: the capacity, or `usize::MAX`.
        fn max_claim(claims: &Self::Claims) -> usize;

        /// Records that the single consumer handed one node over.
        fn handed_over(handed_over: &Self::HandedOver);

        /// Whether every claim so far was handed over: no node inside, no claim in flight, no
        /// room held by a reservation. Only the consumer may ask (it reads its own count), and
        /// the answer is exact only as of the load of the claim counter, which is `Relaxed`:
        /// the caller orders it (the channel's end of stream, see its `Shared::finished`).
        /// Always `true` when unbounded, which keeps no count.
        fn claims_settled(claims: &Self::Claims, handed_over: &Self::HandedOver) -> bool;

        /// The queue's length as the counters tell it (see `Claims::len`): 0 when unbounded,
        /// which keeps no count.
        fn claimed_len(claims: &Self::Claims, handed_over: &Self::HandedOver) -> usize;

        /// Adds what the capacity knows to a queue's `Debug` output: nothing when unbounded.
        fn debug_fields(
            claims: &Self::Claims,
            handed_over: &Self::HandedOver,
            out: &mut core::fmt::DebugStruct<'_, '_>,
        );
    }
}

impl sealed::Capacity for Unbounded {
    type Claims = ();
    type HandedOver = ();
    type WhenBounded<T: Send + Sync + 'static> = ();

    #[inline(always)]
    fn when_bounded<T: Send + Sync + 'static>(_: impl FnOnce() -> T) {}

    #[inline(always)]
    fn bounded_part<T: Send + Sync + 'static>(_: &()) -> Option<&T> {
        None
    }

    #[inline(always)]
    fn try_claim(_: &(), _: &(), _: usize) -> Claim {
        Claim::Granted
    }

    #[inline(always)]
    fn give_back(_: &(), _: usize) {}

    #[inline(always)]
    fn max_claim(_: &()) -> usize {
        usize::MAX
    }

    #[inline(always)]
    fn handed_over(_: &()) {}

    #[inline(always)]
    fn claims_settled(_: &(), _: &()) -> bool {
        true
    }

    #[inline(always)]
    fn claimed_len(_: &(), _: &()) -> usize {
        0
    }

    fn debug_fields(_: &(), _: &(), _: &mut core::fmt::DebugStruct<'_, '_>) {}
}

/// The producers' side of a bounded queue.
pub struct Claims {
    /// Nodes claimed by producers, wrapping: every accepted node, plus claims in flight.
    enqueued: AtomicUsize,
    /// A limit for `enqueued` that some producer has read off the consumer's count: `dequeued +
    /// capacity` for a value of `dequeued` the consumer has reached. Claims that stay within it
    /// never read the consumer's count (JCTools calls it the producer limit). It may lag behind
    /// the consumer, and a producer that stores a limit it computed earlier can even move it back:
    /// either way it only sends producers to the consumer's count sooner, never lets one past.
    limit: AtomicUsize,
    /// The bound, in `1..=isize::MAX`.
    capacity: usize,
}

impl Claims {
    crate::sync::const_fn! {
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
                // Nothing handed over yet.
                limit: AtomicUsize::new(capacity),
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

    /// The limit for `enqueued` once the consumer has handed `dequeued` nodes over.
    #[inline(always)]
    fn limit_after(&self, dequeued: usize) -> usize {
        dequeued.wrapping_add(self.capacity)
    }
}

/// Whether `n` more nodes fit when `enqueued` claims are counted and the limit is `limit`.
#[inline(always)]
fn within(enqueued: usize, limit: usize, n: usize) -> bool {
    // Room left under the limit; negative when the claims are already past it (a limit that lags,
    // or claims in flight). `n <= capacity <= isize::MAX` (the callers check).
    limit.wrapping_sub(enqueued) as isize >= n as isize
}

impl sealed::Capacity for Bounded {
    type Claims = Claims;
    type HandedOver = AtomicUsize;
    type WhenBounded<T: Send + Sync + 'static> = T;

    #[inline(always)]
    fn when_bounded<T: Send + Sync + 'static>(make: impl FnOnce() -> T) -> T {
        make()
    }

    #[inline(always)]
    fn bounded_part<T: Send + Sync + 'static>(state: &T) -> Option<&T> {
        Some(state)
    }

    #[inline(always)]
    fn try_claim(claims: &Claims, dequeued: &AtomicUsize, n: usize) -> Claim {
        if n > claims.capacity {
            return Claim::Refused;
        }
        // The read-only pre-check, on the producers' own line while the shared limit allows:
        // refuse without writing when the queue looks full. Acquire on `enqueued`: pairs with
        // the claims' Release half (the `fetch_add` below), so every hand-over that happened
        // before a claim we count here happens-before our read of `dequeued` (see "Refusals" in
        // the module docs); a stale (smaller) value only lets us go on to the real claim.
        // Acquire on `limit`: pairs with the Release store of the producer that published it,
        // which read `dequeued` with Acquire: so the hand-overs that made this room
        // happen-before our enqueue.
        let enqueued = claims.enqueued.load(Acquire);
        let mut limit = claims.limit.load(Acquire);
        if !within(enqueued, limit, n) {
            // Past the shared limit: ask the consumer's count, the only read of the consumer's
            // side. Acquire: pairs with the consumer's Release store in `handed_over`.
            let fresh = claims.limit_after(dequeued.load(Acquire));
            if !within(enqueued, fresh, n) {
                return Claim::Refused;
            }
            // Release: publishes the hand-overs we just acquired to the producers that claim
            // within this limit (their Acquire load above).
            claims.limit.store(fresh, Release);
            limit = fresh;
        }
        // AcqRel. For the bound, the claim needs only its place in this counter's modification
        // order, which every read-modify-write gets (the nodes are published by the queue's own
        // swap and link store). For refusals: Release passes on what we knew when we claimed
        // (the hand-overs that made room for us), Acquire takes what the earlier claimers knew,
        // so the `dequeued` we read below is no older than any hand-over that happened before a
        // claim counted in the value we get ("Refusals" in the module docs). On x86-64 this is
        // the same `lock xadd` as Relaxed.
        let enqueued = claims.enqueued.fetch_add(n, AcqRel);
        if within(enqueued, limit, n) {
            return Claim::Granted;
        }
        // Others claimed since our pre-check: ask the consumer's count once more.
        // Acquire: as above.
        let fresh = claims.limit_after(dequeued.load(Acquire));
        if within(enqueued, fresh, n) {
            // Release: as above.
            claims.limit.store(fresh, Release);
            Claim::Granted
        } else {
            // Relaxed: undoes our own claim; as above, it only needs to be atomic.
            claims.enqueued.fetch_sub(n, Relaxed);
            Claim::Undone
        }
    }

    #[inline(always)]
    fn max_claim(claims: &Claims) -> usize {
        claims.capacity
    }

    #[inline]
    fn give_back(claims: &Claims, n: usize) {
        // Relaxed: like undoing a refused claim. The room given back never held a node, so there
        // is no hand-over to publish; a producer that sees the smaller count learns of the room
        // the consumer made from `dequeued` or `limit`, as always.
        claims.enqueued.fetch_sub(n, Relaxed);
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

    #[inline]
    fn claims_settled(claims: &Claims, dequeued: &AtomicUsize) -> bool {
        // Relaxed, both: `dequeued` is the caller's own count (only the consumer writes it);
        // the claim counter's load is ordered by the caller (see the trait).
        claims.enqueued.load(Relaxed) == dequeued.load(Relaxed)
    }

    #[inline]
    fn claimed_len(claims: &Claims, dequeued: &AtomicUsize) -> usize {
        claims.len(dequeued)
    }

    fn debug_fields(
        claims: &Claims,
        dequeued: &AtomicUsize,
        out: &mut core::fmt::DebugStruct<'_, '_>,
    ) {
        out.field("capacity", &claims.capacity())
            .field("len", &claims.len(dequeued));
    }
}
