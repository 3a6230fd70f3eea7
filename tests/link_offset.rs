//! Where the link sits in a node: every kind of queue carries nodes whose `Link` is the first
//! field, a later field, or nested inside a field (a hand-written `Node` impl), and hands each
//! one back whole, in order, with its other fields intact. The queue addresses a node by its
//! start and its link by `Node::LINK_OFFSET`, so a mix-up between the two would hand back a
//! pointer into the middle of a node: the checks below read fields on both sides of the link.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use intrusive_mpsc::{
    channel, node, Batch, BoundedQueue, BoundedWaitQueue, Layout, Link, Next, Node, PaddedQueue,
    Queue, ReadySet, TryDequeueError, WaitQueue,
};

/// A numbered node; `check` asserts that a node came back whole.
trait Numbered: Node<Handle = Box<Self>> + Send + 'static {
    fn new(seq: u64) -> Box<Self>;
    fn seq(&self) -> u64;
    /// Panics unless every field still holds what `new` put there.
    fn check(&self);
}

/// Fields around the link, derived from the number, so a node read at the wrong address fails.
fn guard(seq: u64) -> u64 {
    seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_A5A5_A5A5_A5A5
}

/// Asserts that a field of node `seq` still holds what its constructor put there.
fn intact<T: PartialEq + std::fmt::Debug>(seq: u64, field: T, expected: T) {
    assert_eq!(field, expected, "node {seq} came back torn");
}

/// The link first: offset zero.
struct LinkFirst {
    link: Link,
    seq: u64,
    tail: u64,
}
node!(LinkFirst, link, Box<LinkFirst>);

/// The link after the header, as a user would write a packet.
struct LinkAfter {
    seq: u64,
    len: u32,
    payload: [u8; 29],
    link: Link,
    tail: u64,
}
node!(LinkAfter, link, Box<LinkAfter>);

/// The link inside a field of the node, which `node!` cannot name: a hand-written impl. `repr(C)`
/// so that the link is not first in either struct.
#[repr(C)]
struct Header {
    flags: u16,
    link: Link,
}
#[repr(C)]
struct LinkNested {
    seq: u64,
    header: Header,
    tail: u64,
}
// SAFETY: `header.link` is a `Link` inside the node itself (no pointer in between, nothing
// packed), used by nothing else, and this is its offset.
unsafe impl Node for LinkNested {
    type Handle = Box<LinkNested>;
    const LINK_OFFSET: usize =
        std::mem::offset_of!(LinkNested, header) + std::mem::offset_of!(Header, link);
}

const _: () = assert!(std::mem::offset_of!(LinkFirst, link) == 0);
const _: () = assert!(std::mem::offset_of!(LinkAfter, link) > 0);
const _: () = assert!(<LinkNested as Node>::LINK_OFFSET > 0);

impl Numbered for LinkFirst {
    fn new(seq: u64) -> Box<Self> {
        Box::new(LinkFirst {
            link: Link::new(),
            seq,
            tail: guard(seq),
        })
    }
    fn seq(&self) -> u64 {
        self.seq
    }
    fn check(&self) {
        intact(self.seq, self.tail, guard(self.seq));
    }
}

impl Numbered for LinkAfter {
    fn new(seq: u64) -> Box<Self> {
        Box::new(LinkAfter {
            seq,
            len: seq as u32 ^ 0x5A5A,
            payload: [seq as u8; 29],
            link: Link::new(),
            tail: guard(seq),
        })
    }
    fn seq(&self) -> u64 {
        self.seq
    }
    fn check(&self) {
        intact(self.seq, self.len, self.seq as u32 ^ 0x5A5A);
        intact(self.seq, self.payload, [self.seq as u8; 29]);
        intact(self.seq, self.tail, guard(self.seq));
    }
}

impl Numbered for LinkNested {
    fn new(seq: u64) -> Box<Self> {
        Box::new(LinkNested {
            seq,
            header: Header {
                flags: seq as u16 ^ 0x0F0F,
                link: Link::new(),
            },
            tail: guard(seq),
        })
    }
    fn seq(&self) -> u64 {
        self.seq
    }
    fn check(&self) {
        intact(self.seq, self.header.flags, self.seq as u16 ^ 0x0F0F);
        intact(self.seq, self.tail, guard(self.seq));
    }
}

/// Runs a test body `fn f<N: Numbered>()` with the link first, after the header, and nested.
macro_rules! at_every_link_place {
    ($f:ident) => {
        $f::<LinkFirst>();
        $f::<LinkAfter>();
        $f::<LinkNested>();
    };
}

/// Asserts that `got` is node `seq`, whole.
fn expect<N: Numbered>(got: Option<Box<N>>, seq: u64) {
    let node = got.unwrap_or_else(|| panic!("node {seq} missing"));
    assert_eq!(node.seq(), seq);
    node.check();
}

/// Rounds that drain the queue each time (so every round passes the stub: empty queue, first
/// node behind the stub, last node out) through enqueue, peek and dequeue, then a batch, then
/// nodes left inside for the queue's `Drop`.
fn plain_queue<N: Numbered, B: intrusive_mpsc::Capacity, W: intrusive_mpsc::Waiting, L: Layout>(
    queue: Queue<N, B, W, L>,
) {
    let mut consumer = queue.consumer().unwrap();
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    let mut seq = 0;
    for round in 1..=4 {
        for i in 0..round {
            assert!(queue.try_enqueue(N::new(seq + i)).is_ok());
        }
        let first = consumer.peek().expect("a node to peek at");
        assert_eq!(first.seq(), seq);
        first.check();
        expect(consumer.take_peeked(), seq);
        for i in 1..round {
            expect(consumer.dequeue(), seq + i);
        }
        assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
        seq += round;
    }
    let batch: Batch<N> = (seq..seq + 3).map(N::new).collect();
    assert!(queue.try_enqueue_batch(batch).is_ok());
    for i in 0..3 {
        expect(consumer.dequeue(), seq + i);
    }
    assert!(consumer.is_empty());
    drop(consumer);
    // Left inside: the queue's `Drop` hands them back (and frees them) through the same path.
    assert!(queue.try_enqueue(N::new(100)).is_ok());
    assert!(queue.try_enqueue(N::new(101)).is_ok());
}

fn every_queue_kind<N: Numbered>() {
    plain_queue(Queue::<N>::new());
    plain_queue(PaddedQueue::<N>::new());
    plain_queue(BoundedQueue::<N>::with_capacity(8));
    plain_queue(WaitQueue::<N>::new());
    plain_queue(BoundedWaitQueue::<N, intrusive_mpsc::Padded>::with_capacity(8));
}

#[test]
fn every_queue_kind_link_first() {
    every_queue_kind::<LinkFirst>();
}

#[test]
fn every_queue_kind_link_after() {
    every_queue_kind::<LinkAfter>();
}

#[test]
fn every_queue_kind_link_nested() {
    every_queue_kind::<LinkNested>();
}

/// A reservation's enqueues and an unbounded queue's `enqueue_batch`.
fn reservation_and_batch<N: Numbered>() {
    let queue = BoundedQueue::<N>::with_capacity(4);
    let mut room = queue.try_reserve(4).unwrap();
    assert!(room.try_enqueue(N::new(0)).is_ok());
    let batch: Batch<N> = (1..4).map(N::new).collect();
    assert!(room.try_enqueue_batch(batch).is_ok());
    drop(room);
    let mut consumer = queue.consumer().unwrap();
    for seq in 0..4 {
        expect(consumer.try_dequeue().ok(), seq);
    }

    let queue = Queue::<N>::new();
    let mut batch: Batch<N> = (0..3).map(N::new).collect();
    expect(batch.pop_front(), 0);
    batch.push(N::new(3));
    queue.enqueue_batch(batch);
    let mut consumer = queue.consumer().unwrap();
    let got: Vec<u64> = consumer
        .drain()
        .map(|node| {
            node.check();
            node.seq()
        })
        .collect();
    assert_eq!(got, [1, 2, 3]);
}

#[test]
fn reservation_and_batch_every_link_place() {
    at_every_link_place!(reservation_and_batch);
}

/// The channel fronts, unbounded and bounded.
fn channels<N: Numbered>() {
    let (sender, mut receiver) = channel::unbounded::<N>();
    for seq in 0..3 {
        assert!(sender.send(N::new(seq)).is_ok());
    }
    for seq in 0..3 {
        expect(receiver.try_recv().ok(), seq);
    }
    assert!(sender.send(N::new(3)).is_ok());
    expect(receiver.recv_blocking(), 3);

    let (sender, mut receiver) = channel::bounded::<N>(2);
    assert!(sender.try_send(N::new(0)).is_ok());
    assert!(sender.try_send(N::new(1)).is_ok());
    assert!(sender.try_send(N::new(2)).is_err(), "full");
    expect(receiver.try_recv().ok(), 0);
    expect(receiver.try_recv().ok(), 1);
    // Left inside when both ends drop.
    assert!(sender.try_send(N::new(4)).is_ok());
}

#[test]
fn channels_every_link_place() {
    at_every_link_place!(channels);
}

/// A ready set's member queues (and the set's own ready list, whose nodes are the members).
fn ready_set<N: Numbered>() {
    let set = ReadySet::<N>::new(3);
    for index in [2, 0, 2] {
        set.enqueue(index, N::new(index as u64));
    }
    let mut worker = set.worker().unwrap();
    let mut seen = Vec::new();
    while let Some(Next::Ready(mut ready)) = worker.try_next() {
        let index = ready.index() as u64;
        while let Ok(node) = ready.try_dequeue() {
            node.check();
            assert_eq!(node.seq(), index);
            seen.push(index);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 2, 2]);
}

#[test]
fn ready_set_every_link_place() {
    at_every_link_place!(ready_set);
}

/// Producers on other threads, each numbering its own nodes: every node arrives once, whole, in
/// its producer's order; the consumer keeps catching up, so the stub is passed again and again.
fn threads<N: Numbered, L: Layout>() {
    const PRODUCERS: u64 = 3;
    const EACH: u64 = if cfg!(miri) { 40 } else { 2_000 };
    let queue = Arc::new(Queue::<
        N,
        intrusive_mpsc::Unbounded,
        intrusive_mpsc::NoWait,
        L,
    >::new());
    let started = Arc::new(AtomicUsize::new(0));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (queue, started) = (Arc::clone(&queue), Arc::clone(&started));
            std::thread::spawn(move || {
                started.fetch_add(1, Relaxed);
                for i in 0..EACH {
                    queue.enqueue(N::new(p * EACH + i));
                }
            })
        })
        .collect();
    let mut consumer = queue.consumer().unwrap();
    let mut next = [0; PRODUCERS as usize];
    let mut received = 0;
    while received < PRODUCERS * EACH {
        match consumer.dequeue() {
            Some(node) => {
                node.check();
                let (p, i) = (node.seq() / EACH, node.seq() % EACH);
                assert_eq!(i, next[p as usize], "producer {p}'s nodes out of order");
                next[p as usize] += 1;
                received += 1;
            }
            None => std::thread::yield_now(),
        }
    }
    for producer in producers {
        producer.join().unwrap();
    }
    assert_eq!(consumer.try_dequeue().err(), Some(TryDequeueError::Empty));
    assert_eq!(started.load(Relaxed), PRODUCERS as usize);
}

#[test]
fn threads_link_after_compact() {
    threads::<LinkAfter, intrusive_mpsc::Compact>();
}

#[test]
fn threads_link_after_padded() {
    threads::<LinkAfter, intrusive_mpsc::Padded>();
}

#[test]
fn threads_link_nested_compact() {
    threads::<LinkNested, intrusive_mpsc::Compact>();
}
