//! One worker serving many queues: the cost per packet of finding the queues that have packets,
//! with 1, 100 and 10,000 queues, for `ReadySet` and the ways users build it without one.
//!
//! `cargo run --release -p intrusive-mpsc-perf --bin many_queues -- [runs] [filter]` (default 15
//! runs; with a filter, only the rows whose scenario, subject or queue count contains it).
//! `BENCH_PIN=1` pins the threaded scenario's worker and producer to distinct cores.
//!
//! The subjects, each moving the crate's 64-byte `Box<Packet>` (allocated before timing) to a
//! worker that takes at most [`BUDGET`] packets from a queue per turn:
//! - `ReadySet`: the worker sleeps in `next_blocking` and drains each `Ready` guard;
//! - `ReadySet, spin then sleep`: the same, but the worker first polls `next` with crossbeam's
//!   `Backoff` (spin, then yield) and sleeps only when that runs out, as crossbeam's channel
//!   `recv` does;
//! - `scan`: plain `Queue`s, and a worker that goes round all of them with `try_dequeue` (through
//!   `drain`), spinning then yielding (crossbeam's `Backoff`) after a round that found nothing;
//! - `crossbeam ids, on transition`: plain `Queue`s, a `scheduled` flag per queue, and a
//!   crossbeam channel of queue indices: the producer sends the index when its swap of the flag
//!   finds it clear (the queue went from idle to having packets); the worker `recv`s an index,
//!   drains that queue with the budget, sends the index again if packets are left, and otherwise
//!   clears the flag and checks the queue once more (the usual no-lost-wake-up dance);
//! - `crossbeam ids, every packet`: the producer sends the index with every packet; the worker
//!   takes one packet per index received;
//! - `tokio mpsc + select_all`: a tokio unbounded channel per queue, merged with
//!   `futures_util::stream::select_all` (a `FuturesUnordered` of the receivers, so only woken
//!   receivers are polled), awaited on a current-thread runtime.
//!
//! Three scenarios, each reported as nanoseconds per packet, median and quartiles of interleaved
//! runs (the rows' order rotates each run):
//! - `one-queue`: one thread sends [`SPARSE_BURST`] packets to one random queue and then serves
//!   until it has them all, again and again: one queue has packets at a time, and the rest are
//!   idle, whatever their number. No cross-thread traffic: the CPU cost of the mechanism, and how
//!   it grows with idle queues alone.
//! - `sparse`: the same, but each of the 16 packets goes to a random queue: a worker that keeps up,
//!   with up to 16 queues (one, when there is one) to schedule per burst.
//! - `threaded`: a producer thread sends [`THREADED_PACKETS`] packets to random queues as fast as it
//!   can while the worker thread serves them; the time runs from the start until the worker has
//!   every packet.

// Each packet is its own heap allocation on purpose: that is the payload every subject moves.
#![allow(clippy::vec_box)]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_utils::Backoff;
use futures_util::stream::{select_all, SelectAll, StreamExt};
use intrusive_mpsc::{Consumer, Next, Queue, ReadySet, Worker};
use intrusive_mpsc_perf::{packets, pin, pinning, Packet};

/// The most packets a worker takes from one queue per turn.
const BUDGET: usize = 64;
/// Packets per round of the sparse scenario.
const SPARSE_BURST: usize = 16;
/// Packets per sample of the sparse scenario.
const SPARSE_PACKETS: usize = 1 << 14;
/// Packets per sample of the threaded scenario.
const THREADED_PACKETS: usize = 1 << 16;
/// The queue counts compared.
const QUEUE_COUNTS: [usize; 3] = [1, 100, 10_000];

/// One way of serving many queues with one worker.
trait Subject: Sync + Sized {
    /// Name in reports.
    const NAME: &'static str;
    /// The worker's state, made on the worker's thread.
    type Worker<'a>
    where
        Self: 'a;
    /// `queues` empty queues.
    fn new(queues: usize) -> Self;
    /// A producer's send of `packet` to queue `index`.
    fn send(&self, index: usize, packet: Box<Packet>);
    /// The worker, once per sample.
    fn worker(&self) -> Self::Worker<'_>;
    /// Serves until `n` more packets have been taken out, moving each (after reading it) to `out`.
    /// Waits (sleeping or spinning, as the subject's users do) while nothing is there; exactly `n`
    /// packets are in flight when it is called.
    fn serve(worker: &mut Self::Worker<'_>, n: usize, out: &mut Vec<Box<Packet>>);
}

/// Reads a packet the worker took, as a real worker would, and keeps it for the next round.
#[inline]
fn take(packet: Box<Packet>, out: &mut Vec<Box<Packet>>) {
    std::hint::black_box(packet.read());
    out.push(packet);
}

/// `ReadySet`: the producer whose packet ends a queue's idle period schedules it. With `SPIN`, the
/// worker spins, then yields (crossbeam's `Backoff`, as crossbeam's channel does before it
/// sleeps) before it sleeps in `next_blocking`; without, it goes straight to `next_blocking`.
struct Ready<const SPIN: bool = false>(ReadySet<Packet>);

impl<const SPIN: bool> Subject for Ready<SPIN> {
    const NAME: &'static str = if SPIN {
        "ReadySet, spin then sleep"
    } else {
        "ReadySet"
    };
    type Worker<'a> = Worker<'a, Packet>;

    fn new(queues: usize) -> Self {
        Ready(ReadySet::new(queues))
    }

    #[inline]
    fn send(&self, index: usize, packet: Box<Packet>) {
        self.0.enqueue(index, packet);
    }

    fn worker(&self) -> Worker<'_, Packet> {
        self.0.worker().expect("one worker")
    }

    fn serve(worker: &mut Worker<'_, Packet>, n: usize, out: &mut Vec<Box<Packet>>) {
        let backoff = Backoff::new();
        let mut taken = 0;
        while taken < n {
            let mut ready = if !SPIN {
                held(worker.next_blocking())
            } else if let Some(ready) = worker.next() {
                backoff.reset();
                ready
            } else if backoff.is_completed() {
                backoff.reset();
                held(worker.next_blocking())
            } else {
                backoff.snooze();
                continue;
            };
            for packet in ready.drain().take(BUDGET) {
                take(packet, out);
                taken += 1;
            }
        }
    }
}

/// The member a worker's `next_blocking` held: the benchmark never wakes or closes its set.
#[inline]
fn held<H>(next: Next<H>) -> H {
    match next {
        Next::Ready(held) => held,
        Next::Woken | Next::Closed => unreachable!("the benchmark never wakes or closes the set"),
    }
}

/// Plain queues and a worker that looks at every one of them in turn.
struct Scan(Vec<Queue<Packet>>);

/// The scanning worker: a consumer per queue, and where its round stopped.
struct ScanWorker<'a> {
    consumers: Vec<Consumer<&'a Queue<Packet>>>,
    next: usize,
}

impl Subject for Scan {
    const NAME: &'static str = "scan";
    type Worker<'a> = ScanWorker<'a>;

    fn new(queues: usize) -> Self {
        Scan((0..queues).map(|_| Queue::new()).collect())
    }

    #[inline]
    fn send(&self, index: usize, packet: Box<Packet>) {
        self.0[index].enqueue(packet);
    }

    fn worker(&self) -> ScanWorker<'_> {
        ScanWorker {
            consumers: self
                .0
                .iter()
                .map(|q| q.consumer().expect("one consumer"))
                .collect(),
            next: 0,
        }
    }

    fn serve(worker: &mut ScanWorker<'_>, n: usize, out: &mut Vec<Box<Packet>>) {
        let backoff = Backoff::new();
        let count = worker.consumers.len();
        let (mut taken, mut idle) = (0, 0);
        while taken < n {
            let consumer = &mut worker.consumers[worker.next];
            worker.next = (worker.next + 1) % count;
            let before = taken;
            for packet in consumer.drain().take(BUDGET) {
                take(packet, out);
                taken += 1;
            }
            if taken == before {
                idle += 1;
                if idle == count {
                    // A whole round found nothing.
                    backoff.snooze();
                    idle = 0;
                }
            } else {
                idle = 0;
                backoff.reset();
            }
        }
    }
}

/// Plain queues, a flag per queue, and a crossbeam channel of the indices of scheduled queues.
struct IdsOnTransition {
    queues: Vec<(Queue<Packet>, AtomicBool)>,
    ids: (
        crossbeam_channel::Sender<usize>,
        crossbeam_channel::Receiver<usize>,
    ),
}

impl Subject for IdsOnTransition {
    const NAME: &'static str = "crossbeam ids, on transition";
    type Worker<'a> = (&'a Self, Vec<Consumer<&'a Queue<Packet>>>);

    fn new(queues: usize) -> Self {
        IdsOnTransition {
            queues: (0..queues)
                .map(|_| (Queue::new(), AtomicBool::new(false)))
                .collect(),
            ids: crossbeam_channel::unbounded(),
        }
    }

    #[inline]
    fn send(&self, index: usize, packet: Box<Packet>) {
        let (queue, scheduled) = &self.queues[index];
        queue.enqueue(packet);
        // AcqRel, a read-modify-write: if the worker's clearing swap came first we read `false`
        // and schedule; if ours came first, the worker's swap acquires our enqueue and its
        // re-check sees the packet.
        if !scheduled.swap(true, Ordering::AcqRel) {
            self.ids.0.send(index).expect("the worker holds a receiver");
        }
    }

    fn worker(&self) -> Self::Worker<'_> {
        let consumers = self
            .queues
            .iter()
            .map(|(q, _)| q.consumer().expect("one consumer"))
            .collect();
        (self, consumers)
    }

    fn serve((this, consumers): &mut Self::Worker<'_>, n: usize, out: &mut Vec<Box<Packet>>) {
        let mut taken = 0;
        while taken < n {
            let index = this.ids.1.recv().expect("the set holds a sender");
            let consumer = &mut consumers[index];
            for packet in consumer.drain().take(BUDGET) {
                take(packet, out);
                taken += 1;
            }
            if !consumer.is_empty() {
                // Over budget (or a producer is mid-enqueue): to the back of the line.
                this.ids.0.send(index).expect("we hold a receiver");
                continue;
            }
            let scheduled = &this.queues[index].1;
            // AcqRel: see `send`.
            scheduled.swap(false, Ordering::AcqRel);
            if !consumer.is_empty() && !scheduled.swap(true, Ordering::AcqRel) {
                this.ids.0.send(index).expect("we hold a receiver");
            }
        }
    }
}

/// Plain queues and a crossbeam channel that carries a queue's index with every packet.
struct IdsEveryPacket {
    queues: Vec<Queue<Packet>>,
    ids: (
        crossbeam_channel::Sender<usize>,
        crossbeam_channel::Receiver<usize>,
    ),
}

impl Subject for IdsEveryPacket {
    const NAME: &'static str = "crossbeam ids, every packet";
    type Worker<'a> = (&'a Self, Vec<Consumer<&'a Queue<Packet>>>);

    fn new(queues: usize) -> Self {
        IdsEveryPacket {
            queues: (0..queues).map(|_| Queue::new()).collect(),
            ids: crossbeam_channel::unbounded(),
        }
    }

    #[inline]
    fn send(&self, index: usize, packet: Box<Packet>) {
        self.queues[index].enqueue(packet);
        self.ids.0.send(index).expect("the worker holds a receiver");
    }

    fn worker(&self) -> Self::Worker<'_> {
        let consumers = self
            .queues
            .iter()
            .map(|q| q.consumer().expect("one consumer"))
            .collect();
        (self, consumers)
    }

    fn serve((this, consumers): &mut Self::Worker<'_>, n: usize, out: &mut Vec<Box<Packet>>) {
        for _ in 0..n {
            let index = this.ids.1.recv().expect("the set holds a sender");
            // The index was sent after the packet's enqueue returned: `dequeue` finds it.
            let packet = consumers[index].dequeue().expect("sent before its index");
            take(packet, out);
        }
    }
}

/// A tokio receiver as a `Stream`, for `select_all`.
struct Receiver(tokio::sync::mpsc::UnboundedReceiver<Box<Packet>>);

impl futures_core::Stream for Receiver {
    type Item = Box<Packet>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Box<Packet>>> {
        self.get_mut().0.poll_recv(cx)
    }
}

/// A tokio unbounded channel per queue, merged with `select_all`.
struct TokioSelectAll {
    senders: Vec<tokio::sync::mpsc::UnboundedSender<Box<Packet>>>,
    receivers: Mutex<Option<Vec<Receiver>>>,
}

/// The tokio worker: a current-thread runtime and the merged receivers.
struct TokioWorker {
    runtime: tokio::runtime::Runtime,
    merged: SelectAll<Receiver>,
}

impl Subject for TokioSelectAll {
    const NAME: &'static str = "tokio mpsc + select_all";
    type Worker<'a> = TokioWorker;

    fn new(queues: usize) -> Self {
        let (senders, receivers) = (0..queues)
            .map(|_| {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (tx, Receiver(rx))
            })
            .unzip();
        TokioSelectAll {
            senders,
            receivers: Mutex::new(Some(receivers)),
        }
    }

    #[inline]
    fn send(&self, index: usize, packet: Box<Packet>) {
        self.senders[index]
            .send(packet)
            .unwrap_or_else(|_| panic!("the worker holds every receiver"));
    }

    fn worker(&self) -> TokioWorker {
        let receivers = self
            .receivers
            .lock()
            .expect("not poisoned")
            .take()
            .expect("one worker");
        TokioWorker {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime"),
            merged: select_all(receivers),
        }
    }

    fn serve(worker: &mut TokioWorker, n: usize, out: &mut Vec<Box<Packet>>) {
        let merged = &mut worker.merged;
        worker.runtime.block_on(async {
            for _ in 0..n {
                let packet = merged.next().await.expect("every sender is alive");
                take(packet, out);
            }
        });
    }
}

/// A small, fast, deterministic random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    #[inline]
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// Nanoseconds per packet, one thread: bursts of [`SPARSE_BURST`] packets, each to a random queue,
/// each burst served before the next.
fn sparse<S: Subject>(queues: usize) -> f64 {
    bursts::<S, true>(queues)
}

/// As [`sparse`], but each burst goes to one random queue: one queue has packets at a time,
/// whatever the number of queues, so only the idle ones differ.
fn one_queue<S: Subject>(queues: usize) -> f64 {
    bursts::<S, false>(queues)
}

/// Nanoseconds per packet, one thread: bursts of [`SPARSE_BURST`] packets to random queues (a
/// queue per packet when `SPREAD`, else one per burst), each burst served before the next.
fn bursts<S: Subject, const SPREAD: bool>(queues: usize) -> f64 {
    let subject = S::new(queues);
    let mut worker = subject.worker();
    let mut rng = Rng::new(queues as u64);
    let mut pool = packets(SPARSE_BURST);
    let mut out = Vec::with_capacity(SPARSE_BURST);
    let mut round = |pool: &mut Vec<Box<Packet>>, out: &mut Vec<Box<Packet>>| {
        let mut index = rng.below(queues);
        for mut packet in pool.drain(..) {
            packet.fill();
            if SPREAD {
                index = rng.below(queues);
            }
            subject.send(index, packet);
        }
        S::serve(&mut worker, SPARSE_BURST, out);
        std::mem::swap(pool, out);
    };
    // One untimed pass over as many rounds, so that every queue the timed rounds touch has been
    // touched once (first-touch page faults, lazily allocated channel blocks).
    let rounds = SPARSE_PACKETS / SPARSE_BURST;
    for _ in 0..rounds {
        round(&mut pool, &mut out);
    }
    let start = Instant::now();
    for _ in 0..rounds {
        round(&mut pool, &mut out);
    }
    start.elapsed().as_nanos() as f64 / (rounds * SPARSE_BURST) as f64
}

/// Nanoseconds per packet, a producer thread and the worker thread: [`THREADED_PACKETS`] packets
/// to random queues, from the start until the worker has them all.
fn threaded<S: Subject>(queues: usize) -> f64 {
    let subject = S::new(queues);
    let pool = packets(THREADED_PACKETS);
    let start = Barrier::new(2);
    let pinned = pinning();
    let elapsed: Duration = thread::scope(|s| {
        let worker = s.spawn(|| {
            if pinned {
                pin(Some(0));
            }
            let mut worker = subject.worker();
            let mut out = Vec::with_capacity(THREADED_PACKETS);
            start.wait();
            let begin = Instant::now();
            S::serve(&mut worker, THREADED_PACKETS, &mut out);
            (begin, Instant::now())
        });
        if pinned {
            pin(Some(1));
        }
        let mut rng = Rng::new(queues as u64);
        start.wait();
        for mut packet in pool {
            packet.fill();
            subject.send(rng.below(queues), packet);
        }
        let (begin, end) = worker.join().expect("the worker finished");
        if pinned {
            pin(None);
        }
        end - begin
    });
    elapsed.as_nanos() as f64 / THREADED_PACKETS as f64
}

/// One row of the report: a scenario, a queue count, a subject, and its samples.
struct Row {
    scenario: &'static str,
    queues: usize,
    subject: &'static str,
    sample: fn(usize) -> f64,
    samples: Vec<f64>,
}

impl Row {
    fn new<S: Subject>(scenario: &'static str, queues: usize, sample: fn(usize) -> f64) -> Self {
        Row {
            scenario,
            queues,
            subject: S::NAME,
            sample,
            samples: Vec::new(),
        }
    }

    fn sorted(&self) -> Vec<f64> {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        s
    }

    fn median(&self) -> f64 {
        let s = self.sorted();
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    }

    fn quantile(&self, q: f64) -> f64 {
        let s = self.sorted();
        s[(q * (s.len() - 1) as f64).round() as usize]
    }
}

/// A row per subject for one scenario (`$f`, one of [`sparse`] and [`threaded`]) and queue
/// count.
macro_rules! subjects {
    ($scenario:literal, $f:ident, $queues:expr) => {
        vec![
            Row::new::<Ready>($scenario, $queues, $f::<Ready>),
            Row::new::<Ready<true>>($scenario, $queues, $f::<Ready<true>>),
            Row::new::<Scan>($scenario, $queues, $f::<Scan>),
            Row::new::<IdsOnTransition>($scenario, $queues, $f::<IdsOnTransition>),
            Row::new::<IdsEveryPacket>($scenario, $queues, $f::<IdsEveryPacket>),
            Row::new::<TokioSelectAll>($scenario, $queues, $f::<TokioSelectAll>),
        ]
    };
}

/// Every row: both scenarios, every queue count, every subject.
fn table() -> Vec<Row> {
    let mut rows = Vec::new();
    for queues in QUEUE_COUNTS {
        rows.extend(subjects!("one-queue", one_queue, queues));
    }
    for queues in QUEUE_COUNTS {
        rows.extend(subjects!("sparse", sparse, queues));
    }
    for queues in QUEUE_COUNTS {
        rows.extend(subjects!("threaded", threaded, queues));
    }
    rows
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map(|r| r.parse().expect("runs: a number"))
        .unwrap_or(15);
    let filter = args.next();
    let mut table: Vec<Row> = table()
        .into_iter()
        .filter(|row| {
            filter.as_deref().is_none_or(|f| {
                row.scenario.contains(f) || row.subject.contains(f) || row.queues.to_string() == f
            })
        })
        .collect();
    eprintln!(
        "{} rows, {runs} interleaved runs{}",
        table.len(),
        if pinning() { ", pinned" } else { "" }
    );
    // One untimed run first: code, allocator and page caches warm for every row.
    for row in &table {
        let _ = (row.sample)(row.queues);
    }
    let mut order: VecDeque<usize> = (0..table.len()).collect();
    for run in 0..runs {
        for &i in &order {
            let row = &mut table[i];
            let sample = (row.sample)(row.queues);
            row.samples.push(sample);
        }
        order.rotate_left(1);
        eprint!("\rrun {}/{runs}", run + 1);
    }
    eprintln!();

    println!(
        "{:<10} {:>6}  {:<30} {:>9} {:>9} {:>9}  (ns per packet)",
        "scenario", "queues", "subject", "median", "q1", "q3"
    );
    for row in &table {
        println!(
            "{:<10} {:>6}  {:<30} {:>9.1} {:>9.1} {:>9.1}",
            row.scenario,
            row.queues,
            row.subject,
            row.median(),
            row.quantile(0.25),
            row.quantile(0.75)
        );
    }

    // The targets: ReadySet at 10,000 queues within 1.2x of one queue, and at least 3x faster
    // than tokio + select_all at 10,000.
    let median = |scenario: &str, queues: usize, subject: &str| {
        table
            .iter()
            .find(|r| r.scenario == scenario && r.queues == queues && r.subject == subject)
            .map(Row::median)
    };
    println!();
    for scenario in ["one-queue", "sparse", "threaded"] {
        if let (Some(one), Some(many)) = (
            median(scenario, 1, Ready::<false>::NAME),
            median(scenario, 10_000, Ready::<false>::NAME),
        ) {
            println!(
                "{scenario}: ReadySet, 10,000 queues / 1 queue = {:.2}x (target <= 1.2x)",
                many / one
            );
        }
        if let (Some(ours), Some(tokio)) = (
            median(scenario, 10_000, Ready::<false>::NAME),
            median(scenario, 10_000, TokioSelectAll::NAME),
        ) {
            println!(
                "{scenario}: at 10,000 queues, tokio + select_all / ReadySet = {:.2}x (target >= 3x)",
                tokio / ours
            );
        }
    }
}
