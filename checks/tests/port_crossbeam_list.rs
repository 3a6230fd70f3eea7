//! crossbeam-channel's tests of its unbounded ("list") flavor, ported to our unbounded channel
//! (issue 18). Each test keeps the name it has in crossbeam, so the two can be read side by side,
//! and is written anew for this API: values travel in [`Item`] nodes, `recv` / `recv_timeout`
//! are `recv_blocking` / `recv_timeout_blocking`, crossbeam's `TrySendError::Disconnected` is our
//! `TrySendError::Closed`, its `iter` / `try_iter` are `iter_blocking` / a `try_recv` loop, and
//! scoped threads are std's.
//!
//! Ported from crossbeam-rs/crossbeam, `crossbeam-channel/tests/list.rs`, at commit
//! 7de845aa13ce5d80084ce0889e014ae0aa0d19ce (the file as last changed by ac4a503997279).
//!
//! Timing: crossbeam orders its threads with sleeps of 0.5 to 1.5 s. Here, where an assertion
//! depends on the order (a `try_recv` that must find the node, a timeout that must expire), the
//! threads meet at a barrier instead; where a sleep only makes a blocking call likely to block,
//! it is kept, shortened to tens of milliseconds. The stress tests' counts are scaled down
//! (crossbeam's in brackets beside each) so the file runs in about a second in a debug build,
//! and further under valgrind (`INTRUSIVE_MPSC_TEST_SCALE`).
//!
//! Left out (6 of 26):
//! - `capacity`: asserts `capacity() == None`; our unbounded channel has no capacity to ask for
//!   (`max_capacity` exists only on the bounded type).
//! - `send_timeout`: our unbounded channel has no `send_timeout`, as its sends never wait (`send`
//!   and `try_send` are ported below).
//! - `mpmc`: four receivers share the channel; ours has one.
//! - `fairness`, `fairness_duplicates`, `recv_in_send`: crossbeam's `select!`, which has no
//!   counterpart here.
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;
// The ports' node type.
mod ports;

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use intrusive_mpsc::channel::error::{RecvTimeoutError, SendError, TryRecvError, TrySendError};
use intrusive_mpsc::channel::{unbounded, Receiver};
use intrusive_mpsc::{node, Link};
use ports::{it, val, Item};
use support::{scaled, Rng, STALL};

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

// The basic calls on a fresh channel: `try_send` / `try_recv`, `send` / `recv`, empty, timeout.
#[test]
fn smoke() {
    let (s, mut r) = unbounded::<Item<i32>>();
    s.try_send(it(7)).unwrap();
    assert_eq!(r.try_recv().map(|m| m.v), Ok(7));
    s.send(it(8)).unwrap();
    assert_eq!(val(r.recv_blocking()), Some(8));
    assert_eq!(r.try_recv().err(), Some(TryRecvError::Empty));
    assert_eq!(
        r.recv_timeout_blocking(ms(50)).err(),
        Some(RecvTimeoutError::Timeout)
    );
}

// `len` and `is_empty` before a send, after it, and after the receive.
// Adapted: crossbeam asks both ends, and `is_full` too. Our unbounded sender keeps no count (it
// would cost every send), so only the receiver has `len` / `is_empty`; an unbounded channel is
// never full and has no `is_full`.
#[test]
fn len_empty_full() {
    let (s, mut r) = unbounded::<Item<()>>();
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
    s.send(it(())).unwrap();
    assert_eq!(r.len(), 1);
    assert!(!r.is_empty());
    r.recv_blocking().unwrap();
    assert_eq!(r.len(), 0);
    assert!(r.is_empty());
}

// `try_recv` is `Empty` before the send, finds the node after it, and is the end once the
// sender is gone.
#[test]
fn try_recv() {
    let (s, mut r) = unbounded::<Item<i32>>();
    let step = &Barrier::new(2);
    thread::scope(|scope| {
        scope.spawn(move || {
            assert_eq!(r.try_recv().err(), Some(TryRecvError::Empty));
            step.wait(); // may send
            step.wait(); // sent
            assert_eq!(r.try_recv().map(|m| m.v), Ok(7));
            step.wait(); // may drop the sender
            step.wait(); // dropped
            assert_eq!(r.try_recv().err(), Some(TryRecvError::Disconnected));
        });
        scope.spawn(move || {
            step.wait();
            s.send(it(7)).unwrap();
            step.wait();
            step.wait();
            drop(s);
            step.wait();
        });
    });
}

// A blocked `recv` gets each node as it comes, then the end.
#[test]
fn recv() {
    let (s, mut r) = unbounded::<Item<i32>>();
    thread::scope(|scope| {
        scope.spawn(move || {
            assert_eq!(val(r.recv_blocking()), Some(7));
            thread::sleep(ms(20));
            assert_eq!(val(r.recv_blocking()), Some(8));
            thread::sleep(ms(20));
            assert_eq!(val(r.recv_blocking()), Some(9));
            assert!(r.recv_blocking().is_none());
        });
        scope.spawn(move || {
            thread::sleep(ms(30));
            s.send(it(7)).unwrap();
            s.send(it(8)).unwrap();
            s.send(it(9)).unwrap();
        });
    });
}

// `recv_timeout` times out with nothing sent, gets a node sent while it waits, then the end.
#[test]
fn recv_timeout() {
    let (s, mut r) = unbounded::<Item<i32>>();
    let step = &Barrier::new(2);
    thread::scope(|scope| {
        scope.spawn(move || {
            assert_eq!(
                r.recv_timeout_blocking(ms(20)).err(),
                Some(RecvTimeoutError::Timeout)
            );
            step.wait();
            assert_eq!(r.recv_timeout_blocking(STALL).map(|m| m.v), Ok(7));
            assert_eq!(
                r.recv_timeout_blocking(STALL).err(),
                Some(RecvTimeoutError::Disconnected)
            );
        });
        scope.spawn(move || {
            step.wait();
            thread::sleep(ms(20));
            s.send(it(7)).unwrap();
        });
    });
}

// A node already there is received even with a zero timeout; then the zero timeout expires.
#[test]
fn recv_timeout_nonempty_expired() {
    let (s, mut r) = unbounded::<Item<i32>>();
    s.send(it(5)).unwrap();
    assert_eq!(r.recv_timeout_blocking(ms(0)).map(|m| m.v), Ok(5));
    assert_eq!(
        r.recv_timeout_blocking(ms(0)).err(),
        Some(RecvTimeoutError::Timeout)
    );
}

// `try_send` never finds an unbounded channel full; once the receiver is gone it hands back.
#[test]
fn try_send() {
    let (s, r) = unbounded::<Item<usize>>();
    for i in 0..1000 {
        assert!(s.try_send(it(i)).is_ok());
    }
    drop(r);
    match s.try_send(it(777)) {
        Err(TrySendError::Closed(back)) => assert_eq!(back.v, 777),
        other => panic!("expected closed, got {other:?}"),
    }
}

// As `try_send`, with `send`.
#[test]
fn send() {
    let (s, r) = unbounded::<Item<usize>>();
    for i in 0..1000 {
        assert!(s.send(it(i)).is_ok());
    }
    drop(r);
    let SendError(back) = s.send(it(777)).unwrap_err();
    assert_eq!(back.v, 777);
}

// Every way to send fails once the receiver is gone, handing the node back.
// (crossbeam's `send_timeout` leg is left out: our unbounded channel has none.)
#[test]
fn send_after_disconnect() {
    let (s, r) = unbounded::<Item<i32>>();
    for v in [1, 2, 3] {
        s.send(it(v)).unwrap();
    }
    drop(r);
    assert_eq!(s.send(it(4)).unwrap_err().0.v, 4);
    match s.try_send(it(5)) {
        Err(TrySendError::Closed(back)) => assert_eq!(back.v, 5),
        other => panic!("expected closed, got {other:?}"),
    }
}

// The nodes sent before the last sender went are all received, then the end.
#[test]
fn recv_after_disconnect() {
    let (s, mut r) = unbounded::<Item<i32>>();
    for v in [1, 2, 3] {
        s.send(it(v)).unwrap();
    }
    drop(s);
    assert_eq!(val(r.recv_blocking()), Some(1));
    assert_eq!(val(r.recv_blocking()), Some(2));
    assert_eq!(val(r.recv_blocking()), Some(3));
    assert!(r.recv_blocking().is_none());
}

// `len` follows every send and every receive.
// Adapted: crossbeam reads the sender's `len` after each send; our unbounded sender has none,
// so the receiver's is read there.
#[test]
fn len() {
    let (s, mut r) = unbounded::<Item<usize>>();
    assert_eq!(r.len(), 0);
    for i in 0..50 {
        s.send(it(i)).unwrap();
        assert_eq!(r.len(), i + 1);
    }
    for i in 0..50 {
        r.recv_blocking().unwrap();
        assert_eq!(r.len(), 50 - i - 1);
    }
    assert_eq!(r.len(), 0);
}

// A receiver blocked on an empty channel is woken by the last sender's drop.
#[test]
fn disconnect_wakes_receiver() {
    let (s, mut r) = unbounded::<Item<()>>();
    thread::scope(|scope| {
        scope.spawn(move || assert!(r.recv_blocking().is_none()));
        scope.spawn(move || {
            thread::sleep(ms(20));
            drop(s);
        });
    });
}

// One thread sends, another receives everything in order, then the end. [100,000]
#[test]
fn spsc() {
    let count = scaled(20_000);
    let (s, mut r) = unbounded::<Item<usize>>();
    thread::scope(|scope| {
        scope.spawn(move || {
            for i in 0..count {
                assert_eq!(val(r.recv_blocking()), Some(i));
            }
            assert!(r.recv_blocking().is_none());
        });
        scope.spawn(move || {
            for i in 0..count {
                s.send(it(i)).unwrap();
            }
        });
    });
}

// A fresh channel per round, one send racing one blocked receive. [10,000 rounds]
#[test]
fn stress_oneshot() {
    for _ in 0..scaled(1_000) {
        let (s, mut r) = unbounded::<Item<i32>>();
        thread::scope(|scope| {
            scope.spawn(|| r.recv_blocking().unwrap());
            scope.spawn(|| s.send(it(0)).unwrap());
        });
    }
}

// Requests and responses over two channels, drained with a `try_recv` loop and a blocking
// iterator, until `count` responses came. [100,000]
#[test]
fn stress_iter() {
    let count = scaled(20_000);
    let (request_s, mut request_r) = unbounded::<Item<()>>();
    let (response_s, mut response_r) = unbounded::<Item<usize>>();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut received = 0;
            loop {
                while let Ok(x) = response_r.try_recv() {
                    received += x.v;
                    if received == count {
                        return;
                    }
                }
                request_s.send(it(())).unwrap();
            }
        });
        for _ in request_r.iter_blocking() {
            if response_s.send(it(1)).is_err() {
                break;
            }
        }
    });
}

// Sends and short timed receives, both pausing every other step: every node arrives, in
// order. [pauses of 50 ms and timeouts of 10 ms]
#[test]
fn stress_timeout_two_threads() {
    const COUNT: usize = 100;
    let (s, mut r) = unbounded::<Item<usize>>();
    thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    thread::sleep(ms(5));
                }
                s.send(it(i)).unwrap();
            }
        });
        scope.spawn(|| {
            for i in 0..COUNT {
                if i % 2 == 0 {
                    thread::sleep(ms(5));
                }
                loop {
                    if let Ok(x) = r.recv_timeout_blocking(ms(1)) {
                        assert_eq!(x.v, i);
                        break;
                    }
                }
            }
        });
    });
}

/// A value whose drop is counted.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

// Each node is dropped once: those received as they are received, the rest with the channel.
// [100 runs of up to 10,000 steps]
#[test]
fn drops() {
    let runs = scaled(20);
    let max_steps = scaled(2_000).max(10);
    let mut rng = Rng::new(0xd20b5);
    for _ in 0..runs {
        let steps = rng.below(max_steps);
        let additional = rng.below(max_steps / 10);
        let drops = Arc::new(AtomicUsize::new(0));
        let (s, mut r) = unbounded::<Item<DropCounter>>();
        thread::scope(|scope| {
            scope.spawn(|| {
                for _ in 0..steps {
                    r.recv_blocking().unwrap();
                }
            });
            scope.spawn(|| {
                for _ in 0..steps {
                    s.send(it(DropCounter(Arc::clone(&drops)))).unwrap();
                }
            });
        });
        for _ in 0..additional {
            s.try_send(it(DropCounter(Arc::clone(&drops)))).unwrap();
        }
        assert_eq!(drops.load(Relaxed), steps);
        drop(s);
        drop(r);
        assert_eq!(drops.load(Relaxed), steps + additional);
    }
}

// Each thread sends one node, then receives one: after its own send completed, the channel is
// never empty to it. [25,000 rounds per thread]
// Adapted: crossbeam's four threads each receive on the shared receiver; ours is unique and
// needs `&mut`, so they take turns through a mutex. And a `try_recv` may find a node that is
// there but not yet linked (`Inconsistent`: another sender is mid-send ahead of it); the test
// retries then, and asserts it is never `Empty` nor `Disconnected`.
#[test]
fn linearizable() {
    const THREADS: usize = 4;
    let count = scaled(5_000);
    let (s, r) = unbounded::<Item<i32>>();
    let r = Mutex::new(r);
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..count {
                    s.send(it(0)).unwrap();
                    try_recv_settled(&mut r.lock().unwrap());
                }
            });
        }
    });
}

/// A `try_recv` that retries while a sender is mid-send, and must then find a node.
fn try_recv_settled<T, B: intrusive_mpsc::Capacity>(r: &mut Receiver<Item<T>, B>) {
    loop {
        match r.try_recv() {
            Ok(_) => return,
            Err(TryRecvError::Inconsistent) => std::hint::spin_loop(),
            Err(error) => panic!("a completed send was not there to receive: {error:?}"),
        }
    }
}

/// A node that carries the receiver of the next channel.
struct Hop {
    link: Link,
    next: Option<Receiver<Hop>>,
}
node!(Hop, link, Box<Hop>);

// Receivers sent through channels: each hop's node carries the next channel's receiver.
#[test]
fn channel_through_channel() {
    const COUNT: usize = 1000;
    let (s, r) = unbounded::<Hop>();
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut s = s;
            for _ in 0..COUNT {
                let (new_s, new_r) = unbounded();
                s.send(Box::new(Hop {
                    link: Link::new(),
                    next: Some(new_r),
                }))
                .unwrap();
                s = new_s;
            }
        });
        scope.spawn(move || {
            let mut r = r;
            for _ in 0..COUNT {
                r = r.recv_blocking().unwrap().next.take().unwrap();
            }
        });
    });
}

/// A node of 32 KiB.
struct BigStruct {
    link: Link,
    _data: [u8; 32_768],
}
node!(BigStruct, link, Box<BigStruct>);

// A large node goes through (crossbeam's blocks once copied it on the stack; ours never copy).
#[test]
fn stack_overflow() {
    let (sender, mut receiver) = unbounded::<BigStruct>();
    sender
        .send(Box::new(BigStruct {
            link: Link::new(),
            _data: [0; 32_768],
        }))
        .unwrap();
    while receiver.try_recv().is_ok() {}
}
