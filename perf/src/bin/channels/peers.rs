//! Every channel compared, each driven through its own natural API for the mode: a blocking
//! side (threads) and, where the channel has one, an async side (tasks).

use std::future::Future;

use intrusive_mpsc::channel as ours;
use intrusive_mpsc::{node, Bounded, Link};

/// The message every channel moves: a box of 72 bytes, our link and a 64-byte payload. The
/// peers move the same box and never touch the link.
pub struct Msg {
    /// Our link.
    link: Link,
    /// The payload: the producer writes the first word before sending, the receiver reads it.
    pub payload: [u64; 8],
}

node!(Msg, link, Box<Msg>);

impl Msg {
    /// A fresh message.
    pub fn boxed() -> Box<Msg> {
        Box::new(Msg {
            link: Link::new(),
            payload: [0; 8],
        })
    }
}

/// A channel: how to make one, unbounded (`None`) or bounded at a capacity.
pub trait Chan: 'static {
    /// The sending end each producer clones.
    type Tx: Clone + Send + Sync + 'static;
    /// The receiving end.
    type Rx: Send + 'static;
    /// A new channel. Panics if the type has no such flavour (ours and tokio have one type per
    /// flavour).
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx);
}

/// The blocking API, for threads.
pub trait Blocking: Chan {
    /// Sends, blocking while a bounded channel is full.
    fn send(tx: &Self::Tx, m: Box<Msg>);
    /// Receives, blocking while the channel is empty.
    fn recv(rx: &mut Self::Rx) -> Box<Msg>;
}

/// The async API, for tasks.
pub trait Async: Chan {
    /// Sends, waiting while a bounded channel is full.
    fn send(tx: &Self::Tx, m: Box<Msg>) -> impl Future<Output = ()> + Send + '_;
    /// Receives, waiting while the channel is empty.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Box<Msg>> + Send + '_;
}

const GONE: &str = "the other end lives until the sample ends";

/// Checks a send's result (the peers' send errors hold the message, which is not `Debug`).
#[inline]
fn sent<E>(result: Result<(), E>) {
    assert!(result.is_ok(), "{GONE}");
}

/// This crate's unbounded channel: `send` never waits (also in tasks), `recv_blocking`,
/// `recv().await`.
pub enum Ours {}

impl Chan for Ours {
    type Tx = ours::Sender<Msg>;
    type Rx = ours::Receiver<Msg>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        assert!(cap.is_none(), "unbounded only");
        ours::unbounded_channel()
    }
}

impl Blocking for Ours {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv_blocking().expect(GONE)
    }
}

impl Async for Ours {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().await.expect(GONE)
    }
}

/// This crate's bounded channel: `send_blocking` / `send(..).await`, `recv_blocking` /
/// `recv().await`.
pub enum OursBounded {}

impl Chan for OursBounded {
    type Tx = ours::Sender<Msg, Bounded>;
    type Rx = ours::Receiver<Msg, Bounded>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        ours::bounded(cap.expect("bounded only"))
    }
}

impl Blocking for OursBounded {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send_blocking(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv_blocking().expect(GONE)
    }
}

impl Async for OursBounded {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m).await);
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().await.expect(GONE)
    }
}

/// `tokio::sync::mpsc::unbounded_channel`: `send` (never waits), `blocking_recv` on a plain
/// thread, `recv().await`.
pub enum TokioUnbounded {}

impl Chan for TokioUnbounded {
    type Tx = tokio::sync::mpsc::UnboundedSender<Box<Msg>>;
    type Rx = tokio::sync::mpsc::UnboundedReceiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        assert!(cap.is_none(), "unbounded only");
        tokio::sync::mpsc::unbounded_channel()
    }
}

impl Blocking for TokioUnbounded {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.blocking_recv().expect(GONE)
    }
}

impl Async for TokioUnbounded {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().await.expect(GONE)
    }
}

/// `tokio::sync::mpsc::channel`: `blocking_send` / `blocking_recv` on plain threads,
/// `send().await` / `recv().await`.
pub enum TokioBounded {}

impl Chan for TokioBounded {
    type Tx = tokio::sync::mpsc::Sender<Box<Msg>>;
    type Rx = tokio::sync::mpsc::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(cap.expect("bounded only"))
    }
}

impl Blocking for TokioBounded {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.blocking_send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.blocking_recv().expect(GONE)
    }
}

impl Async for TokioBounded {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m).await);
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().await.expect(GONE)
    }
}

/// `flume`: `send` / `recv` on threads, `send_async` / `recv_async` in tasks.
pub enum Flume {}

impl Chan for Flume {
    type Tx = flume::Sender<Box<Msg>>;
    type Rx = flume::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        match cap {
            None => flume::unbounded(),
            Some(cap) => flume::bounded(cap),
        }
    }
}

impl Blocking for Flume {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().expect(GONE)
    }
}

impl Async for Flume {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send_async(m).await);
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv_async().await.expect(GONE)
    }
}

/// `async-channel`: `send_blocking` / `recv_blocking` on threads, `send().await` /
/// `recv().await` in tasks.
pub enum AsyncChannel {}

impl Chan for AsyncChannel {
    type Tx = async_channel::Sender<Box<Msg>>;
    type Rx = async_channel::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        match cap {
            None => async_channel::unbounded(),
            Some(cap) => async_channel::bounded(cap),
        }
    }
}

impl Blocking for AsyncChannel {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send_blocking(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv_blocking().expect(GONE)
    }
}

impl Async for AsyncChannel {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m).await);
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().await.expect(GONE)
    }
}

/// `kanal::bounded` / `kanal::unbounded`: its blocking `send` / `recv`.
pub enum Kanal {}

impl Chan for Kanal {
    type Tx = kanal::Sender<Box<Msg>>;
    type Rx = kanal::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        match cap {
            None => kanal::unbounded(),
            Some(cap) => kanal::bounded(cap),
        }
    }
}

impl Blocking for Kanal {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().expect(GONE)
    }
}

/// `kanal::bounded_async` / `kanal::unbounded_async`: `send().await` / `recv().await`.
pub enum KanalAsync {}

impl Chan for KanalAsync {
    type Tx = kanal::AsyncSender<Box<Msg>>;
    type Rx = kanal::AsyncReceiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        match cap {
            None => kanal::unbounded_async(),
            Some(cap) => kanal::bounded_async(cap),
        }
    }
}

impl Async for KanalAsync {
    async fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m).await);
    }
    async fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().await.expect(GONE)
    }
}

/// `crossbeam_channel::unbounded` / `bounded`: blocking only.
pub enum Crossbeam {}

impl Chan for Crossbeam {
    type Tx = crossbeam_channel::Sender<Box<Msg>>;
    type Rx = crossbeam_channel::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        match cap {
            None => crossbeam_channel::unbounded(),
            Some(cap) => crossbeam_channel::bounded(cap),
        }
    }
}

impl Blocking for Crossbeam {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().expect(GONE)
    }
}

/// `std::sync::mpsc::channel`: blocking only, unbounded.
pub enum StdMpsc {}

impl Chan for StdMpsc {
    type Tx = std::sync::mpsc::Sender<Box<Msg>>;
    type Rx = std::sync::mpsc::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        assert!(cap.is_none(), "unbounded only");
        std::sync::mpsc::channel()
    }
}

impl Blocking for StdMpsc {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().expect(GONE)
    }
}

/// `std::sync::mpsc::sync_channel`: blocking only, bounded.
pub enum StdSync {}

impl Chan for StdSync {
    type Tx = std::sync::mpsc::SyncSender<Box<Msg>>;
    type Rx = std::sync::mpsc::Receiver<Box<Msg>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        std::sync::mpsc::sync_channel(cap.expect("bounded only"))
    }
}

impl Blocking for StdSync {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        sent(tx.send(m));
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.recv().expect(GONE)
    }
}
