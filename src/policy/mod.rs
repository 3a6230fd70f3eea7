//! The choices a queue is built with besides its layout: its capacity (bounded or not) and how its
//! consumer waits (not at all, or parked or as a task), with the waker cell the waiting kind needs,
//! the wait list in which the fronts' own waiters (waiting senders, sleeping workers) sleep, and
//! the check that refuses to park a thread that runs an async runtime's tasks, and how long a
//! blocking wait spins before it parks.
//! They know the raw layer below them and nothing of the queue or the fronts above.

pub(crate) mod capacity;
#[cfg(feature = "std")]
pub(crate) mod park;
#[cfg(feature = "std")]
pub(crate) mod runtime;
#[cfg(feature = "alloc")]
pub(crate) mod waiters;
pub(crate) mod waiting;
pub(crate) mod waker;
