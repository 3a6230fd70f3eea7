//! Producers on threads, an async consumer task: the task sleeps (returns `Pending`) whenever the
//! queue is empty and is woken by the producer that fills it, never by polling.
//!
//! ```text
//! cargo run --release --example async_worker
//! ```

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use intrusive_mpsc::{channel::unbounded_channel, node, Link};

/// A unit of work with its spare pointer for the queue.
struct Job {
    link: Link,
    producer: usize,
    seq: u64,
    cost: u64,
}
node!(Job, link, Box<Job>);

const PRODUCERS: usize = 3;
const JOBS_PER_PRODUCER: u64 = 20_000;

fn main() {
    let (tx, mut rx) = unbounded_channel::<Job>();
    let start = Instant::now();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|producer| {
            let tx = tx.clone();
            thread::spawn(move || {
                for seq in 0..JOBS_PER_PRODUCER {
                    let job = Box::new(Job {
                        link: Link::new(),
                        producer,
                        seq,
                        cost: seq % 7,
                    });
                    tx.send(job).expect("the worker outlives the producers");
                    // Bursts with gaps, so the worker catches up and sleeps now and then.
                    if seq % 1_000 == 999 {
                        thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    // The worker ends when every sender is gone and everything was received.
    drop(tx);

    let (received, work, sleeps) = block_on(async {
        let mut next = [0u64; PRODUCERS];
        let (mut received, mut work, mut sleeps) = (0u64, 0u64, 0u64);
        loop {
            // `rx.recv().await`, spelled out to count how often the task had to sleep.
            let job = std::future::poll_fn(|cx| {
                let poll = rx.poll_recv(cx);
                if poll.is_pending() {
                    sleeps += 1;
                }
                poll
            })
            .await;
            let Some(job) = job else { break };
            assert_eq!(job.seq, next[job.producer], "per-producer order");
            next[job.producer] += 1;
            received += 1;
            work += job.cost;
        }
        (received, work, sleeps)
    });
    for p in producers {
        p.join().expect("producer panicked");
    }
    println!(
        "async worker: {received} jobs from {PRODUCERS} producers in {:.1} ms, in order per producer \
         (work {work}); the task slept {sleeps} times, each ended by a producer's wake-up",
        start.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(received, PRODUCERS as u64 * JOBS_PER_PRODUCER);
}

/// The smallest executor: polls `future` on this thread, parking the thread while it is pending;
/// its waker unparks the thread. Any executor works the same way here (tokio's, futures'...).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // A wake-up that came before this park makes it return at once: none is lost.
            Poll::Pending => thread::park(),
        }
    }
}
