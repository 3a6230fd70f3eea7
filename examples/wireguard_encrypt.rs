//! WireGuard's transmit path, end to end: a skeleton to copy for a real packet pipeline.
//!
//! ```text
//! producers ──try_enqueue──▶ peer queue (BoundedWaitQueue, 1024) ──peek/take_peeked──▶ sender
//!     │                          ▲ the packet waits here, in order, while it is encrypted
//!     └──enqueue job──▶ worker queue (WaitQueue) ──▶ encryption worker ──ready + notify()──┘
//! ```
//!
//! - **Producers** (WireGuard's `wg_xmit` path) number each peer's packets in order and put each
//!   packet into its peer's queue *first*: that fixes its place in line. A full queue hands the
//!   packet back, and it is dropped and counted, as WireGuard drops past 1024 queued packets. Only
//!   an accepted packet becomes an encryption job, handed to the workers round robin.
//! - **Encryption workers** (WireGuard's per-CPU `wg_packet_encrypt_worker`) take jobs from their own
//!   `WaitQueue` (the queue has one consumer, so each worker has its own) and finish them out of
//!   order: jobs of one peer run on different workers and cost different amounts. A worker marks
//!   the packet ready and calls `notify()` on the packet's peer queue.
//! - **Senders** (WireGuard's per-peer `wg_packet_tx_worker`) `peek()` at the oldest packet of
//!   their peer. If it is not ready they `wait_blocking()` until a worker's `notify()`; then `take_peeked()`
//!   and send. Later packets that are already encrypted wait behind it: order is kept without a
//!   reordering buffer. (WireGuard's tx worker returns instead of sleeping, and the crypt worker
//!   reschedules it; `wait_blocking()`/`notify()` is the same hand-off for a thread.)
//!
//! Ownership: the peer queue owns the packet (a `Box`) from `try_enqueue` to `take_peeked`, so the
//! worker cannot hold the packet itself. What both need, the ready flag and the ciphertext, lives
//! in an `Arc<PacketState>` that the packet and the job share (WireGuard's `skb` is in both queues
//! at once; an intrusive queue that owns its nodes cannot express that safely).
//!
//! Nothing is ever lost to a missed wake-up: `notify()` leaves a flag that the next `wait_blocking()`
//! consumes, so a worker that finishes between the sender's check and its `wait_blocking()` still ends that
//! wait. Shutdown relies on the same: stop the producers, then set `draining` and `notify()` every
//! queue; each worker and sender finishes what is queued and exits when its queue is empty.
//!
//! One sender thread per peer keeps the sender a plain loop (the default 64 peers are 64 mostly
//! sleeping threads). For thousands of peers, run the same loop as async tasks: `poll_wait` is
//! `wait_blocking` for a task.
//!
//! The run fails (exit code 1) on any lost, duplicated or reordered packet, a ciphertext the sender
//! could not see, or a thread that does not finish within a generous limit (a lost wake-up hangs).
//!
//! ```text
//! cargo run --release --example wireguard_encrypt -- --duration 1 --peers 64 --workers 2
//! ```

use std::process::ExitCode;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use intrusive_mpsc::{
    node, Bounded, BoundedWaitQueue, Link, OwnedConsumer, Unbounded, Wait, WaitQueue,
};

/// WireGuard's per-peer bound (`MAX_QUEUED_PACKETS`).
const PEER_QUEUE_CAPACITY: usize = 1024;

/// A thread still running this long after it was told to stop is stuck: fail instead of hanging.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(20);

/// What a packet shares with the worker that encrypts it while the packet sits in its peer queue.
struct PacketState {
    plaintext: u64,
    /// Written by the worker before `ready`; read by the sender after it.
    ciphertext: AtomicU64,
    /// Set by the worker when `ciphertext` is final (WireGuard: `PACKET_CB(skb)->state`).
    ready: AtomicBool,
}

/// A packet, owned by its peer's queue until the sender takes it out.
struct Packet {
    link: Link,
    seq: u64,
    state: Arc<PacketState>,
}
node!(Packet, link, Box<Packet>);

/// An encryption job: the packet's shared state, and the queue to notify when it is ready.
struct Job {
    link: Link,
    state: Arc<PacketState>,
    peer: Arc<PeerQueue>,
}
node!(Job, link, Box<Job>);

type PeerQueue = BoundedWaitQueue<Packet>;
type JobQueue = WaitQueue<Job>;

/// Stand-in for ChaCha20-Poly1305: a mix whose cost varies from packet to packet, as packet
/// lengths do, so that workers finish packets out of order.
fn encrypt(plaintext: u64) -> u64 {
    let mut x = plaintext;
    for _ in 0..8 + plaintext % 64 {
        x = (x ^ (x >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

/// The payload of a peer's packet `seq`, which the sender can check.
fn plaintext(peer: usize, seq: u64) -> u64 {
    (peer as u64) << 48 ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Stop signals. `producing` is cleared first; `draining` is set only once every producer has
/// been joined, so a worker or sender that sees it knows no node will come any more.
struct Shutdown {
    producing: AtomicBool,
    draining: AtomicBool,
}

/// One producer's peers: sends packets to them in turn until `producing` is cleared. Returns, per
/// peer, how many packets it numbered and how many a full queue refused.
fn produce(
    peers: Vec<(usize, Arc<PeerQueue>)>,
    workers: Vec<Arc<JobQueue>>,
    first_worker: usize,
    shutdown: Arc<Shutdown>,
) -> Vec<(usize, u64, u64)> {
    let mut counts: Vec<(usize, u64, u64)> = peers.iter().map(|&(id, _)| (id, 0, 0)).collect();
    let mut next_worker = first_worker;
    // Relaxed: only a signal; joining this thread orders everything it did before main goes on.
    while shutdown.producing.load(Relaxed) {
        let mut refused = false;
        for ((id, queue), (_, sent, dropped)) in peers.iter().zip(&mut counts) {
            let state = Arc::new(PacketState {
                plaintext: plaintext(*id, *sent),
                ciphertext: AtomicU64::new(0),
                ready: AtomicBool::new(false),
            });
            let packet = Box::new(Packet {
                link: Link::new(),
                seq: *sent,
                state: Arc::clone(&state),
            });
            *sent += 1;
            // The peer queue first: this is the packet's place in its peer's order.
            if queue.try_enqueue(packet).is_err() {
                // Full: the queue handed the packet back; it is dropped here, as WireGuard drops.
                *dropped += 1;
                refused = true;
                continue;
            }
            let job = Box::new(Job {
                link: Link::new(),
                state,
                peer: Arc::clone(queue),
            });
            workers[next_worker % workers.len()].enqueue(job);
            next_worker += 1;
        }
        if refused {
            // Full queues: the workers and senders are behind. Back off briefly instead of making
            // packets only to drop them (a real producer is paced by its traffic).
            thread::sleep(Duration::from_micros(100));
        }
    }
    counts
}

/// An encryption worker: encrypts jobs until `draining` is set and its queue is empty. Returns how
/// many packets it encrypted.
fn encrypt_jobs(mut jobs: OwnedConsumer<Job, Unbounded, Wait>, shutdown: Arc<Shutdown>) -> u64 {
    let mut encrypted = 0;
    loop {
        // Read before looking at the queue. Acquire: pairs with main's Release store, made after
        // every producer was joined, so if it is set, the queue now holds every job there will be.
        let draining = shutdown.draining.load(Acquire);
        match jobs.dequeue() {
            Some(job) => {
                let state = &job.state;
                // Relaxed: published by the Release store of `ready` just below.
                state.ciphertext.store(encrypt(state.plaintext), Relaxed);
                // Release: pairs with the sender's Acquire load of `ready`.
                state.ready.store(true, Release);
                // After `ready`: the sender's `wait_blocking()` ends at this notify, or, if the sender has
                // not reached `wait_blocking()` yet, at once. It then finds `ready` set.
                job.peer.notify();
                encrypted += 1;
            }
            None if draining => return encrypted,
            // Sleeps until a producer's enqueue or main's shutdown `notify()`.
            None => jobs.wait_blocking(),
        }
    }
}

/// What one sender saw.
#[derive(Default)]
struct Sent {
    delivered: u64,
    /// Times the oldest packet was not encrypted yet while the sender looked (out-of-order finish).
    waits: u64,
    /// Duplicated, reordered or wrongly encrypted packets.
    violations: u64,
}

/// A peer's sender: sends its packets in order, each once it is encrypted, until `draining` is set
/// and the queue is empty.
fn send(
    peer: usize,
    mut queue: OwnedConsumer<Packet, Bounded, Wait>,
    shutdown: Arc<Shutdown>,
) -> Sent {
    let mut sent = Sent::default();
    let mut next_seq = 0; // the lowest sequence number still allowed (the gaps are drops)
    loop {
        // Before looking at the queue, as in `encrypt_jobs`.
        let draining = shutdown.draining.load(Acquire);
        // Acquire: pairs with the worker's Release store of `ready`: the ciphertext is visible.
        match queue.peek().map(|oldest| oldest.state.ready.load(Acquire)) {
            Some(true) => {
                let packet = queue.take_peeked().expect("a packet was peeked");
                let state = &packet.state;
                // The ciphertext load is Relaxed: the Acquire load of `ready` made the worker's
                // store visible. A wrong value here would be a broken hand-off.
                if packet.seq < next_seq
                    || state.plaintext != plaintext(peer, packet.seq)
                    || state.ciphertext.load(Relaxed) != encrypt(state.plaintext)
                {
                    if sent.violations == 0 {
                        eprintln!("peer {peer}: bad packet {} after {next_seq}", packet.seq);
                    }
                    sent.violations += 1;
                }
                next_seq = packet.seq + 1;
                sent.delivered += 1; // "sent" on the wire; dropping the Box frees the packet
            }
            Some(false) => {
                // Not encrypted yet: only `notify()` ends this wait (new packets do not), and the
                // packet's worker calls it after setting `ready`.
                sent.waits += 1;
                queue.wait_blocking();
            }
            None if draining => return sent,
            // Empty: sleeps until a packet arrives or main's shutdown `notify()`.
            None => queue.wait_blocking(),
        }
    }
}

/// Joins every thread, or gives up at `deadline` so that a stuck thread fails the run.
fn join_all<T>(
    what: &str,
    threads: Vec<JoinHandle<T>>,
    deadline: Instant,
) -> Result<Vec<T>, String> {
    while threads.iter().any(|t| !t.is_finished()) {
        if Instant::now() >= deadline {
            let stuck = threads.iter().filter(|t| !t.is_finished()).count();
            return Err(format!("{stuck} {what} still running: a lost wake-up?"));
        }
        thread::sleep(Duration::from_millis(1));
    }
    let joined: Result<_, _> = threads.into_iter().map(JoinHandle::join).collect();
    joined.map_err(|_| format!("a {what} thread panicked"))
}

#[derive(Clone, Copy)]
struct Config {
    duration: Duration,
    peers: usize,
    workers: usize,
    producers: usize,
}

const USAGE: &str =
    "usage: wireguard_encrypt [--duration SECS] [--peers N] [--workers N] [--producers N]
  --duration   how long producers send (default 2)
  --peers      peers, each with a bounded queue of 1024 and a sender thread (default 64)
  --workers    encryption worker threads (default: available parallelism)
  --producers  producer threads; each peer belongs to one (default 2)";

/// The flags, or `None` for `--help`.
fn parse_args() -> Result<Option<Config>, String> {
    let mut config = Config {
        duration: Duration::from_secs(2),
        peers: 64,
        workers: thread::available_parallelism().map_or(2, |n| n.get()),
        producers: 2,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return Ok(None);
    }
    for pair in args.chunks(2) {
        let (flag, value) = (&pair[0], pair.get(1).map_or("", String::as_str));
        let number = (value.parse::<f64>().ok())
            .filter(|n| *n > 0.0 && n.is_finite())
            .ok_or_else(|| format!("{flag} needs a number above 0, not {value:?}"))?;
        let whole = (number.fract() == 0.0)
            .then_some(number as usize)
            .ok_or_else(|| format!("{flag} needs a whole number, not {value:?}"));
        match flag.as_str() {
            "--duration" => config.duration = Duration::from_secs_f64(number),
            "--peers" => config.peers = whole?,
            "--workers" => config.workers = whole?,
            "--producers" => config.producers = whole?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    config.producers = config.producers.min(config.peers);
    Ok(Some(config))
}

fn main() -> ExitCode {
    let result = match parse_args() {
        Ok(None) => return ExitCode::SUCCESS, // --help
        Ok(Some(config)) => run(&config),
        Err(message) => Err(format!("{message}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: &Config) -> Result<(), String> {
    let shutdown = Arc::new(Shutdown {
        producing: AtomicBool::new(true),
        draining: AtomicBool::new(false),
    });
    let peers: Vec<Arc<PeerQueue>> = (0..config.peers)
        .map(|_| Arc::new(PeerQueue::with_capacity(PEER_QUEUE_CAPACITY)))
        .collect();
    let jobs: Vec<Arc<JobQueue>> = (0..config.workers)
        .map(|_| Arc::new(JobQueue::new()))
        .collect();
    println!(
        "wireguard_encrypt: {} peers with a sender each, {} producers, {} encryption workers, {:.1?}",
        config.peers, config.producers, config.workers, config.duration
    );
    let start = Instant::now();

    // Each queue's one consumer is claimed here and moved into the thread that serves it.
    let senders: Vec<_> = peers
        .iter()
        .enumerate()
        .map(|(peer, queue)| {
            let queue = Arc::clone(queue).consumer_owned().expect("one consumer");
            let shutdown = Arc::clone(&shutdown);
            thread::spawn(move || send(peer, queue, shutdown))
        })
        .collect();
    let workers: Vec<_> = jobs
        .iter()
        .map(|queue| {
            let queue = Arc::clone(queue).consumer_owned().expect("one consumer");
            let shutdown = Arc::clone(&shutdown);
            thread::spawn(move || encrypt_jobs(queue, shutdown))
        })
        .collect();
    let producers: Vec<_> = (0..config.producers)
        .map(|p| {
            let mine = peers.iter().enumerate().skip(p).step_by(config.producers);
            let mine = mine.map(|(id, queue)| (id, Arc::clone(queue))).collect();
            let (jobs, shutdown) = (jobs.clone(), Arc::clone(&shutdown));
            thread::spawn(move || produce(mine, jobs, p, shutdown))
        })
        .collect();

    thread::sleep(config.duration);
    let stop = Instant::now();
    let deadline = stop + SHUTDOWN_LIMIT;
    // 1. Producers stop (Relaxed: a signal; the joins order what they did before what follows).
    //    Once they are joined, every packet and job they made is in a queue.
    shutdown.producing.store(false, Relaxed);
    let produced = join_all("producers", producers, deadline)?;
    // 2. Workers and senders drain. Release: pairs with their Acquire loads. Then wake every one
    //    that sleeps on an empty queue; a sender waiting for a packet's encryption is woken by
    //    the worker that finishes it.
    shutdown.draining.store(true, Release);
    jobs.iter().for_each(|queue| queue.notify());
    peers.iter().for_each(|queue| queue.notify());
    let encrypted: u64 = join_all("workers", workers, deadline)?.iter().sum();
    let sent = join_all("senders", senders, deadline)?;
    let (elapsed, drain) = (start.elapsed(), stop.elapsed());

    // Totals, and the per-peer balance: every numbered packet delivered or dropped.
    let mut numbered = vec![(0, 0); config.peers];
    for (peer, count, dropped) in produced.into_iter().flatten() {
        numbered[peer] = (count, dropped);
    }
    let total = |f: fn(&Sent) -> u64| sent.iter().map(f).sum::<u64>();
    let (delivered, violations) = (total(|s| s.delivered), total(|s| s.violations));
    let (count, dropped) = numbered.iter().fold((0, 0), |(c, d), n| (c + n.0, d + n.1));
    let unbalanced = numbered
        .iter()
        .zip(&sent)
        .filter(|((c, d), s)| c - d != s.delivered)
        .count();
    println!("--- summary ---");
    println!(
        "packets: {count} sent by producers, {delivered} delivered in order, {dropped} dropped by \
         full peer queues ({:.1}%), {encrypted} encrypted",
        100.0 * dropped as f64 / count.max(1) as f64
    );
    println!(
        "rate: {:.2} million packets/s delivered over {:.2} s, the last {:.0} ms draining",
        delivered as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_secs_f64(),
        drain.as_secs_f64() * 1e3
    );
    println!(
        "peers: {}; senders waited {} times for an oldest packet that was not encrypted yet",
        config.peers,
        total(|s| s.waits)
    );
    if violations > 0 || unbalanced > 0 || encrypted != delivered {
        return Err(format!(
            "{violations} bad packets, {unbalanced} peers whose delivered + dropped != sent, \
             {encrypted} encrypted vs {delivered} delivered"
        ));
    }
    println!("ok: every packet delivered once and in order, or counted as dropped");
    Ok(())
}
