//! The one place that picks loom's synchronisation types or std's.
//!
//! Built with `RUSTFLAGS="--cfg loom"`, the mailbox's own flag and lock are loom's, so a loom
//! model explores their interleavings together with the queue's (which switches to loom by the
//! same flag). A `std` atomic left here under loom would be invisible to loom: it would not see
//! the synchronisation the atomic provides, and would report lost wake-ups in correct code (both
//! models in `tests/loom.rs` fail that way; a waiter that spins instead of sleeping hits loom's
//! branch limit). Everything else in the crate imports from here.

#[cfg(loom)]
pub(crate) use loom::sync::{atomic::AtomicBool, Mutex};

#[cfg(not(loom))]
pub(crate) use std::sync::{atomic::AtomicBool, Mutex};
