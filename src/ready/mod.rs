//! [`ReadySet`]: many queues served by one worker that never scans: a queue schedules itself
//! when a node arrives while it is idle. The protocol is documented on [`ReadySet`].

use core::fmt;
use core::future::Future;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use core::task::{Context, Poll, Waker};

use crate::queue::sleep::Step;

use crate::sync::{const_fn, AtomicBool, AtomicUsize};
use crate::{
    Bounded, Capacity, Compact, Consumer, Drain, Layout, NoWait, Node, Queue, TryDequeueError,
    Unbounded, Wait,
};

#[cfg(feature = "alloc")]
mod dynamic;
mod fixed;
mod guard;
mod member;
mod next;
mod set;
mod slot;
mod static_set;
mod worker;

#[cfg(feature = "alloc")]
pub use dynamic::{DynamicSet, HeldDrain, HeldMember, MemberHandle, NextFuture, SetWorker};
pub use fixed::FixedSet;
use fixed::{sealed, sealed::Sealed as _, ReadyList, Signals};
pub use guard::{Ready, ReadyDrain};
pub use member::Member;
use member::{Entry, Slot, DEFERRED, HELD, NOTIFIED};
pub use next::Next;
pub use set::ReadySet;
pub use static_set::{StaticReady, StaticReadySet, StaticWorker};
pub use worker::Worker;
