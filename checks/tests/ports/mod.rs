//! What the ports of the peers' channel tests (`port_*.rs`) share: a node that carries any value,
//! so that a test can send the `i32`s, `&str`s and `()`s of the original, and a future polled by
//! hand whose wake-ups are recorded, as tokio-test's `task::spawn` gives.
#![allow(dead_code, reason = "each test binary uses some of the helpers")]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Waker};

use intrusive_mpsc::{node, Link};

use crate::support::{poll_once, CountingWaker};

/// A node carrying a value of the original test: our channel moves nodes, not values.
pub struct Item<T> {
    link: Link,
    pub v: T,
}
node!(impl[T] Item<T>, link, Box<Item<T>>);

/// A fresh node carrying `v`.
pub fn it<T>(v: T) -> Box<Item<T>> {
    Box::new(Item {
        link: Link::new(),
        v,
    })
}

/// The value a receive returned, if any: for comparing with the original's `Some(v)`.
pub fn val<T>(received: Option<Box<Item<T>>>) -> Option<T> {
    received.map(|item| item.v)
}

/// A future polled by hand, with a waker of its own that counts wake-ups: tokio-test's
/// `task::spawn`, whose `is_woken` says whether it was woken since it was last polled.
pub struct Task<F: Future> {
    future: Pin<Box<F>>,
    counter: Arc<CountingWaker>,
    waker: Waker,
    /// The wake-ups counted when it was last polled.
    seen: usize,
}

impl<F: Future> Task<F> {
    /// Wraps `future`; nothing is polled yet.
    pub fn new(future: F) -> Self {
        let (counter, waker) = CountingWaker::new();
        Task {
            future: Box::pin(future),
            counter,
            waker,
            seen: 0,
        }
    }

    /// Polls the future once with the task's waker.
    pub fn poll(&mut self) -> Poll<F::Output> {
        self.seen = self.counter.wakes();
        poll_once(self.future.as_mut(), &self.waker)
    }

    /// Whether the future's waker was woken since the last poll.
    pub fn is_woken(&self) -> bool {
        self.counter.wakes() > self.seen
    }
}

/// Asserts that `poll` is pending.
#[track_caller]
pub fn pending<T>(poll: Poll<T>) {
    assert!(poll.is_pending(), "ready, expected pending");
}

/// Asserts that `poll` is ready, and gives its value.
#[track_caller]
pub fn ready<T>(poll: Poll<T>) -> T {
    match poll {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("pending, expected ready"),
    }
}
