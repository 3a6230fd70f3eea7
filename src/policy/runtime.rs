//! Catching a blocking call on a thread that drives an async runtime's tasks, where it would
//! stall every task of that thread (see the channel's docs, "Blocking inside an async runtime").
//! Used by every call that parks a thread: the queue's blocking consumers, the channel's blocking
//! sends and receives, and the ready sets' blocking workers.
//!
//! Asked only on the path that is about to park the thread, never by a call that completes at
//! once.

/// Whether the current thread may be parked: `false` only on a thread that drives an async
/// runtime's tasks.
///
/// Without the feature `tokio` it always says `true`: there is no runtime-agnostic way to tell.
#[inline]
pub(crate) fn may_block() -> bool {
    #[cfg(feature = "tokio")]
    return tokio::may_block();
    #[cfg(not(feature = "tokio"))]
    true
}

/// Panics with the message for a blocking call made where [`may_block`] said no: `blocking`
/// names the method called, `instead` the async form to call there.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn refuse(blocking: &str, instead: &str) -> ! {
    panic!(
        "intrusive_mpsc: `{blocking}` would block a thread that is running async tasks: call \
         `{instead}` in async code, or call `{blocking}` inside `tokio::task::spawn_blocking`"
    )
}

#[cfg(feature = "tokio")]
mod tokio {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// The check under tokio.
    ///
    /// Tokio knows whether the current thread drives its tasks (a worker thread, or a thread
    /// inside `block_on`) or may block (a thread of `spawn_blocking`'s pool, one inside
    /// `block_in_place`, one that only entered a handle), but says so only through calls that
    /// panic on the former: its public API has no query for it. `Handle::try_current` alone
    /// succeeds in `spawn_blocking` too, `task::try_id` as well, and `runtime::worker_index`
    /// inside `block_in_place`; each would refuse where blocking is legitimate. So: if the
    /// thread has a runtime handle at all, let tokio decide with the cheapest such call, a
    /// `block_on` of a future that is ready at once, which panics before it changes anything
    /// where blocking is not allowed (the rule of tokio's own `blocking_recv`).
    ///
    /// Where it refuses, tokio's panic message is printed (by the panic hook) before ours; with
    /// `panic = "abort"` the process aborts on tokio's.
    #[cold]
    #[inline(never)]
    pub(super) fn may_block() -> bool {
        let Ok(handle) = ::tokio::runtime::Handle::try_current() else {
            // No runtime on this thread.
            return true;
        };
        // AssertUnwindSafe: the closure only borrows the handle, and tokio panics before it
        // changes any state.
        catch_unwind(AssertUnwindSafe(|| {
            handle.block_on(core::future::ready(()));
        }))
        .is_ok()
    }
}
