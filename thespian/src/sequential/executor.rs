//! The sequential system's own executor: its tasks (actors, wake-up timers, streams) are polled on
//! the thread of whoever drives the system, inside the driving call, one at a time.
//!
//! A task woken goes to the back of the ready queue (once, however often it is woken); a pass of
//! the driver polls the queue's tasks in order. Nothing is polled while nobody drives, so the
//! executor needs no thread of its own, and the order of polls is decided by the order of wake-ups
//! alone, which the system's turns make the same from run to run.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use futures::task::{waker_ref, ArcWake};

use crate::sync::Unpoisoned;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Drops a task's future without any lock held (its drop may abort other tasks), and without
/// letting a panic in its drop (user code: a message, a stream) escape into whoever ended it, as
/// tokio does for the tasks it aborts.
fn drop_quietly(future: Option<BoxFuture>) {
    if std::panic::catch_unwind(AssertUnwindSafe(move || drop(future))).is_err() {
        tracing::error!("a task of a sequential system panicked while being dropped");
    }
}

/// One task of a sequential system.
pub(crate) struct Task {
    id: u64,
    /// `None` once it has finished or was aborted.
    future: Mutex<Option<BoxFuture>>,
    /// In the ready queue (or about to be polled for the first time).
    queued: AtomicBool,
    finished: AtomicBool,
    /// Asked to stop while it was being polled: dropped once the poll returns.
    aborted: AtomicBool,
    executor: Weak<Executor>,
}

impl ArcWake for Task {
    fn wake_by_ref(task: &Arc<Self>) {
        if task.queued.swap(true, Ordering::AcqRel) || task.finished.load(Ordering::Acquire) {
            return;
        }
        if let Some(executor) = task.executor.upgrade() {
            executor.schedule(task.clone());
        }
    }
}

impl Task {
    /// Whether it has finished or was aborted.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Stops the task: its future is dropped now, or right after the poll that runs it (a task
    /// that aborts itself). Tasks are aborted on the thread that holds the system's pass (see
    /// `Sequential::stop`), so no other thread is polling it meanwhile.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
        let future = match self.future.try_lock() {
            Ok(mut slot) => slot.take(),
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner().take(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        self.retire(future);
    }

    /// Marks it finished, forgets it, and drops its `future` (taken out of its slot, whose lock
    /// is released by now).
    fn retire(&self, future: Option<BoxFuture>) {
        self.finished.store(true, Ordering::Release);
        if let Some(executor) = self.executor.upgrade() {
            executor.inner.lock_unpoisoned().live.remove(&self.id);
        }
        drop_quietly(future);
    }
}

#[derive(Default)]
struct Inner {
    ready: VecDeque<Arc<Task>>,
    /// Every task not finished: what a closing executor drops (a task waiting for a message is
    /// otherwise only held by the wakers it left, in a cycle with its actor's cell).
    live: HashMap<u64, Arc<Task>>,
    next_id: u64,
    /// Drivers waiting for a task to become ready.
    sleepers: Vec<Waker>,
    closed: bool,
}

/// The tasks of a sequential system.
#[derive(Default)]
pub(crate) struct Executor {
    inner: Mutex<Inner>,
    /// `Inner::ready`'s length, written under the lock: a pass looks at it before taking the
    /// lock for a task that is not there. (Read without the lock it may be behind a task being
    /// scheduled on another thread; the pass looks again under the lock before concluding that
    /// nothing is ready, see `has_ready`.)
    ready_len: AtomicUsize,
    /// Whether `Inner::sleepers` may hold any, written under the lock: looked at without it by a
    /// driver leaving, within its pass (so no driver can be registering meanwhile).
    anyone_sleeping: AtomicBool,
}

impl Executor {
    /// Adds a task, ready to be polled at the next pass.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        future: impl Future<Output = ()> + Send + 'static,
    ) -> Arc<Task> {
        let mut inner = self.inner.lock_unpoisoned();
        inner.next_id += 1;
        let task = Arc::new(Task {
            id: inner.next_id,
            future: Mutex::new(Some(Box::pin(future))),
            queued: AtomicBool::new(true),
            finished: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
            executor: Arc::downgrade(self),
        });
        if inner.closed {
            // Never runs.
            drop(inner);
            let future = task.future.lock_unpoisoned().take();
            task.retire(future);
            return task;
        }
        inner.live.insert(task.id, task.clone());
        inner.ready.push_back(task.clone());
        self.ready_len.store(inner.ready.len(), Ordering::Relaxed);
        let sleepers = self.take_sleepers(&mut inner);
        drop(inner);
        sleepers.into_iter().for_each(Waker::wake);
        task
    }

    fn schedule(&self, task: Arc<Task>) {
        let mut inner = self.inner.lock_unpoisoned();
        if inner.closed {
            return;
        }
        inner.ready.push_back(task);
        self.ready_len.store(inner.ready.len(), Ordering::Relaxed);
        let sleepers = self.take_sleepers(&mut inner);
        drop(inner);
        sleepers.into_iter().for_each(Waker::wake);
    }

    /// Polls every task that is ready, in order, including those woken meanwhile, up to `budget`
    /// polls. Returns how many polls it made.
    pub(crate) fn run_ready(&self, budget: usize) -> usize {
        let mut polls = 0;
        while polls < budget && self.ready_len.load(Ordering::Relaxed) > 0 {
            let task = {
                let mut inner = self.inner.lock_unpoisoned();
                let task = inner.ready.pop_front();
                self.ready_len.store(inner.ready.len(), Ordering::Relaxed);
                task
            };
            let Some(task) = task else {
                break;
            };
            polls += 1;
            Self::poll(&task);
        }
        polls
    }

    fn poll(task: &Arc<Task>) {
        task.queued.store(false, Ordering::Release);
        let mut slot = task.future.lock_unpoisoned();
        let Some(future) = slot.as_mut() else {
            return;
        };
        let waker = waker_ref(task);
        let mut cx = Context::from_waker(&waker);
        // A task's panic ends that task, as on a tokio runtime, not the call that drives it
        // (actors catch their own handlers' panics; this is for the tasks around them).
        let done =
            match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
                // Aborted during its own poll: dropped now.
                Ok(Poll::Pending) => task.aborted.load(Ordering::Acquire),
                Ok(Poll::Ready(())) => true,
                Err(_) => {
                    tracing::error!("a task of a sequential system panicked");
                    true
                }
            };
        if done {
            let future = slot.take();
            drop(slot);
            task.retire(future);
        }
    }

    /// Whether a task is ready.
    pub(crate) fn has_ready(&self) -> bool {
        !self.inner.lock_unpoisoned().ready.is_empty()
    }

    /// Registers a driver to be woken when a task becomes ready. `false` if one already is (the
    /// driver should go on instead).
    pub(crate) fn sleep(&self, waker: &Waker) -> bool {
        let mut inner = self.inner.lock_unpoisoned();
        if !inner.ready.is_empty() || inner.closed {
            return false;
        }
        if !inner.sleepers.iter().any(|w| w.will_wake(waker)) {
            inner.sleepers.push(waker.clone());
            self.anyone_sleeping.store(true, Ordering::Release);
        }
        true
    }

    /// Wakes every driver waiting for a task: one driver leaving lets the others look at the
    /// system again (the clock may move for them now, see `Sequential::advance_when_idle`).
    pub(crate) fn wake_sleepers(&self) {
        if !self.anyone_sleeping.load(Ordering::Acquire) {
            return;
        }
        let sleepers = self.take_sleepers(&mut self.inner.lock_unpoisoned());
        sleepers.into_iter().for_each(Waker::wake);
    }

    fn take_sleepers(&self, inner: &mut Inner) -> Vec<Waker> {
        self.anyone_sleeping.store(false, Ordering::Release);
        std::mem::take(&mut inner.sleepers)
    }

    /// Drops every task, now or (one being polled) right after its poll, and accepts no more.
    pub(crate) fn close(&self) {
        let (live, sleepers) = {
            let mut inner = self.inner.lock_unpoisoned();
            inner.closed = true;
            inner.ready.clear();
            self.ready_len.store(0, Ordering::Relaxed);
            (
                std::mem::take(&mut inner.live),
                self.take_sleepers(&mut inner),
            )
        };
        // In order of creation, so that the same system ends the same way every time.
        let mut live: Vec<_> = live.into_values().collect();
        live.sort_by_key(|task| task.id);
        for task in live {
            task.abort();
        }
        sleepers.into_iter().for_each(Waker::wake);
    }

    /// How many tasks are not finished.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.inner.lock_unpoisoned().live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_run_in_the_order_they_are_woken_and_finish_once() {
        let executor = Arc::new(Executor::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        for n in 0..3 {
            let order = order.clone();
            executor.spawn(async move { order.lock_unpoisoned().push(n) });
        }
        assert_eq!(executor.live(), 3);
        assert_eq!(executor.run_ready(usize::MAX), 3);
        assert_eq!(*order.lock_unpoisoned(), vec![0, 1, 2]);
        assert_eq!(executor.live(), 0);
        assert_eq!(executor.run_ready(usize::MAX), 0);
    }

    #[test]
    fn an_aborted_task_is_dropped_and_a_panicking_one_ends_alone() {
        struct Flag(Arc<AtomicUsize>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::AcqRel);
            }
        }
        let executor = Arc::new(Executor::default());
        let dropped = Arc::new(AtomicUsize::new(0));
        let flag = Flag(dropped.clone());
        let pending = executor.spawn(async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        });
        executor.spawn(async { panic!("a task's panic") });
        assert_eq!(executor.run_ready(usize::MAX), 2);
        assert!(!pending.is_finished());
        assert_eq!(executor.live(), 1);
        pending.abort();
        assert!(pending.is_finished());
        assert_eq!(dropped.load(Ordering::Acquire), 1);
        assert_eq!(executor.live(), 0);
    }

    #[test]
    fn a_panic_while_dropping_an_aborted_task_stays_in_the_executor() {
        struct Explodes;
        impl Drop for Explodes {
            fn drop(&mut self) {
                panic!("a drop that panics");
            }
        }
        let executor = Arc::new(Executor::default());
        let explodes = Explodes;
        let task = executor.spawn(async move {
            let _explodes = explodes;
            std::future::pending::<()>().await;
        });
        executor.run_ready(usize::MAX);
        task.abort();
        assert!(task.is_finished());
        assert_eq!(executor.live(), 0);
    }

    #[test]
    fn closing_drops_waiting_tasks_and_refuses_new_ones() {
        let executor = Arc::new(Executor::default());
        let waiting = executor.spawn(std::future::pending());
        executor.run_ready(usize::MAX);
        executor.close();
        assert!(waiting.is_finished());
        let late = executor.spawn(async {});
        assert!(late.is_finished());
        assert_eq!(executor.run_ready(usize::MAX), 0);
    }
}
