//! How a user's type becomes something a queue can link: the [`Node`] trait, the owning [`Handle`]
//! kinds a node travels as, and the [`node!`](macro@crate::node) macro that implements `Node` soundly.

pub(crate) mod handle;
pub(crate) mod link;

use core::ptr::NonNull;

use crate::{Handle, Link};

/// A type that can be linked into a [`Queue`](crate::Queue): it embeds a [`Link`] and names the
/// [`Handle`] it travels as.
///
/// Implement it with the [`node!`](macro@crate::node) macro, which writes no `unsafe` in your code and
/// checks at compile time that the field is a `Link` of that very struct. Implement it by hand only
/// for layouts the macro cannot express (a link inside a nested field, say).
///
/// # Safety
///
/// An implementation must guarantee that, for every `node` pointer to a live `Self`:
/// - [`link`](Node::link) returns a pointer to a [`Link`] that lies inside that `Self` (so it lives
///   and stays put exactly as long as the node), is properly aligned, and is used for nothing
///   else: it must not be handed to any other queue or structure while the node is queued;
/// - [`link`](Node::link) only computes the address: it reads and writes nothing;
/// - [`from_link`](Node::from_link) applied to that link pointer returns `node` again, with the
///   same provenance (usable for the whole `Self`).
///
/// # Examples
///
/// A hand-written implementation, for a link nested one struct deep:
///
/// ```
/// use core::ptr::{addr_of_mut, NonNull};
/// use intrusive_mpsc::{Link, Node};
///
/// struct Header {
///     link: Link,
///     len: u16,
/// }
/// struct Packet {
///     header: Header,
///     payload: [u8; 32],
/// }
///
/// // SAFETY: `link` projects to `header.link`, a `Link` inside the packet used by no one else,
/// // without reading anything; `from_link` subtracts exactly that field's offset.
/// unsafe impl Node for Packet {
///     type Handle = Box<Packet>;
///
///     unsafe fn link(node: NonNull<Self>) -> NonNull<Link> {
///         // SAFETY: the caller passes a pointer to a live `Packet`; projecting to one of its
///         // fields stays inside it and is therefore non-null.
///         unsafe { NonNull::new_unchecked(addr_of_mut!((*node.as_ptr()).header.link)) }
///     }
///
///     unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
///         let offset = core::mem::offset_of!(Packet, header) + core::mem::offset_of!(Header, link);
///         // SAFETY: the caller passes a pointer that `link` produced, so the packet starts
///         // `offset` bytes before it, inside the same allocation.
///         unsafe { NonNull::new_unchecked(link.as_ptr().byte_sub(offset).cast::<Packet>()) }
///     }
/// }
///
/// let queue = intrusive_mpsc::Queue::<Packet>::new();
/// queue.enqueue(Box::new(Packet { header: Header { link: Link::new(), len: 3 }, payload: [0; 32] }));
/// assert_eq!(queue.consumer().unwrap().dequeue().unwrap().header.len, 3);
/// ```
pub unsafe trait Node: Sized {
    /// The owning pointer a node of this type travels as (`Box<Self>`, `&'static mut Self`, ...).
    type Handle: Handle<Target = Self>;

    /// Returns a pointer to the node's [`Link`], without reading or writing the node.
    ///
    /// # Safety
    ///
    /// `node` must point to a live `Self`.
    unsafe fn link(node: NonNull<Self>) -> NonNull<Link>;

    /// Returns the node that contains a link, the inverse of [`link`](Node::link).
    ///
    /// # Safety
    ///
    /// `link` must have been returned by [`Node::link`] for a node of this type that is still
    /// live.
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self>;
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
        // SAFETY: `link` projects a pointer to a live node onto its field `$field` without reading
        // anything. That field is a `Link` (the return type is checked), is a field of the struct
        // itself (`offset_of!` accepts nothing else) and is aligned (`&n.$field` in `from_link`
        // would not compile for a packed struct). `from_link` subtracts that same field's offset,
        // giving back the original pointer.
        unsafe impl<$($lt,)* $($param $(: $bound)?,)* $(const $const: $const_ty),*> $crate::Node
            for $node
        {
            type Handle = $handle;

            #[inline(always)]
            unsafe fn link(
                node: ::core::ptr::NonNull<Self>,
            ) -> ::core::ptr::NonNull<$crate::Link> {
                // SAFETY: the caller passes a pointer to a live node; a field projection stays
                // inside that allocation and is therefore non-null.
                unsafe {
                    ::core::ptr::NonNull::new_unchecked(::core::ptr::addr_of_mut!(
                        (*node.as_ptr()).$field
                    ))
                }
            }

            #[inline(always)]
            unsafe fn from_link(
                link: ::core::ptr::NonNull<$crate::Link>,
            ) -> ::core::ptr::NonNull<Self> {
                // Never called: it only makes the compiler reject packed structs, whose fields
                // cannot be borrowed.
                let _aligned: for<'n> fn(&'n Self) -> &'n $crate::Link = |n| &n.$field;
                let offset = ::core::mem::offset_of!(Self, $field);
                // SAFETY: the caller passes a pointer that `link` produced for a live node, so the
                // node starts `offset` bytes before it, inside the same allocation; the result is
                // that node's non-null address, with the provenance `link` kept.
                unsafe {
                    ::core::ptr::NonNull::new_unchecked(
                        link.as_ptr().byte_sub(offset).cast::<Self>(),
                    )
                }
            }
        }
    };
}
