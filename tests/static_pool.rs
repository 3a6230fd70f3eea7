//! Nodes from a static pool as `&'static mut` handles, in `static` queues of every kind: the
//! set-up of a target with neither `std` nor an allocator. CI runs this file with `--no-default-features`, so the
//! crate itself is built without `std` and `alloc` (the test harness still uses `std`).
#![cfg(not(loom))]

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use intrusive_mpsc::{
    node, BoundedQueue, BoundedWaitQueue, Capacity, Layout, Link, PaddedQueue, Queue,
    TryDequeueError, WaitQueue, Waiting,
};

/// Not the shared `support::Msg`: that one is a `Box` handle, and this file runs without the
/// crate's `alloc` feature, so its nodes are `&'static mut` frames from a static pool.
struct Frame {
    link: Link,
    id: u8,
}
node!(Frame, link, &'static mut Frame);

const POOL_SIZE: usize = 4;

/// Hands out the pool's frames, once: the only way to get `&'static mut` to them.
fn take_pool() -> &'static mut [Frame; POOL_SIZE] {
    static mut POOL: [Frame; POOL_SIZE] = [
        Frame {
            link: Link::new(),
            id: 0,
        },
        Frame {
            link: Link::new(),
            id: 1,
        },
        Frame {
            link: Link::new(),
            id: 2,
        },
        Frame {
            link: Link::new(),
            id: 3,
        },
    ];
    static TAKEN: AtomicBool = AtomicBool::new(false);
    assert!(
        !TAKEN.swap(true, Ordering::AcqRel),
        "the pool is handed out once"
    );
    let pool = addr_of_mut!(POOL);
    // SAFETY: the flag above lets exactly one caller through, so this is the only reference to
    // `POOL` ever made.
    unsafe { &mut *pool }
}

static QUEUE: Queue<Frame> = Queue::new();

#[test]
fn static_queue_of_static_pool_nodes() {
    let [a, b, c, d] = take_pool();
    let mut consumer = QUEUE.consumer().unwrap();
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));

    QUEUE.enqueue(a);
    QUEUE.enqueue(b);
    let first = consumer.dequeue().unwrap();
    assert_eq!(first.id, 0);
    // A node that came back can be enqueued again: its link needs no reset.
    QUEUE.enqueue(c);
    QUEUE.enqueue(first);
    QUEUE.enqueue(d);

    let mut frames = Vec::new();
    while let Some(frame) = consumer.dequeue() {
        frames.push(frame);
    }
    let order: Vec<u8> = frames.iter().map(|frame| frame.id).collect();
    assert_eq!(order, [1, 2, 0, 3]);
    assert!(consumer.is_empty());

    // The same frames, through a static queue of each other kind, each built by a `const fn`.
    static PADDED: PaddedQueue<Frame> = PaddedQueue::new();
    static WAITING: WaitQueue<Frame> = WaitQueue::new();
    static BOUNDED: BoundedQueue<Frame> = BoundedQueue::with_capacity(3);
    static BOUNDED_WAITING: BoundedWaitQueue<Frame> = BoundedWaitQueue::with_capacity(1);
    let frames = relay(&PADDED, frames, 0);
    let frames = relay(&WAITING, frames, 0);
    let frames = relay(&BOUNDED, frames, 1);
    let frames = relay(&BOUNDED_WAITING, frames, 3);
    let order: Vec<u8> = frames.iter().map(|frame| frame.id).collect();
    assert_eq!(order, [1, 2, 0, 3], "FIFO through every queue");
}

/// Passes `frames` through `queue` in order, taking the oldest out whenever the queue refuses the
/// next one, which must happen `refusals` times; returns them in the order they came out.
fn relay<B: Capacity, W: Waiting, L: Layout>(
    queue: &'static Queue<Frame, B, W, L>,
    frames: Vec<&'static mut Frame>,
    refusals: usize,
) -> Vec<&'static mut Frame> {
    let mut consumer = queue.consumer().unwrap();
    let mut out = Vec::new();
    let mut refused = 0;
    for mut frame in frames {
        while let Err(back) = queue.try_enqueue(frame) {
            refused += 1;
            out.push(consumer.dequeue().expect("refused, so not empty"));
            frame = back;
        }
    }
    out.extend(consumer.drain());
    assert_eq!(refused, refusals);
    out
}
