//! Waiting by spinning: the busy-polling consumer ([`Consumer::dequeue_spin`] and
//! [`Consumer::dequeue_spin_for`]), which waits for the next node by polling with a back-off, for
//! a consumer that owns a core; and the short wait of a blocking consumer before it parks
//! (`Consumer::look_then_spin`, with the feature `std`, on the budget of `policy::park`), which
//! the channel's receive and the fixed ready sets' workers share.

use crate::queue::consumer::HandleOf;
#[cfg(feature = "std")]
use crate::Wait;
use crate::{Consumer, QueueRef};

/// Spin-loop hints waited after the first answer of "nothing", before looking again: long enough
/// for a producer that is sending to get a few nodes ahead, short enough to be the bound on the
/// delay the waiting adds to a node that arrives meanwhile.
const FIRST_WAIT: u32 = 2;

/// Spin-loop hints waited between the later looks, once the queue has stayed empty through the
/// first wait: the producer is idle then, so looking costs it nothing, and looking often keeps the
/// delay small for the node that ends the wait.
const NEXT_WAIT: u32 = 1;

/// Spin-loop hints waited without a node before the waits become yields of the thread (with the
/// `std` feature): about 50 µs where a hint is a 45 ns `pause`, a few µs where it is shorter. Long
/// past any round trip between two cores, so a consumer that a producer keeps busy never gets
/// there; reached when the queue has been idle, or when the producer it waits for cannot run
/// because this thread holds the core it needs.
#[cfg(feature = "std")]
const YIELD_AFTER: u32 = 1024;

/// How long a busy-polling consumer stays off the queue between two looks. Consumer-local: the
/// waiting touches no shared memory.
struct SpinWait {
    /// Spin-loop hints before the next look.
    next: u32,
    /// Hints waited so far, up to [`YIELD_AFTER`].
    #[cfg(feature = "std")]
    waited: u32,
}

impl SpinWait {
    #[inline]
    fn new() -> Self {
        SpinWait {
            next: FIRST_WAIT,
            #[cfg(feature = "std")]
            waited: 0,
        }
    }

    /// Waits the current step and returns the hints it counts as (a yield counts as one).
    #[inline]
    fn wait(&mut self) -> u32 {
        #[cfg(feature = "std")]
        if self.waited >= YIELD_AFTER {
            // Idle for a while: hand the core to any thread that is ready to run on it (a
            // producer that shares this core would otherwise wait for the end of our time
            // slice). With nothing else to run, this returns at once, for one system call.
            crate::sync::yield_thread();
            return 1;
        }
        let waited = self.next;
        for _ in 0..waited {
            crate::sync::spin_hint();
        }
        self.next = NEXT_WAIT;
        #[cfg(feature = "std")]
        {
            self.waited += waited;
        }
        waited
    }
}

impl<Q: QueueRef> Consumer<Q> {
    /// Takes the oldest node, busy-waiting until there is one.
    ///
    /// The loop to write when a thread is dedicated to a hot queue. When the queue has nothing,
    /// this stays off the queue's memory for a few spin-loop hints ([`core::hint::spin_loop`])
    /// before looking again: two after the first answer of "nothing", then one between looks. A
    /// consumer that polls without pausing reads the line the producers are about to write (the
    /// stub's link and `head`, or the newest node's link) over and over, so each enqueue has to
    /// take that line back from the consumer's core; leaving the producer a moment lets it get a
    /// few nodes ahead, and the consumer then takes them with each line crossing once.
    ///
    /// It never sleeps: the thread stays busy until a node arrives. With the `std` feature, once
    /// the queue has stayed empty for about a thousand hints (some µs), each further wait is a
    /// yield of the thread (`std::thread::yield_now`) instead, so that a producer waiting for
    /// this core (more threads than cores) gets it at once rather than at the end of the
    /// consumer's time slice; with nothing else to run, a yield returns at once. A producer
    /// preempted mid-enqueue is waited out as [`dequeue`](Consumer::dequeue) does (with the `std`
    /// feature, by yielding the thread after a while). What [`try_dequeue`](Consumer::try_dequeue)
    /// answers is unchanged by this: the back-off lives only in the waiting.
    ///
    /// # Which loop to write for a hot queue
    ///
    /// | the consumer's thread | write |
    /// |---|---|
    /// | serves this queue and nothing else, and a node must be taken as soon as it arrives | `loop { let node = consumer.dequeue_spin(); .. }` |
    /// | has other work too | [`dequeue_spin_for`](Consumer::dequeue_spin_for) with a budget, then the other work |
    /// | should sleep while the queue is idle | a [`Wait`](crate::Wait) queue's `dequeue_blocking` or `dequeue_async` |
    /// | must never wait | [`try_dequeue`](Consumer::try_dequeue) |
    ///
    /// Pick the [`Padded`](crate::Padded) layout for a queue whose producers and consumer run on
    /// different cores at once: in the compact layout the producers' `head` and the consumer's
    /// `tail` share a line, and no waiting policy keeps them apart. Against your own loop around
    /// `try_dequeue`, this method costs nothing while nodes keep coming, keeps the consumer off
    /// the producers' line while none do, and delays a message to an idle consumer by at most one
    /// 2-hint wait. How much the waiting gains depends on the machine and on the traffic: the
    /// repository's `perf/HOT_QUEUE.md` has the measurements, against the loop around
    /// `try_dequeue` and against crossbeam-channel.
    ///
    /// # Cost
    ///
    /// A node whose enqueue returned while the consumer waits here is returned after at most one
    /// wait of 2 spin-loop hints and one look at the queue; once the queue has been idle past the
    /// yields' threshold, after at most one yield and one look (a system call when nothing else
    /// wants the core, a time slice of whatever thread the OS runs instead when something does). On x86-64 a hint is a `pause`
    /// instruction, whose length depends on the processor: from about 10 to about 140 cycles
    /// (about 45 ns on the machine of the measurements). With a node already queued this is one
    /// [`dequeue`](Consumer::dequeue).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, PaddedQueue};
    ///
    /// struct Packet {
    ///     link: Link,
    ///     seq: u64,
    /// }
    /// node!(Packet, link, Box<Packet>);
    ///
    /// let queue = PaddedQueue::<Packet>::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         for seq in 0..1000 {
    ///             queue.enqueue(Box::new(Packet { link: Link::new(), seq }));
    ///         }
    ///     });
    ///     let mut consumer = queue.consumer().unwrap();
    ///     for expected in 0..1000 {
    ///         assert_eq!(consumer.dequeue_spin().seq, expected);
    ///     }
    /// });
    /// ```
    #[inline]
    pub fn dequeue_spin(&mut self) -> HandleOf<Q> {
        if let Some(handle) = self.dequeue() {
            return handle;
        }
        self.dequeue_spin_slow(None)
            .expect("waits without a budget until a node arrives")
    }

    /// Takes the oldest node, busy-waiting for one as [`dequeue_spin`](Consumer::dequeue_spin)
    /// does, but for at most about `spins` spin-loop hints.
    ///
    /// Returns `None` when the queue stayed [`Empty`](crate::TryDequeueError::Empty) that long:
    /// the consumer's thread can then do other work, and come back. With a budget of 0 this is
    /// [`dequeue`](Consumer::dequeue).
    ///
    /// # Cost
    ///
    /// As for [`dequeue_spin`](Consumer::dequeue_spin); the wait stops after the look that ends
    /// the budget, so it lasts at most `spins` hints plus the looks at the queue. Past the yields'
    /// threshold (with the `std` feature) each yield counts as one hint, so a large budget lasts
    /// longer than its hints would; a budget meant as time is better checked against a clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Queue::<Job>::new();
    /// let mut consumer = queue.consumer().unwrap();
    /// assert!(consumer.dequeue_spin_for(100).is_none(), "nothing came: do other work");
    /// queue.enqueue(Box::new(Job { link: Link::new() }));
    /// assert!(consumer.dequeue_spin_for(100).is_some());
    /// ```
    #[inline]
    pub fn dequeue_spin_for(&mut self, spins: u32) -> Option<HandleOf<Q>> {
        match self.dequeue() {
            Some(handle) => Some(handle),
            None if spins == 0 => None,
            None => self.dequeue_spin_slow(Some(spins)),
        }
    }

    /// The waiting part of [`dequeue_spin`](Consumer::dequeue_spin) and
    /// [`dequeue_spin_for`](Consumer::dequeue_spin_for), after a first answer of "nothing": wait,
    /// look, until a node comes or `budget` hints have been waited.
    #[inline(never)]
    fn dequeue_spin_slow(&mut self, mut budget: Option<u32>) -> Option<HandleOf<Q>> {
        let mut wait = SpinWait::new();
        loop {
            let waited = wait.wait();
            if let Some(handle) = self.dequeue() {
                return Some(handle);
            }
            if let Some(left) = &mut budget {
                *left = left.saturating_sub(waited);
                if *left == 0 {
                    return None;
                }
            }
        }
    }
}

#[cfg(feature = "std")]
impl<Q: QueueRef<Waiting = Wait>> Consumer<Q> {
    /// The first look of a blocking wait for a node: takes one if the queue has it, or else
    /// waits a moment and looks again between the waits (the consumer's
    /// [`WaitBudget`](crate::policy::park::WaitBudget): a few spin hints, then a couple of yields
    /// of the thread, about a microsecond; longer after a wait whose node came while it yielded
    /// or soon after it parked). `None` when the budget is spent or `deadline` has passed: then
    /// the caller parks. The waiting touches no shared state (each look is a `try_dequeue`), so
    /// what the queue answers never changes; under loom the budget is empty.
    ///
    /// Why a budget at all: a consumer that parks at once costs its producer a wake-up (a
    /// system call) and itself a park for every node that comes a microsecond late, which in a
    /// ping-pong is every node: measured in `perf/HOT_QUEUE.md` ("A spin phase before
    /// parking"), 13.4 us per round trip without it against about 1 us with it, pinned.
    #[inline]
    pub(crate) fn look_then_spin(
        &mut self,
        deadline: Option<std::time::Instant>,
    ) -> Option<HandleOf<Q>> {
        let handle = match self.try_dequeue() {
            Ok(handle) => handle,
            Err(_) => self.spin_for_node(deadline)?,
        };
        // Leave a sleeping state an earlier poll may have left.
        self.done();
        Some(handle)
    }

    /// The waiting part of [`look_then_spin`](Consumer::look_then_spin), out of the fast path.
    #[inline(never)]
    fn spin_for_node(&mut self, deadline: Option<std::time::Instant>) -> Option<HandleOf<Q>> {
        self.spin_until(deadline, |consumer| consumer.try_dequeue().ok())
    }

    /// Calls `attempt` until it returns `Some`, waiting between attempts with the consumer's
    /// [`WaitBudget`](crate::policy::park::WaitBudget), as
    /// [`look_then_spin`](Consumer::look_then_spin) does; `None` once the budget is spent or
    /// `deadline` has passed. For a front whose look is more than a dequeue (a fixed ready set's
    /// worker).
    pub(crate) fn spin_until<T>(
        &mut self,
        deadline: Option<std::time::Instant>,
        mut attempt: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<T> {
        // A copy, so that `attempt` may borrow the whole consumer; written back after.
        let mut budget = self.waiter.budget;
        let found = budget.spin_until(deadline, || attempt(self));
        self.waiter.budget = budget;
        found
    }

    /// After a blocking wait that went past [`look_then_spin`](Consumer::look_then_spin) and
    /// parked (from `parked_at`): see
    /// [`WaitBudget::parked_wait_ended`](crate::policy::park::WaitBudget::parked_wait_ended).
    #[inline]
    pub(crate) fn parked_wait_ended(&mut self, got_node: bool, parked_at: std::time::Instant) {
        self.waiter.budget.parked_wait_ended(got_node, parked_at);
    }
}
