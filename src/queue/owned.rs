//! An owned consumer: [`Queue::consumer_owned`] claims the consumer through an `Arc` of the queue,
//! for a consumer that moves into a worker thread or task (feature `alloc`).

use alloc::sync::Arc;

use crate::queue::consumer::sealed;
use crate::{
    Capacity, Compact, Consumer, Layout, NoWait, Node, Queue, QueueRef, Unbounded, Waiting,
};

/// A [`Consumer`] that holds its queue through an `Arc`: see [`Queue::consumer_owned`].
pub type OwnedConsumer<N, B = Unbounded, W = NoWait, L = Compact> =
    Consumer<Arc<Queue<N, B, W, L>>>;

impl<N: Node, B: Capacity, W: Waiting, L: Layout> Queue<N, B, W, L> {
    /// Becomes the queue's consumer through an `Arc`, or hands the `Arc` back while another
    /// [`Consumer`] exists.
    ///
    /// The consumer keeps the queue alive, so it can be moved into a worker thread or a task
    /// (it is `Send` when the handles are), or kept in a map beside the queue. Dropping it gives
    /// the consumer slot back, as for [`consumer`](Queue::consumer).
    ///
    /// # Errors
    ///
    /// `Err(self)` while another consumer exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use intrusive_mpsc::{node, Link, OwnedConsumer, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     id: u32,
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Arc::new(Queue::<Job>::new());
    /// let mut consumer: OwnedConsumer<Job> = Arc::clone(&queue).consumer_owned().unwrap();
    /// assert!(Arc::clone(&queue).consumer_owned().is_err(), "one consumer at a time");
    /// queue.enqueue(Box::new(Job { link: Link::new(), id: 5 }));
    /// let worker = std::thread::spawn(move || consumer.dequeue().map(|job| job.id));
    /// assert_eq!(worker.join().unwrap(), Some(5));
    /// ```
    ///
    /// The same with handles that are not `Send` does not compile: the consumer would drop them
    /// on another thread.
    ///
    /// ```compile_fail
    /// use std::rc::Rc;
    /// use std::sync::Arc;
    /// use intrusive_mpsc::{node, Link, Queue};
    ///
    /// struct Job {
    ///     link: Link,
    ///     owner: Rc<u32>, // makes `Box<Job>` !Send
    /// }
    /// node!(Job, link, Box<Job>);
    ///
    /// let queue = Arc::new(Queue::<Job>::new());
    /// let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
    /// std::thread::spawn(move || consumer.dequeue().map(|job| *job.owner));
    /// ```
    #[inline]
    pub fn consumer_owned(self: Arc<Self>) -> Result<Consumer<Arc<Self>>, Arc<Self>> {
        if self.claim_consumer() {
            // SAFETY: as in `consumer`: the flag is ours.
            Ok(unsafe { Consumer::new(self, true) })
        } else {
            Err(self)
        }
    }
}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> sealed::QueueRef for Arc<Queue<N, B, W, L>> {}

impl<N: Node, B: Capacity, W: Waiting, L: Layout> QueueRef for Arc<Queue<N, B, W, L>> {
    type Node = N;
    type Capacity = B;
    type Waiting = W;
    type Layout = L;

    #[inline(always)]
    fn queue(&self) -> &Queue<N, B, W, L> {
        self
    }
}
