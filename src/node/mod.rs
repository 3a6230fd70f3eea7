//! How a user's type becomes something a queue can link: the [`Node`] trait, the owning [`Handle`]
//! kinds a node travels as, and the [`node!`](macro@crate::node) macro that implements `Node` soundly.

pub(crate) mod handle;
pub(crate) mod link;

use core::mem::{align_of, size_of};

use crate::node::link::Linked;
use crate::{Handle, Link};

/// A type that can be linked into a [`Queue`](crate::Queue): it embeds a [`Link`] and names the
/// [`Handle`] it travels as.
///
/// Implement it with the [`node!`](macro@crate::node) macro, which writes no `unsafe` in your code and
/// checks at compile time that the field is a `Link` of that very struct. Implement it by hand only
/// for layouts the macro cannot express (a link inside a nested field, say).
///
/// The queue addresses nodes by their start and finds the link by adding
/// [`LINK_OFFSET`](Node::LINK_OFFSET): where the link sits in the node costs nothing (the offset
/// folds into the address of each access).
///
/// # Safety
///
/// An implementation must guarantee that [`LINK_OFFSET`](Node::LINK_OFFSET) is the byte offset,
/// from the start of a `Self`, of a [`Link`] that is part of every `Self` value:
/// - a field of `Self`, or a field of a field (of a struct, a tuple or an array that `Self`
///   contains by value), reached without going through any pointer, `Box` or `Deref`, so that it
///   lives and stays in place exactly as long as the node, wherever the node is;
/// - not in a `#[repr(packed)]` struct, nor anywhere else where it could be misaligned: for every
///   properly aligned `Self`, the link is properly aligned;
/// - of type `Link` (not merely a field of the same size), and used for nothing else: it is not
///   the link of another node type, nor handed to another queue or structure while the node is
///   queued.
///
/// [`core::mem::offset_of!`] naming that field, as in `offset_of!(Self, header.link)` (or, before
/// Rust 1.82, the sum of each level's `offset_of!`), gives such an offset. A queue checks at
/// compile time that the offset leaves room for a whole `Link` inside `Self` and is a multiple
/// of `Link`'s alignment, so a grossly wrong offset does not build; the rest is your promise.
///
/// # Examples
///
/// A hand-written implementation, for a link nested one struct deep:
///
/// ```
/// use core::mem::offset_of;
/// use intrusive_mpsc::{Link, Node};
///
/// struct Header {
///     link: Link,
///     len: u16,
/// }
/// struct Packet {
///     payload: [u8; 32],
///     header: Header,
/// }
///
/// // SAFETY: `header.link` is a `Link` inside the packet itself (no pointer in between, no
/// // packed struct), used by nothing else, and this is its offset.
/// unsafe impl Node for Packet {
///     type Handle = Box<Packet>;
///     const LINK_OFFSET: usize = offset_of!(Packet, header) + offset_of!(Header, link);
/// }
///
/// let queue = intrusive_mpsc::Queue::<Packet>::new();
/// queue.enqueue(Box::new(Packet { payload: [0; 32], header: Header { link: Link::new(), len: 3 } }));
/// assert_eq!(queue.consumer().unwrap().dequeue().unwrap().header.len, 3);
/// ```
///
/// An offset that cannot be a `Link` inside the node is rejected when a queue of the type is used:
///
/// ```compile_fail,E0080
/// use intrusive_mpsc::{Link, Node};
///
/// struct Packet {
///     link: Link,
///     len: u16,
/// }
/// // SAFETY: none; the offset is wrong (past the end of the packet), and the queue refuses it.
/// unsafe impl Node for Packet {
///     type Handle = Box<Packet>;
///     const LINK_OFFSET: usize = core::mem::size_of::<Packet>();
/// }
///
/// let queue = intrusive_mpsc::Queue::<Packet>::new();
/// queue.enqueue(Box::new(Packet { link: Link::new(), len: 3 }));
/// ```
pub unsafe trait Node: Sized {
    /// The owning pointer a node of this type travels as (`Box<Self>`, `&'static mut Self`, ...).
    type Handle: Handle<Target = Self>;

    /// The byte offset of the node's [`Link`] from the start of the node, as
    /// [`core::mem::offset_of!`] gives it. [`node!`](macro@crate::node) fills it in.
    const LINK_OFFSET: usize;
}

// SAFETY: `Node`'s contract promises of `LINK_OFFSET` exactly what `Linked` asks of `OFFSET`; the
// checks below only refuse offsets that no implementation keeping that promise can have.
unsafe impl<N: Node> Linked for N {
    const OFFSET: usize = {
        assert!(
            N::LINK_OFFSET % align_of::<Link>() == 0
                && align_of::<N>() >= align_of::<Link>()
                && N::LINK_OFFSET <= size_of::<N>()
                && size_of::<N>() - N::LINK_OFFSET >= size_of::<Link>(),
            "`Node::LINK_OFFSET` must be the offset of a `Link` field of the node"
        );
        N::LINK_OFFSET
    };
}

/// Declares a struct a queue [`Node`], in one line and with no `unsafe` in your code.
///
/// `node!(Type, field, HandleType)` implements [`Node`] for `Type`, whose field `field` is the
/// [`Link`], for nodes that travel as `HandleType` (`Box<Type>`, `Pin<Box<Type>>`,
/// `&'static mut Type` or [`RawHandle<Type>`](crate::RawHandle)). For a generic type, put its
/// generic parameters in square brackets first: lifetimes, then type parameters, each with at
/// most one trait bound, then, after a `;`, const parameters of a primitive type, as in
/// `node!(impl['a, T: Send; const N: usize] Message<'a, T, N>, link, Box<Message<'a, T, N>>)`
/// (`impl[const N: usize]` when there are only const parameters). For anything more elaborate,
/// implement [`Node`] by hand.
///
/// The generated code is sound for any input that compiles. (The generic parameters are parsed as
/// lifetimes, identifiers and paths, never pasted as raw tokens, so no input can smuggle a second
/// item into the macro's `unsafe impl`.) These are rejected at compile time:
/// a field that is not of type `Link`, a field reached only through `Deref` (not part of the
/// struct itself), a `#[repr(packed)]` struct (whose link could be misaligned), and a handle type
/// that does not point to `Type`.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{node, Link, Queue};
///
/// struct Packet {
///     link: Link,
///     len: usize,
/// }
/// node!(Packet, link, Box<Packet>);
///
/// struct Message<T> {
///     body: T,
///     link: Link,
/// }
/// node!(impl[T] Message<T>, link, Box<Message<T>>);
///
/// let packets = Queue::<Packet>::new();
/// packets.enqueue(Box::new(Packet { link: Link::new(), len: 1500 }));
/// assert_eq!(packets.consumer().unwrap().dequeue().unwrap().len, 1500);
///
/// let messages = Queue::<Message<&str>>::new();
/// messages.enqueue(Box::new(Message { body: "hi", link: Link::new() }));
/// assert_eq!(messages.consumer().unwrap().dequeue().unwrap().body, "hi");
///
/// // Const generics, as for a buffer of a size fixed at compile time.
/// struct Frame<'a, T: Copy, const LEN: usize> {
///     link: Link,
///     bytes: [u8; LEN],
///     tag: &'a T,
/// }
/// node!(impl['a, T: Copy; const LEN: usize] Frame<'a, T, LEN>, link, Box<Frame<'a, T, LEN>>);
///
/// struct Block<const LEN: usize> {
///     link: Link,
///     words: [u64; LEN],
/// }
/// node!(impl[const LEN: usize] Block<LEN>, link, Box<Block<LEN>>);
///
/// let frames = Queue::<Frame<'_, u8, 4>>::new();
/// frames.enqueue(Box::new(Frame { link: Link::new(), bytes: [1, 2, 3, 4], tag: &7 }));
/// assert_eq!(frames.consumer().unwrap().dequeue().unwrap().bytes[3], 4);
/// let blocks = Queue::<Block<2>>::new();
/// blocks.enqueue(Box::new(Block { link: Link::new(), words: [5, 6] }));
/// assert_eq!(blocks.consumer().unwrap().dequeue().unwrap().words, [5, 6]);
/// ```
///
/// A field of another type does not compile:
///
/// ```compile_fail
/// use intrusive_mpsc::{node, Link};
/// struct Bad {
///     link: *mut u8,
/// }
/// node!(Bad, link, Box<Bad>);
/// ```
///
/// Nor does an attempt to slip another item into the generic parameters:
///
/// ```compile_fail
/// use intrusive_mpsc::{node, Link};
/// struct Evil(std::rc::Rc<u8>);
/// struct Packet {
///     link: Link,
/// }
/// node!(impl[> Send for Evil {} unsafe impl<] Packet, link, Box<Packet>);
/// ```
///
/// Nor does a packed struct:
///
/// ```compile_fail,E0793
/// use intrusive_mpsc::{node, Link};
/// #[repr(C, packed)]
/// struct Packed {
///     tag: u8,
///     link: Link,
/// }
/// node!(Packed, link, Box<Packed>);
/// ```
#[macro_export]
macro_rules! node {
    (
        impl[$(const $const:ident: $const_ty:ident),+ $(,)?]
        $node:ty, $field:ident, $handle:ty $(,)?
    ) => {
        $crate::__node_impl!([] [$($const: $const_ty),*] [] $node, $field, $handle);
    };
    (
        impl[
            $($lt:lifetime),* $(,)?
            $($param:ident $(: $bound:path)?),* $(,)?
            $(; $(const $const:ident: $const_ty:ident),* $(,)?)?
        ]
        $node:ty, $field:ident, $handle:ty $(,)?
    ) => {
        $crate::__node_impl!(
            [$($lt),*] [$($($const: $const_ty),*)?] [$($param $(: $bound)?),*]
            $node, $field, $handle
        );
    };
    ($node:ty, $field:ident, $handle:ty $(,)?) => {
        $crate::__node_impl!([] [] [] $node, $field, $handle);
    };
}

/// The body of [`node!`]; not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __node_impl {
    (
        [$($lt:lifetime),*] [$($const:ident: $const_ty:ident),*]
        [$($param:ident $(: $bound:path)?),*]
        $node:ty, $field:ident, $handle:ty
    ) => {
        // SAFETY: `LINK_OFFSET` is the offset of the struct's own field `$field` (`offset_of!`
        // accepts nothing reached through `Deref` or a pointer), which is a `Link` (the closure's
        // return type is checked) and properly aligned (borrowing a field of a packed struct does
        // not compile). That field is the node's alone: no other code of the crate touches a
        // `Link` it does not own.
        unsafe impl<$($lt,)* $($param $(: $bound)?,)* $(const $const: $const_ty),*> $crate::Node
            for $node
        {
            type Handle = $handle;

            const LINK_OFFSET: usize = {
                // Never called: it only makes the compiler check that the field is a `Link`, and
                // reject packed structs, whose fields cannot be borrowed.
                let _aligned: for<'n> fn(&'n Self) -> &'n $crate::Link = |n| &n.$field;
                ::core::mem::offset_of!(Self, $field)
            };
        }
    };
}
