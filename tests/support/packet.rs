//! The packet of the ready-set tests and models (WireGuard's transmit path): a node that another
//! thread, the "encryption", finishes after it is queued; the worker may send it only once it is
//! marked ready. Under loom its flag is a loom atomic, so the models see the hand-off.

use intrusive_mpsc::{node, Link};

#[cfg(loom)]
use loom::sync::{atomic::AtomicBool, Arc};
use std::sync::atomic::Ordering::{Acquire, Release};
#[cfg(not(loom))]
use std::sync::{atomic::AtomicBool, Arc};

/// A packet: which producer queued it, its sequence number there, and the flag the encryption
/// sets once the packet may be sent.
pub struct Packet {
    pub link: Link,
    pub producer: usize,
    pub seq: usize,
    pub ready: Arc<AtomicBool>,
}
node!(Packet, link, Box<Packet>);

impl Packet {
    /// Packet `seq` of `producer`, with the ready flag `ready` (moved in, not cloned).
    pub fn new(producer: usize, seq: usize, ready: Arc<AtomicBool>) -> Box<Packet> {
        Box::new(Packet {
            link: Link::new(),
            producer,
            seq,
            ready,
        })
    }
}

/// Packet `seq` of `producer`, sharing the ready flag `ready`.
pub fn packet(producer: usize, seq: usize, ready: &Arc<AtomicBool>) -> Box<Packet> {
    Packet::new(producer, seq, Arc::clone(ready))
}

/// A ready flag, set or not.
pub fn flag(ready: bool) -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(ready))
}

/// Whether the packet's encryption has finished.
pub fn is_ready(packet: &Packet) -> bool {
    // Acquire: pairs with the Release in `mark_ready`, so a packet seen ready is seen finished.
    packet.ready.load(Acquire)
}

/// Marks a packet ready (the encryption's last step, before it notifies the packet's queue).
pub fn mark_ready(ready: &AtomicBool) {
    // Release: pairs with the Acquire in `is_ready`.
    ready.store(true, Release);
}
