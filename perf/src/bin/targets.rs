//! The performance targets, measured side by side in one run: every scenario is sampled many
//! times, interleaving the queues (their order rotates each run), and reported as the median with
//! its spread (quartiles, min and max). Criterion alone is not enough on a shared 2-core machine:
//! one producer and one consumer is bimodal there (runs where the consumer keeps pace and runs
//! where a backlog builds differ by up to 4x), so only medians of many interleaved runs compare
//! fairly.
//!
//! `cargo run --release -p intrusive-mpsc-perf --bin targets -- [runs] [filter]` (default 31
//! runs; with a filter, only the scenarios whose name contains it, or, for a filter `^name`, starts
//! with `name`: `"^1 producer"` is the unbounded 1P/1C scenario alone). `BENCH_PIN=1` pins the
//! threads to distinct cores.
//!
//! Our queue runs in both layouts, compact (`Queue`, 32 bytes) and padded (`PaddedQueue`), in
//! every threaded scenario. The bounded queues (at WireGuard's 1024) run three ways:
//! - producers back off while the queue is full (spin, then yield);
//! - not overloaded: rounds of 512 messages, each drained before the next, so the queue never
//!   fills: the cost of the bookkeeping alone;
//! - overloaded: producers retry `try_enqueue` at once, without any pause, while the queue is
//!   full; the rate is what the consumer delivers, beside our unbounded queue's in the same run.
//!   Two more entries there: producers that reserve room for 32 packets at a time
//!   (`Queue::try_reserve`; they run in the "not overloaded" scenarios too), and a control, the unbounded queue plus one uncontended `fetch_add`
//!   per enqueue: the least a bounded queue that claims room for each enqueue pays.

use intrusive_mpsc::{Compact, Padded};
use intrusive_mpsc_perf::*;

/// Rounds of [`ROUND`] messages per threaded sample.
const THREADED_ROUNDS: u64 = 16;
/// Rounds of [`CALM_ROUND`] messages per sample of the "not overloaded" scenarios: the same
/// number of messages as [`THREADED_ROUNDS`] rounds of [`ROUND`].
const CALM_ROUNDS: u64 = THREADED_ROUNDS * (ROUND / CALM_ROUND) as u64;
/// Bursts of 64 per single-thread sample.
const BURST_ROUNDS: u64 = 4096;

const SINGLE: &str = "single enqueues";
const BATCH16: &str = "batches of 16";
const BATCH64: &str = "batches of 64";
const PADDED_SINGLE: &str = "padded, single enqueues";
const PADDED_BATCH16: &str = "padded, batches of 16";
const PADDED_BATCH64: &str = "padded, batches of 64";

/// One sample: million messages per second, and for the overloaded scenarios the refused
/// `try_enqueue`s per delivered message.
type Sample = (f64, Option<f64>);

/// One queue in one scenario: how to take a sample.
struct Entry {
    name: &'static str,
    sample: fn() -> Sample,
    rates: Vec<f64>,
    refused: Vec<f64>,
}

/// The median of sorted values.
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
    let rank = (q * (s.len() - 1) as f64).round() as usize;
    s[rank]
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

impl Entry {
    fn new(name: &'static str, sample: fn() -> Sample) -> Self {
        Entry {
            name,
            sample,
            rates: Vec::new(),
            refused: Vec::new(),
        }
    }

    fn median(&self) -> f64 {
        median_of(&sorted(&self.rates))
    }
}

struct Scenario {
    name: &'static str,
    entries: Vec<Entry>,
}

/// The scenario whose name starts with `prefix`, if it was run.
fn find<'s>(scenarios: &'s [Scenario], prefix: &str) -> Option<&'s Scenario> {
    scenarios.iter().find(|s| s.name.starts_with(prefix))
}

impl Scenario {
    fn get(&self, name: &str) -> &Entry {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .expect("entry exists")
    }
}

/// Million messages per second, from a count and a time.
fn rate(messages: usize, elapsed: std::time::Duration) -> f64 {
    messages as f64 / elapsed.as_secs_f64() / 1e6
}

/// Million pairs per second, single thread, bursts of 64.
fn burst_rate<Q: Subject>() -> Sample {
    let elapsed = time_burst::<Q>(BURST_ROUNDS);
    (rate(BURST_ROUNDS as usize * BURST, elapsed), None)
}

/// Million messages per second, `P` producers and one consumer, one enqueue per message (backing
/// off while a bounded queue is full).
fn threaded_rate<Q: Subject, const P: usize>() -> Sample {
    let elapsed = threaded::<Q, _>(P, THREADED_ROUNDS, &Single);
    (
        rate(THREADED_ROUNDS as usize * (ROUND / P * P), elapsed),
        None,
    )
}

/// As [`threaded_rate`], in rounds of [`CALM_ROUND`]: a bounded queue never fills.
fn calm_rate<Q: Subject, const P: usize>() -> Sample {
    let elapsed = threaded_rounds::<Q, _>(P, CALM_ROUND, CALM_ROUNDS, &Single);
    (
        rate(CALM_ROUNDS as usize * (CALM_ROUND / P * P), elapsed),
        None,
    )
}

/// Million messages per second delivered to the consumer while `P` producers retry without
/// pause, and the refused attempts per message.
fn overload_rate<Q: Subject, const P: usize>() -> Sample {
    let hammer = Hammer::default();
    let elapsed = threaded::<Q, _>(P, THREADED_ROUNDS, &hammer);
    let messages = THREADED_ROUNDS as usize * (ROUND / P * P);
    (
        rate(messages, elapsed),
        Some(hammer.refused() as f64 / messages as f64),
    )
}

/// Places each producer reserves at once in the "reserving" overloaded entries.
const RESERVE: usize = 32;
const RESERVING_COMPACT: &str = "BoundedQueue (1024), reserving 32 at a time";
const RESERVING_PADDED: &str = "BoundedQueue, padded (1024), reserving 32 at a time";

/// As [`overload_rate`] for the bounded queue in layout `L`, its producers reserving room for
/// [`RESERVE`] packets at a time.
fn overload_reserving_rate<L: Named, const P: usize>() -> Sample {
    let hammer = Reserving::<RESERVE>::default();
    let elapsed = threaded::<OursBounded<L>, _>(P, THREADED_ROUNDS, &hammer);
    let messages = THREADED_ROUNDS as usize * (ROUND / P * P);
    (
        rate(messages, elapsed),
        Some(hammer.refused() as f64 / messages as f64),
    )
}

/// As [`calm_rate`] for the bounded queue in layout `L`, its producers reserving room for
/// [`RESERVE`] packets at a time.
fn calm_reserving_rate<L: Named, const P: usize>() -> Sample {
    let how = Reserving::<RESERVE>::default();
    let elapsed = threaded_rounds::<OursBounded<L>, _>(P, CALM_ROUND, CALM_ROUNDS, &how);
    (
        rate(CALM_ROUNDS as usize * (CALM_ROUND / P * P), elapsed),
        None,
    )
}

/// Million messages per second through `P` producers alone (the consumer drains afterwards).
fn enqueue_rate<L: Named, H: Produce<Ours<L>> + Default, const P: usize>() -> Sample {
    let elapsed = enqueue_only::<Ours<L>, _>(P, THREADED_ROUNDS, &H::default());
    (
        rate(THREADED_ROUNDS as usize * (ROUND / P * P), elapsed),
        None,
    )
}

/// Million messages per second, `P` producers enqueueing with `H`, one consumer.
fn produced_rate<L: Named, H: Produce<Ours<L>> + Default, const P: usize>() -> Sample {
    let elapsed = threaded::<Ours<L>, _>(P, THREADED_ROUNDS, &H::default());
    (
        rate(THREADED_ROUNDS as usize * (ROUND / P * P), elapsed),
        None,
    )
}

fn entry<Q: Subject>(sample: fn() -> Sample) -> Entry {
    Entry::new(Q::NAME, sample)
}

/// Every peer, `P` producers and one consumer.
fn all_peers<const P: usize>() -> Vec<Entry> {
    vec![
        entry::<OursCompact>(threaded_rate::<OursCompact, P>),
        entry::<OursPadded>(threaded_rate::<OursPadded, P>),
        entry::<Cordyceps>(threaded_rate::<Cordyceps, P>),
        entry::<Seg>(threaded_rate::<Seg, P>),
        entry::<CbChannel>(threaded_rate::<CbChannel, P>),
        entry::<StdMpsc>(threaded_rate::<StdMpsc, P>),
        entry::<MutexDeque>(threaded_rate::<MutexDeque, P>),
        entry::<WgRing>(threaded_rate::<WgRing, P>),
    ]
}

/// Single enqueues against batches, compact and padded; `rate` is one of [`enqueue_rate`] and
/// [`produced_rate`], given as a function of the layout and the way of producing.
macro_rules! batch_entries {
    ($rate:ident) => {
        vec![
            Entry::new(SINGLE, $rate::<Compact, Single, 2>),
            Entry::new(BATCH16, $rate::<Compact, Batched<16>, 2>),
            Entry::new(BATCH64, $rate::<Compact, Batched<64>, 2>),
            Entry::new(PADDED_SINGLE, $rate::<Padded, Single, 2>),
            Entry::new(PADDED_BATCH16, $rate::<Padded, Batched<16>, 2>),
            Entry::new(PADDED_BATCH64, $rate::<Padded, Batched<64>, 2>),
        ]
    };
}

/// The bounded queues at 1024 and WireGuard's two ways, sampled by `how`.
fn bounded_entries<const P: usize>(how: Kind) -> Vec<Entry> {
    match how {
        Kind::Backoff => vec![
            entry::<BoundedCompact>(threaded_rate::<BoundedCompact, P>),
            entry::<BoundedPadded>(threaded_rate::<BoundedPadded, P>),
            entry::<WgRing>(threaded_rate::<WgRing, P>),
            entry::<WgCounted>(threaded_rate::<WgCounted, P>),
        ],
        Kind::Calm => vec![
            entry::<BoundedCompact>(calm_rate::<BoundedCompact, P>),
            entry::<BoundedPadded>(calm_rate::<BoundedPadded, P>),
            Entry::new(RESERVING_COMPACT, calm_reserving_rate::<Compact, P>),
            Entry::new(RESERVING_PADDED, calm_reserving_rate::<Padded, P>),
            entry::<WgRing>(calm_rate::<WgRing, P>),
            entry::<WgCounted>(calm_rate::<WgCounted, P>),
            entry::<OursCompact>(calm_rate::<OursCompact, P>),
        ],
        Kind::Overload => vec![
            entry::<OursCompact>(overload_rate::<OursCompact, P>),
            entry::<OursPadded>(overload_rate::<OursPadded, P>),
            entry::<BoundedCompact>(overload_rate::<BoundedCompact, P>),
            entry::<BoundedPadded>(overload_rate::<BoundedPadded, P>),
            Entry::new(RESERVING_COMPACT, overload_reserving_rate::<Compact, P>),
            Entry::new(RESERVING_PADDED, overload_reserving_rate::<Padded, P>),
            entry::<OursPlusCount<Compact>>(overload_rate::<OursPlusCount<Compact>, P>),
            entry::<OursPlusCount<Padded>>(overload_rate::<OursPlusCount<Padded>, P>),
            entry::<WgRing>(overload_rate::<WgRing, P>),
            entry::<WgCounted>(overload_rate::<WgCounted, P>),
        ],
    }
}

/// How the bounded scenarios produce.
#[derive(Clone, Copy)]
enum Kind {
    Backoff,
    Calm,
    Overload,
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse().expect("runs: a number"))
        .unwrap_or(31);
    assert!(runs > 0, "runs: at least 1");
    let filter = std::env::args().nth(2).unwrap_or_default();

    let mut scenarios = vec![
        Scenario {
            name: "single thread, bursts of 64 (million pairs/s)",
            entries: vec![
                entry::<OursCompact>(burst_rate::<OursCompact>),
                entry::<OursPadded>(burst_rate::<OursPadded>),
                entry::<Cordyceps>(burst_rate::<Cordyceps>),
                entry::<Seg>(burst_rate::<Seg>),
            ],
        },
        Scenario {
            name: "1 producer / 1 consumer (million messages/s)",
            entries: all_peers::<1>(),
        },
        Scenario {
            name: "2 producers / 1 consumer (million messages/s)",
            entries: all_peers::<2>(),
        },
        Scenario {
            name: "2 producers, batches, enqueue side only (million messages/s)",
            entries: batch_entries!(enqueue_rate),
        },
        Scenario {
            name: "2 producers, batches, end to end (million messages/s)",
            entries: batch_entries!(produced_rate),
        },
        Scenario {
            name: "bounded at 1024, back off while full, 1 producer / 1 consumer (million messages/s)",
            entries: bounded_entries::<1>(Kind::Backoff),
        },
        Scenario {
            name: "bounded at 1024, back off while full, 2 producers / 1 consumer (million messages/s)",
            entries: bounded_entries::<2>(Kind::Backoff),
        },
        Scenario {
            name: "bounded at 1024, not overloaded (rounds of 512), 1 producer / 1 consumer (million messages/s)",
            entries: bounded_entries::<1>(Kind::Calm),
        },
        Scenario {
            name: "bounded at 1024, not overloaded (rounds of 512), 2 producers / 1 consumer (million messages/s)",
            entries: bounded_entries::<2>(Kind::Calm),
        },
        Scenario {
            name: "bounded at 1024, overloaded (retry without pause), 1 producer / 1 consumer (million delivered messages/s)",
            entries: bounded_entries::<1>(Kind::Overload),
        },
        Scenario {
            name: "bounded at 1024, overloaded (retry without pause), 2 producers / 1 consumer (million delivered messages/s)",
            entries: bounded_entries::<2>(Kind::Overload),
        },
    ];

    // `^name`: only the scenarios whose name starts with `name` (the 1P/1C and 2P/1C scenarios'
    // names are contained in the bounded scenarios' names).
    match filter.strip_prefix('^') {
        Some(prefix) => scenarios.retain(|s| s.name.starts_with(prefix)),
        None => scenarios.retain(|s| s.name.contains(filter.as_str())),
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
                let (rate, refused) = (entry.sample)();
                entry.rates.push(rate);
                if let Some(refused) = refused {
                    entry.refused.push(refused);
                }
            }
        }
    }

    for scenario in &scenarios {
        println!("\n{} ({runs} interleaved runs)", scenario.name);
        let overload = scenario.entries.iter().any(|e| !e.refused.is_empty());
        if overload {
            println!("| queue | median | q1 | q3 | min | max | refused try_enqueues per message (median) |");
            println!("|---|---:|---:|---:|---:|---:|---:|");
        } else {
            println!("| queue | median | q1 | q3 | min | max |");
            println!("|---|---:|---:|---:|---:|---:|");
        }
        for e in &scenario.entries {
            let s = sorted(&e.rates);
            print!(
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                e.name,
                median_of(&s),
                quantile(&s, 0.25),
                quantile(&s, 0.75),
                s[0],
                s[s.len() - 1]
            );
            if overload {
                print!(" {:.2} |", median_of(&sorted(&e.refused)));
            }
            println!();
        }
    }

    println!("\n| target | measured | met |");
    println!("|---|---:|---|");
    // A ratio of medians, against a goal when the project set one.
    let target = |what: &str, ratio: f64, goal: Option<f64>| match goal {
        Some(goal) => println!(
            "| {what} (goal {goal}x) | {ratio:.2}x | {} |",
            if ratio >= goal { "yes" } else { "no" }
        ),
        None => println!("| {what} | {ratio:.2}x | (no goal) |"),
    };
    if let Some(burst) = find(&scenarios, "single thread") {
        target(
            "single-thread pairs/s, ours / cordyceps",
            burst.get(OursCompact::NAME).median() / burst.get(Cordyceps::NAME).median(),
            Some(1.0),
        );
    }
    for (prefix, shape, goals) in [
        ("1 producer", "1P/1C", true),
        ("2 producers / 1", "2P/1C", false),
    ] {
        let Some(threaded) = find(&scenarios, prefix) else {
            continue;
        };
        let best = threaded
            .entries
            .iter()
            .filter(|e| ![OursCompact::NAME, OursPadded::NAME, Cordyceps::NAME].contains(&e.name))
            .max_by(|a, b| a.median().total_cmp(&b.median()))
            .expect("peers");
        for (ours, layout) in [(OursCompact::NAME, "compact"), (OursPadded::NAME, "padded")] {
            let ours = threaded.get(ours).median();
            target(
                &format!("{shape} messages/s, ours ({layout}) / cordyceps"),
                ours / threaded.get(Cordyceps::NAME).median(),
                goals.then_some(1.0),
            );
            target(
                &format!(
                    "{shape} messages/s, ours ({layout}) / best non-intrusive ({})",
                    best.name
                ),
                ours / best.median(),
                goals.then_some(2.0),
            );
        }
    }
    for (prefix, side) in [
        ("2 producers, batches, enqueue", "enqueue side"),
        ("2 producers, batches, end", "end to end"),
    ] {
        if let Some(batch) = find(&scenarios, prefix) {
            for (single, batch16, layout) in [
                (SINGLE, BATCH16, "compact"),
                (PADDED_SINGLE, PADDED_BATCH16, "padded"),
            ] {
                target(
                    &format!("2P batches of 16 / single enqueues, {side}, {layout}"),
                    batch.get(batch16).median() / batch.get(single).median(),
                    Some(3.0),
                );
            }
        }
    }
    for (prefix, shape) in [
        (
            "bounded at 1024, back off while full, 1",
            "back off while full, 1P/1C",
        ),
        (
            "bounded at 1024, back off while full, 2",
            "back off while full, 2P/1C",
        ),
        (
            "bounded at 1024, not overloaded (rounds of 512), 1",
            "not overloaded, 1P/1C",
        ),
        (
            "bounded at 1024, not overloaded (rounds of 512), 2",
            "not overloaded, 2P/1C",
        ),
    ] {
        let Some(b) = find(&scenarios, prefix) else {
            continue;
        };
        let reserving = [
            (RESERVING_COMPACT, "compact, reserving 32"),
            (RESERVING_PADDED, "padded, reserving 32"),
        ];
        let reserving = if b.entries.iter().any(|e| e.name == RESERVING_COMPACT) {
            &reserving[..]
        } else {
            &[]
        };
        for &(ours, layout) in [
            (BoundedCompact::NAME, "compact"),
            (BoundedPadded::NAME, "padded"),
        ]
        .iter()
        .chain(reserving)
        {
            let ours = b.get(ours).median();
            target(
                &format!("bounded {shape}, BoundedQueue ({layout}) / WireGuard ring"),
                ours / b.get(WgRing::NAME).median(),
                Some(1.0),
            );
            target(
                &format!("bounded {shape}, BoundedQueue ({layout}) / Queue + WireGuard counter"),
                ours / b.get(WgCounted::NAME).median(),
                Some(1.0),
            );
        }
    }
    for (prefix, shape) in [
        (
            "bounded at 1024, overloaded (retry without pause), 1",
            "1P/1C",
        ),
        (
            "bounded at 1024, overloaded (retry without pause), 2",
            "2P/1C",
        ),
    ] {
        let Some(b) = find(&scenarios, prefix) else {
            continue;
        };
        for (bounded, reserving, control, unbounded, layout) in [
            (
                BoundedCompact::NAME,
                RESERVING_COMPACT,
                OursPlusCount::<Compact>::NAME,
                OursCompact::NAME,
                "compact",
            ),
            (
                BoundedPadded::NAME,
                RESERVING_PADDED,
                OursPlusCount::<Padded>::NAME,
                OursPadded::NAME,
                "padded",
            ),
        ] {
            let unbounded = b.get(unbounded).median();
            target(
                &format!(
                    "overloaded {shape}, delivered: BoundedQueue ({layout}) / unbounded Queue ({layout})"
                ),
                b.get(bounded).median() / unbounded,
                Some(0.8),
            );
            target(
                &format!(
                    "overloaded {shape}, delivered: BoundedQueue ({layout}) reserving {RESERVE} / unbounded Queue ({layout})"
                ),
                b.get(reserving).median() / unbounded,
                Some(0.8),
            );
            target(
                &format!(
                    "overloaded {shape}, delivered: control, unbounded ({layout}) + 1 fetch_add / unbounded Queue ({layout})"
                ),
                b.get(control).median() / unbounded,
                None,
            );
        }
        target(
            &format!("overloaded {shape}, delivered: WireGuard ring / unbounded Queue (compact)"),
            b.get(WgRing::NAME).median() / b.get(OursCompact::NAME).median(),
            None,
        );
    }
}
