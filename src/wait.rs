//! [`WaitQueue`]: a queue whose consumer can sleep until a node arrives, blocking a thread
//! (feature `std`) or awaiting in an async task.
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
//! [`WaitQueue::notify`] wakes the consumer for reasons other than a new node, such as the oldest
//! (peeked) node becoming ready; [`WaitConsumer::wait`] and its siblings sleep until either.

use core::fmt;
use core::future::Future;
use core::sync::atomic::Ordering::{AcqRel, Release};
use core::task::{Context, Poll, Waker};

use crate::loom::{const_fn, AtomicBool};
use crate::waker::AtomicWaker;
use crate::{Consumer, Drain, Node, Queue, TryDequeueError};

/// An intrusive MPSC queue whose consumer can wait for nodes without polling: it blocks its
/// thread or suspends its async task, and producers wake it.
///
/// Everything a [`Queue`] does, plus:
/// - [`WaitConsumer::dequeue_blocking`] and [`WaitConsumer::dequeue_timeout`] (feature `std`);
/// - [`WaitConsumer::poll_dequeue`] and [`WaitConsumer::dequeue_async`], for async code, with or
///   without `std`;
/// - [`notify`](WaitQueue::notify) and [`WaitConsumer::wait`], for a consumer that waits for its
///   peeked node to become ready (WireGuard's transmit path).
///
/// No wake-up is ever lost: a producer whose `enqueue` returns after the consumer started to sleep
/// wakes it, and a consumer never sleeps while a producer is mid-enqueue. A producer's `enqueue`
/// costs the same as on a plain [`Queue`] while the consumer is awake; it wakes the consumer only
/// when the consumer actually sleeps.
///
/// `size_of::<WaitQueue<_>>()` is 64 bytes on 64-bit targets: a [`Queue`] plus a waker slot and
/// a flag for [`notify`](WaitQueue::notify).
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, WaitQueue};
///
/// struct Job {
///     link: Link,
///     id: u32,
/// }
/// node!(Job, link, Box<Job>);
///
/// let queue = WaitQueue::<Job>::new();
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         for id in 0..3 {
///             queue.enqueue(Box::new(Job { link: Link::new(), id }));
///         }
///     });
///     let mut consumer = queue.consumer().unwrap();
///     for expected in 0..3 {
///         // Sleeps until the producer has enqueued the next job.
///         assert_eq!(consumer.dequeue_blocking().id, expected);
///     }
/// });
/// ```
pub struct WaitQueue<N: Node> {
    pub(crate) queue: Queue<N>,
    pub(crate) waker: AtomicWaker,
    /// Set by `notify`, consumed by the consumer's `wait`.
    notified: AtomicBool,
}

impl<N: Node> WaitQueue<N> {
    const_fn! {
        /// Creates an empty queue. It does not allocate.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::{node, Link, WaitQueue};
        ///
        /// struct Job {
        ///     link: Link,
        /// }
        /// node!(Job, link, &'static mut Job);
        ///
        /// static JOBS: WaitQueue<Job> = WaitQueue::new();
        /// assert!(JOBS.consumer().unwrap().is_empty());
        /// ```
        #[must_use]
        pub fn new() -> WaitQueue<N> {
            WaitQueue {
                queue: Queue::new(),
                waker: AtomicWaker::new(),
                notified: AtomicBool::new(false),
            }
        }
    }

    /// Adds a node at the back of the queue, waking the consumer if it sleeps.
    ///
    /// Wait-free and as cheap as [`Queue::enqueue`] while the consumer is awake.
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
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(queue.consumer().unwrap().try_dequeue().is_ok());
    /// ```
    #[inline]
    pub fn enqueue(&self, handle: N::Handle) {
        if self.queue.enqueue_and_check_parked(handle) {
            self.waker.wake();
        }
    }

    /// Adds every node of `batch` at the back of the queue with one swap, as
    /// [`Queue::enqueue_batch`] does, waking the consumer if it sleeps.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Batch, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u32,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let batch: Batch<Job> = (0..3).map(|id| Box::new(Job { link: Link::new(), id })).collect();
    ///         queue.enqueue_batch(batch);
    ///     });
    ///     let mut consumer = queue.consumer().unwrap();
    ///     for id in 0..3 {
    ///         assert_eq!(consumer.dequeue_blocking().id, id);
    ///     }
    /// });
    /// ```
    #[inline]
    pub fn enqueue_batch(&self, batch: crate::Batch<N>) {
        if self.queue.enqueue_batch_and_check_parked(batch) {
            self.waker.wake();
        }
    }

    /// Wakes the consumer from [`wait`](WaitConsumer::wait) (or its siblings), or makes its next
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
    /// consumer.wait(); // returns at once: notified
    /// ```
    #[inline]
    pub fn notify(&self) {
        // Release: pairs with the AcqRel swap that consumes the flag in `poll_wait`, so what the
        // notifier did before this call is visible to the woken consumer. A swap rather than a
        // store only for loom, which can order a plain store inside the consumer's swap
        // (loom#254); `notify` is not on the hot path.
        self.notified.swap(true, Release);
        self.waker.wake();
    }

    /// Becomes the queue's consumer, or returns `None` while another consumer exists.
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
    /// let consumer = queue.consumer().unwrap();
    /// assert!(queue.consumer().is_none());
    /// drop(consumer);
    /// assert!(queue.consumer().is_some());
    /// ```
    #[inline]
    pub fn consumer(&self) -> Option<WaitConsumer<'_, N>> {
        let consumer = self.queue.consumer()?;
        Some(WaitConsumer::new(self, consumer))
    }

    /// Returns a consumer without checking or claiming the consumer flag.
    ///
    /// # Safety
    ///
    /// As for [`Queue::consumer_unchecked`]: while the returned consumer lives, no other consumer
    /// of this queue may be used, and consumers used one after the other on different threads
    /// must be ordered by happens-before.
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
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// // SAFETY: this thread is the only one that ever consumes from `queue`.
    /// let mut consumer = unsafe { queue.consumer_unchecked() };
    /// assert!(consumer.dequeue().is_some());
    /// ```
    #[inline]
    pub unsafe fn consumer_unchecked(&self) -> WaitConsumer<'_, N> {
        // SAFETY: forwarded to our caller.
        let consumer = unsafe { self.queue.consumer_unchecked() };
        WaitConsumer::new(self, consumer)
    }
}

impl<N: Node> Default for WaitQueue<N> {
    /// Same as [`WaitQueue::new`].
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
    /// let queue: WaitQueue<Job> = Default::default();
    /// assert!(queue.consumer().unwrap().is_empty());
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Node> fmt::Debug for WaitQueue<N> {
    /// Prints `WaitQueue { .. }`.
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
    /// assert_eq!(format!("{:?}", WaitQueue::<Job>::new()), "WaitQueue { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitQueue").finish_non_exhaustive()
    }
}

/// The consumer of a [`WaitQueue`]: a [`Consumer`] that can also sleep until a node arrives.
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
/// queue.enqueue(Box::new(Job { link: Link::new() }));
/// assert!(consumer.dequeue().is_some());
/// assert!(consumer.dequeue_timeout(std::time::Duration::from_millis(1)).is_none());
/// ```
pub struct WaitConsumer<'q, N: Node> {
    queue: &'q WaitQueue<N>,
    consumer: Consumer<'q, N>,
    waiter: Waiter,
}

/// The consumer's half of the sleeping protocol, apart from the queue it sleeps on (the channel's
/// receiver keeps one too).
#[derive(Default)]
pub(crate) struct Waiter {
    /// Whether our last wait left the "consumer asleep" mark in `head`.
    parked: bool,
    /// A waker that unparks the thread that made it, kept for the blocking waits; the consumer
    /// may move to another thread, which then makes its own.
    #[cfg(feature = "std")]
    thread_waker: Option<(crate::loom::thread::ThreadId, Waker)>,
}

/// What a waiting consumer found after one look at the queue.
pub(crate) enum Step<T> {
    /// Done waiting.
    Ready(T),
    /// A producer is mid-enqueue: look again shortly (it will not wake us).
    Retry,
    /// Asleep: a producer (or `notify`) will wake the registered waker.
    Sleep,
}

impl Waiter {
    /// One look for a node: takes one if there is one, else registers `waker` and parks, unless
    /// `closed()` (checked after registering, so a closing that races with us wakes us) says no
    /// node can come any more.
    pub(crate) fn poll_node<N: Node>(
        &mut self,
        queue: &WaitQueue<N>,
        consumer: &mut Consumer<'_, N>,
        waker: &Waker,
        closed: impl Fn() -> bool,
    ) -> Step<Option<N::Handle>> {
        loop {
            match consumer.try_dequeue() {
                Ok(handle) => {
                    return {
                        self.done(queue);
                        Step::Ready(Some(handle))
                    }
                }
                Err(TryDequeueError::Inconsistent) => return Step::Retry,
                Err(TryDequeueError::Empty) => {}
            }
            queue.waker.register(waker);
            if closed() {
                // Nodes enqueued before the close happen-before `closed()` saw it: look once
                // more, and report the end only if there are none.
                return match consumer.try_dequeue() {
                    Ok(handle) => {
                        self.done(queue);
                        Step::Ready(Some(handle))
                    }
                    Err(TryDequeueError::Inconsistent) => Step::Retry,
                    Err(TryDequeueError::Empty) => {
                        self.done(queue);
                        Step::Ready(None)
                    }
                };
            }
            // SAFETY: `consumer` proves we are the queue's single consumer.
            if unsafe { queue.queue.raw.try_park() } {
                self.parked = true;
                return Step::Sleep;
            }
            // A node arrived (or a producer is mid-way) since we looked: look again.
        }
    }

    /// One look for [`WaitConsumer::wait`]'s condition: notified, or (with no node peeked) a node
    /// that a dequeue would return. Registers `waker` and parks otherwise; retries while a
    /// producer is mid-enqueue.
    fn poll_wait<N: Node>(
        &mut self,
        queue: &WaitQueue<N>,
        consumer: &mut Consumer<'_, N>,
        waker: &Waker,
    ) -> Step<()> {
        let peeked = consumer.has_peeked();
        if !peeked {
            // SAFETY: `consumer` proves we are the queue's single consumer.
            match unsafe { queue.queue.raw.probe() } {
                Ok(()) => {
                    self.done(queue);
                    return Step::Ready(());
                }
                Err(TryDequeueError::Inconsistent) => return Step::Retry,
                Err(TryDequeueError::Empty) => {}
            }
        }
        queue.waker.register(waker);
        // AcqRel: Acquire pairs with `notify`'s Release store. After registering: a `notify`
        // whose flag we miss here wakes the waker we registered.
        if queue.notified.swap(false, AcqRel) {
            self.done(queue);
            return Step::Ready(());
        }
        if peeked {
            // Only `notify` ends this wait; enqueues do not (the peeked node is what we wait on).
            return Step::Sleep;
        }
        // SAFETY: `consumer` proves we are the queue's single consumer.
        if unsafe { queue.queue.raw.try_park() } {
            self.parked = true;
            Step::Sleep
        } else {
            // A node arrived, or a producer is mid-way: look again.
            Step::Retry
        }
    }

    /// Leaves the sleeping state: clears our mark if no producer has replaced it.
    #[inline]
    fn done<N: Node>(&mut self, queue: &WaitQueue<N>) {
        if self.parked {
            self.parked = false;
            // SAFETY: every caller holds the queue's single consumer (or is its drop).
            unsafe { queue.queue.raw.unpark() };
        }
    }

    /// The waker that unparks the current thread, made on first use on each thread.
    #[cfg(feature = "std")]
    pub(crate) fn thread_waker(&mut self) -> Waker {
        let current = crate::loom::thread::current_id();
        match &self.thread_waker {
            Some((owner, waker)) if *owner == current => waker.clone(),
            _ => {
                let (owner, waker) = crate::loom::thread::current_waker();
                self.thread_waker = Some((owner, waker.clone()));
                waker
            }
        }
    }

    /// Drives `step` to completion on this thread, parking it between looks. `None` if
    /// `deadline` passes first.
    #[cfg(feature = "std")]
    pub(crate) fn block_on<T>(
        &mut self,
        deadline: Option<std::time::Instant>,
        mut step: impl FnMut(&mut Self, &Waker) -> Step<T>,
    ) -> Option<T> {
        let waker = self.thread_waker();
        let backoff = crate::loom::Backoff::default();
        loop {
            match step(self, &waker) {
                Step::Ready(value) => return Some(value),
                Step::Retry => {
                    // A producer preempted mid-enqueue can make this last: keep the deadline.
                    if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
                        return None;
                    }
                    backoff.snooze();
                }
                Step::Sleep => match deadline {
                    None => crate::loom::thread::park(),
                    Some(deadline) => {
                        let now = std::time::Instant::now();
                        if now >= deadline {
                            return None;
                        }
                        crate::loom::thread::park_timeout(deadline - now);
                    }
                },
            }
        }
    }

    /// Converts a step into a poll result for async callers.
    #[inline]
    pub(crate) fn poll<T>(step: Step<T>, cx: &mut Context<'_>) -> Poll<T> {
        match step {
            Step::Ready(value) => Poll::Ready(value),
            Step::Retry => {
                // The producer that is mid-way will not wake us: ask to be polled again soon.
                crate::loom::spin_hint();
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Step::Sleep => Poll::Pending,
        }
    }

    /// Clears the mark when the consumer goes away.
    pub(crate) fn release<N: Node>(&mut self, queue: &WaitQueue<N>) {
        self.done(queue);
    }
}

impl<'q, N: Node> WaitConsumer<'q, N> {
    fn new(queue: &'q WaitQueue<N>, consumer: Consumer<'q, N>) -> Self {
        Self {
            queue,
            consumer,
            waiter: Waiter::default(),
        }
    }

    /// Takes the oldest node, sleeping until one arrives.
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
    pub fn dequeue_blocking(&mut self) -> N::Handle {
        let (queue, consumer) = (self.queue, &mut self.consumer);
        let handle = self
            .waiter
            .block_on(None, |waiter, waker| {
                waiter.poll_node(queue, consumer, waker, || false)
            })
            .expect("no deadline");
        handle.expect("never closed")
    }

    /// Takes the oldest node, sleeping until one arrives or `timeout` has passed.
    ///
    /// Returns `None` on timeout.
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
    /// assert!(consumer.dequeue_timeout(Duration::from_millis(10)).is_none());
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(consumer.dequeue_timeout(Duration::from_millis(10)).is_some());
    /// ```
    #[cfg(feature = "std")]
    pub fn dequeue_timeout(&mut self, timeout: core::time::Duration) -> Option<N::Handle> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let (queue, consumer) = (self.queue, &mut self.consumer);
        let handle = self.waiter.block_on(deadline, |waiter, waker| {
            waiter.poll_node(queue, consumer, waker, || false)
        });
        if handle.is_none() {
            self.waiter.release(self.queue);
        }
        handle.flatten()
    }

    /// Polls for the oldest node: `Ready` with it, or `Pending` with the task's waker registered
    /// to be woken when one arrives.
    ///
    /// For hand-written futures and `Stream`s; async code can call
    /// [`dequeue_async`](WaitConsumer::dequeue_async) instead.
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
    pub fn poll_dequeue(&mut self, cx: &mut Context<'_>) -> Poll<N::Handle> {
        let step = self
            .waiter
            .poll_node(self.queue, &mut self.consumer, cx.waker(), || false);
        Waiter::poll(step, cx).map(|handle| handle.expect("never closed"))
    }

    /// Waits asynchronously for the oldest node.
    ///
    /// Cancel-safe: dropping the future before it completes loses no node.
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
    pub fn dequeue_async(&mut self) -> DequeueFuture<'_, 'q, N> {
        DequeueFuture { consumer: self }
    }

    /// Sleeps until [`WaitQueue::notify`] is called or, while no node is peeked, a node is
    /// available.
    ///
    /// This is the wait of a consumer that stops at a peeked node which is not ready yet: new
    /// enqueues do not end it, but the `notify` of whoever makes the node ready does. Without a
    /// peeked node it also returns when the queue is not empty. A `notify` that came before the
    /// call makes it return at once; each `notify` ends at most one wait.
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
    ///         consumer.wait(); // sleeps until notified
    ///     }
    ///     assert!(consumer.take_peeked().is_some());
    /// });
    /// ```
    #[cfg(feature = "std")]
    pub fn wait(&mut self) {
        let (queue, consumer) = (self.queue, &mut self.consumer);
        self.waiter.block_on(None, |waiter, waker| {
            waiter.poll_wait(queue, consumer, waker)
        });
    }

    /// Like [`wait`](WaitConsumer::wait), but for at most `timeout`. Returns `false` on timeout.
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
    /// assert!(!consumer.wait_timeout(Duration::from_millis(1)));
    /// queue.notify();
    /// assert!(consumer.wait_timeout(Duration::from_millis(1)));
    /// ```
    #[cfg(feature = "std")]
    pub fn wait_timeout(&mut self, timeout: core::time::Duration) -> bool {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let (queue, consumer) = (self.queue, &mut self.consumer);
        let woken = self
            .waiter
            .block_on(deadline, |waiter, waker| {
                waiter.poll_wait(queue, consumer, waker)
            })
            .is_some();
        if !woken {
            self.waiter.release(self.queue);
        }
        woken
    }

    /// Polls [`wait`](WaitConsumer::wait)'s condition, for async code.
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
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let step = self
            .waiter
            .poll_wait(self.queue, &mut self.consumer, cx.waker());
        Waiter::poll(step, cx)
    }

    /// Takes the oldest node without waiting; see [`Consumer::try_dequeue`].
    ///
    /// # Errors
    ///
    /// [`TryDequeueError::Empty`] or [`TryDequeueError::Inconsistent`], as for
    /// [`Consumer::try_dequeue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, TryDequeueError, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    /// ```
    #[inline]
    pub fn try_dequeue(&mut self) -> Result<N::Handle, TryDequeueError> {
        self.consumer.try_dequeue()
    }

    /// Takes the oldest node, waiting out a producer that is mid-enqueue but never sleeping; see
    /// [`Consumer::dequeue`].
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
    /// assert!(consumer.dequeue().is_none());
    /// ```
    #[inline]
    pub fn dequeue(&mut self) -> Option<N::Handle> {
        self.consumer.dequeue()
    }

    /// Returns the oldest node without taking it, never waiting; see [`Consumer::try_peek`].
    ///
    /// # Errors
    ///
    /// As for [`Consumer::try_peek`].
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
    /// assert!(consumer.try_peek().is_err());
    /// ```
    #[inline]
    pub fn try_peek(&mut self) -> Result<&N, TryDequeueError> {
        self.consumer.try_peek()
    }

    /// Returns the oldest node without taking it; see [`Consumer::peek`].
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, WaitQueue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u8,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = WaitQueue::<Job>::new();
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 3 }));
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.peek().unwrap().id, 3);
    /// ```
    #[inline]
    pub fn peek(&mut self) -> Option<&N> {
        self.consumer.peek()
    }

    /// Hands over the peeked node, if any; see [`Consumer::take_peeked`].
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
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// let mut consumer = queue.consumer().unwrap();
    /// consumer.peek();
    /// assert!(consumer.take_peeked().is_some());
    /// ```
    #[inline]
    pub fn take_peeked(&mut self) -> Option<N::Handle> {
        self.consumer.take_peeked()
    }

    /// Drops the peeked node, if any; see [`Consumer::drop_peeked`].
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
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// let mut consumer = queue.consumer().unwrap();
    /// consumer.peek();
    /// assert!(consumer.drop_peeked());
    /// ```
    #[inline]
    pub fn drop_peeked(&mut self) -> bool {
        self.consumer.drop_peeked()
    }

    /// Dequeues until the queue is empty, never sleeping; see [`Consumer::drain`].
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
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// let mut consumer = queue.consumer().unwrap();
    /// assert_eq!(consumer.drain().count(), 1);
    /// ```
    #[inline]
    pub fn drain(&mut self) -> Drain<'_, 'q, N> {
        self.consumer.drain()
    }

    /// Whether a `try_dequeue` now would answer `Empty`; see [`Consumer::is_empty`].
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
    /// assert!(queue.consumer().unwrap().is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.consumer.is_empty()
    }
}

/// The future of [`WaitConsumer::dequeue_async`]: resolves to the oldest node.
///
/// Dropping it before it completes loses no node. The task's waker stays registered until the
/// consumer's next wait (or the consumer's drop), so the next enqueue may wake that task once
/// more, harmlessly.
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
pub struct DequeueFuture<'c, 'q, N: Node> {
    consumer: &'c mut WaitConsumer<'q, N>,
}

impl<N: Node> Future for DequeueFuture<'_, '_, N> {
    type Output = N::Handle;

    fn poll(self: core::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<N::Handle> {
        self.get_mut().consumer.poll_dequeue(cx)
    }
}

impl<N: Node> fmt::Debug for DequeueFuture<'_, '_, N> {
    /// Prints `DequeueFuture { .. }`.
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
    /// assert_eq!(format!("{:?}", consumer.dequeue_async()), "DequeueFuture { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DequeueFuture").finish_non_exhaustive()
    }
}

impl<N: Node> Drop for WaitConsumer<'_, N> {
    fn drop(&mut self) {
        self.waiter.release(self.queue);
    }
}

impl<N: Node> fmt::Debug for WaitConsumer<'_, N> {
    /// Prints `WaitConsumer { .. }`.
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
    /// assert_eq!(format!("{:?}", queue.consumer().unwrap()), "WaitConsumer { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitConsumer").finish_non_exhaustive()
    }
}
