//! The one place that chooses between loom's types, shuttle's and `core`'s.
//!
//! Built with `RUSTFLAGS="--cfg loom"`, every atomic, cell and wait in the crate goes through
//! [loom](https://docs.rs/loom), so a loom model that contains our queue (ours or a user's) explores
//! the interleavings of our algorithm too. Built with `RUSTFLAGS="--cfg shuttle"`, the atomics,
//! thread parking, yields and spin hints go through [shuttle](https://docs.rs/shuttle) instead,
//! whose randomized schedulers reach thread and operation counts that loom cannot explore
//! exhaustively (shuttle checks no cell accesses and treats every ordering as `SeqCst`, so the
//! `core`-based `UnsafeCell` below serves it). Otherwise these are the plain `core` types and
//! cost nothing. The rest of the crate imports from here and never names `core::sync::atomic`
//! itself.

#[cfg(all(loom, shuttle))]
compile_error!("`--cfg loom` and `--cfg shuttle` exclude each other: build with one of them");

/// Defines a `const fn` that is only `const` outside loom and shuttle. Loom's atomics have no
/// `const` constructor. Shuttle's have one, but they keep per-execution state that a `static`
/// would share between executions (and between test threads), so under both the raw queue
/// allocates its own always-null links instead of naming a `static`'s (see `raw::stub`), and a
/// queue, and what contains one, cannot be built in `const`.
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        #[cfg(not(any(loom, shuttle)))]
        $(#[$attr])*
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        #[cfg(any(loom, shuttle))]
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use const_fn;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};

#[cfg(shuttle)]
pub(crate) use shuttle::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};

#[cfg(not(any(loom, shuttle)))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};

#[cfg(all(feature = "alloc", not(any(loom, shuttle))))]
pub(crate) use core::sync::atomic::fence;
/// Fences: only the wait list uses one (a `SeqCst` pair, see `policy::waiters`).
#[cfg(all(feature = "alloc", loom))]
pub(crate) use loom::sync::atomic::fence;
#[cfg(all(feature = "alloc", shuttle))]
pub(crate) use shuttle::sync::atomic::fence;

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// A blocking lock, for the wait list: the standard library's, or the model checker's own, which
/// it models (a thread that finds it held is blocked, not spinning).
#[cfg(all(feature = "alloc", loom))]
pub(crate) use loom::sync::Mutex;
#[cfg(all(feature = "alloc", shuttle))]
pub(crate) use shuttle::sync::Mutex;
#[cfg(all(feature = "std", not(any(loom, shuttle))))]
pub(crate) use std::sync::Mutex;

#[cfg(all(feature = "alloc", not(any(loom, shuttle))))]
pub(crate) use alloc::sync::Arc;
/// The channel's shared ownership: loom's `Arc` under loom, so that the model sees the
/// synchronisation of the last drop (which drops the queue and the nodes in it).
#[cfg(all(feature = "alloc", loom))]
pub(crate) use loom::sync::Arc;
/// The channel's shared ownership under shuttle: shuttle's `Arc` (today `std`'s own, which
/// shuttle needs no hooks in).
#[cfg(all(feature = "alloc", shuttle))]
pub(crate) use shuttle::sync::Arc;

/// `core::cell::UnsafeCell` behind loom's closure-based API, so the same code compiles both ways
/// and loom can check every access to consumer-owned state for races. Shuttle uses this one too:
/// it has no checked cell.
#[cfg(not(loom))]
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    #[inline(always)]
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer for reading the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a pointer for writing the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Waits a little before a consumer looks at the queue again.
///
/// Outside loom and shuttle this is crossbeam's exponential [`Backoff`](crossbeam_utils::Backoff):
/// it spins first and, with the `std` feature, yields the thread to the OS after a few rounds.
/// Under loom a spin loop would never let the awaited producer run, so every wait is a loom yield;
/// under shuttle, likewise a shuttle yield (which its PCT scheduler also takes as a cue to
/// deprioritize the spinning thread).
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    #[cfg(not(any(loom, shuttle)))]
    inner: crossbeam_utils::Backoff,
}

impl Backoff {
    /// Waits once, a little longer each call.
    #[inline]
    pub(crate) fn snooze(&self) {
        #[cfg(not(any(loom, shuttle)))]
        self.inner.snooze();
        #[cfg(loom)]
        loom::thread::yield_now();
        #[cfg(shuttle)]
        shuttle::thread::yield_now();
    }
}

/// A short, bounded wait of a thread that is about to park: a few rounds of spinning, each twice
/// as long as the one before, then a few yields of the thread; after that, [`spent`] says the
/// budget is spent and the caller parks. In the spirit of crossbeam's `Backoff`, and far below
/// kanal's 256 yields: a thread that waits longer than that parks and costs nothing while it
/// waits.
///
/// Under loom the budget is empty, so that the models explore the same steps as without it (a
/// spin loop would only multiply their interleavings with attempts they cover anyway); under
/// shuttle it is two yields, so that its schedules reach the attempts made while spinning.
///
/// [`spent`]: SpinThenPark::spent
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct SpinThenPark {
    step: u32,
    spin_rounds: u32,
    steps: u32,
}

#[cfg(feature = "std")]
impl From<(u32, u32)> for SpinThenPark {
    /// `(spin_rounds, yields)`: see [`SpinThenPark::new`].
    fn from((spin_rounds, yields): (u32, u32)) -> Self {
        SpinThenPark::new(spin_rounds, yields)
    }
}

#[cfg(feature = "std")]
impl SpinThenPark {
    /// `spin_rounds` rounds of spinning (round `k` spins `2^k` hints), then `yields` yields.
    pub(crate) fn new(spin_rounds: u32, yields: u32) -> Self {
        let (spin_rounds, yields) = if cfg!(loom) {
            (0, 0)
        } else if cfg!(shuttle) {
            (0, 2)
        } else {
            (spin_rounds, yields)
        };
        SpinThenPark {
            step: 0,
            spin_rounds,
            steps: spin_rounds + yields,
        }
    }

    /// Waits once, a little longer than the last time (nothing once the budget is spent).
    #[inline]
    pub(crate) fn snooze(&mut self) {
        let step = self.step;
        if step >= self.steps {
            return;
        }
        self.step += 1;
        if step < self.spin_rounds {
            for _ in 0..1u32 << step {
                spin_hint();
            }
        } else {
            yield_thread();
        }
    }

    /// Whether the budget is spent: the caller parks now.
    #[inline]
    pub(crate) fn spent(&self) -> bool {
        self.step >= self.steps
    }

    /// Whether the spinning is over (the next waits yield the thread, or park it).
    #[inline]
    pub(crate) fn yields(&self) -> bool {
        self.step >= self.spin_rounds
    }
}

/// Tells the processor (or, under loom or shuttle, the model's scheduler) that we are spinning,
/// waiting for another thread. Loom needs the yield to let the awaited thread run; shuttle's
/// `spin_loop` yields to its scheduler too.
#[inline]
pub(crate) fn spin_hint() {
    #[cfg(not(any(loom, shuttle)))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(shuttle)]
    shuttle::hint::spin_loop();
}

/// Gives the rest of the thread's time slice to another thread that is ready to run: the OS's
/// yield, or under loom or shuttle the model's.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn yield_thread() {
    #[cfg(not(any(loom, shuttle)))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(shuttle)]
    shuttle::thread::yield_now();
}

/// Parking the current thread, and a waker that unparks it, for the blocking waits.
#[cfg(feature = "std")]
pub(crate) mod thread {
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    #[cfg(loom)]
    pub(crate) use loom::thread::park;
    #[cfg(loom)]
    pub(crate) use loom::thread::ThreadId;
    #[cfg(loom)]
    use loom::thread::{current, Thread};
    // Shuttle parks and unparks by token, as `std` does, and takes threads that all park for
    // good as a deadlock: a lost wake-up fails the test. It has no clock, so a timed park is an
    // untimed one to it.
    #[cfg(shuttle)]
    use shuttle::thread::{current, Thread};
    #[cfg(shuttle)]
    pub(crate) use shuttle::thread::{park, park_timeout, ThreadId};
    #[cfg(not(any(loom, shuttle)))]
    pub(crate) use std::thread::ThreadId;
    #[cfg(not(any(loom, shuttle)))]
    use std::thread::{current, Thread};
    #[cfg(not(any(loom, shuttle)))]
    pub(crate) use std::thread::{park, park_timeout};

    /// Loom has no clock: a timed park is one yield, after which the caller sees its deadline
    /// either passed or not, as the real clock decides.
    #[cfg(loom)]
    pub(crate) fn park_timeout(_timeout: core::time::Duration) {
        loom::thread::yield_now();
    }

    /// Wakes a thread by unparking it.
    struct Unparker(Thread);

    impl Wake for Unparker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    /// The calling thread's id, and a waker that unparks it. Allocates: callers keep it.
    pub(crate) fn current_waker() -> (ThreadId, Waker) {
        let thread = current();
        (thread.id(), Waker::from(Arc::new(Unparker(thread))))
    }

    /// The calling thread's id.
    pub(crate) fn current_id() -> ThreadId {
        current().id()
    }
}
