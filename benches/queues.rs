//! Criterion benchmarks: this crate against its peers, same payload, same polling consumer.
//!
//! `cargo bench --bench queues` runs all of them (a few minutes); `cargo bench --bench queues --
//! 1p1c` runs one group. The threaded groups move rounds of 16384 packets and report
//! elements per second; `burst64` is one thread enqueueing 64 packets and then dequeueing them.
//! On a 2-core machine, the 4-producer group is oversubscribed (five threads on two cores), and
//! the 2-producer groups are too (three threads). `2p_batch_enqueue_only` times the producers
//! alone (the consumer drains after the clock stops); the bounded groups use WireGuard's bound,
//! 1024, with producers backing off while the queue is full.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

mod support;
use support::*;

fn burst_one<Q: Subject>(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.bench_function(Q::NAME, |b| b.iter_custom(time_burst::<Q>));
}

fn threaded_one<Q: Subject>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    producers: usize,
) {
    group.bench_function(Q::NAME, |b| {
        b.iter_custom(|rounds| threaded::<Q, _>(producers, rounds, &Single))
    });
}

fn burst64(c: &mut Criterion) {
    let mut group = c.benchmark_group("burst64");
    group.throughput(Throughput::Elements(BURST as u64));
    group.measurement_time(Duration::from_secs(1));
    group.warm_up_time(Duration::from_millis(300));
    burst_one::<Ours>(&mut group);
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
    threaded_one::<Ours>(&mut group, producers);
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

fn batch(c: &mut Criterion) {
    for (group_name, enqueue_only_side) in [("2p1c_batch", false), ("2p_batch_enqueue_only", true)]
    {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements(ROUND as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(1));
        group.warm_up_time(Duration::from_millis(300));
        if enqueue_only_side {
            group.bench_function("single enqueues", |b| {
                b.iter_custom(|r| enqueue_only::<Ours, _>(2, r, &Single))
            });
            group.bench_function("batches of 16", |b| {
                b.iter_custom(|r| enqueue_only::<Ours, _>(2, r, &Batched::<16>))
            });
            group.bench_function("batches of 64", |b| {
                b.iter_custom(|r| enqueue_only::<Ours, _>(2, r, &Batched::<64>))
            });
        } else {
            group.bench_function("single enqueues", |b| {
                b.iter_custom(|r| threaded::<Ours, _>(2, r, &Single))
            });
            group.bench_function("batches of 16", |b| {
                b.iter_custom(|r| threaded::<Ours, _>(2, r, &Batched::<16>))
            });
            group.bench_function("batches of 64", |b| {
                b.iter_custom(|r| threaded::<Ours, _>(2, r, &Batched::<64>))
            });
        }
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
        threaded_one::<Bounded>(&mut group, producers);
        threaded_one::<WgRing>(&mut group, producers);
        threaded_one::<WgCounted>(&mut group, producers);
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
    bounded
);
criterion_main!(benches);
