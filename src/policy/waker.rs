//! [`AtomicWaker`]: the cell in which a waiting consumer leaves its waker for producers.
//!
//! This is the well-known three-state waker cell (as in `futures`' `AtomicWaker`), written against
//! the crate's loom facade so that loom models explore its races together with the queue's.
//! `register` is called by the single consumer only; `wake` by any thread.

use core::mem;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use core::task::Waker;

use crate::sync::{const_fn, AtomicUsize, UnsafeCell};

/// Nobody is inside `register` or `wake`: the stored waker may be taken.
const IDLE: usize = 0;
/// The consumer is storing a new waker; it owns the cell.
const REGISTERING: usize = 0b01;
/// A waker is taking the stored waker, or (with `REGISTERING`) arrived while the consumer owned
/// the cell and left the wake-up to it.
const WAKING: usize = 0b10;

/// A waker slot shared between one registering consumer and any number of waking threads.
pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    /// Accessed only by whoever moved `state` away from `IDLE`.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cell is only touched by the thread that owns it through `state` (see the
// methods); a `Waker` is `Send` and `Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    const_fn! {
        pub(crate) fn new() -> AtomicWaker {
            AtomicWaker {
                state: AtomicUsize::new(IDLE),
                waker: UnsafeCell::new(None),
            }
        }
    }

    /// Stores `waker` to be woken by the next [`wake`](Self::wake). If a `wake` races with this
    /// call, `waker` is woken at once instead, so no wake-up that happens after `register` begins
    /// is lost.
    ///
    /// Only one thread at a time may call `register` (the queue's single consumer).
    pub(crate) fn register(&self, waker: &Waker) {
        // Acquire: pairs with the Release that ends a `take`, so its removal of the old waker
        // happens-before our store.
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                // `Waker::clone` is the caller's code and may panic. Leaving the state at
                // `REGISTERING` would make every later `wake` a no-op, so unlock on unwind.
                let unlock = Unlock(&self.state);
                let old = self.waker.with_mut(|slot| {
                    // SAFETY: `REGISTERING` gives us the cell: `take` only touches it after
                    // moving the state from `IDLE`, and no other `register` runs.
                    let slot = unsafe { &mut *slot };
                    match slot {
                        Some(old) if old.will_wake(waker) => None,
                        // `replace`, not assignment: the old waker's drop (caller's code too)
                        // runs below, outside the cell.
                        _ => slot.replace(waker.clone()),
                    }
                });
                mem::forget(unlock);
                // AcqRel: Release publishes the new waker to the next `take` (whose fetch_or
                // acquires); Acquire on failure sees a racing `wake`'s flag.
                if let Err(state) = self
                    .state
                    .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
                {
                    // A `wake` came while we owned the cell and left it to us.
                    debug_assert_eq!(state, REGISTERING | WAKING);
                    // SAFETY: the state is still `REGISTERING | WAKING`, so the cell is ours.
                    let woken = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    // Release: hands the emptied cell to the next owner.
                    self.state.swap(IDLE, AcqRel);
                    if let Some(woken) = woken {
                        woken.wake();
                    }
                }
                drop(old);
            }
            Err(WAKING) => {
                // A `wake` is taking the previous waker right now, so this one was not stored:
                // wake it ourselves, so that the caller looks at the queue again (and registers
                // again). First give the waking thread a moment to finish; the spin comes before
                // the wake because, under loom, a yield after a self-unpark drops the unpark.
                crate::sync::spin_hint();
                waker.wake_by_ref();
            }
            Err(state) => {
                // Another `register` is running: a single-consumer contract violation that the
                // types rule out.
                debug_assert!(false, "concurrent register (state {state})");
            }
        }
    }

    /// Wakes the registered waker, if any, and empties the slot. The waker runs after the cell is
    /// released, so a panicking waker leaves the cell usable.
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.take() {
            waker.wake();
        }
    }

    /// Empties the slot without waking the waker it held: for the registering side, once it no
    /// longer waits, so that the waker (and the task it keeps alive) does not linger. Like
    /// [`register`](Self::register), only one thread at a time may call it.
    pub(crate) fn clear(&self) {
        // Acquire: as in `register`, pairs with the Release that ends a `take`.
        if self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
            .is_err()
        {
            // `WAKING`: a `wake` is taking the waker right now; it wakes it once, harmlessly.
            return;
        }
        // SAFETY: `REGISTERING` gives us the cell, as in `register`.
        let old = self.waker.with_mut(|slot| unsafe { (*slot).take() });
        // AcqRel: Release hands the emptied cell to the next owner, as `register`'s unlock. A
        // `wake` that came meanwhile left its flag for us; its wake-up was for the wait that
        // is over, so it is dropped with the waker.
        self.state.swap(IDLE, AcqRel);
        // The waker's drop is the caller's code: outside the cell.
        drop(old);
    }

    fn take(&self) -> Option<Waker> {
        // AcqRel: Acquire pairs with `register`'s Release, so we see the waker it stored; Release
        // publishes our flag to a `register` that is running.
        match self.state.fetch_or(WAKING, AcqRel) {
            IDLE => {
                // SAFETY: we moved the state from `IDLE` to `WAKING`, so the cell is ours.
                let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                // Release: pairs with `register`'s Acquire; the cell is free again.
                self.state.fetch_and(!WAKING, Release);
                waker
            }
            // `REGISTERING`: the consumer will see our flag and wake itself. `WAKING`: another
            // thread is waking the same waker.
            _ => None,
        }
    }
}

/// Returns the cell to `IDLE` if a registration unwinds.
struct Unlock<'a>(&'a AtomicUsize);

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        // AcqRel: as the unlocking compare-exchange in `register`. A `wake` that arrived during
        // the failed registration is dropped with it: the caller's poll is panicking anyway.
        self.0.swap(IDLE, AcqRel);
    }
}
