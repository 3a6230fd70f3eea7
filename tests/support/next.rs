//! `held` and `held_now`: the guard a worker's [`Next`] must carry, for the tests that expect a
//! member (the tests of `Woken` and `Closed` match on the variants themselves).

use intrusive_mpsc::Next;

/// The guard `next` carries; panics, naming what came instead, on `Woken` or `Closed`.
#[track_caller]
pub fn held<H>(next: Next<H>) -> H {
    match next {
        Next::Ready(held) => held,
        Next::Woken => panic!("woken, where a member was expected"),
        Next::Closed => panic!("closed, where a member was expected"),
    }
}

/// The guard `try_next` returned; panics if it found nothing, a wake or the close.
#[track_caller]
pub fn held_now<H>(next: Option<Next<H>>) -> H {
    held(next.expect("nothing scheduled, where a member was expected"))
}
