//! Loom models of `Mailbox`: the mailbox's own flag and lock (loom's, through `src/sync.rs`) and
//! the queue inside it (loom's too: `intrusive-mpsc` switches on the same `--cfg loom`) are
//! explored together.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p loom-user --test loom`.
//!
//! A lost wake-up, a message that sits in an idle mailbox, shows up in two ways here: as a failed
//! assertion where every scheduled run is a thread that the model joins
//! (`a_post_is_never_stranded`), and as a loom deadlock where an async executor waits for the
//! next run request that never comes (`async_executor_is_always_woken`).
//!
//! Each model fixes its preemption bound with `loom::model::Builder`, so `LOOM_MAX_PREEMPTIONS`
//! does not change what CI checks. Bound 3 explores `a_post_is_never_stranded` in under a second;
//! unbounded, it had not finished after five minutes. A pass is strong evidence, not a proof.
//!
//! The models fail on the mistakes they exist for. Each change below was made once and failed
//! them ("threaded": `a_post_is_never_stranded`; "async": `async_executor_is_always_woken`):
//! - in `post`, `if !load(Acquire) { store(true, Release); schedule() }` instead of the swap (the
//!   load may read a stale `true` after the run cleared the flag, and two posts may both
//!   schedule): threaded "a message stranded in the mailbox", async "scheduled, but no run
//!   requested";
//! - in `run`, going idle right after clearing the flag, without the second look: threaded a
//!   stranded message, async a loom deadlock;
//! - in `run`, clearing with `store(false, Release)` instead of the swap: a stranded message
//!   (store buffering: the look misses a message whose post read the old `true`). Loom 0.7
//!   reports "every run went idle" first, which no real execution can do: it lets a plain store
//!   slip between the read and the write of a concurrent swap (tokio-rs/loom#254). With every
//!   write to the flag a read-modify-write, as in `src/lib.rs`, that loom bug cannot arise.
//! - `std`'s `AtomicBool` in `src/sync.rs` under loom, with the code otherwise correct: threaded a
//!   stranded message, async a deadlock, because loom does not see the synchronisation a `std`
//!   atomic provides and so explores executions that cannot happen.
#![cfg(loom)]

use intrusive_mpsc::{node, Link, WaitQueue};
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;
use loom::sync::Arc;
use loom::thread::{self, JoinHandle};
use loom_user::{Mailbox, Run};

/// A message: the bit it sets in the `handled` mask when a run handles it.
struct Msg {
    link: Link,
    bit: usize,
}
node!(Msg, link, Box<Msg>);

fn msg(bit: usize) -> Box<Msg> {
    Box::new(Msg {
        link: Link::new(),
        bit,
    })
}

/// Runs `model` under every interleaving with at most `bound` preemptions.
fn check(bound: usize, model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(model);
}

/// Handles one message: sets its bit, which must not have been set before.
fn handle(handled: &AtomicUsize, msg: &Msg) {
    // Relaxed: runs never overlap (the mailbox's lock orders them), and the model reads the
    // mask only after joining every run.
    let before = handled.fetch_or(msg.bit, Relaxed);
    assert_eq!(before & msg.bit, 0, "message {:#b} handled twice", msg.bit);
}

/// The scheduler of the threaded model: every scheduling is a new thread that runs the mailbox
/// until it goes idle, with a budget of 1 so that `Run::Again` is taken too.
fn spawn_run(mailbox: &Arc<Mailbox<Msg>>, handled: &Arc<AtomicUsize>) -> JoinHandle<()> {
    let mailbox = Arc::clone(mailbox);
    let handled = Arc::clone(handled);
    thread::spawn(move || while mailbox.run(1, |msg| handle(&handled, &msg)) == Run::Again {})
}

/// Bound 3. A producer thread and the model's thread post one message each; each post that
/// finds the mailbox idle spawns a run. Once everything is joined, both messages were handled
/// once and the mailbox is idle. A lost wake-up leaves a message unhandled.
#[test]
fn a_post_is_never_stranded() {
    check(3, || {
        let mailbox = Arc::new(Mailbox::<Msg>::new());
        let handled = Arc::new(AtomicUsize::new(0));
        let producer = {
            let mailbox = Arc::clone(&mailbox);
            let handled = Arc::clone(&handled);
            thread::spawn(move || {
                let mut run = None;
                mailbox.post(msg(0b01), || run = Some(spawn_run(&mailbox, &handled)));
                run
            })
        };
        let mut runs = Vec::new();
        mailbox.post(msg(0b10), || runs.push(spawn_run(&mailbox, &handled)));
        runs.extend(producer.join().unwrap());
        assert!(!runs.is_empty(), "nobody scheduled a run");
        for run in runs {
            run.join().unwrap();
        }
        assert_eq!(
            handled.load(Relaxed),
            0b11,
            "a message stranded in the mailbox"
        );
        assert!(!mailbox.is_scheduled(), "every run went idle");
    });
}

/// A run request on the async executor's run queue.
struct RunRequest {
    link: Link,
}
node!(RunRequest, link, Box<RunRequest>);

/// Bound 3. The same two posts, scheduled onto an async executor: a task driven by
/// `loom::future::block_on` on its own thread awaits run requests on a `WaitQueue` and runs the
/// mailbox for each, until it has handled both messages. A lost wake-up leaves the task waiting
/// for a request that never comes, with every other thread finished: loom reports a deadlock.
///
/// The task may stop with one request still queued: a post whose message an earlier run already
/// took can still find the flag clear and schedule. So at the end the mailbox is scheduled
/// exactly when a request is left over for it.
#[test]
fn async_executor_is_always_woken() {
    check(3, || {
        let mailbox = Arc::new(Mailbox::<Msg>::new());
        let run_queue = Arc::new(WaitQueue::<RunRequest>::new());
        let schedule = |run_queue: &WaitQueue<RunRequest>| {
            run_queue.enqueue(Box::new(RunRequest { link: Link::new() }));
        };
        let executor = {
            let mailbox = Arc::clone(&mailbox);
            let run_queue = Arc::clone(&run_queue);
            thread::spawn(move || {
                let mut requests = run_queue.consumer().expect("the executor's alone");
                let handled = AtomicUsize::new(0);
                loom::future::block_on(async {
                    while handled.load(Relaxed) != 0b11 {
                        let _request = requests.dequeue_async().await;
                        while mailbox.run(1, |msg| handle(&handled, &msg)) == Run::Again {}
                    }
                });
            })
        };
        let producer = {
            let mailbox = Arc::clone(&mailbox);
            let run_queue = Arc::clone(&run_queue);
            thread::spawn(move || mailbox.post(msg(0b01), || schedule(&run_queue)))
        };
        mailbox.post(msg(0b10), || schedule(&run_queue));
        producer.join().unwrap();
        executor.join().unwrap();
        let mut left_over = run_queue.consumer().expect("the executor is gone");
        assert_eq!(
            mailbox.is_scheduled(),
            left_over.dequeue().is_some(),
            "scheduled, but no run requested (or the other way round)"
        );
        assert!(left_over.dequeue().is_none(), "scheduled twice");
    });
}
