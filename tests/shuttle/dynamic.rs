//! The dynamic ready set under shuttle: three async workers, two producers and churn, beyond
//! what loom can explore (its models have two threads beside the main one).

use std::sync::Arc;

use intrusive_mpsc::{node, DynamicSet, Link, MemberHandle, Next};
use shuttle::thread;

use super::{explore, Counter};

/// A message for the dynamic ready set: its producer, its number in that producer's stream, and
/// the member it was sent to.
struct DynMsg {
    link: Link,
    producer: usize,
    seq: usize,
    member: usize,
    dropped: Arc<Counter>,
}
node!(DynMsg, link, Box<DynMsg>);

impl Drop for DynMsg {
    fn drop(&mut self) {
        self.dropped.add(1);
    }
}

/// A dynamic member's state: its id, the next number it expects from each producer, and a flag
/// set while a worker holds it.
struct DynState {
    id: usize,
    next: Vec<usize>,
    held: bool,
}

/// The dynamic ready set with three async workers (through shuttle's executor) and churn: see
/// [`three_workers_producers_and_churn`].
#[test]
fn dynamic_set_three_workers_producers_and_churn() {
    three_workers_producers_and_churn(false);
}

/// The same with three blocking workers (`next_blocking`): under shuttle each one's wait before it
/// sleeps is two yields with a look after each, so the schedules mix workers that look while
/// off the sleepers' list with sleeping ones that producers must wake.
#[test]
fn dynamic_set_three_blocking_workers_producers_and_churn() {
    three_workers_producers_and_churn(true);
}

/// The dynamic ready set with three workers (async, or blocking when `blocking`) and churn: two
/// producers send 12 messages each to random members of four slots while a churn thread closes
/// two members and adds new ones in their slots. Every message is delivered exactly once, in
/// order per producer and member, or handed back; no member is held by two workers at once; the
/// close ends every worker's loop; every message is dropped once.
fn three_workers_producers_and_churn(blocking: bool) {
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 12;
    const SLOTS: usize = 4;
    type Slots = Vec<shuttle::sync::Mutex<(usize, MemberHandle<DynMsg, DynState>)>>;
    explore(move || {
        let set = DynamicSet::<DynMsg, DynState>::new();
        let add = |id: usize| {
            let state = DynState {
                id,
                next: vec![0; PRODUCERS],
                held: false,
            };
            shuttle::sync::Mutex::new((id, set.add(state)))
        };
        let slots: Arc<Slots> = Arc::new((0..SLOTS).map(add).collect());
        let dropped = Arc::new(Counter::default());
        let delivered = Arc::new(Counter::default());
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let mut worker = set.worker();
                let delivered = Arc::clone(&delivered);
                thread::spawn(move || loop {
                    let next = if blocking {
                        worker.next_blocking()
                    } else {
                        shuttle::future::block_on(worker.next_async())
                    };
                    match next {
                        Next::Ready(mut held) => {
                            assert!(!held.state().held, "a member held by two workers");
                            held.state().held = true;
                            for _ in 0..2 {
                                let Some(msg) = held.dequeue() else { break };
                                let state = held.state();
                                assert_eq!(
                                    msg.member, state.id,
                                    "a message reached another member"
                                );
                                assert_eq!(msg.seq, state.next[msg.producer], "lost or reordered");
                                state.next[msg.producer] = msg.seq + 1;
                                delivered.add(1);
                            }
                            held.state().held = false;
                        }
                        Next::Woken => {}
                        Next::Closed => return,
                    }
                })
            })
            .collect();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (slots, dropped) = (Arc::clone(&slots), Arc::clone(&dropped));
                thread::spawn(move || {
                    // The next number for each member id this producer sends to.
                    let mut next = [0; SLOTS + 2];
                    let mut refused = 0;
                    for i in 0..PER_PRODUCER {
                        let (id, member) = {
                            let slot = slots[(i * 3 + p) % SLOTS].lock().unwrap();
                            (slot.0, slot.1.clone())
                        };
                        let msg = Box::new(DynMsg {
                            link: Link::new(),
                            producer: p,
                            seq: next[id],
                            member: id,
                            dropped: Arc::clone(&dropped),
                        });
                        match member.send(msg) {
                            Ok(()) => next[id] += 1,
                            Err(back) => {
                                assert_eq!(back.member, id, "another message handed back");
                                refused += 1;
                            }
                        }
                    }
                    refused
                })
            })
            .collect();
        let churn = {
            let slots = Arc::clone(&slots);
            let set = set.clone();
            thread::spawn(move || {
                for (slot, id) in [(1, SLOTS), (2, SLOTS + 1)] {
                    let state = DynState {
                        id,
                        next: vec![0; PRODUCERS],
                        held: false,
                    };
                    let fresh = (id, set.add(state));
                    let old = std::mem::replace(&mut *slots[slot].lock().unwrap(), fresh);
                    old.1.close();
                }
            })
        };
        let refused: isize = producers.into_iter().map(|p| p.join().unwrap()).sum();
        churn.join().unwrap();
        set.close();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(
            delivered.get() + refused,
            (PRODUCERS * PER_PRODUCER) as isize,
            "every message delivered once or handed back"
        );
        drop(slots);
        drop(set);
        assert_eq!(dropped.get(), (PRODUCERS * PER_PRODUCER) as isize);
    });
}
