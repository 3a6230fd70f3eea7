//! No leaks: a counting global allocator shows that every scenario frees exactly what it
//! allocated (allocation count and bytes), including queues dropped with nodes inside, a peeked
//! node, a node whose drop panics, consumers handed between threads, and recycled nodes; and for
//! every kind of queue, an owned consumer that outlives the other `Arc`s of its queue, after a
//! sleep that left a waker in the queue.
//!
//! This binary holds a single test, and waits for the harness to settle before measuring, so
//! nothing else allocates while a scenario is measured.
#![cfg(not(loom))]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use intrusive_mpsc::{node, Layout as QueueLayout, Link, Queue};
use support::kinds::{enqueue_now, for_every_kind, CapacityKind, EveryKind, WaitingKind};
use support::scaled;

/// The system allocator, counting.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static FREES: AtomicUsize = AtomicUsize::new(0);
static BYTES_ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static BYTES_FREED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged; the
// counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            ALLOCS.fetch_add(1, Relaxed);
            BYTES_ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREES.fetch_add(1, Relaxed);
        BYTES_FREED.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            BYTES_FREED.fetch_add(layout.size(), Relaxed);
            BYTES_ALLOCATED.fetch_add(new_size, Relaxed);
        }
        new
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations - frees, bytes allocated - bytes freed).
fn outstanding() -> (isize, isize) {
    (
        ALLOCS.load(Relaxed) as isize - FREES.load(Relaxed) as isize,
        BYTES_ALLOCATED.load(Relaxed) as isize - BYTES_FREED.load(Relaxed) as isize,
    )
}

/// Runs `scenario` and checks it left nothing allocated.
fn no_leak(name: &str, scenario: impl FnOnce()) {
    let before = outstanding();
    scenario();
    let after = outstanding();
    assert_eq!(
        before, after,
        "{name}: (allocations, bytes) outstanding before and after"
    );
}

/// Counts live nodes, so a scenario can also check that the queue dropped what it held.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Not the shared `support::Msg`: a node with a heap allocation of its own, counted in `LIVE`,
/// that can panic on drop.
struct Msg {
    link: Link,
    /// A heap allocation of its own, so a node that is never dropped leaks twice.
    payload: Vec<u8>,
    explode: bool,
}
node!(Msg, link, Box<Msg>);

fn msg(len: usize) -> Box<Msg> {
    LIVE.fetch_add(1, Relaxed);
    Box::new(Msg {
        link: Link::new(),
        payload: vec![7; len],
        explode: false,
    })
}

impl Drop for Msg {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Relaxed);
        if self.explode {
            panic!("exploding node");
        }
    }
}

/// For every kind: `n` nodes through an owned consumer, a sleep where the consumer can sleep (its
/// waker stays in the queue), `n` more nodes left inside with one peeked, and the consumer
/// dropped after every other `Arc`, taking the queue and all of it along.
struct OwnedConsumerOutlivesItsQueue {
    n: usize,
}

impl EveryKind for OwnedConsumerOutlivesItsQueue {
    fn run<B: CapacityKind, W: WaitingKind, L: QueueLayout>(&mut self) {
        let n = self.n;
        no_leak(std::any::type_name::<Queue<Msg, B, W, L>>(), || {
            let queue = Arc::new(B::queue::<Msg, W, L>(n));
            for i in 0..n {
                enqueue_now(&*queue, msg(i % 64));
            }
            let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
            assert_eq!(consumer.drain().count(), n);
            if let Some(got) = W::dequeue_timeout_blocking(&mut consumer, Duration::from_millis(1))
            {
                assert!(got.is_none(), "nothing was queued");
            }
            for _ in 0..n {
                enqueue_now(consumer.queue(), msg(8));
            }
            assert!(consumer.peek().is_some());
            drop(queue);
            drop(consumer);
            assert_eq!(LIVE.load(Relaxed), 0);
        });
    }
}

#[test]
fn every_scenario_frees_what_it_allocates() {
    let n = scaled(10_000).max(10);
    // Silence the expected panics (and only those); installing the hook allocates, so do it
    // before measuring.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let expected = matches!(
            info.payload().downcast_ref::<&str>(),
            Some(&"exploding node" | &"warm-up")
        );
        if !expected {
            default_hook(info);
        }
    }));
    // Warm up whatever the runtime allocates once (thread bookkeeping, panic machinery), and let
    // the test harness's main thread, which allocates as it starts waiting for this test, settle:
    // the counters are global, so its allocations would otherwise land inside a scenario.
    thread::spawn(|| {}).join().unwrap();
    let _ = panic::catch_unwind(|| panic!("warm-up"));
    let _ = thread::current();
    thread::sleep(std::time::Duration::from_millis(200));

    no_leak("enqueue then dequeue everything", || {
        let queue = Queue::<Msg>::new();
        for i in 0..n {
            queue.enqueue(msg(i % 64));
        }
        let mut consumer = queue.consumer().unwrap();
        let mut count = 0;
        while let Some(m) = consumer.dequeue() {
            assert!(m.payload.iter().all(|&b| b == 7));
            count += 1;
        }
        assert_eq!(count, n);
    });

    no_leak("queue dropped with nodes inside and one peeked", || {
        let queue = Queue::<Msg>::new();
        for i in 0..n {
            queue.enqueue(msg(i % 64));
        }
        {
            let mut consumer = queue.consumer().unwrap();
            assert_eq!(consumer.drain().take(n / 3).count(), n / 3);
            assert!(consumer.peek().is_some());
        }
        drop(queue);
        assert_eq!(LIVE.load(Relaxed), 0);
    });

    no_leak("a boxed queue moved with nodes inside", || {
        let queue = Queue::<Msg>::new();
        for _ in 0..n {
            queue.enqueue(msg(8));
        }
        let boxed = Box::new(queue);
        let queue = *boxed;
        assert_eq!(queue.consumer().unwrap().drain().count(), n);
    });

    no_leak("a node whose drop panics while the queue drops", || {
        let queue = Queue::<Msg>::new();
        for i in 0..10 {
            let mut m = msg(16);
            m.explode = i == 3;
            queue.enqueue(m);
        }
        let result = panic::catch_unwind(AssertUnwindSafe(move || drop(queue)));
        assert!(result.is_err());
        assert_eq!(LIVE.load(Relaxed), 0);
    });

    no_leak("producers and a consumer on threads", || {
        let queue = Arc::new(Queue::<Msg>::new());
        let producers: Vec<_> = (0..4)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    for i in 0..n {
                        queue.enqueue(msg(i % 32));
                    }
                })
            })
            .collect();
        let consumer_thread = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                // Take half on this thread, then hand the consumer back by dropping it.
                let mut consumer = queue.consumer().unwrap();
                let mut taken = 0;
                while taken < 2 * n {
                    if consumer.try_dequeue().is_ok() {
                        taken += 1;
                    } else {
                        thread::yield_now();
                    }
                }
            })
        };
        consumer_thread.join().unwrap();
        for p in producers {
            p.join().unwrap();
        }
        let rest = queue.consumer().unwrap().drain().count();
        assert_eq!(rest, 2 * n);
        assert_eq!(LIVE.load(Relaxed), 0);
    });

    no_leak("recycled nodes, the rest left in the queue", || {
        let queue = Queue::<Msg>::new();
        let mut consumer = queue.consumer().unwrap();
        for _ in 0..8 {
            queue.enqueue(msg(4));
        }
        for _ in 0..n {
            let m = consumer.dequeue().unwrap();
            queue.enqueue(m);
        }
        drop(consumer);
        drop(queue);
        assert_eq!(LIVE.load(Relaxed), 0);
    });

    for_every_kind(&mut OwnedConsumerOutlivesItsQueue { n });

    drop(panic::take_hook());
}
