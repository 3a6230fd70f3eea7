//! A global allocator that counts allocations when asked (`CHANNELS_ALLOCS=1`): a diagnostic
//! (a bounded sender that waits allocates its place in the wait list). Off by default, since one
//! shared counter adds its own contention to every allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};

/// The system allocator, counting.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
/// Set once by [`init`], before any thread is spawned.
static ON: AtomicBool = AtomicBool::new(false);

#[global_allocator]
static GLOBAL: Counting = Counting;

// SAFETY: every call is passed on to the system allocator unchanged; counting touches nothing
// the allocator owns.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Reads `CHANNELS_ALLOCS` (reading the environment allocates: it cannot be done lazily from
/// inside the allocator).
pub fn init() {
    let on = std::env::var_os("CHANNELS_ALLOCS").is_some_and(|v| v == "1");
    ON.store(on, Relaxed);
}

/// Whether allocations are counted (`CHANNELS_ALLOCS=1`).
#[inline]
pub fn counting() -> bool {
    ON.load(Relaxed)
}

/// Allocations so far (0 when not counting).
pub fn count() -> u64 {
    ALLOCS.load(Relaxed)
}
