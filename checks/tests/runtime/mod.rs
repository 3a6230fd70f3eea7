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

/// The message of a panic payload.
pub fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

/// Runs `blocking` inside a task spawned on `runtime`, and returns its panic message, if any.
pub fn in_a_task<F>(runtime: &tokio::runtime::Runtime, blocking: F) -> Result<(), String>
where
    F: FnOnce() + Send + 'static,
{
    let task = runtime.spawn(async move { blocking() });
    run(runtime, task).map_err(|error| message(error.into_panic()))
}

/// Asserts that a blocking call panicked with the runtime check's message, naming `blocking`
/// and the call to make `instead`.
pub fn assert_refused(result: Result<(), String>, blocking: &str, instead: &str) {
    let message = result.expect_err("a blocking call on a runtime's task thread did not panic");
    assert!(
        message.contains(&format!(
            "`{blocking}` would block a thread that is running async tasks"
        )) && message.contains(&format!("`{instead}`")),
        "unexpected panic message: {message}"
    );
}
