//! The actor workload, side by side: `DynamicSet` against tokio and crossbeam-channel.
//!
//! `cargo run --release -p intrusive-mpsc-perf --bin actors -- [runs] [work_ns] [filter]` (default 5
//! runs, no work per message; with a filter, only the subjects whose name contains it). Not run in
//! CI.
//!
//! [`ACTORS`] actors, [`PRODUCERS`] producer threads sending [`PER_PRODUCER`] boxed messages each
//! to random actors as fast as they can; each message costs the actor about `work_ns` of spinning.
//! The time runs from the start until every message is handled. Subjects:
//! - `DynamicSet, 2 workers` and `DynamicSet, 1 worker`: one member per actor, worker threads in
//!   `next_blocking`, a budget of [`budget`] messages per holding;
//! - `tokio, 2 workers`: a task and an unbounded mpsc per actor on a multi-thread runtime with 2
//!   workers; the producers are plain threads;
//! - `crossbeam, 2 threads`: a crossbeam unbounded channel per actor, a `scheduled` flag per actor,
//!   and a crossbeam channel of ready actor ids served by 2 threads (the producer that sets the
//!   flag sends the id; a worker drains up to [`budget`] messages, then re-sends the id or clears
//!   the flag and looks once more).
//!
//! Each subject's line also gives the cores the process used while it ran (its CPU time over its
//! wall time) and, on Linux, the sleeps of its threads other than the main one per 1,000 messages:
//! their voluntary context switches (a park, a futex wait on a contended lock), from `getrusage`.
//!
//! Then `churn`: one thread adds a member and closes it, again and again: creations plus removals
//! per second.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use intrusive_mpsc::{node, DynamicSet, Link, Next};

/// Actors.
const ACTORS: usize = 5_000;
/// Producer threads.
const PRODUCERS: usize = 2;
/// Messages per producer.
const PER_PRODUCER: usize = 200_000;
/// Messages an actor takes per turn, unless the environment variable `ACTORS_BUDGET` says
/// otherwise (a smaller budget means more turns, so more work for the ready lists).
const BUDGET: usize = 32;

/// The budget of this run: `ACTORS_BUDGET`, or [`BUDGET`].
fn budget() -> usize {
    static BUDGET_NOW: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BUDGET_NOW.get_or_init(|| {
        std::env::var("ACTORS_BUDGET").map_or(BUDGET, |b| b.parse().expect("ACTORS_BUDGET"))
    })
}

/// A message, boxed for every subject.
struct Msg {
    link: Link,
    value: u64,
}
node!(Msg, link, Box<Msg>);

fn msg(value: u64) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        value,
    })
}

/// The actor's work on one message: about `ns` nanoseconds of spinning.
fn work(ns: u64, value: u64) -> u64 {
    if ns == 0 {
        return value;
    }
    let start = Instant::now();
    let mut acc = value;
    while start.elapsed() < Duration::from_nanos(ns) {
        acc = black_box(acc.wrapping_mul(31).wrapping_add(1));
    }
    acc
}

/// Each producer's targets, drawn before the clock starts.
fn targets(p: usize) -> Vec<usize> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64 ^ (p as u64 + 1);
    (0..PER_PRODUCER)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % ACTORS as u64) as usize
        })
        .collect()
}

fn dynamic_set(workers: usize, work_ns: u64) -> Duration {
    let set = DynamicSet::<Msg, u64>::new();
    let actors: Arc<Vec<_>> = Arc::new((0..ACTORS).map(|_| set.add(0)).collect());
    let total = PRODUCERS * PER_PRODUCER;
    let handled = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let mut worker = set.worker();
            let handled = Arc::clone(&handled);
            let budget = budget();
            thread::spawn(move || loop {
                match worker.next_blocking() {
                    Next::Ready(mut actor) => {
                        let mut n = 0;
                        while n < budget {
                            let Some(m) = actor.dequeue() else { break };
                            *actor.state() = work(work_ns, m.value);
                            n += 1;
                        }
                        handled.fetch_add(n, Ordering::Relaxed);
                    }
                    Next::Woken => {}
                    Next::Closed => return,
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let actors = Arc::clone(&actors);
            let targets = targets(p);
            thread::spawn(move || {
                for (i, to) in targets.into_iter().enumerate() {
                    assert!(actors[to].send(msg(i as u64)).is_ok());
                }
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    while handled.load(Ordering::Relaxed) < total {
        thread::sleep(Duration::from_micros(100));
    }
    let elapsed = start.elapsed();
    set.close();
    threads.into_iter().for_each(|t| t.join().unwrap());
    elapsed
}

fn tokio_tasks(work_ns: u64) -> Duration {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let total = PRODUCERS * PER_PRODUCER;
    let handled = Arc::new(AtomicUsize::new(0));
    let senders: Arc<Vec<_>> = Arc::new(
        (0..ACTORS)
            .map(|_| {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Box<Msg>>();
                let handled = Arc::clone(&handled);
                runtime.spawn(async move {
                    let mut state = 0;
                    while let Some(m) = rx.recv().await {
                        state = work(work_ns, m.value);
                        handled.fetch_add(1, Ordering::Relaxed);
                    }
                    black_box(state);
                });
                tx
            })
            .collect(),
    );
    let start = Instant::now();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let senders = Arc::clone(&senders);
            let targets = targets(p);
            thread::spawn(move || {
                for (i, to) in targets.into_iter().enumerate() {
                    assert!(senders[to].send(msg(i as u64)).is_ok());
                }
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    while handled.load(Ordering::Relaxed) < total {
        thread::sleep(Duration::from_micros(100));
    }
    let elapsed = start.elapsed();
    drop(senders);
    runtime.shutdown_timeout(Duration::from_secs(5));
    elapsed
}

/// An actor for the crossbeam subject: its mailbox and whether its id is on the run queue.
struct CbActor {
    tx: crossbeam_channel::Sender<Box<Msg>>,
    rx: crossbeam_channel::Receiver<Box<Msg>>,
    scheduled: AtomicBool,
}

fn crossbeam_pool(work_ns: u64) -> Duration {
    let actors: Arc<Vec<CbActor>> = Arc::new(
        (0..ACTORS)
            .map(|_| {
                let (tx, rx) = crossbeam_channel::unbounded();
                CbActor {
                    tx,
                    rx,
                    scheduled: AtomicBool::new(false),
                }
            })
            .collect(),
    );
    let (run_tx, run_rx) = crossbeam_channel::unbounded::<usize>();
    let total = PRODUCERS * PER_PRODUCER;
    let handled = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (actors, run_tx, run_rx) = (Arc::clone(&actors), run_tx.clone(), run_rx.clone());
            let handled = Arc::clone(&handled);
            let budget = budget();
            thread::spawn(move || {
                let mut state = 0;
                // `usize::MAX` stops the thread (the threads hold senders of the run queue too,
                // so it never disconnects).
                while let Ok(id) = run_rx.recv() {
                    if id == usize::MAX {
                        break;
                    }
                    let actor = &actors[id];
                    let mut n = 0;
                    while n < budget {
                        let Ok(m) = actor.rx.try_recv() else { break };
                        state = work(work_ns, m.value);
                        n += 1;
                    }
                    handled.fetch_add(n, Ordering::Relaxed);
                    if n == budget {
                        let _ = run_tx.send(id);
                        continue;
                    }
                    actor.scheduled.store(false, Ordering::SeqCst);
                    if !actor.rx.is_empty() && !actor.scheduled.swap(true, Ordering::SeqCst) {
                        let _ = run_tx.send(id);
                    }
                }
                black_box(state);
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let (actors, run_tx) = (Arc::clone(&actors), run_tx.clone());
            let targets = targets(p);
            thread::spawn(move || {
                for (i, to) in targets.into_iter().enumerate() {
                    let actor = &actors[to];
                    actor.tx.send(msg(i as u64)).unwrap();
                    if !actor.scheduled.swap(true, Ordering::SeqCst) {
                        run_tx.send(to).unwrap();
                    }
                }
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    while handled.load(Ordering::Relaxed) < total {
        thread::sleep(Duration::from_micros(100));
    }
    let elapsed = start.elapsed();
    for _ in 0..2 {
        run_tx.send(usize::MAX).unwrap();
    }
    threads.into_iter().for_each(|t| t.join().unwrap());
    elapsed
}

/// The process's CPU time so far, in seconds (user + system, every thread, exited ones too),
/// from `/proc/self/stat`; `None` where there is no such file.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command's closing parenthesis: state is field 3, utime 14 and stime 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ, 100 on Linux
}

/// Voluntary context switches so far: of the whole process (every thread, those that ended
/// included) and of the calling thread. Linux only; 0 elsewhere.
fn sleeps() -> (u64, u64) {
    #[cfg(target_os = "linux")]
    {
        let of = |who| {
            // SAFETY: `rusage` is plain integers, for which all zeroes is a valid value.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: `usage` is a valid, writable `rusage`.
            if unsafe { libc::getrusage(who, &mut usage) } == 0 {
                u64::try_from(usage.ru_nvcsw).unwrap_or(0)
            } else {
                0
            }
        };
        (of(libc::RUSAGE_SELF), of(libc::RUSAGE_THREAD))
    }
    #[cfg(not(target_os = "linux"))]
    (0, 0)
}

/// Creations plus removals per second, one thread.
fn churn() -> f64 {
    let set = DynamicSet::<Msg, u64>::new();
    let rounds = 1_000_000;
    let start = Instant::now();
    for i in 0..rounds {
        let member = set.add(i);
        member.close();
        drop(black_box(member));
    }
    2.0 * rounds as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(5, |a| a.parse().expect("runs"));
    let work_ns: u64 = args.next().map_or(0, |a| a.parse().expect("work_ns"));
    let filter = args.next().unwrap_or_default();
    let total = (PRODUCERS * PER_PRODUCER) as f64;
    type Subject = (&'static str, Box<dyn Fn(u64) -> Duration>);
    let subjects: Vec<Subject> = vec![
        ("DynamicSet, 2 workers", Box::new(|w| dynamic_set(2, w))),
        ("DynamicSet, 1 worker", Box::new(|w| dynamic_set(1, w))),
        ("tokio, 2 workers", Box::new(tokio_tasks)),
        ("crossbeam, 2 threads", Box::new(crossbeam_pool)),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); subjects.len()];
    // Cores the process got while a subject ran (its CPU time over its wall time): on a shared
    // machine, what the scheduler let it use.
    let mut cores: Vec<Vec<f64>> = vec![Vec::new(); subjects.len()];
    // Sleeps of the threads other than the main one (whose 100 µs naps while it waits for the
    // last message are not the subject's), per 1,000 messages.
    let mut naps: Vec<Vec<f64>> = vec![Vec::new(); subjects.len()];
    for run in 0..runs {
        // Interleaved, the order rotating each run.
        for k in 0..subjects.len() {
            let i = (k + run) % subjects.len();
            if !subjects[i].0.contains(filter.as_str()) {
                rates[i].push(f64::NAN);
                cores[i].push(f64::NAN);
                naps[i].push(f64::NAN);
                continue;
            }
            let (cpu, wall, before) = (cpu_seconds(), Instant::now(), sleeps());
            let elapsed = (subjects[i].1)(work_ns);
            let after = sleeps();
            let others = (after.0 - before.0).saturating_sub(after.1 - before.1);
            naps[i].push(others as f64 * 1000.0 / total);
            let wall = wall.elapsed().as_secs_f64();
            rates[i].push(total / elapsed.as_secs_f64() / 1e6);
            cores[i].push(
                cpu.zip(cpu_seconds())
                    .map_or(f64::NAN, |(a, b)| (b - a) / wall),
            );
        }
    }
    println!(
        "{ACTORS} actors, {PRODUCERS} producers, {} messages, {work_ns} ns of work each, {runs} runs, \
         a budget of {} messages per turn",
        PRODUCERS * PER_PRODUCER,
        budget()
    );
    // Minimum, lower quartile, median, upper quartile, maximum.
    let spread = |v: &Vec<f64>| {
        let mut v = v.clone();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        (at(0.0), at(0.25), at(0.5), at(0.75), at(1.0))
    };
    for (i, (name, _)) in subjects.iter().enumerate() {
        let (min, q1, med, q3, max) = spread(&rates[i]);
        println!(
            "{name:<24} median {med:6.2} M messages/s (quartiles {q1:.2}-{q3:.2}, min {min:.2}, \
             max {max:.2}); {:.2} cores used, {:.1} sleeps per 1,000 messages",
            spread(&cores[i]).2,
            spread(&naps[i]).2
        );
    }
    let median = |v: &Vec<f64>| spread(v).2;
    let (ours2, ours1) = (median(&rates[0]), median(&rates[1]));
    let (tokio, cb) = (median(&rates[2]), median(&rates[3]));
    println!(
        "ratios of medians: 2 workers / tokio {:.2}, 2 workers / crossbeam {:.2}, 2 workers / 1 worker {:.2}",
        ours2 / tokio,
        ours2 / cb,
        ours2 / ours1
    );
    let churn: Vec<f64> = (0..runs).map(|_| churn() / 1e6).collect();
    let (min, q1, med, q3, max) = spread(&churn);
    println!(
        "churn: median {med:.2} M creations + removals/s (quartiles {q1:.2}-{q3:.2}, min \
         {min:.2}, max {max:.2})"
    );
}
