//! Nodes from a static pool as `&'static mut` handles, in a `static` queue: the set-up of a target
//! with neither `std` nor an allocator. CI runs this file with `--no-default-features`, so the
//! crate itself is built without `std` and `alloc` (the test harness still uses `std`).
#![cfg(not(loom))]

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use intrusive_mpsc::{node, Link, Queue, TryDequeueError};

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

    let mut order = [0u8; 4];
    let mut n = 0;
    while let Some(frame) = consumer.dequeue() {
        order[n] = frame.id;
        n += 1;
    }
    assert_eq!(&order[..n], &[1, 2, 0, 3]);
    assert!(consumer.is_empty());
}
