//! The channel against its peers, side by side in one run (issue 18's "bounded as fast as the
//! best"): tokio mpsc, flume, async-channel, kanal, crossbeam-channel, std mpsc and this crate's
//! channel, each moving the same boxed 72-byte message (our link and a 64-byte payload) through
//! its own API for the mode.
//!
//! Scenarios: fan-in (1 and 4 producers; threads and tasks; unbounded and bounded at 1024),
//! ping-pong (two threads, two tasks; one message in flight), a bursty producer with the idle
//! receiver's CPU time, and backpressure (capacity 64, 2 or 8 producers always waiting for room).
//! Tasks run on a tokio multi-thread runtime with 2 workers. Each run samples every entry of a
//! scenario once, in an order rotated from run to run; the tables give medians and quartiles
//! over the runs, and the target ratios are taken per run (so their spread shows too).
//!
//! Usage: `channels [runs] [filter] [entry]` (default 11 runs; `filter` keeps the scenarios whose
//! name contains it, `entry` only the channel of that exact name, for profiling one).
//! `BENCH_PIN=1` pins the threads of the threaded scenarios (receiver on core 0, producers on
//! the next ones) and leaves the task scenarios out: tokio's workers are never pinned, and a
//! task scenario run after pinned threaded ones measured the peers differently (kanal's async
//! backpressure 8-10 million/s there, 15-17 in a process of its own). Linux only: it reads the CPU
//! time and the context switches of the process and of the receiver thread. `CHANNELS_ALLOCS=1`
//! adds a column: heap allocations per 1000 messages (a diagnostic; it slows allocations).

#[cfg(target_os = "linux")]
mod allocs;
#[cfg(target_os = "linux")]
mod drive;
#[cfg(target_os = "linux")]
mod peers;
#[cfg(target_os = "linux")]
mod proto;
#[cfg(target_os = "linux")]
mod report;

#[cfg(target_os = "linux")]
fn main() {
    report::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the channels benchmark reads per-thread CPU time: Linux only");
}
