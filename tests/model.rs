//! Model-based property test: random sequences of every consumer operation, enqueues of fresh
//! and recycled nodes, consumer hand-overs and queue moves, each result compared with a
//! `VecDeque` model; finally every node is dropped exactly once, the queue's leftovers oldest
//! first.
//!
//! Single-threaded on purpose: the concurrent interleavings are the loom models' and the stress
//! tests' job; this one covers long sequences and every state the consumer can be in.
//! `PROPTEST_CASES` sets the number of cases (1024 by default).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use intrusive_mpsc::{node, Consumer, Link, Queue, TryDequeueError};
use proptest::prelude::*;

/// A node with an identity, which logs its drop.
struct Item {
    link: Link,
    id: u32,
    drops: Rc<RefCell<Vec<u32>>>,
}
node!(Item, link, Box<Item>);

impl Drop for Item {
    fn drop(&mut self) {
        self.drops.borrow_mut().push(self.id);
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Enqueue a fresh node (through the queue, or through `Consumer::queue`).
    Enqueue {
        via_consumer: bool,
    },
    /// Enqueue a node that was dequeued earlier and kept: its link still holds a stale pointer.
    /// The number picks one of the kept nodes.
    EnqueueRecycled(usize),
    /// `try_dequeue`; keep the node for recycling or drop it.
    TryDequeue {
        keep: bool,
    },
    /// `dequeue`; keep the node for recycling or drop it.
    Dequeue {
        keep: bool,
    },
    TryPeek,
    Peek,
    TakePeeked {
        keep: bool,
    },
    DropPeeked,
    /// `drain().take(k)`.
    Drain(usize),
    IsEmpty,
    /// Drop the consumer and claim a new one. A peek belongs to its consumer: the peeked node
    /// stays first in line, but the new consumer has nothing peeked.
    ReacquireConsumer,
    /// Drop the consumer and move the queue, nodes and all, to another address.
    MoveQueue,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<bool>().prop_map(|via_consumer| Op::Enqueue { via_consumer }),
        2 => any::<usize>().prop_map(Op::EnqueueRecycled),
        3 => any::<bool>().prop_map(|keep| Op::TryDequeue { keep }),
        2 => any::<bool>().prop_map(|keep| Op::Dequeue { keep }),
        2 => Just(Op::TryPeek),
        1 => Just(Op::Peek),
        2 => any::<bool>().prop_map(|keep| Op::TakePeeked { keep }),
        1 => Just(Op::DropPeeked),
        1 => (0usize..6).prop_map(Op::Drain),
        1 => Just(Op::IsEmpty),
        1 => Just(Op::ReacquireConsumer),
        1 => Just(Op::MoveQueue),
    ]
}

/// The model and the test's own bookkeeping.
struct State {
    /// Ids in queue order; the current consumer has peeked at the front one when `peeked`.
    model: VecDeque<u32>,
    peeked: bool,
    /// Dequeued nodes kept for re-enqueueing.
    #[allow(
        clippy::vec_box,
        reason = "the boxes are the queue's handles, enqueued again"
    )]
    spare: Vec<Box<Item>>,
    next_id: u32,
    drops: Rc<RefCell<Vec<u32>>>,
}

impl State {
    fn fresh(&mut self) -> Box<Item> {
        let id = self.next_id;
        self.next_id += 1;
        Box::new(Item {
            link: Link::new(),
            id,
            drops: Rc::clone(&self.drops),
        })
    }

    /// A node came out of the queue: it must be the model's front one.
    fn took(&mut self, item: Box<Item>, keep: bool) {
        let expected = self.model.pop_front();
        assert_eq!(Some(item.id), expected, "dequeued the wrong node");
        self.peeked = false;
        if keep {
            self.spare.push(item);
        } else {
            let id = item.id;
            drop(item);
            assert_eq!(self.drops.borrow().last(), Some(&id));
        }
    }

    fn expect_none(&self, what: &str) {
        assert!(
            self.model.is_empty(),
            "{what} found nothing, model has {:?}",
            self.model
        );
    }

    fn apply(&mut self, queue: &Queue<Item>, consumer: &mut Consumer<'_, Item>, op: &Op) {
        match *op {
            Op::Enqueue { via_consumer } => {
                let item = self.fresh();
                self.model.push_back(item.id);
                if via_consumer {
                    consumer.queue().enqueue(item);
                } else {
                    queue.enqueue(item);
                }
            }
            Op::EnqueueRecycled(index) => {
                let item = if self.spare.is_empty() {
                    self.fresh()
                } else {
                    self.spare.swap_remove(index % self.spare.len())
                };
                self.model.push_back(item.id);
                consumer.queue().enqueue(item);
            }
            Op::TryDequeue { keep } => match consumer.try_dequeue() {
                Ok(item) => self.took(item, keep),
                Err(TryDequeueError::Empty) => self.expect_none("try_dequeue"),
                Err(TryDequeueError::Inconsistent) => panic!("Inconsistent with no producer"),
            },
            Op::Dequeue { keep } => match consumer.dequeue() {
                Some(item) => self.took(item, keep),
                None => self.expect_none("dequeue"),
            },
            Op::TryPeek => match consumer.try_peek() {
                Ok(item) => {
                    assert_eq!(Some(&item.id), self.model.front());
                    self.peeked = true;
                }
                Err(TryDequeueError::Empty) => self.expect_none("try_peek"),
                Err(TryDequeueError::Inconsistent) => panic!("Inconsistent with no producer"),
            },
            Op::Peek => match consumer.peek() {
                Some(item) => {
                    assert_eq!(Some(&item.id), self.model.front());
                    self.peeked = true;
                }
                None => self.expect_none("peek"),
            },
            Op::TakePeeked { keep } => match consumer.take_peeked() {
                Some(item) => {
                    assert!(self.peeked, "take_peeked returned a node nobody peeked");
                    self.took(item, keep);
                }
                None => assert!(!self.peeked, "take_peeked lost the peeked node"),
            },
            Op::DropPeeked => {
                let front = self.model.front().copied();
                assert_eq!(consumer.drop_peeked(), self.peeked);
                if self.peeked {
                    assert_eq!(self.drops.borrow().last().copied(), front);
                    self.model.pop_front();
                    self.peeked = false;
                }
            }
            Op::Drain(k) => {
                let got: Vec<u32> = consumer.drain().take(k).map(|item| item.id).collect();
                let expected: Vec<u32> = (0..k).map_while(|_| self.model.pop_front()).collect();
                assert_eq!(got, expected, "drain({k})");
                self.peeked &= got.is_empty();
            }
            Op::IsEmpty => assert_eq!(consumer.is_empty(), self.model.is_empty()),
            Op::ReacquireConsumer | Op::MoveQueue => unreachable!("handled by the runner"),
        }
    }
}

fn run(ops: &[Op]) {
    let drops = Rc::new(RefCell::new(Vec::new()));
    let mut state = State {
        model: VecDeque::new(),
        peeked: false,
        spare: Vec::new(),
        next_id: 0,
        drops: Rc::clone(&drops),
    };
    let mut queue = Queue::<Item>::new();
    let mut ops = ops.iter().peekable();
    while ops.peek().is_some() {
        {
            let mut consumer = queue.consumer().expect("the previous consumer was dropped");
            assert!(queue.consumer().is_none(), "two consumers at once");
            for op in ops.by_ref() {
                match op {
                    Op::ReacquireConsumer => {
                        state.peeked = false;
                        break;
                    }
                    Op::MoveQueue => {
                        state.peeked = false;
                        drop(consumer);
                        // To the heap and back: two moves, with whatever the queue holds.
                        let boxed = Box::new(queue);
                        queue = *boxed;
                        break;
                    }
                    op => state.apply(&queue, &mut consumer, op),
                }
            }
        }
    }
    if let Some(consumer) = queue.consumer() {
        assert_eq!(consumer.is_empty(), state.model.is_empty());
    }

    // Dropping the queue drops what it holds, peeked node first, oldest first, once each.
    let before = drops.borrow().len();
    drop(queue);
    let dropped_by_queue: Vec<u32> = drops.borrow()[before..].to_vec();
    assert_eq!(dropped_by_queue, Vec::from(state.model.clone()));
    drop(state.spare);

    let mut all = drops.borrow().clone();
    all.sort_unstable();
    let expected: Vec<u32> = (0..state.next_id).collect();
    assert_eq!(all, expected, "every node dropped exactly once");
}

/// 1024 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(1024);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn queue_matches_vecdeque(ops in prop::collection::vec(op(), 0..200)) {
        run(&ops);
    }
}

/// Examples that pin down the trickiest sequences, whatever proptest draws.
#[test]
fn fixed_sequences() {
    use Op::*;
    run(&[
        Enqueue {
            via_consumer: false,
        },
        TryPeek,
        ReacquireConsumer,
        IsEmpty,
        Enqueue { via_consumer: true },
        MoveQueue,
        TakePeeked { keep: true },
        EnqueueRecycled(0),
        Drain(5),
        Enqueue {
            via_consumer: false,
        },
        Peek,
    ]);
    run(&[
        Enqueue {
            via_consumer: false,
        },
        Enqueue {
            via_consumer: false,
        },
        TryDequeue { keep: true },
        EnqueueRecycled(0),
        TryDequeue { keep: false },
        TryDequeue { keep: false },
        TryDequeue { keep: false },
        Dequeue { keep: false },
    ]);
}
