//! Runs single-thread bursts (64 enqueues, then 64 dequeues) on one queue, for counting
//! instructions per enqueue and per dequeue under callgrind; `scripts/instructions.sh` drives it.
//!
//! `instructions <queue> <rounds> [inline|calls]`: queue is one of `ours`, `padded` (our queue
//! in the padded layout), `cordyceps`, `segqueue`, `channel`, `std`, `mutex`, `wgring`,
//! `wgcounted` (our queue plus a WireGuard-style counter), `bounded`, `reserving` (the bounded
//! queue, each burst enqueued through one `try_reserve(64)`), `floor` (a plain non-atomic stack:
//! the cost of the call and of storing a pointer at all).
//!
//! Two modes, both counted by the script:
//! - `inline` (default): the burst loop with every operation inlined, as in a user's hot loop;
//!   the script runs two round counts and divides the difference by the extra pairs, which
//!   cancels start-up. The loop's own bookkeeping is included.
//! - `calls`: each enqueue and each dequeue goes through a function that is never inlined, so
//!   callgrind attributes instructions to it, inclusive of everything the queue calls; the script
//!   divides by the number of pairs.
//!
//! The packet and the loop are tuned for the queues (the link is the packet's first field, the
//! consumer's `dequeue`); `instructions-plain` counts the same pairs in plain user code.

use intrusive_mpsc_perf::*;

/// One enqueue, on its own so that callgrind counts it.
#[inline(never)]
fn enqueue_one<Q: Subject>(producer: &Q::Producer<'_>, packet: Box<Packet>) {
    if Q::push(producer, packet).is_err() {
        unreachable!("a burst fits every queue");
    }
}

/// One dequeue, on its own so that callgrind counts it.
#[inline(never)]
fn dequeue_one<Q: Subject>(consumer: &mut Q::Consumer<'_>) -> Option<Box<Packet>> {
    Q::pop(consumer)
}

/// One enqueue through a reservation, on its own so that callgrind counts it.
#[inline(never)]
fn enqueue_reserved(room: &mut ReservationOf<'_>, packet: Box<Packet>) {
    if room.try_enqueue(packet).is_err() {
        unreachable!("the burst was reserved");
    }
}

/// The bounded queue's reservation, as the harness uses it.
type ReservationOf<'q> = intrusive_mpsc::Reservation<
    'q,
    Packet,
    intrusive_mpsc::Bounded,
    intrusive_mpsc::NoWait,
    intrusive_mpsc::Compact,
>;

/// The bounded queue at [`BOUND`], each burst of [`BURST`] enqueued through one reservation
/// (made and dropped outside `enqueue_reserved`, so `calls` leaves its claim out; `inline`
/// counts it, spread over the burst).
fn run_reserving(rounds: u64, calls: bool) {
    let queue = intrusive_mpsc::BoundedQueue::<Packet>::with_capacity(BOUND);
    let mut consumer = queue.consumer().expect("one consumer");
    let mut pool = packets(BURST);
    for _ in 0..rounds {
        let mut room = queue.try_reserve(BURST).expect("a burst fits");
        for packet in pool.drain(..) {
            if calls {
                enqueue_reserved(&mut room, packet);
            } else if room.try_enqueue(packet).is_err() {
                unreachable!("the burst was reserved");
            }
        }
        drop(room);
        if calls {
            while let Some(packet) = dequeue_one::<BoundedCompact>(&mut consumer) {
                pool.push(packet);
            }
        } else {
            while let Some(packet) = consumer.dequeue() {
                pool.push(packet);
            }
        }
    }
    assert_eq!(pool.len(), BURST);
}

fn run<Q: Subject>(rounds: u64, calls: bool) {
    if !calls {
        std::hint::black_box(time_burst::<Q>(rounds));
        return;
    }
    let queue = Q::new();
    let producer = queue.producer();
    let mut consumer = queue.consumer();
    let mut pool = packets(BURST);
    for _ in 0..rounds {
        for packet in pool.drain(..) {
            enqueue_one::<Q>(&producer, packet);
        }
        while let Some(packet) = dequeue_one::<Q>(&mut consumer) {
            pool.push(packet);
        }
    }
    assert_eq!(pool.len(), BURST);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(rounds)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: instructions <queue> <rounds> [inline|calls]");
        std::process::exit(2);
    };
    let rounds: u64 = rounds.parse().expect("rounds: a number");
    let calls = match args.get(3).map(String::as_str) {
        None | Some("inline") => false,
        Some("calls") => true,
        Some(mode) => {
            eprintln!("unknown mode {mode}: inline or calls");
            std::process::exit(2);
        }
    };
    match name.as_str() {
        "ours" => run::<OursCompact>(rounds, calls),
        "padded" => run::<OursPadded>(rounds, calls),
        "cordyceps" => run::<Cordyceps>(rounds, calls),
        "segqueue" => run::<Seg>(rounds, calls),
        "channel" => run::<CbChannel>(rounds, calls),
        "std" => run::<StdMpsc>(rounds, calls),
        "mutex" => run::<MutexDeque>(rounds, calls),
        "wgring" => run::<WgRing>(rounds, calls),
        "wgcounted" => run::<WgCounted>(rounds, calls),
        "bounded" => run::<BoundedCompact>(rounds, calls),
        "reserving" => run_reserving(rounds, calls),
        "floor" => run::<Floor>(rounds, calls),
        _ => {
            eprintln!("unknown queue {name}");
            std::process::exit(2);
        }
    }
}
