//! One generic test body for every kind of queue: traits that build a queue of each capacity
//! kind and reach the waiting consumer's methods where they exist, and macros that instantiate a
//! generic test function once per kind. Also the producers' retries of refused nodes.
//!
//! A test written as `fn body<B: CapacityKind, W: WaitingKind, L: Layout>()` and listed in
//! [`every_kind!`] runs as eight `#[test]`s, `body::unbounded_nowait_compact` to
//! `body::bounded_wait_padded`, so a failure names the kind and `cargo test body::bounded_`
//! picks a subset.

use std::task::{Context, Poll};
use std::time::Duration;

use intrusive_mpsc::{
    Batch, Bounded, Capacity, Compact, Consumer, Layout, NoWait, Node, Padded, Queue, QueueRef,
    ReadySet, Unbounded, Wait, Waiting,
};

use super::{msg, Msg};

/// The handle type of a consumer's queue.
pub type HandleOf<Q> = <<Q as QueueRef>::Node as Node>::Handle;

/// A [`Capacity`] the tests can build a queue of, and ask about its bound.
pub trait CapacityKind: Capacity + Sized {
    /// Whether a full queue of this kind refuses nodes.
    const BOUNDED: bool;

    /// An empty queue; `capacity` is its bound if it has one (and ignored otherwise).
    fn queue<N: Node, W: Waiting, L: Layout>(capacity: usize) -> Queue<N, Self, W, L>;

    /// `queue.len()` if the queue is bounded.
    fn len<N: Node, W: Waiting, L: Layout>(queue: &Queue<N, Self, W, L>) -> Option<usize>;
}

impl CapacityKind for Unbounded {
    const BOUNDED: bool = false;

    fn queue<N: Node, W: Waiting, L: Layout>(_: usize) -> Queue<N, Self, W, L> {
        Queue::new()
    }

    fn len<N: Node, W: Waiting, L: Layout>(_: &Queue<N, Self, W, L>) -> Option<usize> {
        None
    }
}

impl CapacityKind for Bounded {
    const BOUNDED: bool = true;

    fn queue<N: Node, W: Waiting, L: Layout>(capacity: usize) -> Queue<N, Self, W, L> {
        let queue = Queue::with_capacity(capacity);
        assert_eq!(queue.capacity(), capacity);
        queue
    }

    fn len<N: Node, W: Waiting, L: Layout>(queue: &Queue<N, Self, W, L>) -> Option<usize> {
        Some(queue.len())
    }
}

/// A [`Waiting`] choice, with the sleeping consumer's methods reachable from generic code: each
/// returns `None` (and does nothing) where the consumer cannot sleep.
pub trait WaitingKind: Waiting + Sized {
    /// Whether the consumer of this kind can sleep.
    const WAITS: bool;

    /// [`Queue::notify`].
    fn notify<N: Node, B: Capacity, L: Layout>(queue: &Queue<N, B, Self, L>) -> Option<()>;

    /// [`Consumer::poll_dequeue`].
    fn poll_dequeue<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        cx: &mut Context<'_>,
    ) -> Option<Poll<HandleOf<Q>>>;

    /// [`Consumer::poll_wait`].
    fn poll_wait<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        cx: &mut Context<'_>,
    ) -> Option<Poll<()>>;

    /// [`Consumer::dequeue_timeout_blocking`].
    fn dequeue_timeout_blocking<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        timeout: Duration,
    ) -> Option<Option<HandleOf<Q>>>;

    /// [`Consumer::wait_timeout_blocking`].
    fn wait_timeout_blocking<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        timeout: Duration,
    ) -> Option<bool>;
}

impl WaitingKind for NoWait {
    const WAITS: bool = false;

    fn notify<N: Node, B: Capacity, L: Layout>(_: &Queue<N, B, Self, L>) -> Option<()> {
        None
    }

    fn poll_dequeue<Q: QueueRef<Waiting = Self>>(
        _: &mut Consumer<Q>,
        _: &mut Context<'_>,
    ) -> Option<Poll<HandleOf<Q>>> {
        None
    }

    fn poll_wait<Q: QueueRef<Waiting = Self>>(
        _: &mut Consumer<Q>,
        _: &mut Context<'_>,
    ) -> Option<Poll<()>> {
        None
    }

    fn dequeue_timeout_blocking<Q: QueueRef<Waiting = Self>>(
        _: &mut Consumer<Q>,
        _: Duration,
    ) -> Option<Option<HandleOf<Q>>> {
        None
    }

    fn wait_timeout_blocking<Q: QueueRef<Waiting = Self>>(
        _: &mut Consumer<Q>,
        _: Duration,
    ) -> Option<bool> {
        None
    }
}

impl WaitingKind for Wait {
    const WAITS: bool = true;

    fn notify<N: Node, B: Capacity, L: Layout>(queue: &Queue<N, B, Self, L>) -> Option<()> {
        queue.notify();
        Some(())
    }

    fn poll_dequeue<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        cx: &mut Context<'_>,
    ) -> Option<Poll<HandleOf<Q>>> {
        Some(consumer.poll_dequeue(cx))
    }

    fn poll_wait<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        cx: &mut Context<'_>,
    ) -> Option<Poll<()>> {
        Some(consumer.poll_wait(cx))
    }

    fn dequeue_timeout_blocking<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        timeout: Duration,
    ) -> Option<Option<HandleOf<Q>>> {
        Some(consumer.dequeue_timeout_blocking(timeout))
    }

    fn wait_timeout_blocking<Q: QueueRef<Waiting = Self>>(
        consumer: &mut Consumer<Q>,
        timeout: Duration,
    ) -> Option<bool> {
        Some(consumer.wait_timeout_blocking(timeout))
    }
}

/// Enqueues `handle`, which must be accepted: the queue is unbounded, or has room for it.
pub fn enqueue_now<N: Node, B: Capacity, W: Waiting, L: Layout>(
    queue: &Queue<N, B, W, L>,
    handle: N::Handle,
) {
    assert!(
        queue.try_enqueue(handle).is_ok(),
        "refused with room to spare"
    );
}

/// Enqueues `handle`, retrying (and yielding) while a bounded queue refuses it.
pub fn enqueue_retrying<N: Node, B: Capacity, W: Waiting, L: Layout>(
    queue: &Queue<N, B, W, L>,
    handle: N::Handle,
) {
    retrying(handle, |handle| queue.try_enqueue(handle));
}

/// Enqueues `batch`, retrying (and yielding) while a bounded queue refuses it.
pub fn enqueue_batch_retrying<N: Node, B: Capacity, W: Waiting, L: Layout>(
    queue: &Queue<N, B, W, L>,
    batch: Batch<N>,
) {
    retrying(batch, |batch| queue.try_enqueue_batch(batch));
}

/// The capacity of a bounded ready-set member in the behaviour tests: room enough for every node
/// a test puts into one member, so none is ever refused.
pub const ROOMY: usize = 64;

/// Enqueues `handle` into member `index` of `set`, retrying (and yielding) while a bounded member
/// refuses it.
pub fn send_retrying<N: Node, B: Capacity, L: Layout>(
    set: &ReadySet<N, B, L>,
    index: usize,
    handle: N::Handle,
) {
    retrying(handle, |handle| set.try_enqueue(index, handle));
}

/// Spawns `producers` threads in `scope`: producer `p` enqueues its messages, `msg(p, 0)` to
/// `msg(p, per_producer - 1)`, in order, retrying refused ones, and calls `pause(seq)` after each
/// (to let the consumer catch up, or fall asleep, now and then).
pub fn spawn_producers<'scope, B: Capacity, W: Waiting, L: Layout>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    queue: &'scope Queue<Msg, B, W, L>,
    producers: usize,
    per_producer: usize,
    pause: fn(usize),
) {
    for p in 0..producers {
        scope.spawn(move || {
            for seq in 0..per_producer {
                enqueue_retrying(queue, msg(p, seq));
                pause(seq);
            }
        });
    }
}

/// Offers `value` until `offer` accepts it, yielding after each refusal; fails if it is still
/// refused after [`STALL`](super::STALL), as when the consumer stops making room.
fn retrying<T>(mut value: T, mut offer: impl FnMut(T) -> Result<(), T>) {
    let deadline = std::time::Instant::now() + super::STALL;
    while let Err(back) = offer(value) {
        assert!(
            std::time::Instant::now() < deadline,
            "refused for good: the consumer stopped making room"
        );
        value = back;
        std::thread::yield_now();
    }
}

/// Code generic over the kind of queue, for [`for_every_kind`].
pub trait EveryKind {
    /// Runs for one kind.
    fn run<B: CapacityKind, W: WaitingKind, L: Layout>(&mut self);
}

/// Runs `body` for each of the eight kinds, within one test (where one test must cover them
/// all, as in the leak test, which counts the whole process's allocations).
pub fn for_every_kind(body: &mut impl EveryKind) {
    body.run::<Unbounded, NoWait, Compact>();
    body.run::<Unbounded, NoWait, Padded>();
    body.run::<Unbounded, Wait, Compact>();
    body.run::<Unbounded, Wait, Padded>();
    body.run::<Bounded, NoWait, Compact>();
    body.run::<Bounded, NoWait, Padded>();
    body.run::<Bounded, Wait, Compact>();
    body.run::<Bounded, Wait, Padded>();
}

/// Runs each `fn f<B: CapacityKind, W: WaitingKind, L: Layout>()` for all eight kinds.
#[allow(unused_macros, reason = "each test binary uses some of them")]
macro_rules! every_kind {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::instances!($f {
            unbounded_nowait_compact: Unbounded, NoWait, Compact;
            unbounded_nowait_padded: Unbounded, NoWait, Padded;
            unbounded_wait_compact: Unbounded, Wait, Compact;
            unbounded_wait_padded: Unbounded, Wait, Padded;
            bounded_nowait_compact: Bounded, NoWait, Compact;
            bounded_nowait_padded: Bounded, NoWait, Padded;
            bounded_wait_compact: Bounded, Wait, Compact;
            bounded_wait_padded: Bounded, Wait, Padded;
        });
    )+};
}

/// Runs each `fn f<B: CapacityKind, L: Layout>()` (a test of the [`Wait`] kinds) for the four
/// kinds whose consumer can sleep.
#[allow(unused_macros, reason = "each test binary uses some of them")]
macro_rules! every_waiting_kind {
    ($($f:ident),+ $(,)?) => {
        $crate::support::every_capacity_and_layout!($($f),+);
    };
}

/// Runs each `fn f<W: WaitingKind, L: Layout>()` (a test of the [`Bounded`] kinds) for the four
/// bounded kinds.
#[allow(unused_macros, reason = "each test binary uses some of them")]
macro_rules! every_bounded_kind {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::instances!($f {
            nowait_compact: NoWait, Compact;
            nowait_padded: NoWait, Padded;
            wait_compact: Wait, Compact;
            wait_padded: Wait, Padded;
        });
    )+};
}

#[allow(unused_imports, reason = "each test binary uses some of them")]
pub(crate) use {
    super::{every_capacity_and_layout, every_layout},
    every_bounded_kind, every_kind, every_waiting_kind,
};
