//! An intrusive, lock-free, multi-producer single-consumer queue that never allocates.
//!
//! Put one [`Link`] field in your own message, packet or task type, declare the type a [`Node`]
//! with one line of [`node!`], and any number of threads can [`enqueue`](Queue::enqueue) owned
//! nodes while one [`Consumer`] takes them out in FIFO order. Bounded, sleeping, cache-padded and
//! owned-consumer variants are type parameters of the same [`Queue`] (see
//! [which queue do I need](#which-queue-do-i-need)). The queue threads nodes together
//! through their links: no ring to size, no block to allocate, no lock, and it works with
//! `#![no_std]` and without an allocator.
//!
//! ```
//! use intrusive_mpsc::{node, Link, Queue};
//!
//! struct Packet {
//!     link: Link, // the one spare pointer the queue uses
//!     len: usize,
//! }
//! node!(Packet, link, Box<Packet>);
//!
//! let queue = Queue::<Packet>::new(); // no allocation, `const`
//! std::thread::scope(|s| {
//!     s.spawn(|| queue.enqueue(Box::new(Packet { link: Link::new(), len: 1420 })));
//! });
//! let mut consumer = queue.consumer().expect("one consumer at a time");
//! assert_eq!(consumer.dequeue().map(|p| p.len), Some(1420));
//! ```
//!
//! # The algorithm
//!
//! This is Dmitry Vyukov's intrusive MPSC node-based queue, the design the Linux WireGuard driver
//! adopted for its per-peer packet queues in place of ring buffers, threading packets through a
//! pointer each one had spare (`skb->prev`).
//!
//! The queue is a singly linked list from the consumer's end (`tail`, oldest) to the producers'
//! end (`head`, newest). A *stub* stands for "nothing here", so neither end is ever null.
//!
//! - **Enqueue** (any thread, wait-free): clear the node's link, atomically swap the node into
//!   `head`, then store the node into the previous head's link.
//! - **Dequeue** (the single consumer, no read-modify-write on its fast path): follow the link of
//!   `tail`; step over the stub if it is there; when the node at `tail` has a successor, advance
//!   and return it. When it is the last node, re-enqueue the stub behind it, so that it gets a
//!   successor and can be taken out.
//!
//! Our stub is not a node you provide. It is named by a sentinel address and its link lives inside
//! the [`Queue`], so nothing ever points into the queue: a queue can be moved (returned, boxed,
//! put in a `static`) with nodes inside, without `Pin`.
//!
//! # The window of inconsistency
//!
//! Between a producer's swap and its link store, `head` already reaches the new node but the
//! list does not: the consumer cannot get past the previous node. Vyukov's and WireGuard's
//! consumers return "nothing" there, exactly as when the queue is empty. This crate tells the two
//! apart ([`TryDequeueError`]):
//!
//! - [`Empty`](TryDequeueError::Empty): nothing is queued and no *completed* enqueue is pending.
//!   A consumer may go to sleep on it without stranding a node.
//! - [`Inconsistent`](TryDequeueError::Inconsistent): a producer is mid-enqueue. The queue is not
//!   empty; even nodes whose enqueue has completed can be hidden behind the unfinished one. The
//!   consumer should retry ([`Consumer::dequeue`] spins, then yields) or be sure that the
//!   producer will wake it once its `enqueue` returns.
//!
//! Hence the one rule for consumers that sleep: **the producer wakes the consumer after
//! `enqueue` returns**, never before. A consumer that sleeps on `Empty` and is woken that way
//! never misses a node.
//!
//! # Which queue do I need?
//!
//! One type, [`Queue<N, B, W, L>`](Queue), with three independent choices; each costs nothing
//! when it is not taken, and every combination works. The common kinds have names; the table
//! names them, and the crate's other tools, by what you need:
//!
#![doc = include_str!("which_queue.md")]
//!
//! The parameters, each a sealed trait with two marker types:
//!
//! - [`Capacity`]: [`Unbounded`] (default) or [`Bounded`]. Every queue has
//!   [`try_enqueue`](Queue::try_enqueue) (always `Ok` when unbounded), so code can be generic over
//!   the capacity; unbounded queues also have [`enqueue`](Queue::enqueue), which cannot fail.
//! - [`Waiting`]: [`NoWait`] (default: the consumer polls) or [`Wait`] (it can also block, time out
//!   or await, and [`notify`](Queue::notify) / [`wait_blocking`][Consumer::wait_blocking] serve a consumer that waits
//!   for its peeked node to become ready).
//! - [`Layout`]: [`Compact`] (default: one block, for many queues) or [`Padded`] (each end on its
//!   own cache line).
//!
//! There is one [`Consumer`] for all of them, holding the queue either borrowed
//! ([`Queue::consumer`]) or through an `Arc` ([`Queue::consumer_owned`]); see [`QueueRef`]. Code
//! generic over every queue takes a `&Queue<N, B, W, L>` with `B: Capacity, W: Waiting,
//! L: Layout`, or a `&mut Consumer<Q>` with `Q: QueueRef<Node = N>`.
//!
//! ```
//! use std::sync::Arc;
//! use intrusive_mpsc::{node, BoundedWaitQueue, Link};
//!
//! struct Packet {
//!     link: Link,
//!     seq: u32,
//! }
//! node!(Packet, link, Box<Packet>);
//!
//! // A peer's transmit queue: at most 1024 packets, and a sender that sleeps while it is empty.
//! let queue = Arc::new(BoundedWaitQueue::<Packet>::with_capacity(1024));
//! let mut sender = Arc::clone(&queue).consumer_owned().expect("one consumer");
//! let worker = std::thread::spawn(move || {
//!     let mut next = 0;
//!     while next < 3 {
//!         assert_eq!(sender.dequeue_blocking().seq, next);
//!         next += 1;
//!     }
//! });
//! for seq in 0..3 {
//!     if let Err(dropped) = queue.try_enqueue(Box::new(Packet { link: Link::new(), seq })) {
//!         unreachable!("room for 1024, dropped {}", dropped.seq);
//!     }
//! }
//! worker.join().unwrap();
//! ```
//!
//! # What this crate does not do
//!
//! - **Several consumers**: each queue has exactly one consumer at a time.
//! - **Producers that wait for room, on a queue**: a full bounded queue refuses the node and
//!   hands it back; nothing blocks a producer. The bounded [channel][channel()] adds that
//!   wait on top (`send(node).await`, `send_blocking`).
//! - **A consumer that never waits for a producer**: a producer preempted between the two steps of
//!   its enqueue hides its node, and every node after it, until it runs again. Producers are
//!   wait-free; the consumer is not ([`Inconsistent`](TryDequeueError::Inconsistent) says when this
//!   happens).
//! - **Values that are not already allocated nodes**: the queue links nodes you own; if your
//!   messages are small values, a ring of values avoids the allocation per message that an
//!   intrusive queue makes you do.
//! - **Shared nodes**: a node travels as a unique owning handle, never as `&T`, `Rc` or `Arc`.
//!
//! # Batches
//!
//! A [`Batch`] is a chain a producer links privately through the nodes' own links;
//! [`enqueue_batch`](Queue::enqueue_batch) splices it in with one swap and one store, whatever its
//! length. The consumer gets it in order and contiguous, with no other producer's node in
//! between. On a bounded queue, [`try_enqueue_batch`](Queue::try_enqueue_batch) takes it all or
//! nothing, and a [`Reservation`] ([`try_reserve`](Queue::try_reserve)) claims room for several
//! nodes without chaining them first: its enqueues touch no counter, and the room it leaves
//! unused is given back when it is dropped.
//!
//! ```
//! use intrusive_mpsc::{node, Batch, BoundedQueue, Link};
//!
//! struct Packet {
//!     link: Link,
//!     seq: u32,
//! }
//! node!(Packet, link, Box<Packet>);
//!
//! let queue = BoundedQueue::<Packet>::with_capacity(4);
//! let burst: Batch<Packet> = (0..3).map(|seq| Box::new(Packet { link: Link::new(), seq })).collect();
//! assert!(queue.try_enqueue_batch(burst).is_ok());
//! let more: Batch<Packet> = (3..5).map(|seq| Box::new(Packet { link: Link::new(), seq })).collect();
//! assert_eq!(queue.try_enqueue_batch(more).unwrap_err().len(), 2, "all or nothing");
//! let seqs: Vec<u32> = queue.consumer().unwrap().drain().map(|p| p.seq).collect();
//! assert_eq!(seqs, [0, 1, 2]);
//! ```
//!
//! # Waiting consumers and the channel
//!
//! A queue with [`Wait`] lets its consumer sleep while the queue is empty:
//! [`dequeue_blocking`][Consumer::dequeue_blocking] and
//! [`dequeue_timeout_blocking`][Consumer::dequeue_timeout_blocking] park the thread (feature `std`),
//! [`poll_dequeue`](Consumer::poll_dequeue) and [`dequeue_async`](Consumer::dequeue_async) suspend
//! an async task. The consumer parks by swapping a second sentinel for the stub in the head with a
//! compare-and-swap that only succeeds on an empty queue; the producer whose swap returns that
//! sentinel wakes it. No wake-up is lost, a producer mid-enqueue makes the park fail, and
//! producers pay nothing while the consumer is awake. This works the same on a bounded queue: a
//! refused enqueue does not touch the head, so it neither wakes nor strands the consumer.
//!
//! [`channel::unbounded_channel`] and [`channel(capacity)`][channel()] (feature `alloc`; tokio's
//! names) wrap a waiting queue in an `Arc`:
//! cloneable [`Sender`][channel::Sender]s, one [`Receiver`][channel::Receiver] that learns when
//! every sender is gone, `rx.recv().await` in async tasks and `rx.recv_blocking()` on threads,
//! closing as in tokio, and on the bounded channel senders that wait for room
//! (`tx.send(node).await`, `tx.send_blocking(node)`).
//!
//! ```
//! use intrusive_mpsc::{node, Link, WaitQueue};
//!
//! struct Job {
//!     link: Link,
//!     id: u32,
//! }
//! node!(Job, link, Box<Job>);
//!
//! let queue = WaitQueue::<Job>::new();
//! std::thread::scope(|s| {
//!     s.spawn(|| queue.enqueue(Box::new(Job { link: Link::new(), id: 7 })));
//!     // Sleeps until the producer's enqueue wakes it.
//!     assert_eq!(queue.consumer().unwrap().dequeue_blocking().id, 7);
//! });
//! ```
//!
//! # Memory ordering
//!
//! | operation | ordering | pairs with |
//! |---|---|---|
//! | producer clears its node's link | `Relaxed` | published by its own swap |
//! | producer swaps `head` | `AcqRel` | the previous and the next swap of `head` |
//! | producer stores into the previous node's link | `Release` | the consumer's `Acquire` load of that link |
//! | consumer loads a link | `Acquire` | the producer's link store |
//! | consumer loads `head` to tell `Empty` from `Inconsistent` | `Relaxed` | coherence only: never dereferenced |
//! | consumer re-enqueues the stub | as a producer | as a producer |
//! | [`Queue::consumer`] / [`consumer_owned`][Queue::consumer_owned] claims the flag | `Acquire` | the `Release` store when a [`Consumer`] drops |
//! | a bounded queue's producer reads the consumer's count | `Acquire` | the consumer's `Release` store of its count after each hand-over |
//! | a waiting consumer marks the head "asleep" (CAS) | `Release` | the `Acquire` half of the swap of the producer that finds the mark, so it sees the consumer's waker |
//!
//! The swap must acquire as well as release. Its `Release` half publishes the producer's cleared
//! link to the next producer, whose swap's `Acquire` half reads it (the swaps of one atomic form a
//! release sequence). With a release-only swap, a producer's store into its predecessor's link
//! could come before the predecessor's own "clear my link" store in that link's modification
//! order; the clear would then erase it, and the node, with every node after it, would be lost.
//! The Linux kernel's `xchg_release` is saved by address-dependency ordering, which Rust's memory
//! model does not promise. On x86-64 both compile to the same `xchg` instruction. The same
//! `Acquire` half lets the producer that replaces a sleeping consumer's mark see the consumer's
//! waker (the table's last row).
//!
//! # Handles and soundness
//!
//! A node enters the queue as an owning [`Handle`]: `Box<T>`, `Pin<Box<T>>` (feature `alloc`),
//! `&'static mut T` (nodes from a static pool, no allocator), or a [`RawHandle<T>`] for memory you
//! manage yourself, whose creation is `unsafe`. A handle is the only path to its node and
//! `enqueue` consumes it, so safe code cannot put a node into two queues, or one queue twice.
//! Shared pointers (`&T`, `Rc`, `Arc`) are not handles for that reason. A queue is `Send` and
//! `Sync` only when its handles are `Send`.
//!
//! # Embedded targets and interrupt handlers
//!
//! The queue needs an atomic pointer swap and compare-and-swap (`target_has_atomic = "ptr"`):
//! every 32- and 64-bit target Rust supports with atomics, Cortex-M3 and up (`thumbv7m`,
//! `thumbv7em`, `thumbv8m`) included. Targets without atomic read-modify-writes (Cortex-M0,
//! `thumbv6m`, and RISC-V cores without the A extension) are not supported.
//!
//! **In an interrupt handler, use [`try_dequeue`](Consumer::try_dequeue), never
//! [`dequeue`](Consumer::dequeue) or [`peek`](Consumer::peek).** On a single core, a handler that
//! consumes and interrupts a producer between the two steps of its enqueue sees
//! [`Inconsistent`](TryDequeueError::Inconsistent) until it returns, because the producer cannot
//! run again before that; `dequeue` would spin forever. Return from the handler and look again
//! later (the producer can pend the interrupt after its enqueue returns). Producers may run in
//! handlers freely: an enqueue never waits.
//!
//! With the `critical-section` feature, each enqueue's swap and link store run inside one
//! [`critical_section::with`](https://docs.rs/critical-section), as NuttX's MPSC queue disables
//! interrupts around the same two steps: on a single-core target a handler then never sees a
//! producer mid-enqueue, so `Inconsistent` cannot happen there. It costs the platform's critical
//! section (on Cortex-M, reading PRIMASK, `cpsid` and a conditional `cpsie`) per enqueue, and does
//! nothing for producers on other cores.
//!
//! The feature only *uses* critical sections; one crate of the build must *provide* them (the
//! `critical-section` crate's `acquire`/`release` symbols), or linking fails with
//! `undefined symbol: _critical_section_1_0_acquire`. On the target, that is your HAL or RTOS
//! crate (for example `cortex-m` with its `critical-section-single-core` feature). For tests that
//! run on the host (`cargo test --features critical-section`), add the `std` implementation as a
//! dev-dependency, which holds a global lock instead of disabling interrupts:
//!
//! ```toml
//! [dev-dependencies]
//! critical-section = { version = "1.2", features = ["std"] }
//! ```
//!
//! A node pool for targets without an allocator is shown on [`Handle`]; `static` queues work
//! because [`Queue::new`] is `const`. So do `static` ready sets: a [`StaticReadySet`] holds its
//! members and is built by a `const fn`, so an interrupt handler enqueues into it directly, with
//! no once-cell and nothing claimed at start-up; the worker (a task, or the main loop) claims
//! [`worker`](StaticReadySet::worker) once and polls it with [`try_next`](Worker::try_next), or
//! awaits it with [`next_async`](Worker::next_async):
//!
//! ```
//! use intrusive_mpsc::{node, Link, Next, StaticReadySet};
//!
//! struct Frame {
//!     link: Link,
//!     len: usize,
//! }
//! node!(Frame, link, &'static mut Frame);
//!
//! /// One queue per UART; the first frame into an idle queue schedules it.
//! static UARTS: StaticReadySet<Frame, 4> = StaticReadySet::new();
//!
//! /// An interrupt handler: received a frame on UART `n` (taken from a static pool).
//! fn on_rx(n: usize, frame: &'static mut Frame) {
//!     UARTS.enqueue(n, frame); // never waits
//! }
//!
//! # static mut FRAME: Frame = Frame { link: Link::new(), len: 0 };
//! # // SAFETY: the only reference to `FRAME` ever made.
//! # let frame = unsafe { &mut *core::ptr::addr_of_mut!(FRAME) };
//! # frame.len = 12;
//! on_rx(2, frame);
//! let mut worker = UARTS.worker().expect("claimed once");
//! while let Some(Next::Ready(mut uart)) = worker.try_next() {
//!     let n = uart.index();
//!     for frame in uart.drain().take(8) {
//!         assert_eq!((n, frame.len), (2, 12)); // then back to the pool
//!     }
//! }
//! ```
//!
//! # Features
//!
//! - `std` (default): implies `alloc`; the blocking waits, and yielding the thread to the OS
//!   while waiting out a producer.
//! - `alloc`: the `Box<T>` and `Pin<Box<T>>` handles, the [channel][channel::unbounded_channel]
//!   (whose waiting senders allocate their place in a wait list), and [`ReadySet::new`] /
//!   [`ReadySet::with_capacity`], which
//!   allocate the members ([`ReadySet::from_static`] takes `static` ones instead, and a
//!   [`StaticReadySet`] holds its own), and
//!   [`DynamicSet`], whose members are added and removed at run time.
//! - `tokio`: implies `std`; a blocking call of the channel (`recv_blocking`, `send_blocking`,
//!   ...) panics instead of hanging when it is about to park a thread that runs a tokio runtime's
//!   tasks (see the [channel][mod@channel] module).
//! - `futures-core`: `Stream` for the channel's [`Receiver`][channel::Receiver] and for a
//!   [`Consumer`] whose queue can sleep.
//! - `critical-section`: enqueues run inside a critical section (see
//!   [interrupt handlers](#embedded-targets-and-interrupt-handlers)); your HAL provides it, and
//!   host tests need `critical-section`'s `std` feature as a dev-dependency.
//!
//! With `default-features = false`, the crate needs neither `std` nor `alloc`.
//!
//! # Model checking with loom
//!
//! Built with `RUSTFLAGS="--cfg loom"`, the queue uses [loom](https://docs.rs/loom)'s atomics and
//! cells, so your own loom models that contain our queue explore our interleavings too. Under loom,
//! [`Link::new`], [`Queue::new`] and [`Queue::with_capacity`] are not `const`. The README's
//! *Model checking with loom* is the recipe for a library with atomics of its own, and the
//! repository's `examples/loom-user` follows it.
//!
// Links to items that only exist with a feature are written as usual (on docs.rs, built with
// all features, they are intra-doc links); without the feature, a reference definition sends
// each to the list of features instead. Every module does the same.
#![cfg_attr(
    not(feature = "alloc"),
    doc = "[`Queue::consumer_owned`]: crate#features"
)]
#![cfg_attr(
    not(feature = "alloc"),
    doc = "[Queue::consumer_owned]: crate#features"
)]
#![cfg_attr(not(feature = "alloc"), doc = "[`OwnedConsumer`]: crate#features")]
#![cfg_attr(
    not(feature = "alloc"),
    doc = "[`channel::unbounded_channel`]: crate#features"
)]
#![cfg_attr(
    not(feature = "alloc"),
    doc = "[channel::unbounded_channel]: crate#features"
)]
#![cfg_attr(not(feature = "alloc"), doc = "[mod@channel]: crate#features")]
#![cfg_attr(not(feature = "alloc"), doc = "[channel()]: crate#features")]
#![cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet`]: crate#features")]
#![cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet<N, S>`]: crate#features")]
#![cfg_attr(not(feature = "alloc"), doc = "[channel::Sender]: crate#features")]
#![cfg_attr(not(feature = "alloc"), doc = "[channel::Receiver]: crate#features")]
#![cfg_attr(not(feature = "alloc"), doc = "[`ReadySet::new`]: crate#features")]
#![cfg_attr(
    not(feature = "alloc"),
    doc = "[`ReadySet::with_capacity`]: crate#features"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Consumer::wait_blocking]: crate#features"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Consumer::dequeue_blocking]: crate#features"
)]
#![cfg_attr(
    not(feature = "std"),
    doc = "[Consumer::dequeue_timeout_blocking]: crate#features"
)]
#![no_std]
// On docs.rs, badges say which items need the `alloc` or `std` feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

// The layers, bottom up. A module imports only from its own layer or the ones listed before it.
//
// The one switch between `core`, loom and shuttle: atomics, cells, fences, parking, backoff.
mod sync;
// What a queue links: `Link`, the `Node` trait and `node!`, the `Handle` kinds.
mod node;
// The algorithm on raw links (both hot paths), with the `Layout` choice it is built on.
mod raw;
// The other two choices: `Capacity` (bounded or not) and `Waiting` (can the consumer sleep), and
// the wait list the fronts' own waiters share (waiting senders, sleeping workers).
mod policy;
// `Queue` and its roles: producers, the `Consumer`, the sleeping consumer, batches, reservations.
mod queue;
// The fronts over queues: the channel and the ready sets (fixed and dynamic). Neither imports the
// other.
#[cfg(feature = "alloc")]
pub mod channel;
mod ready;

#[cfg(feature = "alloc")]
pub use channel::channel;
pub use node::handle::{Handle, RawHandle};
pub use node::link::Link;
pub use node::Node;
pub use policy::capacity::{Bounded, Capacity, Unbounded};
pub use policy::waiting::{NoWait, Wait, Waiting};
pub use queue::batch::{Batch, BatchIntoIter};
pub use queue::consumer::{Consumer, Drain, HandleOf, QueueOf, QueueRef};
#[cfg(feature = "alloc")]
pub use queue::owned::OwnedConsumer;
pub use queue::reserve::Reservation;
pub use queue::sleep::DequeueFuture;
pub use queue::{BoundedQueue, BoundedWaitQueue, PaddedQueue, Queue, WaitQueue};
pub use raw::layout::{Compact, Layout, Padded};
pub use raw::TryDequeueError;
#[cfg(feature = "alloc")]
pub use ready::{DynamicSet, HeldDrain, HeldMember, MemberHandle, NextFuture, SetWorker};
pub use ready::{FixedSet, Member, Next, Ready, ReadyDrain, ReadySet, StaticReadySet, Worker};
pub use ready::{StaticReady, StaticWorker};

/// The README's examples, compiled and run by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The "which queue" table has one home, `src/which_queue.md`: the crate docs include it, and the
/// README must show it word for word.
#[cfg(test)]
#[test]
fn readme_shows_the_which_queue_table() {
    assert!(
        include_str!("../README.md").contains(include_str!("which_queue.md")),
        "README.md's \"Which queue do I need?\" table differs from src/which_queue.md"
    );
}
