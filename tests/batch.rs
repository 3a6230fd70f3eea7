//! Batch enqueue: order, contiguity under concurrent producers (for every kind of queue), and
//! ownership of the nodes.
#![cfg(not(loom))]

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;

use intrusive_mpsc::{node, Batch, Layout, Link, Queue, TryDequeueError};
use support::kinds::{
    enqueue_batch_retrying, enqueue_retrying, every_kind, CapacityKind, WaitingKind,
};
use support::scaled;

/// A node that counts its drops and can be told to panic when dropped. Not the shared
/// `support::Msg`: a batch holds one node type, and one test needs a node in it whose drop panics.
struct Item {
    link: Link,
    id: u64,
    drops: Arc<AtomicUsize>,
    panic_on_drop: bool,
}
node!(Item, link, Box<Item>);

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Relaxed);
        if self.panic_on_drop {
            panic!("item {} panics on drop", self.id);
        }
    }
}

fn item(id: u64, drops: &Arc<AtomicUsize>) -> Box<Item> {
    Box::new(Item {
        link: Link::new(),
        id,
        drops: Arc::clone(drops),
        panic_on_drop: false,
    })
}

fn ids(queue: &Queue<Item>) -> Vec<u64> {
    queue.consumer().unwrap().drain().map(|i| i.id).collect()
}

#[test]
fn batch_keeps_its_order_between_single_enqueues() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::<Item>::new();
    queue.enqueue(item(0, &drops));
    let batch: Batch<Item> = (1..=5).map(|id| item(id, &drops)).collect();
    assert_eq!(batch.len(), 5);
    queue.enqueue_batch(batch);
    queue.enqueue(item(6, &drops));
    let mut batch = Batch::new();
    batch.push(item(7, &drops));
    queue.enqueue_batch(batch);
    assert_eq!(ids(&queue), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(drops.load(Relaxed), 8);
}

#[test]
fn batch_into_an_empty_queue_and_after_the_consumer_caught_up() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::<Item>::new();
    let mut consumer = queue.consumer().unwrap();
    for round in 0..3u64 {
        // The consumer has taken the last node through the stub; the batch lands behind the stub.
        queue.enqueue_batch((0..4).map(|i| item(round * 10 + i, &drops)).collect());
        let got: Vec<u64> = consumer.drain().map(|i| i.id).collect();
        assert_eq!(
            got,
            [round * 10, round * 10 + 1, round * 10 + 2, round * 10 + 3]
        );
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    }
    // A batch behind a node the consumer has not taken yet, and behind a peeked node.
    queue.enqueue(item(100, &drops));
    assert_eq!(consumer.peek().unwrap().id, 100);
    queue.enqueue_batch((101..103).map(|i| item(i, &drops)).collect());
    let got: Vec<u64> = consumer.drain().map(|i| i.id).collect();
    assert_eq!(got, [100, 101, 102]);
    assert_eq!(drops.load(Relaxed), 15);
}

#[test]
fn empty_batch_is_a_no_op() {
    let queue = Queue::<Item>::new();
    queue.enqueue_batch(Batch::new());
    let mut consumer = queue.consumer().unwrap();
    assert!(consumer.is_empty());
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
}

#[test]
fn dropping_a_batch_drops_each_node_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut batch: Batch<Item> = (0..10).map(|id| item(id, &drops)).collect();
    assert_eq!(batch.pop_front().unwrap().id, 0);
    assert_eq!(drops.load(Relaxed), 1);
    batch.extend((10..12).map(|id| item(id, &drops)));
    assert_eq!(batch.len(), 11);
    drop(batch);
    assert_eq!(drops.load(Relaxed), 12);

    // Moved to another thread and dropped there.
    let batch: Batch<Item> = (0..3).map(|id| item(id, &drops)).collect();
    thread::spawn(move || drop(batch)).join().unwrap();
    assert_eq!(drops.load(Relaxed), 15);
}

#[test]
fn batch_gives_its_handles_back_in_order() {
    let drops = Arc::new(AtomicUsize::new(0));
    let batch: Batch<Item> = (0..5).map(|id| item(id, &drops)).collect();
    let mut iter = batch.into_iter();
    assert_eq!(iter.len(), 5);
    assert_eq!(iter.next().unwrap().id, 0);
    assert_eq!(iter.next().unwrap().id, 1);
    drop(iter);
    assert_eq!(drops.load(Relaxed), 5);

    let mut batch: Batch<Item> = (0..3).map(|id| item(id, &drops)).collect();
    let mut got = Vec::new();
    while let Some(handle) = batch.pop_front() {
        got.push(handle.id);
    }
    assert_eq!(got, [0, 1, 2]);
    assert!(batch.is_empty());
    // An emptied batch can be reused.
    batch.push(item(9, &drops));
    assert_eq!(batch.pop_front().unwrap().id, 9);
    assert!(batch.pop_front().is_none());
}

#[test]
fn a_panicking_node_does_not_leak_the_rest_of_the_batch() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut batch: Batch<Item> = (0..5).map(|id| item(id, &drops)).collect();
    let mut bad = item(5, &drops);
    bad.panic_on_drop = true;
    batch.push(bad);
    batch.extend((6..9).map(|id| item(id, &drops)));
    let result = catch_unwind(AssertUnwindSafe(|| drop(batch)));
    assert!(result.is_err());
    assert_eq!(drops.load(Relaxed), 9);
}

#[test]
fn queue_dropped_with_batches_inside_drops_each_node_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::<Item>::new();
    queue.enqueue_batch((0..4).map(|id| item(id, &drops)).collect());
    queue.enqueue(item(4, &drops));
    queue.enqueue_batch((5..8).map(|id| item(id, &drops)).collect());
    {
        let mut consumer = queue.consumer().unwrap();
        assert_eq!(consumer.dequeue().unwrap().id, 0);
        consumer.peek();
    }
    assert_eq!(drops.load(Relaxed), 1);
    drop(queue);
    assert_eq!(drops.load(Relaxed), 8);
}

/// Producers enqueue batches of different lengths (and single nodes) while the consumer drains;
/// every batch must come out whole, in order, with nothing between its nodes. A bounded queue
/// holds two of the longest batches: producers retry what it refuses, batches whole.
fn batches_stay_contiguous_with_concurrent_producers<B: CapacityKind, W: WaitingKind, L: Layout>() {
    const PRODUCERS: u64 = 3;
    let batches = if cfg!(miri) { 20 } else { scaled(3_000) as u64 };
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = B::queue::<Item, W, L>(14);
    let start = Barrier::new(PRODUCERS as usize + 1);
    // id = producer << 48 | batch << 16 | index; index 0xffff marks a single enqueue.
    let per_producer: u64 = (0..batches)
        .map(|b| if b % 5 == 4 { 1 } else { b % 7 + 1 })
        .sum();
    let expected_nodes = PRODUCERS * per_producer;
    let got = thread::scope(|s| {
        for p in 0..PRODUCERS {
            let (queue, drops, start) = (&queue, &drops, &start);
            s.spawn(move || {
                start.wait();
                for b in 0..batches {
                    if b % 5 == 4 {
                        enqueue_retrying(queue, item(p << 48 | b << 16 | 0xffff, drops));
                    } else {
                        let len = b % 7 + 1;
                        let batch: Batch<Item> = (0..len)
                            .map(|i| item(p << 48 | b << 16 | i, drops))
                            .collect();
                        enqueue_batch_retrying(queue, batch);
                    }
                }
            });
        }
        let mut consumer = queue.consumer().unwrap();
        start.wait();
        let mut got = Vec::new();
        while got.len() < expected_nodes as usize {
            match consumer.try_dequeue() {
                Ok(node) => got.push(node.id),
                Err(_) => thread::yield_now(),
            }
        }
        assert!(consumer.is_empty());
        got
    });
    assert_eq!(drops.load(Relaxed), got.len());

    let mut next_batch = [0u64; PRODUCERS as usize];
    let mut i = 0;
    while i < got.len() {
        let (p, b) = ((got[i] >> 48) as usize, got[i] >> 16 & 0xffff_ffff);
        assert_eq!(
            b, next_batch[p],
            "per-producer FIFO, nothing lost or duplicated"
        );
        next_batch[p] += 1;
        if b % 5 == 4 {
            assert_eq!(got[i] & 0xffff, 0xffff);
            i += 1;
            continue;
        }
        let len = b % 7 + 1;
        for k in 0..len {
            assert_eq!(
                got.get(i + k as usize),
                Some(&(got[i] & !0xffff | k)),
                "batch {b} of producer {p} is contiguous and in order"
            );
        }
        i += len as usize;
    }
    assert!(next_batch.iter().all(|&n| n == batches));
}

every_kind!(batches_stay_contiguous_with_concurrent_producers);
