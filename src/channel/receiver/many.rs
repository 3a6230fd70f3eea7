//! Receiving several nodes at once: [`Receiver::recv_many`] and its polling, non-waiting and
//! blocking forms.

use super::*;

impl<N: Node, B: Capacity> Receiver<N, B> {
    /// Receives up to `limit` nodes into `buffer` (appending), blocking the thread until there
    /// is at least one. Returns how many it appended; 0 only when `limit` is 0 or once every
    /// sender is gone (or the channel was closed) and everything was received. The blocking
    /// form of [`recv_many`](Receiver::recv_many).
    ///
    /// After the first node it takes only what is there without waiting. On a bounded channel
    /// the senders waiting for room are woken once for the whole batch. `buffer` grows as a
    /// `Vec` does: reserve room first to receive without allocating.
    ///
    /// # Panics
    ///
    /// With the feature `tokio`, if it would block a thread that is running a tokio runtime's
    /// tasks (see the [module docs](mod@crate::channel#blocking-inside-an-async-runtime)).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::{channel::channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = channel::<Msg>(8);
    /// let producer = std::thread::spawn(move || {
    ///     for n in 0..5 {
    ///         tx.send_blocking(Box::new(Msg { link: Link::new(), n })).unwrap();
    ///     }
    /// });
    /// let mut batch = Vec::with_capacity(8);
    /// while rx.recv_many_blocking(&mut batch, 8) != 0 {}
    /// producer.join().unwrap();
    /// assert_eq!(batch.iter().map(|m| m.n).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_many_blocking(&mut self, buffer: &mut Vec<N::Handle>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        match self.recv_until(None, "recv_many_blocking", "recv_many(buffer, limit).await") {
            Ok(first) => {
                buffer.push(first);
                self.take_more(buffer, 0, limit - 1) + 1
            }
            Err(_) => 0,
        }
    }

    /// Receives up to `limit` nodes into `buffer` (appending), waiting asynchronously until there
    /// is at least one: `rx.recv_many(&mut buffer, limit).await`. Returns how many it appended;
    /// 0 only when `limit` is 0 or once every sender is gone (or the channel was closed) and
    /// everything was received. As tokio's `Receiver::recv_many`.
    ///
    /// After the first node it takes only what is there without waiting. On a bounded channel
    /// the senders waiting for room are woken once for the whole batch. `buffer` grows as a
    /// `Vec` does: reserve room first to receive without allocating. Cancel-safe.
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
    /// use intrusive_mpsc::{channel::unbounded_channel, node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    ///     n: u32,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// for n in 0..5 {
    ///     tx.send(Box::new(Msg { link: Link::new(), n })).unwrap();
    /// }
    /// drop(tx);
    /// let mut batch = Vec::with_capacity(4);
    /// assert_eq!(block_on(rx.recv_many(&mut batch, 4)), 4);
    /// assert_eq!(block_on(rx.recv_many(&mut batch, 4)), 1);
    /// assert_eq!(block_on(rx.recv_many(&mut batch, 4)), 0, "disconnected and drained");
    /// assert_eq!(batch.iter().map(|m| m.n).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    /// ```
    pub fn recv_many<'r>(
        &'r mut self,
        buffer: &'r mut Vec<N::Handle>,
        limit: usize,
    ) -> RecvManyFuture<'r, N, B> {
        RecvManyFuture {
            receiver: self,
            buffer,
            limit,
        }
    }

    /// Polls for up to `limit` nodes, appending them to `buffer`: `Ready(n)` with `n >= 1`
    /// appended, `Ready(0)` when `limit` is 0 or at the end (as [`poll_recv`](Receiver::poll_recv)
    /// returns `None`), `Pending` otherwise.
    ///
    /// # Examples
    ///
    /// ```
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
    /// let mut batch = Vec::new();
    /// assert!(rx.poll_recv_many(&mut cx, &mut batch, 8).is_pending());
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// assert_eq!(rx.poll_recv_many(&mut cx, &mut batch, 8), Poll::Ready(2));
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<N::Handle>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        if let Some(handle) = self.stash.take() {
            buffer.push(handle);
            return Poll::Ready(self.take_more(buffer, 0, limit - 1) + 1);
        }
        let received = self.received;
        let step = self
            .consumer
            .poll_node(cx.waker(), |shared| shared.0.finished(received));
        match Consumer::<SharedRef<N, B>>::poll_step(step, cx) {
            Poll::Ready(Some(first)) => {
                buffer.push(first);
                Poll::Ready(self.take_more(buffer, 1, limit - 1) + 1)
            }
            Poll::Ready(None) => {
                self.terminated = true;
                Poll::Ready(0)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Receives up to `limit` nodes into `buffer` (appending) without waiting, and says how many.
    ///
    /// # Errors
    ///
    /// As [`try_recv`](Receiver::try_recv), when it could not take a single node (and `limit` is
    /// not 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::{unbounded_channel, TryRecvError};
    /// use intrusive_mpsc::{node, Link};
    ///
    /// struct Msg {
    ///     link: Link,
    /// }
    /// node!(Msg, link, Box<Msg>);
    ///
    /// let (tx, mut rx) = unbounded_channel::<Msg>();
    /// let mut batch = Vec::new();
    /// assert_eq!(rx.try_recv_many(&mut batch, 8), Err(TryRecvError::Empty));
    /// for _ in 0..3 {
    ///     tx.send(Box::new(Msg { link: Link::new() })).unwrap();
    /// }
    /// assert_eq!(rx.try_recv_many(&mut batch, 2), Ok(2));
    /// assert_eq!(rx.try_recv_many(&mut batch, 2), Ok(1));
    /// assert_eq!(batch.len(), 3);
    /// ```
    pub fn try_recv_many(
        &mut self,
        buffer: &mut Vec<N::Handle>,
        limit: usize,
    ) -> Result<usize, TryRecvError> {
        if limit == 0 {
            return Ok(0);
        }
        buffer.push(self.try_recv()?);
        Ok(self.take_more(buffer, 0, limit - 1) + 1)
    }

    /// Appends up to `limit` more nodes that are there now, and accounts for them in one go,
    /// together with `taken` nodes taken before and not accounted for yet (the one that
    /// `poll_recv_many` waited for): every node taken must be counted, or the receiver never
    /// sees that it has taken everything a closed channel will get.
    fn take_more(&mut self, buffer: &mut Vec<N::Handle>, mut taken: usize, limit: usize) -> usize {
        let before = taken;
        let limit = limit + taken;
        while taken < limit {
            match self.consumer.try_dequeue() {
                Ok(handle) => {
                    buffer.push(handle);
                    taken += 1;
                }
                // Empty, or a sender mid-way: what we have is the batch.
                Err(_) => break,
            }
        }
        if taken != 0 {
            self.handed_over(taken);
        }
        taken - before
    }
}
