//! No allocator needed: a `static` queue, and nodes from a `static` pool that travel as
//! `&'static mut` handles.
//!
//! The crate is built without `std` and `alloc` for this example
//! (`cargo run --example static_queue --no-default-features`); only the example's own `main`
//! uses `std`, for threads and printing, as firmware would use its interrupt handlers and UART.
//!
//! Two queues circulate a fixed pool of event slots: producers take a free slot, fill it and
//! send it to `EVENTS`; the consumer handles it and returns the slot to `FREE`. Each queue has
//! one consumer at a time: the main thread consumes `EVENTS`, and the producers take turns as
//! `FREE`'s consumer, `Queue::consumer` acting as a try-lock on the consumer side.
//!
//! Then the same events go through `SOURCES`, a `static` ready set with a queue per producer,
//! built in `const`: each producer (an interrupt handler, on a target) enqueues into its own
//! queue directly, with no once-cell, and the worker takes only the queues that have events,
//! 16 events per turn.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use intrusive_mpsc::{node, Link, Next, Queue, StaticReadySet};

/// One event slot: the link, and a payload.
struct Event {
    link: Link,
    source: u32,
    value: u64,
}
node!(Event, link, &'static mut Event);

const POOL_SIZE: usize = 16;
const PRODUCERS: u32 = 3;
const EVENTS_PER_PRODUCER: u64 = 100_000;

/// Filled events, waiting for the consumer.
static EVENTS: Queue<Event> = Queue::new();
/// Free slots, waiting for a producer.
static FREE: Queue<Event> = Queue::new();
/// A queue per producer, each scheduled by the event that ends its idleness.
static SOURCES: StaticReadySet<Event, { PRODUCERS as usize }> = StaticReadySet::new();

/// Hands the pool out once, as `&'static mut` slots.
fn take_pool() -> &'static mut [Event; POOL_SIZE] {
    static mut POOL: [Event; POOL_SIZE] = [const {
        Event {
            link: Link::new(),
            source: 0,
            value: 0,
        }
    }; POOL_SIZE];
    static TAKEN: AtomicBool = AtomicBool::new(false);
    assert!(
        !TAKEN.swap(true, Ordering::AcqRel),
        "the pool is taken once"
    );
    let pool = std::ptr::addr_of_mut!(POOL);
    // SAFETY: the flag lets exactly one caller through, so this is the only reference ever made
    // to `POOL`.
    unsafe { &mut *pool }
}

/// Takes a free slot; the `FREE` consumer token is held only for one dequeue at a time, so the
/// producers share it.
fn take_free_slot() -> &'static mut Event {
    loop {
        if let Some(mut free) = FREE.consumer() {
            if let Some(slot) = free.dequeue() {
                return slot;
            }
        }
        // All slots are in flight (or another producer holds the token): wait a little.
        thread::yield_now();
    }
}

fn main() {
    for slot in take_pool() {
        FREE.enqueue(slot);
    }

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|source| {
            thread::spawn(move || {
                for value in 0..EVENTS_PER_PRODUCER {
                    let slot = take_free_slot();
                    slot.source = source;
                    slot.value = value;
                    EVENTS.enqueue(slot);
                }
            })
        })
        .collect();

    let mut consumer = EVENTS.consumer().expect("the only consumer of EVENTS");
    let mut next = [0u64; PRODUCERS as usize];
    let mut handled = 0u64;
    while handled < u64::from(PRODUCERS) * EVENTS_PER_PRODUCER {
        match consumer.dequeue() {
            Some(event) => {
                let source = event.source as usize;
                assert_eq!(event.value, next[source], "per-producer order");
                next[source] += 1;
                handled += 1;
                FREE.enqueue(event);
            }
            None => thread::yield_now(),
        }
    }
    for p in producers {
        p.join().expect("producer panicked");
    }

    let served = through_the_ready_set();

    let mut free = FREE.consumer().expect("producers are done");
    let returned = free.drain().count();
    println!(
        "{handled} events from {PRODUCERS} producers through {POOL_SIZE} static slots, in order; \
         then {handled} more through a static ready set in {served} turns; \
         {returned} slots back in the pool; queues are {} bytes each; no allocator used by the queue",
        core::mem::size_of::<Queue<Event>>()
    );
    assert_eq!(returned, POOL_SIZE, "every slot came back");
}

/// The same events through `SOURCES`, each producer into its own queue; returns how many turns
/// (queues taken off the ready list) the worker served.
fn through_the_ready_set() -> u64 {
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|source| {
            thread::spawn(move || {
                for value in 0..EVENTS_PER_PRODUCER {
                    let slot = take_free_slot();
                    slot.source = source;
                    slot.value = value;
                    SOURCES.enqueue(source as usize, slot);
                }
            })
        })
        .collect();

    let mut worker = SOURCES.worker().expect("the only worker of SOURCES");
    let mut next = [0u64; PRODUCERS as usize];
    let (mut handled, mut turns) = (0u64, 0u64);
    while handled < u64::from(PRODUCERS) * EVENTS_PER_PRODUCER {
        match worker.try_next() {
            Some(Next::Ready(mut queue)) => {
                let source = queue.index();
                turns += 1;
                for event in queue.drain().take(16) {
                    assert_eq!(
                        event.source as usize, source,
                        "each queue holds its source's"
                    );
                    assert_eq!(event.value, next[source], "per-producer order");
                    next[source] += 1;
                    handled += 1;
                    FREE.enqueue(event);
                }
            }
            Some(Next::Woken | Next::Closed) => unreachable!("nobody wakes or closes SOURCES"),
            None => thread::yield_now(),
        }
    }
    for p in producers {
        p.join().expect("producer panicked");
    }
    assert!(worker.try_next().is_none(), "nothing left scheduled");
    turns
}
