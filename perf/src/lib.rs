//! What the criterion benches, the instruction counter, the memory table and the interleaved
//! runner share: the payload, one trait over every queue compared, each queue driven through its
//! public API, and the drivers.
//!
//! Every queue moves the same `Box<Packet>` (64 bytes, allocated before timing). The intrusive
//! queues (ours, cordyceps) link it through a field of their own; the others move the box in.
//! Every consumer polls the same way: try once, and when nothing came, back off (spin, then
//! yield) with crossbeam's `Backoff`. That is the tuned harness; [`hot`] holds the plain one (each
//! queue polled by the loop a user writes, packets recycled, waits that never yield) and runs the
//! two side by side: their figures differ, and `perf/HOT_QUEUE.md` says why. In the threaded scenarios each producer writes to a packet
//! before sending it and the consumer reads from it, as real users do: otherwise the queues that
//! never touch the packet (rings and channels of boxes) would skip the cache-line transfer that
//! an intrusive queue, linking through the packet, cannot.
//!
//! This crate is a workspace member that is never published: the peers and the benchmark tooling
//! are its dependencies, not the library's.
// Each packet is its own heap allocation on purpose: that is the payload every queue moves.
#![allow(clippy::vec_box)]

pub mod hot;

use std::collections::VecDeque;
use std::ptr::{self, NonNull};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cordyceps::mpsc_queue::Links;
use crossbeam_utils::{Backoff, CachePadded};
use intrusive_mpsc::{
    node, Batch, Bounded, Compact, Layout, Link, NoWait, Padded, Queue, Unbounded,
};

/// The payload: a 64-byte packet, with a link for each intrusive queue.
#[derive(Default)]
pub struct Packet {
    /// Our link.
    link: Link,
    /// Cordyceps' link.
    links: Links<Packet>,
    /// Which producer sent it.
    pub producer: u64,
    /// The rest of a small packet.
    pub data: [u64; 5],
}

node!(Packet, link, Box<Packet>);

// SAFETY: `into_ptr` leaks the box and `from_ptr` rebuilds it from that same pointer; `links`
// projects onto the `links` field without creating a reference.
unsafe impl cordyceps::Linked<Links<Packet>> for Packet {
    type Handle = Box<Packet>;

    #[inline]
    fn into_ptr(r: Box<Packet>) -> NonNull<Packet> {
        NonNull::from(Box::leak(r))
    }

    #[inline]
    unsafe fn from_ptr(ptr: NonNull<Packet>) -> Box<Packet> {
        // SAFETY: cordyceps passes back a pointer `into_ptr` made from a box, once.
        unsafe { Box::from_raw(ptr.as_ptr()) }
    }

    #[inline]
    unsafe fn links(ptr: NonNull<Packet>) -> NonNull<Links<Packet>> {
        // SAFETY: `ptr` points to a live packet; projecting onto a field stays inside it.
        let links = unsafe { ptr::addr_of_mut!((*ptr.as_ptr()).links) };
        // SAFETY: a field of a live packet is not at address zero.
        unsafe { NonNull::new_unchecked(links) }
    }
}

/// Whether threaded runs pin their threads to cores: `BENCH_PIN=1` (Linux only).
///
/// Unpinned, on a 2-core machine, the scheduler sometimes puts the producer and the consumer on
/// one core, where they take turns: the queue then moves whole bursts without contention, up to
/// 30 times faster than when both really run at once. Pinned, the consumer runs on core 0 and
/// producer `i` on core `(i + 1) % cores`, so one producer and one consumer always overlap.
pub fn pinning() -> bool {
    std::env::var_os("BENCH_PIN").is_some_and(|v| v == "1")
}

/// Pins the calling thread to `cpu` (modulo the number of cores), or to every core when `cpu`
/// is `None`.
pub fn pin(cpu: Option<usize>) {
    #[cfg(target_os = "linux")]
    {
        // The cores online, not `available_parallelism`: that one reads the calling thread's own
        // affinity, so once a thread was pinned to one core it saw a 1-core machine, its
        // `pin(None)` "unpinned" it onto that core again, and every thread it spawned afterwards
        // (inheriting that affinity) was pinned to that same core: every "pinned" run after the
        // first sample ran producers and consumer on one core.
        // SAFETY: `sysconf` has no preconditions.
        let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        let cores = usize::try_from(online).unwrap_or(1).max(1);
        // SAFETY: `cpu_set_t` is plain bits, for which all zeroes is a valid value.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        for c in 0..cores {
            if cpu.is_none_or(|cpu| cpu % cores == c) {
                // SAFETY: `c` is below the number of cores, within the set's capacity.
                unsafe { libc::CPU_SET(c, &mut set) };
            }
        }
        // SAFETY: pid 0 is the calling thread, and `set` is a valid, initialized set.
        let _ = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

impl Packet {
    /// What a producer does to a packet before sending it: writes to it (a sequence number).
    #[inline]
    pub fn fill(&mut self) {
        self.data[0] = self.data[0].wrapping_add(1);
    }

    /// What a consumer does with a packet it received: reads from it.
    #[inline]
    pub fn read(&self) -> u64 {
        self.data[0]
    }
}

/// `n` fresh packets.
pub fn packets(n: usize) -> Vec<Box<Packet>> {
    (0..n).map(|_| Box::<Packet>::default()).collect()
}

/// A queue under test, driven the way its users drive it.
pub trait Subject {
    /// Name in reports.
    const NAME: &'static str;
    /// What a producer thread holds.
    type Producer<'a>: Send
    where
        Self: 'a;
    /// What the consumer holds for the whole run.
    type Consumer<'a>
    where
        Self: 'a;
    /// A new, empty queue.
    fn new() -> Self;
    /// A producer's handle.
    fn producer(&self) -> Self::Producer<'_>;
    /// The consumer, taken once per run.
    fn consumer(&self) -> Self::Consumer<'_>;
    /// Enqueues, or gives the packet back when a bounded queue is full.
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>>;
    /// One poll: a packet, or `None` when nothing can be taken now.
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>>;
}

/// The names of our queues in reports, per layout.
pub trait Named: Layout {
    /// The unbounded queue.
    const QUEUE: &'static str;
    /// The bounded queue at [`BOUND`].
    const BOUNDED: &'static str;
}

impl Named for Compact {
    const QUEUE: &'static str = "intrusive-mpsc";
    const BOUNDED: &'static str = "BoundedQueue (1024)";
}

impl Named for Padded {
    const QUEUE: &'static str = "intrusive-mpsc, padded";
    const BOUNDED: &'static str = "BoundedQueue, padded (1024)";
}

/// This crate's unbounded queue in layout `L`: `Queue::enqueue`, and the consumer's `dequeue`
/// (which waits out a producer that is mid-enqueue and answers `None` when empty).
pub struct Ours<L: Layout = Compact>(Queue<Packet, Unbounded, NoWait, L>);

/// [`Ours`] in the compact layout (`Queue`, 32 bytes).
pub type OursCompact = Ours<Compact>;
/// [`Ours`] in the padded layout (`PaddedQueue`: the producers' end and the consumer's end on
/// cache lines of their own).
pub type OursPadded = Ours<Padded>;

impl<L: Named> Subject for Ours<L> {
    const NAME: &'static str = L::QUEUE;
    type Producer<'a> = &'a Queue<Packet, Unbounded, NoWait, L>;
    type Consumer<'a> = intrusive_mpsc::Consumer<&'a Queue<Packet, Unbounded, NoWait, L>>;
    fn new() -> Self {
        Ours(Queue::new())
    }
    fn producer(&self) -> Self::Producer<'_> {
        &self.0
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self.0.consumer().expect("one consumer")
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.enqueue(packet);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.dequeue()
    }
}

/// This crate's `BoundedQueue` at WireGuard's bound, in layout `L`: `try_enqueue`, and the
/// consumer's `dequeue`.
pub struct OursBounded<L: Layout = Compact>(Queue<Packet, Bounded, NoWait, L>);

/// [`OursBounded`] in the compact layout (`BoundedQueue`, 64 bytes).
pub type BoundedCompact = OursBounded<Compact>;
/// [`OursBounded`] in the padded layout.
pub type BoundedPadded = OursBounded<Padded>;

impl<L: Named> Subject for OursBounded<L> {
    const NAME: &'static str = L::BOUNDED;
    type Producer<'a> = &'a Queue<Packet, Bounded, NoWait, L>;
    type Consumer<'a> = intrusive_mpsc::Consumer<&'a Queue<Packet, Bounded, NoWait, L>>;
    fn new() -> Self {
        OursBounded(Queue::with_capacity(BOUND))
    }
    fn producer(&self) -> Self::Producer<'_> {
        &self.0
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self.0.consumer().expect("one consumer")
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.try_enqueue(packet)
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.dequeue()
    }
}

/// A control, not a queue to pick: this crate's unbounded queue in layout `L`, plus one atomic
/// `fetch_add` per enqueue on a counter of its own cache line that nothing else touches. It costs
/// what any bounded queue that counts each enqueue with one read-modify-write must pay at the
/// least, so it shows how close to the unbounded rate a per-enqueue claim can get at all.
pub struct OursPlusCount<L: Layout = Compact>(
    Queue<Packet, Unbounded, NoWait, L>,
    CachePadded<AtomicUsize>,
);

/// The names of [`OursPlusCount`] in reports, per layout.
pub trait PlusCountName: Named {
    /// The control's name.
    const PLUS_COUNT: &'static str;
}

impl PlusCountName for Compact {
    const PLUS_COUNT: &'static str = "control: intrusive-mpsc + 1 fetch_add";
}

impl PlusCountName for Padded {
    const PLUS_COUNT: &'static str = "control: intrusive-mpsc, padded + 1 fetch_add";
}

impl<L: PlusCountName> Subject for OursPlusCount<L> {
    const NAME: &'static str = L::PLUS_COUNT;
    type Producer<'a> = (&'a Queue<Packet, Unbounded, NoWait, L>, &'a AtomicUsize);
    type Consumer<'a> = intrusive_mpsc::Consumer<&'a Queue<Packet, Unbounded, NoWait, L>>;
    fn new() -> Self {
        OursPlusCount(Queue::new(), CachePadded::new(AtomicUsize::new(0)))
    }
    fn producer(&self) -> Self::Producer<'_> {
        (&self.0, &self.1)
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self.0.consumer().expect("one consumer")
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        // Relaxed: only the read-modify-write's cost is wanted, not its ordering.
        p.1.fetch_add(1, Relaxed);
        p.0.enqueue(packet);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.dequeue()
    }
}

/// `cordyceps::MpscQueue`, its `Consumer` held for the whole run (so no per-call consumer CAS).
pub struct Cordyceps(cordyceps::MpscQueue<Packet>);

impl Subject for Cordyceps {
    const NAME: &'static str = "cordyceps";
    type Producer<'a> = &'a cordyceps::MpscQueue<Packet>;
    type Consumer<'a> = cordyceps::mpsc_queue::Consumer<'a, Packet>;
    fn new() -> Self {
        Cordyceps(cordyceps::MpscQueue::new())
    }
    fn producer(&self) -> Self::Producer<'_> {
        &self.0
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self.0.consume()
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.enqueue(packet);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.dequeue()
    }
}

/// `crossbeam_queue::SegQueue`.
pub struct Seg(crossbeam_queue::SegQueue<Box<Packet>>);

impl Subject for Seg {
    const NAME: &'static str = "SegQueue";
    type Producer<'a> = &'a crossbeam_queue::SegQueue<Box<Packet>>;
    type Consumer<'a> = &'a crossbeam_queue::SegQueue<Box<Packet>>;
    fn new() -> Self {
        Seg(crossbeam_queue::SegQueue::new())
    }
    fn producer(&self) -> Self::Producer<'_> {
        &self.0
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        &self.0
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.push(packet);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.pop()
    }
}

/// `crossbeam_channel::unbounded`.
pub struct CbChannel(
    crossbeam_channel::Sender<Box<Packet>>,
    crossbeam_channel::Receiver<Box<Packet>>,
);

impl Subject for CbChannel {
    const NAME: &'static str = "crossbeam-channel";
    type Producer<'a> = crossbeam_channel::Sender<Box<Packet>>;
    type Consumer<'a> = &'a crossbeam_channel::Receiver<Box<Packet>>;
    fn new() -> Self {
        let (s, r) = crossbeam_channel::unbounded();
        CbChannel(s, r)
    }
    fn producer(&self) -> Self::Producer<'_> {
        self.0.clone()
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        &self.1
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.send(packet).map_err(|e| e.0)
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.try_recv().ok()
    }
}

/// `std::sync::mpsc::channel`.
pub struct StdMpsc(
    std::sync::mpsc::Sender<Box<Packet>>,
    std::sync::mpsc::Receiver<Box<Packet>>,
);

impl Subject for StdMpsc {
    const NAME: &'static str = "std mpsc";
    type Producer<'a> = std::sync::mpsc::Sender<Box<Packet>>;
    type Consumer<'a> = &'a std::sync::mpsc::Receiver<Box<Packet>>;
    fn new() -> Self {
        let (s, r) = std::sync::mpsc::channel();
        StdMpsc(s, r)
    }
    fn producer(&self) -> Self::Producer<'_> {
        self.0.clone()
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        &self.1
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.send(packet).map_err(|e| e.0)
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.try_recv().ok()
    }
}

/// `Mutex<VecDeque<Box<Packet>>>`.
pub struct MutexDeque(Mutex<VecDeque<Box<Packet>>>);

impl Subject for MutexDeque {
    const NAME: &'static str = "Mutex<VecDeque>";
    type Producer<'a> = &'a Mutex<VecDeque<Box<Packet>>>;
    type Consumer<'a> = &'a Mutex<VecDeque<Box<Packet>>>;
    fn new() -> Self {
        MutexDeque(Mutex::new(VecDeque::new()))
    }
    fn producer(&self) -> Self::Producer<'_> {
        &self.0
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        &self.0
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.lock().unwrap().push_back(packet);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.lock().unwrap().pop_front()
    }
}

/// What WireGuard used before this design (Linux `ptr_ring`): a bounded ring of pointers to boxed
/// `T`, a null slot meaning free, producers serialised by a spinlock, one consumer without a lock.
pub struct WgRing<T = Packet> {
    /// The producers' spinlock.
    lock: CachePadded<AtomicBool>,
    /// Next slot to fill; under the lock.
    producer: CachePadded<AtomicUsize>,
    /// Next slot to take; the consumer's.
    consumer: CachePadded<AtomicUsize>,
    slots: Box<[AtomicPtr<T>]>,
}

/// WireGuard's bound (`MAX_QUEUED_PACKETS`).
pub const BOUND: usize = 1024;

impl<T> WgRing<T> {
    /// An empty ring of `capacity` slots.
    pub fn with_capacity(capacity: usize) -> Self {
        WgRing {
            lock: CachePadded::new(AtomicBool::new(false)),
            producer: CachePadded::new(AtomicUsize::new(0)),
            consumer: CachePadded::new(AtomicUsize::new(0)),
            slots: (0..capacity)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
        }
    }

    /// `ptr_ring_produce`: take the lock, fail if the next slot is still full, fill it.
    #[inline]
    pub fn produce(&self, item: Box<T>) -> Result<(), Box<T>> {
        let backoff = Backoff::new();
        // Acquire: pairs with the Release unlock below of the previous holder, so we see the
        // `producer` index it wrote.
        while self
            .lock
            .compare_exchange_weak(false, true, Acquire, Relaxed)
            .is_err()
        {
            backoff.snooze();
        }
        // Relaxed: only lock holders write `producer`; the lock orders them.
        let at = self.producer.load(Relaxed);
        // Relaxed: only tests for null. A slot the consumer emptied is reused for a box whose
        // contents we publish with the Release store below; nothing of the old box is read.
        let result = if !self.slots[at].load(Relaxed).is_null() {
            Err(item)
        } else {
            // Release: pairs with the consumer's Acquire load of the slot, publishing the box.
            self.slots[at].store(Box::into_raw(item), Release);
            // Relaxed: published to the next producer by the unlock.
            self.producer.store(
                if at + 1 == self.slots.len() {
                    0
                } else {
                    at + 1
                },
                Relaxed,
            );
            Ok(())
        };
        // Release: pairs with the next producer's Acquire on the lock.
        self.lock.store(false, Release);
        result
    }

    /// `ptr_ring_consume` for the single consumer: take the slot if it is full, free it.
    #[inline]
    pub fn consume(&self) -> Option<Box<T>> {
        // Relaxed: only the single consumer writes `consumer`.
        let at = self.consumer.load(Relaxed);
        // Acquire: pairs with the producer's Release store of the slot, so the box is visible.
        let item = self.slots[at].load(Acquire);
        if item.is_null() {
            return None;
        }
        // Release, though nothing needs it: producers only test the slot for null and never
        // touch the box it held, so there is nothing to publish to them.
        self.slots[at].store(ptr::null_mut(), Release);
        // Relaxed: only the single consumer reads and writes `consumer`.
        self.consumer.store(
            if at + 1 == self.slots.len() {
                0
            } else {
                at + 1
            },
            Relaxed,
        );
        // SAFETY: a full slot holds a pointer from `Box::into_raw`, and only we empty slots.
        Some(unsafe { Box::from_raw(item) })
    }
}

impl<T> Drop for WgRing<T> {
    fn drop(&mut self) {
        while self.consume().is_some() {}
    }
}

impl Subject for WgRing {
    const NAME: &'static str = "WireGuard ring (1024)";
    type Producer<'a> = &'a WgRing;
    type Consumer<'a> = &'a WgRing;
    fn new() -> Self {
        WgRing::with_capacity(BOUND)
    }
    fn producer(&self) -> Self::Producer<'_> {
        self
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        p.produce(packet)
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        c.consume()
    }
}

/// Our unbounded queue with a bound kept WireGuard's way beside it: an add-unless-full counter
/// (`fetch_update`) before each enqueue and a decrement after each dequeue.
pub struct WgCounted {
    queue: Queue<Packet>,
    count: CachePadded<AtomicUsize>,
}

/// A producer of [`WgCounted`].
pub struct WgCountedProducer<'a>(&'a WgCounted);

impl Subject for WgCounted {
    const NAME: &'static str = "Queue + WireGuard counter (1024)";
    type Producer<'a> = WgCountedProducer<'a>;
    type Consumer<'a> = (&'a WgCounted, intrusive_mpsc::Consumer<&'a Queue<Packet>>);
    fn new() -> Self {
        WgCounted {
            queue: Queue::new(),
            count: CachePadded::new(AtomicUsize::new(0)),
        }
    }
    fn producer(&self) -> Self::Producer<'_> {
        WgCountedProducer(self)
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        (self, self.queue.consumer().expect("one consumer"))
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        // `atomic_add_unless(&count, 1, MAX)`. AcqRel on success, as the kernel's fully ordered
        // RMW: its Acquire pairs with the consumer's Release decrement; Relaxed on failure, where
        // nothing is enqueued.
        match p
            .0
            .count
            .fetch_update(AcqRel, Relaxed, |n| (n < BOUND).then_some(n + 1))
        {
            Ok(_) => {
                p.0.queue.enqueue(packet);
                Ok(())
            }
            Err(_) => Err(packet),
        }
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        let packet = c.1.dequeue()?;
        // Release: pairs with a producer's Acquire increment that reuses the room.
        c.0.count.fetch_sub(1, Release);
        Some(packet)
    }
}

/// The instruction-count floor: the burst harness around the least a queue can be, a plain,
/// non-atomic stack of 64 pointers (one store and one index update each way).
pub struct Floor {
    slots: std::cell::UnsafeCell<[*mut Packet; BURST]>,
    len: std::cell::Cell<usize>,
}

// SAFETY: never shared between threads: only the single-thread burst uses it.
unsafe impl Sync for Floor {}
// SAFETY: as above; it owns the boxes it holds, and `Box<Packet>` is `Send`.
unsafe impl Send for Floor {}

impl Subject for Floor {
    const NAME: &'static str = "floor (plain stack)";
    type Producer<'a> = &'a Floor;
    type Consumer<'a> = &'a Floor;
    fn new() -> Self {
        Floor {
            slots: std::cell::UnsafeCell::new([ptr::null_mut(); BURST]),
            len: std::cell::Cell::new(0),
        }
    }
    fn producer(&self) -> Self::Producer<'_> {
        self
    }
    fn consumer(&self) -> Self::Consumer<'_> {
        self
    }
    #[inline]
    fn push(p: &Self::Producer<'_>, packet: Box<Packet>) -> Result<(), Box<Packet>> {
        let len = p.len.get();
        if len == BURST {
            return Err(packet);
        }
        // SAFETY: one thread only, and no reference into `slots` outlives this statement.
        unsafe { (*p.slots.get())[len] = Box::into_raw(packet) };
        p.len.set(len + 1);
        Ok(())
    }
    #[inline]
    fn pop(c: &mut Self::Consumer<'_>) -> Option<Box<Packet>> {
        let len = c.len.get().checked_sub(1)?;
        c.len.set(len);
        // SAFETY: one thread only, and no reference into `slots` outlives this statement.
        let packet = unsafe { (*c.slots.get())[len] };
        // SAFETY: a slot below `len` holds a pointer from `Box::into_raw`, taken once.
        Some(unsafe { Box::from_raw(packet) })
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let mut me = &*self;
        while Self::pop(&mut me).is_some() {}
    }
}

/// Messages in one burst of the single-thread scenario.
pub const BURST: usize = 64;

/// Single thread: `rounds` times, enqueue the 64 packets of `pool`, then dequeue 64.
#[inline(never)]
pub fn burst<Q: Subject>(
    producer: &Q::Producer<'_>,
    consumer: &mut Q::Consumer<'_>,
    pool: &mut Vec<Box<Packet>>,
    rounds: u64,
) {
    for _ in 0..rounds {
        for packet in pool.drain(..) {
            if Q::push(producer, packet).is_err() {
                unreachable!("a burst fits every queue");
            }
        }
        for _ in 0..BURST {
            match Q::pop(consumer) {
                Some(packet) => pool.push(packet),
                None => unreachable!("a single thread's burst is all there"),
            }
        }
    }
}

/// Times `rounds` single-thread bursts of 64 pairs on a fresh queue.
pub fn time_burst<Q: Subject>(rounds: u64) -> Duration {
    let queue = Q::new();
    let producer = queue.producer();
    let mut consumer = queue.consumer();
    let mut pool = packets(BURST);
    // Warm up the queue's own memory (blocks, rings) before timing.
    burst::<Q>(&producer, &mut consumer, &mut pool, 4);
    let start = Instant::now();
    burst::<Q>(&producer, &mut consumer, &mut pool, rounds);
    start.elapsed()
}

/// Messages per round of the threaded scenarios, summed over all producers.
pub const ROUND: usize = 1 << 14;

/// Messages per round of the "not overloaded" bounded scenarios: half of [`BOUND`]. A round is
/// drained completely before the next one starts, so the bounded queues never hold more than
/// this, stay clear of their bound and never refuse: what is measured is the bookkeeping alone.
pub const CALM_ROUND: usize = BOUND / 2;

/// How a producer enqueues its share of a round.
pub trait Produce<Q: Subject>: Sync {
    /// Enqueues every packet of `share`, retrying while a bounded queue is full.
    fn produce(&self, producer: &Q::Producer<'_>, share: &mut Vec<Box<Packet>>);
}

/// One enqueue per packet; while a bounded queue is full, back off (spin, then yield).
#[derive(Default)]
pub struct Single;

impl<Q: Subject> Produce<Q> for Single {
    #[inline]
    fn produce(&self, producer: &Q::Producer<'_>, share: &mut Vec<Box<Packet>>) {
        for packet in share.drain(..) {
            let mut packet = packet;
            packet.fill();
            let backoff = Backoff::new();
            while let Err(back) = Q::push(producer, packet) {
                packet = back;
                backoff.snooze();
            }
        }
    }
}

/// Overload: one enqueue per packet, and while the queue is full, try again at once, without any
/// pause: the producers hammer a full bounded queue while the consumer drains it. Counts the
/// refused attempts.
#[derive(Default)]
pub struct Hammer {
    refused: AtomicU64,
}

impl Hammer {
    /// Refused enqueue attempts so far, summed over every producer. Read it after the producer
    /// threads have been joined.
    pub fn refused(&self) -> u64 {
        // Relaxed: the caller reads after joining the producers, and the join orders their
        // additions before this load.
        self.refused.load(Relaxed)
    }
}

impl<Q: Subject> Produce<Q> for Hammer {
    #[inline]
    fn produce(&self, producer: &Q::Producer<'_>, share: &mut Vec<Box<Packet>>) {
        let mut refused = 0;
        for packet in share.drain(..) {
            let mut packet = packet;
            packet.fill();
            while let Err(back) = Q::push(producer, packet) {
                packet = back;
                refused += 1;
            }
        }
        // Relaxed: a statistic, read after the threads are joined (see `refused`).
        self.refused.fetch_add(refused, Relaxed);
    }
}

/// Claiming room ahead: each producer reserves room for `K` packets at once
/// (`Queue::try_reserve`) and fills it with no further claim; when `K` places do not fit, it
/// tries one `try_enqueue` instead, and retries at once while refused, as [`Hammer`] does (so it
/// floods a full queue the same way). Counts the refused single attempts.
#[derive(Default)]
pub struct Reserving<const K: usize> {
    refused: AtomicU64,
}

impl<const K: usize> Reserving<K> {
    /// Refused enqueue attempts so far, as [`Hammer::refused`].
    pub fn refused(&self) -> u64 {
        // Relaxed: read after the producers are joined (see `Hammer::refused`).
        self.refused.load(Relaxed)
    }
}

impl<const K: usize, L: Named> Produce<OursBounded<L>> for Reserving<K> {
    #[inline]
    fn produce(&self, producer: &&Queue<Packet, Bounded, NoWait, L>, share: &mut Vec<Box<Packet>>) {
        let mut refused = 0;
        let mut room = None;
        for packet in share.drain(..) {
            let mut packet = packet;
            packet.fill();
            loop {
                if let Some(held) = room.as_mut() {
                    match intrusive_mpsc::Reservation::try_enqueue(held, packet) {
                        Ok(()) => break,
                        Err(back) => packet = back,
                    }
                }
                room = producer.try_reserve(K);
                if room.is_none() {
                    match producer.try_enqueue(packet) {
                        Ok(()) => break,
                        Err(back) => {
                            packet = back;
                            refused += 1;
                        }
                    }
                }
            }
        }
        // Relaxed: a statistic, read after the threads are joined.
        self.refused.fetch_add(refused, Relaxed);
    }
}

/// Chains of `B` packets built with `Batch::push` and enqueued with `Queue::enqueue_batch`.
#[derive(Default)]
pub struct Batched<const B: usize>;

impl<const B: usize, L: Named> Produce<Ours<L>> for Batched<B> {
    #[inline]
    fn produce(
        &self,
        producer: &&Queue<Packet, Unbounded, NoWait, L>,
        share: &mut Vec<Box<Packet>>,
    ) {
        let mut packets = share.drain(..);
        loop {
            let batch: Batch<Packet> = packets
                .by_ref()
                .take(B)
                .map(|mut packet| {
                    packet.fill();
                    packet
                })
                .collect();
            if batch.is_empty() {
                break;
            }
            producer.enqueue_batch(batch);
        }
    }
}

/// `producers` threads and one consumer (the calling thread), `rounds` rounds of [`ROUND`]
/// messages; returns the time from each round's start to the consumer's last dequeue, summed.
pub fn threaded<Q: Subject, P: Produce<Q>>(producers: usize, rounds: u64, how: &P) -> Duration {
    threaded_rounds::<Q, P>(producers, ROUND, rounds, how)
}

/// `producers` threads and one consumer (the calling thread), `rounds` rounds of `round`
/// messages (split evenly between the producers); returns the time from each round's start to
/// the consumer's last dequeue, summed.
///
/// Packets are allocated before timing and handed back to the producers between rounds, outside
/// the timed part. A round is drained completely before the next one starts.
pub fn threaded_rounds<Q: Subject, P: Produce<Q>>(
    producers: usize,
    round: usize,
    rounds: u64,
    how: &P,
) -> Duration {
    // Padded, so that no variable of the harness shares a cache line with the queue.
    let queue = CachePadded::new(Q::new());
    let share = round / producers;
    let total = share * producers;
    let slots: Vec<Mutex<Vec<Box<Packet>>>> = (0..producers)
        .map(|_| Mutex::new(Vec::with_capacity(share)))
        .collect();
    let mut received = packets(total);
    // Round number the producers may start.
    let go = CachePadded::new(AtomicUsize::new(0));
    let mut elapsed = Duration::ZERO;
    let pinned = pinning();
    std::thread::scope(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let producer = queue.producer();
            let go = &go;
            s.spawn(move || {
                if pinned {
                    pin(Some(i + 1));
                }
                for round in 1..=rounds as usize {
                    let backoff = Backoff::new();
                    // Acquire: pairs with the consumer's Release store of `round` (the slot's
                    // mutex orders the packets themselves).
                    while go.load(Acquire) < round {
                        backoff.snooze();
                    }
                    let mut share = slot.lock().unwrap();
                    how.produce(&producer, &mut share);
                }
            });
        }
        if pinned {
            pin(Some(0));
        }
        let mut consumer = queue.consumer();
        for round in 1..=rounds as usize {
            for slot in &slots {
                let mut slot = slot.lock().unwrap();
                debug_assert!(slot.is_empty());
                slot.extend(received.drain(received.len() - share..));
            }
            let start = Instant::now();
            // Release: pairs with the producers' Acquire loads of `go`.
            go.store(round, Release);
            let mut checksum = 0u64;
            let backoff = Backoff::new();
            while received.len() < total {
                match Q::pop(&mut consumer) {
                    Some(packet) => {
                        checksum = checksum.wrapping_add(packet.read());
                        received.push(packet);
                        backoff.reset();
                    }
                    None => backoff.snooze(),
                }
            }
            elapsed += start.elapsed();
            std::hint::black_box(checksum);
        }
        if pinned {
            pin(None);
        }
    });
    elapsed
}

/// Like [`threaded`], but times only the producers: each round, `producers` threads enqueue
/// their shares while the consumer waits, and the consumer drains the queue after the clock
/// stops. This isolates the enqueue side (the head's cache line, shared by the producers).
pub fn enqueue_only<Q: Subject, P: Produce<Q>>(producers: usize, rounds: u64, how: &P) -> Duration {
    // Padded, so that no variable of the harness shares a cache line with the queue.
    let queue = CachePadded::new(Q::new());
    let share = ROUND / producers;
    let total = share * producers;
    let slots: Vec<Mutex<Vec<Box<Packet>>>> = (0..producers)
        .map(|_| Mutex::new(Vec::with_capacity(share)))
        .collect();
    let mut received = packets(total);
    let go = CachePadded::new(AtomicUsize::new(0));
    let done = CachePadded::new(AtomicUsize::new(0));
    let mut elapsed = Duration::ZERO;
    let pinned = pinning();
    std::thread::scope(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let producer = queue.producer();
            let (go, done) = (&go, &done);
            s.spawn(move || {
                if pinned {
                    pin(Some(i));
                }
                for round in 1..=rounds as usize {
                    let backoff = Backoff::new();
                    // Acquire: pairs with the consumer's Release store of `round`.
                    while go.load(Acquire) < round {
                        backoff.snooze();
                    }
                    let mut share = slot.lock().unwrap();
                    how.produce(&producer, &mut share);
                    drop(share);
                    // Release: pairs with the consumer's Acquire load of `done`, so the
                    // enqueues are complete when it drains.
                    done.fetch_add(1, Release);
                }
            });
        }
        let mut consumer = queue.consumer();
        for round in 1..=rounds as usize {
            for slot in &slots {
                let mut slot = slot.lock().unwrap();
                slot.extend(received.drain(received.len() - share..));
            }
            let start = Instant::now();
            // Release: pairs with the producers' Acquire loads of `go`.
            go.store(round, Release);
            // Acquire: pairs with each producer's Release increment.
            while done.load(Acquire) < round * producers {
                std::thread::yield_now();
            }
            elapsed += start.elapsed();
            while received.len() < total {
                if let Some(packet) = Q::pop(&mut consumer) {
                    received.push(packet);
                }
            }
        }
    });
    elapsed
}
