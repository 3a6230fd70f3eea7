//! Ten thousand peers, one worker: a [`ReadySet`] with one queue per peer.
//!
//! Producer threads send boxed packets to random peers; one worker thread takes the peers whose
//! queues have packets, in the order they became ready, sends at most `--budget` packets per turn
//! (a peer with more goes to the back of the line), and sleeps in `next_blocking` whenever no peer
//! is ready. It never looks at an idle peer: the producer whose packet ends a peer's idle period
//! schedules it.
//!
//! The worker checks that each peer's packets from each producer arrive in order and that every
//! packet sent arrives exactly once, and the program exits with a failure if not (or if the worker
//! stops making progress, which is what a lost wake-up looks like). At the end it prints the
//! throughput, how many times peers were scheduled, and the average number of packets per
//! scheduling.
//!
//! Nothing here limits how far producers run ahead of the worker except a window of packets in
//! flight (`--window`): the queues are unbounded unless `--capacity` makes every peer's queue
//! bounded (then a producer whose packet is refused retries it).
//!
//! ```text
//! cargo run --release --example many_peers -- --duration 1
//! cargo run --release --example many_peers -- --peers 100000 --producers 3 --budget 16
//! cargo run --release --example many_peers -- --capacity 64
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{node, Bounded, Capacity, Link, Next, ReadySet, Unbounded};

/// A packet: who sent it, its number in that producer's stream, and the link its peer's queue
/// threads through it.
struct Packet {
    link: Link,
    producer: u32,
    /// Counts up from 0 for each producer, over all peers.
    seq: u64,
    len: u32,
}
node!(Packet, link, Box<Packet>);

/// The command line.
#[derive(Clone)]
struct Options {
    peers: usize,
    producers: usize,
    duration: Duration,
    budget: usize,
    /// Bounded peer queues of this capacity, or unbounded.
    capacity: Option<usize>,
    /// At most about this many packets sent and not yet taken by the worker (producers reserve
    /// room for [`PUBLISH`] packets at a time).
    window: usize,
}

/// How many packets a producer reserves in the shared in-flight count at a time.
const PUBLISH: usize = 64;

/// How long the worker may go without a packet after the producers have stopped before the run
/// is declared stuck (a queue with packets that nobody scheduled).
const STUCK: Duration = Duration::from_secs(10);

/// The worker's error if its set says `Woken` or `Closed`: nobody wakes or closes it here (the
/// control queue tells the worker when the producers are done).
const NEVER_WOKEN_OR_CLOSED: &str = "the set was woken or closed, which nobody does here";

fn parse() -> Result<Options, String> {
    let mut options = Options {
        peers: 10_000,
        producers: 2,
        duration: Duration::from_secs(2),
        budget: 64,
        capacity: None,
        window: 1 << 16,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |text: String| {
            text.parse::<usize>()
                .map_err(|e| format!("{flag}: {e}"))
                .and_then(|n| {
                    if n == 0 {
                        Err(format!("{flag} must be at least 1"))
                    } else {
                        Ok(n)
                    }
                })
        };
        match flag.as_str() {
            "--peers" => options.peers = number(value()?)?,
            "--producers" => options.producers = number(value()?)?,
            "--budget" => options.budget = number(value()?)?,
            "--capacity" => options.capacity = Some(number(value()?)?),
            "--window" => options.window = number(value()?)?,
            "--duration" => {
                let text = value()?;
                let seconds: f64 = text.parse().map_err(|e| format!("--duration: {e}"))?;
                options.duration =
                    Duration::try_from_secs_f64(seconds).map_err(|e| format!("--duration: {e}"))?;
            }
            "--help" | "-h" => {
                return Err(
                    "usage: many_peers [--peers N] [--producers N] [--duration SECONDS] \
                            [--budget N] [--capacity N] [--window N]"
                        .into(),
                )
            }
            _ => return Err(format!("unknown flag {flag} (try --help)")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // One more member than peers: the control queue, through which the main thread tells the
    // sleeping worker that the producers are done (an enqueue wakes it like any other).
    let result = match options.capacity {
        None => run(
            &options,
            ReadySet::<Packet, Unbounded>::new(options.peers + 1),
        ),
        Some(capacity) => run(
            &options,
            ReadySet::<Packet, Bounded>::with_capacity(options.peers + 1, capacity),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(violation) => {
            eprintln!("FAILED: {violation}");
            ExitCode::FAILURE
        }
    }
}

/// A small, fast, deterministic random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// What a producer sent: how many packets, and the sum of their sequence numbers.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Sent {
    packets: u64,
    seq_sum: u64,
}

/// What the worker found.
struct Report {
    /// Per producer, as `Sent` (compared with what the producers say they sent).
    received: Vec<Sent>,
    /// How many times a peer was handed to the worker.
    schedulings: u64,
    /// How many times the worker found nothing ready and went to sleep.
    sleeps: u64,
    /// When the last packet arrived.
    finished: Instant,
}

/// Sends packets to random peers until the deadline, keeping at most about `window` packets in
/// flight, and says what it sent.
fn produce<B: Capacity>(
    set: &ReadySet<Packet, B>,
    options: &Options,
    producer: usize,
    deadline: Instant,
    in_flight: &AtomicUsize,
) -> Sent {
    let mut rng = Rng::new(producer as u64 + 1);
    let mut sent = Sent::default();
    // Packets this producer has added to the in-flight count and not sent yet: it reserves them
    // before sending, so the worker's decrements never take the count below zero.
    let mut reserved = 0;
    'run: loop {
        if reserved == 0 {
            if Instant::now() >= deadline {
                break;
            }
            // Relaxed: only a rough limit; the worker's decrements come back eventually.
            while in_flight.load(Ordering::Relaxed) >= options.window {
                // The deadline still ends the run if the worker stopped taking packets.
                if Instant::now() >= deadline {
                    break 'run;
                }
                // Sleep rather than spin: on a machine with few cores, a spinning producer takes
                // the core the worker needs to catch up.
                thread::sleep(Duration::from_micros(50));
            }
            in_flight.fetch_add(PUBLISH, Ordering::Relaxed);
            reserved = PUBLISH;
        }
        let mut packet = Box::new(Packet {
            link: Link::new(),
            producer: producer as u32,
            seq: sent.packets,
            len: 1420,
        });
        let peer = rng.below(options.peers);
        // Unbounded queues always accept; a full bounded one hands the packet back.
        while let Err(refused) = set.try_enqueue(peer, packet) {
            if Instant::now() >= deadline {
                // Not sent, so not counted: the worker expects exactly what was accepted.
                break 'run;
            }
            packet = refused;
            thread::yield_now();
        }
        sent.seq_sum = sent.seq_sum.wrapping_add(sent.packets);
        sent.packets += 1;
        reserved -= 1;
    }
    in_flight.fetch_sub(reserved, Ordering::Relaxed);
    sent
}

/// The worker: serves ready peers until the control queue says the producers are done and every
/// packet has arrived, checking order and counts.
fn work<B: Capacity>(
    set: &ReadySet<Packet, B>,
    options: &Options,
    in_flight: &AtomicUsize,
    expected: &mpsc::Receiver<Vec<Sent>>,
) -> Result<Report, String> {
    let control = options.peers;
    let producers = options.producers;
    let mut worker = set.worker().ok_or("the set already has a worker")?;
    // Per peer and producer: one more than the last sequence number received (so 0 = none yet).
    let mut next = vec![0u64; options.peers * producers];
    let mut received = vec![Sent::default(); producers];
    let (mut schedulings, mut sleeps, mut total) = (0u64, 0u64, 0u64);
    // Known once the control queue says the producers have stopped.
    let mut sent: Option<(Vec<Sent>, u64)> = None;
    loop {
        if let Some((_, expected_total)) = &sent {
            if total == *expected_total {
                break;
            }
        }
        let mut ready = match worker.try_next() {
            Some(Next::Ready(ready)) => ready,
            Some(Next::Woken | Next::Closed) => return Err(NEVER_WOKEN_OR_CLOSED.into()),
            None => {
                // Nothing scheduled (or a producer is scheduling a peer right now).
                sleeps += 1;
                let next = if sent.is_none() {
                    // Producers are still running, or the control packet is on its way: sleep
                    // until a producer schedules a peer. A lost wake-up would hang here; the main
                    // thread's watchdog reports it.
                    worker.next_blocking()
                } else {
                    // Every packet has been sent, so every one must already be scheduled or
                    // held: nothing for this long means one was stranded.
                    worker.next_timeout_blocking(STUCK).ok_or_else(|| {
                        format!(
                            "no peer scheduled for {STUCK:?} with {} packets missing: a lost \
                             wake-up",
                            sent.as_ref().map_or(0, |(_, t)| t - total)
                        )
                    })?
                };
                match next {
                    Next::Ready(ready) => ready,
                    Next::Woken | Next::Closed => return Err(NEVER_WOKEN_OR_CLOSED.into()),
                }
            }
        };
        let peer = ready.index();
        if peer == control {
            let counts: Vec<Sent> = expected
                .try_recv()
                .map_err(|_| "control packet without the producers' counts")?;
            while ready.dequeue().is_some() {}
            let expected_total = counts.iter().map(|s| s.packets).sum();
            sent = Some((counts, expected_total));
            continue;
        }
        schedulings += 1;
        let mut taken = 0;
        for packet in ready.drain().take(options.budget) {
            let p = packet.producer as usize;
            let slot = &mut next[peer * producers + p];
            if packet.seq < *slot {
                return Err(format!(
                    "peer {peer}: producer {p}'s packet {} arrived after its packet {} \
                     (reordered or duplicated)",
                    packet.seq,
                    *slot - 1
                ));
            }
            *slot = packet.seq + 1;
            received[p].packets += 1;
            received[p].seq_sum = received[p].seq_sum.wrapping_add(packet.seq);
            // "Transmit" it: the length is all a real worker would need here.
            std::hint::black_box(packet.len);
            taken += 1;
        }
        if taken == 0 {
            return Err(format!("peer {peer} was scheduled without a packet"));
        }
        // Dropping the guard re-arms the peer, or puts it at the back of the line.
        drop(ready);
        total += taken as u64;
        // Relaxed: only the producers' rough window.
        in_flight.fetch_sub(taken, Ordering::Relaxed);
    }
    let finished = Instant::now();
    // The iterator waits out a producer that is mid-scheduling: `None` means nothing is listed.
    if let Some(ready) = worker.next() {
        return Err(format!(
            "peer {} still scheduled after every packet arrived",
            ready.index()
        ));
    }
    let (counts, _) = sent.expect("the loop ends only once the counts are known");
    if received != counts {
        return Err(format!(
            "sent {counts:?} but received {received:?} (lost or duplicated)"
        ));
    }
    Ok(Report {
        received,
        schedulings,
        sleeps,
        finished,
    })
}

fn run<B: Capacity>(options: &Options, set: ReadySet<Packet, B>) -> Result<(), String> {
    let set = Arc::new(set);
    let options = Arc::new(options.clone());
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (counts_tx, counts_rx) = mpsc::channel();
    let (report_tx, report_rx) = mpsc::channel();
    let start = Instant::now();
    let deadline = start + options.duration;

    // The worker runs on its own thread so that the main thread can watch it: if it stops making
    // progress (a lost wake-up), the process exits with a failure instead of hanging.
    {
        let (set, options, in_flight) = (
            Arc::clone(&set),
            Arc::clone(&options),
            Arc::clone(&in_flight),
        );
        thread::spawn(move || {
            let report = work(&set, &options, &in_flight, &counts_rx);
            let _ = report_tx.send(report);
        });
    }
    let producers: Vec<_> = (0..options.producers)
        .map(|producer| {
            let (set, options, in_flight) = (
                Arc::clone(&set),
                Arc::clone(&options),
                Arc::clone(&in_flight),
            );
            thread::spawn(move || produce(&set, &options, producer, deadline, &in_flight))
        })
        .collect();
    let counts: Vec<Sent> = producers
        .into_iter()
        .map(|p| p.join().expect("producer panicked"))
        .collect();
    let sent: u64 = counts.iter().map(|s| s.packets).sum();
    // The counts first, then the control packet that makes the worker read them.
    if counts_tx.send(counts).is_err() {
        // The worker has stopped already: it found a violation, which it reports.
        return match report_rx.recv() {
            Ok(Err(violation)) => Err(violation),
            _ => Err("the worker stopped early".into()),
        };
    }
    let control = Box::new(Packet {
        link: Link::new(),
        producer: u32::MAX,
        seq: 0,
        len: 0,
    });
    if set.try_enqueue(options.peers, control).is_err() {
        return Err("the control queue is full".into());
    }

    // The watchdog: the worker has `STUCK` to notice a stranded packet itself, plus the time to
    // drain what is in flight.
    let report = match report_rx.recv_timeout(STUCK * 3) {
        Ok(report) => report?,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            return Err(format!(
                "the worker did not finish within {:?} of the producers stopping: a lost wake-up",
                STUCK * 3
            ))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => return Err("the worker panicked".into()),
    };
    let elapsed = report.finished.duration_since(start).as_secs_f64();
    let received: u64 = report.received.iter().map(|s| s.packets).sum();
    debug_assert_eq!(received, sent);
    println!(
        "many_peers: {} peers ({} queues), {} producers, budget {}, {:.1} s",
        options.peers,
        match options.capacity {
            None => "unbounded".to_string(),
            Some(capacity) => format!("bounded, capacity {capacity}"),
        },
        options.producers,
        options.budget,
        options.duration.as_secs_f64()
    );
    println!(
        "  {received} packets, every one exactly once and in order per peer and producer: {:.2} M packets/s",
        received as f64 / elapsed / 1e6
    );
    println!(
        "  peers scheduled {} times, {:.2} packets per scheduling; the worker fell asleep {} times",
        report.schedulings,
        received as f64 / report.schedulings.max(1) as f64,
        report.sleeps
    );
    Ok(())
}
