//! The raw queue's own tests: white-box tests of states that public calls cannot pause in, for
//! each layout with the link first and after other fields; where each layout puts the stub's link;
//! and a loom model with the link after other fields.

use super::*;

/// Two node types for the white-box tests: one with its link after other fields (so every
/// access adds the offset), one with its link first (offset zero).
#[cfg(all(test, not(shuttle)))]
mod test_nodes {
    use super::{Link, Linked};

    /// A node with its link after other fields.
    pub(super) struct LinkAfter {
        _header: [u64; 3],
        link: Link,
    }

    /// A node with its link first.
    pub(super) struct LinkFirst {
        link: Link,
        _payload: u32,
    }

    impl LinkAfter {
        pub(super) fn new() -> Self {
            LinkAfter {
                _header: [0; 3],
                link: Link::new(),
            }
        }
    }

    impl LinkFirst {
        #[cfg_attr(
            loom,
            allow(dead_code, reason = "the loom model uses `LinkAfter` alone")
        )]
        pub(super) fn new() -> Self {
            LinkFirst {
                link: Link::new(),
                _payload: 0,
            }
        }
    }

    // SAFETY: the offset of the struct's own `link` field, a `Link` used by nothing else.
    unsafe impl Linked for LinkAfter {
        const OFFSET: usize = core::mem::offset_of!(LinkAfter, link);
    }

    // SAFETY: as for `LinkAfter`.
    unsafe impl Linked for LinkFirst {
        const OFFSET: usize = core::mem::offset_of!(LinkFirst, link);
    }

    const _: () = assert!(<LinkAfter as Linked>::OFFSET > 0 && <LinkFirst as Linked>::OFFSET == 0);
}

/// White-box tests of states that public calls cannot pause in (a producer stopped between its
/// swap and its link store), for one layout and one node type.
#[cfg(all(test, not(any(loom, shuttle))))]
macro_rules! white_box_tests {
    ($name:ident, $layout:ty, $node:ident) => {
        mod $name {
            use super::test_nodes::*;
            use super::*;

            type Node = $node;
            type Raw = RawQueue<Node, $layout, (), ()>;

            /// A producer's enqueue, split at the window of inconsistency.
            struct Paused<'q> {
                queue: &'q Raw,
                node: *mut AnyNode,
                prev: *mut Link,
            }

            impl<'q> Paused<'q> {
                /// Clears the link and swaps `node` in, then stops.
                fn begin(queue: &'q Raw, node: &Node) -> Self {
                    let node = ptr::from_ref(node).cast_mut().cast::<AnyNode>();
                    let link = link_of::<Node>(node).cast_mut();
                    // SAFETY: `node` is a live node that is in no queue; `link` is its link.
                    unsafe { (*link).next.store(ptr::null_mut(), Relaxed) };
                    // SAFETY: as above; `finish` follows.
                    let prev = unsafe { queue.swap_head(link) };
                    Paused { queue, node, prev }
                }

                /// Completes the enqueue.
                fn finish(self) {
                    // SAFETY: `prev` came from our swap, and this is its only link store.
                    unsafe { self.queue.link_behind(self.prev, self.node) };
                }
            }

            fn push(queue: &Raw, node: &Node) {
                // SAFETY: the test keeps every node alive, in place and in one queue, until popped.
                unsafe { queue.push(NonNull::from(node)) };
            }

            fn pop(queue: &Raw) -> Result<*const Node, TryDequeueError> {
                // SAFETY: each test is the queue's only consumer.
                unsafe { queue.pop() }.map(|node| node.as_ptr().cast_const())
            }

            fn is_empty(queue: &Raw) -> bool {
                // SAFETY: each test is the queue's only consumer.
                unsafe { queue.is_empty() }
            }

            #[test]
            fn empty_queue_is_empty() {
                let queue = Raw::new((), ());
                assert!(is_empty(&queue));
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
            }

            #[test]
            fn paused_first_producer_is_inconsistent_not_empty() {
                let queue = Raw::new((), ());
                let a = Node::new();
                let paused = Paused::begin(&queue, &a);
                assert!(!is_empty(&queue));
                assert_eq!(pop(&queue), Err(TryDequeueError::Inconsistent));
                paused.finish();
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
            }

            #[test]
            fn completed_enqueue_hidden_behind_paused_producer_is_inconsistent() {
                // The subtle case: A swaps in behind the stub and stalls; B enqueues completely behind A.
                // B's enqueue has returned, so answering Empty would strand it.
                let queue = Raw::new((), ());
                let (a, b) = (Node::new(), Node::new());
                let paused = Paused::begin(&queue, &a);
                push(&queue, &b);
                assert_eq!(pop(&queue), Err(TryDequeueError::Inconsistent));
                assert!(!is_empty(&queue));
                paused.finish();
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&b)));
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
            }

            #[test]
            fn first_node_waits_for_paused_successor() {
                // The consumer steps past the stub to `a`, whose successor `b` is swapped in but not
                // linked: `a` cannot leave yet, and the queue is not empty.
                let queue = Raw::new((), ());
                let (a, b) = (Node::new(), Node::new());
                push(&queue, &a);
                let paused = Paused::begin(&queue, &b);
                assert_eq!(pop(&queue), Err(TryDequeueError::Inconsistent));
                assert!(!is_empty(&queue));
                paused.finish();
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&b)));
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
            }

            #[test]
            fn later_node_waits_for_paused_successor() {
                // As above, with the consumer already inside the list (at `b`) rather than at the stub.
                let queue = Raw::new((), ());
                let (a, b, c) = (Node::new(), Node::new(), Node::new());
                push(&queue, &a);
                push(&queue, &b);
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                let paused = Paused::begin(&queue, &c);
                assert_eq!(pop(&queue), Err(TryDequeueError::Inconsistent));
                paused.finish();
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&b)));
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&c)));
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
            }

            #[test]
            fn last_node_leaves_through_the_stub_again_and_again() {
                // Each pop of a lone node re-enqueues the stub behind it; the queue must come back to
                // exactly the empty state each time, and take new nodes after it.
                let queue = Raw::new((), ());
                let nodes = [Node::new(), Node::new(), Node::new()];
                for node in &nodes {
                    push(&queue, node);
                    assert!(!is_empty(&queue));
                    assert_eq!(pop(&queue), Ok(ptr::from_ref(node)));
                    assert!(is_empty(&queue));
                    assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
                }
            }

            /// Pushes and says whether the push found the consumer parked.
            fn push_wakes(queue: &Raw, node: &Node) -> bool {
                // SAFETY: the test keeps every node alive, in place and in one queue, until popped.
                unsafe { queue.push(NonNull::from(node)) }
            }

            fn try_park(queue: &Raw) -> bool {
                // SAFETY: each test is the queue's only consumer.
                unsafe { queue.try_park() }
            }

            #[test]
            fn park_only_on_an_empty_queue_and_the_next_push_reports_it() {
                let queue = Raw::new((), ());
                let (a, b) = (Node::new(), Node::new());
                assert!(try_park(&queue));
                assert!(try_park(&queue), "parking again re-arms the mark");
                assert!(is_empty(&queue), "a parked queue is empty");
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
                assert!(push_wakes(&queue, &a), "the first push wakes");
                assert!(!push_wakes(&queue, &b), "only the first");
                assert!(!try_park(&queue), "not empty: no sleeping");
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                assert!(!try_park(&queue), "b is still queued");
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&b)));
                assert!(try_park(&queue));
                // SAFETY: this test is the queue's only consumer.
                unsafe { queue.unpark() };
                assert!(!push_wakes(&queue, &a), "unparked: nobody to wake");
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
            }

            #[test]
            fn parking_with_the_last_node_still_queued_fails() {
                // `tail` at a node whose stub re-enqueue left `head` at the stub: not empty.
                let queue = Raw::new((), ());
                let (a, b) = (Node::new(), Node::new());
                push(&queue, &a);
                push(&queue, &b);
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                assert!(!try_park(&queue));
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&b)));
            }

            #[test]
            fn no_parking_while_a_producer_is_mid_enqueue() {
                let queue = Raw::new((), ());
                let a = Node::new();
                let paused = Paused::begin(&queue, &a);
                assert!(!try_park(&queue));
                paused.finish();
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
            }

            #[test]
            fn queue_moves_with_nodes_inside() {
                // Nothing points into the queue, so a bitwise move keeps it intact.
                let (a, b) = (Node::new(), Node::new());
                let queue = Raw::new((), ());
                push(&queue, &a);
                push(&queue, &b);
                let moved = [queue];
                let queue = core::hint::black_box(moved).into_iter().next().unwrap();
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&a)));
                assert_eq!(pop(&queue), Ok(ptr::from_ref(&b)));
                assert_eq!(pop(&queue), Err(TryDequeueError::Empty));
            }
        }
    };
}

#[cfg(all(test, not(any(loom, shuttle))))]
white_box_tests!(compact_tests, crate::Compact, LinkAfter);
#[cfg(all(test, not(any(loom, shuttle))))]
white_box_tests!(padded_tests, crate::Padded, LinkAfter);
#[cfg(all(test, not(any(loom, shuttle))))]
white_box_tests!(compact_link_first_tests, crate::Compact, LinkFirst);
#[cfg(all(test, not(any(loom, shuttle))))]
white_box_tests!(padded_link_first_tests, crate::Padded, LinkFirst);

/// A loom model of the raw queue with the link after other fields (the crate's loom models in
/// `tests/loom/` use nodes whose link is first, where a node's address and its link's are the
/// same number): two producers, one of them the consumer's own thread, through the stub and back.
/// Run with `RUSTFLAGS="--cfg loom" cargo test --release --lib loom_tests` (CI runs it).
#[cfg(all(test, loom))]
mod loom_tests {
    use super::test_nodes::LinkAfter;
    use super::*;
    use loom::sync::Arc;

    struct Shared<L: Layout> {
        queue: RawQueue<LinkAfter, L, (), ()>,
        nodes: [LinkAfter; 3],
    }

    // SAFETY: the model shares the queue the way `Queue` does: the main thread is its only
    // consumer, the other thread only pushes nodes that live as long as the queue.
    unsafe impl<L: Layout> Sync for Shared<L> {}
    // SAFETY: as above.
    unsafe impl<L: Layout> Send for Shared<L> {}

    fn model<L: Layout>() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(2);
        builder.check(|| {
            let shared = Arc::new(Shared::<L> {
                queue: RawQueue::new((), ()),
                nodes: [LinkAfter::new(), LinkAfter::new(), LinkAfter::new()],
            });
            let producer = {
                let shared = Arc::clone(&shared);
                loom::thread::spawn(move || {
                    for node in &shared.nodes[..2] {
                        // SAFETY: each node is pushed once and outlives the queue's use of it.
                        unsafe { shared.queue.push(NonNull::from(node)) };
                    }
                })
            };
            // SAFETY: as above.
            unsafe { shared.queue.push(NonNull::from(&shared.nodes[2])) };
            let (mut order, mut taken) = ([0; 3], 0);
            while taken < 3 {
                // SAFETY: this thread is the queue's only consumer.
                match unsafe { shared.queue.pop() } {
                    Ok(node) => {
                        order[taken] = shared
                            .nodes
                            .iter()
                            .position(|n| ptr::eq(n, node.as_ptr()))
                            .expect("a pushed node, whole");
                        taken += 1;
                    }
                    Err(_) => loom::thread::yield_now(),
                }
            }
            producer.join().unwrap();
            // SAFETY: this thread is the queue's only consumer.
            let last = unsafe { shared.queue.pop() };
            assert_eq!(last.err(), Some(TryDequeueError::Empty));
            let at = |i| order.iter().position(|&n| n == i).unwrap();
            assert!(
                at(0) < at(1),
                "one producer's nodes in its order: {order:?}"
            );
            let mut each = order;
            each.sort_unstable();
            assert_eq!(each, [0, 1, 2], "each node once");
        });
    }

    #[test]
    fn link_after_compact() {
        model::<crate::Compact>();
    }

    #[test]
    fn link_after_padded() {
        model::<crate::Padded>();
    }
}

/// Where each layout puts the stub's link: the field order is the point of the layouts, and
/// nothing else would notice if it changed.
#[cfg(all(test, not(any(loom, shuttle))))]
mod placement_tests {
    use super::test_nodes::LinkAfter;
    use super::*;

    /// The index of the layout's line (or of the pair of lines it aligns to) that holds `field`.
    fn line_of<T>(field: *const T) -> usize {
        field as usize / core::mem::align_of::<Line<u8, crate::Padded>>()
    }

    #[test]
    fn both_layouts_keep_the_stub_link_at_the_queue_address() {
        let compact = RawQueue::<LinkAfter, crate::Compact, (), ()>::new((), ());
        assert_eq!(
            ptr::from_ref(compact.stub_next()).cast::<u8>(),
            ptr::from_ref(&compact).cast::<u8>()
        );
        let padded = RawQueue::<LinkAfter, crate::Padded, (), ()>::new((), ());
        assert_eq!(
            ptr::from_ref(padded.stub_next()).cast::<u8>(),
            ptr::from_ref(&padded).cast::<u8>()
        );
    }

    #[test]
    fn padded_keeps_the_stub_link_beside_head_off_the_consumers_line() {
        let queue = RawQueue::<LinkAfter, crate::Padded, (), ()>::new((), ());
        let stub_next = ptr::from_ref(queue.stub_next());
        assert_eq!(line_of(stub_next), line_of(&queue.producer.head));
        assert_ne!(line_of(stub_next), line_of(&queue.consumer.tail));
        assert_ne!(line_of(&queue.producer.head), line_of(&queue.consumer.tail));
    }
}

/// The stub's name in `tail` and in links ([`stub`]): for link offsets that are multiples of 16
/// and offsets that are not, small and large, it is not null, its link is one of the always-null
/// links (the second exactly when the offset is a multiple of 16), and a queue of such nodes
/// passes through the stub and back, bursts after bursts.
#[cfg(all(test, not(any(loom, shuttle))))]
mod stub_name_tests {
    use super::*;

    /// A node whose link comes after `K` bytes.
    #[repr(C)]
    struct Padded<const K: usize> {
        pad: [u8; K],
        link: Link,
    }

    // SAFETY: the offset of the struct's own `link` field, a `Link` used by nothing else.
    unsafe impl<const K: usize> Linked for Padded<K> {
        const OFFSET: usize = core::mem::offset_of!(Padded<K>, link);
    }

    fn check<const K: usize>() {
        let offset = <Padded<K> as Linked>::OFFSET;
        let name = stub::<Padded<K>>();
        assert!(!name.is_null(), "offset {offset}");
        let link = link_of::<Padded<K>>(name);
        let links = ptr::addr_of!(NULL_LINKS).cast::<Link>();
        let expected = if offset % 16 == 0 { 1 } else { 0 };
        assert_eq!(link, links.wrapping_add(expected), "offset {offset}");
        // SAFETY: `link` is one of the static's links (checked just above).
        assert!(unsafe { &(*link).next }.load(Relaxed).is_null());

        // Through the stub and back, three times, with two nodes and with one.
        let queue = RawQueue::<Padded<K>, crate::Compact, (), ()>::new((), ());
        let nodes: [Padded<K>; 2] = core::array::from_fn(|_| Padded {
            pad: [0; K],
            link: Link::new(),
        });
        for round in 0..3 {
            for node in &nodes[..1 + round % 2] {
                // SAFETY: the nodes outlive the queue's use of them and are in no other queue.
                unsafe { queue.push(NonNull::from(node)) };
            }
            for node in &nodes[..1 + round % 2] {
                // SAFETY: this test is the queue's only consumer.
                let popped = unsafe { queue.pop() };
                assert_eq!(popped, Ok(NonNull::from(node)), "offset {offset}");
            }
            // SAFETY: as above.
            assert_eq!(unsafe { queue.pop() }, Err(TryDequeueError::Empty));
            // SAFETY: as above.
            assert!(unsafe { queue.is_empty() });
        }
    }

    #[test]
    fn the_stubs_name_is_never_null_and_reads_a_null_link() {
        check::<0>();
        check::<8>();
        check::<16>();
        check::<24>();
        check::<40>();
        check::<4096>();
        check::<4104>();
    }
}
