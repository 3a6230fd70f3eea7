//! [`Handle`]: the owning pointers a node travels as (`Box<T>`, `Pin<Box<T>>`, `&'static mut T`),
//! and [`RawHandle`] for node memory managed by hand.

use core::fmt;
use core::ptr::NonNull;

/// An owning pointer to a node: the form in which a node enters and leaves a queue.
///
/// [`Queue::enqueue`](crate::Queue::enqueue) takes a handle and turns it into a raw pointer with
/// [`into_raw`](Handle::into_raw); the consumer turns the pointer back with
/// [`from_raw`](Handle::from_raw). Because a handle is the *only* way to reach its node, and
/// enqueueing consumes it, safe code can never put one node into two queues, or into one queue
/// twice. That is why shared pointers (`&T`, `Rc<T>`, `Arc<T>`) are not handles.
///
/// # Which handle do I pick?
///
/// | handle | pick it when | cost |
/// |---|---|---|
/// | `Box<T>` (feature `alloc`) | nodes are allocated per message and freed by whoever ends up with them: the common case | an allocation per node, made by you |
/// | `Pin<Box<T>>` (feature `alloc`) | the node must not move once created (it holds self-references, or its address is registered elsewhere, as a `Future` or a DMA buffer) | as `Box<T>` |
/// | `&'static mut T` | no allocator (`no_std` firmware): nodes come from a `static` pool taken once, and are recycled through a second queue | none; see the pool pattern below |
/// | [`RawHandle<T>`] | you manage the memory yourself (an arena, a slab, a pool with its own free list, memory from C) | none; creating one is `unsafe`, with the promises a `Box` would keep |
///
/// Shared pointers (`&T`, `Rc<T>`, `Arc<T>`) are not handles: a node reachable through two of them
/// could be enqueued twice. To share a node's state with another thread while it is queued (a
/// "ready" flag set by an encryption worker, say), put an `Arc` of that state *inside* the node.
///
/// # A static pool without an allocator
///
/// Take the pool once, guarded by a flag, then hand each slot out as a `&'static mut`: each slot
/// is then owned by exactly one handle, as the trait requires. A second queue of free slots
/// recycles them (`examples/static_queue.rs` runs this with the crate built without `std` and
/// `alloc`).
///
/// ```
/// use core::sync::atomic::{AtomicBool, Ordering};
/// use intrusive_mpsc::{node, Link, Queue};
///
/// struct Event {
///     link: Link,
///     value: u32,
/// }
/// node!(Event, link, &'static mut Event);
///
/// static EVENTS: Queue<Event> = Queue::new();
/// static FREE: Queue<Event> = Queue::new();
///
/// /// Hands the pool out, once.
/// fn take_pool() -> &'static mut [Event; 4] {
///     static mut POOL: [Event; 4] = [const { Event { link: Link::new(), value: 0 } }; 4];
///     static TAKEN: AtomicBool = AtomicBool::new(false);
///     assert!(!TAKEN.swap(true, Ordering::AcqRel), "the pool is taken once");
///     // SAFETY: the flag lets exactly one caller through, so this is the only reference ever
///     // made to `POOL`.
///     unsafe { &mut *core::ptr::addr_of_mut!(POOL) }
/// }
///
/// for slot in take_pool() {
///     FREE.enqueue(slot); // every slot starts free
/// }
/// // A producer (a thread, or an interrupt handler) takes a free slot, fills it, sends it.
/// let slot = FREE.consumer().unwrap().dequeue().expect("a free slot");
/// slot.value = 42;
/// EVENTS.enqueue(slot);
/// // The consumer handles it and gives the slot back.
/// let event = EVENTS.consumer().unwrap().dequeue().unwrap();
/// assert_eq!(event.value, 42);
/// FREE.enqueue(event);
/// ```
///
/// Implemented for:
/// - `Box<T>` and `Pin<Box<T>>` (feature `alloc`);
/// - `&'static mut T`, for nodes in a static pool, without any allocator;
/// - [`RawHandle<T>`], an `unsafe`-to-create pointer for node memory you manage yourself.
///
/// # Safety
///
/// An implementation must guarantee that:
/// - while a value of the handle type exists, nothing but that value can reach its target: no other
///   handle, reference or pointer to the same target is usable by safe code;
/// - [`into_raw`](Handle::into_raw) gives up that ownership and returns a non-null pointer, valid
///   for reads and writes of `Target`, that stays valid and keeps pointing to the same address until
///   it is passed to [`from_raw`](Handle::from_raw): the target is neither moved nor freed, and
///   nothing else accesses it, in between;
/// - [`from_raw`](Handle::from_raw), given a pointer that `into_raw` of the same type returned,
///   rebuilds the handle that owns the target again;
/// - if the handle type is `Send`, its target may be borrowed and dropped on whichever thread the
///   handle was sent to: a queue of `Send` handles is shared between threads, and its consumer
///   peeks at (`&Target`) and drops targets on its own thread.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a node handle",
    note = "handles are `Box<T>` and `Pin<Box<T>>` (feature `alloc`, on by default with `std`), \
            `&'static mut T`, and `RawHandle<T>`; with `default-features = false`, enable the \
            `alloc` feature for `Box`"
)]
pub unsafe trait Handle: Sized {
    /// The type the handle points to.
    type Target;

    /// Gives up ownership of the target and returns a pointer to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::Handle;
    ///
    /// let raw = <Box<u32> as Handle>::into_raw(Box::new(7));
    /// // SAFETY: `raw` came from `Box::<u32>::into_raw` just above and is passed back once.
    /// let back: Box<u32> = unsafe { Handle::from_raw(raw) };
    /// assert_eq!(*back, 7);
    /// ```
    fn into_raw(self) -> NonNull<Self::Target>;

    /// Takes back ownership of a target that [`into_raw`](Handle::into_raw) released.
    ///
    /// # Safety
    ///
    /// `ptr` must have been returned by `into_raw` of this same handle type, and must not have been
    /// passed to `from_raw` since.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::Handle;
    ///
    /// static mut SLOT: u32 = 3;
    /// // SAFETY: this is the only reference ever made to `SLOT`.
    /// let slot: &'static mut u32 = unsafe { &mut *core::ptr::addr_of_mut!(SLOT) };
    /// let raw = Handle::into_raw(slot);
    /// // SAFETY: `raw` came from `<&mut u32>::into_raw` just above and is passed back once.
    /// let slot: &'static mut u32 = unsafe { Handle::from_raw(raw) };
    /// assert_eq!(*slot, 3);
    /// ```
    unsafe fn from_raw(ptr: NonNull<Self::Target>) -> Self;
}

#[cfg(feature = "alloc")]
mod alloc_handles {
    extern crate alloc;

    use alloc::boxed::Box;
    use core::pin::Pin;
    use core::ptr::NonNull;

    use super::Handle;

    // SAFETY: a `Box` is the unique owner of its heap allocation, which never moves while the box
    // lives; `Box::leak` hands that ownership to the returned pointer without freeing anything,
    // and `Box::from_raw` takes it back.
    unsafe impl<T> Handle for Box<T> {
        type Target = T;

        #[inline]
        fn into_raw(self) -> NonNull<T> {
            NonNull::from(Box::leak(self))
        }

        #[inline]
        unsafe fn from_raw(ptr: NonNull<T>) -> Self {
            // SAFETY: the caller passes a pointer that `into_raw` above produced from a `Box<T>`,
            // exactly once, so the allocation is live and owned by nobody else.
            unsafe { Box::from_raw(ptr.as_ptr()) }
        }
    }

    // SAFETY: as for `Box<T>`. The pin is kept: the target is never moved between `into_raw` and
    // `from_raw` (the queue only ever touches its `Link`, in place), and `from_raw` pins it again.
    unsafe impl<T> Handle for Pin<Box<T>> {
        type Target = T;

        #[inline]
        fn into_raw(self) -> NonNull<T> {
            // SAFETY: unwrapping the pin does not move the target, and the queue never moves it
            // either; `from_raw` re-pins the very same allocation.
            let boxed = unsafe { Pin::into_inner_unchecked(self) };
            <Box<T> as Handle>::into_raw(boxed)
        }

        #[inline]
        unsafe fn from_raw(ptr: NonNull<T>) -> Self {
            // SAFETY: forwarded contract: `ptr` came from `into_raw` above, which got it from a
            // `Box<T>`.
            let boxed = unsafe { <Box<T> as Handle>::from_raw(ptr) };
            // SAFETY: the target was pinned when it entered `into_raw` and has not moved since.
            unsafe { Pin::new_unchecked(boxed) }
        }
    }
}

// SAFETY: a `&'static mut T` is unique for its whole (unbounded) life, and its target is never
// freed; converting it to a pointer and back transfers that uniqueness.
unsafe impl<T> Handle for &'static mut T {
    type Target = T;

    #[inline]
    fn into_raw(self) -> NonNull<T> {
        NonNull::from(self)
    }

    #[inline]
    unsafe fn from_raw(ptr: NonNull<T>) -> Self {
        // SAFETY: `ptr` came from `into_raw` of a `&'static mut T`, whose uniqueness it carried
        // since; the target lives forever.
        unsafe { &mut *ptr.as_ptr() }
    }
}

/// An owning raw pointer to a node whose memory you manage yourself, such as a packet pool.
///
/// `RawHandle` is how nodes that are neither boxed nor `'static` enter a queue. Creating one is
/// `unsafe`: by calling [`RawHandle::new`] you promise the queue what a `Box` would otherwise
/// guarantee. Dropping a `RawHandle` does nothing; take the pointer back with
/// [`into_ptr`](RawHandle::into_ptr) and free or recycle the node yourself.
///
/// # Examples
///
/// ```
/// use core::ptr::NonNull;
/// use intrusive_mpsc::{node, Link, Queue, RawHandle};
///
/// struct Buf {
///     link: Link,
///     len: usize,
/// }
/// node!(Buf, link, RawHandle<Buf>);
///
/// // A pool that owns the memory and outlives the queue.
/// let mut pool = [Buf { link: Link::new(), len: 10 }, Buf { link: Link::new(), len: 20 }];
/// let base = NonNull::from(&mut pool).cast::<Buf>();
///
/// let queue = Queue::<Buf>::new();
/// for i in 0..2 {
///     // SAFETY: each slot is handed out once, the pool outlives the queue and is not touched
///     // until the handles come back.
///     queue.enqueue(unsafe { RawHandle::new(base.add(i)) });
/// }
/// let mut consumer = queue.consumer().unwrap();
/// let first = consumer.dequeue().unwrap();
/// // SAFETY: the node is out of the queue and the pool is alive.
/// assert_eq!(unsafe { first.into_ptr().as_ref() }.len, 10);
/// # drop(consumer);
/// # drop(queue);
/// ```
pub struct RawHandle<T> {
    ptr: NonNull<T>,
}

impl<T> RawHandle<T> {
    /// Wraps a pointer to a node as an owning handle.
    ///
    /// # Safety
    ///
    /// Until the handle is turned back into a pointer with [`into_ptr`](RawHandle::into_ptr) (after
    /// a consumer took it out of the queue, or without ever enqueueing it), or is dropped (by you,
    /// or by a queue dropped with the handle inside):
    /// - `ptr` must point to a live, properly aligned `T` that is not moved or freed;
    /// - nothing else may access the `T` (reads through shared references included), and no
    ///   other `RawHandle` to it may exist: one node can be in one queue, once;
    /// - if the handle is sent to another thread (through a queue or otherwise), `T` must be safe
    ///   to use from there; `RawHandle<T>` is `Send` only when `T: Send`.
    ///
    /// A queue dropped while it still holds `RawHandle`s drops them, which does nothing: reclaiming
    /// that memory is up to you.
    #[inline]
    #[must_use]
    pub const unsafe fn new(ptr: NonNull<T>) -> Self {
        Self { ptr }
    }

    /// Gives back the pointer, ending the handle's ownership.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ptr::NonNull;
    /// use intrusive_mpsc::RawHandle;
    ///
    /// let mut value = 5u8;
    /// let ptr = NonNull::from(&mut value);
    /// // SAFETY: `value` is live and not used while the handle exists.
    /// let handle = unsafe { RawHandle::new(ptr) };
    /// assert_eq!(handle.into_ptr(), ptr);
    /// ```
    #[inline]
    #[must_use]
    pub const fn into_ptr(self) -> NonNull<T> {
        self.ptr
    }
}

impl<T> fmt::Debug for RawHandle<T> {
    /// Prints the address the handle owns.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::ptr::NonNull;
    /// let mut value = 5u8;
    /// // SAFETY: `value` is live and not used while the handle exists.
    /// let handle = unsafe { intrusive_mpsc::RawHandle::new(NonNull::from(&mut value)) };
    /// assert!(format!("{handle:?}").starts_with("RawHandle(0x"));
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawHandle").field(&self.ptr).finish()
    }
}

// SAFETY: a `RawHandle<T>` owns its `T` exclusively (the contract of `RawHandle::new`), like a
// `Box<T>`, so it may move to another thread whenever `T` may.
unsafe impl<T: Send> Send for RawHandle<T> {}

// SAFETY: `&RawHandle<T>` gives no access to the `T` at all, only to its address.
unsafe impl<T> Sync for RawHandle<T> {}

// SAFETY: `RawHandle::new`'s contract gives the handle sole ownership of a live, pinned-in-place
// `T`; `into_raw` and `from_raw` only move that pointer in and out.
unsafe impl<T> Handle for RawHandle<T> {
    type Target = T;

    #[inline]
    fn into_raw(self) -> NonNull<T> {
        self.ptr
    }

    #[inline]
    unsafe fn from_raw(ptr: NonNull<T>) -> Self {
        Self { ptr }
    }
}
