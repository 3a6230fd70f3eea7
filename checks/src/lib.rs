//! Nothing to use: this crate only holds the intrusive-mpsc tests whose dev-dependencies (proptest,
//! tokio) would otherwise be built for every example of the library. See `tests/`.
//!
//! - `tests/model.rs`: the model-based property test over every kind of queue.
//! - `tests/channel_async.rs`: the channel under tokio, current-thread and multi-thread.
//! - `tests/channel_api_tokio.rs`: tokio's habits with the channel's API, and the feature
//!   `tokio`'s check that a blocking call never parks a runtime's task thread.
//! - `tests/port_*.rs`: the peers' own channel tests (tokio's `sync_mpsc` and `sync_mpsc_weak`,
//!   crossbeam-channel's `list` and `array`), ported wherever they map onto one receiver; each
//!   header lists what was left out or adapted, and why.
#![no_std]
