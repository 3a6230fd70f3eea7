//! The drivers: fan-in (also the backpressure scenario), ping-pong and the bursty producer, on
//! threads and on tasks; and the CPU and context-switch counters read around them.
// Each message is its own heap allocation on purpose: that is the payload every channel moves.
#![allow(clippy::vec_box)]

use std::hint::black_box;
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

use intrusive_mpsc_perf::{pin, pinning};

use crate::peers::{Async, Blocking, Msg};

/// One sample: the scenario's figure (million messages/s, or ns per round trip, or the idle
/// receiver's CPU share), and what the process (or the receiver thread) spent for it.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The figure.
    pub value: f64,
    /// CPU time per message, ns: the whole process's (user + system) for fan-in and ping-pong,
    /// the receiver thread's for the bursty producer.
    pub cpu_ns: f64,
    /// Voluntary context switches (a thread blocking in the kernel: parking) per 1000
    /// messages, the whole process's; the receiver thread's for the bursty producer.
    pub switches: f64,
    /// Heap allocations per 1000 messages in the timed window (a bounded sender that waits
    /// allocates its place in the wait list), when counted (`CHANNELS_ALLOCS=1`); NaN otherwise.
    pub allocs: f64,
}

/// CPU time and voluntary context switches, of the process or of the calling thread.
#[derive(Clone, Copy)]
struct Usage {
    cpu: Duration,
    switches: u64,
    allocs: u64,
}

fn usage(who: libc::c_int) -> Usage {
    // SAFETY: `rusage` is plain data, for which all zeroes is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage`; `who` is RUSAGE_SELF or RUSAGE_THREAD.
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    assert_eq!(rc, 0, "getrusage");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Usage {
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        switches: ru.ru_nvcsw as u64,
        allocs: crate::allocs::count(),
    }
}

/// The calling thread's CPU time, to the nanosecond (getrusage's is in microseconds).
fn thread_cpu() -> Duration {
    // SAFETY: `timespec` is plain data, for which all zeroes is a valid value.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid, writable `timespec`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Process usage from `before` to now, per message.
fn per_message(before: Usage, messages: usize, value: f64) -> Sample {
    let after = usage(libc::RUSAGE_SELF);
    Sample {
        value,
        cpu_ns: (after.cpu - before.cpu).as_nanos() as f64 / messages as f64,
        switches: (after.switches - before.switches) as f64 * 1000.0 / messages as f64,
        allocs: if crate::allocs::counting() {
            (after.allocs - before.allocs) as f64 * 1000.0 / messages as f64
        } else {
            f64::NAN
        },
    }
}

/// Million messages per second.
fn rate(messages: usize, elapsed: Duration) -> f64 {
    messages as f64 / elapsed.as_secs_f64() / 1e6
}

/// The async scenarios' runtime: tokio's multi-thread scheduler with 2 workers, made once.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a tokio runtime")
    })
}

/// Pins the calling thread to `cpu` if `BENCH_PIN=1`.
fn maybe_pin(cpu: usize) {
    if pinning() {
        pin(Some(cpu));
    }
}

/// The messages of each of `producers` producers, `total` in all, allocated before timing.
fn batches(producers: usize, total: usize) -> Vec<Vec<Box<Msg>>> {
    (0..producers)
        .map(|_| (0..total / producers).map(|_| Msg::boxed()).collect())
        .collect()
}

/// What the receiver does with a message: reads it, keeps it (it is freed after timing).
#[inline]
fn take(m: Box<Msg>, kept: &mut Vec<Box<Msg>>) {
    black_box(m.payload[0]);
    kept.push(m);
}

/// Fan-in on threads: `producers` threads send `total` messages as fast as they can (blocking
/// while a bounded channel is full), one thread receives them all. Million messages/s.
pub fn fan_in_blocking<C: Blocking>(cap: Option<usize>, producers: usize, total: usize) -> Sample {
    let (tx, mut rx) = C::new(cap);
    let total = total / producers * producers;
    let start = Arc::new(Barrier::new(producers + 2));
    let senders: Vec<_> = batches(producers, total)
        .into_iter()
        .enumerate()
        .map(|(i, batch)| {
            let (tx, start) = (tx.clone(), start.clone());
            std::thread::spawn(move || {
                maybe_pin(i + 1);
                start.wait();
                let began = Instant::now();
                for mut m in batch {
                    m.payload[0] = i as u64;
                    C::send(&tx, m);
                }
                began
            })
        })
        .collect();
    drop(tx);
    let receiver = {
        let start = start.clone();
        std::thread::spawn(move || {
            maybe_pin(0);
            let mut kept = Vec::with_capacity(total);
            start.wait();
            let began = Instant::now();
            for _ in 0..total {
                take(C::recv(&mut rx), &mut kept);
            }
            (began, Instant::now(), kept, rx)
        })
    };
    start.wait();
    let before = usage(libc::RUSAGE_SELF);
    let (began, ended, kept, rx) = receiver.join().expect("receiver");
    // The clock starts when the first thread leaves the barrier (a thread that the scheduler
    // delays there must not shorten the sample).
    let began = senders
        .into_iter()
        .map(|s| s.join().expect("producer"))
        .fold(began, Instant::min);
    let sample = per_message(before, total, rate(total, ended - began));
    drop((kept, rx));
    sample
}

/// Fan-in on tasks of the 2-worker runtime: `producers` tasks, one receiving task.
pub fn fan_in_async<C: Async>(cap: Option<usize>, producers: usize, total: usize) -> Sample {
    let (tx, mut rx) = C::new(cap);
    let total = total / producers * producers;
    let batches = batches(producers, total);
    let rt = runtime();
    let before = usage(libc::RUSAGE_SELF);
    let (elapsed, kept, rx) = rt.block_on(async move {
        let began = Instant::now();
        let receiver = tokio::spawn(async move {
            let mut kept = Vec::with_capacity(total);
            for _ in 0..total {
                take(C::recv(&mut rx).await, &mut kept);
            }
            (began.elapsed(), kept, rx)
        });
        for (i, batch) in batches.into_iter().enumerate() {
            let tx = tx.clone();
            tokio::spawn(async move {
                for mut m in batch {
                    m.payload[0] = i as u64;
                    C::send(&tx, m).await;
                }
            });
        }
        drop(tx);
        receiver.await.expect("receiver")
    });
    let sample = per_message(before, total, rate(total, elapsed));
    drop((kept, rx));
    sample
}

/// Ping-pong on two threads: one message goes there and back `trips` times through two
/// channels, blocking send and receive both ways. Nanoseconds per round trip.
pub fn ping_pong_blocking<C: Blocking>(cap: Option<usize>, trips: usize) -> Sample {
    let (there, mut far) = C::new(cap);
    let (back, mut near) = C::new(cap);
    let start = Arc::new(Barrier::new(2));
    let echo = {
        let start = start.clone();
        std::thread::spawn(move || {
            maybe_pin(1);
            start.wait();
            for _ in 0..trips {
                let mut m = C::recv(&mut far);
                m.payload[0] += 1;
                C::send(&back, m);
            }
            far
        })
    };
    maybe_pin(0);
    let mut m = Msg::boxed();
    start.wait();
    let before = usage(libc::RUSAGE_SELF);
    let began = Instant::now();
    for _ in 0..trips {
        C::send(&there, m);
        m = C::recv(&mut near);
    }
    let elapsed = began.elapsed();
    assert_eq!(m.payload[0], trips as u64);
    let far = echo.join().expect("echo");
    if pinning() {
        pin(None);
    }
    drop((far, near));
    per_message(before, trips, elapsed.as_nanos() as f64 / trips as f64)
}

/// Ping-pong between two tasks of the 2-worker runtime. Nanoseconds per round trip.
pub fn ping_pong_async<C: Async>(cap: Option<usize>, trips: usize) -> Sample {
    let (there, mut far) = C::new(cap);
    let (back, mut near) = C::new(cap);
    let rt = runtime();
    let before = usage(libc::RUSAGE_SELF);
    let elapsed = rt.block_on(async move {
        let echo = tokio::spawn(async move {
            for _ in 0..trips {
                let mut m = C::recv(&mut far).await;
                m.payload[0] += 1;
                C::send(&back, m).await;
            }
            far
        });
        let pinger = tokio::spawn(async move {
            let mut m = Msg::boxed();
            let began = Instant::now();
            for _ in 0..trips {
                C::send(&there, m).await;
                m = C::recv(&mut near).await;
            }
            let elapsed = began.elapsed();
            assert_eq!(m.payload[0], trips as u64);
            elapsed
        });
        let elapsed = pinger.await.expect("pinger");
        drop(echo.await.expect("echo"));
        elapsed
    });
    per_message(before, trips, elapsed.as_nanos() as f64 / trips as f64)
}

/// How the bursty producer sends: `BURSTS` bursts of `BURST` messages, `GAP` apart.
pub const BURSTS: usize = 40;
/// Messages per burst.
pub const BURST: usize = 64;
/// The idle gap after each burst.
pub const GAP: Duration = Duration::from_millis(1);

/// A bursty producer thread (bursts of [`BURST`] messages, then [`GAP`] idle) and a receiver
/// thread that blocks in its receive: the receiver's CPU time as a share of the wall time, in
/// percent (the figure), per message (ns), and its voluntary context switches per 1000
/// messages.
pub fn bursty<C: Blocking>(cap: Option<usize>) -> Sample {
    let (tx, mut rx) = C::new(cap);
    let total = BURSTS * BURST;
    let mut batch = batches(1, total).pop().expect("one batch");
    let start = Arc::new(Barrier::new(2));
    let receiver = {
        let start = start.clone();
        std::thread::spawn(move || {
            maybe_pin(0);
            let mut kept = Vec::with_capacity(total);
            start.wait();
            let (began, cpu, ru) = (Instant::now(), thread_cpu(), usage(libc::RUSAGE_THREAD));
            for _ in 0..total {
                take(C::recv(&mut rx), &mut kept);
            }
            let (wall, cpu) = (began.elapsed(), thread_cpu() - cpu);
            let switches = usage(libc::RUSAGE_THREAD).switches - ru.switches;
            drop((kept, rx));
            (wall, cpu, switches)
        })
    };
    maybe_pin(1);
    start.wait();
    for _ in 0..BURSTS {
        for mut m in batch.drain(..BURST) {
            m.payload[0] = 1;
            C::send(&tx, m);
        }
        std::thread::sleep(GAP);
    }
    let (wall, cpu, switches) = receiver.join().expect("receiver");
    if pinning() {
        pin(None);
    }
    Sample {
        value: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        cpu_ns: cpu.as_nanos() as f64 / total as f64,
        switches: switches as f64 * 1000.0 / total as f64,
        allocs: f64::NAN,
    }
}
