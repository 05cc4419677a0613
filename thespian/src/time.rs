//! The time and the tasks of an actor system: tokio's clock and runtime for the default base, the
//! virtual clock and the executor of its own for the sequential base. Every timer the runtime sets
//! (wake-ups, idle exits, ask deadlines, a troupe's trimming) and every task it starts goes
//! through here, so that the same actors keep the same time on either base.

use std::future::Future;
#[cfg(feature = "sequential")]
use std::pin::pin;
#[cfg(feature = "sequential")]
use std::sync::Arc;
#[cfg(feature = "sequential")]
use std::task::Poll;
use std::time::Duration;

use tokio::time::Instant;

#[cfg(feature = "sequential")]
use crate::sequential::{Sequential, Task, VirtualClock};

/// A system's clock.
#[derive(Clone, Copy)]
pub(crate) enum Clock<'a> {
    Tokio,
    #[cfg(feature = "sequential")]
    Virtual(&'a VirtualClock),
    /// Keeps the lifetime without the sequential base; it holds an `Infallible`, so it is never
    /// made and matches need no arm for it.
    #[cfg(not(feature = "sequential"))]
    #[allow(dead_code)]
    Never(std::marker::PhantomData<&'a ()>, std::convert::Infallible),
}

/// A timeout passed first.
#[derive(Debug)]
pub(crate) struct Elapsed;

impl Clock<'_> {
    pub(crate) fn now(self) -> Instant {
        match self {
            Clock::Tokio => Instant::now(),
            #[cfg(feature = "sequential")]
            Clock::Virtual(clock) => clock.now(),
        }
    }

    /// `timeout` from now, or practically never for a timeout too long to add.
    pub(crate) fn deadline_after(self, timeout: Duration) -> Instant {
        crate::deadline::deadline_from(self.now(), timeout)
    }

    pub(crate) async fn sleep_until(self, deadline: Instant) {
        match self {
            Clock::Tokio => tokio::time::sleep_until(deadline).await,
            #[cfg(feature = "sequential")]
            Clock::Virtual(clock) => clock.sleep_until(deadline).await,
        }
    }

    pub(crate) async fn sleep(self, delay: Duration) {
        self.sleep_until(self.deadline_after(delay)).await;
    }

    /// `future`'s output, unless `deadline` comes first.
    pub(crate) async fn timeout_at<F: Future>(
        self,
        deadline: Instant,
        future: F,
    ) -> Result<F::Output, Elapsed> {
        match self {
            Clock::Tokio => tokio::time::timeout_at(deadline, future)
                .await
                .map_err(|_| Elapsed),
            #[cfg(feature = "sequential")]
            Clock::Virtual(clock) => {
                let mut future = pin!(future);
                let mut sleep = pin!(clock.sleep_until(deadline));
                std::future::poll_fn(|cx| {
                    if let Poll::Ready(out) = future.as_mut().poll(cx) {
                        return Poll::Ready(Ok(out));
                    }
                    sleep.as_mut().poll(cx).map(|()| Err(Elapsed))
                })
                .await
            }
        }
    }

    pub(crate) async fn timeout<F: Future>(
        self,
        timeout: Duration,
        future: F,
    ) -> Result<F::Output, Elapsed> {
        self.timeout_at(self.deadline_after(timeout), future).await
    }
}

/// Where a system's tasks run.
pub(crate) enum Runtime {
    Tokio(tokio::runtime::Handle),
    #[cfg(feature = "sequential")]
    Sequential(Arc<Sequential>),
}

impl Runtime {
    /// Starts a task that nothing will abort (an actor's: it ends through its mailbox).
    pub(crate) fn start(&self, task: impl Future<Output = ()> + Send + 'static) {
        match self {
            Runtime::Tokio(handle) => drop(handle.spawn(task)),
            #[cfg(feature = "sequential")]
            Runtime::Sequential(seq) => drop(seq.spawn(task)),
        }
    }

    /// Starts a task, to be aborted with the returned handle.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> TaskHandle {
        match self {
            Runtime::Tokio(handle) => TaskHandle::Tokio(handle.spawn(task).abort_handle()),
            #[cfg(feature = "sequential")]
            Runtime::Sequential(seq) => TaskHandle::Sequential(seq.spawn(task)),
        }
    }
}

/// A task started by the system: on tokio, or on a sequential system's executor.
pub(crate) enum TaskHandle {
    Tokio(tokio::task::AbortHandle),
    #[cfg(feature = "sequential")]
    Sequential(Arc<Task>),
}

impl TaskHandle {
    pub(crate) fn is_finished(&self) -> bool {
        match self {
            TaskHandle::Tokio(handle) => handle.is_finished(),
            #[cfg(feature = "sequential")]
            TaskHandle::Sequential(task) => task.is_finished(),
        }
    }

    pub(crate) fn abort(&self) {
        match self {
            TaskHandle::Tokio(handle) => handle.abort(),
            #[cfg(feature = "sequential")]
            TaskHandle::Sequential(task) => task.abort(),
        }
    }
}
