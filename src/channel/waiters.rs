//! The channel's wait lists: the senders of a bounded channel waiting for room, and the tasks in
//! [`Sender::closed`] waiting for the receiver to go.

use super::*;

/// A list of waiting tasks and threads, with the count of those on it, so that a notifier with
/// nobody to wake pays a fence and a load, not the list's lock.
///
/// A waiter joins the list ([`listen`](Waiters::listen): registers a listener, counts itself,
/// then a `SeqCst` fence) and only then looks at its condition again; a notifier changes the
/// condition, then issues a `SeqCst` fence and reads the count. Of the two fences, one comes
/// first in their total order: if the waiter's, the notifier sees the count and notifies (and
/// the listener is in the list by then, being registered before the count went up); if the
/// notifier's, the waiter's second look sees the change. Either way no waiter sleeps through a
/// change it waits for.
pub struct Waiters {
    event: Event,
    /// Waiters counted in, from their first `listen` until they leave.
    count: AtomicUsize,
}

impl Waiters {
    pub(super) fn new() -> Self {
        Waiters {
            event: Event::new(),
            count: AtomicUsize::new(0),
        }
    }

    /// Registers a listener, counting the caller in the first time (`counted` remembers); the
    /// caller must look at its condition again before it waits on the listener.
    #[cold]
    pub(super) fn listen(&self, counted: &mut bool) -> EventListener {
        let listener = self.event.listen();
        if !*counted {
            // Relaxed: ordered before notifiers' loads by the fence below.
            self.count.fetch_add(1, Relaxed);
            *counted = true;
        }
        // SeqCst: pairs with the notifier's fence in `notify` (see the type's docs).
        fence(SeqCst);
        listener
    }

    /// Counts a waiter out, for good.
    pub(super) fn leave(&self) {
        // Relaxed: a stale count only costs a notifier a look at the list.
        self.count.fetch_sub(1, Relaxed);
    }

    /// After a change that may end waits: delivers `notification` if anybody waits.
    #[inline]
    pub(super) fn notify(&self, notification: impl IntoNotification<Tag = ()>) {
        // SeqCst: pairs with the waiter's fence in `listen`.
        fence(SeqCst);
        // Relaxed: ordered by the fences.
        if self.count.load(Relaxed) != 0 {
            self.notify_listeners(notification);
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn notify_listeners(&self, notification: impl IntoNotification<Tag = ()>) {
        // Relaxed: without the list's own fence; ours in `notify` came first.
        self.event.notify(notification.relaxed());
    }
}

/// The bounded channel's senders waiting for room.
///
/// # No sender sleeps while it could send
///
/// A sender waits only after a refused attempt made after it joined the list. Each way an
/// attempt can turn from refused to accepted notifies, after the change, at least as many
/// listeners as it made room for: the receiver's hand-over of `n` nodes notifies `n` more
/// ([`made`](Waiters::made)), a claim that counted itself and took itself back, which may have made
/// a concurrent claim fail spuriously, notifies one more ([`undone`](Waiters::undone)), and a close
/// notifies all. A claim refused without counting itself changed nothing and notifies nobody,
/// so senders of a full channel do not wake each other in a circle. Notifications are
/// *additional*: a listener already notified but not yet running does not absorb the next one,
/// so two slots freed in a row wake two senders. A notified listener that is dropped unused (a
/// cancelled `send(..).await`) passes its notification on (`event-listener` does that).
impl Waiters {
    /// The receiver handed `n` nodes over, making room for `n`.
    #[inline]
    pub(super) fn made(&self, n: usize) {
        self.notify(n.additional());
    }

    /// A refused claim took itself back (see [`Claim::Undone`]).
    #[inline]
    pub(super) fn undone(&self) {
        self.notify(1.additional());
    }

    /// The channel closed: every waiting sender must look.
    pub(super) fn close(&self) {
        self.notify(usize::MAX);
    }
}
