//! Five thousand actors on two worker threads: a [`DynamicSet`] with one member per actor.
//!
//! Producer threads send messages to random actors; actors forward some of the messages they
//! handle to other random actors; a churn thread removes random actors (closing them) and adds
//! new ones in their place, all while the workers run. Each actor's state is its own (`&mut` in
//! the worker that holds it): the next sequence number it expects from each sender.
//!
//! Every message is checked: a message an actor accepted arrives exactly once, in order per
//! sender and actor (delivered, or, if its actor was removed meanwhile, delivered to the worker
//! as a dead letter), and a message sent to a removed actor is handed back to its sender. At the
//! end the workers stop through the set's close (no timeouts, no polling), and the program
//! checks the counts and that every message was dropped exactly once, then prints messages per
//! second and how many actors were created and destroyed. It exits with a failure on any lost,
//! duplicated or reordered message.
//!
//! ```text
//! cargo run --release --example actors -- --duration 1
//! cargo run --release --example actors -- --actors 100000 --workers 4 --producers 2
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{node, DynamicSet, Link, MemberHandle, Next};

/// A message: its sender (a producer or an actor, by id), its number in that sender's stream to
/// this actor, and how many more times it is to be forwarded.
struct Msg {
    link: Link,
    from: u64,
    seq: u64,
    hops: u32,
}
node!(Msg, link, Box<Msg>);

/// Messages made and dropped, to show that none is leaked or dropped twice.
static MADE: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

impl Msg {
    fn new(from: u64, seq: u64, hops: u32) -> Box<Msg> {
        MADE.fetch_add(1, Ordering::Relaxed);
        Box::new(Msg {
            link: Link::new(),
            from,
            seq,
            hops,
        })
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// An actor's state: its id, the next number it expects from each sender, and the next number
/// it sends to each actor it forwards to.
struct Actor {
    id: u64,
    received: HashMap<u64, u64>,
    sent: HashMap<u64, u64>,
}

/// The live actors: a slot per actor, replaced by the churn thread. Each handle carries its
/// actor's id, so senders number their messages per receiver.
type Slot = RwLock<(u64, MemberHandle<Msg, Actor>)>;

/// The command line.
struct Options {
    actors: usize,
    workers: usize,
    producers: usize,
    duration: Duration,
    budget: usize,
    /// At most about this many messages accepted and not yet handled.
    window: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        actors: 5_000,
        workers: 2,
        producers: 2,
        duration: Duration::from_secs(2),
        budget: 32,
        window: 20_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |text: String| text.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--actors" => options.actors = number(value()?)?.max(2),
            "--workers" => options.workers = number(value()?)?.max(1),
            "--producers" => options.producers = number(value()?)?.max(1),
            "--budget" => options.budget = number(value()?)?.max(1),
            "--window" => options.window = number(value()?)?.max(1),
            "--duration" => {
                let seconds: f64 = value()?.parse().map_err(|e| format!("--duration: {e}"))?;
                options.duration =
                    Duration::try_from_secs_f64(seconds).map_err(|e| format!("--duration: {e}"))?;
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; usage: actors [--actors N] [--workers N] \
                     [--producers N] [--budget N] [--window N] [--duration SECONDS]"
                ))
            }
        }
    }
    Ok(options)
}

/// What every thread counts.
#[derive(Default)]
struct Counts {
    /// Sends accepted.
    accepted: AtomicU64,
    /// Sends refused (the actor was removed): the message came back to its sender.
    refused: AtomicU64,
    /// Messages handled by a live actor.
    delivered: AtomicU64,
    /// Messages that reached their actor after it was removed (accepted before the removal).
    dead_letters: AtomicU64,
    /// Actors added after the start, and actors removed.
    created: AtomicUsize,
    destroyed: AtomicUsize,
    /// Accepted and not yet taken out by a worker.
    in_flight: AtomicU64,
    /// Set when a worker finds a message out of order.
    broken: AtomicBool,
}

/// A simple xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Sends `hops` to the actor in a random slot, numbered in `sent`'s stream to that actor.
fn send_random(
    slots: &[Slot],
    rng: &mut Rng,
    from: u64,
    sent: &mut HashMap<u64, u64>,
    hops: u32,
    counts: &Counts,
) {
    let (to, actor) = {
        let slot = slots[rng.next() as usize % slots.len()].read().unwrap();
        (slot.0, slot.1.clone())
    };
    let seq = sent.entry(to).or_insert(0);
    // Counted before the send: a worker may take the message before `send` returns.
    counts.in_flight.fetch_add(1, Ordering::Relaxed);
    match actor.send(Msg::new(from, *seq, hops)) {
        Ok(()) => {
            *seq += 1;
            counts.accepted.fetch_add(1, Ordering::Relaxed);
        }
        Err(back) => {
            // The actor was removed: the very message comes back. Same number next time (there
            // is no next time for that actor: it refuses everything from now on).
            counts.in_flight.fetch_sub(1, Ordering::Relaxed);
            counts.refused.fetch_add(1, Ordering::Relaxed);
            drop(back);
        }
    }
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let set = DynamicSet::<Msg, Actor>::new();
    let counts = Arc::new(Counts::default());
    // Ids: producers are 0..producers, actors count up from 1 << 32.
    let next_actor_id = Arc::new(AtomicU64::new(1 << 32));
    let new_actor = {
        let set = set.clone();
        let next_actor_id = Arc::clone(&next_actor_id);
        move || {
            let id = next_actor_id.fetch_add(1, Ordering::Relaxed);
            let actor = Actor {
                id,
                received: HashMap::new(),
                sent: HashMap::new(),
            };
            (id, set.add(actor))
        }
    };
    let slots: Arc<Vec<Slot>> = Arc::new(
        (0..options.actors)
            .map(|_| RwLock::new(new_actor()))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();

    let workers: Vec<_> = (0..options.workers)
        .map(|w| {
            let mut worker = set.worker();
            let slots = Arc::clone(&slots);
            let counts = Arc::clone(&counts);
            let stop = Arc::clone(&stop);
            let budget = options.budget;
            thread::spawn(move || {
                let mut rng = Rng(0x9E37_79B9 + w as u64);
                loop {
                    let mut held = match worker.next_blocking() {
                        Next::Ready(held) => held,
                        Next::Woken => continue,
                        Next::Closed => return,
                    };
                    for _ in 0..budget {
                        let Some(msg) = held.dequeue() else { break };
                        counts.in_flight.fetch_sub(1, Ordering::Relaxed);
                        let closed = held.is_closed();
                        let actor = held.state();
                        let expected = actor.received.entry(msg.from).or_insert(0);
                        if msg.seq != *expected {
                            eprintln!(
                                "actor {}: message {} from {} when {} was next",
                                actor.id, msg.seq, msg.from, expected
                            );
                            counts.broken.store(true, Ordering::Relaxed);
                        }
                        *expected = msg.seq + 1;
                        if closed {
                            counts.dead_letters.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        counts.delivered.fetch_add(1, Ordering::Relaxed);
                        if msg.hops > 0 && !stop.load(Ordering::Relaxed) {
                            let id = actor.id;
                            send_random(
                                &slots,
                                &mut rng,
                                id,
                                &mut actor.sent,
                                msg.hops - 1,
                                &counts,
                            );
                        }
                    }
                }
            })
        })
        .collect();

    let producers: Vec<_> = (0..options.producers)
        .map(|p| {
            let slots = Arc::clone(&slots);
            let counts = Arc::clone(&counts);
            let stop = Arc::clone(&stop);
            let window = options.window as u64;
            thread::spawn(move || {
                let mut rng = Rng(0x2545_F491 + p as u64);
                let mut sent = HashMap::new();
                while !stop.load(Ordering::Relaxed) {
                    if counts.in_flight.load(Ordering::Relaxed) > window {
                        thread::yield_now();
                        continue;
                    }
                    for _ in 0..64 {
                        send_random(&slots, &mut rng, p as u64, &mut sent, 2, &counts);
                    }
                }
            })
        })
        .collect();

    let churn = {
        let slots = Arc::clone(&slots);
        let counts = Arc::clone(&counts);
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut rng = Rng(0xDEAD_BEEF);
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..4 {
                    let fresh = new_actor();
                    let slot = &slots[rng.next() as usize % slots.len()];
                    let old = std::mem::replace(&mut *slot.write().unwrap(), fresh);
                    // Removed: later sends come back; what it had queued goes to a worker as
                    // dead letters. Its memory goes with its last handle.
                    old.1.close();
                    counts.created.fetch_add(1, Ordering::Relaxed);
                    counts.destroyed.fetch_add(1, Ordering::Relaxed);
                }
                thread::sleep(Duration::from_millis(1));
            }
        })
    };

    thread::sleep(options.duration);
    stop.store(true, Ordering::Relaxed);
    producers.into_iter().for_each(|p| p.join().unwrap());
    churn.join().unwrap();
    // Every producer is done; workers may still forward what they hold. Closing the set refuses
    // those forwards (counted as refused), lets the workers take everything already scheduled,
    // and ends their loops.
    set.close();
    workers.into_iter().for_each(|w| w.join().unwrap());
    let elapsed = start.elapsed().as_secs_f64();

    let accepted = counts.accepted.load(Ordering::Relaxed);
    let delivered = counts.delivered.load(Ordering::Relaxed);
    let dead = counts.dead_letters.load(Ordering::Relaxed);
    let refused = counts.refused.load(Ordering::Relaxed);
    drop(slots);
    drop(set);
    let (made, dropped) = (
        MADE.load(Ordering::Relaxed),
        DROPPED.load(Ordering::Relaxed),
    );

    println!(
        "{} actors, {} workers, {} producers: {:.2} M messages/s ({delivered} delivered, \
         {dead} dead letters, {refused} handed back) in {elapsed:.2} s; {} actors created and {} \
         destroyed during the run",
        options.actors,
        options.workers,
        options.producers,
        (delivered + dead) as f64 / elapsed / 1e6,
        counts.created.load(Ordering::Relaxed),
        counts.destroyed.load(Ordering::Relaxed),
    );
    let mut ok = !counts.broken.load(Ordering::Relaxed);
    if accepted != delivered + dead {
        eprintln!("{accepted} messages accepted, but {delivered} + {dead} arrived");
        ok = false;
    }
    if made != dropped || made != accepted + refused {
        eprintln!("{made} messages made, {dropped} dropped, {accepted} + {refused} sent");
        ok = false;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
