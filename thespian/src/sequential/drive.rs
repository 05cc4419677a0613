//! Driving a sequential system: the calls that wait for it (an ask, `listen`, `run_until_idle`,
//! `status`, `shutdown`) run its tasks while they wait, in *passes*, on their own thread.
//!
//! One pass at a time: a caller on another thread waits for the pass to end, and a call made from
//! within a pass (an actor asking into its own system) joins it. A pass polls the ready tasks,
//! then the caller's own work, and moves the virtual clock only when nothing can happen without
//! it: no task ready, no turn on its way, and no other caller woken and waiting to look at its
//! work (see [`Sequential::advance_when_idle`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use super::{Sequential, Turn};
use crate::sync::Unpoisoned;

/// How many tasks a pass polls before it lets the caller's runtime run its other tasks once.
const PASS_BUDGET: usize = 1024;

thread_local! {
    /// A number for this thread, never 0 (cheaper to read than `std::thread::current().id()`).
    static THREAD: u64 = {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

fn this_thread() -> u64 {
    THREAD.with(|t| *t)
}

/// A pass held by this thread; lets the next driver in when dropped (also on a panic).
struct Pass<'a>(&'a Sequential);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.0.release();
        // Sequentially consistent with `stop`: either this end sees the system stopped, or `stop`
        // sees the pass free.
        if self.0.stopped.load(Ordering::SeqCst) {
            self.0.close_when_free();
        }
    }
}

/// The waker a caller's work is polled with once it has had to wait: it notes that the work was
/// woken, until its caller looks at it again, so that the clock does not move past the deadline
/// of a call that has something to do and is only waiting for the pass.
struct WorkWaker {
    /// `LOOKED_AT`, `WOKEN` (counted in `works_woken`) or `RETIRED` (its caller has left or
    /// polls with another waker: a wake-up left behind somewhere must not count).
    state: AtomicU8,
    seq: Weak<Sequential>,
    caller: Waker,
}

const LOOKED_AT: u8 = 0;
const WOKEN: u8 = 1;
const RETIRED: u8 = 2;

impl Wake for WorkWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self
            .state
            .compare_exchange(LOOKED_AT, WOKEN, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            if let Some(seq) = self.seq.upgrade() {
                seq.works_woken.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.caller.wake_by_ref();
    }
}

impl WorkWaker {
    /// The caller looks at its work: it is no longer counted as woken.
    fn seen(&self) {
        self.leave_woken(LOOKED_AT);
    }

    /// The caller is done with this waker.
    fn retire(&self) {
        self.leave_woken(RETIRED);
    }

    fn leave_woken(&self, to: u8) {
        let was = self.state.swap(to, Ordering::SeqCst);
        if was == WOKEN {
            if let Some(seq) = self.seq.upgrade() {
                seq.works_woken.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

/// A caller's work and the waker it is polled with.
struct Work<'a, F> {
    future: Pin<&'a mut F>,
    /// Set the first time the work has to wait (most asks are answered at their first look).
    waker: Option<(Arc<WorkWaker>, Waker)>,
}

impl<F: Future> Work<'_, F> {
    fn poll(&mut self, seq: &Arc<Sequential>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if let Some((work_waker, waker)) = &self.waker {
            if work_waker.caller.will_wake(cx.waker()) {
                work_waker.seen();
                return self.future.as_mut().poll(&mut Context::from_waker(waker));
            }
        } else if let Poll::Ready(out) = self.future.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        // It waits (or its caller's waker changed): from now on, wake-ups are noted.
        self.retire_waker();
        let work_waker = Arc::new(WorkWaker {
            state: AtomicU8::new(LOOKED_AT),
            seq: Arc::downgrade(seq),
            caller: cx.waker().clone(),
        });
        let waker = Waker::from(work_waker.clone());
        let polled = self.future.as_mut().poll(&mut Context::from_waker(&waker));
        self.waker = Some((work_waker, waker));
        polled
    }
}

impl<F> Work<'_, F> {
    fn retire_waker(&mut self) {
        if let Some((work_waker, _)) = self.waker.take() {
            work_waker.retire();
        }
    }
}

impl<F> Drop for Work<'_, F> {
    fn drop(&mut self) {
        self.retire_waker();
    }
}

impl Sequential {
    /// Runs `work` to its end, driving the system meanwhile: turns are granted, and the system's
    /// tasks are polled here, on the caller's thread, whenever `work` waits. `None` if the system
    /// stopped first. If the caller stops waiting, `work` is dropped with it, so that a cancelled
    /// call takes nothing (no message, no reply) that nobody would receive.
    pub(crate) async fn drive<T>(self: &Arc<Self>, work: impl Future<Output = T>) -> Option<T> {
        if self.is_driven_here() {
            // Called from a task of this very pass (an actor asking into its own system): the
            // pass that polls that task drives the system.
            return Some(work.await);
        }
        let _driving = self.driving();
        let mut work = Work {
            future: std::pin::pin!(work),
            waker: None,
        };
        // Unconstrained: the tasks polled here are the system's, not the caller's, and must not
        // run out of the caller's cooperative budget halfway through a pass.
        tokio::task::unconstrained(std::future::poll_fn(|cx| self.pass(cx, &mut work))).await
    }

    /// Whether this thread is running a pass of this system (the caller is one of its tasks).
    pub(crate) fn is_driven_here(&self) -> bool {
        self.passing.load(Ordering::Acquire) == this_thread()
    }

    /// One pass: polls every ready task, then `work`, and moves the clock when nothing is ready,
    /// until `work` is done or nothing can happen until something outside the system wakes it.
    fn pass<F: Future>(
        self: &Arc<Self>,
        cx: &mut Context<'_>,
        work: &mut Work<'_, F>,
    ) -> Poll<Option<F::Output>> {
        let Some(_pass) = self.claim(cx) else {
            return Poll::Pending;
        };
        let mut budget = PASS_BUDGET;
        loop {
            if self.is_stopped() {
                self.executor.close();
                return Poll::Ready(None);
            }
            // The ready tasks first, then `work`: an ask's reply is then usually there at its
            // first look, which sets no timer and leaves no waker.
            let polled = self.executor.run_ready(budget);
            if let Poll::Ready(out) = work.poll(self, cx) {
                // This caller leaves: the others waiting for the system look at it again.
                self.executor.wake_sleepers();
                return Poll::Ready(Some(out));
            }
            if polled > 0 {
                budget -= polled;
                if budget == 0 {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                continue;
            }
            if self.advance_when_idle() {
                continue;
            }
            if self.executor.sleep(cx.waker()) {
                return Poll::Pending;
            }
        }
    }

    /// Moves the clock to the next timer if nothing can happen without it, under the turns' lock
    /// (see `grant`: a turn granted on another thread meanwhile has its actor ready already).
    /// Not while a turn is granted to an actor whose task is not there yet (it is being
    /// created), nor while another caller's work was woken and waits for the pass to look at it.
    /// `true` if there is something to do now (a task ready, or timers woken).
    fn advance_when_idle(&self) -> bool {
        let held = self.hold();
        let turns = held.state();
        if self.executor.has_ready() {
            return true;
        }
        if matches!(turns.turn, Turn::Granted(_)) || self.works_woken.load(Ordering::SeqCst) > 0 {
            return false;
        }
        self.clock.advance()
    }

    /// Takes the pass for this thread, or registers `cx` to be woken when it is free.
    fn claim(&self, cx: &mut Context<'_>) -> Option<Pass<'_>> {
        let me = this_thread();
        loop {
            if self
                .passing
                .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return Some(Pass(self));
            }
            // Another thread's pass: wait for it to end (looking again once registered, so that
            // an end in between is not missed).
            {
                let mut waiting = self.waiting.lock_unpoisoned();
                if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
                    waiting.push(cx.waker().clone());
                }
                self.anyone_waiting.store(true, Ordering::SeqCst);
            }
            if self.passing.load(Ordering::SeqCst) != 0 {
                return None;
            }
        }
    }

    /// Lets the next driver in.
    fn release(&self) {
        // Sequentially consistent with `claim`'s announcement: either this end sees a driver
        // waiting, or that driver sees the pass free.
        self.passing.store(0, Ordering::SeqCst);
        if self.anyone_waiting.load(Ordering::SeqCst) {
            let waiting = {
                let mut waiting = self.waiting.lock_unpoisoned();
                self.anyone_waiting.store(false, Ordering::SeqCst);
                std::mem::take(&mut *waiting)
            };
            waiting.into_iter().for_each(Waker::wake);
        }
    }

    /// Ends the system: turns are no longer granted, and its tasks are dropped (the actors end
    /// without exit processing) by whoever holds the pass, now or when it ends, so that no task
    /// is dropped while another thread polls it.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.close_when_free();
    }

    /// Closes the executor if no other thread holds the pass (the holder does it as it ends).
    fn close_when_free(&self) {
        let me = this_thread();
        match self
            .passing
            .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {
                self.executor.close();
                // Released by hand: a `Pass` would come back here.
                self.release();
            }
            // Within a pass of this thread: its task is dropped after its poll.
            Err(holder) if holder == me => self.executor.close(),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Polls a sleep of `seq`'s clock once, setting its timer.
    fn set_timer(seq: &Sequential, after: Duration) -> super::super::clock::VirtualSleep<'_> {
        let mut sleep = seq.clock().sleep_until(seq.clock().now() + after);
        let waker = futures::task::noop_waker();
        assert!(Pin::new(&mut sleep)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        sleep
    }

    #[test]
    fn the_clock_waits_for_a_caller_woken_and_not_yet_looked_at() {
        let seq = Sequential::new(None, false);
        let start = seq.clock().now();
        let _timer = set_timer(&seq, Duration::from_secs(60));
        let work_waker = Arc::new(WorkWaker {
            state: AtomicU8::new(LOOKED_AT),
            seq: Arc::downgrade(&seq),
            caller: futures::task::noop_waker(),
        });
        Waker::from(work_waker.clone()).wake();
        assert!(!seq.advance_when_idle());
        assert_eq!(seq.clock().now(), start);
        work_waker.seen();
        assert!(seq.advance_when_idle());
        assert_eq!(seq.clock().now(), start + Duration::from_secs(60));
        // A waker its caller no longer uses, woken late, holds nothing back.
        let _timer = set_timer(&seq, Duration::from_secs(60));
        work_waker.retire();
        Waker::from(work_waker.clone()).wake();
        assert!(seq.advance_when_idle());
    }

    #[test]
    fn the_clock_waits_for_an_actor_granted_a_turn_before_its_task_exists() {
        let seq = Sequential::new(None, false);
        let start = seq.clock().now();
        let _timer = set_timer(&seq, Duration::from_secs(60));
        seq.arrived(crate::id::ActorId::next());
        let driving = seq.driving();
        assert!(!seq.advance_when_idle());
        assert_eq!(seq.clock().now(), start);
        drop(driving);
    }
}
