//! The feature `tokio`'s check beyond the channel: the queue's blocking consumers
//! (`dequeue_blocking`, `dequeue_timeout_blocking`, `wait_blocking`, `wait_timeout_blocking`) and the ready sets' blocking
//! workers (`Worker::next_blocking`, `Worker::next_timeout_blocking`, `SetWorker::next_blocking`) panic,
//! naming the call to make instead, when they would park a thread that runs a tokio runtime's
//! tasks; the same calls block as usual on a plain thread and inside `spawn_blocking`, and one
//! that need not park is not checked.
//!
//! Each refused call has a rescue: should the check ever miss, another thread ends the wait after
//! `STALL`, and the test fails on the missing panic instead of hanging the runtime.
#![cfg(not(loom))]

mod runtime;
#[path = "../../tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use intrusive_mpsc::{node, DynamicSet, Link, Next, ReadySet, WaitQueue};
use runtime::{assert_refused, current_thread, in_a_task, multi_thread, run};
use support::STALL;

struct Msg {
    link: Link,
}
node!(Msg, link, Box<Msg>);

fn msg() -> Box<Msg> {
    Box::new(Msg { link: Link::new() })
}

/// After `STALL`, on a thread of its own, runs `end` (which ends the wait of a call the check
/// should have refused).
fn rescue(end: impl FnOnce() + Send + 'static) {
    later(STALL, end);
}

/// After `delay`, on a thread of its own, runs `end`.
fn later(delay: std::time::Duration, end: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        end();
    });
}

/// How long the calls that may block wait for the node or close that ends their wait: long
/// enough that they usually park first.
const SHORT: std::time::Duration = std::time::Duration::from_millis(20);

/// A queue that tasks and rescuers share.
fn shared_queue() -> Arc<WaitQueue<Msg>> {
    Arc::new(WaitQueue::new())
}

#[test]
fn the_queues_blocking_consumers_panic_in_a_task_naming_their_async_form() {
    for runtime in [current_thread(), multi_thread()] {
        let queue = shared_queue();
        let rescuer = Arc::clone(&queue);
        rescue(move || rescuer.enqueue(msg()));
        let result = in_a_task(&runtime, move || {
            queue.consumer().expect("one consumer").dequeue_blocking();
        });
        assert_refused(result, "dequeue_blocking", "dequeue_async().await");

        let queue = shared_queue();
        let result = in_a_task(&runtime, move || {
            let _ = queue
                .consumer()
                .expect("one")
                .dequeue_timeout_blocking(STALL);
        });
        assert_refused(
            result,
            "dequeue_timeout_blocking",
            "dequeue_async() under your runtime's timeout",
        );

        let queue = shared_queue();
        let rescuer = Arc::clone(&queue);
        rescue(move || rescuer.notify());
        let result = in_a_task(&runtime, move || {
            queue.consumer().expect("one").wait_blocking()
        });
        assert_refused(result, "wait_blocking", "poll_wait in a future");

        let queue = shared_queue();
        let result = in_a_task(&runtime, move || {
            let _ = queue.consumer().expect("one").wait_timeout_blocking(STALL);
        });
        assert_refused(
            result,
            "wait_timeout_blocking",
            "poll_wait in a future, under your runtime's timeout",
        );
    }
}

#[test]
fn the_consumer_stays_usable_after_the_panic() {
    let runtime = current_thread();
    let queue = shared_queue();
    let result = in_a_task(&runtime, move || {
        let mut consumer = queue.consumer().expect("one consumer");
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            consumer.dequeue_blocking();
        }));
        assert!(refused.is_err(), "refused");
        // Left the sleeping state on the way out: an enqueue now is taken at once.
        queue.enqueue(msg());
        assert!(consumer.try_dequeue().is_ok());
    });
    assert_eq!(result, Ok(()));
}

#[test]
fn the_fixed_sets_blocking_worker_panics_in_a_task() {
    for runtime in [current_thread(), multi_thread()] {
        let set = Arc::new(ReadySet::<Msg>::new(4));
        let rescuer = Arc::clone(&set);
        rescue(move || rescuer.enqueue(1, msg()));
        let result = in_a_task(&runtime, move || {
            let _ = set.worker().expect("one worker").next_blocking();
        });
        assert_refused(result, "next_blocking", "next_async().await");

        let set = Arc::new(ReadySet::<Msg>::new(4));
        let result = in_a_task(&runtime, move || {
            let _ = set
                .worker()
                .expect("one worker")
                .next_timeout_blocking(STALL);
        });
        assert_refused(
            result,
            "next_timeout_blocking",
            "next_async() under your runtime's timeout",
        );
    }
}

#[test]
fn the_dynamic_sets_blocking_worker_panics_in_a_task() {
    for runtime in [current_thread(), multi_thread()] {
        let set = DynamicSet::<Msg>::new();
        let mut worker = set.worker();
        let closer = set.clone();
        rescue(move || closer.close());
        let result = in_a_task(&runtime, move || {
            let _ = worker.next_blocking();
        });
        assert_refused(result, "next_blocking", "next_async().await");
    }
}

#[test]
fn calls_that_need_not_park_or_run_where_blocking_is_allowed_are_not_refused() {
    let runtime = multi_thread();
    // A node is there: nothing parks, nothing is checked.
    let queue = shared_queue();
    queue.enqueue(msg());
    let result = in_a_task(&runtime, move || {
        queue.consumer().expect("one consumer").dequeue_blocking();
    });
    assert_eq!(result, Ok(()));

    // `spawn_blocking`'s threads may block: the wait ends when the node comes.
    let queue = shared_queue();
    let producer = Arc::clone(&queue);
    later(SHORT, move || producer.enqueue(msg()));
    let task = runtime.spawn_blocking(move || {
        queue.consumer().expect("one consumer").dequeue_blocking();
    });
    let waited = run(&runtime, task);
    assert!(waited.is_ok());

    // A dynamic set's worker on a plain thread sleeps and is woken by the close.
    let set = DynamicSet::<Msg>::new();
    let mut worker = set.worker();
    let closer = set.clone();
    later(SHORT, move || closer.close());
    let ended = std::thread::spawn(move || matches!(worker.next_blocking(), Next::Closed));
    assert!(ended.join().expect("no panic off the runtime"));
}
