//! [`Waiters`]: a list of waiting tasks and threads, for the fronts that put waiters of their own
//! to sleep: the channel's senders waiting for room and its tasks waiting for the receiver to go,
//! and the dynamic ready
//! set's sleeping workers. (A queue's own consumer waits in its waker cell, [`super::waker`].)
//!
//! The list is built for what users' wakers may do: a waker is the user's code, and may panic or
//! re-enter the front (poll or drop a future inline). So no waker is ever woken, cloned or
//! dropped while the list's lock is held: the notifier takes the wakers out under the lock and
//! wakes them after releasing it, and a waker that panics does not keep the others from being
//! woken.
//!
//! The fronts give the notifications their meaning: for the channel, `n` notified is room for `n`
//! senders; for the dynamic ready set, one more worker to look at the ready list.

#[cfg(not(any(feature = "std", loom, shuttle)))]
use core::sync::atomic::Ordering::{Acquire, Release};
use core::sync::atomic::Ordering::{Relaxed, SeqCst};
use core::task::Waker;

use alloc::vec::Vec;

#[cfg(any(feature = "std", loom, shuttle))]
use crate::sync::Mutex;
use crate::sync::{fence, AtomicUsize};
#[cfg(not(any(feature = "std", loom, shuttle)))]
use crate::sync::{AtomicBool, Backoff, UnsafeCell};

/// No entry: the end of the order, or of the free list.
const NONE: usize = usize::MAX;

/// A waiter's place in a [`Waiters`] list, from [`listen`](Waiters::listen) until
/// [`leave`](Waiters::leave). Only its owner uses it, once it is gone no one does.
#[derive(Debug)]
pub(crate) struct Key(usize);

/// A list of waiting tasks and threads, in the order they began to wait, with the count of those
/// armed on it (waiting for a notification), so that a notifier with nobody to wake pays a fence
/// and a load, not the list's lock: neither while nobody waits, nor while every waiter was
/// notified already and has not looked yet.
///
/// A waiter arms its entry ([`listen`](Waiters::listen), or [`poll`](Waiters::poll) after a
/// notification: under the lock, with the count of armed entries, then a `SeqCst` fence) and
/// only then looks at its condition again; a notifier changes the condition, then issues a
/// `SeqCst` fence and reads the count. Of the two fences, one comes first in their total order:
/// if the waiter's, the notifier reads the waiter's increment or a later value of the count; the
/// count changes only under the lock, where it is exact, so that value is not 0 while the entry
/// is armed, and the notifier takes the lock, after the waiter's arming, and finds the entry
/// armed (or notified by someone else since). If the notifier's fence comes first, the waiter's
/// look sees the change. Either way no waiter sleeps through a change it waits for.
pub(crate) struct Waiters {
    /// Entries armed: waiting for a notification (changed only under the lock).
    armed: AtomicUsize,
    /// Entries of blocked threads notified that have not looked since: not re-armed by
    /// [`poll`](Waiters::poll), not gone by [`leave`](Waiters::leave) (changed only under the
    /// lock). See [`notify_unless_woken`](Waiters::notify_unless_woken).
    woken: AtomicUsize,
    list: Lock<List>,
}

/// A waiter's entry.
struct Entry {
    /// The waker to wake, while the entry is armed; the notifier takes it.
    waker: Option<Waker>,
    /// Notified since it last armed: skipped by notifications until it re-arms.
    notified: bool,
    /// A blocked thread, which cannot be forgotten: see [`notify`](Waiters::notify).
    blocked_thread: bool,
    prev: usize,
    next: usize,
}

enum Slot {
    Used(Entry),
    /// Free, with the next free slot.
    Free(usize),
}

/// The entries, in a slab (a waiter allocates only when the slab grows), linked in the order they
/// joined.
struct List {
    slots: Vec<Slot>,
    free: usize,
    head: usize,
    tail: usize,
    /// Wakers taken out by the last notification, kept so that the next one needs no
    /// allocation.
    spare: Vec<Waker>,
}

impl List {
    fn entry(&mut self, key: &Key) -> &mut Entry {
        match &mut self.slots[key.0] {
            Slot::Used(entry) => entry,
            Slot::Free(_) => unreachable!("a key outlived its entry"),
        }
    }
}

/// Which waiting entries a notification wakes.
#[derive(Clone, Copy)]
enum Wake {
    /// Every armed entry.
    All,
    /// Armed entries in order, up to and including the `n`th entry of a blocked thread (all of
    /// them if there are fewer).
    Some(usize),
}

impl Waiters {
    /// An empty list.
    pub(crate) fn new() -> Self {
        Waiters {
            armed: AtomicUsize::new(0),
            woken: AtomicUsize::new(0),
            list: Lock::new(List {
                slots: Vec::new(),
                free: NONE,
                head: NONE,
                tail: NONE,
                spare: Vec::new(),
            }),
        }
    }

    /// Joins the list, at its end, with `waker` (`blocked_thread`: the waker unparks a blocked
    /// thread, see [`notify`](Waiters::notify)). The caller must look at its condition again
    /// before it waits, and [`leave`](Waiters::leave) with the key.
    #[cold]
    pub(crate) fn listen(&self, waker: &Waker, blocked_thread: bool) -> Key {
        // The clone is the user's code: outside the lock.
        let waker = waker.clone();
        let key = self.list.with(|list| {
            let entry = Entry {
                waker: Some(waker),
                notified: false,
                blocked_thread,
                prev: list.tail,
                next: NONE,
            };
            let key = if list.free == NONE {
                list.slots.push(Slot::Used(entry));
                list.slots.len() - 1
            } else {
                let key = list.free;
                let Slot::Free(next) = list.slots[key] else {
                    unreachable!("the free list holds free slots");
                };
                list.free = next;
                list.slots[key] = Slot::Used(entry);
                key
            };
            match list.tail {
                NONE => list.head = key,
                tail => list.entry(&Key(tail)).next = key,
            }
            list.tail = key;
            // Relaxed: under the lock, which orders every change of the count; ordered before
            // notifiers' loads by the fence below.
            self.armed.fetch_add(1, Relaxed);
            Key(key)
        });
        // SeqCst: pairs with the notifier's fence in `notify_with` (see the type's docs).
        fence(SeqCst);
        key
    }

    /// Takes the entry's notification, if it got one since it last armed, and says whether it
    /// did; the entry is armed again either way (keeping its place), with `waker`. A waiter
    /// calls it before each look at its condition after the first, so that a look that succeeds
    /// used the notification (a notification that comes later is one it did not use, which
    /// [`leave`](Waiters::leave) passes on), and a look that fails leaves it waiting, armed.
    #[cold]
    pub(crate) fn poll(&self, key: &Key, waker: &Waker) -> bool {
        let mut new = Some(waker.clone());
        let (notified, old) = self.list.with(|list| {
            let entry = list.entry(key);
            let notified = core::mem::take(&mut entry.notified);
            if notified {
                // Relaxed: as in `listen`.
                self.armed.fetch_add(1, Relaxed);
                if entry.blocked_thread {
                    // Relaxed: under the lock, as the count of armed entries; ordered before
                    // our look by the fence below (see `notify_unless_woken`).
                    self.woken.fetch_sub(1, Relaxed);
                }
            }
            let old = match &entry.waker {
                Some(old) if old.will_wake(waker) => None,
                _ => core::mem::replace(&mut entry.waker, new.take()),
            };
            (notified, old)
        });
        if notified {
            // SeqCst: armed again, before the look: pairs with the notifier's fence, as in
            // `listen`.
            fence(SeqCst);
        }
        // The user's code again, outside the lock.
        drop(old);
        drop(new);
        notified
    }

    /// Leaves the list for good. A notification the entry got and did not use (it was notified
    /// and has not looked since) is passed on, as a notification for one, so that a waiter that
    /// gives up never keeps what it was notified of (room, a ready member) from the next.
    pub(crate) fn leave(&self, key: Key) {
        let entry = self.list.with(|list| {
            let Slot::Used(entry) =
                core::mem::replace(&mut list.slots[key.0], Slot::Free(list.free))
            else {
                unreachable!("a key outlived its entry");
            };
            list.free = key.0;
            match entry.prev {
                NONE => list.head = entry.next,
                prev => list.entry(&Key(prev)).next = entry.next,
            }
            match entry.next {
                NONE => list.tail = entry.prev,
                next => list.entry(&Key(next)).prev = entry.prev,
            }
            if !entry.notified {
                // Relaxed: under the lock, as in `listen`.
                self.armed.fetch_sub(1, Relaxed);
            } else if entry.blocked_thread {
                // Relaxed: under the lock, as in `poll`; the notification goes on below, under
                // the lock again (see `notify_unless_woken`).
                self.woken.fetch_sub(1, Relaxed);
            }
            entry
        });
        let unused = entry.notified;
        // Its waker, if still there, is the user's code: dropped outside the lock.
        drop(entry);
        if unused {
            self.wake_with(Wake::Some(1)).resume();
        }
    }

    /// After a change that may end waits: wakes the entries `which` names, if anybody waits.
    #[inline]
    fn notify_with(&self, which: Wake) {
        // SeqCst: pairs with the waiter's fence in `listen`.
        fence(SeqCst);
        // Relaxed: ordered by the fences.
        if self.armed.load(Relaxed) != 0 {
            self.wake_with(which).resume();
        }
    }

    /// Takes the wakers of the entries `which` names out under the lock, marking the entries
    /// notified, then wakes them outside it. If wakers panic, the others are still woken, and
    /// the first panic is returned (with `std`; without it, the others are woken while the
    /// panic unwinds, and a second panic aborts, as any panic during unwinding does).
    #[cold]
    #[inline(never)]
    fn wake_with(&self, which: Wake) -> Unwound {
        let mut wakers = self.list.with(|list| {
            let mut wakers = core::mem::take(&mut list.spare);
            let mut threads_left = match which {
                Wake::All => usize::MAX,
                Wake::Some(n) => n,
            };
            let mut at = list.head;
            while at != NONE && threads_left != 0 {
                let entry = list.entry(&Key(at));
                at = entry.next;
                // Notified and not looked since: it will look (or pass the notification on).
                if entry.notified {
                    continue;
                }
                entry.notified = true;
                // Relaxed: under the lock, as in `listen`.
                self.armed.fetch_sub(1, Relaxed);
                if entry.blocked_thread {
                    threads_left -= 1;
                    // Relaxed: under the lock, as in `listen`; read by `notify_unless_woken`
                    // after its fence.
                    self.woken.fetch_add(1, Relaxed);
                }
                if let Some(waker) = entry.waker.take() {
                    // May allocate, rarely: the spare keeps its capacity.
                    wakers.push(waker);
                }
            }
            wakers
        });
        /// Wakes the rest if one of them unwinds.
        struct WakeRest<'a>(&'a mut Vec<Waker>, Unwound);
        impl Drop for WakeRest<'_> {
            fn drop(&mut self) {
                while let Some(waker) = self.0.pop() {
                    self.1.wake(waker);
                }
            }
        }
        // In the order of the list.
        wakers.reverse();
        let mut rest = WakeRest(&mut wakers, Unwound::default());
        while let Some(waker) = rest.0.pop() {
            rest.1.wake(waker);
        }
        let unwound = core::mem::take(&mut rest.1);
        core::mem::forget(rest);
        self.list.with(|list| {
            if list.spare.capacity() < wakers.capacity() {
                list.spare = wakers;
            }
        });
        unwound
    }
}

/// A panic caught while waking wakers, to go on once every waker was woken. Without `std` no
/// panic can be caught, and this is always empty.
#[derive(Default)]
pub(crate) struct Unwound {
    #[cfg(feature = "std")]
    panic: Option<alloc::boxed::Box<dyn core::any::Any + Send>>,
}

impl Unwound {
    /// Wakes `waker`, keeping its panic if it is the first.
    #[inline]
    fn wake(&mut self, waker: Waker) {
        #[cfg(feature = "std")]
        if let Err(panic) = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| waker.wake()))
        {
            self.panic.get_or_insert(panic);
        }
        #[cfg(not(feature = "std"))]
        waker.wake();
    }

    /// The first of the two panics, if any.
    pub(crate) fn or(self, other: Unwound) -> Unwound {
        #[cfg(feature = "std")]
        return Unwound {
            panic: self.panic.or(other.panic),
        };
        #[cfg(not(feature = "std"))]
        {
            let _ = other;
            self
        }
    }

    /// Goes on with the panic, if one was caught.
    pub(crate) fn resume(self) {
        #[cfg(feature = "std")]
        if let Some(panic) = self.panic {
            std::panic::resume_unwind(panic);
        }
    }
}

/// # Blocking a thread
#[cfg(feature = "std")]
impl Waiters {
    /// Calls `attempt` until it returns `Some`, parking the thread on the list between refused
    /// attempts (`attempt` returns `None` when it must wait), and calling `before_park` each time
    /// before it parks. `None` if `deadline` passes first.
    ///
    /// The thread joins as a blocked thread: it cannot be forgotten, so a notification for `n`
    /// that reaches it counts it (see [`notify`](Waiters::notify)).
    pub(crate) fn block_until<T>(
        &self,
        deadline: Option<std::time::Instant>,
        mut attempt: impl FnMut() -> Option<T>,
        mut before_park: impl FnMut(),
    ) -> Option<T> {
        /// Leaves the list however the wait ends.
        struct Place<'w>(&'w Waiters, Option<Key>);
        impl Drop for Place<'_> {
            fn drop(&mut self) {
                if let Some(key) = self.1.take() {
                    self.0.leave(key);
                }
            }
        }
        if let Some(done) = attempt() {
            return Some(done);
        }
        let (_, waker) = crate::sync::thread::current_waker();
        // Join, then look again before parking.
        let place = Place(self, Some(self.listen(&waker, true)));
        let key = place.1.as_ref().expect("just joined");
        loop {
            if let Some(done) = attempt() {
                return Some(done);
            }
            // Park until notified; the notification is taken (and the entry re-armed) before
            // the next look, so a look that succeeds used it.
            while !self.poll(key, &waker) {
                if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
                    return None;
                }
                before_park();
                match deadline {
                    None => crate::sync::thread::park(),
                    Some(deadline) => crate::sync::thread::park_timeout(
                        deadline.saturating_duration_since(std::time::Instant::now()),
                    ),
                }
            }
        }
    }
}

/// # Notifications
///
/// A waiter waits only after a look at its condition that failed after it joined the list (or
/// re-armed its entry); each change that can make such a look succeed must notify, after the
/// change. Notifications skip entries already notified and not yet re-armed, so two changes in a
/// row wake two waiters; an entry that leaves with a notification it did not use passes it on.
///
/// # A forgotten waiter keeps no notification
///
/// An async waiter whose future was forgotten (`mem::forget`) after it joined stays in the list
/// for good and never looks again: a notification meant for it alone would be lost. Nothing
/// tells such an entry from one whose task is merely slow, so a notification for `n` wakes, in
/// order, every armed entry up to and including the `n`th one of a blocked thread (a blocked
/// thread cannot be forgotten): with async waiters alone, every one of them. A forgotten entry is
/// notified once and skipped from then on, so it costs nothing after its first notification. The
/// price is paid while async waiters wait: a notification wakes each of them, and each that
/// finds its condition taken by another re-arms its entry in place (one lock, no allocation) and
/// waits again. A notification wakes only entries that looked since they were last woken, so
/// while the woken waiters have not run yet, further notifications wake nobody more.
impl Waiters {
    /// After a change that lets `n` waiters go on (room for `n` senders, one more ready member):
    /// wakes armed entries in order, up to and including the `n`th blocked thread, if anybody
    /// waits. With nobody armed it costs a fence and a load.
    #[inline]
    pub(crate) fn notify(&self, n: usize) {
        self.notify_with(Wake::Some(n));
    }

    /// After a change that any one waiter can take care of, handing on what it leaves (a ready
    /// member, for the dynamic set's workers): wakes one as [`notify(1)`](Waiters::notify) does,
    /// unless a blocked thread was notified and has not looked since. With nobody armed, or such
    /// a thread on its way, it costs a fence and a load or two.
    ///
    /// Skipping is sound because that thread's look comes after this change and sees it. The
    /// count of woken threads changes only under the lock: a thread that takes its notification
    /// ([`poll`](Waiters::poll)) decrements it there, then issues a `SeqCst` fence and looks; one
    /// that leaves with it decrements it there and passes the notification on, under the lock
    /// again, to an armed entry, whose [`poll`](Waiters::poll) is a later turn of the lock still.
    /// We issue a `SeqCst` fence after the change, then read the count: if it is not 0, the
    /// decrement that ends the notification we read comes after our read in the count's
    /// modification order, so every fence that happens after that decrement (the thread's own,
    /// the next entry's after its `poll`, or the `listen` of anyone who arms later) follows ours
    /// in the fences' total order, and the look after it sees our change. A thread is counted
    /// and not a task: a task's future can be forgotten, and its notification with it, which
    /// would hold back every later one; a blocked thread always looks once it is woken.
    ///
    /// The price: what the change brought may wait for the woken thread's look and its hand-on,
    /// one wake-up after another, instead of waking a second sleeper at once.
    #[inline]
    pub(crate) fn notify_unless_woken(&self) {
        // SeqCst: pairs with the fence a woken thread issues after `poll` (and, for the count of
        // armed entries, with the waiter's fence in `listen`), as in `notify_with`.
        fence(SeqCst);
        // Relaxed: ordered by the fences (see above). The count of armed entries first: 0 is the
        // common case while the workers are busy, and then one load is enough.
        if self.armed.load(Relaxed) != 0 && self.woken.load(Relaxed) == 0 {
            self.wake_with(Wake::Some(1)).resume();
        }
    }

    /// Whether anybody may wait: the fence and the load of [`notify`](Waiters::notify), without
    /// the notification, for a caller that must prepare for the wakers' code first.
    #[inline]
    pub(crate) fn anybody_waits(&self) -> bool {
        // SeqCst: pairs with the waiter's fence in `listen`, as in `notify_with`.
        fence(SeqCst);
        // Relaxed: ordered by the fences.
        self.armed.load(Relaxed) != 0
    }

    /// The rest of [`notify`](Waiters::notify), once [`anybody_waits`](Waiters::anybody_waits)
    /// said yes.
    #[cold]
    pub(crate) fn wake(&self, n: usize) {
        self.wake_with(Wake::Some(n)).resume();
    }

    /// A change every waiter must look at (the channel or the set closed): wakes every armed
    /// entry. A panic of a waker is returned, to go on after the front's other lists were woken
    /// too.
    pub(crate) fn notify_all(&self) -> Unwound {
        // SeqCst: as in `notify_with`.
        fence(SeqCst);
        // Relaxed: as in `notify_with`.
        if self.armed.load(Relaxed) != 0 {
            self.wake_with(Wake::All)
        } else {
            Unwound::default()
        }
    }
}

/// A lock for the list: held for list operations only, never while a user's code runs.
///
/// - With `std`, the standard library's mutex: a waiter whose holder was preempted sleeps
///   instead of spinning.
/// - Under loom and shuttle, their own mutex, which they model: a thread that finds it held is
///   blocked until it is released, so a model explores one step per hand-over of the lock
///   instead of one per turn of a spin loop. (With a spin lock, loom's scheduler lets two
///   spinning threads yield to each other before it runs a holder that yielded more often in
///   the past: a model with three threads on one list ran out of loom's branch budget.)
/// - Without `std`, a spin lock whose waiters back off.
#[cfg(any(feature = "std", loom, shuttle))]
struct Lock<T>(Mutex<T>);

#[cfg(any(feature = "std", loom, shuttle))]
impl<T> Lock<T> {
    fn new(value: T) -> Self {
        Lock(Mutex::new(value))
    }

    /// Runs `f` with the value, holding the lock.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // Nothing under the lock panics (no user code runs there), so it is never poisoned; if
        // it were, the list would still be consistent between our steps.
        let mut value = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut value)
    }
}

/// The spin lock, without `std` (and outside the model checkers).
#[cfg(not(any(feature = "std", loom, shuttle)))]
struct Lock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached by the thread that holds the lock (see `with`), one at a
// time; it is moved between threads with it, so `T: Send` is what it needs.
#[cfg(not(any(feature = "std", loom, shuttle)))]
unsafe impl<T: Send> Sync for Lock<T> {}
// SAFETY: as above; the lock owns its value.
#[cfg(not(any(feature = "std", loom, shuttle)))]
unsafe impl<T: Send> Send for Lock<T> {}

#[cfg(not(any(feature = "std", loom, shuttle)))]
impl<T> Lock<T> {
    fn new(value: T) -> Self {
        Lock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` with the value, holding the lock. `f` must not panic (no user code).
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let backoff = Backoff::default();
        // Acquire: pairs with the Release that unlocked, so the previous holder's writes to the
        // value happen-before ours.
        while self
            .locked
            .compare_exchange_weak(false, true, Acquire, Relaxed)
            .is_err()
        {
            backoff.snooze();
        }
        /// Unlocks even if `f` unwinds (it does not, but a bug must not turn into a deadlock).
        struct Unlock<'a>(&'a AtomicBool);
        impl Drop for Unlock<'_> {
            fn drop(&mut self) {
                // Release: publishes our writes to the value to the next holder.
                self.0.store(false, Release);
            }
        }
        let _unlock = Unlock(&self.locked);
        self.value.with_mut(|value| {
            // SAFETY: we hold the lock, so no other reference to the value exists until we
            // release it, after `f` returns.
            f(unsafe { &mut *value })
        })
    }
}
