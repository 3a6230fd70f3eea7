//! Runs single-thread bursts (64 enqueues, then 64 dequeues) on one queue, for counting
//! instructions per enqueue+dequeue pair under callgrind; `scripts/instructions.sh` drives it.
//!
//! `instructions <queue> <rounds>`: queue is one of `ours`, `cordyceps`, `segqueue`, `channel`,
//! `std`, `mutex`, `wgring`, `wgcounted` (our queue plus a WireGuard-style counter), `bounded`,
//! `floor` (the harness around a plain non-atomic ring).
//! The script runs each queue at two round counts and divides the difference by the difference
//! in pairs, which cancels start-up and queue creation; it then subtracts the floor.

#[path = "../benches/support/mod.rs"]
mod support;
use support::*;

fn run<Q: Subject>(rounds: u64) {
    let queue = Q::new();
    let producer = queue.producer();
    let mut consumer = queue.consumer();
    let mut pool = packets(BURST);
    burst::<Q>(&producer, &mut consumer, &mut pool, rounds);
    std::hint::black_box(&pool);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(rounds)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: instructions <queue> <rounds>");
        std::process::exit(2);
    };
    let rounds: u64 = rounds.parse().expect("rounds: a number");
    match name.as_str() {
        "ours" => run::<Ours>(rounds),
        "cordyceps" => run::<Cordyceps>(rounds),
        "segqueue" => run::<Seg>(rounds),
        "channel" => run::<CbChannel>(rounds),
        "std" => run::<StdMpsc>(rounds),
        "mutex" => run::<MutexDeque>(rounds),
        "wgring" => run::<WgRing>(rounds),
        "wgcounted" => run::<WgCounted>(rounds),
        "bounded" => run::<Bounded>(rounds),
        "floor" => run::<Floor>(rounds),
        _ => {
            eprintln!("unknown queue {name}");
            std::process::exit(2);
        }
    }
}
