//! The scenarios, their entries, the interleaved runs, and the tables and target ratios.

use intrusive_mpsc_perf::pinning;

use crate::drive::{self, Sample, BURST, BURSTS, GAP};
use crate::peers::{
    AsyncChannel, Crossbeam, Flume, Kanal, KanalAsync, Ours, OursBounded, StdMpsc, StdSync,
    TokioBounded, TokioUnbounded,
};
use crate::proto::{OursBoundedSpin, OursSpin, QueueSpin};
use intrusive_mpsc::{Compact, Padded};

/// Messages per fan-in sample.
const FAN_IN: usize = 100_000;
/// Messages per backpressure sample.
const BACKPRESSURE: usize = 100_000;
/// Round trips per ping-pong sample.
const TRIPS: usize = 5_000;
/// The bounded fan-in's capacity.
const FAN_IN_CAP: usize = 1024;
/// The backpressure scenario's capacity.
const PRESSED_CAP: usize = 64;

/// Our entries' names, looked up for the target ratios.
const OURS: &str = "intrusive-mpsc";
const OURS_UNBOUNDED_REF: &str = "intrusive-mpsc, unbounded (reference)";
const OURS_BOUNDED: &str = "intrusive-mpsc, bounded";
const KANAL: &str = "kanal";
/// The prototypes (see `proto`): not ours to ship, and no peer either.
const SPIN: &str = "prototype: intrusive-mpsc + spin before parking";
const SPIN_BOUNDED: &str = "prototype: intrusive-mpsc, bounded + spin before parking";
const QUEUE_COMPACT: &str = "prototype: BoundedWaitQueue alone (compact), spinning senders";
const QUEUE_PADDED: &str = "prototype: BoundedWaitQueue alone (padded), spinning senders";

/// One line of a table: a channel in a scenario, and its samples.
struct Entry {
    name: &'static str,
    sample: Box<dyn Fn() -> Sample>,
    samples: Vec<Sample>,
    /// Whether it is one of ours (left out of "best peer").
    ours: bool,
}

fn entry(name: &'static str, sample: impl Fn() -> Sample + 'static) -> Entry {
    Entry {
        name,
        sample: Box::new(sample),
        samples: Vec::new(),
        ours: name.starts_with(OURS) || name.starts_with("prototype"),
    }
}

/// What a scenario's figure is, which way is better, and what its side columns mean.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    /// Million messages/s, higher is better.
    Rate,
    /// ns per round trip, lower is better.
    RoundTrip,
    /// The idle receiver's CPU share, percent, lower is better.
    IdleCpu,
}

struct Scenario {
    name: String,
    unit: Unit,
    entries: Vec<Entry>,
}

impl Scenario {
    fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The peer (not ours) with the best median.
    fn best_peer(&self) -> Option<&Entry> {
        let peers = self.entries.iter().filter(|e| !e.ours);
        match self.unit {
            Unit::Rate => peers.max_by(|a, b| a.median().total_cmp(&b.median())),
            _ => peers.min_by(|a, b| a.median().total_cmp(&b.median())),
        }
    }
}

impl Entry {
    fn values(&self) -> Vec<f64> {
        self.samples.iter().map(|s| s.value).collect()
    }
    fn median(&self) -> f64 {
        median(&self.values())
    }
}

/// The `q` quantile (linear interpolation) of `values`.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// Fan-in entries, on threads: every peer, at `cap` (unbounded when `None`).
fn fan_in_blocking(cap: Option<usize>, p: usize, n: usize) -> Vec<Entry> {
    use drive::fan_in_blocking as f;
    let mut v = match cap {
        None => vec![
            entry(OURS, move || f::<Ours>(None, p, n)),
            entry("tokio mpsc", move || f::<TokioUnbounded>(None, p, n)),
            entry("std mpsc", move || f::<StdMpsc>(None, p, n)),
        ],
        Some(_) => vec![
            entry(OURS_BOUNDED, move || f::<OursBounded>(cap, p, n)),
            entry(OURS_UNBOUNDED_REF, move || f::<Ours>(None, p, n)),
            entry("tokio mpsc", move || f::<TokioBounded>(cap, p, n)),
            entry("std mpsc (sync_channel)", move || f::<StdSync>(cap, p, n)),
            entry(SPIN_BOUNDED, move || f::<OursBoundedSpin>(cap, p, n)),
            entry(QUEUE_COMPACT, move || f::<QueueSpin<Compact>>(cap, p, n)),
            entry(QUEUE_PADDED, move || f::<QueueSpin<Padded>>(cap, p, n)),
        ],
    };
    v.extend([
        entry("flume", move || f::<Flume>(cap, p, n)),
        entry("async-channel", move || f::<AsyncChannel>(cap, p, n)),
        entry(KANAL, move || f::<Kanal>(cap, p, n)),
        entry("crossbeam-channel", move || f::<Crossbeam>(cap, p, n)),
    ]);
    v
}

/// Fan-in entries, on tasks: the peers with an async API, at `cap`.
fn fan_in_async(cap: Option<usize>, p: usize, n: usize) -> Vec<Entry> {
    use drive::fan_in_async as f;
    let mut v = match cap {
        None => vec![
            entry(OURS, move || f::<Ours>(None, p, n)),
            entry("tokio mpsc", move || f::<TokioUnbounded>(None, p, n)),
        ],
        Some(_) => vec![
            entry(OURS_BOUNDED, move || f::<OursBounded>(cap, p, n)),
            entry(OURS_UNBOUNDED_REF, move || f::<Ours>(None, p, n)),
            entry("tokio mpsc", move || f::<TokioBounded>(cap, p, n)),
        ],
    };
    v.extend([
        entry("flume", move || f::<Flume>(cap, p, n)),
        entry("async-channel", move || f::<AsyncChannel>(cap, p, n)),
        entry(KANAL, move || f::<KanalAsync>(cap, p, n)),
    ]);
    v
}

/// Ping-pong on threads: every peer unbounded, and ours and kanal bounded too.
fn ping_pong_blocking() -> Vec<Entry> {
    use drive::ping_pong_blocking as f;
    let b = Some(PRESSED_CAP);
    vec![
        entry(OURS, || f::<Ours>(None, TRIPS)),
        entry(OURS_BOUNDED, move || f::<OursBounded>(b, TRIPS)),
        entry(SPIN, || f::<OursSpin>(None, TRIPS)),
        entry("tokio mpsc", || f::<TokioUnbounded>(None, TRIPS)),
        entry("flume", || f::<Flume>(None, TRIPS)),
        entry("async-channel", || f::<AsyncChannel>(None, TRIPS)),
        entry(KANAL, || f::<Kanal>(None, TRIPS)),
        entry("kanal, bounded", move || f::<Kanal>(b, TRIPS)),
        entry("crossbeam-channel", || f::<Crossbeam>(None, TRIPS)),
        entry("std mpsc", || f::<StdMpsc>(None, TRIPS)),
    ]
}

/// Ping-pong on tasks.
fn ping_pong_async() -> Vec<Entry> {
    use drive::ping_pong_async as f;
    let b = Some(PRESSED_CAP);
    vec![
        entry(OURS, || f::<Ours>(None, TRIPS)),
        entry(OURS_BOUNDED, move || f::<OursBounded>(b, TRIPS)),
        entry("tokio mpsc", || f::<TokioUnbounded>(None, TRIPS)),
        entry("flume", || f::<Flume>(None, TRIPS)),
        entry("async-channel", || f::<AsyncChannel>(None, TRIPS)),
        entry(KANAL, || f::<KanalAsync>(None, TRIPS)),
        entry("kanal, bounded", move || f::<KanalAsync>(b, TRIPS)),
    ]
}

/// The bursty producer: every peer unbounded, and ours bounded at 1024 too.
fn bursty() -> Vec<Entry> {
    use drive::bursty as f;
    vec![
        entry(OURS, || f::<Ours>(None)),
        entry(OURS_BOUNDED, || f::<OursBounded>(Some(FAN_IN_CAP))),
        entry(SPIN, || f::<OursSpin>(None)),
        entry("tokio mpsc", || f::<TokioUnbounded>(None)),
        entry("flume", || f::<Flume>(None)),
        entry("async-channel", || f::<AsyncChannel>(None)),
        entry(KANAL, || f::<Kanal>(None)),
        entry("crossbeam-channel", || f::<Crossbeam>(None)),
        entry("std mpsc", || f::<StdMpsc>(None)),
    ]
}

fn scenarios() -> Vec<Scenario> {
    let rate = |name: String, entries| Scenario {
        name,
        unit: Unit::Rate,
        entries,
    };
    let mut all = Vec::new();
    for p in [1, 4] {
        let s = if p == 1 { "" } else { "s" };
        all.push(rate(
            format!("fan-in, unbounded, {p} producer{s}, threads (million messages/s)"),
            fan_in_blocking(None, p, FAN_IN),
        ));
        all.push(rate(
            format!("fan-in, unbounded, {p} producer{s}, tasks (million messages/s)"),
            fan_in_async(None, p, FAN_IN),
        ));
        all.push(rate(
            format!(
                "fan-in, bounded ({FAN_IN_CAP}), {p} producer{s}, threads (million messages/s)"
            ),
            fan_in_blocking(Some(FAN_IN_CAP), p, FAN_IN),
        ));
        all.push(rate(
            format!("fan-in, bounded ({FAN_IN_CAP}), {p} producer{s}, tasks (million messages/s)"),
            fan_in_async(Some(FAN_IN_CAP), p, FAN_IN),
        ));
    }
    // 2 producers: the target; 8: many waiting senders at once (the wait list's length).
    for p in [2, 8] {
        all.push(rate(
            format!(
                "backpressure, bounded ({PRESSED_CAP}), {p} producers, threads (million messages/s)"
            ),
            fan_in_blocking(Some(PRESSED_CAP), p, BACKPRESSURE),
        ));
        all.push(rate(
            format!(
                "backpressure, bounded ({PRESSED_CAP}), {p} producers, tasks (million messages/s)"
            ),
            fan_in_async(Some(PRESSED_CAP), p, BACKPRESSURE),
        ));
    }
    all.push(Scenario {
        name: "ping-pong, threads (ns per round trip)".into(),
        unit: Unit::RoundTrip,
        entries: ping_pong_blocking(),
    });
    all.push(Scenario {
        name: "ping-pong, tasks (ns per round trip)".into(),
        unit: Unit::RoundTrip,
        entries: ping_pong_async(),
    });
    all.push(Scenario {
        name: format!(
            "bursty producer, {BURSTS} bursts of {BURST} with {} ms idle between, threads (idle receiver's CPU, % of wall time)",
            GAP.as_millis()
        ),
        unit: Unit::IdleCpu,
        entries: bursty(),
    });
    all
}

pub fn main() {
    crate::allocs::init();
    let runs: usize = std::env::args()
        .nth(1)
        .map(|r| r.parse().expect("runs: a number"))
        .unwrap_or(11);
    assert!(runs > 0, "runs: at least 1");
    let filter = std::env::args().nth(2).unwrap_or_default();
    let mut scenarios = scenarios();
    scenarios.retain(|s| s.name.contains(filter.as_str()));
    // Tokio's workers are never pinned, so with `BENCH_PIN=1` the task scenarios would only
    // repeat the unpinned ones, in a process whose pinned threaded runs came first and changed
    // the peers' rates (kanal's async backpressure fell from 15-17 to 8-10 million/s that way):
    // leave them to the unpinned pass.
    if intrusive_mpsc_perf::pinning() {
        let before = scenarios.len();
        scenarios.retain(|s| !s.name.contains("tasks"));
        if scenarios.len() < before {
            println!(
                "BENCH_PIN=1: the task scenarios are left out (tokio's workers are never pinned; run them unpinned)"
            );
        }
    }
    // A third argument keeps only the entries of that exact name (for profiling one channel).
    if let Some(only) = std::env::args().nth(3) {
        for s in &mut scenarios {
            s.entries.retain(|e| e.name == only);
        }
        scenarios.retain(|s| !s.entries.is_empty());
    }
    if scenarios.is_empty() {
        eprintln!("no scenario matches {filter:?}");
        std::process::exit(2);
    }
    println!(
        "threads pinned to cores (BENCH_PIN=1): {}; tokio workers: 2, never pinned",
        if pinning() { "yes" } else { "no" }
    );
    for run in 0..runs {
        eprint!("\rrun {}/{runs}", run + 1);
        for scenario in &mut scenarios {
            let n = scenario.entries.len();
            for i in 0..n {
                let e = &mut scenario.entries[(run + i) % n];
                let s = (e.sample)();
                e.samples.push(s);
            }
        }
    }
    eprintln!();

    for s in &scenarios {
        println!("\n{} ({runs} interleaved runs)", s.name);
        let (cpu, sw) = match s.unit {
            Unit::IdleCpu => (
                "receiver CPU ns/msg",
                "receiver's voluntary switches / 1000 msgs",
            ),
            _ => ("process CPU ns/msg", "voluntary switches / 1000 msgs"),
        };
        let allocs = crate::allocs::counting() && s.unit != Unit::IdleCpu;
        print!("| channel | median | q1 | q3 | min | max | {cpu} | {sw} |");
        if allocs {
            print!(" allocations / 1000 msgs |");
        }
        println!();
        print!("|---|---:|---:|---:|---:|---:|---:|---:|");
        if allocs {
            print!("---:|");
        }
        println!();
        for e in &s.entries {
            let v = e.values();
            let cpu: Vec<f64> = e.samples.iter().map(|s| s.cpu_ns).collect();
            let sw: Vec<f64> = e.samples.iter().map(|s| s.switches).collect();
            print!(
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.1} |",
                e.name,
                median(&v),
                quantile(&v, 0.25),
                quantile(&v, 0.75),
                quantile(&v, 0.0),
                quantile(&v, 1.0),
                median(&cpu),
                median(&sw),
            );
            if allocs {
                let a: Vec<f64> = e.samples.iter().map(|s| s.allocs).collect();
                print!(" {:.1} |", median(&a));
            }
            println!();
        }
    }
    targets(&scenarios);
}

/// The ratios issue 18 sets targets on, each taken run by run (entries of one run were sampled
/// in the same rotation), as median [q1, q3] over the runs.
fn targets(scenarios: &[Scenario]) {
    println!("\n| target | ratio, median [q1, q3] over runs | goal | met |");
    println!("|---|---:|---|---|");
    let find = |prefix: &str| scenarios.iter().find(|s| s.name.starts_with(prefix));
    let show = |what: String, a: &Entry, b: &Entry, goal: Option<(f64, bool)>| {
        let r: Vec<f64> = a
            .values()
            .iter()
            .zip(b.values())
            .map(|(x, y)| x / y)
            .collect();
        let m = median(&r);
        let (goal, met) = match goal {
            Some((g, higher)) => (
                format!("{} {g}x", if higher { ">=" } else { "<=" }),
                if (higher && m >= g) || (!higher && m <= g) {
                    "yes"
                } else {
                    "no"
                },
            ),
            None => ("(none)".into(), ""),
        };
        println!(
            "| {what} | {m:.2}x [{:.2}, {:.2}] | {goal} | {met} |",
            quantile(&r, 0.25),
            quantile(&r, 0.75)
        );
    };
    for p in [2, 8] {
        for mode in ["threads", "tasks"] {
            let Some(s) = find(&format!(
                "backpressure, bounded ({PRESSED_CAP}), {p} producers, {mode}"
            )) else {
                continue;
            };
            let (Some(ours), Some(best)) = (s.get(OURS_BOUNDED), s.best_peer()) else {
                continue;
            };
            // The target is the 2-producer case; 8 producers are a check.
            let goal = (p == 2).then_some((1.0, true));
            show(
                format!(
                    "backpressure ({p} producers, {mode}): ours bounded / best peer ({})",
                    best.name
                ),
                ours,
                best,
                goal,
            );
            if let Some(k) = s.get(KANAL) {
                show(
                    format!("backpressure ({p} producers, {mode}): ours bounded / kanal"),
                    ours,
                    k,
                    None,
                );
            }
        }
    }
    for p in ["1 producer,", "4 producers"] {
        for mode in ["threads", "tasks"] {
            let Some(s) = scenarios.iter().find(|s| {
                s.name
                    .starts_with(&format!("fan-in, bounded ({FAN_IN_CAP}), {p}"))
                    && s.name.contains(mode)
            }) else {
                continue;
            };
            if let (Some(b), Some(u)) = (s.get(OURS_BOUNDED), s.get(OURS_UNBOUNDED_REF)) {
                let p = p.trim_end_matches(',');
                show(
                    format!("bounded fan-in ({p}, {mode}): ours bounded / ours unbounded"),
                    b,
                    u,
                    Some((0.8, true)),
                );
            }
        }
    }
    for mode in ["threads", "tasks"] {
        let Some(s) = find(&format!("ping-pong, {mode}")) else {
            continue;
        };
        let Some(k) = s.get(KANAL) else { continue };
        for ours in [OURS, OURS_BOUNDED] {
            if let Some(o) = s.get(ours) {
                let goal = (mode == "threads" && ours == OURS).then_some((1.0, false));
                show(
                    format!("ping-pong round trip ({mode}): {ours} / kanal"),
                    o,
                    k,
                    goal,
                );
            }
        }
        if let Some(best) = s.best_peer() {
            if let Some(o) = s.get(OURS) {
                show(
                    format!(
                        "ping-pong round trip ({mode}): {OURS} / best peer ({})",
                        best.name
                    ),
                    o,
                    best,
                    None,
                );
            }
        }
    }
    for p in ["1 producer,", "4 producers"] {
        for mode in ["threads", "tasks"] {
            let Some(s) = scenarios.iter().find(|s| {
                s.name.starts_with(&format!("fan-in, unbounded, {p}")) && s.name.contains(mode)
            }) else {
                continue;
            };
            if let (Some(o), Some(best)) = (s.get(OURS), s.best_peer()) {
                let goal = Some((1.0, true));
                let p = p.trim_end_matches(',');
                show(
                    format!(
                        "unbounded fan-in ({p}, {mode}): ours / best peer ({})",
                        best.name
                    ),
                    o,
                    best,
                    goal,
                );
            }
        }
    }
    // The prototype lever, beside the targets it would move.
    for s in scenarios.iter().filter(|s| s.name.contains("threads")) {
        let Some(spin) = s.get(SPIN_BOUNDED).or(s.get(SPIN)) else {
            continue;
        };
        let short = s.name.rsplit_once(" (").map_or(s.name.as_str(), |(n, _)| n);
        if let Some(u) = s.get(OURS_UNBOUNDED_REF) {
            show(
                format!("{short}: {} / ours unbounded", spin.name),
                spin,
                u,
                None,
            );
        }
        if let (Some(best), false) = (s.best_peer(), s.name.starts_with("bursty")) {
            show(
                format!("{short}: {} / best peer ({})", spin.name, best.name),
                spin,
                best,
                None,
            );
        }
        if let Some(k) = s.get(KANAL) {
            show(format!("{short}: {} / kanal", spin.name), spin, k, None);
        }
        for q in [QUEUE_COMPACT, QUEUE_PADDED] {
            if let Some(q) = s.get(q) {
                show(
                    format!("{short}: {} / {}", q.name, spin.name),
                    q,
                    spin,
                    None,
                );
            }
        }
    }
    if let Some(s) = find("bursty") {
        if let Some(o) = s.get(OURS) {
            for peer in [KANAL, "crossbeam-channel", "tokio mpsc"] {
                if let Some(k) = s.get(peer) {
                    show(
                        format!("idle receiver's CPU share (bursty): ours / {peer}"),
                        o,
                        k,
                        None,
                    );
                }
            }
        }
    }
}
