//! One hot queue across cores, the plain harness and the tuned one side by side in one run, with
//! the targets of the busy-polling consumer (`Consumer::dequeue_spin`).
//!
//! `cargo perf hot -- [runs] [filter]` (default 31 runs; with a filter, only the scenarios whose
//! name contains it). `BENCH_PIN=1` pins the consumer to core 0 and producer `i` to core `i + 1`
//! (modulo the cores). Every scenario is sampled `runs` times, the entries' order rotating each
//! run, and reported as the median with quartiles, min and max.
//!
//! - **Plain harness** (`stream`): producers send their 4096 packets without pause, once
//!   untimed and twice timed (the same packets each time, as a program recycles its buffers),
//!   waiting between passes by spinning;
//!   the consumer takes them with a loop a user writes: `try_dequeue` / `try_recv` / `pop` again
//!   at once until something comes ("tight"), crossbeam-channel also with its own blocking
//!   `recv`; ours also with `dequeue_spin`. For two producers also with producers that block
//!   between passes (`stream_blocking`), as a producer waiting for its input does: on two cores,
//!   three threads that never yield leave the rate to the scheduler's time slices.
//! - **Tuned harness** (`threaded`, what `targets` and the criterion benches run): 16 rounds of
//!   16384 packets, the producers waiting for each round's start; the consumer polls once and
//!   backs off with crossbeam's `Backoff::snooze` after "nothing" (spin-loop hints 1, 2 .. 64, then
//!   yielding the thread); ours through `dequeue`.
//! - **Ping-pong**: two threads, one packet bounced between two queues; nanoseconds per round
//!   trip, each side waiting with the loop named.
//!
//! The `explore` scenarios (run only when the filter names them) hold the back-off variants tried
//! while choosing `dequeue_spin`'s policy.

use intrusive_mpsc_perf::hot::*;
use intrusive_mpsc_perf::*;

/// The plain harness over packets never queued before: new ones for each pass.
fn fresh<S: Subject, W: Wait<S>>(producers: usize) -> Sample {
    passes::<S, W>(
        producers,
        PASS,
        WARM_PASSES,
        TIMED_PASSES,
        Between::Spin,
        true,
    )
}

/// The tuned harness's structure (16 rounds, the producers waiting for each with
/// `Backoff::snooze`) with the consumer's loop `W`.
fn passes_tuned<S: Subject, W: Wait<S>>(producers: usize, rounds: usize) -> Sample {
    passes::<S, W>(producers, ROUND, 0, rounds, Between::Snooze, false)
}

/// One entry: a name and how to take a sample.
struct Entry {
    name: &'static str,
    sample: fn() -> Sample,
    values: Vec<f64>,
    /// The values of the samples during which no thread of the process was preempted.
    quiet: Vec<f64>,
}

struct Scenario {
    name: &'static str,
    entries: Vec<Entry>,
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

fn median_of(s: &[f64]) -> f64 {
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// A quantile of sorted values (nearest rank).
fn quantile(s: &[f64], q: f64) -> f64 {
    s[(q * (s.len() - 1) as f64).round() as usize]
}

impl Entry {
    fn median(&self) -> f64 {
        median_of(&sorted(&self.values))
    }
    fn q(&self, q: f64) -> f64 {
        quantile(&sorted(&self.values), q)
    }
}

impl Scenario {
    fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

fn e(name: &'static str, sample: fn() -> Sample) -> Entry {
    Entry {
        name,
        sample,
        values: Vec::new(),
        quiet: Vec::new(),
    }
}

/// Million messages per second through the tuned harness, `P` producers.
///
/// Whether a thread was preempted is counted over the whole process and the whole call (thread
/// start-up included): the harness is the library's, unchanged.
fn tuned<S: Subject, const P: usize>() -> Sample {
    const ROUNDS: u64 = 16;
    let before = preemptions();
    let elapsed = threaded::<S, _>(P, ROUNDS, &Single);
    Sample {
        value: (ROUNDS as usize * (ROUND / P * P)) as f64 / elapsed.as_secs_f64() / 1e6,
        preempted: preemptions() > before,
    }
}

const PADDED_TIGHT: &str = "PaddedQueue, tight try_dequeue";
const COMPACT_TIGHT: &str = "Queue (compact), tight try_dequeue";
const PADDED_SPIN: &str = "PaddedQueue, dequeue_spin";
const COMPACT_SPIN: &str = "Queue (compact), dequeue_spin";
const CB_TIGHT: &str = "crossbeam-channel, tight try_recv";
const CB_RECV: &str = "crossbeam-channel, recv";
const PADDED_TUNED: &str = "PaddedQueue";
const COMPACT_TUNED: &str = "Queue (compact)";
const CB_TUNED: &str = "crossbeam-channel";

const STREAM_1: &str =
    "1P/1C, plain harness (recycled packets: 1 untimed + 2 timed passes), million messages/s";
const FRESH_1: &str =
    "1P/1C, plain harness, fresh packets (new ones each pass, 1 untimed + 2 timed), million messages/s";
const TUNED_1: &str = "1P/1C, tuned harness (rounds, Backoff), million messages/s";
const CROSS_1: &str =
    "1P/1C, the tuned harness's rounds with each loop (what the rounds do, what the loop does), million messages/s";
const STREAM_2: &str =
    "2P/1C, plain harness (recycled packets: 1 untimed + 2 timed passes), million messages/s";
const STREAM_2_BLOCK: &str =
    "2P/1C, plain harness, producers blocking between passes (recycled packets: 1 untimed + 2 timed), million messages/s";
const TUNED_2: &str = "2P/1C, tuned harness (rounds, Backoff), million messages/s";
const PING: &str = "ping-pong, ns per round trip";

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse().expect("runs: a number"))
        .unwrap_or(31);
    assert!(runs > 0, "runs: at least 1");
    let filter = std::env::args().nth(2).unwrap_or_default();
    let mut scenarios = vec![
        Scenario {
            name: STREAM_1,
            entries: vec![
                e(PADDED_TIGHT, || stream::<OursPadded, Tight>(1)),
                e(COMPACT_TIGHT, || stream::<OursCompact, Tight>(1)),
                e(PADDED_SPIN, || stream::<OursPadded, DequeueSpin>(1)),
                e(COMPACT_SPIN, || stream::<OursCompact, DequeueSpin>(1)),
                e(CB_TIGHT, || stream::<CbChannel, Tight>(1)),
                e(CB_RECV, || stream::<CbChannel, Recv>(1)),
                e("cordyceps, tight dequeue", || stream::<Cordyceps, Tight>(1)),
                e("SegQueue, tight pop", || stream::<Seg, Tight>(1)),
                e("PaddedQueue, tight try_dequeue + spin_loop hint", || {
                    stream::<OursPadded, TightHint>(1)
                }),
                e("crossbeam-channel, tight try_recv + spin_loop hint", || {
                    stream::<CbChannel, TightHint>(1)
                }),
                e("PaddedQueue, skip 63 polls after nothing", || {
                    stream::<OursPadded, Skip63>(1)
                }),
                e("crossbeam-channel, skip 63 polls after nothing", || {
                    stream::<CbChannel, Skip63>(1)
                }),
                e(
                    "PaddedQueue, the tuned harness's loop (dequeue + Backoff)",
                    || stream::<OursPadded, Tuned>(1),
                ),
                e(
                    "crossbeam-channel, the tuned harness's loop (try_recv + Backoff)",
                    || stream::<CbChannel, Tuned>(1),
                ),
            ],
        },
        Scenario {
            name: FRESH_1,
            entries: vec![
                e(PADDED_TIGHT, || fresh::<OursPadded, Tight>(1)),
                e(COMPACT_TIGHT, || fresh::<OursCompact, Tight>(1)),
                e(PADDED_SPIN, || fresh::<OursPadded, DequeueSpin>(1)),
                e(COMPACT_SPIN, || fresh::<OursCompact, DequeueSpin>(1)),
                e(CB_TIGHT, || fresh::<CbChannel, Tight>(1)),
                e(CB_RECV, || fresh::<CbChannel, Recv>(1)),
            ],
        },
        Scenario {
            name: TUNED_1,
            entries: vec![
                e(PADDED_TUNED, tuned::<OursPadded, 1>),
                e(COMPACT_TUNED, tuned::<OursCompact, 1>),
                e(CB_TUNED, tuned::<CbChannel, 1>),
                e("cordyceps", tuned::<Cordyceps, 1>),
            ],
        },
        Scenario {
            name: CROSS_1,
            entries: vec![
                e(
                    "PaddedQueue: rounds, the tuned loop (the tuned harness)",
                    || passes_tuned::<OursPadded, Tuned>(1, 16),
                ),
                e("PaddedQueue: rounds, tight loop", || {
                    passes_tuned::<OursPadded, Tight>(1, 16)
                }),
                e("PaddedQueue: rounds, dequeue_spin", || {
                    passes_tuned::<OursPadded, DequeueSpin>(1, 16)
                }),
                e(
                    "crossbeam-channel: rounds, the tuned loop (the tuned harness)",
                    || passes_tuned::<CbChannel, Tuned>(1, 16),
                ),
                e("crossbeam-channel: rounds, tight loop", || {
                    passes_tuned::<CbChannel, Tight>(1, 16)
                }),
                e("crossbeam-channel: rounds, recv", || {
                    passes_tuned::<CbChannel, Recv>(1, 16)
                }),
            ],
        },
        Scenario {
            name: STREAM_2,
            entries: vec![
                e(PADDED_TIGHT, || stream::<OursPadded, Tight>(2)),
                e(COMPACT_TIGHT, || stream::<OursCompact, Tight>(2)),
                e(PADDED_SPIN, || stream::<OursPadded, DequeueSpin>(2)),
                e(COMPACT_SPIN, || stream::<OursCompact, DequeueSpin>(2)),
                e(CB_TIGHT, || stream::<CbChannel, Tight>(2)),
                e(CB_RECV, || stream::<CbChannel, Recv>(2)),
                e("cordyceps, tight dequeue", || stream::<Cordyceps, Tight>(2)),
            ],
        },
        Scenario {
            name: STREAM_2_BLOCK,
            entries: vec![
                e(PADDED_TIGHT, || stream_blocking::<OursPadded, Tight>(2)),
                e(COMPACT_TIGHT, || stream_blocking::<OursCompact, Tight>(2)),
                e(PADDED_SPIN, || stream_blocking::<OursPadded, DequeueSpin>(2)),
                e(COMPACT_SPIN, || stream_blocking::<OursCompact, DequeueSpin>(2)),
                e(CB_TIGHT, || stream_blocking::<CbChannel, Tight>(2)),
                e(CB_RECV, || stream_blocking::<CbChannel, Recv>(2)),
                e("cordyceps, tight dequeue", || {
                    stream_blocking::<Cordyceps, Tight>(2)
                }),
            ],
        },
        Scenario {
            name: TUNED_2,
            entries: vec![
                e(PADDED_TUNED, tuned::<OursPadded, 2>),
                e(COMPACT_TUNED, tuned::<OursCompact, 2>),
                e(CB_TUNED, tuned::<CbChannel, 2>),
            ],
        },
        Scenario {
            name: PING,
            entries: vec![
                e(PADDED_TIGHT, ping_pong::<OursPadded, Tight>),
                e(PADDED_SPIN, ping_pong::<OursPadded, DequeueSpin>),
                e(COMPACT_TIGHT, ping_pong::<OursCompact, Tight>),
                e(COMPACT_SPIN, ping_pong::<OursCompact, DequeueSpin>),
                e(CB_TIGHT, ping_pong::<CbChannel, Tight>),
                e(CB_RECV, ping_pong::<CbChannel, Recv>),
            ],
        },
        Scenario {
            name: "explore: blocking consumer, spin phase before parking (1P/1C plain harness, million messages/s)",
            entries: vec![
                e("WaitQueue padded, dequeue_blocking", || {
                    stream::<OursWaitPadded, Blocking>(1)
                }),
                e("WaitQueue padded, dequeue_spin_for(64) then dequeue_blocking", || {
                    stream::<OursWaitPadded, SpinThenBlock<64>>(1)
                }),
                e("WaitQueue padded, dequeue_spin_for(1024) then dequeue_blocking", || {
                    stream::<OursWaitPadded, SpinThenBlock<1024>>(1)
                }),
            ],
        },
        Scenario {
            name: "explore: blocking consumer, spin phase before parking (ping-pong, ns per round trip)",
            entries: vec![
                e("WaitQueue padded, dequeue_blocking", ping_pong::<OursWaitPadded, Blocking>),
                e(
                    "WaitQueue padded, dequeue_spin_for(64) then dequeue_blocking",
                    ping_pong::<OursWaitPadded, SpinThenBlock<64>>,
                ),
                e(
                    "WaitQueue padded, dequeue_spin_for(1024) then dequeue_blocking",
                    ping_pong::<OursWaitPadded, SpinThenBlock<1024>>,
                ),
            ],
        },
        Scenario {
            name: "explore: 1P/1C stream, PaddedQueue, back-off variants, million messages/s",
            entries: vec![
                e("tight", || stream::<OursPadded, Tight>(1)),
                e("dequeue_spin", || stream::<OursPadded, DequeueSpin>(1)),
                e("first 1, then 1", || stream::<OursPadded, Expo<1, 1>>(1)),
                e("first 2, then 1", || stream::<OursPadded, Expo<2, 1>>(1)),
                e("first 4, then 1", || stream::<OursPadded, Expo<4, 1>>(1)),
                e("first 8, then 1", || stream::<OursPadded, Expo<8, 1>>(1)),
                e("first 16, then 1", || stream::<OursPadded, Expo<16, 1>>(1)),
                e("first 1, doubling to 2", || {
                    stream::<OursPadded, Expo<1, 2>>(1)
                }),
                e("first 1, doubling to 8", || {
                    stream::<OursPadded, Expo<1, 8>>(1)
                }),
                e("skip 63", || stream::<OursPadded, Skip63>(1)),
            ],
        },
        Scenario {
            name: "explore: ping-pong, PaddedQueue, back-off variants, ns per round trip",
            entries: vec![
                e("tight", ping_pong::<OursPadded, Tight>),
                e("dequeue_spin", ping_pong::<OursPadded, DequeueSpin>),
                e("first 1, then 1", ping_pong::<OursPadded, Expo<1, 1>>),
                e("first 2, then 1", ping_pong::<OursPadded, Expo<2, 1>>),
                e("first 4, then 1", ping_pong::<OursPadded, Expo<4, 1>>),
                e("first 8, then 1", ping_pong::<OursPadded, Expo<8, 1>>),
                e("first 16, then 1", ping_pong::<OursPadded, Expo<16, 1>>),
                e(
                    "first 1, doubling to 2",
                    ping_pong::<OursPadded, Expo<1, 2>>,
                ),
                e(
                    "first 1, doubling to 8",
                    ping_pong::<OursPadded, Expo<1, 8>>,
                ),
                e("skip 63", ping_pong::<OursPadded, Skip63>),
            ],
        },
    ];
    if filter.contains("explore") {
        scenarios.retain(|s| s.name.contains(filter.as_str()));
    } else {
        scenarios.retain(|s| !s.name.starts_with("explore") && s.name.contains(filter.as_str()));
    }
    if scenarios.is_empty() {
        eprintln!("no scenario matches {filter:?}");
        std::process::exit(2);
    }
    println!(
        "threads pinned to cores (BENCH_PIN=1): {}",
        if pinning() { "yes" } else { "no" }
    );
    for run in 0..runs {
        for scenario in &mut scenarios {
            let n = scenario.entries.len();
            for i in 0..n {
                let entry = &mut scenario.entries[(run + i) % n];
                let sample = (entry.sample)();
                entry.values.push(sample.value);
                if !sample.preempted {
                    entry.quiet.push(sample.value);
                }
            }
        }
    }

    for scenario in &scenarios {
        println!("\n{} ({runs} interleaved runs)", scenario.name);
        println!(
            "| entry | median | q1 | q3 | min | max | samples never preempted: n, median (q1-q3) |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for e in &scenario.entries {
            let s = sorted(&e.values);
            let q = sorted(&e.quiet);
            let quiet = if q.is_empty() {
                "0".to_string()
            } else {
                format!(
                    "{}, {:.1} ({:.1}-{:.1})",
                    q.len(),
                    median_of(&q),
                    quantile(&q, 0.25),
                    quantile(&q, 0.75)
                )
            };
            println!(
                "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {quiet} |",
                e.name,
                median_of(&s),
                quantile(&s, 0.25),
                quantile(&s, 0.75),
                s[0],
                s[s.len() - 1]
            );
        }
    }

    targets(&scenarios);
}

/// The ratio of two entries' medians over all samples, with the ratio of their quartiles as its
/// spread: (ours q1 / peer q3) to (ours q3 / peer q1).
fn ratio(ours: &Entry, peer: &Entry) -> (f64, f64, f64) {
    (
        ours.median() / peer.median(),
        ours.q(0.25) / peer.q(0.75),
        ours.q(0.75) / peer.q(0.25),
    )
}

/// The same over the samples that no preemption touched, when each entry has at least 3.
fn quiet_ratio(ours: &Entry, peer: &Entry) -> Option<(f64, f64, f64)> {
    let (o, p) = (sorted(&ours.quiet), sorted(&peer.quiet));
    (o.len() >= 3 && p.len() >= 3).then(|| {
        (
            median_of(&o) / median_of(&p),
            quantile(&o, 0.25) / quantile(&p, 0.75),
            quantile(&o, 0.75) / quantile(&p, 0.25),
        )
    })
}

/// The quiet samples' median, or 0 when there are none.
fn quiet_median(e: &Entry) -> f64 {
    let q = sorted(&e.quiet);
    if q.is_empty() {
        0.0
    } else {
        median_of(&q)
    }
}

fn targets(scenarios: &[Scenario]) {
    let find = |name: &str| scenarios.iter().find(|s| s.name == name);
    println!(
        "\n| target | all samples: ratio of medians (of quartiles) | met | samples never preempted: ratio of medians (of quartiles) | met |"
    );
    println!("|---|---:|---|---:|---|");
    let met = |r: f64, goal: Option<(f64, bool)>| match goal {
        Some((g, true)) => (if r >= g { "yes" } else { "no" }).to_string(),
        Some((g, false)) => (if r <= g { "yes" } else { "no" }).to_string(),
        None => "(reported)".to_string(),
    };
    let row = |what: String,
               (r, lo, hi): (f64, f64, f64),
               quiet: Option<(f64, f64, f64)>,
               goal: Option<(f64, bool)>| {
        let quiet = match quiet {
            Some((q, qlo, qhi)) => format!("{q:.2}x ({qlo:.2}-{qhi:.2}) | {}", met(q, goal)),
            None => "too few | -".to_string(),
        };
        println!(
            "| {what} | {r:.2}x ({lo:.2}-{hi:.2}) | {} | {quiet} |",
            met(r, goal)
        );
    };
    for (name, shape, goal) in [
        (STREAM_1, "1P/1C plain harness", 2.0),
        (FRESH_1, "1P/1C plain harness, fresh packets", 2.0),
        (STREAM_2, "2P/1C plain harness, spinning producers", 1.1),
        (
            STREAM_2_BLOCK,
            "2P/1C plain harness, blocking producers",
            1.1,
        ),
    ] {
        let Some(s) = find(name) else { continue };
        let (Some(tight), Some(recv)) = (s.get(CB_TIGHT), s.get(CB_RECV)) else {
            continue;
        };
        // crossbeam-channel's better way, by each measure.
        let best = if tight.median() >= recv.median() {
            tight
        } else {
            recv
        };
        let best_quiet = if quiet_median(tight) >= quiet_median(recv) {
            tight
        } else {
            recv
        };
        for (ours, layout, g) in [
            (PADDED_SPIN, "PaddedQueue dequeue_spin", Some((goal, true))),
            (COMPACT_SPIN, "Queue (compact) dequeue_spin", None),
            (PADDED_TIGHT, "PaddedQueue tight loop", None),
            (COMPACT_TIGHT, "Queue (compact) tight loop", None),
        ] {
            if let Some(ours) = s.get(ours) {
                row(
                    format!("{shape}: {layout} / crossbeam-channel, better of try_recv and recv"),
                    ratio(ours, best),
                    quiet_ratio(ours, best_quiet),
                    g,
                );
            }
        }
    }
    for (name, shape) in [(TUNED_1, "1P/1C"), (TUNED_2, "2P/1C")] {
        let Some(s) = find(name) else { continue };
        for (ours, layout) in [
            (PADDED_TUNED, "PaddedQueue"),
            (COMPACT_TUNED, "Queue (compact)"),
        ] {
            if let (Some(ours), Some(cb)) = (s.get(ours), s.get(CB_TUNED)) {
                row(
                    format!("{shape} tuned harness: {layout} / crossbeam-channel"),
                    ratio(ours, cb),
                    quiet_ratio(ours, cb),
                    None,
                );
            }
        }
    }
    if let Some(s) = find(PING) {
        for (spin, tight, layout) in [
            (PADDED_SPIN, PADDED_TIGHT, "PaddedQueue"),
            (COMPACT_SPIN, COMPACT_TIGHT, "Queue (compact)"),
        ] {
            if let (Some(spin), Some(tight)) = (s.get(spin), s.get(tight)) {
                row(
                    format!("ping-pong round trip, {layout}: dequeue_spin / tight loop"),
                    ratio(spin, tight),
                    quiet_ratio(spin, tight),
                    Some((1.2, false)),
                );
            }
        }
    }
}
