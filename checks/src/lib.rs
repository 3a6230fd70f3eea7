//! Nothing to use: this crate only holds the intrusive-mpsc tests whose dev-dependencies (proptest,
//! tokio) would otherwise be built for every example of the library. See `tests/`.
//!
//! - `tests/model.rs`: the model-based property test over every kind of queue.
//! - `tests/channel_async.rs`: the channel under tokio, current-thread and multi-thread.
#![no_std]
