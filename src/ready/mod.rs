//! [`ReadySet`]: many queues served by one worker that never scans: a queue schedules itself
//! when a node arrives while it is idle. The protocol is documented on [`ReadySet`].

use core::fmt;
use core::future::Future;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use core::task::{Context, Poll};

use crate::sync::const_fn;
use crate::{
    Bounded, Capacity, Compact, Consumer, Drain, Layout, NoWait, Node, Queue, TryDequeueError,
    Unbounded, Wait,
};

#[cfg(feature = "alloc")]
mod dynamic;
mod fixed;
mod guard;
mod member;
mod set;
mod slot;
mod static_set;
mod worker;

#[cfg(feature = "alloc")]
pub use dynamic::{DynamicSet, HeldDrain, HeldMember, MemberHandle, Next, NextFuture, SetWorker};
pub use fixed::FixedSet;
use fixed::{sealed, sealed::Sealed as _, ReadyList};
pub use guard::{Ready, ReadyDrain};
pub use member::Member;
use member::{Entry, Slot, DEFERRED, HELD, NOTIFIED};
pub use set::ReadySet;
pub use static_set::{StaticReady, StaticReadySet, StaticWorker};
pub use worker::Worker;
