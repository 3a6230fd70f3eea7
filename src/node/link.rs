//! [`Link`]: the one spare pointer a queued node carries, and [`Linked`], the one thing the raw
//! queue knows of a node type: where in it the link sits.

use core::fmt;
use core::marker::PhantomPinned;
use core::ptr;

use crate::sync::{const_fn, AtomicPtr};

/// The spare pointer that threads a node through a [`Queue`](crate::Queue).
///
/// Embed one `Link` field in your node type and declare the type a node with [`node!`](macro@crate::node).
/// While the node is queued, the queue owns the link: it points to the node enqueued next (to its
/// start, not to its link), or is null while the node is the newest. Outside a queue the link is unused and holds no meaning,
/// so a fresh `Link` needs no reset before a node is enqueued again.
///
/// A `Link` is [`!Unpin`](core::marker::Unpin), and so is every node that holds one: behind a
/// `Pin`, safe code can never move a node (and so its link) while the queue may point to it.
/// Handles that own a node outright, such as `Box<T>` or `&'static mut T`, keep the node in place
/// anyway, because the queue holds the handle while the node is linked.
///
/// ```compile_fail
/// // `Link` is `!Unpin`, and so is every node that embeds one.
/// fn assert_unpin<T: Unpin>() {}
/// assert_unpin::<intrusive_mpsc::Link>();
/// ```
///
/// A link is one pointer wide. Its `Debug` output deliberately shows nothing of its contents: the
/// pointer belongs to the queue while the node is queued, and it means nothing afterwards.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::Link;
///
/// struct Message {
///     link: Link,
///     body: u64,
/// }
///
/// // `Link::new` is `const`, so nodes can live in a `static` pool.
/// static mut POOL: [Message; 2] = [
///     Message { link: Link::new(), body: 0 },
///     Message { link: Link::new(), body: 1 },
/// ];
/// assert_eq!(core::mem::size_of::<Link>(), core::mem::size_of::<usize>());
/// ```
pub struct Link {
    /// The start of the node enqueued after this one, the queue's stub sentinel, or null.
    ///
    /// Written by exactly one producer (the one whose head swap returned this link), and by the
    /// consumer only while the link is out of producers' reach; read by the consumer.
    pub(crate) next: AtomicPtr<AnyNode>,
    _pin: PhantomPinned,
}

impl Link {
    const_fn! {
        /// Creates an unlinked `Link`.
        ///
        /// This is a `const fn` (except under `cfg(loom)` and `cfg(shuttle)`, whose atomics belong
        /// to one execution of a model and cannot be built in const context), so nodes can be
        /// built in `static`s.
        ///
        /// # Examples
        ///
        /// ```
        /// use intrusive_mpsc::Link;
        ///
        /// const UNLINKED: Link = Link::new();
        /// let _ = UNLINKED;
        /// ```
        #[inline]
        #[must_use]
        pub fn new() -> Link {
            Link {
                next: AtomicPtr::new(ptr::null_mut()),
                _pin: PhantomPinned,
            }
        }
    }
}

impl Default for Link {
    /// Same as [`Link::new`].
    ///
    /// # Examples
    ///
    /// ```
    /// let link = intrusive_mpsc::Link::default();
    /// # let _ = link;
    /// ```
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Link {
    /// Prints `Link { .. }`: the pointer is the queue's bookkeeping and means nothing to a reader.
    ///
    /// # Examples
    ///
    /// ```
    /// let link = intrusive_mpsc::Link::new();
    /// assert_eq!(format!("{link:?}"), "Link { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link").finish_non_exhaustive()
    }
}

/// The start of a node of a type that the code at hand does not name: what a queue's pointers
/// (`head`, `tail`, every [`Link`]) point to. Never read or written as such: the only use of such
/// a pointer is to add the node type's [`Linked::OFFSET`] and reach its link, or to cast it back
/// to the node type the queue holds.
pub(crate) enum AnyNode {}

/// A type whose values carry a [`Link`] at a fixed byte offset from their start: all the raw
/// queue knows, and needs to know, of its node type. Every [`Node`](crate::Node) is `Linked`, with
/// its [`LINK_OFFSET`](crate::Node::LINK_OFFSET).
///
/// # Safety
///
/// For every live `Self`, the bytes `OFFSET .. OFFSET + size_of::<Link>()` from its start hold a
/// `Link` that is part of that value (so it lives and stays in place exactly as long as the value),
/// aligned for `Link` wherever a `Self` is aligned, and that nothing but the queue the value is in
/// reads or writes while the value is queued.
pub(crate) unsafe trait Linked {
    /// The link's byte offset from the start of a `Self`.
    const OFFSET: usize;
}

/// The link of the node that starts at `node`, for nodes of type `A`: `node` plus the link's
/// offset, with `node`'s provenance.
///
/// Computing it is safe (wrapping arithmetic, so a sentinel that is not a node may pass through,
/// to be compared); accessing the link through it is sound while `node` is a live `A` (see
/// [`Linked`]).
#[inline(always)]
pub(crate) fn link_of<A: Linked>(node: *mut AnyNode) -> *const Link {
    node.wrapping_byte_add(A::OFFSET)
        .cast::<Link>()
        .cast_const()
}
