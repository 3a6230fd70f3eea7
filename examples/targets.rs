//! The performance targets, measured side by side in one run: every scenario is sampled many
//! times, interleaving the queues (their order rotates each run), and reported as the median with
//! its spread. Criterion alone is not enough on a shared 2-core machine: one producer and one
//! consumer is bimodal there (runs where the consumer keeps pace and runs where a backlog builds
//! differ by up to 4x), so only medians of many interleaved runs compare fairly.
//!
//! `cargo run --release --example targets -- [runs] [filter]` (default 31 runs; with a filter,
//! only the scenarios whose name contains it).

#[path = "../benches/support/mod.rs"]
mod support;
use support::*;

/// Rounds of [`ROUND`] messages per threaded sample.
const THREADED_ROUNDS: u64 = 16;
/// Bursts of 64 per single-thread sample.
const BURST_ROUNDS: u64 = 4096;

const SINGLE: &str = "single enqueues";
const BATCH16: &str = "batches of 16";
const BATCH64: &str = "batches of 64";

/// One queue in one scenario: how to take a sample (million messages per second).
struct Entry {
    name: &'static str,
    sample: fn() -> f64,
    samples: Vec<f64>,
}

impl Entry {
    fn new(name: &'static str, sample: fn() -> f64) -> Self {
        Entry {
            name,
            sample,
            samples: Vec::new(),
        }
    }

    fn sorted(&self) -> Vec<f64> {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        s
    }

    fn median(&self) -> f64 {
        let s = self.sorted();
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
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

/// Million pairs per second, single thread, bursts of 64.
fn burst_rate<Q: Subject>() -> f64 {
    let elapsed = time_burst::<Q>(BURST_ROUNDS);
    (BURST_ROUNDS as usize * BURST) as f64 / elapsed.as_secs_f64() / 1e6
}

/// Million messages per second, `P` producers and one consumer, one enqueue per message.
fn threaded_rate<Q: Subject, const P: usize>() -> f64 {
    let elapsed = threaded::<Q, _>(P, THREADED_ROUNDS, &Single);
    (THREADED_ROUNDS as usize * (ROUND / P * P)) as f64 / elapsed.as_secs_f64() / 1e6
}

/// Million messages per second through `P` producers alone (the consumer drains afterwards).
fn enqueue_rate<H: Produce<Ours> + Default, const P: usize>() -> f64 {
    let elapsed = enqueue_only::<Ours, _>(P, THREADED_ROUNDS, &H::default());
    (THREADED_ROUNDS as usize * (ROUND / P * P)) as f64 / elapsed.as_secs_f64() / 1e6
}

/// Million messages per second, `P` producers enqueueing with `H`, one consumer.
fn produced_rate<H: Produce<Ours> + Default, const P: usize>() -> f64 {
    let elapsed = threaded::<Ours, _>(P, THREADED_ROUNDS, &H::default());
    (THREADED_ROUNDS as usize * (ROUND / P * P)) as f64 / elapsed.as_secs_f64() / 1e6
}

fn entry<Q: Subject>(sample: fn() -> f64) -> Entry {
    Entry::new(Q::NAME, sample)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse().expect("runs: a number"))
        .unwrap_or(31);
    let filter = std::env::args().nth(2).unwrap_or_default();

    let mut scenarios = vec![
        Scenario {
            name: "single thread, bursts of 64 (million pairs/s)",
            entries: vec![
                entry::<Ours>(burst_rate::<Ours>),
                entry::<Cordyceps>(burst_rate::<Cordyceps>),
                entry::<Seg>(burst_rate::<Seg>),
            ],
        },
        Scenario {
            name: "1 producer / 1 consumer (million messages/s)",
            entries: vec![
                entry::<Ours>(threaded_rate::<Ours, 1>),
                entry::<Cordyceps>(threaded_rate::<Cordyceps, 1>),
                entry::<Seg>(threaded_rate::<Seg, 1>),
                entry::<CbChannel>(threaded_rate::<CbChannel, 1>),
                entry::<StdMpsc>(threaded_rate::<StdMpsc, 1>),
                entry::<MutexDeque>(threaded_rate::<MutexDeque, 1>),
                entry::<WgRing>(threaded_rate::<WgRing, 1>),
            ],
        },
        Scenario {
            name: "2 producers, enqueue side only (million messages/s)",
            entries: vec![
                Entry::new(SINGLE, enqueue_rate::<Single, 2>),
                Entry::new(BATCH16, enqueue_rate::<Batched<16>, 2>),
                Entry::new(BATCH64, enqueue_rate::<Batched<64>, 2>),
            ],
        },
        Scenario {
            name: "2 producers / 1 consumer, end to end (million messages/s)",
            entries: vec![
                Entry::new(SINGLE, produced_rate::<Single, 2>),
                Entry::new(BATCH16, produced_rate::<Batched<16>, 2>),
                Entry::new(BATCH64, produced_rate::<Batched<64>, 2>),
            ],
        },
        Scenario {
            name: "bounded at 1024, 1 producer / 1 consumer (million messages/s)",
            entries: vec![
                entry::<Bounded>(threaded_rate::<Bounded, 1>),
                entry::<WgRing>(threaded_rate::<WgRing, 1>),
                entry::<WgCounted>(threaded_rate::<WgCounted, 1>),
            ],
        },
        Scenario {
            name: "bounded at 1024, 2 producers / 1 consumer (million messages/s)",
            entries: vec![
                entry::<Bounded>(threaded_rate::<Bounded, 2>),
                entry::<WgRing>(threaded_rate::<WgRing, 2>),
                entry::<WgCounted>(threaded_rate::<WgCounted, 2>),
            ],
        },
    ];

    scenarios.retain(|s| s.name.contains(filter.as_str()));
    for run in 0..runs {
        for scenario in &mut scenarios {
            let n = scenario.entries.len();
            for i in 0..n {
                let entry = &mut scenario.entries[(run + i) % n];
                let value = (entry.sample)();
                entry.samples.push(value);
            }
        }
    }

    for scenario in &scenarios {
        println!("\n{} ({runs} interleaved runs)", scenario.name);
        println!("| queue | median | min | max |");
        println!("|---|---:|---:|---:|");
        for e in &scenario.entries {
            let s = e.sorted();
            println!(
                "| {} | {:.1} | {:.1} | {:.1} |",
                e.name,
                e.median(),
                s[0],
                s[s.len() - 1]
            );
        }
    }

    println!("\n| target | measured | met |");
    println!("|---|---:|---|");
    let target = |what: &str, ratio: f64, goal: f64| {
        println!(
            "| {what} (goal {goal}x) | {ratio:.2}x | {} |",
            if ratio >= goal { "yes" } else { "no" }
        );
    };
    if let Some(burst) = find(&scenarios, "single thread") {
        target(
            "single-thread pairs/s, ours / cordyceps",
            burst.get(Ours::NAME).median() / burst.get(Cordyceps::NAME).median(),
            1.0,
        );
    }
    if let Some(one) = find(&scenarios, "1 producer") {
        let ours = one.get(Ours::NAME).median();
        target(
            "1P/1C messages/s, ours / cordyceps",
            ours / one.get(Cordyceps::NAME).median(),
            1.0,
        );
        let best = one
            .entries
            .iter()
            .filter(|e| e.name != Ours::NAME && e.name != Cordyceps::NAME)
            .max_by(|a, b| a.median().total_cmp(&b.median()))
            .expect("peers");
        target(
            &format!(
                "1P/1C messages/s, ours / best non-intrusive ({})",
                best.name
            ),
            ours / best.median(),
            2.0,
        );
    }
    for (prefix, side) in [
        ("2 producers, enqueue", "enqueue side"),
        ("2 producers / 1", "end to end"),
    ] {
        if let Some(batch) = find(&scenarios, prefix) {
            target(
                &format!("2P batches of 16 / single enqueues, {side}"),
                batch.get(BATCH16).median() / batch.get(SINGLE).median(),
                3.0,
            );
        }
    }
    for (prefix, shape) in [
        ("bounded at 1024, 1", "1P/1C"),
        ("bounded at 1024, 2", "2P/1C"),
    ] {
        if let Some(b) = find(&scenarios, prefix) {
            let ours = b.get(Bounded::NAME).median();
            target(
                &format!("bounded {shape}, BoundedQueue / WireGuard ring"),
                ours / b.get(WgRing::NAME).median(),
                1.0,
            );
            target(
                &format!("bounded {shape}, BoundedQueue / Queue + WireGuard counter"),
                ours / b.get(WgCounted::NAME).median(),
                1.0,
            );
        }
    }
}
