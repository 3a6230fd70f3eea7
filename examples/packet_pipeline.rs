//! A small WireGuard-style packet pipeline built on `intrusive-mpsc`.
//!
//! Producer threads (think: the encryption workers) send packets to per-peer queues; one worker
//! (think: the NAPI poll of the transmit path) serves every peer, draining each queue with a budget
//! per turn. Packets come back to their producer through a second queue per producer: each
//! producer owns a fixed pool of packets, so the steady state allocates nothing and the pool
//! bounds the memory in flight.
//!
//! The `Packet` already uses one pointer for something else (its fragment list, as `skb->next`
//! chains GSO fragments in the kernel) and gives the queue its spare one, the `Link`.
//!
//! The scheduling protocol is the one every user of a sleeping or polling consumer needs: the
//! producer marks the peer scheduled *after* `enqueue` returns; the worker clears the mark *before*
//! draining, and a drain only ends when the queue is `Empty`. So no packet is ever stranded.
//!
//! The kind of peer queue is a type parameter: `main` picks unbounded or bounded (`--bounded`),
//! compact or padded (`--padded`) once, and the rest is generic code that any kind of queue
//! runs: `try_enqueue_batch` (which every queue has, and which an unbounded queue always accepts)
//! and the one `Consumer` type.
//!
//! ```text
//! cargo run --release --example packet_pipeline -- --duration 3 --producers 2 --peers 4
//! cargo run --release --example packet_pipeline -- --bounded 1024 --batch 8 --padded
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{
    node, Batch, Bounded, Capacity, Compact, Consumer, Layout, Link, NoWait, Padded, Queue,
    QueueRef, Unbounded,
};

/// A packet: a payload, an optional fragment list, and the spare pointer the queue threads through.
struct Packet {
    /// The fragment list: this pointer is already taken, like `skb->next` in the kernel.
    frags: Option<Box<Packet>>,
    /// The spare pointer, given to whichever queue holds the packet.
    link: Link,
    producer: u32,
    peer: u32,
    /// Per (producer, peer) sequence number, to check ordering at the worker.
    seq: u64,
    len: u32,
    payload: [u8; 64],
}
node!(Packet, link, Box<Packet>);

impl Packet {
    fn new() -> Box<Packet> {
        Box::new(Packet {
            frags: None,
            link: Link::new(),
            producer: 0,
            peer: 0,
            seq: 0,
            len: 0,
            payload: [0; 64],
        })
    }

    /// Bytes of this packet and its fragments.
    fn total_len(&self) -> u64 {
        let mut len = u64::from(self.len);
        let mut frag = self.frags.as_deref();
        while let Some(f) = frag {
            len += u64::from(f.len);
            frag = f.frags.as_deref();
        }
        len
    }
}

/// One peer: its transmit queue and the "poll me" mark (WireGuard's `napi_schedule`).
///
/// The queue's capacity and layout are type parameters, chosen once in `main` from the flags.
struct Peer<B: Capacity, L: Layout> {
    queue: Queue<Packet, B, NoWait, L>,
    scheduled: AtomicBool,
}

/// One producer: the queue its used packets come back on, and its counters.
struct Producer {
    free: Queue<Packet>,
    sent: AtomicU64,
    /// Packets a full peer queue refused (only with `--bounded`).
    dropped: AtomicU64,
    allocated: AtomicU64,
    finished: AtomicBool,
}

struct Config {
    duration: Duration,
    producers: usize,
    peers: usize,
    budget: usize,
    /// Cap each peer queue at this many packets (WireGuard: 1024); `None`: unbounded.
    bounded: Option<usize>,
    /// Packets a producer sends to a peer with one batch enqueue.
    batch: usize,
    /// Give each peer queue's two ends cache lines of their own.
    padded: bool,
}

fn parse_args() -> Result<Config, String> {
    let mut config = Config {
        duration: Duration::from_secs(3),
        producers: 2,
        peers: 4,
        budget: 64,
        bounded: None,
        batch: 1,
        padded: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        if flag == "--padded" {
            config.padded = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let count = |what: &str| -> Result<usize, String> {
            value
                .parse::<usize>()
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| format!("{what} must be a whole number above 0, not {value:?}"))
        };
        match flag.as_str() {
            "--duration" => {
                let secs = value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| format!("--duration must be positive seconds, not {value:?}"))?;
                config.duration = Duration::from_secs_f64(secs);
            }
            "--producers" => config.producers = count("--producers")?,
            "--peers" => config.peers = count("--peers")?,
            "--budget" => config.budget = count("--budget")?,
            "--bounded" => config.bounded = Some(count("--bounded")?),
            "--batch" => config.batch = count("--batch")?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

const USAGE: &str =
    "usage: packet_pipeline [--duration SECONDS] [--producers N] [--peers N] [--budget N]
                       [--bounded CAPACITY] [--batch N] [--padded]
  --duration   how long producers send (default 3)
  --producers  producer threads (default 2)
  --peers      per-peer queues served by the one worker (default 4)
  --budget     packets the worker takes from one peer per turn (default 64)
  --bounded    cap each peer queue, as WireGuard does at 1024; refused packets are counted
               as drops (default: unbounded)
  --batch      packets sent to a peer with one batch enqueue (one swap) (default 1)
  --padded     give each peer queue's producer end and consumer end cache lines of their
               own (the Padded layout) instead of one compact block (default: compact)";

fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(config) => config,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };

    // The one place that names the queue kind; everything below is generic over it.
    match (config.bounded, config.padded) {
        (None, false) => run(&config, Queue::<Packet, Unbounded, NoWait, Compact>::new),
        (None, true) => run(&config, Queue::<Packet, Unbounded, NoWait, Padded>::new),
        (Some(capacity), false) => run(&config, || {
            Queue::<Packet, Bounded, NoWait, Compact>::with_capacity(capacity)
        }),
        (Some(capacity), true) => run(&config, || {
            Queue::<Packet, Bounded, NoWait, Padded>::with_capacity(capacity)
        }),
    }
}

/// Runs the pipeline with peer queues made by `new_queue`, prints the summary, and fails on any
/// lost, duplicated or reordered packet.
fn run<B: Capacity, L: Layout>(
    config: &Config,
    new_queue: impl Fn() -> Queue<Packet, B, NoWait, L>,
) -> ExitCode {
    let peers: Vec<Peer<B, L>> = (0..config.peers)
        .map(|_| Peer {
            queue: new_queue(),
            scheduled: AtomicBool::new(false),
        })
        .collect();
    let producers: Vec<Producer> = (0..config.producers)
        .map(|_| Producer {
            free: Queue::new(),
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            allocated: AtomicU64::new(0),
            finished: AtomicBool::new(false),
        })
        .collect();
    let stop = AtomicBool::new(false);

    println!(
        "packet_pipeline: {} producers -> {} {} {} peer queues -> 1 worker (budget {}), {:.1} s",
        config.producers,
        config.peers,
        config
            .bounded
            .map_or("unbounded".to_string(), |c| format!("bounded ({c})")),
        if config.padded { "padded" } else { "compact" },
        config.budget,
        config.duration.as_secs_f64()
    );
    let start = Instant::now();

    let report = thread::scope(|s| {
        for (id, me) in producers.iter().enumerate() {
            let (peers, stop) = (&peers, &stop);
            s.spawn(move || produce(id as u32, me, peers, stop, config.batch));
        }
        let worker = s.spawn(|| work(&peers, &producers, config.budget, start));
        thread::sleep(config.duration);
        stop.store(true, Ordering::Relaxed);
        worker.join().expect("worker panicked")
    });

    let elapsed = start.elapsed().as_secs_f64();
    let peer_queue_size = std::mem::size_of::<Queue<Packet, B, NoWait, L>>();
    let sent: u64 = producers
        .iter()
        .map(|p| p.sent.load(Ordering::Relaxed))
        .sum();
    let allocated: u64 = producers
        .iter()
        .map(|p| p.allocated.load(Ordering::Relaxed))
        .sum();
    let dropped: u64 = producers
        .iter()
        .map(|p| p.dropped.load(Ordering::Relaxed))
        .sum();
    println!("--- summary ---");
    println!(
        "packets: {} sent, {} received, {} dropped by full queues, {:.1} GB by packet length",
        sent,
        report.received,
        dropped,
        report.bytes as f64 / 1e9
    );
    println!(
        "rate: {:.2} million packets/s over {:.2} s",
        report.received as f64 / elapsed / 1e6,
        elapsed
    );
    for (id, p) in producers.iter().enumerate() {
        println!(
            "producer {id}: {} packets ({} dropped), order per peer checked: {}",
            p.sent.load(Ordering::Relaxed),
            p.dropped.load(Ordering::Relaxed),
            if report.out_of_order[id] == 0 {
                "in order".to_string()
            } else {
                format!("{} OUT OF ORDER", report.out_of_order[id])
            }
        );
    }
    println!(
        "memory: {} bytes per peer queue, {} per return queue ({} bytes for all); {} packets (and fragments) allocated for {} sent",
        peer_queue_size,
        std::mem::size_of::<Queue<Packet>>(),
        peer_queue_size * config.peers + std::mem::size_of::<Queue<Packet>>() * config.producers,
        allocated,
        sent
    );

    let ok = sent == report.received + dropped && report.out_of_order.iter().all(|&n| n == 0);
    if ok {
        println!("ok: every packet delivered once (or counted as dropped), in order");
        ExitCode::SUCCESS
    } else {
        println!("FAILED: lost, duplicated or reordered packets");
        ExitCode::FAILURE
    }
}

/// Packets each producer owns. They circulate producer -> peer queue -> worker -> free list, so
/// the pool bounds the memory in flight, as WireGuard's 1024-packet queue limit does.
const POOL_PER_PRODUCER: usize = 4096;

/// A producer: takes packets from its free list (waiting for the worker to return some when all
/// are in flight), fills them, and sends `batch` at a time to the next peer in turn, until told
/// to stop. A full (bounded) peer queue refuses the whole batch: the packets are dropped, that
/// is, returned to the free list and counted.
fn produce<B: Capacity, L: Layout>(
    id: u32,
    me: &Producer,
    peers: &[Peer<B, L>],
    stop: &AtomicBool,
    batch: usize,
) {
    // This thread is the only one that ever consumes from its own free list.
    let mut free = me.free.consumer().expect("free list has one consumer");
    for _ in 0..POOL_PER_PRODUCER {
        me.free.enqueue(Packet::new());
    }
    me.allocated
        .store(POOL_PER_PRODUCER as u64, Ordering::Relaxed);
    let mut seqs = vec![0u64; peers.len()];
    let (mut sent, mut dropped) = (0u64, 0u64);
    let mut turn = 0usize;
    while !stop.load(Ordering::Relaxed) {
        for _ in 0..64 {
            let peer = turn % peers.len();
            turn += 1;
            let mut burst = Batch::new();
            while burst.len() < batch {
                let Some(mut packet) = free.dequeue() else {
                    // Every packet is in flight: back-pressure until the worker returns some.
                    thread::yield_now();
                    continue;
                };
                packet.producer = id;
                packet.peer = peer as u32;
                packet.seq = seqs[peer];
                packet.len = 1280 + (sent % 140) as u32;
                packet.payload[0] = sent as u8;
                // Every eighth packet carries a fragment, as a GSO super-packet would.
                if sent % 8 == 0 && packet.frags.is_none() {
                    let mut frag = Packet::new();
                    frag.len = 1280;
                    me.allocated.fetch_add(1, Ordering::Relaxed);
                    packet.frags = Some(frag);
                }
                seqs[peer] += 1;
                sent += 1;
                burst.push(packet);
            }

            let peer = &peers[peer];
            match peer.queue.try_enqueue_batch(burst) {
                Ok(()) => {
                    // Schedule the peer after the enqueue has returned (the kernel calls
                    // napi_schedule() here; our worker polls the marks). Release: pairs with
                    // the worker's clearing swap, so if that swap reads this mark, our enqueue
                    // happens-before the drain that follows; if it came earlier, the mark stays
                    // set for the next round.
                    peer.scheduled.store(true, Ordering::Release);
                }
                Err(refused) => {
                    dropped += refused.len() as u64;
                    me.free.enqueue_batch(refused);
                }
            }
        }
        me.sent.store(sent, Ordering::Relaxed);
        me.dropped.store(dropped, Ordering::Relaxed);
    }
    me.sent.store(sent, Ordering::Relaxed);
    me.dropped.store(dropped, Ordering::Relaxed);
    // Release: pairs with the worker's Acquire load; every enqueue above happens-before it.
    me.finished.store(true, Ordering::Release);
}

struct Report {
    received: u64,
    bytes: u64,
    out_of_order: Vec<u64>,
}

/// The worker: serves scheduled peers round-robin, at most `budget` packets per turn, returns
/// each packet to its producer, and prints progress about once a second.
fn work<B: Capacity, L: Layout>(
    peers: &[Peer<B, L>],
    producers: &[Producer],
    budget: usize,
    start: Instant,
) -> Report {
    let mut consumers: Vec<_> = peers
        .iter()
        .map(|p| {
            p.queue
                .consumer()
                .expect("the worker is each queue's one consumer")
        })
        .collect();
    let mut expected = vec![vec![0u64; peers.len()]; producers.len()];
    let mut report = Report {
        received: 0,
        bytes: 0,
        out_of_order: vec![0; producers.len()],
    };
    let mut next_progress = Duration::from_secs(1);
    let mut last_received = 0;
    loop {
        // Read before the scan: once every producer has finished, this scan drains everything
        // (Acquire pairs with each producer's final Release store).
        let stopping = producers.iter().all(|p| p.finished.load(Ordering::Acquire));
        let mut idle = true;
        for (peer, consumer) in peers.iter().zip(&mut consumers) {
            // Clear the mark before draining (AcqRel pairs with the producers' swap), so a
            // packet enqueued after our drain saw Empty schedules the peer again.
            if !stopping && !peer.scheduled.swap(false, Ordering::AcqRel) {
                continue;
            }
            idle = false;
            let taken = poll(consumer, budget, |packet| {
                let (p, q) = (packet.producer as usize, packet.peer as usize);
                // Sequence numbers rise by one per packet, except across packets a full queue
                // dropped: a number below the expected one is a reordering or a duplicate.
                if packet.seq < expected[p][q] {
                    report.out_of_order[p] += 1;
                }
                expected[p][q] = packet.seq + 1;
                report.received += 1;
                report.bytes += packet.total_len();
                producers[p].free.enqueue(packet);
            });
            if taken == budget {
                // Over budget: the peer keeps its turn for the next round.
                peer.scheduled.store(true, Ordering::Relaxed);
            }
        }
        let now = start.elapsed();
        if now >= next_progress {
            println!(
                "{:>5.1} s  {:>11} packets  {:>7.2} M/s",
                now.as_secs_f64(),
                report.received,
                (report.received - last_received) as f64 / 1e6
            );
            last_received = report.received;
            next_progress += Duration::from_secs(1);
        }
        // Every enqueue happened before `stopping` was read, and a drain that ends before its
        // budget ends on `Empty`, which strands no completed enqueue: once every queue reads
        // empty, nothing is left.
        if stopping && consumers.iter().all(|c| c.is_empty()) {
            return report;
        }
        if idle {
            thread::yield_now();
        }
    }
}

/// Takes up to `budget` packets from one peer's queue, handing each to `deliver`; returns how many
/// it took. Generic over the consumer: any queue kind, borrowed (`&Queue`) or owned (`Arc<Queue>`).
fn poll<Q: QueueRef<Node = Packet>>(
    consumer: &mut Consumer<Q>,
    budget: usize,
    mut deliver: impl FnMut(Box<Packet>),
) -> usize {
    let mut taken = 0;
    for packet in consumer.drain().take(budget) {
        taken += 1;
        deliver(packet);
    }
    taken
}
