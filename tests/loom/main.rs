//! The loom models, one module per area: `queue` (every queue operation, both layouts), `bounded`
//! (the bounded queue, batches, races at the limit), `wait` (blocking and async consumers on every
//! waiting kind), `channel` (waiting senders, close, closed), `ready`, `ready_defer` and
//! `ready_static` (the ready set: scheduling, re-arm, budget, deferral, close and wake, `'static`
//! members), and `ready_dynamic` (the dynamic set: members added and closed under sends, workers
//! racing for a member, close and wake).
//!
//! Built only with `RUSTFLAGS="--cfg loom"`; run them all with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release --test loom`, or one
//! area with a filter such as `-- bounded::` (CI runs them all in one run, each named exactly, and
//! fails if a model sits in an area its list leaves out).
//!
//! Every model fixes its own preemption bound (`loom::model::Builder::preemption_bound`, through
//! [`support::check`]), stated beside it, so the result does not depend on
//! `LOOM_MAX_PREEMPTIONS`. Loom explores every interleaving within the bound, but not every
//! weak-memory reordering: a pass is strong evidence, not a proof.
#![cfg(loom)]

#[path = "../support/mod.rs"]
mod support;

mod bounded;
mod channel;
mod queue;
mod ready;
mod ready_defer;
mod ready_dynamic;
mod ready_static;
mod wait;
