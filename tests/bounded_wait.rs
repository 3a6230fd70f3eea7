//! A bounded queue whose consumer sleeps (`BoundedWaitQueue`), in both layouts: the first
//! accepted enqueue wakes the sleeping consumer, refused ones neither wake it nor strand it, and
//! WireGuard's pattern, a consumer waiting on a peeked packet that still counts against the
//! capacity until it is taken.
//!
//! The generic tests of tests/wait.rs run on bounded queues too; these are the scenarios that
//! only a bound makes possible.
#![cfg(not(loom))]

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread;

use intrusive_mpsc::{Batch, Bounded, Layout, Queue, TryDequeueError, Wait};
use support::kinds::{enqueue_now, enqueue_retrying, every_layout};
use support::{counted, from_worker, promptly, scaled, CountingWaker, Msg, STALL};

/// A bounded queue of packets whose consumer can sleep, in layout `L`.
type Bwq<L> = Queue<Msg, Bounded, Wait, L>;

/// A pending poll on an empty queue is woken by the first accepted enqueue, and by nothing that
/// is refused: not a batch longer than the capacity (refused even when empty), not a node
/// refused at capacity.
fn refusals_wake_nobody_and_the_first_accepted_enqueue_wakes<L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bwq::<L>::with_capacity(2);
    let mut consumer = queue.consumer().unwrap();
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);

    assert!(consumer.poll_dequeue(&mut cx).is_pending());
    let too_long: Batch<Msg> = (0..3).map(|seq| counted(0, seq, &drops)).collect();
    let back = queue.try_enqueue_batch(too_long).unwrap_err();
    assert_eq!(back.len(), 3, "the batch comes back whole");
    assert_eq!(
        (queue.len(), counter.wakes()),
        (0, 0),
        "refused: no claim, no wake"
    );
    drop(back);

    enqueue_now(&queue, counted(0, 10, &drops));
    assert_eq!(counter.wakes(), 1, "the first accepted enqueue wakes");
    enqueue_now(&queue, counted(0, 11, &drops));
    let refused = queue.try_enqueue(counted(0, 12, &drops)).unwrap_err();
    assert_eq!(refused.seq, 12);
    assert_eq!(
        counter.wakes(),
        1,
        "neither the second enqueue nor the refusal wakes"
    );

    assert!(matches!(consumer.poll_dequeue(&mut cx), Poll::Ready(p) if p.seq == 10));
    enqueue_now(&queue, refused);
    let seqs: Vec<usize> = consumer.drain().map(|p| p.seq).collect();
    assert_eq!(seqs, [11, 12]);
    // Asleep again on the empty queue: a refused batch still wakes nobody, a batch that fits
    // does.
    assert!(consumer.poll_dequeue(&mut cx).is_pending());
    let too_long: Batch<Msg> = (20..23).map(|seq| counted(0, seq, &drops)).collect();
    assert!(queue.try_enqueue_batch(too_long).is_err());
    assert_eq!(counter.wakes(), 1);
    let fits: Batch<Msg> = (30..32).map(|seq| counted(0, seq, &drops)).collect();
    assert!(queue.try_enqueue_batch(fits).is_ok());
    assert_eq!(counter.wakes(), 2);
    assert_eq!(consumer.drain().count(), 2);
    drop(consumer);
    drop(queue);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        11,
        "each packet dropped once"
    );
}

/// A reservation wakes a sleeping consumer when its first node goes in, not when it is made or
/// given back; a consumer asleep in `dequeue_blocking` on another thread receives it.
fn a_reservation_wakes_with_its_first_node_only<L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bwq::<L>::with_capacity(4);
    let mut consumer = queue.consumer().unwrap();
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);

    assert!(consumer.poll_dequeue(&mut cx).is_pending());
    drop(queue.try_reserve(3).unwrap());
    assert_eq!(counter.wakes(), 0, "reserving and giving back wake nobody");
    let mut room = queue.try_reserve(3).unwrap();
    assert_eq!(counter.wakes(), 0);
    assert!(room.try_enqueue(counted(0, 0, &drops)).is_ok());
    assert_eq!(counter.wakes(), 1, "the first node in wakes");
    assert!(room.try_enqueue(counted(0, 1, &drops)).is_ok());
    assert_eq!(counter.wakes(), 1);
    drop(room);
    let seqs: Vec<usize> = consumer.drain().map(|p| p.seq).collect();
    assert_eq!(seqs, [0, 1]);
    drop(consumer);

    // A consumer going to sleep on another thread (before or after the enqueue: both must work).
    let (ready_tx, ready_rx) = mpsc::channel();
    let (got_tx, got_rx) = mpsc::channel();
    thread::scope(|s| {
        let queue = &queue;
        s.spawn(move || {
            let mut consumer = queue.consumer().unwrap();
            ready_tx.send(()).unwrap();
            got_tx.send(consumer.dequeue_blocking().seq).unwrap();
        });
        ready_rx.recv().unwrap();
        let mut room = queue.try_reserve(2).unwrap();
        assert!(room.try_enqueue(counted(1, 7, &drops)).is_ok());
        assert_eq!(from_worker(&got_rx), 7);
    });
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), 3, "each packet dropped once");
}

/// A waker that panics: the enqueue that wakes it unwinds with its node already in the queue.
struct PanickingWaker;

impl std::task::Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("the consumer's waker panics");
    }
}

/// A reservation whose enqueue unwinds out of the consumer's waker has its node in the queue and
/// counts that place as used: dropping the reservation gives back only the rest, so the queue
/// still never holds more than its capacity.
fn a_panicking_wake_does_not_give_back_the_place_it_used<L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bwq::<L>::with_capacity(2);
    let mut consumer = queue.consumer().unwrap();
    let waker = std::task::Waker::from(Arc::new(PanickingWaker));
    assert!(consumer
        .poll_dequeue(&mut Context::from_waker(&waker))
        .is_pending());
    let mut room = queue.try_reserve(2).unwrap();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        room.try_enqueue(counted(0, 0, &drops))
    }));
    assert!(unwound.is_err(), "the waker's panic reaches the producer");
    assert_eq!(room.remaining(), 1);
    drop(room);
    assert_eq!(queue.len(), 1, "the packet is in, its place still taken");
    assert!(queue.try_enqueue(counted(0, 1, &drops)).is_ok());
    assert!(
        queue.try_enqueue(counted(0, 2, &drops)).is_err(),
        "full at 2"
    );
    let seqs: Vec<usize> = consumer.drain().map(|p| p.seq).collect();
    assert_eq!(seqs, [0, 1]);
}

/// WireGuard's pattern on one thread: the consumer stops at a peeked packet that is not ready,
/// which keeps counting against the capacity (producers are refused), and only `notify` ends its
/// wait; taking the packet makes room.
fn a_peeked_packet_counts_until_taken_and_only_notify_ends_the_wait<L: Layout>() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bwq::<L>::with_capacity(2);
    let mut consumer = queue.consumer().unwrap();
    let (counter, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    enqueue_now(&queue, counted(0, 0, &drops));
    enqueue_now(&queue, counted(0, 1, &drops));
    assert_eq!(consumer.peek().unwrap().seq, 0);
    assert!(consumer.poll_wait(&mut cx).is_pending(), "not ready: wait");
    let refused = queue.try_enqueue(counted(0, 2, &drops)).unwrap_err();
    assert_eq!(queue.len(), 2, "the peeked packet counts");
    assert!(consumer.poll_wait(&mut cx).is_pending());
    assert_eq!(counter.wakes(), 0, "a refusal does not end the wait");

    queue.notify();
    assert_eq!(counter.wakes(), 1);
    assert!(consumer.poll_wait(&mut cx).is_ready());
    assert_eq!(consumer.take_peeked().unwrap().seq, 0);
    assert_eq!(queue.len(), 1, "taking it made room");
    enqueue_now(&queue, refused);
    assert_eq!(consumer.peek().unwrap().seq, 1);
    assert!(consumer.drop_peeked());
    assert_eq!(consumer.dequeue().map(|p| p.seq), Some(2));
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
}

/// Producers hammer a tiny queue and drop what is refused, as WireGuard does, while an owned
/// consumer on a worker thread sleeps whenever the queue is empty, in `dequeue_blocking` and in
/// `dequeue_timeout_blocking` by turns. It must receive exactly the accepted packets, in per-producer
/// order: refusals must not consume the wake-up of a sleeping consumer (it would be stranded,
/// which the watchdog reports) nor make it lose a packet.
fn refused_producers_never_strand_a_sleeping_consumer<L: Layout>() {
    const PRODUCERS: usize = 3;
    const CAPACITY: usize = 2;
    let attempts = scaled(20_000);
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Arc::new(Bwq::<L>::with_capacity(CAPACITY));
    let mut consumer = Arc::clone(&queue).consumer_owned().unwrap();
    let (report, reports) = mpsc::channel();
    let worker = thread::spawn(move || {
        // Per producer, the sequence numbers received; the last producer's packet ends it.
        let mut received = vec![Vec::new(); PRODUCERS];
        for turn in 0.. {
            let packet = if turn % 2 == 0 {
                consumer.dequeue_blocking()
            } else {
                promptly(|| consumer.dequeue_timeout_blocking(STALL))
                    .expect("no packet within the timeout: a wake-up was lost")
            };
            if packet.producer == PRODUCERS {
                break;
            }
            received[packet.producer].push(packet.seq);
        }
        report.send(received).unwrap();
    });

    // Per producer, the sequence numbers accepted and how many it tried.
    let (accepted, tried): (Vec<Vec<usize>>, Vec<usize>) = thread::scope(|s| {
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, drops) = (&queue, &drops);
                s.spawn(move || {
                    let mut accepted = Vec::new();
                    let mut seq = 0;
                    // `attempts` tries, then on until one got in: valgrind runs one thread at a
                    // time, so a producer can spend all its tries while the queue stays full.
                    while seq < attempts || accepted.is_empty() {
                        if queue.try_enqueue(counted(p, seq, drops)).is_ok() {
                            accepted.push(seq);
                        }
                        if seq % 16 == 0 || seq >= attempts {
                            // Let the consumer empty the queue and fall asleep now and then.
                            thread::yield_now();
                        }
                        seq += 1;
                    }
                    (accepted, seq)
                })
            })
            .collect();
        producers.into_iter().map(|p| p.join().unwrap()).unzip()
    });
    enqueue_retrying(&*queue, counted(PRODUCERS, 0, &drops));
    let received = from_worker(&reports);
    worker.join().unwrap();
    assert_eq!(received, accepted, "exactly the accepted packets, in order");
    assert!(
        accepted.iter().all(|a| !a.is_empty()),
        "every producer got packets in"
    );
    assert!(queue.consumer().unwrap().is_empty());
    assert_eq!(
        drops.load(Ordering::Relaxed),
        tried.iter().sum::<usize>() + 1,
        "refused packets came back and were dropped, once"
    );
}

/// WireGuard's pattern across threads: a producer fills a small queue and drops what is refused,
/// an "encryptor" finishes accepted packets out of order and notifies, and the consumer delivers
/// in queue order, waiting on the peeked head until it is ready. The peeked head counts against
/// the capacity throughout: the test's own count of what is inside never exceeds it.
fn wireguard_pipeline_on_a_full_queue<L: Layout>() {
    const CAPACITY: usize = 8;
    let attempts = scaled(5_000);
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Bwq::<L>::with_capacity(CAPACITY);
    let ready: Vec<AtomicBool> = (0..attempts).map(|_| AtomicBool::new(false)).collect();
    // Accepted packets: counted by the producer after each acceptance (see
    // `check_bound` in tests/stress.rs for why the consumer's count then bounds what is inside).
    let accepted = AtomicUsize::new(0);
    let producer_done = AtomicBool::new(false);
    let (to_encryptor, encrypt) = mpsc::channel::<usize>();
    thread::scope(|s| {
        let (queue, ready, accepted, producer_done, drops) =
            (&queue, &ready, &accepted, &producer_done, &drops);
        s.spawn(move || {
            for seq in 0..attempts {
                if queue.try_enqueue(counted(0, seq, drops)).is_ok() {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    to_encryptor.send(seq).unwrap();
                }
                if seq % 8 == 0 {
                    thread::yield_now();
                }
            }
            producer_done.store(true, Ordering::Release);
            // Wake the consumer once more, in case it waits for a packet that never comes.
            queue.notify();
        });
        s.spawn(move || {
            // Finish packets in groups of up to three, the newest of a group first.
            let mut group = Vec::new();
            loop {
                let next = encrypt.recv();
                if let Ok(seq) = next {
                    group.push(seq);
                }
                if group.len() == 3 || (next.is_err() && !group.is_empty()) {
                    for seq in group.drain(..).rev() {
                        ready[seq].store(true, Ordering::Release);
                        queue.notify();
                    }
                }
                if next.is_err() {
                    break;
                }
            }
        });
        let mut consumer = queue.consumer().unwrap();
        let mut received = 0;
        let mut last = None;
        loop {
            while let Some(head) = consumer.peek() {
                if !ready[head.seq].load(Ordering::Acquire) {
                    break; // stays first in line, and counts against the capacity
                }
                let packet = consumer.take_peeked().unwrap();
                assert!(last < Some(packet.seq), "queue order");
                last = Some(packet.seq);
                received += 1;
            }
            let inside = accepted.load(Ordering::Relaxed).saturating_sub(received);
            assert!(inside <= CAPACITY, "{inside} packets inside");
            // Acquire: pairs with the producer's Release, so its count is final.
            if producer_done.load(Ordering::Acquire) && received == accepted.load(Ordering::Relaxed)
            {
                break;
            }
            assert!(
                promptly(|| consumer.wait_timeout_blocking(STALL)),
                "stalled after {received} packets: a notify or a wake-up was lost"
            );
        }
        assert!(consumer.is_empty());
    });
    assert!(accepted.load(Ordering::Relaxed) >= CAPACITY);
    assert_eq!(
        drops.load(Ordering::Relaxed),
        attempts,
        "each packet dropped once"
    );
}

every_layout!(
    refusals_wake_nobody_and_the_first_accepted_enqueue_wakes,
    a_reservation_wakes_with_its_first_node_only,
    a_panicking_wake_does_not_give_back_the_place_it_used,
    a_peeked_packet_counts_until_taken_and_only_notify_ends_the_wait,
    refused_producers_never_strand_a_sleeping_consumer,
    wireguard_pipeline_on_a_full_queue,
);
