//! The sleeping consumer: on a queue whose [`Waiting`](crate::Waiting) choice is [`Wait`], the
//! consumer can block a thread (feature `std`) or await in an async task until a node arrives, and
//! [`Queue::notify`] wakes it for other reasons.
//!
//! # The protocol
//!
//! A consumer that finds the queue `Empty` registers its waker, then marks the queue "consumer
//! asleep" by replacing the stub in `head` with a second sentinel, with a compare-and-swap that
//! succeeds only while the queue is empty. The next producer's swap of `head` returns that
//! sentinel, and that producer (exactly one) wakes the consumer after linking its node. The mark
//! and the producers' swaps are read-modify-writes of the same word, so there is no window in
//! which a node can slip in unnoticed, and a producer that is mid-enqueue makes the mark fail. A
//! producer pays nothing while no consumer sleeps: it tells the mark from the stub on the path it
//! already takes when it links behind the stub.
//!
//! [`Queue::notify`] wakes the consumer for reasons other than a new node, such as the oldest
//! (peeked) node becoming ready; [`Consumer::wait_blocking`] and its siblings sleep until either.
//!
#![cfg_attr(
    not(feature = "std"),
    doc = "[`Consumer::wait_blocking`]: crate#features"
)]

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::Ordering::{AcqRel, Release};
use core::task::{Context, Poll, Waker};

use crate::policy::waiting::{Shared, Wait};
use crate::queue::consumer::HandleOf;
use crate::{Capacity, Consumer, Layout, Node, Queue, QueueRef, TryDequeueError};

impl<N: Node, B: Capacity, L: Layout> Queue<N, B, Wait, L> {
    /// Wakes the consumer from [`wait_blocking`][Consumer::wait_blocking] (or its siblings), or makes its next
    /// wait return at once, without enqueueing anything.
    ///
    /// Call it after whatever the consumer waits for has happened, such as the peeked node
    /// becoming ready. The waits that take a node (`dequeue_blocking` and the like) do not return
    /// for a notification; they keep waiting for a node.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// queue.notify();
    /// consumer.wait_blocking(); // returns at once: notified
    /// ```
    ///
    #[cfg_attr(
        not(feature = "std"),
        doc = "[Consumer::wait_blocking]: crate#features"
    )]
    #[inline]
    pub fn notify(&self) {
        let shared = self.shared();
        // Release: pairs with the AcqRel swap that consumes the flag in `poll_wait`, so what the
        // notifier did before this call is visible to the woken consumer. A swap rather than a
        // store only for loom, which can order a plain store inside the consumer's swap
        // (loom#254); `notify` is not on the hot path.
        shared.notified.swap(true, Release);
        shared.wake();
    }

    /// The waker slot and the notification flag.
    #[inline(always)]
    pub(crate) fn shared(&self) -> &Shared {
        &self.raw.consumer_extra().wait
    }
}

/// What a waiting consumer found after one look at the queue.
pub(crate) enum Step<T> {
    /// Done, with this.
    Ready(T),
    /// A producer is mid-enqueue: look again soon (it will not wake us).
    Retry,
    /// Parked, with the waker registered: a producer or `notify` will wake us.
    Sleep,
}

/// # Waiting for nodes
///
/// On a queue whose consumer can sleep ([`Wait`]): block the thread, or suspend an async task,
/// until a node arrives or [`notify`](Queue::notify) is called.
impl<Q: QueueRef<Waiting = Wait>> Consumer<Q> {
    /// One look for a node: takes one if there is one, else registers `waker` and parks, unless
    /// `closed()` (checked after registering, so a closing that races with us wakes us) says no
    /// node can come any more.
    pub(crate) fn poll_node(
        &mut self,
        waker: &Waker,
        closed: impl Fn(&Q) -> bool,
    ) -> Step<Option<HandleOf<Q>>> {
        loop {
            match self.try_dequeue() {
                Ok(handle) => {
                    self.done();
                    return Step::Ready(Some(handle));
                }
                Err(TryDequeueError::Inconsistent) => return Step::Retry,
                Err(TryDequeueError::Empty) => {}
            }
            self.register(waker);
            if closed(&self.queue) {
                // Nodes enqueued before the close happen-before `closed()` saw it: look once
                // more, and report the end only if there are none.
                return match self.try_dequeue() {
                    Ok(handle) => {
                        self.done();
                        Step::Ready(Some(handle))
                    }
                    Err(TryDequeueError::Inconsistent) => Step::Retry,
                    Err(TryDequeueError::Empty) => {
                        self.done();
                        Step::Ready(None)
                    }
                };
            }
            if self.try_sleep() {
                return Step::Sleep;
            }
            // A node arrived (or a producer is mid-way) since we looked: look again.
        }
    }

    /// Leaves `waker` in the queue, for the producer whose enqueue ends our sleep and for any
    /// other wake-up of the queue's waker (`notify`, a ready set's `close` or `wake`). A waiter
    /// registers before its last look at what it waits for: a wake-up that comes after that look
    /// then finds the waker (see [`AtomicWaker`](crate::policy::waker)).
    #[inline]
    pub(crate) fn register(&mut self, waker: &Waker) {
        self.queue.queue().shared().waker.register(waker);
        self.waiter.registered = true;
    }

    /// Leaves the "consumer asleep" mark, if the queue is empty with no producer mid-enqueue:
    /// `true` if it did (the caller sleeps; the next producer wakes it), `false` if a node arrived
    /// or is on its way (the caller looks again).
    #[inline]
    pub(crate) fn try_sleep(&mut self) -> bool {
        // SAFETY: `self` is the queue's single consumer.
        let parked = unsafe { self.queue.queue().raw.try_park() };
        self.waiter.parked |= parked;
        parked
    }

    /// One look for [`Consumer::wait_blocking`]'s condition: notified, or (with no node peeked) a node
    /// that a dequeue would return. Registers `waker` and parks otherwise; retries while a
    /// producer is mid-enqueue.
    fn poll_wait_step(&mut self, waker: &Waker) -> Step<()> {
        let peeked = self.peeked.is_some();
        let queue = self.queue.queue();
        if !peeked {
            // SAFETY: `self` is the queue's single consumer.
            match unsafe { queue.raw.probe() } {
                Ok(()) => {
                    self.done();
                    return Step::Ready(());
                }
                Err(TryDequeueError::Inconsistent) => return Step::Retry,
                Err(TryDequeueError::Empty) => {}
            }
        }
        self.register(waker);
        let shared = self.queue.queue().shared();
        // AcqRel: Acquire pairs with `notify`'s Release store. After registering: a `notify`
        // whose flag we miss here wakes the waker we registered.
        if shared.notified.swap(false, AcqRel) {
            self.done();
            return Step::Ready(());
        }
        if peeked {
            // Only `notify` ends this wait; enqueues do not (the peeked node is what we wait on).
            return Step::Sleep;
        }
        if self.try_sleep() {
            Step::Sleep
        } else {
            // A node arrived, or a producer is mid-way: look again.
            Step::Retry
        }
    }

    /// Leaves the sleeping state: clears our mark if no producer has replaced it.
    #[inline]
    pub(crate) fn done(&mut self) {
        if core::mem::take(&mut self.waiter.parked) {
            // SAFETY: `self` is the queue's single consumer.
            unsafe { self.queue.queue().raw.unpark() };
        }
    }

    /// Drives `step` to completion on this thread, parking it between looks. `None` if
    /// `deadline` passes first.
    ///
    /// `named` is the public call that blocks and the call to make instead in async code: before
    /// the first park, a thread that runs an async runtime's tasks is refused with a panic that
    /// names them (see [`runtime`](crate::policy::runtime)). `None` for a caller that checks
    /// for itself.
    #[cfg(feature = "std")]
    pub(crate) fn block_on<T>(
        &mut self,
        deadline: Option<std::time::Instant>,
        named: Option<(&str, &str)>,
        mut step: impl FnMut(&mut Self, &Waker) -> Step<T>,
    ) -> Option<T> {
        let waker = self.thread_waker();
        let backoff = crate::sync::Backoff::default();
        let mut checked = named.is_none();
        let value = loop {
            match step(self, &waker) {
                Step::Ready(value) => break Some(value),
                Step::Retry => {
                    // A producer preempted mid-enqueue can make this last: keep the deadline.
                    if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
                        break None;
                    }
                    backoff.snooze();
                }
                Step::Sleep if !checked => {
                    // About to park for the first time in this call: only now is the runtime
                    // check worth its cost.
                    checked = true;
                    if let Some((blocking, instead)) = named {
                        if !crate::policy::runtime::may_block() {
                            // Leave the sleeping state first: the consumer stays usable.
                            self.done();
                            crate::policy::runtime::refuse(blocking, instead);
                        }
                    }
                    // Look once more before parking: the check may have taken a while.
                }
                Step::Sleep => match deadline {
                    None => crate::sync::thread::park(),
                    Some(deadline) => {
                        let now = std::time::Instant::now();
                        if now >= deadline {
                            break None;
                        }
                        crate::sync::thread::park_timeout(deadline - now);
                    }
                },
            }
        };
        if value.is_none() {
            // Timed out: producers need not wake a consumer that no longer waits.
            self.done();
        }
        value
    }

    /// The waker that unparks the current thread, made on first use on each thread.
    #[cfg(feature = "std")]
    fn thread_waker(&mut self) -> Waker {
        let current = crate::sync::thread::current_id();
        match &self.waiter.thread_waker {
            Some((owner, waker)) if *owner == current => waker.clone(),
            _ => {
                let (owner, waker) = crate::sync::thread::current_waker();
                self.waiter.thread_waker = Some((owner, waker.clone()));
                waker
            }
        }
    }

    /// Converts a step into a poll result for async callers.
    #[inline]
    pub(crate) fn poll_step<T>(step: Step<T>, cx: &mut Context<'_>) -> Poll<T> {
        match step {
            Step::Ready(value) => Poll::Ready(value),
            Step::Retry => {
                // The producer that is mid-way will not wake us: ask to be polled again soon.
                crate::sync::spin_hint();
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Sleep => Poll::Pending,
        }
    }

    /// Takes the oldest node, sleeping until one arrives.
    ///
    /// Before it parks the thread, it waits about a microsecond for a node: a few spin-loop hints,
    /// then two yields of the thread, looking between them (eight yields after a wait whose node
    /// came during the yields or soon after it parked). A producer on another core that answers
    /// within that time costs no park and no wake-up: in a ping-pong between two threads, about
    /// 1 us per round trip instead of 13 us, for 0.91-0.98x the messages per second in a flood
    /// with both threads pinned (`perf/HOT_QUEUE.md`, "A spin phase before parking"). An idle
    /// consumer pays that microsecond once per wait. For a hot queue whose consumer should
    /// never park, see [`dequeue_spin`](Consumer::dequeue_spin).
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): call
    /// [`dequeue_async`](Consumer::dequeue_async) there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| queue.enqueue(Box::new(Job { link: Link::new() })));
    ///     let job = queue.consumer().unwrap().dequeue_blocking();
    ///     drop(job);
    /// });
    /// ```
    #[cfg(feature = "std")]
    pub fn dequeue_blocking(&mut self) -> HandleOf<Q> {
        self.dequeue_blocking_as(("dequeue_blocking", "dequeue_async().await"))
    }

    /// [`dequeue_blocking`](Consumer::dequeue_blocking) for a front's blocking call: `named` is
    /// that call and its async form, for the runtime check's panic.
    #[cfg(feature = "std")]
    pub(crate) fn dequeue_blocking_as(&mut self, named: (&str, &str)) -> HandleOf<Q> {
        // A node is usually there already, or comes within microseconds from a producer on
        // another core: take it, waiting a moment if need be, before setting up a wait (the
        // thread's waker costs a thread-local look-up and a reference count, and parking costs
        // the producer a wake-up).
        if let Some(handle) = self.look_then_spin(None) {
            return handle;
        }
        let parked_at = std::time::Instant::now();
        let handle = self
            .block_on(None, Some(named), |consumer, waker| {
                consumer.poll_node(waker, |_| false)
            })
            .expect("no deadline")
            .expect("never closed");
        self.parked_wait_ended(true, parked_at);
        handle
    }

    /// Takes the oldest node, sleeping until one arrives or `timeout` has passed.
    ///
    /// Returns `None` on timeout. Waits a moment before it parks, as
    /// [`dequeue_blocking`](Consumer::dequeue_blocking) does.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): call
    /// [`dequeue_async`](Consumer::dequeue_async) there, under the runtime's timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.dequeue_timeout_blocking(Duration::from_millis(10)).is_none());
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(consumer.dequeue_timeout_blocking(Duration::from_millis(10)).is_some());
    /// ```
    #[cfg(feature = "std")]
    pub fn dequeue_timeout_blocking(
        &mut self,
        timeout: core::time::Duration,
    ) -> Option<HandleOf<Q>> {
        self.dequeue_timeout_as(
            timeout,
            (
                "dequeue_timeout_blocking",
                "dequeue_async() under your runtime's timeout",
            ),
        )
    }

    /// The former name of [`dequeue_timeout_blocking`](Consumer::dequeue_timeout_blocking).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    #[deprecated(
        since = "0.1.0",
        note = "renamed `dequeue_timeout_blocking`: it blocks the thread (in async code, await `dequeue_async()` under your runtime's timeout)"
    )]
    pub fn dequeue_timeout(&mut self, timeout: core::time::Duration) -> Option<HandleOf<Q>> {
        self.dequeue_timeout_blocking(timeout)
    }

    /// [`dequeue_timeout_blocking`](Consumer::dequeue_timeout_blocking) for a front's blocking call: `named` as
    /// for [`dequeue_blocking_as`](Consumer::dequeue_blocking_as).
    #[cfg(feature = "std")]
    pub(crate) fn dequeue_timeout_as(
        &mut self,
        timeout: core::time::Duration,
        named: (&str, &str),
    ) -> Option<HandleOf<Q>> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        // As `dequeue_blocking_as`: a short wait before parking.
        if let Some(handle) = self.look_then_spin(deadline) {
            return Some(handle);
        }
        let parked_at = std::time::Instant::now();
        let handle = self
            .block_on(deadline, Some(named), |consumer, waker| {
                consumer.poll_node(waker, |_| false)
            })
            .flatten();
        self.parked_wait_ended(handle.is_some(), parked_at);
        handle
    }

    /// Polls for the oldest node: `Ready` with it, or `Pending` with the task's waker registered
    /// to be woken when one arrives.
    ///
    /// For hand-written futures and `Stream`s; async code can call
    /// [`dequeue_async`](Consumer::dequeue_async) instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(consumer.poll_dequeue(&mut cx).is_pending());
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(consumer.poll_dequeue(&mut cx).is_ready());
    /// ```
    pub fn poll_dequeue(&mut self, cx: &mut Context<'_>) -> Poll<HandleOf<Q>> {
        let step = self.poll_node(cx.waker(), |_| false);
        Self::poll_step(step, cx).map(|handle| handle.expect("never closed"))
    }

    /// Waits asynchronously for the oldest node.
    ///
    /// Cancel-safe: dropping the future before it completes loses no node.
    ///
    /// Unlike the blocking `dequeue_blocking` (feature `std`), it does not spin before it
    /// sleeps: when the queue is empty it registers the task's waker at once and gives the thread
    /// back to the executor, which may need it to run the very task that sends the next node
    /// (measured: 31 spin hints before registering made a ping-pong between two tokio tasks 3.5x
    /// slower; `perf/HOT_QUEUE.md`).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 1 }));
    /// let mut consumer = queue.consumer().unwrap();
    /// let job = block_on(consumer.dequeue_async());
    /// assert_eq!(job.id, 1);
    /// ```
    pub fn dequeue_async(&mut self) -> DequeueFuture<'_, Q> {
        DequeueFuture { consumer: self }
    }

    /// Sleeps until [`Queue::notify`] is called or, while no node is peeked, a node is
    /// available.
    ///
    /// This is the wait of a consumer that stops at a peeked node which is not ready yet: new
    /// enqueues do not end it, but the `notify` of whoever makes the node ready does. Without a
    /// peeked node it also returns when the queue is not empty. A `notify` that came before the
    /// call makes it return at once; each `notify` ends at most one wait.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): poll [`poll_wait`](Consumer::poll_wait)
    /// from a future there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Packet {
    ///     link: Link,
    ///     ready: Arc<AtomicBool>,
    /// }
    /// node!(Packet, link, Box<Packet>);
    ///
    /// let queue = WaitQueue::<Packet>::new();
    /// let ready = Arc::new(AtomicBool::new(false));
    /// queue.enqueue(Box::new(Packet { link: Link::new(), ready: Arc::clone(&ready) }));
    /// std::thread::scope(|s| {
    ///     let mut consumer = queue.consumer().unwrap();
    ///     assert!(!consumer.peek().unwrap().ready.load(Ordering::Acquire));
    ///     s.spawn(|| {
    ///         ready.store(true, Ordering::Release); // "encryption finished"
    ///         queue.notify();
    ///     });
    ///     while !consumer.peek().unwrap().ready.load(Ordering::Acquire) {
    ///         consumer.wait_blocking(); // sleeps until notified
    ///     }
    ///     assert!(consumer.take_peeked().is_some());
    /// });
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_blocking(&mut self) {
        self.block_on(
            None,
            Some(("wait_blocking", "poll_wait in a future")),
            |consumer, waker| consumer.poll_wait_step(waker),
        );
    }

    /// The former name of [`wait_blocking`](Consumer::wait_blocking).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    #[deprecated(
        since = "0.1.0",
        note = "renamed `wait_blocking`: it blocks the thread (in async code, poll `poll_wait` from a future)"
    )]
    pub fn wait(&mut self) {
        self.wait_blocking();
    }

    /// Like [`wait_blocking`](Consumer::wait_blocking), but for at most `timeout`. Returns
    /// `false` on timeout.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would park a thread that is running a tokio runtime's
    /// tasks (a worker thread, or inside `block_on`): poll [`poll_wait`](Consumer::poll_wait)
    /// from a future there, under the runtime's timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(!consumer.wait_timeout_blocking(Duration::from_millis(1)));
    /// queue.notify();
    /// assert!(consumer.wait_timeout_blocking(Duration::from_millis(1)));
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_timeout_blocking(&mut self, timeout: core::time::Duration) -> bool {
        let deadline = std::time::Instant::now().checked_add(timeout);
        self.block_on(
            deadline,
            Some((
                "wait_timeout_blocking",
                "poll_wait in a future, under your runtime's timeout",
            )),
            |consumer, waker| consumer.poll_wait_step(waker),
        )
        .is_some()
    }

    /// The former name of [`wait_timeout_blocking`](Consumer::wait_timeout_blocking).
    #[cfg(feature = "std")]
    #[doc(hidden)]
    #[deprecated(
        since = "0.1.0",
        note = "renamed `wait_timeout_blocking`: it blocks the thread (in async code, poll `poll_wait` from a future under your runtime's timeout)"
    )]
    pub fn wait_timeout(&mut self, timeout: core::time::Duration) -> bool {
        self.wait_timeout_blocking(timeout)
    }

    /// Polls [`wait_blocking`][Consumer::wait_blocking]'s condition, for async code.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::{Context, Waker};
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert!(consumer.poll_wait(&mut cx).is_pending());
    /// queue.notify();
    /// assert!(consumer.poll_wait(&mut cx).is_ready());
    /// ```
    ///
    #[cfg_attr(
        not(feature = "std"),
        doc = "[Consumer::wait_blocking]: crate#features"
    )]
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let step = self.poll_wait_step(cx.waker());
        Self::poll_step(step, cx)
    }
}

/// The future of [`Consumer::dequeue_async`]: resolves to the oldest node.
///
/// Dropping it before it completes loses no node, and takes the task's waker out of the queue
/// (one compare-and-swap, and only if it registered one): the queue keeps no waker of a task
/// that no longer waits.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Waker};
/// use intrusive_mpsc::{node, Link, WaitQueue};
///
/// struct Job {
///     link: Link,
/// }
/// node!(Job, link, Box<Job>);
///
/// let queue = WaitQueue::<Job>::new();
/// let mut consumer = queue.consumer().unwrap();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut future = pin!(consumer.dequeue_async());
/// assert!(future.as_mut().poll(&mut cx).is_pending());
/// queue.enqueue(Box::new(Job { link: Link::new() }));
/// assert!(future.as_mut().poll(&mut cx).is_ready());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct DequeueFuture<'c, Q: QueueRef<Waiting = Wait>> {
    consumer: &'c mut Consumer<Q>,
}

impl<Q: QueueRef<Waiting = Wait>> Future for DequeueFuture<'_, Q> {
    type Output = HandleOf<Q>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<HandleOf<Q>> {
        self.get_mut().consumer.poll_dequeue(cx)
    }
}

impl<Q: QueueRef<Waiting = Wait>> Drop for DequeueFuture<'_, Q> {
    fn drop(&mut self) {
        // No longer waiting: no mark for producers to replace, and no waker to keep.
        self.consumer.done();
        let consumer = &mut *self.consumer;
        <Wait as crate::policy::waiting::sealed::Waiting>::forget_waker(
            consumer.queue.queue().shared(),
            &mut consumer.waiter,
        );
    }
}

impl<Q: QueueRef<Waiting = Wait>> fmt::Debug for DequeueFuture<'_, Q> {
    /// Prints `DequeueFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DequeueFuture").finish_non_exhaustive()
    }
}

/// With the feature `futures-core`, a consumer that can sleep is an endless `Stream` of its
/// queue's nodes: each `poll_next` is a [`poll_dequeue`](Consumer::poll_dequeue). It never ends
/// (producers can always enqueue more), so it is not a `FusedStream`; the channel's
/// [`Receiver`][crate::channel::Receiver] is the stream that ends. This is meant for an
/// [`OwnedConsumer`][crate::OwnedConsumer] moved into a task; a borrowed consumer works too.
///
/// # Examples
///
/// ```
/// use std::pin::Pin;
/// use std::sync::Arc;
/// use std::task::{Context, Poll, Waker};
/// use futures_core::Stream;
/// use intrusive_mpsc::{node, Link, WaitQueue};
///
/// struct Job {
///     link: Link,
///     id: u8,
/// }
/// node!(Job, link, Box<Job>);
///
/// let queue = Arc::new(WaitQueue::<Job>::new());
/// let mut jobs = Arc::clone(&queue).consumer_owned().unwrap();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(Pin::new(&mut jobs).poll_next(&mut cx).is_pending());
/// queue.enqueue(Box::new(Job { link: Link::new(), id: 3 }));
/// assert!(matches!(Pin::new(&mut jobs).poll_next(&mut cx), Poll::Ready(Some(job)) if job.id == 3));
/// ```
///
#[cfg_attr(
    not(feature = "alloc"),
    doc = "[crate::channel::Receiver]: crate#features"
)]
#[cfg_attr(not(feature = "alloc"), doc = "[crate::OwnedConsumer]: crate#features")]
#[cfg(feature = "futures-core")]
impl<Q: QueueRef<Waiting = Wait> + Unpin> futures_core::Stream for Consumer<Q> {
    type Item = HandleOf<Q>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<HandleOf<Q>>> {
        self.get_mut().poll_dequeue(cx).map(Some)
    }
}
