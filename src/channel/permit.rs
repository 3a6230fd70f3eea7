//! Permits: room reserved ahead of a send, as tokio's `Sender::reserve` gives. [`Permit`],
//! [`PermitIterator`] and [`OwnedPermit`], and the futures that wait for them.
//!
//! A reservation is the send's first half done early: the send is counted (so a receiver that
//! closed the channel waits for it) and its room claimed on the capacity's counter, as one
//! accepted claim of the queue's bound (on a bounded channel that claim is the count).
//! [`Permit::send`] is the second half: one enqueue, which never fails and never waits. A permit
//! dropped unused gives its room back and wakes a waiting sender. On an unbounded channel a
//! permit costs what a send's closed check costs.

use core::iter::FusedIterator;
use core::mem::ManuallyDrop;

use super::*;
use crate::policy::waiters::Key;

impl<N: Node, B: Capacity> Shared<N, B> {
    /// The most places one reservation can ever get.
    fn max_reservation(&self) -> usize {
        // Each counted send is `ONE_SEND` in `state`: a reservation must fit in it many times.
        self.queue.max_claim().min(isize::MAX as usize / ONE_SEND)
    }

    /// Reserves `n` places if the channel is open and has room for them, all or nothing.
    fn try_reserve(&self, n: usize) -> Result<(), TrySendError<()>> {
        if n > self.max_reservation() {
            // Never room for them: tokio's answer.
            return Err(TrySendError::Full(()));
        }
        if n == 0 {
            return if self.is_closed() {
                Err(TrySendError::Closed(()))
            } else {
                Ok(())
            };
        }
        if self.bounded() {
            // As a send's, for `n` places: the claim counts the sends.
            return self.claim_sends(n);
        }
        // Unbounded: no room to claim, only the sends to count.
        // Relaxed: as in `begin_send`, for `n` sends at once.
        let state = self.state.fetch_add(n * ONE_SEND, Relaxed);
        if state & CLOSED != 0 {
            self.cancel_sends(n);
            return Err(TrySendError::Closed(()));
        }
        Ok(())
    }

    /// Takes back `n` counted sends that will not happen on an unbounded channel, as
    /// `cancel_send` does for one.
    fn cancel_sends(&self, n: usize) {
        // Relaxed: as in `cancel_send`.
        let state = self.state.fetch_sub(n * ONE_SEND, Relaxed);
        if state & CLOSED != 0 {
            // As in `cancel_send`: the receiver may wait for the count to come down.
            self.queue.shared().wake();
        }
    }

    /// Gives back `n` reserved places that will not be used: on a bounded channel the room (which
    /// counted the sends), waking the receiver if it waits for it and the senders waiting for
    /// room; on an unbounded one the counted sends.
    fn give_back(&self, n: usize) {
        if self.bounded() {
            self.take_back(n);
        } else {
            self.cancel_sends(n);
        }
    }

    /// Sends `handle` into a place reserved for it.
    #[inline]
    fn send_reserved(&self, handle: N::Handle) {
        // The room was claimed and the send counted by the reservation: one enqueue, which
        // wakes the receiver if it sleeps. If the receiver is gone, the node is dropped with the
        // channel.
        self.queue.push(handle);
    }
}

/// Room for one node, reserved on a channel by [`Sender::reserve`] or
/// [`Sender::try_reserve`]: [`send`](Permit::send) then never fails and never waits.
///
/// Dropping it unused gives the room back and wakes a sender waiting for it. While it lives, its
/// room counts as taken: other senders may find the channel full for it, and
/// [`Sender::capacity`] (the room left, as tokio's) is smaller by it. Forgetting it
/// ([`mem::forget`](core::mem::forget)) keeps its room taken for the rest of the channel's life,
/// and keeps a receiver that [closed](Receiver::close) the channel waiting for its send.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::{bounded, TrySendError};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = bounded::<Msg>(1);
/// let permit = tx.try_reserve().unwrap();
/// assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))), "the room is reserved");
/// permit.send(Box::new(Msg { link: Link::new(), n: 1 }));
/// assert_eq!(rx.try_recv().unwrap().n, 1);
/// ```
#[must_use = "a permit holds room in the channel until it is used or dropped"]
pub struct Permit<'s, N: Node, B: Capacity = Unbounded> {
    sender: &'s Sender<N, B>,
}

impl<N: Node, B: Capacity> Permit<'_, N, B> {
    /// Sends `handle` in the reserved room. Never fails and never waits.
    ///
    /// As with tokio's permits, this succeeds even if the receiver has closed the channel since
    /// the reservation: the receiver still gets the node (a closed receiver reports the end only
    /// after every outstanding permit was used or dropped). If the receiver is gone, the node is
    /// dropped with the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(4);
    /// let permit = tx.try_reserve().unwrap();
    /// rx.close();
    /// permit.send(Box::new(Msg { link: Link::new() }));
    /// assert!(rx.try_recv().is_ok(), "reserved before the close");
    /// ```
    #[inline]
    pub fn send(self, handle: N::Handle) {
        let this = ManuallyDrop::new(self);
        this.sender.shared.send_reserved(handle);
    }
}

impl<N: Node, B: Capacity> Drop for Permit<'_, N, B> {
    /// Gives the room back and wakes a sender waiting for it.
    fn drop(&mut self) {
        self.sender.shared.give_back(1);
    }
}

impl<N: Node, B: Capacity> fmt::Debug for Permit<'_, N, B> {
    /// Prints `Permit { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// Room for a number of nodes, reserved at once by [`Sender::reserve_many`] or
/// [`Sender::try_reserve_many`]: an iterator of [`Permit`]s, one per place.
///
/// Dropping it gives the places it has not handed out back.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::bounded, node, Link};
///
/// struct Msg {
///     link: Link,
///     n: usize,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = bounded::<Msg>(4);
/// let permits = tx.try_reserve_many(3).unwrap();
/// assert_eq!(permits.len(), 3);
/// for (n, permit) in permits.enumerate() {
///     permit.send(Box::new(Msg { link: Link::new(), n }));
/// }
/// assert_eq!(rx.try_recv().unwrap().n, 0);
/// ```
#[must_use = "the permits hold room in the channel until they are used or dropped"]
pub struct PermitIterator<'s, N: Node, B: Capacity = Unbounded> {
    sender: &'s Sender<N, B>,
    /// Places not handed out yet.
    remaining: usize,
}

impl<'s, N: Node, B: Capacity> Iterator for PermitIterator<'s, N, B> {
    type Item = Permit<'s, N, B>;

    fn next(&mut self) -> Option<Permit<'s, N, B>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(Permit {
            sender: self.sender,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<N: Node, B: Capacity> ExactSizeIterator for PermitIterator<'_, N, B> {}

impl<N: Node, B: Capacity> FusedIterator for PermitIterator<'_, N, B> {}

impl<N: Node, B: Capacity> Drop for PermitIterator<'_, N, B> {
    /// Gives back the places not handed out.
    fn drop(&mut self) {
        if self.remaining != 0 {
            self.sender.shared.give_back(self.remaining);
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for PermitIterator<'_, N, B> {
    /// Prints the places left, e.g. `PermitIterator { remaining: 3, .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// Room for one node, reserved by [`Sender::reserve_owned`] or [`Sender::try_reserve_owned`],
/// holding the sender: a [`Permit`] that can move into another task or thread.
/// [`send`](OwnedPermit::send) and [`release`](OwnedPermit::release) hand the sender back.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::{channel::bounded, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = bounded::<Msg>(1);
/// let permit = tx.try_reserve_owned().unwrap();
/// let tx = std::thread::spawn(move || permit.send(Box::new(Msg { link: Link::new() })))
///     .join()
///     .unwrap();
/// assert!(rx.try_recv().is_ok());
/// assert!(tx.try_reserve().is_ok());
/// ```
#[must_use = "a permit holds room in the channel until it is used or dropped"]
pub struct OwnedPermit<N: Node, B: Capacity = Unbounded> {
    /// The sender, until `send` or `release` hands it back.
    sender: Option<Sender<N, B>>,
}

impl<N: Node, B: Capacity> OwnedPermit<N, B> {
    /// Sends `handle` in the reserved room and returns the sender. Never fails and never waits;
    /// as [`Permit::send`].
    pub fn send(mut self, handle: N::Handle) -> Sender<N, B> {
        let sender = self
            .sender
            .take()
            .expect("taken only by `send` and `release`");
        sender.shared.send_reserved(handle);
        sender
    }

    /// Gives the room back without sending, and returns the sender.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = bounded::<Msg>(1);
    /// let permit = tx.try_reserve_owned().unwrap();
    /// let tx = permit.release();
    /// assert!(tx.try_reserve().is_ok(), "the room is back");
    /// ```
    pub fn release(mut self) -> Sender<N, B> {
        let sender = self
            .sender
            .take()
            .expect("taken only by `send` and `release`");
        sender.shared.give_back(1);
        sender
    }
}

impl<N: Node, B: Capacity> Drop for OwnedPermit<N, B> {
    /// Gives the room back (unless sent or released) and drops the sender.
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.shared.give_back(1);
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for OwnedPermit<N, B> {
    /// Prints `OwnedPermit { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}

/// A reservation of `n` places that waits for room: the state shared by the reserving futures.
struct Reserving {
    n: usize,
    /// Our place in the list of senders waiting for room, once the channel was found full.
    place: Option<Key>,
}

impl Reserving {
    fn new(n: usize) -> Self {
        Reserving { n, place: None }
    }

    /// The loop of [`SendFuture::poll`], for room instead of a send.
    fn poll<N: Node, B: Capacity>(
        &mut self,
        shared: &Shared<N, B>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), SendError<()>>> {
        if let (Some(place), Some(room)) = (&self.place, shared.room()) {
            // Take a notification before looking, as `SendFuture` does.
            room.poll(place, cx.waker());
        }
        loop {
            let done = match shared.try_reserve(self.n) {
                Ok(()) => Ok(()),
                Err(TrySendError::Closed(())) => Err(SendError(())),
                // More than the capacity: never room for it, as tokio answers.
                Err(TrySendError::Full(())) if self.n > shared.max_reservation() => {
                    Err(SendError(()))
                }
                Err(TrySendError::Full(())) => {
                    // Only a bounded channel is ever full.
                    let room = shared.room().expect("only a bounded channel is full");
                    if self.place.is_some() {
                        return Poll::Pending;
                    }
                    // Join the list, then look again before waiting.
                    self.place = Some(room.listen(cx.waker(), false));
                    continue;
                }
            };
            self.leave(shared);
            return Poll::Ready(done);
        }
    }

    /// Leaves the wait list, passing on a notification we did not use.
    fn leave<N: Node, B: Capacity>(&mut self, shared: &Shared<N, B>) {
        if let Some(place) = self.place.take() {
            if let Some(room) = shared.room() {
                room.leave(place);
            }
        }
    }
}

/// The future of [`Sender::reserve`]: a [`Permit`] once there is room.
///
/// Dropping it before it completes reserves nothing, and passes a wake-up meant for it on.
#[must_use = "futures do nothing unless polled"]
pub struct ReserveFuture<'s, N: Node, B: Capacity = Unbounded> {
    sender: &'s Sender<N, B>,
    reserving: Reserving,
}

impl<'s, N: Node, B: Capacity> Future for ReserveFuture<'s, N, B> {
    type Output = Result<Permit<'s, N, B>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sender = this.sender;
        this.reserving
            .poll(&sender.shared, cx)
            .map(|reserved| reserved.map(|()| Permit { sender }))
    }
}

impl<N: Node, B: Capacity> Drop for ReserveFuture<'_, N, B> {
    fn drop(&mut self) {
        self.reserving.leave(&self.sender.shared);
    }
}

impl<N: Node, B: Capacity> fmt::Debug for ReserveFuture<'_, N, B> {
    /// Prints `ReserveFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReserveFuture").finish_non_exhaustive()
    }
}

/// The future of [`Sender::reserve_many`]: a [`PermitIterator`] once there is room for all.
#[must_use = "futures do nothing unless polled"]
pub struct ReserveManyFuture<'s, N: Node, B: Capacity = Unbounded> {
    sender: &'s Sender<N, B>,
    reserving: Reserving,
}

impl<'s, N: Node, B: Capacity> Future for ReserveManyFuture<'s, N, B> {
    type Output = Result<PermitIterator<'s, N, B>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let sender = this.sender;
        let remaining = this.reserving.n;
        this.reserving
            .poll(&sender.shared, cx)
            .map(|reserved| reserved.map(|()| PermitIterator { sender, remaining }))
    }
}

impl<N: Node, B: Capacity> Drop for ReserveManyFuture<'_, N, B> {
    fn drop(&mut self) {
        self.reserving.leave(&self.sender.shared);
    }
}

impl<N: Node, B: Capacity> fmt::Debug for ReserveManyFuture<'_, N, B> {
    /// Prints `ReserveManyFuture { n: .., .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReserveManyFuture")
            .field("n", &self.reserving.n)
            .finish_non_exhaustive()
    }
}

/// The future of [`Sender::reserve_owned`]: an [`OwnedPermit`] once there is room.
///
/// It holds the sender; dropping it before it completes drops the sender.
#[must_use = "futures do nothing unless polled"]
pub struct ReserveOwnedFuture<N: Node, B: Capacity = Unbounded> {
    /// The sender, until the permit takes it.
    sender: Option<Sender<N, B>>,
    reserving: Reserving,
}

impl<N: Node, B: Capacity> Future for ReserveOwnedFuture<N, B> {
    type Output = Result<OwnedPermit<N, B>, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &this
            .sender
            .as_ref()
            .expect("`ReserveOwnedFuture` polled after it completed")
            .shared;
        match this.reserving.poll(shared, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(OwnedPermit {
                sender: this.sender.take(),
            })),
            Poll::Ready(Err(error)) => {
                this.sender = None;
                Poll::Ready(Err(error))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<N: Node, B: Capacity> Drop for ReserveOwnedFuture<N, B> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            self.reserving.leave(&sender.shared);
        }
    }
}

impl<N: Node, B: Capacity> fmt::Debug for ReserveOwnedFuture<N, B> {
    /// Prints `ReserveOwnedFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReserveOwnedFuture").finish_non_exhaustive()
    }
}

/// # Permits
///
/// Room reserved ahead of a send, with tokio's meanings. On an unbounded channel a reservation
/// only fails when the channel is closed.
#[cfg_attr(not(feature = "std"), doc = "")]
#[cfg_attr(
    not(feature = "std"),
    doc = "[Sender::reserve_blocking]: crate#features"
)]
impl<N: Node, B: Capacity> Sender<N, B> {
    /// Reserves room for one node, waiting asynchronously until there is some:
    /// `tx.reserve().await`. The [`Permit`] then sends without failing or waiting.
    ///
    /// Waiting senders and reservations are woken in the order they began to wait, as for
    /// [`send(..).await`](Sender#method.send-1). Cancel-safe: dropping the future reserves
    /// nothing. The blocking form is [`reserve_blocking`][Sender::reserve_blocking].
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver closes the channel or is gone, before or while this waits.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(1);
    /// block_on(async {
    ///     let permit = tx.reserve().await.unwrap();
    ///     // Build the message only once there is room for it.
    ///     permit.send(Box::new(Msg { link: Link::new() }));
    /// });
    /// assert!(rx.try_recv().is_ok());
    /// ```
    ///
    #[cfg_attr(
        not(feature = "std"),
        doc = "[Sender::reserve_blocking]: crate#features"
    )]
    pub fn reserve(&self) -> ReserveFuture<'_, N, B> {
        ReserveFuture {
            sender: self,
            reserving: Reserving::new(1),
        }
    }

    /// Reserves room for one node if there is some now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when there is no room (near the limit this can be spurious while
    /// another sender's attempt is in flight, as for [`try_send`](Sender::try_send)),
    /// [`TrySendError::Closed`] when the receiver closed the channel or is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{bounded, TrySendError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    /// drop(permit); // the room is given back
    /// rx.close();
    /// assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, N, B>, TrySendError<()>> {
        self.shared.try_reserve(1).map(|()| Permit { sender: self })
    }

    /// Reserves room for `n` nodes at once, waiting asynchronously until there is room for all
    /// of them: `tx.reserve_many(n).await`. One claim on the capacity's counter, however many.
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver closes the channel or is gone, before or while this waits,
    /// or if `n` is more than the channel's capacity (as tokio answers: there will never be room
    /// for them).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(4);
    /// block_on(async {
    ///     assert!(tx.reserve_many(5).await.is_err(), "more than the capacity");
    ///     for permit in tx.reserve_many(4).await.unwrap() {
    ///         permit.send(Box::new(Msg { link: Link::new() }));
    ///     }
    /// });
    /// assert_eq!(rx.try_recv_many(&mut Vec::new(), 8), Ok(4));
    /// ```
    pub fn reserve_many(&self, n: usize) -> ReserveManyFuture<'_, N, B> {
        ReserveManyFuture {
            sender: self,
            reserving: Reserving::new(n),
        }
    }

    /// Reserves room for `n` nodes at once if there is room for all of them now.
    ///
    /// # Errors
    ///
    /// As [`try_reserve`](Sender::try_reserve); [`TrySendError::Full`] too when `n` is more than
    /// the channel's capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{bounded, TrySendError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = bounded::<Msg>(4);
    /// let three = tx.try_reserve_many(3).unwrap();
    /// assert!(matches!(tx.try_reserve_many(2), Err(TrySendError::Full(()))));
    /// drop(three);
    /// assert_eq!(tx.try_reserve_many(4).unwrap().len(), 4);
    /// ```
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, N, B>, TrySendError<()>> {
        self.shared.try_reserve(n).map(|()| PermitIterator {
            sender: self,
            remaining: n,
        })
    }

    /// Reserves room for one node, waiting asynchronously, with the sender moved into the
    /// permit: `tx.reserve_owned().await`, for a permit that outlives the borrow.
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver closes the channel or is gone, before or while this waits;
    /// the sender is dropped then.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #     }
    /// # }
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(1);
    /// let permit = block_on(tx.clone().reserve_owned()).unwrap();
    /// std::thread::spawn(move || drop(permit.send(Box::new(Msg { link: Link::new() }))));
    /// assert!(rx.recv_blocking().is_some());
    /// ```
    pub fn reserve_owned(self) -> ReserveOwnedFuture<N, B> {
        ReserveOwnedFuture {
            sender: Some(self),
            reserving: Reserving::new(1),
        }
    }

    /// Reserves room for one node if there is some now, with the sender moved into the permit.
    ///
    /// # Errors
    ///
    /// As [`try_reserve`](Sender::try_reserve), handing the sender back in the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{bounded, TrySendError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, _rx) = bounded::<Msg>(1);
    /// let permit = tx.clone().try_reserve_owned().unwrap();
    /// let Err(TrySendError::Full(tx)) = tx.try_reserve_owned() else {
    ///     panic!("the room is reserved");
    /// };
    /// drop(permit);
    /// assert!(tx.try_reserve_owned().is_ok());
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<N, B>, TrySendError<Self>> {
        match self.shared.try_reserve(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// Reserves room for one node, blocking the thread until there is some.
    ///
    /// Do not call it from an async task: it blocks the executor's thread. Use
    /// `reserve().await` there.
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver closes the channel or is gone, before or while this waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::bounded, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = bounded::<Msg>(1);
    /// tx.try_send(Box::new(Msg { link: Link::new() })).unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let permit = tx.reserve_blocking().unwrap(); // waits for the receive below
    ///         permit.send(Box::new(Msg { link: Link::new() }));
    ///     });
    ///     assert!(rx.recv_blocking().is_some());
    ///     assert!(rx.recv_blocking().is_some());
    /// });
    /// ```
    #[cfg(feature = "std")]
    pub fn reserve_blocking(&self) -> Result<Permit<'_, N, B>, SendError<()>> {
        let reserved = match self.shared.room() {
            // Unbounded: never full.
            None => self.shared.try_reserve(1).map_err(|_| SendError(())),
            Some(room) => {
                let mut attempt = || match self.shared.try_reserve(1) {
                    Ok(()) => Some(Ok(())),
                    Err(TrySendError::Closed(())) => Some(Err(SendError(()))),
                    Err(TrySendError::Full(())) => None,
                };
                // As in `send_blocking`: briefly without the wait list first.
                match spin_before_parking(&mut SEND_SPIN.into(), None, &mut attempt) {
                    Some(reserved) => reserved,
                    None => room
                        .block_until(None, attempt, || {
                            // About to park: refuse if this thread runs an async runtime's tasks.
                            if !runtime::may_block() {
                                runtime::refuse("reserve_blocking", "reserve().await");
                            }
                        })
                        .expect("no deadline"),
                }
            }
        };
        reserved.map(|()| Permit { sender: self })
    }
}
