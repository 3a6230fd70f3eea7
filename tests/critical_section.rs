//! The `critical-section` feature: an enqueue runs inside `critical_section::with`, so nothing
//! that holds the critical section (on a single core: an interrupt handler) can run while an
//! enqueue is between its swap and its link store. Here the critical section is the `std`
//! implementation's global lock, so holding it on one thread keeps another thread's enqueue out.
#![cfg(all(feature = "critical-section", not(loom)))]

mod support;

use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use intrusive_mpsc::Queue;
use support::{msg, Msg};

#[test]
fn an_enqueue_waits_for_a_critical_section_held_elsewhere() {
    let queue = Queue::<Msg>::new();
    let ready = Barrier::new(2);
    thread::scope(|s| {
        let mut consumer = queue.consumer().unwrap();
        critical_section::with(|_| {
            s.spawn(|| {
                ready.wait();
                // Blocks until the critical section below is released.
                queue.enqueue(msg(0, 0));
            });
            ready.wait();
            // Give the producer every chance to run; without the feature's critical section its
            // enqueue would land now.
            thread::sleep(Duration::from_millis(50));
            assert!(
                consumer.is_empty(),
                "an enqueue completed inside another thread's critical section"
            );
        });
        // Released: the enqueue goes through.
        while consumer.dequeue().is_none() {
            thread::yield_now();
        }
    });
}
