//! Memory of each queue compared: its `size_of`, the heap a new empty queue allocates, and heap
//! allocations per message, all measured with a counting global allocator.
//!
//! `cargo run --release -p intrusive-mpsc-perf --bin memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use intrusive_mpsc_perf::*;

/// The system allocator, counting allocations and bytes.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: counters only, read on this same thread (the measurements are single-thread).
        ALLOCS.fetch_add(1, Relaxed);
        // Relaxed: as above.
        BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Relaxed: as in `alloc`.
        ALLOCS.fetch_add(1, Relaxed);
        // Relaxed: as in `alloc`.
        BYTES.fetch_add(new_size, Relaxed);
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes allocated while `f` runs.
fn counted<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    // Relaxed: read on the thread that allocates.
    let (allocs, bytes) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
    let result = f();
    (
        result,
        // Relaxed: as above.
        ALLOCS.load(Relaxed) - allocs,
        // Relaxed: as above.
        BYTES.load(Relaxed) - bytes,
    )
}

/// Messages queued at once in the backlog measurement (fits the 1024 bound).
const BACKLOG: usize = 1000;
/// Bursts of 64 in the steady-state measurement.
const BURSTS: u64 = 1000;

fn row<Q: Subject>() {
    let (queue, new_allocs, new_bytes) = counted(Q::new);
    let producer = queue.producer();
    let mut consumer = queue.consumer();

    let first = packets(1).pop().unwrap();
    let (pushed, first_allocs, first_bytes) = counted(|| Q::push(&producer, first).is_ok());
    assert!(pushed);
    drop(Q::pop(&mut consumer));

    let mut pool = packets(BURST);
    let ((), _, _) = counted(|| burst::<Q>(&producer, &mut consumer, &mut pool, 1));
    let ((), burst_allocs, _) = counted(|| burst::<Q>(&producer, &mut consumer, &mut pool, BURSTS));

    let mut backlog = packets(BACKLOG);
    let ((), backlog_allocs, _) = counted(|| {
        for packet in backlog.drain(..) {
            assert!(Q::push(&producer, packet).is_ok());
        }
        while let Some(packet) = Q::pop(&mut consumer) {
            backlog.push(packet);
        }
    });
    assert_eq!(backlog.len(), BACKLOG);
    println!(
        "| {} | {} | {} ({} allocations) | {} ({} allocations) | {:.4} | {:.4} |",
        Q::NAME,
        std::mem::size_of::<Q>(),
        new_bytes,
        new_allocs,
        first_bytes,
        first_allocs,
        burst_allocs as f64 / (BURSTS as usize * BURST) as f64,
        backlog_allocs as f64 / BACKLOG as f64,
    );
}

fn main() {
    println!(
        "payload: `Box<Packet>`, size_of::<Packet>() = {}",
        std::mem::size_of::<Packet>()
    );
    println!();
    println!("| queue | size_of | heap bytes when new | heap bytes on the first enqueue | allocations per message, bursts of 64 | allocations per message, {BACKLOG} queued at once |");
    println!("|---|---:|---:|---:|---:|---:|");
    row::<OursCompact>();
    row::<OursPadded>();
    row::<BoundedCompact>();
    row::<BoundedPadded>();
    row::<Cordyceps>();
    row::<Seg>();
    row::<CbChannel>();
    row::<StdMpsc>();
    row::<MutexDeque>();
    row::<WgRing>();
    row::<WgCounted>();
}
