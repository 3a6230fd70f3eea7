//! A mailbox for actor-style workers over `intrusive-mpsc`: a user library with atomics of its
//! own, loom-checked together with the queue (see `tests/loom.rs`).
//!
//! Any thread [`post`](Mailbox::post)s messages. The post that finds the mailbox idle schedules
//! one [`run`](Mailbox::run) of its worker, on a thread pool, an async executor, a new thread:
//! the caller decides. Posts into a scheduled mailbox only enqueue. This is WireGuard's
//! `queue_work` pattern: enqueue, then `if !scheduled.swap(true) { schedule() }`; the run clears
//! the flag when it finds the queue empty, and looks at the queue once more before it goes idle.
//!
//! ```
//! use std::sync::Arc;
//! use intrusive_mpsc::{node, Link};
//! use loom_user::{Mailbox, Run};
//!
//! struct Job {
//!     link: Link,
//!     id: u32,
//! }
//! node!(Job, link, Box<Job>);
//!
//! let mailbox = Arc::new(Mailbox::<Job>::new());
//! let mut worker = None;
//! mailbox.post(Box::new(Job { link: Link::new(), id: 1 }), || {
//!     // Scheduling the worker: here, a thread that runs the mailbox until it goes idle.
//!     let mailbox = Arc::clone(&mailbox);
//!     worker = Some(std::thread::spawn(move || {
//!         let mut ids = Vec::new();
//!         while mailbox.run(64, |job| ids.push(job.id)) == Run::Again {}
//!         ids
//!     }));
//! });
//! assert_eq!(worker.expect("the first post schedules").join().unwrap(), [1]);
//! ```

mod sync;

// `std`'s `Arc`, also under loom: `Queue::consumer_owned` takes `std::sync::Arc`. Both `Arc`s
// live inside the mailbox and drop with it, on whichever thread drops the mailbox.
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::sync::{Arc, PoisonError};

use intrusive_mpsc::{Node, OwnedConsumer, Queue};
use sync::{AtomicBool, Mutex};

/// Messages waiting for a worker, and whether a run of that worker is scheduled.
///
/// `M` is the message type, an `intrusive-mpsc` [`Node`] (declared with `node!`).
pub struct Mailbox<M: Node> {
    queue: Arc<Queue<M>>,
    /// The run side. A run holds the lock from start to end, so runs never overlap, even when a
    /// post schedules the next run while the last one is still going idle.
    consumer: Mutex<OwnedConsumer<M>>,
    /// Set from the post that schedules a run until that run (or a later one) goes idle: while it
    /// is set, posts only enqueue, because a run will still look at the queue.
    scheduled: AtomicBool,
}

/// What the caller of [`Mailbox::run`] does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "`Run::Again` means the mailbox is still scheduled and must be run again"]
pub enum Run {
    /// The run went idle: the next post schedules a new one.
    Idle,
    /// The budget ran out with the mailbox still scheduled: run it again (now, or after
    /// letting other work go first).
    Again,
}

impl<M: Node> Mailbox<M> {
    /// An empty, idle mailbox. (Not `const`: nor are the queue and the atomics under loom.)
    pub fn new() -> Self {
        let queue = Arc::new(Queue::new());
        let consumer = match Arc::clone(&queue).consumer_owned() {
            Ok(consumer) => consumer,
            Err(_) => unreachable!("a new queue has no consumer yet"),
        };
        Self {
            queue,
            consumer: Mutex::new(consumer),
            scheduled: AtomicBool::new(false),
        }
    }

    /// Posts `msg`. If the mailbox was idle, this post scheduled it: `schedule` is called, and
    /// must arrange one call of [`run`](Self::run) (and more while it returns [`Run::Again`]).
    /// Otherwise `schedule` is not called: a scheduled run will see `msg`.
    pub fn post(&self, msg: M::Handle, schedule: impl FnOnce()) {
        self.queue.enqueue(msg);
        // A swap, not a load and a store: exactly one post wins the flag, and the swap's Release
        // half publishes the enqueue above to the run that clears the flag (its swap reads this
        // one, or a later swap in this one's release sequence), so a run that already cleared it
        // reads a `false` here and a run that has yet to clear it sees our message. Acquire: pairs
        // with the clearing swap in `run`, so `schedule` comes after the run it replaces went idle.
        if !self.scheduled.swap(true, AcqRel) {
            schedule();
        }
    }

    /// Runs the worker once: hands queued messages to `handle`, at most `budget` of them, and
    /// returns [`Run::Again`] when the budget ran out or [`Run::Idle`] once the mailbox is idle.
    ///
    /// Call it only as a post's `schedule` arranged, once per scheduling plus once per
    /// `Run::Again`; a run started any other way waits for the current one to end. If `handle`
    /// panics, the mailbox stays scheduled: run it again, or drop it.
    ///
    /// # Panics
    ///
    /// If `budget` is 0.
    pub fn run(&self, budget: usize, mut handle: impl FnMut(M::Handle)) -> Run {
        assert!(budget > 0, "a run with a budget of 0 never goes idle");
        // A handler that panicked took its message with it: the queue is as good as before.
        let mut consumer = self.consumer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut handled = 0;
        loop {
            while handled < budget {
                match consumer.dequeue() {
                    Some(msg) => {
                        handle(msg);
                        handled += 1;
                    }
                    None => break,
                }
            }
            if handled == budget {
                return Run::Again;
            }
            // Empty. Go idle: clear the flag, then look again, because a post that enqueued
            // after our last look but swapped before this clear found the flag set and did not
            // schedule. The clear is a swap too, not a store: a `store(false, Release)` followed
            // by the relaxed look in `is_empty` lets that post's swap read the old `true` while
            // the look misses its message (the store-buffering reordering). AcqRel: the Acquire
            // half pairs with the post's swap that this swap reads (or heads its release
            // sequence), so the look below sees that post's message; the Release half pairs with
            // the Acquire of the post that reads our `false` and schedules the next run.
            self.scheduled.swap(false, AcqRel);
            if consumer.is_empty() {
                return Run::Idle;
            }
            // A message after all. Take the flag back, unless a post took it first: then that
            // post scheduled a new run, which waits for our lock and handles the message.
            // AcqRel: as the clear above.
            if self.scheduled.swap(true, AcqRel) {
                return Run::Idle;
            }
        }
    }

    /// Whether a run is scheduled or going on. A snapshot, for tests and metrics: posts and runs
    /// change it at any time. Acquire: pairs with the swaps in `post` and `run`.
    pub fn is_scheduled(&self) -> bool {
        self.scheduled.load(Acquire)
    }
}

impl<M: Node> Default for Mailbox<M> {
    /// Same as [`Mailbox::new`].
    fn default() -> Self {
        Self::new()
    }
}
