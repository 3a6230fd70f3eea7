//! The tokio runtimes the channel's async tests run on, and the stall guard around each test:
//! shared by the test files of `checks/` (each uses some of them).
#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::future::Future;

use crate::support::STALL;

/// A current-thread runtime with time: a receive that blocked its thread would hang it.
pub fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// A multi-thread runtime with two workers and time.
pub fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Runs `test` on `runtime`, failing (instead of hanging) if it does not finish within `STALL`.
pub fn run<F: Future>(runtime: &tokio::runtime::Runtime, test: F) -> F::Output {
    runtime.block_on(async {
        tokio::time::timeout(STALL, test)
            .await
            .expect("hung: a wake-up was lost")
    })
}
