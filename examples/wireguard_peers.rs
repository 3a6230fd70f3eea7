//! A VPN's transmit path with peers that join and leave while traffic flows, served by two
//! worker threads: a skeleton to copy.
//!
//! ```text
//! producers ──look up the peer──▶ MemberHandle::send ──▶ peer queue (1024) ─┐
//!     ▲   (Err: the peer left, or its queue is full)                        │ scheduled once,
//!     │                                                                     ▼ when it gets packets
//! peer table ◀── churn thread: a peer leaves (close), a new one joins (add)  DynamicSet
//!                                                                           │
//!                          worker 1, worker 2 ◀──next_blocking: one peer each┘
//!                          (encrypt with the peer's own counter, transmit, in order)
//! ```
//!
//! - **Peers** are members of one [`DynamicSet`], each with a bounded queue of 1024 packets (as
//!   WireGuard caps each peer) and its own state `Peer`: its transmit counter (WireGuard's nonce,
//!   here also the sequence number it expects next), which the worker holding the peer gets as
//!   `&mut`. No lock guards it: a peer is held by one worker at a time.
//! - **Producers** (WireGuard's `wg_xmit`) look the destination up in the peer table, get the
//!   peer's [`MemberHandle`] and `send` through it. A send to a peer that has left comes back
//!   (`Err`, the very packet) and is counted as handed back; a send to a full queue comes back
//!   too and is counted as dropped, as WireGuard drops past 1024 queued packets.
//! - **The churn thread** (configuration changes: `wg set wg0 peer ... remove`) replaces peers in
//!   the table while producers send: the old peer is closed (later sends are refused; what it had
//!   queued still goes to a worker and out, in order), a new one is added. A peer's memory, state
//!   included, is freed when its last handle is gone; `Peer`'s `Drop` records what it sent.
//! - **Two workers** (WireGuard's per-CPU workers) take whichever peer has packets, encrypt and
//!   transmit up to a budget of its packets, then go on to the next: a busy peer cannot starve
//!   the others, and idle peers are never looked at. A `wake` stands for a timer (keepalives,
//!   handshakes): the worker that gets `Next::Woken` runs it.
//! - **Shutdown** needs no timeouts and no polling: stop the producers, then `close` the set;
//!   every worker transmits what is still queued and then gets `Next::Closed`.
//!
//! At the end the run checks, for every peer that ever existed, that it transmitted exactly the
//! packets its producer had handed to it, each once and in order (any lost, duplicated or
//! reordered packet fails the run with exit code 1), that no packet is left alive, and that every
//! peer's memory was freed. It prints packets per second and how many peers joined and left.
//!
//! ```text
//! cargo run --release --example wireguard_peers -- --duration 1 --peers 64 --workers 2
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use intrusive_mpsc::{node, Bounded, DynamicSet, Link, MemberHandle, Next, SetWorker};

/// WireGuard's per-peer bound (`MAX_QUEUED_PACKETS`).
const PEER_QUEUE_CAPACITY: usize = 1024;

/// Packets a worker transmits from one peer before it goes on to the next peer.
const BUDGET: usize = 64;

/// A thread still running this long after it was told to stop is stuck: fail instead of hanging.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(20);

/// Packets alive (made and not yet dropped): 0 at the end, or a packet leaked.
static PACKETS_ALIVE: AtomicU64 = AtomicU64::new(0);

/// A packet on its way to a peer, numbered by its producer in that peer's order.
struct Packet {
    link: Link,
    seq: u64,
    plaintext: u64,
}
node!(Packet, link, Box<Packet>);

impl Packet {
    fn new(peer: u64, seq: u64) -> Box<Packet> {
        PACKETS_ALIVE.fetch_add(1, Relaxed);
        Box::new(Packet {
            link: Link::new(),
            seq,
            plaintext: plaintext(peer, seq),
        })
    }
}

impl Drop for Packet {
    fn drop(&mut self) {
        PACKETS_ALIVE.fetch_sub(1, Relaxed);
    }
}

/// The payload of packet `seq` to `peer`, which the worker can check.
fn plaintext(peer: u64, seq: u64) -> u64 {
    peer << 40 ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Stand-in for ChaCha20-Poly1305 under the peer's key and this packet's nonce: a mix whose cost
/// varies from packet to packet, as packet lengths do.
fn encrypt(key: u64, nonce: u64, plaintext: u64) -> u64 {
    let mut x = key ^ nonce ^ plaintext;
    for _ in 0..8 + plaintext % 64 {
        x = (x ^ (x >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

/// What each peer transmitted, recorded when its memory is freed: peer id → packets sent.
type Ledger = Mutex<HashMap<u64, u64>>;

/// A peer's own state, the member state of the set: only the worker holding the peer touches it.
struct Peer {
    id: u64,
    /// Stand-in for the peer's session key.
    key: u64,
    /// The nonce of the next packet (WireGuard's keypair counter). Packets leave in the order
    /// their producer numbered them, so it is also the sequence number expected next.
    counter: u64,
    /// Packets out of order or with the wrong payload.
    bad: u64,
    /// Where `Drop` records the peer's totals.
    ledger: Arc<Ledger>,
}

impl Peer {
    /// Encrypts and "transmits" one packet, checking that it is the one expected next.
    fn transmit(&mut self, packet: &Packet) -> u64 {
        if packet.seq != self.counter || packet.plaintext != plaintext(self.id, packet.seq) {
            if self.bad == 0 {
                eprintln!(
                    "peer {}: packet {} when {} was next",
                    self.id, packet.seq, self.counter
                );
            }
            self.bad += 1;
        }
        let ciphertext = encrypt(self.key, self.counter, packet.plaintext);
        self.counter = packet.seq + 1;
        ciphertext // "on the wire"
    }
}

impl Drop for Peer {
    /// The peer's memory is being freed (its last handle is gone, no worker holds it): record
    /// what it transmitted, or count it as bad.
    fn drop(&mut self) {
        let sent = if self.bad == 0 {
            self.counter
        } else {
            u64::MAX
        };
        self.ledger.lock().unwrap().insert(self.id, sent);
    }
}

type Peers = DynamicSet<Packet, Peer, Bounded>;
type PeerHandle = MemberHandle<Packet, Peer, Bounded>;

/// The peer table: one entry per destination (WireGuard's allowed IPs), each pointing at the
/// peer that serves it now. The churn thread replaces entries.
type PeerTable = Vec<RwLock<(u64, PeerHandle)>>;

/// Joins a new peer to the set.
fn join_peer(set: &Peers, id: u64, ledger: &Arc<Ledger>) -> (u64, PeerHandle) {
    let peer = Peer {
        id,
        key: id.wrapping_mul(0xD6E8_FEB8_6659_FD93),
        counter: 0,
        bad: 0,
        ledger: Arc::clone(ledger),
    };
    (id, set.add_with_capacity(peer, PEER_QUEUE_CAPACITY))
}

/// What one producer counted.
#[derive(Default)]
struct Produced {
    /// Peer id → packets the peer accepted from this producer.
    accepted: HashMap<u64, u64>,
    /// Refused because the peer had left: the packet came back.
    handed_back: u64,
    /// Refused because the peer's queue was full.
    dropped: u64,
}

/// A producer: sends to the table's entries `mine` in turn until `producing` is cleared. Each
/// entry belongs to one producer, so it numbers that entry's packets in order.
fn produce(table: Arc<PeerTable>, mine: Vec<usize>, producing: Arc<AtomicBool>) -> Produced {
    let mut counts = Produced::default();
    // Per entry: the peer it pointed at when last looked up, that peer's handle, and the number
    // of the next packet to it.
    let mut routes: Vec<(usize, u64, PeerHandle, u64)> = mine
        .into_iter()
        .map(|entry| {
            let (id, handle) = &*table[entry].read().unwrap();
            (entry, *id, handle.clone(), 0)
        })
        .collect();
    // Relaxed: only a signal; joining this thread orders everything it did before main goes on.
    while producing.load(Relaxed) {
        let mut full = false;
        for (entry, id, handle, seq) in &mut routes {
            {
                let current = table[*entry].read().unwrap();
                if current.0 != *id {
                    // A new peer serves this destination: start its numbering.
                    counts.accepted.insert(*id, *seq);
                    (*id, *handle, *seq) = (current.0, current.1.clone(), 0);
                }
            }
            match handle.send(Packet::new(*id, *seq)) {
                Ok(()) => *seq += 1,
                // The peer left between our look-up and the send: it handed the packet back.
                Err(_packet) if handle.is_closed() => counts.handed_back += 1,
                // 1024 packets queued: dropped, as WireGuard drops.
                Err(_packet) => {
                    counts.dropped += 1;
                    full = true;
                }
            }
        }
        if full {
            // The workers are behind. Back off briefly instead of making packets only to drop
            // them (a real producer is paced by its traffic).
            thread::sleep(Duration::from_micros(100));
        }
    }
    for (_, id, _, seq) in routes {
        counts.accepted.insert(id, seq);
    }
    counts
}

/// What one worker counted.
#[derive(Default)]
struct Served {
    transmitted: u64,
    after_leaving: u64,
    timers: u64,
}

/// A worker: serves whichever peer has packets until the set is closed.
fn serve(mut worker: SetWorker<Packet, Peer, Bounded>) -> Served {
    let mut served = Served::default();
    let mut wire = 0u64;
    loop {
        match worker.next_blocking() {
            Next::Ready(mut peer) => {
                for _ in 0..BUDGET {
                    let Some(packet) = peer.dequeue() else { break };
                    // A packet queued before its peer left still goes out, in order: counted apart.
                    served.after_leaving += u64::from(peer.is_closed());
                    wire ^= peer.state().transmit(&packet); // then dropping the Box frees it
                    served.transmitted += 1;
                }
                // Dropping `peer` puts it back on the ready list if packets are left.
            }
            // A timer (keepalives, handshake retries) would run here.
            Next::Woken => served.timers += 1,
            Next::Closed => break,
        }
    }
    std::hint::black_box(wire);
    served
}

/// The churn thread: every millisecond, `rate` random destinations get a new peer and their old
/// peer leaves. Returns how many peers joined (and as many left).
fn churn(
    set: Peers,
    table: Arc<PeerTable>,
    ledger: Arc<Ledger>,
    next_id: u64,
    rate: usize,
    producing: Arc<AtomicBool>,
) -> u64 {
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    let mut id = next_id;
    while producing.load(Relaxed) {
        for _ in 0..rate {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let entry = &table[rng as usize % table.len()];
            let joined = join_peer(&set, id, &ledger);
            id += 1;
            let (_, left) = std::mem::replace(&mut *entry.write().unwrap(), joined);
            // Later sends to it are refused; what it had queued still goes out. Its memory goes
            // with its last handle (producers drop theirs when they see the new peer).
            left.close();
        }
        thread::sleep(Duration::from_millis(1));
    }
    id - next_id
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
    churn: usize,
}

const USAGE: &str = "usage: wireguard_peers [--duration SECS] [--peers N] [--workers N] \
                     [--producers N] [--churn N]
  --duration   how long producers send (default 2)
  --peers      destinations in the peer table, each served by one peer at a time (default 64)
  --workers    worker threads serving the set (default 2)
  --producers  producer threads; each destination belongs to one (default 2)
  --churn      peers that leave, and new ones that join, per millisecond (default 1)";

/// The flags, or `None` for `--help`.
fn parse_args() -> Result<Option<Config>, String> {
    let mut config = Config {
        duration: Duration::from_secs(2),
        peers: 64,
        workers: 2,
        producers: 2,
        churn: 1,
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
            "--churn" => config.churn = whole?,
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
    let set = Peers::new();
    let ledger = Arc::new(Ledger::default());
    let table: Arc<PeerTable> = Arc::new(
        (0..config.peers as u64)
            .map(|id| RwLock::new(join_peer(&set, id, &ledger)))
            .collect(),
    );
    let producing = Arc::new(AtomicBool::new(true));
    println!(
        "wireguard_peers: {} destinations, {} producers, {} workers, {} peers leaving and \
         joining per ms, {:.1?}",
        config.peers, config.producers, config.workers, config.churn, config.duration
    );
    let start = Instant::now();

    // Owned workers, moved into their threads.
    let workers: Vec<_> = (0..config.workers)
        .map(|_| {
            let worker = set.worker();
            thread::spawn(move || serve(worker))
        })
        .collect();
    let producers: Vec<_> = (0..config.producers)
        .map(|p| {
            let mine = (p..config.peers).step_by(config.producers).collect();
            let (table, producing) = (Arc::clone(&table), Arc::clone(&producing));
            thread::spawn(move || produce(table, mine, producing))
        })
        .collect();
    let churn = {
        let (set, table, ledger) = (set.clone(), Arc::clone(&table), Arc::clone(&ledger));
        let (first_id, rate, producing) = (config.peers as u64, config.churn, producing.clone());
        thread::spawn(move || churn(set, table, ledger, first_id, rate, producing))
    };

    // Traffic flows; a "timer" wakes one worker every 100 ms.
    while let Some(left) = config.duration.checked_sub(start.elapsed()) {
        thread::sleep(left.min(Duration::from_millis(100)));
        set.wake();
    }
    let stop = Instant::now();
    let deadline = stop + SHUTDOWN_LIMIT;
    // 1. Producers and churn stop. Once they are joined, every accepted packet is queued.
    producing.store(false, Relaxed);
    let produced = join_all("producers", producers, deadline)?;
    let joined = join_all("churn", vec![churn], deadline)?[0];
    // 2. Close the set: the workers transmit what is still queued, then get `Next::Closed`.
    set.close();
    let served = join_all("workers", workers, deadline)?;
    let (elapsed, drain) = (start.elapsed(), stop.elapsed());
    // 3. Drop the last handles: every peer's memory is freed, and its `Drop` fills the ledger.
    drop(table);
    drop(set);

    let total = |f: fn(&Served) -> u64| served.iter().map(f).sum::<u64>();
    let transmitted = total(|s| s.transmitted);
    let handed_back: u64 = produced.iter().map(|p| p.handed_back).sum();
    let dropped: u64 = produced.iter().map(|p| p.dropped).sum();
    let mut accepted: HashMap<u64, u64> = HashMap::new();
    for (id, n) in produced.iter().flat_map(|p| &p.accepted) {
        *accepted.entry(*id).or_default() += n;
    }
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    let peers = config.peers as u64 + joined;
    // Every peer that ever existed sent exactly what its producer handed it, in order.
    let wrong = (0..peers)
        .filter(|id| ledger.get(id) != Some(accepted.get(id).unwrap_or(&0)))
        .count();
    let alive = PACKETS_ALIVE.load(Relaxed);

    println!("--- summary ---");
    println!(
        "packets: {transmitted} transmitted ({} of them queued before their peer \
         left), {handed_back} handed back by peers that had left, {dropped} dropped by full \
         peer queues",
        total(|s| s.after_leaving)
    );
    println!(
        "rate: {:.2} million packets/s over {:.2} s, the last {:.0} ms draining",
        transmitted as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_secs_f64(),
        drain.as_secs_f64() * 1e3
    );
    println!(
        "peers: {joined} joined and {joined} left during the run, {} at the end; {} timer \
         wake-ups; per worker: {:?} packets",
        config.peers,
        total(|s| s.timers),
        served.iter().map(|s| s.transmitted).collect::<Vec<_>>()
    );
    let accepted_total: u64 = accepted.values().sum();
    if wrong > 0 || alive != 0 || ledger.len() as u64 != peers || accepted_total != transmitted {
        return Err(format!(
            "{wrong} peers whose transmitted packets differ from what they accepted or came out \
             of order, {alive} packets leaked, {} of {peers} peers freed, {accepted_total} \
             accepted vs {transmitted} transmitted",
            ledger.len()
        ));
    }
    println!("ok: every packet transmitted once and in order by its peer, or handed back");
    Ok(())
}
