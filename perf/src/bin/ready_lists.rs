//! The dynamic set's ready list(s) under load from its workers alone: no producer runs while the
//! clock runs, so every core the process gets goes to the workers.
//!
//! `cargo run --release -p intrusive-mpsc-perf --bin ready_lists -- [runs] [budget]` (default 9
//! runs, a budget of 1 message per turn). Not run in CI.
//!
//! [`MEMBERS`] members are filled with [`PER_MEMBER`] boxed messages each before the workers
//! start, and the set is closed; then 2 (or 1) worker threads take members in `next_blocking`,
//! handle up to `budget` messages each (a sum in the member's state, no other work) and give
//! them back, so each turn is one pop of a ready list and, while nodes are left, one scheduling
//! by the worker. The time runs from the workers' start until they have all stopped (every
//! message handled): with a budget of 1, turns per second, for comparing one shared ready list
//! with per-worker lists.

use std::thread;
use std::time::Instant;

use intrusive_mpsc::{node, DynamicSet, Link, Next};

/// Members.
const MEMBERS: usize = 5_000;
/// Messages queued on each member before the workers start.
const PER_MEMBER: usize = 80;

struct Msg {
    link: Link,
    value: u64,
}
node!(Msg, link, Box<Msg>);

/// The calling thread's CPU time so far, in seconds; `NaN` off Linux.
fn thread_cpu_seconds() -> f64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `timespec` is plain integers, for which all zeroes is a valid value.
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: `now` is a valid, writable `timespec`.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0 {
            return now.tv_sec as f64 + now.tv_nsec as f64 / 1e9;
        }
    }
    f64::NAN
}

/// Million messages handled per second by `workers` threads, and the cores they used meanwhile
/// (their CPU time over the wall time).
fn run(workers: usize, budget: usize) -> (f64, f64) {
    let set = DynamicSet::<Msg, u64>::new();
    let members: Vec<_> = (0..MEMBERS).map(|_| set.add(0)).collect();
    for round in 0..PER_MEMBER {
        for member in &members {
            let msg = Box::new(Msg {
                link: Link::new(),
                value: round as u64,
            });
            assert!(member.send(msg).is_ok());
        }
    }
    // Closed before the workers start: they take everything scheduled, then stop. A worker
    // that finds the lists empty while another still holds a member stops early; the holder
    // puts the member back and takes it again.
    set.close();
    let total = MEMBERS * PER_MEMBER;
    let start = Instant::now();
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let mut worker = set.worker();
            // Counted per thread, so that the workers share nothing but the set.
            thread::spawn(move || {
                let cpu = thread_cpu_seconds();
                let mut handled = 0;
                loop {
                    match worker.next_blocking() {
                        Next::Ready(mut member) => {
                            let mut n = 0;
                            while n < budget {
                                let Some(m) = member.dequeue() else { break };
                                *member.state() += m.value;
                                n += 1;
                            }
                            handled += n;
                        }
                        Next::Woken => {}
                        Next::Closed => return (handled, thread_cpu_seconds() - cpu),
                    }
                }
            })
        })
        .collect();
    let (mut handled, mut cpu) = (0, 0.0);
    for thread in threads {
        let (n, seconds) = thread.join().unwrap();
        handled += n;
        cpu += seconds;
    }
    let elapsed = start.elapsed();
    let cores = cpu / elapsed.as_secs_f64();
    assert_eq!(handled, total);
    drop(members);
    (total as f64 / elapsed.as_secs_f64() / 1e6, cores)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(9, |a| a.parse().expect("runs"));
    let budget: usize = args.next().map_or(1, |a| a.parse().expect("budget"));
    let mut rates = [Vec::new(), Vec::new()];
    let mut cores = [Vec::new(), Vec::new()];
    for r in 0..runs {
        // Interleaved, the order alternating each run.
        for k in 0..2 {
            let i = (k + r) % 2;
            let (rate, used) = run(2 - i, budget);
            rates[i].push(rate);
            cores[i].push(used);
        }
    }
    println!(
        "{MEMBERS} members, {} messages queued before the start, a budget of {budget}, {runs} runs",
        MEMBERS * PER_MEMBER
    );
    for (i, name) in ["2 workers", "1 worker"].iter().enumerate() {
        let v = &mut rates[i];
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        cores[i].sort_by(f64::total_cmp);
        println!(
            "{name:<10} median {:6.2} M messages/s (quartiles {:.2}-{:.2}, min {:.2}, max {:.2}); \
             {:.2} cores used",
            at(0.5),
            at(0.25),
            at(0.75),
            at(0.0),
            at(1.0),
            cores[i][cores[i].len() / 2]
        );
    }
}
