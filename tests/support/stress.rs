//! The worker side of the ready-set stress tests (`ready`, `ready_defer`): a thread that takes
//! every node the producers send (their side is `harness::stress_producer`), a few guards at a
//! time, checks each producer's order per member, and reports its progress to the test thread,
//! whose watchdog fails the test if the worker stalls.

use std::sync::{mpsc, Arc};
use std::thread;

use intrusive_mpsc::{Capacity, Layout, Node, Ready, ReadySet, Worker};

use super::{report_progress, until_done, Held, MemberOrder, Report};

/// How many guards a stress worker holds at once, at most.
pub const HELD: usize = 3;

/// A stress worker's thread, and the reports it sends the test thread.
pub struct StressWorker {
    thread: thread::JoinHandle<()>,
    reports: mpsc::Receiver<Report<usize>>,
    total: usize,
}

impl StressWorker {
    /// Spawns the worker of `set`, which takes every node `order` expects. Each turn it takes
    /// guards until it holds [`HELD`] (fails if one's member is already held), with `next(worker,
    /// sleep)`: `sleep` when it holds none, and then `next` must wait for one; otherwise `None`
    /// ends the round. Then `turn(index, guard, order)` takes nodes from its oldest guard and
    /// returns how many. At the end it checks that it holds no guard, that every node arrived
    /// and that nothing is still listed, and reports how many guards it took.
    pub fn spawn<N: Node + 'static, B: Capacity + 'static, L: Layout + 'static>(
        set: &Arc<ReadySet<N, B, L>>,
        mut order: MemberOrder,
        mut next: impl for<'s> FnMut(&mut Worker<'s, N, B, L>, bool) -> Option<Ready<'s, N, B, L>>
            + Send
            + 'static,
        mut turn: impl for<'s> FnMut(usize, Ready<'s, N, B, L>, &mut MemberOrder) -> usize
            + Send
            + 'static,
    ) -> Self
    where
        ReadySet<N, B, L>: Send + Sync,
    {
        let (report, reports) = mpsc::channel();
        let total = order.total();
        let set = Arc::clone(set);
        let thread = thread::spawn(move || {
            let mut worker = set.worker().unwrap();
            let mut held = Held::new(set.len());
            let (mut received, mut guards) = (0, 0);
            while received < total {
                guards += held.fill(HELD, Ready::index, |sleep| next(&mut worker, sleep));
                let (index, ready) = held.pop();
                let taken = turn(index, ready, &mut order);
                received += taken;
                report_progress(&report, received, taken);
            }
            held.assert_none();
            order.assert_all();
            assert!(
                worker.next().is_none(),
                "everything delivered, so nothing may still be listed"
            );
            report.send(Report::Done(guards)).unwrap();
        });
        Self {
            thread,
            reports,
            total,
        }
    }

    /// Reads the worker's progress reports until it is done (each counting at most the nodes
    /// expected, each within [`STALL`](super::STALL)), joins it, and returns how many guards it
    /// took.
    pub fn finish(self) -> usize {
        let guards = until_done(&self.reports, self.total);
        self.thread.join().unwrap();
        guards
    }
}
