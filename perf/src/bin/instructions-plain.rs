//! The plain instruction-count harness: ordinary user code, not tuned for any queue, counted
//! under callgrind by `scripts/instructions-plain.sh`.
//!
//! A packet as a user would write it, with its header fields first and the link after them (so
//! the queue has to step from the link back to the packet). Each round enqueues 64 packets,
//! numbering them, then calls the queue's non-waiting dequeue (`try_dequeue`, `try_recv`,
//! `pop`...) until it reports empty, checking that every packet comes out in order. Each queue
//! is driven through its own natural API; cordyceps twice: through a `Consumer` held for the run,
//! and through `MpscQueue::try_dequeue` directly (which claims the consumer on each call).
//!
//! `instructions-plain <queue> <rounds>`, queue one of `ours`, `padded`, `bounded`, `cordyceps`,
//! `cordyceps-queue`, `segqueue`, `channel`, `std`, `mutex`, `wgring`, `wgcounted`, `vecdeque`
//! (a plain `VecDeque`, no synchronisation: the harness's own cost, for scale). The script runs
//! two round counts and divides the difference by the extra pairs.

use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Relaxed, Release};
use std::sync::Mutex;

use cordyceps::mpsc_queue::Links;
use intrusive_mpsc::{node, BoundedQueue, Link, PaddedQueue, Queue, TryDequeueError};
use intrusive_mpsc_perf::WgRing;

/// Packets per burst.
const N: usize = 64;

/// A packet, for our queue and for the queues that move boxes. Only `seq` is read: the other
/// fields are the rest of a packet, there for its shape.
#[allow(dead_code)]
#[derive(Default)]
struct Packet {
    seq: u64,
    len: u32,
    flags: u32,
    payload: [u8; 32],
    link: Link,
    checksum: u64,
}

node!(Packet, link, Box<Packet>);

/// The same packet with cordyceps' link.
#[allow(dead_code)]
#[derive(Default)]
struct CPacket {
    seq: u64,
    len: u32,
    flags: u32,
    payload: [u8; 32],
    links: Links<CPacket>,
    checksum: u64,
}

// SAFETY: `into_ptr` leaks the box and `from_ptr` rebuilds it from that same pointer; `links`
// projects onto the `links` field without creating a reference.
unsafe impl cordyceps::Linked<Links<CPacket>> for CPacket {
    type Handle = Box<CPacket>;

    fn into_ptr(r: Box<CPacket>) -> NonNull<CPacket> {
        NonNull::from(Box::leak(r))
    }

    unsafe fn from_ptr(ptr: NonNull<CPacket>) -> Box<CPacket> {
        // SAFETY: cordyceps passes back a pointer `into_ptr` made from a box, once.
        unsafe { Box::from_raw(ptr.as_ptr()) }
    }

    unsafe fn links(ptr: NonNull<CPacket>) -> NonNull<Links<CPacket>> {
        // SAFETY: `ptr` points to a live packet; projecting onto a field stays inside it.
        let links = unsafe { std::ptr::addr_of_mut!((*ptr.as_ptr()).links) };
        // SAFETY: a field of a live packet is not at address zero.
        unsafe { NonNull::new_unchecked(links) }
    }
}

// The point of this harness: the link is not the packet's first field.
const _: () = assert!(std::mem::offset_of!(Packet, link) > 0);
const _: () = assert!(std::mem::offset_of!(CPacket, links) > 0);

/// Numbered packets.
trait Numbered: Default {
    fn seq(&self) -> u64;
    fn set_seq(&mut self, seq: u64);
}

impl Numbered for Packet {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

impl Numbered for CPacket {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

/// `rounds` times: enqueue the `N` packets with `enqueue`, numbering them, then `try_dequeue`
/// until it answers `None` (empty), checking every packet's number.
fn bursts<P: Numbered>(
    rounds: u64,
    mut enqueue: impl FnMut(Box<P>),
    mut try_dequeue: impl FnMut() -> Option<Box<P>>,
) {
    let mut pool: Vec<Box<P>> = (0..N).map(|_| Box::default()).collect();
    let mut sent = 0;
    let mut received = 0;
    for _ in 0..rounds {
        for mut packet in pool.drain(..) {
            packet.set_seq(sent);
            sent += 1;
            enqueue(packet);
        }
        while let Some(packet) = try_dequeue() {
            assert_eq!(packet.seq(), received, "packets out of order");
            received += 1;
            pool.push(packet);
        }
        assert_eq!(pool.len(), N, "packets lost");
    }
}

/// Our `try_dequeue`'s answer, where nothing is half-enqueued (one thread).
fn ours<T>(r: Result<T, TryDequeueError>) -> Option<T> {
    match r {
        Ok(packet) => Some(packet),
        Err(TryDequeueError::Empty) => None,
        Err(TryDequeueError::Inconsistent) => panic!("no enqueue is half done on one thread"),
    }
}

/// Cordyceps' `try_dequeue`'s answer, where nothing is half-enqueued (one thread).
fn theirs<T>(r: Result<T, cordyceps::mpsc_queue::TryDequeueError>) -> Option<T> {
    match r {
        Ok(packet) => Some(packet),
        Err(cordyceps::mpsc_queue::TryDequeueError::Empty) => None,
        Err(e) => panic!("cordyceps, one thread: {e:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(rounds)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: instructions-plain <queue> <rounds>");
        std::process::exit(2);
    };
    let rounds: u64 = rounds.parse().expect("rounds: a number");
    match name.as_str() {
        "ours" => {
            let queue = Queue::<Packet>::new();
            let mut consumer = queue.consumer().unwrap();
            bursts(
                rounds,
                |p| queue.enqueue(p),
                || ours(consumer.try_dequeue()),
            );
        }
        "padded" => {
            let queue = PaddedQueue::<Packet>::new();
            let mut consumer = queue.consumer().unwrap();
            bursts(
                rounds,
                |p| queue.enqueue(p),
                || ours(consumer.try_dequeue()),
            );
        }
        "bounded" => {
            let queue = BoundedQueue::<Packet>::with_capacity(1024);
            let mut consumer = queue.consumer().unwrap();
            bursts(
                rounds,
                |p| assert!(queue.try_enqueue(p).is_ok(), "a burst fits"),
                || ours(consumer.try_dequeue()),
            );
        }
        "cordyceps" => {
            let queue = cordyceps::MpscQueue::<CPacket>::new();
            let consumer = queue.consume();
            bursts(
                rounds,
                |p| queue.enqueue(p),
                || theirs(consumer.try_dequeue()),
            );
        }
        "cordyceps-queue" => {
            let queue = cordyceps::MpscQueue::<CPacket>::new();
            bursts(rounds, |p| queue.enqueue(p), || theirs(queue.try_dequeue()));
        }
        "segqueue" => {
            let queue = crossbeam_queue::SegQueue::<Box<Packet>>::new();
            bursts(rounds, |p| queue.push(p), || queue.pop());
        }
        "channel" => {
            let (sender, receiver) = crossbeam_channel::unbounded::<Box<Packet>>();
            bursts(
                rounds,
                |p| sender.send(p).unwrap(),
                || receiver.try_recv().ok(),
            );
        }
        "std" => {
            let (sender, receiver) = std::sync::mpsc::channel::<Box<Packet>>();
            bursts(
                rounds,
                |p| sender.send(p).unwrap(),
                || receiver.try_recv().ok(),
            );
        }
        "mutex" => {
            let queue = Mutex::new(VecDeque::<Box<Packet>>::new());
            bursts(
                rounds,
                |p| queue.lock().unwrap().push_back(p),
                || queue.lock().unwrap().pop_front(),
            );
        }
        "wgring" => {
            let ring = WgRing::<Packet>::with_capacity(1024);
            bursts(
                rounds,
                |p| assert!(ring.produce(p).is_ok(), "a burst fits"),
                || ring.consume(),
            );
        }
        "wgcounted" => {
            // WireGuard's way of bounding the queue: a counter beside it.
            let queue = Queue::<Packet>::new();
            let count = AtomicUsize::new(0);
            let mut consumer = queue.consumer().unwrap();
            bursts(
                rounds,
                |p| {
                    // AcqRel on success, as the kernel's fully ordered `atomic_add_unless`; its
                    // Acquire pairs with the Release decrement below.
                    let room = count.fetch_update(AcqRel, Relaxed, |n| (n < 1024).then_some(n + 1));
                    assert!(room.is_ok(), "a burst fits");
                    queue.enqueue(p);
                },
                || {
                    let packet = ours(consumer.try_dequeue())?;
                    // Release: pairs with the Acquire increment of the enqueue that reuses the room.
                    count.fetch_sub(1, Release);
                    Some(packet)
                },
            );
        }
        "vecdeque" => {
            let queue = std::cell::RefCell::new(VecDeque::<Box<Packet>>::new());
            bursts(
                rounds,
                |p| queue.borrow_mut().push_back(p),
                || queue.borrow_mut().pop_front(),
            );
        }
        _ => {
            eprintln!("unknown queue {name}");
            std::process::exit(2);
        }
    }
}
