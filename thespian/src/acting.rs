//! The actor acting on this thread: the one whose task is being polled, if any. Sends through an
//! address (`addr.tell`, the `#[actor]`-generated methods, `Recipient::tell`) take it as their
//! sender, so that inside a handler they come from the handling actor, as `ctx.tell` does, and
//! outside any actor from the outside of the system.
//!
//! The actor's task sets it for the length of each poll and puts back what was there before, so
//! a task that yields lets the next task of the thread set its own, and a poll nested in another
//! (a sequential system driven from inside a handler) restores the outer actor when it returns.
//! It costs a thread-local read and two writes per poll of an actor's task, and one read per send
//! through an address, and each poll is counted for the mailboxes (`mailbox::count_poll`). The
//! same layer catches a panic that escapes the actor's loop, so that the task holds the actor's
//! cell once, here, and grows by nothing.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::actor::Actor;
use crate::address::{ActorAddress, Addr};
use crate::cell::ActorCell;

/// The acting actor's cell (as from `Arc::as_ptr`), and how to make its address from it.
type Current = (NonNull<()>, fn(NonNull<()>) -> ActorAddress);

thread_local! {
    /// Set only while the actor's task is polled (see `Acting`), whose cell it points to.
    static ACTING: Cell<Option<Current>> = const { Cell::new(None) };
}

/// The address of the actor acting on this thread; `None` outside any actor.
#[inline]
pub(crate) fn acting() -> Option<ActorAddress> {
    let (cell, address) = ACTING.with(Cell::get)?;
    Some(address(cell))
}

/// Whether an actor's task is being polled on this thread (in a sequential system: whether the
/// caller holds an actor's turn).
#[cfg(feature = "sequential")]
pub(crate) fn is_acting() -> bool {
    ACTING.with(Cell::get).is_some()
}

/// The address of the `ActorCell<A>` at `cell`.
fn address_of<A: Actor>(cell: NonNull<()>) -> ActorAddress {
    let cell = cell.as_ptr().cast_const().cast::<ActorCell<A>>();
    // SAFETY: `cell` is `Arc::as_ptr` of an `Arc<ActorCell<A>>` that `Acting` holds for as long
    // as the pointer is set (during a poll of its future): the allocation is alive, and one more
    // strong reference may be made, which `from_raw` then owns.
    unsafe {
        Arc::increment_strong_count(cell);
        ActorAddress::from_cell(Arc::from_raw(cell))
    }
}

/// An actor's task: makes the actor the acting one while `future` is polled, and catches a panic
/// that escapes it (handing back the actor's address, for the task to end it properly).
pub(crate) struct Acting<A: Actor, F> {
    cell: Arc<ActorCell<A>>,
    future: F,
}

/// Why an actor's task ended early: the panic, and the actor.
pub(crate) type Escaped<A> = (Box<dyn Any + Send>, Addr<A>);

impl<A: Actor, F> Acting<A, F> {
    pub(crate) fn new(cell: Arc<ActorCell<A>>, future: F) -> Self {
        Acting { cell, future }
    }
}

/// Puts back the actor that was acting before a poll, even if the poll panics.
struct Restore(Option<Current>);

impl Drop for Restore {
    #[inline]
    fn drop(&mut self) {
        ACTING.with(|a| a.set(self.0));
    }
}

impl<A: Actor, F: Future> Future for Acting<A, F> {
    type Output = Result<F::Output, Escaped<A>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is pinned with `self` (structural pinning): it is never moved out, and
        // `Acting` has no `Drop` of its own nor any `Unpin` impl that would let it move. The cell
        // is not pinned and only read.
        let this = unsafe { self.get_unchecked_mut() };
        let cell = NonNull::from(&*this.cell).cast::<()>();
        let _restore = Restore(ACTING.with(|a| a.replace(Some((cell, address_of::<A>)))));
        crate::mailbox::count_poll();
        // SAFETY: as above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err((panic, Addr::from_cell(this.cell.clone())))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Context as ActorContext;

    struct Tiny;

    impl Actor for Tiny {
        type Message = ();
        async fn handle(&mut self, _message: (), _ctx: &mut ActorContext<Self>) {}
    }

    fn cell(system: &crate::ActorSystem) -> Arc<ActorCell<Tiny>> {
        ActorCell::unstarted(system)
    }

    /// A poll nested in another (a system driven from inside a handler) puts the outer actor
    /// back when it returns, and nothing is left acting after the outer poll.
    #[test]
    fn a_nested_poll_restores_the_outer_actor() {
        let system = crate::ActorSystem::new();
        let (outer, inner) = (cell(&system), cell(&system));
        let (outer_id, inner_id) = (outer.id, inner.id);
        let inner_cell = inner.clone();
        let task = async move {
            assert_eq!(acting().map(|a| a.id()), Some(outer_id));
            let nested = Acting::new(inner_cell, async {
                assert_eq!(acting().map(|a| a.id()), Some(inner_id));
            });
            let mut cx = Context::from_waker(futures::task::noop_waker_ref());
            assert!(matches!(
                std::pin::pin!(nested).poll(&mut cx),
                Poll::Ready(Ok(()))
            ));
            assert_eq!(acting().map(|a| a.id()), Some(outer_id));
        };
        let task = Acting::new(outer.clone(), task);
        assert!(acting().is_none());
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        assert!(matches!(
            std::pin::pin!(task).poll(&mut cx),
            Poll::Ready(Ok(()))
        ));
        assert!(acting().is_none());
        drop(inner);
    }
}
