//! Model-based property test, for every kind of queue: random sequences of every consumer
//! operation (the sleeping consumer's too, where it can sleep), enqueues of fresh and recycled
//! nodes, single and batched, consumer hand-overs and queue moves, each result compared with a
//! `VecDeque` model; finally every node is dropped exactly once, the queue's leftovers oldest
//! first.
//!
//! On a bounded queue the model also holds the bound: an enqueue (or a batch) is refused exactly
//! when it does not fit, never otherwise, and `len()` is always the model's length. On a queue
//! whose consumer can sleep it checks that a poll that returned `Pending` is woken by the next
//! accepted enqueue (or `notify`, or only `notify` while a peeked node is waited on), and that a
//! refused enqueue wakes nobody.
//!
//! Single-threaded on purpose: the concurrent interleavings are the loom models' and the stress
//! tests' job; this one covers long sequences and every state the consumer can be in.
//! `PROPTEST_CASES` sets the number of cases for each kind (256 by default).
#![cfg(not(loom))]

// The root crate's test helpers, shared rather than copied.
#[path = "../../tests/support/mod.rs"]
mod support;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use intrusive_mpsc::{node, Batch, Consumer, Layout, Link, Queue, TryDequeueError};
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRunner};
use support::kinds::{every_kind, CapacityKind, WaitingKind};
use support::CountingWaker;

/// A node with an identity, which logs its drop. Not the shared `support::Msg`: the model compares
/// the drop log, single-threaded, with what its reference model says was dropped.
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
    /// Enqueue a node that was dequeued (or refused) earlier and kept: its link still holds a
    /// stale pointer. The number picks one of the kept nodes.
    EnqueueRecycled(usize),
    /// Enqueue a batch of this many nodes, kept ones first, then fresh ones.
    EnqueueBatch(usize),
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
    /// `poll_dequeue` with a counting waker; keep the node or drop it. A no-op where the consumer
    /// cannot sleep, as are the four below.
    PollDequeue {
        keep: bool,
    },
    /// `dequeue_timeout_blocking(0)`: sleeps and times out at once when nothing is queued.
    DequeueTimeout {
        keep: bool,
    },
    /// `poll_wait` with the counting waker.
    PollWait,
    /// `wait_timeout_blocking(0)`.
    WaitTimeout,
    Notify,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<bool>().prop_map(|via_consumer| Op::Enqueue { via_consumer }),
        2 => any::<usize>().prop_map(Op::EnqueueRecycled),
        1 => (0usize..5).prop_map(Op::EnqueueBatch),
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
        2 => any::<bool>().prop_map(|keep| Op::PollDequeue { keep }),
        1 => any::<bool>().prop_map(|keep| Op::DequeueTimeout { keep }),
        1 => Just(Op::PollWait),
        1 => Just(Op::WaitTimeout),
        1 => Just(Op::Notify),
    ]
}

/// What must wake the waker of a poll that returned `Pending`.
#[derive(Clone, Copy, Debug)]
enum WakeOn {
    /// The next accepted enqueue, or `notify`: the consumer sleeps on an empty queue.
    EnqueueOrNotify,
    /// Only `notify`: the consumer waits on the node it peeked at.
    Notify,
}

/// The model and the test's own bookkeeping.
struct State {
    /// Ids in queue order; the current consumer has peeked at the front one when `peeked`.
    model: VecDeque<u32>,
    peeked: bool,
    /// The bound, on a bounded queue.
    capacity: Option<usize>,
    /// A `notify` that no wait has consumed yet.
    notified: bool,
    /// After a `Pending` poll: the waker's count then, and what must wake it.
    wake_due: Option<(usize, WakeOn)>,
    counter: Arc<CountingWaker>,
    waker: Waker,
    /// Dequeued or refused nodes kept for re-enqueueing.
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

    /// A kept node if there is one (the number picks which), else a fresh one.
    fn recycled(&mut self, index: usize) -> Box<Item> {
        if self.spare.is_empty() {
            self.fresh()
        } else {
            self.spare.swap_remove(index % self.spare.len())
        }
    }

    /// `ids` were offered to the queue (one enqueue or one batch): they must have gone in if and
    /// only if they all fit. `refused` is what came back.
    fn offered<I: IntoIterator<Item = Box<Item>>>(
        &mut self,
        ids: &[u32],
        result: Result<(), I>,
        wakes_before: usize,
    ) {
        let fits = self
            .capacity
            .is_none_or(|capacity| self.model.len() + ids.len() <= capacity);
        match result {
            Ok(()) => {
                assert!(fits, "accepted {ids:?} beyond the capacity");
                self.model.extend(ids);
                if !ids.is_empty() {
                    self.accepted_enqueue();
                }
            }
            Err(refused) => {
                assert!(!fits, "refused {ids:?} with room for them");
                let refused: Vec<Box<Item>> = refused.into_iter().collect();
                let back: Vec<u32> = refused.iter().map(|item| item.id).collect();
                assert_eq!(back, ids, "the refused nodes come back, in order");
                self.spare.extend(refused);
                assert_eq!(self.counter.wakes(), wakes_before, "a refusal wakes nobody");
            }
        }
    }

    /// An enqueue was accepted: it ends a sleep on the empty queue.
    fn accepted_enqueue(&mut self) {
        if let Some((before, WakeOn::EnqueueOrNotify)) = self.wake_due {
            assert!(
                self.counter.wakes() > before,
                "the enqueue did not wake the pending poll"
            );
            self.wake_due = None;
        }
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

    /// Whether a wait ends at once, consuming the notification if that is what ends it: a node
    /// is there (and not peeked at), or a `notify` came.
    fn wait_ends(&mut self) -> bool {
        if !self.peeked && !self.model.is_empty() {
            true
        } else {
            std::mem::take(&mut self.notified)
        }
    }

    fn apply<B: CapacityKind, W: WaitingKind, L: Layout>(
        &mut self,
        queue: &Queue<Item, B, W, L>,
        consumer: &mut Consumer<&Queue<Item, B, W, L>>,
        op: &Op,
    ) {
        let wakes_before = self.counter.wakes();
        match *op {
            Op::Enqueue { via_consumer } => {
                let item = self.fresh();
                let id = item.id;
                let result = if via_consumer {
                    consumer.queue().try_enqueue(item)
                } else {
                    queue.try_enqueue(item)
                };
                self.offered(&[id], result.map_err(Some), wakes_before);
            }
            Op::EnqueueRecycled(index) => {
                let item = self.recycled(index);
                let id = item.id;
                let result = consumer.queue().try_enqueue(item);
                self.offered(&[id], result.map_err(Some), wakes_before);
            }
            Op::EnqueueBatch(len) => {
                let items: Vec<Box<Item>> = (0..len).map(|i| self.recycled(i)).collect();
                let ids: Vec<u32> = items.iter().map(|item| item.id).collect();
                let batch: Batch<Item> = items.into_iter().collect();
                let result = queue.try_enqueue_batch(batch);
                self.offered(&ids, result, wakes_before);
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
            Op::PollDequeue { keep } => {
                let waker = self.waker.clone();
                let Some(poll) = W::poll_dequeue(consumer, &mut Context::from_waker(&waker)) else {
                    return;
                };
                match poll {
                    Poll::Ready(item) => {
                        self.took(item, keep);
                        self.wake_due = None;
                    }
                    Poll::Pending => {
                        self.expect_none("poll_dequeue");
                        self.wake_due = Some((wakes_before, WakeOn::EnqueueOrNotify));
                    }
                }
            }
            Op::DequeueTimeout { keep } => {
                let Some(got) = W::dequeue_timeout_blocking(consumer, Duration::ZERO) else {
                    return;
                };
                match got {
                    Some(item) => self.took(item, keep),
                    None => self.expect_none("dequeue_timeout_blocking"),
                }
                // It registered its own waker in place of the poll's.
                self.wake_due = None;
            }
            Op::PollWait => {
                let waker = self.waker.clone();
                let Some(poll) = W::poll_wait(consumer, &mut Context::from_waker(&waker)) else {
                    return;
                };
                let expected = if self.wait_ends() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                };
                assert_eq!(poll, expected, "poll_wait");
                self.wake_due = poll.is_pending().then(|| {
                    let on = if self.peeked {
                        WakeOn::Notify
                    } else {
                        WakeOn::EnqueueOrNotify
                    };
                    (wakes_before, on)
                });
            }
            Op::WaitTimeout => {
                let Some(ended) = W::wait_timeout_blocking(consumer, Duration::ZERO) else {
                    return;
                };
                assert_eq!(ended, self.wait_ends(), "wait_timeout_blocking");
                self.wake_due = None;
            }
            Op::Notify => {
                if W::notify(queue).is_none() {
                    return;
                }
                self.notified = true;
                if let Some((before, _)) = self.wake_due.take() {
                    assert!(
                        self.counter.wakes() > before,
                        "notify did not wake the pending poll"
                    );
                }
            }
            Op::ReacquireConsumer | Op::MoveQueue => unreachable!("handled by the runner"),
        }
        if B::BOUNDED {
            assert_eq!(B::len(queue), Some(self.model.len()), "len() after {op:?}");
        }
    }
}

fn run<B: CapacityKind, W: WaitingKind, L: Layout>(capacity: usize, ops: &[Op]) {
    let drops = Rc::new(RefCell::new(Vec::new()));
    let (counter, waker) = CountingWaker::new();
    let mut state = State {
        model: VecDeque::new(),
        peeked: false,
        capacity: B::BOUNDED.then_some(capacity),
        notified: false,
        wake_due: None,
        counter,
        waker,
        spare: Vec::new(),
        next_id: 0,
        drops: Rc::clone(&drops),
    };
    let mut queue = B::queue::<Item, W, L>(capacity);
    let mut ops = ops.iter().peekable();
    while ops.peek().is_some() {
        {
            let mut consumer = queue.consumer().expect("the previous consumer was dropped");
            assert!(queue.consumer().is_none(), "two consumers at once");
            for op in ops.by_ref() {
                match op {
                    Op::ReacquireConsumer => {
                        state.peeked = false;
                        state.wake_due = None;
                        break;
                    }
                    Op::MoveQueue => {
                        state.peeked = false;
                        state.wake_due = None;
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

/// 256 cases for each kind unless `PROPTEST_CASES` says otherwise; failures are saved beside
/// this file.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        source_file: Some(file!()),
        // ChaCha, the default, is most of the run time in debug builds.
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

/// Random sequences of up to 200 operations on a queue of capacity 1 to 8 (when bounded).
fn queue_matches_vecdeque<B: CapacityKind, W: WaitingKind, L: Layout>() {
    let mut runner = TestRunner::new(config());
    let cases = (1usize..=8, prop::collection::vec(op(), 0..200));
    let result = runner.run(&cases, |(capacity, ops)| {
        run::<B, W, L>(capacity, &ops);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
}

/// Examples that pin down the trickiest sequences, whatever proptest draws.
fn fixed_sequences<B: CapacityKind, W: WaitingKind, L: Layout>() {
    use Op::*;
    let enqueue = Enqueue {
        via_consumer: false,
    };
    run::<B, W, L>(
        2,
        &[
            enqueue.clone(),
            TryPeek,
            ReacquireConsumer,
            IsEmpty,
            Enqueue { via_consumer: true },
            MoveQueue,
            TakePeeked { keep: true },
            EnqueueRecycled(0),
            Drain(5),
            enqueue.clone(),
            Peek,
        ],
    );
    run::<B, W, L>(
        3,
        &[
            enqueue.clone(),
            enqueue.clone(),
            TryDequeue { keep: true },
            EnqueueRecycled(0),
            TryDequeue { keep: false },
            TryDequeue { keep: false },
            TryDequeue { keep: false },
            Dequeue { keep: false },
        ],
    );
    // Saved by proptest once (when the peek lived in the queue).
    run::<B, W, L>(
        1,
        &[
            enqueue.clone(),
            TryPeek,
            ReacquireConsumer,
            TakePeeked { keep: false },
        ],
    );
    // At the bound: refusals, a peeked node that counts, a batch that does not fit, and one
    // longer than the capacity.
    run::<B, W, L>(
        2,
        &[
            enqueue.clone(),
            enqueue.clone(),
            enqueue.clone(),
            Peek,
            EnqueueRecycled(0),
            EnqueueBatch(2),
            DropPeeked,
            EnqueueBatch(2),
            EnqueueBatch(1),
            Drain(1),
            EnqueueBatch(3),
            Drain(9),
            EnqueueBatch(2),
        ],
    );
    // Sleeping: a pending poll woken by an enqueue, by a batch, and by notify; a wait on a peeked
    // node that only notify ends; a sleep abandoned by a timeout, then by the consumer's drop.
    run::<B, W, L>(
        2,
        &[
            PollDequeue { keep: false },
            IsEmpty,
            TryDequeue { keep: false },
            enqueue.clone(),
            PollDequeue { keep: true },
            PollDequeue { keep: false },
            EnqueueBatch(2),
            Peek,
            PollWait,
            enqueue.clone(),
            Notify,
            PollWait,
            PollWait,
            TakePeeked { keep: false },
            PollWait,
            Drain(1),
            PollWait,
            Notify,
            WaitTimeout,
            DequeueTimeout { keep: false },
            enqueue.clone(),
            DequeueTimeout { keep: true },
            PollDequeue { keep: false },
            ReacquireConsumer,
            enqueue,
            PollDequeue { keep: false },
        ],
    );
}

every_kind!(queue_matches_vecdeque, fixed_sequences);
