//! The async timeouts: [`Timer`], and the futures of [`Receiver::recv_timeout`] and
//! [`Sender::send_timeout`].
//!
//! This crate has no runtime and no timer, so the async timeouts take the runtime's own sleep
//! future (`tokio::time::sleep(d)`, `async_io::Timer::after(d)`, ...) rather than a `Duration`:
//! the wait ends with a timeout when that future completes. A `Duration` there, written from
//! tokio's or `std`'s habit, fails to compile with a message that says what to pass, and names
//! the blocking form for code on a thread.

use super::*;

/// A future whose completion ends a wait with a timeout: what the async
/// [`Receiver::recv_timeout`] and [`Sender::send_timeout`] take, usually your runtime's sleep
/// future (`tokio::time::sleep(d)`). Every future is one; its output is ignored.
///
/// # Examples
///
/// Passing a `Duration`, as tokio's `send_timeout` or `std`'s `recv_timeout` takes, does not
/// compile; the message says to pass a sleep future, or to call `recv_timeout_blocking` on a
/// thread:
///
/// ```compile_fail,E0277
/// use std::time::Duration;
/// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// async fn receive() {
///     let (_tx, mut rx) = unbounded_channel::<Msg>();
///     let _ = rx.recv_timeout(Duration::from_secs(1)).await;
/// }
/// ```
///
/// ```compile_fail,E0277
/// use std::time::Duration;
/// use intrusive_mpsc::{channel::channel, node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// async fn send() {
///     let (tx, _rx) = channel::<Msg>(1);
///     let _ = tx.send_timeout(Box::new(Msg { link: Link::new() }), Duration::from_secs(1)).await;
/// }
/// ```
///
/// Any future works, here one that is ready at once (a timeout of zero):
///
/// ```
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
/// #     }
/// # }
/// use intrusive_mpsc::channel::{error::RecvTimeoutError, unbounded_channel};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (_tx, mut rx) = unbounded_channel::<Msg>();
/// let result = block_on(rx.recv_timeout(std::future::ready(())));
/// assert_eq!(result.err(), Some(RecvTimeoutError::Timeout));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a timer future: this crate's async timeouts take your runtime's \
               sleep future",
    label = "pass a sleep future here, e.g. `tokio::time::sleep(timeout)`",
    note = "this crate has no timer of its own: pass your runtime's sleep future, e.g. \
            `rx.recv_timeout(tokio::time::sleep(timeout)).await` or \
            `tx.send_timeout(node, tokio::time::sleep(timeout)).await`; on a thread outside async \
            code, call `recv_timeout_blocking(timeout)` or `send_timeout_blocking(node, timeout)`"
)]
pub trait Timer: Future {}

impl<F: Future> Timer for F {}

/// The future of [`Receiver::recv_timeout`].
#[must_use = "futures do nothing unless `.await`ed or polled"]
pub struct RecvTimeoutFuture<'r, N: Node, B: Capacity, T> {
    receiver: &'r mut Receiver<N, B>,
    /// Pinned with the future (structurally): never moved out of it, never handed out unpinned.
    timer: T,
}

impl<N: Node, B: Capacity, T: Timer> Future for RecvTimeoutFuture<'_, N, B, T> {
    type Output = Result<N::Handle, RecvTimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: nothing is moved out of the future: `receiver` is a reference (`Unpin`), used in
        // place, and `timer` is only reached pinned, below.
        let this = unsafe { self.get_unchecked_mut() };
        // A node that is there wins over a timer that is due as well.
        match this.receiver.poll_recv(cx) {
            Poll::Ready(Some(handle)) => return Poll::Ready(Ok(handle)),
            Poll::Ready(None) => return Poll::Ready(Err(RecvTimeoutError::Disconnected)),
            Poll::Pending => {}
        }
        // SAFETY: structural pinning of `timer`: the future is pinned, the type has no `Drop`
        // of its own and is `Unpin` only when `T` is (the auto trait), and `timer` is never
        // moved out or reached unpinned.
        let timer = unsafe { Pin::new_unchecked(&mut this.timer) };
        match timer.poll(cx) {
            Poll::Ready(_) => Poll::Ready(Err(RecvTimeoutError::Timeout)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<N: Node, B: Capacity, T> fmt::Debug for RecvTimeoutFuture<'_, N, B, T> {
    /// Prints `RecvTimeoutFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvTimeoutFuture").finish_non_exhaustive()
    }
}

/// The future of [`Sender::send_timeout`]. Dropping it before it completes drops the node.
#[must_use = "the node is sent only when the future is awaited: write `.await`, or outside async \
              code call `send_timeout_blocking`"]
pub struct SendTimeoutFuture<'s, N: Node, T> {
    send: SendFuture<'s, N>,
    /// Pinned with the future (structurally): never moved out of it, never handed out unpinned.
    timer: T,
}

impl<N: Node, T: Timer> Future for SendTimeoutFuture<'_, N, T> {
    type Output = Result<(), SendTimeoutError<N::Handle>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: nothing is moved out of the future: `send` is `Unpin` and polled in place, and
        // `timer` is only reached pinned, below.
        let this = unsafe { self.get_unchecked_mut() };
        // Room that is there wins over a timer that is due as well.
        match Pin::new(&mut this.send).poll(cx) {
            Poll::Ready(Ok(())) => return Poll::Ready(Ok(())),
            Poll::Ready(Err(SendError(handle))) => {
                return Poll::Ready(Err(SendTimeoutError::Closed(handle)))
            }
            Poll::Pending => {}
        }
        // SAFETY: structural pinning of `timer`, as in `RecvTimeoutFuture::poll`.
        let timer = unsafe { Pin::new_unchecked(&mut this.timer) };
        match timer.poll(cx) {
            Poll::Ready(_) => {
                // The send is pending, so it still holds the node. It leaves the wait list when
                // this future is dropped.
                let handle = this
                    .send
                    .node
                    .take()
                    .expect("`SendTimeoutFuture` polled after it completed");
                Poll::Ready(Err(SendTimeoutError::Timeout(handle)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<N: Node, T> fmt::Debug for SendTimeoutFuture<'_, N, T> {
    /// Prints `SendTimeoutFuture { .. }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendTimeoutFuture").finish_non_exhaustive()
    }
}

impl<N: Node, B: Capacity> Receiver<N, B> {
    /// Receives a node asynchronously, giving up when `timer` completes:
    /// `rx.recv_timeout(tokio::time::sleep(timeout)).await`.
    ///
    /// The crate has no timer of its own: pass your runtime's sleep future (any [`Timer`], that
    /// is any future). A `Duration` does not compile; on a thread, outside async code, call
    /// [`recv_timeout_blocking`][Receiver::recv_timeout_blocking] instead. A node that is there
    /// when the timer is due is received. Cancel-safe, as [`recv`](Receiver::recv).
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if `timer` completed first,
    /// [`RecvTimeoutError::Disconnected`] once every sender is gone (or the channel was closed)
    /// and everything was received.
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
    /// use std::future::{pending, ready};
    /// use intrusive_mpsc::channel::{error::RecvTimeoutError, unbounded_channel};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// // With tokio: `rx.recv_timeout(tokio::time::sleep(Duration::from_secs(1))).await`.
    /// // Here a timer that is already due, and one that never is.
    /// assert_eq!(block_on(rx.recv_timeout(ready(()))).err(), Some(RecvTimeoutError::Timeout));
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert!(block_on(rx.recv_timeout(ready(()))).is_ok(), "a node there wins");
    /// drop(tx);
    /// assert_eq!(
    ///     block_on(rx.recv_timeout(pending::<()>())).err(),
    ///     Some(RecvTimeoutError::Disconnected)
    /// );
    /// ```
    #[cfg_attr(
        not(feature = "std"),
        doc = "[Receiver::recv_timeout_blocking]: crate#features"
    )]
    pub fn recv_timeout<T: Timer>(&mut self, timer: T) -> RecvTimeoutFuture<'_, N, B, T> {
        RecvTimeoutFuture {
            receiver: self,
            timer,
        }
    }
}

impl<N: Node> Sender<N, Bounded> {
    /// Sends a node, waiting asynchronously for room until `timer` completes:
    /// `tx.send_timeout(node, tokio::time::sleep(timeout)).await`.
    ///
    /// The crate has no timer of its own: pass your runtime's sleep future (any [`Timer`], that
    /// is any future). A `Duration`, as tokio's `send_timeout` takes, does not compile; on a
    /// thread, outside async code, call [`send_timeout_blocking`][Sender::send_timeout_blocking]
    /// instead. Room that is there when the timer is due is used.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if `timer` completed first, [`SendTimeoutError::Closed`] if
    /// the receiver closes the channel or is gone; either hands the node back.
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
    /// use std::future::ready;
    /// use intrusive_mpsc::channel::{channel, error::SendTimeoutError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u8,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>(1);
    /// // With tokio: `tx.send_timeout(node, tokio::time::sleep(Duration::from_secs(1))).await`.
    /// // Here a timer that is already due: room that is there is still used.
    /// block_on(tx.send_timeout(Box::new(Msg { link: Link::new(), n: 1 }), ready(()))).unwrap();
    /// let full = block_on(tx.send_timeout(Box::new(Msg { link: Link::new(), n: 2 }), ready(())));
    /// let Err(SendTimeoutError::Timeout(back)) = full else {
    ///     panic!("full");
    /// };
    /// assert_eq!(back.n, 2);
    /// assert_eq!(rx.try_recv().unwrap().n, 1);
    /// ```
    #[cfg_attr(
        not(feature = "std"),
        doc = "[Sender::send_timeout_blocking]: crate#features"
    )]
    pub fn send_timeout<T: Timer>(
        &self,
        handle: N::Handle,
        timer: T,
    ) -> SendTimeoutFuture<'_, N, T> {
        SendTimeoutFuture {
            send: self.send(handle),
            timer,
        }
    }
}
