//! Prototypes of levers, built on the crate's public API only. Spinning (crossbeam's `Backoff`: a
//! few spins, then `yield_now`) on `try_send` / `try_recv` before falling back to the parking
//! call, as kanal (256 `yield_now`s) and crossbeam-channel (`Backoff`) do; and the bounded queue
//! alone, compact and padded, without the channel around it. They are not channels to pick: they
//! show how much of a gap parking, the channel's own work and the layout explain, and what
//! spinning costs an idle receiver.

use crossbeam_utils::Backoff;
use intrusive_mpsc::channel::{Receiver, TryRecvError, TrySendError};
use intrusive_mpsc::{Bounded, Capacity, Consumer, Layout, Queue, Wait};
use std::sync::Arc;

use crate::peers::{Blocking, Chan, Msg, Ours, OursBounded};

/// Receives with `try_recv` while the backoff lasts, then blocks in `recv_blocking`.
#[inline]
fn recv_spinning<B: Capacity>(rx: &mut Receiver<Msg, B>) -> Box<Msg> {
    let backoff = Backoff::new();
    loop {
        match rx.try_recv() {
            Ok(m) => return m,
            Err(TryRecvError::Disconnected) => panic!("the senders live until the sample ends"),
            Err(_) if backoff.is_completed() => {
                return rx
                    .recv_blocking()
                    .expect("the senders live until the sample ends")
            }
            Err(_) => backoff.snooze(),
        }
    }
}

/// [`Ours`], its receiver spinning before it parks.
pub enum OursSpin {}

impl Chan for OursSpin {
    type Tx = <Ours as Chan>::Tx;
    type Rx = <Ours as Chan>::Rx;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        Ours::new(cap)
    }
}

impl Blocking for OursSpin {
    #[inline]
    fn send(tx: &Self::Tx, m: Box<Msg>) {
        Ours::send(tx, m);
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        recv_spinning(rx)
    }
}

/// [`OursBounded`], its senders and its receiver spinning before they park.
pub enum OursBoundedSpin {}

impl Chan for OursBoundedSpin {
    type Tx = <OursBounded as Chan>::Tx;
    type Rx = <OursBounded as Chan>::Rx;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        OursBounded::new(cap)
    }
}

impl Blocking for OursBoundedSpin {
    #[inline]
    fn send(tx: &Self::Tx, mut m: Box<Msg>) {
        let backoff = Backoff::new();
        loop {
            match tx.try_send(m) {
                Ok(()) => return,
                Err(TrySendError::Closed(_)) => panic!("the receiver lives until the sample ends"),
                Err(TrySendError::Full(back)) if backoff.is_completed() => {
                    return OursBounded::send(tx, back);
                }
                Err(TrySendError::Full(back)) => {
                    m = back;
                    backoff.snooze();
                }
            }
        }
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        recv_spinning(rx)
    }
}

/// The bounded queue under the channel, without the channel: a `BoundedWaitQueue` in layout `L`
/// behind an `Arc`, senders calling `try_enqueue` and spinning (then yielding, never parking)
/// while it is full, the receiver in the queue's own `dequeue_blocking`. Against the channel's
/// rows it shows what the channel's own per-message work costs (the `state` count, the room
/// check on every dequeue); compact against padded shows what the layout costs.
pub struct QueueSpin<L>(std::marker::PhantomData<L>);

impl<L: Layout + Send + Sync + 'static> Chan for QueueSpin<L> {
    type Tx = Arc<Queue<Msg, Bounded, Wait, L>>;
    type Rx = Consumer<Arc<Queue<Msg, Bounded, Wait, L>>>;
    fn new(cap: Option<usize>) -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(Queue::with_capacity(cap.expect("bounded only")));
        let Ok(consumer) = Arc::clone(&queue).consumer_owned() else {
            unreachable!("a new queue has no consumer");
        };
        (queue, consumer)
    }
}

impl<L: Layout + Send + Sync + 'static> Blocking for QueueSpin<L> {
    #[inline]
    fn send(tx: &Self::Tx, mut m: Box<Msg>) {
        let backoff = Backoff::new();
        while let Err(back) = tx.try_enqueue(m) {
            m = back;
            backoff.snooze();
        }
    }
    #[inline]
    fn recv(rx: &mut Self::Rx) -> Box<Msg> {
        rx.dequeue_blocking()
    }
}
