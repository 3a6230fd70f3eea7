//! Helpers shared by the integration tests: each test file that needs them has `mod support;`
//! (the loom binary, `tests/loom/main.rs`, and `checks/tests` include this file by `#[path]`;
//! `ready_static`, built without the crate's `alloc`, includes `harness.rs` alone).
//!
//! - `msg`: the message every test sends unless it needs a node of its own, and `Fifo`, the
//!   check of per-producer order, loss and duplication (`once_per_producer` where each producer
//!   sends one).
//! - `packet`: the ready-set tests' packet, which another thread marks ready.
//! - `next`: `held` and `held_now`, the guard a ready-set worker's `Next` must carry.
//! - `harness`: watchdogs (`STALL`, `promptly`, `from_worker`), the size factor (`scaled`), a
//!   counting waker, a minimal executor, a random number generator, and `MemberOrder`, the
//!   stress workers' check of order per member of a ready set.
//! - `kinds`: one generic test body for every kind of queue, and producers that retry refusals.
//! - `stress`: the worker thread of the ready-set stress tests, checked and watched.
//! - Here: `instances!`, one test per instance of a generic test or model, and the lists of
//!   instances that both the tests and the loom models use (`every_layout!`,
//!   `every_capacity_and_layout!`); for loom, `check` (a model with its preemption bound) and the
//!   models' names for those lists.
#![allow(
    dead_code,
    reason = "every test binary includes this module and uses a different part of it"
)]

#[cfg(not(loom))]
pub mod harness;
#[cfg(not(loom))]
pub mod kinds;
pub mod msg;
pub mod next;
pub mod packet;
#[cfg(not(loom))]
pub mod stress;

#[cfg(not(loom))]
#[allow(unused_imports, reason = "each test binary uses some of them")]
pub use harness::*;
#[allow(unused_imports, reason = "each test binary uses some of them")]
pub use msg::{counted, drop_counted, logged, msg, once_per_producer, DropLog, Fifo, Msg};
#[allow(unused_imports, reason = "each test binary uses some of them")]
pub use next::{held, held_now};
#[allow(unused_imports, reason = "each test binary uses some of them")]
pub use packet::{flag, is_ready, mark_ready, packet, Packet};

/// Runs a loom model under every interleaving with at most `bound` preemptions. Each model states
/// its bound beside it, so `LOOM_MAX_PREEMPTIONS` does not change what CI checks.
#[cfg(loom)]
pub fn check(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(f);
}

/// One module of `#[test]`s per generic function (or loom model) `$f`, one test per listed
/// instance, each calling `$f` with that instance's type arguments (names from `intrusive_mpsc`):
/// with `instances!(f { compact: Compact; padded: Padded; })`, `f::compact` runs
/// `f::<Compact>()`. The macros of `kinds` and the loom ones below list the instances.
#[allow(unused_macros, reason = "each test binary uses some of them")]
macro_rules! instances {
    ($f:ident { $($test:ident: $($kind:ident),+;)+ }) => {
        mod $f {
            $(
                #[test]
                fn $test() {
                    super::$f::<$(::intrusive_mpsc::$kind),+>();
                }
            )+
        }
    };
}

/// Runs each `fn f<L: Layout>()` (a test, or a loom model) for both layouts, as `f::compact` and
/// `f::padded`.
#[allow(unused_macros, reason = "each test binary uses some of them")]
macro_rules! every_layout {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::instances!($f {
            compact: Compact;
            padded: Padded;
        });
    )+};
}

/// Runs each `fn f<B, L: Layout>()` for the four capacity x layout pairs, as
/// `f::unbounded_compact` to `f::bounded_padded`: the tests of the `Wait` kinds and of the ready
/// set's members, and the loom models of a sleeping consumer (`B: LoomCapacity`).
#[allow(unused_macros, reason = "each test binary uses some of them")]
macro_rules! every_capacity_and_layout {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::instances!($f {
            unbounded_compact: Unbounded, Compact;
            unbounded_padded: Unbounded, Padded;
            bounded_compact: Bounded, Compact;
            bounded_padded: Bounded, Padded;
        });
    )+};
}

/// Runs each loom model `fn f<L: Layout>()` under the compact layout only, as `f::compact`: for
/// models that do not race the stub's link. The padded layout runs the same code and differs only
/// in the padding between the two ends (the stub's link is the queue's first field in both).
#[cfg(loom)]
#[allow(unused_macros, reason = "each loom test binary uses some of them")]
macro_rules! compact_only {
    ($($f:ident),+ $(,)?) => {$(
        $crate::support::instances!($f {
            compact: Compact;
        });
    )+};
}

// The loom models' names: `both_layouts!` runs a model under both layouts, `waiting_kinds!` runs
// a model of a sleeping consumer for the four kinds of queue whose consumer can sleep.
#[cfg(loom)]
#[allow(unused_imports, reason = "each loom test binary uses some of them")]
pub(crate) use {
    compact_only, every_capacity_and_layout as waiting_kinds, every_layout as both_layouts,
};
#[allow(unused_imports, reason = "each test binary uses some of them")]
pub(crate) use {every_capacity_and_layout, every_layout, instances};

/// A [`Capacity`](intrusive_mpsc::Capacity) a loom model can build a queue of, so one model body
/// runs on unbounded and bounded queues alike (enqueueing with `try_enqueue`, which every queue
/// has).
#[cfg(loom)]
pub trait LoomCapacity: intrusive_mpsc::Capacity + Sized {
    /// An empty queue, holding at most `capacity` nodes if it is bounded.
    fn queue<N: intrusive_mpsc::Node, W: intrusive_mpsc::Waiting, L: intrusive_mpsc::Layout>(
        capacity: usize,
    ) -> intrusive_mpsc::Queue<N, Self, W, L>;
}

#[cfg(loom)]
impl LoomCapacity for intrusive_mpsc::Unbounded {
    fn queue<N: intrusive_mpsc::Node, W: intrusive_mpsc::Waiting, L: intrusive_mpsc::Layout>(
        _: usize,
    ) -> intrusive_mpsc::Queue<N, Self, W, L> {
        intrusive_mpsc::Queue::new()
    }
}

#[cfg(loom)]
impl LoomCapacity for intrusive_mpsc::Bounded {
    fn queue<N: intrusive_mpsc::Node, W: intrusive_mpsc::Waiting, L: intrusive_mpsc::Layout>(
        capacity: usize,
    ) -> intrusive_mpsc::Queue<N, Self, W, L> {
        intrusive_mpsc::Queue::with_capacity(capacity)
    }
}
