//! Criterion benchmarks: intrusive-mpsc against its peers, same payload, same polling consumer.
//!
//! `cargo bench -p intrusive-mpsc-perf` runs all of them (several minutes);
//! `cargo bench -p intrusive-mpsc-perf -- 1p1c` runs the groups whose name contains `1p1c`. The
//! threaded groups move rounds of 16384 packets and report elements per second; `burst64` is one
//! thread enqueueing 64 packets and then dequeueing them. Our queue runs in both layouts,
//! compact (`Queue`) and padded (`PaddedQueue`), in every threaded group. On a 2-core machine,
//! the 4-producer group is oversubscribed (five threads on two cores), and the 2-producer groups
//! are too (three threads). `2p_batch_enqueue_only` times the producers alone (the consumer
//! drains after the clock stops). The bounded groups use WireGuard's bound, 1024: in
//! `bounded_*` producers back off while the queue is full, in `bounded_calm_*` rounds of 512
//! never fill it (and producers that reserve room for 32 at a time run beside them), and in
//! `bounded_overload_*` producers retry `try_enqueue` without pause while
//! it is full (the unbounded queue runs beside them for comparison, with producers that reserve
//! room for 32 packets at a time, and a control: the unbounded queue plus one `fetch_add` per
//! enqueue).

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

use intrusive_mpsc::{Compact, Padded};
use intrusive_mpsc_perf::*;

fn burst_one<Q: Subject>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(Q::NAME, |b| b.iter_custom(time_burst::<Q>));
}

fn threaded_one<Q: Subject>(group: &mut BenchmarkGroup<'_, WallTime>, producers: usize) {
    group.bench_function(Q::NAME, |b| {
        b.iter_custom(|rounds| threaded::<Q, _>(producers, rounds, &Single))
    });
}

fn calm_one<Q: Subject>(group: &mut BenchmarkGroup<'_, WallTime>, producers: usize) {
    group.bench_function(Q::NAME, |b| {
        b.iter_custom(|rounds| threaded_rounds::<Q, _>(producers, CALM_ROUND, rounds, &Single))
    });
}

fn overload_one<Q: Subject>(group: &mut BenchmarkGroup<'_, WallTime>, producers: usize) {
    group.bench_function(Q::NAME, |b| {
        b.iter_custom(|rounds| threaded::<Q, _>(producers, rounds, &Hammer::default()))
    });
}

/// As [`overload_one`], the bounded queue's producers reserving room for 32 packets at a time.
fn overload_reserving_one<L: Named>(group: &mut BenchmarkGroup<'_, WallTime>, producers: usize) {
    group.bench_function(format!("{}, reserving 32", L::BOUNDED), |b| {
        b.iter_custom(|rounds| {
            threaded::<OursBounded<L>, _>(producers, rounds, &Reserving::<32>::default())
        })
    });
}

/// As [`calm_one`], the bounded queue's producers reserving room for 32 packets at a time.
fn calm_reserving_one<L: Named>(group: &mut BenchmarkGroup<'_, WallTime>, producers: usize) {
    group.bench_function(format!("{}, reserving 32", L::BOUNDED), |b| {
        b.iter_custom(|rounds| {
            threaded_rounds::<OursBounded<L>, _>(
                producers,
                CALM_ROUND,
                rounds,
                &Reserving::<32>::default(),
            )
        })
    });
}

fn burst64(c: &mut Criterion) {
    let mut group = c.benchmark_group("burst64");
    group.throughput(Throughput::Elements(BURST as u64));
    group.measurement_time(Duration::from_secs(1));
    group.warm_up_time(Duration::from_millis(300));
    burst_one::<OursCompact>(&mut group);
    burst_one::<OursPadded>(&mut group);
    burst_one::<Cordyceps>(&mut group);
    burst_one::<Seg>(&mut group);
    burst_one::<CbChannel>(&mut group);
    burst_one::<StdMpsc>(&mut group);
    burst_one::<MutexDeque>(&mut group);
    burst_one::<WgRing>(&mut group);
    group.finish();
}

fn threaded_group(c: &mut Criterion, name: &str, producers: usize) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements((ROUND / producers * producers) as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_millis(1500));
    group.warm_up_time(Duration::from_millis(300));
    threaded_one::<OursCompact>(&mut group, producers);
    threaded_one::<OursPadded>(&mut group, producers);
    threaded_one::<Cordyceps>(&mut group, producers);
    threaded_one::<Seg>(&mut group, producers);
    threaded_one::<CbChannel>(&mut group, producers);
    threaded_one::<StdMpsc>(&mut group, producers);
    threaded_one::<MutexDeque>(&mut group, producers);
    threaded_one::<WgRing>(&mut group, producers);
    group.finish();
}

fn one_producer(c: &mut Criterion) {
    threaded_group(c, "1p1c", 1);
}

fn two_producers(c: &mut Criterion) {
    threaded_group(c, "2p1c", 2);
}

fn four_producers(c: &mut Criterion) {
    threaded_group(c, "4p1c_oversubscribed", 4);
}

/// Single enqueues against batches of 16 and 64, for our queue in layout `L`.
fn batch_layout<L: Named>(group: &mut BenchmarkGroup<'_, WallTime>, enqueue_only_side: bool) {
    let name = |what: &str| format!("{}, {what}", L::QUEUE);
    if enqueue_only_side {
        group.bench_function(name("single enqueues"), |b| {
            b.iter_custom(|r| enqueue_only::<Ours<L>, _>(2, r, &Single))
        });
        group.bench_function(name("batches of 16"), |b| {
            b.iter_custom(|r| enqueue_only::<Ours<L>, _>(2, r, &Batched::<16>))
        });
        group.bench_function(name("batches of 64"), |b| {
            b.iter_custom(|r| enqueue_only::<Ours<L>, _>(2, r, &Batched::<64>))
        });
    } else {
        group.bench_function(name("single enqueues"), |b| {
            b.iter_custom(|r| threaded::<Ours<L>, _>(2, r, &Single))
        });
        group.bench_function(name("batches of 16"), |b| {
            b.iter_custom(|r| threaded::<Ours<L>, _>(2, r, &Batched::<16>))
        });
        group.bench_function(name("batches of 64"), |b| {
            b.iter_custom(|r| threaded::<Ours<L>, _>(2, r, &Batched::<64>))
        });
    }
}

fn batch(c: &mut Criterion) {
    for (group_name, enqueue_only_side) in [("2p1c_batch", false), ("2p_batch_enqueue_only", true)]
    {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements(ROUND as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(1));
        group.warm_up_time(Duration::from_millis(300));
        batch_layout::<intrusive_mpsc::Compact>(&mut group, enqueue_only_side);
        batch_layout::<intrusive_mpsc::Padded>(&mut group, enqueue_only_side);
        group.finish();
    }
}

fn bounded(c: &mut Criterion) {
    for (name, producers) in [("bounded_1p1c", 1), ("bounded_2p1c", 2)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(ROUND as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(1));
        group.warm_up_time(Duration::from_millis(300));
        threaded_one::<BoundedCompact>(&mut group, producers);
        threaded_one::<BoundedPadded>(&mut group, producers);
        threaded_one::<WgRing>(&mut group, producers);
        threaded_one::<WgCounted>(&mut group, producers);
        group.finish();
    }
}

fn bounded_calm(c: &mut Criterion) {
    for (name, producers) in [("bounded_calm_1p1c", 1), ("bounded_calm_2p1c", 2)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(
            (CALM_ROUND / producers * producers) as u64,
        ));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(1));
        group.warm_up_time(Duration::from_millis(300));
        calm_one::<BoundedCompact>(&mut group, producers);
        calm_one::<BoundedPadded>(&mut group, producers);
        calm_reserving_one::<Compact>(&mut group, producers);
        calm_reserving_one::<Padded>(&mut group, producers);
        calm_one::<WgRing>(&mut group, producers);
        calm_one::<WgCounted>(&mut group, producers);
        calm_one::<OursCompact>(&mut group, producers);
        group.finish();
    }
}

fn bounded_overload(c: &mut Criterion) {
    for (name, producers) in [("bounded_overload_1p1c", 1), ("bounded_overload_2p1c", 2)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements((ROUND / producers * producers) as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(1));
        group.warm_up_time(Duration::from_millis(300));
        overload_one::<OursCompact>(&mut group, producers);
        overload_one::<OursPadded>(&mut group, producers);
        overload_one::<BoundedCompact>(&mut group, producers);
        overload_one::<BoundedPadded>(&mut group, producers);
        overload_reserving_one::<Compact>(&mut group, producers);
        overload_reserving_one::<Padded>(&mut group, producers);
        overload_one::<OursPlusCount<Compact>>(&mut group, producers);
        overload_one::<OursPlusCount<Padded>>(&mut group, producers);
        overload_one::<WgRing>(&mut group, producers);
        overload_one::<WgCounted>(&mut group, producers);
        group.finish();
    }
}

criterion_group!(
    benches,
    burst64,
    one_producer,
    two_producers,
    four_producers,
    batch,
    bounded,
    bounded_calm,
    bounded_overload
);
criterion_main!(benches);
