//! The [`Waiting`] choice: a consumer that only polls ([`NoWait`]), or one that can sleep until a
//! node arrives ([`Wait`]). This module holds what each choice keeps in the queue and in the
//! consumer; the sleeping consumer's methods, and the protocol they follow, are in the queue's
//! `sleep` module ([`Consumer::wait_blocking`](crate::Consumer::wait_blocking) and its siblings).

#[cfg(feature = "std")]
use core::task::Waker;

use crate::policy::waker::AtomicWaker;
use crate::sync::AtomicBool;

/// Whether a queue's consumer can only poll ([`NoWait`]) or can also sleep until a node arrives
/// ([`Wait`]).
///
/// This is the third type parameter of [`Queue`](crate::Queue). A queue that can wait has the
/// [waiting methods](crate::Consumer#waiting-for-nodes) on its consumer and [`notify`](crate::Queue::notify);
/// its producers pay for it only when the consumer actually sleeps.
///
/// The trait is sealed: these two are the only choices.
pub trait Waiting: sealed::Waiting {}

/// A consumer that only polls: [`try_dequeue`](crate::Consumer::try_dequeue),
/// [`dequeue`](crate::Consumer::dequeue) and the rest. The queue carries nothing for sleeping.
///
/// A type-level marker; it has no values.
#[derive(Debug)]
pub enum NoWait {}

/// A consumer that can also sleep until a node arrives: blocking a thread
/// ([`dequeue_blocking`][crate::Consumer::dequeue_blocking], feature `std`) or suspending an async task
/// ([`poll_dequeue`](crate::Consumer::poll_dequeue), [`dequeue_async`](crate::Consumer::dequeue_async)), and
/// [`notify`](crate::Queue::notify) with [`wait_blocking`][crate::Consumer::wait_blocking] for a consumer that waits for its peeked
/// node to become ready.
///
/// No wake-up is ever lost: a producer whose enqueue returns after the consumer started to sleep
/// wakes it, and a consumer never sleeps while a producer is mid-enqueue. A producer's enqueue
/// costs the same as on a queue that cannot wait while the consumer is awake; it wakes the consumer
/// only when the consumer actually sleeps. The queue carries a waker slot and a notification flag
/// (32 bytes more on 64-bit targets).
///
/// # Memory ordering
///
/// The consumer registers its waker, then marks the queue's head "asleep" with a `Release`
/// compare-and-swap that succeeds only on an empty queue; the producer whose `AcqRel` swap of the
/// head returns the mark acquires the registration and wakes it after its link store. A
/// [`notify`](crate::Queue::notify) (`Release`) happens-before the wait it ends (`AcqRel` swap of the
/// flag).
///
/// A type-level marker; it has no values.
///
#[cfg_attr(
    not(feature = "std"),
    doc = "[crate::Consumer::dequeue_blocking]: crate#features"
)]
#[cfg_attr(
    not(feature = "std"),
    doc = "[crate::Consumer::wait_blocking]: crate#features"
)]
#[derive(Debug)]
pub enum Wait {}

impl Waiting for NoWait {}
impl Waiting for Wait {}

pub(crate) mod sealed {
    /// What a waiting choice decides: state in the queue, state in the consumer, and the
    /// producer's wake-up.
    pub trait Waiting: 'static {
        /// In the queue, beside the consumer's end: where a sleeping consumer leaves its waker.
        type Shared: Send + Sync;
        /// In the consumer: whether it left the "asleep" mark, and its thread's waker.
        type Waiter: Default + Send + Sync;

        /// The shared state of an empty queue.
        #[cfg(not(any(loom, shuttle)))]
        #[allow(
            clippy::declare_interior_mutable_const,
            reason = "only ever moved into a new queue, never borrowed"
        )]
        const SHARED: Self::Shared;

        /// The shared state of an empty queue (under loom and shuttle, where it is not `const`: see
        /// `crate::sync::const_fn`).
        #[cfg(any(loom, shuttle))]
        fn shared() -> Self::Shared;

        /// Wakes the consumer: called by the producer whose swap of the head replaced the
        /// "asleep" mark, after its link store.
        fn wake(shared: &Self::Shared);

        /// Forgets that the consumer left the "asleep" mark, and says whether it had: the
        /// consumer then clears the mark.
        fn take_parked(waiter: &mut Self::Waiter) -> bool;

        /// Takes the consumer's waker out of the queue if it registered one: it no longer
        /// waits. Called by the consumer only.
        fn forget_waker(shared: &Self::Shared, waiter: &mut Self::Waiter);
    }
}

impl sealed::Waiting for NoWait {
    type Shared = ();
    type Waiter = ();

    #[cfg(not(any(loom, shuttle)))]
    const SHARED: () = ();

    #[cfg(any(loom, shuttle))]
    fn shared() {}

    #[inline(always)]
    fn wake(_: &()) {}

    #[inline(always)]
    fn take_parked(_: &mut ()) -> bool {
        false
    }

    #[inline(always)]
    fn forget_waker(_: &(), _: &mut ()) {}
}

/// The queue's side of [`Wait`]: the consumer's waker and the notification flag.
pub struct Shared {
    /// The waker of the sleeping consumer.
    pub(crate) waker: AtomicWaker,
    /// Set by `notify`, consumed by the consumer's `wait_blocking` (or `poll_wait`).
    pub(crate) notified: AtomicBool,
}

impl Shared {
    crate::sync::const_fn! {
        /// No waker, not notified.
        fn new() -> Shared {
            Shared {
                waker: AtomicWaker::new(),
                notified: AtomicBool::new(false),
            }
        }
    }

    /// Wakes the consumer's registered waker, if any.
    #[inline]
    pub(crate) fn wake(&self) {
        self.waker.wake();
    }
}

/// The consumer's half of the sleeping protocol.
#[derive(Default)]
pub struct Waiter {
    /// Whether our last wait left the "consumer asleep" mark in `head`.
    pub(crate) parked: bool,
    /// Whether we registered a waker since we last took it out ([`Consumer`]'s drop and a
    /// dropped [`DequeueFuture`](crate::DequeueFuture) take it out).
    ///
    /// [`Consumer`]: crate::Consumer
    pub(crate) registered: bool,
    /// A waker that unparks the thread that made it, kept for the blocking waits; the consumer
    /// may move to another thread, which then makes its own.
    #[cfg(feature = "std")]
    pub(crate) thread_waker: Option<(crate::sync::thread::ThreadId, Waker)>,
    /// How long the next blocking wait spins before it parks, from how the last one ended (see
    /// `Consumer::look_then_spin`).
    #[cfg(feature = "std")]
    pub(crate) budget: crate::policy::park::WaitBudget,
}

impl sealed::Waiting for Wait {
    type Shared = Shared;
    type Waiter = Waiter;

    #[cfg(not(any(loom, shuttle)))]
    #[allow(
        clippy::declare_interior_mutable_const,
        reason = "only ever moved into a new queue, never borrowed"
    )]
    const SHARED: Shared = Shared::new();

    #[cfg(any(loom, shuttle))]
    fn shared() -> Shared {
        Shared::new()
    }

    #[inline]
    fn wake(shared: &Shared) {
        shared.wake();
    }

    #[inline]
    fn take_parked(waiter: &mut Waiter) -> bool {
        core::mem::take(&mut waiter.parked)
    }

    #[inline]
    fn forget_waker(shared: &Shared, waiter: &mut Waiter) {
        if core::mem::take(&mut waiter.registered) {
            shared.waker.clear();
        }
    }
}
