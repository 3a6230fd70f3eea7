//! Round trips between two threads through two ready sets: each thread's worker waits in
//! `next_blocking` for the other's message. What a worker's wait before it parks is worth when a
//! peer answers within microseconds. Two kinds of set: fixed (`ReadySet`, one member each) and
//! dynamic (`DynamicSet`, one member each, one worker each).
//!
//! `cargo run --release -p intrusive-mpsc-perf --bin ready_pingpong -- [runs] [trips]` (default 9
//! runs of 20,000 round trips, the two kinds interleaved): nanoseconds per round trip, median and
//! quartiles. Not run in CI.

use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use intrusive_mpsc::{node, DynamicSet, Link, Next, ReadySet};

/// The ball.
struct Ball {
    link: Link,
    hits: u64,
}
node!(Ball, link, Box<Ball>);

/// Takes the one ball out of the one member of `$worker`'s set, waiting in `next_blocking`: for
/// either kind of worker (a fixed set's `Worker` and a dynamic set's `SetWorker` share the
/// method's shape but no trait).
macro_rules! catch {
    ($worker:expr) => {
        loop {
            match $worker.next_blocking() {
                Next::Ready(mut member) => {
                    if let Some(ball) = member.dequeue() {
                        break ball;
                    }
                }
                Next::Woken | Next::Closed => unreachable!("never woken or closed"),
            }
        }
    };
}

/// Nanoseconds per round trip over `trips` round trips, through two dynamic sets.
fn sample_dynamic(trips: u64) -> f64 {
    let ping = DynamicSet::<Ball>::new();
    let pong = DynamicSet::<Ball>::new();
    let (to_ping, to_pong) = (ping.add(()), pong.add(()));
    let start = Barrier::new(2);
    let elapsed = thread::scope(|s| {
        s.spawn(|| {
            let mut worker = ping.worker();
            start.wait();
            for _ in 0..trips {
                let mut ball = catch!(worker);
                ball.hits += 1;
                assert!(to_pong.send(ball).is_ok(), "pong's member is open");
            }
        });
        let mut worker = pong.worker();
        start.wait();
        let t = Instant::now();
        let first = Box::new(Ball {
            link: Link::new(),
            hits: 0,
        });
        assert!(to_ping.send(first).is_ok(), "ping's member is open");
        for trip in 1..=trips {
            let ball = catch!(worker);
            assert_eq!(ball.hits, trip);
            if trip < trips {
                assert!(to_ping.send(ball).is_ok(), "ping's member is open");
            }
        }
        t.elapsed()
    });
    elapsed.as_nanos() as f64 / trips as f64
}

/// Nanoseconds per round trip over `trips` round trips, through two fixed sets.
fn sample(trips: u64) -> f64 {
    let ping = ReadySet::<Ball>::new(1);
    let pong = ReadySet::<Ball>::new(1);
    let start = Barrier::new(2);
    thread::scope(|s| {
        s.spawn(|| {
            let mut worker = ping.worker().expect("one worker");
            start.wait();
            for _ in 0..trips {
                let mut ball = catch!(worker);
                ball.hits += 1;
                pong.enqueue(0, ball);
            }
        });
        let mut worker = pong.worker().expect("one worker");
        start.wait();
        let t = Instant::now();
        ping.enqueue(
            0,
            Box::new(Ball {
                link: Link::new(),
                hits: 0,
            }),
        );
        for trip in 1..=trips {
            let ball = catch!(worker);
            assert_eq!(ball.hits, trip);
            if trip < trips {
                ping.enqueue(0, ball);
            }
        }
        t.elapsed().as_nanos() as f64 / trips as f64
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map_or(9, |r| r.parse().expect("runs: a number"));
    let trips: u64 = args
        .next()
        .map_or(20_000, |t| t.parse().expect("trips: a number"));
    let _ = sample(trips / 10);
    let _ = sample_dynamic(trips / 10);
    let (mut fixed, mut dynamic) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // Alternate which kind goes first, so neither always follows the other.
        if run % 2 == 0 {
            fixed.push(sample(trips));
            dynamic.push(sample_dynamic(trips));
        } else {
            dynamic.push(sample_dynamic(trips));
            fixed.push(sample(trips));
        }
    }
    for (kind, mut samples) in [("ReadySet", fixed), ("DynamicSet", dynamic)] {
        samples.sort_by(f64::total_cmp);
        let q = |f: f64| samples[((samples.len() - 1) as f64 * f).round() as usize];
        println!(
            "{kind} ping-pong, ns per round trip: median {:.0} (q1 {:.0}, q3 {:.0}; {runs} runs of {trips})",
            q(0.5),
            q(0.25),
            q(0.75)
        );
    }
}
