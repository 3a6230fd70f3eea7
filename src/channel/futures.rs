//! The futures and the blocking iterator that the channel's ends return: [`SendFuture`],
//! [`ClosedFuture`], [`RecvFuture`], [`RecvManyFuture`] and [`BlockingIter`].
#![cfg_attr(not(feature = "std"), doc = "[`BlockingIter`]: crate#features")]

use super::*;
use crate::policy::waiters::Key;

/// The future of a bounded sender's [`send`](Sender#method.send-1), and of
/// [`send_async`](Sender::send_async) on either kind of channel.
///
/// It holds the node until there is room. Dropping it drops the node.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use intrusive_mpsc::{channel::bounded, node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = bounded::<Msg>(1);
/// tx.try_send(Box::new(Msg { link: Link::new(), n: 1 })).unwrap();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut send = pin!(tx.send(Box::new(Msg { link: Link::new(), n: 2 })));
/// assert!(send.as_mut().poll(&mut cx).is_pending(), "full: waits");
/// assert_eq!(rx.try_recv().unwrap().n, 1);
/// assert!(matches!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
/// assert_eq!(rx.try_recv().unwrap().n, 2);
/// ```
#[must_use = "the node is sent only when the future is awaited: write `.await`, or outside async \
              code call `send_blocking` (to wait for room) or `try_send`"]
pub struct SendFuture<'s, N: Node, B: Capacity = Bounded> {
    pub(super) sender: &'s Sender<N, B>,
    /// The node, until it is sent or handed back.
    pub(super) node: Option<N::Handle>,
    /// Our place in the wait list, once the channel was found full.
    pub(super) place: Option<Key>,
}

// The node is only ever moved, never pinned: the future is `Unpin` whatever the handle.
impl<N: Node, B: Capacity> Unpin for SendFuture<'_, N, B> {}

// SAFETY: `&SendFuture` gives access to nothing (no method takes `&self`), so sharing it between
// threads shares no handle; `Send` of the node is all the future needs to be `Sync`, as for
// `Consumer`.
unsafe impl<N: Node, B: Capacity> Sync for SendFuture<'_, N, B> where N::Handle: Send {}

impl<N: Node, B: Capacity> Future for SendFuture<'_, N, B> {
    type Output = Result<(), SendError<N::Handle>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &*this.sender.shared;
        if let Some(place) = &this.place {
            // Take a notification before looking: a look that succeeds used it, and after one
            // that fails we wait armed, in our place.
            room_of(shared).poll(place, cx.waker());
        }
        loop {
            let handle = this
                .node
                .take()
                .expect("`SendFuture` polled after it completed");
            let done = match shared.try_send(handle) {
                Ok(()) => Ok(()),
                Err(TrySendError::Closed(back)) => Err(SendError(back)),
                Err(TrySendError::Full(back)) => {
                    this.node = Some(back);
                    if this.place.is_some() {
                        return Poll::Pending;
                    }
                    // Join the list, then look again before waiting: a room made or a close
                    // after our look above either shows in the next look or wakes us.
                    this.place = Some(room_of(shared).listen(cx.waker(), false));
                    continue;
                }
            };
            // Done: leave the list now, not when the future is dropped, so that a completed
            // future kept around takes no notification.
            if let Some(place) = this.place.take() {
                room_of(shared).leave(place);
            }
            return Poll::Ready(done);
        }
    }
}

impl<N: Node, B: Capacity> Drop for SendFuture<'_, N, B> {
    fn drop(&mut self) {
        // A notification we got and did not use goes to the next waiting sender.
        if let Some(place) = self.place.take() {
            room_of(&self.sender.shared).leave(place);
        }
    }
}

/// The wait list of a channel on which a send was refused as full: only a bounded channel has one
/// (an unbounded channel never refuses for want of room).
fn room_of<N: Node, B: Capacity>(shared: &Shared<N, B>) -> &Waiters {
    shared
        .room()
        .expect("only a bounded channel is ever full and has a wait list")
}

impl<N: Node, B: Capacity> fmt::Debug for SendFuture<'_, N, B> {
    /// Prints `SendFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

/// The future of [`Sender::closed`]: completes once the receiver closed the channel or is gone.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Waker};
/// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded_channel::<Msg>();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut closed = pin!(tx.closed());
/// assert!(closed.as_mut().poll(&mut cx).is_pending());
/// rx.close();
/// assert!(closed.as_mut().poll(&mut cx).is_ready());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ClosedFuture<'s, N: Node, B: Capacity = Unbounded> {
    pub(super) sender: &'s Sender<N, B>,
    /// Our place in the list of `closed()` waiters, once we found the channel open.
    pub(super) place: Option<Key>,
}

impl<N: Node, B: Capacity> Future for ClosedFuture<'_, N, B> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = &*this.sender.shared;
        if let Some(place) = &this.place {
            // Take a notification before looking, as `SendFuture` does.
            shared.closed.poll(place, cx.waker());
        }
        loop {
            if shared.is_closed() {
                if let Some(place) = this.place.take() {
                    shared.closed.leave(place);
                }
                return Poll::Ready(());
            }
            if this.place.is_some() {
                return Poll::Pending;
            }
            // Join the list, then look again.
            this.place = Some(shared.closed.listen(cx.waker(), false));
        }
    }
}

impl<N: Node, B: Capacity> Drop for ClosedFuture<'_, N, B> {
    fn drop(&mut self) {
        if let Some(place) = self.place.take() {
            self.sender.shared.closed.leave(place);
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for ClosedFuture<'_, N, B> {
    /// Prints `ClosedFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClosedFuture").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded_channel::<Msg>();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut recv = pin!(rx.recv());
/// assert!(recv.as_mut().poll(&mut cx).is_pending());
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// assert!(matches!(recv.as_mut().poll(&mut cx), Poll::Ready(Some(_))));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'r, N: Node, B: Capacity = Unbounded> {
    pub(super) receiver: &'r mut Receiver<N, B>,
}

impl<N: Node, B: Capacity> Future for RecvFuture<'_, N, B> {
    type Output = Option<N::Handle>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<N::Handle>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<N: Node, B: Capacity> fmt::Debug for RecvFuture<'_, N, B> {
    /// Prints `RecvFuture { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (_tx, mut rx) = unbounded_channel::<Msg>();
    /// assert_eq!(format!("{:?}", rx.recv()), "RecvFuture { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv_many`]: resolves to the number of nodes appended.
#[must_use = "futures do nothing unless polled"]
pub struct RecvManyFuture<'r, N: Node, B: Capacity = Unbounded> {
    pub(super) receiver: &'r mut Receiver<N, B>,
    pub(super) buffer: &'r mut Vec<N::Handle>,
    pub(super) limit: usize,
}

impl<N: Node, B: Capacity> Future for RecvManyFuture<'_, N, B> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let this = self.get_mut();
        this.receiver.poll_recv_many(cx, this.buffer, this.limit)
    }
}

impl<N: Node, B: Capacity> fmt::Debug for RecvManyFuture<'_, N, B> {
    /// Prints `RecvManyFuture { limit: .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvManyFuture")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// The iterator of [`Receiver::iter_blocking`].
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded_channel::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(tx);
/// assert_eq!(rx.iter_blocking().count(), 1);
/// ```
#[cfg(feature = "std")]
pub struct BlockingIter<'r, N: Node, B: Capacity = Unbounded> {
    pub(super) receiver: &'r mut Receiver<N, B>,
}

#[cfg(feature = "std")]
impl<N: Node, B: Capacity> Iterator for BlockingIter<'_, N, B> {
    type Item = N::Handle;

    fn next(&mut self) -> Option<N::Handle> {
        self.receiver.recv_blocking()
    }
}

#[cfg(feature = "std")]
impl<N: Node, B: Capacity> fmt::Debug for BlockingIter<'_, N, B> {
    /// Prints `BlockingIter { .. }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (_tx, mut rx) = unbounded_channel::<Msg>();
    /// assert_eq!(format!("{:?}", rx.iter_blocking()), "BlockingIter { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingIter").finish_non_exhaustive()
    }
}
