//! [`Next`]: what a ready set's worker gets when it asks for work, the same for every kind of
//! set.

use core::fmt;

/// What a ready set's worker got when it asked for work: a held member, a wake, or the end.
///
/// Every worker speaks it: a [`SetWorker`] of a [`DynamicSet`] (feature `alloc`) gets
/// `Next<`[`HeldMember`]`>`, the
/// [`Worker`](crate::Worker) of a fixed set ([`ReadySet`](crate::ReadySet),
/// [`StaticReadySet`](crate::StaticReadySet)) gets `Next<`[`Ready`](crate::Ready)`>`. `H` is the
/// guard that holds the member.
///
/// A worker's loop matches on it until [`Closed`](Next::Closed):
///
/// ```
/// use intrusive_mpsc::{node, Link, Next, ReadySet};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let set = ReadySet::<Msg>::new(4);
/// set.enqueue(2, Box::new(Msg { link: Link::new() }));
/// set.wake();
/// set.close();
/// let mut worker = set.worker().unwrap();
/// let mut seen = Vec::new();
/// loop {
///     match worker.next_blocking() {
///         Next::Ready(mut member) => seen.push((member.index(), member.drain().count())),
///         Next::Woken => seen.push((usize::MAX, 0)), // a timer of yours, say
///         Next::Closed => break,
///     }
/// }
/// assert_eq!(seen, [(usize::MAX, 0), (2, 1)], "the wake first, then what was scheduled");
/// ```
///
#[cfg_attr(feature = "alloc", doc = "[`SetWorker`]: crate::SetWorker")]
#[cfg_attr(feature = "alloc", doc = "[`DynamicSet`]: crate::DynamicSet")]
#[cfg_attr(feature = "alloc", doc = "[`HeldMember`]: crate::HeldMember")]
#[cfg_attr(
    feature = "alloc",
    doc = "[`DynamicSet::wake`]: crate::DynamicSet::wake"
)]
#[cfg_attr(not(feature = "alloc"), doc = "[`SetWorker`]: crate#features")]
#[cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet`]: crate#features")]
#[cfg_attr(not(feature = "alloc"), doc = "[`HeldMember`]: crate#features")]
pub enum Next<H> {
    /// A member that has nodes, held by this worker until the guard is dropped: drain it with a
    /// budget. Dropping the guard puts the member back on the ready list if nodes are left, or
    /// leaves it idle until its next node.
    Ready(H),
    /// A `wake` of the set ([`ReadySet::wake`](crate::ReadySet::wake),
    /// [`StaticReadySet::wake`](crate::StaticReadySet::wake), [`DynamicSet::wake`]),
    /// for events of your own (a timer, a shutdown request): each wake is returned once, to one
    /// worker, and before any scheduled member. No member comes with it.
    ///
    #[cfg_attr(
        feature = "alloc",
        doc = "[`DynamicSet::wake`]: crate::DynamicSet::wake"
    )]
    #[cfg_attr(not(feature = "alloc"), doc = "[`DynamicSet::wake`]: crate#features")]
    Woken,
    /// The set is closed (its `close` was called) and no member is scheduled any more: the
    /// worker's loop should end. Members scheduled before the close were all handed out first.
    /// Asking again returns `Closed` again, unless a node accepted after the close scheduled a
    /// member meanwhile (see each set's `close` for which sends a closed set still accepts).
    Closed,
}

impl<H: fmt::Debug> fmt::Debug for Next<H> {
    /// Prints `Ready(..)`, `Woken` or `Closed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Next::Ready(held) => f.debug_tuple("Ready").field(held).finish(),
            Next::Woken => f.write_str("Woken"),
            Next::Closed => f.write_str("Closed"),
        }
    }
}

/// Takes one of a set's pending [`wake`](crate::ReadySet::wake)s from its count, if any: for a
/// worker's look, which then answers [`Next::Woken`]. Fixed and dynamic sets count their wakes
/// alike.
#[inline]
pub(super) fn take_wake(wakes: &crate::sync::AtomicUsize) -> bool {
    use core::sync::atomic::Ordering::{Acquire, Relaxed};
    // Relaxed: a stale 0 is a wake whose wake-up (of the fixed set's waker, or of the dynamic
    // set's sleepers) is still on its way to the worker.
    let mut wakes_now = wakes.load(Relaxed);
    while wakes_now != 0 {
        // Acquire: pairs with `wake`'s Release, so what the waker did before is visible to the
        // worker that takes its wake. Relaxed on failure: we only retry with the new count.
        match wakes.compare_exchange(wakes_now, wakes_now - 1, Acquire, Relaxed) {
            Ok(_) => return true,
            Err(now) => wakes_now = now,
        }
    }
    false
}
