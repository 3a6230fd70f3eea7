//! How long a blocking wait spins before it parks the thread: the budget of a consumer's (or a
//! ready-set worker's) wait for a node, adapted to how the last wait ended ([`WaitBudget`]), and
//! the spinning loop every blocking front shares ([`spin_before_parking`]). The waiting touches no
//! shared state: each attempt is the caller's own look.

/// How long a blocking wait for a node (the queue's `dequeue_blocking` and
/// `dequeue_timeout_blocking`, the channel's receives) that finds the queue empty waits before it
/// parks:
/// 2 short rounds of spinning (3 spin hints), then 2 yields of the thread, about a microsecond
/// in all. Short, because an idle consumer spends it at the end of every burst of messages; and
/// yielding early rather than spinning long, because on a loaded machine the producer often needs
/// the consumer's core to send at all (measured: 63 spin hints before the first yield made the
/// blocking ping-pong 2.7x kanal's round trip, 3 hints 1.1x). A wait whose node came during
/// the yields waits longer the next time ([`WAIT_SPIN_LONGER`]).
pub(crate) const WAIT_SPIN: (u32, u32) = (2, 2);

/// The budget of a blocking wait after one whose node came while it yielded, or soon after
/// it parked ([`SOON`]): 8 yields instead of 2. A peer that answers within a few microseconds
/// (ping-pong) keeps it; a wait whose node comes while it spins, or that waits long, goes back
/// to [`WAIT_SPIN`], so that an idle consumer, which waits long at the end of every burst, pays
/// the short budget.
pub(crate) const WAIT_SPIN_LONGER: (u32, u32) = (2, 8);

/// A park that ended with a node within this was one a longer budget would have spared: 50
/// microseconds, a few times what a park and its wake-up cost, far below the idle gaps of a
/// bursty producer.
pub(crate) const SOON: core::time::Duration = core::time::Duration::from_micros(50);

/// Calls `attempt` until it returns `Some`, for a thread that would park otherwise: between
/// refused attempts it waits as `spin` says (spinning, then yielding; see [`SpinThenPark`]).
/// `None` once that budget is spent (after a last wait, so that the caller's next attempt is
/// worth making), or once `deadline` has passed: then the caller parks. Under loom the budget
/// is empty, and this attempts nothing.
///
/// A wait that ends within the budget costs no wait list, no park and no wake-up; one that
/// outlasts it costs the budget (a few microseconds) more than parking at once would.
///
/// [`SpinThenPark`]: crate::sync::SpinThenPark
pub(crate) fn spin_before_parking<T>(
    spin: &mut crate::sync::SpinThenPark,
    deadline: Option<std::time::Instant>,
    mut attempt: impl FnMut() -> Option<T>,
) -> Option<T> {
    while !spin.spent() {
        if let Some(done) = attempt() {
            return Some(done);
        }
        // The clock only once yielding: a spin round is far shorter than any timeout's grain.
        if spin.yields() && deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
            return None;
        }
        spin.snooze();
    }
    None
}

/// The spin budget of the next blocking wait, adapted to how the last one ended: [`WAIT_SPIN`],
/// or [`WAIT_SPIN_LONGER`] after a wait whose node came while it yielded the thread or within
/// [`SOON`] of parking. A peer that answers within microseconds (ping-pong) keeps the longer
/// budget; a wait that ends while it spins, or that waits long (an idle queue), goes back to the
/// short one. Consumer-local, like the waiting itself: a blocking consumer keeps one in its
/// waiter, a dynamic set's worker its own.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WaitBudget {
    /// Whether the next wait gets [`WAIT_SPIN_LONGER`].
    longer: bool,
}

impl WaitBudget {
    /// Calls `attempt` until it returns `Some`, waiting between attempts with this budget (see
    /// [`spin_before_parking`]); `None` once the budget is spent or `deadline` has passed: then
    /// the caller parks, and reports how that ended to
    /// [`parked_wait_ended`](WaitBudget::parked_wait_ended).
    #[inline]
    pub(crate) fn spin_until<T>(
        &mut self,
        deadline: Option<std::time::Instant>,
        attempt: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let mut spin: crate::sync::SpinThenPark = if self.longer {
            WAIT_SPIN_LONGER
        } else {
            WAIT_SPIN
        }
        .into();
        let found = spin_before_parking(&mut spin, deadline, attempt)?;
        // If it came only while we yielded, its producer answers within a few yields (and may
        // need our core): wait longer next time before parking.
        self.longer = spin.yields();
        Some(found)
    }

    /// After a wait that went past [`spin_until`](WaitBudget::spin_until) and parked (from
    /// `parked_at`): whether it got what it waited for decides, with how soon, the next wait's
    /// budget. Something that came soon after we gave up spinning (a peer on another core that
    /// answers within microseconds): wait longer next time. After a long wait (an idle queue)
    /// the short budget, so that idling costs next to nothing.
    #[inline]
    pub(crate) fn parked_wait_ended(&mut self, got: bool, parked_at: std::time::Instant) {
        self.wait_ended(got, parked_at.elapsed());
    }

    /// [`parked_wait_ended`](WaitBudget::parked_wait_ended), with the time the wait took.
    #[inline]
    fn wait_ended(&mut self, got: bool, parked_for: core::time::Duration) {
        self.longer = got && parked_for < SOON;
    }
}

#[cfg(all(test, not(loom), not(shuttle)))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Attempts a budget makes before it gives up, with an attempt that never succeeds.
    fn attempts(budget: &mut WaitBudget) -> usize {
        let mut made = 0;
        let found: Option<()> = budget.spin_until(None, || {
            made += 1;
            None
        });
        assert!(found.is_none());
        made
    }

    #[test]
    fn the_short_budget_first_and_the_longer_one_after_a_late_node() {
        let mut budget = WaitBudget::default();
        // One attempt per step of the budget: its spin rounds and its yields.
        assert_eq!(attempts(&mut budget), (WAIT_SPIN.0 + WAIT_SPIN.1) as usize);
        // Giving up leaves the budget as it was.
        assert_eq!(attempts(&mut budget), (WAIT_SPIN.0 + WAIT_SPIN.1) as usize);

        // A node that came only after the spin rounds were spent: the next wait is longer.
        let spinning = WAIT_SPIN.0 as usize;
        let mut made = 0;
        let found = budget.spin_until(None, || {
            made += 1;
            (made > spinning).then_some(made)
        });
        assert_eq!(found, Some(spinning + 1));
        assert_eq!(
            attempts(&mut budget),
            (WAIT_SPIN_LONGER.0 + WAIT_SPIN_LONGER.1) as usize
        );

        // A node that came while it still spun: back to the short budget.
        let mut made = 0;
        assert_eq!(
            budget.spin_until(None, || {
                made += 1;
                (made == 2).then_some(())
            }),
            Some(())
        );
        assert_eq!(attempts(&mut budget), (WAIT_SPIN.0 + WAIT_SPIN.1) as usize);
    }

    #[test]
    fn a_park_decides_the_next_budget_by_how_it_ended() {
        let short = (WAIT_SPIN.0 + WAIT_SPIN.1) as usize;
        let longer = (WAIT_SPIN_LONGER.0 + WAIT_SPIN_LONGER.1) as usize;
        let mut budget = WaitBudget::default();
        // Something came right after we parked: wait longer next time. (The times are given,
        // not measured: under Miri or valgrind a real park takes longer than `SOON`.)
        budget.wait_ended(true, Duration::ZERO);
        assert_eq!(attempts(&mut budget), longer);
        budget.wait_ended(true, SOON - Duration::from_nanos(1));
        assert_eq!(attempts(&mut budget), longer);
        // A long wait, even one that ended with something: the short budget.
        budget.wait_ended(true, SOON);
        assert_eq!(attempts(&mut budget), short);
        // A wait that ended with nothing (a timeout): the short budget.
        budget.wait_ended(true, Duration::ZERO);
        budget.wait_ended(false, Duration::ZERO);
        assert_eq!(attempts(&mut budget), short);
        // The measured form: a park that ended long ago counts as long.
        let long_ago = Instant::now()
            .checked_sub(SOON + Duration::from_millis(10))
            .expect("the clock starts earlier than that");
        budget.wait_ended(true, Duration::ZERO);
        budget.parked_wait_ended(true, long_ago);
        assert_eq!(attempts(&mut budget), short);
    }

    #[test]
    fn a_passed_deadline_ends_the_wait_once_it_yields() {
        let mut budget = WaitBudget::default();
        let mut made = 0;
        let found: Option<()> = budget.spin_until(Some(Instant::now()), || {
            made += 1;
            None
        });
        assert!(found.is_none());
        // The clock is read only once the spinning is over: every spin round's attempt is made,
        // then the first look at the clock ends the wait.
        assert_eq!(made, WAIT_SPIN.0 as usize + 1);
    }
}
