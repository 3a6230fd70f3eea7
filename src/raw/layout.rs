//! The [`Layout`] choice: whether the producers' end and the consumer's end of a queue share a
//! cache line ([`Compact`]) or sit on lines of their own ([`Padded`]).

/// How a queue lays out its two ends in memory: [`Compact`] or [`Padded`].
///
/// This is the fourth type parameter of [`Queue`](crate::Queue). It changes only where the fields
/// sit; the algorithm and its guarantees are the same in both layouts.
///
/// | layout | `size_of` (64-bit, plain queue) | pick it for |
/// |---|---:|---|
/// | [`Compact`] (default) | 32 bytes | many queues (one per peer, connection or actor) that are each busy now and then |
/// | [`Padded`] | 256 bytes | one hot queue whose producers and consumer run on different cores at the same time |
///
/// The trait is sealed: these two are the only layouts.
pub trait Layout: sealed::Layout {}

/// Everything in one block: the queue is as small as it can be (32 bytes for a plain queue on a
/// 64-bit target), and the producers' `head` shares a cache line with the consumer's `tail`.
///
/// The right choice for many queues that are each busy now and then. When a producer and the
/// consumer run on different cores at the same time, every enqueue and dequeue moves that line
/// between the cores; pick [`Padded`] for such a hot queue.
///
/// A type-level marker; it has no values.
#[derive(Debug)]
pub enum Compact {}

/// The producers' end and the consumer's end on cache lines of their own, so that producers
/// swapping `head` do not evict the line the consumer walks from, and the other way round (Netty
/// and JCTools call the effect "false sharing").
///
/// Each end is aligned and padded to [`crossbeam_utils::CachePadded`]'s size for the target (128
/// bytes on x86-64 and aarch64, whose prefetchers fetch lines in pairs): a plain padded queue is 256
/// bytes. Its bounded counters sit beside the end that writes them (the claim counter and the
/// producers' limit with the producers, the hand-over count with the consumer).
///
/// The stub's link (which the producer that finds the queue empty writes) sits on the producers'
/// line, beside `head`, so that the consumer's line is written by the consumer alone.
///
/// The code is [`Compact`]'s: the consumer reads `head` only when the node it is at has no
/// successor yet. (A consumer that kept a snapshot of `head` and read it each time it reached that
/// node, to avoid reading the newest node's link, was tried and measured: with one producer and the
/// consumer on another core it read `head` for a third of the messages, and each read took the
/// producers' line away from them; it delivered about 0.6-0.7x of this plain walk.)
///
/// A type-level marker; it has no values.
#[derive(Debug)]
pub enum Padded {}

impl Layout for Compact {}
impl Layout for Padded {}

pub(crate) mod sealed {
    use crossbeam_utils::CachePadded;

    /// What a layout decides: the alignment of each end of the queue.
    pub trait Layout: 'static {
        /// A zero-sized field whose alignment is the alignment of each end.
        type Align: Send + Sync + Unpin;
        /// Its value.
        const ALIGN: Self::Align;
    }

    impl Layout for super::Compact {
        type Align = ();
        const ALIGN: () = ();
    }

    impl Layout for super::Padded {
        // Zero-sized, but aligned like a `CachePadded` value: crossbeam-utils keeps the table of
        // line sizes (and its reasons) per architecture, so we do not keep a second one.
        type Align = CachePadded<()>;
        const ALIGN: CachePadded<()> = CachePadded::new(());
    }
}

/// `value`, aligned (and so padded) as the layout `L` asks.
///
/// With [`Compact`] this is `value` alone, with the same size and alignment; with [`Padded`] it
/// starts a cache line and fills whole lines.
#[repr(C)]
pub(crate) struct Line<T, L: sealed::Layout> {
    _align: L::Align,
    pub(crate) value: T,
}

impl<T, L: sealed::Layout> Line<T, L> {
    /// Wraps `value`.
    #[inline(always)]
    pub(crate) const fn new(value: T) -> Self {
        Line {
            _align: L::ALIGN,
            value,
        }
    }
}

impl<T, L: sealed::Layout> core::ops::Deref for Line<T, L> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.value
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;
    use core::mem::{align_of, size_of};

    #[test]
    fn compact_adds_nothing() {
        assert_eq!(
            size_of::<Line<[usize; 3], Compact>>(),
            size_of::<[usize; 3]>()
        );
        assert_eq!(align_of::<Line<u8, Compact>>(), 1);
    }

    #[test]
    fn padded_fills_whole_lines() {
        let line = align_of::<crossbeam_utils::CachePadded<u8>>();
        assert!(line >= 32, "a cache line is at least 32 bytes");
        assert_eq!(align_of::<Line<u8, Padded>>(), line);
        assert_eq!(size_of::<Line<u8, Padded>>(), line);
        assert_eq!(size_of::<Line<[u8; 130], Padded>>() % line, 0);
    }
}
