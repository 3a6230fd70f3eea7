//! The channel's errors: what a send hands back, and why a receive returned no node.
//!
//! As in tokio's `sync::mpsc::error`. They are re-exported at [`channel`](mod@crate::channel) too.

use super::*;

/// The node a send could not deliver because the receiver closed the channel or is gone.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::{error::SendError, unbounded_channel};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
///     n: u8,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, rx) = unbounded_channel::<Msg>();
/// drop(rx);
/// let SendError(back) = tx.send(Box::new(Msg { link: Link::new(), n: 7 })).unwrap_err();
/// assert_eq!(back.n, 7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    /// Prints `SendError { .. }`, without requiring the node to be `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = intrusive_mpsc::channel::error::SendError(1u8);
    /// assert_eq!(format!("{error:?}"), "SendError { .. }");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    /// Says that the channel is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = intrusive_mpsc::channel::error::SendError(1u8);
    /// assert_eq!(error.to_string(), "sending on a closed channel");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> core::error::Error for SendError<T> {}

/// Why [`Sender::try_send`] handed the node back.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::error::TrySendError;
/// assert_eq!(TrySendError::Full(1u8).to_string(), "sending on a full channel");
/// assert_eq!(TrySendError::Full(1u8).into_inner(), 1);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// A bounded channel holds its capacity.
    Full(T),
    /// The receiver closed the channel or is gone.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The node that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(node) | TrySendError::Closed(node) => node,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    /// Prints `Full(..)` or `Closed(..)`, without requiring the node to be `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::error::TrySendError;
    /// assert_eq!(format!("{:?}", TrySendError::Closed(1u8)), "Closed(..)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    /// A short lower-case description.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "sending on a full channel",
            TrySendError::Closed(_) => "sending on a closed channel",
        })
    }
}

impl<T> core::error::Error for TrySendError<T> {}

/// Why [`Sender::send_timeout_blocking`] or the async [`Sender::send_timeout`] handed the node
/// back.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::error::SendTimeoutError;
/// assert_eq!(SendTimeoutError::Timeout(1u8).to_string(), "timed out waiting for room");
/// ```
///
#[cfg_attr(
    not(feature = "std"),
    doc = "[`Sender::send_timeout_blocking`]: crate#features"
)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<T> {
    /// No room came in time.
    Timeout(T),
    /// The receiver closed the channel or is gone.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The node that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(node) | SendTimeoutError::Closed(node) => node,
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    /// Prints `Timeout(..)` or `Closed(..)`, without requiring the node to be `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "Timeout(..)",
            SendTimeoutError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    /// A short lower-case description.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendTimeoutError::Timeout(_) => "timed out waiting for room",
            SendTimeoutError::Closed(_) => "sending on a closed channel",
        })
    }
}

impl<T> core::error::Error for SendTimeoutError<T> {}

/// Why [`Receiver::try_recv`] returned no node.
///
/// Unlike tokio's and `std`'s, it has three variants: this channel tells "nothing was sent"
/// ([`Empty`](TryRecvError::Empty)) from "a sender is in the middle of sending"
/// ([`Inconsistent`](TryRecvError::Inconsistent)). The queue underneath is Vyukov's: a sender
/// links its node in two steps, and between them a node sent after it can be complete yet
/// unreachable. Reporting that as `Empty` would mislead a receiver that goes to sleep on
/// `Empty`; `Inconsistent` says something is on its way, so try again soon (or wait with
/// [`recv`](Receiver::recv), which handles it). A two-arm match written for tokio does not
/// compile here; match all three:
///
/// ```
/// use intrusive_mpsc::channel::{error::TryRecvError, unbounded_channel};
/// use intrusive_mpsc::{node, Link};
///
/// struct Msg {
///     link: Link,
/// }
/// node!(Msg, link, Box<Msg>);
///
/// let (tx, mut rx) = unbounded_channel::<Msg>();
/// tx.send(Box::new(Msg { link: Link::new() })).unwrap();
/// drop(tx);
/// let mut received = 0;
/// loop {
///     match rx.try_recv() {
///         Ok(_msg) => received += 1,
///         // Nothing sent yet: do something else, or wait with `recv().await`.
///         Err(TryRecvError::Empty) => break,
///         // A sender is mid-send: its node comes in a moment.
///         Err(TryRecvError::Inconsistent) => std::hint::spin_loop(),
///         // Every sender is gone and everything was received.
///         Err(TryRecvError::Disconnected) => break,
///     }
/// }
/// assert_eq!(received, 1);
/// ```
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::error::TryRecvError;
/// assert_eq!(TryRecvError::Disconnected.to_string(), "channel is disconnected");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing to receive now, and no completed send is pending.
    Empty,
    /// A sender is in the middle of sending: something is coming.
    Inconsistent,
    /// Every sender is gone, or the channel was closed, and everything sent was received.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    /// A short lower-case description.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::error::TryRecvError;
    /// assert_eq!(TryRecvError::Empty.to_string(), "channel is empty");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "channel is empty",
            TryRecvError::Inconsistent => "channel is inconsistent: a sender is mid-send",
            TryRecvError::Disconnected => "channel is disconnected",
        })
    }
}

impl core::error::Error for TryRecvError {}

/// Why [`Receiver::recv_timeout_blocking`] or the async [`Receiver::recv_timeout`] returned no
/// node.
///
/// # Examples
///
/// ```
/// use intrusive_mpsc::channel::error::RecvTimeoutError;
/// assert_eq!(RecvTimeoutError::Timeout.to_string(), "timed out waiting on a channel");
/// ```
///
#[cfg_attr(
    not(feature = "std"),
    doc = "[`Receiver::recv_timeout_blocking`]: crate#features"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// Nothing arrived in time.
    Timeout,
    /// Every sender is gone, or the channel was closed, and everything sent was received.
    Disconnected,
}

impl fmt::Display for RecvTimeoutError {
    /// A short lower-case description.
    ///
    /// # Examples
    ///
    /// ```
    /// use intrusive_mpsc::channel::error::RecvTimeoutError;
    /// assert_eq!(RecvTimeoutError::Disconnected.to_string(), "channel is disconnected");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out waiting on a channel",
            RecvTimeoutError::Disconnected => "channel is disconnected",
        })
    }
}

impl core::error::Error for RecvTimeoutError {}
